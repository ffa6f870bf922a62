/**
 * End to end: the runtime and the Twilio provider against a test that plays
 * Twilio — it answers the REST API and drives the webhook server on 127.0.0.1
 * with requests signed by twilio-node, through the SPEC.md scenarios.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VerificationResult } from '../../src/machine/outcomes.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import { DEFAULT_REFUSED_TYPES } from '../../src/phone/dialingPolicy.js';
import { type RunVerificationOptions, runVerification } from '../../src/runtime/runVerification.js';
import type { FakeCall } from '../support/twilioFake.js';
import { PUBLIC_BASE_URL, spoken, verb, verbNames } from '../support/twilioFake.js';
import { CALLER_ID, startTwilioHarness, type TwilioHarness } from '../support/twilioHarness.js';
import { elementsOf, textOf, type XmlElement } from '../support/xml.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

let h: TwilioHarness;

beforeEach(async () => {
  h = await startTwilioHarness();
});

afterEach(async () => {
  await h.close();
  expect(h.errors).toEqual([]);
});

function verify(
  request: VerificationRequest,
  options: Partial<RunVerificationOptions> = {},
): Promise<VerificationResult> {
  return runVerification(request, { provider: h.provider, ...options });
}

/**
 * Checks a prompt's Gathers: no finishing key, a chain that waits `silence`
 * seconds in all with one action, the prompt (if any) nested in the first, and
 * the Redirect that reports the timeout. Returns the first Gather.
 */
function expectPromptGather(
  twiml: XmlElement,
  options: { silence?: number; shape?: 'key' | 'entry'; pause?: number; words?: boolean } = {},
) {
  const shape = options.shape ?? 'entry';
  const names = verbNames(twiml);
  expect(names.at(-1)).toBe('Redirect');
  const gathers = elementsOf(twiml).filter((v) => v.name === 'Gather');
  expect(names).toEqual([...gathers.map(() => 'Gather'), 'Redirect']);
  const timeouts = gathers.map((g) => Number(g.attributes.timeout));
  expect(timeouts.reduce((sum, t) => sum + t, 0)).toBe(options.silence ?? 10);
  if (shape === 'key') expect(gathers).toHaveLength(1);
  else for (const t of timeouts) expect(t).toBeLessThanOrEqual(options.pause ?? 1);
  for (const gather of gathers) {
    expect(gather.attributes).toMatchObject({
      input: 'dtmf',
      method: 'POST',
      finishOnKey: '',
      numDigits: shape === 'key' ? '1' : '64',
      action: gathers[0]?.attributes.action,
    });
  }
  const [gather] = gathers as [XmlElement, ...XmlElement[]];
  expect(gather.attributes.action).toMatch(
    new RegExp(`^${PUBLIC_BASE_URL}/gather\\?t=[0-9a-f]{32}&s=\\d+&p=\\d+&k=${shape}$`),
  );
  for (const later of gathers.slice(1)) expect(elementsOf(later)).toEqual([]);
  const redirect = verb(twiml, 'Redirect');
  expect(redirect.attributes.method).toBe('POST');
  expect(textOf(redirect)).toMatch(new RegExp(`^${PUBLIC_BASE_URL}/timeout\\?t=[0-9a-f]{32}&s=\\d+&p=\\d+$`));
  if (options.words === false) expect(elementsOf(gather)).toEqual([]);
  return gather;
}

function expectHangUp(twiml: XmlElement, farewell: string | null) {
  if (farewell === null) {
    expect(verbNames(twiml)).toEqual(['Hangup']);
    return;
  }
  expect(verbNames(twiml)).toEqual(['Say', 'Hangup']);
  expect(spoken(twiml)).toEqual([farewell]);
}

/** Dial acknowledged, ringing, answered: the greeting. */
const answered = (call: FakeCall): Promise<XmlElement> => call.ringAndAnswer();

describe('Twilio end to end', () => {
  it('approves with # and places the call as Twilio documents it', async () => {
    const verification = verify({ targets: [PRIMARY], speech: { language: 'en-GB', voice: 'Polly.Amy' } });
    const call = await h.call(1);
    expect(call.create.method).toBe('post');
    expect(call.create.uri).toMatch(/^https:\/\/api\.twilio\.com\/2010-04-01\/Accounts\/AC[0-9a-f]{32}\/Calls\.json$/);
    expect(call.create.data).toMatchObject({
      To: PRIMARY,
      From: CALLER_ID,
      Method: 'POST',
      StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      StatusCallbackMethod: 'POST',
      Timeout: 30,
    });
    expect(call.create.data.Url).toMatch(new RegExp(`^${PUBLIC_BASE_URL}/answer\\?t=[0-9a-f]{32}$`));
    expect(call.create.data.StatusCallback).toMatch(new RegExp(`^${PUBLIC_BASE_URL}/status\\?t=[0-9a-f]{32}$`));
    expect(call.create.data.MachineDetection).toBeUndefined();
    expect(call.create.data.SendDigits).toBeUndefined();

    const greeting = await answered(call);
    const gather = expectPromptGather(greeting);
    expect(spoken(gather)).toEqual([
      'Hello. This is your sign-in verification call.',
      'Press the pound key to finish your verification.',
      'If you did not start this, press zero pound to report fraud.',
    ]);
    for (const say of elementsOf(gather)) expect(say.attributes).toEqual({ language: 'en-GB', voice: 'Polly.Amy' });

    expectHangUp(await call.press(greeting, '#'), 'Thank you. Your verification is complete. Goodbye.');
    expect((await call.status('completed', { CallDuration: '9', SipResponseCode: '200' })).status).toBe(200);

    const result = await verification;
    expect(result).toMatchObject({ status: 'approved', reason: 'pound-key' });
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ callId: call.sid, result: 'approved', keysPressed: 1 });
    expect(result.attempts[0]?.times.ringingAt).not.toBeNull();
    expect(result.attempts[0]?.times.answeredAt).not.toBeNull();
    expect(h.rest.updates()).toEqual([]);
  });

  it('denies when the callee hangs up during the greeting', async () => {
    const verification = verify({ targets: [PRIMARY, BACKUP], timing: { endingGraceMs: 100 } });
    const call = await h.call(1);
    await answered(call);
    expect((await call.status('completed', { CallDuration: '3', SipResponseCode: '200' })).status).toBe(200);
    const result = await verification;
    expect(result).toMatchObject({ status: 'denied', reason: 'hung-up' });
    expect(result.attempts.map((a) => a.result)).toEqual(['hung-up']);
    expect(h.rest.creates()).toHaveLength(1);
  });

  it('rolls over after the input timeout of an answered call (voicemail)', async () => {
    const verification = verify({ targets: [PRIMARY, BACKUP] });
    const first = await h.call(1);
    const greeting = await answered(first);
    // Twilio's Gather timed out: execution falls through to the Redirect.
    expectHangUp(await first.followRedirect(greeting), null);
    const second = await h.call(2);
    expect(second.create.data.To).toBe(BACKUP);
    // The first call's end arrives after the rollover: stale, changes nothing.
    expect((await first.status('completed', { CallDuration: '20' })).status).toBe(200);
    const greeting2 = await answered(second);
    expectHangUp(await second.press(greeting2, '#'), 'Thank you. Your verification is complete. Goodbye.');
    const result = await verification;
    expect(result.status).toBe('approved');
    expect(result.attempts.map((a) => a.result)).toEqual(['no-response', 'approved']);
    expect(result.attempts[0]?.times.greetingEndedAt).not.toBeNull();
  });

  it.each<{
    callStatus: string;
    extra: Record<string, string>;
    result: string;
    sipCode: number | null;
    providerCode: string | null;
  }>([
    { callStatus: 'busy', extra: { SipResponseCode: '486' }, result: 'busy', sipCode: 486, providerCode: null },
    {
      callStatus: 'failed',
      extra: { SipResponseCode: '404' },
      result: 'invalid-number',
      sipCode: 404,
      providerCode: null,
    },
    {
      callStatus: 'no-answer',
      extra: { SipResponseCode: '487' },
      result: 'no-answer',
      sipCode: 487,
      providerCode: null,
    },
    {
      callStatus: 'failed',
      extra: { ErrorCode: '13224', SipResponseCode: '400' },
      result: 'failed',
      sipCode: 400,
      providerCode: '13224',
    },
    {
      callStatus: 'failed',
      extra: { ErrorCode: '13224' },
      result: 'invalid-number',
      sipCode: null,
      providerCode: '13224',
    },
  ])(
    'rolls over when the call ends $callStatus $extra',
    async ({ callStatus, extra, result, sipCode, providerCode }) => {
      const verification = verify({ targets: [PRIMARY, BACKUP] });
      const first = await h.call(1);
      await first.status('initiated');
      await first.status('ringing');
      expect((await first.status(callStatus, extra)).status).toBe(200);
      const second = await h.call(2);
      expectHangUp(
        await second.press(await answered(second), '#'),
        'Thank you. Your verification is complete. Goodbye.',
      );
      const outcome = await verification;
      expect(outcome.status).toBe('approved');
      expect(outcome.attempts[0]).toMatchObject({ result, sipCode, providerCode, answeredBy: null });
    },
  );

  it('ends unreachable when every target is busy, failed or unanswered', async () => {
    const verification = verify({ targets: [PRIMARY, BACKUP, '+14255550102'] });
    await (await h.call(1)).status('busy', { SipResponseCode: '486' });
    await (await h.call(2)).status('failed', { SipResponseCode: '404' });
    await (await h.call(3)).status('no-answer');
    const result = await verification;
    expect(result).toMatchObject({ status: 'unreachable', reason: 'no-targets-left' });
    expect(result.attempts.map((a) => a.result)).toEqual(['busy', 'invalid-number', 'no-answer']);
  });

  it('hangs up on a machine and rolls over (answering-machine detection)', async () => {
    const verification = verify({ targets: [PRIMARY, BACKUP], answeringMachineDetection: true });
    const first = await h.call(1);
    expect(first.create.data).toMatchObject({
      MachineDetection: 'Enable',
      AsyncAmd: 'true',
      AsyncAmdStatusCallbackMethod: 'POST',
    });
    expect(first.create.data.AsyncAmdStatusCallback).toMatch(new RegExp(`^${PUBLIC_BASE_URL}/amd\\?t=[0-9a-f]{32}$`));
    expectPromptGather(await answered(first));
    const amd = await first.machineDetection('machine_end_beep');
    expect(amd.status).toBe(200);
    const second = await h.call(2);
    expect(h.rest.updates()).toEqual([
      expect.objectContaining({
        uri: expect.stringContaining(`/Calls/${first.sid}.json`),
        data: { Status: 'completed' },
      }),
    ]);
    const greeting2 = await answered(second);
    expect((await second.machineDetection('human')).status).toBe(200);
    expectHangUp(await second.press(greeting2, '#'), 'Thank you. Your verification is complete. Goodbye.');
    const result = await verification;
    expect(result.status).toBe('approved');
    expect(result.attempts.map((a) => [a.result, a.answeredBy])).toEqual([
      ['voicemail', 'machine'],
      ['approved', 'human'],
    ]);
  });

  it('refuses numbers Twilio rejects on create (21217 invalid, 21214 unreachable) and rolls over', async () => {
    h.rest.errorsByTo.set('+15005550001', {
      status: 400,
      code: 21217,
      message: 'Phone number is not a valid phone number',
    });
    h.rest.errorsByTo.set('+15005550002', { status: 400, code: 21214, message: "'To' phone number cannot be reached" });
    // Twilio's magic numbers are US personal numbers (+1 500), refused by default before any create.
    const dialingPolicy = { refusedTypes: DEFAULT_REFUSED_TYPES.filter((type) => type !== 'PERSONAL_NUMBER') };
    const verification = verify({ targets: ['+15005550001', '+15005550002', PRIMARY] }, { dialingPolicy });
    const third = await h.call(3);
    expectHangUp(await third.press(await answered(third), '#'), 'Thank you. Your verification is complete. Goodbye.');
    const result = await verification;
    expect(result.status).toBe('approved');
    expect(result.attempts.map((a) => [a.result, a.providerCode, a.callId])).toEqual([
      ['invalid-number', '21217', null],
      ['failed', '21214', null],
      ['approved', null, third.sid],
    ]);
  });

  it('approves a right PIN typed as one entry', async () => {
    const verification = verify({ targets: [PRIMARY], mode: 'pin' }, { verifyPin: async (entry) => entry === '1234' });
    const call = await h.call(1);
    const twiml = await answered(call);
    expect(spoken(expectPromptGather(twiml, { pause: 2 }))).toEqual([
      'Hello. This is your sign-in verification call.',
      'Please enter your PIN, followed by the pound key.',
      'If you did not start this, press zero pound to report fraud.',
    ]);
    expectHangUp(await call.press(twiml, '1234#'), 'Thank you. Your verification is complete. Goodbye.');
    const result = await verification;
    expect(result).toMatchObject({ status: 'approved', reason: 'pin' });
    expect(result.attempts[0]?.keysPressed).toBe(5);
  });

  it('a wrong PIN and the right one posted as one entry are judged in turn: approved', async () => {
    const verification = verify({ targets: [PRIMARY], mode: 'pin' }, { verifyPin: async (entry) => entry === '1234' });
    const call = await h.call(1);
    // The Gather posts both: the first is answered as a wrong PIN, and the second then ends the call by REST.
    const twiml = await call.press(await answered(call), '1111#1234#');
    expect(spoken(expectPromptGather(twiml, { pause: 2 }))[0]).toBe('That PIN was not correct.');
    const result = await verification;
    expect(h.rest.updates().map((update) => update.data.Twiml)).toEqual([
      expect.stringContaining(
        '<Say voice="Polly.Joanna-Neural">Thank you. Your verification is complete. Goodbye.</Say><Hangup/>',
      ),
    ]);
    expect(result).toMatchObject({ status: 'approved', reason: 'pin' });
    expect(result.attempts[0]).toMatchObject({ invalidEntries: 1, keysPressed: 10 });
  });

  it('a wrong PIN posted with the start of another: the re-prompt asks for the whole PIN, which then approves', async () => {
    const verification = verify(
      { targets: [PRIMARY], mode: 'pin', timing: { maxInvalidEntries: 2 } },
      { verifyPin: async (entry) => entry === '1234' },
    );
    const call = await h.call(1);
    // The callee paused after "12": the Gather posts what it has.
    const reprompt = await call.press(await answered(call), '1111#12');
    expect(spoken(expectPromptGather(reprompt, { pause: 2 }))[0]).toBe('That PIN was not correct.');
    expectHangUp(await call.press(reprompt, '1234#'), 'Thank you. Your verification is complete. Goodbye.');
    expect(await verification).toMatchObject({ status: 'approved', reason: 'pin' });
  });

  it('a pause inside a PIN: the keys so far are reported and the rest of the input timeout is collected', async () => {
    const verification = verify({ targets: [PRIMARY], mode: 'pin' }, { verifyPin: async (entry) => entry === '1234' });
    const call = await h.call(1);
    let twiml = await call.press(await answered(call), '12');
    // The entry pause (2 s) after the last key already counts towards the 10 s input timeout.
    expectPromptGather(twiml, { pause: 2, silence: 8, words: false });
    twiml = await call.press(twiml, '34#');
    expectHangUp(twiml, 'Thank you. Your verification is complete. Goodbye.');
    expect(await verification).toMatchObject({ status: 'approved', reason: 'pin' });
  });

  it('re-prompts after a wrong PIN, treats a bare # as an empty PIN, and denies after three', async () => {
    const verification = verify(
      { targets: [PRIMARY, BACKUP], mode: 'pin' },
      { verifyPin: (entry) => entry === '1234' },
    );
    const call = await h.call(1);
    let twiml = await answered(call);
    twiml = await call.press(twiml, '99#');
    expect(spoken(expectPromptGather(twiml, { pause: 2 }))).toEqual([
      'That PIN was not correct.',
      'Please enter your PIN, followed by the pound key.',
      'If you did not start this, press zero pound to report fraud.',
    ]);
    // A bare # in PIN mode reaches the machine as "#": an empty, wrong PIN.
    twiml = await call.press(twiml, '#');
    expect(spoken(verb(twiml, 'Gather'))[0]).toBe('That PIN was not correct.');
    expectHangUp(await call.press(twiml, '42#'), 'Your verification was not completed. Goodbye.');
    const result = await verification;
    expect(result).toMatchObject({ status: 'denied', reason: 'pin-failed' });
    expect(result.attempts.map((a) => [a.result, a.invalidEntries])).toEqual([['pin-failed', 3]]);
  });

  it('reports fraud for 0# and stops', async () => {
    const verification = verify({ targets: [PRIMARY, BACKUP] });
    const call = await h.call(1);
    const twiml = await answered(call);
    expectHangUp(await call.press(twiml, '0#'), 'Thank you. Fraud has been reported. Goodbye.');
    const result = await verification;
    expect(result).toMatchObject({ status: 'fraud', reason: 'fraud-code' });
    expect(h.rest.creates()).toHaveLength(1);
  });

  it('re-prompts an invalid entry in standard mode', async () => {
    const verification = verify({ targets: [PRIMARY] });
    const call = await h.call(1);
    let twiml = await call.press(await answered(call), '5');
    // A pause after the 5: reported, and the rest of the input timeout collected.
    expectPromptGather(twiml, { silence: 9, words: false });
    twiml = await call.press(twiml, '#');
    expect(spoken(expectPromptGather(twiml))[0]).toBe('That entry was not valid.');
    expectHangUp(await call.press(twiml, '#'), 'Thank you. Your verification is complete. Goodbye.');
    expect((await verification).attempts[0]).toMatchObject({ result: 'approved', invalidEntries: 1 });
  });

  it('sends the extension digits first, then greets', async () => {
    const verification = verify({ targets: [{ number: PRIMARY, extension: ',,1234' }] });
    const call = await h.call(1);
    expect(call.create.data.SendDigits).toBeUndefined();
    const digits = await answered(call);
    expect(verbNames(digits)).toEqual(['Play', 'Redirect']);
    expect(verb(digits, 'Play').attributes).toEqual({ digits: 'wwww1234' });
    expect(textOf(verb(digits, 'Redirect'))).toMatch(
      new RegExp(`^${PUBLIC_BASE_URL}/digits-sent\\?t=[0-9a-f]{32}&s=\\d+$`),
    );
    const greeting = await call.followRedirect(digits);
    expect(spoken(expectPromptGather(greeting))[0]).toBe('Please transfer this call to extension one two three four.');
    expectHangUp(await call.press(greeting, '#'), 'Thank you. Your verification is complete. Goodbye.');
    expect((await verification).status).toBe('approved');
  });

  it('cancels a ringing call when the host aborts', async () => {
    const abort = new AbortController();
    const verification = verify({ targets: [PRIMARY] }, { signal: abort.signal });
    const call = await h.call(1);
    await call.status('ringing');
    abort.abort();
    const result = await verification;
    expect(result).toMatchObject({ status: 'canceled', reason: 'host-canceled' });
    expect(h.rest.updates().map((u) => [u.uri.endsWith(`/Calls/${call.sid}.json`), u.data])).toEqual([
      [true, { Status: 'canceled' }],
    ]);
    // Twilio's report of the cancellation comes after the end: stale.
    expect((await call.status('canceled', { SipResponseCode: '487' })).status).toBe(200);
  });

  it('asks Twilio to come back while a slow PIN check runs', async () => {
    await h.close();
    h = await startTwilioHarness({ replyWaitMs: 50 });
    let release: (ok: boolean) => void = () => {};
    const verification = verify(
      { targets: [PRIMARY], mode: 'pin' },
      { verifyPin: () => new Promise<boolean>((resolve) => (release = resolve)) },
    );
    const call = await h.call(1);
    const twiml = await answered(call);
    const hold = await call.press(twiml, '1234#');
    expect(verbNames(hold)).toEqual(['Pause', 'Redirect']);
    expect(verb(hold, 'Pause').attributes).toEqual({ length: '1' });
    expect(textOf(verb(hold, 'Redirect'))).toMatch(new RegExp(`^${PUBLIC_BASE_URL}/poll\\?t=[0-9a-f]{32}&s=\\d+$`));
    const stillHolding = await call.followRedirect(hold);
    expect(verbNames(stillHolding)).toEqual(['Pause', 'Redirect']);
    release(true);
    expectHangUp(await call.followRedirect(stillHolding), 'Thank you. Your verification is complete. Goodbye.');
    expect((await verification).status).toBe('approved');
  });
});

describe('Twilio end to end, key by key', () => {
  beforeEach(async () => {
    await h.close();
    h = await startTwilioHarness({ keyCollection: 'key-by-key' });
  });

  it('collects one key per Gather, each waiting the whole input timeout', async () => {
    const verification = verify({ targets: [PRIMARY], mode: 'pin' }, { verifyPin: (entry) => entry === '1234' });
    const call = await h.call(1);
    let twiml = await answered(call);
    expectPromptGather(twiml, { shape: 'key' });
    for (const key of '1234') {
      twiml = await call.press(twiml, key);
      expectPromptGather(twiml, { shape: 'key', words: false });
    }
    expectHangUp(await call.press(twiml, '#'), 'Thank you. Your verification is complete. Goodbye.');
    expect(await verification).toMatchObject({ status: 'approved', reason: 'pin' });
  });

  it('a bare # arrives as a key: fraud for 0 then #', async () => {
    const verification = verify({ targets: [PRIMARY] });
    const call = await h.call(1);
    const twiml = await call.press(await answered(call), '0');
    expectPromptGather(twiml, { shape: 'key', words: false });
    expectHangUp(await call.press(twiml, '#'), 'Thank you. Fraud has been reported. Goodbye.');
    expect((await verification).status).toBe('fraud');
  });
});

describe('Twilio end to end: # and a hang-up, in either order (Twilio does not order them)', () => {
  // The grace runs on the real clock: 10 s where the test ends on a key that must arrive within it; 2 s where the
  // test waits for it to end, room enough for a busy machine's requests in between.
  const GRACE = { timing: { endingGraceMs: 2_000 } } as const;
  const LONG_GRACE = { timing: { endingGraceMs: 10_000 } } as const;

  it('the action with # first, then completed: approved', async () => {
    const verification = verify({ targets: [PRIMARY], ...GRACE });
    const call = await h.call(1);
    const greeting = await answered(call);
    expectHangUp(await call.press(greeting, '#'), 'Thank you. Your verification is complete. Goodbye.');
    expect((await call.status('completed')).status).toBe(200);
    expect(await verification).toMatchObject({ status: 'approved', reason: 'pound-key' });
  });

  it('completed first, then the action with #: approved, and the late action is answered with a hang-up', async () => {
    const verification = verify({ targets: [PRIMARY], ...LONG_GRACE });
    const call = await h.call(1);
    const greeting = await answered(call);
    expect((await call.status('completed')).status).toBe(200);
    expectHangUp(await call.press(greeting, '#'), null);
    const result = await verification;
    expect(result).toMatchObject({ status: 'approved', reason: 'pound-key' });
    expect(result.attempts[0]).toMatchObject({ result: 'approved', keysPressed: 1 });
    expect(h.rest.updates()).toEqual([]);
  });

  it('completed, the action, then Twilio retries the action: approved once, the retry gets the same answer', async () => {
    const verification = verify({ targets: [PRIMARY], ...LONG_GRACE });
    const call = await h.call(1);
    const greeting = await answered(call);
    expect((await call.status('completed')).status).toBe(200);
    const request = call.gatherRequest(greeting, '#');
    const first = await h.sender.post(...request);
    const retry = await h.sender.post(...request);
    expect(retry.body).toBe(first.body);
    const result = await verification;
    expect(result).toMatchObject({ status: 'approved' });
    expect(result.attempts[0]?.keysPressed).toBe(1);
  });

  it('PIN mode: completed, then the action with the right PIN: checked and approved', async () => {
    const verification = verify({ targets: [PRIMARY], mode: 'pin', ...LONG_GRACE }, { verifyPin: (e) => e === '4821' });
    const call = await h.call(1);
    const greeting = await answered(call);
    expect((await call.status('completed')).status).toBe(200);
    expectHangUp(await call.press(greeting, '4821#'), null);
    expect(await verification).toMatchObject({ status: 'approved', reason: 'pin' });
  });

  it('a hang-up with no key: denied when the grace ends, whatever comes after', async () => {
    const verification = verify({ targets: [PRIMARY, BACKUP], ...GRACE });
    const call = await h.call(1);
    const greeting = await answered(call);
    expect((await call.status('completed')).status).toBe(200);
    const result = await verification;
    expect(result).toMatchObject({ status: 'denied', reason: 'hung-up' });
    expect(h.rest.creates()).toHaveLength(1);
    // A fall-through reported after the end changes nothing.
    expectHangUp(await call.followRedirect(greeting), null);
  });

  it('completed, then the asynchronous detection callback says machine: voicemail, and the backup is dialled', async () => {
    const verification = verify({ targets: [PRIMARY, BACKUP], answeringMachineDetection: true, ...GRACE });
    const first = await h.call(1);
    await answered(first);
    expect((await first.status('completed')).status).toBe(200);
    expect((await first.machineDetection('machine_end_beep')).status).toBe(200);
    const second = await h.call(2);
    expectHangUp(await second.press(await answered(second), '#'), 'Thank you. Your verification is complete. Goodbye.');
    const result = await verification;
    expect(result.status).toBe('approved');
    expect(result.attempts.map((a) => [a.result, a.answeredBy])).toEqual([
      ['voicemail', 'machine'],
      ['approved', null],
    ]);
  });

  it('a hang-up with keys but no #: denied, never approved', async () => {
    const verification = verify({ targets: [PRIMARY], ...GRACE });
    const call = await h.call(1);
    const greeting = await answered(call);
    expect((await call.status('completed')).status).toBe(200);
    expectHangUp(await call.press(greeting, '12'), null);
    expect(await verification).toMatchObject({ status: 'denied', reason: 'hung-up' });
  });

  it('after the end, only the first action of the running Gather counts; others are retries', async () => {
    const verification = verify({ targets: [PRIMARY], ...GRACE });
    const call = await h.call(1);
    const greeting = await answered(call);
    const continuation = await call.press(greeting, '5');
    expect((await call.status('completed')).status).toBe(200);
    // The greeting's Gather already reported: another action for it is a retry and reports nothing.
    await call.press(greeting, '#');
    // The continuation ran when the call ended; a second action for it is a retry as well.
    expectHangUp(await call.press(continuation, '12'), null);
    expectHangUp(await call.press(continuation, '#'), null);
    const result = await verification;
    expect(result.status).toBe('denied');
    expect(result.attempts[0]?.keysPressed).toBe(3);
  });
});
