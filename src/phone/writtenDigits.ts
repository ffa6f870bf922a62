/**
 * Digits as people type them in other scripts: full-width digits (East Asian
 * input methods), Arabic-Indic and Persian digits, and the full-width plus.
 * libphonenumber-js reads these digits itself, but the library's own steps
 * around it (the `00` prefix, the extension, a fallback reading) look for
 * ASCII, so the text is brought to ASCII first.
 *
 * @module
 */
import { parseDigits } from 'libphonenumber-js/max';

// The digits libphonenumber-js reads: full-width, Arabic-Indic, Extended Arabic-Indic (Persian, Urdu).
const OTHER_DIGIT = /[\uFF10-\uFF19\u0660-\u0669\u06F0-\u06F9]/g;
const FULL_WIDTH_PLUS = /\uFF0B/g;

/**
 * The text with every digit libphonenumber-js reads written in ASCII, and a
 * full-width plus as `+`; nothing else changes.
 *
 * @example
 * ```ts
 * toAsciiDigits('＋４４ ２０ ７９４６ ００００ x１２'); // '+44 20 7946 0000 x12'
 * ```
 */
export function toAsciiDigits(text: string): string {
  return text.replace(OTHER_DIGIT, (digit) => parseDigits(digit)).replace(FULL_WIDTH_PLUS, '+');
}
