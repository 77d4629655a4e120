import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createODataClient } from "./odata-client";

/**
 * A small SAP Gateway-style OData V2 service: `{"d":{"results":[…],"__next":…}}`,
 * `__metadata.etag`, CSRF token fetched with `X-CSRF-Token: Fetch` and required on
 * writes (403 `X-CSRF-Token: Required`), 428 without `If-Match`, 412 on a stale one.
 */
let server: Server;
let base: string;
let products: { ProductID: string; Price: string; version: number }[];
let issuedToken: string;
let writes: string[];

function send(
  response: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

function v2Entity(product: { ProductID: string; Price: string; version: number }) {
  return {
    __metadata: {
      uri: `${base}/Products('${product.ProductID}')`,
      type: "GWSAMPLE.Product",
      etag: `W/"datetime'v${product.version}'"`,
    },
    ProductID: product.ProductID,
    Price: product.Price,
  };
}

function handle(request: IncomingMessage, response: ServerResponse, body: string) {
  const url = new URL(request.url ?? "/", base);
  if (request.headers["x-csrf-token"] === "Fetch") {
    issuedToken = `token-${Math.random().toString(36).slice(2)}`;
    send(
      response,
      200,
      { d: { EntitySets: ["Products"] } },
      { "x-csrf-token": issuedToken, "set-cookie": "SAP_SESSIONID=abc; path=/" },
    );
    return;
  }
  if (request.method !== "GET") {
    if (request.headers["x-csrf-token"] !== issuedToken || request.headers.cookie !== "SAP_SESSIONID=abc") {
      send(
        response,
        403,
        {
          error: {
            code: "/IWFND/CM_BEC/026",
            message: { lang: "en", value: "CSRF token validation failed" },
          },
        },
        { "x-csrf-token": "Required" },
      );
      return;
    }
  }
  const single = /\/Products\('([^']+)'\)$/.exec(url.pathname);
  if (request.method === "GET" && url.pathname.endsWith("/Products")) {
    const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
    const page = products.slice(skip, skip + 2);
    const next = skip + 2 < products.length ? `${base}/Products?$skiptoken=${skip + 2}` : undefined;
    send(response, 200, { d: { results: page.map(v2Entity), ...(next ? { __next: next } : {}) } });
    return;
  }
  const product = single ? products.find((entry) => entry.ProductID === single[1]) : undefined;
  if (!product) {
    send(response, 404, {
      error: { code: "/IWBEP/CM_MGW_RT/020", message: { lang: "en", value: "Resource not found" } },
    });
    return;
  }
  if (request.method === "GET") {
    send(response, 200, { d: v2Entity(product) });
    return;
  }
  if (request.method === "MERGE" || request.method === "PATCH") {
    const ifMatch = request.headers["if-match"];
    if (!ifMatch) {
      send(response, 428, {
        error: { code: "/IWBEP/CM_MGW_RT/144", message: { lang: "en", value: "Precondition required" } },
      });
      return;
    }
    if (ifMatch !== v2Entity(product).__metadata.etag) {
      send(response, 412, {
        error: { code: "/IWBEP/CM_MGW_RT/022", message: { lang: "en", value: "Precondition failed" } },
      });
      return;
    }
    const patch = JSON.parse(body) as { Price?: string };
    if (patch.Price) product.Price = patch.Price;
    product.version += 1;
    writes.push(`${request.method} ${product.ProductID}`);
    send(response, 204);
    return;
  }
  send(response, 405);
}

beforeEach(async () => {
  products = [
    { ProductID: "HT-1000", Price: "956.00", version: 1 },
    { ProductID: "HT-1001", Price: "1249.00", version: 1 },
    { ProductID: "HT-1002", Price: "0.0125", version: 1 },
  ];
  issuedToken = "";
  writes = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => handle(request, response, Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sap/opu/odata/IWBEP/GWSAMPLE_BASIC`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("generic OData client, SAP-style V2", () => {
  const client = () =>
    createODataClient({ serviceUrl: base, version: "v2", csrf: true, system: "sap", sleep: async () => {} });

  it("unwraps d.results, follows __next and keeps exact decimal strings", async () => {
    const rows: unknown[] = [];
    for await (const row of client().list("Products")) rows.push(row);
    expect(rows).toEqual([
      { ProductID: "HT-1000", Price: "956.00" },
      { ProductID: "HT-1001", Price: "1249.00" },
      { ProductID: "HT-1002", Price: "0.0125" },
    ]);
  });

  it("reads __metadata.etag, fetches a CSRF token before the first write and sends it with the session cookie", async () => {
    const odata = client();
    const product = await odata.get("Products('HT-1002')");
    expect(product.etag).toBe(`W/"datetime'v1'"`);
    const updated = await odata.update("Products('HT-1002')", product.etag as string, { Price: "0.0110" });
    expect(updated.value.Price).toBe("0.0110");
    expect(writes).toEqual(["MERGE HT-1002"]);
  });

  it("fetches a new CSRF token once when the server says it is required again", async () => {
    const odata = client();
    const product = await odata.get("Products('HT-1000')");
    await odata.update("Products('HT-1000')", product.etag as string, { Price: "900.00" });
    issuedToken = "rotated-by-server";
    const again = await odata.get("Products('HT-1000')");
    await odata.update("Products('HT-1000')", again.etag as string, { Price: "901.00" });
    expect(writes).toEqual(["MERGE HT-1000", "MERGE HT-1000"]);
  });

  it("maps 412 on a stale ETag to a ConflictError with the SAP message, and reapplies when asked", async () => {
    const odata = client();
    const stale = await odata.get("Products('HT-1001')");
    products[1] = { ...(products[1] as (typeof products)[number]), version: 5 };
    const error = await odata
      .update("Products('HT-1001')", stale.etag as string, { Price: "1.00" })
      .catch((e) => e);
    expect(error.code).toBe("CONFLICT");
    expect(error.details.upstreamCode).toBe("/IWBEP/CM_MGW_RT/022");
    expect(error.message).toContain("Precondition failed");
    await odata.update(
      "Products('HT-1001')",
      stale.etag as string,
      { Price: "1.00" },
      { reapply: (_current, patch) => patch },
    );
    expect(products[1]?.Price).toBe("1.00");
  });

  it("refuses JSON $batch on V2 with a typed error", async () => {
    await expect(client().batch([{ method: "GET", url: "Products" }])).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
  });

  it("answers a 404 with NotFoundError carrying the SAP error code", async () => {
    const error = await client()
      .get("Products('NOPE')")
      .catch((e) => e);
    expect(error.code).toBe("NOT_FOUND");
    expect(error.details.upstreamCode).toBe("/IWBEP/CM_MGW_RT/020");
  });
});
