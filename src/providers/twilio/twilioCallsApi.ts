/**
 * The part of Twilio's REST API the provider uses: create a call, update a
 * call. A thin seam over twilio-node, so that tests and hosts can wrap it.
 *
 * @module
 */
import type twilio from 'twilio';

/**
 * Parameters of `calls.create` the provider sends (twilio-node's names).
 *
 * @example
 * ```ts
 * const calls: TwilioCallsApi = {
 *   create: async (params: TwilioCallCreateParams) => client.calls.create(params),
 *   update: async (callSid, params) => client.calls(callSid).update(params),
 * };
 * ```
 */
export interface TwilioCallCreateParams {
  to: string;
  from: string;
  url: string;
  method: 'POST';
  statusCallback: string;
  statusCallbackEvent: string[];
  statusCallbackMethod: 'POST';
  /** Ring time in seconds (1–600). */
  timeout: number;
  machineDetection?: 'Enable';
  asyncAmd?: 'true';
  asyncAmdStatusCallback?: string;
  asyncAmdStatusCallbackMethod?: 'POST';
}

/**
 * Parameters of `calls(sid).update` the provider sends.
 *
 * @example
 * ```ts
 * await calls.update(callSid, { status: 'completed' });
 * await calls.update(callSid, { twiml: '<Response><Hangup/></Response>' });
 * ```
 */
export type TwilioCallUpdateParams = { status: 'canceled' | 'completed' } | { twiml: string };

/**
 * Creating and updating calls.
 *
 * @example
 * ```ts
 * const calls: TwilioCallsApi = {
 *   create: async (params) => ({ sid: 'CA0123456789abcdef0123456789abcdef' }),
 *   update: async (callSid, params) => {},
 * };
 * ```
 */
export interface TwilioCallsApi {
  /** `POST /Calls`: places a call; resolves with its CallSid, rejects with Twilio's REST error. */
  create(params: TwilioCallCreateParams): Promise<{ sid: string }>;
  /** `POST /Calls/{Sid}`: ends a call or replaces its TwiML. */
  update(callSid: string, params: TwilioCallUpdateParams): Promise<unknown>;
}

/**
 * The calls API of a twilio-node client.
 *
 * @example
 * ```ts
 * import twilio from 'twilio';
 * const calls = toTwilioCallsApi(twilio(accountSid, authToken));
 * ```
 */
export function toTwilioCallsApi(client: twilio.Twilio): TwilioCallsApi {
  return {
    create: (params) => client.calls.create(params),
    update: (callSid, params) => client.calls(callSid).update(params),
  };
}
