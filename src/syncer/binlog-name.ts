// The relay's own file sequence: after an upstream switch the relay goes on under its current
// base name with the next number (`up-bin.000007` → `up-bin.000008`), never reusing a name.

/** base.NNNNNN: the base name and the number. */
const NUMBERED = /^(.*)\.(\d+)$/;

/** Orders two names of one relay's files: by number under one base name (base.NNNNNN). */
export function compareBinlogNames(a: string, b: string): number {
  const ma = NUMBERED.exec(a);
  const mb = NUMBERED.exec(b);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The name after `name`: its numeric extension plus one, keeping at least its width. */
export function nextBinlogName(name: string): string {
  const m = NUMBERED.exec(name);
  if (!m) return `${name}.000001`;
  const digits = m[2]!;
  return `${m[1]}.${String(Number(digits) + 1).padStart(digits.length, '0')}`;
}
