import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The external services distro's adapters are tested against. */
export type ServiceName = "postgres" | "redis" | "amqp" | "nats";

const SERVICE_VARIABLES: Record<ServiceName, string> = {
  postgres: "DISTRO_PG_URL",
  redis: "DISTRO_REDIS_URL",
  amqp: "DISTRO_AMQP_URL",
  nats: "DISTRO_NATS_URL",
};

/** What {@link serviceUrl} found: the URL, or why the tests that need it must skip. */
export interface ServiceLookup {
  /** The URL from the environment, when set. */
  url: string | undefined;
  /** Why the tests skip, when the URL is not set. */
  skipReason: string | undefined;
}

/**
 * Reads a service URL from the environment (`DISTRO_PG_URL`, `DISTRO_REDIS_URL`,
 * `DISTRO_AMQP_URL`, `DISTRO_NATS_URL`). When it is missing, prints why the tests that
 * need it skip; under `DISTRO_REQUIRE_SERVICES=1` a missing URL throws instead, so CI
 * can never pass by skipping.
 *
 * @param name - the service
 * @returns the URL, or the reason to skip
 * @throws Error when the URL is missing and `DISTRO_REQUIRE_SERVICES=1`
 * @example
 * ```ts
 * import { serviceUrl } from "@distro/core/testing";
 * const postgres = serviceUrl("postgres");
 * describe.skipIf(!postgres.url)("PostgreSQL store", () => {
 *   // ...
 * });
 * ```
 */
export function serviceUrl(name: ServiceName): ServiceLookup {
  const variable = SERVICE_VARIABLES[name];
  const url = process.env[variable];
  if (url) return { url, skipReason: undefined };
  const skipReason = `${variable} is not set: skipping the tests that need ${name}`;
  if (process.env.DISTRO_REQUIRE_SERVICES === "1") {
    throw new Error(`${variable} is not set and DISTRO_REQUIRE_SERVICES=1: ${name} is required`);
  }
  console.warn(`[distro] ${skipReason}`);
  return { url: undefined, skipReason };
}

/**
 * Finds the shared conformance corpus (`../shared/conformance` beside the repository
 * root) by walking up from `from`. Returns `undefined` and prints why when it is absent,
 * so tests that read it skip with a reason.
 *
 * @param from - a folder inside the repository (defaults to the working directory)
 * @returns the absolute folder, or undefined when not found
 * @example
 * ```ts
 * import { conformanceDir } from "@distro/core/testing";
 * const corpus = conformanceDir();
 * describe.skipIf(!corpus)("X12 conformance files", () => {
 *   // read join(corpus!, "edi", "aaronhuggins__node-x12__850.edi")
 * });
 * ```
 */
export function conformanceDir(from: string = process.cwd()): string | undefined {
  let current = resolve(from);
  for (let depth = 0; depth < 8; depth++) {
    const candidate = join(current, "..", "shared", "conformance");
    if (existsSync(join(candidate, "README.md"))) return resolve(candidate);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  const override = process.env.DISTRO_CONFORMANCE_DIR;
  if (override && existsSync(override)) return resolve(override);
  console.warn(
    "[distro] ../shared/conformance not found beside the repository: skipping conformance-file tests",
  );
  return undefined;
}
