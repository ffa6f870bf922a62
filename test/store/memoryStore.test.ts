import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('memory', {
  async open() {
    const store = new MemoryVerificationStore();
    await store.migrate();
    return store;
  },
});
