/**
 * A `node:http` server for the webhooks whose deadlines fit Twilio's: a
 * request listener cannot set how long the server waits for headers or keeps
 * an idle connection, so this factory does.
 *
 * @module
 */
import { createServer, type Server } from 'node:http';
import { optionNames } from '../../optionNames.js';
import {
  createTwilioWebhookListener,
  LISTENER_OPTION_NAMES,
  type TwilioWebhookHandler,
  type TwilioWebhookListener,
  type TwilioWebhookListenerOptions,
} from './createTwilioWebhookListener.js';
import { checkOptionNames, checkWholeNumber, configurationError } from './optionChecks.js';

/**
 * Options of the webhook server: the listener's, and the server's deadlines.
 * Twilio waits 15 s in all for an answer, connection included (its error
 * 11205), so a request that has not arrived within 10 s will not be waited
 * for by Twilio either.
 *
 * @example
 * ```ts
 * const options: TwilioWebhookServerOptions = { headersTimeoutMs: 3_000, requestTimeoutMs: 8_000 };
 * ```
 */
export interface TwilioWebhookServerOptions extends TwilioWebhookListenerOptions {
  /** How long the request line and headers may take to arrive, in ms (1 to 15 000). Default 5 000. */
  headersTimeoutMs?: number;
  /** How long the whole request may take to arrive, headers and body, in ms (1 to 15 000, at least `headersTimeoutMs`). Default 10 000. */
  requestTimeoutMs?: number;
  /**
   * How long an idle kept-alive connection stays open for the next request, in
   * ms (1 to 600 000). Default 5 000, Node's own. Behind a proxy that reuses
   * connections, make it longer than the proxy's idle timeout.
   */
  keepAliveTimeoutMs?: number;
  /**
   * Most connections open at once (1 to 1 000 000); one over it is closed as
   * soon as it is accepted, unanswered (Node's `maxConnections`). Default: no
   * limit. Twilio opens about one connection per webhook in flight, and a
   * Media Stream served by the same server holds one for as long as its call
   * lasts; set it well above the calls you run at once, so that a flood of
   * idle connections cannot take the process's memory or file descriptors.
   */
  maxConnections?: number;
}

/**
 * A handler whose own listener the server uses: a `TwilioVoiceProvider`,
 * which reads bodies up to its `maxBodyBytes`.
 *
 * @example
 * ```ts
 * const source: TwilioWebhookListenerSource = provider;
 * ```
 */
export interface TwilioWebhookListenerSource {
  /** Builds a request listener with these options. */
  createWebhookListener(options?: TwilioWebhookListenerOptions): TwilioWebhookListener;
}

const OWNER = 'createTwilioWebhookServer';

/** The options a server knows: its own, and its listener's. */
const SERVER_OPTIONS = optionNames<TwilioWebhookServerOptions>({
  ...LISTENER_OPTION_NAMES,
  headersTimeoutMs: true,
  requestTimeoutMs: true,
  keepAliveTimeoutMs: true,
  maxConnections: true,
});

const DEFAULT_HEADERS_TIMEOUT_MS = 5_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
const MAX_DEADLINE_MS = 15_000;

/** An option that must be a whole number from 1 to `max`, or its default when not given. */
function checkInteger(name: string, value: number | undefined, max: number, fallback: number): number {
  return checkWholeNumber(OWNER, name, value, 1, max, fallback);
}

/**
 * Creates a `node:http` server that answers the webhooks, with deadlines that
 * fit Twilio's 15 s: headers within `headersTimeoutMs`, the whole request
 * within `requestTimeoutMs` (Node answers 408 and closes the connection
 * otherwise), the body within `bodyReadTimeoutMs` once the listener reads it,
 * idle connections closed after `keepAliveTimeoutMs`, and at most
 * `maxConnections` open at once when it is given. Node checks the header
 * and request deadlines on a timer; the factory runs it every fifth of the
 * header deadline (at most every second) instead of Node's 30 s, so they hold
 * to within that. Listen on it and close it as any server.
 *
 * @example
 * ```ts
 * const provider = new TwilioVoiceProvider({ accountSid, authToken, publicBaseUrl: 'https://verify.example.com/twilio' });
 * createTwilioWebhookServer(provider).listen(8080);
 * ```
 */
export function createTwilioWebhookServer(
  handler: TwilioWebhookHandler | TwilioWebhookListenerSource,
  options: TwilioWebhookServerOptions = {},
): Server {
  checkOptionNames(OWNER, options, SERVER_OPTIONS);
  const headersTimeout = checkInteger(
    'headersTimeoutMs',
    options.headersTimeoutMs,
    MAX_DEADLINE_MS,
    DEFAULT_HEADERS_TIMEOUT_MS,
  );
  const requestTimeout = checkInteger(
    'requestTimeoutMs',
    options.requestTimeoutMs,
    MAX_DEADLINE_MS,
    Math.max(DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout),
  );
  if (requestTimeout < headersTimeout) {
    throw configurationError(OWNER, 'requestTimeoutMs must be at least headersTimeoutMs');
  }
  const keepAliveTimeout = checkInteger(
    'keepAliveTimeoutMs',
    options.keepAliveTimeoutMs,
    600_000,
    DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  );
  const maxConnections = checkInteger('maxConnections', options.maxConnections, 1_000_000, Number.POSITIVE_INFINITY);
  const {
    headersTimeoutMs: _h,
    requestTimeoutMs: _r,
    keepAliveTimeoutMs: _k,
    maxConnections: _m,
    ...listenerOptions
  } = options;
  const listener =
    typeof handler !== 'function' && 'createWebhookListener' in handler
      ? handler.createWebhookListener(listenerOptions)
      : createTwilioWebhookListener(handler, listenerOptions);
  const server = createServer(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout,
      connectionsCheckingInterval: Math.min(1_000, Math.max(10, Math.floor(headersTimeout / 5))),
    },
    (req, res) => listener(req, res),
  );
  server.maxConnections = maxConnections;
  return server;
}
