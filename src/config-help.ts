// `binrelay start --help`, generated from the config schema (src/config.ts): every key with its
// flag, environment variable, value form, default and description, as declared with the key, so
// a new key cannot be left out (a test checks every key of the schema against this output).
import type { z } from 'zod';
import { configSchema, envVariableOf, type ConfigKeyMeta } from './config.js';

export interface ConfigKeyDoc {
  /** Dotted: `binlog-server.addr`. */
  key: string;
  flag: string;
  env: string;
  /** The form of the value: HOST:PORT, DURATION, new|existing… ('' for a section). */
  value: string;
  default: string | undefined;
  description: string;
  secret: boolean;
  /** A section of nested keys (binlog-server, peer-tls…), listed before them. */
  section: boolean;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string>;
  defaultValue?: unknown;
}

const defOf = (schema: z.ZodType): Def => schema._zod.def as unknown as Def;
const metaOf = (schema: z.ZodType): Partial<ConfigKeyMeta> => (schema.meta() ?? {}) as Partial<ConfigKeyMeta>;

/** What a key's schema holds once optional/default and pipes are looked through. */
function inspect(schema: z.ZodType): { value: string; schemaDefault: unknown; shape: Record<string, z.ZodType> | undefined } {
  let schemaDefault: unknown;
  let s = schema;
  for (;;) {
    const def = defOf(s);
    const value = metaOf(s).value;
    if (def.type === 'default' && schemaDefault === undefined) schemaDefault = def.defaultValue;
    if (value !== undefined) return { value, schemaDefault, shape: undefined };
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable') s = def.innerType!;
    else if (def.type === 'pipe') s = def.in!;
    else if (def.type === 'object') return { value: '', schemaDefault, shape: def.shape };
    else if (def.type === 'enum') return { value: Object.values(def.entries!).join('|'), schemaDefault, shape: undefined };
    else return { value: 'VALUE', schemaDefault, shape: undefined };
  }
}

const DURATION_UNITS: readonly [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
const SIZE_UNITS: readonly [string, number][] = [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]];

/** A default as the user would write it: 30s rather than 30000, 256MiB rather than 268435456. */
function shown(value: unknown, form: string): string {
  const units = form === 'DURATION' ? DURATION_UNITS : form === 'SIZE' ? SIZE_UNITS : [];
  if (typeof value === 'number') {
    for (const [unit, size] of units) if (value >= size && value % size === 0) return `${value / size}${unit}`;
    if (form === 'DURATION') return `${value}ms`;
  }
  return String(value);
}

/** Every key of the schema, sections before their keys, in declaration order. */
export function configKeyDocs(shape: Record<string, z.ZodType> = configSchema.shape, prefix = ''): ConfigKeyDoc[] {
  const docs: ConfigKeyDoc[] = [];
  for (const [name, schema] of Object.entries(shape)) {
    const key = `${prefix}${name}`;
    const meta = metaOf(schema);
    const { value, schemaDefault, shape: nested } = inspect(schema);
    const fallback = meta.defaultShown ?? schemaDefault;
    docs.push({
      key, flag: `--${key}`, env: envVariableOf(key), value,
      default: fallback === undefined ? undefined : shown(fallback, value),
      description: meta.description ?? '', secret: meta.secret === true, section: nested !== undefined,
    });
    if (nested) docs.push(...configKeyDocs(nested, `${key}.`));
  }
  return docs;
}

/** `text` in lines of at most `width` characters after `indent`. */
function wrap(text: string, indent: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

export function startHelp(): string {
  const out = [
    'usage: binrelay start [--config FILE] [--KEY VALUE ...]',
    '',
    wrap('Runs one relay node in the foreground until SIGTERM or SIGINT. Every key below is a flag (--key VALUE or ' +
      '--key=VALUE; nested keys with dots), an environment variable (BINRELAY_ and the key in capitals, - as _, ' +
      'nested keys joined with __) or a key of the YAML file given with --config (nested keys as mappings; ' +
      '`binrelay config example` prints one). Flags win over the environment, the environment over the file. ' +
      'Durations: 100ms, 30s, 15m, 12h, 7d. Sizes: 512MiB, 10GB, or bytes. Secrets belong in the environment or ' +
      'the file, never in flags: `ps` shows a process\'s flags. kingbus\'s keys (admin-url, peer-url, ' +
      'reserve-data-size, metrics-addr, log-dir) are read too, each noted in the log.', ''),
    '',
  ];
  for (const doc of configKeyDocs()) {
    const depth = doc.key.split('.').length - 1;
    const indent = '  '.repeat(depth + 1);
    if (doc.section) {
      out.push(`${indent}${doc.key}: ${doc.description}`);
      continue;
    }
    out.push(`${indent}${doc.flag} ${doc.value}    ${doc.env}${doc.secret ? ' (a secret: set it there or in the --config file, not as a flag)' : ''}`);
    out.push(wrap(`${doc.description}.${doc.default === undefined ? '' : ` Default: ${doc.default}.`}`, `${indent}      `));
  }
  return `${out.join('\n')}\n`;
}
