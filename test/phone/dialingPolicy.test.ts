/**
 * SPEC step 1 and 2: the dialling policy behind the machine's number check
 * (premium-rate and shared-cost refused by default, among others; country allow- and
 * block-lists, non-geographic ranges) and the caller ID per destination.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NumberCheckInput } from '../../src/machine/checks.js';
import { resolveCallerId, selectCallerId } from '../../src/phone/callerId.js';
import { createNumberCheck } from '../../src/phone/createNumberCheck.js';
import {
  DEFAULT_DIALING_POLICY,
  judgeDialingPolicy,
  resolveDialingPolicy,
  toDialingRule,
} from '../../src/phone/dialingPolicy.js';
import { InvalidPhoneConfigurationError } from '../../src/phone/errors.js';
import { PHONE_NUMBER_TYPES, parsePhoneTarget } from '../../src/phone/parsePhoneTarget.js';
import { nationalNumbers, TYPE_PLANS } from './numberingPlans.js';

const ask = (target: NumberCheckInput['target'], defaultCountry: string | null = null): NumberCheckInput => ({
  index: 0,
  target,
  defaultCountry,
});

function configIssues(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPhoneConfigurationError);
    expect((error as InvalidPhoneConfigurationError).code).toBe('INVALID_CONFIGURATION');
    return (error as InvalidPhoneConfigurationError).issues.map((issue) => issue.path);
  }
  throw new Error('expected an InvalidPhoneConfigurationError');
}

describe('createNumberCheck with the default policy', () => {
  const check = createNumberCheck();

  it.each([
    ['+44 909 876 5432', 'premium-rate'],
    ['+1 900 234 5678', 'premium-rate'],
    ['+49 900 1234567', 'premium-rate'],
    ['+33 8 91 12 34 56', 'premium-rate'],
    ['+61 1900 123 456', 'premium-rate'],
    ['+49 180 12345', 'shared-cost'],
    ['+33 8 84 01 23 45', 'shared-cost'],
    ['+34 901 12 34 56', 'shared-cost'],
    ['+61 1300 123 456', 'shared-cost'],
    ['+800 1234 5678', 'non-geographic'],
    ['+870 773 111 632', 'non-geographic'],
  ])('refuses %s as blocked-number, rule %s', (target, rule) => {
    expect(check(ask(target))).toEqual({ ok: false, result: 'blocked-number', rule });
  });

  it('refuses premium-rate numbers in national form, with an extension and with pauses', () => {
    for (const target of ['0909 876 5432', '0909 876 5432 x12', '0909 876 5432,,12', '0044 909 876 5432']) {
      expect(check(ask(target, 'GB'))).toEqual({ ok: false, result: 'blocked-number', rule: 'premium-rate' });
    }
    expect(check(ask({ number: '0909 876 5432', extension: '12' }, 'GB'))).toMatchObject({ rule: 'premium-rate' });
  });

  it('accepts mobiles, fixed lines and toll-free numbers with the country for the caller ID', () => {
    expect(check(ask('(425) 555-0100 x12', 'US'))).toEqual({
      ok: true,
      e164: '+14255550100',
      extension: '12',
      country: 'US',
    });
    expect(check(ask({ number: '+44 20 7946 0000', extension: ',,1234' }))).toEqual({
      ok: true,
      e164: '+442079460000',
      extension: ',,1234',
      country: 'GB',
    });
    expect(check(ask('0800 123 4567', 'GB'))).toMatchObject({ ok: true, e164: '+448001234567' });
  });

  it('reports an unreadable number as invalid-number with the reason', () => {
    expect(check(ask('+1 425 555'))).toEqual({ ok: false, result: 'invalid-number', rule: 'TOO_SHORT' });
    expect(check(ask('4255550100'))).toEqual({ ok: false, result: 'invalid-number', rule: 'INVALID_COUNTRY' });
    expect(check(ask('+1 200 555 0100'))).toEqual({ ok: false, result: 'invalid-number', rule: 'INVALID' });
    expect(check(ask({ number: '+1 425 555 0100', extension: 'abc' }))).toEqual({
      ok: false,
      result: 'invalid-number',
      rule: 'INVALID_EXTENSION',
    });
  });
});

describe('property: premium-rate and shared-cost numbers are never accepted by the default policy', () => {
  const costly = TYPE_PLANS.filter((plan) => plan.type === 'PREMIUM_RATE' || plan.type === 'SHARED_COST');
  const check = createNumberCheck();

  it(`in any form, for the ${costly.length} premium-rate and shared-cost ranges of every country`, () => {
    expect(costly.length).toBeGreaterThan(200);
    const forms = fc.constantFrom('e164', 'international', 'double-zero', 'national', 'extension', 'pauses');
    for (const plan of costly) {
      fc.assert(
        fc.property(nationalNumbers(plan), forms, (nationalNumber, form) => {
          const e164 = `+${plan.callingCode}${nationalNumber}`;
          let target: ReturnType<typeof parsePhoneTarget>;
          try {
            target = parsePhoneTarget(e164);
          } catch {
            fc.pre(false);
            return;
          }
          const country = target.country ?? null;
          const typed = {
            e164: [e164, null],
            international: [target.international, null],
            'double-zero': [`00${target.international.slice(1)}`, null],
            national: [target.national, country],
            extension: [`${target.international} ext. 12`, null],
            pauses: [`${target.international},,12`, null],
          }[form] as [string, string | null];
          if (form === 'national' && country === null) return;
          const verdict = check(ask(typed[0], typed[1]));
          expect(verdict.ok).toBe(false);
          expect(verdict).toMatchObject({ result: 'blocked-number', rule: toDialingRule(plan.type) });
        }),
        { numRuns: 4 },
      );
    }
  }, 60_000);

  it('whatever is typed, an accepted number is never premium-rate or shared-cost, and the check never throws', () => {
    // Numbers of any type of any plan, one digit possibly changed, written with random separators and extensions.
    const typed = fc
      .constantFrom(...TYPE_PLANS)
      .chain((plan) =>
        fc.record({
          plan: fc.constant(plan),
          digits: nationalNumbers(plan),
          change: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 9 }))),
          separators: fc.array(fc.constantFrom('', ' ', '-', '.'), { minLength: 16, maxLength: 16 }),
          extension: fc.constantFrom('', ' x12', ',,12', ' ext. 3'),
        }),
      )
      .map(({ plan, digits, change, separators, extension }) => {
        const changed =
          change === null
            ? digits
            : digits.slice(0, change[0] % digits.length) + change[1] + digits.slice((change[0] % digits.length) + 1);
        const spaced = [...changed].map((digit, i) => digit + (separators[i] ?? '')).join('');
        return `+${plan.callingCode} ${spaced}${extension}`;
      });
    const verdicts = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(typed, (text) => {
        const verdict = check(ask(text));
        verdicts[verdict.ok ? 'accepted' : 'refused'] += 1;
        if (verdict.ok) {
          const { type } = parsePhoneTarget(verdict.e164);
          expect(type === 'PREMIUM_RATE' || type === 'SHARED_COST').toBe(false);
        } else {
          expect(verdict.rule).toMatch(/^[A-Z_]+$|^[a-z-]+$/);
        }
      }),
      { numRuns: 2_000 },
    );
    // Enough of the inputs are accepted, and enough refused, for the property to say something.
    expect(verdicts.accepted).toBeGreaterThan(500);
    expect(verdicts.refused).toBeGreaterThan(100);
  });
});

describe('dialling policy: countries', () => {
  it('refuses countries outside an allow-list, including others of a shared calling code', () => {
    const check = createNumberCheck({ allowedCountries: ['US', 'gb'] });
    expect(check(ask('+1 425 555 0100'))).toMatchObject({ ok: true, country: 'US' });
    expect(check(ask('+44 20 7946 0000'))).toMatchObject({ ok: true, country: 'GB' });
    // +1 268 is Antigua and Barbuda and +1 876 Jamaica: +1, but not the US.
    expect(check(ask('+1 268 464 1234'))).toEqual({ ok: false, result: 'blocked-number', rule: 'country-not-allowed' });
    expect(check(ask('+1 876 210 1234'))).toEqual({ ok: false, result: 'blocked-number', rule: 'country-not-allowed' });
    expect(check(ask('+33 1 23 45 67 89'))).toMatchObject({ rule: 'country-not-allowed' });
  });

  it('refuses blocked countries, and a blocked country wins over the allow-list', () => {
    const check = createNumberCheck({ blockedCountries: ['CU'], allowedCountries: ['CU', 'US'] });
    expect(check(ask('+53 5 1234567'))).toEqual({ ok: false, result: 'blocked-number', rule: 'country-blocked' });
    expect(check(ask('+1 425 555 0100'))).toMatchObject({ ok: true });
  });

  it('names the number type before the country', () => {
    const check = createNumberCheck({ blockedCountries: ['GB'] });
    expect(check(ask('+44 909 876 5432'))).toMatchObject({ rule: 'premium-rate' });
    expect(check(ask('+44 20 7946 0000'))).toMatchObject({ rule: 'country-blocked' });
  });

  it('dials non-geographic numbers only when allowed, and never under an allow-list', () => {
    expect(createNumberCheck({ allowNonGeographic: true })(ask('+870 773 111 632'))).toMatchObject({
      ok: true,
      country: null,
    });
    const allowList = createNumberCheck({ allowNonGeographic: true, allowedCountries: ['US'] });
    expect(allowList(ask('+870 773 111 632'))).toMatchObject({ rule: 'country-not-allowed' });
  });

  it('lets the refused types be replaced', () => {
    const check = createNumberCheck({ refusedTypes: ['PREMIUM_RATE', 'SHARED_COST', 'PERSONAL_NUMBER', 'UAN'] });
    expect(check(ask('+44 70 1234 5678'))).toMatchObject({ rule: 'personal-number' });
    expect(createNumberCheck({ refusedTypes: [] })(ask('+44 909 876 5432'))).toMatchObject({ ok: true });
  });

  it('maps every number type to a rule name', () => {
    expect(PHONE_NUMBER_TYPES.map(toDialingRule)).toEqual([
      'fixed-line',
      'mobile',
      'fixed-line-or-mobile',
      'toll-free',
      'premium-rate',
      'shared-cost',
      'voip',
      'personal-number',
      'pager',
      'uan',
      'voicemail',
    ]);
  });

  it('judges a parsed target directly', () => {
    const premium = parsePhoneTarget('+44 909 876 5432');
    expect(judgeDialingPolicy(premium, DEFAULT_DIALING_POLICY)).toEqual({ allowed: false, rule: 'premium-rate' });
    expect(judgeDialingPolicy(parsePhoneTarget('+14255550100'), DEFAULT_DIALING_POLICY)).toEqual({ allowed: true });
  });
});

describe('dialling policy: configuration', () => {
  it('fills in the defaults', () => {
    expect(resolveDialingPolicy()).toEqual({
      refusedTypes: ['PREMIUM_RATE', 'SHARED_COST', 'PERSONAL_NUMBER', 'PAGER', 'VOICEMAIL'],
      allowedCountries: null,
      blockedCountries: [],
      allowNonGeographic: false,
      refuseHighRiskDestinations: false,
      callerId: { byCountry: {} },
    });
  });

  it('accepts a resolved policy again', () => {
    const policy = resolveDialingPolicy({ allowedCountries: ['US'], callerId: '+1 425 555 0000' });
    expect(resolveDialingPolicy(policy)).toEqual(policy);
  });

  it('lists every problem of a policy that cannot work', () => {
    expect(
      configIssues(() =>
        createNumberCheck({
          refusedTypes: ['PREMIUM'] as never,
          allowedCountries: ['UK', 'ZZ'],
          blockedCountries: 'FR' as never,
          allowNonGeographic: 'yes' as never,
          callerId: { default: '+1 425', byCountry: { XX: '+44 20 7946 0000', FR: 'nope' } },
          extra: true,
        } as never),
      ),
    ).toEqual([
      'extra',
      'refusedTypes.0',
      'allowedCountries.0',
      'allowedCountries.1',
      'blockedCountries',
      'allowNonGeographic',
      'callerId.default',
      'callerId.byCountry.XX',
      'callerId.byCountry.FR',
    ]);
  });

  it('suggests GB for UK', () => {
    expect(() => resolveDialingPolicy({ allowedCountries: ['UK'] })).toThrow('UK is not an ISO 3166-1 code: use GB');
  });

  it('refuses an empty allow-list, which would refuse every number', () => {
    expect(configIssues(() => resolveDialingPolicy({ allowedCountries: [] }))).toEqual(['allowedCountries']);
  });

  it('lists an empty allow-list among the other problems of the policy', () => {
    expect(configIssues(() => resolveDialingPolicy({ allowedCountries: [], extra: true } as never))).toEqual([
      'extra',
      'allowedCountries',
    ]);
  });

  it('refuses an allow-list whose every country is blocked too, which would refuse every number', () => {
    expect(() =>
      resolveDialingPolicy({ allowedCountries: ['US', 'cu'], blockedCountries: ['CU', 'us', 'FR'] }),
    ).toThrow(
      'allowedCountries: every country of the allow-list is also in blockedCountries, so every number would be refused',
    );
    // Some overlap is a choice the policy states: the block-list wins for those countries, the others are dialled.
    expect(resolveDialingPolicy({ allowedCountries: ['US', 'CU'], blockedCountries: ['CU'] })).toMatchObject({
      allowedCountries: ['US', 'CU'],
      blockedCountries: ['CU'],
    });
  });
});

describe('caller ID per destination country', () => {
  const callerId = resolveCallerId({
    default: '+1 (425) 555-0000',
    byCountry: { gb: '+44 20 7946 0000', DE: '+49 30 123456' },
  });

  it('writes every caller ID in E.164 with upper-case countries', () => {
    expect(callerId).toEqual({
      default: '+14255550000',
      byCountry: { GB: '+442079460000', DE: '+4930123456' },
    });
  });

  it("picks the destination's own caller ID, else the default", () => {
    expect(selectCallerId(callerId, 'GB')).toBe('+442079460000');
    expect(selectCallerId(callerId, 'DE')).toBe('+4930123456');
    expect(selectCallerId(callerId, 'FR')).toBe('+14255550000');
    expect(selectCallerId(callerId, null)).toBe('+14255550000');
    expect(selectCallerId(resolveCallerId(undefined), 'GB')).toBeNull();
  });

  it('refuses a country named twice in different case, which would silently keep only one of its numbers', () => {
    expect(
      configIssues(() => resolveCallerId({ byCountry: { gb: '+44 20 7946 0000', GB: '+44 20 7946 0999' } })),
    ).toEqual(['callerId.byCountry.GB']);
  });

  it('takes one number as the default', () => {
    expect(resolveCallerId('+44 20 7946 0000')).toEqual({ default: '+442079460000', byCountry: {} });
  });

  it('refuses caller IDs that are not numbers, have an extension, or are keyed by no country', () => {
    expect(
      configIssues(() =>
        resolveCallerId({ default: '+1 425 555 0000 x1', byCountry: { EU: '+44 20 7946 0000', GB: 12 as never } }),
      ),
    ).toEqual(['callerId.default', 'callerId.byCountry.EU', 'callerId.byCountry.GB']);
    expect(configIssues(() => resolveCallerId(42 as never))).toEqual(['callerId']);
    expect(configIssues(() => resolveCallerId({ byCountry: ['+44'] as never }))).toEqual(['callerId.byCountry']);
  });

  it('never shows a caller ID in full in its error', () => {
    expect(() => resolveCallerId('+1 425 555')).toThrow(/\+1 ••• 555/);
    expect(() => resolveCallerId('+1 425 555')).not.toThrow(/425 555/);
  });
});
