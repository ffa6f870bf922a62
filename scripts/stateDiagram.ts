/**
 * Renders the verification machine as a Mermaid `stateDiagram-v2`, read from the
 * machine definition itself so that the picture cannot drift from the code.
 *
 * XState's `toDirectedGraph` leaves out eventless (`always`) transitions, so the
 * state nodes are walked here directly: event, delayed, invoke and eventless
 * transitions alike.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { verificationCallMachine } from '../src/machine/verificationCallMachine.js';

/** The command that regenerates the committed diagram. */
export const DIAGRAM_COMMAND = 'npm run docs:diagram';

/** Where the diagram is committed, relative to the repository root. */
export const DIAGRAM_PATH = 'docs/state-diagram.md';

const INDENT = '    ';

/** One arrow of the diagram. */
export interface DiagramEdge {
  source: AnyStateNode;
  /** `null` for a transition that changes context only, drawn as a loop on its source. */
  target: AnyStateNode | null;
  label: string;
}

/** A guard as written in the machine: a name, a name with params, or `and`/`or`/`not` of guards. */
type GuardDefinition = string | { type: string; params?: unknown } | ((...args: never[]) => unknown);

/** Mermaid state ids must be plain identifiers: the path from the root, joined by `_`. */
export function mermaidId(node: AnyStateNode): string {
  return node.path.join('_');
}

/**
 * Label text Mermaid reads safely: `:` ends an id, `;` ends a statement, `#` starts
 * an entity code and quotes or braces confuse the grammar, so each becomes an
 * entity code Mermaid decodes back to the same character.
 */
export function escapeLabel(text: string): string {
  return text.replace(/[#:;"{}<>]/g, (char) => `#${char.charCodeAt(0)};`);
}

function describeParams(params: unknown): string {
  if (params === undefined || params === null) return '';
  if (typeof params !== 'object') return String(params);
  return Object.values(params)
    .map((value) => (typeof value === 'object' ? JSON.stringify(value) : String(value)))
    .join(' ');
}

/** A guard's readable name, e.g. `keysGive approved` or `isLiveCallEvent and machineAnswered`. */
export function describeGuard(guard: GuardDefinition): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const combined = guard as { name: string; guards?: GuardDefinition[] };
    const parts = (combined.guards ?? []).map(describeGuard);
    if (combined.name === 'not' && parts.length === 1) return `not ${parts[0]}`;
    if ((combined.name === 'and' || combined.name === 'or') && parts.length > 0) {
      return parts.join(` ${combined.name} `);
    }
    return combined.name === '' ? 'inline guard' : combined.name;
  }
  const params = describeParams(guard.params);
  return params === '' ? guard.type : `${guard.type} ${params}`;
}

function invokedActorName(source: AnyStateNode, invokeId: string): string {
  const definition = source.invoke.find((invoke) => invoke.id === invokeId);
  if (definition === undefined) return invokeId;
  return typeof definition.src === 'string' ? definition.src : invokeId;
}

/** What triggers a transition, in the words of the machine definition. */
export function describeTrigger(transition: AnyTransitionDefinition): string {
  const { eventType, source } = transition;
  const delay = (transition as { delay?: unknown }).delay;
  if (delay !== undefined) return typeof delay === 'number' ? `after ${delay}ms` : `after ${String(delay)}`;
  if (eventType === '') return 'always';
  if (eventType === '*') return 'any event';
  const actorEvent = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (actorEvent !== null) return `${invokedActorName(source, actorEvent[2] ?? '')} ${actorEvent[1]}`;
  if (eventType === `xstate.done.state.${source.id}`) return 'done';
  return eventType;
}

/**
 * `trigger [guard]`. An unguarded transition listed after guarded ones for the
 * same trigger is taken only when none of them is, so it reads `[else]`.
 */
function describeTransition(transition: AnyTransitionDefinition, earlier: readonly AnyTransitionDefinition[]): string {
  const trigger = describeTrigger(transition);
  const guard = transition.guard as GuardDefinition | undefined;
  if (guard !== undefined) return `${trigger} [${describeGuard(guard)}]`;
  const isFallback = earlier.some((other) => other.eventType === transition.eventType && other.guard !== undefined);
  return isFallback ? `${trigger} [else]` : trigger;
}

function childrenOf(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states) as AnyStateNode[];
}

function descendantsOf(node: AnyStateNode): AnyStateNode[] {
  return childrenOf(node).flatMap((child) => [child, ...descendantsOf(child)]);
}

/** The guard every handler of an outside event starts with; the introduction states its rule once. */
const CATCH_UP_GUARD = 'isPastDeadline';

const isCatchUp = (transition: AnyTransitionDefinition): boolean => {
  const guard = transition.guard as GuardDefinition | undefined;
  return (typeof guard === 'object' ? guard.type : guard) === CATCH_UP_GUARD;
};

/** Every transition of a state node: events, invoke results and delays first, eventless last. */
function transitionsOf(node: AnyStateNode): AnyTransitionDefinition[] {
  return [...[...node.transitions.values()].flat(), ...(node.always ?? [])].filter((t) => !isCatchUp(t));
}

/** Every arrow of the machine, in the order the definition lists states and transitions. */
export function collectEdges(machine: AnyStateMachine): DiagramEdge[] {
  return descendantsOf(machine.root).flatMap((source) =>
    transitionsOf(source).flatMap((transition, index, all): DiagramEdge[] => {
      const label = describeTransition(transition, all.slice(0, index));
      const targets = transition.target ?? [];
      if (targets.length === 0) return [{ source, target: null, label }];
      return targets.map((target: AnyStateNode) => ({ source, target, label }));
    }),
  );
}

/**
 * The block an edge is written in. Mermaid makes a state the child of the last
 * composite block that names it, except the top level, which never moves a
 * state. So an edge between siblings goes in their parent's block, and every
 * other edge at the top level.
 */
function scopeOf(edge: DiagramEdge, root: AnyStateNode): AnyStateNode {
  const parent = edge.source.parent;
  const targetParent = (edge.target ?? edge.source).parent;
  return parent !== undefined && parent === targetParent ? parent : root;
}

function initialChild(node: AnyStateNode): AnyStateNode | undefined {
  return node.initial?.target[0] as AnyStateNode | undefined;
}

/** Line break inside a Mermaid label. */
const LABEL_BREAK = '<br/>';

/**
 * One arrow per pair of states, its triggers one per line: parallel arrows with
 * separate labels spread the layout far wider without saying more.
 */
function renderEdges(edges: readonly DiagramEdge[]): string[] {
  const labelsByPair = new Map<string, string[]>();
  for (const edge of edges) {
    const source = mermaidId(edge.source);
    const target = edge.target === null ? source : mermaidId(edge.target);
    const pair = `${source} --> ${target}`;
    labelsByPair.set(pair, [...(labelsByPair.get(pair) ?? []), escapeLabel(edge.label)]);
  }
  return [...labelsByPair].map(([pair, labels]) => `${pair} : ${labels.join(LABEL_BREAK)}`);
}

function renderBlock(node: AnyStateNode, edgesByScope: Map<AnyStateNode, DiagramEdge[]>, depth: number): string[] {
  const pad = INDENT.repeat(depth);
  const lines: string[] = [];
  const initial = initialChild(node);
  if (initial !== undefined) lines.push(`${pad}[*] --> ${mermaidId(initial)}`);
  for (const child of childrenOf(node)) {
    const id = mermaidId(child);
    lines.push(`${pad}state "${escapeLabel(child.key)}" as ${id}`);
    if (childrenOf(child).length > 0) {
      lines.push(`${pad}state ${id} {`, ...renderBlock(child, edgesByScope, depth + 1), `${pad}}`);
    }
  }
  for (const edge of renderEdges(edgesByScope.get(node) ?? [])) lines.push(`${pad}${edge}`);
  for (const child of childrenOf(node)) {
    if (child.type === 'final') lines.push(`${pad}${mermaidId(child)} --> [*]`);
  }
  return lines;
}

/** The Mermaid `stateDiagram-v2` source of a machine, without code fences. */
export function renderMermaid(machine: AnyStateMachine): string {
  const edgesByScope = new Map<AnyStateNode, DiagramEdge[]>();
  for (const edge of collectEdges(machine)) {
    const scope = scopeOf(edge, machine.root);
    edgesByScope.set(scope, [...(edgesByScope.get(scope) ?? []), edge]);
  }
  return ['stateDiagram-v2', ...renderBlock(machine.root, edgesByScope, 1)].join('\n');
}

/** The whole of `docs/state-diagram.md`: a short introduction and the diagram of `verificationCallMachine`. */
export function renderStateDiagramMarkdown(): string {
  return [
    '# State diagram of the verification call',
    '',
    'This file is generated from the definition of `verificationCallMachine`',
    `(\`src/machine/verificationCallMachine.ts\`) by \`${DIAGRAM_COMMAND}\`; do not edit it by hand.`,
    'A test fails when it differs from what the script generates.',
    '',
    'Arrows are labelled with what triggers them: an event (`call.answered`), the result of an',
    'invoked check (`checkNumber done`, `verifyPin error`) or `always` for an eventless',
    'transition, followed by the guard in brackets. Time is an event too: `verification.tick',
    '[stateDeadlineDue]` is the deadline of the state the machine is in (the ring timer while',
    'connecting, the watchdog of a prompt or of extension digits, the input timer while waiting',
    'for keys) and `[totalDeadlineDue]` is `maxTotalMs`; the machine raises the tick from its own',
    'timers. Not drawn, because it applies everywhere: every handler of an outside event first',
    'checks `[isPastDeadline]` — an event stamped at or after a deadline lets the deadline fire',
    'first and is then delivered to the state that follows. A loop on a state either re-enters it',
    '(restarting its deadline) or only updates the context, such as counting an ignored event.',
    '`[*]` marks where a composite state starts and where the verification ends.',
    '',
    '```mermaid',
    renderMermaid(verificationCallMachine),
    '```',
    '',
  ].join('\n');
}
