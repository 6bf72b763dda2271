// What every shmem handle carries so that it can travel to another process
// or thread: an own enumerable property `$shmem`, a plain JSON-safe object
// `{ kind, … }`, and `toJSON()` giving `{ $shmem }`. JSON (fork's default),
// V8's serializer (fork with serialization: 'advanced') and structured clone
// (workerData, postMessage) all keep own enumerable data and drop the rest,
// so what arrives is the description; attach() (attach.ts) opens it again.

/** A {@link SharedMemory} as it travels. */
export interface SharedMemoryDescription {
  /** What kind of handle this describes. */
  kind: 'shared-memory';
  /** The segment's name. */
  name: string;
}

/** A {@link Semaphore} as it travels. */
export interface SemaphoreDescription {
  /** What kind of handle this describes. */
  kind: 'semaphore';
  /** The semaphore's name. */
  name: string;
}

/** A {@link Mutex} as it travels: its segment and place. */
export interface MutexDescription {
  /** What kind of handle this describes. */
  kind: 'mutex';
  /** The segment's name. */
  name: string;
  /** The mutex's byte offset in the segment. */
  offset: number;
}

/** A {@link Channel} as it travels. */
export interface ChannelDescription {
  /** What kind of handle this describes. */
  kind: 'channel';
  /** The channel's name. */
  name: string;
}

/** A handle as JSON (what its `toJSON()` gives): its description alone. */
export interface HandleJSON<D> {
  /** The handle's description, as its `$shmem`. */
  $shmem: D;
}

/** Defines the own, enumerable, read-only `$shmem` of a handle. */
export function defineDescription(handle: object, description: object): void {
  Object.defineProperty(handle, '$shmem', { value: Object.freeze(description), enumerable: true, configurable: false, writable: false });
}
