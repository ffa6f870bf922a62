/**
 * The machine's own number check, used when the host binds none: E.164's
 * shape only, no numbering plan. It must never refuse a number that some
 * plan holds valid for its length.
 */
import { isValidPhoneNumber } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { checkE164Number } from '../../src/machine/checks.js';
import { TYPE_PLANS } from '../phone/numberingPlans.js';

const check = (target: string) => checkE164Number({ index: 0, target, defaultCountry: null });

describe('the machine’s fallback number check', () => {
  it('accepts a number of every length any numbering plan gives its numbers, down to six digits (+43 1110, Vienna)', () => {
    expect(isValidPhoneNumber('+431110')).toBe(true);
    expect(check('+431110')).toEqual({ ok: true, e164: '+431110', extension: null, country: null });
    for (const plan of TYPE_PLANS) {
      for (const length of plan.lengths) {
        const number = `+${plan.callingCode}${'2'.repeat(length)}`;
        if (number.length - 1 > 15) continue;
        expect(check(number), `${plan.entity} ${plan.type}, ${length} digits`).toMatchObject({ ok: true });
      }
    }
  });

  it('accepts Niue’s four-digit numbers and St Helena’s five-digit ones', () => {
    for (const number of ['+6834002', '+29022158']) {
      expect(isValidPhoneNumber(number)).toBe(true);
      expect(check(number)).toMatchObject({ ok: true, e164: number });
    }
  });

  it('refuses what no plan has: fewer than six digits, more than fifteen, a leading 0, no plus', () => {
    for (const number of ['+43111', '+1', '+1234567890123456', '+0431110', '431110']) {
      expect(check(number), number).toEqual({ ok: false, result: 'invalid-number', rule: 'NOT_E164' });
    }
  });
});
