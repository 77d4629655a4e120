import { z } from "zod";
import { DecimalSchema } from "../money/money";

/** A JSON Schema document (draft 2020-12), as plain JSON. */
export type JsonSchema = { [keyword: string]: unknown };

/** Options of {@link toJsonSchema}. */
export interface ToJsonSchemaOptions {
  /**
   * `input` (default) describes what the schema accepts: fields with defaults are
   * optional. `output` describes what parsing returns: every defaulted field present.
   */
  io?: "input" | "output";
  /** `$id` of the document. */
  id?: string;
  /** `title` of the document. */
  title?: string;
  /** `description` of the document. */
  description?: string;
}

const DECIMAL_PATTERN = "^-?(?:0|[1-9]\\d*)(?:\\.\\d+)?$";
const decimalCheck = (
  DecimalSchema as unknown as { _zod: { def: { checks: { _zod: { def: { fn?: unknown } } }[] } } }
)._zod.def.checks[0]?._zod.def.fn;

function isDecimalStringSchema(schema: unknown): boolean {
  const checks = (schema as { _zod?: { def?: { checks?: { _zod?: { def?: { fn?: unknown } } }[] } } })._zod
    ?.def?.checks;
  return checks?.some((check) => check._zod?.def?.fn === decimalCheck) ?? false;
}

/**
 * Converts a zod schema to JSON Schema draft 2020-12 with zod's own converter, adding
 * what zod cannot express from a refinement: decimal strings get their `pattern`
 * (`^-?(?:0|[1-9]\d*)(?:\.\d+)?$`). Other refinements (check digits, cross-field rules)
 * stay in code and are described in `description`s where it matters.
 *
 * @param schema - a zod schema
 * @param options - `io`, `$id`, `title`, `description`
 * @returns the JSON Schema document
 * @example
 * ```ts
 * const document = toJsonSchema(OrderSchema, { title: "Order" });
 * document.$schema; // "https://json-schema.org/draft/2020-12/schema"
 * ```
 */
export function toJsonSchema(schema: z.ZodType, options: ToJsonSchemaOptions = {}): JsonSchema {
  const document = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io: options.io ?? "input",
    unrepresentable: "any",
    override: (context) => {
      if (isDecimalStringSchema(context.zodSchema) && context.jsonSchema.type === "string") {
        context.jsonSchema.pattern = DECIMAL_PATTERN;
      }
    },
  }) as JsonSchema;
  const head: JsonSchema = { $schema: document.$schema };
  if (options.id !== undefined) head.$id = options.id;
  if (options.title !== undefined) head.title = options.title;
  if (options.description !== undefined) head.description = options.description;
  return { ...head, ...document };
}
