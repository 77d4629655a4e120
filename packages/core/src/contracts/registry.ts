import { ContractError } from "../errors/kinds";
import { ValidationError } from "../errors/validation-error";
import type { JsonSchema } from "../model/json-schema";
import type { Logger } from "../observability/logger";
import type { RetryClock } from "../retry/index";
import {
  COMPATIBILITY_MODES,
  type CompatibilityIssue,
  type CompatibilityMode,
  type CompatibilityResult,
  checkCompatibility,
} from "./compatibility";
import type { Contract } from "./contract";
import { describeValue } from "./describe-value";
import {
  type ContractDeprecation,
  type ContractLifecycle,
  ContractSunsetError,
  type ContractUsage,
  type ContractUseOptions,
  type DeprecatedContractUse,
  type DeprecateOptions,
  describeDeprecation,
} from "./lifecycle";

/**
 * A new contract version was refused because it breaks the compatibility mode. Carries
 * every issue, each with its payload path and direction. Code `CONTRACT_ERROR`.
 *
 * @example
 * ```ts
 * try {
 *   registry.register(BreakingV3);
 * } catch (error) {
 *   if (error instanceof IncompatibleContractError) console.log(error.issues.map((issue) => issue.message));
 * }
 * ```
 */
export class IncompatibleContractError extends ContractError {
  /** The contract type. */
  readonly type: string;
  /** The refused version. */
  readonly version: number;
  /** The mode it was checked in. */
  readonly mode: CompatibilityMode;
  /** Every problem found. */
  readonly issues: CompatibilityIssue[];

  /**
   * @param type - the contract type
   * @param version - the refused version
   * @param mode - the compatibility mode
   * @param issues - the problems found
   */
  constructor(type: string, version: number, mode: CompatibilityMode, issues: CompatibilityIssue[]) {
    super(
      `${type} v${version} breaks ${mode} compatibility:\n${issues.map((issue) => `- ${issue.message}`).join("\n")}`,
      { details: { type, version, mode, issues } },
    );
    this.type = type;
    this.version = version;
    this.mode = mode;
    this.issues = issues;
  }
}

/** Settings of a {@link ContractRegistry}. */
export interface ContractRegistrySettings {
  /** The mode every type is checked in unless set per type; `BACKWARD` by default. */
  compatibility?: CompatibilityMode;
  /** Where the time is read, to judge deprecations against their sunset; `Date.now` by default. */
  clock?: RetryClock;
  /**
   * Told the first time each user uses each deprecated version (once per contract,
   * version and user). Without it, the warning goes to `logger`, or else to
   * `process.emitWarning` (type `DistroContractDeprecation`).
   */
  onDeprecatedUse?: (use: DeprecatedContractUse) => void;
  /** Where deprecation warnings are logged when `onDeprecatedUse` is not given. */
  logger?: Logger;
}

/** A payload brought to the latest version of its contract. */
export interface UpcastResult<Data = unknown> {
  /** The contract type. */
  type: string;
  /** The version the payload arrived in. */
  fromVersion: number;
  /** The latest version, which `data` now follows. */
  version: number;
  /** The payload, valid against the latest version. */
  data: Data;
}

/** One exported JSON Schema of a contract version. */
export interface ExportedContractSchema {
  type: string;
  version: number;
  /** `<type>.v<version>`. */
  name: string;
  /** The JSON Schema `$id`. */
  id: string;
  /** The JSON Schema document (draft 2020-12); `deprecated: true` when the version is. */
  schema: JsonSchema;
  /** The version's deprecation, when it has one. */
  deprecation?: ContractDeprecation;
}

/**
 * Holds the versions of data contracts. Registers new versions only when they keep the
 * compatibility mode, validates payloads against their version, upcasts old payloads
 * along the version chain to the latest, and exports JSON Schemas. A version can be
 * deprecated with a sunset date: `validate` and `upcast` (the paths producers and
 * consumers go through) then warn once per user before the date and refuse after it.
 *
 * @example
 * ```ts
 * const registry = new ContractRegistry({ compatibility: "BACKWARD" });
 * registry.register(V1).register(V2);
 * const { data, version } = registry.upcast("stock.counted", 1, { sku: "BOLT", qty: "5" });
 * version; // 2
 * ```
 */
export class ContractRegistry {
  readonly #versions = new Map<string, Map<number, Contract>>();
  readonly #modes = new Map<string, CompatibilityMode>();
  readonly #defaultMode: CompatibilityMode;
  readonly #deprecations = new Map<string, ContractDeprecation>();
  readonly #usage = new Map<string, ContractUsage>();
  readonly #clock: RetryClock;
  readonly #onDeprecatedUse: (use: DeprecatedContractUse) => void;

  /**
   * @param settings - the default compatibility mode, clock and deprecation warning hook
   * @throws {@link ContractError} for an unknown mode
   */
  constructor(settings: ContractRegistrySettings = {}) {
    this.#defaultMode = checkMode(settings.compatibility ?? "BACKWARD");
    this.#clock = settings.clock ?? { now: () => Date.now() };
    const logger = settings.logger;
    this.#onDeprecatedUse =
      settings.onDeprecatedUse ??
      (logger === undefined
        ? (use) =>
            process.emitWarning(use.message, {
              type: "DistroContractDeprecation",
              code: "DISTRO_CONTRACT_DEPRECATED",
            })
        : ({ message, ...fields }) => logger.warn(message, { contract: fields }));
  }

  /**
   * Sets the compatibility mode of one contract type (others keep the default).
   *
   * @param type - the contract type
   * @param mode - its mode
   * @returns this registry
   * @throws {@link ContractError} for an unknown mode
   * @example
   * ```ts
   * registry.setCompatibility("order.submitted", "FULL_TRANSITIVE");
   * ```
   */
  setCompatibility(type: string, mode: CompatibilityMode): this {
    this.#modes.set(type, checkMode(mode));
    return this;
  }

  /**
   * The compatibility mode a type is checked in.
   *
   * @param type - the contract type
   * @returns its mode (the registry's default unless set)
   * @example
   * ```ts
   * registry.compatibilityOf("order.submitted"); // "BACKWARD"
   * ```
   */
  compatibilityOf(type: string): CompatibilityMode {
    return this.#modes.get(type) ?? this.#defaultMode;
  }

  /**
   * Checks a contract version against the registered ones without registering it.
   *
   * @param contract - the candidate
   * @param mode - the mode to check in (the type's mode by default)
   * @returns whether it is compatible, and the issues
   * @example
   * ```ts
   * registry.check(V3, "FULL").issues.map((issue) => issue.message);
   * ```
   */
  check(
    contract: Contract,
    mode: CompatibilityMode = this.compatibilityOf(contract.type),
  ): CompatibilityResult {
    const earlier = [...(this.#versions.get(contract.type)?.values() ?? [])]
      .filter((existing) => existing.version < contract.version)
      .map((existing) => ({ version: existing.version, schema: existing.jsonSchema() }));
    return checkCompatibility(
      { version: contract.version, schema: contract.jsonSchema() },
      earlier,
      checkMode(mode),
    );
  }

  /**
   * Registers a contract version. The first version of a type may be any number; each
   * next one must be the latest plus one, and must pass the type's compatibility mode.
   * Registering the same version with an identical schema again does nothing.
   *
   * @param contract - the contract version
   * @returns this registry, for chaining
   * @throws {@link IncompatibleContractError} when it breaks the compatibility mode;
   *   {@link ContractError} when the version is already taken by another schema or skips one
   * @example
   * ```ts
   * registry.register(OrderSubmittedV1Contract).register(OrderSubmittedV2Contract);
   * ```
   */
  register(contract: Contract): this {
    const versions = this.#versions.get(contract.type) ?? new Map<number, Contract>();
    const existing = versions.get(contract.version);
    if (existing !== undefined) {
      if (
        existing === contract ||
        JSON.stringify(existing.jsonSchema()) === JSON.stringify(contract.jsonSchema())
      ) {
        return this;
      }
      throw new ContractError(`${contract.name} is already registered with a different schema`, {
        details: { type: contract.type, version: contract.version },
      });
    }
    const latest = versions.size === 0 ? undefined : Math.max(...versions.keys());
    if (latest !== undefined && contract.version !== latest + 1) {
      throw new ContractError(
        `${contract.type} v${contract.version} cannot follow v${latest}: versions go up by one (register v${latest + 1})`,
        { details: { type: contract.type, version: contract.version, latest } },
      );
    }
    const mode = this.compatibilityOf(contract.type);
    const result = this.check(contract, mode);
    if (!result.compatible)
      throw new IncompatibleContractError(contract.type, contract.version, mode, result.issues);
    versions.set(contract.version, contract);
    this.#versions.set(contract.type, versions);
    return this;
  }

  /**
   * A registered contract version.
   *
   * @param type - the contract type
   * @param version - the version
   * @returns the contract
   * @throws {@link ContractError} when the type or version is not registered
   * @example
   * ```ts
   * registry.get("order.submitted", 1).jsonSchema();
   * ```
   */
  get(type: string, version: number): Contract {
    const contract = this.#versions.get(type)?.get(version);
    if (contract === undefined) {
      const known = this.versionsOf(type);
      throw new ContractError(
        known.length === 0
          ? `No contract ${describeValue(type)} is registered`
          : `${describeValue(type)} v${describeValue(version)} is not registered (known: ${known.map((v) => `v${v}`).join(", ")})`,
        { details: { type, version } },
      );
    }
    return contract;
  }

  /**
   * The latest registered version of a type.
   *
   * @param type - the contract type
   * @returns its latest contract
   * @throws {@link ContractError} when the type is not registered
   * @example
   * ```ts
   * registry.latest("order.submitted").version; // 2
   * ```
   */
  latest(type: string): Contract {
    const known = this.versionsOf(type);
    const last = known[known.length - 1];
    if (last === undefined) {
      throw new ContractError(`No contract ${describeValue(type)} is registered`, { details: { type } });
    }
    return this.get(type, last);
  }

  /**
   * The registered versions of a type, ascending.
   *
   * @param type - the contract type
   * @returns the versions (empty when unknown)
   * @example
   * ```ts
   * registry.versionsOf("order.submitted"); // [1, 2]
   * ```
   */
  versionsOf(type: string): number[] {
    return [...(this.#versions.get(type)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /**
   * Every registered contract type, sorted.
   *
   * @returns the types
   * @example
   * ```ts
   * registry.types(); // ["inventory.changed", "invoice.posted", ...]
   * ```
   */
  types(): string[] {
    return [...this.#versions.keys()].sort();
  }

  /**
   * Validates a payload against its contract version.
   *
   * @param type - the contract type
   * @param version - the version the payload claims
   * @param payload - anything
   * @param use - who validates it, as producer or consumer (for deprecation warnings)
   * @returns the parsed payload
   * @throws {@link ContractError} when the version is not registered;
   *   {@link ContractSunsetError} when the version is past its sunset;
   *   {@link ValidationError} with the path of every problem when the payload is invalid
   * @example
   * ```ts
   * const data = registry.validate("order.submitted", 2, event.data, { user: "shopify-channel", role: "producer" });
   * ```
   */
  validate(type: string, version: number, payload: unknown, use: ContractUseOptions = {}): unknown {
    return this.use(type, version, use).parse(payload);
  }

  /**
   * Validates a payload at its version, then upcasts it step by step (v1 → v2 → … →
   * latest), validating after every step.
   *
   * @param type - the contract type
   * @param version - the version the payload claims
   * @param payload - anything
   * @param use - who reads it (for deprecation warnings); the lifecycle of `version` is enforced
   * @returns the payload at the latest version, and both version numbers
   * @throws {@link ContractError} when the version is unknown or an upcaster fails or
   *   produces an invalid payload (naming the step); {@link ContractSunsetError} when the
   *   payload's version is past its sunset; {@link ValidationError} when the payload is
   *   invalid at its own version
   * @example
   * ```ts
   * const { data, version } = registry.upcast("order.submitted", 1, v1Payload, { user: "erp-booking", role: "consumer" });
   * ```
   */
  upcast(type: string, version: number, payload: unknown, use: ContractUseOptions = {}): UpcastResult {
    let data = this.validate(type, version, payload, use);
    const latest = this.latest(type).version;
    for (let next = version + 1; next <= latest; next++) {
      const contract = this.get(type, next);
      let raised: unknown;
      try {
        raised = contract.upcast ? contract.upcast(data) : data;
      } catch (error) {
        throw new ContractError(`Upcasting ${type} v${next - 1} → v${next} failed`, {
          cause: error,
          details: { type, from: next - 1, to: next },
        });
      }
      try {
        data = contract.parse(raised);
      } catch (error) {
        const issues = error instanceof ValidationError ? error.issues : [];
        throw new ContractError(
          `Upcasting ${type} v${next - 1} → v${next} produced an invalid v${next} payload`,
          {
            cause: error,
            details: { type, from: next - 1, to: next, issues },
          },
        );
      }
    }
    return { type, fromVersion: version, version: latest, data };
  }

  /**
   * Deprecates a contract version: from now on each user's first use of it warns
   * (through `onDeprecatedUse`, the logger or `process.emitWarning`), and from
   * `sunsetAt` on, `validate` and `upcast` refuse it with a {@link ContractSunsetError}.
   * Deprecating again replaces the earlier terms.
   *
   * @param type - the contract type
   * @param version - the version to deprecate
   * @param options - sunset date, reason, replacement version
   * @returns this registry
   * @throws {@link ContractError} when the version is not registered, or the replacement
   *   is not a later registered version; {@link ValidationError} when `sunsetAt` is not a date
   * @example
   * ```ts
   * registry.deprecate("order.submitted", 1, {
   *   sunsetAt: "2027-03-31T00:00:00Z",
   *   reason: "channel kind is now classified by the producer",
   *   replacement: 2,
   * });
   * ```
   */
  deprecate(type: string, version: number, options: DeprecateOptions): this {
    this.get(type, version);
    const sunsetAt = toInstant(options?.sunsetAt);
    const replacement = options.replacement;
    if (replacement !== undefined) {
      if (
        !Number.isInteger(replacement) ||
        replacement <= version ||
        !this.versionsOf(type).includes(replacement)
      ) {
        throw new ContractError(
          `${type} v${version} cannot be replaced by ${describeValue(replacement)}: name a later registered version (known: ${this.versionsOf(
            type,
          )
            .map((known) => `v${known}`)
            .join(", ")})`,
          { details: { type, version, replacement } },
        );
      }
    }
    const reason = options.reason === undefined ? undefined : String(options.reason);
    this.#deprecations.set(key(type, version), {
      type,
      version,
      sunsetAt,
      ...(reason === undefined ? {} : { reason }),
      ...(replacement === undefined ? {} : { replacement }),
    });
    return this;
  }

  /**
   * Where a contract version stands now (or at another moment).
   *
   * @param type - the contract type
   * @param version - the version
   * @param at - the moment, epoch ms or a `Date` (the registry's clock by default)
   * @returns `active`, `deprecated` or `sunset`, with the deprecation
   * @throws {@link ContractError} when the version is not registered
   * @example
   * ```ts
   * registry.lifecycleOf("order.submitted", 1).status; // "deprecated"
   * ```
   */
  lifecycleOf(type: string, version: number, at: number | Date = this.#clock.now()): ContractLifecycle {
    this.get(type, version);
    const deprecation = this.#deprecations.get(key(type, version));
    if (deprecation === undefined) return { status: "active" };
    const now = typeof at === "number" ? at : at.getTime();
    return {
      status: now >= Date.parse(deprecation.sunsetAt) ? "sunset" : "deprecated",
      deprecation: { ...deprecation },
    };
  }

  /**
   * Every deprecation, by type and version.
   *
   * @returns the deprecations
   * @example
   * ```ts
   * for (const { type, version, sunsetAt } of registry.deprecations()) console.log(`${type} v${version} until ${sunsetAt}`);
   * ```
   */
  deprecations(): ContractDeprecation[] {
    return [...this.#deprecations.values()]
      .map((deprecation) => ({ ...deprecation }))
      .sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version);
  }

  /**
   * Resolves a contract version for a producer or consumer, enforcing its lifecycle:
   * an active version is returned as is; a deprecated one is returned, counted, and
   * warned about on the user's first use; one past its sunset is refused. `validate`
   * and `upcast` go through it; call it directly where a contract is resolved by other
   * means (serialisers, code generation at start-up).
   *
   * @param type - the contract type
   * @param version - the version
   * @param use - who uses it, as producer or consumer
   * @returns the contract
   * @throws {@link ContractError} when the version is not registered;
   *   {@link ContractSunsetError} when it is past its sunset
   * @example
   * ```ts
   * const contract = registry.use("order.submitted", 2, { user: "erp-booking", role: "consumer" });
   * ```
   */
  use(type: string, version: number, use: ContractUseOptions = {}): Contract {
    const contract = this.get(type, version);
    const deprecation = this.#deprecations.get(key(type, version));
    if (deprecation === undefined) return contract;
    const user = use.user ?? "unnamed";
    const now = this.#clock.now();
    const usageKey = `${key(type, version)}\u0000${user}`;
    const usage = this.#usage.get(usageKey) ?? {
      type,
      version,
      user,
      deprecatedUses: 0,
      refusedUses: 0,
      lastUsedAt: now,
    };
    if (use.role !== undefined) usage.role = use.role;
    usage.lastUsedAt = now;
    this.#usage.set(usageKey, usage);
    if (now >= Date.parse(deprecation.sunsetAt)) {
      usage.refusedUses += 1;
      throw new ContractSunsetError(deprecation, user);
    }
    usage.deprecatedUses += 1;
    if (usage.deprecatedUses === 1) {
      const notice: DeprecatedContractUse = {
        ...deprecation,
        user,
        ...(use.role === undefined ? {} : { role: use.role }),
        message: describeDeprecation(deprecation, user),
      };
      this.#onDeprecatedUse(notice);
    }
    return contract;
  }

  /**
   * The counters of deprecated versions in use: per contract, version and user, how
   * many uses were accepted with a warning and how many were refused after the sunset.
   *
   * @returns one entry per contract version and user, sorted
   * @example
   * ```ts
   * registry.usage().filter((entry) => entry.refusedUses > 0);
   * ```
   */
  usage(): ContractUsage[] {
    return [...this.#usage.values()]
      .map((entry) => ({ ...entry }))
      .sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version || a.user.localeCompare(b.user));
  }

  /**
   * The JSON Schema (draft 2020-12) of every registered version, by type and version.
   *
   * @returns one entry per contract version
   * @example
   * ```ts
   * for (const entry of registry.exportJsonSchemas()) writeFileSync(`${entry.name}.schema.json`, JSON.stringify(entry.schema));
   * ```
   */
  exportJsonSchemas(): ExportedContractSchema[] {
    return this.types().flatMap((type) =>
      this.versionsOf(type).map((version) => {
        const contract = this.get(type, version);
        const deprecation = this.#deprecations.get(key(type, version));
        const schema = contract.jsonSchema();
        if (deprecation === undefined)
          return { type, version, name: contract.name, id: contract.schemaId, schema };
        return {
          type,
          version,
          name: contract.name,
          id: contract.schemaId,
          schema: { ...schema, deprecated: true },
          deprecation: { ...deprecation },
        };
      }),
    );
  }
}

function key(type: string, version: number): string {
  return `${type}@${version}`;
}

function toInstant(value: unknown): string {
  const time =
    value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(time)) {
    throw new ValidationError("Deprecation sunset is not a date", [
      {
        code: "invalid_value",
        path: ["sunsetAt"],
        message: "Expected a Date or an ISO 8601 date-time",
      },
    ]);
  }
  return new Date(time).toISOString();
}

function checkMode(mode: unknown): CompatibilityMode {
  if (!COMPATIBILITY_MODES.includes(mode as CompatibilityMode)) {
    throw new ContractError(`Unknown compatibility mode ${describeValue(mode)}`, {
      details: { mode, known: COMPATIBILITY_MODES },
    });
  }
  return mode as CompatibilityMode;
}
