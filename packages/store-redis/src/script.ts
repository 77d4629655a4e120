import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { guardRedis, redisError } from "./redis-error";

/** A Lua script run with `EVALSHA`, loaded again with `EVAL` after a Redis restart flushed the script cache. */
export interface RedisScript {
  /** The Lua source. */
  readonly source: string;
  /** Its SHA-1, as Redis names it. */
  readonly sha: string;
}

/**
 * Prepares a Lua script for {@link runScript}.
 *
 * @param source - the Lua source
 * @returns the script with its SHA-1
 */
export function defineScript(source: string): RedisScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * Runs a script atomically on Redis: `EVALSHA`, falling back to `EVAL` when the server
 * does not know the script (first use, or after a restart).
 *
 * @param redis - the client
 * @param script - the script
 * @param keys - the keys it touches
 * @param args - its arguments
 * @returns what the script returned
 * @throws DistroError `REDIS_ERROR`, retryable when Redis could not be reached
 */
export async function runScript(
  redis: Redis,
  script: RedisScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
      return guardRedis(() => redis.eval(script.source, keys.length, ...keys, ...args));
    }
    throw redisError(error);
  }
}
