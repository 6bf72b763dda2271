// Handles dropped without close() are released by the garbage collector:
// run in a child with --expose-gc (fixtures/gc.js), checked via /proc/self/maps.
import { cleanupNames, forkFixture, killChildren, uniqueName } from './helpers';
import { collect, ownShmEntries } from './shm-helpers';

afterEach(() => {
  cleanupNames();
  killChildren();
});

async function run(mode: 'plain' | 'views' | 'keep-view'): Promise<any> {
  const prefix = uniqueName();
  const child = forkFixture('gc.js', [prefix, mode], { execArgv: ['--expose-gc'] });
  const { messages, code, signal } = await collect(child);
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(messages).toHaveLength(1);
  expect(messages[0].type).toBe('report');
  // The fixture unlinks every name it creates.
  expect(ownShmEntries().filter((e) => e.includes(prefix))).toEqual([]);
  return messages[0];
}

describe('garbage collection of unclosed handles (child process)', () => {
  test('created and opened SharedMemory and Semaphore handles are unmapped once unreachable', async () => {
    const report = await run('plain');
    // 40 created + 40 creators + 80 opened segments; 40 semaphores (created + opened share one mapping).
    expect(report.handles).toBe(240);
    expect(report.before).toEqual({ shm: 160, sem: 40 });
    expect(report.after).toEqual({ shm: 0, sem: 0 });
  });

  test('the same with extra views (subarray, Int32Array, DataView) dropped along with the handles', async () => {
    const report = await run('views');
    expect(report.before).toEqual({ shm: 160, sem: 40 });
    expect(report.after).toEqual({ shm: 0, sem: 0 });
  });

  test('memory stays mapped while a view is reachable after its handle was dropped, then is unmapped', async () => {
    const report = await run('keep-view');
    expect(report.whileReachable).toEqual({ mapped: 1, length: 16, sum: 16 * 0x33 });
    expect(report.after).toEqual({ shm: 0, sem: 0 });
  });
});

// vm.max_map_count is Linux's: elsewhere there is no such limit to stop short of.
const linuxTest = process.platform === 'linux' ? test : test.skip;

linuxTest('dropping segments in a loop that never yields ends in an ENOMEM exception, not a crash (Linux)', async () => {
  // vm.max_map_count caps a process's mappings; shmem stops short of it.
  const prefix = uniqueName();
  const child = forkFixture('map-budget.js', [prefix], { execArgv: ['--max-old-space-size=256'] });
  const { messages, code, signal } = await collect(child);
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(messages).toHaveLength(1);
  const r = messages[0];
  expect(r).toMatchObject({ code: 'ENOMEM', syscall: 'mmap', hint: true, recovered: true });
  expect(r.stoppedAt).toBeGreaterThan(1000);
  expect(ownShmEntries().filter((e) => e.includes(prefix))).toEqual([]);
});

