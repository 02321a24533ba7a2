import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBinlogNames, nextBinlogName } from '../../../src/syncer/binlog-name.js';

test('binlog names order by their number, past the width of the extension', () => {
  assert.ok(compareBinlogNames('up-bin.000009', 'up-bin.000010') < 0);
  assert.ok(compareBinlogNames('up-bin.999999', 'up-bin.1000000') < 0, 'a wider number is later, though it sorts first as text');
  assert.equal(compareBinlogNames('up-bin.000007', 'up-bin.000007'), 0);
  assert.ok(compareBinlogNames(nextBinlogName('up-bin.000007'), 'up-bin.000007') > 0);
});
