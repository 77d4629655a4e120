import type { JsonSchema } from "../model/json-schema";

/**
 * How a new version of a contract must relate to the versions before it, as schema
 * registries (Confluent, Apicurio) define the modes:
 *
 * - `BACKWARD`: readers of the new version can read data written with the previous one
 *   (upgrade consumers first).
 * - `FORWARD`: readers of the previous version can read data written with the new one
 *   (upgrade producers first).
 * - `FULL`: both.
 * - `*_TRANSITIVE`: the same, against every earlier version, not only the latest.
 * - `NONE`: no check.
 *
 * @example
 * ```ts
 * const mode: CompatibilityMode = "FULL_TRANSITIVE";
 * ```
 */
export type CompatibilityMode =
  | "BACKWARD"
  | "BACKWARD_TRANSITIVE"
  | "FORWARD"
  | "FORWARD_TRANSITIVE"
  | "FULL"
  | "FULL_TRANSITIVE"
  | "NONE";

/**
 * Every {@link CompatibilityMode}, for validation and menus.
 *
 * @example
 * ```ts
 * COMPATIBILITY_MODES.includes("FULL"); // true
 * ```
 */
export const COMPATIBILITY_MODES: readonly CompatibilityMode[] = Object.freeze([
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
  "NONE",
]);

/**
 * One reason a reader schema cannot read every payload a writer schema allows.
 * `path` names the payload location (`["order", "lines", "*", "sku"]`; `*` is any
 * array item or record value).
 */
export interface SchemaIncompatibility {
  /**
   * What kind: `required_field_missing`, `field_became_required`, `field_rejected`,
   * `type_changed`, `type_narrowed`, `enum_narrowed`, `value_rejected`,
   * `constraint_tightened`, `pattern_changed`, `format_changed`, `unsupported_construct`.
   */
  code: string;
  /** Where in the payload. */
  path: string[];
  /** A sentence for people. */
  message: string;
}

/** One compatibility problem of a candidate version against an earlier one. */
export interface CompatibilityIssue extends SchemaIncompatibility {
  /** `backward`: the new version cannot read old data; `forward`: old readers cannot read new data. */
  direction: "backward" | "forward";
  /** The earlier version the candidate was compared with. */
  againstVersion: number;
}

/** The outcome of a compatibility check. */
export interface CompatibilityResult {
  /** True when no issue was found. */
  compatible: boolean;
  /** Every problem found. */
  issues: CompatibilityIssue[];
}

type Node = JsonSchema | boolean;

const ANNOTATIONS = new Set([
  "$schema",
  "$id",
  "$comment",
  "title",
  "description",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
  "$defs",
  "definitions",
  "id",
]);

/** How {@link findIncompatibilities} calls the two schemas in its messages. */
export interface CompatibilityNames {
  /** The consumer's schema, e.g. `the v2 reader`. */
  reader: string;
  /** The producer's schema, e.g. `v1 data`. */
  writer: string;
}

interface Walk {
  readerRoot: JsonSchema;
  writerRoot: JsonSchema;
  names: CompatibilityNames;
  visited: WeakMap<object, WeakSet<object>>;
  out: SchemaIncompatibility[];
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function resolve(node: Node, root: JsonSchema): Node {
  let current = node;
  for (let depth = 0; depth < 32 && isObject(current) && typeof current.$ref === "string"; depth++) {
    const ref = current.$ref as string;
    if (ref === "#") {
      current = root;
      continue;
    }
    if (!ref.startsWith("#/")) return current;
    let target: unknown = root;
    for (const part of ref.slice(2).split("/")) {
      const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
      target = isObject(target) ? target[key] : undefined;
    }
    if (target === undefined) return current;
    const { $ref: _ref, ...siblings } = current;
    current =
      Object.keys(siblings).length > 0 && isObject(target)
        ? { ...(target as JsonSchema), ...siblings }
        : (target as Node);
  }
  return current;
}

function isUnconstrained(node: Node): boolean {
  if (node === true) return true;
  if (node === false) return false;
  return Object.keys(node).every((key) => ANNOTATIONS.has(key));
}

function typesOf(node: JsonSchema): Set<string> | undefined {
  if (typeof node.type === "string") return new Set([node.type]);
  if (Array.isArray(node.type)) return new Set(node.type as string[]);
  const values = valuesOf(node);
  if (values) return new Set(values.map(jsonType));
  return undefined;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function valuesOf(node: JsonSchema): unknown[] | undefined {
  if (Array.isArray(node.enum)) return node.enum;
  if ("const" in node) return [node.const];
  return undefined;
}

function show(path: string[]): string {
  return path.length === 0 ? "(root)" : path.join(".");
}

function typeAccepts(readerTypes: Set<string>, type: string): boolean {
  return readerTypes.has(type) || (type === "integer" && readerTypes.has("number"));
}

function valueAccepted(reader: JsonSchema, value: unknown): boolean {
  const types = typesOf(reader);
  if (types && !typeAccepts(types, jsonType(value))) return false;
  const values = valuesOf(reader);
  if (values && !values.some((candidate) => JSON.stringify(candidate) === JSON.stringify(value)))
    return false;
  if (typeof value === "string") {
    if (typeof reader.pattern === "string") {
      try {
        if (!new RegExp(reader.pattern, "u").test(value)) return false;
      } catch {
        return false;
      }
    }
    if (typeof reader.minLength === "number" && [...value].length < reader.minLength) return false;
    if (typeof reader.maxLength === "number" && [...value].length > reader.maxLength) return false;
  }
  if (typeof value === "number") {
    if (typeof reader.minimum === "number" && value < reader.minimum) return false;
    if (typeof reader.maximum === "number" && value > reader.maximum) return false;
    if (typeof reader.exclusiveMinimum === "number" && value <= reader.exclusiveMinimum) return false;
    if (typeof reader.exclusiveMaximum === "number" && value >= reader.exclusiveMaximum) return false;
  }
  return true;
}

function num(node: JsonSchema, key: string): number | undefined {
  const value = node[key];
  return typeof value === "number" ? value : undefined;
}

function lowerBound(
  reader: JsonSchema,
  writer: JsonSchema,
  key: string,
  path: string[],
  walk: Walk,
  what: string,
): void {
  const need = num(reader, key);
  if (need === undefined) return;
  const have = num(writer, key);
  if (have === undefined || have < need) {
    walk.out.push({
      code: "constraint_tightened",
      path,
      message: `${show(path)}: ${walk.names.reader} needs ${what} ≥ ${need}, ${walk.names.writer} allows ${have === undefined ? "any" : `${have}`}`,
    });
  }
}

function upperBound(
  reader: JsonSchema,
  writer: JsonSchema,
  key: string,
  path: string[],
  walk: Walk,
  what: string,
): void {
  const need = num(reader, key);
  if (need === undefined) return;
  const have = num(writer, key);
  if (have === undefined || have > need) {
    walk.out.push({
      code: "constraint_tightened",
      path,
      message: `${show(path)}: ${walk.names.reader} needs ${what} ≤ ${need}, ${walk.names.writer} allows ${have === undefined ? "any" : `${have}`}`,
    });
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .filter((key) => !ANNOTATIONS.has(key))
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

function compare(readerNode: Node, writerNode: Node, path: string[], walk: Walk): void {
  const reader = resolve(readerNode, walk.readerRoot);
  const writer = resolve(writerNode, walk.writerRoot);
  if (reader === true || writer === false || isUnconstrained(reader)) return;
  if (reader === false) {
    walk.out.push({
      code: "field_rejected",
      path,
      message: `${show(path)}: ${walk.names.reader} accepts nothing here`,
    });
    return;
  }
  if (writer === true) {
    walk.out.push({
      code: "type_narrowed",
      path,
      message: `${show(path)}: ${walk.names.writer} allows any value, ${walk.names.reader} constrains it`,
    });
    return;
  }
  // Guard recursion through $ref cycles: a pair already being compared further up is
  // assumed fine (co-inductively); the mark is removed once the comparison finishes.
  const seen = walk.visited.get(reader) ?? new WeakSet<object>();
  if (seen.has(writer)) return;
  seen.add(writer);
  walk.visited.set(reader, seen);
  try {
    compareResolved(reader, writer, path, walk);
  } finally {
    seen.delete(writer);
  }
}

function compareResolved(reader: JsonSchema, writer: JsonSchema, path: string[], walk: Walk): void {
  const writerBranches = (writer.anyOf ?? writer.oneOf) as Node[] | undefined;
  if (Array.isArray(writerBranches)) {
    const { anyOf: _a, oneOf: _o, ...rest } = writer;
    for (const branch of writerBranches) {
      const merged = isObject(branch) && Object.keys(rest).length > 0 ? { ...rest, ...branch } : branch;
      compare(reader, merged, path, walk);
    }
    return;
  }
  const readerBranches = (reader.anyOf ?? reader.oneOf) as Node[] | undefined;
  if (Array.isArray(readerBranches)) {
    let best: SchemaIncompatibility[] | undefined;
    for (const branch of readerBranches) {
      const trial: Walk = { ...walk, out: [] };
      compare(branch, writer, path, trial);
      if (trial.out.length === 0) return;
      if (best === undefined || trial.out.length < best.length) best = trial.out;
    }
    walk.out.push(...(best ?? []));
    return;
  }
  for (const keyword of ["allOf", "not", "if", "then", "else", "dependentSchemas", "patternProperties"]) {
    if (keyword in reader || keyword in writer) {
      if (canonical(reader) !== canonical(writer)) {
        walk.out.push({
          code: "unsupported_construct",
          path,
          message: `${show(path)}: uses ${keyword}, which is compared only for equality, and it changed`,
        });
      }
      return;
    }
  }

  const writerValues = valuesOf(writer);
  if (writerValues) {
    const rejected = writerValues.filter((value) => !valueAccepted(reader, value));
    if (rejected.length > 0) {
      walk.out.push({
        code: valuesOf(reader) ? "enum_narrowed" : "value_rejected",
        path,
        message: `${show(path)}: ${walk.names.writer} may carry ${rejected.map((value) => JSON.stringify(value)).join(", ")}, which ${walk.names.reader} does not accept`,
      });
    }
    return;
  }
  const readerValues = valuesOf(reader);
  if (readerValues) {
    walk.out.push({
      code: "enum_narrowed",
      path,
      message: `${show(path)}: ${walk.names.reader} accepts only ${readerValues.map((value) => JSON.stringify(value)).join(", ")}, ${walk.names.writer} any value of its type`,
    });
    return;
  }

  const readerTypes = typesOf(reader);
  const writerTypes = typesOf(writer);
  if (readerTypes) {
    if (!writerTypes) {
      walk.out.push({
        code: "type_narrowed",
        path,
        message: `${show(path)}: ${walk.names.reader} expects ${[...readerTypes].join(" or ")}, ${walk.names.writer} allows any type`,
      });
      return;
    }
    const foreign = [...writerTypes].filter((type) => !typeAccepts(readerTypes, type));
    if (foreign.length > 0) {
      walk.out.push({
        code: "type_changed",
        path,
        message: `${show(path)}: ${walk.names.writer} may carry ${foreign.join(" or ")}, ${walk.names.reader} expects ${[...readerTypes].join(" or ")}`,
      });
      return;
    }
  }
  const types = writerTypes ?? readerTypes ?? new Set<string>();

  if (types.has("string")) {
    lowerBound(reader, writer, "minLength", path, walk, "length");
    upperBound(reader, writer, "maxLength", path, walk, "length");
    if (typeof reader.pattern === "string" && reader.pattern !== writer.pattern) {
      walk.out.push({
        code: "pattern_changed",
        path,
        message: `${show(path)}: ${walk.names.reader} requires pattern ${reader.pattern}, ${walk.names.writer} ${typeof writer.pattern === "string" ? `has ${writer.pattern}` : "has none"}`,
      });
    }
    if (typeof reader.format === "string" && reader.format !== writer.format) {
      walk.out.push({
        code: "format_changed",
        path,
        message: `${show(path)}: ${walk.names.reader} requires format ${reader.format}, ${walk.names.writer} ${typeof writer.format === "string" ? `has ${writer.format}` : "has none"}`,
      });
    }
  }
  if (types.has("number") || types.has("integer")) {
    lowerBound(reader, writer, "minimum", path, walk, "values");
    upperBound(reader, writer, "maximum", path, walk, "values");
    const readerExclusiveMin = num(reader, "exclusiveMinimum");
    if (readerExclusiveMin !== undefined) {
      const writerMin = num(writer, "exclusiveMinimum") ?? num(writer, "minimum");
      const strict = num(writer, "exclusiveMinimum") !== undefined;
      if (
        writerMin === undefined ||
        writerMin < readerExclusiveMin ||
        (writerMin === readerExclusiveMin && !strict)
      ) {
        walk.out.push({
          code: "constraint_tightened",
          path,
          message: `${show(path)}: ${walk.names.reader} needs values > ${readerExclusiveMin}`,
        });
      }
    }
    const readerExclusiveMax = num(reader, "exclusiveMaximum");
    if (readerExclusiveMax !== undefined) {
      const writerMax = num(writer, "exclusiveMaximum") ?? num(writer, "maximum");
      const strict = num(writer, "exclusiveMaximum") !== undefined;
      if (
        writerMax === undefined ||
        writerMax > readerExclusiveMax ||
        (writerMax === readerExclusiveMax && !strict)
      ) {
        walk.out.push({
          code: "constraint_tightened",
          path,
          message: `${show(path)}: ${walk.names.reader} needs values < ${readerExclusiveMax}`,
        });
      }
    }
    const readerMultiple = num(reader, "multipleOf");
    const writerMultiple = num(writer, "multipleOf");
    if (
      readerMultiple !== undefined &&
      (writerMultiple === undefined || !Number.isInteger(writerMultiple / readerMultiple))
    ) {
      walk.out.push({
        code: "constraint_tightened",
        path,
        message: `${show(path)}: ${walk.names.reader} needs multiples of ${readerMultiple}`,
      });
    }
  }
  if (types.has("object")) compareObjects(reader, writer, path, walk);
  if (types.has("array")) compareArrays(reader, writer, path, walk);
}

function compareObjects(reader: JsonSchema, writer: JsonSchema, path: string[], walk: Walk): void {
  const readerProperties = (isObject(reader.properties) ? reader.properties : {}) as Record<string, Node>;
  const writerProperties = (isObject(writer.properties) ? writer.properties : {}) as Record<string, Node>;
  const readerRequired = new Set(Array.isArray(reader.required) ? (reader.required as string[]) : []);
  const writerRequired = new Set(Array.isArray(writer.required) ? (writer.required as string[]) : []);
  const writerExtra = writer.additionalProperties as Node | undefined;
  const readerExtra = reader.additionalProperties as Node | undefined;

  for (const name of readerRequired) {
    const here = [...path, name];
    const property = readerProperties[name];
    const hasDefault = isObject(property) && "default" in property;
    if (!(name in writerProperties)) {
      if (hasDefault) continue;
      walk.out.push({
        code: "required_field_missing",
        path: here,
        message: `${show(here)}: ${walk.names.reader} requires it, ${walk.names.writer} does not have it (give it a default or make it optional)`,
      });
    } else if (!writerRequired.has(name) && !hasDefault) {
      walk.out.push({
        code: "field_became_required",
        path: here,
        message: `${show(here)}: ${walk.names.reader} requires it, ${walk.names.writer} may leave it out`,
      });
    }
  }
  for (const [name, property] of Object.entries(readerProperties)) {
    const here = [...path, name];
    if (name in writerProperties) compare(property, writerProperties[name]!, here, walk);
    else if (isObject(writerExtra) || writerExtra === true) compare(property, writerExtra, here, walk);
  }
  for (const [name, property] of Object.entries(writerProperties)) {
    if (name in readerProperties) continue;
    const here = [...path, name];
    if (readerExtra === false) {
      walk.out.push({
        code: "field_rejected",
        path: here,
        message: `${show(here)}: ${walk.names.writer} may carry it, ${walk.names.reader} is a closed object without it`,
      });
    } else if (isObject(readerExtra)) {
      compare(readerExtra, property, here, walk);
    }
  }
  if (writerExtra !== undefined && writerExtra !== false) {
    const here = [...path, "*"];
    if (readerExtra === false) {
      walk.out.push({
        code: "field_rejected",
        path: here,
        message: `${show(here)}: ${walk.names.writer} allows more keys, ${walk.names.reader} allows none`,
      });
    } else if (readerExtra !== undefined) {
      compare(readerExtra, writerExtra, here, walk);
    }
    if (reader.propertyNames !== undefined) {
      compare(
        reader.propertyNames as Node,
        (writer.propertyNames as Node | undefined) ?? { type: "string" },
        [...path, "(key)"],
        walk,
      );
    }
  }
  lowerBound(reader, writer, "minProperties", path, walk, "property count");
  upperBound(reader, writer, "maxProperties", path, walk, "property count");
}

function compareArrays(reader: JsonSchema, writer: JsonSchema, path: string[], walk: Walk): void {
  const here = [...path, "*"];
  if (Array.isArray(reader.prefixItems) || Array.isArray(writer.prefixItems)) {
    if (canonical(reader.prefixItems) !== canonical(writer.prefixItems)) {
      walk.out.push({
        code: "unsupported_construct",
        path,
        message: `${show(path)}: tuple items (prefixItems) changed; tuples are compared only for equality`,
      });
    }
  }
  if (reader.items !== undefined)
    compare(reader.items as Node, (writer.items as Node | undefined) ?? true, here, walk);
  lowerBound(reader, writer, "minItems", path, walk, "item count");
  upperBound(reader, writer, "maxItems", path, walk, "item count");
  if (reader.uniqueItems === true && writer.uniqueItems !== true) {
    walk.out.push({
      code: "constraint_tightened",
      path,
      message: `${show(path)}: ${walk.names.reader} requires unique items, ${walk.names.writer} does not`,
    });
  }
}

/**
 * Finds why a reader schema could fail on data that a writer schema allows, by
 * comparing the two JSON Schemas structurally. Empty when every writer payload reads.
 *
 * The rules, for a reader R and a writer W:
 * - a property R requires must be required by W, unless R gives it a `default`
 *   (`required_field_missing`, `field_became_required`);
 * - a property W declares and R does not is fine when R is open (zod objects are: they
 *   strip unknown keys), refused when R is closed (`additionalProperties: false`);
 * - a property W does not declare and R has as optional is fine: writers built from
 *   the schema never send it;
 * - a type W allows must be allowed by R (`integer` reads as `number`, not the reverse);
 * - enum values W may carry must be in R's enum; R gaining an enum W lacks narrows it;
 * - R's `minLength`/`maxLength`/`minimum`/`maximum`/`minItems`/... must not be tighter
 *   than W's; a `pattern` or `format` in R must equal W's;
 * - `anyOf`/`oneOf`: each W branch must read with some R branch;
 * - `allOf`, `not`, conditionals and tuples are compared for equality only.
 *
 * @param reader - the schema of the consumer
 * @param writer - the schema of the producer
 * @param names - how messages call them (default `reader`, `writer`)
 * @returns the incompatibilities found
 * @example
 * ```ts
 * const v1 = toJsonSchema(z.object({ sku: z.string() }));
 * const v2 = toJsonSchema(z.object({ sku: z.string(), uom: z.string() }));
 * findIncompatibilities(v2, v1)[0]?.code; // "required_field_missing"
 * ```
 */
export function findIncompatibilities(
  reader: JsonSchema,
  writer: JsonSchema,
  names: CompatibilityNames = { reader: "reader", writer: "writer" },
): SchemaIncompatibility[] {
  const walk: Walk = { readerRoot: reader, writerRoot: writer, names, visited: new WeakMap(), out: [] };
  compare(reader, writer, [], walk);
  return walk.out;
}

/**
 * Checks a candidate version's JSON Schema against earlier versions in a
 * {@link CompatibilityMode}. Plain modes compare with the latest earlier version only;
 * transitive modes with every one.
 *
 * @param candidate - the new version and its JSON Schema
 * @param previous - the earlier versions and their schemas, in any order
 * @param mode - the compatibility mode
 * @returns whether it is compatible, and every issue with its direction and version
 * @example
 * ```ts
 * const result = checkCompatibility({ version: 2, schema: v2 }, [{ version: 1, schema: v1 }], "BACKWARD");
 * result.compatible; // false when v2 requires a field v1 lacks
 * ```
 */
export function checkCompatibility(
  candidate: { version: number; schema: JsonSchema },
  previous: readonly { version: number; schema: JsonSchema }[],
  mode: CompatibilityMode,
): CompatibilityResult {
  if (mode === "NONE" || previous.length === 0) return { compatible: true, issues: [] };
  const ordered = [...previous].sort((a, b) => b.version - a.version);
  const against = mode.endsWith("_TRANSITIVE") ? ordered : ordered.slice(0, 1);
  const backward = mode.startsWith("BACKWARD") || mode.startsWith("FULL");
  const forward = mode.startsWith("FORWARD") || mode.startsWith("FULL");
  const issues: CompatibilityIssue[] = [];
  for (const earlier of against) {
    const newName = `v${candidate.version}`;
    const oldName = `v${earlier.version}`;
    if (backward) {
      for (const issue of findIncompatibilities(candidate.schema, earlier.schema, {
        reader: `the ${newName} reader`,
        writer: `${oldName} data`,
      })) {
        issues.push({ ...issue, direction: "backward", againstVersion: earlier.version });
      }
    }
    if (forward) {
      for (const issue of findIncompatibilities(earlier.schema, candidate.schema, {
        reader: `the ${oldName} reader`,
        writer: `${newName} data`,
      })) {
        issues.push({ ...issue, direction: "forward", againstVersion: earlier.version });
      }
    }
  }
  return { compatible: issues.length === 0, issues };
}
