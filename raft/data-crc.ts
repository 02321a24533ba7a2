// CRC32 (zlib's, the one node:zlib computes) of entry data, computed once per buffer. The leader
// writes each entry's data to its own segment and sends it to every follower, and a follower
// checks a frame's CRC, then writes the data to its segment: four to five passes over every
// byte on the leader, two on a follower. The data CRC is taken once and the CRCs of the
// records and frames around it are combined from the pieces (crc32Combine): the stored and
// sent CRCs are the same bytes as before, only computed with less work.
//
// Entry data is never written to after it is proposed or received (the transport sends and the
// segments store the very buffers), so a CRC cached per buffer object stays true.
import { crc32 } from 'node:zlib';

/** Data shorter than this is hashed each time (cheaper than the cache). */
const CACHED_MIN_BYTES = 4096;
const cache = new WeakMap<Uint8Array, number>();

/** CRC32 of `data`, cached per buffer object when large. */
export function dataCrc32(data: Uint8Array): number {
  if (data.length < CACHED_MIN_BYTES) return crc32(data);
  let crc = cache.get(data);
  if (crc === undefined) {
    crc = crc32(data);
    cache.set(data, crc);
  }
  return crc;
}

/** CRC32 of `prefix` followed by `data`, with `prefix` (a fresh header) hashed and `data`'s CRC
 *  taken from the cache. */
export function crc32Then(prefixCrc: number, data: Uint8Array): number {
  if (data.length < CACHED_MIN_BYTES) return crc32(data, prefixCrc);
  return crc32Combine(prefixCrc, dataCrc32(data), data.length);
}

// ---- combining: crc(A · B) from crc(A), crc(B) and |B|, as zlib's crc32_combine ----
// CRC32 here is reflected with polynomial 0xEDB88320; a CRC is a polynomial over GF(2), and
// appending n bytes to A multiplies its contribution by x^(8n) mod P.

const POLY = 0xedb88320;

/** a(x)·b(x) mod P (reflected bit order). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) mod P. */
const X2N = new Uint32Array(32);
{
  let p = 0x40000000; // x^1
  X2N[0] = p;
  for (let k = 1; k < 32; k++) X2N[k] = p = multModP(p, p);
}

/** x^(8n) mod P. */
function x8nModP(n: number): number {
  let p = 0x80000000; // x^0
  let k = 3;
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** CRC32 of A followed by B, from A's CRC, B's CRC and B's length. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(x8nModP(lengthB), crcA >>> 0) ^ crcB) >>> 0;
}
