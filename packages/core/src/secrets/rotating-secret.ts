import { ValidationError } from "../errors/index";
import type { RetryClock } from "../retry/index";
import { isSecret, type Secret, secret } from "./secret";
import type { SecretProvider } from "./secret-provider";

const ROTATING_MARKER = Symbol.for("@distro/core/RotatingSecret");

/**
 * Settings of {@link rotatingSecret}.
 *
 * @example
 * ```ts
 * const webhookSecret = rotatingSecret(secrets, "shopify-webhook-secret", { graceMs: 10 * 60_000 });
 * ```
 */
export interface RotatingSecretSettings {
  /**
   * How long a replaced value is still accepted by {@link RotatingSecret.accepted}, in
   * milliseconds (0 by default). Use it where the other side may still sign with the old
   * secret for a while, such as webhooks sent just before a rotation.
   */
  graceMs?: number;
  /** Where the time is read, for the grace period; `Date.now` by default. */
  clock?: RetryClock;
}

/**
 * One named secret read through a {@link SecretProvider} each time it is used, so a
 * rotation needs no restart. Auth providers take it in place of a string.
 *
 * @example
 * ```ts
 * const token: RotatingSecret = rotatingSecret(secrets, "wms-token");
 * headers.set("authorization", `Bearer ${(await token.current()).reveal()}`);
 * ```
 */
export interface RotatingSecret {
  /** The secret's name in the provider. */
  readonly name: string;
  /**
   * The current value, read through the provider (which may cache it).
   *
   * @returns the value
   * @throws SecretNotFoundError when the provider has no such secret
   */
  current(): Promise<Secret>;
  /**
   * Reads the source again, bypassing caches (concurrent calls share one read).
   *
   * @returns true when the value differs from the one read before (it was rotated)
   * @throws SecretNotFoundError when the provider has no such secret
   */
  refresh(): Promise<boolean>;
  /**
   * The values to accept when verifying: the current one first, then values it replaced
   * less than `graceMs` ago.
   *
   * @returns one or more values, newest first
   * @throws SecretNotFoundError when the provider has no such secret
   */
  accepted(): Promise<Secret[]>;
}

/**
 * A secret given as a plain string, a {@link Secret}, or a {@link RotatingSecret} read
 * through a provider at the time of use.
 *
 * @example
 * ```ts
 * const fixed: SecretInput = "t0k3n";
 * const rotated: SecretInput = rotatingSecret(createFileSecretProvider({ directory: "/run/secrets" }), "wms-token");
 * ```
 */
export type SecretInput = string | Secret | RotatingSecret;

/**
 * Binds a secret's name to a provider. The value is read at each use (`current()`);
 * after an upstream refuses it, `refresh()` reads the source again and tells whether it
 * changed, which is how {@link staticToken}, {@link apiKeyHeader}, {@link basicAuth} and
 * {@link oauth2ClientCredentials} pick up a rotated key after one 401 instead of failing.
 * Replaced values stay in `accepted()` for `graceMs`, so webhook verification accepts
 * both the old and the new secret during a rotation.
 *
 * @param provider - where the secret is read
 * @param name - its name there
 * @param settings - grace period and clock
 * @returns the rotating secret
 * @throws ValidationError when the name is empty or `graceMs` is not a number of milliseconds
 * @example
 * ```ts
 * import { createFileSecretProvider, createHttpClient, rotatingSecret, staticToken } from "@distro/core";
 *
 * const secrets = createFileSecretProvider({ directory: "/var/run/secrets/distro" });
 * const wms = createHttpClient({
 *   baseUrl: "https://wms.example.com/api",
 *   system: "wms",
 *   auth: staticToken(rotatingSecret(secrets, "wms-token")),
 * });
 * ```
 */
export function rotatingSecret(
  provider: SecretProvider,
  name: string,
  settings: RotatingSecretSettings = {},
): RotatingSecret {
  const graceMs = settings.graceMs ?? 0;
  const issues = [];
  if (typeof provider?.get !== "function") {
    issues.push({
      code: "invalid_value",
      path: ["provider"],
      message: "Expected a SecretProvider with get()",
    });
  }
  if (typeof name !== "string" || name.length === 0) {
    issues.push({ code: "invalid_value", path: ["name"], message: "Expected a secret name" });
  }
  if (typeof graceMs !== "number" || !Number.isFinite(graceMs) || graceMs < 0) {
    issues.push({
      code: "invalid_value",
      path: ["graceMs"],
      message: "Expected a number of milliseconds ≥ 0",
    });
  }
  if (issues.length > 0) throw new ValidationError("Rotating secret settings are invalid", issues);
  const clock = settings.clock ?? { now: () => Date.now() };
  let last: Secret | undefined;
  let retired: { value: Secret; retiredAt: number }[] = [];
  let refreshing: Promise<boolean> | undefined;

  function observe(value: Secret): Secret {
    if (last !== undefined && !last.equals(value)) {
      retired = [
        { value: last, retiredAt: clock.now() },
        ...retired.filter((old) => !old.value.equals(value)),
      ];
    }
    last = value;
    return value;
  }

  const rotating: RotatingSecret = {
    name,
    async current() {
      return observe((await provider.get(name)).value);
    },
    refresh() {
      refreshing ??= (async () => {
        const before = last;
        try {
          const after = observe((await provider.get(name, { refresh: true })).value);
          return before === undefined || !before.equals(after);
        } finally {
          refreshing = undefined;
        }
      })();
      return refreshing;
    },
    async accepted() {
      const current = await rotating.current();
      const now = clock.now();
      retired = retired.filter((old) => now - old.retiredAt < graceMs);
      return [current, ...retired.map((old) => old.value)];
    },
  };
  Object.defineProperty(rotating, ROTATING_MARKER, { value: true, enumerable: false });
  return Object.freeze(rotating);
}

/**
 * Tells whether a value is a {@link RotatingSecret} made by {@link rotatingSecret}.
 *
 * @param value - anything
 * @returns true for a rotating secret
 * @example
 * ```ts
 * const secrets = typeof setting === "string" ? [setting] : isRotatingSecret(setting) ? await setting.accepted() : setting;
 * ```
 */
export function isRotatingSecret(value: unknown): value is RotatingSecret {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[ROTATING_MARKER] === true
  );
}

/**
 * Reads a {@link SecretInput} now: a string or {@link Secret} as is, a
 * {@link RotatingSecret} through its provider.
 *
 * @param input - the secret
 * @returns its current value, wrapped
 * @throws SecretNotFoundError when a rotating secret's provider has no such secret
 * @example
 * ```ts
 * const password = (await readSecret(settings.password)).reveal();
 * ```
 */
export async function readSecret(input: SecretInput): Promise<Secret> {
  if (isRotatingSecret(input)) return input.current();
  if (isSecret(input)) return input;
  return secret(input);
}
