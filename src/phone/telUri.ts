/**
 * tel: URIs (RFC 3966) as directories, vCards and LDAP hold them:
 * `tel:+1-425-555-0100`, `tel:+1-425-555-0100;ext=1234`, and local numbers
 * with a global context, `tel:555-0100;phone-context=+1-425`. The URI is
 * checked against RFC 3966 and turned into the number and extension it
 * names; the number is then read like any typed one. libphonenumber-js reads
 * some of these itself, but loses an extension written after `phone-context`
 * and accepts parameters in any state, so the structure is checked here.
 *
 * @module
 */

// RFC 3966 §3: visual separators are `-`, `.`, `(` and `)`; nothing else may stand between digits.
const GLOBAL_NUMBER = /^\+[0-9().-]*[0-9][0-9().-]*$/;
const LOCAL_NUMBER = /^[0-9().-]*[0-9][0-9().-]*$/;
const PARAMETER_NAME = /^[A-Za-z0-9-]+$/;
// paramchar: unreserved, param-unreserved or a percent-encoded octet.
const PARAMETER_VALUE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/:&+$]|%[0-9A-Fa-f]{2})+$/;
const SCHEME = /^\s*tel:/i;
// Named in messages; other parameter names are the caller's text and are not repeated.
const KNOWN_PARAMETERS = ['ext', 'isub', 'phone-context'];

/**
 * What a tel: URI names: the number as text libphonenumber-js reads, and the
 * extension digits.
 */
export type TelUriReading = { ok: true; number: string; extension: string | null } | { ok: false; problem: string };

/**
 * Whether the text is written as a tel: URI (the scheme in any case).
 *
 * @example
 * ```ts
 * isTelUri('TEL:+1-425-555-0100'); // true
 * isTelUri('+1 425 555 0100');     // false
 * ```
 */
export function isTelUri(text: string): boolean {
  return SCHEME.test(text);
}

const stripSeparators = (digits: string): string => digits.replace(/[().-]/g, '');

/**
 * Reads a tel: URI. A local number needs a `phone-context` that is a global
 * number prefix (`+1-425`); a domain context names a private dialling plan
 * no call from outside can reach. `ext` becomes the extension; `isub` (an
 * ISDN subaddress) and unknown parameters are dropped, as RFC 3966 lets a
 * reader ignore what it does not use.
 *
 * @example
 * ```ts
 * readTelUri('tel:555-0100;phone-context=+1-425;ext=12'); // { ok: true, number: '+1-425555-0100', extension: '12' }
 * readTelUri('tel:555-0100');                             // { ok: false, problem: 'a local number needs …' }
 * ```
 */
export function readTelUri(text: string): TelUriReading {
  const body = text.trim().replace(SCHEME, '');
  const [subscriber = '', ...parameters] = body.split(';');
  if (subscriber === '') return { ok: false, problem: 'the tel: URI has no number' };
  const global = subscriber.startsWith('+');
  if (!(global ? GLOBAL_NUMBER : LOCAL_NUMBER).test(subscriber)) {
    return {
      ok: false,
      problem: 'the number of a tel: URI is digits, after + for a global number, with only - . ( ) between them',
    };
  }

  const seen = new Map<string, string>();
  for (const parameter of parameters) {
    if (parameter === '') return { ok: false, problem: 'the tel: URI has an empty parameter (;;)' };
    const equals = parameter.indexOf('=');
    const name = (equals < 0 ? parameter : parameter.slice(0, equals)).toLowerCase();
    const value = equals < 0 ? '' : parameter.slice(equals + 1);
    const named = KNOWN_PARAMETERS.includes(name) ? ` ;${name}` : '';
    if (!PARAMETER_NAME.test(name) || (equals >= 0 && !PARAMETER_VALUE.test(value))) {
      return { ok: false, problem: `the tel: URI has a malformed parameter${named}` };
    }
    if (seen.has(name)) return { ok: false, problem: `the tel: URI gives a parameter${named} twice` };
    seen.set(name, value);
  }

  const ext = seen.get('ext');
  if (ext !== undefined && !LOCAL_NUMBER.test(ext)) {
    return { ok: false, problem: 'the ;ext of a tel: URI is digits, with only - . ( ) between them' };
  }
  const extension = ext === undefined ? null : stripSeparators(ext);

  const context = seen.get('phone-context');
  if (global) {
    if (context !== undefined) return { ok: false, problem: 'a global number (+…) takes no phone-context' };
    return { ok: true, number: subscriber, extension };
  }
  if (context === undefined) {
    return { ok: false, problem: 'a local number needs a phone-context such as ;phone-context=+1-425' };
  }
  if (!context.startsWith('+')) {
    return { ok: false, problem: 'a phone-context that is a domain names a private dialling plan: use a + prefix' };
  }
  if (!GLOBAL_NUMBER.test(context)) {
    return { ok: false, problem: 'the phone-context of a tel: URI is + and digits, such as +1-425' };
  }
  // As libphonenumber-js does with a global context: its digits come first, then the local number's.
  return { ok: true, number: `${context}${subscriber}`, extension };
}
