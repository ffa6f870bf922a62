import { describe, expect, it } from 'vitest';
import { createNumberCheck, SimulatedCarrier, VirtualClock } from '../../src/index.js';
import type { NumberCheckInput } from '../../src/machine/checks.js';
import { TimeLimitError, withinTimeLimit } from '../../src/step/timeLimits.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import type { VerificationStore } from '../../src/store/types.js';
import { startSimulatedService } from '../support/simulatedService.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';
const PIN = '987654';

/** An answer that comes `ms` later on the real clock, as a slow host service's would. */
const later = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

/** Every record and row the store is asked to write, as JSON. */
function recordWrites(store: VerificationStore): string[] {
  const writes: string[] = [];
  const create = store.create.bind(store);
  store.create = async (write) => {
    writes.push(JSON.stringify(write));
    return create(write);
  };
  const withVerification = store.withVerification.bind(store);
  store.withVerification = (id, key, step) =>
    withVerification(id, key, async (found) => {
      const outcome = await step(found);
      if (outcome.write !== null) writes.push(JSON.stringify(outcome.write));
      return outcome;
    });
  return writes;
}

describe('a host check slower than checkTimeoutMs in the durable service', () => {
  it('a check fails once its limit has passed, and one that answers before it is waited for', async () => {
    const slow = withinTimeLimit(() => later(150, true), 100, 'checkNumber');
    await expect(slow()).rejects.toBeInstanceOf(TimeLimitError);
    const quick = withinTimeLimit(() => later(20, true), 100, 'checkNumber');
    await expect(quick()).resolves.toBe(true);
  });

  it('a PIN verifier that answers too late counts as a wrong PIN, and no step stores the PIN once it is judged', async () => {
    const clock = new VirtualClock();
    const store = new MemoryVerificationStore({ clock });
    const writes = recordWrites(store);
    const carrier = new SimulatedCarrier({
      clock,
      numbers: { [PRIMARY]: { kind: 'answers', responses: [{ press: `${PIN}#` }] } },
    });
    let asked = 0;
    const { service, errors } = startSimulatedService(carrier, clock, store, {
      checkTimeoutMs: 50,
      // It would say yes, but only after the limit.
      verifyPin: (entry) => {
        asked++;
        return later(300, entry === PIN);
      },
    });
    const { verificationId } = await service.start({
      targets: [PRIMARY],
      mode: 'pin',
      timing: { maxInvalidEntries: 1 },
    });
    const result = await service.waitForResult(verificationId, { timeoutMs: 10_000 });
    expect(errors).toEqual([]);
    expect(asked).toBe(1);
    expect(result.status).toBe('denied');
    expect(result.attempts.map((a) => [a.result, a.invalidEntries])).toEqual([['pin-failed', 1]]);
    // No step committed the check under way; keys typed before `#` are stored only while the entry is under way.
    const snapshots = writes.map((write) => JSON.parse(write).verification.snapshot);
    expect(snapshots.filter((snapshot) => JSON.stringify(snapshot.value).includes('checkingPin'))).toEqual([]);
    expect(snapshots.filter((snapshot) => Object.keys(snapshot.children ?? {}).length > 0)).toEqual([]);
    const judged = snapshots.findIndex((snapshot) => snapshot.status === 'done');
    expect(judged).toBeGreaterThan(0);
    expect(writes.slice(judged).filter((write) => write.includes(PIN))).toEqual([]);
    await service.close();
    carrier.hangUpAll();
  });

  it('a PIN verifier that answers within the limit is waited for', async () => {
    const clock = new VirtualClock();
    const store = new MemoryVerificationStore({ clock });
    const carrier = new SimulatedCarrier({
      clock,
      numbers: { [PRIMARY]: { kind: 'answers', responses: [{ press: `${PIN}#` }] } },
    });
    const { service, errors } = startSimulatedService(carrier, clock, store, {
      checkTimeoutMs: 2_000,
      verifyPin: (entry) => later(30, entry === PIN),
    });
    const { verificationId } = await service.start({ targets: [PRIMARY], mode: 'pin' });
    const result = await service.waitForResult(verificationId, { timeoutMs: 10_000 });
    expect(errors).toEqual([]);
    expect(result.status).toBe('approved');
    await service.close();
    carrier.hangUpAll();
  });

  it('number checks that never answer fail one attempt after another within one step', async () => {
    const clock = new VirtualClock();
    const store = new MemoryVerificationStore({ clock });
    const targets = [PRIMARY, BACKUP, '+14255550102'];
    const carrier = new SimulatedCarrier({ clock, numbers: {} });
    let asked = 0;
    const { service, errors } = startSimulatedService(carrier, clock, store, {
      // Three limits in a row take longer than one limit and the grace a check has to settle after it.
      checkTimeoutMs: 600,
      checkNumber: () => {
        asked++;
        return new Promise(() => {});
      },
    });
    // Each limit runs on its own: the start's step waits through three of them, one after the other.
    const { verificationId } = await service.start({ targets });
    const result = await service.waitForResult(verificationId, { timeoutMs: 10_000 });
    expect(errors).toEqual([]);
    expect(asked).toBe(3);
    expect(result.status).toBe('unreachable');
    expect(result.attempts.map((a) => [a.result, a.rule])).toEqual(targets.map(() => ['failed', 'NUMBER_CHECK_ERROR']));
    await service.close();
    carrier.hangUpAll();
  });

  it('a number check that answers too late fails its attempt, and the verification rolls over', async () => {
    const clock = new VirtualClock();
    const store = new MemoryVerificationStore({ clock });
    const carrier = new SimulatedCarrier({
      clock,
      numbers: {
        [PRIMARY]: { kind: 'answers', responses: [{ press: '#' }] },
        [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] },
      },
    });
    const libraryCheck = createNumberCheck();
    const { service, errors } = startSimulatedService(carrier, clock, store, {
      checkTimeoutMs: 50,
      // The primary's check would accept it, but only after the limit; the backup's answers at once.
      checkNumber: (input: NumberCheckInput) =>
        input.index === 0 ? later(300, libraryCheck(input)) : libraryCheck(input),
    });
    const { verificationId } = await service.start({ targets: [PRIMARY, BACKUP] });
    const result = await service.waitForResult(verificationId, { timeoutMs: 10_000 });
    expect(errors).toEqual([]);
    expect(result.status).toBe('approved');
    expect(result.attempts.map((a) => [a.result, a.rule])).toEqual([
      ['failed', 'NUMBER_CHECK_ERROR'],
      ['approved', null],
    ]);
    await service.close();
    carrier.hangUpAll();
  });
});
