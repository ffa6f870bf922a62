import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/runtime/clock.js';
import { createVerificationService, type VerificationService } from '../../src/service/verificationService.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { createManualDurableProvider } from '../support/manualDurableProvider.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';
const RING_TIMEOUT_MS = 30_000;

/** Lets the service's promise chains (effects, steps) run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

/**
 * Two instances on one store. The first places the primary's call, which rings
 * until the ring timer ends it: that step commits a hang-up and then the
 * backup's dial, and the hang-up is held up.
 */
async function ringTimerEndsFirstCall(options: { effectLeaseMs?: number } = {}) {
  const clock = new VirtualClock({ autoAdvance: false });
  const store = new MemoryVerificationStore({ clock });
  const manual = createManualDurableProvider();
  const errors: unknown[] = [];
  const open = (instanceId: string): VerificationService =>
    createVerificationService({
      store,
      provider: manual.provider,
      clock,
      sweepIntervalMs: null,
      instanceId,
      onError: (error) => errors.push(error),
      ...options,
    });
  const first = open('first');
  const other = open('other');
  const { verificationId } = await first.start({
    targets: [PRIMARY, BACKUP],
    timing: { ringTimeoutMs: RING_TIMEOUT_MS },
  });
  await settle();
  await first.deliverEvent(verificationId, { type: 'call.dialed', attempt: 0, callId: 'CA1' });
  await first.deliverEvent(verificationId, { type: 'call.ringing', callId: 'CA1' });
  const hangUp = manual.holdUp('hangUp');
  clock.advanceBy(RING_TIMEOUT_MS);
  await settle();
  const dials = () => manual.carriedOut.filter((command) => command.type === 'dial').map((dial) => dial.to);
  type Attempt = { result: string | null; providerCode: string | null };
  // A finished verification hands its attempts over to its result.
  const attempts = async () => {
    const stored = await store.read(verificationId);
    if (stored === null) throw new Error('the verification is gone');
    const list =
      stored.status === 'finished'
        ? (stored.result as unknown as { attempts: Attempt[] }).attempts
        : (stored.snapshot as unknown as { context: { attempts: Attempt[] } }).context.attempts;
    return list.map((attempt) => [attempt.result, attempt.providerCode]);
  };
  return { clock, store, first, other, hangUp, dials, attempts, errors, verificationId };
}

describe('the effects a step committed, carried out in order by its instance', () => {
  it('a slow hang-up does not make any sweep take the next dial for one left by a stopped instance', async () => {
    const run = await ringTimerEndsFirstCall();
    expect(run.dials()).toEqual([PRIMARY]);
    // The hang-up takes 11 s, longer than orphanAfterMs (10 s); both instances sweep meanwhile.
    run.clock.advanceBy(11_000);
    await run.first.sweep();
    await run.other.sweep();
    run.hangUp.release();
    await settle();
    expect(run.dials()).toEqual([PRIMARY, BACKUP]);
    expect(await run.attempts()).toEqual([
      ['no-answer', null],
      [null, null],
    ]);
    expect(run.errors).toEqual([]);
    await Promise.all([run.first.close(), run.other.close()]);
  });

  it('an instance that holds its next dial longer than an effect lease is taken for stopped, and the dial is never placed twice', async () => {
    const run = await ringTimerEndsFirstCall({ effectLeaseMs: 20_000 });
    run.clock.advanceBy(21_000);
    // The other instance also retries the hang-up, whose lease ended: the sweep waits for it.
    const sweep = run.other.sweep();
    await settle();
    // It ends the attempt as interrupted, and rolls over: no number is left.
    expect(await run.attempts()).toEqual([
      ['no-answer', null],
      ['failed', 'DIAL_INTERRUPTED'],
    ]);
    run.hangUp.release();
    await sweep;
    await settle();
    expect(run.dials()).toEqual([PRIMARY]);
    expect((await run.store.read(run.verificationId))?.status).toBe('finished');
    await Promise.all([run.first.close(), run.other.close()]);
  });

  it('a hang-up the next dial waits behind is waited for past its lease: the dial never goes out while it may be up', async () => {
    const run = await ringTimerEndsFirstCall({ effectLeaseMs: 50 });
    // Longer than the lease, in real time: a hook would have been given up on by now.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(run.dials()).toEqual([PRIMARY]);
    run.hangUp.release();
    await settle();
    expect(run.dials()).toEqual([PRIMARY, BACKUP]);
    expect(run.errors).toEqual([]);
    await Promise.all([run.first.close(), run.other.close()]);
  });

  it('a dial held behind a slow hang-up is not placed once a later step ended its attempt (a cancel on another instance)', async () => {
    const run = await ringTimerEndsFirstCall();
    await run.other.cancel(run.verificationId);
    run.hangUp.release();
    await settle();
    expect(run.dials()).toEqual([PRIMARY]);
    expect(await run.attempts()).toEqual([
      ['no-answer', null],
      ['canceled', null],
    ]);
    // Nothing of the step is left to carry out.
    expect(await run.store.findOutbox(run.clock.now() + 1_000_000, run.clock.now() + 1_000_000, 10)).toEqual([]);
    expect(run.errors).toEqual([]);
    await Promise.all([run.first.close(), run.other.close()]);
  });
});

describe('what an effect learnt', () => {
  it('a refused dial rolls over at once although the store failed to clear its outbox entry', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const store = new MemoryVerificationStore({ clock });
    const manual = createManualDurableProvider();
    const run = manual.provider.run.bind(manual.provider);
    manual.provider.run = async (effect, context) => {
      const command = effect.payload as unknown as { type: string; to?: string };
      if (command.type === 'dial' && command.to === PRIMARY) throw Object.assign(new Error('refused'), { code: 21215 });
      return run(effect, context);
    };
    const finishOutbox = store.finishOutbox.bind(store);
    let failures = 1;
    store.finishOutbox = async (id) => {
      if (failures-- > 0) throw new StoreUnavailableError('the database is restarting');
      return finishOutbox(id);
    };
    const errors: unknown[] = [];
    const service = createVerificationService({
      store,
      provider: manual.provider,
      clock,
      sweepIntervalMs: null,
      onError: (error) => errors.push(error),
    });
    const { verificationId } = await service.start({ targets: [PRIMARY, BACKUP] });
    await settle();
    type Attempt = { result: string | null; providerCode: string | null };
    const stored = await store.read(verificationId);
    const { attempts } = (stored?.snapshot as unknown as { context: { attempts: Attempt[] } } | undefined)?.context ?? {
      attempts: [],
    };
    expect(attempts.map((attempt) => [attempt.result, attempt.providerCode])).toEqual([
      ['failed', '21215'],
      [null, null],
    ]);
    expect(manual.carriedOut.map((command) => command.type === 'dial' && command.to)).toEqual([BACKUP]);
    expect(errors.map(String)).toEqual(['Error: refused', 'StoreUnavailableError: the database is restarting']);
    await service.close();
  });
});

describe('an effect carried out at least once that never settles', () => {
  it('is waited for one effect lease at most (real time), so that sweeps, deadlines and close() go on; it stays to be retried', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const store = new MemoryVerificationStore({ clock });
    const manual = createManualDurableProvider();
    const errors: unknown[] = [];
    const hookCalls: string[] = [];
    const service = createVerificationService({
      store,
      provider: manual.provider,
      clock,
      sweepIntervalMs: null,
      effectLeaseMs: 50,
      onError: (error) => errors.push(error),
      onFinished: (_result, { verificationId }) => {
        hookCalls.push(verificationId);
        return new Promise<void>(() => {});
      },
    });
    const first = await service.start({ targets: [PRIMARY] });
    await service.cancel(first.verificationId);
    const second = await service.start({ targets: [BACKUP], timing: { maxTotalMs: 5_000 } });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(hookCalls).toEqual([first.verificationId]);
    // The first hook's lease has ended, and the second verification's deadline has come: one sweep does both.
    clock.advanceBy(5_000);
    await service.sweep();
    expect(hookCalls.filter((id) => id === first.verificationId)).toHaveLength(2);
    expect((await service.getResult(second.verificationId))?.status).toBe('expired');
    const left = await store.findOutbox(clock.now() + 1_000, clock.now() + 1_000, 10);
    expect(left.map((entry) => [entry.verificationId, entry.payload, entry.tries])).toContainEqual([
      first.verificationId,
      { kind: 'finished' },
      2,
    ]);
    // close() waits for the second verification's hook no longer than its lease either.
    await service.close();
    expect(hookCalls.filter((id) => id === second.verificationId)).toHaveLength(1);
    const timedOut =
      'onFinished did not settle within 50 ms: it stays in the outbox, for a sweep to carry it out again once its lease ends';
    expect(errors.map((error) => (error as Error).message)).toEqual([timedOut, timedOut, timedOut]);
  });
});
