/**
 * The committed picture of the machine (docs/state-diagram.md) must be what the
 * generator makes from the current machine definition.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { and, fromPromise, not, setup } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import {
  collectEdges,
  DIAGRAM_COMMAND,
  DIAGRAM_PATH,
  describeGuard,
  escapeLabel,
  mermaidId,
  renderMermaid,
  renderStateDiagramMarkdown,
} from '../../scripts/stateDiagram.js';
import { verificationCallMachine } from '../../src/machine/verificationCallMachine.js';

const committedPath = fileURLToPath(new URL(`../../${DIAGRAM_PATH}`, import.meta.url));

/** A small machine with every kind of transition the generator draws. */
const fixtureMachine = setup({
  actors: { lookUp: fromPromise(async () => true) },
  delays: { patience: 1_000 },
  guards: { isReady: () => true, isLate: () => false, hasMore: () => true },
}).createMachine({
  id: 'fixture',
  initial: 'busy',
  states: {
    busy: {
      initial: 'checking',
      on: { stop: 'stopped', ping: { guard: 'isReady' } },
      states: {
        checking: {
          invoke: {
            src: 'lookUp',
            onDone: [{ guard: 'isReady', target: 'waiting' }, { target: 'deciding' }],
            onError: '#fixture.stopped',
          },
        },
        waiting: {
          after: { patience: 'deciding', 500: { target: 'checking', reenter: true } },
          on: {
            'key.pressed': { guard: and(['isReady', not('isLate')]), target: '#fixture.done' },
            'key#': { target: 'waiting', reenter: true },
          },
        },
        deciding: { always: [{ guard: 'hasMore', target: 'checking' }, { target: '#fixture.done' }] },
      },
    },
    done: { type: 'final' },
    stopped: { type: 'final' },
  },
});

/**
 * Edges between siblings sit in their parent's block, all others at the top
 * level: Mermaid moves a state into the last composite block that names it.
 */
const FIXTURE_DIAGRAM = `stateDiagram-v2
    [*] --> busy
    state "busy" as busy
    state busy {
        [*] --> busy_checking
        state "checking" as busy_checking
        state "waiting" as busy_waiting
        state "deciding" as busy_deciding
        busy_checking --> busy_waiting : lookUp done [isReady]
        busy_checking --> busy_deciding : lookUp done [else]
        busy_waiting --> busy_waiting : key#35;
        busy_waiting --> busy_checking : after 500ms
        busy_waiting --> busy_deciding : after patience
        busy_deciding --> busy_checking : always [hasMore]
    }
    state "done" as done
    state "stopped" as stopped
    busy --> stopped : stop
    busy --> busy : ping [isReady]
    busy_checking --> stopped : lookUp error
    busy_waiting --> done : key.pressed [isReady and not isLate]
    busy_deciding --> done : always [else]
    done --> [*]
    stopped --> [*]`;

describe('state diagram (docs/state-diagram.md)', () => {
  it(`the committed diagram is what the generator makes (else run \`${DIAGRAM_COMMAND}\`)`, () => {
    const stale = `${DIAGRAM_PATH} is out of date with the machine: run \`${DIAGRAM_COMMAND}\` and commit the result`;
    expect(existsSync(committedPath), `${DIAGRAM_PATH} is missing: run \`${DIAGRAM_COMMAND}\``).toBe(true);
    expect(readFileSync(committedPath, 'utf8'), stale).toBe(renderStateDiagramMarkdown());
  });

  it('generating twice gives the same text', () => {
    expect(renderStateDiagramMarkdown()).toBe(renderStateDiagramMarkdown());
  });

  it('draws every state node of the machine, nested ones inside their composite state', () => {
    const mermaid = renderMermaid(verificationCallMachine);
    for (const node of getStateNodes(verificationCallMachine.root)) {
      expect(mermaid).toContain(`state "${node.key}" as ${mermaidId(node)}`);
      if (Object.keys(node.states).length > 0) expect(mermaid).toContain(`state ${mermaidId(node)} {`);
      if (node.type === 'final') expect(mermaid).toContain(`${mermaidId(node)} --> [*]`);
    }
  });

  it('includes the eventless (always) transitions that toDirectedGraph leaves out', () => {
    const edges = collectEdges(verificationCallMachine);
    const eventless = getStateNodes(verificationCallMachine.root).flatMap((node) =>
      (node.always ?? []).flatMap((transition) => (transition.target ?? []).map((target) => [node, target])),
    );
    expect(eventless.length).toBeGreaterThan(0);
    for (const [source, target] of eventless) {
      const drawn = edges.some(
        (edge) => edge.source === source && edge.target === target && edge.label.startsWith('always'),
      );
      expect(drawn, `always ${source?.id} -> ${target?.id}`).toBe(true);
    }
  });

  it('renders composite states, invoke results, named and numeric delays, eventless and guarded transitions', () => {
    expect(renderMermaid(fixtureMachine)).toBe(FIXTURE_DIAGRAM);
  });

  it('state ids are plain identifiers and labels hold no character Mermaid would misread', () => {
    const mermaid = renderMermaid(verificationCallMachine);
    for (const node of getStateNodes(verificationCallMachine.root)) expect(mermaidId(node)).toMatch(/^[A-Za-z_]\w*$/);
    for (const line of mermaid.split('\n').filter((text) => text.includes(' : '))) {
      const label = line.slice(line.indexOf(' : ') + 3).replaceAll('<br/>', '');
      expect(label, line).not.toMatch(/[:;"{}<>]|#(?!\d+;)/);
    }
  });

  it('escapes characters Mermaid reads as syntax into entity codes', () => {
    expect(escapeLabel('press # then 0#: done; "quoted" {x}')).toBe(
      'press #35; then 0#35;#58; done#59; #34;quoted#34; #123;x#125;',
    );
  });

  it('describes combined guards', () => {
    expect(describeGuard(and(['isLiveCallEvent', not('machineAnswered')]))).toBe(
      'isLiveCallEvent and not machineAnswered',
    );
    expect(describeGuard({ type: 'keysGive', params: { verdict: 'fraud' } })).toBe('keysGive fraud');
  });
});
