/**
 * The latest time a dial may be placed. The machine bounds the whole dial —
 * queue, post-dial delay, ringing — by `dialTimeoutMs` from the command, and
 * lets the phone ring `ringTimeoutMs` from the first ring. A call placed later
 * than `dialTimeoutMs − ringTimeoutMs` after the command could no longer ring
 * its full time within the dial bound: the dial bound would cut the ringing
 * short, and an unanswered attempt would end `no-answer` because of the queue.
 * So a dial waits in the pacing queue at most that long (what the queue leaves
 * of it is for the post-dial delay) — but at least a quarter of the dial
 * bound: with little or no slack (`dialTimeoutMs` equal to `ringTimeoutMs`) a
 * rollover right after a refused dial would otherwise be refused for the wait
 * for the next slot alone, and losing a second of ringing is better than
 * losing the attempt. A quarter still leaves three quarters of the bound to ring.
 *
 * The time is stamped on the create effect when it is planned, with the clock
 * of the step that planned it, so that a durable effect carried out later
 * keeps the dial's own deadline.
 *
 * @module
 */
import type { DialCommand, ProviderCommand } from '../../machine/commands.js';
import type { TwilioEffect } from './callControl.js';

/** A create effect with the latest clock reading at which its call may be placed, when its dial had bounds. */
export type PacedCreateEffect = Extract<TwilioEffect, { kind: 'create' }> & { placeBy?: number };

/** The share of the dial bound a dial may always wait in the queue, whatever its ring time. */
export const MIN_QUEUE_SHARE = 0.25;

/**
 * The latest clock reading at which a dial given at `issuedAt` may be placed.
 *
 * @example
 * ```ts
 * toLatestPlacement({ ringTimeoutMs: 30_000, dialTimeoutMs: 90_000 }, 1_000); // 61_000: the slack
 * toLatestPlacement({ ringTimeoutMs: 10_000, dialTimeoutMs: 10_000 }, 1_000); // 3_500: a quarter of the bound
 * ```
 */
export function toLatestPlacement(
  dial: Pick<DialCommand, 'ringTimeoutMs' | 'dialTimeoutMs'>,
  issuedAt: number,
): number {
  return issuedAt + Math.max(dial.dialTimeoutMs - dial.ringTimeoutMs, dial.dialTimeoutMs * MIN_QUEUE_SHARE);
}

/**
 * The effects of a plan, each create stamped with the latest placement of the
 * dial command it came from (matched by attempt).
 *
 * @example
 * ```ts
 * const effects = withPlacementDeadlines(plan.effects, commands, clock.now());
 * ```
 */
export function withPlacementDeadlines(
  effects: readonly TwilioEffect[],
  commands: readonly ProviderCommand[],
  issuedAt: number,
): TwilioEffect[] {
  return effects.map((effect) => {
    if (effect.kind !== 'create') return effect;
    const dial = commands.find(
      (command): command is DialCommand => command.type === 'dial' && command.attempt === effect.attempt,
    );
    if (dial === undefined || !Number.isFinite(dial.dialTimeoutMs) || !Number.isFinite(dial.ringTimeoutMs)) {
      return effect;
    }
    const paced: PacedCreateEffect = { ...effect, placeBy: toLatestPlacement(dial, issuedAt) };
    return paced;
  });
}

/**
 * The deadline an effect carries, if it is a create with a valid one (a
 * durable effect comes back from the store as JSON).
 *
 * @example
 * ```ts
 * readPlaceBy({ kind: 'create', token, attempt: 0, params, placeBy: 61_000 }); // 61_000
 * ```
 */
export function readPlaceBy(effect: TwilioEffect): number | undefined {
  const placeBy = (effect as PacedCreateEffect).placeBy;
  return typeof placeBy === 'number' && Number.isFinite(placeBy) ? placeBy : undefined;
}
