/**
 * Running one verification: the only place that owns an actor. It carries the
 * machine's commands to the provider and the provider's events back, and
 * resolves once, at the final status.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from 'xstate';
import { InvalidRequestError } from '../errors.js';
import type { ProviderCommand } from '../machine/commands.js';
import type { ProviderEvent, VerificationEvent } from '../machine/events.js';
import { IGNORED_KINDS } from '../machine/ignoredEvents.js';
import {
  type AttemptRecord,
  addIgnoredCounts,
  attemptsOf,
  emptyIgnoredCounts,
  type VerificationResult,
} from '../machine/outcomes.js';
import type { VerificationRequest } from '../machine/types.js';
import { isProviderEventType, isWellFormedEvent } from '../machine/validateEvent.js';
import type { VerificationCallMachine } from '../machine/verificationCallMachine.js';
import type { AbuseGuard } from '../phone/abuseGuard.js';
import { maskPhoneNumber } from '../phone/maskPhoneNumber.js';
import { maskAttemptRecord, maskVerificationResult } from '../phone/maskVerificationResult.js';
import { createNumberMasker, type NumberMasker } from '../phone/numberMasker.js';
import type { ProviderSession, VoiceProvider } from '../providers/types.js';
import { type RuntimeClock, systemClock } from './clock.js';
import { createPreparedActor, prepareVerification, type VerificationActorOptions } from './createVerificationActor.js';
import {
  readProviderReport,
  toLoggedEvent,
  type UnstampedObservation,
  type VerificationObservation,
} from './observations.js';

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
   */
  abuseGuard?: AbuseGuard;
  /** Who is being verified, for the abuse limits. */
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
  /** Identifier of the verification; default a random UUID. */
  verificationId?: string;
}

const errorCode = (error: unknown): string | null => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : null;
};

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Runs one verification to its final status.
 *
 * Throws (rejects with) an `InvalidRequestError` for bad input before any call
 * is placed. Otherwise resolves exactly once with the result; when it resolves,
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
export async function runVerification(
  request: VerificationRequest,
  options: RunVerificationOptions,
): Promise<VerificationResult> {
  const { provider, signal, onEvent } = options;
  const clock = options.clock ?? systemClock;
  const verificationId = options.verificationId ?? randomUUID();

  const { abuseGuard, userId } = options;
  if (abuseGuard !== undefined && (typeof userId !== 'string' || userId.trim() === '')) {
    throw new InvalidRequestError([
      { path: 'userId', message: 'the abuse limits need the id of the user being verified' },
    ]);
  }
  const prepared = prepareVerification(request, {
    verifyPin: options.verifyPin,
    checkNumber: options.checkNumber,
    dialingPolicy: options.dialingPolicy,
    clock,
    startedAt: clock.now(),
    providerEnforcesInputTimeout: provider.capabilities.enforcesInputTimeout,
    providerOffersMachineDetection: provider.capabilities.machineDetection,
  });

  const { input } = prepared;
  // Created when the verification starts: see there.
  let actor: Actor<VerificationCallMachine>;
  // Made when first needed: most verifications without an observer need it only for their result.
  let masker: NumberMasker | undefined;
  const maskerOf = (): NumberMasker | null => {
    if (options.maskNumbers === false) return null;
    masker ??= createNumberMasker(input.targets, input.defaultCountry);
    return masker;
  };
  const observe = (observation: UnstampedObservation): void => {
    if (onEvent === undefined) return;
    try {
      const shownBy = maskerOf();
      const shown = shownBy === null ? observation : maskObservation(observation, shownBy);
      onEvent({ ...shown, verificationId, at: clock.now() } as VerificationObservation);
    } catch {
      // A failing observer must not change the verification.
    }
  };

  /** The machine has reached its final status; the session may still be closing. */
  let finished = false;
  /** The result was handed over: nothing is observed or counted any more. */
  let settled = false;
  let session: ProviderSession | null = null;
  // Events the machine never saw: malformed ones, and those that came after its final status.
  const ignoredBeforeMachine = emptyIgnoredCounts();

  const deliver = (event: unknown): void => {
    if (settled) return;
    if (!isWellFormedEvent(event) || !isProviderEventType(event.type)) {
      ignoredBeforeMachine.unexpected++;
      observe({ type: 'provider.malformed' });
      return;
    }
    const stamped = { ...event, at: clock.now() } as ProviderEvent;
    const logged = toLoggedEvent(stamped);
    observe({ type: 'provider.event', event: logged });
    // SPEC: an event that arrives after the verification ended is stale (e.g. during the farewell).
    if (finished) {
      ignoredBeforeMachine.stale++;
      observe({ type: 'provider.ignored', event: logged, reason: 'stale', afterEnd: true });
      return;
    }
    const before = actor.getSnapshot().context.ignoredEvents;
    actor.send(stamped);
    const after = actor.getSnapshot().context.ignoredEvents;
    for (const reason of IGNORED_KINDS) {
      if (after[reason] > before[reason]) observe({ type: 'provider.ignored', event: logged, reason, afterEnd: false });
    }
  };

  // What the provider does on its own (its dial queue) is told to the host only.
  const report = (value: unknown): void => {
    const known = settled ? null : readProviderReport(value);
    if (known !== null) observe(known);
  };

  const reportCommandFailure = (command: ProviderCommand, error: unknown): void => {
    observe({ type: 'command.failed', command: command.type, code: errorCode(error), message: errorMessage(error) });
    if (command.type === 'dial') {
      const providerCode = errorCode(error);
      deliver({
        type: 'call.dialFailed',
        attempt: command.attempt,
        ending: providerCode === null ? { status: 'failed' } : { status: 'failed', providerCode },
      });
    }
  };

  let reportedAttempts = 0;
  const reportEndedAttempts = (attempts: readonly AttemptRecord[]): void => {
    while (reportedAttempts < attempts.length && attempts[reportedAttempts]?.result !== null) {
      observe({ type: 'attempt.ended', attempt: attempts[reportedAttempts] as AttemptRecord });
      reportedAttempts++;
    }
  };

  const execute = (command: ProviderCommand): void => {
    // The attempts a dial rolls over from are told before it (commands run once the actor holds the new snapshot).
    if (command.type === 'dial') reportEndedAttempts(attemptsOf(actor.getSnapshot()));
    observe({ type: 'command', command });
    if (session === null) return;
    try {
      const pending = session.execute(command);
      if (pending !== undefined) pending.catch((error: unknown) => reportCommandFailure(command, error));
    } catch (error) {
      reportCommandFailure(command, error);
    }
  };

  if (abuseGuard !== undefined && userId !== undefined) {
    await abuseGuard.check({ userId, numbers: request.targets, defaultCountry: request.defaultCountry ?? null });
  }

  const result = await new Promise<VerificationResult>((resolve, reject) => {
    // A number check that answers at once decides the first number while the actor is created, so its dial goes out
    // at start: with the signal aborted already, the check waits for start, and the cancel comes before any dial.
    actor = createPreparedActor(prepared, signal?.aborted !== true);
    const onAbort = (): void => {
      actor.send({ type: 'verification.cancel', at: clock.now() } satisfies VerificationEvent);
    };
    const finish = (settle: () => void): void => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      subscription.unsubscribe();
      const closing = session;
      session = null;
      Promise.resolve()
        .then(() => closing?.close())
        .catch((error: unknown) =>
          observe({ type: 'command.failed', command: 'hangUp', code: errorCode(error), message: errorMessage(error) }),
        )
        .finally(() => {
          settle();
          settled = true;
        });
    };

    actor.on('*', (command) => execute(command as ProviderCommand));
    const subscription = actor.subscribe({
      next: (snapshot) => reportEndedAttempts(attemptsOf(snapshot)),
      complete: () => {
        const output = actor.getSnapshot().output as VerificationResult;
        reportEndedAttempts(output.attempts);
        // The result is told once the session is closed, with what arrived meanwhile counted.
        finish(() => {
          const result = { ...output, ignoredEvents: addIgnoredCounts(output.ignoredEvents, ignoredBeforeMachine) };
          observe({ type: 'verification.ended', result });
          resolve(result);
        });
      },
      error: (error) => finish(() => reject(error)),
    });

    try {
      session = provider.openSession({ verificationId, emit: deliver, report });
    } catch (error) {
      finish(() => reject(error));
      return;
    }
    observe({
      type: 'verification.started',
      provider: provider.name,
      targets: input.targets.length,
      mode: input.mode,
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    actor.start();
    if (signal?.aborted === true) onAbort();
  });

  if (abuseGuard !== undefined && userId !== undefined) {
    try {
      const locks = await abuseGuard.record(result, { userId });
      if (locks.length > 0) observe({ type: 'abuse.locked', locks });
    } catch (error) {
      observe({ type: 'abuse.recordFailed', code: errorCode(error), message: errorMessage(error) });
    }
  }
  const resultMasker = maskerOf();
  return resultMasker === null ? result : resultMasker.maskStrings(maskVerificationResult(result));
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
