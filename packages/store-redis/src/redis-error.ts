import { DistroError, isNetworkError } from "@distro/core";

/**
 * Replies and client errors after which the same command may succeed: the connection is
 * down or being re-established (ioredis gave up on it for this command), or the server
 * is loading its data, failing over, or busy with a script.
 */
const RETRYABLE =
  /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY)\b|Connection is closed|Stream isn't writeable|max retries per request|Connection in subscriber mode|Command timed out/i;

/**
 * Wraps what ioredis threw as a `DistroError` (`REDIS_ERROR`), retryable when Redis
 * could not be reached or is starting, failing over or busy, so callers (the bus, the
 * retry helpers, the process manager) retry it like any other transient fault.
 *
 * @param error - what the client threw
 * @returns the typed error
 * @example
 * ```ts
 * import { redisError } from "@distro/store-redis";
 *
 * try {
 *   await redis.get("distro:cache:C1");
 * } catch (error) {
 *   throw redisError(error); // retryable while Redis restarts
 * }
 * ```
 */
export function redisError(error: unknown): DistroError {
  if (error instanceof DistroError) return error;
  const name = (error as { name?: unknown })?.name;
  const message = String((error as Error)?.message ?? error);
  const retryable = name === "MaxRetriesPerRequestError" || isNetworkError(error) || RETRYABLE.test(message);
  return new DistroError("REDIS_ERROR", `Redis error: ${message}`, { cause: error, retryable });
}

/**
 * Runs one Redis call, throwing what it throws as a {@link redisError}.
 *
 * @param work - the call
 * @returns what the call returned
 */
export async function guardRedis<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw redisError(error);
  }
}
