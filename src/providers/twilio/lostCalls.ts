/**
 * Calls a closed `runVerification` session may have placed unknowingly: their
 * create failed without telling whether Twilio created them. Once the session
 * unregistered, no live session knows their dial token, so the provider keeps,
 * for each, just what ends it when its first webhook gives its CallSid — not
 * the session, which leads to the verification's actor.
 *
 * @module
 */
import { VoiceMfaError } from '../../errors.js';
import type { RuntimeClock } from '../../runtime/clock.js';
import {
  planTwilio,
  receiveTwilio,
  staleTwilioAnswer,
  type TwilioCall,
  type TwilioControlSettings,
  type TwilioState,
} from './callControl.js';
import type { TwilioWebhookTarget } from './callRegistry.js';
import type { TwilioCallWebhook } from './callWebhook.js';
import type { TwilioCallsApi } from './twilioCallsApi.js';
import { runTwilioEffect } from './twilioEffects.js';

/**
 * How long a lost call's dial token is kept. With `statusCallbackEvent`
 * `initiated`, its first webhook comes when the call leaves Twilio's queue;
 * had its create succeeded, the verification would have hung it up at the
 * dial bound, which covers the queue and is at most 15 minutes
 * (`dialTimeoutMs`). A call still queued past that would have been given up
 * as well; a minute more is for the webhook on its way (Twilio waits up to
 * 15 s for an answer, and retries once).
 */
export const LOST_CALL_RETENTION_MS = 16 * 60_000;

/** What ending a lost call needs. */
export interface LostCallSettings {
  calls: TwilioCallsApi;
  control: TwilioControlSettings;
  /** Times the retention. */
  clock: RuntimeClock;
  /** Receives a hang-up that failed. */
  onError(error: VoiceMfaError): void;
}

/**
 * The provider's lost calls, by dial token, each forgotten after
 * {@link LOST_CALL_RETENTION_MS}.
 *
 * @example
 * ```ts
 * const lost = new LostCalls({ calls, control, clock: systemClock, onError: console.error });
 * lost.keep(closedState.calls.filter(mayHaveBeenPlacedUnknowingly));
 * await lost.find(token)?.handleCallWebhook(webhook); // '<Response/>', the call canceled by REST
 * ```
 */
export class LostCalls {
  private readonly byToken = new Map<string, TwilioWebhookTarget>();

  constructor(private readonly settings: LostCallSettings) {}

  /** The webhook target of the lost call with this dial token, if it is kept. */
  readonly find = (token: string): TwilioWebhookTarget | undefined => this.byToken.get(token);

  keep(calls: readonly TwilioCall[]): void {
    const { clock } = this.settings;
    for (const call of calls) {
      const target = this.endOnFirstWebhook(call);
      this.byToken.set(call.token, target);
      const forget = clock.setTimeout(() => {
        if (this.byToken.get(call.token) === target) this.byToken.delete(call.token);
      }, LOST_CALL_RETENTION_MS);
      // The system clock's handle is a Node timer: a call that may never show up keeps no process alive.
      (forget as { unref?: () => void } | null)?.unref?.();
    }
  }

  /**
   * Answers the call's webhooks as stale (`<Hangup/>` to a TwiML request) and
   * ends it by REST once one gives its CallSid, as its session would have.
   */
  private endOnFirstWebhook(lostCall: TwilioCall): TwilioWebhookTarget {
    const { calls, control, onError } = this.settings;
    let state: TwilioState = { calls: [{ ...lostCall, released: true }] };
    return {
      handleCallWebhook: (webhook: TwilioCallWebhook): Promise<string> => {
        const reception = receiveTwilio(state, { kind: 'webhook', webhook });
        const plan = planTwilio(reception.state, [], null, control);
        state = plan.state;
        for (const effect of plan.effects) {
          runTwilioEffect(effect, calls).catch((error: unknown) =>
            onError(
              new VoiceMfaError('PROVIDER_ERROR', 'A call placed after its dial was given up could not be hung up', {
                cause: error,
              }),
            ),
          );
        }
        return Promise.resolve(reception.answer ?? staleTwilioAnswer(webhook.route));
      },
    };
  }
}
