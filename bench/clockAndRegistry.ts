/**
 * Micro-benchmark of the two structures every verification touches: the
 * virtual clock's schedule + cancel with many timers pending, and the Twilio
 * call registry's register/bind/unregister with many calls live. Printed by
 * `npm run bench`; run alone with `node --import tsx bench/clockAndRegistry.ts`.
 */
import { InMemoryTwilioCallRegistry } from '../src/providers/twilio/callRegistry.js';
import { VirtualClock } from '../src/runtime/clock.js';

const noop = (): void => {};

/** Microseconds per schedule + cancel of one timer with `pending` others waiting. */
export function clockScheduleCancelMicros(pending: number, operations: number): number {
  const clock = new VirtualClock({ autoAdvance: false });
  for (let i = 0; i < pending; i++) clock.setTimeout(noop, (i * 7919) % 10_000);
  const start = performance.now();
  for (let i = 0; i < operations; i++) {
    const handle = clock.setTimeout(noop, (i * 104_729) % 10_000);
    clock.clearTimeout(handle);
  }
  return ((performance.now() - start) * 1000) / operations;
}

/** Microseconds per register + two binds + unregister with `live` other verifications live. */
export function registryChurnMicros(live: number, operations: number): number {
  const registry = new InMemoryTwilioCallRegistry();
  const target = { handleCallWebhook: async () => '<Response/>' };
  const add = (id: string): void => {
    registry.register(id, target);
    registry.bindDialToken(`token-${id}`, id);
    registry.bindCall(`CA${id}`, id);
  };
  for (let i = 0; i < live; i++) add(`live-${i}`);
  const start = performance.now();
  for (let i = 0; i < operations; i++) {
    add(`churn-${i}`);
    registry.unregister(`churn-${i}`);
  }
  return ((performance.now() - start) * 1000) / operations;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const pending of [5_000, 50_000]) {
    clockScheduleCancelMicros(pending, 500);
    console.log(
      `clock schedule+cancel at ${pending} pending: ${clockScheduleCancelMicros(pending, 5_000).toFixed(2)} µs`,
    );
  }
  for (const live of [1_000, 10_000]) {
    registryChurnMicros(live, 500);
    console.log(`registry register+bind+unregister at ${live} live: ${registryChurnMicros(live, 5_000).toFixed(2)} µs`);
  }
}
