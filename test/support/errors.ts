/** What a call throws, or its promise rejects with; `null` when it succeeds. */
export async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
    return null;
  } catch (error) {
    return error;
  }
}
