import { ContractError } from "../errors/kinds";

/**
 * How a contract version was deprecated: when it stops being accepted, why, and what replaces it.
 *
 * @example
 * ```ts
 * const terms: ContractDeprecation | undefined = registry.lifecycleOf("order.submitted", 1).deprecation;
 * ```
 */
export interface ContractDeprecation {
  /** The contract type. */
  type: string;
  /** The deprecated version. */
  version: number;
  /** From this moment (ISO 8601, UTC) the version is refused. */
  sunsetAt: string;
  /** Why it is deprecated, for the warning and the report. */
  reason?: string;
  /** The version of the same type to move to. */
  replacement?: number;
}

/**
 * What {@link ContractRegistry.deprecate} takes.
 *
 * @example
 * ```ts
 * const options: DeprecateOptions = { sunsetAt: "2027-03-31T00:00:00Z", reason: "use the channel kind", replacement: 2 };
 * registry.deprecate("order.submitted", 1, options);
 * ```
 */
export interface DeprecateOptions {
  /** When the version stops being accepted: a `Date` or an ISO 8601 date-time. */
  sunsetAt: Date | string;
  /** Why it is deprecated. */
  reason?: string;
  /** The later version of the same type to move to (must be registered). */
  replacement?: number;
}

/**
 * Where a contract version stands at a moment: `active`, `deprecated` (still accepted,
 * with a warning) or `sunset` (refused).
 *
 * @example
 * ```ts
 * const status: ContractLifecycleStatus = registry.lifecycleOf("order.submitted", 1).status;
 * ```
 */
export type ContractLifecycleStatus = "active" | "deprecated" | "sunset";

/**
 * The lifecycle of one contract version, as {@link ContractRegistry.lifecycleOf} reports it.
 *
 * @example
 * ```ts
 * const { status, deprecation } = registry.lifecycleOf("order.submitted", 1);
 * ```
 */
export interface ContractLifecycle {
  /** Where it stands now. */
  status: ContractLifecycleStatus;
  /** The deprecation, when it has one. */
  deprecation?: ContractDeprecation;
}

/**
 * Who uses a contract version, and how: what the registry's produce and consume paths take.
 *
 * @example
 * ```ts
 * registry.validate("order.submitted", 2, payload, { user: "shopify-channel", role: "producer" });
 * ```
 */
export interface ContractUseOptions {
  /** The system or component using it (`shopify-channel`, `erp-booking`); `unnamed` when left out. */
  user?: string;
  /** Whether it writes (`producer`) or reads (`consumer`) payloads of the version. */
  role?: "producer" | "consumer";
}

/**
 * Told the first time a user uses a deprecated contract version.
 *
 * @example
 * ```ts
 * const registry = new ContractRegistry({ onDeprecatedUse: (use: DeprecatedContractUse) => metrics.count("contract.deprecated_use", { contract: use.type, user: use.user }) });
 * ```
 */
export interface DeprecatedContractUse extends ContractDeprecation {
  /** Who used it. */
  user: string;
  /** As producer or consumer, when said. */
  role?: "producer" | "consumer";
  /** A sentence for people. */
  message: string;
}

/**
 * How often one user used one deprecated contract version, since the registry was made.
 *
 * @example
 * ```ts
 * for (const entry of registry.usage()) console.log(`${entry.user} used ${entry.type} v${entry.version} ${entry.deprecatedUses} times`);
 * ```
 */
export interface ContractUsage {
  /** The contract type. */
  type: string;
  /** The version. */
  version: number;
  /** Who used it. */
  user: string;
  /** As producer or consumer, when said (the last one seen). */
  role?: "producer" | "consumer";
  /** Uses before the sunset (each one accepted, the first one warned). */
  deprecatedUses: number;
  /** Uses refused after the sunset. */
  refusedUses: number;
  /** When it was last used, epoch milliseconds. */
  lastUsedAt: number;
}

/**
 * A contract version was used after its sunset date. Names the contract, the version,
 * the date and the replacement, never the payload. Code `CONTRACT_ERROR`, not retryable.
 *
 * @example
 * ```ts
 * try {
 *   registry.validate("order.submitted", 1, payload, { user: "erp-booking" });
 * } catch (error) {
 *   if (error instanceof ContractSunsetError) console.error(error.type, error.version, error.sunsetAt);
 * }
 * ```
 */
export class ContractSunsetError extends ContractError {
  /** The contract type. */
  readonly type: string;
  /** The retired version. */
  readonly version: number;
  /** When it was retired (ISO 8601). */
  readonly sunsetAt: string;
  /** The version to move to, when one was named. */
  readonly replacement: number | undefined;
  /** Who tried to use it. */
  readonly user: string;

  /**
   * @param deprecation - the deprecation that took effect
   * @param user - who tried to use the version
   */
  constructor(deprecation: ContractDeprecation, user: string) {
    const { type, version, sunsetAt, replacement, reason } = deprecation;
    super(
      `${type} v${version} was retired on ${sunsetAt}${replacement === undefined ? "" : `; use v${replacement}`}${reason ? ` (${reason})` : ""}`,
      { details: { type, version, sunsetAt, replacement, reason, user, lifecycle: "sunset" } },
    );
    this.type = type;
    this.version = version;
    this.sunsetAt = sunsetAt;
    this.replacement = replacement;
    this.user = user;
  }
}

/**
 * The sentence a deprecation warning carries.
 *
 * @param deprecation - the deprecation
 * @param user - who used the version
 * @returns e.g. `order.submitted v1 is deprecated and will be refused from 2026-12-01T00:00:00.000Z; use v2 (erp-booking)`
 * @example
 * ```ts
 * describeDeprecation(registry.lifecycleOf("order.submitted", 1).deprecation!, "erp-booking");
 * ```
 */
export function describeDeprecation(deprecation: ContractDeprecation, user: string): string {
  const { type, version, sunsetAt, replacement, reason } = deprecation;
  return `${type} v${version} is deprecated and will be refused from ${sunsetAt}${replacement === undefined ? "" : `; use v${replacement}`}${reason ? ` (${reason})` : ""} [used by ${user}]`;
}
