import { afterEach, describe, expect, it } from "vitest";
import { createSalesforceSimulator, type SalesforceSimulator } from "./salesforce-simulator";

const open: SalesforceSimulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

async function connect(settings: Parameters<typeof createSalesforceSimulator>[0] = {}) {
  const salesforce = await createSalesforceSimulator(settings);
  open.push(salesforce);
  const tokenResponse = await fetch(salesforce.tokenUrl, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: salesforce.clientId,
      client_secret: salesforce.clientSecret,
    }),
  });
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${salesforce.url}/services/data/${salesforce.apiVersion}/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { salesforce, call, token };
}

describe("Salesforce simulator", () => {
  it("refuses bad client credentials and expired sessions with the real bodies", async () => {
    let now = 0;
    const { salesforce, call } = await connect({ clock: () => now, tokenLifetimeMs: 1000 });
    const bad = await fetch(salesforce.tokenUrl, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: "x", client_secret: "y" }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: "invalid_client",
      error_description: "invalid client credentials",
    });
    expect((await call("GET", "query?q=SELECT+Id+FROM+Account")).status).toBe(200);
    now = 1000;
    const expired = await call("GET", "query?q=SELECT+Id+FROM+Account");
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual([
      { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
    ]);
  });

  it("upserts by external id: 201 created, 200 updated, 300 on multiple matches; reports API usage", async () => {
    const { salesforce, call } = await connect();
    const created = await call("PATCH", "sobjects/Account/ERP_Customer_Number__c/C100", { Name: "Acme" });
    expect(created.status).toBe(201);
    const body = (await created.json()) as {
      id: string;
      created: boolean;
      success: boolean;
      errors: unknown[];
    };
    expect(body).toMatchObject({ success: true, errors: [], created: true });
    expect(created.headers.get("sforce-limit-info")).toBe("api-usage=1/15000");
    const updated = await call("PATCH", "sobjects/Account/ERP_Customer_Number__c/C100", {
      Name: "Acme Corp",
    });
    expect(updated.status).toBe(200);
    expect(((await updated.json()) as { id: string }).id).toBe(body.id);
    salesforce.put("Account", { Name: "Twin", ERP_Customer_Number__c: "C100" });
    const multiple = await call("PATCH", "sobjects/Account/ERP_Customer_Number__c/C100", { Name: "Which" });
    expect(multiple.status).toBe(300);
    expect(((await multiple.json()) as string[]).length).toBe(2);
    const invalid = await call("PATCH", "sobjects/Account/ERP_Customer_Number__c/C200", { Nme: "x" });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { errorCode: string }[]).map((error) => error.errorCode)).toEqual([
      "INVALID_FIELD",
      "REQUIRED_FIELD_MISSING",
    ]);
  });

  it("rolls back a whole collection under allOrNone and caps collections at 200 records", async () => {
    const { salesforce, call } = await connect();
    const response = await call("PATCH", "composite/sobjects/Account/ERP_Customer_Number__c", {
      allOrNone: true,
      records: [
        { attributes: { type: "Account" }, ERP_Customer_Number__c: "C1", Name: "One" },
        { attributes: { type: "Account" }, ERP_Customer_Number__c: "C2" },
      ],
    });
    const results = (await response.json()) as { success: boolean; errors: { statusCode: string }[] }[];
    expect(results.map((result) => [result.success, result.errors[0]?.statusCode])).toEqual([
      [false, "ALL_OR_NONE_OPERATION_ROLLED_BACK"],
      [false, "REQUIRED_FIELD_MISSING"],
    ]);
    expect(salesforce.records("Account")).toEqual([]);
    const tooMany = await call("POST", "composite/sobjects", {
      records: Array.from({ length: 201 }, (_, index) => ({
        attributes: { type: "Account" },
        Name: `A${index}`,
      })),
    });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { errorCode: string }[])[0]?.errorCode).toBe("EXCEEDED_ID_LIMIT");
  });

  it("pages SOQL results with nextRecordsUrl", async () => {
    const { salesforce, call, token } = await connect({ queryPageSize: 2 });
    for (let index = 0; index < 5; index++) salesforce.put("Account", { Name: `A${index}` });
    const first = (await (
      await call("GET", `query?q=${encodeURIComponent("SELECT Id, Name FROM Account ORDER BY Name DESC")}`)
    ).json()) as {
      totalSize: number;
      done: boolean;
      nextRecordsUrl: string;
      records: { Name: string; attributes: { type: string } }[];
    };
    expect(first).toMatchObject({ totalSize: 5, done: false });
    expect(first.records.map((record) => record.Name)).toEqual(["A4", "A3"]);
    expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g\w+-2$/);
    const second = (await (
      await fetch(`${salesforce.url}${first.nextRecordsUrl}`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { done: boolean; nextRecordsUrl?: string; records: { Name: string }[] };
    expect(second.records.map((record) => record.Name)).toEqual(["A2", "A1"]);
    const third = (await (
      await fetch(`${salesforce.url}${second.nextRecordsUrl}`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { done: boolean; nextRecordsUrl?: string; records: { Name: string }[] };
    expect(third).toMatchObject({ done: true, records: [{ Name: "A0" }] });
    expect(third.nextRecordsUrl).toBeUndefined();
    const malformed = await call("GET", `query?q=${encodeURIComponent("SELEC Id FROM Account")}`);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { errorCode: string }[])[0]?.errorCode).toBe("MALFORMED_QUERY");
  });
});
