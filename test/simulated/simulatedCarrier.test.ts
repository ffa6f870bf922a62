import { describe, expect, it } from 'vitest';
import {
  type CalleeScript,
  type FaultPlan,
  InvalidSimulationError,
  runVerification,
  SimulatedCarrier,
  type SimulatedCarrierOptions,
  type VerificationRequest,
  VirtualClock,
  VoiceMfaError,
} from '../../src/index.js';
import { estimateDigitsDurationMs, estimatePlayDurationMs } from '../../src/providers/simulated/speech.js';

const A = '+14255550100';
const B = '+14255550101';

async function play(
  numbers: Record<string, CalleeScript>,
  request: Partial<VerificationRequest> = {},
  options: Omit<SimulatedCarrierOptions, 'clock' | 'numbers'> & { pin?: string } = {},
) {
  const clock = new VirtualClock();
  const { pin, ...carrierOptions } = options;
  const carrier = new SimulatedCarrier({ clock, numbers, ...carrierOptions });
  const result = await runVerification(
    { targets: Object.keys(numbers), ...request },
    { provider: carrier, clock, ...(pin === undefined ? {} : { verifyPin: (entry: string) => entry === pin }) },
  );
  return { result, carrier, clock };
}

/** The error a carrier with these options is refused with. */
function refusal(numbers: Record<string, CalleeScript>, options: Partial<SimulatedCarrierOptions> = {}) {
  try {
    new SimulatedCarrier({ clock: new VirtualClock(), numbers, ...options });
  } catch (error) {
    if (error instanceof InvalidSimulationError) return error;
    throw error;
  }
  throw new Error('the carrier accepted the options');
}

describe('simulated carrier: call progress', () => {
  it.each([
    [{ kind: 'busy' } as const, 'busy', 486],
    [{ kind: 'invalid-number' } as const, 'invalid-number', 404],
    [{ kind: 'carrier-failure', sipCode: 503 } as const, 'failed', 503],
    [{ kind: 'declines' } as const, 'no-answer', 603],
  ])('%o ends the attempt as %s (SIP %i)', async (script, expected, sipCode) => {
    const { result } = await play({ [A]: script });
    expect(result.attempts[0]?.result).toBe(expected);
    expect(result.attempts[0]?.sipCode).toBe(sipCode);
  });

  it.each(['vacant-code', 'intercept', 'no-circuit', 'reorder', 'unknown'] as const)(
    'tri-tones of kind %s are reported with their kind',
    async (sitKind) => {
      const { result } = await play({ [A]: { kind: 'sit', sitKind } });
      expect(result.attempts[0]).toMatchObject({ result: 'sit', sitKind });
    },
  );

  it.each([
    ['intercept', { result: 'sit', sitKind: 'intercept', sipCode: 410, q850Cause: 22 }],
    ['vacant-code', { result: 'invalid-number', sitKind: null, sipCode: 404, q850Cause: 1 }],
    ['no-circuit', { result: 'failed', sitKind: null, sipCode: 503, q850Cause: 34 }],
    ['reorder', { result: 'failed', sitKind: null, sipCode: 503, q850Cause: 42 }],
    ['unknown', { result: 'failed', sitKind: null, sipCode: 500, q850Cause: 41 }],
  ] as const)(
    'a carrier with no SIT signal ends tri-tones of kind %s as a failed call with their SIP code, as Twilio does',
    async (sitKind, expected) => {
      const clock = new VirtualClock();
      const carrier = new SimulatedCarrier({
        clock,
        numbers: { [A]: { kind: 'sit', sitKind } },
        capabilities: { reportsSitKinds: false },
      });
      const endings: unknown[] = [];
      const result = await runVerification(
        { targets: [A] },
        {
          provider: carrier,
          clock,
          onEvent: (o) => {
            if (o.type === 'provider.event' && o.event.type === 'call.ended') endings.push(o.event.ending);
          },
        },
      );
      expect(endings).toEqual([{ status: 'failed', sipCode: expected.sipCode, q850Cause: expected.q850Cause }]);
      expect(result.attempts[0]).toMatchObject(expected);
    },
  );

  it('an API error on dialling is a failed attempt with the provider code, and no call exists', async () => {
    const { result, carrier } = await play({ [A]: { kind: 'api-error', providerCode: '21217' } });
    expect(result.attempts[0]).toMatchObject({ result: 'failed', providerCode: '21217', callId: null });
    expect(carrier.calls[0]?.callId).toBeNull();
  });

  it('no answer: the ring timer cancels the call ringTimeoutMs after the first ring', async () => {
    const { result, carrier } = await play({ [A]: { kind: 'no-answer' } }, { timing: { ringTimeoutMs: 20_000 } });
    // The first ring comes after the API latency and the post-dial delay (100 + 2 000 ms).
    expect(result.attempts[0]).toMatchObject({ result: 'no-answer', timedOut: 'ring' });
    expect(result.attempts[0]?.times).toMatchObject({ ringingAt: 2_100, endedAt: 22_100 });
    expect(carrier.calls[0]?.endedBy).toBe('hung-up-by-us');
  });

  it('no answer reported by the carrier (SIP 480) before our ring timer', async () => {
    const { result } = await play({ [A]: { kind: 'no-answer', carrierGivesUpAfterMs: 10_000 } });
    expect(result.attempts[0]).toMatchObject({ result: 'no-answer', sipCode: 480 });
  });
});

describe('simulated carrier: callees', () => {
  it('a greeting ends when its words would have been spoken, and the input timer starts then', async () => {
    const { result, carrier } = await play({ [A]: { kind: 'voicemail', answerAfterMs: 5_000 } });
    const attempt = result.attempts[0];
    expect(attempt?.result).toBe('no-response');
    const greetingMs = (attempt?.times.greetingEndedAt ?? 0) - (attempt?.times.answeredAt ?? 0);
    expect(greetingMs).toBeGreaterThan(5_000);
    expect(attempt?.times.endedAt).toBe((attempt?.times.greetingEndedAt ?? 0) + 10_000);
    expect(carrier.calls[0]?.promptsPlayed).toBe(1);
  });

  it('voicemail that hangs up at its recording limit looks like a hang-up without detection…', async () => {
    const { result } = await play({ [A]: { kind: 'voicemail', hangUpAfterMs: 12_000 }, [B]: { kind: 'busy' } });
    expect(result.status).toBe('denied');
    expect(result.attempts.map((a) => a.result)).toEqual(['hung-up']);
  });

  it('…and is recognised as voicemail when answering-machine detection is on', async () => {
    const { result } = await play(
      { [A]: { kind: 'voicemail', hangUpAfterMs: 12_000 }, [B]: { kind: 'answers', responses: [{ press: '#' }] } },
      { answeringMachineDetection: true },
    );
    expect(result.attempts.map((a) => [a.result, a.answeredBy])).toEqual([
      ['voicemail', 'machine'],
      ['approved', 'human'],
    ]);
  });

  it('responses follow the prompts in turn: wrong PIN to the greeting, right PIN to the re-prompt', async () => {
    const { result, carrier } = await play(
      { [A]: { kind: 'answers', responses: [{ press: '111111#' }, { press: '739164#' }] } },
      { mode: 'pin' },
      { pin: '739164' },
    );
    expect(result.status).toBe('approved');
    expect(result.attempts[0]?.invalidEntries).toBe(1);
    expect(carrier.calls[0]?.promptsPlayed).toBe(2);
    expect(carrier.calls[0]?.keysPressed).toBe(14);
  });

  it('a key during the greeting stops it (barge-in): no prompt end is reported', async () => {
    const clock = new VirtualClock();
    const carrier = new SimulatedCarrier({
      clock,
      numbers: { [A]: { kind: 'answers', responses: [{ press: '5', from: 'prompt-start', afterMs: 1_000 }] } },
    });
    const finishedPrompts: number[] = [];
    const result = await runVerification(
      { targets: [A] },
      {
        provider: carrier,
        clock,
        onEvent: (o) => {
          if (o.type === 'provider.event' && o.event.type === 'call.promptFinished')
            finishedPrompts.push(o.event.promptSeq);
        },
      },
    );
    // The greeting (prompt 1) never reports its end; the re-prompt (prompt 2) does.
    expect(finishedPrompts).toEqual([2]);
    // One key and then silence: an invalid entry, re-prompted, then no response.
    expect(result.attempts[0]?.invalidEntries).toBe(1);
    expect(result.attempts[0]?.result).toBe('no-response');
  });

  // The last key comes 600 ms after the "not valid" re-prompt started at 18 820 ms.
  it.each<[string, SimulatedCarrierOptions['capabilities'], string[]]>([
    ['the machine', {}, []],
    ['the provider', { enforcesInputTimeout: true, reportsPromptEnd: false }, ['call.inputTimeout 2 at 29420']],
  ])(
    'a key typed during a later prompt stops that prompt too (timer kept by %s)',
    async (_owner, capabilities, reportsOfReprompt) => {
      // "1#" is invalid; the "2" 600 ms later lands during the "not valid" re-prompt (prompt 2).
      const clock = new VirtualClock();
      const carrier = new SimulatedCarrier({
        clock,
        capabilities,
        numbers: { [A]: { kind: 'answers', responses: [{ press: '1#2', keyGapMs: 600 }] } },
      });
      const reports: string[] = [];
      const result = await runVerification(
        { targets: [A] },
        {
          provider: carrier,
          clock,
          onEvent: (o) => {
            if (o.type !== 'provider.event') return;
            if (o.event.type === 'call.promptFinished' || o.event.type === 'call.inputTimeout')
              reports.push(`${o.event.type} ${o.event.promptSeq} at ${o.at}`);
          },
        },
      );
      // The re-prompt never reports its end; the input timer runs from the last key.
      expect(reports.filter((r) => / 2 at /.test(r))).toEqual(reportsOfReprompt);
      expect(carrier.calls[0]?.keysPressed).toBe(3);
      expect(result.attempts[0]).toMatchObject({ result: 'no-response', invalidEntries: 2 });
      expect(result.attempts[0]?.times.endedAt).toBe(49_320);
    },
  );

  it('with a provider-enforced input timeout the results are the same as with the machine timer', async () => {
    const numbers: Record<string, CalleeScript> = {
      [A]: { kind: 'voicemail' },
      [B]: { kind: 'answers', responses: [{ press: '12' }, { press: '#', afterMs: 9_000 }] },
    };
    const machineTimed = await play(numbers);
    const providerTimed = await play(
      numbers,
      {},
      { capabilities: { enforcesInputTimeout: true, reportsPromptEnd: false } },
    );
    const summary = (r: typeof machineTimed.result) =>
      r.attempts.map((a) => [a.result, a.invalidEntries, a.keysPressed]);
    expect(summary(providerTimed.result)).toEqual(summary(machineTimed.result));
    expect(providerTimed.result.status).toBe(machineTimed.result.status);
  });

  it('an extension is sent before the greeting, taking one second per comma', async () => {
    const { result } = await play(
      { [A]: { kind: 'answers', responses: [{ press: '#' }] } },
      {
        targets: [{ number: A, extension: ',,1234' }],
      },
    );
    const attempt = result.attempts[0];
    expect(attempt?.target.extension).toBe(',,1234');
    expect(attempt?.result).toBe('approved');
    expect(estimateDigitsDurationMs(',,1234')).toBe(2_800);
  });
});

describe('simulated carrier: configuration and determinism', () => {
  it('refuses a script of unknown kind with a typed error', () => {
    expect(
      () => new SimulatedCarrier({ clock: new VirtualClock(), numbers: { [A]: { kind: 'ghost' } as never } }),
    ).toThrow(VoiceMfaError);
  });

  it('estimates speech at about 165 words a minute', () => {
    expect(estimatePlayDurationMs([{ say: 'one two three four five six seven eight nine ten' }])).toBe(3_900);
    expect(estimatePlayDurationMs([{ play: 'https://example.com/a.mp3' }])).toBe(4_300);
  });

  it('the same seed gives the same faults and the same result', async () => {
    const faults: FaultPlan = { duplicate: 0.5, delay: 0.5, maxDelayMs: 300, reorderWindowMs: 200, stale: 0.5 };
    const numbers: Record<string, CalleeScript> = {
      [A]: { kind: 'voicemail' },
      [B]: { kind: 'answers', responses: [{ press: '#' }] },
    };
    const first = await play(numbers, {}, { seed: 7, faults });
    const second = await play(numbers, {}, { seed: 7, faults });
    expect(first.carrier.faultLog.length).toBeGreaterThan(0);
    expect(second.carrier.faultLog).toEqual(first.carrier.faultLog);
    expect(second.result).toEqual(first.result);
  });

  it('faults that duplicate, delay and inject stale events leave the outcome unchanged', async () => {
    const numbers: Record<string, CalleeScript> = {
      [A]: { kind: 'voicemail' },
      [B]: { kind: 'answers', responses: [{ press: '#', afterMs: 3_000 }] },
    };
    const clean = await play(numbers);
    const faulty = await play(numbers, {}, { seed: 3, faults: { duplicate: 1, stale: 1, delay: 1, maxDelayMs: 200 } });
    expect(faulty.result.status).toBe(clean.result.status);
    expect(faulty.result.attempts.map((a) => a.result)).toEqual(clean.result.attempts.map((a) => a.result));
    const ignored = faulty.result.ignoredEvents;
    expect(ignored.duplicate + ignored.stale).toBeGreaterThan(0);
  });

  it('never has two live calls: the next target is dialled only after the previous call was hung up', async () => {
    const { carrier } = await play({
      [A]: { kind: 'voicemail' },
      [B]: { kind: 'answers', responses: [{ press: '#' }] },
    });
    expect(carrier.calls.map((c) => c.concurrentCallsAtDial)).toEqual([0, 0]);
    expect(carrier.calls.map((c) => c.to)).toEqual([A, B]);
  });
});

describe('simulated carrier: when the callee answers', () => {
  it('answerAfterMs counts from the first ring, which comes apiLatencyMs + postDialDelayMs (2.1 s) after the dial', async () => {
    const { carrier } = await play({ [A]: { kind: 'answers', answerAfterMs: 3_000, responses: [{ press: '#' }] } });
    const call = carrier.calls[0];
    expect((call?.answeredAt ?? 0) - (call?.dialedAt ?? 0)).toBe(2_100 + 3_000);
  });

  it('answerAtMs counts from the dial', async () => {
    const { carrier, result } = await play({
      [A]: { kind: 'answers', answerAtMs: 9_000, responses: [{ press: '#' }] },
    });
    const call = carrier.calls[0];
    expect((call?.answeredAt ?? 0) - (call?.dialedAt ?? 0)).toBe(9_000);
    expect(result.status).toBe('approved');
  });

  it('answerAtMs works for voicemail too, and may be the very moment of the first ring', async () => {
    const { carrier } = await play({ [A]: { kind: 'voicemail', answerAtMs: 2_100 } });
    const call = carrier.calls[0];
    expect((call?.answeredAt ?? 0) - (call?.dialedAt ?? 0)).toBe(2_100);
  });

  it('the first ring follows the carrier timing', async () => {
    const { carrier } = await play(
      { [A]: { kind: 'answers', answerAtMs: 1_000, responses: [{ press: '#' }] } },
      {},
      { timing: { apiLatencyMs: 50, postDialDelayMs: 450 } },
    );
    const call = carrier.calls[0];
    expect((call?.answeredAt ?? 0) - (call?.dialedAt ?? 0)).toBe(1_000);
  });

  it('refuses answerAfterMs and answerAtMs together with a typed error', () => {
    const error = refusal({ [A]: { kind: 'answers', answerAfterMs: 1_000, answerAtMs: 9_000 } });
    expect(error.code).toBe('INVALID_CONFIGURATION');
    expect(error.issues).toEqual([
      {
        path: 'numbers.+1 425 ••• 0100',
        message: 'give answerAfterMs (from the first ring) or answerAtMs (from the dial), not both',
      },
    ]);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses answerAtMs %s', (answerAtMs) => {
    const error = refusal({ [A]: { kind: 'voicemail', answerAtMs } });
    expect(error.issues.map((i) => i.path)).toEqual(['numbers.+1 425 ••• 0100.answerAtMs']);
    expect(error.message).toContain('must be a finite number');
  });

  it('refuses an answer before the first ring, saying when the first ring comes', () => {
    const error = refusal({ [A]: { kind: 'answers', answerAtMs: 1_000 } });
    expect(error.issues[0]?.message).toBe(
      'must be at least 2100: the first ring comes apiLatencyMs + postDialDelayMs = 2100 ms after the dial, got 1000',
    );
  });
});

describe('simulated carrier: options are checked field by field', () => {
  it('lists every problem with the path of its field', () => {
    let caught: unknown;
    try {
      new SimulatedCarrier({
        clock: new VirtualClock(),
        numbers: {
          [A]: { kind: 'answers', responses: [{ press: '12x' }, { hangUp: false } as never] },
          [B]: { kind: 'sit', sitKind: 'purple' } as never,
          hello: { kind: 'busy' },
        },
        faults: { duplicate: 2, dupliate: 0.1 } as FaultPlan,
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidSimulationError);
    expect((caught as InvalidSimulationError).issues.map((i) => i.path)).toEqual([
      'numbers.+1 425 ••• 0100.responses.0.press',
      'numbers.+1 425 ••• 0100.responses.1.hangUp',
      'numbers.+1 425 ••• 0101.sitKind',
      'numbers.•••',
      'faults.dupliate',
      'faults.duplicate',
    ]);
  });

  it('a timing field given as undefined keeps its default, as one left out does', async () => {
    const { result } = await play(
      { [A]: { kind: 'answers', responses: [{ press: '#' }] } },
      {},
      { timing: { postDialDelayMs: undefined, apiLatencyMs: undefined } },
    );
    expect(result.status).toBe('approved');
    expect(result.attempts[0]?.times).toMatchObject({ dialedAt: 0, ringingAt: 2_100 });
    expect(result.ignoredEvents.outOfOrder + result.ignoredEvents.stale).toBe(0);
  });

  it('refuses a value nested too deeply to quote with a clear message, not a stack overflow, and quotes long ones cut short', () => {
    let deep: unknown = [];
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const nested = refusal(
      { '+14255550100': { kind: 'answers', detectedAs: deep } as never },
      {
        faults: { duplicate: deep } as never,
      },
    );
    expect(nested.issues.map((issue) => issue.message)).toEqual([
      'must be one of human, machine, fax, unknown, got a list that cannot be shown',
      'must be a finite number from 0 to 1, got a list that cannot be shown',
    ]);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(refusal({ '+14255550100': { kind: 'answers', detectedAs: circular } as never }).issues[0]?.message).toBe(
      'must be one of human, machine, fax, unknown, got a value of type object that cannot be shown',
    );
    const long = refusal({ '+14255550100': { kind: 'answers', detectedAs: 'x'.repeat(500) } as never });
    expect(long.issues[0]?.message).toBe(`must be one of human, machine, fax, unknown, got "${'x'.repeat(79)}…`);
  });

  it('refuses one number given two scripts, written two ways: which one a callee follows would depend on key order', () => {
    const error = refusal({
      '+14255550100': { kind: 'answers', responses: [{ press: '#' }] },
      '+1 (425) 555-0100': { kind: 'busy' },
    });
    expect(error.issues).toEqual([
      { path: 'numbers.+1 425 ••• 0100', message: 'is a number listed already, written otherwise' },
    ]);
  });

  it('refuses a timing whose durations are negative, not numbers, or unknown, naming each field', () => {
    const error = refusal(
      { [A]: { kind: 'voicemail', answerAtMs: 500 } },
      { timing: { postDialDelayMs: -5_000, hangUpLatencyMs: Number.NaN, ringMs: 1 } as never },
    );
    expect(error.issues).toEqual([
      { path: 'timing.ringMs', message: 'unknown field' },
      { path: 'timing.postDialDelayMs', message: 'must be a finite number from 0 to 3600000, got -5000' },
      { path: 'timing.hangUpLatencyMs', message: 'must be a finite number from 0 to 3600000, got NaN' },
    ]);
  });

  it('refuses a speech pace given in part, which would make prompts last NaN ms', () => {
    const error = refusal({ [A]: { kind: 'voicemail' } }, { timing: { speech: { msPerWord: 200 } as never } });
    expect(error.issues).toEqual([
      { path: 'timing.speech.segmentPauseMs', message: 'is required' },
      { path: 'timing.speech.recordingMs', message: 'is required' },
    ]);
    expect(refusal({ [A]: { kind: 'voicemail' } }, { timing: null as never }).issues[0]?.path).toBe('timing');
  });

  it('takes a whole speech pace and durations of 0', async () => {
    const { result } = await play(
      { [A]: { kind: 'answers', responses: [{ press: '#' }] } },
      {},
      { timing: { postDialDelayMs: 0, speech: { msPerWord: 100, segmentPauseMs: 0, recordingMs: 1_000 } } },
    );
    expect(result.status).toBe('approved');
    expect(result.attempts[0]?.times.ringingAt).toBe(100);
  });

  it('a script with a field its kind does not have is refused', () => {
    expect(
      () =>
        new SimulatedCarrier({
          clock: new VirtualClock(),
          numbers: { [A]: { kind: 'busy', answerAfterMs: 1 } as never },
        }),
    ).toThrow('numbers.+1 425 ••• 0100.answerAfterMs: unknown field');
  });
});

describe("simulated carrier: the account's calls per second (a queue, as Twilio's)", () => {
  const callees = (count: number): Record<string, CalleeScript> =>
    Object.fromEntries(
      Array.from({ length: count }, (_, i) => [
        `+1425555${String(1000 + i)}`,
        { kind: 'answers', responses: [{ press: '#' }] } satisfies CalleeScript,
      ]),
    );

  async function burst(numbers: Record<string, CalleeScript>, timing: VerificationRequest['timing']) {
    const clock = new VirtualClock();
    const carrier = new SimulatedCarrier({ clock, numbers, callsPerSecond: 0.2 });
    const results = await Promise.all(
      Object.keys(numbers).map((n) => runVerification({ targets: [n], timing }, { provider: carrier, clock })),
    );
    return { results, carrier };
  }

  it('calls above the rate wait in the queue before they ring: the ring timer starts at the first ring', async () => {
    const { results, carrier } = await burst(callees(6), { ringTimeoutMs: 5_000 });
    expect(results.map((r) => r.status)).toEqual(results.map(() => 'approved'));
    // One call every 5 s: the last waits 25 s in the queue, five times its ring time, and is still answered.
    expect(carrier.calls.map((c) => c.queuedMs)).toEqual([0, 5_000, 10_000, 15_000, 20_000, 25_000]);
    expect(results.map((r) => r.attempts[0]?.times.ringingAt)).toEqual([2_100, 7_100, 12_100, 17_100, 22_100, 27_100]);
  });

  it('at the dial bound a call still queued ends failed and one already ringing no-answer, both timed out by the dial', async () => {
    const { results } = await burst(callees(4), { ringTimeoutMs: 5_000, dialTimeoutMs: 8_000 });
    expect(results.map((r) => [r.status, r.attempts[0]?.result, r.attempts[0]?.timedOut])).toEqual([
      ['approved', 'approved', null],
      ['unreachable', 'no-answer', 'dial'],
      ['unreachable', 'failed', 'dial'],
      ['unreachable', 'failed', 'dial'],
    ]);
  });

  it('a call that ends while queued leaves the queue: the next call takes its turn', async () => {
    const clock = new VirtualClock();
    const numbers = callees(3);
    const carrier = new SimulatedCarrier({ clock, numbers, callsPerSecond: 0.2 });
    // The second verification's dial bound ends its call at 5 s, still queued (its turn was at 5.1 s).
    const dialTimeouts = [undefined, 5_000, undefined];
    const results = await Promise.all(
      Object.keys(numbers).map((n, i) =>
        runVerification(
          { targets: [n], timing: { ringTimeoutMs: 5_000, dialTimeoutMs: dialTimeouts[i] } },
          { provider: carrier, clock },
        ),
      ),
    );
    expect(results.map((r) => [r.status, r.attempts[0]?.result, r.attempts[0]?.timedOut])).toEqual([
      ['approved', 'approved', null],
      ['unreachable', 'failed', 'dial'],
      ['approved', 'approved', null],
    ]);
    // It never rang, and the third call rings at the second's turn, 5 s after the first, not 10 s.
    expect(results[1]?.attempts[0]?.times.ringingAt).toBeNull();
    expect(carrier.calls.map((c) => c.queuedMs)).toEqual([0, 4_900, 5_000]);
    expect(results[2]?.attempts[0]?.times.ringingAt).toBe(7_100);
  });

  it('without a rate nothing waits', async () => {
    const clock = new VirtualClock();
    const numbers = callees(3);
    const carrier = new SimulatedCarrier({ clock, numbers });
    await Promise.all(Object.keys(numbers).map((n) => runVerification({ targets: [n] }, { provider: carrier, clock })));
    expect(carrier.calls.map((c) => c.queuedMs)).toEqual([0, 0, 0]);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1'])('refuses callsPerSecond %s', (callsPerSecond) => {
    expect(refusal({ [A]: { kind: 'busy' } }, { callsPerSecond: callsPerSecond as never }).issues).toEqual([
      { path: 'callsPerSecond', message: expect.stringContaining('must be a finite number from 0.001 to 1000') },
    ]);
  });
});
