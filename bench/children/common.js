'use strict';
// Helpers for bench children: wait for one message of a given type from the parent.

function nextMessage(type) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m && m.type === type) {
        process.off('message', on);
        resolve(m);
      }
    };
    process.on('message', on);
  });
}

/** Sends a message and resolves once it has been written to the IPC channel. */
function send(m) {
  return new Promise((resolve, reject) => process.send(m, (err) => (err ? reject(err) : resolve())));
}

/** Reports a fatal error to the parent (it rejects the pending wait) and exits. */
function fail(err) {
  process.stderr.write(`${process.argv[1]}: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
}

/**
 * Adds 1 to an 8-byte little-endian counter (what Python's int.to_bytes(8, 'little') stores) through
 * its two 32-bit halves, so that no BigInt is allocated per step. `u32` is a Uint32Array of length 2
 * over the counter. Only ever called under a lock.
 */
function increment8(u32) {
  const lo = u32[0] + 1;
  if (lo > 0xffffffff) {
    u32[0] = 0;
    u32[1] += 1;
  } else {
    u32[0] = lo;
  }
}

module.exports = { nextMessage, send, fail, increment8 };
