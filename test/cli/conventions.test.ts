import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (text) => out.push(text), stderr: (text) => err.push(text) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const packageJson = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

async function scenarioFile(content: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'voice-mfa-'));
  const file = join(dir, 'my-scenario.json');
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('help and version follow the usual conventions', () => {
  it.each([['--help'], ['-h'], ['help']])('%s prints the usage to stdout and exits 0', async (flag) => {
    const { code, stdout, stderr } = await run([flag]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('voice-mfa simulate --target NUMBER[=CALLEE]');
    expect(stdout).toContain('voice-mfa --version');
  });

  it.each([
    [['simulate', '--help']],
    [['simulate', '-h']],
    [['simulate', '--target', 'hello', '--help']],
    [['help', 'simulate']],
  ])('%j prints the simulate usage to stdout and exits 0', async (argv) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const option of ['--target', '--country', '--pin', '--faults', '--file', '--show-numbers', '--help']) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toContain('--pin alone means PIN mode');
  });

  it.each([[['demo', '--help']], [['help', 'demo']]])('%j prints the demo usage and exits 0', async (argv) => {
    const { code, stdout } = await run(argv);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: voice-mfa demo/);
    expect(stdout).toContain('--show-numbers');
  });

  it.each([['--version'], ['-v']])('%s prints the version of package.json', async (flag) => {
    const { code, stdout, stderr } = await run([flag]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toBe(`voice-mfa ${packageJson.version}`);
  });

  it('no command prints the usage to stderr and exits 2', async () => {
    const { code, stdout, stderr } = await run([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage:');
  });

  it('an unknown command is named on stderr with where to find help', async () => {
    const { code, stdout, stderr } = await run(['simulat']);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toBe(`voice-mfa: unknown command "simulat"\nRun 'voice-mfa --help' for usage.`);
  });
});

describe('bad input: stderr, exit 2, the input quoted back as typed', () => {
  const T = '+14255550100';
  it.each<[string[], string]>([
    [['simulate'], 'give at least one --target NUMBER[=CALLEE], or --file SCENARIO.json'],
    [['simulate', '--bogus'], "Unknown option '--bogus'"],
    [['simulate', '--target', 'hello'], '--target "hello": "hello" is not a phone number: expected digits'],
    [
      ['simulate', '--target', '+1425=answrs'],
      '--target "+1425=answrs": "+1425" is not a phone number: too few digits',
    ],
    [['simulate', '--target', '+1425=busy'], '"+1425" is not a phone number'],
    [['simulate', '--target', `${T}=answrs`], `--target "${T}=answrs": unknown callee "answrs"`],
    [['simulate', '--target', `${T}=sit:purple`], 'SIT kind "purple": must be one of'],
    [['simulate', '--target', `${T}=answers:12x`], '"12x" is not a response'],
    [
      ['simulate', '--target', `${T}={"kind":"answers","answerAfterMs":1000,"answerAtMs":9000}`],
      'give answerAfterMs (from the first ring) or answerAtMs (from the dial), not both',
    ],
    [['simulate', '--target', `${T}={"kind":"bussy"}`], 'kind: must be one of answers'],
    [
      ['simulate', '--target', '07400 123456=answers:#'],
      'no default country was given (INVALID_COUNTRY); add --country CC',
    ],
    [
      ['simulate', '--target', T, '--country', 'XX'],
      '--country: must be an ISO 3166-1 alpha-2 country code with a numbering plan, got "XX"',
    ],
    [['simulate', '--target', T, '--country', 'UK'], '--country: UK is not an ISO 3166-1 code: use GB'],
    [['simulate', '--target', `${T}=answers:4821#`, '--mode', 'pin'], '--mode pin needs --pin DIGITS'],
    [['simulate', '--target', T, '--mode', 'PIN'], '--mode "PIN": must be standard or pin'],
    [['simulate', '--target', T, '--mode', 'standard', '--pin', '4821'], '--pin is for PIN mode'],
    [['simulate', '--target', T, '--pin', '48a1'], '--pin "48a1": must be 1–32 digits (0–9)'],
    [['simulate', '--target', T, '--fraud-code', '12345'], '--fraud-code "12345": must be 1–4 digits, or off'],
    [['simulate', '--target', T, '--seed', '1.5'], '--seed "1.5": must be an integer'],
    [['simulate', '--target', T, '--format', 'pdf'], '--format "pdf": must be one of text, json, mermaid'],
    [
      ['simulate', '--target', T, '--faults', '{"duplicate":2}'],
      `--faults '{"duplicate":2}': duplicate: must be a finite number from 0 to 1, got 2`,
    ],
    [['simulate', '--target', T, '--faults', '{"dupliate":0.5}'], 'dupliate: unknown field'],
    [
      ['simulate', '--target', T, '--faults', '{"delay":0.5,"maxDelayMs":-1}'],
      'maxDelayMs: must be a finite number from 0',
    ],
    [['simulate', '--target', T, '--faults', '[1]'], 'a fault plan must be an object'],
    [['simulate', '--target', T, '--faults', '{duplicate'], `--faults "{duplicate": not valid JSON`],
    [
      ['simulate', '--file', 'x.json', '--target', T, '--seed', '2'],
      '--file holds the whole scenario: leave out --target, --seed',
    ],
    [['demo', '--format', 'pdf'], '--format "pdf"'],
  ])('%j', async (argv, expected) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(expected);
    expect(stderr).toMatch(new RegExp(`^voice-mfa: [^]*\\nRun 'voice-mfa ${argv[0]} --help' for usage\\.$`));
    // What the person typed comes back as typed, never masked.
    expect(stderr).not.toContain('•••');
  });
});

describe('choices of simulate', () => {
  it('--pin alone means PIN mode', async () => {
    const { code, stdout } = await run(['simulate', '--target', '+14255550100=answers:4821#', '--pin', '4821']);
    expect(code).toBe(0);
    expect(stdout).toContain('verification started: 1 target, pin mode');
    expect(stdout).toContain('final status: APPROVED (pin)');
  });

  it('--country sets the default country of the request, so national numbers work', async () => {
    const { code, stdout } = await run([
      'simulate',
      '--country',
      'gb',
      '--target',
      '07400 123456=busy',
      '--target',
      '020 7946 0000=answers:#',
      '--format',
      'json',
    ]);
    expect(code).toBe(0);
    const [first] = JSON.parse(stdout) as { result: { status: string; attempts: { result: string }[] } }[];
    expect(first?.result.status).toBe('approved');
    expect(first?.result.attempts.map((a) => a.result)).toEqual(['busy', 'approved']);
  });

  it('a number without a callee exists nowhere on the simulated carrier', async () => {
    const { code, stdout } = await run(['simulate', '--target', '+14255550100']);
    expect(code).toBe(0);
    expect(stdout).toContain('primary: invalid-number — the number does not exist');
  });
});

describe('phone numbers in the output are masked unless --show-numbers', () => {
  const argv = ['simulate', '--target', '+14255550100=busy', '--target', '+14255550101=answers:#'];

  it.each(['text', 'json', 'mermaid'])('--format %s masks every number', async (format) => {
    const { code, stdout } = await run([...argv, '--format', format]);
    expect(code).toBe(0);
    expect(stdout).toContain('+1 425 ••• 0101');
    expect(stdout).not.toMatch(/4255550\d{3}/);
  });

  it.each(['text', 'json', 'mermaid'])('--format %s --show-numbers prints them in full', async (format) => {
    const { stdout } = await run([...argv, '--format', format, '--show-numbers']);
    expect(stdout).toContain('+14255550101');
    expect(stdout).not.toContain('•••');
  });

  it('the demo masks too, and shows numbers on request', async () => {
    expect((await run(['demo'])).stdout).not.toMatch(/4255550\d{3}/);
    expect((await run(['demo', '--show-numbers'])).stdout).toContain('+14255550100');
  });
});

describe('scenario files', () => {
  it('examples/scenario.json runs through the command line', async () => {
    const { code, stdout, stderr } = await run(['simulate', '--file', 'examples/scenario.json', '--format', 'json']);
    expect([code, stderr]).toEqual([0, '']);
    const [first] = JSON.parse(stdout) as {
      name: string;
      result: { status: string; reason: string; attempts: { result: string }[]; ignoredEvents: { duplicate: number } };
    }[];
    expect(first?.name).toBe('Voicemail on the primary; the backup gets the PIN right on the second try');
    expect(first?.result).toMatchObject({ status: 'approved', reason: 'pin' });
    expect(first?.result.attempts.map((a) => a.result)).toEqual(['no-response', 'approved']);
    // Its scripted fault: the backup's answer arrives twice.
    expect(first?.result.ignoredEvents.duplicate).toBe(1);
    expect(stdout).not.toContain('4821');
  });

  it('an invalid file is reported with its name and the path of every bad field', async () => {
    const file = await scenarioFile({
      name: 'broken',
      request: { targets: ['+14255550100', 42], mode: 'pin' },
      callees: { '+14255550101': { kind: 'bussy' }, '+1425': { kind: 'busy' } },
      scriptedFaults: [{ match: { event: 'call.answerd' }, action: 'drop' }],
      faults: { duplicate: 2 },
      seeds: 3,
    });
    const { code, stdout, stderr } = await run(['simulate', '--file', file]);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toContain(`voice-mfa: ${file} is not a valid scenario:\n`);
    for (const line of [
      '  seeds: unknown field',
      '  request.targets.1: a target must be a phone number string or { number, extension? }',
      '  pin: PIN mode needs the PIN the callee must enter',
      '  callees.+14255550101.kind: must be one of answers, voicemail',
      '  callees.+1425: the key is not a phone number: too few digits',
      '  faults.duplicate: must be a finite number from 0 to 1, got 2',
      '  scriptedFaults.0.match.event: must be one of call.dialed',
    ]) {
      expect(stderr).toContain(line);
    }
    expect(stderr).not.toContain('•••');
  });

  it('a file that is not JSON says so, with its name', async () => {
    const file = await scenarioFile('{ "name": ');
    const { code, stderr } = await run(['simulate', '--file', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`cannot read ${file}: not valid JSON`);
  });

  it('a PIN without PIN mode is an error in a file', async () => {
    const file = await scenarioFile({ request: { targets: ['+14255550100'] }, callees: {}, pin: '4821' });
    const { stderr } = await run(['simulate', '--file', file]);
    expect(stderr).toContain('  pin: is only used in PIN mode: set request.mode to "pin"');
  });

  it('callees may be written nationally with the request default country; the name defaults to the file name', async () => {
    const file = await scenarioFile({
      request: { targets: ['07400 123456'], defaultCountry: 'GB' },
      callees: { '07400 123456': { kind: 'answers', answerAtMs: 5_000, responses: [{ press: '#' }] } },
    });
    const { code, stdout } = await run(['simulate', '--file', file]);
    expect(code).toBe(0);
    expect(stdout).toContain('▶ my-scenario.json');
    expect(stdout).toContain('t=5.000s    answered');
    expect(stdout).toContain('final status: APPROVED');
  });
});
