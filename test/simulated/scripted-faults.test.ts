import { describe, expect, it } from 'vitest';
import {
  type CalleeScript,
  type DialCommand,
  type FaultRecord,
  InvalidSimulationError,
  type PlayPromptCommand,
  type ProviderEvent,
  SimulatedApiError,
  SimulatedCarrier,
  type SimulatedCarrierOptions,
  VirtualClock,
} from '../../src/index.js';

const A = '+14255550100';
const B = '+14255550101';

const dial = (attempt: number, to: string): DialCommand => ({
  type: 'dial',
  attempt,
  to,
  extension: null,
  callerId: null,
  ringTimeoutMs: 30_000,
  dialTimeoutMs: 90_000,
  machineDetection: false,
});

const prompt = (callId: string, promptSeq: number): PlayPromptCommand => ({
  type: 'playPrompt',
  callId,
  promptSeq,
  kind: 'greeting',
  segments: [{ say: 'Press pound.' }],
  speech: {},
  collect: { mode: 'standard', fraudCode: '0', inputTimeoutMs: 10_000, timeoutOwner: 'machine' },
});

/** A carrier session driven by hand on a clock that moves only when told: what the runtime would receive, and when. */
function session(numbers: Record<string, CalleeScript>, options: Partial<SimulatedCarrierOptions> = {}) {
  const clock = new VirtualClock({ autoAdvance: false });
  const carrier = new SimulatedCarrier({ clock, numbers, ...options });
  const received: { at: number; event: ProviderEvent }[] = [];
  const provider = carrier.openSession({
    verificationId: 'v1',
    emit: (event) => received.push({ at: clock.now(), event }),
  });
  const types = () => received.map((r) => r.event.type);
  return { clock, carrier, provider, received, types };
}

const answers: CalleeScript = { kind: 'answers', answerAfterMs: 4_000, responses: [{ press: '12#', afterMs: 1_000 }] };

describe('scripted faults on the simulated carrier', () => {
  it('duplicate: the matched event arrives twice, and only that one', () => {
    const { clock, carrier, provider, types } = session(
      { [A]: answers },
      { scriptedFaults: [{ match: { event: 'call.answered', attempt: 0 }, action: 'duplicate' }] },
    );
    provider.execute(dial(0, A));
    clock.advanceBy(10_000);
    expect(types()).toEqual(['call.dialed', 'call.ringing', 'call.answered', 'call.answered']);
    expect(carrier.faultLog).toEqual<FaultRecord[]>([
      { fault: 'duplicated', eventType: 'call.answered', delayMs: 0, scripted: 0 },
    ]);
  });

  it('duplicate: copies and a delay, on the Nth key press only', () => {
    const { clock, provider, received } = session(
      { [A]: answers },
      {
        scriptedFaults: [
          { match: { event: 'call.digits', occurrence: 2 }, action: 'duplicate', copies: 2, delayMs: 300 },
        ],
      },
    );
    provider.execute(dial(0, A));
    clock.advanceBy(6_100);
    provider.execute(prompt('CA-sim-0001', 1));
    clock.advanceBy(10_000);
    const keys = received.filter((r) => r.event.type === 'call.digits');
    expect(keys.map((r) => [(r.event as { digits: string }).digits, r.at - (keys[0]?.at ?? 0)])).toEqual([
      ['1', 0],
      ['2', 250],
      ['#', 500],
      ['2', 550],
      ['2', 550],
    ]);
  });

  it('drop: the end of the first prompt of the primary is never reported', () => {
    const { clock, carrier, provider, types } = session(
      { [A]: answers },
      { scriptedFaults: [{ match: { event: 'call.promptFinished', attempt: 0, occurrence: 1 }, action: 'drop' }] },
    );
    provider.execute(dial(0, A));
    clock.advanceBy(6_100);
    provider.execute(prompt('CA-sim-0001', 1));
    clock.advanceBy(1_000);
    // Barge-in is not what happens here: the callee waits for the prompt to end, then types.
    clock.advanceBy(10_000);
    expect(types()).not.toContain('call.promptFinished');
    expect(types().filter((t) => t === 'call.digits')).toHaveLength(3);
    expect(carrier.faultLog).toEqual<FaultRecord[]>([
      { fault: 'dropped', eventType: 'call.promptFinished', delayMs: 0, scripted: 0 },
    ]);
  });

  it('delay by a time: the ringing arrives after the answer', () => {
    const { clock, carrier, provider, received, types } = session(
      { [A]: answers },
      { scriptedFaults: [{ match: { event: 'call.ringing' }, action: 'delay', delayMs: 5_000 }] },
    );
    provider.execute(dial(0, A));
    clock.advanceBy(10_000);
    expect(types()).toEqual(['call.dialed', 'call.answered', 'call.ringing']);
    expect(received.at(-1)?.at).toBe(2_100 + 5_000);
    expect(carrier.faultLog).toEqual<FaultRecord[]>([
      { fault: 'delayed', eventType: 'call.ringing', delayMs: 5_000, scripted: 0 },
    ]);
  });

  it('delay until another event: the ringing arrives right after the answer of the same call', () => {
    const { clock, carrier, provider, received, types } = session(
      { [A]: answers },
      { scriptedFaults: [{ match: { event: 'call.ringing' }, action: 'delay', after: 'call.answered' }] },
    );
    provider.execute(dial(0, A));
    clock.advanceBy(10_000);
    expect(types()).toEqual(['call.dialed', 'call.answered', 'call.ringing']);
    expect(received.map((r) => r.at)).toEqual([100, 6_100, 6_100]);
    expect(carrier.faultLog).toEqual<FaultRecord[]>([
      { fault: 'delayed', eventType: 'call.ringing', delayMs: 4_000, scripted: 0 },
    ]);
  });

  it('delay until an event that never comes: never delivered, logged as dropped when the session closes', async () => {
    const { clock, carrier, provider, types } = session(
      { [A]: { kind: 'busy' } },
      { scriptedFaults: [{ match: { event: 'call.dialed' }, action: 'delay', after: 'call.answered' }] },
    );
    provider.execute(dial(0, A));
    clock.advanceBy(10_000);
    expect(types()).toEqual(['call.ended']);
    expect(carrier.faultLog).toEqual([]);
    await provider.close();
    expect(carrier.faultLog).toEqual<FaultRecord[]>([
      { fault: 'dropped', eventType: 'call.dialed', delayMs: 0, scripted: 0 },
    ]);
  });

  it('fail: the dial of the matched attempt is rejected like a REST error, and no call is placed', async () => {
    const { clock, carrier, provider, types } = session(
      { [A]: answers, [B]: answers },
      {
        scriptedFaults: [
          {
            match: { command: 'dial', attempt: 1 },
            action: 'fail',
            providerCode: '20429',
            message: 'Too Many Requests',
          },
        ],
      },
    );
    provider.execute(dial(0, A));
    const refused = provider.execute(dial(1, B));
    await expect(refused).rejects.toThrow(SimulatedApiError);
    await expect(refused).rejects.toMatchObject({ code: '20429', message: 'Too Many Requests' });
    clock.advanceBy(1_000);
    expect(types()).toEqual(['call.dialed']);
    expect(carrier.calls.map((c) => [c.attempt, c.callId, c.endedBy])).toEqual([
      [0, 'CA-sim-0001', null],
      [1, null, 'carrier'],
    ]);
    expect(carrier.faultLog).toEqual<FaultRecord[]>([
      { fault: 'dial-failed', eventType: 'dial', delayMs: 0, scripted: 0 },
    ]);
  });

  it('fail with throws: execute throws at once', () => {
    const { provider } = session(
      { [A]: answers },
      { scriptedFaults: [{ match: { command: 'dial' }, action: 'fail', providerCode: '21217', throws: true }] },
    );
    expect(() => provider.execute(dial(0, A))).toThrow('The provider refused the call (code 21217)');
  });

  it('the first listed fault takes an event both match; every matcher still counts it', () => {
    const { clock, carrier, provider, received } = session(
      { [A]: answers },
      {
        scriptedFaults: [
          { match: { event: 'call.digits', occurrence: 1 }, action: 'drop' },
          { match: { event: 'call.digits', occurrence: 1 }, action: 'duplicate' },
          { match: { event: 'call.digits', occurrence: 2 }, action: 'duplicate' },
        ],
      },
    );
    provider.execute(dial(0, A));
    clock.advanceBy(6_100);
    provider.execute(prompt('CA-sim-0001', 1));
    clock.advanceBy(10_000);
    // Key 1 is dropped (the first fault), key 2 duplicated (the third): occurrences count every key the callee pressed.
    const digits = received.flatMap((r) => (r.event.type === 'call.digits' ? [r.event.digits] : []));
    expect(digits).toEqual(['2', '2', '#']);
    expect(carrier.faultLog.map((f) => f.scripted)).toEqual([0, 2]);
  });

  it('composes with random faults: a scripted event is left to its script, the others meet the random plan', () => {
    const { clock, carrier, provider, types } = session(
      { [A]: answers },
      {
        faults: { duplicate: 1 },
        scriptedFaults: [{ match: { event: 'call.answered' }, action: 'drop' }],
      },
    );
    provider.execute(dial(0, A));
    clock.advanceBy(10_000);
    // call.dialed is never disturbed by random faults; ringing is duplicated by them; the answer is dropped by the script.
    expect(types()).toEqual(['call.dialed', 'call.ringing', 'call.ringing']);
    expect(carrier.faultLog.map((f) => [f.fault, f.eventType, f.scripted])).toEqual([
      ['duplicated', 'call.ringing', undefined],
      ['dropped', 'call.answered', 0],
    ]);
  });

  it('counts occurrences per verification: a second session starts again from the first', () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const carrier = new SimulatedCarrier({
      clock,
      numbers: { [A]: answers },
      scriptedFaults: [{ match: { event: 'call.answered' }, action: 'drop' }],
    });
    for (const id of ['v1', 'v2']) {
      const received: string[] = [];
      carrier.openSession({ verificationId: id, emit: (e) => received.push(e.type) }).execute(dial(0, A));
      clock.advanceBy(10_000);
      expect(received).not.toContain('call.answered');
    }
  });
});

describe('scripted faults are checked', () => {
  const issues = (scriptedFaults: unknown) => {
    try {
      new SimulatedCarrier({ clock: new VirtualClock(), scriptedFaults: scriptedFaults as never });
    } catch (error) {
      if (error instanceof InvalidSimulationError) return error.issues.map((i) => `${i.path}: ${i.message}`);
      throw error;
    }
    return [];
  };

  it('accepts every action', () => {
    expect(
      issues([
        { match: { event: 'call.answered', attempt: 0, occurrence: 1 }, action: 'duplicate', copies: 2, delayMs: 100 },
        { match: { event: 'call.promptFinished' }, action: 'drop' },
        { match: { event: 'call.ringing' }, action: 'delay', delayMs: 100 },
        { match: { event: 'call.ringing' }, action: 'delay', after: 'call.answered' },
        { match: { command: 'dial', attempt: 1 }, action: 'fail', providerCode: '20429', throws: true },
      ]),
    ).toEqual([]);
  });

  it.each([
    [{}, 'scriptedFaults: must be a list of at most 100 scripted faults'],
    [
      [{ match: { event: 'call.answerd' }, action: 'drop' }],
      'scriptedFaults.0.match.event: must be one of call.dialed',
    ],
    [
      [{ match: { event: 'call.answered' }, action: 'explode' }],
      'scriptedFaults.0.action: must be one of duplicate, drop, delay, fail, got "explode"',
    ],
    [[{ action: 'drop' }], 'scriptedFaults.0.match: must be { event, attempt?, occurrence? }'],
    [[{ match: {}, action: 'drop' }], 'scriptedFaults.0.match.event: is required'],
    [
      [{ match: { event: 'call.answered', occurrence: 0 }, action: 'drop' }],
      'scriptedFaults.0.match.occurrence: must be a finite integer from 1',
    ],
    [
      [{ match: { event: 'call.answered', attempt: -1 }, action: 'drop' }],
      'scriptedFaults.0.match.attempt: must be a finite integer from 0',
    ],
    [[{ match: { event: 'call.answered', when: 1 }, action: 'drop' }], 'scriptedFaults.0.match.when: unknown field'],
    [[{ match: { event: 'call.ringing' }, action: 'delay' }], 'scriptedFaults.0: a delay needs delayMs or after'],
    [
      [{ match: { event: 'call.ringing' }, action: 'delay', delayMs: 1, after: 'call.answered' }],
      'scriptedFaults.0: a delay needs delayMs or after',
    ],
    [
      [{ match: { event: 'call.ringing' }, action: 'delay', delayMs: -5 }],
      'scriptedFaults.0.delayMs: must be a finite number from 0',
    ],
    [
      [{ match: { event: 'call.answered' }, action: 'duplicate', copies: 0 }],
      'scriptedFaults.0.copies: must be a finite integer from 1 to 10',
    ],
    [
      [{ match: { event: 'call.dialed' }, action: 'fail', providerCode: '1' }],
      'scriptedFaults.0.match.command: must be "dial"',
    ],
    [
      [{ match: { command: 'dial' }, action: 'fail' }],
      "scriptedFaults.0.providerCode: must be the provider's error code",
    ],
    [[{ match: { command: 'dial' }, action: 'drop' }], 'scriptedFaults.0.match.event: is required'],
  ])('%j', (faults, expected) => {
    expect(issues(faults).join('\n')).toContain(expected);
  });
});
