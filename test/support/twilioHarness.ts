/**
 * A Twilio provider wired to a fake Twilio REST API and served on 127.0.0.1,
 * with a sender that plays Twilio's side of the webhooks.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VoiceMfaError } from '../../src/errors.js';
import { TwilioVoiceProvider, type TwilioVoiceProviderOptions } from '../../src/providers/twilio/index.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  FakeCall,
  FakeTwilioRestClient,
  PUBLIC_BASE_URL,
  TwilioWebhookSender,
} from './twilioFake.js';

export interface TwilioHarness {
  provider: TwilioVoiceProvider;
  rest: FakeTwilioRestClient;
  sender: TwilioWebhookSender;
  server: Server;
  errors: VoiceMfaError[];
  /** The `n`-th call placed (1-based), once its create request arrived. */
  call(n: number): Promise<FakeCall>;
  close(): Promise<void>;
}

export const CALLER_ID = '+14255550000';

export async function startTwilioHarness(options: Partial<TwilioVoiceProviderOptions> = {}): Promise<TwilioHarness> {
  const rest = new FakeTwilioRestClient();
  const errors: VoiceMfaError[] = [];
  const provider = new TwilioVoiceProvider({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    publicBaseUrl: PUBLIC_BASE_URL,
    defaultCallerId: CALLER_ID,
    httpClient: rest,
    onError: (error) => errors.push(error),
    ...options,
  });
  const server = createServer(provider.createWebhookListener());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // Reached under /hooks while Twilio signs /twilio: a proxy rewrote the prefix, scheme, host and port.
  const sender = new TwilioWebhookSender(`http://127.0.0.1:${port}/hooks`);
  return {
    provider,
    rest,
    sender,
    server,
    errors,
    async call(n) {
      const creates = await rest.waitForCreates(n);
      const create = creates[n - 1];
      if (create === undefined) throw new Error(`no create request ${n}`);
      return new FakeCall(sender, create);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
