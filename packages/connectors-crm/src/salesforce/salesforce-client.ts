import { createHash } from "node:crypto";
import {
  type AccountSegmentation,
  type ChangePage,
  type ChangeReadOptions,
  ConflictError,
  type CrmActivity,
  type CrmSystemV1,
  type Customer,
  type CustomerAddress,
  CustomerSchema,
  createHttpClient,
  type DeadLetterStore,
  type HttpClient,
  isDistroError,
  issuesFromZod,
  NotFoundError,
  oauth2ClientCredentials,
  type RetryPolicy,
  serializeError,
  UpstreamError,
  ValidationError,
  type ValidationIssue,
} from "@distro/core";
import type { z } from "zod";
import {
  type SalesforceAccount,
  SalesforceAccountSchema,
  type SalesforceQueryResponse,
  SalesforceQueryResponseSchema,
  type SalesforceRecord,
  type SalesforceSaveResult,
  SalesforceSaveResultSchema,
} from "./salesforce-api";

/** Settings for {@link createSalesforce}. */
export interface SalesforceSettings {
  /** The org's My Domain URL, e.g. `https://acme.my.salesforce.com` (token endpoint and REST API). */
  instanceUrl: string;
  /** The connected app's consumer key. */
  clientId: string;
  /** The connected app's consumer secret. */
  clientSecret: string;
  /** REST API version (default `v62.0`). */
  apiVersion?: string;
  /** The Account external id field holding the ERP customer number (default `ERP_Customer_Number__c`). */
  accountExternalIdField?: string;
  /** The Contact external id field (default `ERP_Contact_Id__c`). */
  contactExternalIdField?: string;
  /** The Task external id field that makes activities idempotent (default `Distro_Activity_Key__c`). */
  activityKeyField?: string;
  /** The Account field with the pricing tier (default `Tier__c`). */
  tierField?: string;
  /** The Account field with the segment (default `Segment__c`). */
  segmentField?: string;
  /**
   * Account fields the CRM owns: never written from ERP data, whatever the mapping
   * produces (default `Tier__c`, `Segment__c`, `OwnerId`, `Rating`, `Industry`, `Type`, `Description`).
   */
  crmOwnedFields?: readonly string[];
  /** Currency for accounts without `CurrencyIsoCode` (default `USD`). */
  defaultCurrency?: string;
  /** Where accounts that fail mapping during `readAccounts` go (without it they throw). */
  deadLetters?: DeadLetterStore;
  /** Retry policy (default the core policy). */
  retry?: RetryPolicy | false;
  /** Per-attempt timeout in ms. */
  timeoutMs?: number;
  /** The fetch to use. */
  fetch?: typeof fetch;
  /** The time in ms. */
  clock?: () => number;
  /** Waits. */
  sleep?: (ms: number) => Promise<void>;
  /** Randomness for retry jitter. */
  random?: () => number;
}

/** The outcome of one record of {@link SalesforceCrm.upsertAccounts}. */
export interface SalesforceUpsertOutcome {
  /** The canonical customer id. */
  customerId: string;
  /** The Salesforce id, when saved. */
  id?: string;
  /** Whether it was created (false: updated). */
  created?: boolean;
  /** Why it failed. */
  errors?: { code: string; message: string; fields: string[] }[];
}

/** The Salesforce CRM: the `CrmSystem` port plus batch upserts, contacts and raw queries. */
export interface SalesforceCrm extends CrmSystemV1 {
  /** The REST client (`.../services/data/<version>/`), authenticated and refreshed on 401. */
  readonly rest: HttpClient;
  /**
   * Upserts many accounts by external id through composite sObject collections, 200 per call.
   * @param customers - canonical customers
   * @param options - `allOrNone` per call (default false)
   */
  upsertAccounts(
    customers: Customer[],
    options?: { allOrNone?: boolean },
  ): Promise<SalesforceUpsertOutcome[]>;
  /**
   * Upserts a customer's contacts under its account, keyed `<customer>:<contact>`.
   * @param customer - the customer with its contacts
   * @param accountId - the Salesforce account id
   */
  upsertContacts(customer: Customer, accountId: string): Promise<SalesforceUpsertOutcome[]>;
  /**
   * Runs a SOQL query and yields each page, following `nextRecordsUrl`.
   * @param soql - the query
   * @param signal - cancels it
   */
  query(soql: string, signal?: AbortSignal): AsyncIterable<SalesforceQueryResponse>;
  /**
   * The Account fields distro writes for a customer (CRM-owned fields removed).
   * @param customer - the canonical customer
   */
  accountFields(customer: Customer): Record<string, string | null>;
}

const DEFAULT_CRM_OWNED = ["Tier__c", "Segment__c", "OwnerId", "Rating", "Industry", "Type", "Description"];

/**
 * Quotes a value as a SOQL string literal (backslash and single quote escaped).
 *
 * @param value - the value
 * @returns `'value'`
 * @example
 * ```ts
 * `SELECT Id FROM Account WHERE Name = ${soqlString("O'Brien")}`;
 * ```
 */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * Creates the Salesforce CRM adapter: customers upserted as Accounts by the ERP customer
 * number (an External ID field), contacts, tier and segment read for pricing, order and
 * shipment milestones written as completed Tasks (idempotent by an activity key), and
 * incremental account reads by `SystemModstamp`. It authenticates with OAuth 2.0 client
 * credentials through the core HTTP client, which refreshes the token and repeats the call
 * once on a 401, so an expired session never fails a request. Fields the CRM owns are
 * never written.
 *
 * @param settings - instance, connected app credentials, field names
 * @returns the adapter
 * @throws ValidationError when the instance URL or credentials are missing
 * @example
 * ```ts
 * import { createSalesforce } from "@distro/connectors-crm/salesforce";
 *
 * const salesforce = createSalesforce({
 *   instanceUrl: "https://acme.my.salesforce.com",
 *   clientId: process.env.SF_CLIENT_ID!,
 *   clientSecret: process.env.SF_CLIENT_SECRET!,
 * });
 * const { id, created } = await salesforce.upsertAccount(customer);
 * ```
 */
export function createSalesforce(settings: SalesforceSettings): SalesforceCrm {
  const problems: ValidationIssue[] = [];
  for (const key of ["instanceUrl", "clientId", "clientSecret"] as const) {
    if (typeof settings?.[key] !== "string" || settings[key].trim() === "") {
      problems.push({ code: "required", path: [key], message: `Expected ${key}` });
    }
  }
  if (problems.length > 0) throw new ValidationError("Invalid Salesforce settings", problems);
  const clock = settings.clock ?? Date.now;
  const apiVersion = settings.apiVersion ?? "v62.0";
  const instance = settings.instanceUrl.replace(/\/+$/, "");
  const accountKey = settings.accountExternalIdField ?? "ERP_Customer_Number__c";
  const contactKey = settings.contactExternalIdField ?? "ERP_Contact_Id__c";
  const activityKey = settings.activityKeyField ?? "Distro_Activity_Key__c";
  const tierField = settings.tierField ?? "Tier__c";
  const segmentField = settings.segmentField ?? "Segment__c";
  const crmOwned = new Set(settings.crmOwnedFields ?? DEFAULT_CRM_OWNED);
  const auth = oauth2ClientCredentials({
    tokenUrl: `${instance}/services/oauth2/token`,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    clock: { now: clock },
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  });
  const rest = createHttpClient({
    baseUrl: `${instance}/services/data/${apiVersion}/`,
    system: "salesforce",
    auth,
    headers: { accept: "application/json" },
    clock: { now: clock },
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(settings.retry !== undefined ? { retry: settings.retry } : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.sleep ? { sleep: settings.sleep } : {}),
    ...(settings.random ? { random: settings.random } : {}),
  });

  const parse = <T>(schema: z.ZodType<T>, value: unknown, where: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new UpstreamError(`salesforce answered ${where} with an unexpected shape`, {
        status: 200,
        system: "salesforce",
        retryable: false,
        cause: new ValidationError(`Unexpected ${where} answer`, issuesFromZod(parsed.error)),
      });
    }
    return parsed.data;
  };

  const keyOf = (customer: Customer): string => {
    const key = customer?.refs?.erp ?? customer?.id;
    if (typeof key !== "string" || key.trim() === "") {
      throw new ValidationError("Customer has no ERP customer number", [
        { code: "required", path: ["id"], message: "Expected the customer id or refs.erp" },
      ]);
    }
    return key;
  };

  const accountFields = (customer: Customer): Record<string, string | null> => {
    const checked = CustomerSchema.safeParse(customer);
    if (!checked.success) throw new ValidationError("Customer is invalid", issuesFromZod(checked.error));
    const valid = checked.data;
    const billing = pickAddress(valid.addresses, "bill_to");
    const shipping = pickAddress(valid.addresses, "ship_to");
    const fields: Record<string, string | null> = {
      Name: valid.name,
      AccountNumber: valid.id,
      CurrencyIsoCode: valid.currency,
      Account_Status__c: valid.status,
      Credit_Limit__c: valid.creditLimit?.amount ?? null,
      Payment_Terms__c: valid.paymentTerms?.code ?? null,
      Tax_Id__c: valid.taxId ?? null,
      ...addressFields("Billing", billing),
      ...addressFields("Shipping", shipping),
    };
    for (const name of Object.keys(fields)) if (crmOwned.has(name)) delete fields[name];
    return fields;
  };

  const asConflict = (error: unknown, what: string): unknown => {
    if (isDistroError(error) && (error as UpstreamError).status === 300) {
      return new ConflictError(`More than one Salesforce record matches ${what}`, {
        cause: error,
        details: { status: 300 },
      });
    }
    return error;
  };

  async function* query(soql: string, signal?: AbortSignal): AsyncIterable<SalesforceQueryResponse> {
    let response = await rest.get("query", { query: { q: soql }, ...(signal ? { signal } : {}) });
    for (;;) {
      const page = parse(SalesforceQueryResponseSchema, await response.json(), "query");
      yield page;
      if (page.done || !page.nextRecordsUrl) return;
      // nextRecordsUrl is a path on this instance; an absolute URL is reduced to its path so
      // the token never goes to another host.
      const next = new URL(page.nextRecordsUrl, instance);
      response = await rest.get(`${instance}${next.pathname}${next.search}`, signal ? { signal } : {});
    }
  }

  const findAccount = async (customerId: string, fields: string[]): Promise<SalesforceRecord> => {
    const soql = `SELECT ${["Id", ...fields].join(", ")} FROM Account WHERE ${accountKey} = ${soqlString(customerId)} LIMIT 2`;
    const records: SalesforceRecord[] = [];
    for await (const page of query(soql)) records.push(...page.records);
    if (records.length === 0)
      throw new NotFoundError(`No Salesforce account has ${accountKey} = ${customerId}`);
    if (records.length > 1)
      throw new ConflictError(`Several Salesforce accounts have ${accountKey} = ${customerId}`);
    return records[0]!;
  };

  const collectionUpsert = async (
    type: string,
    field: string,
    records: Record<string, unknown>[],
    allOrNone: boolean,
  ): Promise<SalesforceSaveResult[]> => {
    const results: SalesforceSaveResult[] = [];
    for (let start = 0; start < records.length; start += 200) {
      const chunk = records.slice(start, start + 200);
      const response = await rest.patch(`composite/sobjects/${type}/${field}`, {
        json: { allOrNone, records: chunk.map((record) => ({ attributes: { type }, ...record })) },
        idempotent: true,
      });
      results.push(...parse(SalesforceSaveResultSchema.array(), await response.json(), "composite/sobjects"));
    }
    return results;
  };

  const outcome = (customerId: string, result: SalesforceSaveResult | undefined): SalesforceUpsertOutcome =>
    result?.success
      ? { customerId, id: result.id ?? "", created: result.created === true }
      : {
          customerId,
          errors: (result?.errors ?? []).map((error) => ({
            code: error.statusCode ?? error.errorCode ?? "UNKNOWN",
            message: error.message,
            fields: error.fields ?? [],
          })),
        };

  const upsertContacts = async (
    customer: Customer,
    accountId: string,
  ): Promise<SalesforceUpsertOutcome[]> => {
    const key = keyOf(customer);
    const records = (customer.contacts ?? []).map((contact, index) => {
      const [first, ...rest] = contact.name.trim().split(/\s+/);
      const last = rest.length > 0 ? rest.join(" ") : (first ?? contact.name);
      return {
        [contactKey]: `${key}:${contact.id ?? contact.email ?? index}`,
        FirstName: rest.length > 0 ? (first ?? null) : null,
        LastName: last,
        Email: contact.email ?? null,
        Phone: contact.phone ?? null,
        Title: contact.roles.length > 0 ? contact.roles.join(", ") : null,
        AccountId: accountId,
      };
    });
    if (records.length === 0) return [];
    const results = await collectionUpsert("Contact", contactKey, records, false);
    return results.map((result, index) => outcome(String(records[index]?.[contactKey]), result));
  };

  const toCustomer = (account: SalesforceAccount, record: SalesforceRecord): Customer => {
    const number = (record as Record<string, unknown>)[accountKey];
    const addresses: CustomerAddress[] = [];
    for (const [prefix, purpose] of [
      ["Billing", "bill_to"],
      ["Shipping", "ship_to"],
    ] as const) {
      const street = account[`${prefix}Street`];
      const city = account[`${prefix}City`];
      const country = account[`${prefix}Country`];
      if (street && city && country && /^[A-Z]{2}$/.test(country)) {
        const [line1, line2] = street.split("\n");
        addresses.push({
          line1: line1!,
          ...(line2 ? { line2 } : {}),
          city,
          ...(account[`${prefix}State`] ? { region: account[`${prefix}State`]! } : {}),
          ...(account[`${prefix}PostalCode`] ? { postalCode: account[`${prefix}PostalCode`]! } : {}),
          country,
          purposes: [purpose],
          isDefault: true,
        });
      }
    }
    const tier = (record as Record<string, unknown>)[tierField];
    const segment = (record as Record<string, unknown>)[segmentField];
    return CustomerSchema.parse({
      id: typeof number === "string" && number !== "" ? number : `salesforce-${account.Id}`,
      name: account.Name,
      currency: account.CurrencyIsoCode ?? settings.defaultCurrency ?? "USD",
      ...(typeof tier === "string" && tier !== "" ? { tier } : {}),
      ...(typeof segment === "string" && segment !== "" ? { segment } : {}),
      addresses,
      refs: { crm: account.Id, ...(typeof number === "string" && number !== "" ? { erp: number } : {}) },
      ext: {
        "salesforce.SystemModstamp": account.SystemModstamp,
        ...(account.OwnerId ? { "salesforce.OwnerId": account.OwnerId } : {}),
      },
    });
  };

  const crm: SalesforceCrm = {
    specificationVersion: "v1",
    system: "salesforce",
    rest,
    query,
    accountFields,
    upsertContacts,

    async upsertAccount(customer: Customer): Promise<{ id: string; created: boolean }> {
      const key = keyOf(customer);
      const fields = accountFields(customer);
      let id: string;
      let created: boolean;
      try {
        const response = await rest.patch(`sobjects/Account/${accountKey}/${encodeURIComponent(key)}`, {
          json: fields,
          idempotent: true,
        });
        if (response.status === 204) {
          id = String((await findAccount(key, [])).Id);
          created = false;
        } else {
          const result = parse(SalesforceSaveResultSchema, await response.json(), "sobject upsert");
          id = result.id ?? "";
          created = result.created === true;
        }
      } catch (error) {
        throw asConflict(error, `${accountKey} = ${key}`);
      }
      if ((customer.contacts ?? []).length > 0) {
        const contacts = await upsertContacts(customer, id);
        const failed = contacts.filter((contact) => contact.errors);
        if (failed.length > 0) {
          throw new ValidationError(
            `Account ${id} saved, but ${failed.length} contact(s) were refused`,
            failed.map((contact) => ({
              code: contact.errors?.[0]?.code ?? "UNKNOWN",
              path: ["contacts", contact.customerId],
              message: contact.errors?.map((error) => error.message).join("; ") ?? "",
            })),
            { details: { accountId: id } },
          );
        }
      }
      return { id, created };
    },

    async upsertAccounts(customers: Customer[], options: { allOrNone?: boolean } = {}) {
      const records = customers.map((customer) => ({
        [accountKey]: keyOf(customer),
        ...accountFields(customer),
      }));
      const results = await collectionUpsert("Account", accountKey, records, options.allOrNone ?? false);
      return results.map((result, index) => outcome(customers[index]!.id, result));
    },

    async getSegmentation(customerId: string): Promise<AccountSegmentation> {
      const record = (await findAccount(customerId, [tierField, segmentField, "OwnerId"])) as Record<
        string,
        unknown
      >;
      const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
      const tier = text(record[tierField]);
      const segment = text(record[segmentField]);
      const owner = text(record.OwnerId);
      return {
        customerId,
        ...(tier ? { tier } : {}),
        ...(segment ? { segment } : {}),
        ...(owner ? { salesRep: owner } : {}),
      };
    },

    async recordActivity(activity: CrmActivity): Promise<{ id: string }> {
      if (typeof activity?.customerId !== "string" || typeof activity.subject !== "string") {
        throw new ValidationError("Invalid CRM activity", [
          { code: "required", path: ["customerId"], message: "Expected customerId and subject" },
        ]);
      }
      const occurred = Date.parse(activity.occurredAt);
      if (Number.isNaN(occurred)) {
        throw new ValidationError("Invalid CRM activity", [
          { code: "invalid_date", path: ["occurredAt"], message: "Expected an ISO 8601 date-time" },
        ]);
      }
      const account = await findAccount(activity.customerId, []);
      const key = createHash("sha256")
        .update(
          JSON.stringify([
            activity.kind,
            activity.customerId,
            activity.subject,
            activity.occurredAt,
            activity.correlationId ?? "",
          ]),
        )
        .digest("base64url");
      const fields = {
        Subject: activity.subject.slice(0, 255),
        Description: [
          activity.description,
          ...Object.entries(activity.refs ?? {}).map(([system, id]) => `${system}: ${id}`),
        ]
          .filter(Boolean)
          .join("\n"),
        WhatId: account.Id,
        ActivityDate: new Date(occurred).toISOString().slice(0, 10),
        Status: "Completed",
        Priority: "Normal",
        Type: activity.kind,
        TaskSubtype: "Task",
        Distro_Correlation_Id__c: activity.correlationId ?? null,
      };
      const response = await rest.patch(`sobjects/Task/${activityKey}/${encodeURIComponent(key)}`, {
        json: fields,
        idempotent: true,
      });
      if (response.status === 204) {
        const records: SalesforceRecord[] = [];
        for await (const page of query(
          `SELECT Id FROM Task WHERE ${activityKey} = ${soqlString(key)} LIMIT 1`,
        )) {
          records.push(...page.records);
        }
        return { id: String(records[0]?.Id ?? "") };
      }
      return { id: parse(SalesforceSaveResultSchema, await response.json(), "task upsert").id ?? "" };
    },

    async *readAccounts(options: ChangeReadOptions = {}): AsyncIterable<ChangePage<Customer>> {
      const [cursorStamp, cursorId] = (options.cursor ?? "1970-01-01T00:00:00.000Z|").split("|");
      const since = Date.parse((cursorStamp ?? "").replace(/\+0000$/, "Z"));
      if (Number.isNaN(since)) {
        throw new ValidationError("Invalid account cursor", [
          { code: "invalid_cursor", path: ["cursor"], message: "Expected <SystemModstamp>|<Id>" },
        ]);
      }
      const literal = new Date(Math.floor(since / 1000) * 1000).toISOString().replace(".000Z", "Z");
      const fields = [
        "Id",
        "Name",
        "AccountNumber",
        accountKey,
        tierField,
        segmentField,
        "OwnerId",
        "CurrencyIsoCode",
        "BillingStreet",
        "BillingCity",
        "BillingState",
        "BillingPostalCode",
        "BillingCountry",
        "ShippingStreet",
        "ShippingCity",
        "ShippingState",
        "ShippingPostalCode",
        "ShippingCountry",
        "SystemModstamp",
      ];
      const soql = `SELECT ${fields.join(", ")} FROM Account WHERE SystemModstamp >= ${literal} ORDER BY SystemModstamp ASC, Id ASC`;
      let cursor = options.cursor ?? `${cursorStamp}|${cursorId ?? ""}`;
      const pageSize = Math.max(1, options.pageSize ?? 200);
      let buffer: Customer[] = [];
      const pending: ChangePage<Customer>[] = [];
      for await (const page of query(soql, options.signal)) {
        for (const record of page.records) {
          const parsed = SalesforceAccountSchema.safeParse(record);
          const stampText = String((record as Record<string, unknown>).SystemModstamp ?? "");
          const stamp = Date.parse(stampText.replace(/\+0000$/, "Z"));
          const id = String(record.Id ?? "");
          if (stamp < since || (stamp === since && id <= (cursorId ?? ""))) continue;
          cursor = `${new Date(stamp).toISOString()}|${id}`;
          try {
            if (!parsed.success) throw new ValidationError("Account is invalid", issuesFromZod(parsed.error));
            buffer.push(toCustomer(parsed.data, record));
          } catch (error) {
            const typed =
              error instanceof ValidationError
                ? error
                : isDistroError(error)
                  ? error
                  : new ValidationError("Account cannot be mapped", issuesFromZod(error as z.ZodError));
            if (!settings.deadLetters) throw typed;
            const at = clock();
            await settings.deadLetters.add({
              subscriber: "salesforce-accounts-read",
              message: JSON.stringify(record),
              eventId: id,
              type: "salesforce.account",
              source: instance,
              error: serializeError(typed),
              ...(typed instanceof ValidationError ? { issues: typed.issues } : {}),
              attempts: 1,
              firstFailedAt: at,
              lastFailedAt: at,
            });
          }
          if (buffer.length >= pageSize) {
            pending.push({ records: buffer, cursor, hasMore: true });
            buffer = [];
          }
        }
        while (pending.length > 0) yield pending.shift()!;
      }
      yield { records: buffer, cursor, hasMore: false };
    },
  };
  return crm;
}

function pickAddress(
  addresses: CustomerAddress[],
  purpose: "bill_to" | "ship_to",
): CustomerAddress | undefined {
  const matching = addresses.filter((address) => address.purposes.includes(purpose));
  return matching.find((address) => address.isDefault) ?? matching[0];
}

function addressFields(
  prefix: "Billing" | "Shipping",
  address: CustomerAddress | undefined,
): Record<string, string | null> {
  return {
    [`${prefix}Street`]: address
      ? [address.line1, address.line2, address.line3].filter(Boolean).join("\n")
      : null,
    [`${prefix}City`]: address?.city ?? null,
    [`${prefix}State`]: address?.region ?? null,
    [`${prefix}PostalCode`]: address?.postalCode ?? null,
    [`${prefix}Country`]: address?.country ?? null,
  };
}
