/**
 * Checking the durable service's options, once when it is made, and the
 * options of each start, before anything is counted, stored or dialled.
 *
 * @module
 */
import { InvalidRequestError, type RequestIssue } from '../errors.js';
import { idProblem } from '../request/identifiers.js';
import { isRecord } from '../request/normalizeRequest.js';
import { InvalidServiceConfigurationError } from '../store/errors.js';
import { DURATION_RANGE, isDuration } from '../store/options.js';

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

/** The methods among `names` that `value` lacks (all of them when it is no object). */
function missingMethods(value: unknown, names: readonly string[]): string[] {
  if (typeof value !== 'object' || value === null) return [...names];
  return names.filter((name) => typeof (value as Record<string, unknown>)[name] !== 'function');
}

/**
 * Checks the options of `createVerificationService`: a store and a durable
 * provider with the methods the service calls, functions for the hooks, ids
 * and durations in range.
 *
 * @throws {@link InvalidServiceConfigurationError} listing every problem.
 */
export function checkServiceOptions(options: unknown): void {
  if (!isRecord(options)) {
    throw new InvalidServiceConfigurationError([{ path: '(options)', message: 'must be an object' }]);
  }
  const issues: RequestIssue[] = [];
  const lacking = (path: string, what: string, names: readonly string[]): void => {
    const missing = missingMethods(options[path], names);
    if (missing.length > 0) {
      issues.push({ path, message: `must be ${what}; it has no ${missing.join(', ')}` });
    }
  };
  lacking('store', 'a verification store (memory, SQLite or PostgreSQL)', STORE_METHODS);
  lacking('provider', 'a durable voice provider', PROVIDER_METHODS);
  if (options.provider !== undefined && !isRecord((options.provider as Record<string, unknown> | null)?.capabilities)) {
    issues.push({ path: 'provider.capabilities', message: 'must be an object' });
  }
  for (const hook of HOOKS) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') {
      issues.push({ path: hook, message: 'must be a function' });
    }
  }
  if (options.abuseGuard !== undefined) lacking('abuseGuard', 'an abuse guard', ['check', 'record']);
  if (options.clock !== undefined) lacking('clock', 'a clock', ['now', 'setTimeout', 'clearTimeout']);
  if (options.maskNumbers !== undefined && typeof options.maskNumbers !== 'boolean') {
    issues.push({ path: 'maskNumbers', message: 'must be true or false' });
  }
  if (options.instanceId !== undefined) {
    const problem = idProblem(options.instanceId);
    if (problem !== null) issues.push({ path: 'instanceId', message: problem });
  }
  if (options.sweepIntervalMs !== undefined && options.sweepIntervalMs !== null) {
    if (!isDuration(options.sweepIntervalMs)) {
      issues.push({ path: 'sweepIntervalMs', message: `${DURATION_RANGE}, or null for no periodic sweep` });
    }
  }
  for (const name of DURATIONS) {
    if (options[name] !== undefined && !isDuration(options[name])) issues.push({ path: name, message: DURATION_RANGE });
  }
  if (issues.length > 0) throw new InvalidServiceConfigurationError(issues);
}

/** A start's options, checked. */
export interface CheckedStartOptions {
  verificationId: string | undefined;
  userId: string | null;
}

/**
 * Checks the options of one `start`: ids that are non-empty strings of at
 * most 256 characters without control characters (`idProblem`), and a
 * user (not blank) when the abuse limits need one.
 *
 * @throws `InvalidRequestError` listing every problem.
 */
export function checkStartOptions(options: unknown, needsUser: boolean): CheckedStartOptions {
  if (!isRecord(options)) {
    throw new InvalidRequestError([{ path: 'options', message: 'must be an object: { userId?, verificationId? }' }]);
  }
  const issues: RequestIssue[] = [];
  for (const path of ['verificationId', 'userId'] as const) {
    const problem = options[path] === undefined ? null : idProblem(options[path]);
    if (problem !== null) issues.push({ path, message: problem });
  }
  const userId = typeof options.userId === 'string' ? options.userId : null;
  if (needsUser && (userId === null || userId.trim() === '') && !issues.some((issue) => issue.path === 'userId')) {
    issues.push({ path: 'userId', message: 'the abuse limits need the id of the user being verified' });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return { verificationId: options.verificationId as string | undefined, userId };
}
