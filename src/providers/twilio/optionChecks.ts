/**
 * Checking the options of the Twilio provider, its webhook listener and its
 * server: the names each knows, and whole numbers, with one kind of error for
 * all of them.
 *
 * @module
 */
import { describeIssues, VoiceMfaError } from '../../errors.js';
import { type OptionNames, unknownOptionIssues } from '../../optionNames.js';

/** An option of `owner` that cannot work: a `VoiceMfaError` (`INVALID_CONFIGURATION`) that names both. */
export function configurationError(owner: string, message: string): VoiceMfaError {
  return new VoiceMfaError('INVALID_CONFIGURATION', `${owner}: ${message}`);
}

/**
 * Throws a {@link configurationError} unless `options` is an object whose
 * names are all `known` (at `path`, empty for the top level).
 *
 * @example
 * ```ts
 * checkOptionNames('createTwilioWebhookListener', options, LISTENER_OPTIONS);
 * ```
 */
export function checkOptionNames(owner: string, options: unknown, known: OptionNames, path = ''): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw configurationError(owner, `${path === '' ? 'the options' : path} must be an object`);
  }
  const issues = unknownOptionIssues(options as Record<string, unknown>, known, path);
  if (issues.length > 0) throw configurationError(owner, describeIssues(issues));
}

/**
 * `value` when it is a whole number from `min` to `max`, `fallback` when it is
 * not given; anything else is a {@link configurationError} naming `owner` and the option.
 *
 * @example
 * ```ts
 * checkWholeNumber('createTwilioWebhookServer', 'headersTimeoutMs', options.headersTimeoutMs, 1, 15_000, 5_000);
 * ```
 */
export function checkWholeNumber(
  owner: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw configurationError(owner, `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}
