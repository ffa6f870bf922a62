/**
 * The webhooks as a Node `http` request listener, which also mounts as
 * Express or Fastify (with `@fastify/middie`) middleware.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { optionNames } from '../../optionNames.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  MAX_BODY_BYTES_RANGE,
  type TwilioWebhookRequest,
  type TwilioWebhookResponse,
} from './handleTwilioWebhook.js';
import { checkOptionNames, checkWholeNumber } from './optionChecks.js';

/**
 * Anything that answers webhook requests: a `TwilioVoiceProvider`, or a function around `handleTwilioWebhook`.
 *
 * @example
 * ```ts
 * const handler: TwilioWebhookHandler = (request) => handleTwilioWebhook(request, { authToken, publicBaseUrl, registry });
 * ```
 */
export type TwilioWebhookHandler =
  | {
      /** Answers one webhook request. */
      handleWebhook(request: TwilioWebhookRequest): Promise<TwilioWebhookResponse>;
      /**
       * Answers a request from its method, URL and headers alone when it is
       * refused whatever its body (missing credentials, another method, an
       * unknown path), so that the body is never read; `null` to read it.
       */
      screenWebhook?(head: Omit<TwilioWebhookRequest, 'body'>): TwilioWebhookResponse | null;
    }
  | ((request: TwilioWebhookRequest) => Promise<TwilioWebhookResponse>);

/**
 * Options of the listener.
 *
 * @example
 * ```ts
 * createTwilioWebhookListener(provider, { maxBodyBytes: 16 * 1024, bodyReadTimeoutMs: 5_000 });
 * ```
 */
export interface TwilioWebhookListenerOptions {
  /** Largest body read, in bytes; a longer one is answered 413 without being read further. Default 64 KiB. */
  maxBodyBytes?: number;
  /**
   * How long the body may take to arrive once the listener starts reading it,
   * in ms (1 to 15 000): a request still incomplete then is answered 408, its
   * connection closed, and nothing is handed on. Default 10 000 (Twilio gives
   * up on a webhook after 15 s in total).
   */
  bodyReadTimeoutMs?: number;
}

/** Default time a webhook body may take to arrive: within the 15 s Twilio waits for an answer. */
const DEFAULT_BODY_READ_TIMEOUT_MS = 10_000;

/** Twilio waits 15 s in all for an answer; a longer deadline protects nothing. */
const MAX_DEADLINE_MS = 15_000;

/**
 * A Node request listener that also works as Connect/Express middleware.
 *
 * @example
 * ```ts
 * const listener: TwilioWebhookListener = provider.createWebhookListener();
 * app.use('/twilio', listener);
 * ```
 */
export type TwilioWebhookListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

type RequestWithBody = IncomingMessage & { body?: unknown; originalUrl?: string };

/** The names of a listener's options, which a server's options include. */
export const LISTENER_OPTION_NAMES: Record<keyof TwilioWebhookListenerOptions, true> = {
  maxBodyBytes: true,
  bodyReadTimeoutMs: true,
};
const LISTENER_OPTIONS = optionNames<TwilioWebhookListenerOptions>(LISTENER_OPTION_NAMES);

class BodyTooLargeError extends Error {}
class BodyTimeoutError extends Error {}
class ClientGoneError extends Error {}

/**
 * Reads the body within `timeoutMs`. Every way out (end, limit, deadline,
 * error, the client leaving) removes the listeners and clears the timer.
 */
function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new BodyTooLargeError());
      return;
    }
    const settle = (outcome: Error | Buffer): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (outcome instanceof Buffer) resolve(outcome);
      else reject(outcome);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        // Keep draining without storing, so that the 413 can still be written.
        req.resume();
        settle(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle(Buffer.concat(chunks));
    const onError = (error: Error): void => settle(error);
    const onClose = (): void => settle(new ClientGoneError());
    const timer = setTimeout(() => settle(new BodyTimeoutError()), timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** A body a framework already parsed: a raw string or buffer, or flat string fields (`express.urlencoded({ extended: false })`). */
function fromParsedBody(body: unknown): string | Uint8Array | null {
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') return null;
    form.append(name, value);
  }
  return form.toString();
}

/**
 * Whether a framework set an empty body without reading the request: body-parser's
 * `express.json()` does so for a form, and the form is then still in the stream.
 */
function leftUnread(request: RequestWithBody): boolean {
  const { body } = request;
  const empty = typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0;
  return empty && !request.readableEnded;
}

function send(res: ServerResponse, response: TwilioWebhookResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
  res.setHeader('content-type', response.contentType);
  res.setHeader('cache-control', 'no-store');
  res.end(response.body);
}

/** Answers without reading the rest of the body, and closes the connection once the answer is out. */
function sendAndClose(res: ServerResponse, response: TwilioWebhookResponse): void {
  res.setHeader('connection', 'close');
  send(res, response);
  const socket = res.socket;
  if (socket === null) return;
  if (res.writableFinished) socket.destroy();
  else res.once('finish', () => socket.destroy());
}

const TEXT = 'text/plain; charset=utf-8';

/**
 * Creates a Node request listener for the webhooks. Mount it where
 * `publicBaseUrl` points: it answers paths ending in one of the webhook routes
 * (`…/answer`, `…/gather`, `…/status`, …). It reads the raw body itself, within
 * `bodyReadTimeoutMs` (408 and the connection closed otherwise), after the
 * handler's `screenWebhook` let the request through; behind a body parser it
 * accepts a raw string or buffer, or flat string fields. The server's own
 * deadlines (headers, keep-alive) are set by `createTwilioWebhookServer`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * const provider = new TwilioVoiceProvider({ accountSid, authToken, publicBaseUrl: 'https://verify.example.com/twilio' });
 * createServer(createTwilioWebhookListener(provider)).listen(8080);
 * // Express: app.use('/twilio', createTwilioWebhookListener(provider));
 * ```
 */
export function createTwilioWebhookListener(
  handler: TwilioWebhookHandler,
  options: TwilioWebhookListenerOptions = {},
): TwilioWebhookListener {
  const handle =
    typeof handler === 'function' ? handler : (request: TwilioWebhookRequest) => handler.handleWebhook(request);
  const screen = typeof handler === 'function' ? undefined : handler.screenWebhook?.bind(handler);
  const owner = 'createTwilioWebhookListener';
  checkOptionNames(owner, options, LISTENER_OPTIONS);
  const maxBodyBytes = checkWholeNumber(
    owner,
    'maxBodyBytes',
    options.maxBodyBytes,
    MAX_BODY_BYTES_RANGE.min,
    MAX_BODY_BYTES_RANGE.max,
    DEFAULT_MAX_BODY_BYTES,
  );
  const bodyReadTimeoutMs = checkWholeNumber(
    owner,
    'bodyReadTimeoutMs',
    options.bodyReadTimeoutMs,
    1,
    MAX_DEADLINE_MS,
    DEFAULT_BODY_READ_TIMEOUT_MS,
  );
  return (req, res, next) => {
    const request = req as RequestWithBody;
    const head = {
      url: request.originalUrl ?? request.url ?? '/',
      method: request.method ?? 'GET',
      headers: request.headers,
    };
    let bodyRead: Promise<string | Uint8Array>;
    if (request.body === undefined || leftUnread(request)) {
      let refused: TwilioWebhookResponse | null;
      try {
        refused = screen?.(head) ?? null;
      } catch (error) {
        fail(res, error, next);
        return;
      }
      if (refused !== null) {
        sendAndClose(res, refused);
        return;
      }
      bodyRead = readBody(request, maxBodyBytes, bodyReadTimeoutMs);
    } else {
      const parsed = fromParsedBody(request.body);
      if (parsed === null) {
        send(res, { status: 400, contentType: TEXT, body: 'Body parsed into nested fields' });
        return;
      }
      bodyRead = Promise.resolve(parsed);
    }
    bodyRead
      .then((body) => handle({ ...head, body }))
      .then(
        (response) => send(res, response),
        (error: unknown) => {
          if (error instanceof BodyTooLargeError) {
            res.setHeader('connection', 'close');
            send(res, { status: 413, contentType: TEXT, body: 'Body too large' });
          } else if (error instanceof BodyTimeoutError) {
            sendAndClose(res, { status: 408, contentType: TEXT, body: 'Body not received in time' });
          } else if (!(error instanceof ClientGoneError)) {
            fail(res, error, next);
          }
        },
      );
  };
}

function fail(res: ServerResponse, error: unknown, next: ((error?: unknown) => void) | undefined): void {
  if (next !== undefined) next(error);
  else send(res, { status: 500, contentType: TEXT, body: 'Internal error' });
}
