/**
 * What an id given by the host may be (a verification's, a user's, an
 * instance's), checked the same way wherever one is taken.
 *
 * @module
 */

/** Longest id, in UTF-16 code units. */
export const MAX_ID_LENGTH = 256;

/** A C0 or C1 control character (a NUL, a line break): no id or webhook value holds one. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds.
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `value` is no id, or `null` when it is one. */
export function idProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    return `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`;
  }
  return CONTROL_CHARACTER.test(value) ? 'must not hold control characters (a NUL, a line break)' : null;
}
