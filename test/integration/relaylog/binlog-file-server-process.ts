// A binlog file server in a process of its own (argv: the directory), so a test measures the
// fetching side's memory alone. Prints {"port": N} once listening; exits when stdin closes.
import { startBinlogFileServer } from './binlog-file-server.js';

const server = await startBinlogFileServer(process.argv[2]);
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void server.close().then(() => process.exit(0));
});
