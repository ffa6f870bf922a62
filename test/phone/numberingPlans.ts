/**
 * The numbering plans libphonenumber-js ships, read for tests: every country
 * and non-geographic calling code with the pattern of each number type, and
 * generators of numbers in those patterns.
 */
import fc from 'fast-check';
import examples from 'libphonenumber-js/examples.mobile.json';
import { type CountryCode, getCountries, getCountryCallingCode, getExampleNumber } from 'libphonenumber-js/max';
import metadata from 'libphonenumber-js/metadata.max.json';
import type { PhoneNumberType } from '../../src/phone/parsePhoneTarget.js';

/** One number type of one country (or non-geographic calling code). */
export interface TypePlan {
  /** `GB`, or `+800` for a non-geographic calling code. */
  entity: string;
  country: CountryCode | null;
  callingCode: string;
  type: PhoneNumberType;
  /** National significant numbers of this type. */
  pattern: string;
  lengths: readonly number[];
}

// Where libphonenumber-js's minified metadata keeps a plan's possible lengths
// and its type descriptions, and the order of the types in them (see
// Metadata#types() and getType() in libphonenumber-js/source/metadata.js).
const POSSIBLE_LENGTHS = 3;
const TYPES = 11;
const TYPE_ORDER: readonly PhoneNumberType[] = [
  'FIXED_LINE',
  'MOBILE',
  'TOLL_FREE',
  'PREMIUM_RATE',
  'PERSONAL_NUMBER',
  'VOICEMAIL',
  'UAN',
  'PAGER',
  'VOIP',
  'SHARED_COST',
];

type MinifiedPlan = readonly unknown[];

function readTypes(entity: string, country: CountryCode | null, callingCode: string, plan: MinifiedPlan): TypePlan[] {
  const generalLengths = (plan[POSSIBLE_LENGTHS] as number[] | undefined) ?? [];
  const types = plan[TYPES];
  if (!Array.isArray(types)) return [];
  return TYPE_ORDER.flatMap((type, position): TypePlan[] => {
    const description: unknown = types[position];
    // An empty pattern means "same as fixed line" (e.g. US mobiles); 0 means no such numbers.
    if (!Array.isArray(description) || typeof description[0] !== 'string' || description[0] === '') return [];
    const lengths = Array.isArray(description[1]) ? (description[1] as number[]) : generalLengths;
    return [{ entity, country, callingCode, type, pattern: description[0], lengths }];
  });
}

/** Every type of every country and non-geographic calling code in libphonenumber-js's full metadata. */
export const TYPE_PLANS: readonly TypePlan[] = [
  ...getCountries().flatMap((country) =>
    readTypes(country, country, getCountryCallingCode(country), metadata.countries[country] ?? []),
  ),
  ...Object.entries(metadata.nonGeographic).flatMap(([callingCode, plan]) =>
    readTypes(`+${callingCode}`, null, callingCode, plan),
  ),
];

/** National significant numbers of a plan's type: matching its pattern and one of its lengths. */
export function nationalNumbers(plan: TypePlan): fc.Arbitrary<string> {
  return fc
    .stringMatching(new RegExp(`^(?:${plan.pattern})$`))
    .filter((digits) => plan.lengths.length === 0 || plan.lengths.includes(digits.length));
}

/** The example mobile number libphonenumber-js ships for each country that has one, in E.164. */
export const MOBILE_EXAMPLES: readonly { country: CountryCode; e164: string }[] = getCountries().flatMap((country) => {
  const example = getExampleNumber(country, examples);
  return example === undefined ? [] : [{ country, e164: example.number }];
});
