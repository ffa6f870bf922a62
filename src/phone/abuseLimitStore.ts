/**
 * Where the abuse limits keep what they count: times of events per key, and
 * locks. Small on purpose, so a durable store (Redis, SQL) is a few queries.
 * Every time is a reading of the guard's clock, in milliseconds; a store
 * never reads a clock itself.
 *
 * @module
 */
import type { AbuseRule } from './errors.js';

/**
 * The rules that lock a user or a number.
 *
 * @example
 * ```ts
 * const rule: AbuseLockRule = 'user-fraud-lockout';
 * ```
 */
export type AbuseLockRule = Extract<AbuseRule, 'user-denial-lockout' | 'user-fraud-lockout' | 'number-fraud-lockout'>;

/**
 * A lock on a user or a number: nothing is called for it before `until`.
 *
 * @example
 * ```ts
 * await store.setLock('user-lock:alice', { until: now + 3_600_000, rule: 'user-denial-lockout' });
 * ```
 */
export interface AbuseLock {
  until: number;
  rule: AbuseLockRule;
}

/**
 * How much of a key's history is still needed.
 *
 * @example
 * ```ts
 * // A limit of 5 per hour needs at most the last 5 events of the last hour.
 * await store.addEvent('user-verifications:alice', now, { keepSince: now - 3_600_000, keepLast: 5 });
 * ```
 */
export interface EventRetention {
  /** Events before this time may be dropped. */
  keepSince: number;
  /** At most this many of the latest events need be kept. */
  keepLast: number;
}

/**
 * The storage of the abuse limits. Keys are opaque strings built by the
 * guard (`user:…`, `number:+1…`); they hold E.164 numbers and user ids, so a
 * durable store should keep them as confidential as its other data.
 *
 * @example
 * ```ts
 * const guard = createAbuseGuard({ store: new MemoryAbuseLimitStore(), now: Date.now });
 * ```
 */
export interface AbuseLimitStore {
  /** Adds an event at `at` to `key`, dropping what `retention` no longer needs. */
  addEvent(key: string, at: number, retention: EventRetention): Promise<void>;
  /**
   * Removes one event at `at` from `key`, if it holds one: a start the guard
   * counted, taken back because the verification never started.
   */
  removeEvent(key: string, at: number): Promise<void>;
  /** Times of the events of `key` at or after `since`, oldest first. */
  getEvents(key: string, since: number): Promise<readonly number[]>;
  /** Locks `key`; an existing lock that ends later is kept. */
  setLock(key: string, lock: AbuseLock): Promise<void>;
  /** The lock of `key` if it lasts beyond `now`, else `null`. */
  getLock(key: string, now: number): Promise<AbuseLock | null>;
  /** Lifts the lock of `key`, if any. */
  clearLock(key: string): Promise<void>;
  /** Drops every event before `before` and every lock ended by then. */
  prune(before: number): Promise<void>;
}
