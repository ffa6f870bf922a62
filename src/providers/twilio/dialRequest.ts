/**
 * The `calls.create` request for a dial command.
 *
 * @module
 */
import type { DialCommand } from '../../machine/commands.js';
import type { TwilioCallCreateParams } from './twilioCallsApi.js';
import { toWebhookUrl } from './webhookRoutes.js';

/**
 * Longest ring time Twilio accepts, in seconds.
 *
 * @example
 * ```ts
 * toRingTimeoutSeconds(3_600_000) === MAX_RING_TIMEOUT_SECONDS; // true
 * ```
 */
export const MAX_RING_TIMEOUT_SECONDS = 600;

/**
 * The status callback events the provider asks for.
 *
 * @example
 * ```ts
 * toCallCreateParams(command, call).statusCallbackEvent; // ['initiated', 'ringing', 'answered', 'completed']
 * ```
 */
export const STATUS_CALLBACK_EVENTS: readonly string[] = ['initiated', 'ringing', 'answered', 'completed'];

/**
 * Twilio's `Timeout` (whole seconds, 1–600) for a ring timeout in milliseconds.
 *
 * @example
 * ```ts
 * toRingTimeoutSeconds(30_000); // 30
 * toRingTimeoutSeconds(900_000); // 600
 * ```
 */
export function toRingTimeoutSeconds(ringTimeoutMs: number): number {
  return Math.min(MAX_RING_TIMEOUT_SECONDS, Math.max(1, Math.ceil(ringTimeoutMs / 1000)));
}

/**
 * The create request of one call. Extension digits are not sent with
 * `SendDigits` (which would switch answering-machine detection off): the
 * machine asks for them once the call is answered.
 *
 * @example
 * ```ts
 * toCallCreateParams(
 *   { type: 'dial', attempt: 0, to: '+14255550100', extension: null, callerId: null, ringTimeoutMs: 30_000, dialTimeoutMs: 90_000, machineDetection: false },
 *   { from: '+14255550000', publicBaseUrl: 'https://verify.example.com/twilio', token: '0123456789abcdef0123456789abcdef' },
 * );
 * // { to: '+14255550100', from: '+14255550000', url: 'https://verify.example.com/twilio/answer?t=…', timeout: 30, … }
 * ```
 */
export function toCallCreateParams(
  command: DialCommand,
  call: { from: string; publicBaseUrl: string; token: string },
): TwilioCallCreateParams {
  const { publicBaseUrl, token } = call;
  const params: TwilioCallCreateParams = {
    to: command.to,
    from: call.from,
    url: toWebhookUrl(publicBaseUrl, 'answer', { token }),
    method: 'POST',
    statusCallback: toWebhookUrl(publicBaseUrl, 'status', { token }),
    statusCallbackEvent: [...STATUS_CALLBACK_EVENTS],
    statusCallbackMethod: 'POST',
    timeout: toRingTimeoutSeconds(command.ringTimeoutMs),
  };
  if (command.machineDetection) {
    params.machineDetection = 'Enable';
    params.asyncAmd = 'true';
    params.asyncAmdStatusCallback = toWebhookUrl(publicBaseUrl, 'amd', { token });
    params.asyncAmdStatusCallbackMethod = 'POST';
  }
  return params;
}
