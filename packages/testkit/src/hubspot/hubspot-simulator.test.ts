import { afterEach, describe, expect, it } from "vitest";
import { createHubSpotSimulator, type HubSpotSimulator } from "./hubspot-simulator";

const open: HubSpotSimulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

describe("HubSpot simulator", () => {
  it("upserts by idProperty, refuses non-unique id properties and big batches with HubSpot's error body", async () => {
    const hubspot = await createHubSpotSimulator();
    open.push(hubspot);
    const call = (path: string, body: unknown, token = hubspot.accessToken) =>
      fetch(`${hubspot.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const input = {
      idProperty: "erp_customer_number",
      id: "C1",
      properties: { name: "Acme", employees: 12 },
    };
    const created = (await (
      await call("/crm/v3/objects/companies/batch/upsert", { inputs: [input] })
    ).json()) as {
      status: string;
      results: { id: string; new: boolean; properties: Record<string, string> }[];
    };
    expect(created.status).toBe("COMPLETE");
    expect(created.results[0]).toMatchObject({
      new: true,
      properties: { name: "Acme", employees: "12", erp_customer_number: "C1" },
    });
    const updated = (await (
      await call("/crm/v3/objects/companies/batch/upsert", {
        inputs: [{ ...input, properties: { name: "Acme 2" } }],
      })
    ).json()) as {
      results: { id: string; new: boolean }[];
    };
    expect(updated.results[0]).toEqual(expect.objectContaining({ id: created.results[0]!.id, new: false }));
    const bad = await call("/crm/v3/objects/companies/batch/upsert", {
      inputs: [{ ...input, idProperty: "name" }],
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      status: "error",
      category: "VALIDATION_ERROR",
      correlationId: expect.any(String),
    });
    const big = await call("/crm/v3/objects/companies/batch/upsert", {
      inputs: Array.from({ length: 101 }, () => input),
    });
    expect(big.status).toBe(400);
    const unauthorised = await call("/crm/v3/objects/companies/search", {}, "wrong");
    expect(unauthorised.status).toBe(401);
    expect(((await unauthorised.json()) as { category: string }).category).toBe("INVALID_AUTHENTICATION");
  });

  it("answers 429 with policyName TEN_SECONDLY_ROLLING past the rolling window, then recovers", async () => {
    let now = 0;
    const hubspot = await createHubSpotSimulator({ tenSecondlyLimit: 2, clock: () => now });
    open.push(hubspot);
    const search = () =>
      fetch(`${hubspot.url}/crm/v3/objects/companies/search`, {
        method: "POST",
        headers: { authorization: `Bearer ${hubspot.accessToken}`, "content-type": "application/json" },
        body: "{}",
      });
    expect((await search()).status).toBe(200);
    const second = await search();
    expect(second.headers.get("x-hubspot-ratelimit-remaining")).toBe("0");
    const limited = await search();
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({
      status: "error",
      policyName: "TEN_SECONDLY_ROLLING",
      errorType: "RATE_LIMIT",
    });
    now = 10_001;
    expect((await search()).status).toBe(200);
  });
});
