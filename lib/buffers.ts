// Buffers made straight from their class. Buffer#subarray and a Buffer's
// TypedArray#slice go through argument checks and the species lookup, which
// for a 64-byte message cost more than the copy: the Channel makes one
// Buffer per message, so this is where its receiving time goes.
//
// Node's Buffer[Symbol.species] is the class its Buffers are made with
// (FastBuffer: a Uint8Array subclass whose prototype is Buffer.prototype).
// Should a Node version not have it, the public methods are used instead.

type BufferClass = new (bufferOrLength: ArrayBufferLike | number, byteOffset?: number, length?: number) => Buffer;

const FastBuffer: BufferClass | undefined = (() => {
  const species = (Buffer as unknown as { [Symbol.species]?: unknown })[Symbol.species];
  if (typeof species !== 'function' || species === Buffer) return undefined;
  try {
    const probe = new (species as BufferClass)(new ArrayBuffer(8), 4, 2);
    return Buffer.isBuffer(probe) && probe.byteOffset === 4 && probe.length === 2 ? (species as BufferClass) : undefined;
  } catch {
    return undefined;
  }
})();

const sliceCopy = Uint8Array.prototype.slice as (this: Buffer, start: number, end: number) => Buffer;

/** A Buffer viewing `length` bytes of `ab` at `offset` (no copy). */
export function viewOf(ab: ArrayBufferLike, offset: number, length: number): Buffer {
  return FastBuffer !== undefined ? new FastBuffer(ab, offset, length) : Buffer.from(ab, offset, length);
}

/** A Buffer with its own memory holding a copy of `length` bytes of `ab` at `offset`. */
export function copyOf(ab: ArrayBufferLike, offset: number, length: number): Buffer {
  if (FastBuffer === undefined) return sliceCopy.call(Buffer.from(ab, offset, length), 0, length);
  const out = new FastBuffer(length);
  out.set(new Uint8Array(ab, offset, length));
  return out;
}
