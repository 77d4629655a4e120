import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toJsonSchema } from "../model/json-schema";
import { OrderSchema } from "../model/order";
import { DecimalSchema } from "../money/money";
import { type CompatibilityMode, checkCompatibility, findIncompatibilities } from "./compatibility";

const schema = (shape: z.ZodRawShape) => toJsonSchema(z.object(shape));

function verdicts(oldShape: z.ZodType, newShape: z.ZodType) {
  const previous = [{ version: 1, schema: toJsonSchema(oldShape) }];
  const candidate = { version: 2, schema: toJsonSchema(newShape) };
  const modes: CompatibilityMode[] = ["BACKWARD", "FORWARD", "FULL", "NONE"];
  return Object.fromEntries(
    modes.map((mode) => [mode, checkCompatibility(candidate, previous, mode).compatible]),
  );
}

const base = { sku: z.string(), quantity: DecimalSchema };

describe("compatibility rules", () => {
  it("adding a required field without a default breaks BACKWARD only", () => {
    expect(verdicts(z.object(base), z.object({ ...base, uom: z.string() }))).toEqual({
      BACKWARD: false,
      FORWARD: true,
      FULL: false,
      NONE: true,
    });
    const issue = checkCompatibility(
      { version: 2, schema: schema({ ...base, uom: z.string() }) },
      [{ version: 1, schema: schema(base) }],
      "BACKWARD",
    ).issues[0];
    expect(issue).toMatchObject({
      code: "required_field_missing",
      path: ["uom"],
      direction: "backward",
      againstVersion: 1,
    });
    expect(issue?.message).toContain("the v2 reader requires it, v1 data does not have it");
  });

  it("adding a field with a default, or an optional one, keeps FULL", () => {
    expect(verdicts(z.object(base), z.object({ ...base, uom: z.string().default("EA") })).FULL).toBe(true);
    expect(verdicts(z.object(base), z.object({ ...base, note: z.string().optional() })).FULL).toBe(true);
  });

  it("removing a required field breaks FORWARD only; removing an optional one breaks nothing", () => {
    expect(verdicts(z.object({ ...base, uom: z.string() }), z.object(base))).toEqual({
      BACKWARD: true,
      FORWARD: false,
      FULL: false,
      NONE: true,
    });
    expect(verdicts(z.object({ ...base, note: z.string().optional() }), z.object(base)).FULL).toBe(true);
  });

  it("making an optional field required breaks BACKWARD; the reverse breaks FORWARD", () => {
    const optional = z.object({ ...base, uom: z.string().optional() });
    const required = z.object({ ...base, uom: z.string() });
    expect(verdicts(optional, required)).toMatchObject({ BACKWARD: false, FORWARD: true });
    expect(verdicts(required, optional)).toMatchObject({ BACKWARD: true, FORWARD: false });
  });

  it("changing a type breaks both directions", () => {
    expect(verdicts(z.object(base), z.object({ ...base, quantity: z.number() }))).toMatchObject({
      BACKWARD: false,
      FORWARD: false,
    });
    expect(
      findIncompatibilities(schema({ ...base, quantity: z.number() }), schema(base)).map((issue) => [
        issue.code,
        issue.path,
      ]),
    ).toEqual([["type_changed", ["quantity"]]]);
  });

  it("narrowing an enum breaks BACKWARD, widening it breaks FORWARD", () => {
    const two = z.object({ status: z.enum(["open", "closed"]) });
    const three = z.object({ status: z.enum(["open", "closed", "held"]) });
    expect(verdicts(three, two)).toMatchObject({ BACKWARD: false, FORWARD: true });
    expect(verdicts(two, three)).toMatchObject({ BACKWARD: true, FORWARD: false });
    expect(findIncompatibilities(toJsonSchema(two), toJsonSchema(three))[0]?.message).toContain('"held"');
  });

  it("treats integer as a kind of number, and nullable as widening", () => {
    expect(verdicts(z.object({ n: z.number().int() }), z.object({ n: z.number() }))).toMatchObject({
      BACKWARD: true,
      FORWARD: false,
    });
    expect(verdicts(z.object({ n: z.string() }), z.object({ n: z.string().nullable() }))).toMatchObject({
      BACKWARD: true,
      FORWARD: false,
    });
  });

  it("flags tightened constraints, changed patterns and formats", () => {
    expect(verdicts(z.object({ s: z.string().max(20) }), z.object({ s: z.string().max(10) }))).toMatchObject({
      BACKWARD: false,
      FORWARD: true,
    });
    expect(
      verdicts(z.object({ s: z.string() }), z.object({ s: z.string().regex(/^[A-Z]+$/) })),
    ).toMatchObject({
      BACKWARD: false,
      FORWARD: true,
    });
    expect(verdicts(z.object({ s: z.string() }), z.object({ s: z.email() }))).toMatchObject({
      BACKWARD: false,
    });
    expect(
      verdicts(z.object({ a: z.array(z.string()) }), z.object({ a: z.array(z.string()).min(1) })),
    ).toMatchObject({ BACKWARD: false, FORWARD: true });
  });

  it("refuses new fields against a closed (strict) reader", () => {
    const closed = z.strictObject(base);
    expect(verdicts(closed, z.strictObject({ ...base, note: z.string().optional() }))).toMatchObject({
      BACKWARD: true,
      FORWARD: false,
    });
  });

  it("checks inside arrays, records and unions, naming the path", () => {
    const v1 = z.object({ lines: z.array(z.object(base)), tags: z.record(z.string(), z.string()) });
    const v2 = z.object({
      lines: z.array(z.object({ ...base, sku: z.number() })),
      tags: z.record(z.string(), z.number()),
    });
    expect(findIncompatibilities(toJsonSchema(v2), toJsonSchema(v1)).map((issue) => issue.path)).toEqual([
      ["lines", "*", "sku"],
      ["tags", "*"],
    ]);
    const union1 = z.object({ v: z.union([z.string(), z.number()]) });
    const union2 = z.object({ v: z.string() });
    expect(verdicts(union1, union2)).toMatchObject({ BACKWARD: false, FORWARD: true });
  });

  it("terminates on recursive schemas", () => {
    type Tree = { name: string; children: Tree[] };
    const Tree: z.ZodType<Tree> = z.lazy(() => z.object({ name: z.string(), children: z.array(Tree) }));
    const TreeV2: z.ZodType<Tree & { size?: number }> = z.lazy(() =>
      z.object({ name: z.string(), size: z.number().optional(), children: z.array(TreeV2) }),
    );
    expect(verdicts(Tree, TreeV2).FULL).toBe(true);
    expect(verdicts(z.object({ ext: z.json() }), z.object({ ext: z.json() })).FULL).toBe(true);
  });

  it("finds every schema compatible with itself in every mode (property)", () => {
    const leaf = fc.constantFrom<z.ZodType>(
      z.string(),
      z.number(),
      z.number().int().min(0),
      z.boolean(),
      DecimalSchema,
      z.enum(["a", "b"]),
      z.iso.date(),
      z.string().nullable(),
    );
    const tree = fc.letrec<{ node: z.ZodType }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.array(tie("node"), { maxLength: 3 }).map((items) => z.array(items[0] ?? z.string())),
        fc
          .dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.tuple(tie("node"), fc.boolean()), { maxKeys: 4 })
          .map((entries) =>
            z.object(
              Object.fromEntries(
                Object.entries(entries).map(([key, [node, optional]]) => [
                  key,
                  optional ? node.optional() : node,
                ]),
              ),
            ),
          ),
      ),
    }));
    fc.assert(
      fc.property(tree.node, (node) => {
        const document = toJsonSchema(node);
        for (const mode of ["BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"] as const) {
          expect(
            checkCompatibility({ version: 2, schema: document }, [{ version: 1, schema: document }], mode),
          ).toEqual({
            compatible: true,
            issues: [],
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it("agrees with zod on real payloads: what BACKWARD accepts, the new schema parses (property)", () => {
    const v1 = z.object({ order: OrderSchema, source: z.string() });
    const v2 = z.object({
      order: OrderSchema,
      channel: z.string().default("unknown"),
      note: z.string().optional(),
    });
    expect(
      checkCompatibility(
        { version: 2, schema: toJsonSchema(v2) },
        [{ version: 1, schema: toJsonSchema(v1) }],
        "BACKWARD",
      ).compatible,
    ).toBe(true);
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (source) => {
        const order = OrderSchema.parse({
          id: "SO-1",
          customer: { id: "C" },
          status: "submitted",
          currency: "USD",
          orderedAt: "2026-03-01T10:00:00Z",
          shipTo: { line1: "x", city: "y", country: "US" },
          lines: [
            {
              lineNumber: 1,
              sku: "A",
              quantity: "1",
              uom: "EA",
              unitPrice: { amount: "1", currency: "USD" },
            },
          ],
        });
        expect(v2.safeParse(v1.parse({ order, source })).success).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe("compatibility modes over several versions", () => {
  const v1 = { version: 1, schema: schema(base) };
  const v2 = { version: 2, schema: schema({ ...base, uom: z.string().optional() }) };
  // v3 gives uom a default and adds an optional lot: compatible with v1 and v2 both ways.
  const v3 = {
    version: 3,
    schema: schema({ ...base, uom: z.string().default("EA"), lot: z.string().optional() }),
  };
  const v3Removing = { version: 3, schema: schema({ sku: z.string(), uom: z.string().optional() }) };

  it("plain modes compare with the latest version, transitive modes with all", () => {
    const dropsV1Field = { version: 3, schema: schema({ ...base, uom: z.string() }) };
    expect(
      checkCompatibility(dropsV1Field, [v1, v2], "BACKWARD").issues.map((i) => i.againstVersion),
    ).toEqual([2]);
    expect(
      checkCompatibility(dropsV1Field, [v1, v2], "BACKWARD_TRANSITIVE").issues.map((i) => i.againstVersion),
    ).toEqual([2, 1]);
    expect(checkCompatibility(v3, [v1, v2], "FULL_TRANSITIVE").compatible).toBe(true);
    const removing = checkCompatibility(v3Removing, [v2, v1], "FORWARD_TRANSITIVE");
    expect(removing.issues.map((issue) => [issue.code, issue.path, issue.againstVersion])).toEqual([
      ["required_field_missing", ["quantity"], 2],
      ["required_field_missing", ["quantity"], 1],
    ]);
    expect(checkCompatibility(v3Removing, [v1, v2], "NONE").compatible).toBe(true);
  });
});
