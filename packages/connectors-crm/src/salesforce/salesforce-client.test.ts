import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ConflictError, type Customer, createMemoryDeadLetterStore, NotFoundError } from "@distro/core";
import { conformanceDir } from "@distro/core/testing";
import { createSalesforceSimulator, type SalesforceSimulator } from "@distro/testkit/salesforce";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { SalesforceQueryResponseSchema } from "./salesforce-api";
import { createSalesforce, type SalesforceSettings } from "./salesforce-client";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

async function setup(
  simulatorSettings: Parameters<typeof createSalesforceSimulator>[0] = {},
  extra: Partial<SalesforceSettings> = {},
) {
  const simulator: SalesforceSimulator = await createSalesforceSimulator(simulatorSettings);
  open.push(simulator);
  const salesforce = createSalesforce({
    instanceUrl: simulator.url,
    clientId: simulator.clientId,
    clientSecret: simulator.clientSecret,
    ...(simulatorSettings.clock ? { clock: simulatorSettings.clock } : {}),
    ...extra,
  });
  return { simulator, salesforce };
}

const customer = (id: string, overrides: Partial<Customer> = {}): Customer =>
  ({
    id,
    name: `Customer ${id}`,
    status: "active",
    currency: "USD",
    taxExempt: false,
    creditLimit: { amount: "25000.00", currency: "USD" },
    paymentTerms: { code: "NET30", netDays: 30 },
    addresses: [
      {
        line1: "1 Dock Rd",
        city: "Dayton",
        region: "OH",
        postalCode: "45402",
        country: "US",
        purposes: ["bill_to", "ship_to"],
        isDefault: true,
      },
    ],
    contacts: [],
    schemaVersion: 1,
    refs: {},
    ext: {},
    ...overrides,
  }) as Customer;

describe("createSalesforce: accounts", () => {
  it("creates then updates an account by the ERP customer number", async () => {
    const { simulator, salesforce } = await setup();
    const first = await salesforce.upsertAccount(customer("C100"));
    expect(first.created).toBe(true);
    const second = await salesforce.upsertAccount(customer("C100", { name: "Acme Industrial" }));
    expect(second).toEqual({ id: first.id, created: false });
    const [account] = simulator.records("Account");
    expect(account).toMatchObject({
      Name: "Acme Industrial",
      ERP_Customer_Number__c: "C100",
      BillingCity: "Dayton",
      ShippingCountry: "US",
      Credit_Limit__c: "25000.00",
      Payment_Terms__c: "NET30",
    });
  });

  it("never overwrites CRM-owned fields from ERP data, whatever the customer carries", async () => {
    const { simulator, salesforce } = await setup();
    const { id } = await salesforce.upsertAccount(customer("C7"));
    simulator.put("Account", {
      Id: id,
      Tier__c: "Gold",
      Segment__c: "OEM",
      OwnerId: "0059O00000rep01",
      Description: "Key account",
    });
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (tier, segment) => {
          await salesforce.upsertAccount(
            customer("C7", { tier: tier.trim() || "x", segment: segment.trim() || "y" }),
          );
          const account = simulator.record("Account", id)!;
          return (
            account.Tier__c === "Gold" &&
            account.Segment__c === "OEM" &&
            account.OwnerId === "0059O00000rep01" &&
            account.Description === "Key account"
          );
        },
      ),
      { numRuns: 10 },
    );
    const custom = createSalesforce({
      instanceUrl: simulator.url,
      clientId: simulator.clientId,
      clientSecret: simulator.clientSecret,
      crmOwnedFields: ["Credit_Limit__c"],
    });
    expect(Object.keys(custom.accountFields(customer("C7")))).not.toContain("Credit_Limit__c");
    const writes = simulator.ledger
      .filter({ method: "PATCH" })
      .map((entry) => JSON.parse(entry.requestBody) as Record<string, unknown>);
    for (const body of writes)
      for (const field of ["Tier__c", "Segment__c", "OwnerId", "Description"])
        expect(body).not.toHaveProperty(field);
  });

  it("reports several accounts with one customer number as a ConflictError", async () => {
    const { simulator, salesforce } = await setup();
    simulator.put("Account", { Name: "A", ERP_Customer_Number__c: "DUP" });
    simulator.put("Account", { Name: "B", ERP_Customer_Number__c: "DUP" });
    await expect(salesforce.upsertAccount(customer("DUP"))).rejects.toBeInstanceOf(ConflictError);
    await expect(salesforce.getSegmentation("DUP")).rejects.toBeInstanceOf(ConflictError);
    await expect(salesforce.getSegmentation("NONE")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("batches many accounts through composite collections of at most 200", async () => {
    const { simulator, salesforce } = await setup();
    const customers = Array.from({ length: 450 }, (_, index) => customer(`B${index}`));
    const results = await salesforce.upsertAccounts(customers);
    expect(results.every((result) => result.created === true)).toBe(true);
    const calls = simulator.ledger.filter({ operation: "collection.upsert" });
    expect(
      calls.map((call) => (JSON.parse(call.requestBody) as { records: unknown[] }).records.length),
    ).toEqual([200, 200, 50]);
    expect(simulator.records("Account")).toHaveLength(450);
    const again = await salesforce.upsertAccounts(customers.slice(0, 3));
    expect(again.map((result) => result.created)).toEqual([false, false, false]);
  });

  it("reports per-record failures, and rolls back everything under allOrNone", async () => {
    const { simulator, salesforce } = await setup({}, { crmOwnedFields: ["Name"] });
    const results = await salesforce.upsertAccounts([customer("X1"), customer("X2")], { allOrNone: true });
    expect(results[0]?.errors?.[0]?.code).toBe("REQUIRED_FIELD_MISSING");
    expect(simulator.records("Account")).toEqual([]);
  });

  it("upserts contacts under the account", async () => {
    const { simulator, salesforce } = await setup();
    await salesforce.upsertAccount(
      customer("C9", {
        contacts: [
          { id: "K1", name: "Dana Buyer", email: "dana@acme.example", roles: ["buyer"], primary: true },
          { name: "Accounts", email: "ap@acme.example", roles: ["accounts_payable"], primary: false },
        ],
      }),
    );
    const contacts = simulator.records("Contact");
    expect(
      contacts.map((contact) => [
        contact.ERP_Contact_Id__c,
        contact.FirstName ?? null,
        contact.LastName,
        contact.AccountId,
      ]),
    ).toEqual([
      ["C9:K1", "Dana", "Buyer", simulator.records("Account")[0]?.Id],
      ["C9:ap@acme.example", null, "Accounts", simulator.records("Account")[0]?.Id],
    ]);
  });
});

describe("createSalesforce: tokens, segmentation, activities, incremental reads", () => {
  it("refreshes an expired token and repeats the call, so no request fails", async () => {
    let now = Date.parse("2026-03-01T00:00:00Z");
    const { simulator, salesforce } = await setup({ clock: () => now, tokenLifetimeMs: 60_000 });
    await salesforce.upsertAccount(customer("T1"));
    now += 61_000;
    await salesforce.upsertAccount(customer("T2"));
    simulator.expireTokens();
    await salesforce.upsertAccount(customer("T3"));
    expect(simulator.tokensIssued()).toBe(3);
    expect(simulator.ledger.count({ status: 401 })).toBe(2);
    expect(simulator.records("Account")).toHaveLength(3);
  });

  it("reads tier, segment and owner for pricing", async () => {
    const { simulator, salesforce } = await setup();
    const { id } = await salesforce.upsertAccount(customer("S1"));
    simulator.put("Account", { Id: id, Tier__c: "Platinum", Segment__c: "MRO", OwnerId: "0059O00000rep02" });
    expect(await salesforce.getSegmentation("S1")).toEqual({
      customerId: "S1",
      tier: "Platinum",
      segment: "MRO",
      salesRep: "0059O00000rep02",
    });
  });

  it("writes each milestone once as a completed Task on the account", async () => {
    const { simulator, salesforce } = await setup();
    const { id: accountId } = await salesforce.upsertAccount(customer("M1"));
    const activity = {
      customerId: "M1",
      kind: "order_shipped" as const,
      subject: "Order SO-1001 shipped",
      description: "UPS 1Z999",
      occurredAt: "2026-03-02T10:00:00Z",
      correlationId: "corr-1",
      refs: { erp: "SO-1001" },
    };
    const first = await salesforce.recordActivity(activity);
    const again = await salesforce.recordActivity(activity);
    expect(again.id).toBe(first.id);
    const tasks = simulator.records("Task");
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      WhatId: accountId,
      Status: "Completed",
      ActivityDate: "2026-03-02",
      Subject: "Order SO-1001 shipped",
      Distro_Correlation_Id__c: "corr-1",
    });
    await expect(salesforce.recordActivity({ ...activity, customerId: "NOPE" })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("reads changed accounts by SystemModstamp and resumes exactly from its cursor", async () => {
    let now = Date.parse("2026-03-01T00:00:00Z");
    const { simulator, salesforce } = await setup({ clock: () => now, queryPageSize: 3 });
    for (let index = 0; index < 7; index++) {
      simulator.put("Account", {
        Name: `Acct ${index}`,
        ERP_Customer_Number__c: `R${index}`,
        CurrencyIsoCode: "EUR",
        Tier__c: index % 2 ? "Gold" : null,
      });
    }
    const pages = [];
    for await (const page of salesforce.readAccounts({ pageSize: 4 })) pages.push(page);
    const all = pages.flatMap((page) => page.records);
    expect(all.map((entry) => entry.id)).toEqual(["R0", "R1", "R2", "R3", "R4", "R5", "R6"]);
    expect(all[1]).toMatchObject({ tier: "Gold", currency: "EUR", refs: { erp: "R1" } });
    const cursor = pages.at(-1)!.cursor;
    now += 5000;
    simulator.put("Account", { Id: simulator.records("Account")[2]!.Id, Name: "Acct 2 renamed" });
    const changed = [];
    for await (const page of salesforce.readAccounts({ cursor })) changed.push(...page.records);
    expect(changed.map((entry) => entry.name)).toEqual(["Acct 2 renamed"]);
    const none = [];
    for await (const page of salesforce.readAccounts({
      cursor: pages.at(-1)!.cursor.replace(/\|.*/, `|${simulator.records("Account")[6]!.Id}`),
    }))
      none.push(...page.records);
    expect(none.map((entry) => entry.name)).toEqual(["Acct 2 renamed"]);
  });

  it("dead-letters accounts that cannot be mapped and keeps reading", async () => {
    const deadLetters = createMemoryDeadLetterStore();
    const { simulator, salesforce } = await setup({}, { deadLetters });
    simulator.put("Account", { Name: "Good", ERP_Customer_Number__c: "G1" });
    simulator.put("Account", { Name: "Bad", ERP_Customer_Number__c: "G2", CurrencyIsoCode: "dollars" });
    const read = [];
    for await (const page of salesforce.readAccounts()) read.push(...page.records);
    expect(read.map((entry) => entry.id)).toEqual(["G1"]);
    const [entry] = await deadLetters.list();
    expect(entry?.issues?.[0]?.path).toEqual(["currency"]);
  });
});

const corpus = conformanceDir();
describe.skipIf(!corpus)("Salesforce conformance payloads", () => {
  it("follows nextRecordsUrl across the recorded query pages, on the instance's own origin", async () => {
    const page1 = readFileSync(join(corpus!, "api", "j-schreiber__js-sf-cli-plugin__orders-1.json"), "utf8");
    const page2 = readFileSync(join(corpus!, "api", "j-schreiber__js-sf-cli-plugin__orders-2.json"), "utf8");
    const paths: string[] = [];
    const server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        paths.push(request.url ?? "");
        if (request.url === "/services/oauth2/token") {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ access_token: "token", token_type: "Bearer", instance_url: "x" }));
          return;
        }
        response.writeHead(200, { "content-type": "application/json" });
        response.end(request.url?.startsWith("/services/data/v62.0/query?") ? page1 : page2);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    open.push({
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    });
    const salesforce = createSalesforce({
      instanceUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      clientId: "id",
      clientSecret: "secret",
    });
    const records = [];
    for await (const page of salesforce.query(
      "SELECT Id, OrderNumber, AccountId, Status, EffectiveDate FROM Order",
    )) {
      expect(SalesforceQueryResponseSchema.parse(page).totalSize).toBe(40);
      records.push(...page.records);
    }
    expect(records).toHaveLength(40);
    expect(records[0]).toMatchObject({ Id: "8019O00000cfZkIQAU", attributes: { type: "Order" } });
    expect(paths.at(-1)).toBe("/services/data/v62.0/query/0r8xx3d3FsAvwqKAIR-20");
  });
});
