import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getCorrelation, withCorrelation } from "../correlation/context";
import { isDistroError } from "../errors/distro-error";
import { ValidationError } from "../errors/validation-error";
import { parseEvent } from "./cloud-event";
import { causedBy, correlationFromEvent, createEvent, withCorrelationFrom } from "./create-event";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const fixed = { clock: () => new Date("2026-11-30T00:00:00.000Z"), generateId: () => "evt-fixed" };

function pathOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues[0]?.path;
  }
  throw new Error("expected a ValidationError");
}

describe("createEvent", () => {
  it("fills id and time, and starts its own correlation outside a context", () => {
    const event = createEvent({ type: "com.distro.order.submitted", source: "/shop/acme", data: { n: 1 } });
    expect(event.id).toMatch(UUID_V4);
    expect(event.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(event.correlationid).toBe(event.id);
    expect(event.datacontenttype).toBe("application/json");
    expect(event).not.toHaveProperty("causationid");
    expect(parseEvent(event)).toEqual(event);
  });

  it("uses the injected clock and id generator exactly", () => {
    expect(createEvent({ type: "t", source: "/s" }, fixed)).toEqual({
      specversion: "1.0",
      id: "evt-fixed",
      source: "/s",
      type: "t",
      time: "2026-11-30T00:00:00.000Z",
      correlationid: "evt-fixed",
    });
  });

  it("takes correlation, causation and traceparent from the current context", () => {
    const event = withCorrelation(
      { correlationId: "c-1", causationId: "cmd-9", traceparent: TRACEPARENT },
      () => createEvent({ type: "t", source: "/s", data: "x" }, fixed),
    );
    expect(event).toMatchObject({ correlationid: "c-1", causationid: "cmd-9", traceparent: TRACEPARENT });
    const tenanted = withCorrelation({ tenant: "acme" }, () => createEvent({ type: "t", source: "/s" }));
    expect(tenanted["tenant"]).toBe("acme");
    expect(correlationFromEvent(tenanted).tenant).toBe("acme");
  });

  it("keeps every optional attribute given and explicit correlation overrides", () => {
    const event = withCorrelation({ correlationId: "c-1" }, () =>
      createEvent({
        type: "com.distro.invoice.posted",
        source: "https://erp.example/bc",
        subject: "INV-1",
        dataschema: "https://distro.dev/contracts/invoice.posted/1.json",
        datacontenttype: "application/xml",
        data: "<invoice/>",
        id: "evt-2",
        time: "2026-11-30T01:00:00+01:00",
        correlationid: "c-override",
        extensions: { tenant: "acme", attempt: 2, replayed: false },
      }),
    );
    expect(event).toEqual({
      specversion: "1.0",
      id: "evt-2",
      source: "https://erp.example/bc",
      type: "com.distro.invoice.posted",
      subject: "INV-1",
      dataschema: "https://distro.dev/contracts/invoice.posted/1.json",
      datacontenttype: "application/xml",
      time: "2026-11-30T01:00:00+01:00",
      correlationid: "c-override",
      tenant: "acme",
      attempt: 2,
      replayed: false,
      data: "<invoice/>",
    });
  });

  it("leaves out an invalid traceparent instead of failing", () => {
    const event = withCorrelation({ traceparent: "not-a-traceparent" }, () =>
      createEvent({ type: "t", source: "/s" }),
    );
    expect(event).not.toHaveProperty("traceparent");
    expect(createEvent({ type: "t", source: "/s", traceparent: TRACEPARENT }).traceparent).toBe(TRACEPARENT);
  });

  it("sets no JSON content type for binary data", () => {
    expect(createEvent({ type: "t", source: "/s", data: new Uint8Array([1]) })).not.toHaveProperty(
      "datacontenttype",
    );
  });

  it("names the invalid attribute", () => {
    expect(pathOf(() => createEvent({ type: "", source: "/s" }))).toEqual(["type"]);
    expect(pathOf(() => createEvent({ type: "t", source: "not a uri" }))).toEqual(["source"]);
    expect(pathOf(() => createEvent({ type: "t", source: "/s", id: "" }))).toEqual(["id"]);
    expect(pathOf(() => createEvent({ type: "t", source: "/s", time: "now" }))).toEqual(["time"]);
    expect(pathOf(() => createEvent({ type: "t", source: "/s", time: new Date(Number.NaN) }))).toEqual([
      "time",
    ]);
    expect(pathOf(() => createEvent({ type: "t", source: "/s", dataschema: "/rel" }))).toEqual([
      "dataschema",
    ]);
    expect(pathOf(() => createEvent({ type: "t", source: "/s", datacontenttype: "json" }))).toEqual([
      "datacontenttype",
    ]);
    expect(pathOf(() => createEvent({ type: "t", source: "/s", subject: "a\nb" }))).toEqual(["subject"]);
    expect(pathOf(() => createEvent({ type: "t", source: "/s", extensions: { Tenant: "x" } }))).toEqual([
      "Tenant",
    ]);
    expect(pathOf(() => createEvent({ type: "t", source: "/s", extensions: { subject: "x" } }))).toEqual([
      "subject",
    ]);
    expect(pathOf(() => createEvent({ type: "t", source: "/s", extensions: { n: 0.5 } }))).toEqual(["n"]);
    const bad = { type: 1, source: "/s" } as unknown as { type: string; source: string };
    expect(pathOf(() => createEvent(bad))).toEqual(["type"]);
  });
});

describe("derived events", () => {
  const submitted = withCorrelation({ correlationId: "order-1001", traceparent: TRACEPARENT }, () =>
    createEvent({ type: "com.distro.order.submitted", source: "/shop/acme", data: {} }, fixed),
  );

  it("causedBy gives the same correlation id and the parent as cause", () => {
    const booked = createEvent({
      type: "com.distro.order.booked",
      source: "/erp/bc",
      ...causedBy(submitted),
    });
    expect(booked.correlationid).toBe("order-1001");
    expect(booked.causationid).toBe(submitted.id);
    expect(booked.traceparent).toBe(TRACEPARENT);
  });

  it("causedBy of an event without correlation id uses its id", () => {
    expect(causedBy({ id: "root" })).toEqual({ correlationid: "root", causationid: "root" });
  });

  it("withCorrelationFrom runs the handler in the event's context, across awaits", async () => {
    const booked = await withCorrelationFrom({ ...submitted, tenant: "acme" }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(getCorrelation()).toEqual({
        correlationId: "order-1001",
        causationId: submitted.id,
        traceparent: TRACEPARENT,
        tenant: "acme",
      });
      return createEvent({ type: "com.distro.order.booked", source: "/erp/bc" });
    });
    expect(booked.correlationid).toBe("order-1001");
    expect(booked.causationid).toBe(submitted.id);
    expect(getCorrelation()).toBeUndefined();
  });

  it("correlationFromEvent ignores non-string extension values", () => {
    expect(correlationFromEvent({ id: "e", traceparent: 5 as unknown as string, tenant: 1 })).toEqual({
      correlationId: "e",
      causationId: "e",
    });
  });
});

describe("createEvent on arbitrary input (property)", () => {
  it("returns an event parseEvent accepts unchanged, or throws a DistroError", () => {
    const text = fc.oneof(
      fc.string(),
      fc.constantFrom("/shop/acme", "https://erp.example/bc", "urn:x:y", "order.submitted"),
    );
    const input = fc.record(
      {
        type: fc.oneof(text, fc.anything()),
        source: fc.oneof(text, fc.anything()),
        subject: text,
        id: text,
        time: fc.oneof(text, fc.date(), fc.constant("2026-11-30T00:00:00Z")),
        dataschema: text,
        datacontenttype: fc.oneof(text, fc.constant("application/json")),
        correlationid: text,
        traceparent: fc.oneof(text, fc.constant(TRACEPARENT)),
        extensions: fc.dictionary(
          fc.string(),
          fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.double()),
        ),
        data: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(input, (candidate) => {
        try {
          const event = createEvent(candidate as Parameters<typeof createEvent>[0]);
          expect(parseEvent(event)).toEqual(event);
        } catch (error) {
          expect(isDistroError(error)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
