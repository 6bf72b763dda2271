'use strict';
// counter-ipc child (baseline of counter-semaphore): K increments, each one a
// process.send round trip asking the parent to increment its counter.
// argv: K
const { nextMessage, send, fail } = require('./common');

async function main() {
  const K = Number(process.argv[2]);
  let wake = null;
  await send({ type: 'ready' });
  await nextMessage('go');
  process.on('message', (m) => {
    if (m.type === 'ack' && wake) {
      const w = wake;
      wake = null;
      w();
    }
  });
  const inc = { type: 'inc' };
  for (let i = 0; i < K; i++) {
    await new Promise((resolve) => {
      wake = resolve;
      process.send(inc);
    });
  }
  await send({ type: 'done' });
  process.disconnect();
}

main().catch(fail);
