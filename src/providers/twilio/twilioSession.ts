/**
 * One verification's Twilio calls in this process (`runVerification`): the
 * provider's decisions (`callControl.ts`) on state kept in memory, REST
 * effects run as they come, and webhooks answered with the TwiML the machine's
 * reply makes. The durable service drives the same decisions on saved state.
 *
 * The runtime hands the machine's commands over synchronously while events are
 * delivered, so a TwiML request usually has its answer as soon as its events
 * were reported. When the machine needs a moment (a PIN check), the request
 * waits up to `replyWaitMs`, then the call holds and comes back.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { VoiceMfaError } from '../../errors.js';
import type { ProviderCommand } from '../../machine/commands.js';
import type { ProviderEvent } from '../../machine/events.js';
import type { RuntimeClock } from '../../runtime/clock.js';
import type { ProviderReport, ProviderSession } from '../types.js';
import {
  awaitsFinalTwiml,
  awaitsHangUp,
  initialTwilioState,
  mayHaveBeenPlacedUnknowingly,
  planTwilio,
  receiveTwilio,
  releaseAllTwilio,
  staleTwilioAnswer,
  type TwilioCall,
  type TwilioControlSettings,
  type TwilioEffect,
  type TwilioInbound,
  type TwilioPlan,
  type TwilioState,
} from './callControl.js';
import type { TwilioCallRegistry, TwilioWebhookTarget } from './callRegistry.js';
import { TWILIO_CALL_STATUS_EVENTS, toTwilioCallStatus } from './callStatusMapping.js';
import type { TwilioCallWebhook } from './callWebhook.js';
import { withPlacementDeadlines } from './dialDeadline.js';
import type { DialPacer } from './dialPacer.js';
import type { TwilioCallsApi } from './twilioCallsApi.js';
import { isPassingRestFailure, runTwilioEffect } from './twilioEffects.js';

/**
 * What a session needs from its provider.
 *
 * @example
 * ```ts
 * const session = new TwilioSession('v-1', emit, { calls, registry, control, pacer, clock, replyWaitMs: 2_000, onError: console.error });
 * ```
 */
export interface TwilioSessionSettings {
  calls: TwilioCallsApi;
  registry: TwilioCallRegistry;
  control: TwilioControlSettings;
  /** The provider's pacer, shared by its sessions: every create goes through it. */
  pacer: DialPacer;
  /** The pacer's clock: a dial's latest placement is reckoned from it. */
  clock: RuntimeClock;
  /** Where the session's dial queue is reported (`SessionContext.report`). */
  report?(report: ProviderReport): void;
  /** How long a TwiML request waits for the machine's next command before the call holds and comes back. */
  replyWaitMs: number;
  /** Receives failures that happen in the background (a REST hang-up that failed). */
  onError(error: VoiceMfaError): void;
  /**
   * Told at the close the calls it may have placed unknowingly (a create that
   * failed without telling whether Twilio created the call, and no webhook
   * since), so that their webhooks still end them once it is unregistered.
   */
  keepAfterClose?(calls: readonly TwilioCall[]): void;
}

/**
 * Pauses before each new try of a hang-up that failed on the way (no answer, a
 * 5xx, a 429), as the create's retries after a 429 are paced; each call's are
 * stretched by its own share ({@link hangUpRetryPausesMs}). The session's
 * close waits for them: no call outlives its verification while a try is left.
 */
const HANG_UP_RETRY_DELAYS_MS = [1_000, 2_000, 4_000] as const;

/**
 * The pauses before the new tries of a call's hang-up: each of
 * {@link HANG_UP_RETRY_DELAYS_MS} stretched by the same share, from none to a
 * half, read from the CallSid. Hang-ups that failed together (an account's
 * 429) are tried again spread over that half rather than all at the same
 * moments, and a call's pauses are the same on every run.
 *
 * @internal
 */
export function hangUpRetryPausesMs(callSid: string): number[] {
  const share = createHash('sha256').update(callSid).digest().readUInt32BE(0) / 2 ** 32;
  return HANG_UP_RETRY_DELAYS_MS.map((delayMs) => Math.round(delayMs * (1 + share / 2)));
}

/** Time beyond the pause a call is given to come back for its final TwiML once the session closed. */
const FINAL_TWIML_MARGIN_MS = 3_000;

/** Whether an effect hangs a call up (cancels it while it rings, completes it once answered). */
const endsCall = (effect: TwilioEffect): effect is Extract<TwilioEffect, { kind: 'update' }> =>
  effect.kind === 'update' && 'status' in effect.params;

/** A TwiML request waiting for the machine: the commands it gives meanwhile answer it. */
interface OpenRequest {
  key: string;
  inbound: TwilioInbound;
  commands: ProviderCommand[];
  wake: (() => void) | null;
  done: Promise<string>;
}

/**
 * The session of one verification. Created by `TwilioVoiceProvider.openSession`.
 *
 * @example
 * ```ts
 * const session = provider.openSession({ verificationId: 'v-1', emit: (event) => actor.send(event) });
 * session.execute({ type: 'dial', attempt: 0, to: '+14255550100', extension: null, callerId: null, ringTimeoutMs: 30_000, dialTimeoutMs: 90_000, machineDetection: false });
 * ```
 */
export class TwilioSession implements ProviderSession, TwilioWebhookTarget {
  private state: TwilioState = initialTwilioState();
  /** REST requests under way; closing waits for them, so that no call outlives its verification unnoticed. */
  private readonly restWork = new Set<Promise<unknown>>();
  /**
   * New tries of hang-ups that failed on the way. Closing waits for them last,
   * after the farewells it waits for, so that a try's pause delays none of them.
   */
  private readonly hangUpRetries = new Set<Promise<void>>();
  /** Failures a new try is under way for: reported by the try, if at all, not where they were caught. */
  private readonly retriedFailures = new WeakSet<object>();
  /** Calls reported ended after the close (which keeps no state of them): a new try of their hang-up is not made. */
  private readonly endedAfterClose = new Set<string>();
  /** CallSids being recorded in the registry; closing waits for them before it unregisters, so that none lands after. */
  private readonly bindings = new Set<Promise<void>>();
  private open: OpenRequest | null = null;
  private readonly finalTwimlWaiters = new Map<string, () => void>();
  private closed = false;
  /** Aborted at the close: dials still waiting in the pacer are withdrawn, no call is placed for them. */
  private readonly withdrawal = new AbortController();

  constructor(
    private readonly verificationId: string,
    private readonly emitEvent: (event: ProviderEvent) => void,
    private readonly settings: TwilioSessionSettings,
  ) {}

  execute(command: ProviderCommand): void | Promise<void> {
    if (this.closed) return;
    if (this.open !== null) {
      this.open.commands.push(command);
      this.open.wake?.();
      return;
    }
    return this.apply(this.plan([command], null));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A dial waits in the pacer only as part of REST work under way; aborting costs an error and an event, so only then.
    if (this.restWork.size > 0) this.withdrawal.abort();
    this.open?.wake?.();
    await this.restSettled();
    const holding = this.state.calls.filter(awaitsFinalTwiml);
    const endings = [
      this.apply(releaseAllTwilio(this.state)),
      ...holding.map((call) => this.awaitFinalTwiml(call.token)),
    ];
    for (const outcome of await Promise.allSettled(endings)) {
      if (outcome.status === 'rejected') this.report('A call left at the end could not be hung up', outcome.reason);
    }
    // Hang-ups of calls whose webhooks came meanwhile (placed although their create failed).
    await this.restSettled();
    while (this.hangUpRetries.size > 0) await Promise.all([...this.hangUpRetries]);
    await Promise.all([...this.bindings]);
    const lostCalls = this.state.calls.filter(mayHaveBeenPlacedUnknowingly);
    if (lostCalls.length > 0) this.settings.keepAfterClose?.(lostCalls);
    await this.settings.registry.unregister(this.verificationId);
  }

  async handleCallWebhook(webhook: TwilioCallWebhook): Promise<string> {
    const inbound: TwilioInbound = { kind: 'webhook', webhook };
    if (this.closed) return this.afterClose(webhook, inbound);
    const key = `${webhook.query.token}:${webhook.route}:${webhook.query.step ?? '-'}`;
    // Twilio retries a request once when the connection fails: a retry of a waiting request shares its answer.
    if (this.open?.key === key) return this.open.done;
    this.open?.wake?.();
    const reception = receiveTwilio(this.state, inbound);
    this.state = reception.state;
    if (reception.answer !== null) {
      this.emitAll(reception.events);
      this.endLetGoCalls();
      return reception.answer;
    }
    return this.answer(key, inbound, reception.events);
  }

  /** What a call's Media Stream heard: the machine's answer (a hang-up) comes back through `execute`. */
  receiveHeard(inbound: Extract<TwilioInbound, { kind: 'heard' }>): void {
    if (this.closed) return;
    const reception = receiveTwilio(this.state, inbound);
    this.state = reception.state;
    this.emitAll(reception.events);
  }

  /** A TwiML request whose answer is the machine's: report its events, collect the commands, answer with them. */
  private async answer(key: string, inbound: TwilioInbound, events: readonly ProviderEvent[]): Promise<string> {
    let settle: (twiml: string) => void = () => {};
    const done = new Promise<string>((resolve) => {
      settle = resolve;
    });
    const open: OpenRequest = { key, inbound, commands: [], wake: null, done };
    this.open = open;
    try {
      this.emitAll(events);
      if (open.commands.length === 0 && this.awaitsMachine(inbound)) await this.waitForCommand(open);
    } finally {
      this.open = null;
    }
    let twiml: string;
    try {
      const plan = this.plan(open.commands, inbound);
      this.apply(plan)?.catch((error: unknown) => this.report('A call could not be updated', error));
      twiml = plan.answer ?? this.currentTwiml(inbound);
    } catch (error) {
      this.report('A webhook of a call could not be answered', error);
      twiml = staleTwilioAnswer('answer');
    }
    settle(twiml);
    return twiml;
  }

  /** Whether the request is waiting for the machine (which may need a moment: a PIN check). */
  private awaitsMachine(inbound: TwilioInbound): boolean {
    if (this.closed || inbound.kind !== 'webhook') return false;
    const call = this.state.calls.find((c) => c.token === inbound.webhook.query.token);
    return call?.request?.awaitsMachine === true && call.phase !== 'ended' && !call.released;
  }

  private waitForCommand(open: OpenRequest): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        open.wake = null;
        resolve();
      }, this.settings.replyWaitMs);
      open.wake = () => {
        clearTimeout(timer);
        open.wake = null;
        resolve();
      };
    });
  }

  private currentTwiml(inbound: TwilioInbound): string {
    const token = inbound.kind === 'webhook' ? inbound.webhook.query.token : inbound.token;
    const call = this.state.calls.find((c) => c.token === token);
    return call?.current?.twiml ?? staleTwilioAnswer('answer');
  }

  /**
   * After the close, only a call holding for its farewell may still fetch it.
   * The webhook of a call whose CallSid is not known yet (its create was still
   * under way, or failed though Twilio placed the call) gives the CallSid to
   * end it by.
   */
  private afterClose(webhook: TwilioCallWebhook, inbound: TwilioInbound): string {
    const { CallSid: callSid, CallStatus: callStatus } = webhook.params;
    const status = toTwilioCallStatus(callStatus);
    if (callSid !== undefined && status !== null && TWILIO_CALL_STATUS_EVENTS[status].event === 'ended') {
      this.endedAfterClose.add(callSid);
    }
    const waiter = this.finalTwimlWaiters.get(webhook.query.token);
    if (waiter === undefined) {
      if (this.state.calls.some((c) => c.token === webhook.query.token && c.callSid === null)) {
        // Every call is let go now, so that this one is read as a call nobody waits for.
        this.apply(releaseAllTwilio(this.state))?.catch((error: unknown) =>
          this.report('A call left at the end could not be hung up', error),
        );
        this.state = receiveTwilio(this.state, inbound).state;
        this.endLetGoCalls();
      }
      return staleTwilioAnswer(webhook.route);
    }
    const reception = receiveTwilio(this.state, inbound);
    this.state = reception.state;
    const call = this.state.calls.find((c) => c.token === webhook.query.token);
    if (call === undefined || !awaitsFinalTwiml(call)) waiter();
    return reception.answer ?? staleTwilioAnswer(webhook.route);
  }

  /**
   * A call paused before coming back for its farewell: it stays reachable until
   * it fetched it (the pause plus a margin), else it is hung up by REST.
   */
  private async awaitFinalTwiml(token: string): Promise<void> {
    const served = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(
        () => {
          this.finalTwimlWaiters.delete(token);
          resolve(false);
        },
        this.settings.control.pollPauseSeconds * 1000 + FINAL_TWIML_MARGIN_MS,
      );
      this.finalTwimlWaiters.set(token, () => {
        clearTimeout(timer);
        this.finalTwimlWaiters.delete(token);
        resolve(true);
      });
    });
    const call = this.state.calls.find((c) => c.token === token);
    if (served || call === undefined || call.phase === 'ended' || call.callSid === null) return;
    await runTwilioEffect(
      { kind: 'update', callSid: call.callSid, params: { status: 'completed' } },
      this.settings.calls,
    );
  }

  // ── Effects and events ───────────────────────────────────────────────────

  /** Plans the machine's commands; a dial's create carries the latest time it may be placed. */
  private plan(commands: readonly ProviderCommand[], inbound: TwilioInbound | null): TwilioPlan {
    const plan = planTwilio(this.state, commands, inbound, this.settings.control);
    return { ...plan, effects: withPlacementDeadlines(plan.effects, commands, this.settings.clock.now()) };
  }

  /**
   * Ends by REST the calls let go that are still up but were not ended when
   * they were let go: a call placed although its create failed, known from its
   * first webhook.
   */
  private endLetGoCalls(): void {
    if (!this.state.calls.some(awaitsHangUp)) return;
    this.apply(planTwilio(this.state, [], null, this.settings.control))?.catch((error: unknown) =>
      this.report('A call placed after its dial was given up could not be hung up', error),
    );
  }

  /** Takes a plan's state and runs its effects; resolves once they ran (a dial included). */
  private apply(plan: TwilioPlan): Promise<void> | undefined {
    this.state = plan.state;
    if (plan.effects.length === 0 && plan.tokens.length === 0) return undefined;
    return this.track(this.runPlan(plan));
  }

  private async runPlan(plan: TwilioPlan): Promise<void> {
    // Webhooks of a new call find this session by its dial token: bound before the call is created.
    for (const token of plan.tokens) {
      try {
        await this.settings.registry.bindDialToken(token, this.verificationId);
      } catch (error) {
        this.report('The call registry could not record a dial token', error);
      }
    }
    await Promise.all(plan.effects.map((effect) => this.run(effect)));
  }

  /**
   * Runs one REST effect; a failed update rejects (the command that caused it
   * failed). A hang-up that failed on the way is tried again meanwhile.
   */
  private async run(effect: TwilioEffect): Promise<void> {
    const { calls, pacer, report } = this.settings;
    let learnt: TwilioInbound[];
    try {
      learnt = await runTwilioEffect(effect, calls, { pacer, report, signal: this.withdrawal.signal });
    } catch (error) {
      if (endsCall(effect) && isPassingRestFailure(error)) this.startRetry(effect.callSid, error);
      throw error;
    }
    for (const inbound of learnt) {
      const reception = receiveTwilio(this.state, inbound);
      this.state = reception.state;
      this.emitAll(reception.events);
      // A call placed after the verification let it go is ended at once.
      if (this.closed || reception.events.length === 0)
        await this.apply(planTwilio(this.state, [], null, this.settings.control));
    }
  }

  /**
   * Hands events to the machine while the session is open. A call's CallSid,
   * first known when its `call.dialed` is reported, is recorded in the registry
   * (which forgets it with the verification when the session closes).
   */
  private emitAll(events: readonly ProviderEvent[]): void {
    for (const event of events) {
      if (this.closed) return;
      if (event.type === 'call.dialed') this.bindCall(event.callId);
      this.emitEvent(event);
    }
  }

  private bindCall(callSid: string): void {
    const bound = new Promise<void>((resolve) =>
      resolve(this.settings.registry.bindCall(callSid, this.verificationId)),
    ).catch((error: unknown) => this.report('The call registry could not record a CallSid', error));
    this.bindings.add(bound);
    void bound.finally(() => this.bindings.delete(bound));
  }

  /**
   * Starts trying a hang-up again after each of its {@link hangUpRetryPausesMs},
   * until it goes through, the call is reported ended, or Twilio refuses it
   * (the call is over); the last try reports it when every one failed on the
   * way. Without this, a call whose hang-up was lost would ring, or stay on
   * the line, until its next webhook is answered as stale.
   */
  private startRetry(callSid: string, error: unknown): void {
    if (typeof error === 'object' && error !== null) this.retriedFailures.add(error);
    const retry = this.retryHangUp(callSid, error).catch((failure: unknown) =>
      this.report('A call could not be hung up', failure),
    );
    this.hangUpRetries.add(retry);
    void retry.finally(() => this.hangUpRetries.delete(retry));
  }

  private async retryHangUp(callSid: string, firstError: unknown): Promise<void> {
    let lastError = firstError;
    for (const delayMs of hangUpRetryPausesMs(callSid)) {
      await new Promise<void>((resolve) => this.settings.clock.setTimeout(() => resolve(), delayMs));
      if (this.hasEnded(callSid)) return;
      try {
        // `completed` ends a call in any state; the call may have been answered since a `canceled` failed.
        await runTwilioEffect({ kind: 'update', callSid, params: { status: 'completed' } }, this.settings.calls);
        return;
      } catch (error) {
        if (!isPassingRestFailure(error)) return;
        lastError = error;
      }
    }
    // Told whether or not the failure is one `report` leaves to the tries: this is the last of them.
    this.tell(`A call could not be hung up in ${HANG_UP_RETRY_DELAYS_MS.length + 1} tries`, lastError);
  }

  /** Whether a status callback said the call ended, while the session was open or since. */
  private hasEnded(callSid: string): boolean {
    return (
      this.endedAfterClose.has(callSid) ||
      this.state.calls.some((call) => call.callSid === callSid && call.phase === 'ended')
    );
  }

  /** Waits until the REST requests under way, and those they led to, have finished. */
  private async restSettled(): Promise<void> {
    while (this.restWork.size > 0) await Promise.all([...this.restWork]);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    const settled = work.catch(() => {});
    this.restWork.add(settled);
    void settled.finally(() => this.restWork.delete(settled));
    return work;
  }

  private report(message: string, error: unknown): void {
    // A hang-up tried again is reported by its last try, if that fails too.
    if (typeof error === 'object' && error !== null && this.retriedFailures.has(error)) return;
    this.tell(message, error);
  }

  /** Hands the provider's `onError` a `PROVIDER_ERROR` caused by `error`. */
  private tell(message: string, error: unknown): void {
    this.settings.onError(new VoiceMfaError('PROVIDER_ERROR', message, { cause: error }));
  }
}
