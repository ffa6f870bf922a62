/**
 * The in-memory abuse limit store: one process, lost on restart, bounded in
 * size.
 *
 * @module
 */

import { optionNames, unknownOptionIssues } from '../optionNames.js';
import { isRecord } from '../request/normalizeRequest.js';
import type { AbuseLimitStore, AbuseLock, EventRetention } from './abuseLimitStore.js';
import { InvalidPhoneConfigurationError } from './errors.js';

/**
 * Options of {@link MemoryAbuseLimitStore}.
 *
 * @example
 * ```ts
 * new MemoryAbuseLimitStore({ maxKeys: 10_000 });
 * ```
 */
export interface MemoryAbuseLimitStoreOptions {
  /**
   * Most keys kept (events and locks each). Past it the least recently
   * written key is dropped, so memory stays bounded even under a flood of
   * new numbers or users. Default 100 000.
   */
  maxKeys?: number;
}

const DEFAULT_MAX_KEYS = 100_000;
const STORE_OPTIONS = optionNames<MemoryAbuseLimitStoreOptions>({ maxKeys: true });

/**
 * Keeps the abuse limits' events and locks in `Map`s. Each key holds only the
 * events its limits still need; {@link MemoryAbuseLimitStore.prune} drops
 * whole keys whose events have all aged out. Suits one process; several
 * processes need a shared, durable store.
 *
 * @example
 * ```ts
 * const store = new MemoryAbuseLimitStore({ maxKeys: 10_000 });
 * const guard = createAbuseGuard({ store, now: Date.now });
 * ```
 */
export class MemoryAbuseLimitStore implements AbuseLimitStore {
  readonly #events = new Map<string, number[]>();
  readonly #locks = new Map<string, AbuseLock>();
  readonly #maxKeys: number;

  constructor(options: MemoryAbuseLimitStoreOptions = {}) {
    const given: unknown = options;
    if (!isRecord(given)) {
      throw new InvalidPhoneConfigurationError([
        { path: '', message: 'the store options must be an object: { maxKeys? }' },
      ]);
    }
    const issues = unknownOptionIssues(given, STORE_OPTIONS);
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      issues.push({ path: 'maxKeys', message: 'must be a positive integer' });
    }
    if (issues.length > 0) throw new InvalidPhoneConfigurationError(issues);
    this.#maxKeys = maxKeys;
  }

  /** Keys currently holding events, and keys holding locks: for monitoring and tests. */
  get size(): { events: number; locks: number } {
    return { events: this.#events.size, locks: this.#locks.size };
  }

  async addEvent(key: string, at: number, retention: EventRetention): Promise<void> {
    const kept = (this.#events.get(key) ?? []).filter((time) => time >= retention.keepSince);
    kept.push(at);
    kept.sort((a, b) => a - b);
    const last = kept.slice(Math.max(0, kept.length - Math.max(1, retention.keepLast)));
    // Re-inserting moves the key to the end of the Map: the oldest-written key is evicted first.
    this.#events.delete(key);
    this.#events.set(key, last);
    evictOldest(this.#events, this.#maxKeys);
  }

  async removeEvent(key: string, at: number): Promise<void> {
    const times = this.#events.get(key);
    const index = times?.indexOf(at) ?? -1;
    if (times === undefined || index === -1) return;
    times.splice(index, 1);
    if (times.length === 0) this.#events.delete(key);
  }

  async getEvents(key: string, since: number): Promise<readonly number[]> {
    return (this.#events.get(key) ?? []).filter((time) => time >= since);
  }

  async setLock(key: string, lock: AbuseLock): Promise<void> {
    const existing = this.#locks.get(key);
    if (existing !== undefined && existing.until >= lock.until) return;
    this.#locks.delete(key);
    this.#locks.set(key, { until: lock.until, rule: lock.rule });
    evictOldest(this.#locks, this.#maxKeys);
  }

  async getLock(key: string, now: number): Promise<AbuseLock | null> {
    const lock = this.#locks.get(key);
    return lock !== undefined && lock.until > now ? { ...lock } : null;
  }

  async clearLock(key: string): Promise<void> {
    this.#locks.delete(key);
  }

  async prune(before: number): Promise<void> {
    for (const [key, times] of this.#events) {
      const kept = times.filter((time) => time >= before);
      if (kept.length === 0) this.#events.delete(key);
      else if (kept.length !== times.length) this.#events.set(key, kept);
    }
    for (const [key, lock] of this.#locks) {
      if (lock.until <= before) this.#locks.delete(key);
    }
  }
}

function evictOldest(map: Map<string, unknown>, maxKeys: number): void {
  for (const key of map.keys()) {
    if (map.size <= maxKeys) return;
    map.delete(key);
  }
}
