/**
 * Checking `X-Twilio-Signature` with twilio-node's own `validateRequest`.
 *
 * @module
 */
import twilio from 'twilio';

/**
 * The header that carries Twilio's signature (lower case, as Node gives headers).
 *
 * @example
 * ```ts
 * const signature = req.headers[SIGNATURE_HEADER];
 * ```
 */
export const SIGNATURE_HEADER = 'x-twilio-signature';

/**
 * Whether `signature` is Twilio's signature of a request to `url` with form
 * `params`, made with `authToken`. Never throws: a URL or signature that cannot
 * even be checked is not valid.
 *
 * @example
 * ```ts
 * const params = { CallSid: 'CA…', CallStatus: 'ringing' };
 * const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
 * isValidTwilioSignature({ authToken, signature, url, params }); // true
 * ```
 */
export function isValidTwilioSignature(input: {
  authToken: string;
  signature: string;
  url: string;
  params: Readonly<Record<string, string>>;
}): boolean {
  try {
    return twilio.validateRequest(input.authToken, input.signature, input.url, input.params);
  } catch {
    return false;
  }
}
