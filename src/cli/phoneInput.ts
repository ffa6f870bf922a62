/**
 * Phone numbers a person typed on the command line or into a scenario file,
 * read with the library's parser. Errors quote the number as typed: it is the
 * person's own input, shown back to them, not a log line.
 *
 * @module
 */
import type { TargetInput } from '../machine/types.js';
import { InvalidPhoneNumberError } from '../phone/errors.js';
import { parsePhoneTarget } from '../phone/parsePhoneTarget.js';

/** A number read: its E.164 form, or why it cannot be dialled. */
export type ReadNumber = { e164: string; problem: null } | { e164: null; problem: string };

/**
 * Reads a typed number with an optional default country.
 *
 * @example
 * ```ts
 * readPhoneNumber('07700 900123', 'GB'); // { e164: '+447700900123', problem: null }
 * readPhoneNumber('+1425', null).problem; // 'too few digits for a number of +1 (TOO_SHORT)'
 * ```
 */
export function readPhoneNumber(input: TargetInput, defaultCountry: string | null): ReadNumber {
  try {
    return { e164: parsePhoneTarget(input, { defaultCountry }).e164, problem: null };
  } catch (error) {
    if (!(error instanceof InvalidPhoneNumberError)) throw error;
    // The library's message shows the number masked; keep only its explanation.
    const marker = `(${error.reason}): `;
    const explanation = error.message.slice(error.message.indexOf(marker) + marker.length);
    return { e164: null, problem: `${explanation} (${error.reason})` };
  }
}
