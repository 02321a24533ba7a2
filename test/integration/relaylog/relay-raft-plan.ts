// The synthetic binlog file the relay crash test writes, and where its transactions start.
import { SyntheticFile } from '../../unit/server/synthetic-binlog.js';

export function planFile(): { file: SyntheticFile; starts: number[] } {
  const file = new SyntheticFile('crash-bin.000001');
  const starts = [4];
  let pos = 4;
  for (const e of file.events) pos += e.length;
  starts.push(pos); // the header events form the first group
  for (let k = 0; k < 400; k++) {
    file.transaction(300 + (k % 13) * 700);
    starts.push(file.pos);
  }
  return { file, starts };
}
