// A ResponderContext for tests of the query responder: a MariaDB relay holding nothing, with no
// sessions but the asking one; each test overrides what its statements read.
import type { ResponderContext } from '../../src/server/query-responder.js';
import { SessionVariables } from '../../src/server/session-variables.js';
import { SessionWarnings } from '../../src/server/session-warnings.js';
import type { ServerFacts } from '../../src/server/system-variables.js';

export function responderContext(overrides: Partial<Omit<ResponderContext, 'facts'>> & { facts?: Partial<ServerFacts> } = {}): ResponderContext {
  const { facts, ...rest } = overrides;
  return {
    facts: {
      flavor: 'mariadb', serverId: 9000, serverUuid: '11111111-2222-4333-8444-555555555555', serverVersion: '5.5.5-10.11.19-MariaDB-binrelay-log',
      port: 3306, hostname: 'relay-host', binlogChecksum: 'CRC32', executedGtids: '', purgedGtids: '', binlogBasePath: null, expireLogsSeconds: 0,
      ...facts,
    },
    vars: new SessionVariables(),
    connectionId: 1, user: 'repl', clientHost: '127.0.0.1', database: null,
    binaryLogs: () => [],
    replicaHosts: () => [],
    processes: () => [],
    kill: () => false,
    binlogGtidPos: async () => null,
    binlogEvents: async () => (async function* () {})(),
    purgeBinaryLogs: async () => ({ purged: [], heldBack: [] }),
    dumpsReading: () => 0,
    counters: () => ({ uptimeSeconds: 0, threadsConnected: 1, questions: 0 }),
    warnings: new SessionWarnings(),
    now: () => new Date(),
    ...rest,
  };
}
