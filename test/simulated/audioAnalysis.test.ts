import { describe, expect, it } from 'vitest';
import type { VerificationRequest } from '../../src/index.js';
import { runVerification, SimulatedCarrier, VirtualClock } from '../../src/index.js';
import { describeAttemptResult } from '../../src/machine/outcomes.js';
import type { CalleeScript, SimulatedCarrierOptions } from '../../src/providers/simulated/index.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { startSimulatedService } from '../support/simulatedService.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';
const APPROVES: CalleeScript = { kind: 'answers', responses: [{ press: '#' }] };

async function verify(
  primary: CalleeScript,
  options: Omit<SimulatedCarrierOptions, 'clock' | 'numbers'> = {},
  request: Partial<VerificationRequest> = {},
) {
  const clock = new VirtualClock();
  const carrier = new SimulatedCarrier({ clock, numbers: { [PRIMARY]: primary, [BACKUP]: APPROVES }, ...options });
  const result = await runVerification({ targets: [PRIMARY, BACKUP], ...request }, { provider: carrier, clock });
  const [first, second] = carrier.calls;
  if (first === undefined || second === undefined) throw new Error('expected two calls');
  return { result, first, second, results: result.attempts.map((a) => describeAttemptResult(a)) };
}

describe('the simulated carrier listening to its calls', () => {
  it('rolls a disconnected number answered by an intercept recording over within 1.5 s of the answer', async () => {
    const { result, first, second, results } = await verify({ kind: 'intercept' }, { audioAnalysis: true });
    expect(result.status).toBe('approved');
    expect(results).toEqual(['sit:intercept', 'approved']);
    expect(first.answeredAt).not.toBeNull();
    expect(first.endedBy).toBe('hung-up-by-us');
    const rolloverMs = second.dialedAt - (first.answeredAt as number);
    expect(rolloverMs).toBeGreaterThan(0);
    expect(rolloverMs).toBeLessThanOrEqual(1_500);
  });

  it('without listening, the same recording takes the 10-second input timeout and is no response', async () => {
    const { results, first, second } = await verify({ kind: 'intercept' });
    expect(results).toEqual(['no-response', 'approved']);
    expect(second.dialedAt - (first.answeredAt as number)).toBeGreaterThan(10_000);
  });

  it.each([
    ['vacant-code', 'sit:vacant-code'],
    ['no-circuit', 'sit:no-circuit'],
    ['reorder', 'sit:reorder'],
    ['unknown', 'sit:unknown'],
  ] as const)('tells a %s recording by its tones', async (sitKind, expected) => {
    const { results, first, second } = await verify({ kind: 'intercept', sitKind }, { audioAnalysis: true });
    expect(results).toEqual([expected, 'approved']);
    expect(second.dialedAt - (first.answeredAt as number)).toBeLessThanOrEqual(1_500);
  });

  it('hears a busy tone the carrier does not report, before any answer, after two cycles', async () => {
    const { results, first, second } = await verify({ kind: 'busy', signalled: false }, { audioAnalysis: true });
    expect(results).toEqual(['busy', 'approved']);
    expect(first.answeredAt).toBeNull();
    // US busy: 500 ms on, 500 ms off; two cycles from the first ring (the dial's API latency and post-dial delay).
    const firstRingAt = first.dialedAt + 2_100;
    expect(second.dialedAt - firstRingAt).toBeGreaterThanOrEqual(1_500);
    expect(second.dialedAt - firstRingAt).toBeLessThanOrEqual(3_000);
  });

  it('a busy tone nobody listens to rings until the ring timer gives up', async () => {
    const { results } = await verify({ kind: 'busy', signalled: false });
    expect(results).toEqual(['no-answer', 'approved']);
  });

  it('hears a UK busy tone with the UK zone', async () => {
    const { results } = await verify({ kind: 'busy', signalled: false }, { audioAnalysis: { zone: 'uk' } });
    expect(results).toEqual(['busy', 'approved']);
  });

  it("takes the analyser's answering-machine verdict, not the script's, when detection is asked for", async () => {
    // The script says a person would be detected; the greeting and its beep say otherwise.
    const { results } = await verify(
      { kind: 'voicemail', answerAfterMs: 1_000, detectedAs: 'human' },
      { audioAnalysis: true },
      { answeringMachineDetection: true },
    );
    expect(results).toEqual(['voicemail', 'approved']);
  });

  it("with the analyser's answering-machine detector off, detection asked for takes the script's verdict", async () => {
    const { results } = await verify(
      { kind: 'voicemail', answerAfterMs: 1_000, detectedAs: 'machine' },
      { audioAnalysis: { analyser: { answeringMachine: false } } },
      { answeringMachineDetection: true },
    );
    expect(results).toEqual(['voicemail', 'approved']);
  });

  it('without detection asked for, a voicemail greeting heard changes nothing', async () => {
    const { results } = await verify(
      { kind: 'voicemail', answerAfterMs: 1_000 },
      { audioAnalysis: true },
      { answeringMachineDetection: false },
    );
    expect(results).toEqual(['no-response', 'approved']);
  });

  it('a person saying "Hello?" is heard as a person and approves', async () => {
    const clock = new VirtualClock();
    const carrier = new SimulatedCarrier({ clock, numbers: { [PRIMARY]: APPROVES }, audioAnalysis: true });
    const result = await runVerification(
      { targets: [PRIMARY], answeringMachineDetection: true },
      { provider: carrier, clock },
    );
    expect(result.status).toBe('approved');
    expect(result.attempts).toHaveLength(1);
  });

  it('the durable service hears the intercept recording too, as a step on the store', async () => {
    const clock = new VirtualClock();
    const store = new MemoryVerificationStore({ clock });
    const carrier = new SimulatedCarrier({
      clock,
      audioAnalysis: true,
      numbers: { [PRIMARY]: { kind: 'intercept', sitKind: 'no-circuit' }, [BACKUP]: APPROVES },
    });
    const { service, errors } = startSimulatedService(carrier, clock, store);
    const { verificationId } = await service.start({ targets: [PRIMARY, BACKUP] });
    const result = await service.waitForResult(verificationId);
    await service.close();
    carrier.hangUpAll();
    expect(errors).toEqual([]);
    expect(result.attempts.map((a) => describeAttemptResult(a))).toEqual(['sit:no-circuit', 'approved']);
    const [first, second] = carrier.calls;
    expect((second?.dialedAt ?? 0) - (first?.answeredAt ?? 0)).toBeLessThanOrEqual(1_500);
    const audit = await store.readAudit({ verificationId });
    expect(audit.some((row) => row.what.startsWith('call.progressTone'))).toBe(true);
  });

  it('refuses analyser options that cannot work', () => {
    expect(
      () =>
        new SimulatedCarrier({ clock: new VirtualClock(), audioAnalysis: { analyser: { sit: { minLevelDbm0: 3 } } } }),
    ).toThrow(/minLevelDbm0/);
  });
});
