/**
 * Every REST request the provider makes, sent by the real twilio-node client to
 * Stoplight Prism serving Twilio's official OpenAPI spec: Prism runs with
 * `--errors`, so a request the spec does not allow is answered 422 and fails
 * the test. The spec copy is loosened in one place only (repeated
 * `StatusCallbackEvent`, see `loosenSpecForPrism`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runSandboxExample } from '../../examples/twilio-sandbox.js';
import type { DialCommand, HangUpCommand, PlayPromptCommand } from '../../src/machine/commands.js';
import type { ProviderEvent } from '../../src/machine/events.js';
import { CALL_SID_PATTERN } from '../../src/providers/twilio/callWebhook.js';
import { TwilioVoiceProvider } from '../../src/providers/twilio/index.js';
import type { ProviderSession } from '../../src/providers/types.js';
import { dialCommand } from '../support/commands.js';
import { PRISM_SKIP_REASON, PrismRequestClient, type PrismServer, startPrism } from '../support/prism.js';
import { ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, toSignedRequest } from '../support/twilioFake.js';
import { parseXml } from '../support/xml.js';

const hangUp = (callId: string, farewell: HangUpCommand['farewell'] = []): HangUpCommand => ({
  type: 'hangUp',
  callId,
  farewell,
  speech: { language: 'en-US' },
});

const playPrompt = (callId: string): PlayPromptCommand => ({
  type: 'playPrompt',
  callId,
  promptSeq: 1,
  kind: 'greeting',
  segments: [{ say: 'Press the pound key to finish your verification.' }],
  speech: {},
  collect: { mode: 'standard', fraudCode: '0', inputTimeoutMs: 10_000, timeoutOwner: 'provider' },
});

const skipReason = PRISM_SKIP_REASON;
if (skipReason !== null) {
  describe('Twilio REST requests against Prism', () => {
    it.skip(skipReason, () => {});
  });
} else {
  describe('Twilio REST requests against Prism', () => {
    let prism: PrismServer;
    let http: PrismRequestClient;
    let events: ProviderEvent[];
    let session: ProviderSession;
    let provider: TwilioVoiceProvider;

    beforeAll(async () => {
      prism = await startPrism();
    }, 120_000);

    afterAll(async () => {
      await prism?.stop();
    });

    afterEach(() => {
      // A request Prism refused carries its validation errors in the body.
      expect(http.refused()).toEqual([]);
    });

    function open(onEvent: (event: ProviderEvent) => void = () => {}): void {
      http = new PrismRequestClient(prism.url);
      events = [];
      provider = new TwilioVoiceProvider({
        accountSid: ACCOUNT_SID,
        authToken: AUTH_TOKEN,
        publicBaseUrl: PUBLIC_BASE_URL,
        defaultCallerId: '+14255550000',
        httpClient: http,
        replyWaitMs: 50,
      });
      session = provider.openSession({
        verificationId: 'prism',
        emit: (event) => {
          events.push(event);
          onEvent(event);
        },
      });
    }

    async function dialed(command: DialCommand = dialCommand()): Promise<string> {
      await session.execute(command);
      const event = events.find((e) => e.type === 'call.dialed');
      if (event?.type !== 'call.dialed') throw new Error(`no call.dialed in ${JSON.stringify(events)}`);
      expect(event.callId).toMatch(CALL_SID_PATTERN);
      return event.callId;
    }

    async function webhook(route: 'status' | 'answer', callSid: string, params: Record<string, string>) {
      const create = http.exchanges[0];
      const url = String(route === 'status' ? create?.data.StatusCallback : create?.data.Url);
      const response = await provider.handleWebhook(
        toSignedRequest(url, { CallSid: callSid, AccountSid: ACCOUNT_SID, ...params }),
      );
      expect(response.status).toBe(200);
      return parseXml(response.body);
    }

    it('creates a call with status callbacks for every progress event', async () => {
      open();
      await dialed();
      expect(http.exchanges).toHaveLength(1);
      expect(http.exchanges[0]).toMatchObject({
        method: 'post',
        uri: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`,
        status: 201,
        data: {
          To: '+14255550100',
          From: '+14255550000',
          Method: 'POST',
          StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
          StatusCallbackMethod: 'POST',
          Timeout: 30,
        },
      });
      await session.close();
    });

    it('creates a call with answering-machine detection', async () => {
      open();
      await dialed(dialCommand({ machineDetection: true, ringTimeoutMs: 45_500 }));
      expect(http.exchanges[0]).toMatchObject({
        status: 201,
        data: { MachineDetection: 'Enable', AsyncAmd: 'true', AsyncAmdStatusCallbackMethod: 'POST', Timeout: 46 },
      });
      expect(http.exchanges[0]?.data.AsyncAmdStatusCallback).toMatch(
        /^https:\/\/verify\.example\.test\/twilio\/amd\?t=/,
      );
      await session.close();
    });

    it('creates a call to a target with an extension and its own caller ID', async () => {
      open();
      await dialed(
        dialCommand({ extension: ',,1234', callerId: '+442079460000', to: '+442079460001', ringTimeoutMs: 900_000 }),
      );
      expect(http.exchanges[0]).toMatchObject({
        status: 201,
        data: { To: '+442079460001', From: '+442079460000', Timeout: 600 },
      });
      expect(http.exchanges[0]?.data.SendDigits).toBeUndefined();
      await session.close();
    });

    it('cancels a call that was not answered', async () => {
      open();
      const callSid = await dialed();
      await session.execute(hangUp(callSid));
      expect(http.exchanges.map((e) => [e.uri, e.data, e.status])).toEqual([
        [expect.stringMatching(/\/Calls\.json$/), expect.anything(), 201],
        [
          `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid}.json`,
          { Status: 'canceled' },
          200,
        ],
      ]);
      await session.close();
    });

    it('completes an answered call', async () => {
      open();
      const callSid = await dialed();
      await webhook('status', callSid, { CallStatus: 'in-progress', SequenceNumber: '2' });
      expect(events.map((e) => e.type)).toEqual(['call.dialed', 'call.answered']);
      await session.execute(hangUp(callSid));
      expect(http.exchanges.at(-1)).toMatchObject({ data: { Status: 'completed' }, status: 200 });
      await session.close();
    });

    it("replaces an answered call's TwiML to say goodbye", async () => {
      open((event) => {
        if (event.type === 'call.answered') void session.execute(playPrompt(event.callId));
      });
      const callSid = await dialed();
      const greeting = await webhook('answer', callSid, { CallStatus: 'in-progress' });
      const verbs = greeting.children.map((c) => ('name' in c ? c.name : 'text'));
      expect(verbs.at(0)).toBe('Gather');
      expect(verbs.at(-1)).toBe('Redirect');
      await session.execute(hangUp(callSid, [{ say: 'Goodbye.' }]));
      const update = http.exchanges.at(-1);
      expect(update).toMatchObject({ status: 200 });
      expect(String(update?.data.Twiml)).toContain(
        '<Say language="en-US" voice="Polly.Joanna-Neural">Goodbye.</Say><Hangup/>',
      );
      await session.close();
    });

    it('closing a session ends the calls still up', async () => {
      open();
      const callSid = await dialed();
      await session.close();
      expect(http.exchanges.at(-1)).toMatchObject({
        uri: expect.stringContaining(callSid),
        data: { Status: 'canceled' },
      });
    });

    it('runs the sandbox example with the real client against Prism', async () => {
      http = new PrismRequestClient(prism.url);
      const lines: string[] = [];
      const exitCode = await runSandboxExample({
        env: { TWILIO_TEST_ACCOUNT_SID: ACCOUNT_SID, TWILIO_TEST_AUTH_TOKEN: AUTH_TOKEN },
        httpClient: http,
        dialTimeoutMs: 1_000,
        print: (line) => lines.push(line),
      });
      expect(exitCode).toBe(0);
      // Prism creates every call (it cannot play the magic numbers' errors); no callback ever comes.
      expect(lines.filter((line) => line.startsWith('attempt'))).toEqual([
        expect.stringMatching(/^attempt 1: \+1 500 ••• 0001 → failed \(dial timeout\), call CA[0-9a-f]{32}$/),
        expect.stringMatching(/^attempt 2: \+1 500 ••• 0002 → failed \(dial timeout\), call CA[0-9a-f]{32}$/),
        expect.stringMatching(/^attempt 3: \+1 500 ••• 0006 → failed \(dial timeout\), call CA[0-9a-f]{32}$/),
      ]);
      expect(lines.at(-1)).toBe('verification: unreachable (no-targets-left)');
      expect(http.exchanges.map((e) => [e.data.To ?? e.data.Status, e.status])).toEqual([
        ['+15005550001', 201],
        ['canceled', 200],
        ['+15005550002', 201],
        ['canceled', 200],
        ['+15005550006', 201],
        ['canceled', 200],
      ]);
    }, 30_000);
  });
}
