/**
 * Every refusal reaches the caller as a typed error with a code, or as a
 * number-check result naming the rule; nothing is thrown as a bare string or
 * an `Error` without a code, and no message carries a number in full.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VoiceMfaError } from '../../src/errors.js';
import { createAbuseGuard } from '../../src/phone/abuseGuard.js';
import { resolveCallerId } from '../../src/phone/callerId.js';
import { createNumberCheck } from '../../src/phone/createNumberCheck.js';
import { type DialingRule, resolveDialingPolicy, toDialingRule } from '../../src/phone/dialingPolicy.js';
import {
  type AbuseRule,
  INVALID_PHONE_NUMBER_REASONS,
  InvalidPhoneConfigurationError,
  InvalidPhoneNumberError,
  VerificationRefusedError,
} from '../../src/phone/errors.js';
import { MemoryAbuseLimitStore } from '../../src/phone/memoryAbuseLimitStore.js';
import { PHONE_NUMBER_TYPES, parsePhoneTarget } from '../../src/phone/parsePhoneTarget.js';

const DIALING_RULES: readonly DialingRule[] = [
  ...PHONE_NUMBER_TYPES.map(toDialingRule),
  'non-geographic',
  'country-blocked',
  'country-not-allowed',
  'high-risk-destination',
];
const ABUSE_RULES: readonly AbuseRule[] = [
  'user-rate-limit',
  'number-rate-limit',
  'number-cooldown',
  'user-denial-lockout',
  'user-fraud-lockout',
  'number-fraud-lockout',
];

/** Text people might type as a phone number, and text they should not. */
const phoneLike = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.stringMatching(/^(?:\+|00|\(|tel:)?[0-9 ().x,#*-]{0,24}(?:ext\.? ?[0-9]{0,5})?$/),
);

/** A message shows at most a masked number: never five digits in a row. */
const expectNoFullNumber = (message: string) => expect(message).not.toMatch(/\d{5,}/);

describe('every refusal is typed', () => {
  it('parsePhoneTarget throws only InvalidPhoneNumberError, with a known reason and a masked message', () => {
    fc.assert(
      fc.property(phoneLike, fc.constantFrom(null, 'US', 'GB', 'XX'), (text, defaultCountry) => {
        try {
          parsePhoneTarget(text, { defaultCountry });
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidPhoneNumberError);
          const typed = error as InvalidPhoneNumberError;
          expect(typed.code).toBe('INVALID_PHONE_NUMBER');
          expect(INVALID_PHONE_NUMBER_REASONS).toContain(typed.reason);
          expect(typed.message).toContain(`(${typed.reason})`);
          expectNoFullNumber(typed.message);
        }
      }),
      { numRuns: 1_500 },
    );
  });

  it('the number check never throws and names the reason or the rule of every refusal', () => {
    const check = createNumberCheck({ blockedCountries: ['CU'], allowedCountries: ['US', 'GB', 'CU', 'FR'] });
    const preset = createNumberCheck({ refuseHighRiskDestinations: true });
    fc.assert(
      fc.property(phoneLike, fc.constantFrom(null, 'US', 'GB'), (text, defaultCountry) => {
        for (const verdict of [check, preset].map((judge) => judge({ index: 0, target: text, defaultCountry }))) {
          if (verdict.ok) continue;
          if (verdict.result === 'invalid-number') expect(INVALID_PHONE_NUMBER_REASONS).toContain(verdict.rule);
          else expect(DIALING_RULES).toContain(verdict.rule);
        }
      }),
      { numRuns: 1_500 },
    );
  });

  it('the abuse guard refuses with VerificationRefusedError: a known rule and a positive wait', async () => {
    let time = 0;
    const guard = createAbuseGuard({
      store: new MemoryAbuseLimitStore(),
      limits: {
        perUser: [{ max: 2, windowMs: 60_000 }],
        perNumber: [{ max: 3, windowMs: 600_000, window: 'fixed' }],
        numberCooldownMs: 5_000,
        denialLockout: { maxDenials: 2, windowMs: 600_000, lockMs: 60_000 },
        fraudLockoutMs: 120_000,
      },
      now: () => time,
    });
    const users = ['alice', 'bob', 'carol'];
    const numbers = ['+14255550100', '+442079460000', '+33123456789'];
    const rules = new Set<AbuseRule>();
    type Step = { wait: number; user: string; number: string; status: 'approved' | 'denied' | 'fraud' | 'unreachable' };
    // Walks that reach each rule, run before the random ones so that every rule is
    // checked on every run. Each starts long after the last, when every window is clear.
    const clear = 1_000_000;
    const [n0, n1, n2] = numbers as [string, string, string];
    const step = (wait: number, user: string, number: string, status: Step['status'] = 'approved'): Step => ({
      wait,
      user,
      number,
      status,
    });
    const reachEveryRule: [Step[]][] = [
      // The third in a minute: user-rate-limit.
      [[step(clear, 'alice', n0), step(10_000, 'alice', n1), step(10_000, 'alice', n2)]],
      // Again within five seconds: number-cooldown; then the fourth in ten minutes: number-rate-limit.
      [
        [
          step(clear, 'alice', n0),
          step(1_000, 'bob', n0),
          step(6_000, 'bob', n0),
          step(6_000, 'carol', n0),
          step(6_000, 'alice', n0),
        ],
      ],
      // Two denials in ten minutes: user-denial-lockout.
      [[step(clear, 'bob', n1, 'denied'), step(40_000, 'bob', n2, 'denied'), step(40_000, 'bob', n0)]],
      // A fraud report: user-fraud-lockout for its user, number-fraud-lockout for its number.
      [[step(clear, 'carol', n1, 'fraud'), step(6_000, 'carol', n2), step(0, 'alice', n1)]],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record<Step>({
            // Half the waits fall within the number's cool-down, so the walks reach it too.
            wait: fc.oneof(fc.integer({ min: 0, max: 4_999 }), fc.integer({ min: 0, max: 30_000 })),
            user: fc.constantFrom(...users),
            number: fc.constantFrom(...numbers),
            status: fc.constantFrom<Step['status']>('approved', 'denied', 'fraud', 'unreachable'),
          }),
          { maxLength: 30 },
        ),
        async (steps) => {
          for (const step of steps) {
            time += step.wait;
            try {
              await guard.check({ userId: step.user, numbers: [step.number] });
            } catch (error) {
              expect(error).toBeInstanceOf(VerificationRefusedError);
              const refused = error as VerificationRefusedError;
              expect(refused.code).toBe('VERIFICATION_REFUSED');
              expect(ABUSE_RULES).toContain(refused.rule);
              expect(refused.retryAfterMs).toBeGreaterThan(0);
              expect(Number.isFinite(refused.retryAfterMs)).toBe(true);
              expectNoFullNumber(refused.message);
              rules.add(refused.rule);
              continue;
            }
            const result = step.status === 'fraud' ? 'fraud' : step.status === 'denied' ? 'hung-up' : 'approved';
            await guard.record(
              { status: step.status, attempts: [{ result, target: { e164: step.number } }] },
              { userId: step.user },
            );
          }
        },
      ),
      { numRuns: reachEveryRule.length + 100, examples: reachEveryRule },
    );
    // The walks reached every rule.
    expect([...rules].sort()).toEqual([...ABUSE_RULES].sort());
  });

  it('configuration mistakes throw InvalidPhoneConfigurationError with every issue', () => {
    const mistakes: (() => unknown)[] = [
      () => resolveDialingPolicy({ allowedCountries: ['XX'] }),
      () => resolveDialingPolicy({ refusedTypes: 'PREMIUM_RATE' as never }),
      () => resolveCallerId({ default: 'nope' }),
      () => createAbuseGuard({ limits: { perUser: [{ max: -1, windowMs: 1 }] } }),
      () => createAbuseGuard({ pruneIntervalMs: -1 }),
      () => new MemoryAbuseLimitStore({ maxKeys: 0 }),
    ];
    for (const mistake of mistakes) {
      expect(mistake).toThrow(InvalidPhoneConfigurationError);
      try {
        mistake();
      } catch (error) {
        expect((error as InvalidPhoneConfigurationError).code).toBe('INVALID_CONFIGURATION');
        expect((error as InvalidPhoneConfigurationError).issues.length).toBeGreaterThan(0);
      }
    }
  });

  it('the phone sources throw only typed errors', () => {
    const folder = join(import.meta.dirname, '../../src/phone');
    const typed = new Set([
      'InvalidPhoneNumberError',
      'VerificationRefusedError',
      'InvalidPhoneConfigurationError',
      'InvalidRequestError',
    ]);
    for (const file of readdirSync(folder).filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(join(folder, file), 'utf8');
      for (const [, thrown] of source.matchAll(/\bthrow\s+([^;]+);/g)) {
        const constructed = /^new (\w+)\(/.exec(thrown ?? '')?.[1];
        // Re-throwing what a caught call threw, or a typed error made by a helper (`refuse…`, `fail(…)`).
        const rethrow = thrown === 'error' || /^(?:refuse\w*|fail)\(/.test(thrown ?? '');
        expect(rethrow || (constructed !== undefined && typed.has(constructed)), `${file}: throw ${thrown}`).toBe(true);
      }
    }
    expect(new InvalidPhoneNumberError('INVALID', '•••', 'x', null)).toBeInstanceOf(VoiceMfaError);
    expect(
      new VerificationRefusedError('number-cooldown', { retryAfterMs: 1, subject: 'number', explanation: 'x' }),
    ).toBeInstanceOf(VoiceMfaError);
    expect(new InvalidPhoneConfigurationError([])).toBeInstanceOf(VoiceMfaError);
  });
});
