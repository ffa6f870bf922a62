/**
 * Abuse limits on a fake clock: per-user and per-number rates (sliding and
 * fixed windows), the cool-down between calls to a number, lockouts after
 * denials and fraud reports, and memory that stays bounded.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/errors.js';
import type { AttemptResult, VerificationStatus } from '../../src/machine/outcomes.js';
import { createAbuseGuard, DEFAULT_ABUSE_LIMITS } from '../../src/phone/abuseGuard.js';
import type { EventRetention } from '../../src/phone/abuseLimitStore.js';
import { type AbuseRule, InvalidPhoneConfigurationError, VerificationRefusedError } from '../../src/phone/errors.js';
import { MemoryAbuseLimitStore } from '../../src/phone/memoryAbuseLimitStore.js';
import { DenialReadFailingStore, fakeClock, NO_LIMITS, setUp } from './abuseGuardSetup.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const ALICE = '+1 425 555 0100';
const BOB = '+44 20 7946 0000';

/** The refusal of a check, or `null` when it passed. */
async function refusal(run: Promise<unknown>): Promise<VerificationRefusedError | null> {
  try {
    await run;
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(VerificationRefusedError);
    return error as VerificationRefusedError;
  }
}

async function expectRefused(run: Promise<unknown>, rule: AbuseRule, retryAfterMs: number) {
  const error = await refusal(run);
  expect(error).not.toBeNull();
  expect(error).toMatchObject({ code: 'VERIFICATION_REFUSED', rule, retryAfterMs });
  return error as VerificationRefusedError;
}

const finished = (status: VerificationStatus, ...attempts: [string | null, AttemptResult][]) => ({
  status,
  attempts: attempts.map(([e164, result]) => ({ result, target: { e164 } })),
});

describe('per-user rate, sliding window', () => {
  it('allows max verifications in any window and says when the next one may start', async () => {
    const { clock, guard } = setUp({ perUser: [{ max: 3, windowMs: 10 * MINUTE }] });
    await guard.check({ userId: 'alice', numbers: [ALICE] }); // t = 0
    clock.advance(2 * MINUTE);
    await guard.check({ userId: 'alice', numbers: [ALICE] }); // t = 2 min
    clock.advance(3 * MINUTE);
    await guard.check({ userId: 'alice', numbers: [ALICE] }); // t = 5 min
    clock.advance(1 * MINUTE);
    // The first leaves the window at t = 10 min, 4 minutes from now.
    const error = await expectRefused(
      guard.check({ userId: 'alice', numbers: [ALICE] }),
      'user-rate-limit',
      4 * MINUTE,
    );
    expect(error.subject).toBe('user');
    expect(error.message).toBe(
      'Verification refused (user-rate-limit): the user started 3 verifications in the last 10 minutes; retry in 4 minutes',
    );
    clock.advance(4 * MINUTE - 1);
    await expectRefused(guard.check({ userId: 'alice', numbers: [ALICE] }), 'user-rate-limit', 1);
    clock.advance(1);
    await guard.check({ userId: 'alice', numbers: [ALICE] });
    // Now t = 10, 5, 2 min are in the window: the next slot opens when t = 2 min leaves, at 12 min.
    await expectRefused(guard.check({ userId: 'alice', numbers: [ALICE] }), 'user-rate-limit', 2 * MINUTE);
  });

  it('counts each user on their own', async () => {
    const { guard } = setUp({ perUser: [{ max: 1, windowMs: HOUR }] });
    await guard.check({ userId: 'alice', numbers: [ALICE] });
    await guard.check({ userId: 'bob', numbers: [BOB] });
    await expectRefused(guard.check({ userId: 'alice', numbers: [] }), 'user-rate-limit', HOUR);
  });

  it('applies every limit: a burst limit and a daily one', async () => {
    const { clock, guard } = setUp({
      perUser: [
        { max: 2, windowMs: 10 * MINUTE },
        { max: 3, windowMs: 24 * HOUR },
      ],
    });
    await guard.check({ userId: 'alice', numbers: [] });
    await guard.check({ userId: 'alice', numbers: [] });
    await expectRefused(guard.check({ userId: 'alice', numbers: [] }), 'user-rate-limit', 10 * MINUTE);
    clock.advance(10 * MINUTE);
    await guard.check({ userId: 'alice', numbers: [] });
    clock.advance(HOUR);
    await expectRefused(
      guard.check({ userId: 'alice', numbers: [] }),
      'user-rate-limit',
      24 * HOUR - HOUR - 10 * MINUTE,
    );
  });

  it('says the longest wait when several limits refuse at once, so a retry then passes', async () => {
    const { clock, guard } = setUp({
      perUser: [
        { max: 2, windowMs: 10 * MINUTE },
        { max: 3, windowMs: HOUR },
      ],
    });
    await guard.check({ userId: 'alice', numbers: [] }); // t = 0
    clock.advance(30 * MINUTE);
    await guard.check({ userId: 'alice', numbers: [] }); // t = 30 min
    clock.advance(MINUTE);
    await guard.check({ userId: 'alice', numbers: [] }); // t = 31 min
    clock.advance(MINUTE);
    // The burst limit frees a slot at t = 40 min, but the hourly one only when t = 0 leaves, at 60 min.
    const error = await expectRefused(guard.check({ userId: 'alice', numbers: [] }), 'user-rate-limit', 28 * MINUTE);
    expect(error.message).toBe(
      'Verification refused (user-rate-limit): the user started 3 verifications in the last 1 hour; retry in 28 minutes',
    );
    clock.advance(28 * MINUTE - 1);
    await expectRefused(guard.check({ userId: 'alice', numbers: [] }), 'user-rate-limit', 1);
    clock.advance(1);
    await guard.check({ userId: 'alice', numbers: [] });
  });

  it('does not count a refused verification', async () => {
    const { clock, guard } = setUp({ perUser: [{ max: 1, windowMs: MINUTE }] });
    await guard.check({ userId: 'alice', numbers: [] });
    for (let i = 0; i < 5; i++) await refusal(guard.check({ userId: 'alice', numbers: [] }));
    clock.advance(MINUTE);
    await guard.check({ userId: 'alice', numbers: [] });
  });
});

describe('a start that did not happen after all', () => {
  it('is given back: release() leaves the limits as before the check, once', async () => {
    const { clock, guard, store } = setUp({ perUser: [{ max: 1, windowMs: HOUR }], numberCooldownMs: MINUTE });
    const counted = await guard.check({ userId: 'alice', numbers: [ALICE] });
    await counted.release();
    expect(store.size.events).toBe(0);
    // Neither the user's rate nor the number's cool-down remembers it.
    const again = await guard.check({ userId: 'alice', numbers: [ALICE] });
    await expectRefused(guard.check({ userId: 'alice', numbers: [] }), 'user-rate-limit', HOUR);
    await expectRefused(guard.check({ userId: 'bob', numbers: [ALICE] }), 'number-cooldown', MINUTE);
    // A second release of the first check takes nothing from the start that did happen.
    await counted.release();
    await expectRefused(guard.check({ userId: 'alice', numbers: [] }), 'user-rate-limit', HOUR);
    clock.advance(MINUTE);
    await again.release();
    await guard.check({ userId: 'alice', numbers: [ALICE] });
  });

  it('the memory store removes one event at that time, and nothing from a key without one', async () => {
    const store = new MemoryAbuseLimitStore();
    for (const at of [1, 2, 2, 3]) await store.addEvent('k', at, { keepSince: 0, keepLast: 10 });
    await store.removeEvent('k', 2);
    await store.removeEvent('k', 4);
    await store.removeEvent('other', 2);
    expect(await store.getEvents('k', 0)).toEqual([1, 2, 3]);
    for (const at of [1, 2, 3]) await store.removeEvent('k', at);
    expect(store.size.events).toBe(0);
  });
});

describe('per-user rate, fixed window', () => {
  it('resets at each multiple of the window on the clock', async () => {
    const clock = fakeClock(10 * HOUR + 50 * MINUTE);
    const guard = createAbuseGuard({
      limits: { ...NO_LIMITS, perUser: [{ max: 2, windowMs: HOUR, window: 'fixed' }] },
      now: clock.now,
    });
    await guard.check({ userId: 'alice', numbers: [] });
    await guard.check({ userId: 'alice', numbers: [] });
    const error = await expectRefused(guard.check({ userId: 'alice', numbers: [] }), 'user-rate-limit', 10 * MINUTE);
    expect(error.message).toContain('in this fixed window of 1 hour');
    clock.advance(10 * MINUTE); // 11:00, a new window
    await guard.check({ userId: 'alice', numbers: [] });
    await guard.check({ userId: 'alice', numbers: [] });
    await expectRefused(guard.check({ userId: 'alice', numbers: [] }), 'user-rate-limit', HOUR);
  });
});

describe('per-number rate and cool-down', () => {
  it('refuses a number listed twice under a cool-down, in any of its forms: the verification would call it again at once', async () => {
    const { guard, store } = setUp({ numberCooldownMs: MINUTE });
    const refused = await guard
      .check({ userId: 'alice', numbers: ['+14255550100', '+14255550101', '(425) 555-0100'], defaultCountry: 'US' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidRequestError);
    expect((refused as InvalidRequestError).issues).toEqual([
      {
        path: 'numbers.2',
        message: 'the same number as numbers.0: the abuse limits keep 1 minute between two calls to one number',
      },
    ]);
    // Nothing was counted; without a cool-down the request passes.
    expect(store.size.events).toBe(0);
    const { guard: noCooldown } = setUp({ numberCooldownMs: 0 });
    await noCooldown.check({ userId: 'alice', numbers: ['+14255550100', 'tel:+1-425-555-0100'] });
  });

  it('limits how often one number is called, across users', async () => {
    const { clock, guard } = setUp({ perNumber: [{ max: 2, windowMs: HOUR }] });
    await guard.check({ userId: 'mallory-1', numbers: [ALICE] });
    clock.advance(MINUTE);
    await guard.check({ userId: 'mallory-2', numbers: ['(425) 555-0100'], defaultCountry: 'US' });
    clock.advance(MINUTE);
    const error = await expectRefused(
      guard.check({ userId: 'mallory-3', numbers: [BOB, '+14255550100'] }),
      'number-rate-limit',
      HOUR - 2 * MINUTE,
    );
    expect(error).toMatchObject({ subject: 'number', maskedNumber: '+1 425 ••• 0100' });
    expect(error.message).toBe(
      'Verification refused (number-rate-limit): +1 425 ••• 0100 was the target of 2 verifications in the last 1 hour; retry in 58 minutes',
    );
    // Nothing of the refused verification was counted: Bob's number is still free.
    await guard.check({ userId: 'mallory-4', numbers: [BOB] });
  });

  it('says the longest wait of a number when several of its limits refuse at once', async () => {
    const { clock, guard } = setUp({
      perNumber: [
        { max: 1, windowMs: 10 * MINUTE },
        { max: 2, windowMs: HOUR },
      ],
    });
    await guard.check({ userId: 'mallory-1', numbers: [ALICE] }); // t = 0
    clock.advance(30 * MINUTE);
    await guard.check({ userId: 'mallory-2', numbers: [ALICE] }); // t = 30 min
    clock.advance(MINUTE);
    await expectRefused(guard.check({ userId: 'mallory-3', numbers: [ALICE] }), 'number-rate-limit', 29 * MINUTE);
    clock.advance(29 * MINUTE);
    await guard.check({ userId: 'mallory-3', numbers: [ALICE] });
  });

  it("says the longest wait across the user's and the numbers' limits, named by the user's, so a retry then passes", async () => {
    const { clock, guard } = setUp({ perUser: [{ max: 2, windowMs: 10 * MINUTE }], numberCooldownMs: 15 * MINUTE });
    await guard.check({ userId: 'alice', numbers: [ALICE] }); // t = 0
    clock.advance(MINUTE);
    await guard.check({ userId: 'alice', numbers: [BOB] }); // t = 1 min
    clock.advance(MINUTE);
    // The user may start again at t = 10 min, but Alice's number not before t = 15 min.
    const error = await expectRefused(
      guard.check({ userId: 'alice', numbers: [ALICE] }),
      'user-rate-limit',
      13 * MINUTE,
    );
    expect(error.subject).toBe('user');
    expect(error.message).toBe(
      'Verification refused (user-rate-limit): the user started 2 verifications in the last 10 minutes, and ' +
        '+1 425 ••• 0100 was called less than 15 minutes ago; retry in 13 minutes',
    );
    clock.advance(13 * MINUTE - 1);
    await expectRefused(guard.check({ userId: 'alice', numbers: [ALICE] }), 'number-cooldown', 1);
    clock.advance(1);
    await guard.check({ userId: 'alice', numbers: [ALICE] });
  });

  it('names a lock before any other limit, with the longest wait of them all', async () => {
    const { clock, guard } = setUp({
      perUser: [{ max: 1, windowMs: HOUR }],
      numberCooldownMs: 30 * MINUTE,
      fraudLockoutMs: 10 * MINUTE,
    });
    await guard.check({ userId: 'alice', numbers: [ALICE] });
    await guard.record(finished('fraud', ['+14255550100', 'fraud']), { userId: 'alice' });
    clock.advance(MINUTE);
    // The locks end at 10 min, the number's cool-down after the fraud call at 30 min, the user's hour at 60 min.
    const error = await expectRefused(
      guard.check({ userId: 'alice', numbers: [ALICE] }),
      'user-fraud-lockout',
      59 * MINUTE,
    );
    expect(error.subject).toBe('user');
    // Another user's request for the locked number: the number's lock, and its cool-down's wait.
    await expectRefused(guard.check({ userId: 'bob', numbers: [ALICE] }), 'number-fraud-lockout', 29 * MINUTE);
  });

  it('refuses with the limit found when the store fails on the limits asked after it', async () => {
    const { clock, guard, store } = setUp({ perUser: [{ max: 1, windowMs: HOUR }], fraudLockoutMs: 10 * MINUTE });
    await guard.check({ userId: 'alice', numbers: [ALICE] });
    await guard.record(finished('fraud', ['+14255550100', 'fraud']), { userId: 'alice' });
    clock.advance(MINUTE);
    store.getEvents = async () => {
      throw new Error('store down');
    };
    await expectRefused(guard.check({ userId: 'alice', numbers: [BOB] }), 'user-fraud-lockout', 9 * MINUTE);
    // With nothing refusing first, the store's failure is the answer.
    await expect(guard.check({ userId: 'carol', numbers: [BOB] })).rejects.toThrow('store down');
  });

  it('keeps a cool-down after a verification listing the number', async () => {
    const { clock, guard } = setUp({ numberCooldownMs: MINUTE });
    await guard.check({ userId: 'alice', numbers: [ALICE] });
    clock.advance(20 * SECOND);
    const error = await expectRefused(
      guard.check({ userId: 'alice', numbers: [ALICE] }),
      'number-cooldown',
      40 * SECOND,
    );
    expect(error.message).toBe(
      'Verification refused (number-cooldown): +1 425 ••• 0100 was called less than 1 minute ago; retry in 40 seconds',
    );
    clock.advance(40 * SECOND);
    await guard.check({ userId: 'alice', numbers: [ALICE] });
  });

  it('runs the cool-down from the end of the last call once the result is recorded', async () => {
    const { clock, guard } = setUp({ numberCooldownMs: MINUTE });
    await guard.check({ userId: 'alice', numbers: [ALICE, BOB] });
    clock.advance(45 * SECOND);
    await guard.record(finished('approved', ['+14255550100', 'approved']), { userId: 'alice' });
    clock.advance(30 * SECOND);
    // Alice's number was called until 30 s ago; Bob's was only listed, 75 s ago.
    await expectRefused(guard.check({ userId: 'alice', numbers: [ALICE] }), 'number-cooldown', 30 * SECOND);
    await guard.check({ userId: 'bob', numbers: [BOB] });
  });

  // Numbers the guard cannot read are refused, not skipped: see abuseGuardKeying.test.ts.
});

describe('lockouts', () => {
  it('locks the user after N denials within the window', async () => {
    const { clock, guard } = setUp({ denialLockout: { maxDenials: 3, windowMs: HOUR, lockMs: 2 * HOUR } });
    const denied = finished('denied', ['+14255550100', 'hung-up']);
    expect(await guard.record(denied, { userId: 'alice' })).toEqual([]);
    clock.advance(30 * MINUTE);
    expect(await guard.record(denied, { userId: 'alice' })).toEqual([]);
    clock.advance(31 * MINUTE);
    // The first denial has left the hour: two in the window.
    expect(await guard.record(denied, { userId: 'alice' })).toEqual([]);
    clock.advance(MINUTE);
    const locks = await guard.record(denied, { userId: 'alice' });
    expect(locks).toEqual([
      { subject: 'user', rule: 'user-denial-lockout', until: clock.now() + 2 * HOUR, maskedNumber: null },
    ]);
    clock.advance(HOUR);
    const error = await expectRefused(guard.check({ userId: 'alice', numbers: [ALICE] }), 'user-denial-lockout', HOUR);
    expect(error.message).toBe(
      'Verification refused (user-denial-lockout): the user is locked after repeated denied verifications; retry in 1 hour',
    );
    await guard.check({ userId: 'bob', numbers: [BOB] });
    clock.advance(HOUR);
    await guard.check({ userId: 'alice', numbers: [ALICE] });
  });

  it('counts the denial of a verification once when its record is retried after a store error', async () => {
    const clock = fakeClock();
    const store = new DenialReadFailingStore('connection reset');
    const limits = { ...NO_LIMITS, denialLockout: { maxDenials: 3, windowMs: HOUR, lockMs: HOUR } };
    const guard = createAbuseGuard({ store, limits, now: clock.now });
    const denied = finished('denied', ['+14255550100', 'hung-up']);
    expect(await guard.record(denied, { userId: 'alice', verificationId: 'v-1' })).toEqual([]);
    clock.advance(MINUTE);
    store.failNextDenialRead = true;
    await expect(guard.record(denied, { userId: 'alice', verificationId: 'v-2' })).rejects.toThrow('connection reset');
    clock.advance(MINUTE);
    // Retried: two denied verifications so far, not three.
    expect(await guard.record(denied, { userId: 'alice', verificationId: 'v-2' })).toEqual([]);
    expect(await guard.record(denied, { userId: 'alice', verificationId: 'v-2' })).toEqual([]);
    await guard.check({ userId: 'alice', numbers: [ALICE] });
    clock.advance(MINUTE);
    const locks = await guard.record(denied, { userId: 'alice', verificationId: 'v-3' });
    expect(locks).toMatchObject([{ subject: 'user', rule: 'user-denial-lockout' }]);
  });

  /** A store whose writes fail while `failWrite` says so for the key written (and the key written before it). */
  class FailingWritesStore extends MemoryAbuseLimitStore {
    failWrite: (key: string, previousKey: string | null) => boolean = () => false;
    private previousKey: string | null = null;
    override async addEvent(key: string, at: number, retention: EventRetention): Promise<void> {
      const previousKey = this.previousKey;
      this.previousKey = key;
      if (this.failWrite(key, previousKey)) throw new Error('the limit store was busy');
      return super.addEvent(key, at, retention);
    }
  }

  it('counts the calls of a verification once when writing its denial failed and its record is retried', async () => {
    const clock = fakeClock();
    const store = new FailingWritesStore();
    const limits = {
      ...NO_LIMITS,
      numberCooldownMs: MINUTE,
      denialLockout: { maxDenials: 2, windowMs: HOUR, lockMs: HOUR },
    };
    const guard = createAbuseGuard({ store, limits, now: clock.now });
    const denied = finished('denied', ['+14255550100', 'hung-up']);
    store.failWrite = (key) => key.startsWith('user-denials:');
    await expect(guard.record(denied, { userId: 'alice', verificationId: 'v-1' })).rejects.toThrow('busy');
    store.failWrite = () => false;
    clock.advance(30 * SECOND);
    expect(await guard.record(denied, { userId: 'alice', verificationId: 'v-1' })).toEqual([]);
    // The call counted by the first record, not again by the retry: its cool-down ends a minute after the first.
    clock.advance(30 * SECOND + 1);
    await guard.check({ userId: 'alice', numbers: [ALICE] });
    // The denial counted once: the next one reaches the lockout of two.
    const locks = await guard.record(denied, { userId: 'alice', verificationId: 'v-2' });
    expect(locks).toMatchObject([{ subject: 'user', rule: 'user-denial-lockout' }]);
  });

  it('counts a denial twice rather than never when the store fails right after writing it', async () => {
    const clock = fakeClock();
    const store = new FailingWritesStore();
    const limits = { ...NO_LIMITS, denialLockout: { maxDenials: 2, windowMs: HOUR, lockMs: HOUR } };
    const guard = createAbuseGuard({ store, limits, now: clock.now });
    const denied = finished('denied', ['+14255550100', 'hung-up']);
    store.failWrite = (_key, previousKey) => previousKey?.startsWith('user-denials:') === true;
    await expect(guard.record(denied, { userId: 'alice', verificationId: 'v-1' })).rejects.toThrow('busy');
    store.failWrite = () => false;
    // Nothing marks the denial as counted: the retry counts it again, and one denied verification locks.
    const locks = await guard.record(denied, { userId: 'alice', verificationId: 'v-1' });
    expect(locks).toMatchObject([{ subject: 'user', rule: 'user-denial-lockout' }]);
  });

  it('counts the denials of two users whose verifications have the same id', async () => {
    const { guard } = setUp({ denialLockout: { maxDenials: 1, windowMs: HOUR, lockMs: HOUR } });
    const denied = finished('denied', ['+14255550100', 'hung-up']);
    expect(await guard.record(denied, { userId: 'alice', verificationId: 'v-1' })).toMatchObject([
      { rule: 'user-denial-lockout' },
    ]);
    expect(await guard.record(denied, { userId: 'bob', verificationId: 'v-1' })).toMatchObject([
      { rule: 'user-denial-lockout' },
    ]);
  });

  it('counts a denial again for a record without a verification id: nothing says it is a retry', async () => {
    const { guard } = setUp({ denialLockout: { maxDenials: 2, windowMs: HOUR, lockMs: HOUR } });
    const denied = finished('denied', ['+14255550100', 'hung-up']);
    expect(await guard.record(denied, { userId: 'alice' })).toEqual([]);
    expect(await guard.record(denied, { userId: 'alice' })).toMatchObject([{ rule: 'user-denial-lockout' }]);
  });

  it('locks the user and the reporting number after a fraud report', async () => {
    const { clock, guard } = setUp({ fraudLockoutMs: 24 * HOUR });
    const result = finished('fraud', ['+14255550100', 'no-response'], ['+442079460000', 'fraud']);
    const locks = await guard.record(result, { userId: 'alice' });
    expect(locks).toEqual([
      { subject: 'user', rule: 'user-fraud-lockout', until: clock.now() + 24 * HOUR, maskedNumber: null },
      {
        subject: 'number',
        rule: 'number-fraud-lockout',
        until: clock.now() + 24 * HOUR,
        maskedNumber: '+44 20 ••• 0000',
      },
    ]);
    clock.advance(HOUR);
    await expectRefused(guard.check({ userId: 'alice', numbers: [ALICE] }), 'user-fraud-lockout', 23 * HOUR);
    // Another account cannot make the reporting number ring either; the other number is free.
    const error = await expectRefused(
      guard.check({ userId: 'eve', numbers: [BOB] }),
      'number-fraud-lockout',
      23 * HOUR,
    );
    expect(error).toMatchObject({ subject: 'number', maskedNumber: '+44 20 ••• 0000' });
    await guard.check({ userId: 'eve', numbers: [ALICE] });
  });

  it('keeps the longer of two locks', async () => {
    const { clock, guard } = setUp({
      fraudLockoutMs: 24 * HOUR,
      denialLockout: { maxDenials: 1, windowMs: HOUR, lockMs: HOUR },
    });
    await guard.record(finished('fraud', ['+14255550100', 'fraud']), { userId: 'alice' });
    // The denial's lock of an hour is not placed under the day's fraud lock, so it is not reported as placed.
    expect(await guard.record(finished('denied', ['+14255550100', 'hung-up']), { userId: 'alice' })).toEqual([]);
    clock.advance(2 * HOUR);
    await expectRefused(guard.check({ userId: 'alice', numbers: [] }), 'user-fraud-lockout', 22 * HOUR);
    // A later, longer lock is placed over a shorter one, and reported.
    const locks = await guard.record(finished('fraud', ['+14255550100', 'fraud']), { userId: 'alice' });
    expect(locks.map((lock) => lock.rule)).toEqual(['user-fraud-lockout', 'number-fraud-lockout']);
  });

  it('lets an administrator lift a lock', async () => {
    const { guard } = setUp({ fraudLockoutMs: 24 * HOUR });
    await guard.record(finished('fraud', ['+14255550100', 'fraud']), { userId: 'alice' });
    await guard.unlock({ userId: 'alice' });
    await expectRefused(guard.check({ userId: 'alice', numbers: [ALICE] }), 'number-fraud-lockout', 24 * HOUR);
    await guard.unlock({ number: '+1 (425) 555-0100 x1' });
    await guard.check({ userId: 'alice', numbers: [ALICE] });
  });

  it('places no lock for results that are neither denials nor fraud', async () => {
    const { guard } = setUp({ fraudLockoutMs: HOUR, denialLockout: { maxDenials: 1, windowMs: HOUR, lockMs: HOUR } });
    for (const status of ['approved', 'unreachable', 'canceled', 'expired'] as const) {
      expect(await guard.record(finished(status, ['+14255550100', 'no-response']), { userId: 'alice' })).toEqual([]);
    }
    await guard.check({ userId: 'alice', numbers: [ALICE] });
  });
});

describe('concurrency', () => {
  it('lets no more than max of many simultaneous checks through', async () => {
    const { guard } = setUp({ perUser: [{ max: 3, windowMs: HOUR }] });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => guard.check({ userId: 'alice', numbers: [] })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(VerificationRefusedError);
    }
  });
});

describe('bounded memory', () => {
  it('keeps only the events a limit still needs, and prunes keys that aged out', async () => {
    const clock = fakeClock();
    const store = new MemoryAbuseLimitStore();
    const guard = createAbuseGuard({
      store,
      limits: { ...NO_LIMITS, perUser: [{ max: 2, windowMs: MINUTE }], numberCooldownMs: SECOND },
      now: clock.now,
      pruneIntervalMs: MINUTE,
    });
    for (let i = 0; i < 500; i++) {
      await guard.check({ userId: `user-${i}`, numbers: [`+1 425 555 ${String(1000 + i)}`] });
      clock.advance(SECOND);
    }
    // 500 s in, with a sweep at least every minute: only the keys of the last ~2 minutes remain.
    expect(store.size.events).toBeLessThanOrEqual(2 * 130);
    clock.advance(2 * MINUTE);
    await guard.check({ userId: 'late', numbers: [] });
    expect(store.size.events).toBe(1);
  });

  it('never holds more than maxKeys keys', async () => {
    const store = new MemoryAbuseLimitStore({ maxKeys: 50 });
    for (let i = 0; i < 200; i++) await store.addEvent(`k${i}`, i, { keepSince: 0, keepLast: 5 });
    expect(store.size.events).toBe(50);
    expect(await store.getEvents('k0', 0)).toEqual([]);
    expect(await store.getEvents('k199', 0)).toEqual([199]);
  });

  it('keeps at most keepLast events per key', async () => {
    const store = new MemoryAbuseLimitStore();
    for (let i = 0; i < 100; i++) await store.addEvent('k', i, { keepSince: 0, keepLast: 3 });
    expect(await store.getEvents('k', 0)).toEqual([97, 98, 99]);
  });
});

describe('defaults and configuration', () => {
  it('has defaults for every limit', () => {
    const guard = createAbuseGuard();
    expect(guard.limits).toEqual(DEFAULT_ABUSE_LIMITS);
    expect(DEFAULT_ABUSE_LIMITS.perUser.length).toBeGreaterThan(0);
    expect(DEFAULT_ABUSE_LIMITS.perNumber.length).toBeGreaterThan(0);
    expect(DEFAULT_ABUSE_LIMITS.numberCooldownMs).toBeGreaterThan(0);
    expect(DEFAULT_ABUSE_LIMITS.denialLockout).not.toBeNull();
    expect(DEFAULT_ABUSE_LIMITS.fraudLockoutMs).toBeGreaterThan(0);
  });

  it('lists every problem of limits that cannot work', () => {
    try {
      createAbuseGuard({
        limits: {
          perUser: [
            { max: 0, windowMs: MINUTE },
            { max: 1, windowMs: -1, window: 'rolling' as never },
          ],
          perNumber: {} as never,
          numberCooldownMs: Number.NaN,
          denialLockout: { maxDenials: 1.5, windowMs: HOUR, lockMs: HOUR },
          fraudLockoutMs: -1,
          burst: 3,
        } as never,
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPhoneConfigurationError);
      expect((error as InvalidPhoneConfigurationError).issues.map((i) => i.path)).toEqual([
        'limits.burst',
        'limits.perUser.0.max',
        'limits.perUser.1.windowMs',
        'limits.perUser.1.window',
        'limits.perNumber',
        'limits.numberCooldownMs',
        'limits.fraudLockoutMs',
        'limits.denialLockout',
      ]);
    }
  });

  it('refuses guard options it cannot use when it is made, listing every problem', () => {
    const issuesOf = (options: unknown) => {
      try {
        createAbuseGuard(options as never);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidPhoneConfigurationError);
        return (error as InvalidPhoneConfigurationError).issues;
      }
      return expect.unreachable();
    };
    // A misspelt `limits` would leave the default limits in force, looser than the host meant.
    expect(
      issuesOf({ limts: { perUser: [{ max: 1, windowMs: HOUR }] }, now: 'Date.now', store: { addEvent() {} } }),
    ).toEqual([
      { path: 'limts', message: 'unknown option; did you mean limits?' },
      { path: 'store', message: expect.stringContaining('removeEvent, getEvents, setLock, getLock, clearLock, prune') },
      { path: 'now', message: 'must be a function returning the time in milliseconds' },
    ]);
    expect(issuesOf(null)).toEqual([{ path: '', message: 'the abuse guard options must be an object' }]);
  });

  it('refuses a default country that is not text as an invalid request naming it, and counts nothing', async () => {
    const { guard, store } = setUp({ perUser: [{ max: 1, windowMs: HOUR }] });
    for (const defaultCountry of [1, {}, ['US']] as never[]) {
      await expect(guard.check({ userId: 'alice', numbers: [ALICE], defaultCountry })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        issues: [{ path: 'defaultCountry', message: expect.stringMatching(/ISO 3166-1/) }],
      });
    }
    expect(store.size.events).toBe(0);
    await guard.check({ userId: 'alice', numbers: ['(425) 555-0100'], defaultCountry: 'US' });
  });

  it('refuses a request without a user or with too many numbers, as an invalid request', async () => {
    const { guard } = setUp({});
    await expect(guard.check({ userId: '', numbers: [] })).rejects.toBeInstanceOf(InvalidRequestError);
    // A user id follows the rule of every id the library takes: up to 256 characters, no control characters.
    await expect(guard.check({ userId: 'a'.repeat(257), numbers: [] })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(guard.check({ userId: 'alice\u0000', numbers: [] })).rejects.toMatchObject({
      issues: [{ path: 'userId', message: 'must not hold control characters (a NUL, a line break)' }],
    });
    await expect(guard.check({ userId: 'alice\uD800', numbers: [] })).rejects.toMatchObject({
      issues: [{ path: 'userId', message: 'must not hold unpaired surrogates (half of a UTF-16 pair)' }],
    });
    await expect(guard.check({ userId: 'a', numbers: Array(21).fill(ALICE) })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
    await expect(guard.record({} as never, { userId: 'a' })).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('refuses a clock that returns no time', async () => {
    const guard = createAbuseGuard({ now: () => Number.NaN });
    await expect(guard.check({ userId: 'a', numbers: [] })).rejects.toBeInstanceOf(InvalidPhoneConfigurationError);
  });
});
