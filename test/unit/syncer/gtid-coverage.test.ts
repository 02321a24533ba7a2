// Which upstream candidates may continue the relay: those holding every transaction it executed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCoverage, forcedStartState, gtidCoverage } from '../../../src/syncer/gtid-coverage.js';
import { nextBinlogName } from '../../../src/syncer/binlog-name.js';
import { UpstreamCandidates } from '../../../src/syncer/upstream-candidates.js';

test('a MariaDB candidate at or past every relay domain holds everything', () => {
  assert.equal(gtidCoverage('mariadb', '0-1-100,1-5-7', '0-1-100,1-5-9,2-3-4').holdsAll, true);
  assert.equal(gtidCoverage('mariadb', '0-1-100', '0-2-140').holdsAll, true, 'a promoted replica writes on under its own server id');
  assert.equal(gtidCoverage('mariadb', '', '0-1-3').holdsAll, true);
});

test('a MariaDB candidate behind in a domain, or without it, lacks transactions and says which', () => {
  const behind = gtidCoverage('mariadb', '0-1-100,1-5-7', '0-1-98');
  assert.equal(behind.holdsAll, false);
  assert.equal(behind.missing, '0-1-100 (candidate at 0-1-98 in domain 0), 1-5-7 (candidate at nothing in domain 1)');
  assert.match(describeCoverage('h:1', behind), /^upstream h:1 lacks the relay's transactions 0-1-100/);
});

test('a MariaDB candidate with another transaction at the relay seq_no has diverged', () => {
  const diverged = gtidCoverage('mariadb', '0-1-100', '0-9-100');
  assert.equal(diverged.holdsAll, false);
  assert.equal(diverged.diverged, '0-1-100 (candidate at 0-9-100 in domain 0)');
  assert.match(describeCoverage('h:1', diverged), /has diverged/);
});

test('a MySQL candidate must hold a superset of the relay GTID set; the missing set is named', () => {
  const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
  assert.equal(gtidCoverage('mysql', `${uuid}:1-10`, `${uuid}:1-12`).holdsAll, true);
  const lacking = gtidCoverage('mysql', `${uuid}:1-10`, `${uuid}:1-7`);
  assert.equal(lacking.holdsAll, false);
  assert.equal(lacking.missing, `${uuid}:8-10`);
});

test('a forced switch continues from what the candidate holds in each domain', () => {
  assert.equal(forcedStartState('mariadb', '0-1-100,1-5-7', '0-1-98,1-5-9'), '0-1-98,1-5-7');
  assert.equal(forcedStartState('mariadb', '0-1-100', '0-9-100'), '0-9-100');
  const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
  assert.equal(forcedStartState('mysql', `${uuid}:1-10`, `${uuid}:1-7`), `${uuid}:1-7`);
});

test('the relay file after a switch is the next number under its base name', () => {
  assert.equal(nextBinlogName('up-bin.000007'), 'up-bin.000008');
  assert.equal(nextBinlogName('up-bin.999999'), 'up-bin.1000000');
  assert.equal(nextBinlogName('mysql-bin.000009'), 'mysql-bin.000010');
});

test('a failover falls due once the current upstream was unreachable for the configured time', () => {
  const c = new UpstreamCandidates(['p:1', 'r:1', 's:1']);
  assert.equal(c.failoverDueIn(5000, 1000), null, 'not while it streams');
  c.failed('ECONNREFUSED', false, 1000);
  c.failed('ECONNREFUSED', false, 3000);
  assert.equal(c.failoverDueIn(5000, 3000), 3000, 'the clock runs from the first failure');
  assert.equal(c.failoverDueIn(5000, 6000), 0);
  assert.deepEqual(c.others(), ['r:1', 's:1']);
  c.switchTo('r:1');
  assert.equal(c.current, 'r:1');
  assert.equal(c.isFirst, false, 'force applies to the operator-chosen candidate only');
  assert.deepEqual(c.others(), ['s:1', 'p:1']);
  assert.deepEqual(c.view().map((v) => v.state), ['unreachable', 'current', 'standby']);
  assert.equal(new UpstreamCandidates(['p:1']).failoverDueIn(1, 0), null, 'one candidate never fails over');
});
