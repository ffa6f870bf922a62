/**
 * The routes international revenue-share fraud uses: personal numbers (UK
 * 070, US 5XX), pagers and voicemail platforms are refused by default; the
 * high-risk destinations preset refuses whole countries with one option and
 * composes with the allow- and block-lists as documented.
 */
import fc from 'fast-check';
import examples from 'libphonenumber-js/examples.mobile.json';
import { type CountryCode, getExampleNumber, isSupportedCountry } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import type { NumberCheckInput } from '../../src/machine/checks.js';
import { createNumberCheck } from '../../src/phone/createNumberCheck.js';
import {
  DEFAULT_DIALING_POLICY,
  DEFAULT_REFUSED_TYPES,
  judgeDialingPolicy,
  resolveDialingPolicy,
} from '../../src/phone/dialingPolicy.js';
import { InvalidPhoneConfigurationError } from '../../src/phone/errors.js';
import { HIGH_RISK_DESTINATIONS } from '../../src/phone/highRiskDestinations.js';
import type { PhoneNumberType } from '../../src/phone/parsePhoneTarget.js';
import { parsePhoneTarget } from '../../src/phone/parsePhoneTarget.js';
import { nationalNumbers, TYPE_PLANS } from './numberingPlans.js';

const ask = (target: string, defaultCountry: string | null = null): NumberCheckInput => ({
  index: 0,
  target,
  defaultCountry,
});

const mobileOf = (country: CountryCode): string => {
  const example = getExampleNumber(country, examples);
  if (example === undefined) throw new Error(`no example mobile for ${country}`);
  return example.number;
};

describe('default dialling policy: number types', () => {
  const check = createNumberCheck();

  it.each([
    ['+44 70 1234 5678', null, 'personal-number'], // UK 070 "follow-me" numbers, which forward anywhere
    ['070 3123 4567', 'GB', 'personal-number'],
    ['+1 500 234 5678', null, 'personal-number'], // US 5XX personal communications services
    ['+1 533 234 5678', null, 'personal-number'],
    ['+44 76 2345 6789', null, 'pager'],
    ['+41 86 0123456789', null, 'voicemail'],
  ])('refuses %s (default country %s) as %s', (target, defaultCountry, rule) => {
    expect(check(ask(target, defaultCountry))).toEqual({ ok: false, result: 'blocked-number', rule });
  });

  it.each([
    ['+44 300 123 4567', 'UAN'], // UK 03: charged as a geographic call, used by businesses and public services
    ['+44 56 1234 5678', 'VOIP'], // charged as a fixed line; many people's only number
  ])('dials %s (%s)', (target, type) => {
    expect(parsePhoneTarget(target).type).toBe(type);
    expect(check(ask(target))).toMatchObject({ ok: true });
  });

  it('refuses a type only as the numbering plan names it: a US number is FIXED_LINE_OR_MOBILE, not MOBILE', () => {
    const us = ask(mobileOf('US'));
    const gb = ask(mobileOf('GB'));
    expect(parsePhoneTarget(us.target).type).toBe('FIXED_LINE_OR_MOBILE');
    const mobiles = createNumberCheck({ refusedTypes: ['MOBILE'] });
    expect(mobiles(gb)).toEqual({ ok: false, result: 'blocked-number', rule: 'mobile' });
    expect(mobiles(us)).toMatchObject({ ok: true, country: 'US' });
    const either = createNumberCheck({ refusedTypes: ['MOBILE', 'FIXED_LINE_OR_MOBILE'] });
    expect(either(us)).toEqual({ ok: false, result: 'blocked-number', rule: 'fixed-line-or-mobile' });
  });

  it('refuses premium-rate, shared-cost, personal, pager and voicemail numbers', () => {
    expect(DEFAULT_REFUSED_TYPES).toEqual<PhoneNumberType[]>([
      'PREMIUM_RATE',
      'SHARED_COST',
      'PERSONAL_NUMBER',
      'PAGER',
      'VOICEMAIL',
    ]);
    expect(DEFAULT_DIALING_POLICY.refusedTypes).toEqual(DEFAULT_REFUSED_TYPES);
  });

  const refusedPlans = TYPE_PLANS.filter((plan) => ['PERSONAL_NUMBER', 'PAGER', 'VOICEMAIL'].includes(plan.type));
  it(`property: no number of the ${refusedPlans.length} personal, pager and voicemail ranges of any country is dialled`, () => {
    expect(refusedPlans.length).toBeGreaterThan(90);
    for (const plan of refusedPlans) {
      fc.assert(
        fc.property(nationalNumbers(plan), (nationalNumber) => {
          const e164 = `+${plan.callingCode}${nationalNumber}`;
          let type: PhoneNumberType | null;
          try {
            type = parsePhoneTarget(e164).type;
          } catch {
            fc.pre(false);
            return;
          }
          fc.pre(type === plan.type);
          expect(check(ask(e164))).toMatchObject({ ok: false, result: 'blocked-number' });
        }),
        { numRuns: 4 },
      );
    }
  }, 60_000);
});

describe('the high-risk destinations preset', () => {
  it('is a list of distinct ISO 3166-1 alpha-2 countries with numbering plans, in order', () => {
    expect(HIGH_RISK_DESTINATIONS.length).toBeGreaterThan(15);
    expect(HIGH_RISK_DESTINATIONS.every((country) => isSupportedCountry(country))).toBe(true);
    expect([...HIGH_RISK_DESTINATIONS].sort()).toEqual(HIGH_RISK_DESTINATIONS);
    expect(new Set(HIGH_RISK_DESTINATIONS).size).toBe(HIGH_RISK_DESTINATIONS.length);
    expect(HIGH_RISK_DESTINATIONS).toEqual(expect.arrayContaining(['CU', 'LV', 'SO']));
    expect(Object.isFrozen(HIGH_RISK_DESTINATIONS)).toBe(true);
  });

  it('is off by default: the host turns it on', () => {
    expect(createNumberCheck()(ask(mobileOf('CU')))).toMatchObject({ ok: true, country: 'CU' });
    expect(resolveDialingPolicy().refuseHighRiskDestinations).toBe(false);
  });

  it('refuses a mobile of every listed country, and dials the others', () => {
    const check = createNumberCheck({ refuseHighRiskDestinations: true });
    for (const country of HIGH_RISK_DESTINATIONS) {
      expect(check(ask(mobileOf(country as CountryCode)))).toEqual({
        ok: false,
        result: 'blocked-number',
        rule: 'high-risk-destination',
      });
    }
    for (const country of ['US', 'GB', 'DE', 'IN', 'BR', 'JP'] as const) {
      expect(check(ask(mobileOf(country)))).toMatchObject({ ok: true, country });
    }
  });

  it('names the number type first, as every rule does', () => {
    const policy = resolveDialingPolicy({ refuseHighRiskDestinations: true, refusedTypes: ['MOBILE'] });
    expect(judgeDialingPolicy(parsePhoneTarget(mobileOf('CU')), policy)).toEqual({ allowed: false, rule: 'mobile' });
  });

  it('yields to the block-list, which refuses, and to the allow-list, which decides', () => {
    const cuba = ask(mobileOf('CU'));
    const latvia = ask(mobileOf('LV'));
    const france = ask(mobileOf('FR'));
    const blocked = createNumberCheck({ refuseHighRiskDestinations: true, blockedCountries: ['CU', 'FR'] });
    expect(blocked(cuba)).toMatchObject({ rule: 'country-blocked' });
    expect(blocked(france)).toMatchObject({ rule: 'country-blocked' });
    expect(blocked(latvia)).toMatchObject({ rule: 'high-risk-destination' });

    // A country the host names in its allow-list is its decision to call it; the rest are not allowed anyway.
    const allowed = createNumberCheck({ refuseHighRiskDestinations: true, allowedCountries: ['LV', 'FR'] });
    expect(allowed(latvia)).toMatchObject({ ok: true, country: 'LV' });
    expect(allowed(france)).toMatchObject({ ok: true, country: 'FR' });
    expect(allowed(cuba)).toMatchObject({ rule: 'country-not-allowed' });
  });

  it('can be narrowed by hand: the exported list as a block-list, less the countries you serve', () => {
    const check = createNumberCheck({ blockedCountries: HIGH_RISK_DESTINATIONS.filter((country) => country !== 'LV') });
    expect(check(ask(mobileOf('LV')))).toMatchObject({ ok: true });
    expect(check(ask(mobileOf('CU')))).toMatchObject({ rule: 'country-blocked' });
  });

  it('is checked: the option takes true or false', () => {
    try {
      resolveDialingPolicy({ refuseHighRiskDestinations: 'yes' as never });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPhoneConfigurationError);
      expect((error as InvalidPhoneConfigurationError).issues).toEqual([
        { path: 'refuseHighRiskDestinations', message: 'must be true or false' },
      ]);
    }
    const policy = resolveDialingPolicy({ refuseHighRiskDestinations: true });
    expect(policy.refuseHighRiskDestinations).toBe(true);
    expect(resolveDialingPolicy(policy)).toEqual(policy);
  });
});
