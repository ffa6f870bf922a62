/**
 * A durable provider driven by hand: each command becomes an effect (a dial at
 * most once, anything else at least once) that records what it carried out and
 * may be held up by the test, and each event given to the service is read as is.
 */
import type { DurableVoiceProvider, JsonValue, ProviderCommand, ProviderEvent } from '../../src/index.js';

export interface ManualDurableProvider {
  provider: DurableVoiceProvider<JsonValue, ProviderEvent>;
  /** The commands carried out, in order. */
  carriedOut: ProviderCommand[];
  /** Until released, effects of this command type wait before they are carried out. */
  holdUp(type: ProviderCommand['type']): { release(): void };
}

export function createManualDurableProvider(): ManualDurableProvider {
  const carriedOut: ProviderCommand[] = [];
  const heldUp = new Map<string, Promise<void>>();
  const provider: DurableVoiceProvider<JsonValue, ProviderEvent> = {
    name: 'manual-durable',
    capabilities: {
      reportsPromptEnd: true,
      enforcesInputTimeout: false,
      machineDetection: false,
      reportsSitKinds: true,
    },
    initialState: () => null,
    receive: (state, event) => ({ state, events: [event] }),
    plan: (state, commands) => ({
      state,
      effects: commands.map((command) =>
        command.type === 'dial'
          ? { delivery: 'at-most-once', dialAttempt: command.attempt, payload: command as unknown as JsonValue }
          : { delivery: 'at-least-once', payload: command as unknown as JsonValue },
      ),
      answer: null,
      bindings: [],
    }),
    run: async (effect) => {
      const command = effect.payload as unknown as ProviderCommand;
      await heldUp.get(command.type);
      carriedOut.push(command);
      return [];
    },
  };
  return {
    provider,
    carriedOut,
    holdUp(type) {
      let release = (): void => {};
      heldUp.set(
        type,
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      );
      return {
        release() {
          heldUp.delete(type);
          release();
        },
      };
    },
  };
}
