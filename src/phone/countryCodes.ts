/**
 * Checking the ISO 3166-1 alpha-2 country codes of a phone configuration
 * against the countries libphonenumber-js has numbering plans for.
 *
 * @module
 */
import { isSupportedCountry } from 'libphonenumber-js/max';
import type { RequestIssue } from '../errors.js';

// Codes people reach for that ISO 3166-1 spells otherwise.
const COMMON_MISTAKES: Readonly<Record<string, string>> = { UK: 'GB', EL: 'GR' };

/**
 * The country code in upper case when libphonenumber-js knows it; otherwise
 * `null`, with an issue (and the right code when the mistake is a common one,
 * such as `UK` for `GB`).
 *
 * @example
 * ```ts
 * const issues: RequestIssue[] = [];
 * toSupportedCountry('gb', 'allowedCountries.0', issues); // 'GB'
 * toSupportedCountry('UK', 'allowedCountries.1', issues); // null, issues: [{ …, message: '… use GB' }]
 * ```
 */
export function toSupportedCountry(value: unknown, path: string, issues: RequestIssue[]): string | null {
  const code = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (isSupportedCountry(code)) return code;
  const hint = COMMON_MISTAKES[code];
  issues.push({
    path,
    message:
      hint === undefined
        ? `must be an ISO 3166-1 alpha-2 country code with a numbering plan, got ${JSON.stringify(value)}`
        : `${code} is not an ISO 3166-1 code: use ${hint}`,
  });
  return null;
}
