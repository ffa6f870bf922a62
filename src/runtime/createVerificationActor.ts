/**
 * Creating a verification actor from a request: the request is checked, the
 * host's checks are wired in, and nothing starts until `actor.start()`.
 *
 * @module
 */
import { type Actor, type ActorOptions, type AnyActorLogic, createActor } from 'xstate';
import { InvalidRequestError } from '../errors.js';
import {
  bindHostChecks,
  createNumberCheckActor,
  createPinCheckActor,
  type HostChecks,
  type NumberCheckFunction,
  type NumberCheckInput,
  type NumberCheckResult,
  type PinVerifierFunction,
} from '../machine/checks.js';
import type { VerificationInput, VerificationRequest } from '../machine/types.js';
import { type VerificationCallMachine, verificationCallMachine } from '../machine/verificationCallMachine.js';
import { createNumberCheck } from '../phone/createNumberCheck.js';
import type { DialingPolicyOptions } from '../phone/dialingPolicy.js';
import { normalizeVerificationRequest } from '../request/normalizeRequest.js';
import { ACTOR_OPTIONS, actorOptionIssues, MACHINE_OPTIONS } from './runOptions.js';

/** A clock for the machine's timers, as XState takes it (`SimulatedClock` for virtual time). */
export type MachineClock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

/** The host's decisions and the environment of one verification. */
export interface VerificationActorOptions {
  /** Answers whether a typed PIN is right; required in PIN mode. Compare in constant time. */
  verifyPin?: (entry: string) => boolean | Promise<boolean>;
  /**
   * Decides whether a target may be dialled and in which form. Default: the
   * library's check — libphonenumber-js and the dialling policy.
   */
  checkNumber?: (input: NumberCheckInput) => NumberCheckResult | Promise<NumberCheckResult>;
  /**
   * The dialling policy of the default number check (premium-rate and
   * shared-cost numbers refused unless it says otherwise). Ignored when
   * `checkNumber` is given.
   */
  dialingPolicy?: DialingPolicyOptions;
  /** Clock for the machine's timers; pass XState's `SimulatedClock` for virtual time. */
  clock?: MachineClock;
  /** Clock reading at the start, in the unit of the events' `at`. Default `clock.now()` when the clock has one, else 0. */
  startedAt?: number;
  /** Whether the provider enforces the input timeout itself. */
  providerEnforcesInputTimeout?: boolean;
  /** Whether the provider offers answering-machine detection. */
  providerOffersMachineDetection?: boolean;
}

/**
 * The verification machine with a number check — the host's, or the
 * library's libphonenumber-js check under a dialling policy — and the host's
 * PIN verifier. Throws an `InvalidRequestError` for options it does not know
 * or that are not functions where functions are due, and an
 * `InvalidPhoneConfigurationError` for a policy that cannot work.
 *
 * @example
 * ```ts
 * const machine = createVerificationMachine({
 *   verifyPin: (entry) => pins.matches(userId, entry),
 *   dialingPolicy: { allowedCountries: ['US', 'GB'] },
 * });
 * ```
 */
export function createVerificationMachine(
  options: Pick<VerificationActorOptions, 'verifyPin' | 'checkNumber' | 'dialingPolicy'> = {},
): VerificationCallMachine {
  checkOptionsObject(options, '{ verifyPin?, checkNumber?, dialingPolicy? }');
  const issues = actorOptionIssues(options as Record<string, unknown>, MACHINE_OPTIONS);
  if (issues.length > 0) throw new InvalidRequestError(issues);
  const { checkNumber, verifyPin } = toHostChecks(options);
  return verificationCallMachine.provide({
    actors: {
      checkNumber: createNumberCheckActor(checkNumber),
      ...(verifyPin === undefined ? {} : { verifyPin: createPinCheckActor(verifyPin) }),
    },
  });
}

/** The library's number check under the default dialling policy, made once: most verifications use it. */
let defaultNumberCheck: NumberCheckFunction | null = null;

/** The host's checks, with the library's number check when the host gives none. */
function toHostChecks(options: Pick<VerificationActorOptions, 'verifyPin' | 'checkNumber' | 'dialingPolicy'>): {
  checkNumber: NumberCheckFunction;
  verifyPin?: PinVerifierFunction;
} {
  let checkNumber = options.checkNumber;
  if (checkNumber === undefined && options.dialingPolicy !== undefined) {
    checkNumber = createNumberCheck(options.dialingPolicy);
  }
  if (checkNumber === undefined) {
    defaultNumberCheck ??= createNumberCheck();
    checkNumber = defaultNumberCheck;
  }
  return options.verifyPin === undefined ? { checkNumber } : { checkNumber, verifyPin: options.verifyPin };
}

/** Throws an `InvalidRequestError` unless `options` is an object (`shape` says what it holds). */
function checkOptionsObject(options: unknown, shape: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidRequestError([{ path: 'options', message: `must be an object: ${shape}` }]);
  }
}

/** A checked request and the host's checks, ready to become an actor. */
export interface PreparedVerification {
  input: VerificationInput;
  checks: HostChecks;
  clock: MachineClock | undefined;
}

/** Checks the request (throws an `InvalidRequestError`) and the host's checks, without creating anything. */
export function prepareVerification(
  request: VerificationRequest,
  options: VerificationActorOptions = {},
): PreparedVerification {
  checkOptionsObject(options, '{ verifyPin?, checkNumber?, clock?, … }');
  const issues = actorOptionIssues(options as unknown as Record<string, unknown>, ACTOR_OPTIONS);
  if (issues.length > 0) throw new InvalidRequestError(issues);
  // XState's clock has no reading; the runtime's clocks (and XState's SimulatedClock) do.
  const reading = options.clock as { now?: () => number } | undefined;
  const timeTeller = typeof reading?.now === 'function' ? (reading as { now(): number }) : undefined;
  const input = normalizeVerificationRequest(request, {
    startedAt: options.startedAt ?? timeTeller?.now() ?? 0,
    hasPinVerifier: typeof options.verifyPin === 'function',
    providerEnforcesInputTimeout: options.providerEnforcesInputTimeout,
    providerOffersMachineDetection: options.providerOffersMachineDetection,
  });
  const checks: HostChecks = toHostChecks(options);
  // Awaited checks are stamped with the time they answered, when the clock can tell it.
  if (timeTeller !== undefined) checks.clock = timeTeller;
  return { input, checks, clock: options.clock };
}

/**
 * The actor (not started) of a prepared verification. XState opens the first
 * attempt while it creates the actor: with `checkFirstNumberAtOnce`, a number
 * check that answers at once decides there, and the first dial goes out at
 * `start()`; without it the first number is checked after `start()`, so that a
 * cancel sent right after `start()` comes before any dial.
 */
export function createPreparedActor(
  prepared: PreparedVerification,
  checkFirstNumberAtOnce = true,
): Actor<VerificationCallMachine> {
  const { input, checks, clock } = prepared;
  // One machine serves every verification; the checks belong to this actor (and, for its first attempt, to its input).
  if (checkFirstNumberAtOnce) bindHostChecks(input, checks);
  const actor = createActor(verificationCallMachine, clock === undefined ? { input } : { input, clock });
  bindHostChecks(actor, checks);
  return actor;
}

/**
 * Checks the request and creates (but does not start) the actor of one
 * verification. Throws an `InvalidRequestError` for bad input.
 *
 * The host's checks belong to this actor, not to its machine: `actor.logic` is
 * the shared machine with the plain checks. To restore a persisted snapshot
 * of your own actor, build the machine with `createVerificationMachine` and
 * pass it to XState's `createActor` with the snapshot.
 *
 * @example
 * ```ts
 * const actor = createVerificationActor({ targets: ['+14255550100'] });
 * actor.on('*', (command) => provider.execute(command));
 * actor.start();
 * ```
 */
export function createVerificationActor(
  request: VerificationRequest,
  options: VerificationActorOptions = {},
): Actor<VerificationCallMachine> {
  return createPreparedActor(prepareVerification(request, options));
}
