/**
 * When a commit should wake other instances' sweepers: only for work they
 * might otherwise find late.
 *
 * @module
 */
import { storedDueAt } from './deadline.js';
import type { StepWrite } from './types.js';

/** A deadline earlier than the one stored before (or a first one), or new effects to carry out. */
export function bringsWorkForward(previousDueAt: number | null, write: StepWrite): boolean {
  const dueAt = storedDueAt(write.verification);
  const earlier = dueAt !== null && (previousDueAt === null || dueAt < previousDueAt);
  return earlier || write.outbox.length > 0;
}

/** Calls every listener; one that throws neither stops the others nor undoes the commit that woke them. */
export function callWakeListeners(listeners: Iterable<() => void>): void {
  for (const listener of listeners) {
    try {
      listener();
    } catch {
      // A listener only hurries a sweep along.
    }
  }
}
