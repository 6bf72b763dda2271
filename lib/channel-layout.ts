// The one description of a Channel's bytes inside its segment. Everything is
// native-endian int32; offsets are in bytes from the start of the segment.
//
//   0 (written by create, read-only afterwards, except ENDED)
//     0  MAGIC      'SHCH', stored last by create: a channel is ready once it reads right
//     4  VERSION    LAYOUT_VERSION; open refuses any other
//     8  CAPACITY   N, the ring's bytes (a multiple of 8, MIN_CAPACITY..MAX_CAPACITY)
//     12 REQUESTED  the capacity asked for (N is it rounded up to a multiple of 8)
//     16 ENDED      0, or 1 after end(): set under the send lock, never cleared
//     20 CHECK      MAGIC ^ VERSION ^ N: a header overwritten by something else fails it
// Each group below has a 128-byte line of its own (a cache line, two on x86),
// so that one side's reads of a cursor do not steal the line of its lock:
//   128 SEND_LOCK  a Mutex (16 bytes): one sender writes at a time
//   256 TAIL       cursor after the last published record
//   384 RECV_LOCK  a Mutex (16 bytes): one receiver reads at a time
//   512 HEAD_TAKEN cursor after the last record a receiver has taken
//   516 HEAD_FREE  cursor up to which the ring's bytes may be written again; it
//                  trails HEAD_TAKEN only while poll() hands out a view in place
//   sleepers (rarely written):
//   640 DATA_WAITERS  receivers asleep (or about to sleep) for data
//   644 SPACE_WAITERS senders asleep (or about to sleep) for room
//   648 DATA_SEQ      futex word receivers sleep on; bumped only when DATA_WAITERS > 0
//   652 SPACE_SEQ     futex word senders sleep on; bumped only when SPACE_WAITERS > 0
//   656 DATA_ARMED    1: a receiver went to sleep since the last wake-up. The
//                     first sender to publish after that clears it and wakes
//                     them all; the others make no system call while the
//                     sleepers are still waking up.
//   768 the ring: N bytes of records
//
// Cursors count bytes modulo M, the largest multiple of N that is at most
// 2^31, so that they fit an int32, a record's place is cursor % N, and a
// cursor comes back to the same value only after M >= 1 GiB of traffic.
// Used bytes = (TAIL - HEAD_FREE) mod M.
//
// A record is 8-aligned: int32 length (payload bytes), int32 kind, then the
// payload padded to a multiple of 8. A record never wraps: when one does not
// fit before the ring's end, a PAD record fills the rest and the record starts
// at offset 0 (so every payload is one contiguous view). A cursor moves past
// a record with one atomic store, after its bytes are written: a process
// killed before that store has published (or taken) nothing.
export const MAGIC = 0x48434853; // 'SHCH'
export const LAYOUT_VERSION = 1;

export const I_MAGIC = 0;
export const I_VERSION = 1;
export const I_CAPACITY = 2;
export const I_REQUESTED = 3;
export const I_ENDED = 4;
export const I_CHECK = 5;
export const SEND_LOCK_OFFSET = 128;
export const I_TAIL = 256 / 4;
export const RECV_LOCK_OFFSET = 384;
export const I_HEAD_TAKEN = 512 / 4;
export const I_HEAD_FREE = 516 / 4;
export const I_DATA_WAITERS = 640 / 4;
export const I_SPACE_WAITERS = 644 / 4;
export const I_DATA_SEQ = 648 / 4;
export const I_SPACE_SEQ = 652 / 4;
export const I_DATA_ARMED = 656 / 4;
export const HEADER_BYTES = 768;

export const RECORD_HEADER = 8;
export const KIND_PAD = 0;
export const KIND_BYTES = 1;
export const KIND_STRING = 2;
export const KIND_VALUE = 3; // V8's serialization format (structured clone; see value-codec.ts)

export const MIN_CAPACITY = 64;
export const MAX_CAPACITY = 2 ** 30;

export function checkWord(n: number): number {
  return (MAGIC ^ LAYOUT_VERSION ^ n) | 0;
}

/** The cursor modulus for a ring of `n` bytes. */
export function cursorModulus(n: number): number {
  return n * Math.floor(2 ** 31 / n);
}

/** What `shmem ls` / `info` show of a channel, read from a copy of its header. */
export interface ChannelSummary {
  /** Bytes for messages, as given to Channel.create. */
  capacity: number;
  /** Bytes of records (headers and padding included) not yet taken by a receiver. */
  bytesWaiting: number;
  /** True after end(). */
  ended: boolean;
}

/** The summary if `header` (the segment's first HEADER_BYTES) is a channel's, else null. */
export function readChannelHeader(header: Buffer): ChannelSummary | null {
  if (header.length < HEADER_BYTES) return null;
  const word = (i: number) => header.readInt32LE(i * 4);
  const n = word(I_CAPACITY);
  if (word(I_MAGIC) !== MAGIC || word(I_VERSION) !== LAYOUT_VERSION || word(I_CHECK) !== checkWord(n)) return null;
  if (n < MIN_CAPACITY || n > MAX_CAPACITY || n % 8 !== 0) return null;
  const m = cursorModulus(n);
  let waiting = word(I_TAIL) - word(I_HEAD_TAKEN);
  if (waiting < 0) waiting += m;
  return { capacity: word(I_REQUESTED), bytesWaiting: Math.min(waiting, n), ended: word(I_ENDED) !== 0 };
}
