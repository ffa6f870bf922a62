/**
 * Flushing files to the disk before a backup or a restored database counts as
 * written: a rename is atomic, but only a flushed file survives a power cut.
 *
 * @module
 */
import { open } from 'node:fs/promises';

/** Flushes a file's contents to the disk. */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a directory's entries (a rename) to the disk, where the platform allows it. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } catch {
    // Not every platform flushes directories; the rename is atomic all the same.
  } finally {
    await handle.close();
  }
}
