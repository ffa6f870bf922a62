/**
 * The abuse guard fails closed: every number it is given is counted under
 * the E.164 number the verification would dial, whatever form it is written
 * in, or the check is refused. Reformatting a number (national form, tel:
 * URI, extension, other digits and spaces) never escapes a per-number limit,
 * and a number the guard cannot read is never skipped. `record` and `unlock`
 * refuse what they cannot key instead of keying it wrongly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/errors.js';
import type { TargetInput } from '../../src/machine/types.js';
import { InvalidPhoneNumberError, VerificationRefusedError } from '../../src/phone/errors.js';
import { maskVerificationResult } from '../../src/phone/maskVerificationResult.js';
import { parsePhoneTarget } from '../../src/phone/parsePhoneTarget.js';
import { setUp } from './abuseGuardSetup.js';
import { MOBILE_EXAMPLES } from './numberingPlans.js';

const MINUTE = 60_000;
const E164 = '+14255550100';

const COOLDOWN = { numberCooldownMs: MINUTE };

async function outcome(run: Promise<unknown>): Promise<'passed' | string> {
  try {
    await run;
    return 'passed';
  } catch (error) {
    if (error instanceof VerificationRefusedError) return error.rule;
    if (error instanceof InvalidRequestError) return 'invalid-request';
    throw error;
  }
}

/** The same US number written every way a host or an attacker might. */
const SAME_NUMBER: readonly [string, TargetInput, string | null][] = [
  ['E.164', '+14255550100', null],
  ['international with punctuation', '+1 (425) 555-0100', null],
  ['national, default country', '(425) 555-0100', 'US'],
  ['national digits only, default country', '4255550100', 'US'],
  ['trunk prefix 1, default country', '1 425 555 0100', 'US'],
  ['00 international prefix', '001 425 555 0100', null],
  ['US international prefix 011', '011 1 425 555 0100', 'US'],
  ['tel: URI', 'tel:+1-425-555-0100', null],
  ['tel: URI, upper case, with ext', 'TEL:+1.425.555.0100;ext=99', null],
  ['tel: URI, local with context', 'tel:555-0100;phone-context=+1-425', null],
  ['extension x', '+1 425 555 0100 x1234', null],
  ['extension ext.', '+1 425 555 0100 ext. 7', null],
  ['extension ;ext=', '+1 425 555 0100;ext=1', null],
  ['pauses', '+1 425 555 0100,,12', null],
  ['separate extension', { number: '+14255550100', extension: '5' }, null],
  ['full-width digits', '+１ ４２５ ５５５ ０１００', null],
  ['Arabic-Indic digits', '+١٤٢٥٥٥٥٠١٠٠', null],
  ['full-width plus', '＋１ ４２５ ５５５ ０１００', null],
  ['full-width 00 international prefix', '００１ ４２５ ５５５ ０１００', null],
  ['Arabic-Indic digits with an extension', '+١٤٢٥٥٥٥٠١٠٠ x١٢', null],
  ['no-break and thin spaces', '+1\u00a0425\u2009555\u20090100', null],
  ['surrounding whitespace and newline', '\t +1 425 555 0100\n', null],
  ['en dashes and slashes', '+1–425/555–0100', null],
];

describe('abuse guard keying: one number, one key', () => {
  it.each(SAME_NUMBER)('%s (%j) is the same number as +14255550100', async (_, written, defaultCountry) => {
    expect(parsePhoneTarget(written, { defaultCountry }).e164).toBe(E164);
    const { guard } = setUp(COOLDOWN);
    await guard.check({ userId: 'mallory', numbers: [E164] });
    expect(await outcome(guard.check({ userId: 'mallory-2', numbers: [written], defaultCountry }))).toBe(
      'number-cooldown',
    );
    // And the other way round.
    const other = setUp(COOLDOWN);
    await other.guard.check({ userId: 'mallory', numbers: [written], defaultCountry });
    expect(await outcome(other.guard.check({ userId: 'mallory-2', numbers: [E164] }))).toBe('number-cooldown');
  });

  it('counts every form toward the per-number rate limit', async () => {
    const max = 3;
    const { guard, clock } = setUp({ perNumber: [{ max, windowMs: 60 * MINUTE }] });
    for (const [, written, defaultCountry] of SAME_NUMBER.slice(0, max)) {
      await guard.check({ userId: 'mallory', numbers: [written], defaultCountry });
      clock.advance(1_000);
    }
    for (const [, written, defaultCountry] of SAME_NUMBER) {
      expect(await outcome(guard.check({ userId: 'mallory', numbers: [written], defaultCountry }))).toBe(
        'number-rate-limit',
      );
    }
  });
});

describe('abuse guard: numbers it cannot read are refused, never skipped', () => {
  it.each([
    ['a national number with no default country', '4255550100', null, 'INVALID_COUNTRY'],
    ['a national number with no default country, punctuated', '(425) 555-0100', null, 'INVALID_COUNTRY'],
    ['a default country that is no ISO code', '(425) 555-0100', 'UK', 'INVALID_COUNTRY'],
    ['too few digits', '+1 425', null, 'TOO_SHORT'],
    ['not a number', 'call me', null, 'NOT_A_NUMBER'],
    ['a malformed tel: URI', 'tel:555-0100', null, 'INVALID_TEL_URI'],
    ['an unassigned range', '+1 200 555 0100', null, 'INVALID'],
  ])('%s: %j', async (_, written, defaultCountry, reason) => {
    const { guard } = setUp({ perUser: [{ max: 1, windowMs: MINUTE }], numberCooldownMs: MINUTE });
    const refused = guard.check({ userId: 'alice', numbers: ['+44 20 7946 0000', written], defaultCountry });
    await expect(refused).rejects.toBeInstanceOf(InvalidRequestError);
    const error = (await refused.catch((e: unknown) => e)) as InvalidRequestError;
    expect(error.issues).toEqual([{ path: 'numbers.1', message: expect.stringContaining(reason) }]);
    expect(error.message).toContain('cannot be counted');
    expect(error.message).not.toMatch(/4255550100|555-0100/);
    // Nothing of the refused check was counted: neither the user nor the readable number.
    await guard.check({ userId: 'alice', numbers: ['+44 20 7946 0000'] });
  });

  it('lists every number it cannot read', async () => {
    const { guard } = setUp(COOLDOWN);
    const refused = await guard
      .check({ userId: 'alice', numbers: ['4255550100', '+14255550100', 'nope'] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidRequestError);
    expect((refused as InvalidRequestError).issues.map((issue) => issue.path)).toEqual(['numbers.0', 'numbers.2']);
  });

  it('property: whatever is typed, a check either refuses it or counts it under the number that would be dialled', async () => {
    const typed = fc.oneof(
      fc.string({ maxLength: 24 }),
      fc.stringMatching(/^(?:\+|00|\(|tel:|TEL:)?[0-9 ().x,;=#*-]{0,24}(?:;?ext[.=]? ?[0-9]{0,5})?$/),
      fc.constantFrom(...MOBILE_EXAMPLES).map(({ e164 }) => e164),
    );
    await fc.assert(
      fc.asyncProperty(typed, fc.constantFrom(null, 'US', 'GB', 'DE'), async (written, defaultCountry) => {
        const { guard } = setUp(COOLDOWN);
        const first = await outcome(guard.check({ userId: 'alice', numbers: [written], defaultCountry }));
        let dialled: string | null = null;
        try {
          dialled = parsePhoneTarget(written, { defaultCountry }).e164;
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidPhoneNumberError);
        }
        if (dialled === null) {
          expect(first).toBe('invalid-request');
        } else {
          expect(first).toBe('passed');
          expect(await outcome(guard.check({ userId: 'bob', numbers: [dialled] }))).toBe('number-cooldown');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('abuse guard: record and unlock key only what they can read', () => {
  const fraud = (e164: string | null) => ({
    status: 'fraud' as const,
    attempts: [{ result: 'fraud' as const, target: { e164 } }],
  });

  it('refuses a masked result instead of recording it under the mask, and records nothing of it', async () => {
    const { guard } = setUp({ numberCooldownMs: MINUTE, fraudLockoutMs: 60 * MINUTE });
    const masked = maskVerificationResult({
      status: 'fraud',
      reason: 'fraud-code',
      attempts: [
        {
          index: 0,
          target: { input: E164, e164: E164, extension: null, country: 'US' },
          callerId: null,
          callId: 'CA1',
          result: 'fraud',
          sitKind: null,
          sipCode: null,
          q850Cause: null,
          providerCode: null,
          rule: null,
          answeredBy: 'human',
          timedOut: null,
          times: { dialedAt: 0, ringingAt: 1, answeredAt: 2, greetingEndedAt: 3, endedAt: 4 },
          keysPressed: 2,
          invalidEntries: 0,
        },
      ],
      ignoredEvents: { stale: 0, duplicate: 0, outOfOrder: 0, unexpected: 0 },
      startedAt: 0,
      endedAt: 4,
    });
    const refused = await guard.record(masked, { userId: 'alice' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidRequestError);
    expect((refused as InvalidRequestError).issues).toEqual([
      { path: 'result.attempts.0.target.e164', message: expect.stringContaining('masked') },
    ]);
    // Nothing half-done: no user lock was placed either.
    expect(await outcome(guard.check({ userId: 'alice', numbers: [] }))).toBe('passed');
  });

  it('refuses a number in national form, and keys an international one however written', async () => {
    const { guard } = setUp({ numberCooldownMs: MINUTE, fraudLockoutMs: 60 * MINUTE });
    await expect(guard.record(fraud('(425) 555-0100'), { userId: 'alice' })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
    const locks = await guard.record(fraud('+1 425 555 0100'), { userId: 'alice' });
    expect(locks.map((lock) => [lock.rule, lock.maskedNumber])).toEqual([
      ['user-fraud-lockout', null],
      ['number-fraud-lockout', '+1 425 ••• 0100'],
    ]);
    expect(await outcome(guard.check({ userId: 'bob', numbers: ['tel:+1-425-555-0100'] }))).toBe(
      'number-fraud-lockout',
    );
    // The lock is lifted under the same key, whatever form the administrator types.
    await guard.unlock({ number: 'tel:+1-425-555-0100;ext=1' });
    expect(await outcome(guard.check({ userId: 'bob', numbers: [E164] }))).toBe('number-cooldown');
  });

  it('unlock refuses what it cannot key rather than lifting nothing', async () => {
    const { guard } = setUp(COOLDOWN);
    await expect(guard.unlock({})).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(guard.unlock(null as never)).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(guard.unlock({ number: '(425) 555-0100' })).rejects.toBeInstanceOf(InvalidPhoneNumberError);
    await expect(guard.unlock({ number: '+1 425 ••• 0100' })).rejects.toBeInstanceOf(InvalidPhoneNumberError);
  });
});
