/**
 * The durable verification service: verifications that survive a restart and
 * are served by any instance. Every input — a provider event or webhook, a due
 * deadline, a cancel — is one step under the verification's lock in the store;
 * no instance owns a verification between steps.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { JsonValue } from '../json.js';
import type { ProviderEvent } from '../machine/events.js';
import type { VerificationResult } from '../machine/outcomes.js';
import type { VerificationRequest } from '../machine/types.js';
import type { AbuseGuard, CountedStart } from '../phone/abuseGuard.js';
import { maskVerificationResult } from '../phone/maskVerificationResult.js';
import type { DurableVoiceProvider, ProviderEffect } from '../providers/types.js';
import { checkStartOptions, checkVerificationId } from '../request/identifiers.js';
import { normalizeVerificationRequest } from '../request/normalizeRequest.js';
import { type RuntimeClock, systemClock, type TimerHandle } from '../runtime/clock.js';
import { createVerificationMachine, type VerificationActorOptions } from '../runtime/createVerificationActor.js';
import { type ProviderReportObservation, readProviderReport } from '../runtime/observations.js';
import { DEFAULT_CHECK_TIMEOUT_MS } from '../step/checkTimes.js';
import {
  awaitsDial,
  type FinishedHook,
  newStoredVerification,
  type OutboxPayload,
  runStep,
  type StepInput,
  type StepOutcome,
  type StepSettings,
} from '../step/runStep.js';
import { settleWithin, TimeLimitError, withinTimeLimit } from '../step/timeLimits.js';
import {
  CorruptRecordError,
  DuplicateVerificationError,
  type InvalidServiceConfigurationError,
  ResultTimeoutError,
  ServiceClosedError,
  UnknownVerificationError,
} from '../store/errors.js';
import type { Binding, OutboxEntry, StepWrite, StoredVerification, VerificationStore } from '../store/types.js';
import { checkServiceOptions, checkWaitOptions, START_OPTIONS } from './options.js';

/** Whose verification a check or hook concerns. */
export interface VerificationSubject {
  verificationId: string;
  /** The user being verified, when the host said (`start(request, { userId })`). */
  userId: string | null;
}

/**
 * Options of {@link createVerificationService}. They are checked when the
 * service is made, every problem listed in one
 * {@link InvalidServiceConfigurationError}: `store` and `provider` must have
 * the methods the service calls, the hooks must be functions, `instanceId` a
 * non-empty string of at most 256 characters without control characters, and
 * every duration (`…Ms`) a number of milliseconds from 1 to 2 147 483 647
 * (the longest delay Node's timers keep) — `sweepIntervalMs` may also be
 * `null`.
 *
 * @example
 * ```ts
 * const options: VerificationServiceOptions = {
 *   store: new SqliteVerificationStore({ path: 'verifications.db' }),
 *   provider: twilio,
 *   verifyPin,
 *   sweepIntervalMs: 2_000,
 *   orphanAfterMs: 15_000,
 * };
 * ```
 */
export interface VerificationServiceOptions extends Pick<VerificationActorOptions, 'checkNumber' | 'dialingPolicy'> {
  /** Where verifications live: memory, SQLite (`voice-mfa/sqlite`) or PostgreSQL (`voice-mfa/postgres`). */
  store: VerificationStore;
  /** Places the calls; its per-verification state is saved with each step. */
  provider: DurableVoiceProvider<JsonValue, unknown>;
  /** Answers whether a typed PIN is right for the subject; required in PIN mode. Compare in constant time. */
  verifyPin?: (entry: string, subject: VerificationSubject) => boolean | Promise<boolean>;
  /** Abuse limits: checked before a verification starts, fed its result (through the outbox) once it ends. */
  abuseGuard?: AbuseGuard;
  /** Called, at least once, when a verification reached its final status — possibly on another instance. */
  onFinished?: (result: VerificationResult, subject: VerificationSubject) => void | Promise<void>;
  /** Mask phone numbers in results given out (`getResult`, `waitForResult`, `onFinished`). Default `true`. */
  maskNumbers?: boolean;
  /** Name of this instance in the audit log. Default: host name, process id and a random suffix. */
  instanceId?: string;
  /** Clock of the local timers (deadlines, sweeps). Default: the system clock. */
  clock?: RuntimeClock;
  /**
   * How often this instance looks for due deadlines and abandoned effects of
   * every instance. Default 1 000 ms; `null` for none (tests on virtual time
   * call {@link VerificationService.sweep} themselves).
   */
  sweepIntervalMs?: number | null;
  /** A deadline found more than this much after it fell due was missed while no instance ran (a replay). Default 10 000 ms. */
  outageThresholdMs?: number;
  /**
   * Longest the host's number or PIN check may take in a step, on the real
   * clock. A step holds the verification's lock while it waits and never
   * commits a check under way, so one that has not answered by then fails: a
   * PIN counts as wrong, a number's attempt ends `failed` (`NUMBER_CHECK_ERROR`)
   * and the verification rolls over. Default 5 000 ms.
   */
  checkTimeoutMs?: number;
  /** How long an instance holds an effect it started before another may retry it (whole ms, a fraction rounded up). Default 30 000 ms. */
  effectLeaseMs?: number;
  /**
   * An effect no instance started this long after its step committed was left
   * by one that stopped, unless the instance that committed it still holds it:
   * it holds a step's later effects while it carries out the earlier ones (a
   * hang-up before the next dial), for up to `effectLeaseMs` each. Whole ms, a
   * fraction rounded up. Default 10 000 ms.
   */
  orphanAfterMs?: number;
  /** Receives failures that happen in the background (an effect that failed, a sweep that could not run). */
  onError?: (error: unknown) => void;
  /**
   * Receives what the provider reports about its own work while this instance
   * carries out an effect — the Twilio provider's dial queue
   * (`provider.dialQueued`, `provider.dialPlaced`) — stamped as `runVerification`'s
   * `onEvent` stamps it. Exceptions it throws are ignored.
   */
  onObservation?: (observation: ProviderReportObservation) => void;
}

/**
 * How to start one verification. Each id is a non-empty string of at most 256
 * characters without control characters (no NUL, no line break); another
 * value is an `InvalidRequestError` naming it, before anything is counted,
 * stored or dialled.
 *
 * @example
 * ```ts
 * const options: StartOptions = { userId: 'alice', verificationId: `login-${sessionId}` };
 * await service.start({ targets: ['+14255550100'] }, options);
 * ```
 */
export interface StartOptions {
  /** Who is being verified: given to the PIN verifier and the abuse limits (required, and not blank, with `abuseGuard`). */
  userId?: string;
  /** Id of the verification; default a random UUID. */
  verificationId?: string;
}

/** The durable service's API. */
export interface VerificationService {
  /**
   * Starts a verification; resolves once its first step is saved (before any
   * call is answered). A start that fails with nothing saved (a refused
   * request, an id taken, a store that is down) changes nothing: what the
   * abuse limits counted for it is given back. When the store failed while
   * saving and cannot tell whether it saved the record, the count stays: the
   * limits err on the strict side. After `close()` it is refused with a
   * `ServiceClosedError`.
   */
  start(request: VerificationRequest, options?: StartOptions): Promise<{ verificationId: string }>;
  /**
   * Cancels a verification; its live call is hung up. A finished one stays as it ended. Refused with a
   * `ServiceClosedError` once `close()` was called.
   */
  cancel(verificationId: string): Promise<void>;
  /**
   * The result, or `null` while the verification runs. Throws `UnknownVerificationError` for an unknown id, and
   * an `InvalidRequestError` for one no start accepts (as `cancel`, `waitForResult` and `deliverEvent` do), and
   * a `ServiceClosedError` once `close()` resolved (as `waitForResult`, `deliverEvent` and `receive` do).
   */
  getResult(verificationId: string): Promise<VerificationResult | null>;
  /**
   * Resolves with the result once the verification ended, on whichever instance. A `timeoutMs` that is not a
   * number from 0 up, or a `signal` that is not an `AbortSignal`, is an `InvalidRequestError`. One that has not
   * ended within `timeoutMs` is a `ResultTimeoutError`; an aborted `signal` rejects with the signal's reason; a
   * wait under way when `close()` resolves, a `ServiceClosedError`.
   */
  waitForResult(
    verificationId: string,
    options?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<VerificationResult>;
  /**
   * Delivers a provider's event about one of the verification's calls (e.g. from a carrier). An event for an id
   * no verification has is ignored: the network's reports are untrusted and may outlive their verification.
   */
  deliverEvent(verificationId: string, event: ProviderEvent): Promise<void>;
  /**
   * Hands an inbound message (a webhook) to the provider within a step of its
   * verification, found by `binding`; resolves with the answer (e.g. TwiML), or
   * `null` when no verification has that binding.
   */
  receive(binding: Binding, inbound: unknown): Promise<{ verificationId: string; answer: string | null } | null>;
  /** Fires due deadlines and retries abandoned effects of every instance; the periodic sweep calls it. */
  sweep(): Promise<void>;
  /**
   * Stops this instance's timers and waits for its steps under way — starts,
   * cancels, webhooks, events, sweeps — and the effects they committed (an
   * effect that fails meanwhile goes to `onError`), so that the store may be
   * closed right after. Verifications go on elsewhere. From the call on,
   * `start` and `cancel` are refused with a `ServiceClosedError`; a webhook
   * (`receive`) or event (`deliverEvent`) that arrives while it waits is taken
   * and waited for, since refusing it would lose what the network reported.
   * Once it resolved, every other method is refused too.
   */
  close(): Promise<void>;
}

const DEFAULTS = {
  sweepIntervalMs: 1_000,
  outageThresholdMs: 10_000,
  checkTimeoutMs: DEFAULT_CHECK_TIMEOUT_MS,
  effectLeaseMs: 30_000,
  orphanAfterMs: 10_000,
};
/** Verifications claimed per sweep. */
const SWEEP_BATCH = 100;
/** How long a sweeper's claim on a due verification lasts. */
const DUE_CLAIM_MS = 10_000;
/** Longest wait between two looks at the store while waiting for a result. */
const RESULT_POLL_MS = 1_000;
/** The provider code of an attempt whose dial was never placed because the instance that should have placed it stopped. */
export const DIAL_INTERRUPTED = 'DIAL_INTERRUPTED';

/**
 * Creates the durable service of one instance. Several instances (processes)
 * on one store share the work. Options that cannot work are an
 * {@link InvalidServiceConfigurationError} listing every problem.
 *
 * @example
 * ```ts
 * const store = new SqliteVerificationStore({ path: 'verifications.db' });
 * await store.migrate();
 * const service = createVerificationService({ store, provider: twilio, verifyPin, onFinished });
 * const { verificationId } = await service.start({ targets: ['+14255550100'] }, { userId: 'alice' });
 * const result = await service.waitForResult(verificationId);
 * ```
 */
export function createVerificationService(options: VerificationServiceOptions): VerificationService {
  return new DurableVerificationService(options);
}

/**
 * Whose step is running, for the PIN check. One storage for every service of
 * the process: Node 20 keeps each storage that ever ran in a process-wide list
 * for good and visits every one of them whenever any promise is made, so a
 * storage per service made each later promise slower by one visit per service
 * ever created. A step's entry names its service by a symbol of its own (not the
 * service, which a timer made during a step would then keep alive), so services do
 * not read each other's.
 */
const runningSteps = new AsyncLocalStorage<{ service: symbol; subject: VerificationSubject }>();

class DurableVerificationService implements VerificationService {
  private readonly store: VerificationStore;
  private readonly provider: DurableVoiceProvider<JsonValue, unknown>;
  private readonly clock: RuntimeClock;
  private readonly settings: StepSettings;
  /**
   * `effectLeaseMs` and `orphanAfterMs`, in whole milliseconds rounded up: the
   * stores keep times as whole milliseconds, and a lease never ends earlier
   * than asked.
   */
  private readonly leaseMs: number;
  private readonly orphanAfterMs: number;
  /** Names this service's steps in `runningSteps`. */
  private readonly stepOwner = Symbol('verification service');
  private readonly timers = new Map<string, TimerHandle>();
  private readonly work = new Set<Promise<unknown>>();
  private readonly finishWaiters = new Map<string, Set<() => void>>();
  private readonly stopWake: () => void;
  private sweepTimer: TimerHandle | null = null;
  /** `close()` was called: no new timers, sweeps, starts or cancels. */
  private closing = false;
  /** `close()` resolved: the host may have closed the store, so nothing reaches it any more. */
  private closed = false;

  constructor(private readonly options: VerificationServiceOptions) {
    checkServiceOptions(options);
    this.store = options.store;
    this.provider = options.provider as DurableVoiceProvider<JsonValue, unknown>;
    this.clock = options.clock ?? systemClock;
    this.leaseMs = Math.ceil(options.effectLeaseMs ?? DEFAULTS.effectLeaseMs);
    this.orphanAfterMs = Math.ceil(options.orphanAfterMs ?? DEFAULTS.orphanAfterMs);
    const { verifyPin, checkNumber } = options;
    const checkTimeoutMs = options.checkTimeoutMs ?? DEFAULTS.checkTimeoutMs;
    const machine = createVerificationMachine({
      checkNumber: checkNumber === undefined ? undefined : withinTimeLimit(checkNumber, checkTimeoutMs, 'checkNumber'),
      dialingPolicy: options.dialingPolicy,
      // The machine is built once; the PIN check learns whose PIN from the step it runs in.
      verifyPin:
        verifyPin === undefined
          ? undefined
          : withinTimeLimit((entry: string) => verifyPin(entry, this.currentSubject()), checkTimeoutMs, 'verifyPin'),
    });
    const hooks: FinishedHook[] = [];
    if (options.abuseGuard !== undefined) hooks.push('abuse');
    if (options.onFinished !== undefined) hooks.push('finished');
    this.settings = {
      machine,
      provider: this.provider,
      instance: options.instanceId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      outageThresholdMs: options.outageThresholdMs ?? DEFAULTS.outageThresholdMs,
      checkTimeoutMs,
      finishedHooks: hooks,
    };
    this.stopWake = this.store.onWake(() => this.wakeWaiters());
    this.scheduleSweep();
  }

  start(request: VerificationRequest, options: StartOptions = {}): Promise<{ verificationId: string }> {
    return this.track(this.begin(request, options));
  }

  /** What `start` does; `start` tracks it, so that `close()` waits for it. */
  private async begin(request: VerificationRequest, options: StartOptions): Promise<{ verificationId: string }> {
    this.refuseOnceClosing('start');
    const { abuseGuard } = this.options;
    const { userId, ...given } = checkStartOptions(options, abuseGuard !== undefined, START_OPTIONS);
    const verificationId = given.verificationId ?? randomUUID();
    const now = await this.store.now();
    const input = normalizeVerificationRequest(request, {
      startedAt: now,
      hasPinVerifier: this.options.verifyPin !== undefined,
      providerEnforcesInputTimeout: this.provider.capabilities.enforcesInputTimeout,
      providerOffersMachineDetection: this.provider.capabilities.machineDetection,
    });
    const fresh = newStoredVerification(verificationId, input, this.provider.initialState(), userId, now);
    const counted =
      abuseGuard !== undefined && userId !== null
        ? await abuseGuard.check({ userId, numbers: request.targets, defaultCountry: request.defaultCountry ?? null })
        : null;
    // A start that fails from here on, with nothing saved, never happened: what the abuse limits counted is given back.
    const undo = (error: unknown): Promise<never> => this.uncount(counted, error);
    const stepped = this.runAs({ verificationId, userId }, () => runStep(this.settings, fresh, { kind: 'start' }, now));
    const outcome = await stepped.catch(undo);
    if (outcome.write === null) throw new Error('a first step always writes');
    await this.store.create(outcome.write).catch(async (error: unknown) => {
      // A store that failed while saving may have saved it all the same (a connection lost during the commit):
      // the count is given back only when the record is known not to be there.
      if (error instanceof DuplicateVerificationError || (await this.isSurelyAbsent(verificationId)))
        return undo(error);
      throw error;
    });
    this.afterCommit(outcome);
    return { verificationId };
  }

  async cancel(verificationId: string): Promise<void> {
    this.refuseOnceClosing('cancel');
    checkVerificationId(verificationId);
    const found = await this.track(this.step(verificationId, { kind: 'cancel' }));
    if (found === null) throw new UnknownVerificationError(verificationId);
  }

  async getResult(verificationId: string): Promise<VerificationResult | null> {
    this.refuseOnceClosed('getResult');
    checkVerificationId(verificationId);
    return this.readResult(verificationId);
  }

  /** The result of a verification whose id was checked, or `null` while it runs. */
  private async readResult(verificationId: string): Promise<VerificationResult | null> {
    const stored = await this.store.read(verificationId);
    if (stored === null) throw new UnknownVerificationError(verificationId);
    return stored.status === 'finished' ? this.resultOf(stored) : null;
  }

  async waitForResult(
    verificationId: string,
    given: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<VerificationResult> {
    checkVerificationId(verificationId);
    const options = checkWaitOptions(given);
    const giveUpAt = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    for (;;) {
      // A wait under way when close() resolved ends then: the store may be closed.
      this.refuseOnceClosed('waitForResult');
      const result = await this.readResult(verificationId);
      if (result !== null) return result;
      // As `throwIfAborted`, which a polyfilled signal may lack.
      if (options.signal?.aborted === true) throw options.signal.reason ?? new DOMException('aborted', 'AbortError');
      if (options.timeoutMs !== undefined && Date.now() >= giveUpAt)
        throw new ResultTimeoutError(verificationId, options.timeoutMs);
      await this.nextChance(verificationId, Math.min(RESULT_POLL_MS, giveUpAt - Date.now()), options.signal);
    }
  }

  async deliverEvent(verificationId: string, event: ProviderEvent): Promise<void> {
    this.refuseOnceClosed('deliverEvent');
    checkVerificationId(verificationId);
    try {
      await this.track(this.step(verificationId, { kind: 'event', event }));
    } catch (error) {
      this.report(error);
      throw error;
    }
  }

  receive(binding: Binding, inbound: unknown): Promise<{ verificationId: string; answer: string | null } | null> {
    return this.track(this.answer(binding, inbound));
  }

  /** What `receive` does; `receive` tracks it, so that `close()` waits for it. */
  private async answer(
    binding: Binding,
    inbound: unknown,
  ): Promise<{ verificationId: string; answer: string | null } | null> {
    this.refuseOnceClosed('receive');
    const verificationId = await this.store.findBinding(binding);
    if (verificationId === null) return null;
    const idempotencyKey = this.provider.idempotencyKeyOf?.(inbound) ?? null;
    const outcome = await this.step(verificationId, { kind: 'inbound', inbound, idempotencyKey });
    if (outcome === null) return null;
    return { verificationId, answer: outcome.answer };
  }

  sweep(): Promise<void> {
    return this.track(this.sweepStore());
  }

  /** What `sweep` does; `sweep` tracks it from its first look at the store, so that `close()` waits for it. */
  private async sweepStore(): Promise<void> {
    if (this.closing) return;
    const now = await this.store.now();
    const due = await this.store.claimDue(now, SWEEP_BATCH, DUE_CLAIM_MS);
    await Promise.all(due.map((id) => this.track(this.step(id, { kind: 'tick' }).catch((e) => this.report(e)))));
    const entries = await this.store.findOutbox(now, now - this.orphanAfterMs, SWEEP_BATCH);
    await Promise.all(entries.map((entry) => this.track(this.takeOver(entry))));
  }

  async close(): Promise<void> {
    this.closing = true;
    this.stopWake();
    if (this.sweepTimer !== null) this.clock.clearTimeout(this.sweepTimer);
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
    this.closed = true;
    this.wakeWaiters();
  }

  // ── Steps ────────────────────────────────────────────────────────────────

  /** Runs one step under the store's lock; `null` when the id is unknown. A retried inbound message gets its stored answer. */
  private async step(verificationId: string, input: StepInput): Promise<StepOutcome | null> {
    const key = input.kind === 'inbound' ? input.idempotencyKey : null;
    const outcome = await this.store.withVerification(
      verificationId,
      key,
      async ({ verification, storedAnswer, now }) => {
        if (verification === null) return { write: null, value: null };
        if (storedAnswer !== null) {
          return { write: null, value: { write: null, answer: storedAnswer, finished: null } satisfies StepOutcome };
        }
        const subject = { verificationId, userId: verification.userId };
        const result = await this.runAs(subject, () => runStep(this.settings, verification, input, now));
        return { write: result.write, value: result };
      },
    );
    if (outcome !== null) this.afterCommit(outcome);
    return outcome;
  }

  private afterCommit(outcome: StepOutcome): void {
    const { write } = outcome;
    if (write === null) return;
    const { verification } = write;
    this.armDeadline(verification);
    if (write.outbox.length > 0)
      this.track(this.runEntries(write.outbox).catch((error: unknown) => this.report(error)));
    if (verification.status === 'finished') this.wakeWaiters(verification.id);
  }

  /** A local timer for the earliest deadline: precise on this instance; the sweep is the truth on every other. */
  private armDeadline(verification: StoredVerification): void {
    const { id, dueAt } = verification;
    const existing = this.timers.get(id);
    if (existing !== undefined) this.clock.clearTimeout(existing);
    this.timers.delete(id);
    if (dueAt === null || this.closing) return;
    const delay = Math.max(0, dueAt - verification.updatedAt);
    const timer = this.clock.setTimeout(() => {
      if (this.timers.get(id) === timer) this.timers.delete(id);
      this.track(this.step(id, { kind: 'tick' }).catch((error: unknown) => this.report(error)));
    }, delay);
    this.timers.set(id, timer);
  }

  // ── The outbox ───────────────────────────────────────────────────────────

  /**
   * Carries out a step's effects in the order the step gave them (a hang-up
   * before the next dial). The ones waiting behind an effect are held for as
   * long as it may take (its lease), so that no sweep, this instance's
   * included, takes a slow hang-up's next dial for one left by a stopped instance.
   */
  private async runEntries(entries: StepWrite['outbox']): Promise<void> {
    for (const [index, entry] of entries.entries()) {
      const waiting = entries.slice(index + 1).map((later) => later.id);
      if (waiting.length > 0) await this.holdOutbox(waiting, this.leaseMs);
      await this.runEntry({ ...entry, startedAt: null, leaseUntil: null, tries: 0 }, waiting.length > 0);
    }
  }

  /** A hold is a precaution: without it the effects still run, and a sweep may only take them for left ones. */
  private async holdOutbox(ids: readonly string[], leaseMs: number): Promise<void> {
    try {
      await this.store.holdOutbox(ids, (await this.store.now()) + leaseMs);
    } catch (error) {
      this.report(error);
    }
  }

  /**
   * Carries out an effect, unless another instance holds it. One that `holdsLater`
   * effects of its step (a hang-up before the next dial) is waited for however
   * long it takes, so that they follow it in order; others carried out at
   * least once are waited for one lease at most.
   */
  private async runEntry(entry: OutboxEntry, holdsLater = false): Promise<void> {
    const now = await this.store.now();
    if (!(await this.store.startOutbox(entry.id, now, this.leaseMs))) return;
    const payload = entry.payload as unknown as OutboxPayload;
    try {
      if (payload.kind === 'provider') {
        const learnt = (await this.isDialGivenUp(entry.verificationId, payload.effect))
          ? []
          : await this.runProviderEffect(entry, payload, holdsLater);
        // What it learnt (a refused dial, a call's id) first: a store that then fails to clear the entry loses none
        // of it, and an at-least-once effect whose news could not be applied stays, to be carried out again.
        for (const input of learnt) await this.step(entry.verificationId, input);
        await this.store.finishOutbox(entry.id);
        return;
      }
      const hook = payload.kind === 'abuse' ? 'abuseGuard.record' : 'onFinished';
      await this.withinLease(this.runHook(entry.verificationId, payload.kind), hook);
      await this.store.finishOutbox(entry.id);
    } catch (error) {
      // An at-least-once effect stays in the outbox: a sweep retries it once the lease ended.
      this.report(error);
    }
  }

  /**
   * `work`, an effect carried out at least once, waited for as long as its
   * lease lasts (on the real clock, as the instance waits): after that
   * another instance may carry it out again, so waiting longer would only
   * hold this instance's sweeps and `close()` (a hook that never settles would
   * stop them for good). A late outcome is dropped, and the entry stays for a
   * sweep to retry.
   */
  private withinLease<T>(work: Promise<T>, what: string): Promise<T> {
    const consequence = 'it stays in the outbox, for a sweep to carry it out again once its lease ends';
    return settleWithin(work, this.leaseMs, () => new TimeLimitError(what, this.leaseMs, consequence));
  }

  /**
   * Whether `effect` is a dial whose attempt a later step ended (a cancel, a
   * deadline) while the effects before it were carried out: it is not placed.
   * Asked once the entry is started, so that no sweep reports it interrupted meanwhile.
   */
  private async isDialGivenUp(verificationId: string, effect: ProviderEffect): Promise<boolean> {
    if (effect.dialAttempt === undefined) return false;
    const stored = await this.store.read(verificationId);
    return stored === null || !awaitsDial(this.settings.machine, stored, effect.dialAttempt);
  }

  /**
   * Runs a provider's effect; what it learnt becomes inputs of the verification.
   * A dial that throws is reported to the machine as a failed dial, never retried.
   */
  private async runProviderEffect(
    entry: OutboxEntry,
    payload: Extract<OutboxPayload, { kind: 'provider' }>,
    holdsLater: boolean,
  ): Promise<StepInput[]> {
    const { effect } = payload;
    try {
      const { verificationId } = entry;
      const running = this.provider.run(effect, {
        verificationId,
        report: (report) => this.observe(verificationId, report),
      });
      // A dial is waited for, however long: given up on, it could still place a call beside the next one. So is a
      // hang-up the step's next dial waits behind: the dial must not go out while the call before it may be up.
      const bounded = effect.delivery === 'at-least-once' && !holdsLater;
      const learnt = bounded ? await this.withinLease(running, "the provider's effect") : await running;
      return learnt.map((inbound) => ({ kind: 'inbound', inbound, idempotencyKey: null }));
    } catch (error) {
      if (effect.delivery === 'at-least-once' || effect.dialAttempt === undefined) throw error;
      this.report(error);
      const code = (error as { code?: unknown } | null)?.code;
      const providerCode = typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
      const event: ProviderEvent = {
        type: 'call.dialFailed',
        attempt: effect.dialAttempt,
        ending: providerCode === undefined ? { status: 'failed' } : { status: 'failed', providerCode },
      };
      return [{ kind: 'event', event }];
    }
  }

  private async runHook(verificationId: string, hook: FinishedHook): Promise<void> {
    const stored = await this.store.read(verificationId);
    if (stored === null || stored.status !== 'finished') return;
    const result = stored.result as unknown as VerificationResult;
    const subject = { verificationId, userId: stored.userId };
    if (hook === 'abuse') {
      if (stored.userId !== null)
        await this.options.abuseGuard?.record(result, { userId: stored.userId, verificationId });
      return;
    }
    await this.options.onFinished?.(this.resultOf(stored), subject);
  }

  /**
   * An effect whose instance stopped before finishing it: an at-least-once one
   * is carried out again; a dial never started is not placed late — its attempt
   * is reported interrupted, and the verification rolls over.
   */
  private async takeOver(entry: OutboxEntry): Promise<void> {
    try {
      const payload = entry.payload as unknown as OutboxPayload;
      if (entry.delivery === 'at-least-once') return await this.runEntry(entry);
      const now = await this.store.now();
      const taken = await this.store.startOutbox(entry.id, now, this.leaseMs);
      await this.store.finishOutbox(entry.id);
      const attempt = payload.kind === 'provider' ? payload.effect.dialAttempt : undefined;
      if (!taken || attempt === undefined || entry.startedAt !== null) return;
      await this.deliverEvent(entry.verificationId, {
        type: 'call.dialFailed',
        attempt,
        ending: { status: 'failed', providerCode: DIAL_INTERRUPTED },
      });
    } catch (error) {
      this.report(error);
    }
  }

  // ── Waiting, sweeping, housekeeping ──────────────────────────────────────

  private resultOf(stored: StoredVerification): VerificationResult {
    const result = stored.result as unknown as VerificationResult | null;
    if (result === null || typeof result !== 'object') {
      throw new CorruptRecordError(stored.id, 'it is finished but has no result');
    }
    return this.options.maskNumbers === false ? result : maskVerificationResult(result);
  }

  private nextChance(verificationId: string, ms: number, signal?: AbortSignal): Promise<void> {
    // close() woke the waiters already: one that comes after it looks no more.
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiters = this.finishWaiters.get(verificationId) ?? new Set();
      this.finishWaiters.set(verificationId, waiters);
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0 && this.finishWaiters.get(verificationId) === waiters)
          this.finishWaiters.delete(verificationId);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }

  private wakeWaiters(verificationId?: string): void {
    const lists =
      verificationId === undefined ? [...this.finishWaiters.values()] : [this.finishWaiters.get(verificationId)];
    for (const waiters of lists) for (const wake of [...(waiters ?? [])]) wake();
  }

  private scheduleSweep(): void {
    const interval =
      this.options.sweepIntervalMs === undefined ? DEFAULTS.sweepIntervalMs : this.options.sweepIntervalMs;
    if (interval === null || this.closing) return;
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = null;
      void this.sweep()
        .catch((error: unknown) => this.report(error))
        .finally(() => this.scheduleSweep());
    }, interval);
  }

  /** Whether the store says it has no verification `id`; `false` when it cannot say. */
  private async isSurelyAbsent(id: string): Promise<boolean> {
    try {
      return (await this.store.read(id)) === null;
    } catch {
      return false;
    }
  }

  /** Gives back the count of a start that failed, then throws what failed it; a release that fails is reported. */
  private async uncount(counted: CountedStart | null, error: unknown): Promise<never> {
    try {
      await counted?.release();
    } catch (releaseError) {
      this.report(releaseError);
    }
    throw error;
  }

  /** Runs a step with `subject` as whose it is, for the checks it calls. */
  private runAs<T>(subject: VerificationSubject, step: () => T): T {
    return runningSteps.run({ service: this.stepOwner, subject }, step);
  }

  private currentSubject(): VerificationSubject {
    const running = runningSteps.getStore();
    return running?.service === this.stepOwner ? running.subject : { verificationId: '', userId: null };
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.work.add(promise);
    void promise.finally(() => this.work.delete(promise)).catch(() => {});
    return promise;
  }

  private observe(verificationId: string, value: unknown): void {
    const report = readProviderReport(value);
    if (report === null || this.options.onObservation === undefined) return;
    try {
      this.options.onObservation({ ...report, verificationId, at: this.clock.now() });
    } catch {
      // A failing observer must not change the verification.
    }
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // A failing error handler must not stop the service.
    }
  }

  /** New work of the host's (a start, a cancel) is refused from the moment `close()` is called. */
  private refuseOnceClosing(operation: string): void {
    if (this.closing) throw new ServiceClosedError(operation);
  }

  /**
   * What the calls' network reports (a webhook, a carrier's event) is taken
   * while `close()` waits — refusing it would lose it — and `close()` waits for
   * it too; reads are answered until then as well.
   */
  private refuseOnceClosed(operation: string): void {
    if (this.closed) throw new ServiceClosedError(operation);
  }
}
