// Codec parse speed: our streaming reader (chunked file reads, every event framed, its header
// decoded and its CRC32 verified) beside `mariadb-binlog --no-defaults FILES > /dev/null` over
// the same binlog files, in the same run, interleaved, medians printed with their ratio.
// The binlog (~BENCH_MB MB, default 200) is generated on a throwaway MariaDB: bulk INSERT … SELECT
// of ~8 KB rows in transactions of ~8 MB, plus a few small transactions per bulk one.
//
//   node --import tsx test/bench/codec-parse.bench.ts        (or dist/test/bench/codec-parse.bench.js)
// Env: BENCH_MB (binlog size, default 200), BENCH_ROUNDS (interleaved rounds, default 3).
import { spawn } from 'node:child_process';
import { createReadStream, openSync, closeSync, statSync } from 'node:fs';
import { BinlogEventReader } from '../../src/binlog/event-reader.js';
import { TransactionBoundaryTracker } from '../../src/binlog/transaction-boundary.js';
import { startMariaDb } from '../helpers/mariadb.js';

const TARGET_MB = Number(process.env.BENCH_MB ?? '200');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '3');
const ROWS_PER_STATEMENT = 1000; // × ~8 KB ≈ 8 MB per bulk transaction

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function ours(paths: string[]): Promise<{ seconds: number; events: number; transactions: number }> {
  const start = performance.now();
  let events = 0;
  let transactions = 0;
  for (const path of paths) {
    const reader = new BinlogEventReader();
    const tracker = new TransactionBoundaryTracker();
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      for (const ev of reader.events(chunk as Buffer)) {
        events++;
        const role = tracker.feed(ev).role;
        if (role === 'end' || role === 'whole') transactions++;
      }
    }
    reader.end();
  }
  return { seconds: (performance.now() - start) / 1000, events, transactions };
}

async function peer(paths: string[]): Promise<number> {
  const devNull = openSync('/dev/null', 'w');
  const start = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('mariadb-binlog', ['--no-defaults', ...paths], { stdio: ['ignore', devNull, 'pipe'] });
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`mariadb-binlog exited ${code}: ${stderr}`))));
    });
  } finally {
    closeSync(devNull);
  }
  return (performance.now() - start) / 1000;
}

const db = await startMariaDb({
  serverId: 11,
  args: ['--max-binlog-size=64M', '--innodb-buffer-pool-size=256M', '--innodb-log-file-size=256M'],
});
try {
  const t0 = performance.now();
  await db.exec(`CREATE DATABASE bench;
    CREATE TABLE bench.rows8k (id INT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, b VARBINARY(8200) NOT NULL) ENGINE=InnoDB;
    CREATE TABLE bench.small (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB;`);
  const binlogBytes = async () => (await db.query('SHOW BINARY LOGS')).reduce((n, r) => n + Number(r.File_size), 0);
  let bulk = 0;
  while ((await binlogBytes()) < TARGET_MB * 1e6) {
    await db.exec(`BEGIN;
      INSERT INTO bench.rows8k (k, b) SELECT seq, REPEAT(MD5(RAND()), 256) FROM bench.seq_1_to_${ROWS_PER_STATEMENT};
      COMMIT;`);
    for (let i = 0; i < 20; i++) await db.query('INSERT INTO bench.small VALUES (?, ?) ON DUPLICATE KEY UPDATE v = v + 1', [(bulk * 20 + i) % 500, i]);
    bulk++;
  }
  const paths = await db.binlogPaths();
  await db.exec('FLUSH BINARY LOGS'); // close the files we measure: they stay as they are now
  const bytes = paths.reduce((n, p) => n + statSync(p).size, 0);
  const mb = bytes / 1e6;
  console.log(`binlog: ${mb.toFixed(1)} MB in ${paths.length} files, ${bulk} bulk transactions, generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  await ours(paths); // warm the page cache and the JIT alike for both sides
  await peer(paths);
  const oursS: number[] = [];
  const peerS: number[] = [];
  let counts = { events: 0, transactions: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    const o = await ours(paths);
    counts = o;
    oursS.push(o.seconds);
    peerS.push(await peer(paths));
  }
  const o = median(oursS);
  const p = median(peerS);
  console.log(`events: ${counts.events.toLocaleString('en-US')}, transactions: ${counts.transactions.toLocaleString('en-US')}`);
  console.log(`binrelay reader (parse + CRC32 + boundaries): ${(mb / o).toFixed(0)} MB/s  (median ${o.toFixed(3)} s of ${oursS.map((s) => s.toFixed(3)).join(', ')})`);
  console.log(`mariadb-binlog --no-defaults > /dev/null:      ${(mb / p).toFixed(0)} MB/s  (median ${p.toFixed(3)} s of ${peerS.map((s) => s.toFixed(3)).join(', ')})`);
  console.log(`ratio (ours / mariadb-binlog throughput): ${(p / o).toFixed(2)}×`);
} finally {
  await db.stop();
}
