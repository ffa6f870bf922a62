/**
 * What happens when an instance stops at the worst moment, and after an
 * outage (SPEC "Restarts and many instances"): a call is never placed twice
 * for one attempt, a hang-up is carried out until it holds, and deadlines that
 * passed while nothing ran are replayed in order, with only the commands of
 * the state reached at the end carried out.
 */
import { describe, expect, it } from 'vitest';
import type { ProviderCommand } from '../../src/machine/commands.js';
import { SimulatedCarrier } from '../../src/providers/simulated/simulatedCarrier.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import {
  createVerificationService,
  DIAL_INTERRUPTED,
  type VerificationService,
} from '../../src/service/verificationService.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import type { StepWrite, VerificationStore } from '../../src/store/types.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

/**
 * A handle on the store for an instance that stops right after a commit that
 * matches `when`: it never starts another effect (as if killed before its
 * outbox ran). `died` resolves once that commit has landed in the store, so
 * that a test awaiting it goes on before any other timer fires.
 */
function dyingAfterCommit(
  store: VerificationStore,
  when: (write: StepWrite) => boolean,
): VerificationStore & { died: Promise<void> } {
  let dead = false;
  let die = () => {};
  const died = new Promise<void>((resolve) => {
    die = () => {
      dead = true;
      resolve();
    };
  });
  const never = new Promise<never>(() => {});
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'withVerification') {
        return async (id: string, key: string | null, step: Parameters<VerificationStore['withVerification']>[2]) => {
          let diesHere = false;
          const answer = await target.withVerification(id, key, async (locked) => {
            const outcome = await step(locked);
            // Dead before the commit returns: the instance never starts the outbox it wrote.
            if (outcome.write !== null && when(outcome.write)) diesHere = dead = true;
            return outcome;
          });
          // Told once the commit has landed in the store.
          if (diesHere) die();
          return answer;
        };
      }
      if (property === 'create') {
        return async (write: StepWrite) => {
          await target.create(write);
          if (when(write)) die();
        };
      }
      if (property === 'startOutbox')
        return (...args: Parameters<VerificationStore['startOutbox']>) => (dead ? never : target.startOutbox(...args));
      if (property === 'died') return died;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as VerificationStore & { died: Promise<void> };
}

const hasEffect = (type: ProviderCommand['type']) => (write: StepWrite) =>
  write.outbox.some((entry) => JSON.stringify(entry.payload).includes(`"type":"${type}"`));

function setUp(numbers: ConstructorParameters<typeof SimulatedCarrier>[0]['numbers']) {
  const clock = new VirtualClock();
  const store = new MemoryVerificationStore({ clock });
  const carrier = new SimulatedCarrier({ clock, numbers });
  const executed: ProviderCommand[] = [];
  const run = carrier.run.bind(carrier);
  carrier.run = (effect, context) => {
    executed.push(effect.payload as unknown as ProviderCommand);
    return run(effect, context);
  };
  const services: VerificationService[] = [];
  const errors: unknown[] = [];
  const instance = (name: string, handle: VerificationStore = store) => {
    const service = createVerificationService({
      store: handle,
      provider: carrier,
      clock,
      instanceId: name,
      sweepIntervalMs: 1_000,
      orphanAfterMs: 5_000,
      onError: (error) => errors.push(error),
    });
    services.push(service);
    return service;
  };
  // The network delivers to the instances still up, the last one started first.
  const up = new Set<VerificationService>();
  let firstCallTakenIn = () => {};
  /** Resolves once an instance has taken in the first call's id: a test awaiting it goes on before any other timer fires. */
  const firstCallKnown = new Promise<void>((resolve) => {
    firstCallTakenIn = resolve;
  });
  carrier.connect(async (id, event) => {
    await [...up].at(-1)?.deliverEvent(id, event);
    if (event.type === 'call.dialed') firstCallTakenIn();
  });
  const start = (service: VerificationService) => {
    up.add(service);
    return service;
  };
  const stop = (service: VerificationService) => up.delete(service);
  /** An instance that died: its timers stop; what it was doing never finishes. */
  const kill = (service: VerificationService) => {
    up.delete(service);
    services.splice(services.indexOf(service), 1);
    void service.close();
  };
  const closeAll = async () => {
    for (const service of services) await service.close();
    carrier.hangUpAll();
  };
  return { clock, store, carrier, executed, firstCallKnown, instance, start, stop, kill, closeAll, errors };
}

describe('an instance that stops at the worst moment', () => {
  it('right after committing a dial: the call is never placed late; the attempt is interrupted and the next target is dialled elsewhere', async () => {
    const t = setUp({
      [PRIMARY]: { kind: 'answers', responses: [{ press: '#' }] },
      [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] },
    });
    const a = t.start(t.instance('a', dyingAfterCommit(t.store, hasEffect('dial'))));
    const { verificationId } = await a.start({ targets: [PRIMARY, BACKUP] });
    t.kill(a);
    const b = t.start(t.instance('b'));

    const result = await b.waitForResult(verificationId);
    expect(result.status).toBe('approved');
    const [first, second] = result.attempts;
    expect(first?.result).toBe('failed');
    expect(first?.providerCode).toBe(DIAL_INTERRUPTED);
    expect(first?.callId).toBeNull();
    expect(second?.result).toBe('approved');
    // The primary was never dialled: not by the instance that died, not late by the other.
    expect(t.carrier.calls.map((call) => call.to)).toEqual([BACKUP]);
    const audit = await t.store.readAudit({ verificationId });
    expect(audit.find((row) => row.kind === 'attempt' && row.attempt === 0)?.instance).toBe('b');
    await t.closeAll();
  });

  it('right after committing a hang-up and the next dial: the hang-up is carried out once by the other instance, the dial never', async () => {
    const t = setUp({
      [PRIMARY]: { kind: 'voicemail', answerAfterMs: 1_000 },
      [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] },
    });
    const handle = dyingAfterCommit(t.store, hasEffect('hangUp'));
    const a = t.start(t.instance('a', handle));
    const { verificationId } = await a.start({
      targets: [PRIMARY, BACKUP, '+14255550142'],
      timing: { inputTimeoutMs: 2_000 },
    });
    await handle.died;
    t.kill(a);
    const b = t.start(t.instance('b'));

    const result = await b.waitForResult(verificationId);
    const hangUps = t.executed.filter((command) => command.type === 'hangUp');
    const primaryCall = result.attempts[0]?.callId;
    expect(hangUps.filter((command) => command.type === 'hangUp' && command.callId === primaryCall)).toHaveLength(1);
    expect(t.carrier.calls[0]?.endedBy).toBe('hung-up-by-us');
    expect(result.attempts.map((attempt) => [attempt.result, attempt.providerCode])).toEqual([
      ['no-response', null],
      ['failed', DIAL_INTERRUPTED],
      ['invalid-number', null],
    ]);
    // Each number was dialled at most once, and the backup whose dial died with the instance never.
    expect(t.carrier.calls.map((call) => call.to)).toEqual([PRIMARY, '+14255550142']);
    await t.closeAll();
  });
});

describe('after an outage', () => {
  it('deadlines that passed while nothing ran are replayed in due order; only the end state acts; the audit marks the replay', async () => {
    const t = setUp({ [PRIMARY]: { kind: 'no-answer' }, [BACKUP]: { kind: 'no-answer' } });
    const a = t.start(t.instance('a'));
    const { verificationId } = await a.start({
      targets: [PRIMARY, BACKUP],
      timing: { ringTimeoutMs: 20_000, dialTimeoutMs: 20_000 },
    });
    await t.firstCallKnown;
    expect(t.carrier.calls).toHaveLength(1);
    // Every instance stops; the network goes on alone for ten minutes.
    t.stop(a);
    await a.close();
    const dialledBeforeOutage = t.executed.length;
    const outageStart = t.clock.now();
    t.clock.advanceBy(600_000);

    const b = t.start(t.instance('b'));
    await b.sweep();
    const result = await b.waitForResult(verificationId);
    expect(result.status).toBe('expired');
    expect(result.reason).toBe('service-interrupted');
    // Each deadline at its own time: the primary's dial bound (no ring was ever taken in), then the total deadline
    // during the backup's number check.
    expect(result.attempts.map((attempt) => [attempt.result, attempt.times.endedAt])).toEqual([
      ['failed', 20_000],
      ['canceled', 180_000],
    ]);
    expect(outageStart).toBeLessThan(20_000);
    // Replayed in order, each deadline followed by what it ended: the dial bound of the primary (within the
    // outage), then the total deadline.
    const audit = await t.store.readAudit({ verificationId });
    const replayed = audit.filter((row) => row.replayed);
    expect(replayed.map((row) => row.what)).toEqual([
      'deadline (dial)',
      'failed',
      'deadline (total)',
      'canceled',
      'expired',
    ]);
    expect(replayed.every((row) => row.instance === 'b')).toBe(true);
    // Only the end state acts: the primary is hung up; the backup, reached during the replay, is never dialled.
    const after = t.executed.slice(dialledBeforeOutage);
    expect(after.map((command) => command.type)).toEqual(['hangUp']);
    expect(t.carrier.calls.map((call) => call.to)).toEqual([PRIMARY]);
    await t.closeAll();
  });

  it('an instance whose own clock is 60 s behind still fires deadlines on time', async () => {
    const t = setUp({
      [PRIMARY]: { kind: 'voicemail', answerAfterMs: 1_000 },
      [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] },
    });
    const behind = {
      now: () => t.clock.now() - 60_000,
      setTimeout: t.clock.setTimeout.bind(t.clock),
      clearTimeout: t.clock.clearTimeout.bind(t.clock),
    };
    const service = createVerificationService({
      store: t.store,
      provider: t.carrier,
      clock: behind,
      sweepIntervalMs: null,
    });
    t.start(service);
    const { verificationId } = await service.start({ targets: [PRIMARY, BACKUP] });
    const result = await service.waitForResult(verificationId);
    const [first] = result.attempts;
    expect(first?.result).toBe('no-response');
    // 10 s after the greeting ended, on the store's clock, not 60 s later.
    expect((first?.times.endedAt ?? 0) - (first?.times.greetingEndedAt ?? 0)).toBe(10_000);
    await service.close();
    t.carrier.hangUpAll();
  });
});
