/**
 * A bounded memo of recent results of a pure function of a text, mostly a
 * number. One verification reads its numbers in several places — the number
 * check, the masking of what it reports, a simulated network — and parsing
 * with libphonenumber-js costs more than anything else there; each number is
 * read once while it is recent. (The simulated network also keeps the word
 * counts of its prompts' texts here.)
 *
 * @module
 */

/** At most this many results are kept; the oldest goes first. */
const DEFAULT_LIMIT = 1_024;

/** A memo of recent results, by key. */
export interface RecentResults<T> {
  /** `compute()` the first time a key is asked for while recent, the same value afterwards; a `compute` that throws leaves nothing behind. */
  recall(key: string, compute: () => T): T;
  /** The value kept for a key, if any. */
  peek(key: string): T | undefined;
}

/** A memo keeping at most `limit` results. */
export function recentResults<T>(limit = DEFAULT_LIMIT): RecentResults<T> {
  const results = new Map<string, T>();
  return {
    recall(key, compute) {
      const known = results.get(key);
      if (known !== undefined || results.has(key)) return known as T;
      const result = compute();
      if (results.size >= limit) results.delete(results.keys().next().value as string);
      results.set(key, result);
      return result;
    },
    peek: (key) => results.get(key),
  };
}

/**
 * The memo key of a number as written and a default country. A number written
 * with `+` reads the same in every country (only its errors name the country,
 * and errors are not kept).
 */
export function recentKey(text: string, defaultCountry: string | null): string {
  if (text.trimStart().startsWith('+')) return `\u0000${text}`;
  // A host may pass a default country that is not text: keyed by its type, it never meets a code (['GB'] is not GB).
  const country =
    typeof defaultCountry === 'string' || defaultCountry === null
      ? (defaultCountry ?? '')
      : `\u0001${typeof defaultCountry}`;
  return `${country}\u0000${text}`;
}
