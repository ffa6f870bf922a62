/**
 * Checking the durable service's options, once when it is made (the options
 * of each start are checked by `checkStartOptions`, shared with
 * `runVerification`).
 *
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import { optionNames, unknownOptionIssues } from '../optionNames.js';
import { idProblem } from '../request/identifiers.js';
import { isRecord, methodIssues } from '../request/normalizeRequest.js';
import { hostOptionIssues, isAbortSignal } from '../runtime/runOptions.js';
import { InvalidServiceConfigurationError } from '../store/errors.js';
import { checkOptions, DURATION_RANGE, isDuration } from '../store/options.js';
import type { StartOptions, VerificationServiceOptions } from './verificationService.js';

/** The options `createVerificationService` knows. */
const SERVICE_OPTIONS = optionNames<VerificationServiceOptions>({
  store: true,
  provider: true,
  verifyPin: true,
  checkNumber: true,
  dialingPolicy: true,
  abuseGuard: true,
  onFinished: true,
  maskNumbers: true,
  instanceId: true,
  clock: true,
  sweepIntervalMs: true,
  outageThresholdMs: true,
  checkTimeoutMs: true,
  effectLeaseMs: true,
  orphanAfterMs: true,
  onError: true,
  onObservation: true,
});

/** The options of a start, and of `waitForResult`. */
export const START_OPTIONS = optionNames<StartOptions>({ userId: true, verificationId: true });
const WAIT_OPTIONS = optionNames<WaitOptions>({ signal: true, timeoutMs: true });

/**
 * The methods of a store the service calls, and the retention methods its
 * host calls on the same store (a store of one's own without them would fail
 * only at the first purge, long after start-up).
 */
const STORE_METHODS = [
  'now',
  'create',
  'withVerification',
  'read',
  'findBinding',
  'claimDue',
  'findOutbox',
  'holdOutbox',
  'startOutbox',
  'finishOutbox',
  'onWake',
  'purgeFinished',
  'purgeAudit',
] as const;

/** The methods of a durable provider the service calls. */
const PROVIDER_METHODS = ['initialState', 'receive', 'plan', 'run'] as const;

/** Options that, when given, are functions. */
const HOOKS = ['verifyPin', 'onFinished', 'onError', 'onObservation', 'checkNumber'] as const;

/** Durations in milliseconds, from 1 ms up. */
const DURATIONS = ['outageThresholdMs', 'checkTimeoutMs', 'effectLeaseMs', 'orphanAfterMs'] as const;

/**
 * Checks the options of `createVerificationService`: names it knows, a store and a durable
 * provider with the methods the service calls, functions for the hooks, ids
 * and durations in range.
 *
 * @throws {@link InvalidServiceConfigurationError} listing every problem.
 */
export function checkServiceOptions(options: unknown): void {
  checkOptions('verification service', options, SERVICE_OPTIONS, ({ options, issues, durations }) => {
    const lacking = (path: string, what: string, names: readonly string[]): void => {
      issues.push(...methodIssues(options[path], path, what, names));
    };
    lacking('store', 'a verification store (memory, SQLite or PostgreSQL)', STORE_METHODS);
    lacking('provider', 'a durable voice provider', PROVIDER_METHODS);
    const provider = options.provider as Record<string, unknown> | null | undefined;
    if (provider !== undefined && !isRecord(provider?.capabilities)) {
      issues.push({ path: 'provider.capabilities', message: 'must be an object' });
    }
    // Optional, but called with every webhook when there.
    if (
      isRecord(provider) &&
      provider.idempotencyKeyOf !== undefined &&
      typeof provider.idempotencyKeyOf !== 'function'
    ) {
      issues.push({ path: 'provider.idempotencyKeyOf', message: 'must be a function when given' });
    }
    issues.push(...hostOptionIssues(options, HOOKS));
    if (options.instanceId !== undefined) {
      const problem = idProblem(options.instanceId);
      if (problem !== null) issues.push({ path: 'instanceId', message: problem });
    }
    if (options.sweepIntervalMs !== undefined && options.sweepIntervalMs !== null) {
      if (!isDuration(options.sweepIntervalMs)) {
        issues.push({ path: 'sweepIntervalMs', message: `${DURATION_RANGE}, or null for no periodic sweep` });
      }
    }
    durations(...DURATIONS);
  });
}

/** How long `waitForResult` waits, and what may stop it. */
export interface WaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Checks the options of `waitForResult`: names it knows, a `timeoutMs` that is a number of
 * milliseconds from 0 up (a `NaN` would have it look at the store without
 * pause, for ever), a `signal` that is an `AbortSignal`.
 *
 * @throws `InvalidRequestError` listing every problem.
 */
export function checkWaitOptions(options: unknown): WaitOptions {
  if (!isRecord(options)) {
    throw new InvalidRequestError([{ path: 'options', message: 'must be an object: { signal?, timeoutMs? }' }]);
  }
  const issues = unknownOptionIssues(options, WAIT_OPTIONS);
  const { signal, timeoutMs } = options;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
    issues.push({ path: 'timeoutMs', message: 'must be a number of milliseconds from 0 up' });
  }
  if (signal !== undefined && !isAbortSignal(signal)) {
    issues.push({ path: 'signal', message: 'must be an AbortSignal' });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return options as WaitOptions;
}
