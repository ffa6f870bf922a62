/**
 * Fuzzing the webhooks: 10 000 generated requests — signed and unsigned, well
 * and badly formed, about live calls and unknown ones — through the core, and
 * a few hundred raw ones through the Node listener. None may crash it; each
 * gets a 4xx or valid TwiML; every event it emits is well-formed and follows
 * its call's `call.dialed`; nothing unsigned changes anything.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderCommand } from '../../src/machine/commands.js';
import type { ProviderEvent } from '../../src/machine/events.js';
import { isWellFormedEvent } from '../../src/machine/validateEvent.js';
import { TWILIO_WEBHOOK_ROUTES, TwilioVoiceProvider } from '../../src/providers/twilio/index.js';
import type { ProviderSession } from '../../src/providers/types.js';
import { ACCOUNT_SID, AUTH_TOKEN, FakeTwilioRestClient, PUBLIC_BASE_URL } from '../support/twilioFake.js';
import { elementsOf, parseXml, textOf, type XmlElement } from '../support/xml.js';

const ALLOWED_STATUS = [200, 400, 403, 404, 405, 413, 415];
/** Calls end under the fuzz (a signed "completed"); fresh ones are placed this often. */
const RUNS_PER_FIXTURE = 250;
let fixtureCount = 0;

interface Fixture {
  provider: TwilioVoiceProvider;
  session: ProviderSession;
  /** The live calls, with the URLs of the last TwiML each was given. */
  calls: { sid: string; token: string; nextUrls: string[] }[];
}

/** The webhook URLs in a TwiML answer: Gather actions and Redirect targets. */
function urlsOf(element: XmlElement): string[] {
  return elementsOf(element).flatMap((child) => [
    ...(child.attributes.action === undefined ? [] : [child.attributes.action]),
    ...(child.name === 'Redirect' ? [textOf(child)] : []),
    ...urlsOf(child),
  ]);
}

/** A session with three live calls and a stand-in for the machine that keeps prompting; events go to the shared lists. */
async function createFixture(emitted: ProviderEvent[], violations: string[]): Promise<Fixture> {
  const rest = new FakeTwilioRestClient();
  const provider = new TwilioVoiceProvider({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    publicBaseUrl: PUBLIC_BASE_URL,
    defaultCallerId: '+14255550000',
    httpClient: rest,
    replyWaitMs: 0,
    // Twilio's default pace (one create a second) would make each fresh fixture wait 2 s on the real clock.
    callsPerSecond: 100,
  });
  const dialed = new Set<string>();
  let promptSeq = 0;
  let session: ProviderSession | null = null;
  const reply = (command: ProviderCommand): void => {
    void Promise.resolve(session?.execute(command)).catch(() => {});
  };
  session = provider.openSession({
    verificationId: `fuzz-${++fixtureCount}`,
    emit: (event) => {
      emitted.push(event);
      if (!isWellFormedEvent(event)) violations.push(`malformed ${JSON.stringify(event)}`);
      if (event.type === 'call.dialed') dialed.add(event.callId);
      else if ('callId' in event && !dialed.has(event.callId)) violations.push(`${event.type} before call.dialed`);
      const prompt = (callId: string): ProviderCommand => ({
        type: 'playPrompt',
        callId,
        promptSeq: ++promptSeq,
        kind: 'greeting',
        segments: [{ say: 'Press pound.' }],
        speech: {},
        collect: {
          mode: promptSeq % 2 === 0 ? 'pin' : 'standard',
          fraudCode: '0',
          inputTimeoutMs: 10_000,
          timeoutOwner: 'provider',
        },
      });
      if (event.type === 'call.answered' || event.type === 'call.inputTimeout') reply(prompt(event.callId));
      if (event.type === 'call.digits' && event.digits.includes('#')) reply(prompt(event.callId));
    },
  });
  for (let attempt = 0; attempt < 3; attempt++) {
    await session.execute({
      type: 'dial',
      attempt,
      to: `+1425555010${attempt}`,
      extension: null,
      callerId: null,
      ringTimeoutMs: 30_000,
      dialTimeoutMs: 90_000,
      machineDetection: attempt === 2,
    });
  }
  const calls = rest.creates().map((create) => ({
    sid: String(create.sid),
    token: String(create.data.Url).replace(/^.*t=/, ''),
    nextUrls: [
      create.data.Url,
      create.data.StatusCallback,
      create.data.StatusCallback,
      create.data.AsyncAmdStatusCallback,
    ].filter((url): url is string => typeof url === 'string'),
  }));
  return { provider, session, calls };
}

const PARAM_NAMES = [
  'CallSid',
  'CallStatus',
  'SequenceNumber',
  'SipResponseCode',
  'ErrorCode',
  'AnsweredBy',
  'Digits',
  'FinishedOnKey',
  'AccountSid',
  'Timestamp',
  'msg',
  '__proto__',
  'constructor',
  'Caller',
];

const PARAM_VALUES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'no-answer',
  'canceled',
  'failed',
  '#',
  '0',
  '1',
  '*',
  '1234',
  '0#',
  'machine_start',
  'machine_end_beep',
  'human',
  'fax',
  'unknown',
  '404',
  '486',
  '13224',
  '21217',
  '-1',
  '99999999999999999999',
];

type GeneratedBody = { kind: 'form' } | { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array };

/**
 * Mostly plausible requests, so that many get past the gate and reach the
 * sessions; the rest anything. `LIVE_SID` and `LIVE_TOKEN` stand for a live call.
 */
function requestArbitrary() {
  const likely = <T>(plausible: fc.Arbitrary<T>, anything: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: plausible, weight: 4 }, { arbitrary: anything, weight: 1 });
  const sid = likely(
    fc.constant('LIVE_SID'),
    fc.oneof(fc.stringMatching(/^CA[0-9a-f]{32}$/), fc.string({ maxLength: 40 })),
  );
  const token = likely(
    fc.constant('LIVE_TOKEN'),
    fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.string({ maxLength: 40 })),
  );
  const value = likely(
    fc.oneof(fc.constantFrom(...PARAM_VALUES), fc.stringMatching(/^[0-9#*]{0,70}$/)),
    fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 20 })),
  );
  const name = likely(fc.constantFrom(...PARAM_NAMES), fc.string({ maxLength: 12 }));
  const known = fc.record(
    {
      CallStatus: likely(fc.constantFrom('ringing', 'ringing', ...PARAM_VALUES.slice(0, 9)), value),
      Digits: likely(fc.constantFrom('#', '0', '1', '*', '9', '234', '0#'), value),
      FinishedOnKey: likely(fc.constantFrom('#', ''), value),
      SequenceNumber: likely(fc.nat(10_000).map(String), value),
      AnsweredBy: likely(fc.constantFrom('human', 'machine_start', 'machine_end_beep', 'fax', 'unknown'), value),
      SipResponseCode: value,
    },
    { requiredKeys: [] },
  );
  const params = fc
    .tuple(sid, known, fc.dictionary(name, value, { maxKeys: 4 }))
    .map(([callSid, knownParams, extra]) => ({ CallSid: callSid, ...knownParams, ...extra }));
  const small = likely(fc.nat(3), fc.nat(1_000));
  const query = likely(
    fc
      .record(
        { t: token, s: small, p: small, k: likely(fc.constantFrom('key', 'rest'), fc.string({ maxLength: 4 })) },
        { requiredKeys: ['t'] },
      )
      .map(
        (q) =>
          `?${Object.entries(q)
            .map(([k, v]) => `${k}=${v}`)
            .join('&')}`,
      ),
    fc.oneof(
      fc.string({ maxLength: 60 }).map((raw) => `?${raw}`),
      fc.constant(''),
    ),
  );
  return fc.record({
    follow: fc.boolean(),
    route: likely(fc.constantFrom(...TWILIO_WEBHOOK_ROUTES), fc.string({ maxLength: 10 })),
    query,
    params,
    body: likely<GeneratedBody>(
      fc.constant({ kind: 'form' }),
      fc.oneof<fc.Arbitrary<GeneratedBody>[]>(
        fc.string({ maxLength: 300 }).map((text) => ({ kind: 'text' as const, text })),
        fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'bytes' as const, bytes })),
      ),
    ),
    signature: likely(fc.constant('valid'), fc.constantFrom('forged', 'missing')),
    contentType: likely(
      fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8'),
      fc.constantFrom('application/json', '', 'text/xml'),
    ),
    method: likely(fc.constant('POST'), fc.constantFrom('GET', 'PUT', 'DELETE')),
  });
}

function signableParams(body: string): Record<string, string> {
  try {
    return Object.fromEntries(new URLSearchParams(body));
  } catch {
    return {};
  }
}

describe('fuzzed webhooks', () => {
  let fixture: Fixture;
  const emitted: ProviderEvent[] = [];
  const violations: string[] = [];

  beforeAll(async () => {
    fixture = await createFixture(emitted, violations);
  });

  afterAll(async () => {
    await fixture.session.close();
  });

  it('10 000 bodies: never a crash, always a 4xx or valid TwiML, nothing unsigned changes anything', async () => {
    let accepted = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(requestArbitrary(), fc.nat(), async (generated, pick) => {
        if (++runs % RUNS_PER_FIXTURE === 0) {
          await fixture.session.close();
          fixture = await createFixture(emitted, violations);
        }
        // Plausible requests name one of the live calls of the current fixture.
        const call = fixture.calls[pick % fixture.calls.length] as Fixture['calls'][number];
        generated = {
          ...generated,
          query: generated.query.replace('LIVE_TOKEN', call.token),
          params: { ...generated.params, ...(generated.params.CallSid === 'LIVE_SID' ? { CallSid: call.sid } : {}) },
        };
        // Like Twilio, often follow a URL of the last TwiML the call was given.
        const followed = generated.follow ? call.nextUrls[pick % Math.max(1, call.nextUrls.length)] : undefined;
        if (followed !== undefined) {
          const [route = '', query = ''] = followed.slice(PUBLIC_BASE_URL.length + 1).split(/(?=\?)/);
          generated = { ...generated, route, query };
        }
        const publicUrl = `${PUBLIC_BASE_URL}/${generated.route}${generated.query}`;
        const body =
          generated.body.kind === 'form'
            ? new URLSearchParams(generated.params).toString()
            : generated.body.kind === 'text'
              ? generated.body.text
              : generated.body.bytes;
        const signed = typeof body === 'string' ? signableParams(body) : generated.params;
        const headers: Record<string, string> = { 'content-type': generated.contentType };
        if (generated.signature === 'valid') {
          headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(AUTH_TOKEN, publicUrl, signed);
        } else if (generated.signature === 'forged') {
          headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature('forger', publicUrl, signed);
        }
        const before = emitted.length;
        const response = await fixture.provider.handleWebhook({
          url: `/hooks/${generated.route}${generated.query}`,
          method: generated.method,
          headers,
          body,
        });
        expect(ALLOWED_STATUS).toContain(response.status);
        if (response.status === 200) {
          accepted++;
          expect(response.contentType).toMatch(/^text\/xml/);
          const twiml = parseXml(response.body);
          expect(twiml.name).toBe('Response');
          const urls = urlsOf(twiml);
          if (urls.length > 0 && generated.params.CallSid === call.sid) call.nextUrls = urls;
        }
        if (generated.signature !== 'valid') {
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(emitted.length).toBe(before);
        }
      }),
      { numRuns: 10_000 },
    );
    expect(violations).toEqual([]);
    // The generator reaches the sessions, not only the gate.
    expect(accepted).toBeGreaterThan(1_000);
    const kinds = new Set(emitted.map((event) => event.type));
    expect([...kinds]).toEqual(
      expect.arrayContaining([
        'call.dialed',
        'call.ringing',
        'call.answered',
        'call.answeredBy',
        'call.digits',
        'call.inputTimeout',
        'call.ended',
      ]),
    );
  }, 120_000);

  it('raw requests through the Node listener on 127.0.0.1', async () => {
    const server = createServer(fixture.provider.createWebhookListener());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...TWILIO_WEBHOOK_ROUTES, 'x'),
          fc.uint8Array({ maxLength: 2_000 }),
          fc.option(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme-ascii' })),
          async (route, bytes, signature) => {
            const response = await fetch(`http://127.0.0.1:${port}/hooks/${route}?t=${'a'.repeat(32)}`, {
              method: 'POST',
              headers: {
                'content-type': 'application/x-www-form-urlencoded',
                ...(signature === null ? {} : { 'x-twilio-signature': signature }),
              },
              body: bytes,
            });
            const text = await response.text();
            expect([400, 403, 404, 413]).toContain(response.status);
            expect(text.length).toBeGreaterThan(0);
          },
        ),
        { numRuns: 300 },
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);
});
