import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temporary directory holding the given files (paths relative to it, folders made as needed). */
export async function writeFileTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'voice-mfa-files-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/** Removes a directory made by {@link writeFileTree}. */
export async function removeFileTree(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
