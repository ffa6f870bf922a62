/**
 * Privacy: numbers are masked in records, events and errors when the host
 * asks, and the library's own messages never carry a number in full.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttemptRecord, VerificationResult } from '../../src/machine/outcomes.js';
import { MASK, maskPhoneNumber } from '../../src/phone/maskPhoneNumber.js';
import { maskAttemptRecord, maskVerificationResult } from '../../src/phone/maskVerificationResult.js';
import { MOBILE_EXAMPLES } from './numberingPlans.js';

describe('maskPhoneNumber', () => {
  it.each([
    ['+14255550100', '+1 425 ••• 0100'],
    ['+1 (425) 555-0100 ext. 1234', '+1 425 ••• 0100'],
    ['+44 20 7946 0000,,12', '+44 20 ••• 0000'],
    ['0044 20 7946 0000', '+44 20 ••• 0000'],
    ['+8613123456789', '+86 131 ••• 6789'],
    ['+74951234567', '+7 495 ••• 4567'],
    // A first group too long to show with the last four would leave too little hidden: it goes.
    ['+447400123456', '+44 ••• 3456'],
    ['+4930123456', '+49 ••• 3456'],
    ['+318001234', '+31 ••• 1234'],
    ['+870773111632', '+870 ••• 1632'],
    // Invalid numbers keep their country code and fewer digits.
    ['+1 425 555', '+1 ••• 555'],
    ['+44 1234', '+44 ••• 4'],
    ['not a number', '•••'],
    ['call 555 0100', '•••00'],
    // Already masked: unchanged; but digits around a mask are still masked.
    ['+1 425 ••• 0100', '+1 425 ••• 0100'],
    ['•••00', '•••00'],
    ['+1 4255550100 ••• 0100', '•••00'],
    ['', '•••'],
    // Digits of other scripts are read as parsePhoneTarget reads them.
    ['＋４４ ２０ ７９４６ ００００', '+44 20 ••• 0000'],
    ['٠٠٤٤ ٢٠ ٧٩٤٦ ٠٠٠٠', '+44 20 ••• 0000'],
  ])('%j → %j', (number, masked) => {
    expect(maskPhoneNumber(number)).toBe(masked);
  });

  it('reads national numbers with a default country', () => {
    expect(maskPhoneNumber('(425) 555-0100', { defaultCountry: 'US' })).toBe('+1 425 ••• 0100');
    expect(maskPhoneNumber('020 7946 0000', { defaultCountry: 'gb' })).toBe('+44 20 ••• 0000');
  });

  it('never throws for a default country that is not text: it is no country', () => {
    expect(maskPhoneNumber('020 7946 0000', { defaultCountry: 44 as never })).toBe('•••00');
    expect(maskPhoneNumber('020 7946 0000', { defaultCountry: ['gb'] as never })).toBe('•••00');
    expect(maskPhoneNumber('+44 20 7946 0000', { defaultCountry: {} as never })).toBe('+44 20 ••• 0000');
  });

  it('property: hides at least three digits, and never shows the national number whole', () => {
    for (const { e164 } of MOBILE_EXAMPLES) {
      const masked = maskPhoneNumber(e164);
      expect(masked).toContain(MASK);
      const shown = masked.replace(/^\+\d+/, '').replace(/\D/g, '');
      const callingCode = masked.match(/^\+(\d+)/)?.[1] ?? '';
      const nationalDigits = e164.length - 1 - callingCode.length;
      expect(nationalDigits - shown.length).toBeGreaterThanOrEqual(3);
    }
  });

  it('property: masking a masked number changes nothing', () => {
    const typed = fc.oneof(
      fc.constantFrom(...MOBILE_EXAMPLES).map(({ e164 }) => e164),
      fc.stringMatching(/^(?:\+|00|tel:\+)?[0-9 ().-]{0,20}$/),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(typed, (text) => {
        const masked = maskPhoneNumber(text);
        expect(maskPhoneNumber(masked)).toBe(masked);
      }),
      { numRuns: 1_000 },
    );
  });

  it('property: never throws and never returns the input digits whole', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const masked = maskPhoneNumber(text);
        expect(masked).toContain(MASK);
        const digits = text.replace(/\D/g, '');
        if (digits.length >= 4) expect(masked.replace(/\D/g, '')).not.toBe(digits);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('maskVerificationResult', () => {
  const attempt: AttemptRecord = {
    index: 0,
    target: { input: '(425) 555-0100 x,,12', e164: '+14255550100', extension: ',,12', country: 'US' },
    callerId: '+14255550000',
    callId: 'CA1',
    result: 'approved',
    sitKind: null,
    sipCode: null,
    q850Cause: null,
    providerCode: null,
    rule: null,
    answeredBy: null,
    timedOut: null,
    times: { dialedAt: 0, ringingAt: 1, answeredAt: 2, greetingEndedAt: 3, endedAt: 4 },
    keysPressed: 1,
    invalidEntries: 0,
  };

  it('masks the target as given and as dialled, and keeps everything else', () => {
    expect(maskAttemptRecord(attempt)).toEqual({
      ...attempt,
      target: { input: '+1 425 ••• 0100', e164: '+1 425 ••• 0100', extension: ',,12', country: 'US' },
    });
    expect(attempt.target.e164).toBe('+14255550100');
  });

  it('masks every attempt of a result', () => {
    const result: VerificationResult = {
      status: 'approved',
      reason: 'pound-key',
      attempts: [{ ...attempt, target: { ...attempt.target, e164: null } }, attempt],
      ignoredEvents: { stale: 0, duplicate: 0, outOfOrder: 0, unexpected: 0 },
      startedAt: 0,
      endedAt: 4,
    };
    const masked = maskVerificationResult(result);
    expect(masked.attempts.map((a) => a.target.e164)).toEqual([null, '+1 425 ••• 0100']);
    expect(JSON.stringify(masked)).not.toMatch(/555.?0100/);
  });
});
