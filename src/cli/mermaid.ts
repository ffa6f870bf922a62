/**
 * A scenario run as a Mermaid sequence diagram.
 *
 * @module
 */
import type { ScenarioRun } from './scenario.js';
import { toTimeline } from './timeline.js';

/** Characters Mermaid reads as syntax in a message, written as entity codes. */
function escapeMermaid(text: string): string {
  const codes: Record<string, string> = { '#': '#35;', ';': '#59;', '"': '#quot;', '\n': ' ', '\r': ' ' };
  return text.replace(/[#;"\n\r]/g, (c) => codes[c] ?? c);
}

/**
 * Renders a run as a Mermaid `sequenceDiagram`: commands from voice-mfa to the
 * carrier, events back, and attempt results as notes.
 *
 * @example
 * ```ts
 * console.log(toMermaidSequence(await playScenario(scenario)));
 * ```
 */
export function toMermaidSequence(run: ScenarioRun): string {
  const lines = ['sequenceDiagram', '  participant V as voice-mfa', '  participant C as carrier'];
  const arrows = { command: 'V->>C', event: 'C-->>V', note: 'Note over V,C' } as const;
  for (const entry of toTimeline(run)) {
    lines.push(`  ${arrows[entry.kind]}: ${escapeMermaid(`${(entry.atMs / 1000).toFixed(1)}s ${entry.text}`)}`);
  }
  return lines.join('\n');
}
