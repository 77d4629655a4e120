import { type Customer, NotFoundError, UpstreamError } from "@distro/core";
import { createHubSpotSimulator, type HubSpotSimulator } from "@distro/testkit/hubspot";
import { afterEach, describe, expect, it } from "vitest";
import { HubSpotErrorSchema } from "./hubspot-api";
import { createHubSpot, type HubSpotSettings } from "./hubspot-client";

const open: HubSpotSimulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

async function setup(
  simulatorSettings: Parameters<typeof createHubSpotSimulator>[0] = {},
  extra: Partial<HubSpotSettings> = {},
) {
  const simulator = await createHubSpotSimulator(simulatorSettings);
  open.push(simulator);
  const hubspot = createHubSpot({ accessToken: simulator.accessToken, baseUrl: simulator.url, ...extra });
  return { simulator, hubspot };
}

const customer = (id: string, overrides: Partial<Customer> = {}): Customer =>
  ({
    id,
    name: `Customer ${id}`,
    status: "active",
    currency: "USD",
    taxExempt: false,
    creditLimit: { amount: "5000.00", currency: "USD" },
    addresses: [
      {
        line1: "1 Dock Rd",
        city: "Dayton",
        region: "OH",
        postalCode: "45402",
        country: "US",
        purposes: ["bill_to"],
        isDefault: true,
      },
    ],
    contacts: [],
    schemaVersion: 1,
    refs: {},
    ext: {},
    ...overrides,
  }) as Customer;

describe("createHubSpot", () => {
  it("creates then updates a company by the ERP customer number, leaving CRM-owned properties alone", async () => {
    const { simulator, hubspot } = await setup();
    const first = await hubspot.upsertAccount(customer("C1", { tier: "ERP tier", segment: "ERP segment" }));
    expect(first.created).toBe(true);
    simulator.put("companies", first.id, {
      pricing_tier: "Gold",
      customer_segment: "OEM",
      hubspot_owner_id: "77",
    });
    const second = await hubspot.upsertAccount(customer("C1", { name: "Acme", tier: "Bronze" }));
    expect(second).toEqual({ id: first.id, created: false });
    const [company] = simulator.objects("companies");
    expect(company?.properties).toMatchObject({
      name: "Acme",
      erp_customer_number: "C1",
      city: "Dayton",
      erp_credit_limit: "5000.00",
      pricing_tier: "Gold",
      customer_segment: "OEM",
      hubspot_owner_id: "77",
    });
    expect(await hubspot.getSegmentation("C1")).toEqual({
      customerId: "C1",
      tier: "Gold",
      segment: "OEM",
      salesRep: "77",
    });
    await expect(hubspot.getSegmentation("NONE")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("batches upserts in calls of at most 100 inputs and upserts contacts by email", async () => {
    const { simulator, hubspot } = await setup({ tenSecondlyLimit: 1000 });
    const results = await hubspot.upsertAccounts(
      Array.from({ length: 250 }, (_, index) => customer(`B${index}`)),
    );
    expect(results).toHaveLength(250);
    expect(results[249]).toMatchObject({ customerId: "B249", created: true });
    const calls = simulator.ledger.filter({ operation: "companies.batch.upsert" });
    expect(
      calls.map((call) => (JSON.parse(call.requestBody) as { inputs: unknown[] }).inputs.length),
    ).toEqual([100, 100, 50]);
    await hubspot.upsertAccount(
      customer("K1", {
        contacts: [{ name: "Dana Buyer", email: "Dana@Acme.example", roles: ["buyer"], primary: true }],
      }),
    );
    const [contact] = simulator.objects("contacts");
    expect(contact?.properties).toMatchObject({
      email: "dana@acme.example",
      firstname: "Dana",
      lastname: "Buyer",
    });
    expect(contact?.associations.companies).toEqual([
      simulator.objects("companies").find((entry) => entry.properties.erp_customer_number === "K1")?.id,
    ]);
  });

  it("rides out 429 TEN_SECONDLY_ROLLING by backing off, with a manual clock", async () => {
    let now = Date.parse("2026-03-01T00:00:00Z");
    const sleep = async (ms: number) => {
      now += ms;
    };
    const { simulator, hubspot } = await setup(
      { tenSecondlyLimit: 3, clock: () => now },
      {
        clock: () => now,
        sleep,
        retry: {
          maxAttempts: 8,
          maxElapsedMs: 120_000,
          baseDelayMs: 1000,
          maxDelayMs: 8000,
          multiplier: 2,
          jitter: "none",
        },
      },
    );
    for (let index = 0; index < 6; index++) await hubspot.upsertAccount(customer(`R${index}`));
    expect(simulator.objects("companies")).toHaveLength(6);
    const limited = simulator.ledger.filter({ status: 429 });
    expect(limited.length).toBeGreaterThan(0);
    expect(HubSpotErrorSchema.parse(JSON.parse(limited[0]!.responseBody))).toMatchObject({
      category: "RATE_LIMITS",
      policyName: "TEN_SECONDLY_ROLLING",
    });
  });

  it("surfaces HubSpot's error body as an UpstreamError with its category", async () => {
    const { hubspot } = await setup({}, { companyIdProperty: "not_unique" });
    const error = await hubspot.upsertAccount(customer("V1")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(400);
    expect((error as UpstreamError).upstreamCode).toBe("INVALID_INPUT");
    expect(HubSpotErrorSchema.parse(JSON.parse((error as UpstreamError).bodyExcerpt ?? "{}")).category).toBe(
      "VALIDATION_ERROR",
    );
  });

  it("writes each milestone once as a completed task associated with the company", async () => {
    const { simulator, hubspot } = await setup();
    const { id } = await hubspot.upsertAccount(customer("M1"));
    const activity = {
      customerId: "M1",
      kind: "order_booked" as const,
      subject: "Order SO-9 booked",
      occurredAt: "2026-03-02T10:00:00Z",
      correlationId: "corr-9",
    };
    const first = await hubspot.recordActivity(activity);
    expect((await hubspot.recordActivity(activity)).id).toBe(first.id);
    const tasks = simulator.objects("tasks");
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.properties).toMatchObject({
      hs_task_subject: "Order SO-9 booked",
      hs_task_status: "COMPLETED",
      distro_correlation_id: "corr-9",
    });
    expect(tasks[0]?.associations.companies).toEqual([id]);
  });

  it("reads changed companies by hs_lastmodifieddate and resumes from its cursor", async () => {
    let now = Date.parse("2026-03-01T00:00:00Z");
    const { simulator, hubspot } = await setup({ clock: () => now });
    for (let index = 0; index < 5; index++) await hubspot.upsertAccount(customer(`P${index}`));
    const pages = [];
    for await (const page of hubspot.readAccounts({ pageSize: 2 })) pages.push(page);
    expect(pages.flatMap((page) => page.records.map((record) => record.id))).toEqual([
      "P0",
      "P1",
      "P2",
      "P3",
      "P4",
    ]);
    now += 60_000;
    const target = simulator.objects("companies")[1]!;
    simulator.put("companies", target.id, { pricing_tier: "Silver" });
    const changed = [];
    for await (const page of hubspot.readAccounts({ cursor: pages.at(-1)!.cursor }))
      changed.push(...page.records);
    expect(changed.map((record) => [record.id, record.tier])).toEqual([["P1", "Silver"]]);
  });
});
