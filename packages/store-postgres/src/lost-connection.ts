import { isDistroError } from "@distro/core";

/** SQLSTATEs that say the connection (not the statement) failed. */
const CONNECTION_SQLSTATES = new Set([
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08003",
  "08006",
  "08001",
  "08004",
]);

/**
 * Whether a database error means the connection went away, so the statement may or may
 * not have committed before the reply was lost: a terminated backend, a reset socket, a
 * pool client that is no longer queryable. Deadlocks and serialization failures are not
 * lost connections (nothing committed).
 */
export function isLostConnection(error: unknown): boolean {
  if (!isDistroError(error) || error.code !== "DATABASE_ERROR" || !error.retryable) return false;
  const sqlState = (error.details as { sqlState?: unknown } | undefined)?.sqlState;
  if (typeof sqlState === "string") return CONNECTION_SQLSTATES.has(sqlState);
  return true;
}

/**
 * Runs a statement whose second run is harmless once more, on a fresh connection from
 * the pool, when the first run lost its connection (its reply may have been lost after
 * it committed). Any other error, or a second lost connection, is thrown.
 *
 * @param statement - the statement
 * @returns what the statement returned
 */
export async function runAgainIfConnectionLost<T>(statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    if (!isLostConnection(error)) throw error;
    return statement();
  }
}

/**
 * {@link runAgainIfConnectionLost} for a settle conditional on a claim token: when the
 * second run changes nothing, `settled` says whether the first run had already done the
 * work before its reply was lost.
 *
 * @param statement - runs the statement, answering whether it changed something
 * @param settled - reads whether this caller's change is in place
 * @returns whether this caller's change is in place
 */
export async function settleAgainIfConnectionLost(
  statement: () => Promise<boolean>,
  settled: () => Promise<boolean>,
): Promise<boolean> {
  try {
    return await statement();
  } catch (error) {
    if (!isLostConnection(error)) throw error;
    return (await statement()) || settled();
  }
}
