import { DistroError, isDistroError, TimeoutError } from "../errors/index";

/**
 * The error to throw when an operation stops because its `AbortSignal` fired: the
 * signal's own reason when it already is a `DistroError`, a `TimeoutError` for
 * `AbortSignal.timeout()`, and otherwise a non-retryable `ABORTED` error whose cause is
 * the reason.
 */
export function abortError(signal: AbortSignal): DistroError {
  const reason: unknown = signal.reason;
  if (isDistroError(reason)) return reason;
  if (
    typeof reason === "object" &&
    reason !== null &&
    (reason as { name?: unknown }).name === "TimeoutError"
  ) {
    return new TimeoutError("The operation timed out (its abort signal fired)", { cause: reason });
  }
  return new DistroError("ABORTED", "The operation was aborted", { cause: reason, retryable: false });
}

const MAX_TIMER_MS = 2_147_483_647;

/** Waits `ms` milliseconds with a real timer; rejects with {@link abortError} when the signal fires. */
export function sleepWithSignal(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    let remaining = Math.max(0, ms);
    let timer: ReturnType<typeof setTimeout>;
    // setTimeout overflows above 2^31 - 1 ms (it would fire at once), so long waits go in steps.
    const step = () => {
      const chunk = Math.min(remaining, MAX_TIMER_MS);
      remaining -= chunk;
      timer = setTimeout(() => {
        if (remaining > 0) {
          step();
          return;
        }
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, chunk);
    };
    step();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
