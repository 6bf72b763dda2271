export { SharedMemory } from './shared-memory';
export type { SharedMemoryCreateOptions } from './shared-memory';
export { Semaphore } from './semaphore';
export type { SemaphoreCreateOptions, SemaphoreWaitOptions } from './semaphore';
export { AbortError, isSystemError } from './errors';
export type { SystemError } from './errors';
