/**
 * Every options object the library takes refuses a name it does not know,
 * with a typed error that names it and the option it is likely a misspelling
 * of: a misspelt option would otherwise be ignored, and the default it leaves
 * in force can be the opposite of what the host wrote.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioAnalyser } from '../../src/audio/audioAnalyser.js';
import { InvalidAudioConfigurationError } from '../../src/audio/errors.js';
import { InvalidRequestError, VoiceMfaError } from '../../src/errors.js';
import { listedOptionNames, unknownOptionIssues } from '../../src/optionNames.js';
import { createAbuseGuard } from '../../src/phone/abuseGuard.js';
import { createNumberCheck } from '../../src/phone/createNumberCheck.js';
import { InvalidPhoneConfigurationError } from '../../src/phone/errors.js';
import { MemoryAbuseLimitStore } from '../../src/phone/memoryAbuseLimitStore.js';
import { InvalidSimulationError } from '../../src/providers/simulated/errors.js';
import { SimulatedCarrier } from '../../src/providers/simulated/simulatedCarrier.js';
import { createTwilioWebhookListener } from '../../src/providers/twilio/createTwilioWebhookListener.js';
import { createTwilioWebhookServer } from '../../src/providers/twilio/createTwilioWebhookServer.js';
import {
  TwilioVoiceProvider,
  type TwilioVoiceProviderOptions,
} from '../../src/providers/twilio/twilioVoiceProvider.js';
import { normalizeVerificationRequest } from '../../src/request/normalizeRequest.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import { createVerificationActor, createVerificationMachine } from '../../src/runtime/createVerificationActor.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import { createVerificationService } from '../../src/service/verificationService.js';
import { InvalidServiceConfigurationError, ResultTimeoutError } from '../../src/store/errors.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { PostgresVerificationStore } from '../../src/store/postgres/postgresStore.js';
import { SqliteVerificationStore } from '../../src/store/sqlite/sqliteStore.js';
import { errorOf } from '../support/errors.js';

const PRIMARY = '+14255550100';
const REQUEST = { targets: [PRIMARY] };
const TWILIO: TwilioVoiceProviderOptions = {
  accountSid: `AC${'0'.repeat(32)}`,
  authToken: 'token',
  publicBaseUrl: 'https://verify.example.com/twilio',
  calls: { create: async () => ({ sid: 'CA1' }), update: async () => ({}) },
};
const directory = mkdtempSync(path.join(tmpdir(), 'voice-mfa-options-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const carrier = () => new SimulatedCarrier({ clock: new VirtualClock({ autoAdvance: false }), numbers: {} });
const service = () => createVerificationService({ store: new MemoryVerificationStore(), provider: carrier() });

/** What is built with `options`, and closed when it holds something open. */
type Build = (options: Record<string, unknown>) => unknown;
const closing =
  (build: (options: Record<string, unknown>) => { close(): unknown }): Build =>
  async (options) => {
    await build(options).close();
  };

interface Case {
  name: string;
  build: Build;
  /** Options it is right to build with. */
  valid: Record<string, unknown>;
  /** One of them misspelt, and the name meant. */
  misspelt: [string, string];
  error: new (...args: never[]) => VoiceMfaError;
  code: 'INVALID_REQUEST' | 'INVALID_CONFIGURATION';
}

const CASES: Case[] = [
  {
    name: 'runVerification',
    build: (options) => runVerification(REQUEST, options as never),
    valid: { provider: carrier(), clock: new VirtualClock(), abuseGuard: undefined },
    misspelt: ['abuseguard', 'abuseGuard'],
    error: InvalidRequestError,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'createVerificationActor',
    build: (options) => createVerificationActor(REQUEST, options),
    valid: { verifyPin: () => true },
    misspelt: ['verifyPIN', 'verifyPin'],
    error: InvalidRequestError,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'createVerificationMachine',
    build: (options) => createVerificationMachine(options),
    valid: { dialingPolicy: { allowedCountries: ['US'] } },
    misspelt: ['dialingPolicies', 'dialingPolicy'],
    error: InvalidRequestError,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'normalizeVerificationRequest',
    build: (options) => normalizeVerificationRequest(REQUEST, options),
    valid: { startedAt: 5 },
    misspelt: ['startAt', 'startedAt'],
    error: InvalidRequestError,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'createVerificationService',
    build: closing((options) =>
      createVerificationService({ store: new MemoryVerificationStore(), provider: carrier(), ...options }),
    ),
    valid: { maskNumbers: true },
    misspelt: ['maskNumber', 'maskNumbers'],
    error: InvalidServiceConfigurationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'VerificationService.start',
    build: async (options) => {
      const started = service();
      try {
        await started.start(REQUEST, options);
      } finally {
        await started.close();
      }
    },
    valid: { userId: 'alice' },
    misspelt: ['userid', 'userId'],
    error: InvalidRequestError,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'VerificationService.waitForResult',
    build: async (options) => {
      const started = service();
      try {
        const { verificationId } = await started.start(REQUEST);
        // With no time to wait, it gives up at once: what counts is that it took the options.
        await started.waitForResult(verificationId, options).catch((error: unknown) => {
          if (!(error instanceof ResultTimeoutError)) throw error;
        });
      } finally {
        await started.close();
      }
    },
    valid: { timeoutMs: 0 },
    misspelt: ['timeout', 'timeoutMs'],
    error: InvalidRequestError,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'MemoryVerificationStore',
    build: (options) => new MemoryVerificationStore(options),
    valid: { clock: new VirtualClock() },
    misspelt: ['clok', 'clock'],
    error: InvalidServiceConfigurationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'SqliteVerificationStore',
    build: closing((options) => new SqliteVerificationStore({ path: path.join(directory, 'store.db'), ...options })),
    valid: { synchronous: 'normal' },
    misspelt: ['synchronus', 'synchronous'],
    error: InvalidServiceConfigurationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'PostgresVerificationStore',
    // Nothing connects: the pool opens its first connection on the first query.
    build: closing(
      (options) => new PostgresVerificationStore({ connectionString: 'postgres://127.0.0.1:1/none', ...options }),
    ),
    valid: { lockTimeoutMs: 1_000 },
    misspelt: ['lockTimeout', 'lockTimeoutMs'],
    error: InvalidServiceConfigurationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'createAbuseGuard',
    build: (options) => createAbuseGuard(options),
    valid: { pruneIntervalMs: 60_000 },
    misspelt: ['pruneInterval', 'pruneIntervalMs'],
    error: InvalidPhoneConfigurationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'MemoryAbuseLimitStore',
    build: (options) => new MemoryAbuseLimitStore(options),
    valid: { maxKeys: 10 },
    misspelt: ['maxkeys', 'maxKeys'],
    error: InvalidPhoneConfigurationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'createNumberCheck',
    build: (options) => createNumberCheck(options),
    valid: { blockedCountries: ['CU'] },
    misspelt: ['blockedCountry', 'blockedCountries'],
    error: InvalidPhoneConfigurationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'SimulatedCarrier',
    build: (options) => new SimulatedCarrier({ clock: new VirtualClock(), ...options }),
    valid: { seed: 7 },
    misspelt: ['sead', 'seed'],
    error: InvalidSimulationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'SimulatedCarrier audioAnalysis',
    build: (options) => new SimulatedCarrier({ clock: new VirtualClock(), audioAnalysis: options }),
    valid: { analyser: { answeringMachine: false } },
    misspelt: ['analyzer', 'analyser'],
    error: InvalidSimulationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'SimulatedCarrier capabilities',
    build: (options) => new SimulatedCarrier({ clock: new VirtualClock(), capabilities: options }),
    valid: { machineDetection: false },
    misspelt: ['machineDetecton', 'machineDetection'],
    error: InvalidSimulationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'createAbuseGuard rate limit',
    build: (options) => createAbuseGuard({ limits: { perUser: [{ max: 1, windowMs: 60_000, ...options }] } }),
    valid: { window: 'fixed' },
    misspelt: ['windw', 'window'],
    error: InvalidPhoneConfigurationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'VirtualClock',
    build: (options) => new VirtualClock(options),
    valid: { autoAdvance: false },
    misspelt: ['autoadvance', 'autoAdvance'],
    error: VoiceMfaError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'AudioAnalyser',
    build: (options) => new AudioAnalyser(options),
    valid: { dtmf: true },
    misspelt: ['dtfm', 'dtmf'],
    error: InvalidAudioConfigurationError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'TwilioVoiceProvider',
    build: (options) => new TwilioVoiceProvider({ ...TWILIO, ...options }),
    valid: { callsPerSecond: 2 },
    misspelt: ['callsPerSec', 'callsPerSecond'],
    error: VoiceMfaError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'TwilioVoiceProvider mediaStreams',
    build: (options) => new TwilioVoiceProvider({ ...TWILIO, mediaStreams: options }),
    valid: { startTimeoutMs: 5_000 },
    misspelt: ['startTimeout', 'startTimeoutMs'],
    error: VoiceMfaError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'createTwilioWebhookListener',
    build: (options) => createTwilioWebhookListener(new TwilioVoiceProvider(TWILIO), options),
    valid: { maxBodyBytes: 4_096 },
    misspelt: ['maxBodySize', 'maxBodyBytes'],
    error: VoiceMfaError,
    code: 'INVALID_CONFIGURATION',
  },
  {
    name: 'createTwilioWebhookServer',
    build: (options) => createTwilioWebhookServer(new TwilioVoiceProvider(TWILIO), options),
    valid: { headersTimeoutMs: 3_000, bodyReadTimeoutMs: 2_000 },
    misspelt: ['headersTimeout', 'headersTimeoutMs'],
    error: VoiceMfaError,
    code: 'INVALID_CONFIGURATION',
  },
];

describe('options a factory does not know', () => {
  it.each(CASES)('$name: builds with its own options, and refuses a misspelt one naming the one meant', async (c) => {
    expect(await errorOf(() => c.build(c.valid))).toBeNull();
    const [wrong, meant] = c.misspelt;
    const { [meant]: value = true, ...rest } = c.valid;
    const error = await errorOf(() => c.build({ ...rest, [wrong]: value }));
    expect(error).toBeInstanceOf(c.error);
    expect(error).toMatchObject({ code: c.code });
    expect((error as Error).message).toContain(`${wrong}: unknown option; did you mean ${meant}?`);
  });

  it('runVerification counts and places nothing for a misspelt option', async () => {
    const calls = carrier();
    const guarded = createAbuseGuard({ limits: { perUser: [{ max: 1, windowMs: 60_000 }] } });
    const refusal = await errorOf(() =>
      runVerification(REQUEST, { provider: calls, abuseGuard: guarded, userId: 'alice', maskNumber: false } as never),
    );
    expect(refusal).toBeInstanceOf(InvalidRequestError);
    expect(calls.calls).toEqual([]);
    // The user's one start in the window is still there to take.
    await expect(guarded.check({ userId: 'alice', numbers: [PRIMARY] })).resolves.toBeDefined();
  });
});

describe('what is said of unknown options', () => {
  it('a carrier reports as capabilities it knows, each true or false', () => {
    const build = () =>
      new SimulatedCarrier({
        clock: new VirtualClock(),
        capabilities: { machineDetection: 'no' as unknown as boolean },
      });
    expect(build).toThrow(InvalidSimulationError);
    expect(build).toThrow('capabilities.machineDetection: must be true or false');
  });

  it('an option the machine does not take is named once, not also checked as if it did', async () => {
    const error = (await errorOf(() => createVerificationMachine({ clock: {} } as never))) as InvalidRequestError;
    expect(error.issues.map((issue) => issue.path)).toEqual(['clock']);
  });

  it('the virtual clock names every unknown option, as the other factories do', () => {
    expect(() => new VirtualClock({ strat: 5, speed: 2 } as never)).toThrow(
      /strat: unknown option; did you mean start\?; speed: unknown option \(known: start, autoAdvance\)/,
    );
  });

  it('an empty option name is shown as one', () => {
    expect(() => new VirtualClock({ '': 1 } as never)).toThrow('"": unknown option');
  });

  it('a name far longer than every known one is refused without comparing it letter by letter', async () => {
    // Compared in full with each of the provider's nineteen names, a key this long takes tens of seconds and
    // gigabytes (past the test's time limit); a name is compared only when the lengths could be within reach.
    const key = 'x'.repeat(1_000_000);
    const error = await errorOf(() => new TwilioVoiceProvider({ ...TWILIO, [key]: 1 } as never));
    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION' });
    expect((error as Error).message).toContain('unknown option (known: accountSid,');
  });
});

describe('unknownOptionIssues', () => {
  const known = listedOptionNames(['maskNumbers', 'clock', 'onEvent']);

  it('names the known option a name differs from by case, or by a few edits for its length', () => {
    expect(unknownOptionIssues({ masknumbers: false, clok: 1, onEvnet: 2, maskNumb: 3 }, known)).toEqual([
      { path: 'masknumbers', message: 'unknown option; did you mean maskNumbers?' },
      { path: 'clok', message: 'unknown option; did you mean clock?' },
      { path: 'onEvnet', message: 'unknown option; did you mean onEvent?' },
      { path: 'maskNumb', message: 'unknown option; did you mean maskNumbers?' },
    ]);
  });

  it('lists every known option when none is close, under the path given', () => {
    expect(unknownOptionIssues({ retries: 3 }, known, 'limits')).toEqual([
      { path: 'limits.retries', message: 'unknown option (known: maskNumbers, clock, onEvent)' },
    ]);
  });

  it('does not take a short name for a misspelling of another short one', () => {
    // Two edits turn "id" into "on", as many as the name has letters: it is told the known ones instead.
    expect(unknownOptionIssues({ id: 1 }, listedOptionNames(['on'])).map((issue) => issue.message)).toEqual([
      'unknown option (known: on)',
    ]);
  });

  it('finds nothing to say of known names, or of names an object inherits', () => {
    const inherited = Object.create({ stray: 1 }) as Record<string, unknown>;
    inherited.clock = 1;
    expect(unknownOptionIssues(inherited, known)).toEqual([]);
    expect(unknownOptionIssues({ maskNumbers: true, onEvent: () => {} }, known)).toEqual([]);
  });
});
