import { ValidationError } from "../errors/index";
import type { RetryClock } from "../retry/index";
import type {
  SecretGetOptions,
  SecretListener,
  SecretProvider,
  SecretValue,
  SecretWatchOptions,
} from "./secret-provider";

/**
 * Settings of {@link cacheSecrets}.
 *
 * @example
 * ```ts
 * const settings: CacheSecretsSettings = { ttlMs: 5 * 60_000 };
 * ```
 */
export interface CacheSecretsSettings {
  /** How long a read value is served without asking the source again, in milliseconds. */
  ttlMs: number;
  /** Where the time is read; `Date.now` by default. */
  clock?: RetryClock;
}

/**
 * A {@link SecretProvider} that keeps values for a while; `refresh` and `invalidate` force a re-read.
 *
 * @example
 * ```ts
 * const secrets: CachedSecretProvider = cacheSecrets(vaultSecrets, { ttlMs: 60_000 });
 * await secrets.refresh("erp-password");
 * ```
 */
export interface CachedSecretProvider extends SecretProvider {
  /**
   * Reads a secret from the source now and caches it.
   *
   * @param name - the secret's name
   * @returns the fresh value
   */
  refresh(name: string): Promise<SecretValue>;
  /**
   * Forgets one cached secret, or all of them.
   *
   * @param name - the secret's name; every secret when left out
   */
  invalidate(name?: string): void;
}

/**
 * Puts a cache in front of a slower {@link SecretProvider} (a vault over the network):
 * a value is served for `ttlMs`, then read again; concurrent reads of one secret share a
 * single request to the source; `get(name, { refresh: true })` (what
 * {@link rotatingSecret} does after a 401) reads the source at once. `watch` is passed
 * through to the source and also updates the cache.
 *
 * @param provider - the source
 * @param settings - TTL and clock
 * @returns the caching provider
 * @throws ValidationError when `ttlMs` is not a number of milliseconds ≥ 0
 * @example
 * ```ts
 * import { cacheSecrets } from "@distro/core";
 *
 * const secrets = cacheSecrets(vaultSecrets, { ttlMs: 5 * 60_000 });
 * await secrets.get("erp-password"); // from the vault
 * await secrets.get("erp-password"); // from memory for five minutes
 * ```
 */
export function cacheSecrets(provider: SecretProvider, settings: CacheSecretsSettings): CachedSecretProvider {
  const ttlMs = settings?.ttlMs;
  if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new ValidationError("Secret cache settings are invalid", [
      { code: "invalid_value", path: ["ttlMs"], message: "Expected a number of milliseconds ≥ 0" },
    ]);
  }
  const clock = settings.clock ?? { now: () => Date.now() };
  const cached = new Map<string, { entry: SecretValue; until: number }>();
  const pending = new Map<string, { promise: Promise<SecretValue>; refresh: boolean }>();

  function load(name: string, refresh: boolean): Promise<SecretValue> {
    const inFlight = pending.get(name);
    // A forced read does not settle for a plain read that may have started before a rotation.
    if (inFlight !== undefined && (inFlight.refresh || !refresh)) return inFlight.promise;
    const promise = provider.get(name, refresh ? { refresh: true } : undefined).then(
      (entry) => {
        if (pending.get(name)?.promise === promise) pending.delete(name);
        cached.set(name, { entry, until: clock.now() + ttlMs });
        return entry;
      },
      (error: unknown) => {
        if (pending.get(name)?.promise === promise) pending.delete(name);
        throw error;
      },
    );
    pending.set(name, { promise, refresh });
    return promise;
  }

  const cache: CachedSecretProvider = {
    async get(name: string, options: SecretGetOptions = {}) {
      const hit = cached.get(name);
      if (!options.refresh && hit !== undefined && clock.now() < hit.until) return hit.entry;
      return load(name, options.refresh === true);
    },
    refresh(name: string) {
      return load(name, true);
    },
    invalidate(name?: string) {
      if (name === undefined) cached.clear();
      else cached.delete(name);
    },
  };
  if (provider.watch !== undefined) {
    const watch = provider.watch.bind(provider);
    cache.watch = (name: string, listener: SecretListener, options?: SecretWatchOptions) =>
      watch(
        name,
        (entry) => {
          cached.set(name, { entry, until: clock.now() + ttlMs });
          listener(entry);
        },
        options,
      );
  }
  return cache;
}
