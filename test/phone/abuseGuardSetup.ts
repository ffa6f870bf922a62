/**
 * An abuse guard on a fake clock with every limit off but those a test sets,
 * shared by the abuse-limit tests.
 */
import { type AbuseLimits, createAbuseGuard } from '../../src/phone/abuseGuard.js';
import { MemoryAbuseLimitStore } from '../../src/phone/memoryAbuseLimitStore.js';

/** A clock that moves only when told to. */
export function fakeClock(start = 1_700_000_000_000) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

/** Limits with every limit off. */
export const NO_LIMITS: AbuseLimits = {
  perUser: [],
  perNumber: [],
  numberCooldownMs: 0,
  denialLockout: null,
  fraudLockoutMs: 0,
};

/** A guard with only the given limits, its memory store and its fake clock. */
export function setUp(limits: Partial<AbuseLimits>) {
  const clock = fakeClock();
  const store = new MemoryAbuseLimitStore();
  const guard = createAbuseGuard({ store, limits: { ...NO_LIMITS, ...limits }, now: clock.now });
  return { clock, store, guard };
}

/** A memory store whose next read of a user's denials fails, with `failure`, once `failNextDenialRead` is set. */
export class DenialReadFailingStore extends MemoryAbuseLimitStore {
  failNextDenialRead = false;

  constructor(private readonly failure: string) {
    super();
  }

  override async getEvents(key: string, since: number): Promise<readonly number[]> {
    if (this.failNextDenialRead && key.startsWith('user-denials:')) {
      this.failNextDenialRead = false;
      throw new Error(this.failure);
    }
    return super.getEvents(key, since);
  }
}
