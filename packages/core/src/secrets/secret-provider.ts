import type { Secret } from "./secret";

/**
 * One read of a secret: the value (wrapped, so it never prints) and where it came from.
 *
 * @example
 * ```ts
 * const { value, version, location } = await secrets.get("wms-token");
 * log.info("read secret", { version, location }); // never value.reveal()
 * ```
 */
export interface SecretValue {
  /** The secret's name, as asked for. */
  name: string;
  /** The value; `value.reveal()` gives it in clear. */
  value: Secret;
  /**
   * Changes whenever the value does, as this provider has seen it (`"1"`, `"2"`, ...),
   * so a holder can tell a rotation from a re-read without comparing values.
   */
  version: string;
  /** What kind of provider read it: `env`, `file`, or a custom provider's name. */
  source: string;
  /** When it was read, epoch milliseconds. */
  loadedAt: number;
  /** Where it was read (the variable name, the file path); never the value. */
  location?: string;
}

/**
 * Options of {@link SecretProvider.get}.
 *
 * @example
 * ```ts
 * await secrets.get("erp-password", { refresh: true });
 * ```
 */
export interface SecretGetOptions {
  /** Read the source again even when a cached value is still fresh. */
  refresh?: boolean;
}

/**
 * Told each time a watched secret changes.
 *
 * @example
 * ```ts
 * const listener: SecretListener = ({ name, version }) => log.info("secret rotated", { name, version });
 * ```
 */
export type SecretListener = (value: SecretValue) => void;

/**
 * Options of {@link SecretProvider.watch}.
 *
 * @example
 * ```ts
 * const stop = secrets.watch?.("wms-token", onRotated, { intervalMs: 30_000, onError: (error) => log.warn("secret poll failed", { error }) });
 * ```
 */
export interface SecretWatchOptions {
  /** How often the source is polled, in milliseconds (the provider's default otherwise). */
  intervalMs?: number;
  /** Told when a poll fails (the secret went missing mid-rotation, a permission error). */
  onError?: (error: unknown) => void;
}

/**
 * The port distro reads secrets through: environment variables by default
 * ({@link createEnvSecretProvider}), mounted files ({@link createFileSecretProvider}),
 * or an adapter on a vault. `get` reads the current value at the time of use, so a
 * rotated secret is picked up without a restart.
 *
 * @example
 * ```ts
 * import { createEnvSecretProvider } from "@distro/core";
 *
 * const secrets: SecretProvider = createEnvSecretProvider();
 * const { value, version } = await secrets.get("WMS_API_KEY");
 * headers.set("x-api-key", value.reveal());
 * ```
 */
export interface SecretProvider {
  /**
   * The current value of a secret.
   *
   * @param name - the secret's name
   * @param options - `refresh` to bypass a cache
   * @returns the value with its version
   * @throws SecretNotFoundError when the provider has no such secret
   */
  get(name: string, options?: SecretGetOptions): Promise<SecretValue>;
  /**
   * Calls `listener` whenever the secret's value changes (optional: not every source can
   * tell).
   *
   * @param name - the secret's name
   * @param listener - told the new value
   * @param options - poll interval and error hook
   * @returns a function that stops watching
   */
  watch?(name: string, listener: SecretListener, options?: SecretWatchOptions): () => void;
}
