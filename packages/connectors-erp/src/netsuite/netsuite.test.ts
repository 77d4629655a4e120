import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Order } from "@distro/core";
import { conformanceDir } from "@distro/core/testing";
import { createNetSuiteSimulator, type NetSuiteSimulator } from "@distro/testkit/netsuite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createNetSuite, NetSuiteRecordError } from "./netsuite";
import { parseNetSuiteResponse, signNetSuitePassport } from "./netsuite-soap";

const corpus = conformanceDir();
const read = (name: string) =>
  readFileSync(join(corpus as string, "api", `NetSweet__netsuite__${name}.xml`), "utf8");

describe.skipIf(!corpus)("SuiteTalk responses from the NetSweet fixtures", () => {
  it("reads a successful add with its internal id", () => {
    expect(parseNetSuiteResponse(read("add_customer"))).toEqual({
      kind: "write",
      operation: "add",
      listSuccess: undefined,
      results: [
        { isSuccess: true, details: [], ref: { type: "customer", internalId: "979", externalId: undefined } },
      ],
    });
  });

  it("tells a record-level error (isSuccess=false) apart from a fault", () => {
    const response = parseNetSuiteResponse(read("add_invoice_error"));
    expect(response).toMatchObject({
      kind: "write",
      results: [
        {
          isSuccess: false,
          details: [
            {
              type: "ERROR",
              code: "INVALID_INITIALIZE_REF",
              message: "You can not initialize invoice: invalid reference 7281.",
            },
          ],
        },
      ],
    });
  });

  it("reads SOAP faults with their platform fault type and code", () => {
    expect(parseNetSuiteResponse(read("failure_invalid_credentials"))).toMatchObject({
      kind: "fault",
      faultCode: "soapenv:Server.userException",
      faultType: "invalidCredentialsFault",
      code: "INVALID_LOGIN_CREDENTIALS",
    });
    expect(parseNetSuiteResponse(read("failure_concurrent_requests"))).toMatchObject({
      kind: "fault",
      faultType: "exceededRequestLimitFault",
      code: "WS_CONCUR_SESSION_DISALLWD",
    });
  });

  it("reads an upsert keyed by external id", () => {
    expect(parseNetSuiteResponse(read("upsert_customer"))).toMatchObject({
      kind: "write",
      operation: "upsert",
      results: [{ isSuccess: true, ref: { type: "customer", internalId: "979", externalId: "cu241" } }],
    });
  });

  it("reads search paging fields and records", () => {
    const response = parseNetSuiteResponse(read("basic_search_contact"));
    expect(response).toMatchObject({
      kind: "read",
      operation: "search",
      isSuccess: true,
      totalRecords: 1,
      pageSize: 1000,
      totalPages: 1,
      pageIndex: 1,
      searchId: "WEBSERVICES_123456",
    });
    const record = response.kind === "read" ? response.records[0] : undefined;
    expect(record).toMatchObject({
      internalId: "7272",
      externalId: "customer_contact_3338",
      type: "Contact",
      entityId: "Mary",
      title: "President/CEO",
    });
  });

  it("reads a permission failure on getAll", () => {
    expect(parseNetSuiteResponse(read("get_all_insufficient_permissions"))).toMatchObject({
      kind: "read",
      operation: "getAll",
      isSuccess: false,
      totalRecords: 5,
      details: [{ code: "INSUFFICIENT_PERMISSION" }],
    });
  });

  it("reports every record of an addList on its own", () => {
    const response = parseNetSuiteResponse(read("add_list_with_errors"));
    expect(response).toMatchObject({ kind: "write", operation: "addList", listSuccess: false });
    expect(
      response.kind === "write" &&
        response.results.map((result) => [result.ref?.externalId, result.details[0]?.code]),
    ).toEqual([
      ["ext1", "USER_ERROR"],
      ["ext2", "USER_ERROR"],
    ]);
  });
});

describe("bad SOAP", () => {
  it("names what is wrong with a body that is not a SOAP envelope", () => {
    expect(() => parseNetSuiteResponse("<html><body>502</body></html>")).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
    expect(() => parseNetSuiteResponse("<soapenv:Envelope><soapenv:Body>")).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });
});

describe("token passport", () => {
  it("signs account&consumerKey&token&nonce&timestamp with consumerSecret&tokenSecret, base64", () => {
    const credentials = {
      account: "123",
      consumerKey: "ck",
      consumerSecret: "cs",
      tokenId: "tk",
      tokenSecret: "ts",
    };
    const passport = signNetSuitePassport(credentials, "nonce1", "1700000000");
    const expected = createHmac("sha256", "cs&ts").update("123&ck&tk&nonce1&1700000000").digest("base64");
    expect(passport).toEqual({
      account: "123",
      consumerKey: "ck",
      token: "tk",
      nonce: "nonce1",
      timestamp: "1700000000",
      signature: expected,
    });
  });
});

describe("NetSuite adapter against the simulator", () => {
  let netsuite: NetSuiteSimulator;
  beforeEach(async () => {
    netsuite = await createNetSuiteSimulator({ items: 5 });
  });
  afterEach(async () => {
    await netsuite.close();
  });
  const client = (extra: Partial<Parameters<typeof createNetSuite>[0]> = {}) =>
    createNetSuite({ endpoint: netsuite.endpoint, ...netsuite.credentials, sleep: async () => {}, ...extra });

  const order: Order = {
    id: "O-1",
    customer: { id: "C10000", refs: { erp: "C10000" } },
    status: "submitted",
    currency: "USD",
    lines: [
      {
        lineNumber: 1,
        sku: "I-00001",
        quantity: "500",
        uom: "EA",
        unitPrice: { amount: "0.0125", currency: "USD" },
        pricePer: "1",
        status: "open",
      },
      {
        lineNumber: 2,
        sku: "I-00002",
        quantity: "3",
        uom: "EA",
        unitPrice: { amount: "2.5", currency: "USD" },
        pricePer: "1",
        status: "open",
      },
    ],
    shipTo: { line1: "1 Dock Rd", city: "Dayton", country: "US" },
    orderedAt: "2026-03-01T10:00:00Z",
    schemaVersion: 1,
    refs: {},
    ext: {},
  };

  it("books an order once per key, with committed and backordered quantities", async () => {
    const first = await client().submitOrder(order, { idempotencyKey: "WEB-77" });
    expect(first.erpOrderNumber).toMatch(/^SO\d+$/);
    expect(first.lines[0]).toMatchObject({
      sku: "I-00001",
      quantity: "500",
      allocatedQuantity: "37",
      backorderedQuantity: "463",
      status: "backordered",
    });
    expect(first.lines[1]).toMatchObject({ allocatedQuantity: "3", status: "allocated" });
    const again = await client().submitOrder(order, { idempotencyKey: "WEB-77" });
    expect(again).toMatchObject({ erpOrderNumber: first.erpOrderNumber, duplicate: true });
    expect(netsuite.bookingsByKey().get("WEB-77")).toBe(1);
  });

  it("turns a record-level refusal into NetSuiteRecordError naming the code", async () => {
    const error = await client()
      .add({ type: "customer", externalId: "C-2", fields: { email: "x@example.com" } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(NetSuiteRecordError);
    expect(error.retryable).toBe(false);
    expect(error.statusDetails[0]).toMatchObject({
      code: "USER_ERROR",
      message: "Please enter value(s) for: Company Name",
    });
    const duplicate = await client()
      .add({ type: "customer", externalId: "C10000", fields: { companyName: "Again" } })
      .catch((e) => e);
    expect(duplicate.statusDetails[0].code).toBe("DUP_RCRD");
  });

  it("reports each record of addList, good and bad", async () => {
    const results = await client().addList([
      { type: "customer", externalId: "C-3", fields: { companyName: "Trey Research" } },
      { type: "customer", externalId: "C-4", fields: {} },
    ]);
    expect(
      results.map((result) => [result.isSuccess, result.ref?.externalId, result.details[0]?.code]),
    ).toEqual([
      [true, "C-3", undefined],
      [false, "C-4", "USER_ERROR"],
    ]);
  });

  it("pages through a search with searchMoreWithId", async () => {
    await client().addList(
      Array.from({ length: 7 }, (_, index) => ({
        type: "customer",
        externalId: `S-${index}`,
        fields: { companyName: `Search Co ${index}` },
      })),
    );
    const pages: number[] = [];
    for await (const page of client({ pageSize: 3 }).search("customer", [
      { field: "companyName", operator: "startsWith", value: "Search Co" },
    ])) {
      pages.push(page.length);
    }
    expect(pages).toEqual([3, 3, 1]);
    expect(netsuite.ledger.count({ operation: "searchMoreWithId" })).toBe(2);
  });

  it("answers wrong credentials with an AuthError from the SOAP fault", async () => {
    const error = await client({ tokenSecret: "wrong" })
      .get("customer", { externalId: "C10000" })
      .catch((e) => e);
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.details.upstreamCode).toBe("INVALID_LOGIN_ATTEMPT");
  });

  it("retries concurrency faults until every request gets through", async () => {
    const slow = await createNetSuiteSimulator({ latencyMs: 20 });
    try {
      // Waits are capped at 30 ms (longer than one request holds the session), so the test
      // does not sit out NetSuite's real back-off, yet never retries before the session frees.
      const unpaced = createNetSuite({
        endpoint: slow.endpoint,
        ...slow.credentials,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 30))),
      });
      const results = await Promise.all(
        [1, 2, 3].map(() => unpaced.get("customer", { externalId: "C10000" })),
      );
      expect(results.every((record) => record.externalId === "C10000")).toBe(true);
      expect(slow.ledger.count({ operation: "fault.WS_CONCUR_SESSION_DISALLWD" })).toBeGreaterThan(0);
    } finally {
      await slow.close();
    }
  });
});
