import { describe, expect, it } from 'vitest';
import {
  type CalleeScript,
  DEFAULT_TIMING,
  runVerification,
  type ScriptedFault,
  SimulatedCarrier,
  type VerificationObservation,
  type VerificationRequest,
  VirtualClock,
} from '../../src/index.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

/** One verification on the simulated carrier with scripted faults; what the runtime made of it. */
async function verify(
  numbers: Record<string, CalleeScript>,
  scriptedFaults: ScriptedFault[],
  request: Partial<VerificationRequest> = {},
) {
  const clock = new VirtualClock();
  const carrier = new SimulatedCarrier({ clock, numbers, scriptedFaults });
  const observations: VerificationObservation[] = [];
  const result = await runVerification(
    { targets: Object.keys(numbers), ...request },
    { provider: carrier, clock, onEvent: (o) => observations.push(o) },
  );
  await clock.runUntilIdle();
  return { result, carrier, observations, clock };
}

const approves: CalleeScript = { kind: 'answers', responses: [{ press: '#' }] };

describe('the machine stays correct under scripted faults', () => {
  it('a duplicated call.answered is counted as a duplicate and changes nothing', async () => {
    const { result } = await verify({ [PRIMARY]: approves }, [
      { match: { event: 'call.answered', attempt: 0 }, action: 'duplicate' },
    ]);
    expect(result.status).toBe('approved');
    expect(result.attempts.map((a) => a.result)).toEqual(['approved']);
    expect(result.ignoredEvents.duplicate).toBe(1);
  });

  it('a never-reported prompt end lets the watchdog move on to the input timer', async () => {
    const { result, carrier } = await verify({ [PRIMARY]: { kind: 'voicemail' }, [BACKUP]: approves }, [
      { match: { event: 'call.promptFinished', attempt: 0, occurrence: 1 }, action: 'drop' },
    ]);
    const [primary, backup] = result.attempts;
    // The greeting ends for the machine when its watchdog fires, not when it finished playing.
    expect((primary?.times.greetingEndedAt ?? 0) - (primary?.times.answeredAt ?? 0)).toBe(
      DEFAULT_TIMING.promptWatchdogMs,
    );
    expect(primary?.result).toBe('no-response');
    expect(primary?.times.endedAt).toBe((primary?.times.greetingEndedAt ?? 0) + DEFAULT_TIMING.inputTimeoutMs);
    expect(backup?.result).toBe('approved');
    expect(carrier.faultLog).toEqual([{ fault: 'dropped', eventType: 'call.promptFinished', delayMs: 0, scripted: 0 }]);
  });

  it('a ringing delivered after the answer is counted as out of order and changes nothing', async () => {
    const { result } = await verify({ [PRIMARY]: approves }, [
      { match: { event: 'call.ringing' }, action: 'delay', after: 'call.answered' },
    ]);
    expect(result.status).toBe('approved');
    expect(result.ignoredEvents.outOfOrder).toBe(1);
  });

  it('a call end delivered late, after the rollover, is stale and changes nothing', async () => {
    const { result } = await verify({ [PRIMARY]: { kind: 'busy' }, [BACKUP]: approves }, [
      { match: { event: 'call.ended', attempt: 0 }, action: 'delay', delayMs: 100_000 },
    ]);
    // The busy signal never reached the machine in time: a busy line never rings, so the dial bound ended the attempt.
    expect(result.attempts.map((a) => [a.result, a.timedOut])).toEqual([
      ['failed', 'dial'],
      ['approved', null],
    ]);
    expect(result.status).toBe('approved');
    expect(result.ignoredEvents.stale).toBe(1);
  });

  it.each([false, true])(
    'a dial refused by the API (throws: %s) is a failed attempt with the code, and rolls over',
    async (throws) => {
      const { result, observations, carrier } = await verify({ [PRIMARY]: approves, [BACKUP]: approves }, [
        { match: { command: 'dial', attempt: 0 }, action: 'fail', providerCode: '20429', throws },
      ]);
      expect(result.attempts.map((a) => [a.result, a.providerCode])).toEqual([
        ['failed', '20429'],
        ['approved', null],
      ]);
      expect(result.status).toBe('approved');
      expect(observations).toContainEqual(
        expect.objectContaining({ type: 'command.failed', command: 'dial', code: '20429' }),
      );
      expect(carrier.calls.map((c) => c.callId)).toEqual([null, 'CA-sim-0001']);
    },
  );

  it('a dropped key press is the scenario deliberately losing it: the entry is never finished', async () => {
    const { result } = await verify({ [PRIMARY]: approves }, [
      { match: { event: 'call.digits', attempt: 0, occurrence: 1 }, action: 'drop' },
    ]);
    expect(result.attempts.map((a) => a.result)).toEqual(['no-response']);
    expect(result.status).not.toBe('approved');
  });
});
