/**
 * What a provider reports about its own work (`SessionContext.report`, e.g. its
 * dial queue) reaches `onEvent` stamped with the verification id and the
 * clock; the machine never sees it, and anything that is not a report is
 * dropped.
 */
import { describe, expect, it } from 'vitest';
import {
  type ProviderSession,
  runVerification,
  type SessionContext,
  type VerificationObservation,
  VirtualClock,
  type VoiceProvider,
} from '../../src/index.js';
import { SIMULATED_CAPABILITIES } from '../../src/providers/simulated/simulatedCarrier.js';

const PRIMARY = '+14255550100';

/** A provider that queues its dial for 1.5 s, says so, then is refused by its network. */
function createQueueingProvider(clock: VirtualClock, extraReports: readonly unknown[] = []) {
  let context: SessionContext | null = null;
  const provider: VoiceProvider = {
    name: 'queueing',
    capabilities: SIMULATED_CAPABILITIES,
    openSession(ctx): ProviderSession {
      context = ctx;
      return {
        execute(command) {
          if (command.type !== 'dial') return;
          const { attempt } = command;
          ctx.report?.({ type: 'provider.dialQueued', attempt, queueLength: 2, waitMs: 1_500 });
          for (const junk of extraReports) ctx.report?.(junk as never);
          clock.setTimeout(() => {
            ctx.report?.({ type: 'provider.dialPlaced', attempt, waitMs: 1_500, retries: 1 });
            ctx.emit({ type: 'call.dialFailed', attempt, ending: { status: 'failed', providerCode: '21214' } });
          }, 1_500);
        },
        close() {},
      };
    },
  };
  return { provider, context: () => context };
}

const reportsIn = (observations: readonly VerificationObservation[]) =>
  observations.filter((o) => o.type === 'provider.dialQueued' || o.type === 'provider.dialPlaced');

describe('provider reports', () => {
  it('reach onEvent stamped with the verification id and the clock, in order with the rest', async () => {
    const clock = new VirtualClock({ start: 1_000 });
    const { provider } = createQueueingProvider(clock);
    const observations: VerificationObservation[] = [];
    const result = await runVerification(
      { targets: [PRIMARY] },
      { provider, clock, verificationId: 'v-1', onEvent: (o) => observations.push(o) },
    );
    expect(reportsIn(observations)).toEqual([
      { type: 'provider.dialQueued', attempt: 0, queueLength: 2, waitMs: 1_500, verificationId: 'v-1', at: 1_000 },
      { type: 'provider.dialPlaced', attempt: 0, waitMs: 1_500, retries: 1, verificationId: 'v-1', at: 2_500 },
    ]);
    const types = observations.map((o) => o.type);
    expect(types.indexOf('provider.dialQueued')).toBe(types.indexOf('command') + 1);
    expect(types.indexOf('provider.dialPlaced')).toBe(types.indexOf('provider.event') - 1);
    // Reports are the host's only: the machine counts nothing for them.
    expect(result.ignoredEvents).toEqual({ stale: 0, duplicate: 0, outOfOrder: 0, unexpected: 0 });
    expect(result.attempts[0]).toMatchObject({ result: 'failed', providerCode: '21214' });
  });

  it('drops what is not a report, keeping only the known fields of those that are', async () => {
    const clock = new VirtualClock();
    const { provider } = createQueueingProvider(clock, [
      null,
      'provider.dialQueued',
      { type: 'provider.somethingElse', attempt: 0, waitMs: 1 },
      { type: 'provider.dialQueued', attempt: -1, queueLength: 1, waitMs: 1 },
      { type: 'provider.dialQueued', attempt: 0, queueLength: 1.5, waitMs: 1 },
      { type: 'provider.dialPlaced', attempt: 0, waitMs: Number.NaN, retries: 0 },
      { type: 'provider.dialPlaced', attempt: 0, waitMs: 5, retries: '1' },
      { type: 'provider.dialPlaced', attempt: 0, waitMs: 5, retries: 0, to: PRIMARY },
    ]);
    const observations: VerificationObservation[] = [];
    await runVerification({ targets: [PRIMARY] }, { provider, clock, onEvent: (o) => observations.push(o) });
    expect(reportsIn(observations).map(({ verificationId, at, ...report }) => report)).toEqual([
      { type: 'provider.dialQueued', attempt: 0, queueLength: 2, waitMs: 1_500 },
      { type: 'provider.dialPlaced', attempt: 0, waitMs: 5, retries: 0 },
      { type: 'provider.dialPlaced', attempt: 0, waitMs: 1_500, retries: 1 },
    ]);
  });

  it('are not observed once the result was handed over', async () => {
    const clock = new VirtualClock();
    const { provider, context } = createQueueingProvider(clock);
    const observations: VerificationObservation[] = [];
    await runVerification({ targets: [PRIMARY] }, { provider, clock, onEvent: (o) => observations.push(o) });
    const count = observations.length;
    context()?.report?.({ type: 'provider.dialPlaced', attempt: 0, waitMs: 0, retries: 0 });
    expect(observations).toHaveLength(count);
  });
});
