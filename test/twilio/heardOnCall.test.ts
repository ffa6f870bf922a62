/**
 * What a Twilio call's Media Stream heard, as the provider's decisions read it:
 * only an answered call of ours, matched by dial token and CallSid and not let
 * go, takes it; a verdict counts once, and only when detection was asked for.
 */
import { describe, expect, it } from 'vitest';
import type { ProviderCommand } from '../../src/machine/commands.js';
import type { HeardOnCall } from '../../src/providers/heardOnCall.js';
import { readDetection, toHeardEvent } from '../../src/providers/heardOnCall.js';
import {
  initialTwilioState,
  planTwilio,
  receiveTwilio,
  type TwilioState,
} from '../../src/providers/twilio/callControl.js';
import { dialCommand } from '../support/commands.js';
import { controlSettings, webhookInbound } from '../support/twilioFake.js';

const TOKEN = 'a'.repeat(32);
const CALL_SID = `CA${'1'.repeat(32)}`;
const SIT: HeardOnCall = { kind: 'tone', tone: 'sit', sitKind: 'intercept' };
const MACHINE: HeardOnCall = { kind: 'answeredBy', answeredBy: 'machine' };

const settings = controlSettings(TOKEN, {
  mediaStream: { url: 'wss://verify.example.test/twilio/media-stream', sign: () => 'proof' },
});

/** One call placed, acknowledged and (unless told otherwise) answered. */
function callState(options: { machineDetection?: boolean; answered?: boolean } = {}): TwilioState {
  const dial = dialCommand({ machineDetection: options.machineDetection ?? false });
  let state = planTwilio(initialTwilioState(), [dial], null, settings).state;
  state = receiveTwilio(state, { kind: 'created', token: TOKEN, callSid: CALL_SID }).state;
  if (options.answered === false) return state;
  return receiveTwilio(
    state,
    webhookInbound({ token: TOKEN, callSid: CALL_SID }, 'status', { CallStatus: 'in-progress' }),
  ).state;
}

const heard = (state: TwilioState, what: HeardOnCall, callSid = CALL_SID, token = TOKEN) =>
  receiveTwilio(state, { kind: 'heard', token, callSid, heard: what });

describe('what a call heard, read by the Twilio provider', () => {
  it('a tone on an answered call of ours is a progress tone', () => {
    expect(heard(callState(), SIT).events).toEqual([
      { type: 'call.progressTone', callId: CALL_SID, tone: 'sit', sitKind: 'intercept' },
    ]);
  });

  it.each([
    ['another CallSid', (s: TwilioState) => heard(s, SIT, `CA${'2'.repeat(32)}`)],
    ['another dial token', (s: TwilioState) => heard(s, SIT, CALL_SID, 'b'.repeat(32))],
  ])('is ignored with %s, and named as stale for the audit log', (_name, send) => {
    const reception = send(callState());
    expect(reception.events).toEqual([]);
    expect(reception.audit).toEqual({ what: 'heard on call', reason: 'stale' });
  });

  it('names what the REST reply said for the audit log when it reports nothing: stale for a token not ours', () => {
    const state = callState({ answered: false });
    const created = { kind: 'created', callSid: CALL_SID } as const;
    expect(receiveTwilio(state, { ...created, token: TOKEN }).audit).toEqual({ what: 'call created', reason: null });
    expect(receiveTwilio(state, { ...created, token: 'b'.repeat(32) }).audit).toEqual({
      what: 'call created',
      reason: 'stale',
    });
    const failed = { kind: 'create-failed', token: 'b'.repeat(32), ending: { status: 'failed' } } as const;
    expect(receiveTwilio(state, failed).audit).toEqual({ what: 'call create failed', reason: 'stale' });
  });

  it('is ignored before the answer, after the end, and once the machine let the call go', () => {
    expect(heard(callState({ answered: false }), SIT).events).toEqual([]);
    const answered = callState();
    const ended = receiveTwilio(
      answered,
      webhookInbound({ token: TOKEN, callSid: CALL_SID }, 'status', { CallStatus: 'completed' }),
    ).state;
    expect(heard(ended, SIT).events).toEqual([]);
    const released = planTwilio(
      answered,
      [{ type: 'hangUp', callId: CALL_SID, farewell: [], speech: {} }],
      null,
      settings,
    );
    expect(heard(released.state, SIT).events).toEqual([]);
  });

  it('names the webhooks of a call the machine let go after its dial was reported as stale for the audit log', () => {
    const hungUp: ProviderCommand = { type: 'hangUp', callId: CALL_SID, farewell: [], speech: {} };
    const released = planTwilio(callState(), [hungUp], null, settings).state;
    const webhook = (route: 'status' | 'answer', CallStatus: string) =>
      receiveTwilio(released, webhookInbound({ token: TOKEN, callSid: CALL_SID }, route, { CallStatus }));
    const status = webhook('status', 'completed');
    expect(status.events).toEqual([]);
    expect(status.audit).toEqual({ what: 'webhook status', reason: 'stale' });
    const twiml = webhook('answer', 'in-progress');
    expect(twiml.events).toEqual([]);
    expect(twiml.audit).toEqual({ what: 'webhook answer', reason: 'stale' });
  });

  it('a machine verdict counts only when detection was asked for, and only once', () => {
    expect(heard(callState(), MACHINE).events).toEqual([]);
    const asked = callState({ machineDetection: true });
    const first = heard(asked, MACHINE);
    expect(first.events).toEqual([{ type: 'call.answeredBy', callId: CALL_SID, answeredBy: 'machine' }]);
    expect(heard(first.state, MACHINE).events).toEqual([]);
    // Twilio's own verdict after the stream's changes nothing either.
    const amd = receiveTwilio(
      first.state,
      webhookInbound({ token: TOKEN, callSid: CALL_SID }, 'amd', { AnsweredBy: 'human' }),
    );
    expect(amd.events).toEqual([]);
  });

  it("an inconclusive verdict is no verdict: Twilio's machine verdict after the stream's not-sure still counts, once", () => {
    const asked = callState({ machineDetection: true });
    const notSure = heard(asked, { kind: 'answeredBy', answeredBy: 'unknown' });
    expect(notSure.events).toEqual([{ type: 'call.answeredBy', callId: CALL_SID, answeredBy: 'unknown' }]);
    const amd = (state: typeof asked, AnsweredBy: string) =>
      receiveTwilio(state, webhookInbound({ token: TOKEN, callSid: CALL_SID }, 'amd', { AnsweredBy }));
    const machine = amd(notSure.state, 'machine_end_beep');
    expect(machine.events).toEqual([{ type: 'call.answeredBy', callId: CALL_SID, answeredBy: 'machine' }]);
    expect(amd(machine.state, 'human').events).toEqual([]);
    expect(heard(machine.state, MACHINE).events).toEqual([]);
  });

  it('starts the stream in the first document the call runs, not in the ones after it', () => {
    const prompt = (promptSeq: number) => ({
      type: 'playPrompt' as const,
      callId: CALL_SID,
      promptSeq,
      kind: 'greeting' as const,
      segments: [{ say: 'Press pound.' }],
      speech: {},
      collect: {
        mode: 'standard' as const,
        fraudCode: null,
        inputTimeoutMs: 10_000,
        timeoutOwner: 'provider' as const,
      },
    });
    // The greeting waits for Twilio's request for the answer's TwiML, which it answers.
    const planned = planTwilio(callState(), [prompt(1)], null, settings).state;
    const answer = receiveTwilio(
      planned,
      webhookInbound({ token: TOKEN, callSid: CALL_SID }, 'answer', { CallStatus: 'in-progress' }),
    );
    expect(answer.answer).toContain(
      `<Start><Stream url="wss://verify.example.test/twilio/media-stream" track="inbound_track"><Parameter name="t" value="${TOKEN}"/><Parameter name="m" value="proof"/></Stream></Start><Gather`,
    );
    // A later prompt replaces the running TwiML by REST: the stream goes on, none is started.
    const next = planTwilio(answer.state, [prompt(2)], null, settings);
    expect(next.effects).toHaveLength(1);
    expect(JSON.stringify(next.effects)).toContain('<Gather');
    expect(JSON.stringify(next.effects)).not.toContain('<Start>');
  });
});

describe('what the analyser heard, as the machine reads it', () => {
  it('SIT, busy and reorder are tones; verdicts are verdicts; ringback, beeps and keys mean nothing', () => {
    const segments = [{ frequencyHz: 913.8, durationMs: 274 }];
    expect(readDetection({ type: 'sit', atMs: 1, startMs: 0, code: 'IC', kind: 'intercept', segments })).toEqual(SIT);
    expect(readDetection({ type: 'reorder', atMs: 1, startMs: 0, zone: 'us' })).toEqual({
      kind: 'tone',
      tone: 'reorder',
    });
    expect(readDetection({ type: 'not-sure', atMs: 1, cause: 'too-long' })).toEqual({
      kind: 'answeredBy',
      answeredBy: 'unknown',
    });
    expect(readDetection({ type: 'ringback', atMs: 1, startMs: 0, zone: 'us' })).toBeNull();
    expect(readDetection({ type: 'beep', atMs: 1, startMs: 0, endMs: 1, frequencyHz: 1000 })).toBeNull();
    expect(readDetection({ type: 'dtmf', atMs: 1, digit: '#' })).toBeNull();
    expect(toHeardEvent({ kind: 'tone', tone: 'busy' }, 'CA1', false)).toEqual({
      type: 'call.progressTone',
      callId: 'CA1',
      tone: 'busy',
    });
  });
});
