/**
 * The `voice-mfa` command: `demo` plays the seed's scenarios on the simulated
 * carrier; `simulate` plays one scenario from flags or a JSON file.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { VoiceMfaError } from '../errors.js';
import { type OutputFormat, parseFormat, parseSimulateArguments } from './args.js';
import { toMermaidSequence } from './mermaid.js';
import { playScenario, type Scenario, type ScenarioRun } from './scenario.js';
import { DEMO_SCENARIOS } from './scenarios.js';
import { formatTimeline, toTimeline } from './timeline.js';

const USAGE = `voice-mfa — phone-call verification on the simulated carrier (no account, no network)

Usage:
  voice-mfa demo [--format text|json|mermaid]
  voice-mfa simulate --target NUMBER[=CALLEE] [--target …] [options]
  voice-mfa simulate --file scenario.json [--format text|json|mermaid]

CALLEE: voicemail | busy | no-answer | declines | invalid-number | sit[:intercept|vacant-code|no-circuit|reorder]
        | answers[:KEYS,…]  (e.g. answers:#  answers:1111#,4821#  answers:hangup)
        | carrier-failure[:SIP] | api-error:CODE | a JSON callee script
Options:
  --mode standard|pin   --pin DIGITS   --fraud-code DIGITS|off   --amd
  --provider-timeout    (the provider enforces the input timeout, like Twilio)
  --faults JSON         (e.g. '{"duplicate":0.3,"delay":0.3,"maxDelayMs":300,"stale":0.2}')
  --seed N   --name TEXT
`;

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
  const { values } = parseArgs({ args: [...argv], options: { format: { type: 'string' } }, strict: true });
  const format = parseFormat(values.format);
  const runs: ScenarioRun[] = [];
  for (const scenario of DEMO_SCENARIOS) runs.push(await playScenario(scenario));
  return render(runs, format);
}

async function simulate(argv: readonly string[]): Promise<string> {
  const parsed = parseSimulateArguments(argv);
  let scenario = parsed.scenario;
  if (parsed.file !== null) {
    try {
      scenario = JSON.parse(await readFile(parsed.file, 'utf8')) as Scenario;
    } catch (error) {
      throw new VoiceMfaError('INVALID_CONFIGURATION', `cannot read ${parsed.file}: ${(error as Error).message}`);
    }
  }
  if (scenario === null) throw new VoiceMfaError('INVALID_CONFIGURATION', 'no scenario given');
  return render([await playScenario(scenario)], parsed.format);
}

/**
 * Runs the command line and returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['demo']);
 * ```
 */
export async function main(argv: readonly string[], write: (text: string) => void = console.log): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'demo':
        write(await demo(rest));
        return 0;
      case 'simulate':
        write(await simulate(rest));
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        write(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (error instanceof VoiceMfaError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      write(`voice-mfa: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }
}
