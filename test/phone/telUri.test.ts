/**
 * tel: URIs (RFC 3966) as directories, vCards and LDAP hold them: global
 * numbers with visual separators, `;ext=`, local numbers with a global
 * `;phone-context=`, the scheme in any case; malformed URIs refused with
 * their own reason; and the same number whatever form it was written in.
 */
import fc from 'fast-check';
import { parsePhoneNumber } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { InvalidPhoneNumberError, type InvalidPhoneNumberReason } from '../../src/phone/errors.js';
import { maskPhoneNumber } from '../../src/phone/maskPhoneNumber.js';
import { parsePhoneTarget } from '../../src/phone/parsePhoneTarget.js';
import { MOBILE_EXAMPLES } from './numberingPlans.js';

function refusal(run: () => unknown): InvalidPhoneNumberError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPhoneNumberError);
    return error as InvalidPhoneNumberError;
  }
  throw new Error('expected an InvalidPhoneNumberError');
}

describe('parsePhoneTarget: tel: URIs', () => {
  it.each([
    ['tel:+1-425-555-0100', null],
    ['tel:+14255550100', null],
    ['TEL:+1-425-555-0100', null],
    ['Tel:+1.425.555.0100', null],
    ['tel:+1(425)555-0100', null],
    ['  tel:+1-425-555-0100  ', null],
    ['tel:+1-425-555-0100;ext=1234', '1234'],
    ['tel:+1-425-555-0100;EXT=12-34', '1234'],
    ['tel:+1-425-555-0100;isub=1234', null],
    ['tel:+1-425-555-0100;ext=77;isub=12', '77'],
    ['tel:+1-425-555-0100;unknown-param=x;flag', null],
  ])('reads %s as +14255550100 with extension %s', (uri, extension) => {
    expect(parsePhoneTarget(uri)).toMatchObject({ e164: '+14255550100', country: 'US', extension });
  });

  it('reads a local number in the global context its phone-context names, wherever the extension stands', () => {
    expect(parsePhoneTarget('tel:555-0100;phone-context=+1-425')).toMatchObject({
      e164: '+14255550100',
      extension: null,
    });
    expect(parsePhoneTarget('tel:555-0100;phone-context=+1-425;ext=12').extension).toBe('12');
    expect(parsePhoneTarget('tel:555-0100;ext=12;Phone-Context=+1-425').extension).toBe('12');
    expect(parsePhoneTarget('tel:7946-0000;phone-context=+44-20')).toMatchObject({
      e164: '+442079460000',
      country: 'GB',
    });
  });

  it('does not need, and is not changed by, a default country', () => {
    expect(parsePhoneTarget('tel:+44-20-7946-0000', { defaultCountry: 'US' }).e164).toBe('+442079460000');
    expect(parsePhoneTarget('tel:7946-0000;phone-context=+44-20', { defaultCountry: 'US' }).e164).toBe('+442079460000');
  });

  it('takes a separate extension, but not two', () => {
    expect(parsePhoneTarget({ number: 'tel:+1-425-555-0100', extension: ',,12' }).extension).toBe(',,12');
    expect(refusal(() => parsePhoneTarget({ number: 'tel:+1-425-555-0100;ext=1', extension: '2' })).reason).toBe(
      'INVALID_EXTENSION',
    );
  });

  it.each([
    ['tel:', 'has no number'],
    ['tel:abc', 'digits'],
    ['tel:+', 'digits'],
    ['tel:+1 425 555 0100', 'digits'],
    ['tel://+14255550100', 'digits'],
    ['tel:555-0100', 'phone-context'],
    ['tel:555-0100;phone-context=example.com', 'domain'],
    ['tel:+1-425-555-0100;phone-context=+1', 'global number'],
    ['tel:555-0100;phone-context=+', 'phone-context'],
    ['tel:+1-425-555-0100;ext=12;ext=34', 'twice'],
    ['tel:+1-425-555-0100;ext=', 'ext'],
    ['tel:+1-425-555-0100;ext=12a', 'ext'],
    ['tel:+1-425-555-0100;;ext=1', 'empty parameter'],
    ['tel:+1-425-555-0100;a b=1', 'parameter'],
    ['tel:+1-425-555-0100;ext=1?x', 'ext'],
  ])('refuses the malformed %s as INVALID_TEL_URI (%s)', (uri, why) => {
    const error = refusal(() => parsePhoneTarget(uri));
    expect(error.reason).toBe<InvalidPhoneNumberReason>('INVALID_TEL_URI');
    expect(error.message).toContain(why);
    expect(error.message).not.toMatch(/4255550100|425-555-0100/);
  });

  it('judges a well-formed URI by its number like any other', () => {
    expect(refusal(() => parsePhoneTarget('tel:+1-425-555')).reason).toBe('TOO_SHORT');
    expect(refusal(() => parsePhoneTarget('tel:+999-1234567')).reason).toBe('INVALID_COUNTRY');
    expect(parsePhoneTarget('tel:+44-909-879-0000').type).toBe('PREMIUM_RATE');
  });

  it('masks a tel: URI like the number in it', () => {
    expect(maskPhoneNumber('tel:+1-425-555-0100;ext=12')).toBe('+1 425 ••• 0100');
    expect(maskPhoneNumber('TEL:555-0100;phone-context=+1-425')).toBe('+1 425 ••• 0100');
  });

  it("property: libphonenumber-js's own RFC 3966 form of any example mobile, with or without an extension, reads back the same", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MOBILE_EXAMPLES),
        fc.option(fc.stringMatching(/^[0-9]{1,8}$/), { nil: undefined }),
        ({ e164 }, ext) => {
          const phone = parsePhoneNumber(e164);
          if (ext !== undefined) phone.setExt(ext);
          const target = parsePhoneTarget(phone.format('RFC3966'));
          expect(target.e164).toBe(e164);
          expect(target.extension).toBe(ext ?? null);
        },
      ),
      { numRuns: 300 },
    );
  });
});
