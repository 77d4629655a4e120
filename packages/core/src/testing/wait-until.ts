/**
 * Waits until `predicate` holds, looking again after each turn of the event loop, and
 * fails after `timeoutMs` instead of hanging a test.
 *
 * @param predicate - the condition
 * @param options - `timeoutMs` (default 5,000) and a description for the failure
 * @returns when the condition holds
 * @throws Error when it does not hold within the time
 * @example
 * ```ts
 * import { waitUntil } from "@distro/core/testing";
 *
 * let done = false;
 * setTimeout(() => { done = true; }, 10);
 * await waitUntil(() => done);
 * ```
 */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; description?: string } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const started = performance.now();
  for (let round = 0; ; round++) {
    if (await predicate()) return;
    if (performance.now() - started > timeoutMs) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${options.description ?? "a condition"}`);
    }
    await new Promise((resolve) => (round < 50 ? setImmediate(resolve) : setTimeout(resolve, 2)));
  }
}
