// `shmem ls` shows channels as their own kind; `shmem info` shows a channel's
// capacity and the bytes waiting in it; `rm` and `prune` treat it as a segment.
import { Channel, SharedMemory } from '..';
import { cleanupPaths, shmem, shmemJson } from './cli-run';
import { cleanupNames, uniqueName } from './helpers';

const open: Array<{ close(): void }> = [];

afterEach(() => {
  for (const o of open.splice(0)) o.close();
  cleanupNames();
  cleanupPaths();
});

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('channels in the CLI', () => {
  test('ls: KIND channel, and channel: { capacity, bytesWaiting, ended } in --json; a plain segment stays a segment', async () => {
    const name = uniqueName();
    const ch = Channel.create({ name, capacity: 1000 });
    open.push(ch);
    const plainName = uniqueName();
    open.push(SharedMemory.create({ name: plainName, size: 4096 }));
    ch.trySend('hello'); // 8 + 8 bytes
    ch.trySend(Buffer.alloc(20)); // 8 + 24
    const text = await shmem(['ls']);
    expect(text.code).toBe(0);
    const row = text.stdout.split('\n').find((l) => l.endsWith(` ${name}`))!;
    expect(row.split(/\s+/)[0]).toBe('channel');
    const plainRow = text.stdout.split('\n').find((l) => l.endsWith(` ${plainName}`))!;
    expect(plainRow.split(/\s+/)[0]).toBe('segment');
    const { json } = await shmemJson(['ls', '--json']);
    const entry = json.find((o: any) => o.name === name);
    expect(entry).toMatchObject({ kind: 'channel', channel: { capacity: 1000, bytesWaiting: 48, ended: false } });
    expect(json.find((o: any) => o.name === plainName).channel).toBeUndefined();
  });

  test('info: capacity and bytes waiting, and whether it has ended; rm removes it as a segment', async () => {
    const name = uniqueName();
    const ch = Channel.create({ name, capacity: 4096 });
    open.push(ch);
    ch.trySend({ id: 1 });
    ch.end();
    const run = await shmem(['info', name]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`channel ${name}`);
    expect(lines).toContain('  capacity   4096 bytes for messages');
    expect(lines.find((l) => l.startsWith('  waiting'))).toMatch(/^ {2}waiting {4}\d+ bytes of messages not yet received \(ended: no more sends\)$/);
    ch.tryReceive();
    const { json } = await shmemJson(['info', '--json', name]);
    expect(json[0]).toMatchObject({ kind: 'channel', channel: { capacity: 4096, bytesWaiting: 0, ended: true } });
    const rm = await shmem(['rm', name]);
    expect(rm.code).toBe(0);
    expect(() => Channel.open(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
