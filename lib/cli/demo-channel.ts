// The demo's second part: messages from one process to another, through a
// Channel and through process.send, the same messages side by side. The
// receiving child is lib/cli/demo-channel-child.ts.
import { fork } from 'node:child_process';
import * as path from 'node:path';

import { Channel } from '../index';

const CHILD = path.join(__dirname, 'demo-channel-child.js');

export interface ChannelDemoResult {
  messages: number;
  channelPerSecond: number;
  sendPerSecond: number;
}

function message(i: number): { id: number; text: string } {
  return { id: i, text: 'a small job description, about sixty-four bytes long' };
}

/** Sends `messages` small objects to a forked child each way; resolves with both rates. */
export async function runChannelDemo(messages: number, signal?: AbortSignal): Promise<ChannelDemoResult> {
  const ch = Channel.create({ capacity: 1 << 20, unlinkOnExit: true });
  const child = fork(CHILD, [ch.name, String(messages)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  const onAbort = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const next = (type: string) =>
      new Promise<any>((resolve, reject) => {
        const onMessage = (m: any) => {
          if (m?.type !== type) return;
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(m);
        };
        const onExit = (code: number | null, sig: string | null) => reject(Object.assign(new Error(`the receiving child exited (${sig ?? code})`), { interruptedBy: sig }));
        child.on('message', onMessage);
        child.once('exit', onExit);
      });
    await next('ready');
    // Through the channel: the child receives with receiveSync.
    child.send({ type: 'channel' });
    for (let i = 0; i < messages; i++) {
      const job = message(i);
      if (!ch.trySend(job)) await ch.send(job); // full: wait for room without blocking the event loop
    }
    const viaChannel = await next('done');
    // Through process.send (serialization 'advanced', V8's serializer as the channel uses).
    child.send({ type: 'ipc' });
    await next('listening');
    for (let i = 0; i < messages; i++) {
      if (i % 1000 === 999) await new Promise((resolve) => child.send({ type: 'job', job: message(i) }, resolve));
      else child.send({ type: 'job', job: message(i) });
    }
    const viaSend = await next('done');
    return { messages, channelPerSecond: messages / (viaChannel.ms / 1000), sendPerSecond: messages / (viaSend.ms / 1000) };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    child.kill('SIGKILL');
    ch.close();
    ch.unlink();
  }
}
