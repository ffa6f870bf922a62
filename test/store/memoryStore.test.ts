import { expect, it } from 'vitest';
import { InvalidServiceConfigurationError } from '../../src/store/errors.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { firstWrite, nextVersion, storedVerification } from '../support/storeRecords.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('memory', {
  async open() {
    const store = new MemoryVerificationStore();
    await store.migrate();
    return store;
  },
  async outboxIds(store, verificationId) {
    const outbox = (store as unknown as { outbox: Map<string, { verificationId: string }> }).outbox;
    return [...outbox.entries()].filter(([, entry]) => entry.verificationId === verificationId).map(([id]) => id);
  },
});

it('a clock that is not one is refused at once, naming the option', () => {
  const make = () => new MemoryVerificationStore({ clock: {} as never });
  expect(make).toThrow(InvalidServiceConfigurationError);
  expect(make).toThrow('Invalid memory store options: clock: must be a clock: an object with a now() method');
});

it('a write with a value that cannot be copied (a function in an effect) fails whole: nothing of it lands', async () => {
  const store = new MemoryVerificationStore();
  const verification = storedVerification('v-1');
  await store.create(firstWrite(verification));
  const effect = {
    id: 'v-1/2/0',
    verificationId: 'v-1',
    delivery: 'at-least-once' as const,
    payload: { run: () => 'hang up' } as never,
    createdAt: 0,
  };
  const step = store.withVerification('v-1', null, async () => ({
    write: { ...firstWrite(nextVersion(verification), { outbox: [effect] }), bindings: [{ kind: 'call', key: 'CA1' }] },
    value: null,
  }));
  await expect(step).rejects.toThrow();
  expect((await store.read('v-1'))?.version).toBe(1);
  expect(await store.findBinding({ kind: 'call', key: 'CA1' })).toBeNull();
  expect(await store.findOutbox(1_000_000, 1_000_000, 10)).toEqual([]);
});

it('memory: a place past the last audit row written is refused', async () => {
  const store = new MemoryVerificationStore();
  const id = 'v-audit';
  await store.create(firstWrite(storedVerification(id)));
  const { next } = await store.readAuditPage({ limit: 10 });
  expect(next).toBe('1');
  await expect(store.readAuditPage({ after: '2', limit: 10 })).rejects.toThrow(
    /past the last row this log has written/,
  );
});
