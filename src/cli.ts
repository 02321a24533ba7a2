#!/usr/bin/env node
// binrelay command line: `binrelay <command> [options]`. Each command lives in its own module.
import { runInspect } from './commands/inspect.js';
import { runStart } from './commands/start.js';

const USAGE = `usage: binrelay <command> [options]

commands:
  start [--config FILE] [--KEY VALUE ...]   run one relay node in the foreground
  inspect FILE [--json]                     list the events of a binlog or relay-log file

Run "binrelay <command> --help" for the options of one command.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'inspect':
      return runInspect(rest);
    case 'start':
      return runStart(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`binrelay: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`binrelay: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
