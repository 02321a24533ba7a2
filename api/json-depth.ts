// How deep a JSON text nests, checked before it is parsed: a 1 MiB admin body of nested arrays
// with a `__proto__` key inside kept fastify's parser (JSON.parse, then its prototype-poisoning
// scan) busy for 350 ms, with the event loop blocked, and the admin API may run without a token on
// loopback. No admin body nests more than three levels.

/** Deepest nesting of arrays and objects a body may have. */
export const JSON_DEPTH_MAX = 32;

/** Whether `text` opens more than `max` arrays/objects inside each other (strings skipped). One
 *  pass without allocation, so a body at the size limit costs about a millisecond. */
export function jsonNestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
