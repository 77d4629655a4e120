import type { z } from "zod";
import { ContractError } from "../errors/kinds";
import { type JsonSchema, toJsonSchema } from "../model/json-schema";
import { parseEntity } from "../model/parse";
import { describeValue } from "./describe-value";

/** What {@link defineContract} takes. */
export interface ContractDefinition<Schema extends z.ZodType, Previous> {
  /** The contract's type, dotted lower-case words: `order.submitted`. */
  type: string;
  /** Its version: a whole number from 1, one more than the version it follows. */
  version: number;
  /** The payload's zod schema. */
  schema: Schema;
  /**
   * Turns a payload of the previous version (already valid there) into one of this
   * version. Without it, the previous payload is read as is (which works when this
   * version is backward compatible).
   */
  upcast?: (previous: Previous) => z.input<Schema>;
  /** What the event means, for the exported JSON Schema and the docs. */
  description?: string;
}

/** One version of a data contract: its type, version, schema, upcaster and JSON Schema. */
export interface Contract<Schema extends z.ZodType = z.ZodType, Previous = unknown> {
  /** The contract's type, e.g. `order.submitted`. */
  readonly type: string;
  /** The version. */
  readonly version: number;
  /** The payload's zod schema. */
  readonly schema: Schema;
  /** `<type>.v<version>`, e.g. `order.submitted.v2`. */
  readonly name: string;
  /** The JSON Schema `$id`: `urn:distro:contract:<type>:v<version>`. */
  readonly schemaId: string;
  /** What the event means. */
  readonly description: string | undefined;
  /**
   * From the previous version to this one, if given (method syntax, so a contract with
   * a typed upcaster is still a `Contract` for the registry).
   *
   * @param previous - a payload valid against the previous version
   * @returns the payload for this version
   */
  upcast?(previous: Previous): z.input<Schema>;
  /**
   * Validates a payload against this version in one pass.
   *
   * @param payload - anything
   * @returns the parsed payload
   * @throws {@link ValidationError} with the path of every problem
   */
  parse(payload: unknown): z.output<Schema>;
  /**
   * The payload's JSON Schema (draft 2020-12), computed once.
   *
   * @returns a fresh copy of the JSON Schema document
   */
  jsonSchema(): JsonSchema;
}

const TYPE_PATTERN = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/;

/**
 * Defines one version of a data contract: the payload schema of an event type at a
 * version, and how to upcast the previous version's payload to it.
 *
 * @param definition - type, version, schema, optional upcast and description
 * @returns the contract
 * @throws {@link ContractError} when the type is not dotted lower-case words or the
 *   version is not a whole number ≥ 1
 * @example
 * ```ts
 * import { z } from "zod";
 *
 * const V1 = defineContract({ type: "stock.counted", version: 1, schema: z.object({ sku: z.string(), qty: z.string() }) });
 * const V2 = defineContract({
 *   type: "stock.counted",
 *   version: 2,
 *   schema: z.object({ sku: z.string(), quantity: z.string(), uom: z.string().default("EA") }),
 *   upcast: (previous: z.output<typeof V1.schema>) => ({ sku: previous.sku, quantity: previous.qty }),
 * });
 * ```
 */
export function defineContract<Schema extends z.ZodType, Previous = unknown>(
  definition: ContractDefinition<Schema, Previous>,
): Contract<Schema, Previous> {
  const { type, version, schema } = definition;
  if (typeof type !== "string" || !TYPE_PATTERN.test(type)) {
    throw new ContractError(
      `Contract type ${describeValue(type)} must be dotted lower-case words (order.submitted)`,
      {
        details: { type },
      },
    );
  }
  if (!Number.isInteger(version) || version < 1) {
    throw new ContractError(
      `Contract ${type} version must be a whole number ≥ 1, got ${describeValue(version)}`,
      {
        details: { type, version },
      },
    );
  }
  if (definition.upcast !== undefined && version === 1) {
    throw new ContractError(`Contract ${type} v1 has no previous version to upcast from`, {
      details: { type },
    });
  }
  const name = `${type}.v${version}`;
  const schemaId = `urn:distro:contract:${type}:v${version}`;
  let cached: JsonSchema | undefined;
  return Object.freeze({
    type,
    version,
    schema,
    name,
    schemaId,
    description: definition.description,
    upcast: definition.upcast,
    parse: (payload: unknown) => parseEntity(schema, payload, name),
    jsonSchema: () => {
      cached ??= toJsonSchema(schema, {
        id: schemaId,
        title: name,
        ...(definition.description === undefined ? {} : { description: definition.description }),
      });
      // A copy, so a caller that edits the document cannot change what the registry compares.
      return structuredClone(cached);
    },
  });
}
