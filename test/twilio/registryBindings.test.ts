/**
 * What the provider records in its call registry: a call's dial token before
 * the call is created, its CallSid as soon as the session knows it (from the
 * REST reply, or from the first webhook when that overtakes the reply), both
 * forgotten when the verification ends. Webhooks find their session by the dial
 * token first, so a CallSid bound elsewhere never misroutes one.
 */
import { describe, expect, it, vi } from 'vitest';
import { InMemoryTwilioCallRegistry, type TwilioCallRegistry } from '../../src/providers/twilio/index.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import { firstCreate, ScriptedCalls, scriptedTwilio } from '../support/scriptedTwilioCalls.js';
import { newCallSid } from '../support/twilioFake.js';
import { startTwilioHarness } from '../support/twilioHarness.js';
import { elementsOf } from '../support/xml.js';

const tokenOf = (url: string): string => new URL(url).searchParams.get('t') ?? '';

function setUp(registry: TwilioCallRegistry = new InMemoryTwilioCallRegistry()) {
  const calls = new ScriptedCalls();
  const twilio = scriptedTwilio(calls, { callsPerSecond: 100, registry });
  const webhook = async (url: string, params: Record<string, string>) => elementsOf(await twilio.webhook(url, params));
  return { calls, errors: twilio.errors, provider: twilio.provider, registry, webhook };
}

describe('the registry of a Twilio provider', () => {
  it('finds a live call by its CallSid as by its dial token, and neither once the verification ended', async () => {
    const h = await startTwilioHarness();
    try {
      const verification = runVerification({ targets: ['+14255550100'] }, { provider: h.provider });
      const call = await h.call(1);
      const greeting = await call.ringAndAnswer();
      const byToken = await h.provider.registry.findByDialToken(tokenOf(String(call.create.data.Url)));
      expect(byToken).toBeDefined();
      expect(await h.provider.registry.findByCallSid(call.sid)).toBe(byToken);
      await call.press(greeting, '#');
      expect((await verification).status).toBe('approved');
      expect(await h.provider.registry.findByCallSid(call.sid)).toBeUndefined();
      expect(await h.provider.registry.findByDialToken(tokenOf(String(call.create.data.Url)))).toBeUndefined();
      expect(h.errors).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('records the CallSid of the first webhook when it overtakes the REST reply', async () => {
    const { calls, errors, provider, registry, webhook } = setUp();
    const verification = runVerification({ targets: ['+14255550100'] }, { provider });
    const create = await firstCreate(calls);
    const sid = newCallSid();
    expect(await registry.findByCallSid(sid)).toBeUndefined();
    await webhook(create.params.statusCallback, { CallSid: sid, CallStatus: 'ringing', SequenceNumber: '1' });
    const session = await registry.findByDialToken(tokenOf(create.params.url));
    expect(session).toBeDefined();
    expect(await registry.findByCallSid(sid)).toBe(session);
    create.reply.resolve({ sid });
    await webhook(create.params.statusCallback, { CallSid: sid, CallStatus: 'busy', SequenceNumber: '2' });
    expect((await verification).status).toBe('unreachable');
    expect(await registry.findByCallSid(sid)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('reports a CallSid the registry could not record, and the call goes on by its dial token', async () => {
    class FailingRegistry extends InMemoryTwilioCallRegistry {
      override bindCall(): void {
        throw new Error('registry down');
      }
    }
    const { calls, errors, provider, webhook } = setUp(new FailingRegistry());
    const verification = runVerification({ targets: ['+14255550100'] }, { provider });
    const create = await firstCreate(calls);
    const sid = newCallSid();
    create.reply.resolve({ sid });
    const greeting = await webhook(create.params.url, { CallSid: sid, CallStatus: 'in-progress' });
    const action = greeting[0]?.attributes.action ?? '';
    await webhook(action, { CallSid: sid, CallStatus: 'in-progress', Digits: '#' });
    expect((await verification).status).toBe('approved');
    expect(errors.map((e) => [e.code, e.message, (e.cause as Error).message])).toEqual([
      ['PROVIDER_ERROR', 'The call registry could not record a CallSid', 'registry down'],
    ]);
  });

  it('waits for a CallSid still being recorded before it forgets the verification, so that no binding outlives it', async () => {
    // A registry over the network: recording a CallSid takes a while. A binding written after the verification
    // was forgotten would stay (in this registry's map, or under a key in Redis) for good.
    const order: string[] = [];
    class SlowRegistry extends InMemoryTwilioCallRegistry {
      override async bindCall(callSid: string, verificationId: string): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 100));
        super.bindCall(callSid, verificationId);
        order.push('CallSid bound');
      }
      override unregister(verificationId: string): void {
        super.unregister(verificationId);
        order.push('verification forgotten');
      }
    }
    const { calls, errors, provider, webhook } = setUp(new SlowRegistry());
    const verification = runVerification({ targets: ['+14255550100'] }, { provider });
    const create = await firstCreate(calls);
    const sid = newCallSid();
    create.reply.resolve({ sid });
    // The call is busy at once: the verification ends while its CallSid is still being recorded.
    await webhook(create.params.statusCallback, { CallSid: sid, CallStatus: 'busy', SequenceNumber: '1' });
    expect((await verification).status).toBe('unreachable');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(order).toEqual(['CallSid bound', 'verification forgotten']);
    expect(errors).toEqual([]);
  });

  it('routes each webhook by its dial token when two verifications were given the same CallSid', async () => {
    // Twilio never gives a CallSid twice; a mock (or a replayed fixture) may.
    const { calls, provider, webhook } = setUp();
    const ended: string[] = [];
    const first = runVerification({ targets: ['+14255550100'] }, { provider }).then((r) => ended.push(`1 ${r.status}`));
    await vi.waitFor(() => expect(calls.creates).toHaveLength(1));
    const second = runVerification({ targets: ['+14255550101'] }, { provider }).then((r) =>
      ended.push(`2 ${r.status}`),
    );
    await vi.waitFor(() => expect(calls.creates).toHaveLength(2));
    const sid = newCallSid();
    for (const create of calls.creates) create.reply.resolve({ sid });
    const [one, two] = calls.creates;
    if (one === undefined || two === undefined) throw new Error('no creates');
    // Both sessions have the CallSid: the second's binding is the one the registry keeps.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await webhook(one.params.statusCallback, { CallSid: sid, CallStatus: 'busy', SequenceNumber: '2' });
    await vi.waitFor(() => expect(ended).toEqual(['1 unreachable']), { timeout: 1_000 });
    await webhook(two.params.statusCallback, { CallSid: sid, CallStatus: 'no-answer', SequenceNumber: '2' });
    await Promise.all([first, second]);
    expect(ended).toEqual(['1 unreachable', '2 unreachable']);
  });
});
