import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCallee, parseSimulateArguments } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';
import { toMermaidSequence } from '../../src/cli/mermaid.js';
import { playScenario } from '../../src/cli/scenario.js';
import { DEMO_SCENARIOS } from '../../src/cli/scenarios.js';
import { formatTimeline, toTimeline } from '../../src/cli/timeline.js';
import { VoiceMfaError } from '../../src/index.js';
import { CALLEE_SCRIPT_KINDS } from '../../src/providers/simulated/scripts.js';

async function run(argv: string[]): Promise<{ code: number; output: string; errors: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text) });
  return { code, output: stdout.join('\n'), errors: stderr.join('\n') };
}

/** A scenario file holding `scenario` as JSON, in a directory of its own. */
async function scenarioFile(scenario: unknown): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'voice-mfa-')), 'scenario.json');
  await writeFile(file, JSON.stringify(scenario));
  return file;
}

describe('voice-mfa demo', () => {
  it('plays every scenario to the status its story promises', async () => {
    const expected: Record<string, string> = {
      'The callee presses # and is verified': 'approved',
      'The callee hangs up during the greeting: an intentional denial, no rollover': 'denied',
      'Voicemail answers, 10 s of silence after the greeting, the backup approves': 'approved',
      'Busy signal, the backup approves': 'approved',
      'Tri-tones (number disconnected), the backup approves': 'approved',
      'A disconnected number answered by its intercept recording: the tri-tones heard in the audio, the backup approves':
        'approved',
      'An invalid primary number is never dialled, the backup approves': 'approved',
      'A premium-rate backup is refused by the dialling policy and never dialled': 'approved',
      'Every number unreachable': 'unreachable',
      'PIN mode: the right PIN then #': 'approved',
      'PIN mode: a wrong PIN three times': 'denied',
      'The callee reports fraud with 0#': 'fraud',
      'An office number with an extension (two seconds of pause, then 1234)': 'approved',
      'Answering-machine detection hangs up on voicemail at once': 'approved',
    };
    for (const scenario of DEMO_SCENARIOS) {
      const run = await playScenario(scenario);
      expect([scenario.name, run.result.status]).toEqual([scenario.name, expected[scenario.name]]);
    }
  });

  it('the seed story reads as a timeline with the rollover explained', async () => {
    const seed = DEMO_SCENARIOS.find((s) => s.name.startsWith('Voicemail answers'));
    if (seed === undefined) throw new Error('the seed scenario is missing');
    const text = formatTimeline(await playScenario(seed));
    expect(text).toMatch(
      /t=\d+\.\d{3}s\s+primary: no-response — no input for 10 s after the greeting → rollover to backup 1/,
    );
    expect(text).toContain('final status: APPROVED (pound-key)');
  });

  it('the premium-rate backup is never dialled', async () => {
    const scenario = DEMO_SCENARIOS.find((s) => s.name.startsWith('A premium-rate backup'));
    if (scenario === undefined) throw new Error('the premium-rate scenario is missing');
    const run = await playScenario(scenario);
    expect(run.calls.map((c) => c.to)).toEqual(['+14255550100', '+14255550102']);
    expect(run.result.attempts[1]).toMatchObject({ result: 'blocked-number', rule: 'premium-rate' });
  });

  it('the timeline never prints a callee number in full', async () => {
    for (const scenario of DEMO_SCENARIOS) {
      const text = formatTimeline(await playScenario(scenario));
      expect(text).not.toMatch(/\+\d{8,}/);
    }
  });

  it('the hang-up scenario never dials the backup', async () => {
    const scenario = DEMO_SCENARIOS.find((s) => s.name.startsWith('The callee hangs up'));
    if (scenario === undefined) throw new Error('the hang-up scenario is missing');
    const run = await playScenario(scenario);
    expect(run.calls).toHaveLength(1);
  });

  it('runs from the command line and exits 0', async () => {
    const { code, output } = await run(['demo']);
    expect(code).toBe(0);
    expect(output.match(/^▶ /gm)).toHaveLength(DEMO_SCENARIOS.length);
  });

  it('timeline entries are in time order', async () => {
    for (const scenario of DEMO_SCENARIOS) {
      const times = toTimeline(await playScenario(scenario)).map((e) => e.atMs);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });
});

describe('voice-mfa simulate', () => {
  it('plays one scenario from flags', async () => {
    const { code, output } = await run([
      'simulate',
      '--target',
      '+14255550100=busy',
      '--target',
      '+14255550101=answers:#',
    ]);
    expect(code).toBe(0);
    expect(output).toContain('primary: busy');
    expect(output).toContain('final status: APPROVED');
  });

  it('plays PIN mode from flags without printing the PIN', async () => {
    const { output } = await run([
      'simulate',
      '--target',
      '+14255550100=answers:111111#,739164#',
      '--mode',
      'pin',
      '--pin',
      '739164',
      '--format',
      'json',
    ]);
    const [first] = JSON.parse(output) as { result: { status: string } }[];
    expect(first?.result.status).toBe('approved');
    expect(output).not.toContain('739164');
  });

  it('reads a scenario file', async () => {
    const file = await scenarioFile({
      name: 'from a file',
      request: { targets: ['+14255550100'] },
      callees: { '+14255550100': { kind: 'answers', responses: [{ press: '0#' }] } },
    });
    const { code, output } = await run(['simulate', '--file', file]);
    expect(code).toBe(0);
    expect(output).toContain('final status: FRAUD');
  });

  it('a scenario file may listen to the audio, with true or false only', async () => {
    const file = await scenarioFile({});
    const scenario = {
      request: { targets: ['+14255550100', '+14255550101'] },
      callees: {
        '+14255550100': { kind: 'intercept' },
        '+14255550101': { kind: 'answers', responses: [{ press: '#' }] },
      },
    };
    await writeFile(file, JSON.stringify({ ...scenario, audioAnalysis: true }));
    const heard = await run(['simulate', '--file', file]);
    expect(heard.code).toBe(0);
    expect(heard.output).toContain('primary: sit:intercept');
    await writeFile(file, JSON.stringify({ ...scenario, audioAnalysis: 'yes' }));
    const refused = await run(['simulate', '--file', file]);
    expect(refused.code).toBe(2);
    expect(refused.errors).toContain('audioAnalysis: must be true or false');
  });

  it('prints a Mermaid sequence diagram', async () => {
    const { output } = await run(['simulate', '--target', '+14255550100=answers:#', '--format', 'mermaid']);
    expect(output).toMatch(/^%% .*\nsequenceDiagram\n {2}participant V as voice-mfa\n {2}participant C as carrier\n/);
    expect(output).toContain('V->>C:');
    expect(output).toContain('C-->>V:');
    // '#' and ';' are Mermaid syntax inside messages and must be escaped.
    for (const line of output.split('\n').slice(4)) expect(line.replace(/#\d+;|#quot;/g, '')).not.toMatch(/[#;]/);
  });

  it('a number given a callee twice is refused, instead of the second callee silently replacing the first', async () => {
    expect(() =>
      parseSimulateArguments(['--target', '+14255550100=answers:#', '--target', '+1 425 555 0100=busy']),
    ).toThrow(/--target "\+1 425 555 0100=busy": the callee of \+14255550100 was given already/);
    const { code, errors } = await run(['simulate', '-t', '+14255550100=answers:#', '-t', '+14255550100=busy']);
    expect(code).toBe(2);
    expect(errors).toContain('the callee of +14255550100 was given already');
    // Called twice, with its callee given once: both calls follow it.
    const twice = parseSimulateArguments(['--target', '+14255550100=busy', '--target', '+14255550100']);
    expect(twice.scenario?.request.targets).toHaveLength(2);
    expect(twice.scenario?.callees).toEqual({ '+14255550100': { kind: 'busy' } });
  });

  it('a PIN equal to the fraud code is refused: the callee typing it would report fraud', async () => {
    const pinZero = ['--target', '+14255550100=answers:0#', '--pin', '0'];
    expect(() => parseSimulateArguments(pinZero)).toThrow(/--pin "0": is the fraud code \(0, the default\)/);
    expect(() => parseSimulateArguments([...pinZero, '--fraud-code', '0'])).toThrow(/is the fraud code \(0\)/);
    expect(parseSimulateArguments([...pinZero, '--fraud-code', '9']).scenario?.pin).toBe('0');
    expect(parseSimulateArguments([...pinZero, '--fraud-code', 'off']).scenario?.pin).toBe('0');
    // A PIN that only starts with the fraud code is judged as a PIN: the fraud code is the whole entry.
    const longer = await run(['simulate', '--target', '+14255550100=answers:0123#', '--pin', '0123']);
    expect(longer.output).toContain('final status: APPROVED');

    const file = await scenarioFile({
      request: { targets: ['+14255550100'], mode: 'pin', fraudCode: '42' },
      callees: { '+14255550100': { kind: 'answers', responses: [{ press: '42#' }] } },
      pin: '42',
    });
    const refused = await run(['simulate', '--file', file]);
    expect(refused.code).toBe(2);
    expect(refused.errors).toContain('pin: is the fraud code (42)');
  });

  it('a name that is not one line is refused, so that it cannot break the Mermaid output', async () => {
    const target = ['--target', '+14255550100=answers:#'];
    expect(() => parseSimulateArguments([...target, '--name', 'x\ny'])).toThrow(
      /--name "x\\ny": must be one line, without control characters/,
    );
    expect(parseSimulateArguments([...target, '--name', 'one line']).scenario?.name).toBe('one line');
    const file = await scenarioFile({
      name: 'x\r\nsequenceDiagram',
      request: { targets: ['+14255550100'] },
      callees: { '+14255550100': { kind: 'busy' } },
    });
    const refused = await run(['simulate', '--file', file, '--format', 'mermaid']);
    expect(refused.code).toBe(2);
    expect(refused.output).toBe('');
    expect(refused.errors).toContain('name: must be one line, without control characters');
  });

  it('a prompt holding line breaks stays on its line of the timeline and of the diagram', async () => {
    const file = await scenarioFile({
      request: { targets: ['+14255550100'], prompts: { welcome: 'Hello.\rNote over V: injected\nsecond line' } },
      callees: { '+14255550100': { kind: 'answers', responses: [{ press: '#' }] } },
    });
    const text = await run(['simulate', '--file', file]);
    expect(text.code).toBe(0);
    expect(text.output).toContain('play greeting: "Hello. Note over V: injected second line');
    const diagram = await run(['simulate', '--file', file, '--format', 'mermaid']);
    expect(diagram.code).toBe(0);
    expect(diagram.output).not.toMatch(/\r/);
    expect(diagram.output.split('\n').filter((line) => line.trimStart().startsWith('Note over V: injected'))).toEqual(
      [],
    );
  });

  it('a scenario file that gives one number two callees, written two ways, is refused, naming both keys', async () => {
    const callees = {
      '+14255550100': { kind: 'answers', responses: [{ press: '#' }] },
      '+1 425-555-0100': { kind: 'busy' },
    };
    const file = await scenarioFile({ request: { targets: ['+14255550100'] }, callees });
    const { code, output, errors } = await run(['simulate', '--file', file]);
    expect(code).toBe(2);
    expect(output).toBe('');
    expect(errors).toContain('the same number as the key "+14255550100": a number has one callee');
  });

  it('a callee script nested too deeply is a usage error with a clear message, not a stack trace', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const { code, errors } = await run([
      'simulate',
      '--target',
      `+14255550100={"kind":"answers","detectedAs":${deep}}`,
    ]);
    expect(code).toBe(2);
    expect(errors).toContain(
      'detectedAs: must be one of human, machine, fax, unknown, got a list that cannot be shown',
    );
    expect(errors).not.toContain('RangeError');
  });

  it('a request that is no object is reported at the path request', async () => {
    const file = await scenarioFile({ request: 'x', callees: {} });
    const { code, errors } = await run(['simulate', '--file', file]);
    expect(code).toBe(2);
    expect(errors).toContain('\n  request: the request must be an object');
    expect(errors).not.toContain('request.:');
  });

  it('a missing scenario file is a clear error', async () => {
    const { code, output, errors } = await run(['simulate', '--file', '/nonexistent/scenario.json']);
    expect(code).toBe(2);
    expect(output).toBe('');
    expect(errors).toContain('cannot read /nonexistent/scenario.json');
  });
});

describe('callee shorthand', () => {
  it.each([
    ['voicemail', { kind: 'voicemail' }],
    ['busy', { kind: 'busy' }],
    ['sit:intercept', { kind: 'sit', sitKind: 'intercept' }],
    ['intercept', { kind: 'intercept' }],
    ['intercept:vacant-code', { kind: 'intercept', sitKind: 'vacant-code' }],
    ['answers:#', { kind: 'answers', responses: [{ press: '#' }] }],
    ['answers:1111#,hangup', { kind: 'answers', responses: [{ press: '1111#' }, { hangUp: true }] }],
    ['carrier-failure:502', { kind: 'carrier-failure', sipCode: 502 }],
    ['api-error:21217', { kind: 'api-error', providerCode: '21217' }],
    ['{"kind":"no-answer","carrierGivesUpAfterMs":5000}', { kind: 'no-answer', carrierGivesUpAfterMs: 5000 }],
  ])('%s', (spec, expected) => {
    expect(parseCallee(spec)).toEqual(expected);
  });

  it('the help and the unknown-callee message name every kind of callee the shorthand reads', async () => {
    const spelling: Record<(typeof CALLEE_SCRIPT_KINDS)[number], string> = {
      answers: 'answers[:',
      voicemail: 'voicemail',
      busy: 'busy',
      sit: 'sit[:',
      intercept: 'intercept[:',
      'invalid-number': 'invalid-number',
      'no-answer': 'no-answer',
      declines: 'declines',
      'carrier-failure': 'carrier-failure[:',
      'api-error': 'api-error:',
    };
    const help = (await run(['simulate', '--help'])).output;
    const unknown = (await run(['simulate', '--target', '+14255550100=bogus'])).errors;
    for (const kind of CALLEE_SCRIPT_KINDS) {
      expect(help).toContain(spelling[kind]);
      expect(unknown).toContain(spelling[kind]);
    }
  });

  it.each([
    'sit:purple',
    'intercept:purple',
    'answers:12x',
    'carrier-failure:200',
    'api-error',
    '{oops',
    // A detail a kind does not take, and SIP codes that are not three digits, would be read otherwise than meant.
    'no-answer:5000',
    'declines:1000',
    'busy:unsignalled',
    'voicemail:30000',
    'invalid-number:',
    'carrier-failure:0x1f5',
    'carrier-failure:5e2',
  ])('refuses %s', (spec) => {
    expect(() => parseCallee(spec)).toThrow(VoiceMfaError);
  });

  it('reads an extension written after x', () => {
    const parsed = parseSimulateArguments(['--target', '+14255550100x,,1234=answers:#']);
    expect(parsed.scenario?.request.targets).toEqual([{ number: '+14255550100', extension: ',,1234' }]);
  });

  it('renders a run as Mermaid with one line per timeline entry', async () => {
    const run = await playScenario(DEMO_SCENARIOS[0] as (typeof DEMO_SCENARIOS)[number]);
    expect(toMermaidSequence(run).split('\n')).toHaveLength(3 + toTimeline(run).length);
  });
});
