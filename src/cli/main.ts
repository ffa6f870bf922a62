/**
 * The `voice-mfa` command: `demo` plays the demo scenarios on the simulated
 * carrier; `simulate` plays one scenario from flags or a JSON file.
 *
 * Conventions: `--help` prints usage to stdout and exits 0; `--version`
 * prints the package's version; mistakes go to stderr with exit status 2,
 * quoting what was typed; anything unexpected exits 1.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { VoiceMfaError } from '../errors.js';
import { type OutputFormat, parseFormat, parseSimulateArguments } from './args.js';
import { toMermaidSequence } from './mermaid.js';
import { playScenario, type ScenarioRun } from './scenario.js';
import { readScenarioFile } from './scenarioFile.js';
import { DEMO_SCENARIOS } from './scenarios.js';
import { formatTimeline, toTimeline } from './timeline.js';

const USAGE = `voice-mfa — phone-call verification on the simulated carrier (no account, no network)

Usage:
  voice-mfa demo [--format text|json|mermaid] [--show-numbers]
  voice-mfa simulate --target NUMBER[=CALLEE] [--target …] [options]
  voice-mfa simulate --file SCENARIO.json [--format text|json|mermaid] [--show-numbers]
  voice-mfa help [demo|simulate]
  voice-mfa --version

Run 'voice-mfa simulate --help' for callees and options.`;

const DEMO_USAGE = `Usage: voice-mfa demo [--format text|json|mermaid] [--show-numbers]

Plays the demo scenarios on the simulated carrier, on virtual time, and prints
each as a timeline.

Options:
  --format text|json|mermaid  how to print (default text)
  --show-numbers              print phone numbers in full (masked by default)
  -h, --help                  this help`;

const SIMULATE_USAGE = `Usage:
  voice-mfa simulate --target NUMBER[=CALLEE] [--target …] [options]
  voice-mfa simulate --file SCENARIO.json [--format text|json|mermaid] [--show-numbers]

Plays one verification on the simulated carrier, on virtual time, and prints it.
The first --target is the primary, the others are backups in order.

  -t, --target NUMBER[xEXT][=CALLEE]
      NUMBER  international (+14255550100), or national with --country
      xEXT    extension keyed after the answer; commas are one-second pauses (x,,1234)
      CALLEE  what the phone does, given once per number; without one the carrier says
              the number does not exist:
        voicemail | busy | no-answer | declines | invalid-number
        sit[:intercept|vacant-code|no-circuit|reorder|unknown]  tones the network signals
        intercept[:KIND]      a recording answers with these tones (KIND as for sit,
                              intercept by default); only --file with audioAnalysis hears them
        answers[:RESPONSE,…]  a response per prompt: keys (# 1234#), hangup or silence
        carrier-failure[:SIP] | api-error:CODE
        or a JSON callee script: '{"kind":"answers","answerAtMs":9000,"responses":[{"press":"#"}]}'

Options:
  --country CC            default country of national numbers (ISO 3166-1, e.g. GB)
  --mode standard|pin     default standard
  --pin DIGITS            the PIN the callee must enter, not the fraud code;
                          --pin alone means PIN mode
  --fraud-code DIGITS|off default 0
  --amd                   answering-machine detection
  --provider-timeout      the carrier times the input itself (from the prompt's end,
                          restarted by every key, stopped by #) and reports no prompt
                          end, as Twilio does; no other Twilio behaviour is modelled
  --faults JSON           random faults, e.g. '{"duplicate":0.3,"delay":0.3,"maxDelayMs":300,"stale":0.2}'
  --seed N                seed of the random faults (default 1)
  --name TEXT             the scenario's name in the output, on one line
  -f, --file FILE         a scenario file: { name, request, callees, pin?, faults?,
                          scriptedFaults?, seed?, capabilities?, audioAnalysis?,
                          cancelAfterMs? }
                          (examples/scenario.json in the repository); the other
                          scenario options do not apply
  --format text|json|mermaid  how to print (default text)
  --show-numbers          print phone numbers in full (masked by default)
  -h, --help              this help

Exit status: 0 when the simulation ran, whatever the verification's outcome;
2 for bad input.`;

const HELP: Readonly<Record<string, string>> = { demo: DEMO_USAGE, simulate: SIMULATE_USAGE };

/** Where the command writes: its output, and its complaints. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const CONSOLE: CliOutput = { stdout: (text) => console.log(text), stderr: (text) => console.error(text) };

/** A mistake in the command line, with what to run for help. */
class UsageError extends VoiceMfaError {
  constructor(
    message: string,
    readonly helpCommand: string,
  ) {
    super('INVALID_CONFIGURATION', message);
  }
}

/** `--help` or `-h` anywhere before a `--`. */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

async function packageVersion(): Promise<string> {
  // ../../package.json from both src/cli and dist/cli.
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

function render(runs: ScenarioRun[], format: OutputFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(
        runs.map((run) => ({ name: run.scenario.name, result: run.result, timeline: toTimeline(run) })),
        null,
        2,
      );
    case 'mermaid':
      return runs.map((run) => `%% ${run.scenario.name}\n${toMermaidSequence(run)}`).join('\n\n');
    case 'text':
      return runs.map(formatTimeline).join('\n\n');
  }
}

async function demo(argv: readonly string[]): Promise<string> {
  const { values } = parseArgs({
    args: [...argv],
    options: { format: { type: 'string' }, 'show-numbers': { type: 'boolean' } },
    strict: true,
  });
  const format = parseFormat(values.format);
  const maskNumbers = values['show-numbers'] !== true;
  const runs: ScenarioRun[] = [];
  for (const scenario of DEMO_SCENARIOS) runs.push(await playScenario(scenario, { maskNumbers }));
  return render(runs, format);
}

async function simulate(argv: readonly string[]): Promise<string> {
  const parsed = parseSimulateArguments(argv);
  const scenario = parsed.file === null ? parsed.scenario : await readScenarioFile(parsed.file);
  if (scenario === null) throw new VoiceMfaError('INVALID_CONFIGURATION', 'no scenario given');
  return render([await playScenario(scenario, { maskNumbers: !parsed.showNumbers })], parsed.format);
}

/** Runs a subcommand, turning its mistakes into usage errors that point at its help. */
async function subcommand(name: string, run: () => Promise<string>): Promise<string> {
  try {
    return await run();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (error instanceof VoiceMfaError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      throw new UsageError((error as Error).message, `voice-mfa ${name} --help`);
    }
    throw error;
  }
}

async function dispatch(command: string | undefined, rest: readonly string[], output: CliOutput): Promise<number> {
  switch (command) {
    case 'demo':
    case 'simulate': {
      if (wantsHelp(rest)) {
        output.stdout(HELP[command] ?? USAGE);
        return 0;
      }
      const run = command === 'demo' ? () => demo(rest) : () => simulate(rest);
      output.stdout(await subcommand(command, run));
      return 0;
    }
    case 'help':
    case '--help':
    case '-h': {
      const [topic] = rest;
      if (topic === undefined) output.stdout(USAGE);
      else if (HELP[topic] !== undefined) output.stdout(HELP[topic]);
      else throw new UsageError(`no help on ${JSON.stringify(topic)}: try demo or simulate`, 'voice-mfa --help');
      return 0;
    }
    case '--version':
    case '-v':
      output.stdout(`voice-mfa ${await packageVersion()}`);
      return 0;
    case undefined:
      output.stderr(USAGE);
      return 2;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`, 'voice-mfa --help');
  }
}

/**
 * Runs the command line and returns the exit status: 0 on success (and for
 * `--help`), 2 for a mistake in the input, 1 for anything unexpected.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['demo']);
 * ```
 */
export async function main(argv: readonly string[], output: CliOutput = CONSOLE): Promise<number> {
  const [command, ...rest] = argv;
  try {
    return await dispatch(command, rest, output);
  } catch (error) {
    if (error instanceof UsageError) {
      output.stderr(`voice-mfa: ${error.message}\nRun '${error.helpCommand}' for usage.`);
      return 2;
    }
    output.stderr(
      `voice-mfa: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
}
