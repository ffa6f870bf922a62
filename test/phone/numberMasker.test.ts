/**
 * Masking a verification's own numbers in text the library did not write,
 * in any form they may be written, and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { createNumberMasker } from '../../src/phone/numberMasker.js';

describe('createNumberMasker', () => {
  const masker = createNumberMasker(['(425) 555-0100', { number: 'tel:+44-20-7946-0000' }], 'US');

  it.each([
    ['+14255550100', '+1 425 ••• 0100'],
    ['+1 (425) 555-0100', '+1 425 ••• 0100'],
    ['1-425-555-0100', '+1 425 ••• 0100'],
    ['(425) 555-0100', '+1 425 ••• 0100'],
    ['425.555.0100', '+1 425 ••• 0100'],
    ['4255550100', '+1 425 ••• 0100'],
    ['001 425 555 0100', '+1 425 ••• 0100'],
    ['+44 (0)20 7946 0000', '+44 20 ••• 0000'],
    ['020 7946 0000', '+44 20 ••• 0000'],
    ['442079460000', '+44 20 ••• 0000'],
  ])('masks %s', (written, masked) => {
    expect(masker.maskText(`call to ${written} failed`)).toBe(`call to ${masked} failed`);
  });

  it('leaves other numbers and longer digit runs alone', () => {
    for (const text of ['call to +14255550199 failed', 'code 21214', 'CA42555501001', '94255550100']) {
      expect(masker.maskText(text)).toBe(text);
    }
  });

  it('masks every string of a JSON value, and numbers added later', () => {
    const later = createNumberMasker([], null);
    later.add('+33 1 23 45 67 89');
    expect(later.maskStrings({ a: ['+33123456789', 7, null], b: { c: 'tel 01 23 45 67 89' } })).toEqual({
      a: ['+33 1 ••• 6789', 7, null],
      b: { c: 'tel +33 1 ••• 6789' },
    });
  });

  it('masks a short number only with its calling code', () => {
    const short = createNumberMasker(['+24740123'], null);
    expect(short.maskText('+247 40123 and 24740123, not 40123')).toBe('+247 ••• 23 and +247 ••• 23, not 40123');
  });

  it('masks a fresh value where it holds a number, keeping the parts that hold none instead of copying them', () => {
    const fresh = createNumberMasker(['+33 1 23 45 67 89'], null);
    const untouched = { callId: 'CA-0001', times: { at: 5 }, list: ['x', 2] };
    const value = JSON.parse('{"a":{"message":"to 01 23 45 67 89"},"b":["+33123456789"],"__proto__":"+33123456789"}');
    const masked = fresh.maskStringsInFreshValue({ ...value, untouched });
    expect(masked).toEqual({ ...fresh.maskStrings(value), untouched });
    expect(Object.keys(masked)).toContain('__proto__');
    expect(Object.getPrototypeOf(masked)).toBe(Object.prototype);
    expect(masked.untouched).toBe(untouched);
    expect(value.a.message).toBe('to 01 23 45 67 89');
    expect(fresh.maskStringsInFreshValue(untouched)).toBe(untouched);
  });

  it('copies every array and object of a value it masks, also those that hold no number', () => {
    const masker = createNumberMasker(['+33 1 23 45 67 89'], null);
    const value = JSON.parse('{"untouched":{"times":{"at":5},"list":["x",2]},"__proto__":"+33123456789"}');
    const masked = masker.maskStrings(value);
    expect(masked).toEqual({ untouched: value.untouched, ['__proto__']: masker.maskText('+33123456789') });
    expect(Object.keys(masked)).toContain('__proto__');
    expect(masked).not.toBe(value);
    expect(masked.untouched).not.toBe(value.untouched);
    expect(masked.untouched.times).not.toBe(value.untouched.times);
    expect(masked.untouched.list).not.toBe(value.untouched.list);
  });
});
