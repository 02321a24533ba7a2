// Statement text as it may be logged: the first 200 characters, with every quoted literal blanked
// to `?` (a statement may carry a password). The cut comes first and the scan is one linear pass:
// a regular expression run over a whole 128 KB statement of `'\'\'…` once blocked the event loop
// for seconds. A literal the cut leaves open is blanked to the end.

export const REDACTED_SQL_CHARS = 200;

export function redactSql(sql: string): string {
  const head = sql.slice(0, REDACTED_SQL_CHARS);
  let out = '';
  let i = 0;
  while (i < head.length) {
    const quote = head[i]!;
    if (quote !== "'" && quote !== '"') {
      out += quote;
      i++;
      continue;
    }
    // Skip to the closing quote: a backslash escapes the next character, a doubled quote is one.
    i++;
    while (i < head.length) {
      const c = head[i]!;
      if (c === '\\') i += 2;
      else if (c === quote && head[i + 1] === quote) i += 2;
      else if (c === quote) break;
      else i++;
    }
    i++;
    out += '?';
  }
  return out;
}
