import { expect, it } from 'vitest';
import { InvalidServiceConfigurationError } from '../../src/store/errors.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
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
