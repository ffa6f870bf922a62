/**
 * Running one verification: the only place that owns an actor. It carries the
 * machine's commands to the provider and the provider's events back, and
 * resolves once, at the final status.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Actor, SnapshotFrom } from 'xstate';
import type { ProviderCommand } from '../machine/commands.js';
import type { ProviderEvent, VerificationEvent } from '../machine/events.js';
import { IGNORED_KINDS } from '../machine/ignoredEvents.js';
import {
  type AttemptRecord,
  addIgnoredCounts,
  attemptsOf,
  emptyIgnoredCounts,
  type IgnoredEventCounts,
  type VerificationResult,
} from '../machine/outcomes.js';
import type { VerificationInput, VerificationRequest } from '../machine/types.js';
import { isProviderEventType, isWellFormedEvent } from '../machine/validateEvent.js';
import type { VerificationCallMachine } from '../machine/verificationCallMachine.js';
import type { AbuseGuard, CountedStart } from '../phone/abuseGuard.js';
import { maskPhoneNumber } from '../phone/maskPhoneNumber.js';
import { maskAttemptRecord, maskVerificationResult } from '../phone/maskVerificationResult.js';
import { createNumberMasker, type NumberMasker } from '../phone/numberMasker.js';
import type { ProviderSession, VoiceProvider } from '../providers/types.js';
import { checkStartOptions } from '../request/identifiers.js';
import { awaitsDialOf, reachedState } from '../step/relevantCommands.js';
import { type RuntimeClock, systemClock } from './clock.js';
import {
  createPreparedActor,
  type PreparedVerification,
  prepareVerification,
  type VerificationActorOptions,
} from './createVerificationActor.js';
import {
  readProviderReport,
  toLoggedEvent,
  type UnstampedObservation,
  type VerificationObservation,
} from './observations.js';
import { checkRunOptions } from './runOptions.js';

/**
 * How to run a verification: the host's checks (`verifyPin`, `checkNumber`,
 * `dialingPolicy`, as for `createVerificationActor`) and the environment.
 */
export interface RunVerificationOptions
  extends Pick<VerificationActorOptions, 'verifyPin' | 'checkNumber' | 'dialingPolicy'> {
  /** Places the calls. */
  provider: VoiceProvider;
  /**
   * Abuse limits: checked before any call is placed (a refusal rejects with a
   * `VerificationRefusedError`), and fed the result afterwards. Needs `userId`.
   * The verification starts when they let it: its `startedAt`, and the
   * deadlines counted from it, are the time the check answered.
   */
  abuseGuard?: AbuseGuard;
  /** Who is being verified, for the abuse limits: an id as for `verificationId`. */
  userId?: string;
  /**
   * Mask the callee's phone numbers (`+1 425 ••• 0100`) in the result and in
   * everything `onEvent` receives — commands, events, attempts, and the
   * messages of failed commands and abuse-limit errors, whatever form a number
   * is written in there. Default `true`: results and observation streams end up
   * in logs, which should not hold full numbers. Pass `false` to get full
   * numbers, e.g. to feed the result to an abuse guard yourself (mask it
   * afterwards with `maskVerificationResult`). Caller IDs, the host's own
   * numbers, are never masked; the provider always gets the real number.
   */
  maskNumbers?: boolean;
  /** Clock for timers and timestamps. Default: the system clock. */
  clock?: RuntimeClock;
  /** Aborting it cancels the verification (status `canceled`); the live call is hung up. */
  signal?: AbortSignal;
  /** Receives a typed stream of what happens, for logs and metrics. Exceptions it throws are ignored. */
  onEvent?: (observation: VerificationObservation) => void;
  /**
   * Identifier of the verification, given to the provider: a non-empty string
   * of at most 256 characters without control characters, as the durable
   * service's `start` takes. Default a random UUID.
   */
  verificationId?: string;
}

/**
 * A random UUID as one flat string. `randomUUID` joins its text from twenty
 * short pieces, and the joined string keeps them: a verification would hold
 * about 480 bytes for its id instead of 56.
 */
function newVerificationId(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}

const errorCode = (error: unknown): string | null => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : null;
};

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Runs one verification to its final status.
 *
 * Throws (rejects with) an `InvalidRequestError` for a bad request or options
 * (a provider, clock, signal or hook that cannot work) before anything is
 * counted or any call placed. Otherwise resolves exactly once with the result; when it resolves,
 * no timer, listener or call of the verification is left.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const provider = new SimulatedCarrier({ clock, numbers: { '+14255550100': { kind: 'answers', responses: [{ press: '#' }] } } });
 * const result = await runVerification({ targets: ['+14255550100'] }, { provider, clock });
 * result.status; // 'approved'
 * ```
 */
export function runVerification(
  request: VerificationRequest,
  options: RunVerificationOptions,
): Promise<VerificationResult> {
  try {
    checkRunOptions(options);
    const { provider, abuseGuard } = options;
    // The ids are checked as the durable service checks those of a start: they reach the provider and the limits.
    const { verificationId, userId } = checkStartOptions(options, abuseGuard !== undefined);
    const clock = options.clock ?? systemClock;
    const prepared = prepareVerification(request, {
      verifyPin: options.verifyPin,
      checkNumber: options.checkNumber,
      dialingPolicy: options.dialingPolicy,
      clock,
      startedAt: clock.now(),
      providerEnforcesInputTimeout: provider.capabilities.enforcesInputTimeout,
      providerOffersMachineDetection: provider.capabilities.machineDetection,
    });
    const run = new VerificationRun(prepared, clock, options, verificationId ?? newVerificationId());
    // Nothing here waits for the verification: the run hands over the result itself, so a
    // verification in flight holds no suspended call of this function.
    if (abuseGuard === undefined || userId === null) return run.start(provider);
    const check = abuseGuard.check({
      userId,
      numbers: request.targets,
      defaultCountry: request.defaultCountry ?? null,
    });
    // The verification starts once the limits let it: its clock (deadlines, the first dial's time) starts then.
    return Promise.resolve(check).then((counted) => run.startAt(clock.now()).start(provider, counted));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * One verification in flight: what `runVerification` keeps between the
 * provider's events and the machine's commands. Its methods are shared by
 * every run; a run holds only its state, and the few bound callbacks the
 * actor and the provider need.
 */
class VerificationRun {
  private readonly verificationId: string;
  private readonly onEvent: ((observation: VerificationObservation) => void) | undefined;
  private readonly maskNumbers: boolean;
  private readonly signal: AbortSignal | undefined;
  private readonly abuseGuard: AbuseGuard | undefined;
  private readonly userId: string;
  private input: VerificationInput;
  // Made when first needed: most verifications without an observer need it only for their result.
  private masker: NumberMasker | undefined = undefined;
  /** The machine has reached its final status; the session may still be closing. */
  private finished = false;
  /** The result was handed over: nothing is observed (but for the abuse limits') or counted any more. */
  private settled = false;
  private session: ProviderSession | null = null;
  /**
   * Hang-ups the provider is still carrying out: a dial waits for them, so that
   * the call before it is down before the next one is placed (as the durable
   * service carries out a step's effects in order).
   */
  private hangUpsUnderWay: Set<Promise<unknown>> | null = null;
  // Events the machine never saw: malformed ones, and those that came after its final status.
  private ignoredBeforeMachine: IgnoredEventCounts | null = null;
  private reportedAttempts = 0;
  private onAbort: (() => void) | null = null;
  // Set by start(), before anything can settle the run.
  private resolve!: (result: VerificationResult | Promise<VerificationResult>) => void;
  private reject!: (error: unknown) => void;
  // Created by start(): see there.
  private actor!: Actor<VerificationCallMachine>;
  private prepared: PreparedVerification | null;

  constructor(
    prepared: PreparedVerification,
    private readonly clock: RuntimeClock,
    options: RunVerificationOptions,
    verificationId: string,
  ) {
    this.prepared = prepared;
    this.verificationId = verificationId;
    this.onEvent = options.onEvent;
    this.maskNumbers = options.maskNumbers !== false;
    this.signal = options.signal;
    this.abuseGuard = options.abuseGuard;
    this.userId = options.userId ?? '';
    this.input = prepared.input;
  }

  /** Starts the verification's time at `startedAt` instead of when it was prepared (an abuse check took that long). */
  startAt(startedAt: number): this {
    const prepared = this.prepared as PreparedVerification;
    if (prepared.input.startedAt === startedAt) return this;
    this.input = { ...prepared.input, startedAt };
    this.prepared = { ...prepared, input: this.input };
    return this;
  }

  /**
   * Opens the provider's session and starts the machine; resolves with the
   * result as the host gets it, once the session is closed.
   */
  start(provider: VoiceProvider, counted?: CountedStart): Promise<VerificationResult> {
    return new Promise<VerificationResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      const { signal } = this;
      // A number check that answers at once decides the first number while the actor is created, so its dial goes
      // out at start: with the signal aborted already, the check waits for start, and the cancel comes before any dial.
      const actor = createPreparedActor(this.prepared as PreparedVerification, signal?.aborted !== true);
      this.actor = actor;
      this.prepared = null;
      actor.on('*', this.execute.bind(this));
      actor.subscribe(this);
      try {
        this.session = provider.openSession({
          verificationId: this.verificationId,
          emit: this.deliver.bind(this),
          report: this.report.bind(this),
        });
      } catch (error) {
        // Nothing was placed: what the abuse limits counted for this start is given back.
        this.finish(() => this.giveBack(counted).finally(() => reject(error)));
        return;
      }
      const { input } = this;
      this.observe({
        type: 'verification.started',
        provider: provider.name,
        targets: input.targets.length,
        mode: input.mode,
      });
      if (signal !== undefined) {
        const onAbort = (): void => {
          actor.send({ type: 'verification.cancel', at: this.clock.now() } satisfies VerificationEvent);
        };
        this.onAbort = onAbort;
        signal.addEventListener('abort', onAbort, { once: true });
      }
      actor.start();
      if (signal?.aborted === true) this.onAbort?.();
    });
  }

  /** The number masker of this verification, or `null` when numbers are shown in full. */
  private maskerOf(): NumberMasker | null {
    if (!this.maskNumbers) return null;
    this.masker ??= createNumberMasker(this.input.targets, this.input.defaultCountry);
    return this.masker;
  }

  private observe(observation: UnstampedObservation): void {
    const { onEvent } = this;
    if (onEvent === undefined) return;
    try {
      const shownBy = this.maskerOf();
      const shown = shownBy === null ? observation : maskObservation(observation, shownBy);
      onEvent({ ...shown, verificationId: this.verificationId, at: this.clock.now() } as VerificationObservation);
    } catch {
      // A failing observer must not change the verification.
    }
  }

  /** The machine's snapshot changed (as an observer of the actor). */
  next(snapshot: SnapshotFrom<VerificationCallMachine>): void {
    this.reportEndedAttempts(attemptsOf(snapshot));
  }

  /** The machine reached its final status (as an observer of the actor). */
  complete(): void {
    const output = this.actor.getSnapshot().output as VerificationResult;
    this.reportEndedAttempts(output.attempts);
    // The result is told once the session is closed, with what arrived meanwhile counted.
    this.finish(() => {
      const before = this.ignoredBeforeMachine;
      const result = {
        ...output,
        ignoredEvents: addIgnoredCounts(output.ignoredEvents, before ?? emptyIgnoredCounts()),
      };
      this.observe({ type: 'verification.ended', result });
      try {
        this.resolve(this.abuseGuard === undefined ? this.shown(result) : this.recordAbuse(this.abuseGuard, result));
      } catch (error) {
        this.reject(error);
      }
    });
  }

  /** Feeds the result to the abuse limits, then hands it over; a failure to record is observed, and the result stands. */
  private async recordAbuse(abuseGuard: AbuseGuard, result: VerificationResult): Promise<VerificationResult> {
    try {
      // No verificationId: a host's id need not be unique (a login session's), and this record is never retried.
      const locks = await abuseGuard.record(result, { userId: this.userId });
      if (locks.length > 0) this.observe({ type: 'abuse.locked', locks });
    } catch (error) {
      this.observe({ type: 'abuse.recordFailed', code: errorCode(error), message: errorMessage(error) });
    }
    return this.shown(result);
  }

  /** Gives back what the abuse limits counted for a start that placed nothing; a failure to is observed. */
  private async giveBack(counted: CountedStart | undefined): Promise<void> {
    try {
      await counted?.release();
    } catch (error) {
      this.observe({ type: 'abuse.recordFailed', code: errorCode(error), message: errorMessage(error) });
    }
  }

  /** The result as the host gets it: the callee's numbers masked unless they are to be shown. */
  private shown(result: VerificationResult): VerificationResult {
    const masker = this.maskerOf();
    return masker === null ? result : masker.maskStringsInFreshValue(maskVerificationResult(result));
  }

  /** The machine failed (as an observer of the actor). */
  error(error: unknown): void {
    this.finish(() => this.reject(error));
  }

  private countIgnored(kind: 'unexpected' | 'stale'): void {
    this.ignoredBeforeMachine ??= emptyIgnoredCounts();
    this.ignoredBeforeMachine[kind]++;
  }

  private deliver(event: unknown): void {
    if (this.settled) return;
    if (!isWellFormedEvent(event) || !isProviderEventType(event.type)) {
      this.countIgnored('unexpected');
      this.observe({ type: 'provider.malformed' });
      return;
    }
    const stamped = { ...event, at: this.clock.now() } as ProviderEvent;
    // What is logged of the event is made only for a host that listens.
    const logged = this.onEvent === undefined ? null : toLoggedEvent(stamped);
    if (logged !== null) this.observe({ type: 'provider.event', event: logged });
    // SPEC: an event that arrives after the verification ended is stale (e.g. during the farewell).
    if (this.finished) {
      this.countIgnored('stale');
      if (logged !== null) this.observe({ type: 'provider.ignored', event: logged, reason: 'stale', afterEnd: true });
      return;
    }
    const { actor } = this;
    const before = logged === null ? null : actor.getSnapshot().context.ignoredEvents;
    actor.send(stamped);
    if (logged === null || before === null) return;
    const after = actor.getSnapshot().context.ignoredEvents;
    for (const reason of IGNORED_KINDS) {
      if (after[reason] > before[reason]) {
        this.observe({ type: 'provider.ignored', event: logged, reason, afterEnd: false });
      }
    }
  }

  // What the provider does on its own (its dial queue) is told to the host only.
  private report(value: unknown): void {
    const known = this.settled ? null : readProviderReport(value);
    if (known !== null) this.observe(known);
  }

  private reportCommandFailure(command: ProviderCommand, error: unknown): void {
    // A request still under way when the session closed may fail after the result was handed over.
    if (this.settled) return;
    this.observe({
      type: 'command.failed',
      command: command.type,
      code: errorCode(error),
      message: errorMessage(error),
    });
    if (command.type === 'dial') {
      const providerCode = errorCode(error);
      this.deliver({
        type: 'call.dialFailed',
        attempt: command.attempt,
        ending: providerCode === null ? { status: 'failed' } : { status: 'failed', providerCode },
      });
    }
  }

  private execute(command: ProviderCommand): void {
    // The attempts a dial rolls over from are told before it (commands run once the actor holds the new snapshot).
    if (command.type === 'dial') this.reportEndedAttempts(attemptsOf(this.actor.getSnapshot()));
    this.observe({ type: 'command', command });
    const hangUps = this.hangUpsUnderWay;
    if (command.type === 'dial' && hangUps !== null && hangUps.size > 0) {
      // Failed or not: a failed hang-up is reported, and the verification goes on as the machine decided. Meanwhile
      // the machine may have given the dial up (its dial bound ran out, a cancel): one it no longer waits for is not placed.
      void Promise.allSettled([...hangUps]).then(() => {
        if (awaitsDialOf(reachedState(this.actor.getSnapshot()), command.attempt)) this.carryOut(command);
      });
      return;
    }
    this.carryOut(command);
  }

  private carryOut(command: ProviderCommand): void {
    const { session } = this;
    if (session === null) return;
    try {
      const pending = session.execute(command);
      if (pending === undefined) return;
      const settled = pending.catch((error: unknown) => this.reportCommandFailure(command, error));
      if (command.type === 'hangUp') this.holdDialsUntil(settled);
    } catch (error) {
      this.reportCommandFailure(command, error);
    }
  }

  private holdDialsUntil(hangUp: Promise<unknown>): void {
    this.hangUpsUnderWay ??= new Set();
    const under = this.hangUpsUnderWay;
    under.add(hangUp);
    void hangUp.then(() => under.delete(hangUp));
  }

  private reportEndedAttempts(attempts: readonly AttemptRecord[]): void {
    while (this.reportedAttempts < attempts.length && attempts[this.reportedAttempts]?.result !== null) {
      this.observe({ type: 'attempt.ended', attempt: attempts[this.reportedAttempts] as AttemptRecord });
      this.reportedAttempts++;
    }
  }

  private finish(settle: () => void): void {
    if (this.finished) return;
    this.finished = true;
    if (this.onAbort !== null) this.signal?.removeEventListener('abort', this.onAbort);
    // The actor drops its observers and listeners itself once it is done.
    const closing = this.session;
    this.session = null;
    Promise.resolve()
      .then(() => closing?.close())
      .catch((error: unknown) =>
        this.observe({
          type: 'command.failed',
          command: 'hangUp',
          code: errorCode(error),
          message: errorMessage(error),
        }),
      )
      .finally(() => {
        settle();
        this.settled = true;
      });
  }
}

/**
 * An observation with the callee's numbers masked: the fields known to hold
 * one, then any other text (messages, fields a provider added).
 */
function maskObservation(observation: UnstampedObservation, masker: NumberMasker): UnstampedObservation {
  // A host's checkNumber may dial a number the request did not name.
  if (observation.type === 'command' && observation.command.type === 'dial') masker.add(observation.command.to);
  return masker.maskStrings(maskKnownFields(observation));
}

/** An observation with the callee's numbers masked where they are known to be; caller IDs are the host's own and stay. */
function maskKnownFields(observation: UnstampedObservation): UnstampedObservation {
  switch (observation.type) {
    case 'command':
      return observation.command.type === 'dial'
        ? { ...observation, command: { ...observation.command, to: maskPhoneNumber(observation.command.to) } }
        : observation;
    case 'attempt.ended':
      return { ...observation, attempt: maskAttemptRecord(observation.attempt) };
    case 'verification.ended':
      return { ...observation, result: maskVerificationResult(observation.result) };
    default:
      return observation;
  }
}
