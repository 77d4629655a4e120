import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toJsonSchema } from "../model/json-schema";
import { DecimalSchema } from "../money/money";
import { checkCompatibility } from "./compatibility";

// Random schema evolutions: whenever the checker calls v2 compatible with v1, real data
// must actually read across in that direction. This is what a registry promises.

const KINDS = ["string", "number", "int", "bool", "enum2", "enum3", "decimal"] as const;
type Kind = (typeof KINDS)[number];
interface Field {
  kind: Kind;
  optional: boolean;
  withDefault: boolean;
}
type Spec = Record<string, Field>;

const leaf: Record<Kind, () => z.ZodType> = {
  string: () => z.string(),
  number: () => z.number(),
  int: () => z.number().int(),
  bool: () => z.boolean(),
  enum2: () => z.enum(["a", "b"]),
  enum3: () => z.enum(["a", "b", "c"]),
  decimal: () => DecimalSchema,
};
const DEFAULTS: Record<Kind, unknown> = {
  string: "x",
  number: 1.5,
  int: 2,
  bool: true,
  enum2: "a",
  enum3: "c",
  decimal: "1.25",
};
const values: Record<Kind, fc.Arbitrary<unknown>> = {
  string: fc.string(),
  number: fc.double({ noNaN: true, min: -1e9, max: 1e9 }),
  int: fc.integer(),
  bool: fc.boolean(),
  enum2: fc.constantFrom("a", "b"),
  enum3: fc.constantFrom("a", "b", "c"),
  decimal: fc.stringMatching(/^-?(?:0|[1-9]\d{0,5})(?:\.\d{1,4})?$/),
};

function build(spec: Spec): z.ZodType {
  return z.object(
    Object.fromEntries(
      Object.entries(spec).map(([name, field]) => {
        const base = leaf[field.kind]();
        if (field.withDefault) return [name, base.default(DEFAULTS[field.kind] as never)];
        return [name, field.optional ? base.optional() : base];
      }),
    ),
  );
}

const fieldArbitrary = fc.record({
  kind: fc.constantFrom(...KINDS),
  optional: fc.boolean(),
  withDefault: fc.boolean(),
});
const names = fc.constantFrom("a", "b", "c", "d", "e");
const specArbitrary = fc.dictionary(names, fieldArbitrary, { maxKeys: 5 });

const evolution = specArbitrary.chain((v1) =>
  fc
    .array(
      fc.oneof(
        fc.tuple(fc.constant("add" as const), names, fieldArbitrary),
        fc.tuple(fc.constant("remove" as const), names, fieldArbitrary),
        fc.tuple(fc.constant("change" as const), names, fieldArbitrary),
      ),
      { maxLength: 3 },
    )
    .map((steps) => {
      const v2: Spec = { ...v1 };
      for (const [step, name, field] of steps) {
        if (step === "remove") delete v2[name];
        else if (step === "add" && !(name in v2)) v2[name] = field;
        else if (step === "change" && name in v2) v2[name] = field;
      }
      return { v1, v2 };
    }),
);

/** Data a writer built from `spec` may send: required fields always, optional ones sometimes. */
function dataFor(spec: Spec): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(spec).map(([name, field]) =>
    field.optional || field.withDefault
      ? fc.option(values[field.kind], { nil: undefined }).map((value) => [name, value] as const)
      : values[field.kind].map((value) => [name, value] as const),
  );
  return fc
    .tuple(...entries)
    .map((pairs) => Object.fromEntries(pairs.filter(([, value]) => value !== undefined)));
}

function check(v1: Spec, v2: Spec, mode: "BACKWARD" | "FORWARD") {
  return checkCompatibility(
    { version: 2, schema: toJsonSchema(build(v2)) },
    [{ version: 1, schema: toJsonSchema(build(v1)) }],
    mode,
  ).compatible;
}

describe("compatibility verdicts hold on real data (property)", () => {
  it("BACKWARD-compatible: the new schema parses everything the old one's writers send", () => {
    fc.assert(
      fc.property(
        evolution.chain(({ v1, v2 }) => dataFor(v1).map((data) => ({ v1, v2, data }))),
        ({ v1, v2, data }) => {
          expect(build(v1).safeParse(data).success).toBe(true);
          if (check(v1, v2, "BACKWARD")) expect(build(v2).safeParse(data).success).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("FORWARD-compatible: the old schema parses everything the new one's writers send", () => {
    fc.assert(
      fc.property(
        evolution.chain(({ v1, v2 }) => dataFor(v2).map((data) => ({ v1, v2, data }))),
        ({ v1, v2, data }) => {
          expect(build(v2).safeParse(data).success).toBe(true);
          if (check(v1, v2, "FORWARD")) expect(build(v1).safeParse(data).success).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("is not vacuous: both verdicts occur", () => {
    const verdicts = fc
      .sample(evolution, { numRuns: 300, seed: 42 })
      .map(({ v1, v2 }) => check(v1, v2, "BACKWARD"));
    expect(verdicts).toContain(true);
    expect(verdicts).toContain(false);
  });
});
