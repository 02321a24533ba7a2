// Fixed-width u64 big-endian values for small records (the applied index…). Safe integers only.

const TWO_POW_32 = 0x1_0000_0000;

export function u64Bytes(v: number): Buffer {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${v} is not a safe u64`);
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(Math.floor(v / TWO_POW_32), 0);
  b.writeUInt32BE(v % TWO_POW_32, 4);
  return b;
}

export function u64FromBytes(b: Uint8Array): number {
  if (b.length !== 8) throw new RangeError('a u64 record must be 8 bytes');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const v = view.getUint32(0) * TWO_POW_32 + view.getUint32(4);
  if (!Number.isSafeInteger(v)) throw new RangeError('u64 record is not a safe integer');
  return v;
}
