// A minimal MySQL-protocol server built from src/mysql/, for the e2e tests with real clients.
// It answers a handful of statements and ER_PARSE_ERROR for everything else.

import {
  type CommandHandler,
  type ProtocolServer,
  type ProtocolServerOptions,
  type ServerConnection,
  ER_PARSE_ERROR,
  MYSQL_TYPE_LONGLONG,
  createProtocolServer,
  parseErrorMessage,
} from '../../../src/mysql/index.js';

export const SAMPLE_USERS = { repl: 'replpw', empty: '' } as const;

export const FRUITS: readonly (readonly [number, string, string | null])[] = [
  [1, 'apple', null],
  [2, 'banana', 'yellow'],
  [3, 'cherry', 'red, small'],
];

/** Statements seen, in order, per connection id (tests assert on what clients sent). */
export type QueryLog = Map<number, string[]>;

function sampleHandler(log: QueryLog): (conn: ServerConnection) => CommandHandler {
  return (conn) => ({
    onQuery(sql: string): void {
      const statements = log.get(conn.id) ?? [];
      statements.push(sql.length > 200 ? `${sql.slice(0, 200)}…` : sql);
      log.set(conn.id, statements);
      const q = sql.trim().replace(/;$/, '');
      if (/^select\s+1$/i.test(q)) {
        conn.sendResultSet([{ name: '1', type: MYSQL_TYPE_LONGLONG }], [[1]]);
      } else if (/^select\s+@@version_comment\s+limit\s+1$/i.test(q)) {
        conn.sendResultSet([{ name: '@@version_comment' }], [['binrelay test server']]);
      } else if (/^select\s+id,\s*name,\s*note\s+from\s+fruits$/i.test(q)) {
        conn.sendResultSet(
          [{ name: 'id', type: MYSQL_TYPE_LONGLONG, table: 'fruits' }, { name: 'name', table: 'fruits' }, { name: 'note', table: 'fruits' }],
          FRUITS,
        );
      } else if (/^select\s+connection_id\(\)$/i.test(q)) {
        conn.sendResultSet([{ name: 'CONNECTION_ID()', type: MYSQL_TYPE_LONGLONG }], [[conn.id]]);
      } else if (/^select\s+repeat\('x',\s*(\d+)\)$/i.test(q)) {
        const n = Number(/(\d+)\)$/.exec(q)![1]);
        conn.sendResultSet([{ name: 'big' }], [['x'.repeat(n)]]);
      } else if (/^select\s+length\('/i.test(q)) {
        const body = q.slice(q.indexOf("'") + 1, q.lastIndexOf("'"));
        conn.sendResultSet([{ name: 'len', type: MYSQL_TYPE_LONGLONG }], [[Buffer.byteLength(body)]]);
      } else if (/^set\s+/i.test(q)) {
        conn.sendOk();
      } else {
        conn.sendError(ER_PARSE_ERROR, parseErrorMessage(q));
      }
    },
  });
}

export interface SampleServer {
  server: ProtocolServer;
  port: number;
  queries: QueryLog;
  close(): Promise<void>;
}

export async function startSampleServer(
  options: Partial<Omit<ProtocolServerOptions, 'handler'>> = {},
): Promise<SampleServer> {
  const queries: QueryLog = new Map();
  const server = createProtocolServer({ users: SAMPLE_USERS, ...options, handler: sampleHandler(queries) });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, queries, close: () => server.close() };
}
