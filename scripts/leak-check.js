#!/usr/bin/env node
// npm run leak: long create/open/close/unlink cycles, then checks that the
// process did not grow. Fails (exit 1) if resident memory grew by more than
// --max-rss-mib (default 4 MiB) between the warm-up and the end, if the
// number of open file descriptors or live mappings of segments grew, or if a
// name it made is still there. Not part of npm test (it takes a while);
// .ci/run runs it.
//
//   node --expose-gc scripts/leak-check.js [--cycles 100000] [--max-rss-mib 4]
'use strict';
const fs = require('node:fs');
const { parseArgs } = require('node:util');
const { SharedMemory, Semaphore, Mutex, wait, notify } = require('..');

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '100000' },
    'max-rss-mib': { type: 'string', default: '4' },
  },
});
const CYCLES = Number(values.cycles);
const MAX_RSS = Number(values['max-rss-mib']) * 1024 * 1024;
if (!(CYCLES > 0) || !(MAX_RSS > 0)) throw new Error('bad --cycles or --max-rss-mib');
if (typeof global.gc !== 'function') {
  console.error('leak-check: run with node --expose-gc');
  process.exit(2);
}

const prefix = `lk${process.pid.toString(36)}_`;
const linux = process.platform === 'linux';

function fdCount() {
  return linux ? fs.readdirSync('/proc/self/fd').length : 0;
}
function mappingCount() {
  // Mappings of /dev/shm objects (segments and semaphores) in this process.
  return linux ? fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('/dev/shm/')).length : 0;
}
function namesLeft() {
  return linux ? fs.readdirSync('/dev/shm').filter((n) => n.includes(prefix)) : [];
}
async function settle() {
  // Finalizers of dropped handles run after a GC, on a later turn of the loop.
  for (let i = 0; i < 3; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
function rssParts() {
  // Linux: which kind of resident memory (anonymous, file, shared) it is.
  if (!linux) return {};
  const parts = {};
  for (const m of fs.readFileSync('/proc/self/status', 'utf8').matchAll(/^(Rss\w+):\s+(\d+) kB/gm)) parts[m[1]] = +(m[2] / 1024).toFixed(1);
  return parts;
}
function snapshot() {
  return { rss: process.memoryUsage.rss(), parts: rssParts(), fds: fdCount(), maps: mappingCount() };
}

// Resident memory first climbs to a plateau (V8's young generation gets
// touched, malloc keeps its high-water mark for native objects that wait for
// a GC), then stays flat: the warm-up runs a quarter of the cycles before the
// first measurement, so that only growth that goes on counts.

// One of each kind of life cycle per iteration i.
async function cycle(i) {
  const name = `${prefix}${i % 7}`;
  // Segment: create, open a second handle, use views, close both, unlink.
  const shm = SharedMemory.create({ name, size: 4096 + (i % 3) * 4096 });
  const other = SharedMemory.open(name);
  other.buffer.writeUInt32LE(i, 0);
  if (shm.buffer.readUInt32LE(0) !== i) throw new Error('segment: write not seen');
  const words = new Int32Array(shm.buffer.buffer, 0, 16);
  if (notify(words, 1) !== 0 || wait(words, 1, 1, 0) !== 'not-equal') throw new Error('wait/notify');
  const m = Mutex.create(shm, 64);
  m.lockSync();
  m.unlock();
  other.close();
  shm.close();
  shm.unlink();
  // A segment dropped without close(): released by the GC.
  SharedMemory.create({ name: `${name}g`, size: 4096 }).unlink();
  // Semaphore: create, waitSync, post, an async wait that gets it, one that times out, close, unlink.
  const sem = Semaphore.create({ name: `${name}s`, value: 1 });
  if (!sem.waitSync(0)) throw new Error('semaphore: waitSync');
  sem.post();
  if (i % 10 === 0) {
    if (!(await sem.wait())) throw new Error('semaphore: wait');
    if (await sem.wait({ timeout: 0 })) throw new Error('semaphore: wait timeout');
    sem.post();
  }
  sem.close();
  sem.unlink();
}

async function run(from, to) {
  for (let i = from; i < to; i++) {
    await cycle(i);
    // A turn of the event loop, as a program that serves anything gets: Node
    // runs the finalizers of collected buffers (which unmap dropped segments)
    // from the loop, never from inside a synchronous stretch.
    if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

async function main() {
  const warm = Math.ceil(CYCLES / 4);
  const t0 = Date.now();
  await run(0, warm);
  await settle();
  const before = snapshot();
  await run(warm, warm + CYCLES);
  await settle();
  const after = snapshot();
  const left = namesLeft();
  const grew = after.rss - before.rss;
  const report = {
    cycles: CYCLES,
    seconds: (Date.now() - t0) / 1000,
    rssBeforeMiB: +(before.rss / 2 ** 20).toFixed(1),
    rssAfterMiB: +(after.rss / 2 ** 20).toFixed(1),
    rssGrowthMiB: +(grew / 2 ** 20).toFixed(2),
    rssPartsMiB: [before.parts, after.parts],
    fds: [before.fds, after.fds],
    shmMappings: [before.maps, after.maps],
    namesLeft: left,
  };
  console.log(JSON.stringify(report));
  const problems = [];
  if (grew > MAX_RSS) problems.push(`resident memory grew by ${report.rssGrowthMiB} MiB (limit ${MAX_RSS / 2 ** 20})`);
  if (after.fds > before.fds) problems.push(`open file descriptors grew: ${before.fds} -> ${after.fds}`);
  if (after.maps > before.maps) problems.push(`mappings of /dev/shm grew: ${before.maps} -> ${after.maps}`);
  if (left.length) problems.push(`names left in /dev/shm: ${left.join(', ')}`);
  if (problems.length) {
    for (const p of problems) console.error(`leak-check: ${p}`);
    process.exitCode = 1;
  } else {
    console.log(`leak-check: ${CYCLES} cycles, no growth (RSS ${report.rssGrowthMiB >= 0 ? '+' : ''}${report.rssGrowthMiB} MiB, fds and mappings flat), no names left`);
  }
}

main().catch((err) => {
  console.error(err);
  for (const n of namesLeft()) {
    try {
      if (n.startsWith('sem.')) Semaphore.unlink(n.slice(4));
      else SharedMemory.unlink(n);
    } catch {}
  }
  process.exitCode = 1;
});
