/**
 * The in-memory call registry: unregistering a verification forgets exactly
 * its own dial tokens and CallSids — others stay, a key rebound to another
 * verification follows it, nothing is bound to a verification that is not
 * registered. A property compares it with a plain model that scans every
 * binding, through random registrations, bindings and unregistrations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemoryTwilioCallRegistry, type TwilioWebhookTarget } from '../../src/providers/twilio/callRegistry.js';
import { assertProperty, PROPERTY_TIMEOUT_MS } from '../properties/support/property.js';

const target = (name: string): TwilioWebhookTarget => ({ handleCallWebhook: async () => name });

/** The obvious registry: bindings in lists, unregistering scans them all. */
class ReferenceRegistry {
  readonly sessions = new Map<string, TwilioWebhookTarget>();
  calls: [string, string][] = [];
  tokens: [string, string][] = [];

  register(id: string, session: TwilioWebhookTarget): void {
    this.sessions.set(id, session);
  }
  unregister(id: string): void {
    this.sessions.delete(id);
    this.calls = this.calls.filter(([, bound]) => bound !== id);
    this.tokens = this.tokens.filter(([, bound]) => bound !== id);
  }
  bindCall(key: string, id: string): void {
    if (this.sessions.has(id)) this.calls = [...this.calls.filter(([k]) => k !== key), [key, id]];
  }
  bindDialToken(key: string, id: string): void {
    if (this.sessions.has(id)) this.tokens = [...this.tokens.filter(([k]) => k !== key), [key, id]];
  }
  find(list: [string, string][], key: string): TwilioWebhookTarget | undefined {
    const id = list.find(([k]) => k === key)?.[1];
    return id === undefined ? undefined : this.sessions.get(id);
  }
}

type Operation =
  | { kind: 'register' | 'unregister'; id: string; version: number }
  | { kind: 'bind'; method: 'bindCall' | 'bindDialToken'; key: string; id: string };

const ids = ['v1', 'v2', 'v3'];
const keys = ['k1', 'k2', 'k3'];
const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('register' as const, 'unregister' as const),
    id: fc.constantFrom(...ids),
    version: fc.nat({ max: 3 }),
  }),
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('bind' as const),
      method: fc.constantFrom('bindCall' as const, 'bindDialToken' as const),
      key: fc.constantFrom(...keys),
      id: fc.constantFrom(...ids, 'unknown'),
    }),
  },
);

describe('InMemoryTwilioCallRegistry', () => {
  it(
    'finds and forgets exactly as a registry that scans every binding',
    async () => {
      await assertProperty(fc.array(operationArbitrary, { maxLength: 40, size: 'max' }), async (operations) => {
        const registry = new InMemoryTwilioCallRegistry();
        const reference = new ReferenceRegistry();
        // Targets are shared so that identity can be compared.
        const targets = new Map<string, TwilioWebhookTarget>();
        const targetOf = (id: string, version: number): TwilioWebhookTarget => {
          const name = `${id}#${version}`;
          if (!targets.has(name)) targets.set(name, target(name));
          return targets.get(name) as TwilioWebhookTarget;
        };
        for (const operation of operations) {
          if (operation.kind === 'register') {
            registry.register(operation.id, targetOf(operation.id, operation.version));
            reference.register(operation.id, targetOf(operation.id, operation.version));
          } else if (operation.kind === 'unregister') {
            registry.unregister(operation.id);
            reference.unregister(operation.id);
          } else if (operation.kind === 'bind') {
            registry[operation.method](operation.key, operation.id);
            reference[operation.method](operation.key, operation.id);
          }
          expect(registry.size).toBe(reference.sessions.size);
          for (const id of ids) expect(registry.findByVerificationId(id)).toBe(reference.sessions.get(id));
          for (const key of keys) {
            expect(registry.findByCallSid(key)).toBe(reference.find(reference.calls, key));
            expect(registry.findByDialToken(key)).toBe(reference.find(reference.tokens, key));
          }
        }
      });
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('unregistering one verification leaves the others and their bindings', () => {
    const registry = new InMemoryTwilioCallRegistry();
    const [one, two] = [target('one'), target('two')];
    registry.register('v1', one);
    registry.register('v2', two);
    registry.bindDialToken('t1', 'v1');
    registry.bindCall('CA1', 'v1');
    registry.bindDialToken('t2', 'v2');
    registry.bindCall('CA2', 'v2');
    registry.unregister('v1');
    expect([registry.findByDialToken('t1'), registry.findByCallSid('CA1')]).toEqual([undefined, undefined]);
    expect([registry.findByDialToken('t2'), registry.findByCallSid('CA2'), registry.size]).toEqual([two, two, 1]);
  });

  it('a CallSid rebound to another verification stays with it when the first one is unregistered', () => {
    const registry = new InMemoryTwilioCallRegistry();
    const two = target('two');
    registry.register('v1', target('one'));
    registry.register('v2', two);
    registry.bindCall('CA1', 'v1');
    registry.bindCall('CA1', 'v2');
    registry.unregister('v1');
    expect(registry.findByCallSid('CA1')).toBe(two);
    registry.unregister('v2');
    expect(registry.findByCallSid('CA1')).toBeUndefined();
  });

  it('binds nothing to a verification that is not registered, and forgets bindings for good', () => {
    const registry = new InMemoryTwilioCallRegistry();
    const again = target('again');
    registry.bindCall('CA1', 'v1');
    registry.register('v1', target('first'));
    registry.bindDialToken('t1', 'v1');
    registry.unregister('v1');
    registry.unregister('v1');
    registry.register('v1', again);
    expect([registry.findByCallSid('CA1'), registry.findByDialToken('t1')]).toEqual([undefined, undefined]);
    expect(registry.findByVerificationId('v1')).toBe(again);
  });
});
