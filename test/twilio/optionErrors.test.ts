/**
 * Options of the Twilio provider, its webhook listener and its server that
 * cannot work are configuration errors (`INVALID_CONFIGURATION`), as every
 * other factory's are: `PROVIDER_ERROR` is kept for what Twilio or a call does.
 */
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { VoiceMfaError } from '../../src/errors.js';
import { createTwilioWebhookListener } from '../../src/providers/twilio/createTwilioWebhookListener.js';
import { createTwilioWebhookServer } from '../../src/providers/twilio/createTwilioWebhookServer.js';
import {
  TwilioVoiceProvider,
  type TwilioVoiceProviderOptions,
} from '../../src/providers/twilio/twilioVoiceProvider.js';
import { errorOf } from '../support/errors.js';

const OPTIONS: TwilioVoiceProviderOptions = {
  accountSid: `AC${'0'.repeat(32)}`,
  authToken: 'token',
  publicBaseUrl: 'https://verify.example.com/twilio',
  calls: { create: async () => ({ sid: 'CA1' }), update: async () => ({}) },
};
const provider = (options: Partial<TwilioVoiceProviderOptions> = {}) =>
  new TwilioVoiceProvider({ ...OPTIONS, ...options });

describe('Twilio options that cannot work', () => {
  it.each([
    ['an account SID that is none', () => provider({ accountSid: 'AC1' }), 'accountSid must be'],
    ['a rate out of range', () => provider({ callsPerSecond: 0 }), 'callsPerSecond must be'],
    ['a queue out of range', () => provider({ maxQueuedDials: -1 }), 'maxQueuedDials must be an integer'],
    ['options that are no object', () => new TwilioVoiceProvider(null as never), 'the options must be an object'],
    ['Media Streams options that are no object', () => provider({ mediaStreams: 5 as never }), 'mediaStreams must be'],
    [
      'a Media Streams URL that is not wss',
      () => provider({ mediaStreams: { url: 'https://verify.example.com/stream' } }),
      'mediaStreams.url must be a wss:// URL',
    ],
    [
      'Media Streams asked of a provider without them',
      () => provider().listenForMediaStreams(createServer()),
      'Media Streams are off',
    ],
    [
      'a listener body limit out of range',
      () => createTwilioWebhookListener(provider(), { maxBodyBytes: 0 }),
      'maxBodyBytes must be',
    ],
    [
      'a server whose request deadline is before its header deadline',
      () => createTwilioWebhookServer(provider(), { headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 }),
      'requestTimeoutMs must be at least headersTimeoutMs',
    ],
  ])('%s: INVALID_CONFIGURATION naming it', async (_name, build, message) => {
    const error = await errorOf(build);
    expect(error).toBeInstanceOf(VoiceMfaError);
    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION' });
    expect((error as Error).message).toContain(message);
  });
});
