/**
 * The durable service's API beyond one verification's calls: results from any
 * instance, cancel, the hooks run through the outbox (at least once), typed
 * errors for unknown ids and damaged records, and a store that is down.
 */
import { executionAsyncResource } from 'node:async_hooks';
import { describe, expect, it, vi } from 'vitest';
import {
  createAbuseGuard,
  InvalidRequestError,
  MemoryAbuseLimitStore,
  type VerificationResult,
} from '../../src/index.js';
import { SimulatedCarrier } from '../../src/providers/simulated/simulatedCarrier.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import { createVerificationService, type VerificationSubject } from '../../src/service/verificationService.js';
import {
  CorruptRecordError,
  ResultTimeoutError,
  ServiceClosedError,
  StoreUnavailableError,
  UnknownVerificationError,
} from '../../src/store/errors.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import type { VerificationStore } from '../../src/store/types.js';
import { DenialReadFailingStore } from '../phone/abuseGuardSetup.js';
import { startSimulatedService } from '../support/simulatedService.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** Waits a bounded while for the service to report `count` errors, and fails saying how many came. */
async function untilErrors(errors: readonly unknown[], count = 1): Promise<void> {
  for (let i = 0; i < 50 && errors.length < count; i++) await settle();
  expect(errors, `the service reported ${errors.length} errors, expected ${count}`).toHaveLength(count);
}

function setUp(numbers: ConstructorParameters<typeof SimulatedCarrier>[0]['numbers'] = {}, autoAdvance = false) {
  const clock = new VirtualClock({ autoAdvance });
  const store = new MemoryVerificationStore({ clock });
  const carrier = new SimulatedCarrier({ clock, numbers });
  return { clock, store, carrier };
}

describe('the durable service', () => {
  it('gives the result to any instance, masked by default; cancel hangs the call up', async () => {
    const { clock, store, carrier } = setUp({ [PRIMARY]: { kind: 'no-answer' } });
    const a = createVerificationService({ store, provider: carrier, clock, sweepIntervalMs: null });
    const b = createVerificationService({ store, provider: carrier, clock, sweepIntervalMs: null, maskNumbers: false });
    carrier.connect((id, event) => a.deliverEvent(id, event));
    const { verificationId } = await a.start({ targets: [PRIMARY] }, { verificationId: 'v-cancel' });
    expect(verificationId).toBe('v-cancel');
    await settle();
    clock.advanceBy(5_000);
    await settle();
    expect(carrier.calls[0]?.endedBy).toBeNull();
    expect(await b.getResult(verificationId)).toBeNull();
    await b.cancel(verificationId);
    const masked = await a.waitForResult(verificationId);
    expect(masked.status).toBe('canceled');
    expect(masked.attempts[0]?.target.e164).toBe('+1 425 ••• 0100');
    expect((await b.getResult(verificationId))?.attempts[0]?.target.e164).toBe(PRIMARY);
    await settle();
    expect(carrier.calls[0]?.endedBy).toBe('hung-up-by-us');
    await a.close();
    await b.close();
    carrier.hangUpAll();
  });

  it('refuses what it cannot do, with typed errors: an unknown id, the same id twice, a bad request, the abuse limits without a user', async () => {
    const { clock, store, carrier } = setUp();
    const guard = createAbuseGuard({ store: new MemoryAbuseLimitStore(), now: () => clock.now() });
    const service = createVerificationService({
      store,
      provider: carrier,
      clock,
      sweepIntervalMs: null,
      abuseGuard: guard,
    });
    await expect(service.getResult('nope')).rejects.toBeInstanceOf(UnknownVerificationError);
    await expect(service.cancel('nope')).rejects.toBeInstanceOf(UnknownVerificationError);
    // The network's reports are untrusted and may outlive their verification: one for no verification is ignored.
    await expect(service.deliverEvent('nope', { type: 'call.ringing', callId: 'CA1' })).resolves.toBeUndefined();
    expect(await store.read('nope')).toBeNull();
    await expect(service.start({ targets: [] }, { userId: 'alice' })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(service.start({ targets: [PRIMARY] })).rejects.toBeInstanceOf(InvalidRequestError);
    await service.start({ targets: [PRIMARY] }, { userId: 'alice', verificationId: 'v-1' });
    await expect(service.start({ targets: [BACKUP] }, { userId: 'alice', verificationId: 'v-1' })).rejects.toThrow(
      /exists already/,
    );
    await service.close();
    carrier.hangUpAll();
  });

  it('gives up waiting after timeoutMs with a ResultTimeoutError naming the verification and the wait', async () => {
    const { clock, store, carrier } = setUp({ [PRIMARY]: { kind: 'no-answer' } });
    const service = createVerificationService({ store, provider: carrier, clock, sweepIntervalMs: null });
    // A network whose reports go nowhere: the verification does not end.
    carrier.connect(() => {});
    const { verificationId } = await service.start({ targets: [PRIMARY] }, { verificationId: 'v-wait' });
    for (const timeoutMs of [0, 20]) {
      const waited = service.waitForResult(verificationId, { timeoutMs });
      await expect(waited).rejects.toBeInstanceOf(ResultTimeoutError);
      await expect(waited).rejects.toMatchObject({
        code: 'RESULT_TIMEOUT',
        verificationId,
        timeoutMs,
        message: `Verification "v-wait" has not ended within ${timeoutMs} ms`,
      });
    }
    expect(await service.getResult(verificationId)).toBeNull();
    await service.close();
    carrier.hangUpAll();
  });

  it('refuses a start after close() with a ServiceClosedError, before the request is read or the store touched', async () => {
    const { clock, store, carrier } = setUp({ [PRIMARY]: { kind: 'no-answer' } });
    const service = createVerificationService({ store, provider: carrier, clock, sweepIntervalMs: null });
    await service.close();
    const started = service.start({ targets: [PRIMARY] }, { verificationId: 'v-late' });
    await expect(started).rejects.toBeInstanceOf(ServiceClosedError);
    await expect(started).rejects.toMatchObject({ code: 'SERVICE_CLOSED', message: expect.stringMatching(/start/) });
    expect(await store.read('v-late')).toBeNull();
    expect(carrier.calls).toEqual([]);
  });

  it('once close() resolved, refuses cancel, deliverEvent, receive, getResult and waitForResult with a ServiceClosedError, without touching the store', async () => {
    const { clock, store, carrier } = setUp({ [PRIMARY]: { kind: 'no-answer' } });
    const service = createVerificationService({ store, provider: carrier, clock, sweepIntervalMs: null });
    carrier.connect((id, event) => service.deliverEvent(id, event));
    const { verificationId } = await service.start({ targets: [PRIMARY] }, { verificationId: 'v-open' });
    await settle();
    const waiting = service.waitForResult(verificationId).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await service.close();
    const touched: string[] = [];
    for (const method of ['now', 'read', 'withVerification', 'findBinding'] as const) {
      const original = (store[method] as (...args: unknown[]) => unknown).bind(store);
      (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        touched.push(method);
        return original(...args);
      };
    }
    const event = { type: 'call.ringing', callId: 'CA1' } as const;
    const calls = {
      cancel: service.cancel(verificationId),
      deliverEvent: service.deliverEvent(verificationId, event),
      receive: service.receive({ kind: 'test-call', key: 'k-1' }, event),
      getResult: service.getResult(verificationId),
      waitForResult: service.waitForResult(verificationId, { timeoutMs: 0 }),
    };
    for (const [operation, call] of Object.entries(calls)) {
      await expect(call).rejects.toBeInstanceOf(ServiceClosedError);
      await expect(call).rejects.toThrow(`The verification service is closed: ${operation} is refused`);
    }
    // A wait under way when the service closed ends too, instead of looking at the store for ever.
    expect(await waiting).toBeInstanceOf(ServiceClosedError);
    expect(touched).toEqual([]);
    expect(carrier.calls[0]?.endedBy).toBeNull();
    carrier.hangUpAll();
  });

  it('refuses an id that is no verification id, and waiting options it cannot wait by, with an InvalidRequestError', async () => {
    const { clock, store, carrier } = setUp({ [PRIMARY]: { kind: 'no-answer' } });
    const service = createVerificationService({ store, provider: carrier, clock, sweepIntervalMs: null });
    const { verificationId } = await service.start({ targets: [PRIMARY] });
    await settle();
    const reads: unknown[] = [];
    const read = store.read.bind(store);
    store.read = (id) => {
      reads.push(id);
      return read(id);
    };
    const event = { type: 'call.ringing', callId: 'CA1' } as const;
    for (const id of [{}, 42, null, '', 'x'.repeat(257), 'v\n1'] as unknown as string[]) {
      await expect(service.getResult(id)).rejects.toThrow(/verificationId: must/);
      await expect(service.cancel(id)).rejects.toBeInstanceOf(InvalidRequestError);
      await expect(service.deliverEvent(id, event)).rejects.toBeInstanceOf(InvalidRequestError);
      await expect(service.waitForResult(id)).rejects.toBeInstanceOf(InvalidRequestError);
    }
    // A wait that could never end, or would look at the store without pause, is refused before the first look.
    const badWaits = [{ timeoutMs: Number.NaN }, { timeoutMs: -1 }, { timeoutMs: '100' }, { signal: {} }, null];
    for (const options of badWaits as unknown as Parameters<typeof service.waitForResult>[1][]) {
      await expect(service.waitForResult(verificationId, options)).rejects.toThrow(
        /Invalid verification request: (options|timeoutMs|signal): must/,
      );
    }
    expect(reads).toEqual([]);
    await service.close();
    carrier.hangUpAll();
  });

  it('runs onFinished and feeds the abuse limits through the outbox, at least once: a hook that failed is retried by a sweep', async () => {
    const { clock, store, carrier } = setUp({ [PRIMARY]: { kind: 'answers', responses: [{ hangUp: true }] } }, true);
    const guard = createAbuseGuard({
      store: new MemoryAbuseLimitStore(),
      now: () => clock.now(),
      limits: { denialLockout: { maxDenials: 1, windowMs: 3_600_000, lockMs: 3_600_000 } },
    });
    const finished: [VerificationResult, VerificationSubject][] = [];
    const errors: unknown[] = [];
    let failures = 1;
    const service = createVerificationService({
      store,
      provider: carrier,
      clock,
      sweepIntervalMs: null,
      abuseGuard: guard,
      effectLeaseMs: 1_000,
      onError: (error) => errors.push(error),
      onFinished: (result, subject) => {
        if (failures-- > 0) throw new Error('the host was busy');
        finished.push([result, subject]);
      },
    });
    carrier.connect((id, event) => service.deliverEvent(id, event));
    const { verificationId } = await service.start({ targets: [PRIMARY] }, { userId: 'alice' });
    const result = await service.waitForResult(verificationId);
    expect(result.status).toBe('denied');
    await untilErrors(errors);
    expect(String(errors[0])).toContain('the host was busy');
    expect(finished).toEqual([]);
    clock.advanceBy(2_000);
    await service.sweep();
    expect(finished).toHaveLength(1);
    expect(finished[0]?.[0].status).toBe('denied');
    expect(finished[0]?.[1]).toEqual({ verificationId, userId: 'alice' });
    // The denial reached the abuse limits: the next verification of alice is refused before any call.
    await expect(service.start({ targets: [BACKUP] }, { userId: 'alice' })).rejects.toThrow(/locked|refused/i);
    await service.close();
    carrier.hangUpAll();
  });

  it('feeds a denial to the abuse limits once when the guard’s store failed after counting it and the hook is retried', async () => {
    const { clock, store, carrier } = setUp({ [PRIMARY]: { kind: 'answers', responses: [{ hangUp: true }] } }, true);
    // Fails the first read of a user's denials: the denial is counted, the record fails.
    const limitStore = new DenialReadFailingStore('the limit store was busy');
    limitStore.failNextDenialRead = true;
    const guard = createAbuseGuard({
      store: limitStore,
      now: () => clock.now(),
      limits: { denialLockout: { maxDenials: 2, windowMs: 3_600_000, lockMs: 3_600_000 } },
    });
    const record = vi.spyOn(guard, 'record');
    const { service, errors } = startSimulatedService(carrier, clock, store, {
      abuseGuard: guard,
      effectLeaseMs: 1_000,
    });
    const { verificationId } = await service.start({ targets: [PRIMARY] }, { userId: 'alice' });
    expect((await service.waitForResult(verificationId)).status).toBe('denied');
    await untilErrors(errors);
    expect(String(errors[0])).toContain('the limit store was busy');
    expect(record).toHaveBeenCalledTimes(1);
    clock.advanceBy(2_000);
    await service.sweep();
    // The sweep retried the record, which found the denial counted and counted it not again.
    expect(record).toHaveBeenCalledTimes(2);
    expect(record).toHaveBeenLastCalledWith(expect.anything(), { userId: 'alice', verificationId });
    await expect(record.mock.results[1]?.value).resolves.toEqual([]);
    expect(await limitStore.getEvents('user-denials:alice', 0)).toHaveLength(1);
    // One denied verification, counted once: alice is not locked (two would lock her).
    const next = await service.start({ targets: [BACKUP] }, { userId: 'alice' });
    expect(next.verificationId).not.toBe(verificationId);
    expect(errors).toHaveLength(1);
    await service.close();
    carrier.hangUpAll();
  });

  it('a damaged record is an error for that verification only', async () => {
    const { clock, store, carrier } = setUp(
      { [PRIMARY]: { kind: 'no-answer' }, [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] } },
      true,
    );
    const { service, errors } = startSimulatedService(carrier, clock, store);
    const { verificationId: damaged } = await service.start({ targets: [PRIMARY] });
    await store.withVerification(damaged, null, async ({ verification }) => {
      if (verification === null) throw new Error('missing');
      return {
        write: {
          verification: { ...verification, version: verification.version + 1, snapshot: { garbage: true } },
          audit: [],
          outbox: [],
        },
        value: null,
      };
    });
    await expect(service.cancel(damaged)).rejects.toBeInstanceOf(CorruptRecordError);
    const { verificationId: healthy } = await service.start({ targets: [BACKUP] });
    expect((await service.waitForResult(healthy)).status).toBe('approved');
    expect(errors.some((e) => e instanceof CorruptRecordError)).toBe(true);
    await service.close();
    carrier.hangUpAll();
  });

  it('a store that is down gives a clear error and approves nothing', async () => {
    const { clock, carrier } = setUp();
    const down = new Proxy({} as VerificationStore, {
      get: (_target, property) =>
        property === 'onWake'
          ? () => () => {}
          : async () => {
              throw new StoreUnavailableError('the database at 127.0.0.1:5432 refused the connection');
            },
    });
    const service = createVerificationService({ store: down, provider: carrier, clock, sweepIntervalMs: null });
    await expect(service.start({ targets: [PRIMARY] })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(service.receive({ kind: 'twilio-token', key: 'x' }, {})).rejects.toBeInstanceOf(StoreUnavailableError);
    await service.close();
  });

  it('tells each PIN check whose PIN it is, with services side by side, and many services leave no per-service state in the process', async () => {
    const PIN = '2468';
    /** Symbol-keyed values Node puts on a new async resource: one per async-local storage it carries. */
    const carriedStores = () =>
      new Promise<number>((resolve) =>
        setImmediate(() => resolve(Object.getOwnPropertySymbols(executionAsyncResource()).length)),
      );
    const before = await carriedStores();
    const asked: [string, VerificationSubject][] = [];
    const run = async (name: string) => {
      const { clock, store, carrier } = setUp(
        { [PRIMARY]: { kind: 'answers', responses: [{ press: `${PIN}#` }] } },
        true,
      );
      const { service } = startSimulatedService(carrier, clock, store, {
        verifyPin: async (entry, subject) => {
          asked.push([name, subject]);
          await settle();
          return entry === PIN;
        },
      });
      const { verificationId } = await service.start(
        { targets: [PRIMARY], mode: 'pin' },
        { userId: `user-${name}`, verificationId: `v-${name}` },
      );
      const result = await service.waitForResult(verificationId, { timeoutMs: 10_000 });
      await service.close();
      carrier.hangUpAll();
      return result.status;
    };
    const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
    expect(await Promise.all(names.map(run))).toEqual(names.map(() => 'approved'));
    expect(asked.sort(([a], [b]) => a.localeCompare(b))).toEqual(
      [...names].sort().map((name) => [name, { verificationId: `v-${name}`, userId: `user-${name}` }]),
    );
    // Node 20 (this package's runtime) visits every storage that ever ran whenever a promise is made: twelve services
    // must not mean twelve more. (From Node 24 storages share one context frame, and the count stays flat either way.)
    expect(await carriedStores()).toBeLessThanOrEqual(before + 1);
  });
});
