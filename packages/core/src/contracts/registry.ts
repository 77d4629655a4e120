import { ContractError } from "../errors/kinds";
import { ValidationError } from "../errors/validation-error";
import type { JsonSchema } from "../model/json-schema";
import {
  COMPATIBILITY_MODES,
  type CompatibilityIssue,
  type CompatibilityMode,
  type CompatibilityResult,
  checkCompatibility,
} from "./compatibility";
import type { Contract } from "./contract";
import { describeValue } from "./describe-value";

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
  /** The JSON Schema document (draft 2020-12). */
  schema: JsonSchema;
}

/**
 * Holds the versions of data contracts. Registers new versions only when they keep the
 * compatibility mode, validates payloads against their version, upcasts old payloads
 * along the version chain to the latest, and exports JSON Schemas.
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

  /**
   * @param settings - the default compatibility mode
   * @throws {@link ContractError} for an unknown mode
   */
  constructor(settings: ContractRegistrySettings = {}) {
    this.#defaultMode = checkMode(settings.compatibility ?? "BACKWARD");
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
   * @returns the parsed payload
   * @throws {@link ContractError} when the version is not registered;
   *   {@link ValidationError} with the path of every problem when the payload is invalid
   * @example
   * ```ts
   * const data = registry.validate("order.submitted", 2, event.data);
   * ```
   */
  validate(type: string, version: number, payload: unknown): unknown {
    return this.get(type, version).parse(payload);
  }

  /**
   * Validates a payload at its version, then upcasts it step by step (v1 → v2 → … →
   * latest), validating after every step.
   *
   * @param type - the contract type
   * @param version - the version the payload claims
   * @param payload - anything
   * @returns the payload at the latest version, and both version numbers
   * @throws {@link ContractError} when the version is unknown or an upcaster fails or
   *   produces an invalid payload (naming the step); {@link ValidationError} when the
   *   payload is invalid at its own version
   * @example
   * ```ts
   * const { data, version } = registry.upcast("order.submitted", 1, v1Payload);
   * ```
   */
  upcast(type: string, version: number, payload: unknown): UpcastResult {
    let data = this.validate(type, version, payload);
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
        return { type, version, name: contract.name, id: contract.schemaId, schema: contract.jsonSchema() };
      }),
    );
  }
}

function checkMode(mode: unknown): CompatibilityMode {
  if (!COMPATIBILITY_MODES.includes(mode as CompatibilityMode)) {
    throw new ContractError(`Unknown compatibility mode ${describeValue(mode)}`, {
      details: { mode, known: COMPATIBILITY_MODES },
    });
  }
  return mode as CompatibilityMode;
}
