/**
 * Abuse limits: how often a user may ask for verification calls, how often a
 * number may be called, how soon the same number may be called again, and
 * lockouts after repeated denials or a fraud report. A verification they
 * refuse fails fast, before any call is placed, with a typed error.
 *
 * @module
 */
import { InvalidRequestError, type RequestIssue } from '../errors.js';
import type { AttemptResult, VerificationStatus } from '../machine/outcomes.js';
import type { TargetInput } from '../machine/types.js';
import { listedOptionNames, optionNames, unknownOptionIssues } from '../optionNames.js';
import { checkId } from '../request/identifiers.js';
import { isRecord, MAX_TARGETS, missingMethods } from '../request/normalizeRequest.js';
import type { AbuseLimitStore, AbuseLock, AbuseLockRule, EventRetention } from './abuseLimitStore.js';
import {
  type AbuseRule,
  InvalidPhoneConfigurationError,
  InvalidPhoneNumberError,
  VerificationRefusedError,
} from './errors.js';
import { MASK, maskPhoneNumber } from './maskPhoneNumber.js';
import { MemoryAbuseLimitStore } from './memoryAbuseLimitStore.js';
import { parsePhoneTarget } from './parsePhoneTarget.js';

/**
 * At most `max` verifications in a window. A `sliding` window (the default)
 * is any stretch of `windowMs`; a `fixed` one starts at each multiple of
 * `windowMs` on the clock (cheaper to explain, but allows a burst of twice
 * `max` across a boundary).
 *
 * @example
 * ```ts
 * const burst: RateLimit = { max: 3, windowMs: 10 * 60_000 };
 * const daily: RateLimit = { max: 10, windowMs: 24 * 3_600_000, window: 'fixed' };
 * ```
 */
export interface RateLimit {
  max: number;
  windowMs: number;
  window?: 'sliding' | 'fixed';
}

/**
 * Lock a user for `lockMs` once `maxDenials` verifications were denied within `windowMs`.
 *
 * @example
 * ```ts
 * const lockout: DenialLockout = { maxDenials: 3, windowMs: 3_600_000, lockMs: 3_600_000 };
 * ```
 */
export interface DenialLockout {
  maxDenials: number;
  windowMs: number;
  lockMs: number;
}

/**
 * The abuse limits. Every time is in milliseconds of the guard's clock.
 *
 * @example
 * ```ts
 * const limits: AbuseLimits = {
 *   perUser: [{ max: 5, windowMs: 15 * 60_000 }],
 *   perNumber: [{ max: 5, windowMs: 3_600_000 }],
 *   numberCooldownMs: 60_000,
 *   denialLockout: { maxDenials: 3, windowMs: 3_600_000, lockMs: 3_600_000 },
 *   fraudLockoutMs: 24 * 3_600_000,
 * };
 * ```
 */
export interface AbuseLimits {
  /** Verifications a user may start; every limit applies. `[]`: none. */
  perUser: readonly RateLimit[];
  /** Verifications that may list a number, across all users; every limit applies. `[]`: none. */
  perNumber: readonly RateLimit[];
  /**
   * Least time between two calls to the same number. `0`: none. With a
   * cool-down, a request that lists one number twice (by its E.164 form, so
   * two extensions of one number too) is refused.
   */
  numberCooldownMs: number;
  /** Lockout after repeated denials (the callee hung up, or failed the PIN), or `null`. */
  denialLockout: DenialLockout | null;
  /** How long a fraud report locks the user and the number that reported it. `0`: no lock. */
  fraudLockoutMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The limits used when none are given: 5 verifications a user per 15
 * minutes and 20 a day; 5 a number per hour and 15 a day; a minute between
 * calls to one number; an hour's lock after 3 denials in an hour; a day's lock
 * after a fraud report.
 *
 * @example
 * ```ts
 * createAbuseGuard({ limits: { ...DEFAULT_ABUSE_LIMITS, fraudLockoutMs: 90 * 24 * 3_600_000 } });
 * ```
 */
export const DEFAULT_ABUSE_LIMITS: Readonly<AbuseLimits> = {
  perUser: [
    { max: 5, windowMs: 15 * MINUTE, window: 'sliding' },
    { max: 20, windowMs: DAY, window: 'sliding' },
  ],
  perNumber: [
    { max: 5, windowMs: HOUR, window: 'sliding' },
    { max: 15, windowMs: DAY, window: 'sliding' },
  ],
  numberCooldownMs: MINUTE,
  denialLockout: { maxDenials: 3, windowMs: HOUR, lockMs: HOUR },
  fraudLockoutMs: DAY,
};

/** Longest window or lock the limits accept: a year. */
const MAX_ABUSE_DURATION_MS = 366 * DAY;

/**
 * Options of {@link createAbuseGuard}.
 *
 * @example
 * ```ts
 * const options: AbuseGuardOptions = { store: new MemoryAbuseLimitStore(), now: () => clock.now() };
 * ```
 */
export interface AbuseGuardOptions {
  /** Where counts and locks are kept. Default: a new {@link MemoryAbuseLimitStore}. */
  store?: AbuseLimitStore;
  /** Replacements for any of {@link DEFAULT_ABUSE_LIMITS}. */
  limits?: Partial<AbuseLimits>;
  /** The clock, in milliseconds. Default `Date.now`; tests pass a fake one. */
  now?: () => number;
  /** Least time between two sweeps of expired entries from the store. Default one minute. */
  pruneIntervalMs?: number;
}

/**
 * A verification about to start: who asks, and the numbers it may call.
 *
 * @example
 * ```ts
 * const request: AbuseCheckRequest = { userId: 'alice', numbers: ['(425) 555-0100'], defaultCountry: 'US' };
 * ```
 */
export interface AbuseCheckRequest {
  /** Who asks: a non-empty string of at most 256 characters without control characters. */
  userId: string;
  /**
   * The targets of the verification, as given to it, in any form the number
   * check reads (`(425) 555-0100` with a default country, `tel:` URIs,
   * extensions). A target that cannot be read refuses the check with an
   * `InvalidRequestError`: it could not be counted.
   */
  numbers: readonly TargetInput[];
  /** Country for numbers written without a country code: the verification's own, so both read the same number. */
  defaultCountry?: string | null;
}

/**
 * What {@link AbuseGuard.record} reads of a finished verification; a
 * `VerificationResult` fits. Pass it as the verification returned it, before
 * any masking: the numbers are its keys.
 *
 * @example
 * ```ts
 * const finished: RecordableVerification = {
 *   status: 'fraud',
 *   attempts: [{ result: 'fraud', target: { e164: '+14255550100' } }],
 * };
 * ```
 */
export interface RecordableVerification {
  status: VerificationStatus;
  attempts: readonly { result: AttemptResult | null; target: { e164: string | null } }[];
}

/**
 * A lock {@link AbuseGuard.record} placed.
 *
 * @example
 * ```ts
 * for (const lock of await guard.record(result, { userId })) {
 *   if (lock.rule === 'user-fraud-lockout') notifySecurityTeam(userId, new Date(lock.until));
 * }
 * ```
 */
export interface AppliedLock {
  subject: 'user' | 'number';
  rule: AbuseLockRule;
  until: number;
  /** For a number: the number, masked. */
  maskedNumber: string | null;
}

/**
 * A verification {@link AbuseGuard.check} let through, and counted as
 * started.
 *
 * @example
 * ```ts
 * const counted = await guard.check({ userId: 'alice', numbers: request.targets });
 * try {
 *   await saveAndStart(request);
 * } catch (error) {
 *   await counted.release(); // it never started: the limits are as before the check
 *   throw error;
 * }
 * ```
 */
export interface CountedStart {
  /**
   * Takes the count back, for a verification that did not start after all
   * (its record could not be saved, its id was taken): the limits are as if
   * it had never been checked. A second call does nothing.
   */
  release(): Promise<void>;
}

/**
 * Who a finished verification was for, given to {@link AbuseGuard.record}.
 *
 * @example
 * ```ts
 * await guard.record(result, { userId: 'alice', verificationId: 'v-7' });
 * ```
 */
export interface RecordContext {
  /** Who asked for the verification: as given to {@link AbuseGuard.check}. */
  userId: string;
  /**
   * The id of this one verification of the user, for a record that may be
   * retried (after a store error): the guard marks each call and the denial
   * once it counted it (for the user and the id, as long as its longest
   * window), and a retry counts only what is not marked. A call or denial
   * whose mark the store failed to write, after counting it, is counted again:
   * twice rather than never. It must name one verification only (as
   * the durable service's ids do): a record given the id of an earlier
   * verification of the same user counts nothing, so an id a host reuses (a
   * login session's) would let that user's denials go uncounted. Without it,
   * every record counts.
   */
  verificationId?: string;
}

/**
 * Checks verifications against the abuse limits and learns from their results.
 *
 * @example
 * ```ts
 * const guard: AbuseGuard = createAbuseGuard();
 * await guard.check({ userId: 'alice', numbers: ['+14255550100'] });
 * ```
 */
export interface AbuseGuard {
  /** The limits in force, defaults filled in. */
  readonly limits: Readonly<AbuseLimits>;
  /**
   * Refuses, with a {@link VerificationRefusedError}, a verification the
   * limits do not allow (with the longest wait of the limits that refuse,
   * named by a lock before a rate); otherwise counts it as started (so concurrent
   * requests cannot all slip under a limit). Call it before any call is placed;
   * if the verification then does not start after all, give the count back
   * with the {@link CountedStart} it returns. Numbers are counted by their
   * E.164 form; one that cannot be read fails closed with an
   * `InvalidRequestError` listing it, and nothing is counted. So does a
   * number listed twice while `numberCooldownMs` is set: the verification
   * would call it again as soon as its first call ended.
   */
  check(request: AbuseCheckRequest): Promise<CountedStart>;
  /**
   * Feeds a finished verification back: calls placed, a denial, a fraud
   * report. Returns the locks it placed (not one a longer lock already
   * there covers, which the store keeps). Given the verification's id (one
   * verification's only, see {@link RecordContext}), a retry of a record
   * that failed counts what the first one did not; a part counted whose mark
   * the store then failed to write is counted twice. A called number it cannot key (a
   * masked result, a national form) refuses the whole record with an
   * `InvalidRequestError` before anything is stored.
   */
  record(result: RecordableVerification, context: RecordContext): Promise<AppliedLock[]>;
  /**
   * Lifts the lock of a user or a number (an administrator's decision); the
   * number in any form with its country code. Throws an `InvalidRequestError`
   * when neither is given, an `InvalidPhoneNumberError` for a number it cannot read.
   */
  unlock(subject: { userId?: string; number?: string }): Promise<void>;
}

const isDuration = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= min && value <= MAX_ABUSE_DURATION_MS;

function checkRateLimits(value: unknown, path: string, issues: RequestIssue[]): RateLimit[] {
  if (!Array.isArray(value)) {
    issues.push({ path, message: 'must be a list of { max, windowMs, window? } (empty for none)' });
    return [];
  }
  return value.flatMap((limit: unknown, i): RateLimit[] => {
    const at = `${path}.${i}`;
    if (!isRecord(limit)) {
      issues.push({ path: at, message: 'must be { max, windowMs, window? }' });
      return [];
    }
    const before = issues.length;
    issues.push(...unknownOptionIssues(limit, RATE_LIMIT_NAMES, at));
    if (!(Number.isInteger(limit.max) && (limit.max as number) >= 1 && (limit.max as number) <= 1_000_000)) {
      issues.push({ path: `${at}.max`, message: 'must be an integer from 1 to 1000000' });
    }
    if (!isDuration(limit.windowMs, 1)) {
      issues.push({ path: `${at}.windowMs`, message: `must be a duration from 1 to ${MAX_ABUSE_DURATION_MS} ms` });
    }
    if (limit.window !== undefined && limit.window !== 'sliding' && limit.window !== 'fixed') {
      issues.push({ path: `${at}.window`, message: "must be 'sliding' or 'fixed'" });
    }
    if (issues.length > before) return [];
    const window = limit.window === 'fixed' ? 'fixed' : 'sliding';
    return [{ max: limit.max as number, windowMs: limit.windowMs as number, window }];
  });
}

/** The limits `options` sets over the defaults; what it cannot set is added to `issues`. */
function resolveAbuseLimits(options: unknown, issues: RequestIssue[]): AbuseLimits {
  if (options === undefined) return { ...DEFAULT_ABUSE_LIMITS };
  if (!isRecord(options)) {
    issues.push({ path: 'limits', message: 'must be an object' });
    return { ...DEFAULT_ABUSE_LIMITS };
  }
  issues.push(...unknownOptionIssues(options, LIMIT_NAMES, 'limits'));
  const limits: AbuseLimits = { ...DEFAULT_ABUSE_LIMITS };
  if (options.perUser !== undefined) limits.perUser = checkRateLimits(options.perUser, 'limits.perUser', issues);
  if (options.perNumber !== undefined)
    limits.perNumber = checkRateLimits(options.perNumber, 'limits.perNumber', issues);
  if (options.numberCooldownMs !== undefined) {
    if (isDuration(options.numberCooldownMs, 0)) limits.numberCooldownMs = options.numberCooldownMs;
    else issues.push({ path: 'limits.numberCooldownMs', message: `must be from 0 to ${MAX_ABUSE_DURATION_MS} ms` });
  }
  if (options.fraudLockoutMs !== undefined) {
    if (isDuration(options.fraudLockoutMs, 0)) limits.fraudLockoutMs = options.fraudLockoutMs;
    else issues.push({ path: 'limits.fraudLockoutMs', message: `must be from 0 to ${MAX_ABUSE_DURATION_MS} ms` });
  }
  const lockout = options.denialLockout;
  if (lockout === null) limits.denialLockout = null;
  else if (lockout !== undefined) {
    const ok =
      isRecord(lockout) &&
      Number.isInteger(lockout.maxDenials) &&
      (lockout.maxDenials as number) >= 1 &&
      isDuration(lockout.windowMs, 1) &&
      isDuration(lockout.lockMs, 1);
    if (ok) {
      limits.denialLockout = {
        maxDenials: lockout.maxDenials as number,
        windowMs: lockout.windowMs as number,
        lockMs: lockout.lockMs as number,
      };
    } else {
      issues.push({
        path: 'limits.denialLockout',
        message: 'must be null or { maxDenials: integer ≥ 1, windowMs, lockMs } with durations of 1 ms to a year',
      });
    }
  }
  return limits;
}

/** Milliseconds as people say them: `45 seconds`, `15 minutes`, `2 hours`. */
function describeDuration(ms: number): string {
  const units: [number, string][] = [
    [DAY, 'day'],
    [HOUR, 'hour'],
    [MINUTE, 'minute'],
    [1_000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size) {
      const count = Math.ceil(ms / size);
      return `${count} ${name}${count === 1 ? '' : 's'}`;
    }
  }
  return `${Math.max(0, Math.ceil(ms))} ms`;
}

/** Milliseconds until `limit` lets one more verification through, or `null` when it does now. */
function waitForRateLimit(events: readonly number[], limit: RateLimit, now: number): number | null {
  if (limit.window === 'fixed') {
    const windowStart = Math.floor(now / limit.windowMs) * limit.windowMs;
    const count = events.filter((time) => time >= windowStart).length;
    return count >= limit.max ? windowStart + limit.windowMs - now : null;
  }
  const inWindow = events.filter((time) => time > now - limit.windowMs);
  // The window lets one more through once the event `max` places from the end has left it.
  const leaving = inWindow[inWindow.length - limit.max];
  return leaving === undefined ? null : leaving + limit.windowMs - now;
}

/**
 * The limit that refuses one more verification for longest, with its wait, or
 * `null` when every limit lets it through: the request passes only once all
 * of them do, so the wait reported is the longest.
 */
function longestRateWait(
  events: readonly number[],
  limits: readonly RateLimit[],
  now: number,
): { limit: RateLimit; wait: number } | null {
  let longest: { limit: RateLimit; wait: number } | null = null;
  for (const limit of limits) {
    const wait = waitForRateLimit(events, limit, now);
    if (wait !== null && (longest === null || wait > longest.wait)) longest = { limit, wait };
  }
  return longest;
}

/** A limit that refuses a request: its rule, the wait, and why, in words without the wait. */
interface Refusal {
  rule: AbuseRule;
  retryAfterMs: number;
  /** For a number's limit, the number masked; `null` for the user's. */
  maskedNumber: string | null;
  reason: string;
}

/**
 * The refusal of a request some limits refuse: named by the first of them (a
 * lock before a rate, the user's before a number's, as they are asked), with
 * the longest of their waits, so that a retry then is not refused by another.
 */
function refuseAll(refusals: readonly Refusal[]): VerificationRefusedError {
  const first = refusals[0] as Refusal;
  const longest = refusals.reduce((kept, refusal) => (refusal.retryAfterMs > kept.retryAfterMs ? refusal : kept));
  const reasons = longest === first ? first.reason : `${first.reason}, and ${longest.reason}`;
  return new VerificationRefusedError(first.rule, {
    retryAfterMs: longest.retryAfterMs,
    subject: first.maskedNumber === null ? 'user' : 'number',
    maskedNumber: first.maskedNumber,
    explanation: `${reasons}; retry in ${describeDuration(longest.retryAfterMs)}`,
  });
}

const LOCK_EXPLANATIONS: Record<AbuseLockRule, string> = {
  'user-denial-lockout': 'the user is locked after repeated denied verifications',
  'user-fraud-lockout': 'the user is locked after a fraud report',
  'number-fraud-lockout': 'the number is locked after it reported fraud',
};

const userKeys = (userId: string) => ({
  verifications: `user-verifications:${userId}`,
  denials: `user-denials:${userId}`,
  lock: `user-lock:${userId}`,
});

/**
 * Marks one part of a verification's result (the call to a number, the
 * denial) as counted, so that a retry of its record counts it not again;
 * keyed by the user too, so that one user's id never stands for another
 * user's verification. JSON keeps the ids apart.
 */
const countedPartKey = (userId: string, verificationId: string, part: string) =>
  `verification-counted:${JSON.stringify([userId, verificationId, part])}`;

const numberKeys = (e164: string) => ({
  verifications: `number-verifications:${e164}`,
  calls: `number-calls:${e164}`,
  lock: `number-lock:${e164}`,
});

/** The fields of {@link AbuseGuardOptions}. */
const GUARD_OPTIONS = optionNames<AbuseGuardOptions>({ store: true, limits: true, now: true, pruneIntervalMs: true });
const LIMIT_NAMES = listedOptionNames(Object.keys(DEFAULT_ABUSE_LIMITS));
const RATE_LIMIT_NAMES = optionNames<RateLimit>({ max: true, windowMs: true, window: true });

/** The methods of an {@link AbuseLimitStore} the guard calls. */
const STORE_METHODS = ['addEvent', 'removeEvent', 'getEvents', 'setLock', 'getLock', 'clearLock', 'prune'] as const;

const UNCOUNTABLE = 'a number that cannot be counted by the abuse limits is refused';

/**
 * The distinct E.164 numbers among the targets, read as the number check
 * reads them, so every form of a number (national, `tel:`, with an extension,
 * other digits) has one key. A target that cannot be read is refused, not
 * skipped: a host whose verification reads it differently (another default
 * country) would otherwise dial a number no limit counted. With a cool-down
 * (`cooldownMs` above 0), a number listed twice is refused too: the
 * verification would call it again as soon as its first call ended.
 */
function readNumbers(numbers: unknown, defaultCountry: string | null | undefined, cooldownMs: number): string[] {
  if (!Array.isArray(numbers) || numbers.length > MAX_TARGETS) {
    throw new InvalidRequestError([{ path: 'numbers', message: `must be a list of at most ${MAX_TARGETS} targets` }]);
  }
  const firstListed = new Map<string, number>();
  const issues: RequestIssue[] = [];
  (numbers as TargetInput[]).forEach((number, i) => {
    try {
      const { e164 } = parsePhoneTarget(number, { defaultCountry });
      const first = firstListed.get(e164);
      if (first === undefined) firstListed.set(e164, i);
      else if (cooldownMs > 0) {
        issues.push({
          path: `numbers.${i}`,
          message: `the same number as numbers.${first}: the abuse limits keep ${describeDuration(cooldownMs)} between two calls to one number`,
        });
      }
    } catch (error) {
      if (!(error instanceof InvalidPhoneNumberError)) throw error;
      issues.push({ path: `numbers.${i}`, message: `${error.message}; ${UNCOUNTABLE}` });
    }
  });
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return [...firstListed.keys()];
}

/**
 * The E.164 numbers a finished verification called, each as its key. A
 * number that cannot be read with its country code (a masked result, a
 * national form) is refused: recorded under the wrong key, its cool-down and
 * fraud lock would never apply.
 */
function readCalledNumbers(attempts: RecordableVerification['attempts']): { e164: string; fraud: boolean }[] {
  const called = new Map<string, boolean>();
  const issues: RequestIssue[] = [];
  attempts.forEach((attempt, i) => {
    const e164: unknown = attempt?.target?.e164;
    if (e164 === null) return;
    const path = `result.attempts.${i}.target.e164`;
    if (typeof e164 !== 'string') {
      issues.push({ path, message: 'must be the E.164 number called, or null when none was' });
      return;
    }
    if (e164.includes(MASK)) {
      issues.push({
        path,
        message: `${e164} is masked; record the result as the verification returned it (runVerification records it itself when given the guard, or run it with maskNumbers: false)`,
      });
      return;
    }
    try {
      const key = parsePhoneTarget(e164).e164;
      called.set(key, called.get(key) === true || attempt.result === 'fraud');
    } catch (error) {
      if (!(error instanceof InvalidPhoneNumberError)) throw error;
      issues.push({ path, message: `${error.message}; ${UNCOUNTABLE}` });
    }
  });
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return [...called].map(([e164, fraud]) => ({ e164, fraud }));
}

/**
 * Creates the abuse guard: call `check` before a verification starts and
 * `record` when it ends. The clock is injected, so tests run on a fake one.
 * Checks and records of one guard run one at a time, so a limit holds under
 * concurrent requests in one process. Options it cannot use (an unknown
 * field, a store without its methods, a clock that is no function, limits
 * that cannot work) are refused with an `InvalidPhoneConfigurationError`
 * listing each.
 *
 * @example
 * ```ts
 * const guard = createAbuseGuard({
 *   store: new MemoryAbuseLimitStore(),
 *   limits: { perUser: [{ max: 3, windowMs: 10 * 60_000 }], numberCooldownMs: 30_000 },
 *   now: Date.now,
 * });
 * await guard.check({ userId: 'alice', numbers: request.targets, defaultCountry: 'US' }); // throws VerificationRefusedError
 * const result = await runVerification(request, { ...options, maskNumbers: false }); // the guard keys full numbers
 * await guard.record(result, { userId: 'alice' });
 * ```
 */
export function createAbuseGuard(options: AbuseGuardOptions = {}): AbuseGuard {
  const given: unknown = options;
  if (!isRecord(given)) {
    throw new InvalidPhoneConfigurationError([{ path: '', message: 'the abuse guard options must be an object' }]);
  }
  const issues: RequestIssue[] = [];
  issues.push(...unknownOptionIssues(given, GUARD_OPTIONS));
  const limits = resolveAbuseLimits(options.limits, issues);
  // A store or clock that cannot work would otherwise fail at the first check, long after start-up.
  const missing = options.store === undefined ? [] : missingMethods(options.store, STORE_METHODS);
  if (missing.length > 0) {
    issues.push({ path: 'store', message: `must be an AbuseLimitStore; it has no ${missing.join(', ')}` });
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    issues.push({ path: 'now', message: 'must be a function returning the time in milliseconds' });
  }
  const pruneIntervalMs = options.pruneIntervalMs ?? MINUTE;
  if (!isDuration(pruneIntervalMs, 0)) issues.push({ path: 'pruneIntervalMs', message: 'must be a duration in ms' });
  if (issues.length > 0) throw new InvalidPhoneConfigurationError(issues);
  const store = options.store ?? new MemoryAbuseLimitStore();
  const clock = options.now ?? Date.now;

  const longestUserWindow = Math.max(0, ...limits.perUser.map((l) => l.windowMs));
  const longestNumberWindow = Math.max(limits.numberCooldownMs, ...limits.perNumber.map((l) => l.windowMs));
  const longestRetention = Math.max(longestUserWindow, longestNumberWindow, limits.denialLockout?.windowMs ?? 0);
  const mostPerUser = Math.max(1, ...limits.perUser.map((l) => l.max));
  const mostPerNumber = Math.max(1, ...limits.perNumber.map((l) => l.max));

  let lastPrunedAt: number | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every earlier check and record of this guard has finished. */
  function exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  }

  function now(): number {
    const time = clock();
    if (!Number.isFinite(time)) {
      throw new InvalidPhoneConfigurationError([{ path: 'now', message: `the clock returned ${String(time)}` }]);
    }
    return time;
  }

  async function pruneNow(time: number): Promise<void> {
    if (lastPrunedAt !== null && time - lastPrunedAt < pruneIntervalMs) return;
    lastPrunedAt = time;
    await store.prune(time - longestRetention);
  }

  function lockRefusal(lock: AbuseLock, time: number, maskedNumber: string | null): Refusal {
    return {
      rule: lock.rule,
      retryAfterMs: lock.until - time,
      maskedNumber,
      reason: `${maskedNumber === null ? '' : `${maskedNumber}: `}${LOCK_EXPLANATIONS[lock.rule]}`,
    };
  }

  function rateRefusal(
    rule: Extract<AbuseRule, 'user-rate-limit' | 'number-rate-limit'>,
    limit: RateLimit,
    retryAfterMs: number,
    maskedNumber: string | null,
  ): Refusal {
    const who = maskedNumber === null ? 'the user started' : `${maskedNumber} was the target of`;
    const window = limit.window === 'fixed' ? 'this fixed window of' : 'the last';
    return {
      rule,
      retryAfterMs,
      maskedNumber,
      reason: `${who} ${limit.max} verification${limit.max === 1 ? '' : 's'} in ${window} ${describeDuration(limit.windowMs)}`,
    };
  }

  async function check(request: AbuseCheckRequest): Promise<CountedStart> {
    if (!isRecord(request)) throw new InvalidRequestError([{ path: '', message: 'the request must be an object' }]);
    const userId = checkId(request.userId, 'userId');
    const { defaultCountry } = request;
    if (defaultCountry !== undefined && defaultCountry !== null && typeof defaultCountry !== 'string') {
      throw new InvalidRequestError([
        { path: 'defaultCountry', message: 'must be an ISO 3166-1 alpha-2 country code, or null' },
      ]);
    }
    const numbers = readNumbers(request.numbers, defaultCountry, limits.numberCooldownMs);
    const time = now();
    await pruneNow(time);
    const user = userKeys(userId);

    // Every limit is asked: the request passes only once all of them let it through, so the longest wait is the one
    // to tell. A store that fails once a limit refuses changes only how long the wait is known to be.
    const refusals: Refusal[] = [];
    try {
      const userLock = await store.getLock(user.lock, time);
      if (userLock !== null) refusals.push(lockRefusal(userLock, time, null));
      for (const e164 of numbers) {
        const numberLock = await store.getLock(numberKeys(e164).lock, time);
        if (numberLock !== null) refusals.push(lockRefusal(numberLock, time, maskPhoneNumber(e164)));
      }

      if (limits.perUser.length > 0) {
        const started = await store.getEvents(user.verifications, time - longestUserWindow);
        const refusing = longestRateWait(started, limits.perUser, time);
        if (refusing !== null) refusals.push(rateRefusal('user-rate-limit', refusing.limit, refusing.wait, null));
      }

      for (const e164 of numbers) {
        const keys = numberKeys(e164);
        const masked = maskPhoneNumber(e164);
        if (limits.numberCooldownMs > 0) {
          const since = time - limits.numberCooldownMs;
          const recent = [
            ...(await store.getEvents(keys.verifications, since)),
            ...(await store.getEvents(keys.calls, since)),
          ];
          const latest = recent.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
          if (latest > since) {
            refusals.push({
              rule: 'number-cooldown',
              retryAfterMs: latest + limits.numberCooldownMs - time,
              maskedNumber: masked,
              reason: `${masked} was called less than ${describeDuration(limits.numberCooldownMs)} ago`,
            });
          }
        }
        if (limits.perNumber.length > 0) {
          const listed = await store.getEvents(keys.verifications, time - longestNumberWindow);
          const refusing = longestRateWait(listed, limits.perNumber, time);
          if (refusing !== null) refusals.push(rateRefusal('number-rate-limit', refusing.limit, refusing.wait, masked));
        }
      }
    } catch (error) {
      if (refusals.length === 0) throw error;
    }
    if (refusals.length > 0) throw refuseAll(refusals);

    const counted = [user.verifications, ...numbers.map((e164) => numberKeys(e164).verifications)];
    await store.addEvent(user.verifications, time, { keepSince: time - longestUserWindow, keepLast: mostPerUser });
    for (const e164 of numbers) {
      await store.addEvent(numberKeys(e164).verifications, time, {
        keepSince: time - longestNumberWindow,
        keepLast: mostPerNumber,
      });
    }
    let released = false;
    return {
      release: () =>
        exclusive(async () => {
          if (released) return;
          released = true;
          for (const key of counted) await store.removeEvent(key, time);
        }),
    };
  }

  async function record(result: RecordableVerification, context: RecordContext): Promise<AppliedLock[]> {
    const userId = checkId(context?.userId, 'userId');
    const verificationId =
      context.verificationId === undefined ? undefined : checkId(context.verificationId, 'verificationId');
    if (!isRecord(result) || !Array.isArray(result.attempts)) {
      throw new InvalidRequestError([{ path: 'result', message: 'must be a verification result' }]);
    }
    const called = readCalledNumbers(result.attempts);
    const time = now();
    const user = userKeys(userId);
    const applied: AppliedLock[] = [];

    /**
     * Locks `key`, and reports the lock when it is the one in force: a store keeps
     * a longer lock already there, and a lock that was not placed is not reported.
     */
    async function placeLock(key: string, lock: AbuseLock, e164: string | null): Promise<void> {
      await store.setLock(key, lock);
      const inForce = await store.getLock(key, time);
      if (inForce?.until !== lock.until || inForce.rule !== lock.rule) return;
      const maskedNumber = e164 === null ? null : maskPhoneNumber(e164);
      applied.push({ subject: e164 === null ? 'user' : 'number', ...lock, maskedNumber });
    }

    const lockout = limits.denialLockout;
    const denied = result.status === 'denied' && lockout !== null;
    const parts: { part: string; key: string; retention: EventRetention }[] = called.map(({ e164 }) => ({
      part: `call:${e164}`,
      key: numberKeys(e164).calls,
      retention: { keepSince: time - limits.numberCooldownMs, keepLast: 1 },
    }));
    if (denied) {
      parts.push({
        part: 'denial',
        key: user.denials,
        retention: { keepSince: time - lockout.windowMs, keepLast: lockout.maxDenials },
      });
    }
    // Each part is counted, then marked: a retry skips what a failed record counted and marked, and
    // counts again only a part whose mark was not written (counted twice rather than never).
    for (const { part, key, retention } of parts) {
      const mark = verificationId === undefined ? null : countedPartKey(userId, verificationId, part);
      if (mark !== null && (await store.getEvents(mark, time - longestRetention)).length > 0) continue;
      await store.addEvent(key, time, retention);
      if (mark !== null) await store.addEvent(mark, time, { keepSince: time - longestRetention, keepLast: 1 });
    }

    if (denied) {
      const denials = (await store.getEvents(user.denials, time - lockout.windowMs)).filter(
        (at) => at > time - lockout.windowMs,
      );
      if (denials.length >= lockout.maxDenials) {
        await placeLock(user.lock, { until: time + lockout.lockMs, rule: 'user-denial-lockout' }, null);
      }
    }

    if (result.status === 'fraud' && limits.fraudLockoutMs > 0) {
      const until = time + limits.fraudLockoutMs;
      await placeLock(user.lock, { until, rule: 'user-fraud-lockout' }, null);
      for (const { e164 } of called.filter((number) => number.fraud)) {
        await placeLock(numberKeys(e164).lock, { until, rule: 'number-fraud-lockout' }, e164);
      }
    }
    return applied;
  }

  async function unlock(subject: { userId?: string; number?: string }): Promise<void> {
    if (!isRecord(subject) || (subject.userId === undefined && subject.number === undefined)) {
      throw new InvalidRequestError([
        { path: '', message: 'give the userId or the number (with its country code) to unlock' },
      ]);
    }
    // Both keys are read before either lock is lifted.
    const userLock = subject.userId === undefined ? null : userKeys(checkId(subject.userId, 'userId')).lock;
    const numberLock = subject.number === undefined ? null : numberKeys(parsePhoneTarget(subject.number).e164).lock;
    if (userLock !== null) await store.clearLock(userLock);
    if (numberLock !== null) await store.clearLock(numberLock);
  }

  return {
    limits,
    check: (request) => exclusive(() => check(request)),
    record: (result, context) => exclusive(() => record(result, context)),
    unlock: (subject) => exclusive(() => unlock(subject)),
  };
}
