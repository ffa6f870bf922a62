/**
 * Checking the options of `runVerification` and of the actor factories before
 * anything is counted, placed or scheduled: a host's mistake is an
 * `InvalidRequestError` naming it, not a `TypeError` from a timer after a
 * call was placed.
 *
 * @module
 */
import { InvalidRequestError, type RequestIssue } from '../errors.js';
import { isRecord, methodIssues, missingMethods } from '../request/normalizeRequest.js';
import { RUNTIME_CLOCK_METHODS } from './clock.js';

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
 * The problems of the host's checks and of the clock an actor is made with
 * (`createVerificationActor`, `runVerification`): functions for `verifyPin`
 * and `checkNumber`, a clock with XState's timer methods.
 */
export function actorOptionIssues(options: Record<string, unknown>): RequestIssue[] {
  const issues = functionIssues(options, ['verifyPin', 'checkNumber']);
  if (options.clock !== undefined) {
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
 * durable service checks those of a start): a voice provider, functions for
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
  const issues = methodIssues(provider, 'provider', 'a voice provider', ['openSession']);
  if (isRecord(provider) && !isRecord(provider.capabilities)) {
    issues.push({ path: 'provider.capabilities', message: 'must be an object' });
  }
  issues.push(...hostOptionIssues(options, ['verifyPin', 'checkNumber', 'onEvent']));
  if (signal !== undefined && !isAbortSignal(signal)) {
    issues.push({ path: 'signal', message: 'must be an AbortSignal' });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
}
