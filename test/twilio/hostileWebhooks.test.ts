/**
 * Webhooks from an attacker or a confused network: forged, missing and
 * replayed signatures, malformed and oversized bodies, duplicated and
 * out-of-order callbacks, callbacks for calls that ended. Each gets the right
 * status code and changes nothing.
 */
import { request as httpRequest } from 'node:http';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VerificationResult } from '../../src/machine/outcomes.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import {
  ACCOUNT_SID,
  type FakeCall,
  newCallSid,
  PUBLIC_BASE_URL,
  randomToken,
  spoken,
  toTwiml,
  verbNames,
} from '../support/twilioFake.js';
import { startTwilioHarness, type TwilioHarness } from '../support/twilioHarness.js';

let h: TwilioHarness;

beforeEach(async () => {
  h = await startTwilioHarness();
});

afterEach(async () => {
  await h.close();
  expect(h.errors).toEqual([]);
});

interface Running {
  verification: Promise<VerificationResult>;
  /** Types of the provider events the machine received. */
  received: string[];
  settled(): boolean;
}

function start(request: VerificationRequest, verifyPin?: (entry: string) => boolean): Running {
  const received: string[] = [];
  let done = false;
  const verification = runVerification(request, {
    provider: h.provider,
    ...(verifyPin === undefined ? {} : { verifyPin }),
    onEvent: (observation) => {
      if (observation.type === 'provider.event') received.push(observation.event.type);
    },
  });
  void verification.finally(() => {
    done = true;
  });
  return { verification, received, settled: () => done };
}

async function answered(call: FakeCall) {
  await call.status('initiated');
  await call.status('ringing');
  return call.answer();
}

const NO_IGNORED_EVENTS = { stale: 0, duplicate: 0, outOfOrder: 0, unexpected: 0 };

describe('signatures', () => {
  it('refuses forged and missing signatures without any change, then accepts the real request', async () => {
    const run = start({ targets: ['+14255550100'] });
    const call = await h.call(1);
    const greeting = await answered(call);
    const before = [...run.received];
    const [url, params] = call.gatherRequest(greeting, '#');
    const genuine = h.sender.sign(url, params);

    const forgeries: [string, Parameters<typeof h.sender.post>[2]][] = [
      ['random signature', { signature: Buffer.alloc(20, 7).toString('base64') }],
      ['another auth token', { signature: twilio.getExpectedTwilioSignature('not-the-token', url, params) }],
      ['signed for other keys', { signature: h.sender.sign(url, { ...params, Digits: '5' }) }],
      ['signed for the URL behind the proxy', { signature: h.sender.sign(h.sender.toLocalUrl(url), params) }],
      [
        'signed with the wrong algorithm',
        { signature: twilio.getExpectedTwilioSignature(h.sender.authToken, url, params, 'HMAC_SHA256') },
      ],
      [
        'genuine signature on another body',
        { signature: genuine, rawBody: new URLSearchParams({ ...params, Digits: '0' }).toString() },
      ],
    ];
    for (const [why, options] of forgeries) {
      const reply = await h.sender.post(url, params, options);
      expect([why, reply.status]).toEqual([why, 403]);
    }
    expect((await h.sender.post(url, params, { signature: null })).status).toBe(400);
    expect((await h.sender.post(url, params, { signature: '' })).status).toBe(400);
    // A forged status callback cannot end the call either.
    const hangUp = call.statusParams('completed');
    expect((await h.sender.post(String(call.create.data.StatusCallback), hangUp, { signature: 'x' })).status).toBe(403);
    expect(run.received).toEqual(before);
    expect(run.settled()).toBe(false);

    const reply = toTwiml(await h.sender.post(url, params));
    expect(spoken(reply)).toEqual(['Thank you. Your verification is complete. Goodbye.']);
    const result = await run.verification;
    expect(result.status).toBe('approved');
    expect(result.ignoredEvents).toEqual(NO_IGNORED_EVENTS);
  });

  it('answers a replayed TwiML request with the same TwiML and reports its keys once', async () => {
    const run = start({ targets: ['+14255550100'], mode: 'pin' }, (entry) => entry === '1234');
    const call = await h.call(1);
    let twiml = await answered(call);
    twiml = await call.press(twiml, '1');
    const [url, params] = call.gatherRequest(twiml, '2');
    const first = await h.sender.post(url, params);
    const replay = await h.sender.post(url, params);
    expect(replay).toEqual(first);
    expect(run.received.filter((type) => type === 'call.digits')).toHaveLength(2);
    twiml = toTwiml(first);
    for (const key of '34') twiml = await call.press(twiml, key);
    expect(spoken(await call.press(twiml, '#'))).toEqual(['Thank you. Your verification is complete. Goodbye.']);
    const result = await run.verification;
    expect(result.status).toBe('approved');
    expect(result.attempts[0]?.keysPressed).toBe(5);
  });
});

describe('status callbacks', () => {
  it('ignores replayed, duplicated and out-of-order callbacks and callbacks of an ended call', async () => {
    const run = start({ targets: ['+14255550100', '+14255550101'] });
    const call = await h.call(1);
    const post = (params: Record<string, string>) => h.sender.post(String(call.create.data.StatusCallback), params);
    const initiated = call.statusParams('initiated');
    const ringing = call.statusParams('ringing');
    const inProgress = call.statusParams('in-progress');
    const lateRinging = call.statusParams('ringing');
    for (const params of [initiated, ringing, ringing, inProgress, initiated, lateRinging, inProgress]) {
      const reply = await post(params);
      expect(reply.status).toBe(200);
      expect(verbNames(toTwiml(reply))).toEqual([]);
    }
    expect(run.received).toEqual(['call.dialed', 'call.ringing', 'call.answered']);

    const completed = call.statusParams('completed', { CallDuration: '4', SipResponseCode: '200' });
    for (let i = 0; i < 3; i++) expect((await post(completed)).status).toBe(200);
    const result = await run.verification;
    expect(result).toMatchObject({ status: 'denied', reason: 'hung-up' });
    expect(result.ignoredEvents).toEqual(NO_IGNORED_EVENTS);
    expect(run.received).toEqual(['call.dialed', 'call.ringing', 'call.answered', 'call.ended']);

    // The verification is over and its session closed: everything about the call is stale.
    for (const status of ['ringing', 'in-progress', 'completed', 'busy']) {
      const reply = await post(call.statusParams(status));
      expect(reply.status).toBe(200);
      expect(verbNames(toTwiml(reply))).toEqual([]);
    }
    expect(verbNames(await call.requestTwiml(String(call.create.data.Url)))).toEqual(['Hangup']);
    const amdUrl = String(call.create.data.Url).replace('/answer?', '/amd?');
    const amd = await h.sender.post(amdUrl, {
      AccountSid: ACCOUNT_SID,
      CallSid: call.sid,
      AnsweredBy: 'machine_start',
    });
    expect(verbNames(toTwiml(amd))).toEqual([]);
    expect(h.rest.creates()).toHaveLength(1);
  });

  it('treats webhooks of unknown calls as stale', async () => {
    const token = randomToken();
    const params = { AccountSid: ACCOUNT_SID, CallSid: newCallSid(), CallStatus: 'completed', SequenceNumber: '3' };
    const status = await h.sender.post(`${PUBLIC_BASE_URL}/status?t=${token}`, params);
    expect(verbNames(toTwiml(status))).toEqual([]);
    const answer = await h.sender.post(`${PUBLIC_BASE_URL}/answer?t=${token}`, params);
    expect(verbNames(toTwiml(answer))).toEqual(['Hangup']);
  });
});

describe('malformed requests', () => {
  it('refuses malformed, mistyped and oversized requests, and the call goes on', async () => {
    const run = start({ targets: ['+14255550100'] });
    const call = await h.call(1);
    const greeting = await answered(call);
    const before = [...run.received];
    const [url, params] = call.gatherRequest(greeting, '#');
    const encoded = new URLSearchParams(params).toString();
    const statusOf = async (options: Parameters<typeof h.sender.post>[2], target = url, body = params) =>
      (await h.sender.post(target, body, options)).status;

    expect(await statusOf({ rawBody: `${encoded}&Bad=%ZZ` })).toBe(400);
    expect(await statusOf({ rawBody: `${encoded}&Digits=5` })).toBe(400);
    expect(await statusOf({ rawBody: `${encoded}&=x` })).toBe(400);
    expect(await statusOf({ contentType: 'application/json', rawBody: JSON.stringify(params) })).toBe(415);
    expect(await statusOf({ contentType: 'text/plain' })).toBe(415);
    const { CallSid: _omitted, ...withoutCallSid } = params;
    expect(await statusOf({}, url, withoutCallSid)).toBe(400);
    expect(await statusOf({}, url, { ...params, CallSid: 'CA-not-a-sid' })).toBe(400);
    // No value Twilio sends holds a control character (a NUL would also reach the store's keys).
    expect(await statusOf({}, url, { ...params, SequenceNumber: '1\u0000' })).toBe(400);
    expect(await statusOf({}, url, { ...params, Digits: '#\n' })).toBe(400);
    expect(await statusOf({}, `${url}&x=1`)).toBe(400);
    expect(await statusOf({}, url.replace(/t=[0-9a-f]{32}/, 't=zz'))).toBe(400);
    expect(await statusOf({ rawBody: `${encoded}&Padding=${'x'.repeat(70 * 1024)}` })).toBe(413);

    const local = new URL(h.sender.toLocalUrl(url));
    const invalidUtf8 = Buffer.concat([Buffer.from(`${encoded}&Name=`), Buffer.from([0xc3, 0x28])]);
    expect((await rawPost(local, invalidUtf8, { 'x-twilio-signature': h.sender.sign(url, params) })).status).toBe(400);
    expect((await rawPost(local, null, {}, 'GET')).status).toBe(405);
    expect((await rawPost(new URL('/hooks/unknown', local), Buffer.from(encoded), {})).status).toBe(404);
    // Chunked, without a length: the listener stops reading at the limit.
    const chunked = await rawPost(local, Buffer.alloc(200 * 1024, 0x61), { 'transfer-encoding': 'chunked' });
    expect(chunked.status).toBe(413);

    expect(run.received).toEqual(before);
    expect(spoken(await call.press(greeting, '#'))).toEqual(['Thank you. Your verification is complete. Goodbye.']);
    expect((await run.verification).status).toBe('approved');
  });
});

function rawPost(
  url: URL,
  body: Buffer | null,
  headers: Record<string, string>,
  method = 'POST',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on('error', reject);
    if (body !== null) request.write(body);
    request.end();
  });
}
