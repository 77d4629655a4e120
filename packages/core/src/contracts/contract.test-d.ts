import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import type { Order } from "../model/order";
import { parseEntity } from "../model/parse";
import { type OrderSubmittedV1, type OrderSubmittedV2, OrderSubmittedV2Contract } from "./canonical";
import { type Contract, defineContract } from "./contract";
import { ContractRegistry } from "./registry";

describe("contract types", () => {
  it("infers the payload type from the schema", () => {
    const V1 = defineContract({
      type: "stock.counted",
      version: 1,
      schema: z.object({ sku: z.string(), qty: z.string() }),
    });
    expectTypeOf(V1.parse({})).toEqualTypeOf<{ sku: string; qty: string }>();
  });

  it("types the upcaster's argument and checks its result against the new schema's input", () => {
    const V2 = defineContract({
      type: "stock.counted",
      version: 2,
      schema: z.object({ sku: z.string(), quantity: z.string(), uom: z.string().default("EA") }),
      upcast: (previous: { sku: string; qty: string }) => ({ sku: previous.sku, quantity: previous.qty }),
    });
    expectTypeOf(V2.parse({})).toEqualTypeOf<{ sku: string; quantity: string; uom: string }>();
    // a contract with a typed upcaster is still a Contract for the registry
    expectTypeOf(V2).toExtend<Contract>();
    new ContractRegistry().register(V2);
    defineContract({
      type: "stock.counted",
      version: 2,
      schema: z.object({ sku: z.string() }),
      // @ts-expect-error the upcast must return the new schema's input
      upcast: (previous: { sku: string }) => ({ sku: 1, other: previous }),
    });
  });

  it("names the canonical payload types", () => {
    expectTypeOf(OrderSubmittedV2Contract.parse({})).toEqualTypeOf<{
      order: Order;
      channel: { kind: OrderSubmittedV2["channel"]["kind"]; name: string };
      idempotencyKey?: string | undefined;
      submittedAt: string;
    }>();
    expectTypeOf<OrderSubmittedV1["order"]>().toEqualTypeOf<Order>();
  });

  it("parseEntity returns the schema's output type", () => {
    const schema = z.object({ n: z.string().default("x") });
    expectTypeOf(parseEntity(schema, {})).toEqualTypeOf<{ n: string }>();
  });
});
