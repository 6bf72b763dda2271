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

module.exports = { nextMessage, send, fail };
