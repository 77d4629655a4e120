import type { CloudEvent } from "../envelope/index";
import { type DistroError, isDistroError } from "../errors/distro-error";
import { ContractError } from "../errors/kinds";
import { describeValue } from "./describe-value";
import type { ContractRegistry } from "./registry";

const SCHEMA_ID = /^urn:distro:contract:([a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+):v([1-9][0-9]*)$/;

/**
 * Reads a contract's type and version from its schema id
 * (`urn:distro:contract:<type>:v<version>`, what `Contract.schemaId` gives and events
 * carry in `dataschema`).
 *
 * @param id - the schema id
 * @returns the type and version, or `undefined` when it is not a distro contract id
 * @example
 * ```ts
 * parseContractSchemaId("urn:distro:contract:order.submitted:v2"); // { type: "order.submitted", version: 2 }
 * ```
 */
export function parseContractSchemaId(id: string | undefined): { type: string; version: number } | undefined {
  const match = typeof id === "string" ? SCHEMA_ID.exec(id) : null;
  if (match === null) return undefined;
  return { type: match[1] as string, version: Number(match[2]) };
}

/**
 * Settings of {@link contractValidator}.
 *
 * @example
 * ```ts
 * const validate = contractValidator(registry, { user: "erp-booking", upcast: true });
 * ```
 */
export interface ContractValidatorSettings {
  /** The consuming system, named in deprecation warnings and counters (`erp-booking`). */
  user: string;
  /** Hand the handler the payload upcast to the latest version (default), or validated at its own. */
  upcast?: boolean;
  /** Where an event's contract is read; its `dataschema` by default. */
  contractOf?: (event: CloudEvent) => { type: string; version: number } | undefined;
  /**
   * Told about each event the hook refuses, before the refusal is thrown (for metrics).
   * It should not throw; one that does cannot change the refusal, and its error is
   * reported as a process warning (`DistroHookWarning`).
   */
  onInvalid?: (failure: ContractValidationFailure) => void;
}

/**
 * Why {@link contractValidator} refused an event: no contract named, a version the
 * registry does not know, a version past its sunset, a payload that does not match its
 * version, or an upcast that failed.
 *
 * @example
 * ```ts
 * const reason: ContractFailureReason = "sunset";
 * ```
 */
export type ContractFailureReason =
  | "no_contract"
  | "unknown_version"
  | "sunset"
  | "invalid"
  | "upcast_failed";

/**
 * What {@link ContractValidatorSettings.onInvalid} is told about a refused event. It
 * names the contract, never the payload.
 *
 * @example
 * ```ts
 * const failure: ContractValidationFailure = { user: "erp-booking", type: "order.submitted", version: 1, reason: "sunset", error };
 * ```
 */
export interface ContractValidationFailure {
  /** The consuming system (the validator's `user`). */
  user: string;
  /** The contract type the event named, when it named one. */
  type?: string;
  /** The version the event named, when it named one. */
  version?: number;
  /** Why it was refused. */
  reason: ContractFailureReason;
  /** The error the hook throws. */
  error: DistroError;
}

/**
 * A bus `validate` hook that checks each event against its contract version through the
 * registry's consume path: the version is resolved from the event's `dataschema`, its
 * lifecycle enforced (a deprecated version warns once for this consumer, a version past
 * its sunset is refused with a `ContractSunsetError`), the payload validated and, by
 * default, upcast to the latest version (the handler then sees the latest `dataschema`).
 * Refused events go to the dead-letter store with the reason.
 *
 * @typeParam T - the payload type the handler gets: the latest version's (or, with
 *   `upcast: false`, the union of the versions it may receive); the registry has checked it
 * @param registry - the contract registry
 * @param settings - the consumer's name, whether to upcast, where the contract is read, and
 *   `onInvalid`, told about each refusal (for metrics)
 * @returns the hook, for `bus.subscribe({ validate })`
 * @throws {@link ContractError} (from the hook) when an event names no known contract
 *   version or its version is past its sunset; `ValidationError` when its data is invalid
 * @example
 * ```ts
 * import { contractValidator, createCanonicalRegistry } from "@distro/core";
 *
 * const registry = createCanonicalRegistry();
 * await bus.subscribe<OrderSubmittedV2>({
 *   name: "erp-booking",
 *   types: ["order.submitted"],
 *   validate: contractValidator<OrderSubmittedV2>(registry, { user: "erp-booking" }),
 *   handler: async (event) => book(event.data),
 * });
 * ```
 */
export function contractValidator<T = unknown>(
  registry: ContractRegistry,
  settings: ContractValidatorSettings,
): (event: CloudEvent) => CloudEvent<T> {
  const contractOf = settings.contractOf ?? ((event: CloudEvent) => parseContractSchemaId(event.dataschema));
  const use = { user: settings.user, role: "consumer" as const };
  const check = (event: CloudEvent): CloudEvent<T> => {
    const contract = contractOf(event);
    if (contract === undefined) {
      throw new ContractError(
        `Event ${describeValue(event.id)} of type ${describeValue(event.type)} names no contract version (dataschema ${describeValue(event.dataschema)})`,
        { details: { eventId: event.id, eventType: event.type, dataschema: event.dataschema } },
      );
    }
    if (settings.upcast === false) {
      return { ...event, data: registry.validate(contract.type, contract.version, event.data, use) as T };
    }
    const { data, version } = registry.upcast(contract.type, contract.version, event.data, use);
    return { ...event, data: data as T, dataschema: registry.get(contract.type, version).schemaId };
  };
  const onInvalid = settings.onInvalid;
  if (onInvalid === undefined) return check;
  return (event) => {
    try {
      return check(event);
    } catch (error) {
      const contract = contractOf(event);
      const failure: ContractValidationFailure = {
        user: settings.user,
        ...(contract === undefined ? {} : { type: contract.type, version: contract.version }),
        reason: failureReason(registry, contract, error),
        error: isDistroError(error)
          ? error
          : new ContractError("The contract check failed", { cause: error }),
      };
      try {
        onInvalid(failure);
      } catch (hookError) {
        const warning = new Error(
          `distro contractValidator hook onInvalid threw: ${(hookError as Error)?.message ?? String(hookError)}`,
        );
        warning.name = "DistroHookWarning";
        process.emitWarning(warning);
      }
      throw error;
    }
  };
}

function failureReason(
  registry: ContractRegistry,
  contract: { type: string; version: number } | undefined,
  error: unknown,
): ContractFailureReason {
  if (contract === undefined) return "no_contract";
  if (!isDistroError(error)) return "upcast_failed";
  // Read from the error's data, not its class, so a second copy of core still matches.
  if ((error.details as { lifecycle?: unknown } | undefined)?.lifecycle === "sunset") return "sunset";
  if (!registry.versionsOf(contract.type).includes(contract.version)) return "unknown_version";
  if (error.code === "VALIDATION_FAILED") return "invalid";
  return "upcast_failed";
}
