/**
 * SPEC.md, "Rollover and the end": "A verification reaches exactly one of them,
 * exactly once, in bounded time."
 */
import { describe, expect, it } from 'vitest';
import type { AttemptResult, VerificationStatus } from '../../src/index.js';
import { anyScenario } from './support/arbitraries.js';
import { completionBoundMs } from './support/oracle.js';
import { assertProperty, PROPERTY_TIMEOUT_MS } from './support/property.js';
import { resultOf, runScenario } from './support/scenario.js';

const FINAL_STATUSES: VerificationStatus[] = ['approved', 'denied', 'fraud', 'unreachable', 'canceled', 'expired'];

/** The results the last attempt may have for each status. */
const LAST_RESULTS: Record<VerificationStatus, AttemptResult[]> = {
  approved: ['approved'],
  fraud: ['fraud'],
  denied: ['hung-up', 'invalid-input', 'pin-failed'],
  unreachable: ['busy', 'sit', 'invalid-number', 'blocked-number', 'no-answer', 'failed', 'no-response', 'voicemail'],
  canceled: ['canceled'],
  expired: ['canceled'],
};

describe('final status', () => {
  it(
    'exactly one final status, reached within a bound computed from the request, and the promise resolves exactly once',
    async () => {
      await assertProperty(anyScenario({ faults: 'any', cancel: true }), async (scenario) => {
        const run = await runScenario(scenario);
        const result = resultOf(run);
        expect(run.settlements).toBe(1);
        expect(FINAL_STATUSES).toContain(result.status);

        // One end, announced once and last; nothing stirs afterwards.
        const ends = run.observations.filter((o) => o.type === 'verification.ended');
        expect(ends).toHaveLength(1);
        expect(ends[0]?.type === 'verification.ended' ? ends[0].result : null).toEqual(result);
        expect(run.observations.at(-1)?.type).toBe('verification.ended');
        expect(run.pendingTimersAtSettle).toBe(0);
        expect(run.observationsAfterSettle).toBe(0);

        // Bounded: see completionBoundMs for how the bound follows from the request.
        const bound = completionBoundMs(scenario);
        expect(result.endedAt).toBeLessThanOrEqual(bound);
        expect(run.settledAt).toBeLessThanOrEqual(bound);

        // The status is the one the attempts tell.
        const last = result.attempts.at(-1);
        expect(last?.result ?? null).not.toBeNull();
        expect(LAST_RESULTS[result.status]).toContain(last?.result);
        if (result.status === 'unreachable') expect(result.attempts).toHaveLength(scenario.targets.length);
        for (const attempt of result.attempts) expect(attempt.result).not.toBeNull();
      });
    },
    PROPERTY_TIMEOUT_MS,
  );
});
