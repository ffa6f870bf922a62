/**
 * Checking the options of `runVerification` and of the actor factories before
 * anything is counted, placed or scheduled: a host's mistake is an
 * `InvalidRequestError` naming it, not a `TypeError` from a timer after a
 * call was placed.
 *
 * @module
 */
import { InvalidRequestError, type RequestIssue } from '../errors.js';
import { type OptionNames, optionNames, unknownOptionIssues } from '../optionNames.js';
import { isRecord, methodIssues, missingMethods } from '../request/normalizeRequest.js';
import { RUNTIME_CLOCK_METHODS } from './clock.js';
import type { VerificationActorOptions } from './createVerificationActor.js';
import type { RunVerificationOptions } from './runVerification.js';

/** The options `runVerification` knows. */
const RUN_OPTIONS = optionNames<RunVerificationOptions>({
  provider: true,
  abuseGuard: true,
  userId: true,
  maskNumbers: true,
  clock: true,
  signal: true,
  onEvent: true,
  verificationId: true,
  verifyPin: true,
  checkNumber: true,
  dialingPolicy: true,
});

/** The options `createVerificationActor` knows. */
export const ACTOR_OPTIONS = optionNames<VerificationActorOptions>({
  verifyPin: true,
  checkNumber: true,
  dialingPolicy: true,
  clock: true,
  startedAt: true,
  providerEnforcesInputTimeout: true,
  providerOffersMachineDetection: true,
});

/** The options `createVerificationMachine` knows. */
export const MACHINE_OPTIONS = optionNames<
  Pick<VerificationActorOptions, 'verifyPin' | 'checkNumber' | 'dialingPolicy'>
>({ verifyPin: true, checkNumber: true, dialingPolicy: true });

/** What the run calls on an abort signal (and it reads `aborted`). */
const SIGNAL_METHODS = ['addEventListener', 'removeEventListener'] as const;

/**
 * Whether `value` serves as an abort signal: by its shape, not `instanceof`,
 * so that a polyfill's signal, or one from another realm, serves as well.
 */
export function isAbortSignal(value: unknown): value is AbortSignal {
  return isRecord(value) && 'aborted' in value && missingMethods(value, SIGNAL_METHODS).length === 0;
}

/** What a host's check or hook option must be when given: a function. */
function functionIssues(options: Record<string, unknown>, names: readonly string[]): RequestIssue[] {
  return names
    .filter((name) => options[name] !== undefined && typeof options[name] !== 'function')
    .map((name) => ({ path: name, message: 'must be a function' }));
}

/**
 * The problems of the options an actor or the machine is made with
 * (`createVerificationActor`, `createVerificationMachine`, `runVerification`):
 * names it knows (`known`), functions for `verifyPin` and `checkNumber`, a
 * clock with XState's timer methods.
 */
export function actorOptionIssues(options: Record<string, unknown>, known: OptionNames): RequestIssue[] {
  const issues = [...unknownOptionIssues(options, known), ...functionIssues(options, ['verifyPin', 'checkNumber'])];
  // A clock where none is taken is an unknown option, said once.
  if (options.clock !== undefined && known.known.has('clock')) {
    issues.push(...methodIssues(options.clock, 'clock', 'a clock', ['setTimeout', 'clearTimeout']));
  }
  return issues;
}

/**
 * The problems of what `runVerification` and the durable service both take
 * from a host: functions for `hooks`, an abuse guard, a clock with `now` and
 * timers, `maskNumbers` true or false.
 */
export function hostOptionIssues(options: Record<string, unknown>, hooks: readonly string[]): RequestIssue[] {
  const issues = functionIssues(options, hooks);
  const { abuseGuard, clock, maskNumbers } = options;
  if (abuseGuard !== undefined) {
    issues.push(...methodIssues(abuseGuard, 'abuseGuard', 'an abuse guard', ['check', 'record']));
  }
  if (clock !== undefined) issues.push(...methodIssues(clock, 'clock', 'a clock', RUNTIME_CLOCK_METHODS));
  if (maskNumbers !== undefined && typeof maskNumbers !== 'boolean') {
    issues.push({ path: 'maskNumbers', message: 'must be true or false' });
  }
  return issues;
}

/**
 * Checks the options of `runVerification` (the ids are checked apart, as the
 * durable service checks those of a start): names it knows, a voice provider, functions for
 * the checks and `onEvent`, an abuse guard, a clock with `now`, an
 * `AbortSignal`, `maskNumbers` true or false.
 *
 * @throws `InvalidRequestError` listing every problem.
 */
export function checkRunOptions(options: unknown): void {
  if (!isRecord(options)) {
    throw new InvalidRequestError([{ path: 'options', message: 'must be an object: { provider, … }' }]);
  }
  const { provider, signal } = options;
  const issues = [
    ...unknownOptionIssues(options, RUN_OPTIONS),
    ...methodIssues(provider, 'provider', 'a voice provider', ['openSession']),
  ];
  if (isRecord(provider) && !isRecord(provider.capabilities)) {
    issues.push({ path: 'provider.capabilities', message: 'must be an object' });
  }
  issues.push(...hostOptionIssues(options, ['verifyPin', 'checkNumber', 'onEvent']));
  if (signal !== undefined && !isAbortSignal(signal)) {
    issues.push({ path: 'signal', message: 'must be an AbortSignal' });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
}
