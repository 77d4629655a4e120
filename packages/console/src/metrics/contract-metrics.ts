import type { ContractRegistry, ContractUsage, ContractValidationFailure } from "@distro/core";
import type { CollectingMetrics } from "./otel-metrics";

/**
 * What {@link contractMetrics} gives: the hook to hand each `contractValidator`.
 *
 * @example
 * ```ts
 * const contracts: ContractMetrics = contractMetrics(metrics, { registry });
 * contractValidator(registry, { user: "erp-booking", onInvalid: contracts.onInvalid });
 * ```
 */
export interface ContractMetrics {
  /**
   * Counts one refused event; pass it as `contractValidator(registry, { onInvalid })`.
   *
   * @param failure - what the validator was refusing
   */
  onInvalid(failure: ContractValidationFailure): void;
}

/**
 * Settings of {@link contractMetrics}.
 *
 * @example
 * ```ts
 * const settings: ContractMetricsSettings = { registry: createCanonicalRegistry(), clock: () => Date.now() };
 * ```
 */
export interface ContractMetricsSettings {
  /** The contract registry the validators use. */
  registry: ContractRegistry;
  /** The clock, epoch milliseconds (default `Date.now`), for the time to each sunset. */
  clock?: () => number;
}

/**
 * Records the data contracts' failures and lifecycle:
 *
 * - `distro_contract_failures_total` (counter; `contract`, `version`, `reason`, `user`):
 *   events a `contractValidator` refused, by reason (`invalid`, `upcast_failed`,
 *   `sunset`, `unknown_version`, `no_contract`). A contract or version the registry does
 *   not know is labelled `unregistered` (the label never carries what a sender made up).
 * - `distro_contract_deprecated_uses_total` and `distro_contract_refused_uses_total`
 *   (counters; `contract`, `version`, `user`): uses of a deprecated version accepted with
 *   a warning, and uses refused after its sunset, through any path (`validate`, `upcast`,
 *   a validator), read from `registry.usage()` at each collection.
 * - `distro_contract_sunset_seconds` (gauge; `contract`, `version`): for each deprecated
 *   version, the seconds until its sunset (negative once past).
 *
 * Call it once per registry (each call reads its usage counters again).
 *
 * @param metrics - the Prometheus registry, or the OpenTelemetry bridge
 * @param settings - the contract registry, and the clock (epoch milliseconds, default `Date.now`)
 * @returns the hook for the validators
 * @example
 * ```ts
 * import { contractValidator, createCanonicalRegistry } from "@distro/core";
 * import { contractMetrics, createMetricsRegistry } from "@distro/console";
 *
 * const metrics = createMetricsRegistry();
 * const registry = createCanonicalRegistry();
 * const contracts = contractMetrics(metrics, { registry });
 * await bus.subscribe({
 *   name: "erp-booking",
 *   validate: contractValidator(registry, { user: "erp-booking", onInvalid: contracts.onInvalid }),
 *   handler: async (event) => book(event.data),
 * });
 * ```
 */
export function contractMetrics(
  metrics: CollectingMetrics,
  settings: ContractMetricsSettings,
): ContractMetrics {
  const { registry } = settings;
  const clock = settings.clock ?? Date.now;
  const failures = metrics.counter("distro_contract_failures_total", {
    help: "Events refused by a contract validator, by contract, version and reason",
    labelNames: ["contract", "version", "reason", "user"],
  });
  const deprecatedUses = metrics.counter("distro_contract_deprecated_uses_total", {
    help: "Uses of a deprecated contract version, accepted with a warning",
    labelNames: ["contract", "version", "user"],
  });
  const refusedUses = metrics.counter("distro_contract_refused_uses_total", {
    help: "Uses of a contract version refused after its sunset",
    labelNames: ["contract", "version", "user"],
  });
  const sunset = metrics.gauge("distro_contract_sunset_seconds", {
    help: "Seconds until a deprecated contract version's sunset (negative once past)",
    labelNames: ["contract", "version"],
  });
  /** What each usage entry's counters stood at when last read. */
  const seen = new Map<string, Pick<ContractUsage, "deprecatedUses" | "refusedUses">>();

  metrics.onCollect(() => {
    for (const usage of registry.usage()) {
      const key = JSON.stringify([usage.type, usage.version, usage.user]);
      const last = seen.get(key);
      const labels = { contract: usage.type, version: String(usage.version), user: usage.user };
      const deprecated = usage.deprecatedUses - (last?.deprecatedUses ?? 0);
      const refused = usage.refusedUses - (last?.refusedUses ?? 0);
      if (deprecated > 0) deprecatedUses.inc(labels, deprecated);
      if (refused > 0) refusedUses.inc(labels, refused);
      seen.set(key, { deprecatedUses: usage.deprecatedUses, refusedUses: usage.refusedUses });
    }
    // Deprecations are never taken back: each series is set again, none is dropped.
    const now = clock();
    for (const deprecation of registry.deprecations()) {
      sunset.set((Date.parse(deprecation.sunsetAt) - now) / 1000, {
        contract: deprecation.type,
        version: String(deprecation.version),
      });
    }
  });

  return {
    onInvalid(failure) {
      const known = failure.type !== undefined && registry.versionsOf(failure.type).length > 0;
      const versionKnown =
        known &&
        failure.version !== undefined &&
        registry.versionsOf(failure.type!).includes(failure.version);
      failures.inc({
        contract: known ? failure.type! : "unregistered",
        version: versionKnown ? String(failure.version) : "unregistered",
        reason: failure.reason,
        user: failure.user,
      });
    },
  };
}
