/**
 * A public base URL with HTTP basic-auth credentials, a pattern Twilio's
 * security page documents: the URLs Twilio is given keep the credentials (so
 * Twilio authenticates), Twilio's signatures are over the URL without them,
 * and requests without the right credentials are answered 401 before anything
 * else is looked at.
 */
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VoiceMfaError } from '../../src/errors.js';
import type { VerificationResult } from '../../src/machine/outcomes.js';
import {
  handleTwilioWebhook,
  InMemoryTwilioCallRegistry,
  TwilioVoiceProvider,
} from '../../src/providers/twilio/index.js';
import { readPublicBaseUrl } from '../../src/providers/twilio/webhookRoutes.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  FakeCall,
  newCallSid,
  randomToken,
  spoken,
  TwilioWebhookSender,
  verb,
} from '../support/twilioFake.js';
import { startTwilioHarness, type TwilioHarness } from '../support/twilioHarness.js';
import { textOf } from '../support/xml.js';

const CREDENTIALS = 'twilio:s3cret';
const BASE = `https://${CREDENTIALS}@verify.example.test/twilio`;
const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString('base64')}`;

/** Twilio drops the user-info from the URL before signing it. */
const withoutCredentials = (url: string) => url.replace(`${CREDENTIALS}@`, '');

/** Twilio's side: basic auth from the URL's credentials, signatures over the URL without them. */
class TwilioWithBasicAuth extends TwilioWebhookSender {
  override sign(publicUrl: string, params: Record<string, string>): string {
    return twilio.getExpectedTwilioSignature(this.authToken, withoutCredentials(publicUrl), params);
  }
}

let h: TwilioHarness;
let localBaseUrl: string;
const senderWith = (headers: Record<string, string>) =>
  new TwilioWithBasicAuth(localBaseUrl, AUTH_TOKEN, BASE, headers);

beforeEach(async () => {
  h = await startTwilioHarness({ publicBaseUrl: BASE });
  localBaseUrl = `http://127.0.0.1:${(h.server.address() as AddressInfo).port}/hooks`;
});

afterEach(async () => {
  await h.close();
  expect(h.errors).toEqual([]);
});

function start(received: string[]): Promise<VerificationResult> {
  return runVerification(
    { targets: ['+14255550100'] },
    {
      provider: h.provider,
      onEvent: (observation) => {
        if (observation.type === 'provider.event') received.push(observation.event.type);
      },
    },
  );
}

async function answeredCall(): Promise<{ call: FakeCall; greeting: Awaited<ReturnType<FakeCall['answer']>> }> {
  const [create] = await h.rest.waitForCreates(1);
  if (create === undefined) throw new Error('no call placed');
  const call = new FakeCall(senderWith({ authorization: basic(CREDENTIALS) }), create);
  await call.status('initiated');
  await call.status('ringing');
  return { call, greeting: await call.answer() };
}

describe('a public base URL with credentials', () => {
  it('hands Twilio URLs with the credentials and accepts its requests signed without them', async () => {
    const received: string[] = [];
    const verification = start(received);
    const { call, greeting } = await answeredCall();
    const { data } = call.create;
    expect([data.Url, data.StatusCallback]).toEqual([
      expect.stringMatching(/^https:\/\/twilio:s3cret@verify\.example\.test\/twilio\/answer\?t=[0-9a-f]{32}$/),
      expect.stringMatching(/^https:\/\/twilio:s3cret@verify\.example\.test\/twilio\/status\?t=[0-9a-f]{32}$/),
    ]);
    expect(verb(greeting, 'Gather').attributes.action?.startsWith(`${BASE}/gather?`)).toBe(true);
    expect(textOf(verb(greeting, 'Redirect')).startsWith(`${BASE}/timeout?`)).toBe(true);

    expect(spoken(await call.press(greeting, '#'))).toEqual(['Thank you. Your verification is complete. Goodbye.']);
    expect((await verification).status).toBe('approved');
    expect(received).toEqual(['call.dialed', 'call.ringing', 'call.answered', 'call.digits']);
  });

  it('answers 401 to missing or wrong credentials', async () => {
    const received: string[] = [];
    const verification = start(received);
    const { call, greeting } = await answeredCall();
    const before = [...received];
    const [url, params] = call.gatherRequest(greeting, '#');

    const refusals: [string, Record<string, string>, number][] = [
      ['no credentials', {}, 401],
      ['a wrong password', { authorization: basic('twilio:wrong') }, 401],
      ['a wrong user name', { authorization: basic('twilia:s3cret') }, 401],
      ['a longer password', { authorization: basic(`${CREDENTIALS}x`) }, 401],
      ['another scheme', { authorization: `Bearer ${Buffer.from(CREDENTIALS).toString('base64')}` }, 401],
      ['the credentials unencoded', { authorization: `Basic ${CREDENTIALS}` }, 401],
    ];
    for (const [why, headers, status] of refusals) {
      expect([why, (await senderWith(headers).post(url, params)).status]).toEqual([why, status]);
    }
    const challenge = await fetch(h.sender.toLocalUrl(withoutCredentials(url)), { method: 'POST', body: 'a=1' });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toBe('Basic realm="Twilio webhooks", charset="UTF-8"');
    expect(received).toEqual(before);

    // The scheme is case-insensitive (RFC 9110).
    const lowerCase = senderWith({ authorization: basic(CREDENTIALS).replace('Basic', 'basic') });
    expect((await lowerCase.post(url, params)).status).toBe(200);
    expect((await verification).status).toBe('approved');
  });

  it('takes a signature over the URL with the credentials too, since Twilio does not say which it signs, but no other URL', async () => {
    const received: string[] = [];
    const verification = start(received);
    const { call, greeting } = await answeredCall();
    const [url, params] = call.gatherRequest(greeting, '#');
    const sender = senderWith({ authorization: basic(CREDENTIALS) });
    const signedFor = (signedUrl: string) => ({
      signature: twilio.getExpectedTwilioSignature(AUTH_TOKEN, signedUrl, params),
    });
    // Signed for another host, or for other credentials: not the URL Twilio was given.
    expect(
      (await sender.post(url, params, signedFor(url.replace('verify.example.test', 'evil.example.test')))).status,
    ).toBe(403);
    expect((await sender.post(url, params, signedFor(url.replace(CREDENTIALS, 'twilio:other')))).status).toBe(403);
    expect(received).toEqual(['call.dialed', 'call.ringing', 'call.answered']);
    // twilio-node's validateRequest keeps the user-info in what it signs.
    const withUserInfo = await sender.post(url, params, signedFor(url));
    expect(withUserInfo.status).toBe(200);
    expect((await verification).status).toBe('approved');
    expect(received).toEqual(['call.dialed', 'call.ringing', 'call.answered', 'call.digits']);
  });

  it('answers 401 from the headers alone, without reading or waiting for the body', async () => {
    const port = (h.server.address() as AddressInfo).port;
    const exchange = async (authorization: string | null) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      let reply = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => {
        reply += chunk;
      });
      const head = [
        `POST /hooks/status?t=${randomToken()} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Content-Type: application/x-www-form-urlencoded',
        'Content-Length: 60000',
        ...(authorization === null ? [] : [`Authorization: ${authorization}`]),
        '',
        '',
      ];
      socket.write(head.join('\r\n'));
      const sentAt = performance.now();
      const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - sentAt)));
      // Long enough for a busy machine to answer, well short of the body's deadline (10 s).
      const outcome = await Promise.race([closed, new Promise<null>((resolve) => setTimeout(resolve, 2_000, null))]);
      socket.destroy();
      return { reply, closedAfterMs: outcome };
    };

    const refused = await exchange(basic('twilio:wrong'));
    expect(refused.reply).toMatch(/^HTTP\/1\.1 401 /);
    expect(refused.closedAfterMs).not.toBeNull();
    // With the right credentials the listener waits for the announced body.
    const admitted = await exchange(basic(CREDENTIALS));
    expect(admitted).toEqual({ reply: '', closedAfterMs: null });
  });

  it('checks the framework-free core the same way, and Twilio drops the default port too', async () => {
    const token = randomToken();
    const params = { AccountSid: ACCOUNT_SID, CallSid: newCallSid(), CallStatus: 'ringing' };
    const options = {
      authToken: AUTH_TOKEN,
      publicBaseUrl: 'https://twilio:s3cret@verify.example.test:443/twilio/',
      registry: new InMemoryTwilioCallRegistry(),
    };
    const request = (headers: Record<string, string>) => ({
      url: `/anywhere/status?t=${token}`,
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(
          AUTH_TOKEN,
          `https://verify.example.test/twilio/status?t=${token}`,
          params,
        ),
        ...headers,
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(await handleTwilioWebhook(request({}), options)).toMatchObject({
      status: 401,
      headers: { 'www-authenticate': 'Basic realm="Twilio webhooks", charset="UTF-8"' },
    });
    // Before anything else: a wrong method or path without the credentials learns nothing more than 401.
    expect((await handleTwilioWebhook({ ...request({}), method: 'GET' }, options)).status).toBe(401);
    expect((await handleTwilioWebhook({ ...request({}), url: '/anywhere/nothing' }, options)).status).toBe(401);
    expect((await handleTwilioWebhook(request({ Authorization: basic(CREDENTIALS) }), options)).status).toBe(200);
  });

  it('reads the URL Twilio is given and the URL it signs', () => {
    expect(readPublicBaseUrl('https://twilio:s3cret@verify.example.test:8443/twilio/')).toEqual({
      ok: true,
      url: {
        href: 'https://twilio:s3cret@verify.example.test:8443/twilio',
        signedHref: 'https://verify.example.test:8443/twilio',
        credentials: { username: 'twilio', password: 's3cret' },
      },
    });
  });

  it.each([
    ['https://tw%69lio:s3cret@verify.example.test/twilio', /credentials must not be percent-encoded/],
    ['https://twilio:s3%2Acret@verify.example.test/twilio', /credentials must not be percent-encoded/],
    ['https://twilio:@verify.example.test/twilio', /both a user name and a password/],
    ['https://twilio@verify.example.test/twilio', /both a user name and a password/],
    ['https://:s3cret@verify.example.test/twilio', /both a user name and a password/],
    ['http://twilio:s3cret@verify.example.test/twilio', /credentials only over https/],
    ['https://twilio:s3c&ret@verify.example.test/twilio', /may use only letters, digits/],
    ['https://twilio:s3:cret@verify.example.test/twilio', /may use only letters, digits/],
    ['https://twilio:s3cret@x@verify.example.test/twilio', /may use only letters, digits/],
  ])('refuses %s with a message that says why', (publicBaseUrl, why) => {
    const create = () => new TwilioVoiceProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, publicBaseUrl });
    expect(create).toThrow(VoiceMfaError);
    expect(create).toThrow(why);
  });
});
