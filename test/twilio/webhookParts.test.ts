/**
 * The pieces of the webhook gate: URLs and routes, the strict form reader,
 * signature checks against the public URL, the registry, the Node listener
 * behind a body parser, and the provider's options.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { VoiceMfaError } from '../../src/errors.js';
import type { TwilioCallWebhook } from '../../src/providers/twilio/callWebhook.js';
import { parseFormBody } from '../../src/providers/twilio/formBody.js';
import {
  createTwilioWebhookListener,
  handleTwilioWebhook,
  InMemoryTwilioCallRegistry,
  TwilioVoiceProvider,
  type TwilioWebhookRequest,
} from '../../src/providers/twilio/index.js';
import { isValidTwilioSignature } from '../../src/providers/twilio/signature.js';
import { TWILIO_CAPABILITIES } from '../../src/providers/twilio/twilioVoiceProvider.js';
import {
  readPublicBaseUrl,
  readRequestTarget,
  readWebhookQuery,
  type TwilioWebhookRoute,
  toWebhookUrl,
} from '../../src/providers/twilio/webhookRoutes.js';
import { dialCommand } from '../support/commands.js';
import { ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, randomToken, webhookInbound } from '../support/twilioFake.js';

const TOKEN = '0123456789abcdef0123456789abcdef';

describe('webhook URLs', () => {
  it('builds absolute URLs with the dial token and reads them back', () => {
    const url = toWebhookUrl(PUBLIC_BASE_URL, 'gather', { token: TOKEN, step: 3, promptSeq: 2, shape: 'entry' });
    expect(url).toBe(`${PUBLIC_BASE_URL}/gather?t=${TOKEN}&s=3&p=2&k=entry`);
    const target = readRequestTarget(`/proxied/prefix/gather?t=${TOKEN}&s=3&p=2&k=entry`);
    expect(target).toEqual({ route: 'gather', rawSearch: `?t=${TOKEN}&s=3&p=2&k=entry` });
    expect(readWebhookQuery(target?.rawSearch ?? '')).toEqual({ token: TOKEN, step: 3, promptSeq: 2, shape: 'entry' });
    expect(readWebhookQuery(`?t=${TOKEN}&k=rest`)).toBeNull();
    expect(readRequestTarget(url)?.route).toBe('gather');
  });

  it.each([
    '',
    '?',
    '?t=short',
    `?t=${TOKEN}&t=${TOKEN}`,
    `?t=${TOKEN}&s=01`,
    `?t=${TOKEN}&s=-1`,
    `?t=${TOKEN}&k=other`,
    `?t=${TOKEN}&x=1`,
    `?t=${TOKEN}&s`,
    `?t=${TOKEN.toUpperCase()}`,
  ])('refuses the query %j', (query) => {
    expect(readWebhookQuery(query)).toBeNull();
  });

  it('knows only its routes', () => {
    expect(readRequestTarget('/twilio/favicon.ico')).toBeNull();
    expect(readRequestTarget('/twilio/status/')).toBeNull();
    expect(readRequestTarget('/twilio/status?t=1#frag')).toBeNull();
  });

  it('checks the public base URL', () => {
    const hrefOf = (value: string) => {
      const reading = readPublicBaseUrl(value);
      return reading.ok ? reading.url.href : null;
    };
    expect(hrefOf('https://verify.example.com/twilio/')).toBe('https://verify.example.com/twilio');
    expect(hrefOf('http://localhost:8080')).toBe('http://localhost:8080');
    for (const bad of ['/twilio', 'ftp://x/y', 'https://x/y?z=1', 'https://x/y#z', 'not a url']) {
      expect(hrefOf(bad)).toBeNull();
    }
  });
});

describe('form bodies', () => {
  it('reads Twilio form bodies', () => {
    expect(parseFormBody('CallSid=CA1&Digits=%23&Caller=%2B1+425')).toEqual(
      new Map([
        ['CallSid', 'CA1'],
        ['Digits', '#'],
        ['Caller', '+1 425'],
      ]),
    );
    expect(parseFormBody('')).toEqual(new Map());
    expect(parseFormBody(Buffer.from('A=%C3%A9'))).toEqual(new Map([['A', 'é']]));
  });

  it.each([
    ['a repeated name', 'a=1&a=2'],
    ['an empty name', '=1'],
    ['an empty pair', 'a=1&&b=2'],
    ['a bad escape', 'a=%E0%A4%A'],
    ['a truncated escape', 'a=%2'],
    ['too many parameters', Array.from({ length: 201 }, (_, i) => `p${i}=1`).join('&')],
  ])('refuses %s', (_why, body) => {
    expect(parseFormBody(body)).toBeNull();
  });

  it('refuses invalid UTF-8', () => {
    expect(parseFormBody(Buffer.from([0x61, 0x3d, 0xff]))).toBeNull();
  });
});

describe('signatures', () => {
  const params = { CallSid: `CA${TOKEN}`, CallStatus: 'ringing' };
  const url = `${PUBLIC_BASE_URL}/status?t=${TOKEN}`;

  it("accepts twilio-node's own signature of the public URL, with or without the default port", () => {
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
    expect(isValidTwilioSignature({ authToken: AUTH_TOKEN, signature, url, params })).toBe(true);
    const withPort = url.replace('verify.example.test', 'verify.example.test:443');
    const signedWithPort = twilio.getExpectedTwilioSignature(AUTH_TOKEN, withPort, params);
    expect(isValidTwilioSignature({ authToken: AUTH_TOKEN, signature: signedWithPort, url, params })).toBe(true);
  });

  it('refuses anything else and never throws', () => {
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
    expect(isValidTwilioSignature({ authToken: 'other', signature, url, params })).toBe(false);
    expect(isValidTwilioSignature({ authToken: AUTH_TOKEN, signature, url: `${url}&x=1`, params })).toBe(false);
    expect(isValidTwilioSignature({ authToken: AUTH_TOKEN, signature, url, params: { ...params, Digits: '1' } })).toBe(
      false,
    );
    expect(isValidTwilioSignature({ authToken: AUTH_TOKEN, signature: 'ü', url: 'not a url', params })).toBe(false);
  });
});

describe('the core', () => {
  const registry = new InMemoryTwilioCallRegistry();
  const options = { authToken: AUTH_TOKEN, publicBaseUrl: PUBLIC_BASE_URL, registry };
  const signed = (overrides: Partial<TwilioWebhookRequest> = {}): TwilioWebhookRequest => {
    const params = { CallSid: `CA${TOKEN}`, CallStatus: 'ringing' };
    const publicUrl = `${PUBLIC_BASE_URL}/status?t=${TOKEN}`;
    return {
      url: `/anything/status?t=${TOKEN}`,
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, publicUrl, params),
      },
      body: new URLSearchParams(params).toString(),
      ...overrides,
    };
  };

  it('answers a signed callback of an unknown call with an empty Response', async () => {
    expect(await handleTwilioWebhook(signed(), options)).toEqual({
      status: 200,
      contentType: 'text/xml; charset=utf-8',
      body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
    });
  });

  it('takes a body of exactly maxBodyBytes, and refuses one byte more', async () => {
    const { body } = signed();
    const size = Buffer.byteLength(body as string);
    expect((await handleTwilioWebhook(signed(), { ...options, maxBodyBytes: size })).status).toBe(200);
    expect((await handleTwilioWebhook(signed(), { ...options, maxBodyBytes: size - 1 })).status).toBe(413);
  });

  it('checks signatures against the public base URL as the provider accepts it, trailing slash included', async () => {
    const response = await handleTwilioWebhook(signed(), { ...options, publicBaseUrl: `${PUBLIC_BASE_URL}/` });
    expect(response.status).toBe(200);
  });

  it('refuses by the first thing wrong', async () => {
    const status = async (overrides: Partial<TwilioWebhookRequest>) =>
      (await handleTwilioWebhook(signed(overrides), options)).status;
    expect(await status({ method: 'GET' })).toBe(405);
    expect(await status({ body: 'x'.repeat(64 * 1024 + 1) })).toBe(413);
    expect(await status({ url: '/anything/else' })).toBe(404);
    expect(await status({ headers: { 'content-type': 'application/x-www-form-urlencoded' } })).toBe(400);
    expect(await status({ headers: { ...signed().headers, 'x-twilio-signature': ['a', 'b'] } })).toBe(400);
    expect(await status({ headers: { 'x-twilio-signature': 'abc' } })).toBe(415);
    expect(await status({ headers: { ...signed().headers, 'content-type': 'multipart/form-data' } })).toBe(415);
    expect(await status({ body: 'a=%zz' })).toBe(400);
    expect(await status({ body: 'CallSid=CA1' })).toBe(403);
  });

  it('checks the signature against publicBaseUrl alone: X-Forwarded-Proto and -Host, Host and the port a proxy used do not count', async () => {
    const forwarded = { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.example', host: 'internal:8080' };
    const genuine = signed();
    expect(
      (await handleTwilioWebhook({ ...genuine, headers: { ...genuine.headers, ...forwarded } }, options)).status,
    ).toBe(200);
    // Signed for the URL the forwarded headers describe: not Twilio's signature of the public URL.
    const params = { CallSid: `CA${TOKEN}`, CallStatus: 'ringing' };
    for (const url of [
      `http://evil.example/twilio/status?t=${TOKEN}`,
      `https://verify.example.test:8443/twilio/status?t=${TOKEN}`,
    ]) {
      const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
      const request = signed({ headers: { ...genuine.headers, ...forwarded, 'X-Twilio-Signature': signature } });
      expect((await handleTwilioWebhook(request, options)).status).toBe(403);
    }
  });

  it('refuses a query whose escaped names twilio-node would accept as signed', async () => {
    // twilio-node also checks the URL with the query decoded and re-encoded: `%74=` becomes `t=`, so the
    // signature of the genuine URL matches. The query is read as received, where `%74` is no name of ours.
    const genuine = signed();
    expect((await handleTwilioWebhook({ ...genuine, url: `/anything/status?%74=${TOKEN}` }, options)).status).toBe(400);
  });

  it('answers 500 and reports the error when a session fails unexpectedly', async () => {
    const errors: VoiceMfaError[] = [];
    const failing = new InMemoryTwilioCallRegistry();
    failing.register('v', { handleCallWebhook: async () => Promise.reject(new Error('boom')) });
    failing.bindDialToken(TOKEN, 'v');
    const response = await handleTwilioWebhook(signed(), {
      ...options,
      registry: failing,
      onError: (e) => errors.push(e),
    });
    expect(response.status).toBe(500);
    expect(errors.map((e) => [e.code, (e.cause as Error).message])).toEqual([['PROVIDER_ERROR', 'boom']]);
  });
});

describe('the registry', () => {
  it('finds a session by verification, dial token and CallSid, and forgets all of them', () => {
    const registry = new InMemoryTwilioCallRegistry();
    const session = { handleCallWebhook: async () => '' };
    registry.register('v1', session);
    registry.bindDialToken(TOKEN, 'v1');
    registry.bindCall(`CA${TOKEN}`, 'v1');
    registry.bindCall('CA-other', 'v-unknown');
    expect(registry.findByVerificationId('v1')).toBe(session);
    expect(registry.findByDialToken(TOKEN)).toBe(session);
    expect(registry.findByCallSid(`CA${TOKEN}`)).toBe(session);
    expect(registry.findByCallSid('CA-other')).toBeUndefined();
    expect(registry.size).toBe(1);
    registry.unregister('v1');
    expect([registry.findByDialToken(TOKEN), registry.findByCallSid(`CA${TOKEN}`), registry.size]).toEqual([
      undefined,
      undefined,
      0,
    ]);
  });
});

describe('the Node listener behind a body parser (Express style)', () => {
  async function serve(parseBody: (req: IncomingMessage) => Promise<unknown>) {
    const handled: TwilioWebhookRequest[] = [];
    const listener = createTwilioWebhookListener(async (request) => {
      handled.push(request);
      return { status: 200, contentType: 'text/xml', body: '<Response/>' };
    });
    const errors: unknown[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void parseBody(req).then((body) => {
        if (body !== undefined) Object.assign(req, { body, originalUrl: `/mounted${req.url}` });
        listener(req, res, (error) => {
          errors.push(error);
          res.statusCode = 599;
          res.end();
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const post = (body: string) =>
      fetch(`http://127.0.0.1:${port}/twilio/status?t=${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'sig' },
        body,
      });
    const close = () => new Promise((resolve) => server.close(resolve));
    return { handled, errors, post, close };
  }

  const readAll = async (req: IncomingMessage): Promise<string> => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    return text;
  };

  it('uses the flat fields of express.urlencoded({ extended: false })', async () => {
    const s = await serve(async (req) => Object.fromEntries(new URLSearchParams(await readAll(req))));
    expect((await s.post('CallSid=CA1&Digits=%23')).status).toBe(200);
    expect(s.handled[0]?.url).toBe(`/mounted/twilio/status?t=${TOKEN}`);
    expect(s.handled[0]?.body).toBe('CallSid=CA1&Digits=%23');
    await s.close();
  });

  it('uses a raw body from express.raw() or express.text()', async () => {
    const s = await serve(async (req) => Buffer.from(await readAll(req)));
    expect((await s.post('CallSid=CA1')).status).toBe(200);
    expect(Buffer.from(s.handled[0]?.body ?? '').toString()).toBe('CallSid=CA1');
    await s.close();
  });

  it('reads the form itself behind a parser that left an empty body without reading (express.json())', async () => {
    // body-parser sets req.body = {} for a content type it does not parse and leaves the stream unread.
    const s = await serve(async () => ({}));
    expect((await s.post('CallSid=CA1&Digits=5')).status).toBe(200);
    expect(s.handled[0]?.body.toString()).toBe('CallSid=CA1&Digits=5');
    await s.close();
  });

  it('refuses nested fields from a parser with extended syntax', async () => {
    const s = await serve(async (req) => ({ CallSid: { nested: await readAll(req) } }));
    expect((await s.post('CallSid[nested]=1')).status).toBe(400);
    expect(s.handled).toEqual([]);
    await s.close();
  });

  it('hands a failing handler to next()', async () => {
    const listener = createTwilioWebhookListener(() => Promise.reject(new Error('boom')));
    const errors: unknown[] = [];
    const server = createServer((req, res) =>
      listener(req, res, (error) => {
        errors.push(error);
        res.statusCode = 502;
        res.end();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/twilio/status`, { method: 'POST', body: 'a=1' });
    expect(response.status).toBe(502);
    expect(errors).toEqual([new Error('boom')]);
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('TwilioVoiceProvider', () => {
  const valid = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, publicBaseUrl: PUBLIC_BASE_URL };

  it('declares what Twilio can do', () => {
    const provider = new TwilioVoiceProvider(valid);
    expect(provider.name).toBe('twilio');
    expect(provider.capabilities).toEqual({
      reportsPromptEnd: false,
      enforcesInputTimeout: true,
      machineDetection: true,
      reportsSitKinds: false,
    });
    expect(TWILIO_CAPABILITIES).toBe(provider.capabilities);
  });

  it('keys a webhook so that only a retry of it shares its key, for the answer stored in the durable service', () => {
    const provider = new TwilioVoiceProvider(valid);
    const CallSid = `CA${TOKEN}`;
    const webhook = (
      route: TwilioWebhookRoute,
      params: Record<string, string> = {},
      query: Partial<TwilioCallWebhook['query']> = {},
    ) => webhookInbound({ token: TOKEN, callSid: CallSid }, route, params, query);
    const keyOf = (inbound: unknown) => provider.idempotencyKeyOf(inbound);
    const ringing = keyOf(webhook('status', { CallStatus: 'ringing', SequenceNumber: '1' }));
    expect(ringing).not.toBeNull();
    expect(keyOf(webhook('status', { CallStatus: 'ringing', SequenceNumber: '1' }))).toBe(ringing);
    expect(keyOf(webhook('status', { CallStatus: 'completed', SequenceNumber: '2' }))).not.toBe(ringing);
    // Without a SequenceNumber two callbacks cannot be told from a retry: none is keyed.
    expect(keyOf(webhook('status', { CallStatus: 'ringing' }))).toBeNull();

    const gather = keyOf(webhook('gather', { Digits: '#' }, { step: 3, promptSeq: 1, shape: 'entry' }));
    expect(gather).not.toBeNull();
    expect(keyOf(webhook('gather', { Digits: '#' }, { step: 3, promptSeq: 1, shape: 'entry' }))).toBe(gather);
    expect(keyOf(webhook('gather', { Digits: '#' }, { step: 4, promptSeq: 1, shape: 'entry' }))).not.toBe(gather);
    const answer = keyOf(webhook('answer', { CallStatus: 'in-progress' }));
    expect(answer).not.toBeNull();
    expect([ringing, gather]).not.toContain(answer);
    // What a REST request learnt is not a webhook Twilio retries.
    expect(keyOf({ kind: 'created', token: TOKEN, callSid: CallSid })).toBeNull();
  });

  it.each([
    { accountSid: 'SK0123' },
    { authToken: '' },
    { publicBaseUrl: '/relative' },
    { defaultCallerId: '4255550100' },
    { defaultCallerId: '+12345' },
    { defaultCallerId: '+1234567890123456' },
    { entryPauseSeconds: 0 },
    { entryPauseSeconds: 6 },
    { entryPauseSeconds: 1.5 },
    { replyWaitMs: 20_000 },
    { pollPauseSeconds: 1.5 },
    { maxBodyBytes: 10 },
    { keyCollection: 'sometimes' as 'key-by-key' },
    // A voice map every prompt reads: refused when the provider is built, not sent to Twilio as a voice.
    { defaultVoices: ['Polly.Joanna-Neural'] as unknown as Record<string, string> },
    { defaultVoices: { 'en-US': '' } },
    { defaultVoices: { 'en-US': 42 as unknown as string } },
  ])('refuses %j', (override) => {
    expect(() => new TwilioVoiceProvider({ ...valid, ...override })).toThrow(VoiceMfaError);
  });

  it('takes a caller ID of any length E.164 allows, as the number checks do (+43 1110 has six digits)', () => {
    for (const defaultCallerId of ['+431110', '+123456789012345']) {
      expect(() => new TwilioVoiceProvider({ ...valid, defaultCallerId })).not.toThrow();
    }
  });

  it('fails a dial without any caller ID, with a code the record keeps', async () => {
    const events: unknown[] = [];
    const provider = new TwilioVoiceProvider(valid);
    const session = provider.openSession({ verificationId: 'v', emit: (event) => events.push(event) });
    await session.execute(dialCommand());
    expect(events).toEqual([
      { type: 'call.dialFailed', attempt: 0, ending: { status: 'failed', providerCode: 'NO_CALLER_ID' } },
    ]);
    await session.close();
    expect((provider.registry as InMemoryTwilioCallRegistry).size).toBe(0);
    expect(randomToken()).toMatch(/^[0-9a-f]{32}$/);
  });
});
