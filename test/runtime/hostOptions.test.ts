/**
 * A host's options that cannot work are refused with a typed error naming
 * each problem, before anything is counted, placed or scheduled: not a
 * `TypeError` from a timer once a phone already rings.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, type RequestIssue } from '../../src/errors.js';
import { createAbuseGuard } from '../../src/phone/abuseGuard.js';
import { maskPhoneNumber } from '../../src/phone/maskPhoneNumber.js';
import { parsePhoneTarget } from '../../src/phone/parsePhoneTarget.js';
import { InvalidSimulationError } from '../../src/providers/simulated/errors.js';
import { SimulatedCarrier } from '../../src/providers/simulated/simulatedCarrier.js';
import { normalizeVerificationRequest } from '../../src/request/normalizeRequest.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import { createVerificationActor } from '../../src/runtime/createVerificationActor.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import { errorOf } from '../support/errors.js';

const PRIMARY = '+14255550100';
const REQUEST = { targets: [PRIMARY] };

/** The issues of the InvalidRequestError `run` rejects or throws with. */
async function issuesOf(run: () => unknown): Promise<RequestIssue[]> {
  const error = await errorOf(run);
  expect(error).toBeInstanceOf(InvalidRequestError);
  return [...(error as InvalidRequestError).issues];
}

function setUp() {
  const clock = new VirtualClock({ autoAdvance: false });
  const carrier = new SimulatedCarrier({ clock, numbers: { [PRIMARY]: { kind: 'answers', answerAfterMs: 1_000 } } });
  const guard = createAbuseGuard({
    limits: { perUser: [{ max: 1, windowMs: 3_600_000 }], perNumber: [], numberCooldownMs: 0 },
    now: () => clock.now(),
  });
  return { clock, carrier, guard };
}

describe('runVerification with options that cannot work', () => {
  it('names every problem, and neither counts the start nor places a call', async () => {
    const { clock, carrier, guard } = setUp();
    const issues = await issuesOf(() =>
      runVerification(REQUEST, {
        provider: carrier,
        clock: { now: () => clock.now() } as never,
        abuseGuard: guard,
        userId: 'alice',
        signal: {} as never,
        maskNumbers: 'no' as never,
        onEvent: 'log' as never,
        checkNumber: 'x' as never,
      }),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual(
      ['checkNumber', 'clock', 'maskNumbers', 'onEvent', 'signal'].sort(),
    );
    expect(issues.find((issue) => issue.path === 'clock')?.message).toBe(
      'must be a clock; it has no setTimeout, clearTimeout',
    );
    expect(carrier.calls).toEqual([]);
    // The start was not counted: the user's one verification an hour is still there.
    const result = runVerification(REQUEST, { provider: carrier, clock, abuseGuard: guard, userId: 'alice' });
    await clock.runUntilIdle(1);
    expect(carrier.calls).toHaveLength(1);
    void result;
  });

  it('takes any abort signal by its shape: one of a polyfill or another realm cancels as a native one', async () => {
    const { clock, carrier } = setUp();
    let onAbort: (() => void) | null = null;
    const signal = {
      aborted: false,
      addEventListener: (_type: string, listener: () => void) => {
        onAbort = listener;
      },
      removeEventListener: () => {},
    };
    const result = runVerification(REQUEST, { provider: carrier, clock, signal: signal as never });
    await clock.runUntilIdle(1);
    signal.aborted = true;
    (onAbort as (() => void) | null)?.();
    await clock.runUntilIdle(1);
    expect((await result).status).toBe('canceled');
  });

  it('refuses a provider without openSession or capabilities, an abuse guard without its methods, and no options', async () => {
    expect(await issuesOf(() => runVerification(REQUEST, { provider: {} as never }))).toEqual([
      { path: 'provider', message: 'must be a voice provider; it has no openSession' },
      { path: 'provider.capabilities', message: 'must be an object' },
    ]);
    expect(await issuesOf(() => runVerification(REQUEST, { provider: { openSession: () => null } as never }))).toEqual([
      { path: 'provider.capabilities', message: 'must be an object' },
    ]);
    const { carrier } = setUp();
    expect(
      await issuesOf(() => runVerification(REQUEST, { provider: carrier, abuseGuard: {} as never, userId: 'a' })),
    ).toEqual([{ path: 'abuseGuard', message: 'must be an abuse guard; it has no check, record' }]);
    expect(await issuesOf(() => runVerification(REQUEST, undefined as never))).toEqual([
      { path: 'options', message: 'must be an object: { provider, … }' },
    ]);
  });
});

describe('the actor factories with options that cannot work', () => {
  it('createVerificationActor refuses a clock without timers and checks that are no functions, before any dial', async () => {
    const issues = await issuesOf(() =>
      createVerificationActor(REQUEST, { clock: {} as never, verifyPin: 1 as never, checkNumber: 'x' as never }),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual(['checkNumber', 'clock', 'verifyPin']);
    expect(await issuesOf(() => createVerificationActor(REQUEST, null as never))).toEqual([
      { path: 'options', message: 'must be an object: { verifyPin?, checkNumber?, clock?, … }' },
    ]);
    expect(await issuesOf(() => normalizeVerificationRequest(REQUEST, null as never))).toEqual([
      { path: 'options', message: 'must be an object: { startedAt?, … }' },
    ]);
  });

  it('parsing and masking take null options as none', () => {
    expect(parsePhoneTarget(PRIMARY, null as never).e164).toBe(PRIMARY);
    expect(maskPhoneNumber(PRIMARY, null as never)).toBe('+1 425 ••• 0100');
  });
});

describe('the simulated carrier with options that cannot work', () => {
  const refusal = (make: () => unknown): RequestIssue[] => {
    try {
      make();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSimulationError);
      return [...(error as InvalidSimulationError).issues];
    }
    throw new Error('accepted');
  };

  it('refuses no options, a clock without its methods and a seed that is no finite number', () => {
    expect(refusal(() => new SimulatedCarrier(undefined as never))).toEqual([
      { path: 'options', message: 'must be an object: { clock, numbers?, … }' },
    ]);
    expect(refusal(() => new SimulatedCarrier({ clock: { now: () => 0 } as never, seed: Number.NaN }))).toEqual([
      {
        path: 'clock',
        message: 'must be a clock (a VirtualClock, or the system clock); it has no setTimeout, clearTimeout',
      },
      { path: 'seed', message: 'must be a finite number' },
    ]);
  });

  it('connects to the durable service or a function, refuses anything else, and refuses to run unconnected', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const carrier = new SimulatedCarrier({ clock });
    expect(refusal(() => carrier.connect({} as never))).toEqual([
      { path: 'connect', message: 'takes the verification service, or a function (verificationId, event) => …' },
    ]);
    const dial = { delivery: 'at-most-once', dialAttempt: 0, payload: { type: 'dial' } } as const;
    await expect(carrier.run(dial as never, { verificationId: 'v' })).rejects.toThrow(/carrier\.connect\(service\)/);
    const delivered: string[] = [];
    carrier.connect({ deliverEvent: (id: string, event: { type: string }) => delivered.push(`${id} ${event.type}`) });
    // A sink that throws is the service's business: the network goes on.
    carrier.connect(() => {
      throw new Error('not here');
    });
    expect(delivered).toEqual([]);
  });
});
