/**
 * The session's lifecycle where timing matters: webhooks that overtake the REST
 * reply, a verification that ends while a dial is in flight, commands that
 * arrive outside any webhook exchange, and REST failures.
 */
import { describe, expect, it, vi } from 'vitest';
import type { PlayPromptCommand } from '../../src/machine/commands.js';
import type { ProviderEvent } from '../../src/machine/events.js';
import { hangUpRetryPausesMs } from '../../src/providers/twilio/twilioSession.js';
import type { TwilioVoiceProviderOptions } from '../../src/providers/twilio/twilioVoiceProvider.js';
import type { ProviderSession } from '../../src/providers/types.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import { dialCommand } from '../support/commands.js';
import { deferred, ScriptedCalls, scriptedTwilio } from '../support/scriptedTwilioCalls.js';
import { newCallSid } from '../support/twilioFake.js';
import { elementsOf, parseXml, textOf } from '../support/xml.js';

const prompt = (callId: string, promptSeq: number): PlayPromptCommand => ({
  type: 'playPrompt',
  callId,
  promptSeq,
  kind: promptSeq === 1 ? 'greeting' : 'invalid-entry',
  segments: [{ say: promptSeq === 1 ? 'Hello.' : 'That entry was not valid.' }],
  speech: {},
  collect: { mode: 'standard', fraudCode: '0', inputTimeoutMs: 10_000, timeoutOwner: 'provider' },
});

function setUp(
  react: (event: ProviderEvent, session: ProviderSession) => void = () => {},
  clock = new VirtualClock(),
  options: Partial<TwilioVoiceProviderOptions> = {},
) {
  const calls = new ScriptedCalls();
  const { provider, webhook, errors } = scriptedTwilio(calls, {
    replyWaitMs: 20,
    // Dials are paced on virtual time: a second dial waits for its slot without a real second passing.
    clock,
    ...options,
  });
  const events: ProviderEvent[] = [];
  const session: ProviderSession = provider.openSession({
    verificationId: 'v',
    emit: (event) => {
      events.push(event);
      react(event, session);
    },
  });
  return { calls, provider, events, session, webhook, errors, clock };
}

/** A session with one call placed (its create answered with a fresh CallSid). */
async function placedCall(clock?: VirtualClock, options?: Partial<TwilioVoiceProviderOptions>) {
  const setup = setUp(undefined, clock, options);
  const dialing = setup.session.execute(dialCommand());
  await Promise.resolve();
  const sid = newCallSid();
  setup.calls.creates[0]?.reply.resolve({ sid });
  await dialing;
  return { ...setup, sid };
}

/** The machine's hang-up of `callId`, without a farewell. */
const hangUp = (callId: string) => ({ type: 'hangUp' as const, callId, farewell: [], speech: {} });

/** A call answered and greeted; `reprompt()` is the machine's next prompt, which it gives on its own. */
async function greetedCall(makePrompt: (callId: string, promptSeq: number) => PlayPromptCommand = prompt) {
  let nextSeq = 1;
  const setup = setUp((event, s) => {
    if (event.type === 'call.answered') void s.execute(makePrompt(event.callId, nextSeq++));
  });
  const { calls, session, webhook } = setup;
  const dialing = session.execute(dialCommand());
  await Promise.resolve();
  const sid = newCallSid();
  calls.creates[0]?.reply.resolve({ sid });
  await dialing;
  const greeting = await webhook(calls.creates[0]?.params.url ?? '', { CallSid: sid, CallStatus: 'in-progress' });
  return { ...setup, sid, greeting, reprompt: () => session.execute(makePrompt(sid, nextSeq++)) };
}

describe('the Twilio session', () => {
  it('reports call.dialed from the first webhook when it overtakes the REST reply', async () => {
    const { calls, events, session, webhook } = setUp();
    const dialing = session.execute(dialCommand());
    await Promise.resolve();
    const create = calls.creates[0];
    if (create === undefined) throw new Error('no create');
    const sid = newCallSid();
    await webhook(create.params.statusCallback, { CallSid: sid, CallStatus: 'initiated', SequenceNumber: '0' });
    await webhook(create.params.statusCallback, { CallSid: sid, CallStatus: 'ringing', SequenceNumber: '1' });
    create.reply.resolve({ sid });
    await dialing;
    expect(events).toEqual([
      { type: 'call.dialed', attempt: 0, callId: sid },
      { type: 'call.ringing', callId: sid },
    ]);
    await session.close();
  });

  it('ends a call whose dial was still in flight when the verification ended', async () => {
    const { calls, events, session } = setUp();
    const dialing = session.execute(dialCommand());
    await Promise.resolve();
    let closed = false;
    const closing = Promise.resolve(session.close()).then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(false);
    const sid = newCallSid();
    calls.holdUpdates = deferred<void>();
    calls.creates[0]?.reply.resolve({ sid });
    // Closing waits until the cancellation went through, not only until it was sent.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls.updates).toEqual([{ callSid: sid, params: { status: 'canceled' } }]);
    expect(closed).toBe(false);
    calls.holdUpdates.resolve();
    await dialing;
    await closing;
    expect(closed).toBe(true);
    expect(events).toEqual([]);
  });

  it('hangs up every call still up when it closes', async () => {
    const { calls, session, webhook } = setUp();
    const sids = [newCallSid(), newCallSid()];
    for (const [attempt, sid] of sids.entries()) {
      const dialing = session.execute(dialCommand({ attempt }));
      // The second create waits for the next pacing slot.
      await vi.waitFor(() => expect(calls.creates[attempt]).toBeDefined());
      calls.creates[attempt]?.reply.resolve({ sid });
      await dialing;
    }
    await webhook(calls.creates[1]?.params.statusCallback ?? '', { CallSid: sids[1] ?? '', CallStatus: 'in-progress' });
    await session.close();
    expect(calls.updates).toEqual([
      { callSid: sids[0], params: { status: 'canceled' } },
      { callSid: sids[1], params: { status: 'completed' } },
    ]);
  });

  it('falls back to completing a call that can no longer be canceled, and reports a hang-up that fails', async () => {
    const { calls, session, sid } = await placedCall();
    calls.failUpdates = 1;
    await session.execute(hangUp(sid));
    expect(calls.updates.map((u) => u.params)).toEqual([{ status: 'canceled' }, { status: 'completed' }]);
    await session.close();

    const second = await placedCall();
    second.calls.failUpdates = 2;
    await expect(second.session.execute(hangUp(second.sid))).rejects.toThrow('Cannot redirect');
    await second.session.close();
  });

  describe('a hang-up that fails on the way', () => {
    const unavailable = () => Object.assign(new Error('Service Unavailable'), { status: 503 });
    const connectionReset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

    /** A placed call whose hang-up command failed with `failure` (the `canceled` and its `completed` fallback alike). */
    async function failedHangUp(failure: Error) {
      const placed = await placedCall();
      placed.calls.refusal = failure;
      const start = placed.clock.now();
      await expect(placed.session.execute(hangUp(placed.sid))).rejects.toThrow(failure.message);
      return { ...placed, start };
    }

    it.each([
      ['a 5xx', unavailable],
      ['a lost connection', connectionReset],
    ])(
      'after %s, is tried again a second or a little more later, and the close waits for it',
      async (_name, failure) => {
        const { calls, session, sid, errors, clock, start } = await failedHangUp(failure());
        calls.refusal = null;
        await session.close();
        expect(calls.updatesOf(sid)).toEqual([
          { status: 'canceled' },
          { status: 'completed' },
          { status: 'completed' },
        ]);
        expect(clock.now() - start).toBe(hangUpRetryPausesMs(sid)[0]);
        expect(errors).toEqual([]);
      },
    );

    it("pauses a second, two and four before the tries, each stretched by the call's own share of up to a half", () => {
      const sids = Array.from({ length: 200 }, (_, i) => `CA${i.toString(16).padStart(32, '0')}`);
      const pauses = sids.map(hangUpRetryPausesMs);
      for (const [first, second, third] of pauses) {
        expect(first).toBeGreaterThanOrEqual(1_000);
        expect(first).toBeLessThanOrEqual(1_500);
        // The same share stretches all three.
        expect(Math.abs((second ?? 0) - 2 * (first ?? 0))).toBeLessThanOrEqual(1);
        expect(Math.abs((third ?? 0) - 4 * (first ?? 0))).toBeLessThanOrEqual(2);
      }
      // Calls whose hang-ups failed together are tried again across the whole half second, not at one moment.
      const firsts = pauses.map(([first]) => first ?? 0);
      expect(new Set(firsts).size).toBeGreaterThan(150);
      expect(firsts.filter((ms) => ms < 1_250).length).toBeGreaterThan(60);
      expect(firsts.filter((ms) => ms >= 1_250).length).toBeGreaterThan(60);
      // One call's pauses are the same every time.
      expect(sids.map(hangUpRetryPausesMs)).toEqual(pauses);
    });

    it('is tried four times in all, about a second, two and four apart, then reported', async () => {
      const { calls, session, sid, errors, clock, start } = await failedHangUp(unavailable());
      await session.close();
      expect(calls.updatesOf(sid)).toEqual([
        { status: 'canceled' },
        { status: 'completed' },
        { status: 'completed' },
        { status: 'completed' },
        { status: 'completed' },
      ]);
      expect(clock.now() - start).toBe(hangUpRetryPausesMs(sid).reduce((sum, ms) => sum + ms, 0));
      expect(errors.map((error) => [error.code, error.message, (error.cause as Error).message])).toEqual([
        ['PROVIDER_ERROR', 'A call could not be hung up in 4 tries', 'Service Unavailable'],
      ]);
    });

    it('is not tried again once the call is reported ended', async () => {
      const { calls, session, sid, webhook, errors } = await failedHangUp(unavailable());
      calls.refusal = null;
      await webhook(calls.creates[0]?.params.statusCallback ?? '', { CallSid: sid, CallStatus: 'no-answer' });
      await session.close();
      expect(calls.updatesOf(sid)).toEqual([{ status: 'canceled' }, { status: 'completed' }]);
      expect(errors).toEqual([]);
    });

    /** Lets promise callbacks and immediates run, with the clock standing still. */
    const settle = async () => {
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    };

    it('is not tried again once the call is reported ended while the session closes', async () => {
      const clock = new VirtualClock({ autoAdvance: false });
      const { calls, session, sid, webhook, errors } = await placedCall(clock);
      calls.refusal = unavailable();
      await expect(session.execute(hangUp(sid))).rejects.toThrow('Service Unavailable');
      // The verification is over: the runtime closes the session, and then Twilio says the cancel went through.
      const closing = session.close();
      await webhook(calls.creates[0]?.params.statusCallback ?? '', { CallSid: sid, CallStatus: 'canceled' });
      clock.advanceBy(hangUpRetryPausesMs(sid)[0] ?? 0);
      await closing;
      expect(calls.updatesOf(sid)).toEqual([{ status: 'canceled' }, { status: 'completed' }]);
      expect(errors).toEqual([]);
    });

    it('at the close, is reported only when its tries fail too, once', async () => {
      const clock = new VirtualClock({ autoAdvance: false });
      const first = await placedCall(clock);
      first.calls.refusal = unavailable();
      // The close hangs up the call still up; Twilio is back a second later.
      const closing = first.session.close();
      await vi.waitFor(() => expect(first.calls.updatesOf(first.sid)).toHaveLength(2));
      first.calls.refusal = null;
      await settle();
      clock.advanceBy(hangUpRetryPausesMs(first.sid)[0] ?? 0);
      await closing;
      expect(first.calls.updatesOf(first.sid)).toHaveLength(3);
      expect(first.errors).toEqual([]);

      const second = await placedCall();
      second.calls.refusal = unavailable();
      await second.session.close();
      expect(second.calls.updatesOf(second.sid)).toHaveLength(5);
      expect(second.errors.map((error) => error.message)).toEqual(['A call could not be hung up in 4 tries']);
    });

    it('does not hold back the farewell of another call that the close waits for', async () => {
      const clock = new VirtualClock({ autoAdvance: false });
      const { calls, session, sid, webhook } = await placedCall(clock, { callsPerSecond: 100 });
      calls.refusal = Object.assign(new Error('Too Many Requests'), { status: 429, code: 20429 });
      await expect(session.execute(hangUp(sid))).rejects.toThrow('Too Many Requests');
      calls.refusal = null;
      // The next call is placed while the first one's hang-up is tried again; it holds while a PIN is checked.
      const dialing = session.execute(dialCommand({ attempt: 1 }));
      // Its create waits for the pacer's next slot, 10 ms on: far from the first call's next try.
      while (calls.creates.length < 2 && clock.now() < 500) {
        clock.advanceBy(10);
        await settle();
      }
      const next = newCallSid();
      calls.creates[1]?.reply.resolve({ sid: next });
      await dialing;
      const hold = await webhook(calls.creates[1]?.params.url ?? '', { CallSid: next, CallStatus: 'in-progress' });
      const redirect = elementsOf(hold).find((element) => element.name === 'Redirect');
      await session.execute({ ...hangUp(next), farewell: [{ say: 'Thank you. Goodbye.' }] });
      const closing = session.close();
      await settle();
      // It comes back for its farewell after its pause, while the first call's new try still waits.
      const farewell = await webhook(textOf(redirect ?? hold), { CallSid: next, CallStatus: 'in-progress' });
      expect(elementsOf(farewell).map((element) => [element.name, textOf(element)])).toEqual([
        ['Say', 'Thank you. Goodbye.'],
        ['Hangup', ''],
      ]);
      clock.advanceBy(hangUpRetryPausesMs(sid)[0] ?? 0);
      await closing;
      expect(calls.updatesOf(next)).toEqual([]);
      expect(calls.updatesOf(sid)).toEqual([{ status: 'canceled' }, { status: 'completed' }, { status: 'completed' }]);
    });

    it('is not tried again when Twilio refused it: the call is no longer in progress', async () => {
      const { calls, session, sid } = await placedCall();
      calls.failUpdates = 2;
      await expect(session.execute(hangUp(sid))).rejects.toThrow('Cannot redirect');
      await session.close();
      expect(calls.updatesOf(sid)).toEqual([{ status: 'canceled' }, { status: 'completed' }]);
    });

    it('is not tried again when twilio-node refused it before sending (no status, no network code)', async () => {
      const { calls, session, sid, errors } = await failedHangUp(new Error("Parameter 'sid' is not valid."));
      await session.close();
      expect(calls.updatesOf(sid)).toEqual([{ status: 'canceled' }, { status: 'completed' }]);
      expect(errors).toEqual([]);
    });
  });

  it('replaces the running TwiML by REST for a command outside any webhook', async () => {
    const { calls, events, session, webhook, sid, greeting, reprompt } = await greetedCall();
    const oldAction = elementsOf(greeting)[0]?.attributes.action ?? '';
    // The machine's own input timer ran out before Twilio's: it re-prompts on its own.
    await reprompt();
    const update = calls.updates[0];
    if (update === undefined || !('twiml' in update.params)) throw new Error('expected a TwiML update');
    expect(update.callSid).toBe(sid);
    const replaced = parseXml(update.params.twiml);
    expect(textOf(elementsOf(replaced)[0] ?? replaced)).toBe('That entry was not valid.');
    // A late request from the replaced document changes nothing and gets the current TwiML.
    const before = events.length;
    const late = await webhook(oldAction, { CallSid: sid, CallStatus: 'in-progress', Digits: '#' });
    expect(events.length).toBe(before);
    expect(late).toEqual(replaced);
    await session.close();
  });

  it('has a call fetch a document too long for an inline update (Twilio takes 4000 characters) by a redirect', async () => {
    // A minute to answer in standard mode is a chain of sixty one-second Gathers: far over 4000 characters.
    const longPrompt = (callId: string, promptSeq: number): PlayPromptCommand => {
      const base = prompt(callId, promptSeq);
      return { ...base, collect: { ...base.collect, inputTimeoutMs: 60_000 } };
    };
    const { calls, events, session, webhook, sid, greeting, reprompt } = await greetedCall(longPrompt);
    expect(elementsOf(greeting).filter((e) => e.name === 'Gather').length).toBe(60);
    // The machine re-prompts on its own: the document goes by REST, where Twilio refuses more than 4000 characters.
    await reprompt();
    const update = calls.updates[0];
    if (update === undefined || !('twiml' in update.params)) throw new Error('expected a TwiML update');
    expect(update.params.twiml.length).toBeLessThanOrEqual(4000);
    const redirect = elementsOf(parseXml(update.params.twiml));
    expect(redirect.map((e) => e.name)).toEqual(['Redirect']);
    // Twilio follows the redirect and gets the whole document as the answer.
    const before = events.length;
    const fetched = await webhook(textOf(redirect[0] ?? greeting), { CallSid: sid, CallStatus: 'in-progress' });
    const gathers = elementsOf(fetched).filter((e) => e.name === 'Gather');
    expect(gathers.length).toBe(60);
    expect(textOf(gathers[0] ?? fetched)).toBe('That entry was not valid.');
    expect(events.length).toBe(before);
    // Its keys count.
    await webhook(gathers[0]?.attributes.action ?? '', { CallSid: sid, CallStatus: 'in-progress', Digits: '#' });
    expect(events.slice(before)).toEqual([{ type: 'call.digits', callId: sid, digits: '#' }]);
    await session.close();
  });

  it('reports the answer before the end when "completed" overtakes everything else', async () => {
    const { calls, events, session, webhook } = setUp((event, s) => {
      if (event.type === 'call.answered') void s.execute(prompt(event.callId, 1));
    });
    const dialing = session.execute(dialCommand());
    await Promise.resolve();
    const sid = newCallSid();
    calls.creates[0]?.reply.resolve({ sid });
    await dialing;
    await webhook(calls.creates[0]?.params.statusCallback ?? '', {
      CallSid: sid,
      CallStatus: 'completed',
      CallDuration: '2',
      SequenceNumber: '3',
    });
    expect(events.map((e) => e.type)).toEqual(['call.dialed', 'call.answered', 'call.ended']);
    // The answer webhook comes last: the call is over.
    const answer = await webhook(calls.creates[0]?.params.url ?? '', { CallSid: sid, CallStatus: 'completed' });
    expect(elementsOf(answer).map((e) => e.name)).toEqual(['Hangup']);
    expect(calls.updates).toEqual([]);
    await session.close();
  });

  it('ignores webhooks that name a CallSid other than the one its token was given', async () => {
    const { calls, events, session, webhook } = setUp();
    const dialing = session.execute(dialCommand());
    await Promise.resolve();
    const sid = newCallSid();
    calls.creates[0]?.reply.resolve({ sid });
    await dialing;
    await webhook(calls.creates[0]?.params.statusCallback ?? '', { CallSid: newCallSid(), CallStatus: 'busy' });
    expect(events.map((e) => e.type)).toEqual(['call.dialed']);
    await session.close();
  });
});

describe('the Twilio session, hang-ups before Twilio asked for TwiML', () => {
  it('never serves a prompt to a call hung up before its answer webhook', async () => {
    const { calls, events, session, webhook } = setUp((event, s) => {
      if (event.type === 'call.answered') void s.execute(prompt(event.callId, 1));
    });
    const dialing = session.execute(dialCommand());
    await Promise.resolve();
    const sid = newCallSid();
    calls.creates[0]?.reply.resolve({ sid });
    await dialing;
    // The answered callback overtakes the answer webhook; the greeting waits for Twilio to ask.
    await webhook(calls.creates[0]?.params.statusCallback ?? '', {
      CallSid: sid,
      CallStatus: 'in-progress',
      SequenceNumber: '2',
    });
    // The machine gives up on the call (a machine answered, the host canceled) before Twilio asked.
    await session.execute({ type: 'hangUp', callId: sid, farewell: [], speech: {} });
    expect(calls.updates).toEqual([{ callSid: sid, params: { status: 'completed' } }]);
    const answer = await webhook(calls.creates[0]?.params.url ?? '', { CallSid: sid, CallStatus: 'in-progress' });
    expect(elementsOf(answer).map((e) => e.name)).toEqual(['Hangup']);
    expect(events.map((e) => e.type)).toEqual(['call.dialed', 'call.answered']);
    await session.close();
  });
});

describe('the Twilio session, closing while a call pauses before its farewell', () => {
  it('stops waiting for the farewell request as soon as the call ends', async () => {
    const { calls, session, webhook } = setUp();
    const dialing = session.execute(dialCommand());
    await Promise.resolve();
    const sid = newCallSid();
    calls.creates[0]?.reply.resolve({ sid });
    await dialing;
    // Nothing answers the answer webhook in time: Twilio is told to pause and come back.
    const hold = await webhook(calls.creates[0]?.params.url ?? '', { CallSid: sid, CallStatus: 'in-progress' });
    expect(elementsOf(hold).map((e) => e.name)).toEqual(['Pause', 'Redirect']);
    await session.execute({ type: 'hangUp', callId: sid, farewell: [{ say: 'Goodbye.' }], speech: {} });
    let closed = false;
    const closing = Promise.resolve(session.close()).then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(false);
    // The callee hangs up during the pause: there is no farewell left to wait for.
    await webhook(calls.creates[0]?.params.statusCallback ?? '', {
      CallSid: sid,
      CallStatus: 'completed',
      SequenceNumber: '3',
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(true);
    await closing;
    expect(calls.updates).toEqual([]);
  });
});

describe('the Twilio session, TwiML replaced on a call that ended meanwhile', () => {
  it('has nothing left to do when Twilio says the call is no longer in progress (21220), here and for the durable service', async () => {
    const { calls, provider, session, reprompt } = await greetedCall();
    // The callee hangs up just as the machine re-prompts on its own: Twilio refuses the new TwiML.
    calls.failUpdates = 1;
    await expect(reprompt()).resolves.toBeUndefined();
    expect(calls.updates.map((u) => Object.keys(u.params))).toEqual([['twiml']]);
    // The durable service would otherwise keep the effect in its outbox and send it again on every sweep.
    calls.failUpdates = 1;
    const effect = {
      delivery: 'at-least-once' as const,
      payload: { kind: 'update', callSid: newCallSid(), params: { twiml: '<Response/>' } },
    };
    await expect(provider.run(effect)).resolves.toEqual([]);
    // Any other refusal is still a failure.
    calls.failUpdates = 0;
    calls.refusal = Object.assign(new Error('Service unavailable'), { status: 503 });
    await expect(provider.run(effect)).rejects.toThrow('Service unavailable');
    calls.refusal = null;
    await session.close();
  });
});
