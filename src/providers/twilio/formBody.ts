/**
 * Reading a webhook's `application/x-www-form-urlencoded` body, strictly:
 * Twilio never repeats a parameter and always sends valid UTF-8 and escapes,
 * so anything else is refused rather than guessed at.
 *
 * @module
 */

/**
 * Most parameters accepted in one body (Twilio sends a few dozen).
 *
 * @example
 * ```ts
 * parseFormBody(Array.from({ length: MAX_FORM_PARAMS + 1 }, (_, i) => `p${i}=1`).join('&')); // null
 * ```
 */
export const MAX_FORM_PARAMS = 200;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeComponent(text: string): string | null {
  // Most of Twilio's values have nothing to decode.
  if (!text.includes('%') && !text.includes('+')) return text;
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return null;
  }
}

/**
 * Parses a form body into its parameters; `null` when it is not valid UTF-8,
 * has a malformed escape, an empty or repeated name, or too many parameters.
 *
 * @example
 * ```ts
 * parseFormBody('CallSid=CA123&CallStatus=in-progress'); // Map { 'CallSid' => 'CA123', 'CallStatus' => 'in-progress' }
 * parseFormBody('Digits=%E0%A4%A'); // null
 * parseFormBody('a=1&a=2'); // null
 * ```
 */
export function parseFormBody(body: string | Uint8Array): Map<string, string> | null {
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else {
    try {
      text = UTF8.decode(body);
    } catch {
      return null;
    }
  }
  const params = new Map<string, string>();
  if (text === '') return params;
  const pairs = text.split('&');
  if (pairs.length > MAX_FORM_PARAMS) return null;
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    const rawName = separator === -1 ? pair : pair.slice(0, separator);
    const rawValue = separator === -1 ? '' : pair.slice(separator + 1);
    const name = decodeComponent(rawName);
    const value = decodeComponent(rawValue);
    if (name === null || value === null || name === '' || params.has(name)) return null;
    params.set(name, value);
  }
  return params;
}
