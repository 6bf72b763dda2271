'use strict';
// Shared helpers for the benchmark rows: statistics, child processes,
// Python baselines, clean-up of OS objects, and the table / JSON output.

const { fork, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PYTHON_DIR = path.join(__dirname, 'python');
const CHILDREN_DIR = path.join(__dirname, 'children');
const C_DIR = path.join(__dirname, 'c');

// ---------------------------------------------------------------- statistics

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** { median, min, max, samples } of a list of numbers. */
function stats(samples) {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// ------------------------------------------------------------------ clean-up

// Every OS object a row creates is registered here right after it is created
// and released in a finally block; whatever is still registered when the
// process exits (an exception, Ctrl-C) is released by the exit handler.
const pending = new Set();

/** Registers a clean-up function; returns a function that runs it once. */
function onCleanup(fn) {
  const entry = () => {
    if (!pending.delete(entry)) return;
    try {
      fn();
    } catch {
      // already gone: nothing to do
    }
  };
  pending.add(entry);
  return entry;
}

function cleanupAll() {
  for (const entry of [...pending]) entry();
}

/** Creates an object with `create()` and registers close()+unlink(). Returns [obj, release]. */
function owned(create) {
  const obj = create();
  const release = onCleanup(() => {
    try {
      obj.close();
    } finally {
      obj.unlink();
    }
  });
  return [obj, release];
}

const liveChildren = new Set();

process.on('exit', () => {
  for (const c of liveChildren) c.kill('SIGKILL');
  cleanupAll();
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    for (const c of liveChildren) c.kill('SIGKILL');
    cleanupAll();
    process.exit(128 + (os.constants.signals[sig] ?? 0));
  });
}

// ------------------------------------------------------------ child processes

/**
 * A forked Node child (bench/children/<file>) with a message queue:
 * `next(type)` resolves with the next message of that type, and rejects if
 * the child exits first or after `timeoutMs`. Messages whose type has an
 * entry in `handlers` go to that handler instead of the queue.
 */
function forkChild(file, args = [], { timeoutMs = 120000, handlers = {} } = {}) {
  const child = fork(path.join(CHILDREN_DIR, file), args.map(String), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  liveChildren.add(child);
  const queue = [];
  let waiter = null;
  let exited = null;
  const deliver = () => {
    if (!waiter) return;
    const i = queue.findIndex((m) => m.type === waiter.type);
    if (i >= 0) {
      const w = waiter;
      waiter = null;
      clearTimeout(w.timer);
      w.resolve(queue.splice(i, 1)[0]);
    } else if (exited) {
      const w = waiter;
      waiter = null;
      clearTimeout(w.timer);
      w.reject(new Error(`child ${file} exited (${exited}) before sending '${w.type}'`));
    }
  };
  child.on('message', (m) => {
    const handler = handlers[m?.type];
    if (handler) return handler(m, child);
    queue.push(m);
    deliver();
  });
  child.on('exit', (code, signal) => {
    liveChildren.delete(child);
    exited = signal ? `signal ${signal}` : `code ${code}`;
    deliver();
  });
  child.on('error', (err) => {
    exited = `error ${err.message}`;
    deliver();
  });
  return {
    process: child,
    send: (m) => child.send(m),
    next(type) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = null;
          reject(new Error(`child ${file}: timed out waiting for '${type}'`));
        }, timeoutMs);
        waiter = { type, resolve, reject, timer };
        deliver();
      });
    },
    /** Resolves with the exit code once the child has exited. */
    exit() {
      if (exited) return Promise.resolve(child.exitCode);
      return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
  };
}

// ------------------------------------------------------------------- python

function pythonVersion() {
  try {
    return execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim().replace(/^Python\s*/, '');
  } catch {
    return null;
  }
}

/** Runs bench/python/<script> and returns the last JSON line it printed. */
function runPython(script, args = []) {
  const r = spawnSync('python3', [path.join(PYTHON_DIR, script), ...args.map(String)], {
    encoding: 'utf8',
    timeout: 300000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`python3 ${script} exited with ${r.status}: ${r.stderr.trim()}`);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  if (lines.length === 0) throw new Error(`python3 ${script} printed no JSON: ${r.stdout}`);
  return JSON.parse(lines[lines.length - 1]);
}

// ---------------------------------------------------------------- C floors

// bench/c/<name>.c is compiled once per run into a temporary directory that
// is removed when the run ends. The C programs are floors: the same job with
// only the system calls, measured in the same run as the row.
let cBuildDir = null;
const cBuilds = new Map();

process.on('exit', () => {
  if (cBuildDir) fs.rmSync(cBuildDir, { recursive: true, force: true });
});

/**
 * Compiles bench/c/<name>.c (with zlib if its headers and library are there,
 * otherwise without: the programs have a fallback), or with `shared` into a
 * library for LD_PRELOAD. Returns { ok: true, path, cmd } or
 * { ok: false, reason }; the result is cached.
 */
function buildC(name, { shared = false } = {}) {
  const key = `${name}${shared ? '.so' : ''}`;
  if (cBuilds.has(key)) return cBuilds.get(key);
  const result = (() => {
    if (process.platform !== 'linux') return { ok: false, reason: `C floors are Linux-only (this is ${process.platform})` };
    const cc = process.env.CC || 'cc';
    if (!cBuildDir) cBuildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmem-bench-c-'));
    const out = path.join(cBuildDir, key);
    const src = path.join(C_DIR, `${name}.c`);
    const attempts = shared
      ? [['-O2', '-shared', '-fPIC', '-o', out, src, '-ldl']]
      : [
          ['-O2', '-DHAVE_ZLIB', '-o', out, src, '-lz', '-lpthread'],
          ['-O2', '-o', out, src, '-lpthread'], // no zlib headers/library: the built-in CRC-32
        ];
    let lastErr = '';
    for (const args of attempts) {
      const r = spawnSync(cc, args, { encoding: 'utf8', timeout: 120000 });
      if (r.error) {
        return { ok: false, reason: r.error.code === 'ENOENT' ? `no C compiler ('${cc}' not found; set CC to use another)` : `${cc}: ${r.error.message}` };
      }
      if (r.status === 0) return { ok: true, path: out, cmd: `${cc} ${args.join(' ')}` };
      lastErr = (r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ');
    }
    return { ok: false, reason: `${cc} could not build bench/c/${name}.c: ${lastErr}` };
  })();
  cBuilds.set(key, result);
  return result;
}

/** Runs a program built by buildC and returns the last JSON line it printed. */
function runC(build, args = []) {
  const r = spawnSync(build.path, args.map(String), { encoding: 'utf8', timeout: 300000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${path.basename(build.path)} exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  if (lines.length === 0) throw new Error(`${path.basename(build.path)} printed no JSON: ${r.stdout}`);
  return JSON.parse(lines[lines.length - 1]);
}

// ------------------------------------------------------------------- output

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    python: pythonVersion(),
    kernel: `${os.type()} ${os.release()}`,
    arch: process.arch,
  };
}

function fmtNum(x, unit) {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  if (unit === 'ms') return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(a >= 100 ? 0 : 2);
}

function fmtStat(s, unit) {
  if (!s) return '-';
  if (unit === '×') return `${s.median.toFixed(2)}×`;
  const u = unit === 'ms' ? ' ms' : unit ? ` ${unit}` : '';
  if (s.samples && s.samples.length > 1) return `${fmtNum(s.median, unit)}${u} (${fmtNum(s.min, unit)}–${fmtNum(s.max, unit)})`;
  return `${fmtNum(s.median, unit)}${u}`;
}

/** Evaluates a target { of: 'ratio'|'value', op: '>='|'<=', threshold } against a result. */
function check(target, result) {
  const actual = target.of === 'ratio' ? result.ratio : result.value.median;
  const met = target.op === '>=' ? actual >= target.threshold : actual <= target.threshold;
  return { ...target, actual, met };
}

function describeTarget(t, unit) {
  if (t.label) return t.label;
  const thr = t.of === 'ratio' ? `${t.threshold}×` : `${fmtNum(t.threshold, unit)} ${unit}`;
  return `${t.of === 'ratio' ? 'ratio' : 'value'} ${t.op === '>=' ? '≥' : '≤'} ${thr}`;
}

function pad(s, n) {
  s = String(s);
  const len = [...s].length;
  return len >= n ? s : s + ' '.repeat(n - len);
}

/** Prints the human table for a list of results. */
function printTable(results, out = process.stdout) {
  const rows = [['row / metric', 'shmem median (min–max)', 'baselines median (min–max)', 'ratio', 'target', 'met']];
  for (const r of results) {
    const bases = r.baselines.map((b) => `${b.name}: ${fmtStat(b.value, b.unit)}${b.reference ? ' [ref]' : ''}`);
    const targets = r.targets.map((t) => describeTarget(t, r.unit));
    const ratio = r.ratio === null ? '-' : `${r.ratio.toFixed(2)}×${r.ratioVs ? ` vs ${r.ratioVs}` : ''}`;
    const lines = Math.max(bases.length, targets.length, 1);
    for (let i = 0; i < lines; i++) {
      rows.push([
        i === 0 ? `${r.row} / ${r.metric}` : '',
        i === 0 ? fmtStat(r.value, r.unit) : '',
        bases[i] ?? '',
        i === 0 ? ratio : '',
        targets[i] ?? '',
        r.targets[i] ? (r.targets[i].met ? 'yes' : 'NO') : '',
      ]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => [...String(row[c])].length)));
  const line = (row) => row.map((cell, c) => pad(cell, widths[c])).join(' │ ');
  out.write(`${line(rows[0])}\n${widths.map((w) => '─'.repeat(w)).join('─┼─')}\n`);
  for (const row of rows.slice(1)) out.write(`${line(row)}\n`);
}

/** Logs progress on stderr (so that --json stdout stays clean). */
function log(...args) {
  process.stderr.write(`${args.join(' ')}\n`);
}

module.exports = {
  median,
  stats,
  nowMs,
  onCleanup,
  cleanupAll,
  owned,
  forkChild,
  runPython,
  pythonVersion,
  buildC,
  runC,
  machine,
  fmtNum,
  fmtStat,
  check,
  describeTarget,
  printTable,
  log,
};
