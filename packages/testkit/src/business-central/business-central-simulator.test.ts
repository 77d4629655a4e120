import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BusinessCentralSimulator, createBusinessCentralSimulator } from "./business-central-simulator";

let erp: BusinessCentralSimulator;
let token: string;
let now = Date.parse("2026-03-01T08:00:00Z");

async function start(settings: Parameters<typeof createBusinessCentralSimulator>[0] = {}) {
  erp = await createBusinessCentralSimulator({ seed: { items: 30 }, clock: () => now, ...settings });
  const response = await fetch(erp.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: erp.credentials.clientId,
      client_secret: erp.credentials.clientSecret,
    }),
  });
  token = ((await response.json()) as { access_token: string }).access_token;
}

const call = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(path.startsWith("http") ? path : `${erp.companyUrl}/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });

beforeEach(async () => {
  now = Date.parse("2026-03-01T08:00:00Z");
});
afterEach(async () => {
  await erp.close();
});

describe("Business Central simulator", () => {
  it("answers 401 without a token and invalid_client for a wrong secret", async () => {
    await start();
    expect((await fetch(`${erp.companyUrl}/items`)).status).toBe(401);
    const refused = await fetch(erp.tokenUrl, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: "distro-client",
        client_secret: "no",
      }),
    });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe("invalid_client");
  });

  it("pages by Prefer: odata.maxpagesize, says so in Preference-Applied, and sends decimals as strings only when asked", async () => {
    await start();
    const first = await call("items", { headers: { prefer: "odata.maxpagesize=7" } });
    expect(first.headers.get("preference-applied")).toBe("odata.maxpagesize=7");
    const body = (await first.json()) as { value: { unitPrice: unknown }[]; "@odata.nextLink": string };
    expect(body.value).toHaveLength(7);
    expect(typeof body.value[0]?.unitPrice).toBe("number");
    const next = await call(body["@odata.nextLink"], {
      headers: { accept: "application/json;IEEE754Compatible=true" },
    });
    const page = (await next.json()) as { value: { unitPrice: unknown }[] };
    expect(page.value).toHaveLength(23);
    expect(typeof page.value[0]?.unitPrice).toBe("string");
  });

  it("changes the ETag on every write and answers 409 Request_EntityChanged to a stale one, 428 to none", async () => {
    await start();
    const list = (await (await call("customers?$filter=number eq 'C40000'")).json()) as {
      value: { id: string; "@odata.etag": string }[];
    };
    const { id, "@odata.etag": etag } = list.value[0] as { id: string; "@odata.etag": string };
    const ok = await call(`customers(${id})`, {
      method: "PATCH",
      headers: { "if-match": etag },
      body: JSON.stringify({ displayName: "A" }),
    });
    const fresh = ok.headers.get("etag");
    expect(fresh).not.toBe(etag);
    const stale = await call(`customers(${id})`, {
      method: "PATCH",
      headers: { "if-match": etag },
      body: JSON.stringify({ displayName: "B" }),
    });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe("Request_EntityChanged");
    const none = await call(`customers(${id})`, {
      method: "PATCH",
      body: JSON.stringify({ displayName: "C" }),
    });
    expect(none.status).toBe(428);
  });

  it("spends the request budget and answers 429 with Retry-After until the window moves", async () => {
    await start({ rateLimit: { requests: 3, windowMs: 60_000 } });
    const statuses = [];
    for (let index = 0; index < 4; index++) statuses.push((await call("items?$top=1")).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await call("items?$top=1");
    expect(refused.headers.get("retry-after")).toBe("60");
    now += 60_001;
    expect((await call("items?$top=1")).status).toBe(200);
    expect(erp.traffic().rateLimited).toBe(2);
  });

  it("answers 429 beyond the concurrent-request limit", async () => {
    await start({ maxConcurrentRequests: 2, latencyMs: 30 });
    const statuses = await Promise.all([1, 2, 3, 4].map(async () => (await call("items?$top=1")).status));
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(erp.traffic().concurrencyLimited).toBeGreaterThan(0);
  });

  it("refuses a $batch of more than 100 operations and reports each operation of a good one", async () => {
    await start();
    const tooMany = Array.from({ length: 101 }, (_, index) => ({
      id: String(index),
      method: "GET",
      url: `companies(${erp.companyId})/items?$top=1`,
    }));
    expect(
      (
        await call(`${erp.serviceUrl}/$batch`, {
          method: "POST",
          body: JSON.stringify({ requests: tooMany }),
        })
      ).status,
    ).toBe(400);
    const batch = await call(`${erp.serviceUrl}/$batch`, {
      method: "POST",
      body: JSON.stringify({
        requests: [
          {
            id: "a",
            method: "POST",
            url: `companies(${erp.companyId})/salesOrders`,
            body: {
              customerNumber: "C10000",
              externalDocumentNumber: "B-1",
              salesOrderLines: [{ lineObjectNumber: "I-00001", quantity: 1 }],
            },
          },
          {
            id: "b",
            method: "POST",
            url: `companies(${erp.companyId})/salesOrders`,
            body: { customerNumber: "NOPE", salesOrderLines: [] },
          },
        ],
      }),
    });
    const { responses } = (await batch.json()) as {
      responses: { id: string; status: number; body: { error?: { code: string } } }[];
    };
    expect(responses.map((response) => [response.id, response.status])).toEqual([
      ["a", 201],
      ["b", 400],
    ]);
    expect(responses[1]?.body.error?.code).toBe("Internal_RecordNotFound");
    expect(erp.bookingsByKey()).toEqual(new Map([["B-1", 1]]));
  });

  it("allocates what is in stock, backorders the rest, and fills backorders when stock arrives", async () => {
    await start();
    const created = await call("salesOrders?$expand=salesOrderLines", {
      method: "POST",
      headers: { accept: "application/json;IEEE754Compatible=true" },
      body: JSON.stringify({
        customerNumber: "C10000",
        externalDocumentNumber: "S-1",
        salesOrderLines: [{ lineObjectNumber: "I-00002", quantity: "100000", locationCode: "WEST" }],
      }),
    });
    const order = (await created.json()) as {
      id: string;
      number: string;
      salesOrderLines: { reservedQuantity: string; backorderQuantity: string }[];
    };
    const line = order.salesOrderLines[0] as { reservedQuantity: string; backorderQuantity: string };
    expect(Number(line.backorderQuantity)).toBeGreaterThan(0);
    erp.receiveStock("I-00002", "WEST", "100000");
    const lines = (await (
      await call(`salesOrders(${order.id})/salesOrderLines`, {
        headers: { accept: "application/json;IEEE754Compatible=true" },
      })
    ).json()) as { value: { reservedQuantity: string; backorderQuantity: string }[] };
    expect(lines.value[0]).toMatchObject({ reservedQuantity: "100000", backorderQuantity: "0" });
    const shipped = erp.shipAndInvoice(order.number);
    expect(shipped.invoiceNumber).toMatch(/^S-INV/);
    const status = (await (await call(`salesOrders?$filter=number eq '${order.number}'`)).json()) as {
      value: { fullyShipped: boolean }[];
    };
    expect(status.value[0]?.fullyShipped).toBe(true);
  });
});
