// SQL LIKE for SHOW VARIABLES LIKE '…': `%` any run of characters, `_` exactly one, `\` makes the
// next character literal (a trailing `\` is itself literal), case-insensitive as under the
// servers' default collations. Matched by a scan that remembers only the last `%`, never by a
// regular expression: `%%%…%x` once made a backtracking RegExp block the event loop for seconds.
// The work is at most name length × pattern length, and the pattern length is capped.

/** Longer patterns are refused. A variable name has at most 64 characters, so a longer pattern
 *  can only be `%` padding. */
export const MAX_LIKE_PATTERN_LENGTH = 1024;

// One compiled pattern element: a literal character (lower-cased), any one character, or a run.
const ANY_ONE = -1;
const ANY_RUN = -2;

export class LikePattern {
  readonly #elements: readonly (string | typeof ANY_ONE | typeof ANY_RUN)[];

  private constructor(elements: (string | typeof ANY_ONE | typeof ANY_RUN)[]) {
    this.#elements = elements;
  }

  /** The pattern compiled, or null when it is longer than MAX_LIKE_PATTERN_LENGTH. */
  static compile(pattern: string): LikePattern | null {
    if (pattern.length > MAX_LIKE_PATTERN_LENGTH) return null;
    const chars = Array.from(pattern.toLowerCase());
    const elements: (string | typeof ANY_ONE | typeof ANY_RUN)[] = [];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c === '\\' && i + 1 < chars.length) elements.push(chars[++i]!);
      else if (c === '%') {
        // Consecutive runs are one run.
        if (elements[elements.length - 1] !== ANY_RUN) elements.push(ANY_RUN);
      } else if (c === '_') elements.push(ANY_ONE);
      else elements.push(c);
    }
    return new LikePattern(elements);
  }

  matches(text: string): boolean {
    const chars = Array.from(text.toLowerCase());
    const p = this.#elements;
    let t = 0;
    let e = 0;
    // Where to resume after the last run: the element after it and the text position it covers up to.
    let runAt = -1;
    let runText = 0;
    while (t < chars.length) {
      const el = p[e];
      if (el === ANY_RUN) {
        runAt = ++e;
        runText = t;
      } else if (el !== undefined && (el === ANY_ONE || el === chars[t])) {
        e++;
        t++;
      } else if (runAt >= 0) {
        // Let the last run swallow one more character and retry what follows it.
        e = runAt;
        t = ++runText;
      } else {
        return false;
      }
    }
    while (p[e] === ANY_RUN) e++;
    return e === p.length;
  }
}
