/**
 * The webhooks as a Node `http` request listener, which also mounts as
 * Express or Fastify (with `@fastify/middie`) middleware.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DEFAULT_MAX_BODY_BYTES,
  type TwilioWebhookRequest,
  type TwilioWebhookResponse,
} from './handleTwilioWebhook.js';

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
    }
  | ((request: TwilioWebhookRequest) => Promise<TwilioWebhookResponse>);

/**
 * Options of the listener.
 *
 * @example
 * ```ts
 * createTwilioWebhookListener(provider, { maxBodyBytes: 16 * 1024 });
 * ```
 */
export interface TwilioWebhookListenerOptions {
  /** Largest body read, in bytes; a longer one is answered 413 without being read further. Default 64 KiB. */
  maxBodyBytes?: number;
}

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

class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new BodyTooLargeError());
      return;
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        // Keep draining without storing, so that the 413 can still be written.
        req.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
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
  if (res.headersSent) return;
  res.statusCode = response.status;
  res.setHeader('content-type', response.contentType);
  res.setHeader('cache-control', 'no-store');
  res.end(response.body);
}

/**
 * Creates a Node request listener for the webhooks. Mount it where
 * `publicBaseUrl` points: it answers paths ending in one of the webhook routes
 * (`…/answer`, `…/gather`, `…/status`, …). It reads the raw body itself; behind
 * a body parser it accepts a raw string or buffer, or flat string fields.
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
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return (req, res, next) => {
    const request = req as RequestWithBody;
    const url = request.originalUrl ?? request.url ?? '/';
    let bodyRead: Promise<string | Uint8Array>;
    if (request.body === undefined || leftUnread(request)) {
      bodyRead = readBody(request, maxBodyBytes);
    } else {
      const parsed = fromParsedBody(request.body);
      if (parsed === null) {
        send(res, { status: 400, contentType: 'text/plain; charset=utf-8', body: 'Body parsed into nested fields' });
        return;
      }
      bodyRead = Promise.resolve(parsed);
    }
    bodyRead
      .then((body) => handle({ url, method: request.method ?? 'GET', headers: request.headers, body }))
      .then(
        (response) => send(res, response),
        (error: unknown) => {
          if (error instanceof BodyTooLargeError) {
            res.setHeader('connection', 'close');
            send(res, { status: 413, contentType: 'text/plain; charset=utf-8', body: 'Body too large' });
          } else if (next !== undefined) {
            next(error);
          } else {
            send(res, { status: 500, contentType: 'text/plain; charset=utf-8', body: 'Internal error' });
          }
        },
      );
  };
}
