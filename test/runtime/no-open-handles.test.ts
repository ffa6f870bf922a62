/**
 * runVerification "leaves nothing running (no timers, listeners or calls)":
 * after a batch of verifications, the process holds no more timers or
 * immediates than before, and a virtual clock has none left.
 */
import { describe, expect, it } from 'vitest';
import {
  type CalleeScript,
  runVerification,
  SimulatedCarrier,
  systemClock,
  type VerificationRequest,
  VirtualClock,
} from '../../src/index.js';

/** Timers and immediates the process holds now, by kind. */
function timerHandles(): { Timeout: number; Immediate: number } {
  const resources = process.getActiveResourcesInfo();
  return {
    Timeout: resources.filter((r) => r === 'Timeout').length,
    Immediate: resources.filter((r) => r === 'Immediate').length,
  };
}

/** None of the kinds grew: the batch left nothing behind (others' timers may have ended meanwhile). */
function expectNoneAdded(before: ReturnType<typeof timerHandles>): void {
  const after = timerHandles();
  expect(after.Timeout).toBeLessThanOrEqual(before.Timeout);
  expect(after.Immediate).toBeLessThanOrEqual(before.Immediate);
}

/** Lets already-due immediates run, so that only what is still waiting is counted. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

/** A mix of endings: approval, hang-up, voicemail then backup, busy then backup, fraud. */
const SCRIPTS: Array<[CalleeScript, CalleeScript]> = [
  [{ kind: 'answers', answerAfterMs: 100, responses: [{ press: '#', afterMs: 50 }] }, { kind: 'busy' }],
  [{ kind: 'answers', answerAfterMs: 100, responses: [{ hangUp: true, afterMs: 50 }] }, { kind: 'busy' }],
  [
    { kind: 'voicemail', answerAfterMs: 100 },
    { kind: 'answers', answerAfterMs: 100, responses: [{ press: '#' }] },
  ],
  [{ kind: 'busy' }, { kind: 'answers', answerAfterMs: 100, responses: [{ press: '0#', keyGapMs: 10 }] }],
  [{ kind: 'no-answer' }, { kind: 'sit', sitKind: 'intercept' }],
];

describe('no open handles', () => {
  it('a batch of 50 verifications on virtual time leaves no timer behind', async () => {
    await settle();
    const before = timerHandles();
    const clocks: VirtualClock[] = [];
    const runs = Array.from({ length: 50 }, (_, i) => {
      const clock = new VirtualClock();
      clocks.push(clock);
      const [primary, backup] = SCRIPTS[i % SCRIPTS.length] as [CalleeScript, CalleeScript];
      const provider = new SimulatedCarrier({ clock, numbers: { [PRIMARY]: primary, [BACKUP]: backup }, seed: i + 1 });
      return runVerification({ targets: [PRIMARY, BACKUP] }, { provider, clock });
    });
    const results = await Promise.all(runs);
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['approved', 'denied', 'fraud', 'unreachable']));
    for (const clock of clocks) expect(clock.pendingTimers).toBe(0);
    await settle();
    expectNoneAdded(before);
  });

  it('a batch of 5 verifications on the system clock leaves no timer behind', async () => {
    await settle();
    const before = timerHandles();
    // Tiny timing, so that the callees act within milliseconds, well before the deadlines, which are cancelled.
    const request: VerificationRequest = {
      targets: [PRIMARY, BACKUP],
      prompts: { welcome: '', standard: 'Press pound.', fraudHint: '' },
      timing: { inputTimeoutMs: 5_000, ringTimeoutMs: 5_000, promptWatchdogMs: 5_000 },
    };
    const timing = {
      apiLatencyMs: 1,
      postDialDelayMs: 5,
      hangUpLatencyMs: 1,
      machineDetectionMs: 5,
      speech: { msPerWord: 1, segmentPauseMs: 1, recordingMs: 5 },
    };
    const scripts: Array<[CalleeScript, CalleeScript]> = [
      [{ kind: 'answers', answerAfterMs: 5, responses: [{ press: '#', afterMs: 5 }] }, { kind: 'busy' }],
      [{ kind: 'busy' }, { kind: 'answers', answerAfterMs: 5, responses: [{ press: '#', afterMs: 5 }] }],
      [{ kind: 'answers', answerAfterMs: 5, responses: [{ hangUp: true, afterMs: 5 }] }, { kind: 'busy' }],
      [{ kind: 'sit', sitKind: 'vacant-code' }, { kind: 'invalid-number' }],
      [
        { kind: 'api-error', providerCode: '21217' },
        { kind: 'answers', answerAfterMs: 5, responses: [{ press: '0#', afterMs: 5, keyGapMs: 5 }] },
      ],
    ];
    const started = Date.now();
    const results = await Promise.all(
      scripts.map(([primary, backup], i) => {
        const provider = new SimulatedCarrier({
          clock: systemClock,
          numbers: { [PRIMARY]: primary, [BACKUP]: backup },
          seed: i + 1,
          timing,
        });
        return runVerification(request, { provider, clock: systemClock });
      }),
    );
    // None of the deadlines fired.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(results.map((r) => r.status)).toEqual(['approved', 'approved', 'denied', 'unreachable', 'fraud']);
    await settle();
    expectNoneAdded(before);
  });
});
