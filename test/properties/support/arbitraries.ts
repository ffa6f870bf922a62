/**
 * Generators of scenarios: random requests × callee scripts × fault plans.
 *
 * Two families:
 * - `anyScenario`: free timing, every script kind, optional faults and cancel;
 *   for invariants that hold whatever happens, and (fault-free) for the oracle.
 * - `gridScenario`: timing on a grid so that every callee action keeps a wide
 *   margin from every deadline; for comparing runs with and without faults.
 *
 * Keys are generated as templates (`P#` for "the PIN, then #") and filled in
 * once the scenario's PIN and fraud code are known, which keeps generation flat
 * and fast.
 */
import fc from 'fast-check';
import type {
  AnsweredBy,
  CalleeScript,
  FaultPlan,
  PromptResponse,
  ProviderCapabilities,
  SitKind,
} from '../../../src/index.js';
import { PREMIUM_RATE_PREFIX, type Scenario, type TargetSpec } from './scenario.js';

/** PINs whose digits cannot turn up by accident in ids, counts or clock readings (all below 10^7 ms here). */
export const PINS = ['7391648', '80264913', '9157320'] as const;

/** Numbers the library's number check refuses as written (too short, not a number, no country). */
export const INVALID_NUMBER_TEXTS = [
  '+1 42',
  'abc',
  '12345',
  '+0 425 555 0100',
  '++14255550100',
  '+1-425-555',
] as const;

const SIT_KINDS: SitKind[] = ['vacant-code', 'intercept', 'no-circuit', 'reorder', 'unknown'];
const ANSWERED_BY: AnsweredBy[] = ['human', 'machine', 'fax', 'unknown'];
/** Carrier failures whose codes the spec calls failures (5xx; Q.850 27, 34, 38, 41, 42). */
const FAILURE_SIP_CODES = [500, 502, 503, 504];
const FAILURE_Q850_CAUSES = [27, 34, 38, 41, 42];

const calleeNumber = (index: number): string => `+1425555010${index}`;
const blockedNumber = (index: number): string => `${PREMIUM_RATE_PREFIX}555010${index}`;

// ---------------------------------------------------------------------------
// Key templates. Placeholders: P the PIN, F the fraud code in force (or 0),
// X the PIN with one digit too many, S with one too few, M with its middle
// digit changed. Everything else is a key.
// ---------------------------------------------------------------------------

function fillKeys(template: string, pin: string, fraudCode: string | false | undefined): string {
  const middle = Math.floor(pin.length / 2);
  const changed = pin.slice(0, middle) + String((Number(pin[middle]) + 1) % 10) + pin.slice(middle + 1);
  const replacements: Record<string, string> = {
    P: pin,
    F: typeof fraudCode === 'string' ? fraudCode : '0',
    X: `${pin}5`,
    S: pin.slice(0, -1),
    M: changed,
  };
  return [...template].map((c) => replacements[c] ?? c).join('');
}

const garbageArb = fc.stringMatching(/^[0-9*]{1,5}$/);

/** One entry: at most one '#', at the end (or none: typed, then silence). */
const singleEntryTemplateArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constant('#') },
  { weight: 2, arbitrary: fc.constant('0#') },
  { weight: 1, arbitrary: fc.constant('F#') },
  { weight: 5, arbitrary: fc.constant('P#') },
  { weight: 3, arbitrary: fc.constantFrom('X#', 'S#', 'M#') },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9]{4,8}$/).map((w) => `${w}#`) },
  { weight: 2, arbitrary: garbageArb.map((g) => `${g}#`) },
  { weight: 2, arbitrary: garbageArb },
  { weight: 1, arbitrary: fc.constant('P') },
);

/** Keys that may hold two entries, e.g. `5#1#` or `##`: the later keys run into the re-prompt. */
const keysTemplateArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: singleEntryTemplateArb },
  { weight: 1, arbitrary: fc.tuple(singleEntryTemplateArb, singleEntryTemplateArb).map(([a, b]) => a + b) },
);

const anchorArb = fc.constantFrom('prompt-start' as const, 'prompt-end' as const);

/** Mostly short delays, sometimes long ones. */
const delayArb = (usual: number, longest: number): fc.Arbitrary<number> =>
  fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: usual }) }, fc.integer({ min: 0, max: longest }));

const responseArb: fc.Arbitrary<PromptResponse> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      press: keysTemplateArb,
      from: anchorArb,
      afterMs: delayArb(4_000, 20_000),
      keyGapMs: delayArb(400, 1_500),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ hangUp: fc.constant(true as const), from: anchorArb, afterMs: delayArb(6_000, 20_000) }),
  },
  { weight: 1, arbitrary: fc.constant({ silence: true as const }) },
);

const ringingArb = delayArb(8_000, 40_000);

const scriptArb: fc.Arbitrary<CalleeScript> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('answers' as const),
      answerAfterMs: ringingArb,
      responses: fc.array(responseArb, { maxLength: 3 }),
      detectedAs: fc.constantFrom(...ANSWERED_BY),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        kind: fc.constant('voicemail' as const),
        answerAfterMs: ringingArb,
        hangUpAfterMs: fc.integer({ min: 0, max: 60_000 }),
        detectedAs: fc.constantFrom(...ANSWERED_BY),
      },
      { requiredKeys: ['kind', 'answerAfterMs', 'detectedAs'] },
    ),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'busy' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sit' as const), sitKind: fc.constantFrom(...SIT_KINDS) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalid-number' as const }) },
  {
    weight: 1,
    arbitrary: fc.record(
      { kind: fc.constant('no-answer' as const), carrierGivesUpAfterMs: ringingArb },
      { requiredKeys: ['kind'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('declines' as const), afterMs: ringingArb }) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        kind: fc.constant('carrier-failure' as const),
        sipCode: fc.constantFrom(...FAILURE_SIP_CODES),
        q850Cause: fc.constantFrom(...FAILURE_Q850_CAUSES),
      },
      { requiredKeys: ['kind', 'sipCode'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('api-error' as const), providerCode: fc.constantFrom('21217', '13224') }),
  },
);

type TargetDraft =
  | { kind: 'called'; extension: string | null; script: CalleeScript }
  | { kind: 'invalid-text'; text: string }
  | { kind: 'blocked' };

function targetsArb(
  script: fc.Arbitrary<CalleeScript>,
  extension: fc.Arbitrary<string | null>,
): fc.Arbitrary<TargetDraft[]> {
  const target: fc.Arbitrary<TargetDraft> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('called' as const), extension, script }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('invalid-text' as const),
        text: fc.constantFrom(...INVALID_NUMBER_TEXTS),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'blocked' as const }) },
  );
  return fc.array(target, { minLength: 1, maxLength: 3 });
}

/** Numbers by position, and keys filled in. */
function finishTargets(
  drafts: TargetDraft[],
  fillScript: (script: CalleeScript, index: number) => CalleeScript,
): TargetSpec[] {
  return drafts.map((t, i): TargetSpec => {
    if (t.kind === 'called') {
      return { kind: 'called', number: calleeNumber(i), extension: t.extension, script: fillScript(t.script, i) };
    }
    if (t.kind === 'blocked') return { kind: 'blocked', number: blockedNumber(i) };
    return t;
  });
}

function mapResponses(script: CalleeScript, fn: (response: PromptResponse, index: number) => PromptResponse) {
  return script.kind === 'answers' ? { ...script, responses: (script.responses ?? []).map(fn) } : script;
}

/** Capabilities: the simulated default (prompt ends reported, machine-owned timer) or Twilio-like. */
const capabilitiesArb: fc.Arbitrary<Partial<ProviderCapabilities>> = fc
  .record({ twilioLike: fc.boolean(), machineDetection: fc.boolean(), reportsSitKinds: fc.boolean() })
  .map(({ twilioLike, machineDetection, reportsSitKinds }) => ({
    ...(twilioLike ? { enforcesInputTimeout: true, reportsPromptEnd: false } : {}),
    ...(machineDetection ? {} : { machineDetection: false }),
    ...(reportsSitKinds ? {} : { reportsSitKinds: false }),
  }));

const fraudCodeArb: fc.Arbitrary<string | false | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant(false as const),
  fc.constantFrom('0', '9', '42', '1234'),
);

/** Any fault plan, lost events included. */
export const anyFaultPlanArb: fc.Arbitrary<FaultPlan> = fc.record(
  {
    duplicate: fc.double({ min: 0, max: 0.5, noNaN: true }),
    delay: fc.double({ min: 0, max: 0.5, noNaN: true }),
    maxDelayMs: fc.integer({ min: 0, max: 5_000 }),
    reorderWindowMs: fc.integer({ min: 0, max: 5_000 }),
    drop: fc.double({ min: 0, max: 0.3, noNaN: true }),
    stale: fc.double({ min: 0, max: 0.5, noNaN: true }),
  },
  { requiredKeys: [] },
);

export interface AnyScenarioOptions {
  faults: 'none' | 'any';
  cancel: boolean;
  /** Only PIN mode, and PIN verifiers that may be unavailable (for the secrecy property). */
  pinModeOnly?: boolean;
}

/** Free scenarios: every kind of request, script, capability and (optionally) fault plan. */
export function anyScenario(options: AnyScenarioOptions): fc.Arbitrary<Scenario> {
  return fc
    .record({
      targets: targetsArb(
        scriptArb,
        fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, fc.constantFrom(',12345', '1234', ',,9', '#7')),
      ),
      mode:
        options.pinModeOnly === true
          ? fc.constant('pin' as const)
          : fc.constantFrom('standard' as const, 'pin' as const),
      pin: fc.constantFrom(...PINS),
      fraudCode: fraudCodeArb,
      timing: fc.record({
        inputTimeoutMs: fc.oneof(
          { weight: 3, arbitrary: fc.integer({ min: 3_000, max: 12_000 }) },
          fc.integer({ min: 1_000, max: 60_000 }),
        ),
        maxInvalidEntries: fc.integer({ min: 1, max: 5 }),
        ringTimeoutMs: fc.oneof(
          { weight: 3, arbitrary: fc.integer({ min: 10_000, max: 60_000 }) },
          fc.integer({ min: 1_000, max: 60_000 }),
        ),
        // Dial bound beyond the ring time: often the default; else short enough to cut ringing short, or to end a dial before the first ring.
        dialExtraMs: fc.oneof(
          { weight: 3, arbitrary: fc.constant(undefined) },
          fc.integer({ min: 0, max: 4_000 }),
          fc.integer({ min: 0, max: 60_000 }),
        ),
        maxTotalMs: fc.oneof(
          { weight: 4, arbitrary: fc.constant(undefined) },
          fc.integer({ min: 1_000, max: 400_000 }),
        ),
      }),
      answeringMachineDetection: fc.boolean(),
      capabilities: capabilitiesArb,
      segmentMs: fc.integer({ min: 200, max: 3_000 }),
      faults:
        options.faults === 'none'
          ? fc.constant(null)
          : fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: anyFaultPlanArb }),
      seed: fc.integer({ min: 1, max: 1_000_000 }),
      cancelAfterMs: options.cancel
        ? fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, fc.integer({ min: 0, max: 200_000 }))
        : fc.constant(null),
      pinVerifier:
        options.pinModeOnly === true
          ? fc.constantFrom('sync' as const, 'async' as const, 'unavailable' as const)
          : fc.constantFrom('sync' as const, 'async' as const),
    })
    .map(({ targets, segmentMs, timing, ...rest }): Scenario => {
      const fill = (response: PromptResponse): PromptResponse =>
        'press' in response ? { ...response, press: fillKeys(response.press, rest.pin, rest.fraudCode) } : response;
      return {
        ...rest,
        targets: finishTargets(targets, (script) => mapResponses(script, fill)),
        timing: {
          inputTimeoutMs: timing.inputTimeoutMs,
          maxInvalidEntries: timing.maxInvalidEntries,
          ringTimeoutMs: timing.ringTimeoutMs,
          ...(timing.dialExtraMs === undefined ? {} : { dialTimeoutMs: timing.ringTimeoutMs + timing.dialExtraMs }),
          ...(timing.maxTotalMs === undefined ? {} : { maxTotalMs: timing.maxTotalMs }),
        },
        carrier: { apiLatencyMs: 100, postDialDelayMs: 2_000, machineDetectionMs: 3_000, segmentMs },
      };
    });
}

// ---------------------------------------------------------------------------
// Grid scenarios.
//
// Every deadline and carrier delay is a multiple of GRID_MS measured from the
// dial or the answer, and every callee action starts half a grid step off it,
// within a burst of BURST_MS. So each callee action is at least
// GRID_MS / 2 - BURST_MS = 1 500 ms from every deadline in a fault-free run.
// A fault can move two competing events apart by at most one maximum delay
// per delivery in their causal chain (answer, extension digits, the machine
// verdict, and for each of up to two responses a key or prompt end and its
// timer: at most 7) plus the reorder window: 7 × 150 + 300 = 1 350 ms < 1 500 ms.
// So neither delays nor reordering can change which of two competing events
// comes first.
// The oracle measures the margin of every scenario, so a slip here fails loudly.
// ---------------------------------------------------------------------------

export const GRID_MS = 4_000;
const HALF_GRID_MS = GRID_MS / 2;
const BURST_MS = 500;
export const GRID_MAX_DELAY_MS = 150;
export const GRID_MAX_REORDER_MS = 300;
const GRID_MAX_RESPONSES = 2;
/** The margin every grid scenario keeps between competing events. */
export const GRID_MARGIN_MS = HALF_GRID_MS - BURST_MS;
/** The largest drift faults can cause between two competing events. */
export const GRID_FAULT_DRIFT_MS = (3 + 2 * GRID_MAX_RESPONSES) * GRID_MAX_DELAY_MS + GRID_MAX_REORDER_MS;

/** How long after a re-prompt starts a barge-in response may begin. */
const EARLIEST_REPROMPT_RESPONSE_MS = GRID_MS + HALF_GRID_MS;

/** Extensions that take exactly one grid step to send (a second per comma, 200 ms per key). */
const GRID_EXTENSIONS = [',,,12345', ',,1234567890'];

/** Off-grid times: half a step past a multiple of the grid. */
const offGrid = (maxSteps: number): fc.Arbitrary<number> =>
  fc.integer({ min: 0, max: maxSteps }).map((steps) => steps * GRID_MS + HALF_GRID_MS);

const gridResponseArb: fc.Arbitrary<PromptResponse> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      press: singleEntryTemplateArb,
      from: anchorArb,
      afterMs: offGrid(6),
      keyGapMs: fc.nat(BURST_MS),
    }),
  },
  { weight: 2, arbitrary: fc.record({ hangUp: fc.constant(true as const), from: anchorArb, afterMs: offGrid(6) }) },
  { weight: 1, arbitrary: fc.constant({ silence: true as const }) },
);

const gridScriptArb: fc.Arbitrary<CalleeScript> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('answers' as const),
      answerAfterMs: offGrid(8),
      responses: fc.array(gridResponseArb, { maxLength: GRID_MAX_RESPONSES }),
      detectedAs: fc.constantFrom(...ANSWERED_BY),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        kind: fc.constant('voicemail' as const),
        answerAfterMs: offGrid(8),
        hangUpAfterMs: offGrid(12),
        detectedAs: fc.constantFrom(...ANSWERED_BY),
      },
      { requiredKeys: ['kind', 'answerAfterMs', 'detectedAs'] },
    ),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'busy' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sit' as const), sitKind: fc.constantFrom(...SIT_KINDS) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalid-number' as const }) },
  {
    weight: 1,
    arbitrary: fc.record(
      { kind: fc.constant('no-answer' as const), carrierGivesUpAfterMs: offGrid(8) },
      { requiredKeys: ['kind'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('declines' as const), afterMs: offGrid(8) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('carrier-failure' as const),
      sipCode: fc.constantFrom(...FAILURE_SIP_CODES),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'api-error' as const, providerCode: '21217' }) },
);

export interface GridScenarioOptions {
  /**
   * Every callee action comes before the deadline that would cut it off in a
   * fault-free run, so that a deadline pushed back by a lost event reveals
   * nothing new.
   */
  actionsBeforeDeadlines: boolean;
  faults: fc.Arbitrary<FaultPlan>;
}

/** Scenarios on the grid (see above), without cancel, and with an overall deadline never reached. */
export function gridScenario(options: GridScenarioOptions): fc.Arbitrary<Scenario> {
  return fc
    .record({
      targets: targetsArb(gridScriptArb, fc.constant(null)),
      extension: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, fc.constantFrom(...GRID_EXTENSIONS)),
      mode: fc.constantFrom('standard' as const, 'pin' as const),
      pin: fc.constantFrom(...PINS),
      fraudCode: fraudCodeArb,
      inputSteps: fc.integer({ min: 1, max: 10 }),
      maxInvalidEntries: fc.integer({ min: 1, max: 4 }),
      // Never one grid step: that is when unanswered calls end.
      ringSteps: fc.integer({ min: 2, max: 15 }),
      answeringMachineDetection: fc.boolean(),
      capabilities: capabilitiesArb,
      faults: options.faults,
      seed: fc.integer({ min: 1, max: 1_000_000 }),
      pinVerifier: fc.constantFrom('sync' as const, 'async' as const),
    })
    .map(({ targets, extension, inputSteps, maxInvalidEntries, ringSteps, ...rest }): Scenario => {
      const inputTimeoutMs = inputSteps * GRID_MS;
      const fraudSegments = rest.fraudCode === false ? 0 : 1;
      const extensionMs = extension === null ? 0 : GRID_MS;
      const greetingMs = ((extension === null ? 0 : 1) + 2 + fraudSegments) * GRID_MS;
      const repromptMs = (2 + fraudSegments) * GRID_MS;
      /** The latest start of a response that still comes before its prompt's input deadline. */
      const latestStart = (response: PromptResponse, index: number): number => {
        if (!options.actionsBeforeDeadlines || 'silence' in response) return Number.POSITIVE_INFINITY;
        const promptMs = index === 0 ? greetingMs : repromptMs;
        return (response.from === 'prompt-start' ? promptMs : 0) + inputTimeoutMs - HALF_GRID_MS;
      };
      const onGrid = (response: PromptResponse, index: number): PromptResponse => {
        if ('silence' in response) return response;
        // A re-prompt starts off the grid (at a key), so its responses fall back on it: they start late
        // enough to keep clear of the answering-machine verdict, which is timed from the answer.
        const earliest = index === 0 || response.from !== 'prompt-start' ? 0 : EARLIEST_REPROMPT_RESPONSE_MS;
        const afterMs = Math.min(Math.max(response.afterMs ?? 0, earliest), latestStart(response, index));
        if ('hangUp' in response) return { ...response, afterMs };
        const press = fillKeys(response.press, rest.pin, rest.fraudCode);
        // The whole burst of keys fits in BURST_MS.
        const keyGapMs = press.length <= 1 ? 0 : Math.floor((response.keyGapMs ?? 0) / (press.length - 1));
        return { ...response, press, afterMs, keyGapMs };
      };
      const fillScript = (script: CalleeScript): CalleeScript => {
        if (script.kind === 'voicemail' && script.hangUpAfterMs !== undefined && options.actionsBeforeDeadlines) {
          const latest = extensionMs + greetingMs + inputTimeoutMs - HALF_GRID_MS;
          return { ...script, hangUpAfterMs: Math.min(script.hangUpAfterMs, latest) };
        }
        return mapResponses(script, onGrid);
      };
      const withExtension = targets.map((t) => (t.kind === 'called' ? { ...t, extension } : t));
      return {
        ...rest,
        targets: finishTargets(withExtension, fillScript),
        timing: {
          inputTimeoutMs,
          maxInvalidEntries,
          ringTimeoutMs: ringSteps * GRID_MS,
          maxTotalMs: 3_600_000,
          providerTimeoutGraceMs: 2 * GRID_MS,
        },
        carrier: { apiLatencyMs: 100, postDialDelayMs: GRID_MS - 100, machineDetectionMs: GRID_MS, segmentMs: GRID_MS },
        cancelAfterMs: null,
      };
    });
}

/** Faults that lose nothing: duplicates, delays, reordering and stale copies, within the grid's margin. */
export const losslessGridFaultsArb: fc.Arbitrary<FaultPlan> = fc.record({
  duplicate: fc.double({ min: 0, max: 0.6, noNaN: true }),
  delay: fc.double({ min: 0, max: 0.8, noNaN: true }),
  maxDelayMs: fc.integer({ min: 1, max: GRID_MAX_DELAY_MS }),
  reorderWindowMs: fc.integer({ min: 0, max: GRID_MAX_REORDER_MS }),
  stale: fc.double({ min: 0, max: 0.6, noNaN: true }),
});

/** Faults that lose events (and delay or duplicate others); no stale copies, so delivered keys can be counted per call. */
export const lossyGridFaultsArb: fc.Arbitrary<FaultPlan> = fc.record({
  drop: fc.double({ min: 0.1, max: 0.5, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.5, noNaN: true }),
  delay: fc.double({ min: 0, max: 0.5, noNaN: true }),
  maxDelayMs: fc.integer({ min: 0, max: GRID_MAX_DELAY_MS }),
  reorderWindowMs: fc.integer({ min: 0, max: GRID_MAX_REORDER_MS }),
});
