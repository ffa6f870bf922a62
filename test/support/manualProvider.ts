/**
 * A provider the test drives by hand: every command is recorded, and the test
 * sends the provider's events itself.
 */
import type { ProviderCommand, ProviderSession, SessionContext, VoiceProvider } from '../../src/index.js';
import { SIMULATED_CAPABILITIES } from '../../src/providers/simulated/simulatedCarrier.js';

export interface ManualProviderOptions {
  /** A dial's `execute` rejects with this. */
  failDialWith?: unknown;
  /** `close()` throws. */
  throwOnClose?: boolean;
  /** `close()` waits until the test calls `finishClose()`, as a provider playing a farewell does. */
  holdClose?: boolean;
  /** A hang-up's `execute` returns a promise that rejects when the test calls `failHangUp()`, even after the close. */
  holdHangUp?: boolean;
}

export function createManualProvider(options: ManualProviderOptions = {}) {
  const commands: ProviderCommand[] = [];
  let context: SessionContext | null = null;
  let closed = 0;
  let finishClose: () => void = () => {};
  let failHangUp: (error: unknown) => void = () => {};
  const provider: VoiceProvider = {
    name: 'manual',
    capabilities: SIMULATED_CAPABILITIES,
    openSession(ctx): ProviderSession {
      context = ctx;
      return {
        execute(command) {
          commands.push(command);
          if (command.type === 'dial' && options.failDialWith !== undefined)
            return Promise.reject(options.failDialWith);
          if (command.type === 'hangUp' && options.holdHangUp === true)
            return new Promise<void>((_resolve, reject) => {
              failHangUp = reject;
            });
        },
        close() {
          closed++;
          if (options.throwOnClose === true) throw new Error('close failed');
          if (options.holdClose === true)
            return new Promise<void>((resolve) => {
              finishClose = resolve;
            });
        },
      };
    },
  };
  return {
    provider,
    commands,
    emit: (event: unknown) => (context as SessionContext).emit(event as never),
    closedCount: () => closed,
    isClosing: () => closed > 0,
    finishClose: () => finishClose(),
    failHangUp: (error: unknown) => failHangUp(error),
  };
}
