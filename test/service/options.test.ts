/**
 * The durable service's options and each start's options are checked before
 * anything happens: a typed error that names every problem, instead of a
 * value that is taken and fails later (a numeric id stored as "123.0" by
 * SQLite, a sweep every turn of the event loop, a PIN check never waited for).
 */
import { expect, it } from 'vitest';
import { createAbuseGuard, InvalidRequestError, MemoryAbuseLimitStore } from '../../src/index.js';
import { SimulatedCarrier } from '../../src/providers/simulated/simulatedCarrier.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import { createVerificationService, type VerificationServiceOptions } from '../../src/service/verificationService.js';
import { InvalidServiceConfigurationError } from '../../src/store/errors.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { describeOnEveryStore, type OpenStore } from '../support/serviceStores.js';

const PRIMARY = '+14255550100';

function refusal(make: () => unknown): InvalidServiceConfigurationError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidServiceConfigurationError);
    expect((error as InvalidServiceConfigurationError).code).toBe('INVALID_CONFIGURATION');
    return error as InvalidServiceConfigurationError;
  }
  throw new Error('the options were accepted');
}

/** A carrier whose reports go nowhere: what these tests look at happens before any would matter. */
const carrier = (clock = new VirtualClock({ autoAdvance: false })) => {
  const network = new SimulatedCarrier({ clock, numbers: { [PRIMARY]: { kind: 'no-answer' } } });
  network.connect(() => {});
  return network;
};

it('createVerificationService refuses options that cannot work, listing every problem at once', () => {
  const provider = carrier();
  const store = new MemoryVerificationStore();
  const create = (options: Partial<VerificationServiceOptions>) => () =>
    createVerificationService({ store, provider, sweepIntervalMs: null, ...options } as VerificationServiceOptions);

  const noStore = refusal(() => createVerificationService({ provider } as unknown as VerificationServiceOptions));
  expect(noStore.issues.map((issue) => issue.path)).toEqual(['store']);
  expect(noStore.message).toMatch(/^Invalid verification service options: store: must be a verification store/);
  expect(refusal(create({ store: {} as never })).issues[0]?.message).toMatch(/it has no now, create, withVerification/);
  expect(refusal(create({ provider: undefined })).issues.map((issue) => issue.path)).toEqual(['provider']);
  // A store of one's own written before retention: refused at start-up, naming what it lacks.
  const { purgeFinished, purgeAudit, ...withoutRetention } = Object.fromEntries(
    Object.getOwnPropertyNames(MemoryVerificationStore.prototype).map((name) => [name, () => {}]),
  );
  expect([typeof purgeFinished, typeof purgeAudit]).toEqual(['function', 'function']);
  expect(refusal(create({ store: withoutRetention as never })).issues).toEqual([
    { path: 'store', message: expect.stringMatching(/it has no purgeFinished, purgeAudit$/) },
  ]);

  for (const [name, value] of [
    ['sweepIntervalMs', 0],
    ['sweepIntervalMs', -1_000],
    ['sweepIntervalMs', Number.POSITIVE_INFINITY],
    ['checkTimeoutMs', Number.NaN],
    ['checkTimeoutMs', 0],
    ['effectLeaseMs', '30000'],
    ['orphanAfterMs', -1],
    ['outageThresholdMs', 3_000_000_000],
    ['instanceId', ''],
    ['instanceId', 'a\nb'],
    ['verifyPin', 'yes'],
    ['onError', {}],
    ['maskNumbers', 'no'],
    ['clock', { now: () => 0 }],
    ['abuseGuard', {}],
  ] as const) {
    const error = refusal(create({ [name]: value }));
    expect(
      error.issues.map((issue) => issue.path),
      `${name}: ${String(value)}`,
    ).toEqual([name]);
  }

  // An optional method the service calls when it is there: one that is no function would fail every webhook.
  const keyedBadly = Object.assign(carrier(), { idempotencyKeyOf: 'CallSid' });
  expect(refusal(create({ provider: keyedBadly as never })).issues).toEqual([
    { path: 'provider.idempotencyKeyOf', message: 'must be a function when given' },
  ]);

  const several = refusal(create({ sweepIntervalMs: 0, checkTimeoutMs: Number.NaN, onFinished: 1 as never }));
  expect(several.issues.map((issue) => issue.path)).toEqual(['onFinished', 'sweepIntervalMs', 'checkTimeoutMs']);
  expect(several.issues[1]?.message).toBe(
    'must be a number of milliseconds from 1 to 2147483647, or null for no periodic sweep',
  );
});

it('createVerificationService takes what is in range: no periodic sweep, fractions of a millisecond, the longest timer', async () => {
  const provider = carrier();
  const service = createVerificationService({
    store: new MemoryVerificationStore(),
    provider,
    clock: new VirtualClock({ autoAdvance: false }),
    sweepIntervalMs: 2_147_483_647,
    checkTimeoutMs: 2.5,
    effectLeaseMs: 1,
    orphanAfterMs: 10_000,
    outageThresholdMs: 10_000,
    instanceId: 'eu-west-1/i-0abc',
    maskNumbers: false,
  });
  await service.close();
  const without = createVerificationService({ store: new MemoryVerificationStore(), provider, sweepIntervalMs: null });
  await without.close();
});

/** A service on a fresh store of `open`, with the simulated carrier and no periodic sweep; `close` checks it dialled `dialled` and reported no error. */
async function openService(
  open: OpenStore,
  options: Partial<VerificationServiceOptions> = {},
  clock = new VirtualClock({ autoAdvance: false }),
) {
  const store = await open(clock);
  const provider = carrier(clock);
  const errors: unknown[] = [];
  const service = createVerificationService({
    store,
    provider,
    clock,
    sweepIntervalMs: null,
    onError: (error) => errors.push(error),
    ...options,
  });
  const close = async (dialled: string[]) => {
    await service.close();
    expect(provider.calls.map((call) => call.to)).toEqual(dialled);
    provider.hangUpAll();
    expect(errors).toEqual([]);
    await store.close();
  };
  return { store, service, close };
}

describeOnEveryStore('start() with ids that are not ids', (open) => {
  it('refuses them with an InvalidRequestError naming each, before anything is counted, stored or dialled', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const guard = createAbuseGuard({
      store: new MemoryAbuseLimitStore(),
      now: () => clock.now(),
      limits: { perUser: [{ max: 1, windowMs: 60_000 }] },
    });
    const { store, service, close } = await openService(open, { abuseGuard: guard }, clock);
    const bad: [Record<string, unknown>, string][] = [
      [{ userId: 'alice', verificationId: 123 }, 'verificationId'],
      [{ userId: 'alice', verificationId: {} }, 'verificationId'],
      [{ userId: 'alice', verificationId: '' }, 'verificationId'],
      [{ userId: 'alice', verificationId: 'v'.repeat(257) }, 'verificationId'],
      [{ userId: 'alice', verificationId: 'v\u0000' }, 'verificationId'],
      // Half a surrogate pair: no store's UTF-8 text holds it, so the id would read back as another.
      [{ userId: 'alice', verificationId: 'login-\uD800' }, 'verificationId'],
      [{ userId: 'alice\uDC00' }, 'userId'],
      [{ userId: 42 }, 'userId'],
      [{ userId: {} }, 'userId'],
      [{ userId: '' }, 'userId'],
      [{ userId: 'alice\r\nbob' }, 'userId'],
      [{}, 'userId'],
      [{ userId: '   ' }, 'userId'],
    ];
    for (const [options, path] of bad) {
      const error = await service.start({ targets: [PRIMARY] }, options as never).catch((e: unknown) => e);
      expect(error, JSON.stringify(options).slice(0, 60)).toBeInstanceOf(InvalidRequestError);
      expect((error as InvalidRequestError).issues.map((issue) => issue.path)).toEqual([path]);
    }
    const both = await service
      .start({ targets: [PRIMARY] }, { userId: 7, verificationId: 8 } as never)
      .catch((e: unknown) => e);
    expect((both as InvalidRequestError).issues.map((issue) => issue.path)).toEqual(['verificationId', 'userId']);
    expect(await service.start({ targets: [PRIMARY] }, null as never).catch((e: unknown) => e)).toBeInstanceOf(
      InvalidRequestError,
    );
    // Nothing was stored or dialled, and the abuse limits counted nothing: alice's one start an hour still passes.
    expect(await store.read('123')).toBeNull();
    expect(await store.readAudit()).toEqual([]);
    const { verificationId } = await service.start(
      { targets: [PRIMARY] },
      { userId: 'alice', verificationId: 'v'.repeat(256) },
    );
    expect((await store.read(verificationId))?.userId).toBe('alice');
    await service.cancel(verificationId);
    expect((await service.getResult(verificationId))?.status).toBe('canceled');
    await close([PRIMARY]);
  });
});

describeOnEveryStore('durations in fractions of a millisecond', (open) => {
  it('an effect lease and an orphan age with a fraction work alike in every store (the stores keep whole milliseconds)', async () => {
    const { service, close } = await openService(open, { effectLeaseMs: 30_000.5, orphanAfterMs: 10_000.5 });
    const { verificationId } = await service.start({ targets: [PRIMARY] });
    await service.sweep();
    await service.cancel(verificationId);
    await service.sweep();
    expect((await service.getResult(verificationId))?.status).toBe('canceled');
    await close([PRIMARY]);
  });
});
