/**
 * `close()` waits for every step this instance has under way — a start, a
 * cancel, a webhook — and for the effects those steps committed, so that the
 * host may close the store right after it; an effect that fails in the
 * background reaches `onError`.
 */
import { expect, it } from 'vitest';
import { SimulatedCarrier } from '../../src/providers/simulated/simulatedCarrier.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import type { VerificationService } from '../../src/service/verificationService.js';
import { ServiceClosedError, StoreUnavailableError } from '../../src/store/errors.js';
import type { VerificationStore } from '../../src/store/types.js';
import { describeOnEveryStore, type OpenStore } from '../support/serviceStores.js';
import { startSimulatedService } from '../support/simulatedService.js';

const PRIMARY = '+14255550100';
/** How long a slow step takes: a busy disk, a database under load. */
const SLOW_MS = 100;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits, in real time, until `done` holds: a database store answers in its own time. */
async function until(done: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await done()); i++) await pause(5);
  expect(await done()).toBe(true);
}

/** Makes every step under the store's lock take {@link SLOW_MS} longer. */
function slowSteps(store: VerificationStore): void {
  const withVerification = store.withVerification.bind(store);
  store.withVerification = (id, key, step) =>
    withVerification(id, key, async (locked) => {
      await pause(SLOW_MS);
      return step(locked);
    });
}

/** A verification whose call rings, on a fresh store. */
async function ringing(open: OpenStore) {
  const clock = new VirtualClock({ autoAdvance: false });
  const store = await open(clock);
  const carrier = new SimulatedCarrier({ clock, numbers: { [PRIMARY]: { kind: 'no-answer' } } });
  const { service, errors } = startSimulatedService(carrier, clock, store);
  const { verificationId } = await service.start({ targets: [PRIMARY] }, { verificationId: 'v-1' });
  await until(() => carrier.calls.length === 1);
  clock.advanceBy(5_000);
  await until(async () => (await store.readAudit({ verificationId })).some((row) => row.what === 'call.ringing'));
  return { store, carrier, service, errors, verificationId };
}

/** A ringing verification that webhooks find by a binding, whose steps are slow from then on. */
async function ringingWithWebhooks(open: OpenStore) {
  const running = await ringing(open);
  const binding = { kind: 'test-call', key: 'k-1' };
  await running.store.withVerification(running.verificationId, null, async ({ verification }) => {
    if (verification === null) throw new Error('missing');
    const next = { ...verification, version: verification.version + 1 };
    return { write: { verification: next, audit: [], outbox: [], bindings: [binding] }, value: null };
  });
  slowSteps(running.store);
  return { running, binding, callId: running.carrier.calls[0]?.callId as string };
}

interface Running {
  store: VerificationStore;
  carrier: SimulatedCarrier;
  service: VerificationService;
  errors: unknown[];
}

/**
 * Closes the service while `work` is under way, then the store: `work` must
 * have ended by the time `close()` resolved (what `then` checks then too),
 * and without an error.
 */
async function closeDuring(work: Promise<unknown>, { store, carrier, service, errors }: Running, then = () => {}) {
  let settled = false;
  const outcome = work.then(
    () => 'ok',
    (error: unknown) => String(error),
  );
  void outcome.finally(() => {
    settled = true;
  });
  await pause(SLOW_MS / 10);
  await service.close();
  expect(settled).toBe(true);
  then();
  await store.close();
  expect(await outcome).toBe('ok');
  expect(errors).toEqual([]);
  carrier.hangUpAll();
}

describeOnEveryStore('close()', (open) => {
  it('waits for a cancel under way and the hang-up it committed; the store can be closed right after', async () => {
    const running = await ringing(open);
    slowSteps(running.store);
    await closeDuring(running.service.cancel(running.verificationId), running, () =>
      expect(running.carrier.calls[0]?.endedBy).toBe('hung-up-by-us'),
    );
  });

  it('waits for a start under way and the dial it committed', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const store = await open(clock);
    const carrier = new SimulatedCarrier({ clock, numbers: { [PRIMARY]: { kind: 'no-answer' } } });
    const { service, errors } = startSimulatedService(carrier, clock, store);
    const create = store.create.bind(store);
    store.create = async (write) => {
      await pause(SLOW_MS);
      return create(write);
    };
    await closeDuring(service.start({ targets: [PRIMARY] }), { store, carrier, service, errors }, () =>
      expect(carrier.calls.map((call) => call.to)).toEqual([PRIMARY]),
    );
  });

  it('waits for a webhook under way', async () => {
    const { running, binding, callId } = await ringingWithWebhooks(open);
    await closeDuring(running.service.receive(binding, { type: 'call.ringing', callId }), running);
  });

  it('takes a webhook that arrives while it waits, and waits for it too; a cancel then is refused', async () => {
    const { running, binding, callId } = await ringingWithWebhooks(open);
    const underWay = running.service.deliverEvent(running.verificationId, { type: 'call.ringing', callId });
    const closing = running.service.close();
    const webhook = running.service.receive(binding, { type: 'call.ringing', callId });
    await expect(running.service.cancel(running.verificationId)).rejects.toBeInstanceOf(ServiceClosedError);
    await closeDuring(webhook, running);
    await closing;
    await underWay;
  });

  it('waits for a sweep the host called, from its first look at the store', async () => {
    const running = await ringing(open);
    const claimDue = running.store.claimDue.bind(running.store);
    running.store.claimDue = async (...args) => {
      await pause(SLOW_MS);
      return claimDue(...args);
    };
    await closeDuring(running.service.sweep(), running);
  });

  it('reports an effect that could not be started to onError', async () => {
    const { store, carrier, service, errors, verificationId } = await ringing(open);
    store.startOutbox = async () => {
      throw new StoreUnavailableError('the database is restarting');
    };
    await service.cancel(verificationId);
    await service.close();
    expect(errors.map(String)).toEqual(['StoreUnavailableError: the database is restarting']);
    await store.close();
    carrier.hangUpAll();
  });
});
