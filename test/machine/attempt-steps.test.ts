/**
 * Steps 1–3 of "One attempt, step by step" in SPEC.md: the number check, the
 * dial with its caller ID, and what happens once the call is answered.
 */

import { describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { checkE164Number, type NumberCheckInput, type NumberCheckResult } from '../../src/machine/checks.js';
import { createNumberCheck } from '../../src/phone/createNumberCheck.js';
import { createVerificationActor } from '../../src/runtime/createVerificationActor.js';
import { startHarness } from '../support/harness.js';
import { BACKUP, COMPLETED, dialled, isFinished, PRIMARY, THIRD } from './helpers.js';

const accept = (e164: string, extension: string | null = null, country: string | null = null): NumberCheckResult => ({
  ok: true,
  e164,
  extension,
  country,
});

describe('SPEC step 1: check the number before dialling', () => {
  it('SPEC rule: "An unparseable or invalid number ends the attempt as `invalid-number` without dialling." → roll over', async () => {
    const h = await startHarness({ targets: ['call me maybe', BACKUP] });

    expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({
      result: 'invalid-number',
      callId: null,
      target: { input: 'call me maybe', e164: null },
    });
    expect(dialled(h)).toEqual([BACKUP]);
    expect(h.last('dial').attempt).toBe(1);
  });

  it('SPEC rule: "normalise to E.164" → the machine\'s own check takes `+` and 6 to 15 digits, nothing longer or shorter', () => {
    const check = (target: string) => checkE164Number({ index: 0, target, defaultCountry: null });
    expect(check('+123456789012345')).toMatchObject({ ok: true, e164: '+123456789012345' });
    expect(check('+123456')).toMatchObject({ ok: true });
    expect(check('+1234567890123456')).toEqual({ ok: false, result: 'invalid-number', rule: 'NOT_E164' });
    expect(check('+12345')).toEqual({ ok: false, result: 'invalid-number', rule: 'NOT_E164' });
  });

  it('SPEC rule: "A number that the policy refuses … ends it as `blocked-number` without dialling." → roll over', async () => {
    const checkNumber = vi.fn(
      (input: NumberCheckInput): NumberCheckResult =>
        input.index === 0 ? { ok: false, result: 'blocked-number', rule: 'premium-rate' } : accept(BACKUP),
    );
    const h = await startHarness({ targets: ['+19005550100', BACKUP] }, { checkNumber });

    expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'blocked-number', rule: 'premium-rate' });
    expect(dialled(h)).toEqual([BACKUP]);
    expect(checkNumber).toHaveBeenCalledTimes(2);
  });

  it('SPEC rule: "Either way: roll over." → only refused numbers: unreachable without a single dial', async () => {
    const h = await startHarness(
      { targets: ['+19005550100', 'not a number'] },
      {
        checkNumber: (input) =>
          input.index === 0
            ? { ok: false, result: 'blocked-number', rule: 'premium-rate' }
            : { ok: false, result: 'invalid-number', rule: 'NOT_A_NUMBER' },
      },
    );

    expect(h.output().status).toBe('unreachable');
    expect(h.output().attempts.map((a) => a.result)).toEqual(['blocked-number', 'invalid-number']);
    expect(h.sent('dial')).toEqual([]);
  });

  it("SPEC rule: the number check gets the request's default country and the target as given", async () => {
    const checkNumber = vi.fn((): NumberCheckResult => accept(PRIMARY));
    await startHarness({ targets: ['(425) 555-0100'], defaultCountry: 'us' }, { checkNumber });

    expect(checkNumber).toHaveBeenCalledWith({ index: 0, target: '(425) 555-0100', defaultCountry: 'US' });
  });

  it('SPEC rule: "normalise to E.164" → the call is dialled to the checked E.164 form', async () => {
    const h = await startHarness({ targets: ['(425) 555-0100'] }, { checkNumber: () => accept(PRIMARY, null, 'US') });

    expect(h.last('dial')).toMatchObject({ to: PRIMARY, attempt: 0 });
    expect(h.actor.getSnapshot().context.attempts[0]?.target).toEqual({
      input: '(425) 555-0100',
      e164: PRIMARY,
      extension: null,
      country: 'US',
    });
  });

  it('SPEC rule: a number check that throws fails the attempt (no dial) and rolls over', async () => {
    const h = await startHarness(
      { targets: [PRIMARY, BACKUP] },
      {
        checkNumber: (input) => {
          if (input.index === 0) throw new Error('policy store unavailable');
          return accept(BACKUP);
        },
      },
    );

    expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'failed', rule: 'NUMBER_CHECK_ERROR' });
    expect(dialled(h)).toEqual([BACKUP]);
  });
});

describe("a number check's answer is taken only when it keeps the check's contract", () => {
  const malformed: [string, unknown][] = [
    ['nothing', undefined],
    ['null', null],
    ['not an object', 'yes'],
    ['ok that is not true or false', { ok: 'true', e164: BACKUP, extension: null, country: null }],
    ['an acceptance without a number', { ok: true }],
    ['a number that is not a string', { ok: true, e164: 14255550199, extension: null, country: null }],
    ['a number that is not E.164', { ok: true, e164: 'not a number', extension: null, country: null }],
    ['a number with spaces', { ok: true, e164: '+1 425 555 0199', extension: null, country: null }],
    ['a number with a leading zero', { ok: true, e164: '+04255550199', extension: null, country: null }],
    ['an extension that cannot be keyed', { ok: true, e164: BACKUP, extension: 'abc', country: null }],
    ['a country that is no ISO code', { ok: true, e164: BACKUP, extension: null, country: 42 }],
    ['a caller ID that is not E.164', { ok: true, e164: BACKUP, extension: null, country: null, callerId: 'hi' }],
    ['a refusal with a result the check may not give', { ok: false, result: 'approved', rule: 'x' }],
    ['a refusal with an unknown result', { ok: false, result: 'weird', rule: 'x' }],
    ['a refusal whose rule is not text', { ok: false, result: 'blocked-number', rule: 1 }],
  ];

  it.each(malformed)(
    'an answer with %s fails the attempt as malformed, dials nothing for it, and rolls over',
    async (_name, answer) => {
      for (const later of [false, true]) {
        const checkNumber = (input: NumberCheckInput) => {
          const result = input.index === 0 ? (answer as NumberCheckResult) : accept(BACKUP);
          return later ? Promise.resolve(result) : result;
        };
        const h = await startHarness({ targets: [PRIMARY, BACKUP] }, { checkNumber });

        expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({
          result: 'failed',
          rule: 'MALFORMED_CHECK_RESULT',
          callId: null,
          target: { e164: null, extension: null },
          callerId: null,
        });
        expect(h.sent('dial').map((dial) => dial.to)).toEqual([BACKUP]);
      }
    },
  );

  it('a well-formed answer is taken: extension and country may be left out, an extension may hold pauses', async () => {
    const answers: unknown[] = [
      { ok: true, e164: PRIMARY },
      { ok: false, result: 'blocked-number', rule: 'premium-rate' },
      { ok: true, e164: THIRD, extension: ',,12#', country: 'GB', callerId: '+442079460999' },
    ];
    const h = await startHarness(
      { targets: [PRIMARY, BACKUP, THIRD] },
      { checkNumber: (input) => answers[input.index] as NumberCheckResult },
    );
    expect(h.last('dial')).toMatchObject({ to: PRIMARY, extension: null, callerId: null });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'busy' });
    expect(h.actor.getSnapshot().context.attempts[1]).toMatchObject({ result: 'blocked-number', rule: 'premium-rate' });
    expect(h.last('dial')).toMatchObject({ to: THIRD, extension: ',,12#', callerId: '+442079460999' });
  });

  it('an answer is read as a host would mean it: an empty extension or caller ID is none, a country in any case, a refusal without a result an invalid number', async () => {
    const answers: unknown[] = [
      { ok: false, rule: 'not-ours' },
      { ok: true, e164: BACKUP, extension: '', country: 'us', callerId: '' },
    ];
    const h = await startHarness(
      { targets: [PRIMARY, BACKUP], callerId: { byCountry: { US: '+14255550000' } } },
      { checkNumber: (input) => answers[input.index] as NumberCheckResult },
    );
    expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'invalid-number', rule: 'not-ours' });
    expect(h.last('dial')).toMatchObject({ to: BACKUP, extension: null, callerId: '+14255550000' });
    expect(h.actor.getSnapshot().context.attempts[1]?.target).toMatchObject({ extension: null, country: 'US' });
  });

  it("a number longer than E.164's 15 digits that a numbering plan assigns, as the library's own check answers it, is dialled", async () => {
    const longGerman = '+4980000000000000';
    const checkNumber = createNumberCheck();
    expect(checkNumber({ index: 0, target: longGerman, defaultCountry: null })).toMatchObject({ ok: true });
    const h = await startHarness({ targets: [longGerman] }, { checkNumber });
    expect(h.last('dial').to).toBe(longGerman);
  });
});

describe('a number check that answers at once or later', () => {
  it('one that answers at once decides in the same step: the dial goes out at start, with no invoked check', () => {
    const checkNumber = vi.fn((): NumberCheckResult => accept(PRIMARY));
    const actor = createVerificationActor({ targets: [PRIMARY] }, { checkNumber, clock: new SimulatedClock() });
    const commands: string[] = [];
    actor.on('*', (command) => commands.push(command.type));
    actor.start();

    expect(commands).toEqual(['dial']);
    expect(actor.getSnapshot().children).toEqual({});
    expect(checkNumber).toHaveBeenCalledTimes(1);
    actor.stop();
  });

  it('one that answers later is asked once per attempt and awaited', async () => {
    const checkNumber = vi.fn(
      async (input: NumberCheckInput): Promise<NumberCheckResult> =>
        input.index === 0 ? { ok: false, result: 'blocked-number', rule: 'premium-rate' } : accept(BACKUP),
    );
    const actor = createVerificationActor({ targets: [PRIMARY, BACKUP] }, { checkNumber, clock: new SimulatedClock() });
    const dials: unknown[] = [];
    actor.on('dial', (command) => dials.push(command.to));
    actor.start();
    expect(dials).toEqual([]);

    await vi.waitFor(() => expect(dials).toEqual([BACKUP]));
    expect(checkNumber).toHaveBeenCalledTimes(2);
    expect(actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'blocked-number', rule: 'premium-rate' });
    actor.stop();
  });

  it('one that rejects later fails the attempt as one that throws does, and rolls over', async () => {
    const h = await startHarness(
      { targets: [PRIMARY, BACKUP] },
      {
        checkNumber: async (input) => {
          if (input.index === 0) throw new Error('policy store unavailable');
          return accept(BACKUP);
        },
      },
    );

    expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'failed', rule: 'NUMBER_CHECK_ERROR' });
    expect(dialled(h)).toEqual([BACKUP]);
  });
});

describe('SPEC step 2: dial with the configured caller ID', () => {
  it('SPEC rule: "Dial with the configured caller ID"', async () => {
    const h = await startHarness({ targets: [PRIMARY], callerId: '+14255550000' });

    expect(h.last('dial').callerId).toBe('+14255550000');
  });

  it('SPEC rule: "(optionally one per destination country)" → the country\'s caller ID, else the default', async () => {
    const countries: Record<string, string> = { [PRIMARY]: 'US', [THIRD]: 'GB' };
    const h = await startHarness(
      {
        targets: [THIRD, PRIMARY],
        callerId: { default: '+14255550000', byCountry: { GB: '+442079460999' } },
      },
      { checkNumber: ({ target }) => accept(String(target), null, countries[String(target)] ?? null) },
    );
    expect(h.last('dial')).toMatchObject({ to: THIRD, callerId: '+442079460999' });

    await h.dialed('CA1');
    await h.ended('CA1', { status: 'busy' });
    expect(h.last('dial')).toMatchObject({ to: PRIMARY, callerId: '+14255550000' });
  });

  it("SPEC rule: a caller ID set in the request wins over the one the number check's dialling policy chose; without one, the policy's is used", async () => {
    const checkNumber = ({ target }: NumberCheckInput): NumberCheckResult => ({
      ok: true,
      e164: String(target),
      extension: null,
      country: null,
      callerId: '+14255550111',
    });
    const withRequestCallerId = await startHarness({ targets: [PRIMARY], callerId: '+14255550000' }, { checkNumber });
    expect(withRequestCallerId.last('dial').callerId).toBe('+14255550000');

    const withoutRequestCallerId = await startHarness({ targets: [PRIMARY] }, { checkNumber });
    expect(withoutRequestCallerId.last('dial').callerId).toBe('+14255550111');
  });

  it("SPEC rule: no caller ID configured → the provider's default (null)", async () => {
    const h = await startHarness({ targets: [PRIMARY] });

    expect(h.last('dial').callerId).toBeNull();
  });
});

describe('SPEC step 3: answered', () => {
  it('SPEC rule: "If the target has an extension, its digits are sent first (comma = one second of pause). Then the greeting plays."', async () => {
    const h = await startHarness({ targets: [{ number: PRIMARY, extension: ',,1234' }] });
    expect(h.last('dial')).toMatchObject({ to: PRIMARY, extension: ',,1234' });
    await h.answer('CA1');

    expect(h.commands.map((c) => c.type)).toEqual(['dial', 'sendDigits']);
    expect(h.last('sendDigits')).toEqual({ type: 'sendDigits', callId: 'CA1', digits: ',,1234' });

    await h.send({ type: 'call.digitsSent', callId: 'CA1' });
    expect(h.commands.map((c) => c.type)).toEqual(['dial', 'sendDigits', 'playPrompt']);
    expect(h.last('playPrompt').kind).toBe('greeting');
  });

  it('SPEC rule: "If the target has an extension" → the extension the number check found (x1234) is sent', async () => {
    const h = await startHarness(
      { targets: ['+1 425 555 0100 x1234'] },
      { checkNumber: () => accept(PRIMARY, '1234', 'US') },
    );
    await h.answer('CA1');

    expect(h.last('sendDigits').digits).toBe('1234');
  });

  it('SPEC rule: without an extension the greeting plays at once', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await h.answer('CA1');

    expect(h.commands.map((c) => c.type)).toEqual(['dial', 'playPrompt']);
    expect(h.last('playPrompt')).toMatchObject({ callId: 'CA1', kind: 'greeting', promptSeq: 1 });
  });

  it('SPEC rule: a hang-up while the extension digits are sent is not a denial (nobody heard the greeting): roll over', async () => {
    const h = await startHarness({ targets: [{ number: PRIMARY, extension: '1234' }, BACKUP] });
    await h.answer('CA1');
    await h.ended('CA1', COMPLETED);

    expect(isFinished(h)).toBe(false);
    expect(h.actor.getSnapshot().context.attempts[0]?.result).toBe('failed');
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  it('SPEC rule: "the greeting plays" → the greeting asks for # and names the fraud code', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await h.answer('CA1');

    const text = h
      .last('playPrompt')
      .segments.map((s) => ('say' in s ? s.say : s.play))
      .join(' ');
    expect(text).toMatch(/press the pound key to finish your verification/i);
    expect(text).toMatch(/press zero pound to report fraud/i);
  });
});
