/**
 * A call Twilio placed although our `calls.create` failed on our side (a
 * timeout, a reset connection, a 5xx after Twilio created it): the attempt is
 * reported failed and the verification rolls over, and when the call's
 * webhooks show it up after all it is ended by REST at once — `canceled`
 * before the answer, `completed` after — once, whatever arrives twice; never
 * left ringing beside the next call or past the verification's end. In the
 * provider's decisions, in a `runVerification` session and in the durable
 * service.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  initialTwilioState,
  planTwilio,
  receiveTwilio,
  releaseAllTwilio,
  type TwilioInbound,
  type TwilioState,
} from '../../src/providers/twilio/callControl.js';
import type { TwilioCallParams } from '../../src/providers/twilio/callWebhook.js';
import type { TwilioWebhookRoute } from '../../src/providers/twilio/index.js';
import { LOST_CALL_RETENTION_MS } from '../../src/providers/twilio/lostCalls.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import { createVerificationService } from '../../src/service/verificationService.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { dialCommand } from '../support/commands.js';
import { firstCreate, ScriptedCalls, scriptedTwilio } from '../support/scriptedTwilioCalls.js';
import { ACCOUNT_SID, controlSettings, newCallSid, toSignedRequest, webhookInbound } from '../support/twilioFake.js';
import { elementsOf, parseXml } from '../support/xml.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';
const TIMED_OUT = () => Object.assign(new Error('socket hang up'), { code: 'ETIMEDOUT' });

// ── The decisions ───────────────────────────────────────────────────────────

const TOKEN = 'a'.repeat(32);
const LOST_SID = `CA${'1'.repeat(32)}`;

const settings = controlSettings(TOKEN);

const webhookOf = (route: TwilioWebhookRoute, params: Omit<TwilioCallParams, 'CallSid'>): TwilioInbound =>
  webhookInbound({ token: TOKEN, callSid: LOST_SID }, route, params);

/** One dial whose create failed on our side. */
function failedDial(): TwilioState {
  const dialed = planTwilio(initialTwilioState(), [dialCommand()], null, settings).state;
  const failure = receiveTwilio(dialed, {
    kind: 'create-failed',
    token: TOKEN,
    ending: { status: 'failed', providerCode: 'ETIMEDOUT' },
  });
  expect(failure.events).toEqual([
    { type: 'call.dialFailed', attempt: 0, ending: { status: 'failed', providerCode: 'ETIMEDOUT' } },
  ]);
  return failure.state;
}

/** Receives a message and plans the step after it with no command, as the session and the durable step do. */
function step(state: TwilioState, inbound: TwilioInbound) {
  const reception = receiveTwilio(state, inbound);
  const plan = planTwilio(reception.state, [], inbound, settings);
  return {
    state: plan.state,
    events: reception.events,
    answer: reception.answer ?? plan.answer,
    effects: plan.effects,
  };
}

describe('the decisions about a call placed although its create failed', () => {
  it('end it by REST once its first webhook gives its CallSid, and never again', () => {
    const ringing = step(failedDial(), webhookOf('status', { CallStatus: 'ringing', SequenceNumber: '1' }));
    expect(ringing.events).toEqual([]);
    expect(elementsOf(parseXml(ringing.answer ?? ''))).toEqual([]);
    expect(ringing.effects).toEqual([{ kind: 'update', callSid: LOST_SID, params: { status: 'canceled' } }]);

    const repeated = step(ringing.state, webhookOf('status', { CallStatus: 'ringing', SequenceNumber: '1' }));
    const canceled = step(repeated.state, webhookOf('status', { CallStatus: 'canceled', SequenceNumber: '2' }));
    expect([repeated.effects, canceled.effects, releaseAllTwilio(canceled.state).effects]).toEqual([[], [], []]);
    expect([repeated.events, canceled.events]).toEqual([[], []]);
  });

  it('complete it when it was answered, and leave it when Twilio says it ended', () => {
    const answered = step(failedDial(), webhookOf('status', { CallStatus: 'in-progress', SequenceNumber: '2' }));
    expect(answered.effects).toEqual([{ kind: 'update', callSid: LOST_SID, params: { status: 'completed' } }]);
    // The answering-machine verdict, whose callback carries no CallStatus, comes from an answered call too.
    const detected = step(failedDial(), webhookOf('amd', { AnsweredBy: 'machine_start' }));
    expect(detected.effects).toEqual([{ kind: 'update', callSid: LOST_SID, params: { status: 'completed' } }]);
    expect(detected.events).toEqual([]);
    const ended = step(failedDial(), webhookOf('status', { CallStatus: 'no-answer', SequenceNumber: '3' }));
    expect([ended.effects, releaseAllTwilio(ended.state).effects]).toEqual([[], []]);
  });

  it('hang it up with the answer when its first webhook asks for TwiML, and send nothing more', () => {
    const answer = step(failedDial(), webhookOf('answer', { CallStatus: 'in-progress' }));
    expect(elementsOf(parseXml(answer.answer ?? '')).map((e) => e.name)).toEqual(['Hangup']);
    expect([answer.effects, answer.events]).toEqual([[], []]);
    const completed = step(answer.state, webhookOf('status', { CallStatus: 'in-progress', SequenceNumber: '2' }));
    expect([completed.effects, releaseAllTwilio(completed.state).effects]).toEqual([[], []]);
  });

  it('end it when its webhook came before the failure, for a dial already let go', () => {
    const dialed = planTwilio(initialTwilioState(), [dialCommand()], null, settings).state;
    // The session closed while the create was under way: nobody waits for the call any more.
    const released = releaseAllTwilio(dialed);
    expect(released.effects).toEqual([]);
    const ringing = step(released.state, webhookOf('status', { CallStatus: 'ringing', SequenceNumber: '1' }));
    expect(ringing.effects).toEqual([{ kind: 'update', callSid: LOST_SID, params: { status: 'canceled' } }]);
    const failure = step(ringing.state, {
      kind: 'create-failed',
      token: TOKEN,
      ending: { status: 'failed', providerCode: 'ETIMEDOUT' },
    });
    expect([failure.events, failure.effects]).toEqual([[], []]);
    expect(failure.state).toEqual(ringing.state);
  });

  it('end it, and report nothing of it, when the create succeeds after the dial was let go', () => {
    const dialed = planTwilio(initialTwilioState(), [dialCommand()], null, settings).state;
    const released = releaseAllTwilio(dialed);
    const created = step(released.state, { kind: 'created', token: TOKEN, callSid: LOST_SID });
    expect(created.events).toEqual([]);
    expect(created.effects).toEqual([{ kind: 'update', callSid: LOST_SID, params: { status: 'canceled' } }]);
    const ringing = step(created.state, webhookOf('status', { CallStatus: 'ringing', SequenceNumber: '1' }));
    expect([ringing.events, ringing.effects]).toEqual([[], []]);
  });

  it('end a call a state saved before this was kept as a failed dial, once its webhook comes', () => {
    const saved = failedDial();
    expect(saved.calls[0]).toMatchObject({ phase: 'ended', released: true, callSid: null, dialedReported: false });
    const restored = JSON.parse(JSON.stringify(saved)) as TwilioState;
    const ringing = step(restored, webhookOf('status', { CallStatus: 'ringing', SequenceNumber: '1' }));
    expect(ringing.effects).toEqual([{ kind: 'update', callSid: LOST_SID, params: { status: 'canceled' } }]);
  });
});

// ── runVerification ─────────────────────────────────────────────────────────

function provider(calls: ScriptedCalls) {
  const twilio = scriptedTwilio(calls, { callsPerSecond: 100 });
  const webhook = async (url: string, params: Record<string, string>) =>
    elementsOf(await twilio.webhook(url, params)).map((e) => e.name);
  return { provider: twilio.provider, errors: twilio.errors, webhook };
}

/** The first create fails with `error`, and the backup's create, once sent, is answered with a new CallSid. */
async function loseFirstCreate(calls: ScriptedCalls, error: Error) {
  const lost = await firstCreate(calls);
  lost.reply.reject(error);
  await vi.waitFor(() => expect(calls.creates).toHaveLength(2));
  const backup = calls.creates[1];
  if (backup === undefined) throw new Error('no second create');
  const backupSid = newCallSid();
  backup.reply.resolve({ sid: backupSid });
  return { lost, backup, backupSid };
}

/**
 * The lost call shows up ringing: it is canceled once, whatever arrives
 * twice, and told to hang up when it asks for TwiML. Returns its CallSid.
 */
async function showUpRinging(
  calls: ScriptedCalls,
  webhook: (url: string, params: Record<string, string>) => Promise<string[]>,
  lost: { statusCallback: string; url: string },
): Promise<string> {
  const lostSid = newCallSid();
  const ringing = { CallSid: lostSid, CallStatus: 'ringing', SequenceNumber: '1' };
  expect(await webhook(lost.statusCallback, ringing)).toEqual([]);
  await vi.waitFor(() => expect(calls.updatesOf(lostSid)).toEqual([{ status: 'canceled' }]));
  expect(await webhook(lost.statusCallback, ringing)).toEqual([]);
  expect(await webhook(lost.url, { CallSid: lostSid, CallStatus: 'in-progress' })).toEqual(['Hangup']);
  return lostSid;
}

/** Lets REST work that a webhook started run, then returns what was sent for `callSid`. */
async function settledUpdatesOf(calls: ScriptedCalls, callSid: string) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return calls.updatesOf(callSid);
}

describe('runVerification, a call placed although its create failed', () => {
  it('is canceled as soon as its first webhook comes, while the backup is called, and not again at the end', async () => {
    const calls = new ScriptedCalls();
    const { provider: twilio, errors, webhook } = provider(calls);
    const verification = runVerification({ targets: [PRIMARY, BACKUP] }, { provider: twilio });
    const { lost, backup, backupSid } = await loseFirstCreate(calls, TIMED_OUT());

    const lostSid = newCallSid();
    const callback = lost.params.statusCallback;
    expect(await webhook(callback, { CallSid: lostSid, CallStatus: 'initiated', SequenceNumber: '0' })).toEqual([]);
    await vi.waitFor(() => expect(calls.updatesOf(lostSid)).toEqual([{ status: 'canceled' }]));
    // Twilio retries a callback, and the call's own end comes: answered harmlessly, nothing more is sent.
    expect(await webhook(callback, { CallSid: lostSid, CallStatus: 'initiated', SequenceNumber: '0' })).toEqual([]);
    expect(await webhook(callback, { CallSid: lostSid, CallStatus: 'ringing', SequenceNumber: '1' })).toEqual([]);
    expect(await webhook(callback, { CallSid: lostSid, CallStatus: 'canceled', SequenceNumber: '2' })).toEqual([]);
    expect(await settledUpdatesOf(calls, lostSid)).toEqual([{ status: 'canceled' }]);

    await webhook(backup.params.statusCallback, { CallSid: backupSid, CallStatus: 'busy', SequenceNumber: '0' });
    const result = await verification;
    expect(result.status).toBe('unreachable');
    expect(result.attempts.map((a) => [a.result, a.providerCode])).toEqual([
      ['failed', 'ETIMEDOUT'],
      ['busy', null],
    ]);
    expect(await settledUpdatesOf(calls, lostSid)).toEqual([{ status: 'canceled' }]);
    expect(calls.updatesOf(backupSid)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('is completed when its first news is its answer, and a retried answer request is told to hang up', async () => {
    const calls = new ScriptedCalls();
    const { provider: twilio, errors, webhook } = provider(calls);
    const verification = runVerification({ targets: [PRIMARY, BACKUP] }, { provider: twilio });
    const { lost, backup, backupSid } = await loseFirstCreate(
      calls,
      Object.assign(new Error('Service Unavailable'), { status: 503 }),
    );

    const lostSid = newCallSid();
    const answered = { CallSid: lostSid, CallStatus: 'in-progress', SequenceNumber: '2' };
    expect(await webhook(lost.params.statusCallback, answered)).toEqual([]);
    await vi.waitFor(() => expect(calls.updatesOf(lostSid)).toEqual([{ status: 'completed' }]));
    expect(await webhook(lost.params.url, { CallSid: lostSid, CallStatus: 'in-progress' })).toEqual(['Hangup']);
    expect(await webhook(lost.params.url, { CallSid: lostSid, CallStatus: 'in-progress' })).toEqual(['Hangup']);

    await webhook(backup.params.statusCallback, { CallSid: backupSid, CallStatus: 'no-answer', SequenceNumber: '3' });
    expect((await verification).status).toBe('unreachable');
    expect(await settledUpdatesOf(calls, lostSid)).toEqual([{ status: 'completed' }]);
    expect(errors).toEqual([]);
  });

  it('is the attempt’s call when its first webhook overtook the failure: no rollover, no hang-up', async () => {
    const calls = new ScriptedCalls();
    const { provider: twilio, webhook } = provider(calls);
    const verification = runVerification({ targets: [PRIMARY, BACKUP] }, { provider: twilio });
    const first = await firstCreate(calls);
    const sid = newCallSid();
    await webhook(first.params.statusCallback, { CallSid: sid, CallStatus: 'ringing', SequenceNumber: '1' });
    first.reply.reject(TIMED_OUT());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls.creates).toHaveLength(1);
    const greeting = await twilio.handleWebhook(
      toSignedRequest(first.params.url, { AccountSid: ACCOUNT_SID, CallSid: sid, CallStatus: 'in-progress' }),
    );
    const action = elementsOf(parseXml(greeting.body))[0]?.attributes.action ?? '';
    expect(await webhook(action, { CallSid: sid, CallStatus: 'in-progress', Digits: '#' })).toContain('Hangup');
    expect((await verification).status).toBe('approved');
    expect(calls.updatesOf(sid)).toEqual([]);
  });

  it('is canceled when its webhook comes while the session closes, before the create fails', async () => {
    const calls = new ScriptedCalls();
    const { provider: twilio, errors, webhook } = provider(calls);
    const cancel = new AbortController();
    let settled = false;
    const verification = runVerification({ targets: [PRIMARY] }, { provider: twilio, signal: cancel.signal }).finally(
      () => {
        settled = true;
      },
    );
    const lost = await firstCreate(calls);
    // Canceled while the create hangs: the session closes, waiting for the create.
    cancel.abort();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    const lostSid = newCallSid();
    expect(
      await webhook(lost.params.statusCallback, { CallSid: lostSid, CallStatus: 'ringing', SequenceNumber: '1' }),
    ).toEqual([]);
    await vi.waitFor(() => expect(calls.updatesOf(lostSid)).toEqual([{ status: 'canceled' }]));
    lost.reply.reject(TIMED_OUT());
    expect((await verification).status).toBe('canceled');
    expect(calls.updatesOf(lostSid)).toEqual([{ status: 'canceled' }]);
    expect(errors).toEqual([]);
  });

  it('is canceled when its first webhook comes after the verification ended, and told to hang up if it asks for TwiML', async () => {
    const calls = new ScriptedCalls();
    const { provider: twilio, errors, webhook } = provider(calls);
    const verification = runVerification({ targets: [PRIMARY] }, { provider: twilio });
    const lost = await firstCreate(calls);
    lost.reply.reject(TIMED_OUT());
    expect((await verification).status).toBe('unreachable');

    const lostSid = await showUpRinging(calls, webhook, lost.params);
    expect(await settledUpdatesOf(calls, lostSid)).toEqual([{ status: 'canceled' }]);
    expect(errors).toEqual([]);
  });
});

describe('runVerification, a call whose create timed out, after the verification ended', () => {
  it('is forgotten once its first webhook can no longer come: one after that gets the stale answer, and nothing is sent', async () => {
    const calls = new ScriptedCalls();
    const clock = new VirtualClock();
    const { provider: twilio, errors, webhook } = scriptedTwilio(calls, { callsPerSecond: 100, clock });
    const verification = runVerification({ targets: [PRIMARY] }, { provider: twilio });
    const lost = await firstCreate(calls);
    lost.reply.reject(TIMED_OUT());
    expect((await verification).status).toBe('unreachable');

    clock.advanceBy(LOST_CALL_RETENTION_MS);
    const lateSid = newCallSid();
    const initiated = { CallSid: lateSid, CallStatus: 'initiated', SequenceNumber: '0' };
    expect(elementsOf(await webhook(lost.params.statusCallback, initiated))).toEqual([]);
    expect(await settledUpdatesOf(calls, lateSid)).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('runVerification, a call whose create Twilio refused', () => {
  it('is not kept after the verification ended: a later webhook with its dial token gets the stale answer, and nothing is sent', async () => {
    const calls = new ScriptedCalls();
    const { provider: twilio, errors, webhook } = provider(calls);
    const verification = runVerification({ targets: [PRIMARY] }, { provider: twilio });
    const refused = await firstCreate(calls);
    refused.reply.reject(
      Object.assign(new Error('The To number is not a valid phone number'), { status: 400, code: 21211 }),
    );
    expect((await verification).status).toBe('unreachable');

    const strayedSid = newCallSid();
    const ringing = { CallSid: strayedSid, CallStatus: 'ringing', SequenceNumber: '1' };
    expect(await webhook(refused.params.statusCallback, ringing)).toEqual([]);
    expect(await webhook(refused.params.url, { CallSid: strayedSid, CallStatus: 'in-progress' })).toEqual(['Hangup']);
    expect(await settledUpdatesOf(calls, strayedSid)).toEqual([]);
    expect(errors).toEqual([]);
  });
});

// ── The durable service ─────────────────────────────────────────────────────

/** The durable service on a memory store, with the provider on `calls` connected to it. */
function durableService(calls: ScriptedCalls) {
  const { provider: twilio, errors, webhook } = provider(calls);
  const service = createVerificationService({
    store: new MemoryVerificationStore(),
    provider: twilio,
    sweepIntervalMs: 50,
  });
  twilio.connect(service);
  return { service, errors, webhook };
}

describe('the durable service, a call placed although its create failed', () => {
  it('is canceled once, from the outbox, as soon as its first webhook comes', async () => {
    const calls = new ScriptedCalls();
    const { service, errors, webhook } = durableService(calls);
    try {
      const { verificationId } = await service.start({ targets: [PRIMARY, BACKUP] });
      const { lost, backup, backupSid } = await loseFirstCreate(
        calls,
        Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      );

      const lostSid = await showUpRinging(calls, webhook, lost.params);

      await webhook(backup.params.statusCallback, { CallSid: backupSid, CallStatus: 'busy', SequenceNumber: '0' });
      const result = await service.waitForResult(verificationId, { timeoutMs: 3_000 });
      expect(result.status).toBe('unreachable');
      expect(await settledUpdatesOf(calls, lostSid)).toEqual([{ status: 'canceled' }]);
      expect(errors).toEqual([]);
    } finally {
      await service.close();
    }
  });

  it('is canceled when its first webhook comes after the verification ended', async () => {
    const calls = new ScriptedCalls();
    const { service, errors, webhook } = durableService(calls);
    try {
      const { verificationId } = await service.start({ targets: [PRIMARY] });
      const lost = await firstCreate(calls);
      lost.reply.reject(TIMED_OUT());
      expect((await service.waitForResult(verificationId, { timeoutMs: 3_000 })).status).toBe('unreachable');

      const lostSid = newCallSid();
      expect(
        await webhook(lost.params.statusCallback, { CallSid: lostSid, CallStatus: 'initiated', SequenceNumber: '0' }),
      ).toEqual([]);
      await vi.waitFor(() => expect(calls.updatesOf(lostSid)).toEqual([{ status: 'canceled' }]));
      expect(errors).toEqual([]);
    } finally {
      await service.close();
    }
  });
});
