/**
 * The Twilio provider paces `calls.create` for every verification it serves,
 * in process (`runVerification`) and durable (the verification service): a
 * dial that waits too long or finds the queue full is refused at once as a
 * `failed` attempt with a code saying why, and rolls over; "too many requests"
 * (20429) is retried, not blamed on the callee. All on virtual time.
 */
import type twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { VoiceMfaError } from '../../src/errors.js';
import type { Timing, VerificationResult } from '../../src/index.js';
import {
  DIAL_QUEUE_DEADLINE,
  DIAL_QUEUE_FULL,
  type TwilioCallCreateParams,
  type TwilioCallsApi,
  TwilioVoiceProvider,
  type TwilioVoiceProviderOptions,
} from '../../src/providers/twilio/index.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import type { ProviderReportObservation, VerificationObservation } from '../../src/runtime/observations.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import { createVerificationService } from '../../src/service/verificationService.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { dialCommand } from '../support/commands.js';
import { ACCOUNT_SID, AUTH_TOKEN, FakeTwilioRestClient, newCallSid, PUBLIC_BASE_URL } from '../support/twilioFake.js';

/** The numbers of verification `i`: a primary and a backup of its own. */
const targetsOf = (i: number): string[] => [`+1425555${String(1000 + i)}`, `+1425556${String(1000 + i)}`];

/** Twilio's calls API, recording when each create was sent; no call ever rings. */
class RecordingCalls implements TwilioCallsApi {
  readonly creates: { at: number; to: string }[] = [];
  constructor(private readonly clock: VirtualClock) {}

  async create(params: TwilioCallCreateParams): Promise<{ sid: string }> {
    this.creates.push({ at: this.clock.now(), to: params.to });
    return { sid: newCallSid() };
  }

  async update(): Promise<unknown> {
    return {};
  }

  createsTo(numbers: readonly string[]): number[] {
    return this.creates.filter((c) => numbers.includes(c.to)).map((c) => c.at);
  }
}

function providerOn(clock: VirtualClock, options: Partial<TwilioVoiceProviderOptions>): TwilioVoiceProvider {
  return new TwilioVoiceProvider({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    publicBaseUrl: PUBLIC_BASE_URL,
    defaultCallerId: '+14255550000',
    clock,
    ...options,
  });
}

/** Runs `count` verifications at once on one provider; no call ever rings, so each ends at its dial bound. */
async function burst(
  count: number,
  provider: TwilioVoiceProvider,
  clock: VirtualClock,
  timing: Partial<Timing> = {},
): Promise<{ results: VerificationResult[]; reports: ProviderReportObservation[] }> {
  const reports: ProviderReportObservation[] = [];
  const onEvent = (o: VerificationObservation) => {
    if (o.type === 'provider.dialQueued' || o.type === 'provider.dialPlaced') reports.push(o);
  };
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      runVerification(
        { targets: targetsOf(i), timing },
        { provider, clock, verificationId: `v${i}`, maskNumbers: false, onEvent },
      ),
    ),
  );
  return { results, reports };
}

const reportsOf = (reports: readonly ProviderReportObservation[], verificationId: string) =>
  reports.filter((r) => r.verificationId === verificationId).map(({ verificationId: _, ...report }) => report);

describe('Twilio dial pacing, in process', () => {
  it('creates the calls of verifications running at once 1 s apart, and reports the queue', async () => {
    const clock = new VirtualClock();
    const calls = new RecordingCalls(clock);
    const { results, reports } = await burst(3, providerOn(clock, { calls }), clock, { ringTimeoutMs: 20_000 });
    expect(calls.creates.slice(0, 3).map((c) => [c.at, c.to])).toEqual(
      [0, 1, 2].map((i) => [i * 1_000, targetsOf(i)[0]]),
    );
    expect(reportsOf(reports, 'v0')[0]).toEqual({
      type: 'provider.dialPlaced',
      attempt: 0,
      waitMs: 0,
      retries: 0,
      at: 0,
    });
    expect(reportsOf(reports, 'v2').slice(0, 2)).toEqual([
      { type: 'provider.dialQueued', attempt: 0, queueLength: 2, waitMs: 2_000, at: 0 },
      { type: 'provider.dialPlaced', attempt: 0, waitMs: 2_000, retries: 0, at: 2_000 },
    ]);
    // Never ringing, each call ended at its dial bound: the queue cost none of them an attempt.
    for (const result of results) {
      expect(result.attempts.map((a) => [a.result, a.timedOut, a.callId !== null])).toEqual([
        ['failed', 'dial', true],
        ['failed', 'dial', true],
      ]);
    }
  });

  it('paces at a fraction of a call per second', async () => {
    const clock = new VirtualClock();
    const calls = new RecordingCalls(clock);
    await burst(3, providerOn(clock, { calls, callsPerSecond: 0.5 }), clock);
    expect(calls.creates.slice(0, 3).map((c) => c.at)).toEqual([0, 2_000, 4_000]);
  });

  it('refuses a dial when maxQueuedDials wait already: the attempt fails with DIAL_QUEUE_FULL and no call is created for it', async () => {
    const clock = new VirtualClock();
    const calls = new RecordingCalls(clock);
    const { results } = await burst(3, providerOn(clock, { calls, maxQueuedDials: 1 }), clock);
    const refused = results[2] as VerificationResult;
    // Its backup was dialled at once too, and found the queue as full.
    expect(refused.attempts.map((a) => [a.result, a.providerCode, a.callId])).toEqual([
      ['failed', DIAL_QUEUE_FULL, null],
      ['failed', DIAL_QUEUE_FULL, null],
    ]);
    expect(refused.status).toBe('unreachable');
    expect(calls.createsTo(targetsOf(2))).toEqual([]);
    expect(calls.createsTo(targetsOf(1))[0]).toBe(1_000);
  });

  it('refuses a dial that could not be placed while a quarter of its dial bound is left, when ringing leaves no slack', async () => {
    const clock = new VirtualClock();
    const calls = new RecordingCalls(clock);
    // Ring time = dial bound: a dial may wait a quarter of it, 2 s.
    const { results } = await burst(4, providerOn(clock, { calls }), clock, {
      ringTimeoutMs: 8_000,
      dialTimeoutMs: 8_000,
    });
    expect(results.map((r) => r.attempts[0]?.providerCode ?? null)).toEqual([null, null, null, DIAL_QUEUE_DEADLINE]);
    expect(calls.createsTo([targetsOf(3)[0] as string])).toEqual([]);
    expect(calls.creates.slice(0, 3).map((c) => c.at)).toEqual([0, 1_000, 2_000]);
  });

  it('with the default timing lets a dial wait the 60 s between ring time and dial bound, and no longer', async () => {
    const clock = new VirtualClock();
    const calls = new RecordingCalls(clock);
    const { results } = await burst(8, providerOn(clock, { calls, callsPerSecond: 0.1 }), clock);
    expect(calls.creates.slice(0, 7).map((c) => c.at)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    expect(results.map((r) => r.attempts[0]?.providerCode ?? null)).toEqual([
      ...Array(7).fill(null),
      DIAL_QUEUE_DEADLINE,
    ]);
  });

  it('withdraws a dial still waiting when its verification ends: no call is placed for it', async () => {
    const clock = new VirtualClock();
    const calls = new RecordingCalls(clock);
    const provider = providerOn(clock, { calls });
    const abort = new AbortController();
    const reports: ProviderReportObservation[] = [];
    const first = runVerification({ targets: targetsOf(0) }, { provider, clock, maskNumbers: false });
    const second = runVerification(
      { targets: targetsOf(1) },
      {
        provider,
        clock,
        signal: abort.signal,
        onEvent: (o) => {
          if (o.type === 'provider.dialQueued') {
            reports.push(o);
            abort.abort();
          }
        },
      },
    );
    const canceled = await second;
    expect(reports).toHaveLength(1);
    expect(canceled.status).toBe('canceled');
    await first;
    expect(calls.createsTo(targetsOf(1))).toEqual([]);
  });
});

/** Twilio's REST API answering 429 / 20429 to the first `refusals` creates for `to`, recording when each was sent. */
class RateLimitedApi extends FakeTwilioRestClient {
  readonly sentAt: number[] = [];
  constructor(
    private readonly clock: VirtualClock,
    private readonly to: string,
    private refusals: number,
  ) {
    super();
    this.errorsByTo.set(to, { status: 429, code: 20429, message: 'Too Many Requests' });
  }

  override async request<TData>(opts: Parameters<twilio.RequestClient['request']>[0] & { data?: TData }) {
    const isCreate = opts.uri.endsWith('/Calls.json');
    if (isCreate) this.sentAt.push(this.clock.now());
    const response = await super.request(opts);
    if (isCreate && (opts.data as { To?: string } | undefined)?.To === this.to && --this.refusals === 0) {
      this.errorsByTo.delete(this.to);
    }
    return response;
  }
}

describe('Twilio dial pacing, "too many requests"', () => {
  it('retries a create refused with 20429 after 1 s and reports the retry; the call is placed', async () => {
    const clock = new VirtualClock();
    const [primary] = targetsOf(0) as [string];
    const api = new RateLimitedApi(clock, primary, 1);
    const { results, reports } = await burst(1, providerOn(clock, { httpClient: api }), clock);
    expect(api.sentAt.slice(0, 2)).toEqual([0, 1_000]);
    expect(reports[0]).toMatchObject({ type: 'provider.dialPlaced', attempt: 0, waitMs: 1_000, retries: 1 });
    expect(results[0]?.attempts[0]).toMatchObject({ result: 'failed', timedOut: 'dial', providerCode: null });
    expect(results[0]?.attempts[0]?.callId).toMatch(/^CA/);
  });

  it('after three retries reports the dial failed with 20429, and rolls over', async () => {
    const clock = new VirtualClock();
    const [primary] = targetsOf(0) as [string];
    const api = new RateLimitedApi(clock, primary, 10);
    const { results } = await burst(1, providerOn(clock, { httpClient: api }), clock);
    expect(api.sentAt.slice(0, 4)).toEqual([0, 1_000, 3_000, 7_000]);
    expect(results[0]?.attempts.map((a) => [a.result, a.providerCode, a.callId === null])).toEqual([
      ['failed', '20429', true],
      ['failed', null, false],
    ]);
  });

  it('gives up on 20429 sooner when the next retry would come after the dial may be placed', async () => {
    const clock = new VirtualClock();
    const [primary] = targetsOf(0) as [string];
    const api = new RateLimitedApi(clock, primary, 10);
    // A quarter of a 10 s dial bound is 2.5 s: after the retry at 1 s, the next (at 3 s) would be too late.
    const { results } = await burst(1, providerOn(clock, { httpClient: api }), clock, {
      ringTimeoutMs: 10_000,
      dialTimeoutMs: 10_000,
    });
    // The backup, dialled at once, takes the next slot.
    expect(api.sentAt.slice(0, 3)).toEqual([0, 1_000, 2_000]);
    expect(results[0]?.attempts.map((a) => [a.result, a.providerCode, a.callId === null])).toEqual([
      ['failed', '20429', true],
      ['failed', null, false],
    ]);
  });
});

describe('Twilio dial pacing, durable', () => {
  it('stamps a create effect with the latest time it may be placed, from the step clock', () => {
    const provider = providerOn(new VirtualClock(), { calls: new RecordingCalls(new VirtualClock()) });
    const plan = provider.plan(provider.initialState(), [dialCommand()], null, { verificationId: 'v', now: 5_000 });
    expect(plan.effects).toHaveLength(1);
    expect(plan.effects[0]?.payload).toMatchObject({ kind: 'create', attempt: 0, placeBy: 65_000 });
  });

  it('paces the dials of every verification of the service, refuses beyond the queue, and tells onObservation', async () => {
    const clock = new VirtualClock();
    const calls = new RecordingCalls(clock);
    const store = new MemoryVerificationStore({ clock });
    const provider = providerOn(clock, { calls, maxQueuedDials: 1 });
    const observations: ProviderReportObservation[] = [];
    const service = createVerificationService({
      store,
      provider,
      clock,
      sweepIntervalMs: null,
      maskNumbers: false,
      onObservation: (o) => observations.push(o),
    });
    provider.connect(service);
    for (const i of [0, 1, 2]) await service.start({ targets: targetsOf(i) }, { verificationId: `v${i}` });
    const results = await Promise.all([0, 1, 2].map((i) => service.waitForResult(`v${i}`)));
    expect(calls.creates.slice(0, 2).map((c) => [c.at, c.to])).toEqual([
      [0, targetsOf(0)[0]],
      [1_000, targetsOf(1)[0]],
    ]);
    expect(results[2]?.attempts.map((a) => [a.result, a.providerCode])).toEqual([
      ['failed', DIAL_QUEUE_FULL],
      ['failed', DIAL_QUEUE_FULL],
    ]);
    expect(calls.createsTo(targetsOf(2))).toEqual([]);
    expect(observations.filter((o) => o.verificationId === 'v1').slice(0, 2)).toEqual([
      { type: 'provider.dialQueued', attempt: 0, queueLength: 1, waitMs: 1_000, verificationId: 'v1', at: 0 },
      { type: 'provider.dialPlaced', attempt: 0, waitMs: 1_000, retries: 0, verificationId: 'v1', at: 1_000 },
    ]);
    await service.close();
  });
});

describe('Twilio pacing options', () => {
  const build = (options: Partial<TwilioVoiceProviderOptions>) => () =>
    new TwilioVoiceProvider({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      publicBaseUrl: PUBLIC_BASE_URL,
      calls: new RecordingCalls(new VirtualClock()),
      ...options,
    });

  it.each([0, -1, 0.001, 101, Number.NaN, Number.POSITIVE_INFINITY, '2' as unknown as number])(
    'refuses callsPerSecond %s',
    (callsPerSecond) => {
      expect(build({ callsPerSecond })).toThrow(VoiceMfaError);
      expect(build({ callsPerSecond })).toThrow(
        'TwilioVoiceProvider: callsPerSecond must be a number from 0.01 to 100',
      );
    },
  );

  it.each([-1, 1.5, 10_001, Number.NaN])('refuses maxQueuedDials %s', (maxQueuedDials) => {
    expect(build({ maxQueuedDials })).toThrow('TwilioVoiceProvider: maxQueuedDials must be an integer from 0 to 10000');
  });

  it('refuses a clock without timers', () => {
    expect(build({ clock: { now: () => 0 } as unknown as VirtualClock })).toThrow(
      'TwilioVoiceProvider: clock must have now(), setTimeout() and clearTimeout()',
    );
  });

  it('takes fractions, the limits and an empty queue', () => {
    for (const options of [
      { callsPerSecond: 0.5 },
      { callsPerSecond: 0.01 },
      { callsPerSecond: 100 },
      { maxQueuedDials: 0 },
    ]) {
      expect(build(options)).not.toThrow();
    }
  });
});
