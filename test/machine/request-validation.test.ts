/**
 * Issue acceptance: "Bad request input … throws a typed error with a clear
 * message before anything starts."
 */
import { describe, expect, it, vi } from 'vitest';
import { InvalidRequestError, VoiceMfaError } from '../../src/errors.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import { normalizeVerificationRequest } from '../../src/request/normalizeRequest.js';
import { createVerificationActor } from '../../src/runtime/createVerificationActor.js';
import { startHarness } from '../support/harness.js';
import { BACKUP, PRIMARY, THIRD } from './helpers.js';

/** Creates a verification from `request` and returns what it threw, checking nothing was started. */
async function refusal(request: unknown, options: { verifyPin?: (entry: string) => boolean } = {}) {
  const checkNumber = vi.fn(() => ({ ok: true as const, e164: PRIMARY, extension: null, country: null }));
  let thrown: unknown;
  try {
    await startHarness(request as VerificationRequest, { ...options, checkNumber });
  } catch (error) {
    thrown = error;
  }
  // Nothing started: the number of the first target was never even checked, so no dial could follow.
  expect(checkNumber).not.toHaveBeenCalled();
  expect(thrown).toBeInstanceOf(InvalidRequestError);
  const error = thrown as InvalidRequestError;
  expect(error).toBeInstanceOf(VoiceMfaError);
  expect(error.code).toBe('INVALID_REQUEST');
  return error;
}

describe('SPEC / issue: bad request input is refused before anything starts', () => {
  it('ISSUE rule: "no targets" → INVALID_REQUEST naming `targets`', async () => {
    const error = await refusal({ targets: [] });
    expect(error.issues).toEqual([{ path: 'targets', message: expect.stringMatching(/at least one/) }]);
    expect(error.message).toMatch(/^Invalid verification request: targets: /);
  });

  it('ISSUE rule: "no targets" → a missing or non-list `targets` is refused too', async () => {
    expect((await refusal({})).issues[0]?.path).toBe('targets');
    expect((await refusal({ targets: PRIMARY })).issues[0]?.path).toBe('targets');
  });

  it('ISSUE rule: a target that is not a phone number string or { number } is refused, naming its position', async () => {
    const error = await refusal({ targets: [PRIMARY, 42, { number: '' }] });
    expect(error.issues.map((i) => i.path)).toEqual(['targets.1', 'targets.2.number']);
  });

  it.each([
    ['inputTimeoutMs', -1],
    ['ringTimeoutMs', -30_000],
    ['maxTotalMs', -180_000],
    ['promptWatchdogMs', -1],
  ])('ISSUE rule: "negative … timeouts" → timing.%s = %d is refused', async (field, value) => {
    const error = await refusal({ targets: [PRIMARY], timing: { [field]: value } });
    expect(error.issues).toEqual([{ path: `timing.${field}`, message: expect.stringContaining(String(value)) }]);
    expect(error.message).toContain(`timing.${field}`);
  });

  it.each([
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['NaN', Number.NaN],
  ])('ISSUE rule: "non-finite timeouts" → inputTimeoutMs = %s is refused', async (_name, value) => {
    const error = await refusal({ targets: [PRIMARY], timing: { inputTimeoutMs: value } });
    expect(error.issues[0]?.path).toBe('timing.inputTimeoutMs');
    expect(error.message).toMatch(/must be a whole number of milliseconds/);
  });

  it.each([
    ['inputTimeoutMs', 10_000.5],
    ['ringTimeoutMs', 30_000.25],
    ['dialTimeoutMs', 90_000.5],
    ['endingGraceMs', 0.5],
    ['maxTotalMs', 180_000.1],
    ['promptWatchdogMs', 60_000.5],
    ['providerTimeoutGraceMs', 2_000.5],
  ])('a fractional timing.%s = %d is refused: every time is whole milliseconds', async (field, value) => {
    const error = await refusal({ targets: [PRIMARY], timing: { [field]: value } });
    expect(error.issues).toEqual([
      { path: `timing.${field}`, message: expect.stringMatching(new RegExp(`whole number.*${String(value)}`)) },
    ]);
  });

  it('ISSUE rule: a timeout given as a string is refused (no silent coercion)', async () => {
    const error = await refusal({ targets: [PRIMARY], timing: { inputTimeoutMs: '10000' } });
    expect(error.issues[0]?.path).toBe('timing.inputTimeoutMs');
  });

  it('ISSUE rule: a zero input timeout is refused (the callee needs time to press #)', async () => {
    const error = await refusal({ targets: [PRIMARY], timing: { inputTimeoutMs: 0 } });
    expect(error.issues[0]?.path).toBe('timing.inputTimeoutMs');
  });

  it.each([0, 2.5, -3])(
    'ISSUE rule: maxInvalidEntries = %d is refused (a whole number of at least 1)',
    async (value) => {
      const error = await refusal({ targets: [PRIMARY], timing: { maxInvalidEntries: value } });
      expect(error.issues[0]?.path).toBe('timing.maxInvalidEntries');
    },
  );

  it.each([
    ['empty', ''],
    ['five digits', '12345'],
    ['a letter', 'a'],
    ['with #', '0#'],
    ['with *', '*'],
    ['a number, not a string', 0],
    ['true', true],
  ])(
    'ISSUE rule: "a fraud code that is not 1–4 digits" (%s) is refused, naming `fraudCode`',
    async (_name, fraudCode) => {
      const error = await refusal({ targets: [PRIMARY], fraudCode });
      expect(error.issues).toEqual([{ path: 'fraudCode', message: expect.stringMatching(/1–4 digits/) }]);
    },
  );

  it('ISSUE rule: fraud codes of 1 to 4 digits, or false, are accepted', () => {
    for (const fraudCode of ['0', '12', '999', '1234']) {
      expect(normalizeVerificationRequest({ targets: [PRIMARY], fraudCode }).fraudCode).toBe(fraudCode);
    }
    expect(normalizeVerificationRequest({ targets: [PRIMARY], fraudCode: false }).fraudCode).toBeNull();
  });

  it('ISSUE rule: "PIN mode without a PIN verifier" is refused, naming `mode` and the missing verifier', async () => {
    const error = await refusal({ targets: [PRIMARY], mode: 'pin' });
    expect(error.issues).toEqual([{ path: 'mode', message: expect.stringMatching(/verifyPin/) }]);
  });

  it('ISSUE rule: PIN mode with a verifier is accepted', () => {
    expect(() =>
      createVerificationActor({ targets: [PRIMARY], mode: 'pin' }, { verifyPin: () => false }),
    ).not.toThrow();
  });

  it('ISSUE rule: an unknown mode is refused', async () => {
    const error = await refusal({ targets: [PRIMARY], mode: 'voice' });
    expect(error.issues[0]?.path).toBe('mode');
  });

  it('a hole in the targets list is refused, naming its position, like any target that is not a number', async () => {
    const targets = [PRIMARY, BACKUP, THIRD];
    delete (targets as unknown as Record<number, unknown>)[1];
    const error = await refusal({ targets });
    expect(error.issues).toEqual([{ path: 'targets.1', message: expect.stringMatching(/phone number/) }]);
  });

  it('a sparse list of more targets than allowed is refused at once, its holes not read one by one', async () => {
    const targets: string[] = [PRIMARY];
    targets.length = 2 ** 32 - 1;
    const error = await refusal({ targets });
    expect(error.issues[0]).toEqual({ path: 'targets', message: expect.stringMatching(/at most 20 targets/) });
  });

  it.each([null, '', 0])('a mode of %j is refused, not read as standard', async (mode) => {
    const error = await refusal({ targets: [PRIMARY], mode });
    expect(error.issues).toEqual([{ path: 'mode', message: "must be 'standard' or 'pin'" }]);
  });

  it.each([
    ['a top-level field', { targets: [PRIMARY], retries: 2 }, 'retries', ''],
    [
      'a timing field',
      { targets: [PRIMARY], timing: { inputTimeoutSeconds: 10 } },
      'timing.inputTimeoutSeconds',
      '; did you mean inputTimeoutMs?',
    ],
    ['a prompt', { targets: [PRIMARY], prompts: { greeting: 'Hi' } }, 'prompts.greeting', ''],
    ['a target field', { targets: [{ number: PRIMARY, ext: '12' }] }, 'targets.0.ext', ''],
    ['a speech field', { targets: [PRIMARY], speech: { accent: 'scouse' } }, 'speech.accent', ''],
    ['a misspelt field', { targets: [PRIMARY], fraudcode: '0' }, 'fraudcode', '; did you mean fraudCode?'],
  ])(
    'ISSUE rule: "unknown fields" → %s is refused, naming it (and the field meant, when close)',
    async (_name, request, path, meant) => {
      const error = await refusal(request);
      expect(error.issues).toEqual([{ path, message: `unknown field${meant}` }]);
      expect(error.message).toContain(path);
    },
  );

  it.each([
    ['a control character in a prompt', { prompts: { welcome: 'Hello\u0001 there.' } }, 'prompts.welcome'],
    ['a lone surrogate in a prompt', { prompts: { standard: { say: 'Press \ud800 pound.' } } }, 'prompts.standard'],
    ['U+FFFF in a prompt', { prompts: { pin: 'Your PIN\uffff' } }, 'prompts.pin'],
    [
      'a control character in a recording URL',
      { prompts: { approved: { play: 'https://x.test/a\u0007.mp3' } } },
      'prompts.approved',
    ],
    ['a line break in the voice', { speech: { voice: 'Polly.Joanna\n' } }, 'speech.voice'],
    ['a control character in the language', { speech: { language: 'en-US\u0000' } }, 'speech.language'],
  ])('%s is refused, naming it: no text-to-speech, and no TwiML, can carry it', async (_name, fields, path) => {
    const error = await refusal({ targets: [PRIMARY], ...fields });
    expect(error.issues).toEqual([{ path, message: expect.stringMatching(/character/) }]);
  });

  it('prompts may hold tabs and line breaks, and characters outside the basic plane', () => {
    const welcome = 'Hello.\n\tThis is your sign-in call \u{1F4DE}.\r\n';
    expect(normalizeVerificationRequest({ targets: [PRIMARY], prompts: { welcome } }).prompts.welcome).toBe(welcome);
  });

  it('ISSUE rule: a PIN slipped into the request is refused without echoing its value', async () => {
    const error = await refusal({ targets: [PRIMARY], pin: '739164' });
    expect(error.issues).toEqual([{ path: 'pin', message: 'unknown field' }]);
    expect(error.message).not.toContain('739164');
  });

  it('ISSUE rule: every problem is listed at once, not only the first', async () => {
    const error = await refusal(
      { targets: [], mode: 'pin', fraudCode: '00000', timing: { inputTimeoutMs: Number.NaN } },
      {},
    );
    expect(error.issues.map((i) => i.path).sort()).toEqual(['fraudCode', 'mode', 'targets', 'timing.inputTimeoutMs']);
  });

  it('ISSUE rule: a request that is not an object is refused', async () => {
    const error = await refusal(null);
    expect(error.message).toMatch(/must be an object/);
  });

  it.each([
    ['not a number', 'hello', 'callerId', /not a valid number/],
    ['too short', '+1 425', 'callerId', /not a valid number/],
    ['an extension', '+14255550000 x12', 'callerId', /cannot have an extension/],
    ['not a string', 42, 'callerId', /phone number/],
    ['a bad default', { default: 'x' }, 'callerId.default', /not a valid number/],
    ['a country key ISO spells otherwise', { byCountry: { UK: '+442079460000' } }, 'callerId.byCountry.UK', /use GB/],
    ['an unknown country key', { byCountry: { ZZ: '+442079460000' } }, 'callerId.byCountry.ZZ', /country code/],
    ['a bad number for a country', { byCountry: { GB: 'nope' } }, 'callerId.byCountry.GB', /not a valid number/],
    ['an unknown field', { defualt: '+14255550000' }, 'callerId.defualt', /unknown field/],
  ])(
    'a caller ID that the dialling policy would refuse (%s) is refused, naming it',
    async (_name, callerId, path, message) => {
      const error = await refusal({ targets: [PRIMARY], callerId });
      expect(error.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
    },
  );

  it('a caller ID is written in E.164, as the dialling policy writes it, and country keys in upper case', () => {
    expect(normalizeVerificationRequest({ targets: [PRIMARY], callerId: '+1 425 555 0000' }).callerId).toEqual({
      default: '+14255550000',
      byCountry: {},
    });
    const input = normalizeVerificationRequest({
      targets: [PRIMARY],
      callerId: { default: 'tel:+1-425-555-0000', byCountry: { gb: '+44 20 7946 0000' } },
    });
    expect(input.callerId).toEqual({ default: '+14255550000', byCountry: { GB: '+442079460000' } });
  });

  it.each([
    ['UK', /UK is not an ISO 3166-1 code: use GB/],
    ['uk', /UK is not an ISO 3166-1 code: use GB/],
    ['ZZ', /numbering plan/],
    ['', /numbering plan/],
    [42, /numbering plan/],
  ])('a default country with no numbering plan (%j) is refused, naming `defaultCountry`', async (country, message) => {
    const error = await refusal({ targets: [PRIMARY], defaultCountry: country });
    expect(error.issues).toEqual([{ path: 'defaultCountry', message: expect.stringMatching(message) }]);
  });

  it('a default country is accepted in any case and written in upper case', () => {
    expect(normalizeVerificationRequest({ targets: [PRIMARY], defaultCountry: ' gb' }).defaultCountry).toBe('GB');
  });

  it('SPEC rule: the defaults ("`ringTimeoutMs`, default 30 000", "`inputTimeoutMs`, default **10 000**", "`maxInvalidEntries` (default 3)", "`maxTotalMs`, default 180 000", "default `0#`") apply to a minimal request', () => {
    const input = normalizeVerificationRequest({ targets: [PRIMARY] });
    expect(input.timing).toMatchObject({
      ringTimeoutMs: 30_000,
      inputTimeoutMs: 10_000,
      maxInvalidEntries: 3,
      maxTotalMs: 180_000,
    });
    expect(input.mode).toBe('standard');
    expect(input.fraudCode).toBe('0');
    expect(input.inputTimeoutOwner).toBe('machine');
  });
});
