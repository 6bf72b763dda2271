// attach(): turns the descriptions of handles that travelled in a message
// (see handle-description.ts) back into open handles.
import { Channel } from './channel';
import { invalidArgValue } from './errors';
import { Mutex } from './mutex';
import { Semaphore } from './semaphore';
import { ShareableList, shareableListOver } from './shareable-list';
import { SharedMemory } from './shared-memory';
import { Struct, type StructLayout, type StructLayoutDescription } from './struct';

const KINDS = 'shared-memory, semaphore, mutex, channel, struct or shareable-list';

function isLive(v: object): boolean {
  return v instanceof SharedMemory || v instanceof Semaphore || v instanceof Mutex || v instanceof Channel || v instanceof ShareableList || Struct.isView(v);
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function str(d: Record<string, unknown>, key: string, path: string): string {
  const v = d[key];
  if (typeof v !== 'string' || v.length === 0) throw invalidArgValue(`${path}.$shmem.${key}`, String(v), 'must be a non-empty string');
  return v;
}

function int(d: Record<string, unknown>, key: string, path: string): number {
  const v = d[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalidArgValue(`${path}.$shmem.${key}`, String(v), 'must be an integer >= 0');
  return v;
}

// A layout from its description (StructLayout.toJSON()), nested ones included.
function layoutFrom(d: unknown, path: string): StructLayout<unknown> {
  const desc = d as StructLayoutDescription;
  if (desc === null || typeof desc !== 'object' || !Array.isArray(desc.fields)) {
    throw invalidArgValue(`${path}.$shmem.layout`, JSON.stringify(d) ?? String(d), 'must be a layout description ({ fields, pack? })');
  }
  const fields = desc.fields.map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw invalidArgValue(`${path}.$shmem.layout.fields`, JSON.stringify(pair), 'must hold [name, type] pairs');
    const [name, type] = pair;
    if (typeof type === 'string') return [name, type];
    if (Array.isArray(type)) return [name, [layoutFrom(type[0], path), type[1]]];
    return [name, layoutFrom(type, path)];
  });
  return Struct.define(fields as never, desc.pack === undefined ? undefined : { pack: desc.pack }) as StructLayout<unknown>;
}

/**
 * Opens every handle description in `value` (as handles travel: see a
 * handle's `$shmem` and `toJSON()`), walking arrays and plain objects
 * (cycles and shared parts kept), and returns a copy of `value` with open
 * handles in their places; other values, and handles that are already open,
 * are left as they are. Each segment is opened once, however many handles
 * in `value` live in it: closing it (`shm.close()`,
 * `Struct.segmentOf(view).close()`, `list.shm.close()`) closes it for all of
 * them. The caller owns what it attached: close it when done. Nothing is
 * unlinked by attaching or closing.
 *
 * @throws `ERR_INVALID_ARG_VALUE` for a description of an unknown kind or
 * with bad fields; what opening throws (`ENOENT`, …). Then whatever this
 * call had opened is closed again.
 *
 * @example
 * ```ts
 * import { fork } from 'node:child_process';
 * declare const stats: SharedMemory;
 * declare const lock: Semaphore;
 * // parent (JSON, 'advanced', workerData or postMessage, or JSON.stringify into argv):
 * fork('./child.js').send({ job: 1, stats, lock });
 * // child.js:
 * process.on('message', (m) => {
 *   const { job, stats, lock } = attach<{ job: number; stats: SharedMemory; lock: Semaphore }>(m);
 * });
 * ```
 */
export function attach<T = any>(value: unknown): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  const segments = new Map<string, SharedMemory>();
  const opened: Array<{ close(): void; closed: boolean }> = [];
  const done = new Map<object, unknown>(); // cycles and shared parts stay so

  const segment = (name: string): SharedMemory => {
    let shm = segments.get(name);
    if (shm === undefined) {
      shm = SharedMemory.open(name);
      segments.set(name, shm);
      opened.push(shm);
    }
    return shm;
  };

  const open = (d: Record<string, unknown>, path: string): unknown => {
    switch (d.kind) {
      case 'shared-memory':
        return segment(str(d, 'name', path));
      case 'semaphore': {
        const sem = Semaphore.open(str(d, 'name', path));
        opened.push(sem);
        return sem;
      }
      case 'mutex':
        return Mutex.attach(segment(str(d, 'name', path)), int(d, 'offset', path));
      case 'channel': {
        const ch = Channel.open(str(d, 'name', path));
        opened.push(ch);
        return ch;
      }
      case 'struct': {
        const layout = layoutFrom(d.layout, path);
        return layout.attach(segment(str(d, 'name', path)), int(d, 'offset', path));
      }
      case 'shareable-list':
        return shareableListOver(segment(str(d, 'name', path)));
      default:
        throw invalidArgValue(`${path}.$shmem.kind`, String(d.kind), `is not a kind of shmem handle (${KINDS})`);
    }
  };

  const walk = (v: unknown, path: string): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (done.has(v)) return done.get(v);
    if (isLive(v)) return v;
    const d = (v as { $shmem?: unknown }).$shmem;
    if (d !== null && typeof d === 'object' && Object.prototype.hasOwnProperty.call(v, '$shmem') && isPlain(v)) {
      const handle = open(d as Record<string, unknown>, path);
      done.set(v, handle);
      return handle;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      done.set(v, out);
      v.forEach((x, i) => out.push(walk(x, `${path}[${i}]`)));
      return out;
    }
    if (!isPlain(v)) return v;
    const out: Record<string, unknown> = {};
    done.set(v, out);
    for (const k of Object.keys(v)) out[k] = walk((v as Record<string, unknown>)[k], `${path}.${k}`);
    return out;
  };

  try {
    return walk(value, 'value') as T;
  } catch (err) {
    for (const h of opened.reverse()) if (!h.closed) h.close();
    throw err;
  }
}
