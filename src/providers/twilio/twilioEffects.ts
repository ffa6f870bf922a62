/**
 * Carrying out the Twilio provider's REST effects: creating a call, ending it,
 * replacing its TwiML. What a request learnt comes back as a message for
 * `receiveTwilio` (the CallSid of a new call, or why Twilio refused it).
 *
 * @module
 */
import type { ProviderReport } from '../types.js';
import type { TwilioEffect, TwilioInbound } from './callControl.js';
import { toDialFailure } from './callStatusMapping.js';
import { readPlaceBy } from './dialDeadline.js';
import { type DialPacer, DialRefusedError, type Placed } from './dialPacer.js';
import type { TwilioCallsApi } from './twilioCallsApi.js';

/** What creating a call goes through: the provider's pacer, and where its queue is reported. */
export interface TwilioEffectContext {
  /** Paces `calls.create`; without one, creates are sent at once. */
  pacer?: DialPacer;
  /** Receives `provider.dialQueued` and `provider.dialPlaced`. */
  report?(report: ProviderReport): void;
  /** Aborting it withdraws a create still waiting in the pacer (its verification ended). */
  signal?: AbortSignal;
}

/**
 * Whether Twilio turned a request away as too many requests (error 20429, HTTP
 * 429): not the callee's fault, worth a retry after a back-off.
 *
 * @example
 * ```ts
 * isTooManyRequests({ status: 429, code: 20429 }); // true
 * isTooManyRequests({ status: 400, code: 21217 }); // false
 * ```
 */
export function isTooManyRequests(error: unknown): boolean {
  return hasTwilioCode(error, 20429) || (error as { status?: unknown } | null | undefined)?.status === 429;
}

/**
 * Whether a REST request failed on the way rather than by Twilio's refusal:
 * no answer came (a timeout, a lost connection: a network error's code),
 * Twilio failed (a 5xx), or it asked us to slow down (429). The same request
 * may then work a moment later; a 4xx other than 429 (a call no longer in
 * progress, a bad request) or twilio-node's own refusal would not.
 *
 * @example
 * ```ts
 * isPassingRestFailure(Object.assign(new Error('Service Unavailable'), { status: 503 })); // true
 * isPassingRestFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })); // true
 * isPassingRestFailure(Object.assign(new Error('Call is not in-progress'), { status: 400, code: 21220 })); // false
 * ```
 */
export function isPassingRestFailure(error: unknown): boolean {
  if (isTooManyRequests(error)) return true;
  const { status, code } = (error ?? {}) as { status?: unknown; code?: unknown };
  // Without an HTTP status, only a network failure (ECONNRESET, ETIMEDOUT, ECONNABORTED…) is one to try again:
  // a client-side refusal of twilio-node (an invalid CallSid) would fail the same way.
  if (typeof status !== 'number') return typeof code === 'string' && code !== '';
  return status >= 500;
}

/**
 * Whether Twilio refused to act on a call because it is no longer in progress
 * (error 21220, "Call is not in-progress. Cannot redirect."): new TwiML for a
 * call that was answered and has ended meanwhile has nothing left to do.
 *
 * @example
 * ```ts
 * isNoLongerInProgress({ status: 400, code: 21220 }); // true
 * ```
 */
function isNoLongerInProgress(error: unknown): boolean {
  return hasTwilioCode(error, 21220);
}

/** Whether `error` carries Twilio's error `code`, as a number or as its digits. */
function hasTwilioCode(error: unknown, code: number): boolean {
  const given = (error as { code?: unknown } | null | undefined)?.code;
  return given === code || given === String(code);
}

/**
 * Whether a failed create may have created the call all the same: no answer
 * came (a timeout, a lost connection) or Twilio failed after receiving it (a
 * 5xx). A dial the pacer refused or withdrew was never sent, and a 4xx (an
 * invalid number, too many requests) is Twilio's refusal: no call.
 */
function mayHaveBeenPlaced(error: unknown): boolean {
  if (error instanceof DialRefusedError || isTooManyRequests(error)) return false;
  const status = (error as { status?: unknown } | null | undefined)?.status;
  return !(typeof status === 'number' && status >= 400 && status < 500);
}

/**
 * Runs one effect. A refused create is a message, not an error: the machine
 * rolls over. A failed update rejects (the caller retries or reports it),
 * except new TwiML for a call that has ended meanwhile.
 *
 * @example
 * ```ts
 * const learnt = await runTwilioEffect({ kind: 'update', callSid, params: { status: 'completed' } }, calls); // []
 * ```
 */
export async function runTwilioEffect(
  effect: TwilioEffect,
  calls: TwilioCallsApi,
  context: TwilioEffectContext = {},
): Promise<TwilioInbound[]> {
  if (effect.kind === 'create') {
    const { token, attempt } = effect;
    const params = effect.params;
    if (params === null) {
      return [{ kind: 'create-failed', token, ending: { status: 'failed', providerCode: 'NO_CALLER_ID' } }];
    }
    const { pacer, report, signal } = context;
    let placed: Placed<{ sid: string }>;
    try {
      placed =
        pacer === undefined
          ? { value: await calls.create(params), waitMs: 0, retries: 0 }
          : await pacer.place(() => calls.create(params), {
              placeBy: readPlaceBy(effect),
              signal,
              onQueued: ({ queueLength, waitMs }) =>
                report?.({ type: 'provider.dialQueued', attempt, queueLength, waitMs }),
            });
    } catch (error) {
      const ending =
        error instanceof DialRefusedError
          ? { status: 'failed' as const, providerCode: error.reason }
          : toDialFailure(error);
      return [{ kind: 'create-failed', token, ending, mayHaveBeenPlaced: mayHaveBeenPlaced(error) }];
    }
    if (pacer !== undefined) {
      report?.({ type: 'provider.dialPlaced', attempt, waitMs: placed.waitMs, retries: placed.retries });
    }
    return [{ kind: 'created', token, callSid: placed.value.sid }];
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
  try {
    await calls.update(callSid, params);
  } catch (error) {
    // TwiML goes only to answered calls: one no longer in progress has ended, and its status callback says so.
    if (!('twiml' in params && isNoLongerInProgress(error))) throw error;
  }
  return [];
}
