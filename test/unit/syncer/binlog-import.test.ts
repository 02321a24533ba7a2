import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { importBinlogDir, type ImportRecord } from '../../../src/syncer/binlog-import.js';
import { BinlogImportError, type BinlogImportErrorCode } from '../../../src/syncer/binlog-import-error.js';
import { BINLOG_READ_CHUNK } from '../../../src/binlog/binlog-file.js';
import { SyntheticBinlog } from './synthetic-binlog.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function binlogDir(files: Record<string, Uint8Array | string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-import-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** Records what was proposed; every proposal resolves on a later tick, as raft's would. */
function collector(): { records: ImportRecord[]; propose: (r: ImportRecord) => Promise<number> } {
  const records: ImportRecord[] = [];
  return { records, propose: async (record) => {
    records.push(record);
    await new Promise((r) => setImmediate(r));
    return records.length;
  } };
}

/** Per file, the proposed BINLOG bytes, checked to continue each other from position 4. */
function bytesByFile(records: ImportRecord[]): Map<string, Buffer> {
  const out = new Map<string, Buffer[]>();
  const end = new Map<string, number>();
  for (const r of records) {
    assert.equal(r.kind, 'binlog');
    if (r.kind !== 'binlog') continue;
    assert.equal(r.pos, end.get(r.file) ?? 4, `${r.file}: record at ${r.pos} continues the one before`);
    end.set(r.file, r.pos + r.bytes.length);
    out.set(r.file, [...(out.get(r.file) ?? []), Buffer.from(r.bytes)]);
  }
  return new Map([...out].map(([file, parts]) => [file, Buffer.concat(parts)]));
}

/** What a dump sends of a file: its bytes after the magic, the FDE's IN_USE flag cleared. */
function dumped(file: Buffer, end = file.length): Buffer {
  const out = Buffer.from(file.subarray(4, end));
  out[17] = out[17]! & ~0x01;
  return out;
}

async function refusal(promise: Promise<unknown>, code: BinlogImportErrorCode): Promise<BinlogImportError> {
  const err = await promise.then(() => assert.fail(`expected ${code}`), (e: unknown) => e);
  assert.ok(err instanceof BinlogImportError, `a BinlogImportError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return err;
}

test('numbered files are imported in order, byte for byte as a dump sends them, cut as the syncer cuts', async () => {
  const one = new SyntheticBinlog().ddl('CREATE TABLE t (id INT)').transaction([100, 200]).rotate('up-bin.000002').bytes();
  // 3 MiB transaction: split into 1 MiB pieces; then many small ones: batched to ~256 KiB.
  const two = new SyntheticBinlog({ firstSeq: 2n }).transaction([1.5 * MiB, 1.5 * MiB]);
  for (let i = 0; i < 200; i++) two.transaction([4000]);
  const twoBytes = two.rotate('up-bin.000010').bytes();
  const three = new SyntheticBinlog({ inUse: true, firstSeq: 300n }).transaction([10]).bytes();
  const dir = binlogDir({ 'up-bin.000009': one, 'up-bin.000010': twoBytes, 'up-bin.000011': three, 'up-bin.state': 'not a binlog' });
  const { records, propose } = collector();

  const result = await importBinlogDir(dir, propose);

  assert.deepEqual(result.files, ['up-bin.000009', 'up-bin.000010', 'up-bin.000011']);
  assert.equal(result.lastFile, 'up-bin.000011');
  assert.equal(result.lastPos, three.length);
  assert.equal(result.bytes, one.length + twoBytes.length + three.length - 12);
  const files = bytesByFile(records);
  assert.deepEqual(files.get('up-bin.000009'), dumped(one));
  assert.deepEqual(files.get('up-bin.000010'), dumped(twoBytes));
  assert.deepEqual(files.get('up-bin.000011'), dumped(three));
  const binlogs = records.filter((r) => r.kind === 'binlog');
  const pieces = binlogs.filter((r) => !r.endsAtBoundary);
  assert.equal(pieces.length, 3, 'the 3 MiB transaction went out as pieces without the boundary flag');
  for (const r of binlogs) assert.ok(r.bytes.length <= MiB + 64 * 1024, `record of ${r.bytes.length} bytes within the bound`);
  const batches = binlogs.filter((r) => r.file === 'up-bin.000010' && r.endsAtBoundary && r.pos > 3 * MiB);
  assert.ok(batches.length >= 3 && batches.length <= 5, `200 small transactions batched into ~256 KiB records (${batches.length})`);
});

test('the FDE of a file still open is sent with IN_USE cleared and a CRC32 valid as it stands', async () => {
  const open = new SyntheticBinlog({ inUse: true }).transaction([10]).bytes();
  assert.equal(open[4 + 17]! & 0x01, 1, 'the flag is set on disk');
  const { records, propose } = collector();
  await importBinlogDir(binlogDir({ 'up-bin.000001': open }), propose);
  const fdeLength = open.readUInt32LE(4 + 9);
  const fde = Buffer.from(bytesByFile(records).get('up-bin.000001')!.subarray(0, fdeLength));
  assert.equal(fde[17]! & 0x01, 0);
  assert.equal(crc32(fde.subarray(0, fdeLength - 4)), fde.readUInt32LE(fdeLength - 4));
});

test('the index file is honoured: its files only, in its order, names relative or absolute found in the directory', async () => {
  const files = {
    'up-bin.000001': new SyntheticBinlog().transaction([10]).rotate('up-bin.000002').bytes(),
    'up-bin.000002': new SyntheticBinlog({ firstSeq: 1n }).transaction([20]).rotate('up-bin.000003').bytes(),
    'up-bin.000003': new SyntheticBinlog({ firstSeq: 2n, inUse: true }).transaction([30]).bytes(),
    'aria_log.00000001': 'Aria log, not a binlog',
  };
  for (const index of ['./up-bin.000002\n./up-bin.000003\n', '/var/lib/mysql/up-bin.000002\n/var/lib/mysql/up-bin.000003\n']) {
    const { records, propose } = collector();
    const result = await importBinlogDir(binlogDir({ ...files, 'up-bin.index': index }), propose);
    assert.deepEqual(result.files, ['up-bin.000002', 'up-bin.000003']);
    assert.deepEqual([...bytesByFile(records).keys()], ['up-bin.000002', 'up-bin.000003']);
  }
  const { propose } = collector();
  const missing = await refusal(importBinlogDir(binlogDir({ ...files, 'up-bin.index': './up-bin.000003\n./up-bin.000004\n' }), propose), 'IMPORT_MISSING_FILE');
  assert.match(missing.file!, /up-bin\.000004$/);
});

test('a gap in the numbering is refused naming the file after it, before anything is proposed', async () => {
  const file = new SyntheticBinlog().transaction([10]).bytes();
  const { records, propose } = collector();
  const err = await refusal(importBinlogDir(binlogDir({ 'up-bin.000001': file, 'up-bin.000002': file, 'up-bin.000004': file }), propose), 'IMPORT_GAP');
  assert.match(err.file!, /up-bin\.000004$/);
  assert.match(err.message, /up-bin\.000003 is missing/);
  assert.equal(records.length, 0);
});

test('mixed base names are refused naming the odd file', async () => {
  const file = new SyntheticBinlog().transaction([10]).bytes();
  const { propose } = collector();
  const err = await refusal(importBinlogDir(binlogDir({ 'up-bin.000001': file, 'other-bin.000002': file }), propose), 'IMPORT_MIXED_NAMES');
  assert.match(err.file!, /(up|other)-bin\.00000[12]$/);
  const chosen = await importBinlogDir(binlogDir({ 'up-bin.000001': file, 'other-bin.000002': file }), propose, { baseName: 'up-bin' });
  assert.deepEqual(chosen.files, ['up-bin.000001'], 'a base name picks one set');
});

test('a file without the binlog magic is refused naming it, before anything is proposed', async () => {
  const good = new SyntheticBinlog().transaction([10]).rotate('up-bin.000002').bytes();
  const bad = Buffer.from(new SyntheticBinlog().transaction([10]).bytes());
  bad[0] = 0;
  const { records, propose } = collector();
  const err = await refusal(importBinlogDir(binlogDir({ 'up-bin.000001': good, 'up-bin.000002': bad }), propose), 'IMPORT_BAD_MAGIC');
  assert.match(err.file!, /up-bin\.000002$/);
  assert.equal(records.length, 0);
  await refusal(importBinlogDir(binlogDir({ 'up-bin.000001': Buffer.from([0xfe, 0x62]) }), propose), 'IMPORT_BAD_MAGIC');
});

test('a bad CRC32 is refused naming file and offset; pieces of the transaction it cuts are aborted', async () => {
  const one = new SyntheticBinlog().transaction([10]).rotate('up-bin.000002').bytes();
  const build = new SyntheticBinlog({ firstSeq: 1n }).transaction([20]);
  const bigStart = build.length;
  const two = Buffer.from(build.transaction([MiB, MiB, MiB]).rotate('up-bin.000003').bytes());
  const three = new SyntheticBinlog({ firstSeq: 3n, inUse: true }).transaction([10]).bytes();
  // Damage the last row event: the first two MiB already went out as pieces.
  const lastRowAt = bigStart + 42 + 2 * (MiB + 23);
  two[lastRowAt + 100] = two[lastRowAt + 100]! ^ 0xff;
  const { records, propose } = collector();
  const err = await refusal(importBinlogDir(binlogDir({ 'up-bin.000001': one, 'up-bin.000002': two, 'up-bin.000003': three }), propose), 'IMPORT_CORRUPT');
  assert.match(err.file!, /up-bin\.000002$/);
  assert.equal(err.offset, lastRowAt);
  assert.match(err.message, /CRC32/);
  assert.ok(records.some((r) => r.kind === 'binlog' && !r.endsAtBoundary), 'pieces had gone out');
  assert.deepEqual(records[records.length - 1], { kind: 'abort', file: 'up-bin.000002', pos: bigStart });
  assert.ok(!records.some((r) => r.kind === 'binlog' && r.file === 'up-bin.000003'), 'nothing after the damage');
});

test('a damaged last file is refused before anything is proposed', async () => {
  const one = new SyntheticBinlog().transaction([10]).rotate('up-bin.000002').bytes();
  const two = Buffer.from(new SyntheticBinlog({ firstSeq: 1n, inUse: true }).transaction([20]).transaction([30]).bytes());
  two[two.length - 10] = two[two.length - 10]! ^ 0xff;
  const { records, propose } = collector();
  const err = await refusal(importBinlogDir(binlogDir({ 'up-bin.000001': one, 'up-bin.000002': two }), propose), 'IMPORT_CORRUPT');
  assert.match(err.file!, /up-bin\.000002$/);
  assert.equal(records.length, 0);
});

test('a last file cut mid-event is imported up to its last whole transaction, no piece of the cut one proposed', async () => {
  const one = new SyntheticBinlog().transaction([10]).rotate('up-bin.000002').bytes();
  const build = new SyntheticBinlog({ inUse: true, firstSeq: 1n }).transaction([20]).ddl('CREATE TABLE u (id INT)');
  const boundary = build.length;
  build.transaction([MiB, MiB, MiB]);
  const full = build.bytes();
  for (const cut of [full.length - 3, boundary + 42 + 10, boundary + 5]) {
    const { records, propose } = collector();
    const result = await importBinlogDir(binlogDir({ 'up-bin.000001': one, 'up-bin.000002': full.subarray(0, cut) }), propose);
    assert.equal(result.lastFile, 'up-bin.000002');
    assert.equal(result.lastPos, boundary, `cut at ${cut}: the import ends at the last boundary`);
    assert.ok(records.every((r) => r.kind === 'binlog' && r.endsAtBoundary), 'only whole transactions');
    assert.deepEqual(bytesByFile(records).get('up-bin.000002'), dumped(full, boundary));
  }
  const onlyFde = new SyntheticBinlog({ inUse: true }).bytes();
  const { propose } = collector();
  const cutInFde = await importBinlogDir(binlogDir({ 'up-bin.000001': one, 'up-bin.000002': onlyFde.subarray(0, 30) }), propose);
  assert.deepEqual(cutInFde.files, ['up-bin.000001'], 'a last file without one whole event adds nothing');
  assert.equal(cutInFde.lastPos, one.length);
});

test('a file other than the last cut short is refused as incomplete', async () => {
  const one = new SyntheticBinlog().transaction([10]).transaction([20]).rotate('up-bin.000002').bytes();
  const two = new SyntheticBinlog({ firstSeq: 2n }).transaction([10]).bytes();
  const { propose } = collector();
  const midEvent = await refusal(importBinlogDir(binlogDir({ 'up-bin.000001': one.subarray(0, one.length - 10), 'up-bin.000002': two }), propose), 'IMPORT_INCOMPLETE_FILE');
  assert.match(midEvent.file!, /up-bin\.000001$/);
  const midTransaction = new SyntheticBinlog().transaction([10]);
  const at = midTransaction.length;
  const cut = midTransaction.transaction([20]).bytes().subarray(0, at + 42);
  const err = await refusal(importBinlogDir(binlogDir({ 'up-bin.000001': cut, 'up-bin.000002': two }), propose), 'IMPORT_INCOMPLETE_FILE');
  assert.equal(err.offset, at);
});

test('an encrypted binlog is refused: only the upstream can decrypt it', async () => {
  const { propose } = collector();
  const err = await refusal(importBinlogDir(binlogDir({ 'up-bin.000001': new SyntheticBinlog().startEncryption().bytes() }), propose), 'IMPORT_ENCRYPTED');
  assert.match(err.file!, /up-bin\.000001$/);
});

test('proposals are awaited with bounded bytes in flight, in order', async () => {
  const build = new SyntheticBinlog();
  for (let i = 0; i < 80; i++) build.transaction([200 * 1024]);
  const file = build.bytes();
  const limit = 2 * MiB;
  let inflight = 0;
  let peak = 0;
  const seen: number[] = [];
  const propose = async (record: ImportRecord): Promise<void> => {
    const size = record.kind === 'binlog' ? record.bytes.length : 0;
    if (record.kind === 'binlog') seen.push(record.pos);
    inflight += size;
    peak = Math.max(peak, inflight);
    await new Promise((r) => setTimeout(r, 20));
    inflight -= size;
  };
  const result = await importBinlogDir(binlogDir({ 'up-bin.000001': file }), propose, { maxInflightBytes: limit });
  assert.equal(result.lastPos, file.length);
  assert.ok(peak <= limit + BINLOG_READ_CHUNK + MiB, `peak in flight ${peak} bytes`);
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
});

test('a failed proposal stops the import with IMPORT_PROPOSE_FAILED and nothing proposed after it', async () => {
  const build = new SyntheticBinlog();
  for (let i = 0; i < 40; i++) build.transaction([200 * 1024]);
  let calls = 0;
  const propose = async (): Promise<void> => {
    const call = ++calls;
    await new Promise((r) => setImmediate(r));
    if (call === 3) throw new Error('not the leader');
  };
  const err = await refusal(importBinlogDir(binlogDir({ 'up-bin.000001': build.bytes() }), propose, { maxInflightBytes: 256 * 1024 }), 'IMPORT_PROPOSE_FAILED');
  assert.match(err.message, /not the leader/);
  assert.ok(calls <= 8, `stopped soon after the failure (${calls} proposals)`);
});

test('a directory that does not exist or holds no binlog is refused', async () => {
  const { propose } = collector();
  await refusal(importBinlogDir('/nonexistent/binrelay-import', propose), 'IMPORT_NO_DIRECTORY');
  await refusal(importBinlogDir(binlogDir({ 'notes.txt': 'x' }), propose), 'IMPORT_NO_FILES');
  const file = new SyntheticBinlog().transaction([10]).bytes();
  await refusal(importBinlogDir(binlogDir({ 'a-bin.000001': file, 'a-bin.index': './a-bin.000001\n', 'b-bin.index': '' }), propose), 'IMPORT_AMBIGUOUS_INDEX');
});
