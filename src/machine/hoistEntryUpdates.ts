/**
 * Moving the context updates a state's entry starts with into the transitions
 * that enter it. XState resolves a step's actions in one order — the exited
 * states' exits, the transition's actions, then the entered states' entries,
 * outermost first — and answers every `assign` with a new snapshot. An update
 * at the end of a transition and one at the start of the entry that follows
 * it are therefore neighbours in that order, yet XState sees them in two lists
 * and makes two snapshots. Appended to the transition, where
 * {@link coalesceUpdates} merges them with its own updates, they cost one.
 *
 * The machine's definition keeps each update where it reads best (a state's
 * deadline in the state's entry); this transform, run on the config before
 * XState builds the machine, moves an entry's leading updates only when it can
 * do so for every way into the state, so the actions run in the same order.
 *
 * @module
 */
import { type ActionReference, isObject, isUpdate, mapStateTransitions } from './updates.js';

type Config = Record<string, unknown>;

/** A state of the config (read, never changed). */
interface StateRecord {
  config: Config;
  parent: StateRecord | undefined;
  children: Map<string, StateRecord>;
  /** Document order: XState enters the states of a step in this order. */
  order: number;
}

/** The states a transition enters, in order. */
type Entered = readonly StateRecord[];

const STATE_ID = '#';
const DELIMITER = '.';

const asList = (actions: unknown): ActionReference[] =>
  actions === undefined ? [] : Array.isArray(actions) ? [...actions] : [actions as ActionReference];

/** How many of a state's entry actions, from the first, are updates. */
function leadingUpdates(state: StateRecord): number {
  const entry = asList(state.config.entry);
  const firstOther = entry.findIndex((action) => !isUpdate(action));
  return firstOther === -1 ? entry.length : firstOther;
}

/** Whether what a step does on entering the state is only updates (or nothing): no emit, raise or invoked actor. */
const entersWithUpdatesOnly = (state: StateRecord): boolean =>
  state.config.invoke === undefined && leadingUpdates(state) === asList(state.config.entry).length;

function properAncestors(state: StateRecord, upTo: StateRecord | undefined): StateRecord[] {
  const ancestors: StateRecord[] = [];
  for (let node = state.parent; node !== undefined && node !== upTo; node = node.parent) ancestors.push(node);
  return ancestors;
}

function isDescendant(state: StateRecord, of: StateRecord): boolean {
  for (let node = state.parent; node !== undefined; node = node.parent) if (node === of) return true;
  return false;
}

function initialChild(state: StateRecord): StateRecord | undefined {
  if (state.children.size === 0) return undefined;
  const initial = state.config.initial;
  const child = typeof initial === 'string' ? state.children.get(initial) : undefined;
  if (child === undefined) throw new Error(`hoistEntryUpdates: state ${pathOf(state)} has no initial state it knows`);
  return child;
}

function pathOf(state: StateRecord): string {
  const keys: string[] = [];
  for (let node: StateRecord | undefined = state; node?.parent !== undefined; node = node.parent) {
    for (const [key, child] of node.parent.children) if (child === node) keys.unshift(key);
  }
  return keys.join(DELIMITER) || '(root)';
}

/** The states of a machine config, as records, with each state's document order. */
function readStates(config: Config): { root: StateRecord; ids: Map<string, StateRecord>; all: StateRecord[] } {
  const ids = new Map<string, StateRecord>();
  const all: StateRecord[] = [];
  const read = (stateConfig: Config, parent: StateRecord | undefined): StateRecord => {
    if (stateConfig.type === 'parallel' || stateConfig.type === 'history') {
      throw new Error(`hoistEntryUpdates: ${stateConfig.type} states are not supported`);
    }
    if (stateConfig.after !== undefined) throw new Error('hoistEntryUpdates: `after` transitions are not supported');
    if (stateConfig.invoke !== undefined && !isObject(stateConfig.invoke)) {
      throw new Error('hoistEntryUpdates: only a single invoke object is supported');
    }
    const state: StateRecord = { config: stateConfig, parent, children: new Map(), order: all.length };
    all.push(state);
    if (typeof stateConfig.id === 'string') ids.set(stateConfig.id, state);
    if (isObject(stateConfig.states)) {
      for (const [key, child] of Object.entries(stateConfig.states))
        state.children.set(key, read(child as Config, state));
    }
    return state;
  };
  const root = read(config, undefined);
  return { root, ids, all };
}

function statePath(from: StateRecord, path: string, target: string): StateRecord {
  let state = from;
  for (const key of path === '' ? [] : path.split(DELIMITER)) {
    const child = state.children.get(key);
    if (child === undefined) throw new Error(`hoistEntryUpdates: target ${target} names no state`);
    state = child;
  }
  return state;
}

/** Resolves a target as XState does: `#id.path`, `.child` of the source, or a sibling of the source. */
function resolveTarget(source: StateRecord, target: string, ids: Map<string, StateRecord>): StateRecord {
  if (target.startsWith(STATE_ID)) {
    const [id = '', ...path] = target.slice(STATE_ID.length).split(DELIMITER);
    const state = ids.get(id);
    if (state === undefined) throw new Error(`hoistEntryUpdates: target ${target} names no state id`);
    return statePath(state, path.join(DELIMITER), target);
  }
  if (target.startsWith(DELIMITER)) return statePath(source, target.slice(DELIMITER.length), target);
  if (source.parent === undefined) throw new Error(`hoistEntryUpdates: the root has no sibling ${target}`);
  return statePath(source.parent, target, target);
}

/**
 * The states a transition enters, in the order XState enters them: below the
 * transition's domain down to each target, then the targets' initial states
 * (XState's `getTransitionDomain` and `computeEntrySet`, for compound, atomic
 * and final states).
 */
function enteredStates(source: StateRecord, targets: StateRecord[], reenter: boolean): StateRecord[] {
  if (targets.length === 0) return [];
  const domain =
    !reenter && targets.every((target) => target === source || isDescendant(target, source))
      ? source
      : properAncestors(targets[0] as StateRecord, undefined).find((ancestor) =>
          [...targets.slice(1), source].every((state) => isDescendant(state, ancestor)),
        );
  const entered = new Set<StateRecord>();
  for (const target of targets) {
    if (target !== source || target !== domain || reenter) entered.add(target);
    for (let child = initialChild(target); child !== undefined; child = initialChild(child)) entered.add(child);
    for (const ancestor of properAncestors(target, domain)) entered.add(ancestor);
  }
  return [...entered].sort((a, b) => a.order - b.order);
}

/** The states a transition of `source` enters. */
function enteredBy(source: StateRecord, definition: unknown, ids: Map<string, StateRecord>): Entered {
  const transition: Config = typeof definition === 'string' ? { target: definition } : (definition as Config);
  const targets = asList(transition.target).map((target) => resolveTarget(source, String(target), ids));
  return enteredStates(source, targets, transition.reenter === true);
}

/** Whether updates of states entered after this one may move past it: it enters with updates only, all moved. */
const isPassable = (state: StateRecord, hoistable: Set<StateRecord>): boolean =>
  entersWithUpdatesOnly(state) && (hoistable.has(state) || leadingUpdates(state) === 0);

/**
 * The states whose leading entry updates can move into every transition that
 * enters them: never the states entered when the machine starts, and only a
 * state that every transition enters right after its own actions or after
 * states that enter with updates only and move them too.
 */
function hoistableStates(root: StateRecord, all: StateRecord[], transitions: readonly Entered[]): Set<StateRecord> {
  const enteredAtStart = new Set<StateRecord>([root]);
  for (let state = initialChild(root); state !== undefined; state = initialChild(state)) enteredAtStart.add(state);
  const hoistable = new Set(all.filter((state) => leadingUpdates(state) > 0 && !enteredAtStart.has(state)));
  const passable = (state: StateRecord) => isPassable(state, hoistable);
  for (let changed = true; changed; ) {
    changed = false;
    for (const entered of transitions) {
      entered.forEach((state, index) => {
        if (hoistable.has(state) && !entered.slice(0, index).every(passable)) {
          hoistable.delete(state);
          changed = true;
        }
      });
    }
  }
  return hoistable;
}

/**
 * A machine config in which the updates each state's entry starts with run at
 * the end of the transitions that enter it instead: the same updates, in the
 * same order relative to every other action, so the machine behaves the same,
 * with fewer snapshots when the transition ends with updates of its own. A
 * state keeps its entry updates when some way into it (the machine's start, or
 * a transition that enters a state with other entry actions first) would run
 * them in another order. Run it before {@link coalesceUpdates}.
 *
 * @example
 * ```ts
 * const config = coalesceUpdates(hoistEntryUpdates({
 *   initial: 'idle',
 *   states: {
 *     idle: { on: { go: { target: 'busy', actions: 'observeTime' } } },
 *     busy: { entry: [{ type: 'setDeadline', params: { kind: 'input' } }, 'scheduleDeadline'] },
 *   },
 * }));
 * // idle's `go` now runs observeTime and setDeadline as one assign; busy's entry is ['scheduleDeadline'].
 * ```
 */
export function hoistEntryUpdates<C>(config: C): C {
  const { root, ids, all } = readStates(config as Config);
  // The states each transition enters, by its source and its definition (an equal string enters the same states).
  const enteredOf = new Map(
    all.map((state) => {
      const bySource = new Map<unknown, Entered>();
      mapStateTransitions(state.config, (definition) => {
        bySource.set(definition, enteredBy(state, definition, ids));
        return definition;
      });
      return [state, bySource];
    }),
  );
  const hoistable = hoistableStates(
    root,
    all,
    [...enteredOf.values()].flatMap((bySource) => [...bySource.values()]),
  );
  const movedFrom = (state: StateRecord) =>
    hoistable.has(state) ? asList(state.config.entry).slice(0, leadingUpdates(state)) : [];

  const rewrite = (state: StateRecord): Config => {
    const config = mapStateTransitions(state.config, (definition) => {
      const moved: ActionReference[] = [];
      for (const entered of enteredOf.get(state)?.get(definition) ?? []) {
        moved.push(...movedFrom(entered));
        if (!isPassable(entered, hoistable)) break;
      }
      if (moved.length === 0) return definition;
      const transition: Config =
        typeof definition === 'string' ? { target: definition } : { ...(definition as Config) };
      return { ...transition, actions: [...asList(transition.actions), ...moved] };
    });
    if (hoistable.has(state)) {
      const rest = asList(state.config.entry).slice(leadingUpdates(state));
      if (rest.length > 0) config.entry = rest;
      else delete config.entry;
    }
    if (state.children.size > 0) {
      config.states = Object.fromEntries([...state.children].map(([key, child]) => [key, rewrite(child)]));
    }
    return config;
  };
  return rewrite(root) as C;
}
