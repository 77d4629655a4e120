import Ajv2020 from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createCanonicalRegistry } from "../contracts/canonical";
import { DecimalSchema, MoneySchema } from "../money/money";
import { NonNegativeDecimalSchema } from "./common";
import { mutated } from "./fixtures/mutate";
import { SAMPLE_ENTITIES } from "./fixtures/samples";
import { toJsonSchema } from "./json-schema";
import { ENTITY_SCHEMAS } from "./parse";

// A real draft 2020-12 validator: the exported schemas must compile and agree with zod.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

describe("toJsonSchema", () => {
  it("emits draft 2020-12 with decimal patterns, ids and titles", () => {
    const document = toJsonSchema(MoneySchema, { id: "urn:x", title: "Money", description: "An amount" });
    expect(document).toEqual({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "urn:x",
      title: "Money",
      description: "An amount",
      type: "object",
      properties: {
        amount: { type: "string", pattern: "^-?(?:0|[1-9]\\d*)(?:\\.\\d+)?$" },
        currency: { type: "string", pattern: "^[A-Z]{3}$" },
      },
      required: ["amount", "currency"],
    });
    expect(toJsonSchema(z.object({ q: NonNegativeDecimalSchema })).properties).toEqual({
      q: { type: "string", pattern: "^-?(?:0|[1-9]\\d*)(?:\\.\\d+)?$" },
    });
  });

  it("input mode leaves defaulted fields optional; output mode requires them", () => {
    const schema = z.object({ uom: z.string().default("EA") });
    expect(toJsonSchema(schema).required).toBeUndefined();
    expect(toJsonSchema(schema, { io: "output" }).required).toEqual(["uom"]);
  });

  it("the decimal pattern accepts exactly what DecimalSchema accepts (property)", () => {
    const pattern = new RegExp(toJsonSchema(DecimalSchema).pattern as string);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^-?\d{1,4}(\.\d{0,4})?$/)), (text) => {
        expect(pattern.test(text)).toBe(DecimalSchema.safeParse(text).success);
      }),
    );
  });
});

describe("exported JSON Schemas in a real validator", () => {
  const entities = Object.entries(ENTITY_SCHEMAS).map(([name, schema]) => ({
    name,
    schema,
    validate: ajv.compile(toJsonSchema(schema)),
  }));

  for (const { name, schema, validate } of entities) {
    it(`${name}: accepts the sample and never refuses what zod accepts (property)`, () => {
      const sample = SAMPLE_ENTITIES[name as keyof typeof SAMPLE_ENTITIES];
      expect(validate(sample), JSON.stringify(validate.errors)).toBe(true);
      fc.assert(
        fc.property(mutated(sample), (input) => {
          // JSON Schema cannot express cross-field rules and check digits, so it may
          // accept more than zod; it must never reject a record zod accepts.
          if (schema.safeParse(input).success)
            expect(validate(input), JSON.stringify(validate.errors)).toBe(true);
          if (!validate(input)) expect(schema.safeParse(input).success).toBe(false);
        }),
        { numRuns: 200 },
      );
    });
  }

  it("rejects floats for money where zod does", () => {
    const order = entities.find((entry) => entry.name === "Order")!;
    const sample = structuredClone(SAMPLE_ENTITIES.Order) as unknown as {
      lines: { unitPrice: { amount: unknown } }[];
    };
    sample.lines[0]!.unitPrice.amount = 0.0125;
    expect(order.validate(sample)).toBe(false);
    expect(order.validate.errors?.[0]?.instancePath).toBe("/lines/0/unitPrice/amount");
  });

  it("every canonical contract schema compiles", () => {
    for (const entry of createCanonicalRegistry().exportJsonSchemas()) {
      expect(() => ajv.compile(entry.schema), entry.name).not.toThrow();
    }
  });
});
