/**
 * Property: for numbers of every type of every country and non-geographic
 * calling code libphonenumber-js knows, formatting in national or
 * international form and parsing back gives the same E.164 number and type.
 * The numbers are libphonenumber-js's example mobiles plus numbers generated
 * from each type's pattern in its full metadata.
 */
import fc from 'fast-check';
import { getCountryCallingCode } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { type PhoneTarget, parsePhoneTarget } from '../../src/phone/parsePhoneTarget.js';
import { MOBILE_EXAMPLES, nationalNumbers, TYPE_PLANS, type TypePlan } from './numberingPlans.js';

const RUNS_PER_PLAN = 4;

/**
 * Numbers whose national form is another valid number of the same country,
 * so the national form cannot round-trip (the international one does):
 * Gabon's old 7-digit numbers are written `0X XX XX XX`, which is also an
 * 8-digit number of its new plan; Thailand's `001800…` toll-free numbers begin
 * with Thailand's international prefix `001`; in Argentina, a `15` right after
 * an area code of two to four digits is also the token that marks a mobile
 * dialled nationally, so `0343 515-0000` reads as area `3435`, `15`, `0000`.
 */
function hasAmbiguousNationalForm(plan: TypePlan, nationalNumber: string): boolean {
  if (plan.entity === 'GA') return nationalNumber.length === 7;
  if (plan.entity === 'TH') return nationalNumber.startsWith('001800');
  if (plan.entity === 'AR') return /^\d{2,4}15/.test(nationalNumber);
  return false;
}

const sameType = (plan: TypePlan, target: PhoneTarget) =>
  target.type === plan.type ||
  (target.type === 'FIXED_LINE_OR_MOBILE' && (plan.type === 'FIXED_LINE' || plan.type === 'MOBILE'));

function expectRoundTrip(reference: PhoneTarget, plan: TypePlan | null, nationalNumber: string): void {
  const { e164, type } = reference;
  expect(parsePhoneTarget(reference.international)).toMatchObject({ e164, type });
  expect(parsePhoneTarget(`00${reference.international.slice(1)}`)).toMatchObject({ e164, type });
  if (reference.country !== null && (plan === null || !hasAmbiguousNationalForm(plan, nationalNumber))) {
    expect(parsePhoneTarget(reference.national, { defaultCountry: reference.country })).toMatchObject({ e164, type });
  }
}

describe('property: national and international forms parse back to the same number and type', () => {
  it(`holds for the example mobile of each of the ${MOBILE_EXAMPLES.length} countries libphonenumber-js ships one for`, () => {
    expect(MOBILE_EXAMPLES.length).toBeGreaterThan(240);
    for (const { country, e164 } of MOBILE_EXAMPLES) {
      const reference = parsePhoneTarget(e164);
      // Åland shares Finland's mobile ranges, and so on: the country may be another of the same calling code.
      expect(getCountryCallingCode(country)).toBe(reference.callingCode);
      expect(['MOBILE', 'FIXED_LINE_OR_MOBILE']).toContain(reference.type);
      expectRoundTrip(reference, null, e164);
    }
  });

  const entities = new Set(TYPE_PLANS.map((plan) => plan.entity)).size;
  it(`holds for generated numbers of all ${TYPE_PLANS.length} types of ${entities} countries and non-geographic codes`, () => {
    expect(entities).toBeGreaterThan(250);
    const tested = new Set<string>();
    for (const plan of TYPE_PLANS) {
      fc.assert(
        fc.property(nationalNumbers(plan), (nationalNumber) => {
          let reference: PhoneTarget;
          try {
            reference = parsePhoneTarget(`+${plan.callingCode}${nationalNumber}`);
          } catch {
            // The type's pattern is wider than the plan in a few places; such digits are no number.
            fc.pre(false);
            return;
          }
          expect(reference.e164).toBe(`+${plan.callingCode}${nationalNumber}`);
          expect(sameType(plan, reference)).toBe(true);
          expectRoundTrip(reference, plan, nationalNumber);
          tested.add(`${plan.entity} ${plan.type}`);
        }),
        { numRuns: RUNS_PER_PLAN },
      );
    }
    // Every type of every plan produced at least one real number.
    expect(tested.size).toBe(TYPE_PLANS.length);
  }, 60_000);
});
