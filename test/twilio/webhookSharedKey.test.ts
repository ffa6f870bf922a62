/**
 * Webhooks signed with a SharedKey: a Twilio Webhook Rule signs with the
 * SharedKey secret and the algorithm it names in
 * `X-Twilio-Webhooks-Signature-Settings` instead of the auth token. Requests
 * are signed here with twilio-node's own `getExpectedTwilioSignature`.
 */
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VoiceMfaError } from '../../src/errors.js';
import {
  handleTwilioWebhook,
  InMemoryTwilioCallRegistry,
  TwilioVoiceProvider,
  type TwilioVoiceProviderOptions,
} from '../../src/providers/twilio/index.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  FakeCall,
  newCallSid,
  PUBLIC_BASE_URL,
  randomToken,
  spoken,
  TwilioWebhookSender,
  toSignedRequest,
} from '../support/twilioFake.js';
import { startTwilioHarness, type TwilioHarness } from '../support/twilioHarness.js';

const SHARED_KEY_SECRET = 'shared-key-secret-0123456789abcdef';
const NEXT_SHARED_KEY_SECRET = 'next-shared-key-secret-fedcba9876543210';
const settingsHeader = (algorithm: string) =>
  `key=webhooks_sharedkey_01jz0000000000000000000000,algorithm=${algorithm}`;

/** Twilio's side when a Webhook Rule signs with a SharedKey. */
class TwilioWithSharedKey extends TwilioWebhookSender {
  constructor(
    localBaseUrl: string,
    private readonly secret: string,
    private readonly algorithm: string,
  ) {
    super(localBaseUrl, AUTH_TOKEN, PUBLIC_BASE_URL, { [twilio.SIGNATURE_SETTINGS_HEADER]: settingsHeader(algorithm) });
  }

  override sign(publicUrl: string, params: Record<string, string>): string {
    return twilio.getExpectedTwilioSignature(this.secret, publicUrl, params, this.algorithm);
  }
}

let h: TwilioHarness | undefined;

afterEach(async () => {
  await h?.close();
  expect(h?.errors ?? []).toEqual([]);
  h = undefined;
  vi.restoreAllMocks();
});

async function harness(options: Partial<TwilioVoiceProviderOptions>) {
  const started = await startTwilioHarness(options);
  h = started;
  const localBaseUrl = `http://127.0.0.1:${(started.server.address() as AddressInfo).port}/hooks`;
  return { h: started, localBaseUrl };
}

describe('SharedKey signatures', () => {
  it.each([twilio.HMAC_SHA256, twilio.HMAC_SHA1])(
    'runs a whole call signed with a SharedKey and %s',
    async (algorithm) => {
      const { h, localBaseUrl } = await harness({ sharedKeySecret: SHARED_KEY_SECRET });
      const verification = runVerification({ targets: ['+14255550100'] }, { provider: h.provider });
      const [create] = await h.rest.waitForCreates(1);
      if (create === undefined) throw new Error('no call placed');
      const call = new FakeCall(new TwilioWithSharedKey(localBaseUrl, SHARED_KEY_SECRET, algorithm), create);
      expect((await call.status('ringing')).status).toBe(200);
      const greeting = await call.answer();
      expect(spoken(await call.press(greeting, '#'))).toEqual(['Thank you. Your verification is complete. Goodbye.']);
      expect((await verification).status).toBe('approved');
    },
  );

  it('refuses forged SharedKey signatures and changes nothing, then accepts the genuine one', async () => {
    const { h, localBaseUrl } = await harness({ sharedKeySecret: SHARED_KEY_SECRET });
    const received: string[] = [];
    const verification = runVerification(
      { targets: ['+14255550100'] },
      {
        provider: h.provider,
        onEvent: (observation) => {
          if (observation.type === 'provider.event') received.push(observation.event.type);
        },
      },
    );
    const [create] = await h.rest.waitForCreates(1);
    if (create === undefined) throw new Error('no call placed');
    const twilioSide = new TwilioWithSharedKey(localBaseUrl, SHARED_KEY_SECRET, twilio.HMAC_SHA256);
    const call = new FakeCall(twilioSide, create);
    const greeting = await call.answer();
    const before = [...received];
    const [url, params] = call.gatherRequest(greeting, '#');
    const sha256 = settingsHeader(twilio.HMAC_SHA256);
    const signedWith = (secret: string, algorithm?: string) =>
      twilio.getExpectedTwilioSignature(secret, url, params, algorithm);
    const warn = vi.spyOn(console, 'warn');

    const forgeries: [string, string, Record<string, string>][] = [
      ['another secret', signedWith('not-the-secret', twilio.HMAC_SHA256), { settings: sha256 }],
      ['the auth token, claiming a SharedKey', signedWith(AUTH_TOKEN, twilio.HMAC_SHA256), { settings: sha256 }],
      ['SHA-1 where the header says SHA-256', signedWith(SHARED_KEY_SECRET, twilio.HMAC_SHA1), { settings: sha256 }],
      ['the SharedKey, without the settings header', signedWith(SHARED_KEY_SECRET), {}],
      [
        'an algorithm twilio-node does not know',
        signedWith(SHARED_KEY_SECRET),
        { settings: settingsHeader('HMAC_SHA512') },
      ],
    ];
    for (const [why, signature, { settings }] of forgeries) {
      const sender = new TwilioWebhookSender(
        localBaseUrl,
        AUTH_TOKEN,
        PUBLIC_BASE_URL,
        settings === undefined ? {} : { [twilio.SIGNATURE_SETTINGS_HEADER]: settings },
      );
      expect([why, (await sender.post(url, params, { signature })).status]).toEqual([why, 403]);
    }
    // An attacker's header never reaches twilio-node's console warning.
    expect(warn).not.toHaveBeenCalled();
    expect(received).toEqual(before);

    expect(spoken(await call.press(greeting, '#'))).toEqual(['Thank you. Your verification is complete. Goodbye.']);
    expect((await verification).status).toBe('approved');
  });

  it('still checks requests without the settings header with the auth token, and accepts either secret of a rotation', async () => {
    const registry = new InMemoryTwilioCallRegistry();
    const options = {
      authToken: AUTH_TOKEN,
      publicBaseUrl: PUBLIC_BASE_URL,
      registry,
      sharedKeySecret: [SHARED_KEY_SECRET, NEXT_SHARED_KEY_SECRET],
    };
    const publicUrl = `${PUBLIC_BASE_URL}/status?t=${randomToken()}`;
    const params = { AccountSid: ACCOUNT_SID, CallSid: newCallSid(), CallStatus: 'ringing' };
    const withSettings = (secret: string) => {
      const request = toSignedRequest(publicUrl, params, {
        signature: twilio.getExpectedTwilioSignature(secret, publicUrl, params, twilio.HMAC_SHA256),
      });
      return {
        ...request,
        headers: { ...request.headers, [twilio.SIGNATURE_SETTINGS_HEADER]: settingsHeader('HMAC_SHA256') },
      };
    };
    expect((await handleTwilioWebhook(toSignedRequest(publicUrl, params), options)).status).toBe(200);
    // An empty settings header is no header, as twilio-node's webhook() reads it: the auth token signed.
    const signedByToken = toSignedRequest(publicUrl, params);
    const emptySettings = { ...signedByToken.headers, [twilio.SIGNATURE_SETTINGS_HEADER]: '' };
    expect((await handleTwilioWebhook({ ...signedByToken, headers: emptySettings }, options)).status).toBe(200);
    expect((await handleTwilioWebhook(withSettings(SHARED_KEY_SECRET), options)).status).toBe(200);
    expect((await handleTwilioWebhook(withSettings(NEXT_SHARED_KEY_SECRET), options)).status).toBe(200);
    expect((await handleTwilioWebhook(withSettings('retired-secret'), options)).status).toBe(403);

    const repeated = withSettings(SHARED_KEY_SECRET);
    const twice = { ...repeated, headers: { ...repeated.headers, 'x-twilio-webhooks-signature-settings': ['a', 'b'] } };
    expect((await handleTwilioWebhook(twice, options)).status).toBe(400);
  });

  it('refuses a SharedKey signature when no secret is configured, and says so', async () => {
    const publicUrl = `${PUBLIC_BASE_URL}/status?t=${randomToken()}`;
    const params = { AccountSid: ACCOUNT_SID, CallSid: newCallSid(), CallStatus: 'ringing' };
    const request = toSignedRequest(publicUrl, params);
    const response = await handleTwilioWebhook(
      { ...request, headers: { ...request.headers, [twilio.SIGNATURE_SETTINGS_HEADER]: settingsHeader('HMAC_SHA1') } },
      { authToken: AUTH_TOKEN, publicBaseUrl: PUBLIC_BASE_URL, registry: new InMemoryTwilioCallRegistry() },
    );
    expect(response).toMatchObject({
      status: 403,
      body: 'Signed with a SharedKey, but no sharedKeySecret is configured',
    });
  });

  it.each([[''], [['']], [[SHARED_KEY_SECRET, '']], [42 as unknown as string]])(
    'refuses the secret %j, which would let anyone sign',
    (sharedKeySecret) => {
      const create = () =>
        new TwilioVoiceProvider({
          accountSid: ACCOUNT_SID,
          authToken: AUTH_TOKEN,
          publicBaseUrl: PUBLIC_BASE_URL,
          sharedKeySecret,
        });
      expect(create).toThrow(VoiceMfaError);
      expect(create).toThrow(/sharedKeySecret must be a non-empty string/);
    },
  );
});
