/**
 * Carrying out the Twilio provider's REST effects: creating a call, ending it,
 * replacing its TwiML. What a request learnt comes back as a message for
 * `receiveTwilio` (the CallSid of a new call, or why Twilio refused it).
 *
 * @module
 */
import type { TwilioEffect, TwilioInbound } from './callControl.js';
import { toDialFailure } from './callStatusMapping.js';
import type { TwilioCallsApi } from './twilioCallsApi.js';

/**
 * Runs one effect. A refused create is a message, not an error: the machine
 * rolls over. A failed update rejects (the caller retries or reports it).
 *
 * @example
 * ```ts
 * const learnt = await runTwilioEffect({ kind: 'update', callSid, params: { status: 'completed' } }, calls); // []
 * ```
 */
export async function runTwilioEffect(effect: TwilioEffect, calls: TwilioCallsApi): Promise<TwilioInbound[]> {
  if (effect.kind === 'create') {
    const { token } = effect;
    if (effect.params === null) {
      return [{ kind: 'create-failed', token, ending: { status: 'failed', providerCode: 'NO_CALLER_ID' } }];
    }
    try {
      const created = await calls.create(effect.params);
      return [{ kind: 'created', token, callSid: created.sid }];
    } catch (error) {
      return [{ kind: 'create-failed', token, ending: toDialFailure(error) }];
    }
  }
  const { callSid, params } = effect;
  if ('status' in params && params.status === 'canceled') {
    try {
      await calls.update(callSid, params);
    } catch {
      // A call answered meanwhile can no longer be canceled, only completed.
      await calls.update(callSid, { status: 'completed' });
    }
    return [];
  }
  await calls.update(callSid, params);
  return [];
}
