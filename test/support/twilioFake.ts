/**
 * Playing Twilio in tests: a twilio-node HTTP client that answers the REST API
 * like Twilio (201 with a CallSid, or a REST error for chosen numbers), and
 * calls that drive our webhook server with Twilio-shaped form requests signed
 * by twilio-node's own `getExpectedTwilioSignature`.
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { expect } from 'vitest';
import type { TwilioControlSettings, TwilioInbound } from '../../src/providers/twilio/callControl.js';
import type { TwilioCallParams, TwilioCallWebhook } from '../../src/providers/twilio/callWebhook.js';
import type { TwilioWebhookRoute } from '../../src/providers/twilio/webhookRoutes.js';
import { elementsOf, parseXml, textOf, type XmlElement } from './xml.js';

export const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
/** The URL Twilio is told; the local server is reached under another prefix, as behind a proxy. */
export const PUBLIC_BASE_URL = 'https://verify.example.test/twilio';

/** What the Twilio provider's decisions (`planTwilio`) need, for a dial with the given token. */
export function controlSettings(token: string, more: Partial<TwilioControlSettings> = {}): TwilioControlSettings {
  return {
    publicBaseUrl: PUBLIC_BASE_URL,
    defaultCallerId: '+14255550000',
    keyCollection: { style: 'whole-entry', entryPauseSeconds: null },
    pollPauseSeconds: 1,
    defaultVoices: {},
    createToken: () => token,
    ...more,
  };
}

/**
 * A signed webhook as the provider's decisions read it (`receiveTwilio`), about
 * the call of `call.token` and `call.callSid`; `query` adds to the dial token.
 */
export function webhookInbound(
  call: { token: string; callSid: string },
  route: TwilioWebhookRoute,
  params: Omit<TwilioCallParams, 'CallSid'> = {},
  query: Partial<TwilioCallWebhook['query']> = {},
): TwilioInbound & { kind: 'webhook' } {
  return {
    kind: 'webhook',
    webhook: {
      route,
      query: { token: call.token, step: null, promptSeq: null, shape: null, ...query },
      params: { CallSid: call.callSid, ...params },
    },
  };
}

type RequestOptions<TData> = Parameters<twilio.RequestClient['request']>[0] & { data?: TData };
/** twilio-node declares a Response class, but its own client returns plain objects of this shape. */
type ClientResponse = { statusCode: number; body: string; headers: Record<string, string> };
type DeclaredResponse<TData> = Awaited<ReturnType<twilio.RequestClient['request']>> & { body: TData };

export interface RecordedRestRequest {
  method: string;
  uri: string;
  data: Record<string, unknown>;
  /** The CallSid a successful create returned. */
  sid?: string;
  status?: number;
}

export interface RestError {
  status: number;
  code: number;
  message: string;
}

const json = (statusCode: number, body: unknown): ClientResponse => ({
  statusCode,
  body: JSON.stringify(body),
  headers: {},
});

export const newCallSid = (): string => `CA${randomBytes(16).toString('hex')}`;

/** The REST API of Twilio, as far as calls go. */
export class FakeTwilioRestClient extends twilio.RequestClient {
  readonly requests: RecordedRestRequest[] = [];
  /** REST errors by destination number. */
  readonly errorsByTo = new Map<string, RestError>();
  private readonly waiters: (() => void)[] = [];

  override async request<TData>(opts: RequestOptions<TData>): Promise<DeclaredResponse<TData>> {
    const data = { ...((opts.data as Record<string, unknown> | undefined) ?? {}) };
    const recorded: RecordedRestRequest = { method: opts.method, uri: opts.uri, data };
    const response = this.answer(recorded);
    recorded.status = response.statusCode;
    this.requests.push(recorded);
    for (const wake of this.waiters.splice(0)) wake();
    return response as unknown as DeclaredResponse<TData>;
  }

  private answer(recorded: RecordedRestRequest): ClientResponse {
    const { data, method } = recorded;
    const path = new URL(recorded.uri).pathname;
    if (method === 'post' && /\/Accounts\/AC[0-9a-f]{32}\/Calls\.json$/.test(path)) {
      const error = this.errorsByTo.get(String(data.To));
      if (error !== undefined) {
        return json(error.status, {
          code: error.code,
          message: error.message,
          more_info: `https://www.twilio.com/docs/errors/${error.code}`,
          status: error.status,
        });
      }
      recorded.sid = newCallSid();
      return json(201, { sid: recorded.sid, status: 'queued', to: data.To, from: data.From, account_sid: ACCOUNT_SID });
    }
    const update = /\/Calls\/(CA[0-9a-f]{32})\.json$/.exec(path);
    if (method === 'post' && update !== null) {
      return json(200, { sid: update[1], status: data.Status ?? 'in-progress', account_sid: ACCOUNT_SID });
    }
    return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
  }

  creates(): RecordedRestRequest[] {
    return this.requests.filter((r) => r.uri.endsWith('/Calls.json'));
  }

  updates(): RecordedRestRequest[] {
    return this.requests.filter((r) => /\/Calls\/CA[0-9a-f]{32}\.json$/.test(r.uri));
  }

  /** Resolves once `count` create requests have been received. */
  async waitForCreates(count: number, timeoutMs = 5_000): Promise<RecordedRestRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.creates().length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} create requests, got ${this.creates().length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.creates();
  }
}

export interface WebhookReply {
  status: number;
  contentType: string | null;
  body: string;
}

export interface PostOptions {
  /** Replaces the signature (`null`: no header). */
  signature?: string | null;
  /** Replaces the body (the signature is still computed over `params`). */
  rawBody?: string;
  contentType?: string;
}

/** Sends Twilio-shaped webhook requests to our server, under a local prefix unlike the public one. */
export class TwilioWebhookSender {
  constructor(
    readonly localBaseUrl: string,
    readonly authToken = AUTH_TOKEN,
    readonly publicBaseUrl = PUBLIC_BASE_URL,
    /** Sent with every request (basic auth, signature settings). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  /** The local URL a public webhook URL reaches, as a proxy would forward it. */
  toLocalUrl(publicUrl: string): string {
    expect(publicUrl.startsWith(`${this.publicBaseUrl}/`)).toBe(true);
    return this.localBaseUrl + publicUrl.slice(this.publicBaseUrl.length);
  }

  sign(publicUrl: string, params: Record<string, string>): string {
    return twilio.getExpectedTwilioSignature(this.authToken, publicUrl, params);
  }

  async post(publicUrl: string, params: Record<string, string>, options: PostOptions = {}): Promise<WebhookReply> {
    const headers: Record<string, string> = {
      ...this.headers,
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
    };
    const signature = options.signature === undefined ? this.sign(publicUrl, params) : options.signature;
    if (signature !== null) headers['x-twilio-signature'] = signature;
    const response = await fetch(this.toLocalUrl(publicUrl), {
      method: 'POST',
      headers,
      body: options.rawBody ?? new URLSearchParams(params).toString(),
    });
    return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
  }
}

/** Reads an answer as TwiML: 200, XML, a `<Response>` root. */
export function toTwiml(reply: WebhookReply): XmlElement {
  expect(reply.status, reply.body).toBe(200);
  expect(reply.contentType).toMatch(/^text\/xml/);
  const root = parseXml(reply.body);
  expect(root.name).toBe('Response');
  return root;
}

/** The verbs of a TwiML answer, by name. */
export function verbNames(twiml: XmlElement): string[] {
  return elementsOf(twiml).map((verb) => verb.name);
}

export function verb(twiml: XmlElement, name: string): XmlElement {
  const found = elementsOf(twiml).find((v) => v.name === name);
  if (found === undefined) throw new Error(`no <${name}> in ${verbNames(twiml).join(', ')}`);
  return found;
}

/** The words spoken by the `<Say>` elements of an element. */
export function spoken(element: XmlElement): string[] {
  return elementsOf(element)
    .filter((e) => e.name === 'Say')
    .map(textOf);
}

/** One call as Twilio would run it: status callbacks, TwiML requests, answering-machine detection. */
export class FakeCall {
  private sequence = 0;
  readonly sid: string;

  constructor(
    private readonly sender: TwilioWebhookSender,
    readonly create: RecordedRestRequest,
  ) {
    if (create.sid === undefined) throw new Error('the create request did not succeed');
    this.sid = create.sid;
  }

  get to(): string {
    return String(this.create.data.To);
  }

  private baseParams(): Record<string, string> {
    return {
      AccountSid: ACCOUNT_SID,
      ApiVersion: '2010-04-01',
      CallSid: this.sid,
      Called: this.to,
      Caller: String(this.create.data.From),
      Direction: 'outbound-api',
      From: String(this.create.data.From),
      To: this.to,
    };
  }

  /** Params of a status callback, with the next SequenceNumber. */
  statusParams(callStatus: string, extra: Record<string, string> = {}): Record<string, string> {
    const params: Record<string, string> = {
      ...this.baseParams(),
      CallStatus: callStatus,
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(this.sequence),
      Timestamp: new Date().toUTCString(),
      ...extra,
    };
    this.sequence += 1;
    return params;
  }

  async status(callStatus: string, extra: Record<string, string> = {}): Promise<WebhookReply> {
    return this.sender.post(String(this.create.data.StatusCallback), this.statusParams(callStatus, extra));
  }

  /** The call is placed, rings and is answered: the greeting. */
  async ringAndAnswer(): Promise<XmlElement> {
    expect((await this.status('initiated')).status).toBe(200);
    expect((await this.status('ringing')).status).toBe(200);
    return this.answer();
  }

  /** The callee answers: the `answered` callback, then Twilio asks for TwiML. */
  async answer(): Promise<XmlElement> {
    expect((await this.status('in-progress')).status).toBe(200);
    return this.requestTwiml(String(this.create.data.Url), { CallStatus: 'in-progress' });
  }

  async requestTwiml(publicUrl: string, extra: Record<string, string> = {}): Promise<XmlElement> {
    return toTwiml(await this.sender.post(publicUrl, { ...this.baseParams(), CallStatus: 'in-progress', ...extra }));
  }

  /** Keys pressed in the Gather of `twiml`, as its action request reports them. */
  async press(twiml: XmlElement, digits: string, finishedOnKey = ''): Promise<XmlElement> {
    return toTwiml(await this.sender.post(...this.gatherRequest(twiml, digits, finishedOnKey)));
  }

  gatherRequest(twiml: XmlElement, digits: string, finishedOnKey = ''): [string, Record<string, string>] {
    const gather = verb(twiml, 'Gather');
    const action = gather.attributes.action;
    if (action === undefined) throw new Error('Gather without action');
    return [
      action,
      {
        ...this.baseParams(),
        CallStatus: 'in-progress',
        Digits: digits,
        FinishedOnKey: finishedOnKey,
        msg: 'Gather End',
      },
    ];
  }

  /** Twilio falls through to the `<Redirect>` of `twiml` (a Gather's timeout, digits played, a pause). */
  async followRedirect(twiml: XmlElement): Promise<XmlElement> {
    return toTwiml(await this.sender.post(...this.redirectRequest(twiml)));
  }

  /** The request Twilio makes when it falls through to the `<Redirect>` of `twiml`. */
  redirectRequest(twiml: XmlElement): [string, Record<string, string>] {
    return [textOf(verb(twiml, 'Redirect')), { ...this.baseParams(), CallStatus: 'in-progress' }];
  }

  async machineDetection(answeredBy: string): Promise<WebhookReply> {
    const url = this.create.data.AsyncAmdStatusCallback;
    if (typeof url !== 'string') throw new Error('the call was created without answering-machine detection');
    return this.sender.post(url, { ...this.baseParams(), AnsweredBy: answeredBy, MachineDetectionDuration: '2300' });
  }
}

/** Random 32-hex token, as the provider issues them. */
export const randomToken = (): string => randomBytes(16).toString('hex');

/** A webhook request for the framework-free core, signed for `publicUrl` and reaching us under `/hooks`. */
export function toSignedRequest(
  publicUrl: string,
  params: Record<string, string>,
  options: PostOptions & { authToken?: string; publicBaseUrl?: string } = {},
): { url: string; method: string; headers: Record<string, string>; body: string } {
  const publicBaseUrl = options.publicBaseUrl ?? PUBLIC_BASE_URL;
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
  };
  const signature =
    options.signature === undefined
      ? twilio.getExpectedTwilioSignature(options.authToken ?? AUTH_TOKEN, publicUrl, params)
      : options.signature;
  if (signature !== null) headers['X-Twilio-Signature'] = signature;
  return {
    url: `/hooks${publicUrl.slice(publicBaseUrl.length)}`,
    method: 'POST',
    headers,
    body: options.rawBody ?? new URLSearchParams(params).toString(),
  };
}
