'use strict';
// bulk child: already running before the timed part starts. Run as a forked
// process (gets the segment NAME in 'go', attaches, checksums, closes) or, for
// the baseline, as a worker thread (gets the SharedArrayBuffer in 'go',
// checksums). The checksum is zlib.crc32 over the whole block in both.
const { isMainThread, parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');

const now = () => Number(process.hrtime.bigint()) / 1e6;
zlib.crc32(Buffer.alloc(4096)); // load and warm the binding before 'ready'

if (isMainThread) {
  const { SharedMemory } = require('../..');
  const { nextMessage, send, fail } = require('./common');
  (async () => {
    await send({ type: 'ready' });
    const { name } = await nextMessage('go');
    const t0 = now();
    const shm = SharedMemory.open(name);
    let crc;
    let t1;
    let t2;
    let faults;
    try {
      t1 = now();
      const f0 = process.resourceUsage().minorPageFault;
      crc = zlib.crc32(shm.buffer);
      faults = process.resourceUsage().minorPageFault - f0;
      t2 = now();
      // The round trip ends when the checksum arrives; unmapping is clean-up
      // after it (the worker baseline has none), so it comes after the send.
      await send({ type: 'result', crc, size: shm.size, attachMs: t1 - t0, crcMs: t2 - t1, crcFaults: faults });
    } finally {
      shm.close();
    }
    process.disconnect();
  })().catch(fail);
} else {
  parentPort.postMessage({ type: 'ready' });
  parentPort.once('message', ({ sab }) => {
    const t1 = now();
    const f0 = process.resourceUsage().minorPageFault; // process-wide; the main thread is idle meanwhile
    const crc = zlib.crc32(new Uint8Array(sab));
    const faults = process.resourceUsage().minorPageFault - f0;
    const t2 = now();
    parentPort.postMessage({ type: 'result', crc, size: sab.byteLength, attachMs: 0, crcMs: t2 - t1, crcFaults: faults });
  });
}
