import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { withCorrelation } from "../correlation/context";
import { type CloudEvent, parseEvent } from "./cloud-event";
import { causedBy, createEvent, withCorrelationFrom } from "./create-event";
import { fromBinaryHttp, fromHttp, fromStructured } from "./http-binding";

describe("envelope types", () => {
  it("createEvent infers the data type", () => {
    const event = createEvent({ type: "order.submitted", source: "/shop", data: { orderNumber: "1001" } });
    expectTypeOf(event).toEqualTypeOf<CloudEvent<{ orderNumber: string }>>();
    expectTypeOf(event.data).toEqualTypeOf<{ orderNumber: string } | undefined>();
    expectTypeOf(event.specversion).toEqualTypeOf<"1.0">();
  });

  it("parseEvent with a data parser gives data that is always there and typed", () => {
    const schema = z.object({ sku: z.string() });
    expectTypeOf(parseEvent({}, { data: schema }).data).toEqualTypeOf<{ sku: string }>();
    expectTypeOf(parseEvent({}, { data: (value: unknown) => String(value) }).data).toEqualTypeOf<string>();
    expectTypeOf(parseEvent({}).data).toEqualTypeOf<unknown>();
    expectTypeOf(fromHttp(new Headers(), "", { data: schema }).data).toEqualTypeOf<{ sku: string }>();
    expectTypeOf(fromStructured("", undefined, { data: schema }).data).toEqualTypeOf<{ sku: string }>();
    expectTypeOf(fromBinaryHttp(new Headers(), "").data).toEqualTypeOf<unknown>();
  });

  it("causedBy spreads into createEvent and the runners return what the function returns", () => {
    const parent = createEvent({ type: "a", source: "/s" });
    expectTypeOf(createEvent({ type: "b", source: "/s", ...causedBy(parent) })).toEqualTypeOf<
      CloudEvent<unknown>
    >();
    expectTypeOf(withCorrelationFrom(parent, async () => 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(withCorrelation({}, () => "x")).toEqualTypeOf<string>();
  });
});
