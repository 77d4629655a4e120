import { ValidationError } from "../errors/index";
import type { RetryClock } from "../retry/index";
import { secret } from "./secret";
import { SecretNotFoundError } from "./secret-not-found-error";
import type { SecretProvider } from "./secret-provider";
import { createVersionCounter, pollingWatch } from "./versions";

/**
 * Settings of {@link createEnvSecretProvider}.
 *
 * @example
 * ```ts
 * const settings: EnvSecretProviderSettings = { prefix: "DISTRO_", watchIntervalMs: 10_000 };
 * ```
 */
export interface EnvSecretProviderSettings {
  /** The variables to read; `process.env` by default (read at every `get`, so changes are seen). */
  env?: Record<string, string | undefined>;
  /** Put before each name: with `DISTRO_`, `get("WMS_API_KEY")` reads `DISTRO_WMS_API_KEY`. */
  prefix?: string;
  /** Default poll interval of `watch`, in milliseconds (5 000 by default). */
  watchIntervalMs?: number;
  /** Where `loadedAt` is read; `Date.now` by default. */
  clock?: RetryClock;
}

/**
 * The default {@link SecretProvider}: a secret is the environment variable
 * `<prefix><name>`. The variable is read at every `get` (no cache), so a value changed
 * in the process's environment (by a supervisor, a test, a reload hook) is seen at the
 * next use. An unset or empty variable is a {@link SecretNotFoundError} naming the
 * variable.
 *
 * @param settings - env object, prefix, watch interval, clock
 * @returns the provider
 * @throws ValidationError when the prefix is not a string
 * @example
 * ```ts
 * import { createEnvSecretProvider, staticToken, rotatingSecret } from "@distro/core";
 *
 * const secrets = createEnvSecretProvider({ prefix: "DISTRO_" });
 * const auth = staticToken(rotatingSecret(secrets, "WMS_TOKEN")); // reads DISTRO_WMS_TOKEN at use time
 * ```
 */
export function createEnvSecretProvider(settings: EnvSecretProviderSettings = {}): SecretProvider {
  const prefix = settings.prefix ?? "";
  if (typeof prefix !== "string") {
    throw new ValidationError("Env secret provider settings are invalid", [
      { code: "invalid_type", path: ["prefix"], message: "Expected a string" },
    ]);
  }
  const clock = settings.clock ?? { now: () => Date.now() };
  const versionOf = createVersionCounter();
  const get: SecretProvider["get"] = async (name) => {
    checkName(name);
    const variable = `${prefix}${name}`;
    const env = settings.env ?? process.env;
    const raw = env[variable];
    if (raw === undefined || raw === "") {
      throw new SecretNotFoundError(name, `environment variable ${variable} is not set`, {
        details: { source: "env", variable },
      });
    }
    const value = secret(raw);
    return {
      name,
      value,
      version: versionOf(name, value),
      source: "env",
      loadedAt: clock.now(),
      location: variable,
    };
  };
  return { get, watch: pollingWatch(get, settings.watchIntervalMs ?? 5_000) };
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== "string" || name.length === 0 || /[=\0]/.test(name)) {
    throw new ValidationError("Secret name is not a usable environment variable name", [
      {
        code: "invalid_value",
        path: ["name"],
        message: "Expected a non-empty string without '=' or NUL",
      },
    ]);
  }
}
