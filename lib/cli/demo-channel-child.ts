// The receiving side of the demo's message part (lib/cli/demo-channel.ts): takes
// N messages from the Channel, then N from process.send, timing each from the
// first message to the last.
import { Channel } from '../index';

const [name, countArg] = process.argv.slice(2);
const count = Number(countArg);
const ch = Channel.open(name);
process.on('disconnect', () => process.exit(0));

let received = 0;
let t0 = 0;
process.on('message', (m: any) => {
  if (m.type === 'channel') {
    let n = 0;
    for (;;) {
      const job = ch.receiveSync() as { id: number };
      if (n === 0) t0 = performance.now();
      if (job.id !== n) throw new Error(`message ${job.id} arrived as number ${n}`);
      if (++n === count) break;
    }
    process.send!({ type: 'done', ms: performance.now() - t0 });
  } else if (m.type === 'ipc') {
    received = 0;
    process.send!({ type: 'listening' });
  } else if (m.type === 'job') {
    if (received === 0) t0 = performance.now();
    if (m.job.id !== received) throw new Error(`message ${m.job.id} arrived as number ${received}`);
    if (++received === count) process.send!({ type: 'done', ms: performance.now() - t0 });
  }
});
process.send!({ type: 'ready' });
