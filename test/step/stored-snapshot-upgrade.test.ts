/**
 * Snapshots stored by the machine as it was when an `attempt` state stood
 * between `calling` and the attempt's own states (recorded in
 * `fixtures/snapshots-with-attempt-state.json` by that machine) restore as the
 * state the machine now has for the same history: same value, same context,
 * the invoked check under the id the machine now gives it, and the
 * verification goes on from there.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { createNumberCheck } from '../../src/index.js';
import type { JsonValue } from '../../src/json.js';
import { createNumberCheckActor, createPinCheckActor } from '../../src/machine/checks.js';
import type { VerificationEvent } from '../../src/machine/events.js';
import type { VerificationInput } from '../../src/machine/types.js';
import { verificationCallMachine } from '../../src/machine/verificationCallMachine.js';
import { persistActor, restoreStepActor } from '../../src/step/machineSnapshots.js';

interface RecordedSnapshot {
  numberCheck: 'library' | 'never answers';
  events: VerificationEvent[];
  input: JsonValue;
  snapshot: JsonValue;
}

const recorded: Record<string, RecordedSnapshot> = JSON.parse(
  readFileSync(new URL('./fixtures/snapshots-with-attempt-state.json', import.meta.url), 'utf8'),
);

const inertClock = { setTimeout: () => 0, clearTimeout: () => {} };
/** A check that never answers, as one still running when its step ended. */
const never = <T>() => new Promise<T>(() => {});

/** The machine with the checks the recording used; the PIN is never judged. */
const machineFor = (numberCheck: RecordedSnapshot['numberCheck']) =>
  verificationCallMachine.provide({
    actors: {
      checkNumber: createNumberCheckActor(numberCheck === 'library' ? createNumberCheck() : never),
      verifyPin: createPinCheckActor(never),
    },
  });

/** The stored form the machine writes today after the same history. */
async function storedToday(record: RecordedSnapshot) {
  const actor = createActor(machineFor(record.numberCheck), {
    input: record.input as unknown as VerificationInput,
    clock: inertClock,
  });
  actor.start();
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (const event of record.events) actor.send(event);
  return JSON.parse(JSON.stringify(persistActor(actor)));
}

describe('snapshots stored with the attempt state', () => {
  it('were recorded in the states they are named after', () => {
    expect(Object.keys(recorded)).toEqual(['awaitingNumberCheck', 'waitingForInput', 'checkingPin']);
    for (const [name, record] of Object.entries(recorded)) {
      const { value } = record.snapshot as { value: { calling: { attempt: unknown } } };
      const stateOfAttempt = value.calling.attempt;
      expect(typeof stateOfAttempt === 'string' ? stateOfAttempt : Object.values(stateOfAttempt as object)[0]).toBe(
        name,
      );
    }
  });

  /**
   * A check's input as an older machine gave it: without the total deadline
   * (`answerBy`), which a check stored before the machine passed it keeps on
   * restoring; it is then judged without it.
   */
  const withoutAnswerBy = (stored: { children: Record<string, { snapshot: { input?: object } }> }) => {
    for (const child of Object.values(stored.children)) {
      if (child.snapshot.input !== undefined && 'answerBy' in child.snapshot.input) {
        const { answerBy: _, ...input } = child.snapshot.input as { answerBy: number };
        child.snapshot.input = input;
      }
    }
    return stored;
  };

  for (const [name, record] of Object.entries(recorded)) {
    it(`${name}: restores as the state the machine has now for the same history`, async () => {
      const restored = restoreStepActor(machineFor(record.numberCheck), 'v', record.snapshot, record.input);
      const today = await storedToday(record);
      expect(today.value).not.toHaveProperty('calling.attempt');
      expect(JSON.parse(JSON.stringify(persistActor(restored)))).toEqual(withoutAnswerBy(today));
      expect(Object.keys(restored.getSnapshot().children)).toEqual(Object.keys(today.children));
    });
  }

  it('a restored entry goes on: # approves the call waiting for it', () => {
    const record = recorded.waitingForInput as RecordedSnapshot;
    const actor = restoreStepActor(machineFor(record.numberCheck), 'v', record.snapshot, record.input);
    const commands: string[] = [];
    actor.on('*', (command) => commands.push(command.type));
    actor.start();
    actor.send({ type: 'call.digits', callId: 'CA1', digits: '#', at: 10_000 });
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toMatchObject({ status: 'approved', reason: 'pound-key' });
    expect(commands).toEqual(['hangUp']);
  });

  it('a snapshot without the attempt state restores as it is', async () => {
    const record = recorded.waitingForInput as RecordedSnapshot;
    const today = await storedToday(record);
    const restored = restoreStepActor(machineFor(record.numberCheck), 'v', today, record.input);
    expect(JSON.parse(JSON.stringify(persistActor(restored)))).toEqual(today);
  });
});
