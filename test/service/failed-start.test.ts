/**
 * A start that fails with nothing saved changes nothing: the abuse limits
 * count a start when they let it through, and a start whose record then cannot
 * be saved (its id is taken, the store is down) gives the count back, so the
 * user's next legitimate start is not refused by a cool-down or a rate it never
 * used. A store that may have saved it keeps the count.
 */
import { expect, it } from 'vitest';
import { createAbuseGuard, MemoryAbuseLimitStore, VerificationRefusedError } from '../../src/index.js';
import { SimulatedCarrier } from '../../src/providers/simulated/simulatedCarrier.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import { DuplicateVerificationError, StoreUnavailableError } from '../../src/store/errors.js';
import { describeOnEveryStore, type OpenStore } from '../support/serviceStores.js';
import { startSimulatedService } from '../support/simulatedService.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

async function setUp(open: OpenStore) {
  const clock = new VirtualClock({ autoAdvance: false });
  const store = await open(clock);
  const carrier = new SimulatedCarrier({ clock, numbers: { [PRIMARY]: { kind: 'no-answer' } } });
  // A minute between calls to one number, one start per user an hour.
  const guard = createAbuseGuard({
    store: new MemoryAbuseLimitStore(),
    now: () => clock.now(),
    limits: { numberCooldownMs: 60_000, perUser: [{ max: 1, windowMs: 3_600_000 }] },
  });
  const { service, errors } = startSimulatedService(carrier, clock, store, { abuseGuard: guard });
  const stop = async () => {
    await service.close();
    carrier.hangUpAll();
    await store.close();
  };
  return { store, carrier, service, errors, stop };
}

describeOnEveryStore('a start that fails', (open) => {
  it('on an id that is taken counts nothing against the abuse limits', async () => {
    const { carrier, service, errors, stop } = await setUp(open);
    await service.start({ targets: [PRIMARY] }, { userId: 'alice', verificationId: 'v-1' });
    const taken = service.start({ targets: [BACKUP] }, { userId: 'bob', verificationId: 'v-1' });
    await expect(taken).rejects.toBeInstanceOf(DuplicateVerificationError);
    // bob's real start, to the number nobody called, within the cool-down and his hourly one.
    const { verificationId } = await service.start({ targets: [BACKUP] }, { userId: 'bob', verificationId: 'v-2' });
    expect(verificationId).toBe('v-2');
    await stop();
    expect(carrier.calls.map((call) => call.to)).toEqual([PRIMARY, BACKUP]);
    expect(errors).toEqual([]);
  });

  it('on a store that cannot save it counts nothing against the abuse limits', async () => {
    const { store, carrier, service, errors, stop } = await setUp(open);
    const create = store.create.bind(store);
    store.create = async () => {
      throw new StoreUnavailableError('the database is restarting');
    };
    const failed = service.start({ targets: [PRIMARY] }, { userId: 'alice', verificationId: 'v-1' });
    await expect(failed).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.read('v-1')).toBeNull();
    store.create = create;
    await service.start({ targets: [PRIMARY] }, { userId: 'alice', verificationId: 'v-1' });
    await stop();
    expect(carrier.calls.map((call) => call.to)).toEqual([PRIMARY]);
    expect(errors).toEqual([]);
  });

  it('on a store that failed while saving it, and may have saved it, keeps the count', async () => {
    const { store, carrier, service, errors, stop } = await setUp(open);
    const create = store.create.bind(store);
    // The record is saved, and then the connection is lost before the store could say so.
    store.create = async (write) => {
      await create(write);
      throw new StoreUnavailableError('the connection was lost during the commit');
    };
    const failed = service.start({ targets: [PRIMARY] }, { userId: 'alice', verificationId: 'v-1' });
    await expect(failed).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.read('v-1')).not.toBeNull();
    store.create = create;
    await expect(
      service.start({ targets: [BACKUP] }, { userId: 'alice', verificationId: 'v-2' }),
    ).rejects.toBeInstanceOf(VerificationRefusedError);
    await stop();
    expect(carrier.calls.map((call) => call.to)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
