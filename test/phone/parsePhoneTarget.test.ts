/**
 * SPEC step 1, "Check the number": real numbering plans of 17 countries
 * (mobile, fixed line, toll-free, premium-rate, shared-cost, VoIP), invalid
 * lengths, bad country codes, extensions, and the forms people type.
 *
 * The mobile numbers are libphonenumber-js's own examples (examples.mobile.json);
 * the other types are the example numbers of Google's libphonenumber metadata
 * (PhoneNumberMetadata.xml), checked against libphonenumber-js 1.13.
 */
import examples from 'libphonenumber-js/examples.mobile.json';
import { type CountryCode, getCountryCallingCode, getExampleNumber } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { InvalidPhoneNumberError, type InvalidPhoneNumberReason } from '../../src/phone/errors.js';
import { type PhoneNumberType, parsePhoneTarget } from '../../src/phone/parsePhoneTarget.js';

type PlanRow = [country: CountryCode, type: PhoneNumberType, nationalNumber: string];

/** Example numbers per country and type; US fixed lines and mobiles share their ranges. */
const EXAMPLES: readonly PlanRow[] = [
  ['US', 'FIXED_LINE_OR_MOBILE', '2012345678'],
  ['US', 'TOLL_FREE', '8002345678'],
  ['US', 'PREMIUM_RATE', '9002345678'],
  ['GB', 'FIXED_LINE', '1212345678'],
  ['GB', 'TOLL_FREE', '8001234567'],
  ['GB', 'PREMIUM_RATE', '9012345678'],
  // 084x "service charge" numbers: once shared-cost, premium-rate in today's metadata.
  ['GB', 'PREMIUM_RATE', '8431234567'],
  ['GB', 'VOIP', '5612345678'],
  ['DE', 'FIXED_LINE', '30123456'],
  ['DE', 'TOLL_FREE', '8001234567'],
  ['DE', 'PREMIUM_RATE', '9001234567'],
  ['DE', 'SHARED_COST', '18012345'],
  ['FR', 'FIXED_LINE', '123456789'],
  ['FR', 'TOLL_FREE', '801234567'],
  ['FR', 'PREMIUM_RATE', '891123456'],
  ['FR', 'SHARED_COST', '884012345'],
  ['FR', 'VOIP', '912345678'],
  ['CN', 'FIXED_LINE', '1012345678'],
  ['CN', 'TOLL_FREE', '8001234567'],
  ['CN', 'PREMIUM_RATE', '16812345'],
  ['CN', 'SHARED_COST', '4001234567'],
  ['RU', 'FIXED_LINE', '3011234567'],
  ['RU', 'TOLL_FREE', '8001234567'],
  ['RU', 'PREMIUM_RATE', '8091234567'],
  ['JP', 'FIXED_LINE', '312345678'],
  ['JP', 'TOLL_FREE', '120123456'],
  ['JP', 'PREMIUM_RATE', '990123456'],
  ['JP', 'VOIP', '5012345678'],
  ['AU', 'FIXED_LINE', '212345678'],
  ['AU', 'TOLL_FREE', '1800123456'],
  ['AU', 'PREMIUM_RATE', '1900123456'],
  ['AU', 'SHARED_COST', '1300123456'],
  ['ES', 'FIXED_LINE', '810123456'],
  ['ES', 'TOLL_FREE', '800123456'],
  ['ES', 'PREMIUM_RATE', '803123456'],
  ['ES', 'SHARED_COST', '901123456'],
  ['IT', 'FIXED_LINE', '0212345678'],
  ['IT', 'TOLL_FREE', '800123456'],
  ['IT', 'PREMIUM_RATE', '899123456'],
  ['IT', 'SHARED_COST', '848123456'],
  ['NL', 'FIXED_LINE', '101234567'],
  ['NL', 'TOLL_FREE', '8001234'],
  ['NL', 'PREMIUM_RATE', '9001234'],
  ['NL', 'VOIP', '851234567'],
  ['CH', 'FIXED_LINE', '212345678'],
  ['CH', 'TOLL_FREE', '800123456'],
  ['CH', 'PREMIUM_RATE', '900123456'],
  ['CH', 'SHARED_COST', '840123456'],
  ['BE', 'FIXED_LINE', '12345678'],
  ['BE', 'TOLL_FREE', '80012345'],
  ['BE', 'PREMIUM_RATE', '90123456'],
  ['AT', 'FIXED_LINE', '1234567890'],
  ['AT', 'TOLL_FREE', '800123456'],
  ['AT', 'PREMIUM_RATE', '900123456'],
  ['AT', 'SHARED_COST', '810123456'],
  ['AT', 'VOIP', '780123456'],
  ['PL', 'FIXED_LINE', '123456789'],
  ['PL', 'TOLL_FREE', '800123456'],
  ['PL', 'PREMIUM_RATE', '701234567'],
  ['PL', 'SHARED_COST', '801234567'],
  ['PL', 'VOIP', '391234567'],
  ['IN', 'FIXED_LINE', '1123456789'],
  ['IN', 'TOLL_FREE', '1800123456'],
  ['IN', 'PREMIUM_RATE', '1861123456789'],
  ['IN', 'SHARED_COST', '18603451234'],
  ['BR', 'FIXED_LINE', '1123456789'],
  ['BR', 'TOLL_FREE', '800123456'],
  ['BR', 'PREMIUM_RATE', '500123456'],
  ['BR', 'SHARED_COST', '40041234'],
];

const COUNTRIES = [...new Set(EXAMPLES.map(([country]) => country))];

/** libphonenumber-js's example mobile of each country of the table. */
const MOBILES: readonly PlanRow[] = COUNTRIES.map((country) => {
  const example = getExampleNumber(country, examples);
  if (example === undefined) throw new Error(`no example mobile for ${country}`);
  return [country, country === 'US' ? 'FIXED_LINE_OR_MOBILE' : 'MOBILE', example.nationalNumber];
});

const ROWS = [...MOBILES, ...EXAMPLES];

function reasonOf(run: () => unknown): InvalidPhoneNumberReason | 'accepted' {
  try {
    run();
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPhoneNumberError);
    return (error as InvalidPhoneNumberError).reason;
  }
}

describe('parsePhoneTarget on real numbering plans', () => {
  it('covers at least 15 countries, each with a mobile, a fixed line, a toll-free and a premium-rate number', () => {
    expect(COUNTRIES.length).toBeGreaterThanOrEqual(15);
    for (const country of COUNTRIES) {
      const types = ROWS.filter((row) => row[0] === country).map((row) => row[1]);
      expect(types).toEqual(expect.arrayContaining(['TOLL_FREE', 'PREMIUM_RATE']));
      expect(types.some((type) => type.startsWith('FIXED_LINE'))).toBe(true);
      expect(types.some((type) => type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE')).toBe(true);
    }
    expect(ROWS.filter((row) => row[1] === 'SHARED_COST').length).toBeGreaterThanOrEqual(10);
  });

  describe.each(ROWS)('%s %s %s', (country, type, nationalNumber) => {
    const e164 = `+${getCountryCallingCode(country)}${nationalNumber}`;

    it('reads the international form', () => {
      const target = parsePhoneTarget(`+${getCountryCallingCode(country)} ${nationalNumber}`);
      expect(target).toMatchObject({ e164, country, type, extension: null, nonGeographic: false });
    });

    it('reads the national form, trunk prefix included, with the default country', () => {
      const { national } = parsePhoneTarget(e164);
      expect(parsePhoneTarget(national, { defaultCountry: country })).toMatchObject({ e164, country, type });
    });

    it('reads the 00 international prefix with no default country', () => {
      expect(parsePhoneTarget(`00${getCountryCallingCode(country)} ${nationalNumber}`).e164).toBe(e164);
    });
  });
});

describe('parsePhoneTarget: invalid lengths', () => {
  // Per country: the first three digits of its example fixed line, one digit short, one digit more, nine more.
  // Germany, Italy and Austria have open plans: one digit more or less is still a number there.
  const LENGTHS: readonly [
    CountryCode,
    string,
    InvalidPhoneNumberReason | 'accepted',
    InvalidPhoneNumberReason | 'accepted',
  ][] = [
    ['US', '2012345678', 'TOO_SHORT', 'TOO_LONG'],
    ['GB', '1212345678', 'INVALID', 'TOO_LONG'],
    ['DE', '30123456', 'accepted', 'accepted'],
    ['FR', '123456789', 'TOO_SHORT', 'TOO_LONG'],
    ['CN', '1012345678', 'INVALID', 'INVALID'],
    ['RU', '3011234567', 'TOO_SHORT', 'INVALID_LENGTH'],
    ['JP', '312345678', 'INVALID', 'INVALID'],
    ['AU', '212345678', 'INVALID', 'INVALID'],
    ['ES', '810123456', 'TOO_SHORT', 'TOO_LONG'],
    ['IT', '0212345678', 'accepted', 'accepted'],
    ['NL', '101234567', 'INVALID', 'INVALID'],
    ['CH', '212345678', 'TOO_SHORT', 'INVALID_LENGTH'],
    ['BE', '12345678', 'TOO_SHORT', 'INVALID'],
    ['AT', '1234567890', 'accepted', 'accepted'],
    ['PL', '123456789', 'INVALID', 'INVALID'],
    ['IN', '1123456789', 'INVALID', 'INVALID'],
    ['BR', '1123456789', 'INVALID', 'INVALID'],
  ];

  it.each(LENGTHS)('%s %s', (country, digits, oneShort, oneMore) => {
    const code = `+${getCountryCallingCode(country)} `;
    expect(reasonOf(() => parsePhoneTarget(code + digits.slice(0, 3)))).toBe('TOO_SHORT');
    expect(reasonOf(() => parsePhoneTarget(code + digits.slice(0, -1)))).toBe(oneShort);
    expect(reasonOf(() => parsePhoneTarget(`${code + digits}1`))).toBe(oneMore);
    expect(reasonOf(() => parsePhoneTarget(`${code + digits}123456789`))).toBe('TOO_LONG');
  });

  it('says which length rule failed, with the number masked', () => {
    expect(() => parsePhoneTarget('+44 2079 4600')).toThrow(
      'Invalid phone number +44 ••• 4600 (INVALID_LENGTH): no number of +44 has this many digits',
    );
    expect(() => parsePhoneTarget('+1 425 555 0100 0000')).toThrow(
      /\(TOO_LONG\): too many digits for a number of \+1$/,
    );
    expect(() => parsePhoneTarget('+1 200 555 0100')).toThrow(/\(INVALID\): the digits are not in a range/);
  });
});

describe('parsePhoneTarget: bad country codes', () => {
  it.each([
    ['+999 1234567', null, /its country code is not assigned/],
    ['+0 123 4567', null, /its country code is not assigned/],
    ['4255550100', null, /no country code \(\+ or 00\) and no default country was given/],
    ['4255550100', 'UK', /the default country UK is not a supported ISO 3166-1 code/],
    ['4255550100', 'XX', /the default country XX is not a supported/],
  ])('%s with default country %s is INVALID_COUNTRY', (text, defaultCountry, message) => {
    expect(reasonOf(() => parsePhoneTarget(text, { defaultCountry }))).toBe('INVALID_COUNTRY');
    expect(() => parsePhoneTarget(text, { defaultCountry })).toThrow(message);
  });

  it('ignores the default country when the number has its own country code', () => {
    expect(parsePhoneTarget('+44 20 7946 0000', { defaultCountry: 'US' }).country).toBe('GB');
    expect(parsePhoneTarget('+44 20 7946 0000', { defaultCountry: 'XX' }).country).toBe('GB');
  });

  it('takes the default country in any case', () => {
    expect(parsePhoneTarget('020 7946 0000', { defaultCountry: 'gb' }).e164).toBe('+442079460000');
  });

  it('reads a default country that is not text as no supported country, with a typed error', () => {
    // Read with GB first: a list holding GB must not find that reading among the recent ones.
    expect(parsePhoneTarget('020 7946 0000', { defaultCountry: 'GB' }).e164).toBe('+442079460000');
    for (const defaultCountry of [44, {}, ['GB']] as never[]) {
      expect(reasonOf(() => parsePhoneTarget('020 7946 0000', { defaultCountry }))).toBe('INVALID_COUNTRY');
      expect(() => parsePhoneTarget('020 7946 0000', { defaultCountry })).toThrow(/is not a supported ISO 3166-1 code/);
      expect(parsePhoneTarget('+44 20 7946 0000', { defaultCountry }).e164).toBe('+442079460000');
    }
  });
});

describe('parsePhoneTarget: digits other than ASCII', () => {
  // Full-width (typed with an East Asian input method) and Arabic-Indic digits are the same digits wherever they
  // stand: in the 00 prefix, after a full-width plus, in an extension.
  it.each([
    ['００４４ ２０ ７９４６ ００００', null, '+442079460000', null],
    ['٠٠٤٤ ٢٠ ٧٩٤٦ ٠٠٠٠', null, '+442079460000', null],
    ['۰۰۴۴ ۲۰ ۷۹۴۶ ۰۰۰۰', 'US', '+442079460000', null],
    ['＋４４ ２０ ７９４６ ００００', null, '+442079460000', null],
    ['＋1 425 555 0100', null, '+14255550100', null],
    ['+44 20 7946 0000 x１２', null, '+442079460000', '12'],
    ['+44 20 7946 0000 ext. ١٢', null, '+442079460000', '12'],
    ['+44 20 7946 0000,,１２', null, '+442079460000', ',,12'],
    ['００８００ １２３４ ５６７', 'BG', '+359008001234567', null],
  ])('%s (default country %s) is %s, extension %s', (text, defaultCountry, e164, extension) => {
    const ascii = text.replace(/[０-９٠-٩۰-۹＋]/g, (c) => {
      const code = c.codePointAt(0) ?? 0;
      if (c === '＋') return '+';
      return String(code >= 0xff10 ? code - 0xff10 : code >= 0x6f0 ? code - 0x6f0 : code - 0x660);
    });
    expect(parsePhoneTarget(ascii, { defaultCountry })).toMatchObject({ e164, extension });
    expect(parsePhoneTarget(text, { defaultCountry })).toMatchObject({ e164, extension });
  });

  it('keeps a tel: URI to the ASCII digits RFC 3966 allows', () => {
    expect(reasonOf(() => parsePhoneTarget('tel:+４４-２０-７９４６-００００'))).toBe('INVALID_TEL_URI');
  });
});

describe('parsePhoneTarget: the forms people type', () => {
  it.each([
    ['+1 (425) 555-0100', null, '+14255550100'],
    ['(425) 555-0100', 'US', '+14255550100'],
    ['425.555.0100', 'US', '+14255550100'],
    ['1-425-555-0100', 'US', '+14255550100'],
    ['+1.425.555.0100', null, '+14255550100'],
    ['  +1 425 555 0100  ', null, '+14255550100'],
    ['+１ ４２５ ５５５ ０１００', null, '+14255550100'],
    ['020 7946 0000', 'GB', '+442079460000'],
    ['(020) 7946-0000', 'GB', '+442079460000'],
    ['+44 (0)20 7946 0000', null, '+442079460000'],
    ['0044 20 7946 0000', null, '+442079460000'],
    ['00 44 20 7946 0000', 'US', '+442079460000'],
    ['011 44 20 7946 0000', 'US', '+442079460000'],
    ['07400 123456', 'GB', '+447400123456'],
    ['030/123456', 'DE', '+4930123456'],
    ['+49 (30) 123456', null, '+4930123456'],
    ['06.12.34.56.78', 'FR', '+33612345678'],
    ['8 (912) 345-67-89', 'RU', '+79123456789'],
    ['810 44 20 7946 0000', 'RU', '+442079460000'],
    ['010 1234 5678', 'CN', '+861012345678'],
    ['090-1234-5678', 'JP', '+819012345678'],
    ['010 44 20 7946 0000', 'JP', '+442079460000'],
    ['081234 56789', 'IN', '+918123456789'],
    ['0412 345 678', 'AU', '+61412345678'],
    ['0011 44 20 7946 0000', 'AU', '+442079460000'],
    ['(11) 96123-4567', 'BR', '+5511961234567'],
    ['078 123 45 67', 'CH', '+41781234567'],
    ['0470 12 34 56', 'BE', '+32470123456'],
    // The default country's own international prefixes, carriers' included: Belize through Australia's 0011,
    // Antigua through South Korea's carrier prefix 002 (not the 00 and country code they also start with).
    ['0011 501 622 1234', 'AU', '+5016221234'],
    ['002 1 268 464 1234', 'KR', '+12684641234'],
    // Whatever the spaces, as a phone there dials the digits: Hong Kong's carrier prefix 001 and Egypt, Colombia's
    // carrier prefix 009 written apart from 00 (where 00 alone is no international prefix) and Jamaica.
    ['00 1 201 555 0123', 'HK', '+2015550123'],
    ['00 9 1 876 210 1234', 'CO', '+18762101234'],
    ['00-9-1-876-210-1234', 'CO', '+18762101234'],
  ])('%j (default %s) is %s', (text, defaultCountry, e164) => {
    expect(parsePhoneTarget(text, { defaultCountry }).e164).toBe(e164);
  });

  it('gives national and international forms without the extension', () => {
    expect(parsePhoneTarget('(425) 555-0100 x12', { defaultCountry: 'US' })).toEqual({
      e164: '+14255550100',
      country: 'US',
      callingCode: '1',
      nonGeographic: false,
      type: 'FIXED_LINE_OR_MOBILE',
      extension: '12',
      national: '(425) 555-0100',
      international: '+1 425 555 0100',
    });
  });

  it('reads national numbers that begin with 00 themselves as national when 00 cannot be the international prefix', () => {
    // Bulgarian and Qatari toll-free numbers start 00800; libphonenumber-js alone reads them as +800.
    expect(parsePhoneTarget('00800 4327695', { defaultCountry: 'BG' })).toMatchObject({
      e164: '+359008004327695',
      type: 'TOLL_FREE',
    });
    expect(parsePhoneTarget('00800 528551', { defaultCountry: 'QA' }).e164).toBe('+97400800528551');
  });

  it.each([
    ['abc'],
    [''],
    ['+'],
    ['++1 425 555 0100'],
    ['call me on +1 425 555 0100'],
    // Only tel: is a phone URI (see telUri.test.ts); other schemes are not numbers.
    ['sip:+14255550100@example.com'],
    ['callto:+1-425-555-0100'],
    ['+1 425 555 0100 p1234'],
    ['1'.repeat(65)],
  ])('%j is NOT_A_NUMBER', (text) => {
    expect(reasonOf(() => parsePhoneTarget(text))).toBe('NOT_A_NUMBER');
  });

  it('refuses a target that is neither a string nor { number }', () => {
    expect(reasonOf(() => parsePhoneTarget(42 as never))).toBe('NOT_A_NUMBER');
    expect(reasonOf(() => parsePhoneTarget({ extension: '1' } as never))).toBe('NOT_A_NUMBER');
  });
});

describe('parsePhoneTarget: extensions', () => {
  it.each([
    ['+1 425 555 0100 x1234', '1234'],
    ['+1 425 555 0100x1234', '1234'],
    ['+1 425 555 0100 X 1234', '1234'],
    ['+1 425 555 0100 ext. 1234', '1234'],
    ['+1 425 555 0100 ext 1234', '1234'],
    ['+1 425 555 0100 Ext: 1234', '1234'],
    ['+1 425 555 0100 extension 1234', '1234'],
    ['+1 425 555 0100 extn 1234', '1234'],
    ['+1 425 555 0100;ext=1234', '1234'],
    ['+1 425 555 0100 #1234', '1234'],
    // Commas are one-second pauses: kept, because they are keyed too.
    ['+1 425 555 0100,,1234', ',,1234'],
    ['+1 425 555 0100 ,1234', ',1234'],
    ['+1 425 555 0100,,,*9', ',,,*9'],
    ['+1 425 555 0100 x,,1234', ',,1234'],
    ['+44 20 7946 0000 x,,12#', ',,12#'],
  ])('%j has extension %j', (text, extension) => {
    expect(parsePhoneTarget(text)).toMatchObject({
      e164: text.startsWith('+44') ? '+442079460000' : '+14255550100',
      extension,
    });
  });

  it('takes the extension of a { number, extension } target as it is', () => {
    expect(parsePhoneTarget({ number: '+44 20 7946 0000', extension: ',,1234' }).extension).toBe(',,1234');
    expect(parsePhoneTarget({ number: '(425) 555-0100', extension: '12' }, { defaultCountry: 'US' }).extension).toBe(
      '12',
    );
  });

  it.each([
    [{ number: '+1 425 555 0100 x1', extension: '12' }, /both in the number and separately/],
    [{ number: '+1 425 555 0100', extension: '12a' }, /1–16 keys/],
    [{ number: '+1 425 555 0100', extension: '1,2' }, /1–16 keys/],
    ['+1 425 555 0100 x12345678901234567', /1–16 keys/],
    ['+1 425 555 0100,,12345678901234567', /1–16 keys/],
  ])('%j is INVALID_EXTENSION', (target, message) => {
    expect(reasonOf(() => parsePhoneTarget(target))).toBe('INVALID_EXTENSION');
    expect(() => parsePhoneTarget(target)).toThrow(message);
  });
});

describe('parsePhoneTarget: non-geographic numbers', () => {
  it.each([
    ['+800 1234 5678', '800', 'TOLL_FREE'],
    ['+870 773 111 632', '870', 'MOBILE'],
  ])('%s has no country', (text, callingCode, type) => {
    expect(parsePhoneTarget(text)).toMatchObject({ country: null, callingCode, type, nonGeographic: true });
  });
});
