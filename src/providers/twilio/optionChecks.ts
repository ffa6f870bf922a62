/**
 * Checking the whole-number options of the Twilio provider, its webhook
 * listener and its server, with one message for all of them.
 *
 * @module
 */
import { VoiceMfaError } from '../../errors.js';

/**
 * `value` when it is a whole number from `min` to `max`, `fallback` when it is
 * not given; anything else is a `VoiceMfaError` naming `owner` and the option.
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
    throw new VoiceMfaError('PROVIDER_ERROR', `${owner}: ${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}
