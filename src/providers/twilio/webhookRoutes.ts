/**
 * The webhook URLs the Twilio provider hands to Twilio, and reading them back.
 * Every URL is absolute (so TwiML sent inline by a REST update works too) and
 * carries the call's dial token, so that a request can be matched to its call
 * even before the REST reply with the CallSid has arrived.
 *
 * @module
 */

/**
 * What a webhook request is about, from the last segment of its path:
 * - `answer` — Twilio asks for TwiML when the call is answered (`Url` of the call);
 * - `gather` — a `<Gather>` collected keys (its `action`);
 * - `timeout` — a `<Gather>` ended without keys (the `<Redirect>` after it);
 * - `digits-sent` — the extension digits were played (the `<Redirect>` after `<Play digits>`);
 * - `poll` — Twilio comes back for TwiML that was not ready yet;
 * - `status` — a status callback (`StatusCallback`);
 * - `amd` — answering-machine detection's verdict (`AsyncAmdStatusCallback`).
 *
 * @example
 * ```ts
 * registry.register('v-1', {
 *   handleCallWebhook: async (webhook) => {
 *     const route: TwilioWebhookRoute = webhook.route; // 'status' for a status callback
 *     return '<Response/>';
 *   },
 * });
 * ```
 */
export type TwilioWebhookRoute = 'answer' | 'gather' | 'timeout' | 'digits-sent' | 'poll' | 'status' | 'amd';

/**
 * Every route, for validation.
 *
 * @example
 * ```ts
 * for (const route of TWILIO_WEBHOOK_ROUTES) router.post(`/twilio/${route}`, handler);
 * ```
 */
export const TWILIO_WEBHOOK_ROUTES: readonly TwilioWebhookRoute[] = [
  'answer',
  'gather',
  'timeout',
  'digits-sent',
  'poll',
  'status',
  'amd',
];

/**
 * Routes whose answer Twilio executes as the call's next TwiML.
 *
 * @example
 * ```ts
 * TWIML_ROUTES.includes('status'); // false: Twilio does not execute a status callback's answer
 * ```
 */
export const TWIML_ROUTES: readonly TwilioWebhookRoute[] = ['answer', 'gather', 'timeout', 'digits-sent', 'poll'];

/**
 * How a `<Gather>` collects keys (see docs/twilio.md, "Collecting keys"), both
 * with `finishOnKey=""` so that a bare `#` arrives as `Digits=#`:
 * `entry` — any number of keys, reported after a short silence;
 * `key` — one key per request.
 *
 * @example
 * ```ts
 * const shape: GatherShape | null = webhook.query.shape; // on `gather`; null on the other routes
 * ```
 */
export type GatherShape = 'key' | 'entry';

/**
 * The values our URLs carry in their query string.
 *
 * @example
 * ```ts
 * const { token, step, promptSeq, shape }: WebhookQuery = webhook.query; // of a TwilioCallWebhook
 * ```
 */
export interface WebhookQuery {
  /** Dial token of the call (random, issued per dial). */
  token: string;
  /** Number of the TwiML document whose verb made this request; absent on `answer`, `status` and `amd`. */
  step: number | null;
  /** The prompt a `gather` or `timeout` belongs to. */
  promptSeq: number | null;
  /** How the `<Gather>` that posted to `gather` collected keys. */
  shape: GatherShape | null;
}

const TOKEN = /^[0-9a-f]{32}$/;
const COUNT = /^(0|[1-9][0-9]{0,8})$/;

/**
 * Builds the absolute URL of one route.
 *
 * @example
 * ```ts
 * toWebhookUrl('https://verify.example.com/twilio', 'gather', { token: 'ab…', step: 3, promptSeq: 1, shape: 'key' });
 * // 'https://verify.example.com/twilio/gather?t=ab…&s=3&p=1&k=key'
 * ```
 */
export function toWebhookUrl(
  publicBaseUrl: string,
  route: TwilioWebhookRoute,
  query: Partial<WebhookQuery> & { token: string },
): string {
  const parts = [`t=${query.token}`];
  if (query.step !== undefined && query.step !== null) parts.push(`s=${query.step}`);
  if (query.promptSeq !== undefined && query.promptSeq !== null) parts.push(`p=${query.promptSeq}`);
  if (query.shape !== undefined && query.shape !== null) parts.push(`k=${query.shape}`);
  return `${publicBaseUrl}/${route}?${parts.join('&')}`;
}

/**
 * HTTP basic-auth credentials carried by a public base URL
 * (`https://user:pass@verify.example.com/twilio`): Twilio sends them in an
 * `Authorization: Basic …` header.
 *
 * @example
 * ```ts
 * const credentials: BasicCredentials = { username: 'twilio', password: 's3cret' };
 * ```
 */
export interface BasicCredentials {
  username: string;
  password: string;
}

/**
 * A checked public base URL.
 *
 * @example
 * ```ts
 * const base: PublicBaseUrl = {
 *   href: 'https://twilio:s3cret@verify.example.com/twilio',
 *   signedHref: 'https://verify.example.com/twilio',
 *   credentials: { username: 'twilio', password: 's3cret' },
 * };
 * ```
 */
export interface PublicBaseUrl {
  /** As given, without a trailing slash: the base of every URL handed to Twilio, credentials included. */
  href: string;
  /** The same without user-info: Twilio drops the credentials from the URL before signing it. */
  signedHref: string;
  /** The credentials Twilio authenticates with, or `null`. */
  credentials: BasicCredentials | null;
}

/**
 * Characters allowed in credentials: RFC 3986 unreserved characters and
 * sub-delimiters except `&`. Twilio's security page warns against special
 * characters such as `&` and `:`, and does not say whether it decodes
 * percent-escapes before sending them, so escapes are refused too.
 */
const CREDENTIAL = /^[A-Za-z0-9\-._~!$'()*+,;=]+$/;
const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i;

/**
 * Checks a public base URL: an absolute `http(s)` URL without query or
 * fragment, optionally with basic-auth credentials (over `https` only, both a
 * user name and a password, no percent-escapes). Returns the URL without a
 * trailing slash, the form Twilio signs, and the credentials; or what is
 * wrong with it.
 *
 * @example
 * ```ts
 * readPublicBaseUrl('https://twilio:s3cret@verify.example.com/twilio/');
 * // { ok: true, url: { href: 'https://twilio:s3cret@verify.example.com/twilio', signedHref: 'https://verify.example.com/twilio', credentials: { username: 'twilio', password: 's3cret' } } }
 * readPublicBaseUrl('/twilio'); // { ok: false, problem: 'publicBaseUrl must be an absolute http(s) URL without query or fragment' }
 * ```
 */
export function readPublicBaseUrl(value: string): { ok: true; url: PublicBaseUrl } | { ok: false; problem: string } {
  const refused = (problem: string) => ({ ok: false as const, problem: `publicBaseUrl ${problem}` });
  const parsed = URL.canParse(value) ? new URL(value) : null;
  const authority = AUTHORITY.exec(value);
  if (
    parsed === null ||
    (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') ||
    authority === null ||
    parsed.search !== '' ||
    parsed.hash !== '' ||
    value.includes('?') ||
    value.includes('#')
  ) {
    return refused('must be an absolute http(s) URL without query or fragment');
  }
  const href = value.replace(/\/+$/, '');
  const [prefix, scheme = '', hostAndUserInfo = ''] = authority;
  const at = hostAndUserInfo.lastIndexOf('@');
  if (at === -1) return { ok: true, url: { href, signedHref: href, credentials: null } };
  const userInfo = hostAndUserInfo.slice(0, at);
  if (parsed.protocol !== 'https:') {
    return refused('may carry credentials only over https: over http they travel in clear text');
  }
  if (userInfo.includes('%')) {
    return refused('credentials must not be percent-encoded: Twilio does not document decoding them');
  }
  const colon = userInfo.indexOf(':');
  const username = colon === -1 ? userInfo : userInfo.slice(0, colon);
  const password = colon === -1 ? '' : userInfo.slice(colon + 1);
  if (username === '' || password === '') {
    return refused('credentials need both a user name and a password (https://user:password@host/…)');
  }
  if (!CREDENTIAL.test(username) || !CREDENTIAL.test(password)) {
    return refused(
      "credentials may use only letters, digits and - . _ ~ ! $ ' ( ) * + , ; = (Twilio warns against special characters such as & and :)",
    );
  }
  const signedHref = `${scheme}${hostAndUserInfo.slice(at + 1)}${href.slice(prefix.length)}`;
  return { ok: true, url: { href, signedHref, credentials: { username, password } } };
}

/**
 * The route and raw query string of a request URL (absolute, or a path as Node's `req.url` gives it).
 *
 * @example
 * ```ts
 * const target: RequestTarget | null = readRequestTarget('/hooks/twilio/gather?t=…&s=2');
 * ```
 */
export interface RequestTarget {
  route: TwilioWebhookRoute;
  /** The query string exactly as received, with its leading `?`, or `''`. */
  rawSearch: string;
}

/**
 * Finds the route of a request from the last segment of its path. Proxies may
 * rewrite the scheme, host, port and path prefix; the route segment and the
 * query string are what Twilio signed along with the public base URL.
 *
 * @example
 * ```ts
 * readRequestTarget('/hooks/twilio/status?t=ab…'); // { route: 'status', rawSearch: '?t=ab…' }
 * readRequestTarget('/favicon.ico'); // null
 * ```
 */
export function readRequestTarget(url: string): RequestTarget | null {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const rawSearch = queryStart === -1 ? '' : url.slice(queryStart);
  if (rawSearch.includes('#')) return null;
  const lastSegment = path.slice(path.lastIndexOf('/') + 1);
  const route = TWILIO_WEBHOOK_ROUTES.find((r) => r === lastSegment);
  return route === undefined ? null : { route, rawSearch };
}

/**
 * Reads our query values, strictly: unknown names, repeated names and malformed
 * values make the query unreadable (`null`).
 *
 * @example
 * ```ts
 * readWebhookQuery('?t=0123456789abcdef0123456789abcdef&s=2'); // { token: '0123…', step: 2, promptSeq: null, shape: null }
 * readWebhookQuery('?t=nope'); // null
 * ```
 */
export function readWebhookQuery(rawSearch: string): WebhookQuery | null {
  const values = new Map<string, string>();
  const body = rawSearch.startsWith('?') ? rawSearch.slice(1) : rawSearch;
  if (body === '') return null;
  for (const pair of body.split('&')) {
    const separator = pair.indexOf('=');
    if (separator <= 0) return null;
    const name = pair.slice(0, separator);
    if (values.has(name)) return null;
    values.set(name, pair.slice(separator + 1));
  }
  const token = values.get('t');
  if (token === undefined || !TOKEN.test(token)) return null;
  const query: WebhookQuery = { token, step: null, promptSeq: null, shape: null };
  for (const [name, value] of values) {
    if (name === 't') continue;
    if (name === 's' || name === 'p') {
      if (!COUNT.test(value)) return null;
      if (name === 's') query.step = Number(value);
      else query.promptSeq = Number(value);
    } else if (name === 'k' && (value === 'key' || value === 'entry')) {
      query.shape = value;
    } else {
      return null;
    }
  }
  return query;
}
