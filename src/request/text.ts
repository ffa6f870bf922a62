/**
 * What text from a host may hold: the characters that no id or attribute
 * value holds, and those that no spoken text may hold (text-to-speech reads
 * neither, and XML 1.0, which carries text to a provider such as Twilio,
 * allows neither).
 *
 * @module
 */

/** A C0 or C1 control character (a NUL, a line break): no id, webhook value or voice name holds one. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds.
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A UTF-16 surrogate without its other half: no character at all. UTF-8 (a
 * database's text, a JSON document PostgreSQL parses) cannot encode one, so a
 * store would read back something else.
 */
export const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;

/**
 * A character XML 1.0 does not allow in text: a C0 control other than tab and
 * the line breaks, an unpaired surrogate, U+FFFE or U+FFFF.
 */
export const ILLEGAL_XML_CHARACTER = new RegExp(
  `[\\0-\\x08\\x0B\\f\\x0E-\\x1F\\uFFFE\\uFFFF]|${UNPAIRED_SURROGATE.source}`,
);

/** Why `text` cannot be spoken (a prompt's text or a recording's URL), or `null` when it can. */
export function spokenTextProblem(text: string): string | null {
  return ILLEGAL_XML_CHARACTER.test(text)
    ? 'must not hold control characters other than tabs and line breaks, unpaired surrogates, U+FFFE or U+FFFF'
    : null;
}

/** Why `value` cannot be a setting written as one word (a voice, a language tag), or `null` when it can. */
export function settingTextProblem(value: string): string | null {
  return CONTROL_CHARACTER.test(value) || ILLEGAL_XML_CHARACTER.test(value)
    ? 'must not hold control characters (a NUL, a line break) or unpaired surrogates'
    : null;
}
