/**
 * Checking `X-Twilio-Signature` with twilio-node's own `validateRequest`:
 * HMAC-SHA1 with the auth token by default, or with a SharedKey secret and the
 * algorithm named in `X-Twilio-Webhooks-Signature-Settings` when a Twilio
 * Webhook Rule signs the URL with a SharedKey.
 *
 * @module
 */
import twilio from 'twilio';

/**
 * The header that carries Twilio's signature (lower case, as Node gives headers).
 *
 * @example
 * ```ts
 * const signature = req.headers[SIGNATURE_HEADER];
 * ```
 */
export const SIGNATURE_HEADER = 'x-twilio-signature';

/**
 * The header Twilio adds to webhooks signed with a SharedKey,
 * `key=<SharedKey id>,algorithm=<algorithm>` (lower case, as Node gives headers).
 *
 * @example
 * ```ts
 * const settings = req.headers[SIGNATURE_SETTINGS_HEADER]; // 'key=webhooks_sharedkey_…,algorithm=HMAC_SHA256'
 * ```
 */
export const SIGNATURE_SETTINGS_HEADER = twilio.SIGNATURE_SETTINGS_HEADER.toLowerCase();

const SUPPORTED_ALGORITHMS: readonly string[] = [twilio.HMAC_SHA1, twilio.HMAC_SHA256];

/**
 * The keys a webhook may be signed with and the algorithm to check it with.
 *
 * @example
 * ```ts
 * const signing: SignatureKeys = { keys: [authToken], algorithm: 'HMAC_SHA1' };
 * ```
 */
export interface SignatureKeys {
  /** Each key that may have signed (several SharedKey secrets during a rotation). */
  keys: readonly string[];
  /** `HMAC_SHA1` or `HMAC_SHA256`. */
  algorithm: string;
}

/**
 * The SharedKey secrets of an option given as one string or a list, or `null`
 * when one of them is not a non-empty string (an empty key would let anyone sign).
 *
 * @example
 * ```ts
 * readSharedKeySecrets('s3cret'); // ['s3cret']
 * readSharedKeySecrets(undefined); // []
 * readSharedKeySecrets(['']); // null
 * ```
 */
export function readSharedKeySecrets(option: string | readonly string[] | undefined): readonly string[] | null {
  const secrets: readonly unknown[] = typeof option === 'string' ? [option] : (option ?? []);
  if (!Array.isArray(secrets)) return null;
  return secrets.every((secret) => typeof secret === 'string' && secret !== '') ? (secrets as string[]) : null;
}

/**
 * Which keys and algorithm a request's signature must be checked with, from
 * its `X-Twilio-Webhooks-Signature-Settings` header (twilio-node's
 * `getSignatureAlgorithm` reads the algorithm): without the header, the auth
 * token and HMAC-SHA1; with it, the SharedKey secrets and the algorithm it
 * names. A string says why the request cannot be checked at all.
 *
 * @example
 * ```ts
 * toSignatureKeys(undefined, { authToken, sharedKeySecrets: [] }); // { keys: [authToken], algorithm: 'HMAC_SHA1' }
 * toSignatureKeys('key=webhooks_sharedkey_01,algorithm=HMAC_SHA256', { authToken, sharedKeySecrets: [secret] });
 * // { keys: [secret], algorithm: 'HMAC_SHA256' }
 * ```
 */
export function toSignatureKeys(
  settingsHeader: string | undefined,
  secrets: { authToken: string; sharedKeySecrets: readonly string[] },
): SignatureKeys | string {
  // An empty header means none, as twilio-node's webhook() reads it.
  if (settingsHeader === undefined || settingsHeader === '') {
    return { keys: [secrets.authToken], algorithm: twilio.HMAC_SHA1 };
  }
  const algorithm = twilio.getSignatureAlgorithm(settingsHeader).toUpperCase();
  if (!SUPPORTED_ALGORITHMS.includes(algorithm)) return `Unsupported signature algorithm ${algorithm.slice(0, 32)}`;
  if (secrets.sharedKeySecrets.length === 0) return 'Signed with a SharedKey, but no sharedKeySecret is configured';
  return { keys: secrets.sharedKeySecrets, algorithm };
}

/**
 * Whether `signature` is Twilio's signature of a request to `url` with form
 * `params`, made with `authToken` (or a SharedKey secret) and `algorithm`
 * (default HMAC-SHA1). Never throws: a URL or signature that cannot even be
 * checked is not valid.
 *
 * @example
 * ```ts
 * const params = { CallSid: 'CA…', CallStatus: 'ringing' };
 * const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
 * isValidTwilioSignature({ authToken, signature, url, params }); // true
 * ```
 */
export function isValidTwilioSignature(input: {
  authToken: string;
  signature: string;
  url: string;
  params: Readonly<Record<string, string>>;
  algorithm?: string;
}): boolean {
  try {
    return twilio.validateRequest(input.authToken, input.signature, input.url, input.params, input.algorithm);
  } catch {
    return false;
  }
}

/** Request headers as Node gives them: names in any case, a value or a list of them. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The one value of header `name` (lower case): `undefined` when absent, `null`
 * when given more than once (a request with two signatures is nobody's).
 *
 * @example
 * ```ts
 * singleHeader({ 'X-Twilio-Signature': 'abc=' }, 'x-twilio-signature'); // 'abc='
 * singleHeader({ 'x-twilio-signature': ['a', 'b'] }, 'x-twilio-signature'); // null
 * ```
 */
export function singleHeader(headers: RequestHeaders, name: string): string | undefined | null {
  let found: string | undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    const values = typeof value === 'string' ? [value] : value;
    if (found !== undefined || values.length !== 1) return null;
    found = values[0];
  }
  return found;
}

/** The signature headers of a request, as {@link readSignatureHeaders} reads them. */
export interface SignatureHeaders {
  signature: string;
  settings: string | undefined;
}

/**
 * The signature and its settings header, or why the request cannot carry a
 * signature (missing or repeated: a 400).
 *
 * @example
 * ```ts
 * readSignatureHeaders({ 'x-twilio-signature': 'abc=' }); // { signature: 'abc=', settings: undefined }
 * readSignatureHeaders({}); // 'Missing X-Twilio-Signature'
 * ```
 */
export function readSignatureHeaders(headers: RequestHeaders): SignatureHeaders | string {
  const signature = singleHeader(headers, SIGNATURE_HEADER);
  if (signature === undefined || signature === '') return 'Missing X-Twilio-Signature';
  if (signature === null) return 'Repeated X-Twilio-Signature';
  const settings = singleHeader(headers, SIGNATURE_SETTINGS_HEADER);
  if (settings === null) return 'Repeated X-Twilio-Webhooks-Signature-Settings';
  return { signature, settings };
}

/**
 * Why a request is not Twilio's (a 403), or `null` when its signature is
 * Twilio's over one of `urls` with form `params`, made with the key and
 * algorithm its settings header names.
 *
 * @example
 * ```ts
 * const signed = readSignatureHeaders(req.headers);
 * if (typeof signed !== 'string') refuseUnsigned(signed, ['wss://verify.example.com/twilio/media-stream'], {}, secrets);
 * ```
 */
export function refuseUnsigned(
  signed: SignatureHeaders,
  urls: readonly string[],
  params: Readonly<Record<string, string>>,
  secrets: { authToken: string; sharedKeySecrets: readonly string[] },
): string | null {
  const signing = toSignatureKeys(signed.settings, secrets);
  if (typeof signing === 'string') return signing;
  const { signature } = signed;
  const valid = signing.keys.some((key) =>
    urls.some((url) =>
      isValidTwilioSignature({ authToken: key, signature, url, params, algorithm: signing.algorithm }),
    ),
  );
  return valid ? null : 'Invalid X-Twilio-Signature';
}
