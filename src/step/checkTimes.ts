/**
 * How long a durable step may wait for the host's checks (number, PIN) while
 * it holds the verification's lock; the stores' default lock waits are set
 * from it, so that a step waiting for the lock outlasts one whose check hangs.
 *
 * @module
 */

/** The service's default `checkTimeoutMs`. */
export const DEFAULT_CHECK_TIMEOUT_MS = 5_000;

/**
 * A check bounded by the step's limit has failed once the limit passed, and the
 * machine moves on from it within a few turns of the event loop: this long
 * after the limit without the machine moving, a check still running was not
 * bounded, and the step fails.
 */
export const CHECK_SETTLE_GRACE_MS = 1_000;
