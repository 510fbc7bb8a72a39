/**
 * Text tcplab accepts from outside: no NUL (PostgreSQL's text and jsonb cannot hold it, and no
 * name or TCP payload given as text needs it: binary payloads travel as base64) and no lone
 * UTF-16 surrogate (it has no UTF-8 form, so it would be stored as something else than what
 * was sent). Checked once at the edge, for REST and socket.io alike, keys included.
 */
export interface IllFormedText {
  /** JSON pointer of the offending string (or of the object holding the offending key). */
  path: string;
  message: string;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function problemOf(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL (U+0000); send binary data as base64';
  if (LONE_SURROGATE.test(text)) return 'must be well-formed Unicode (a lone surrogate is not)';
  return undefined;
}

/** The first string in `value` that is not acceptable text, with its path; else undefined. */
export function findIllFormedText(value: unknown, path = ''): IllFormedText | undefined {
  if (typeof value === 'string') {
    const message = problemOf(value);
    return message === undefined ? undefined : { path, message };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findIllFormedText(item, `${path}/${index}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyProblem = problemOf(key);
    if (keyProblem !== undefined) return { path, message: `has a field name that ${keyProblem}` };
    const found = findIllFormedText(
      item,
      `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
    );
    if (found !== undefined) return found;
  }
  return undefined;
}
