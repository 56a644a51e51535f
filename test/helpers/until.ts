/** Polls a condition for tests that wait on another process. */

/**
 * Resolves once `check()` holds, checking every 100 ms; rejects after `timeoutMs` (15 s unless told) naming `what`,
 * with `detail()` (say, what a child printed) added to the message.
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; detail?: () => string } = {},
): Promise<void> {
  const end = Date.now() + (options.timeoutMs ?? 15_000);
  while (!(await check())) {
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${options.detail ? `:\n${options.detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
