/**
 * The mapping table from Twilio's CallStatus, SipResponseCode, ErrorCode and
 * AnsweredBy to machine events, row by row, and what the machine's own
 * classification then makes of each ending.
 */
import { describe, expect, it } from 'vitest';
import { classifyUnansweredEnding } from '../../src/machine/callProgress.js';
import type { CallEndStatus } from '../../src/machine/events.js';
import { isWellFormedEvent } from '../../src/machine/validateEvent.js';
import {
  initialTwilioState,
  planTwilio,
  receiveTwilio,
  type TwilioInbound,
} from '../../src/providers/twilio/callControl.js';
import {
  TWILIO_ANSWERED_BY,
  TWILIO_CALL_STATUS_EVENTS,
  TWILIO_ERROR_CODE_STATUS,
  toAnsweredBy,
  toCallEnding,
  toDialFailure,
  toTwilioCallStatus,
} from '../../src/providers/twilio/callStatusMapping.js';
import { dialCommand } from '../support/commands.js';
import { controlSettings, webhookInbound } from '../support/twilioFake.js';

describe('CallStatus', () => {
  it('maps every status Twilio sends', () => {
    expect(TWILIO_CALL_STATUS_EVENTS).toEqual({
      queued: { event: 'none' },
      initiated: { event: 'none' },
      ringing: { event: 'ringing' },
      'in-progress': { event: 'answered' },
      completed: { event: 'ended', status: 'completed' },
      busy: { event: 'ended', status: 'busy' },
      'no-answer': { event: 'ended', status: 'no-answer' },
      canceled: { event: 'ended', status: 'canceled' },
      failed: { event: 'ended', status: 'failed' },
    });
    for (const status of Object.keys(TWILIO_CALL_STATUS_EVENTS)) expect(toTwilioCallStatus(status)).toBe(status);
  });

  it.each(['', 'answered', 'Ringing', 'toString', '__proto__', undefined])('refuses %j', (value) => {
    expect(toTwilioCallStatus(value)).toBeNull();
  });
});

describe('endings: CallStatus, SipResponseCode and ErrorCode', () => {
  it.each<[CallEndStatus, Record<string, string>, object, string]>([
    ['busy', { SipResponseCode: '486' }, { status: 'busy', sipCode: 486 }, 'busy'],
    ['busy', { SipResponseCode: '600' }, { status: 'busy', sipCode: 600 }, 'busy'],
    ['no-answer', { SipResponseCode: '487' }, { status: 'no-answer', sipCode: 487 }, 'no-answer'],
    ['no-answer', { SipResponseCode: '480' }, { status: 'no-answer', sipCode: 480 }, 'no-answer'],
    ['no-answer', {}, { status: 'no-answer' }, 'no-answer'],
    ['failed', { SipResponseCode: '404' }, { status: 'failed', sipCode: 404 }, 'invalid-number'],
    ['failed', { SipResponseCode: '484' }, { status: 'failed', sipCode: 484 }, 'invalid-number'],
    ['failed', { SipResponseCode: '410' }, { status: 'failed', sipCode: 410 }, 'sit'],
    ['failed', { SipResponseCode: '503' }, { status: 'failed', sipCode: 503 }, 'failed'],
    ['failed', { SipResponseCode: '603' }, { status: 'failed', sipCode: 603 }, 'no-answer'],
    ['failed', { ErrorCode: '13224' }, { status: 'invalid-number', providerCode: '13224' }, 'invalid-number'],
    ['failed', { ErrorCode: '13223' }, { status: 'invalid-number', providerCode: '13223' }, 'invalid-number'],
    ['failed', { ErrorCode: '13226' }, { status: 'invalid-number', providerCode: '13226' }, 'invalid-number'],
    ['failed', { ErrorCode: '13225' }, { status: 'failed', providerCode: '13225' }, 'failed'],
    ['failed', { ErrorCode: '13227' }, { status: 'failed', providerCode: '13227' }, 'failed'],
    ['failed', { ErrorCode: '32016' }, { status: 'failed', providerCode: '32016' }, 'failed'],
    ['failed', { ErrorCode: '32017' }, { status: 'failed', providerCode: '32017' }, 'failed'],
    ['failed', { ErrorCode: '99999' }, { status: 'failed', providerCode: '99999' }, 'failed'],
    // A SIP code says more than Twilio's error code: the machine goes by SIP.
    [
      'failed',
      { ErrorCode: '13224', SipResponseCode: '486' },
      { status: 'invalid-number', sipCode: 486, providerCode: '13224' },
      'busy',
    ],
    ['canceled', { SipResponseCode: '487' }, { status: 'canceled', sipCode: 487 }, 'no-answer'],
    ['completed', { SipResponseCode: '200' }, { status: 'completed', sipCode: 200 }, 'failed'],
    // Malformed codes are dropped, not guessed at.
    ['failed', { SipResponseCode: '4040', ErrorCode: '13x24' }, { status: 'failed' }, 'failed'],
    ['busy', { SipResponseCode: '099' }, { status: 'busy' }, 'busy'],
  ])('%s %j → %j (machine: %s)', (status, params, ending, verdict) => {
    const result = toCallEnding(status, params);
    expect(result).toEqual(ending);
    expect(isWellFormedEvent({ type: 'call.ended', callId: 'CA1', ending: result })).toBe(true);
    expect(classifyUnansweredEnding(result).result).toBe(verdict);
  });

  it('an error code refines only a failed call', () => {
    expect(toCallEnding('busy', { ErrorCode: '13224' })).toEqual({ status: 'busy', providerCode: '13224' });
  });
});

describe('REST errors on create', () => {
  it.each([
    [21217, 'invalid-number'],
    [21211, 'invalid-number'],
    [21214, 'failed'],
    [21215, 'failed'],
    [21216, 'failed'],
    [21210, 'failed'],
    [21212, 'failed'],
    [21219, 'failed'],
    [20429, 'failed'],
    [20003, 'failed'],
  ])('RestException %i → %s', (code, status) => {
    const ending = toDialFailure({ status: 400, code, message: 'refused' });
    expect(ending).toEqual({ status, providerCode: String(code) });
    expect(isWellFormedEvent({ type: 'call.dialFailed', attempt: 0, ending })).toBe(true);
  });

  it('keeps the table and the REST mapping in step', () => {
    for (const [code, status] of Object.entries(TWILIO_ERROR_CODE_STATUS)) {
      expect(toDialFailure({ code: Number(code) }).status).toBe(status);
    }
  });

  it('reports network failures and unknown errors as failed', () => {
    expect(toDialFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toEqual({
      status: 'failed',
      providerCode: 'ECONNREFUSED',
    });
    expect(toDialFailure({ status: 503 })).toEqual({ status: 'failed', providerCode: 'HTTP_503' });
    expect(toDialFailure(new Error('boom'))).toEqual({ status: 'failed' });
    expect(toDialFailure(null)).toEqual({ status: 'failed' });
    expect(toDialFailure({ code: 'x'.repeat(100) })).toEqual({ status: 'failed' });
  });
});

describe('AnsweredBy', () => {
  it('maps every verdict of answering-machine detection', () => {
    expect(TWILIO_ANSWERED_BY).toEqual({
      human: 'human',
      machine_start: 'machine',
      machine_end_beep: 'machine',
      machine_end_silence: 'machine',
      machine_end_other: 'machine',
      fax: 'fax',
      unknown: 'unknown',
    });
    for (const [value, answeredBy] of Object.entries(TWILIO_ANSWERED_BY)) expect(toAnsweredBy(value)).toBe(answeredBy);
  });

  it('reports the verdict once, though Twilio repeats it in the status callbacks after its own callback', () => {
    const token = 'b'.repeat(32);
    const callSid = `CA${'2'.repeat(32)}`;
    const settings = controlSettings(token);
    const webhook = (route: 'amd' | 'status', params: Record<string, string>): TwilioInbound =>
      webhookInbound({ token, callSid }, route, params);
    let state = planTwilio(initialTwilioState(), [dialCommand({ machineDetection: true })], null, settings).state;
    state = receiveTwilio(state, { kind: 'created', token, callSid }).state;
    const verdict = receiveTwilio(state, webhook('amd', { AnsweredBy: 'human' }));
    expect(verdict.events.map((event) => event.type)).toEqual(['call.answered', 'call.answeredBy']);
    const ended = receiveTwilio(
      verdict.state,
      webhook('status', { CallStatus: 'completed', AnsweredBy: 'human', SequenceNumber: '3' }),
    );
    expect(ended.events.map((event) => event.type)).toEqual(['call.ended']);
  });

  it.each(['', 'machine', 'Human', 'hasOwnProperty', undefined])('refuses %j', (value) => {
    expect(toAnsweredBy(value)).toBeNull();
  });
});
