// The ES module entry ("import" in package.json's exports map). It re-exports
// the CommonJS build instead of being a second copy of the library: one
// module instance per process whichever way it is loaded, so classes and
// instanceof agree and the native state is shared (no dual-package hazard).
// test/esm.test.ts checks that this list matches index.ts.
export { SharedMemory, Semaphore, Mutex, Channel, Struct, StructLayout, ShareableList, attach, wait, waitAsync, notify, AbortError, isSystemError } from './index.js';
export type * from './index.js';
