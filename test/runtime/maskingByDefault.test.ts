/**
 * runVerification masks the callee's numbers by default, in the result and
 * in everything onEvent receives: commands, provider events (extra fields
 * included), attempts, failed commands and their messages, abuse-limit
 * failures. maskNumbers: false opts out. The provider itself always gets the
 * real number.
 */
import fc from 'fast-check';
import { parsePhoneNumber } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import {
  type AbuseLimitStore,
  createAbuseGuard,
  MemoryAbuseLimitStore,
  type ProviderCommand,
  runVerification,
  type SessionContext,
  SimulatedCarrier,
  type VerificationObservation,
  VirtualClock,
  type VoiceProvider,
} from '../../src/index.js';
import { createNumberCheck } from '../../src/phone/createNumberCheck.js';
import { SIMULATED_CAPABILITIES } from '../../src/providers/simulated/simulatedCarrier.js';
import { nationalNumbers, TYPE_PLANS } from '../phone/numberingPlans.js';

/**
 * A provider that leaks the number it dials everywhere it can: the first dial
 * fails with the number in the error message (in two formats), later calls
 * carry it in the call id, the provider code and an extra event field, and
 * end busy.
 */
function createLeakyProvider() {
  const dialled: string[] = [];
  let context: SessionContext | null = null;
  const provider: VoiceProvider = {
    name: 'leaky',
    capabilities: SIMULATED_CAPABILITIES,
    openSession(ctx) {
      context = ctx;
      return {
        execute(command: ProviderCommand) {
          if (command.type !== 'dial') return;
          dialled.push(command.to);
          const national = parsePhoneNumber(command.to).formatNational();
          if (command.attempt === 0) {
            return Promise.reject(
              Object.assign(new Error(`The 'To' number ${command.to} (${national}) is not reachable`), { code: 21214 }),
            );
          }
          const callId = `CA-${command.to.slice(1)}`;
          queueMicrotask(() => {
            context?.emit({ type: 'call.dialed', attempt: command.attempt, callId, to: command.to } as never);
            context?.emit({
              type: 'call.ended',
              callId,
              ending: { status: 'busy', providerCode: command.to },
            } as never);
          });
        },
        close() {},
      };
    },
  };
  return { provider, dialled };
}

/** A store whose writes fail with the key, and so the number, in the message. */
class LeakyStore extends MemoryAbuseLimitStore {
  override async addEvent(
    key: string,
    ...rest: Parameters<AbuseLimitStore['addEvent']> extends [string, ...infer R] ? R : never
  ) {
    if (key.startsWith('number-calls:')) throw new Error(`write to ${key} failed`);
    return super.addEvent(key, ...rest);
  }
}

async function run(targets: string[], options: { maskNumbers?: boolean; defaultCountry?: string } = {}) {
  const clock = new VirtualClock();
  const leaky = createLeakyProvider();
  const observations: VerificationObservation[] = [];
  const result = await runVerification(
    { targets, ...(options.defaultCountry === undefined ? {} : { defaultCountry: options.defaultCountry }) },
    {
      provider: leaky.provider,
      clock,
      abuseGuard: createAbuseGuard({ store: new LeakyStore(), now: () => clock.now(), limits: { perNumber: [] } }),
      userId: 'alice',
      onEvent: (observation) => observations.push(observation),
      ...(options.maskNumbers === undefined ? {} : { maskNumbers: options.maskNumbers }),
    },
  );
  return { result, observations, dialled: leaky.dialled, json: JSON.stringify({ result, observations }) };
}

/** Ways a full number can be written: E.164, its digits, and its national significant number. */
function fullForms(e164: string): string[] {
  const parsed = parsePhoneNumber(e164);
  return [e164, e164.slice(1), parsed.nationalNumber];
}

const defaultCheck = createNumberCheck();

/** Numbers the default policy dials, of any type and country libphonenumber-js knows. */
const dialledNumbers = fc
  .constantFrom(...TYPE_PLANS.filter((plan) => plan.country !== null))
  .chain((plan) => nationalNumbers(plan).map((nationalNumber) => `+${plan.callingCode}${nationalNumber}`))
  .filter((e164) => {
    const verdict = defaultCheck({ index: 0, target: e164, defaultCountry: null });
    return verdict.ok && verdict.e164 === e164;
  });

describe('runVerification masks the numbers it calls by default', () => {
  const PRIMARY = '+14255550100';
  const BACKUP = '+442079460000';

  it('leaves no full number in the result or in any observation', async () => {
    const { result, observations, dialled, json } = await run([PRIMARY, BACKUP]);
    // Everything leaked where this provider could leak it…
    expect(observations.map((o) => o.type)).toEqual(
      expect.arrayContaining(['command', 'command.failed', 'provider.event', 'attempt.ended', 'abuse.recordFailed']),
    );
    // …and the provider was given the real numbers.
    expect(dialled).toEqual([PRIMARY, BACKUP]);
    for (const number of [PRIMARY, BACKUP]) {
      for (const form of fullForms(number)) expect(json).not.toContain(form);
    }
    expect(result.attempts.map((a) => a.target.e164)).toEqual(['+1 425 ••• 0100', '+44 20 ••• 0000']);
    const failed = observations.find((o) => o.type === 'command.failed');
    expect(failed).toMatchObject({ message: "The 'To' number +1 425 ••• 0100 (+1 425 ••• 0100) is not reachable" });
  });

  it('masks numbers as the host typed them too', async () => {
    const { json } = await run(['(425) 555-0100', 'tel:+44-20-7946-0000'], { defaultCountry: 'US' });
    for (const form of [...fullForms(PRIMARY), ...fullForms(BACKUP), '555-0100', '7946-0000']) {
      expect(json).not.toContain(form);
    }
  });

  it('maskNumbers: false gives the full numbers, for hosts that keep them', async () => {
    const { result, observations } = await run([PRIMARY, BACKUP], { maskNumbers: false });
    expect(result.attempts.map((a) => a.target.e164)).toEqual([PRIMARY, BACKUP]);
    expect(observations).toContainEqual(
      expect.objectContaining({ type: 'command', command: expect.objectContaining({ to: PRIMARY }) }),
    );
  });

  it('keeps the caller ID, the host’s own number', async () => {
    const clock = new VirtualClock();
    const carrier = new SimulatedCarrier({
      clock,
      numbers: { [PRIMARY]: { kind: 'answers', responses: [{ press: '#' }] } },
    });
    const observations: VerificationObservation[] = [];
    const result = await runVerification(
      { targets: [PRIMARY], callerId: '+14255559999' },
      { provider: carrier, clock, onEvent: (o) => observations.push(o) },
    );
    expect(result.attempts[0]).toMatchObject({ callerId: '+14255559999', target: { e164: '+1 425 ••• 0100' } });
    expect(JSON.stringify(observations)).not.toContain(PRIMARY);
  });

  it('property: for any callee numbers, no full number appears in the result or the observations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(dialledNumbers, { minLength: 2, maxLength: 2 }), async (numbers) => {
        const { json, dialled } = await run(numbers);
        expect(dialled).toEqual(numbers);
        for (const number of numbers) {
          for (const form of fullForms(number).filter((f) => f.length >= 7)) expect(json).not.toContain(form);
        }
      }),
      { numRuns: 60 },
    );
  });
});
