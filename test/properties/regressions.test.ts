/**
 * Minimal regressions for bugs the property tests found.
 */
import { describe, expect, it } from 'vitest';
import { runVerification, SimulatedCarrier, VirtualClock } from '../../src/index.js';
import { predictVerification } from './support/oracle.js';
import { resultOf, runScenario, type Scenario } from './support/scenario.js';

const PRIMARY = '+14255550100';

describe('regressions found by the property tests', () => {
  it('a provider-timed no-response after the greeting watchdog fired records when the greeting really ended', async () => {
    // Twilio-like: the provider times the input from the greeting's real end and never reports that end,
    // so the machine's 30 s prompt watchdog fires first and used to be recorded as the greeting's end,
    // making the no-response look earlier than inputTimeoutMs after the greeting.
    const clock = new VirtualClock();
    const provider = new SimulatedCarrier({
      clock,
      numbers: { [PRIMARY]: { kind: 'voicemail', answerAfterMs: 1_000 } },
      capabilities: { enforcesInputTimeout: true, reportsPromptEnd: false },
      timing: { speech: { msPerWord: 360, segmentPauseMs: 0, recordingMs: 2_000 } },
    });
    const prompts = { welcome: { play: 'https://prompts.example/welcome.wav' }, fraudHint: '' };
    const instruction = { play: 'https://prompts.example/standard.wav' };
    const result = await runVerification(
      { targets: [PRIMARY], prompts: { ...prompts, standard: instruction }, timing: { inputTimeoutMs: 40_000 } },
      { provider, clock },
    );
    const attempt = result.attempts[0];
    const answeredAt = attempt?.times.answeredAt ?? Number.NaN;
    expect(attempt?.result).toBe('no-response');
    // Two 2-second recordings: the greeting ended 4 s after the answer, and the provider timed out 40 s later.
    expect(attempt?.times.greetingEndedAt).toBe(answeredAt + 4_000);
    expect(attempt?.times.endedAt).toBe(answeredAt + 44_000);
  });

  it('at an extension, a machine verdict delivered just before the greeting ends on the same millisecond is only noted', async () => {
    // The oracle took the greeting's end for an event whose order never matters, and predicted a hang-up
    // (`voicemail`) at the tie; the machine, as documented, acts on a verdict only once the greeting was
    // heard there. The carrier reports the verdict first: the input timer then decides. The oracle now
    // counts such a tie as ambiguous.
    const scenario: Scenario = {
      mode: 'standard',
      pin: '7391648',
      fraudCode: undefined,
      answeringMachineDetection: true,
      capabilities: { reportsSitKinds: false },
      faults: null,
      seed: 1,
      cancelAfterMs: null,
      pinVerifier: 'sync',
      targets: [
        {
          kind: 'called',
          number: PRIMARY,
          extension: ',,9',
          script: { kind: 'voicemail', answerAfterMs: 0, detectedAs: 'fax' },
        },
      ],
      timing: { inputTimeoutMs: 3000, maxInvalidEntries: 1, ringTimeoutMs: 10000, maxTotalMs: 60_000 },
      carrier: { apiLatencyMs: 100, postDialDelayMs: 2000, machineDetectionMs: 3000, segmentMs: 200 },
    };
    const attempt = resultOf(await runScenario(scenario)).attempts[0];
    const answeredAt = attempt?.times.answeredAt ?? Number.NaN;
    // The greeting ends as the detector's verdict comes, 3 s after the answer.
    expect(attempt?.times.greetingEndedAt).toBe(answeredAt + 3_000);
    expect(attempt?.answeredBy).toBe('fax');
    expect(attempt?.result).toBe('no-response');
    expect(attempt?.times.endedAt).toBe(answeredAt + 6_000);
    expect(predictVerification(scenario).ambiguous).toBe(true);
  });
});
