/**
 * The framework-free core of the webhooks: a request (URL, method, headers,
 * raw body) in, a response (status, content type, body) out. Nothing changes
 * for a request that is not signed by Twilio for our public URL.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { VoiceMfaError } from '../../errors.js';
import { TWILIO_TOKEN_BINDING, type TwilioInbound } from './callControl.js';
import type { TwilioCallRegistry, TwilioWebhookTarget } from './callRegistry.js';
import { type TwilioCallWebhook, toCallParams } from './callWebhook.js';
import { parseFormBody } from './formBody.js';
import { readSharedKeySecrets, readSignatureHeaders, refuseUnsigned, singleHeader } from './signature.js';
import { toEmptyTwiml, toHangUpTwiml } from './twiml.js';
import {
  type BasicCredentials,
  type PublicBaseUrl,
  readPublicBaseUrl,
  readRequestTarget,
  readWebhookQuery,
  TWIML_ROUTES,
} from './webhookRoutes.js';

/**
 * A webhook request as any HTTP framework can give it.
 *
 * @example
 * ```ts
 * const request: TwilioWebhookRequest = { url: req.url, method: req.method, headers: req.headers, body: rawBody };
 * ```
 */
export interface TwilioWebhookRequest {
  /** The request URL: a path with query (`/twilio/status?t=…`, as Node's `req.url`) or absolute. */
  url: string;
  method: string;
  /** Header names in any case. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The raw body. */
  body: string | Uint8Array;
}

/**
 * The answer to a webhook request.
 *
 * @example
 * ```ts
 * const { status, contentType, headers, body } = await provider.handleWebhook(request);
 * res.writeHead(status, { ...headers, 'content-type': contentType }).end(body);
 * ```
 */
export interface TwilioWebhookResponse {
  status: number;
  contentType: string;
  /** Further headers to send, e.g. `WWW-Authenticate` with a 401. */
  headers?: Readonly<Record<string, string>>;
  body: string;
}

/**
 * What the webhook core needs.
 *
 * @example
 * ```ts
 * const options: TwilioWebhookOptions = { authToken, publicBaseUrl: 'https://verify.example.com/twilio', registry, maxBodyBytes: 32 * 1024 };
 * ```
 */
export interface TwilioWebhookOptions {
  /** The auth token the signatures are made with (HMAC-SHA1), unless a SharedKey signed them. */
  authToken: string;
  /**
   * The public URL the webhooks were given to Twilio under (scheme, host, port,
   * path prefix), e.g. `https://verify.example.com/twilio`. Signatures are
   * checked against it, whatever a proxy made of the URL on the way. With
   * credentials (`https://user:password@verify.example.com/twilio`), every
   * request must carry them as HTTP basic auth.
   */
  publicBaseUrl: string;
  /**
   * The secret of the SharedKey that a Twilio Webhook Rule signs these URLs
   * with (requests with `X-Twilio-Webhooks-Signature-Settings`); several during
   * a rotation. Requests without that header are still checked with the auth token.
   */
  sharedKeySecret?: string | readonly string[];
  registry: TwilioCallRegistry;
  /**
   * The durable service, for webhooks of calls no session of this process
   * knows: it finds their verification by the dial token in the URL.
   */
  service?: TwilioWebhookService;
  /** Largest body accepted, in bytes. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Receives unexpected failures (answered with 500). */
  onError?: (error: VoiceMfaError) => void;
}

/**
 * What the webhooks need of the durable service (`createVerificationService`).
 *
 * @example
 * ```ts
 * const service: TwilioWebhookService = createVerificationService({ store, provider });
 * ```
 */
export interface TwilioWebhookService {
  /** Hands a webhook to the verification its binding (the dial token) belongs to; `null` when none does. */
  receive(
    binding: { kind: string; key: string },
    inbound: unknown,
  ): Promise<{ verificationId: string; answer: string | null } | null>;
}

/**
 * Default largest webhook body: 64 KiB (Twilio's are about 1–2 KiB).
 *
 * @example
 * ```ts
 * new TwilioVoiceProvider({ ...credentials, publicBaseUrl, maxBodyBytes: DEFAULT_MAX_BODY_BYTES / 2 });
 * ```
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** The range `maxBodyBytes` may be set in, wherever it is given. */
export const MAX_BODY_BYTES_RANGE = { min: 1_024, max: 1_048_576 } as const;

const TEXT = 'text/plain; charset=utf-8';
const XML = 'text/xml; charset=utf-8';
const FORM = 'application/x-www-form-urlencoded';

const plain = (status: number, body: string): TwilioWebhookResponse => ({ status, contentType: TEXT, body });
const UNAUTHORIZED: TwilioWebhookResponse = {
  ...plain(401, 'Missing or wrong credentials'),
  headers: { 'www-authenticate': 'Basic realm="Twilio webhooks", charset="UTF-8"' },
};
const xml = (body: string): TwilioWebhookResponse => ({ status: 200, contentType: XML, body });

const STALE_CALLBACK = toEmptyTwiml();
const STALE_CALL = toHangUpTwiml([], {});

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
}

/**
 * Answers one webhook request:
 * - 401 with `WWW-Authenticate` when `publicBaseUrl` has credentials and the
 *   request does not carry them as HTTP basic auth (checked before anything else);
 * - 405 for a method other than POST, 404 for an unknown path, 413 for a body over the limit;
 * - 400 when `X-Twilio-Signature` is missing; 403 when it is not Twilio's signature of
 *   this request for `publicBaseUrl` without its credentials, or with them (checked with twilio-node's
 *   `validateRequest`, with the auth token, or with a SharedKey secret and the algorithm
 *   `X-Twilio-Webhooks-Signature-Settings` names);
 * - 415 for a body that is not a form, 400 for a malformed form or query or CallSid;
 * - 200 with TwiML otherwise. A call no session knows (ended, or never ours) is
 *   stale: `<Hangup/>` for a TwiML request, an empty `<Response/>` for a callback.
 *   Used on its own, it does not see the calls a closed session may have placed
 *   unknowingly (its create failed without an answer): `provider.handleWebhook`
 *   ends those by REST when their first webhook comes.
 *
 * @example
 * ```ts
 * const response = await handleTwilioWebhook(
 *   { url: req.url, method: req.method, headers: req.headers, body: rawBody },
 *   { authToken, publicBaseUrl: 'https://verify.example.com/twilio', registry },
 * );
 * res.writeHead(response.status, { ...response.headers, 'content-type': response.contentType }).end(response.body);
 * ```
 */
export function handleTwilioWebhook(
  request: TwilioWebhookRequest,
  options: TwilioWebhookOptions,
): Promise<TwilioWebhookResponse> {
  return handleWebhookOfProvider(request, options, null);
}

/**
 * Finds, by its dial token, a call a closed session may have placed
 * unknowingly (its create failed without telling whether Twilio created it),
 * so that the call, should its webhooks show it up after all, is ended by REST.
 */
export type FindLostCall = (token: string) => TwilioWebhookTarget | undefined;

/** {@link handleTwilioWebhook}, with the provider's lost calls after the registry's live sessions. */
export async function handleWebhookOfProvider(
  request: TwilioWebhookRequest,
  options: TwilioWebhookOptions,
  findLostCall: FindLostCall | null,
): Promise<TwilioWebhookResponse> {
  try {
    return await answerWebhook(request, options, findLostCall);
  } catch (error) {
    options.onError?.(new VoiceMfaError('PROVIDER_ERROR', 'A Twilio webhook could not be handled', { cause: error }));
    return plain(500, 'Internal error');
  }
}

/**
 * The checks a request can fail on its method, URL and headers alone, so that
 * a listener can refuse it before reading its body: 401 without the credentials
 * of `publicBaseUrl`, 405 for a method other than POST, 404 for a path that is
 * no webhook route. `null` when the body is worth reading. Throws a
 * `VoiceMfaError` when `publicBaseUrl` itself is not usable.
 *
 * @example
 * ```ts
 * screenTwilioWebhook({ url: '/twilio/status', method: 'POST', headers: {} }, { publicBaseUrl: 'https://u:p@verify.example.com/twilio' });
 * // { status: 401, headers: { 'www-authenticate': 'Basic realm="Twilio webhooks", charset="UTF-8"' }, … }
 * ```
 */
export function screenTwilioWebhook(
  head: Omit<TwilioWebhookRequest, 'body'>,
  options: Pick<TwilioWebhookOptions, 'publicBaseUrl'>,
): TwilioWebhookResponse | null {
  return screen(head, toBaseUrl(options.publicBaseUrl));
}

function screen(head: Omit<TwilioWebhookRequest, 'body'>, base: PublicBaseUrl): TwilioWebhookResponse | null {
  if (base.credentials !== null && !carriesCredentials(head.headers, base.credentials)) return UNAUTHORIZED;
  if (head.method.toUpperCase() !== 'POST') return plain(405, 'Only POST is accepted');
  if (readRequestTarget(head.url) === null) return plain(404, 'Not found');
  return null;
}

/** The base URL read last: a process serves one (or a few), and reading it parses a URL on every request otherwise. */
let lastBase: { publicBaseUrl: string; url: PublicBaseUrl } | null = null;

function toBaseUrl(publicBaseUrl: string): PublicBaseUrl {
  if (lastBase?.publicBaseUrl === publicBaseUrl) return lastBase.url;
  const reading = readPublicBaseUrl(publicBaseUrl);
  if (!reading.ok) throw new VoiceMfaError('INVALID_CONFIGURATION', reading.problem);
  lastBase = { publicBaseUrl, url: reading.url };
  return reading.url;
}

/** Compares digests, so that neither the content nor the length of the expected value shows in the time taken. */
function carriesCredentials(headers: TwilioWebhookRequest['headers'], credentials: BasicCredentials): boolean {
  const authorization = singleHeader(headers, 'authorization');
  const given = typeof authorization === 'string' ? authorization.replace(/^basic +/i, 'Basic ') : '';
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function toSharedKeySecrets(option: TwilioWebhookOptions['sharedKeySecret']): readonly string[] {
  const secrets = readSharedKeySecrets(option);
  if (secrets === null) {
    throw new VoiceMfaError('INVALID_CONFIGURATION', 'sharedKeySecret must be a non-empty string or a list of them');
  }
  return secrets;
}

async function answerWebhook(
  request: TwilioWebhookRequest,
  options: TwilioWebhookOptions,
  findLostCall: FindLostCall | null,
): Promise<TwilioWebhookResponse> {
  // The same form the provider built Twilio's URLs from (no trailing slash), or every signature would fail.
  const base = toBaseUrl(options.publicBaseUrl);
  const refused = screen(request, base);
  if (refused !== null) return refused;
  if (byteLength(request.body) > (options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)) {
    return plain(413, 'Body too large');
  }
  const target = readRequestTarget(request.url);
  if (target === null) return plain(404, 'Not found');
  const signed = readSignatureHeaders(request.headers);
  if (typeof signed === 'string') return plain(400, signed);
  const contentType = singleHeader(request.headers, 'content-type');
  if (typeof contentType !== 'string' || contentType.split(';')[0]?.trim().toLowerCase() !== FORM) {
    return plain(415, `Expected ${FORM}`);
  }
  const form = parseFormBody(request.body);
  if (form === null) return plain(400, 'Malformed form body');
  // Twilio signs the URL without the credentials (twilio-node's validateRequest would keep them). Its pages do not
  // say so, so a signature over the URL with them is taken too: either way only the key's holder could make it.
  const path = `/${target.route}${target.rawSearch}`;
  const signedUrls = base.credentials === null ? [base.signedHref + path] : [base.signedHref + path, base.href + path];
  const unsigned = refuseUnsigned(signed, signedUrls, Object.fromEntries(form), {
    authToken: options.authToken,
    sharedKeySecrets: toSharedKeySecrets(options.sharedKeySecret),
  });
  if (unsigned !== null) return plain(403, unsigned);
  const query = readWebhookQuery(target.rawSearch);
  const callParams = toCallParams(form);
  if (query === null || callParams === null) return plain(400, 'Malformed webhook');
  const webhook: TwilioCallWebhook = { route: target.route, query, params: callParams };
  const session = (await findSession(options.registry, webhook)) ?? findLostCall?.(query.token);
  if (session !== undefined) return xml(await session.handleCallWebhook(webhook));
  const durable = await options.service?.receive({ kind: TWILIO_TOKEN_BINDING, key: query.token }, {
    kind: 'webhook',
    webhook,
  } satisfies TwilioInbound);
  return xml(durable?.answer ?? (TWIML_ROUTES.includes(target.route) ? STALE_CALL : STALE_CALLBACK));
}

/**
 * The session of a webhook: by the dial token of its URL, which is ours, unique
 * to the call and bound before the call was created; else by its CallSid.
 */
async function findSession(
  registry: TwilioCallRegistry,
  webhook: TwilioCallWebhook,
): Promise<TwilioWebhookTarget | undefined> {
  return (
    (await registry.findByDialToken(webhook.query.token)) ?? (await registry.findByCallSid(webhook.params.CallSid))
  );
}
