import { describe, expect, it, vi } from 'vitest';
import {
  createAbuseGuard,
  InvalidRequestError,
  runVerification,
  SimulatedCarrier,
  type VerificationObservation,
  VerificationRefusedError,
  VirtualClock,
} from '../../src/index.js';
import { createManualProvider } from '../support/manualProvider.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('runVerification', () => {
  it('rejects bad input with InvalidRequestError before opening a provider session', async () => {
    const manual = createManualProvider();
    await expect(runVerification({ targets: [] }, { provider: manual.provider })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
    expect(manual.commands).toHaveLength(0);
    expect(manual.closedCount()).toBe(0);
  });

  it.each([
    ['empty', ''],
    ['with a NUL and a line break', 'a\nb\u0000'],
    ['with half a surrogate pair', 'login-\uD800'],
    ['5000 characters long', 'x'.repeat(5000)],
    ['a number', 42],
  ])(
    'refuses a verificationId that is no id (%s), as the durable service does, before opening a session',
    async (_name, verificationId) => {
      const manual = createManualProvider();
      const openSession = vi.spyOn(manual.provider, 'openSession');
      const run = runVerification(
        { targets: [PRIMARY] },
        { provider: manual.provider, verificationId: verificationId as string },
      );
      await expect(run).rejects.toBeInstanceOf(InvalidRequestError);
      await expect(run).rejects.toMatchObject({ issues: [{ path: 'verificationId' }] });
      expect(openSession).not.toHaveBeenCalled();
      expect(manual.commands).toHaveLength(0);
    },
  );

  it('takes a verificationId that is an id, and gives it to the provider', async () => {
    const manual = createManualProvider();
    const openSession = vi.spyOn(manual.provider, 'openSession');
    const controller = new AbortController();
    const run = runVerification(
      { targets: [PRIMARY] },
      { provider: manual.provider, verificationId: 'login-42', signal: controller.signal },
    );
    controller.abort();
    expect((await run).status).toBe('canceled');
    expect(openSession).toHaveBeenCalledWith(expect.objectContaining({ verificationId: 'login-42' }));
  });

  it('refuses PIN mode without a PIN verifier', async () => {
    const manual = createManualProvider();
    await expect(runVerification({ targets: [PRIMARY], mode: 'pin' }, { provider: manual.provider })).rejects.toThrow(
      /PIN verifier/,
    );
    expect(manual.commands).toHaveLength(0);
  });

  it('an abort cancels the verification and hangs up the live call', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const manual = createManualProvider();
    const controller = new AbortController();
    const pending = runVerification(
      { targets: [PRIMARY] },
      { provider: manual.provider, clock, signal: controller.signal },
    );
    await settle();
    manual.emit({ type: 'call.dialed', attempt: 0, callId: 'CA1' });
    controller.abort();
    const result = await pending;
    expect(result.status).toBe('canceled');
    expect(result.reason).toBe('host-canceled');
    expect(result.attempts[0]?.result).toBe('canceled');
    expect(manual.commands.at(-1)).toMatchObject({ type: 'hangUp', callId: 'CA1' });
    expect(manual.closedCount()).toBe(1);
  });

  it('an already aborted signal cancels before any call is placed', async () => {
    const manual = createManualProvider();
    const controller = new AbortController();
    controller.abort();
    const result = await runVerification(
      { targets: [PRIMARY] },
      { provider: manual.provider, clock: new VirtualClock(), signal: controller.signal },
    );
    expect(result.status).toBe('canceled');
    expect(manual.commands.filter((c) => c.type === 'dial')).toHaveLength(0);
  });

  it('a dial that the provider rejects becomes a failed attempt with its code, then rolls over', async () => {
    const clock = new VirtualClock();
    const manual = createManualProvider({ failDialWith: Object.assign(new Error('To is not valid'), { code: 21217 }) });
    const observations: VerificationObservation[] = [];
    const result = await runVerification(
      { targets: [PRIMARY, BACKUP] },
      { provider: manual.provider, clock, onEvent: (o) => observations.push(o) },
    );
    expect(result.status).toBe('unreachable');
    expect(result.attempts.map((a) => [a.result, a.providerCode])).toEqual([
      ['failed', '21217'],
      ['failed', '21217'],
    ]);
    expect(observations.filter((o) => o.type === 'command.failed')).toHaveLength(2);
  });

  it('a malformed provider event is dropped, observed, and changes nothing', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const manual = createManualProvider();
    const observations: VerificationObservation[] = [];
    const pending = runVerification(
      { targets: [PRIMARY] },
      { provider: manual.provider, clock, onEvent: (o) => observations.push(o) },
    );
    await settle();
    for (const junk of [null, 42, 'call.answered', { type: 'call.digits', callId: 'CA1', digits: 'x' }, []]) {
      manual.emit(junk);
    }
    expect(observations.filter((o) => o.type === 'provider.malformed')).toHaveLength(5);
    manual.emit({ type: 'call.dialed', attempt: 0, callId: 'CA1' });
    manual.emit({ type: 'call.ended', callId: 'CA1', ending: { status: 'busy' } });
    const result = await pending;
    expect(result.attempts[0]?.result).toBe('busy');
  });

  it('the event stream reports start, commands, events, each attempt once, and the end; keys only as a count', async () => {
    const clock = new VirtualClock();
    const carrier = new SimulatedCarrier({
      clock,
      numbers: {
        [PRIMARY]: { kind: 'busy' },
        [BACKUP]: { kind: 'answers', responses: [{ press: '739164#' }] },
      },
    });
    const observations: VerificationObservation[] = [];
    const result = await runVerification(
      { targets: [PRIMARY, BACKUP], mode: 'pin' },
      { provider: carrier, clock, verifyPin: (entry) => entry === '739164', onEvent: (o) => observations.push(o) },
    );
    expect(result.status).toBe('approved');
    const types = observations.map((o) => o.type);
    expect(types[0]).toBe('verification.started');
    expect(types.at(-1)).toBe('verification.ended');
    expect(observations.filter((o) => o.type === 'attempt.ended').map((o) => o.attempt.index)).toEqual([0, 1]);
    expect(JSON.stringify(observations)).not.toContain('739164');
    const keys = observations.flatMap((o) =>
      o.type === 'provider.event' && o.event.type === 'call.digits' ? [o.event.keys] : [],
    );
    expect(keys.reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('an observer that throws does not change the verification', async () => {
    const clock = new VirtualClock();
    const carrier = new SimulatedCarrier({
      clock,
      numbers: { [PRIMARY]: { kind: 'answers', responses: [{ press: '#' }] } },
    });
    const result = await runVerification(
      { targets: [PRIMARY] },
      {
        provider: carrier,
        clock,
        onEvent: () => {
          throw new Error('observer failure');
        },
      },
    );
    expect(result.status).toBe('approved');
  });

  it('resolves once even when closing the session fails', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const manual = createManualProvider({ throwOnClose: true });
    const pending = runVerification({ targets: [PRIMARY] }, { provider: manual.provider, clock });
    await settle();
    manual.emit({ type: 'call.dialed', attempt: 0, callId: 'CA1' });
    manual.emit({ type: 'call.ended', callId: 'CA1', ending: { status: 'busy' } });
    const result = await pending;
    expect(result.status).toBe('unreachable');
    manual.emit({ type: 'call.ended', callId: 'CA1', ending: { status: 'busy' } });
    expect(manual.closedCount()).toBe(1);
  });

  it('a command that fails after the result was handed over is not observed: verification.ended is the last observation', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const manual = createManualProvider({ holdHangUp: true });
    const observed: string[] = [];
    const pending = runVerification(
      { targets: [PRIMARY] },
      { provider: manual.provider, clock, onEvent: (o) => observed.push(o.type) },
    );
    await settle();
    manual.emit({ type: 'call.dialed', attempt: 0, callId: 'CA1' });
    manual.emit({ type: 'call.answered', callId: 'CA1' });
    manual.emit({ type: 'call.promptFinished', callId: 'CA1', promptSeq: 1 });
    manual.emit({ type: 'call.digits', callId: 'CA1', digits: '#' });
    const result = await pending;
    expect(result.status).toBe('approved');
    expect(manual.commands.map((c) => c.type)).toContain('hangUp');
    // The hang-up's request fails only after the session was closed.
    manual.failHangUp(new Error('hang-up failed: 503'));
    await settle();
    expect(observed.at(-1)).toBe('verification.ended');
  });

  it('the next dial waits for the hang-up under way, as the durable service orders them; a failed one is reported and the dial goes on', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const manual = createManualProvider({ holdHangUp: true });
    const observed: string[] = [];
    const pending = runVerification(
      { targets: [PRIMARY, BACKUP], timing: { ringTimeoutMs: 30_000 } },
      { provider: manual.provider, clock, onEvent: (o) => observed.push(o.type) },
    );
    await settle();
    manual.emit({ type: 'call.dialed', attempt: 0, callId: 'CA1' });
    manual.emit({ type: 'call.ringing', callId: 'CA1' });
    clock.advanceBy(30_000);
    await settle();
    // The ring timer ended the first call: it is being hung up, and the backup's dial waits for that.
    expect(manual.commands.map((c) => c.type)).toEqual(['dial', 'hangUp']);
    manual.failHangUp(new Error('hang-up failed: 503'));
    await settle();
    expect(manual.commands.map((c) => (c.type === 'dial' ? c.to : c.type))).toEqual([PRIMARY, 'hangUp', BACKUP]);
    expect(observed).toContain('command.failed');
    manual.emit({ type: 'call.dialed', attempt: 1, callId: 'CA2' });
    manual.emit({ type: 'call.answered', callId: 'CA2' });
    manual.emit({ type: 'call.promptFinished', callId: 'CA2', promptSeq: 1 });
    manual.emit({ type: 'call.digits', callId: 'CA2', digits: '#' });
    expect((await pending).attempts.map((a) => a.result)).toEqual(['no-answer', 'approved']);
  });

  it('a dial held behind a hang-up that the machine gave up meanwhile is never placed; the next one is, once the hang-up settled', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const manual = createManualProvider({ holdHangUp: true });
    const third = '+14255550102';
    const pending = runVerification(
      { targets: [PRIMARY, BACKUP, third], timing: { ringTimeoutMs: 10_000, dialTimeoutMs: 20_000 } },
      { provider: manual.provider, clock },
    );
    await settle();
    manual.emit({ type: 'call.dialed', attempt: 0, callId: 'CA1' });
    manual.emit({ type: 'call.ringing', callId: 'CA1' });
    clock.advanceBy(10_000);
    await settle();
    // The backup's dial waits for the hang-up, which takes longer than the backup's dial bound.
    clock.advanceBy(20_000);
    await settle();
    const placed = () => manual.commands.map((c) => (c.type === 'dial' ? c.to : c.type));
    expect(placed()).toEqual([PRIMARY, 'hangUp']);
    manual.failHangUp(new Error('hang-up failed: 503'));
    await settle();
    expect(placed()).toEqual([PRIMARY, 'hangUp', third]);
    manual.emit({ type: 'call.dialed', attempt: 2, callId: 'CA3' });
    manual.emit({ type: 'call.answered', callId: 'CA3' });
    manual.emit({ type: 'call.promptFinished', callId: 'CA3', promptSeq: 1 });
    manual.emit({ type: 'call.digits', callId: 'CA3', digits: '#' });
    const result = await pending;
    expect(result.attempts.map((a) => [a.result, a.timedOut])).toEqual([
      ['no-answer', 'ring'],
      ['failed', 'dial'],
      ['approved', null],
    ]);
  });

  it('stamps events with the runtime clock, not with the provider-supplied time', async () => {
    const clock = new VirtualClock({ start: 1_000, autoAdvance: false });
    const manual = createManualProvider();
    const pending = runVerification({ targets: [PRIMARY] }, { provider: manual.provider, clock });
    await settle();
    clock.advanceBy(500);
    manual.emit({ type: 'call.dialed', attempt: 0, callId: 'CA1', at: 99_999_999 });
    clock.advanceBy(700);
    manual.emit({ type: 'call.ended', callId: 'CA1', ending: { status: 'busy' }, at: -5 });
    const result = await pending;
    expect(result.startedAt).toBe(1_000);
    expect(result.attempts[0]?.times.endedAt).toBe(2_200);
    expect(result.endedAt).toBe(2_200);
  });

  it('the overall deadline ends a verification whose provider went silent: expired', async () => {
    const clock = new VirtualClock();
    const manual = createManualProvider();
    const result = await runVerification(
      { targets: [PRIMARY], timing: { maxTotalMs: 5_000 } },
      { provider: manual.provider, clock },
    );
    expect(result.status).toBe('expired');
    expect(result.endedAt - result.startedAt).toBe(5_000);
  });
});

describe('runVerification: phone numbers, policy and abuse limits', () => {
  const approving = (clock: VirtualClock, numbers: string[]) =>
    new SimulatedCarrier({
      clock,
      numbers: Object.fromEntries(numbers.map((n) => [n, { kind: 'answers', responses: [{ press: '#' }] }])),
    });

  it('numbers are read as people type them, with the default country', async () => {
    const clock = new VirtualClock();
    const carrier = approving(clock, [PRIMARY]);
    const result = await runVerification(
      { targets: ['(425) 555-0100'], defaultCountry: 'US' },
      // Unmasked, to see the number as dialled (results are masked by default).
      { provider: carrier, clock, maskNumbers: false },
    );
    expect(result.status).toBe('approved');
    expect(result.attempts[0]?.target).toMatchObject({ e164: PRIMARY, country: 'US' });
  });

  it('premium-rate and shared-cost numbers are refused by default and never dialled', async () => {
    const clock = new VirtualClock();
    const carrier = approving(clock, [PRIMARY]);
    const result = await runVerification(
      { targets: ['+44 909 879 0000', '+44 843 123 4567', PRIMARY] },
      { provider: carrier, clock },
    );
    expect(result.attempts.map((a) => [a.result, a.rule])).toEqual([
      ['blocked-number', 'premium-rate'],
      ['blocked-number', expect.stringMatching(/premium-rate|shared-cost/)],
      ['approved', null],
    ]);
    expect(carrier.calls.map((c) => c.to)).toEqual([PRIMARY]);
  });

  it('a dialling policy with an allow-list refuses other countries', async () => {
    const clock = new VirtualClock();
    const carrier = approving(clock, [PRIMARY]);
    const result = await runVerification(
      { targets: ['+44 20 7946 0000', PRIMARY] },
      { provider: carrier, clock, dialingPolicy: { allowedCountries: ['US'] } },
    );
    expect(result.attempts[0]).toMatchObject({ result: 'blocked-number', rule: 'country-not-allowed' });
  });

  it("the policy's caller ID per country is used unless the request sets one", async () => {
    const clock = new VirtualClock();
    const dialingPolicy = { callerId: { default: '+14255550000', byCountry: { GB: '+442079460001' } } };
    const policyOnly = await runVerification(
      { targets: [PRIMARY] },
      { provider: approving(clock, [PRIMARY]), clock, dialingPolicy },
    );
    expect(policyOnly.attempts[0]?.callerId).toBe('+14255550000');
    const requestWins = await runVerification(
      { targets: [PRIMARY], callerId: '+14255559999' },
      { provider: approving(clock, [PRIMARY]), clock, dialingPolicy },
    );
    expect(requestWins.attempts[0]?.callerId).toBe('+14255559999');
  });

  it('masks numbers in the result and the event stream when asked', async () => {
    const clock = new VirtualClock();
    const observations: VerificationObservation[] = [];
    const result = await runVerification(
      { targets: [PRIMARY] },
      { provider: approving(clock, [PRIMARY]), clock, maskNumbers: true, onEvent: (o) => observations.push(o) },
    );
    expect(result.attempts[0]?.target.e164).toBe('+1 425 ••• 0100');
    expect(JSON.stringify(result)).not.toContain('4255550100');
    expect(JSON.stringify(observations)).not.toContain('4255550100');
  });

  it('abuse limits refuse a verification before any call is placed, with a typed error', async () => {
    const clock = new VirtualClock();
    const carrier = approving(clock, [PRIMARY]);
    const guard = createAbuseGuard({
      now: () => clock.now(),
      limits: { perUser: [{ max: 1, windowMs: 60_000 }] },
    });
    const first = await runVerification(
      { targets: [PRIMARY] },
      { provider: carrier, clock, abuseGuard: guard, userId: 'alice' },
    );
    expect(first.status).toBe('approved');
    const refused = runVerification(
      { targets: [PRIMARY] },
      { provider: carrier, clock, abuseGuard: guard, userId: 'alice' },
    );
    await expect(refused).rejects.toBeInstanceOf(VerificationRefusedError);
    await expect(refused).rejects.toMatchObject({ code: 'VERIFICATION_REFUSED' });
    expect(carrier.calls).toHaveLength(1);
  });

  it('a verification starts once the abuse limits let it: its time, the first dial and its deadlines count from then', async () => {
    const clock = new VirtualClock();
    const carrier = approving(clock, [PRIMARY]);
    const guard = createAbuseGuard({ now: () => clock.now() });
    // A shared store takes its time to answer.
    const slowGuard = Object.assign(Object.create(guard), {
      check: async (request: Parameters<typeof guard.check>[0]) => {
        await new Promise((resolve) => clock.setTimeout(resolve, 5_000));
        return guard.check(request);
      },
    }) as typeof guard;
    const result = await runVerification(
      { targets: [PRIMARY], timing: { maxTotalMs: 60_000 } },
      { provider: carrier, clock, abuseGuard: slowGuard, userId: 'alice' },
    );
    expect(result.status).toBe('approved');
    expect(result.startedAt).toBe(5_000);
    expect(result.attempts[0]?.times.dialedAt).toBe(5_000);
  });

  it('a start whose session cannot be opened places nothing, and gives back what the abuse limits counted', async () => {
    const clock = new VirtualClock();
    const carrier = approving(clock, [PRIMARY]);
    const guard = createAbuseGuard({
      now: () => clock.now(),
      limits: { perUser: [{ max: 1, windowMs: 60_000 }] },
    });
    const closed = {
      ...carrier,
      name: carrier.name,
      capabilities: carrier.capabilities,
      openSession: () => {
        throw new Error('the provider is closed');
      },
    };
    await expect(
      runVerification({ targets: [PRIMARY] }, { provider: closed, clock, abuseGuard: guard, userId: 'alice' }),
    ).rejects.toThrow('the provider is closed');
    // The one start the limit allows is still there.
    const result = await runVerification(
      { targets: [PRIMARY] },
      { provider: carrier, clock, abuseGuard: guard, userId: 'alice' },
    );
    expect(result.status).toBe('approved');
  });

  it('a fraud report locks the user out', async () => {
    const clock = new VirtualClock();
    const carrier = new SimulatedCarrier({
      clock,
      numbers: { [PRIMARY]: { kind: 'answers', responses: [{ press: '0#' }] } },
    });
    const guard = createAbuseGuard({ now: () => clock.now() });
    const observations: VerificationObservation[] = [];
    const result = await runVerification(
      { targets: [PRIMARY] },
      { provider: carrier, clock, abuseGuard: guard, userId: 'bob', onEvent: (o) => observations.push(o) },
    );
    expect(result.status).toBe('fraud');
    expect(observations.some((o) => o.type === 'abuse.locked')).toBe(true);
    await expect(
      runVerification({ targets: [PRIMARY] }, { provider: carrier, clock, abuseGuard: guard, userId: 'bob' }),
    ).rejects.toBeInstanceOf(VerificationRefusedError);
  });

  it('counts the denial of each verification when a host gives two the same verificationId', async () => {
    const clock = new VirtualClock();
    const carrier = new SimulatedCarrier({
      clock,
      numbers: { [PRIMARY]: { kind: 'answers', responses: [{ hangUp: true }] } },
    });
    const guard = createAbuseGuard({
      now: () => clock.now(),
      limits: { numberCooldownMs: 0, denialLockout: { maxDenials: 2, windowMs: 3_600_000, lockMs: 3_600_000 } },
    });
    const options = { provider: carrier, clock, abuseGuard: guard, userId: 'alice', verificationId: 'login-session-7' };
    expect((await runVerification({ targets: [PRIMARY] }, options)).status).toBe('denied');
    const observations: VerificationObservation[] = [];
    const second = await runVerification({ targets: [PRIMARY] }, { ...options, onEvent: (o) => observations.push(o) });
    expect(second.status).toBe('denied');
    expect(observations).toContainEqual(
      expect.objectContaining({
        type: 'abuse.locked',
        locks: [expect.objectContaining({ rule: 'user-denial-lockout' })],
      }),
    );
    await expect(runVerification({ targets: [PRIMARY] }, options)).rejects.toMatchObject({
      rule: 'user-denial-lockout',
    });
  });

  it('an abuse guard without a user id is a request error', async () => {
    const clock = new VirtualClock();
    await expect(
      runVerification(
        { targets: [PRIMARY] },
        { provider: approving(clock, [PRIMARY]), clock, abuseGuard: createAbuseGuard() },
      ),
    ).rejects.toBeInstanceOf(InvalidRequestError);
  });
});
