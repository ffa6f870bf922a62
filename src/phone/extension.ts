/**
 * Extensions as people write them after a phone number: `x1234`,
 * `ext. 1234`, `extension 1234`, `;ext=1234`, and commas as one-second
 * pauses (`,,1234`). The keys are sent after the call is answered, so the
 * commas are kept: they are part of what is keyed.
 *
 * @module
 */

import { EXTENSION } from '../machine/checks.js';

// A marker (`x`, `ext`, `ext.`, `extension`, `;ext=`) then the keys, pauses allowed after the marker.
const MARKED_EXTENSION = /^(.*?)\s*(?:;\s*ext\s*=|(?:extension|ext\.?|x)\s*[:.]?)\s*(,*\s*[0-9*#]+)\s*$/i;
// Pauses right after the number: `+1 425 555 0100,,1234`.
const PAUSED_EXTENSION = /^(.*?)\s*(,+\s*[0-9*#]+)\s*$/;

/**
 * A number's text split from its extension.
 *
 * @example
 * ```ts
 * const { number, extension }: SplitExtension = splitExtension('+1 425 555 0100 x12');
 * ```
 */
export interface SplitExtension {
  /** The text before the extension, trimmed. */
  number: string;
  /** The extension keys with their leading pauses, or `null` when there is none. */
  extension: string | null;
}

/**
 * Splits the extension off the end of a typed phone number. The extension
 * comes back as written (spaces removed), so check it with
 * {@link isKeyableExtension} before keying it.
 *
 * @example
 * ```ts
 * splitExtension('+1 425 555 0100 ext. 1234'); // { number: '+1 425 555 0100', extension: '1234' }
 * splitExtension('+1 425 555 0100,,1234');     // { number: '+1 425 555 0100', extension: ',,1234' }
 * splitExtension('+1 425 555 0100');           // { number: '+1 425 555 0100', extension: null }
 * ```
 */
export function splitExtension(text: string): SplitExtension {
  const trimmed = text.trim();
  const match = MARKED_EXTENSION.exec(trimmed) ?? PAUSED_EXTENSION.exec(trimmed);
  if (match === null) return { number: trimmed, extension: null };
  const [, number = '', keys = ''] = match;
  // Only digits and punctuation may precede an extension; anything else is left for the number parser to refuse.
  if (!/\d/.test(number)) return { number: trimmed, extension: null };
  return { number: number.trim(), extension: keys.replace(/\s+/g, '') };
}

/**
 * Whether an extension can be keyed: optional leading commas (one second of
 * pause each), then 1–16 of `0-9`, `*`, `#`.
 *
 * @example
 * ```ts
 * isKeyableExtension(',,1234'); // true
 * isKeyableExtension('12a');    // false
 * ```
 */
export function isKeyableExtension(extension: string): boolean {
  return EXTENSION.test(extension);
}
