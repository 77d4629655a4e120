import { createHash } from "node:crypto";
import {
  type AccountSegmentation,
  type ChangePage,
  type ChangeReadOptions,
  type CrmActivity,
  type CrmSystemV1,
  type Customer,
  CustomerSchema,
  createHttpClient,
  type HttpClient,
  isDistroError,
  issuesFromZod,
  NotFoundError,
  type RetryPolicy,
  staticToken,
  UpstreamError,
  ValidationError,
  type ValidationIssue,
} from "@distro/core";
import type { z } from "zod";
import {
  HubSpotBatchResponseSchema,
  type HubSpotObject,
  HubSpotObjectSchema,
  HubSpotSearchResponseSchema,
} from "./hubspot-api";

/** Settings for {@link createHubSpot}. */
export interface HubSpotSettings {
  /** A private app access token (or an OAuth access token). */
  accessToken: string;
  /** API origin (default `https://api.hubapi.com`). */
  baseUrl?: string;
  /** The company property holding the ERP customer number; must be a unique-value property (default `erp_customer_number`). */
  companyIdProperty?: string;
  /** The unique task property that makes activities idempotent (default `distro_activity_key`). */
  activityKeyProperty?: string;
  /** The company property with the pricing tier (default `pricing_tier`). */
  tierProperty?: string;
  /** The company property with the segment (default `customer_segment`). */
  segmentProperty?: string;
  /** Company properties the CRM owns, never written from ERP data (default tier, segment, `hubspot_owner_id`, `lifecyclestage`, `description`). */
  crmOwnedProperties?: readonly string[];
  /** Currency for companies without one (default `USD`). */
  defaultCurrency?: string;
  /** Retry policy (default the core policy; 429s are retried). */
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

/** The HubSpot CRM: the `CrmSystem` port plus batch upserts. */
export interface HubSpotCrm extends CrmSystemV1 {
  /** The REST client. */
  readonly rest: HttpClient;
  /**
   * Upserts many companies by the ERP customer number, 100 per batch call.
   * @param customers - canonical customers
   */
  upsertAccounts(customers: Customer[]): Promise<{ customerId: string; id: string; created: boolean }[]>;
  /**
   * The company properties distro writes for a customer (CRM-owned ones removed).
   * @param customer - the canonical customer
   */
  companyProperties(customer: Customer): Record<string, string>;
}

/**
 * Creates the HubSpot CRM adapter (CRM v3): customers upserted as companies by the ERP
 * customer number through `batch/upsert` with `idProperty` (100 per call), contacts upserted
 * by email and associated, tier and segment read for pricing, milestones written as
 * completed tasks associated with the company (idempotent by an activity key), and
 * incremental reads by `hs_lastmodifieddate`. 429s (`TEN_SECONDLY_ROLLING`) are retried by
 * the core client. CRM-owned properties are never written.
 *
 * @param settings - token and property names
 * @returns the adapter
 * @throws ValidationError when the token is missing
 * @example
 * ```ts
 * import { createHubSpot } from "@distro/connectors-crm/hubspot";
 *
 * const hubspot = createHubSpot({ accessToken: process.env.HUBSPOT_TOKEN! });
 * await hubspot.upsertAccount(customer);
 * ```
 */
export function createHubSpot(settings: HubSpotSettings): HubSpotCrm {
  if (typeof settings?.accessToken !== "string" || settings.accessToken.trim() === "") {
    throw new ValidationError("Invalid HubSpot settings", [
      { code: "required", path: ["accessToken"], message: "Expected a private app access token" },
    ]);
  }
  const clock = settings.clock ?? Date.now;
  const idProperty = settings.companyIdProperty ?? "erp_customer_number";
  const activityKey = settings.activityKeyProperty ?? "distro_activity_key";
  const tierProperty = settings.tierProperty ?? "pricing_tier";
  const segmentProperty = settings.segmentProperty ?? "customer_segment";
  const crmOwned = new Set(
    settings.crmOwnedProperties ?? [
      tierProperty,
      segmentProperty,
      "hubspot_owner_id",
      "lifecyclestage",
      "description",
    ],
  );
  const rest = createHttpClient({
    baseUrl: `${(settings.baseUrl ?? "https://api.hubapi.com").replace(/\/+$/, "")}/`,
    system: "hubspot",
    auth: staticToken(settings.accessToken),
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
      throw new UpstreamError(`hubspot answered ${where} with an unexpected shape`, {
        status: 200,
        system: "hubspot",
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

  const companyProperties = (customer: Customer): Record<string, string> => {
    const checked = CustomerSchema.safeParse(customer);
    if (!checked.success) throw new ValidationError("Customer is invalid", issuesFromZod(checked.error));
    const valid = checked.data;
    const address =
      valid.addresses.find((entry) => entry.purposes.includes("bill_to") && entry.isDefault) ??
      valid.addresses.find((entry) => entry.purposes.includes("bill_to")) ??
      valid.addresses[0];
    const properties: Record<string, string> = {
      name: valid.name,
      erp_status: valid.status,
      erp_currency: valid.currency,
      ...(valid.creditLimit ? { erp_credit_limit: valid.creditLimit.amount } : {}),
      ...(valid.paymentTerms ? { erp_payment_terms: valid.paymentTerms.code } : {}),
      ...(address
        ? {
            address: address.line1,
            ...(address.line2 ? { address2: address.line2 } : {}),
            city: address.city,
            ...(address.region ? { state: address.region } : {}),
            ...(address.postalCode ? { zip: address.postalCode } : {}),
            country: address.country,
          }
        : {}),
    };
    for (const name of Object.keys(properties)) if (crmOwned.has(name)) delete properties[name];
    return properties;
  };

  const batchUpsert = async (
    type: string,
    inputs: { idProperty: string; id: string; properties: Record<string, string> }[],
  ) => {
    const results: HubSpotObject[] = [];
    for (let start = 0; start < inputs.length; start += 100) {
      const chunk = inputs.slice(start, start + 100);
      const response = await rest.post(`crm/v3/objects/${type}/batch/upsert`, {
        json: { inputs: chunk },
        idempotent: true,
      });
      const body = parse(HubSpotBatchResponseSchema, await response.json(), `${type} batch upsert`);
      // Results are not guaranteed in input order: match them back by the id property.
      const byKey = new Map(
        body.results.map((result) => [result.properties[chunk[0]!.idProperty] ?? "", result]),
      );
      for (const input of chunk) {
        const result = byKey.get(input.id);
        if (!result) {
          throw new UpstreamError(`hubspot did not return ${type} ${input.id} from batch upsert`, {
            status: 200,
            system: "hubspot",
            retryable: false,
          });
        }
        results.push(result);
      }
    }
    return results;
  };

  const findCompany = async (customerId: string, properties: string[]): Promise<HubSpotObject> => {
    try {
      const response = await rest.get(`crm/v3/objects/companies/${encodeURIComponent(customerId)}`, {
        query: { idProperty, properties: properties.join(",") },
      });
      return parse(HubSpotObjectSchema, await response.json(), "company read");
    } catch (error) {
      if (isDistroError(error) && (error as UpstreamError).status === 404) {
        throw new NotFoundError(`No HubSpot company has ${idProperty} = ${customerId}`, { cause: error });
      }
      throw error;
    }
  };

  const crm: HubSpotCrm = {
    specificationVersion: "v1",
    system: "hubspot",
    rest,
    companyProperties,

    async upsertAccount(customer: Customer): Promise<{ id: string; created: boolean }> {
      const [company] = await batchUpsert("companies", [
        { idProperty, id: keyOf(customer), properties: companyProperties(customer) },
      ]);
      const contacts = (customer.contacts ?? []).filter((contact) => contact.email);
      if (contacts.length > 0) {
        const saved = await batchUpsert(
          "contacts",
          contacts.map((contact) => {
            const [first, ...rest] = contact.name.trim().split(/\s+/);
            return {
              idProperty: "email",
              id: contact.email!.toLowerCase(),
              properties: {
                ...(rest.length > 0
                  ? { firstname: first ?? "", lastname: rest.join(" ") }
                  : { lastname: contact.name }),
                ...(contact.phone ? { phone: contact.phone } : {}),
                ...(contact.roles.length > 0 ? { jobtitle: contact.roles.join(", ") } : {}),
              },
            };
          }),
        );
        for (const contact of saved) {
          await rest.put(
            `crm/v3/objects/contacts/${contact.id}/associations/companies/${company!.id}/contact_to_company`,
          );
        }
      }
      return { id: company!.id, created: company!.new === true };
    },

    async upsertAccounts(customers: Customer[]) {
      const saved = await batchUpsert(
        "companies",
        customers.map((customer) => ({
          idProperty,
          id: keyOf(customer),
          properties: companyProperties(customer),
        })),
      );
      return saved.map((company, index) => ({
        customerId: customers[index]!.id,
        id: company.id,
        created: company.new === true,
      }));
    },

    async getSegmentation(customerId: string): Promise<AccountSegmentation> {
      const company = await findCompany(customerId, [tierProperty, segmentProperty, "hubspot_owner_id"]);
      const text = (value: string | null | undefined) => (value ? value : undefined);
      const tier = text(company.properties[tierProperty]);
      const segment = text(company.properties[segmentProperty]);
      const owner = text(company.properties.hubspot_owner_id);
      return {
        customerId,
        ...(tier ? { tier } : {}),
        ...(segment ? { segment } : {}),
        ...(owner ? { salesRep: owner } : {}),
      };
    },

    async recordActivity(activity: CrmActivity): Promise<{ id: string }> {
      const issues: ValidationIssue[] = [];
      if (typeof activity?.customerId !== "string" || activity.customerId === "") {
        issues.push({ code: "required", path: ["customerId"], message: "Expected the customer id" });
      }
      if (typeof activity?.subject !== "string" || activity.subject === "") {
        issues.push({ code: "required", path: ["subject"], message: "Expected a subject" });
      }
      if (Number.isNaN(Date.parse(activity?.occurredAt ?? ""))) {
        issues.push({
          code: "invalid_date",
          path: ["occurredAt"],
          message: "Expected an ISO 8601 date-time",
        });
      }
      if (issues.length > 0) throw new ValidationError("Invalid CRM activity", issues);
      const company = await findCompany(activity.customerId, []);
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
      const [task] = await batchUpsert("tasks", [
        {
          idProperty: activityKey,
          id: key,
          properties: {
            hs_task_subject: activity.subject,
            hs_task_body: [
              activity.description,
              ...Object.entries(activity.refs ?? {}).map(([system, id]) => `${system}: ${id}`),
            ]
              .filter(Boolean)
              .join("\n"),
            hs_task_status: "COMPLETED",
            hs_timestamp: new Date(Date.parse(activity.occurredAt)).toISOString(),
            distro_activity_kind: activity.kind,
            ...(activity.correlationId ? { distro_correlation_id: activity.correlationId } : {}),
          },
        },
      ]);
      await rest.put(`crm/v3/objects/tasks/${task!.id}/associations/companies/${company.id}/task_to_company`);
      return { id: task!.id };
    },

    async *readAccounts(options: ChangeReadOptions = {}): AsyncIterable<ChangePage<Customer>> {
      const [stampText, cursorId] = (options.cursor ?? "1970-01-01T00:00:00.000Z|").split("|");
      const since = Date.parse(stampText ?? "");
      if (Number.isNaN(since)) {
        throw new ValidationError("Invalid account cursor", [
          { code: "invalid_cursor", path: ["cursor"], message: "Expected <hs_lastmodifieddate>|<id>" },
        ]);
      }
      const pageSize = Math.min(200, Math.max(1, options.pageSize ?? 100));
      let after: string | undefined;
      let cursor = options.cursor ?? `${new Date(since).toISOString()}|`;
      for (;;) {
        const response = await rest.post("crm/v3/objects/companies/search", {
          json: {
            filterGroups: [
              { filters: [{ propertyName: "hs_lastmodifieddate", operator: "GTE", value: String(since) }] },
            ],
            sorts: [{ propertyName: "hs_lastmodifieddate", direction: "ASCENDING" }],
            properties: [
              "name",
              idProperty,
              tierProperty,
              segmentProperty,
              "erp_currency",
              "address",
              "address2",
              "city",
              "state",
              "zip",
              "country",
              "hubspot_owner_id",
            ],
            limit: pageSize,
            ...(after ? { after } : {}),
          },
          idempotent: true,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const page = parse(HubSpotSearchResponseSchema, await response.json(), "company search");
        const records: Customer[] = [];
        for (const company of page.results) {
          const stamp = Date.parse(company.properties.hs_lastmodifieddate ?? company.updatedAt ?? "");
          if (stamp < since || (stamp === since && Number(company.id) <= Number(cursorId || "0"))) continue;
          cursor = `${new Date(stamp).toISOString()}|${company.id}`;
          const properties = company.properties;
          const number = properties[idProperty];
          const country = properties.country ?? "";
          records.push(
            toCustomer({
              id: number || `hubspot-${company.id}`,
              name: properties.name || `HubSpot company ${company.id}`,
              currency: properties.erp_currency || settings.defaultCurrency || "USD",
              ...(properties[tierProperty] ? { tier: properties[tierProperty] } : {}),
              ...(properties[segmentProperty] ? { segment: properties[segmentProperty] } : {}),
              addresses:
                properties.address && properties.city && /^[A-Z]{2}$/.test(country)
                  ? [
                      {
                        line1: properties.address,
                        ...(properties.address2 ? { line2: properties.address2 } : {}),
                        city: properties.city,
                        ...(properties.state ? { region: properties.state } : {}),
                        ...(properties.zip ? { postalCode: properties.zip } : {}),
                        country,
                        purposes: ["bill_to"],
                        isDefault: true,
                      },
                    ]
                  : [],
              refs: { crm: company.id, ...(number ? { erp: number } : {}) },
              ext: properties.hubspot_owner_id ? { "hubspot.owner_id": properties.hubspot_owner_id } : {},
            }),
          );
        }
        after = page.paging?.next?.after;
        yield { records, cursor, hasMore: after !== undefined };
        if (!after) return;
      }
    },
  };
  return crm;
}

function toCustomer(input: unknown): Customer {
  const parsed = CustomerSchema.safeParse(input);
  if (!parsed.success)
    throw new ValidationError("HubSpot company cannot be mapped", issuesFromZod(parsed.error));
  return parsed.data;
}
