// Helpers shared by the Mutex and wait/notify tests (not a test file).
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

import { forkFixture, onceMessage } from './helpers';

let nextId = 1;

/** The next IPC message matching `filter`; rejects once the child is gone ('close'). */
export const nextMessage = onceMessage;

export interface Reply {
  id: number;
  result?: any;
  ownerDied?: boolean;
  waiting?: boolean;
  error?: { name?: string; code?: string; message?: string };
}

/** Forks a command-driven fixture and resolves once it reports ready. */
export async function startAgent(file: string, args: string[]): Promise<{ child: ChildProcess; pid: number }> {
  const child = forkFixture(file, args);
  const ready = await nextMessage(child, (m) => m && m.ready === true);
  return { child, pid: ready.pid };
}

/**
 * Sends a command; `reply` resolves with its final reply. With `withWaiting`,
 * `waiting` resolves with the fixture's notice that it is about to wait.
 */
export function ask(child: ChildProcess, msg: object, withWaiting = false): { id: number; reply: Promise<Reply>; waiting: Promise<Reply> } {
  const id = nextId++;
  const reply = nextMessage<Reply>(child, (m) => m && m.id === id && !m.waiting);
  const waiting = withWaiting ? nextMessage<Reply>(child, (m) => m && m.id === id && m.waiting === true) : reply;
  // A caller may await only one of the two: keep the other from reporting an unhandled rejection.
  reply.catch(() => {});
  waiting.catch(() => {});
  child.send({ id, ...msg });
  return { id, reply, waiting };
}

/** Sends a command and resolves with its reply. */
export function command(child: ChildProcess, msg: object): Promise<Reply> {
  return ask(child, msg).reply;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The state letter of /proc/<pid>/stat (R, S, T, Z…), or null if the process is gone. */
export function procState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return null;
  }
}

/** Polls `cond` every `everyMs` until it holds, at most `tries` times; returns whether it held. */
export async function pollUntil(cond: () => boolean, tries = 500, everyMs = 10): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return true;
    await sleep(everyMs);
  }
  return cond();
}
