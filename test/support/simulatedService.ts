/**
 * The durable service driving the simulated carrier on virtual time, with no
 * sweeps of its own: the carrier's events reach it as they happen.
 */
import type { SimulatedCarrier } from '../../src/providers/simulated/simulatedCarrier.js';
import type { VirtualClock } from '../../src/runtime/clock.js';
import {
  createVerificationService,
  type VerificationService,
  type VerificationServiceOptions,
} from '../../src/service/verificationService.js';
import type { VerificationStore } from '../../src/store/types.js';

export function startSimulatedService(
  carrier: SimulatedCarrier,
  clock: VirtualClock,
  store: VerificationStore,
  options: Partial<VerificationServiceOptions> = {},
): { service: VerificationService; errors: unknown[] } {
  const errors: unknown[] = [];
  const service = createVerificationService({
    store,
    provider: carrier,
    clock,
    sweepIntervalMs: null,
    onError: (e) => errors.push(e),
    ...options,
  });
  carrier.connect((id, event) => service.deliverEvent(id, event));
  return { service, errors };
}
