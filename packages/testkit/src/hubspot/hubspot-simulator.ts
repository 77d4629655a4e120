import { randomUUID } from "node:crypto";
import type { FaultInjector } from "../shared/faults";
import type { Ledger } from "../shared/ledger";
import {
  jsonResponse,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorRouter,
} from "../shared/router";
import {
  type SimulatorEnvironment,
  type SimulatorServer,
  startSimulatorServer,
} from "../shared/simulator-server";

/** A CRM object in the simulator. */
export interface HubSpotSimulatorObject {
  /** The HubSpot id (numeric string). */
  id: string;
  /** Its properties, all strings as HubSpot stores them. */
  properties: Record<string, string | null>;
  /** ISO creation time. */
  createdAt: string;
  /** ISO last-modified time (also `hs_lastmodifieddate`). */
  updatedAt: string;
  /** Associated object ids by object type. */
  associations: Record<string, string[]>;
}

/** Settings for {@link createHubSpotSimulator}. */
export interface HubSpotSimulatorSettings extends SimulatorEnvironment {
  /** The private app access token required as `Authorization: Bearer` (default `pat-distro-test`). */
  accessToken?: string;
  /** Requests allowed per rolling ten seconds before 429 `TEN_SECONDLY_ROLLING` (default 100). */
  tenSecondlyLimit?: number;
  /** Properties with unique values, usable as `idProperty`, by object type. */
  uniqueProperties?: Record<string, string[]>;
}

/** A running HubSpot simulator. */
export interface HubSpotSimulator {
  /** The base URL (`https://api.hubapi.com` stands here). */
  readonly url: string;
  /** The token it requires. */
  readonly accessToken: string;
  /** Every HTTP request served. */
  readonly ledger: Ledger;
  /** Inject latency, 429s, 5xx and resets. */
  readonly faults: FaultInjector;
  /**
   * Every object of a type.
   * @param type - `companies`, `contacts`, `tasks`...
   */
  objects(type: string): HubSpotSimulatorObject[];
  /**
   * Sets properties directly, as a HubSpot user would (bumps `hs_lastmodifieddate`).
   * @param type - the object type
   * @param id - the object id, or undefined to create
   * @param properties - the properties
   */
  put(
    type: string,
    id: string | undefined,
    properties: Record<string, string | null>,
  ): HubSpotSimulatorObject;
  /** Stops the server. */
  close(): Promise<void>;
}

const DEFAULT_UNIQUE: Record<string, string[]> = {
  companies: ["erp_customer_number"],
  contacts: ["email", "erp_contact_id"],
  tasks: ["distro_activity_key"],
};

/**
 * Starts a HubSpot simulator on loopback: CRM v3 objects (companies, contacts, tasks and
 * any other type) with batch upsert by a unique `idProperty` (at most 100 inputs), read by
 * id or `idProperty`, search with filters, sorts and `after` paging, v3 associations, the
 * error body `{ status: "error", message, correlationId, category }`, and 429 with
 * `policyName: "TEN_SECONDLY_ROLLING"` past the rolling ten-second limit.
 *
 * @param settings - token, rate limit, unique properties, clock
 * @returns the running simulator
 * @example
 * ```ts
 * import { createHubSpotSimulator } from "@distro/testkit/hubspot";
 *
 * const hubspot = await createHubSpotSimulator({ tenSecondlyLimit: 10 });
 * await fetch(`${hubspot.url}/crm/v3/objects/companies/batch/upsert`, {
 *   method: "POST",
 *   headers: { authorization: `Bearer ${hubspot.accessToken}`, "content-type": "application/json" },
 *   body: JSON.stringify({ inputs: [{ idProperty: "erp_customer_number", id: "C100", properties: { name: "Acme" } }] }),
 * });
 * await hubspot.close();
 * ```
 */
export async function createHubSpotSimulator(
  settings: HubSpotSimulatorSettings = {},
): Promise<HubSpotSimulator> {
  const clock = settings.clock ?? Date.now;
  const accessToken = settings.accessToken ?? "pat-distro-test";
  const limit = settings.tenSecondlyLimit ?? 100;
  const unique = { ...DEFAULT_UNIQUE, ...settings.uniqueProperties };
  const store = new Map<string, Map<string, HubSpotSimulatorObject>>();
  const window: number[] = [];
  let nextId = 10_000;
  let lastStamp = 0;

  const table = (type: string) => {
    let found = store.get(type);
    if (!found) {
      found = new Map();
      store.set(type, found);
    }
    return found;
  };
  const stamp = () => {
    lastStamp = Math.max(clock(), lastStamp + 1);
    return new Date(lastStamp).toISOString();
  };
  const error = (
    status: number,
    category: string,
    message: string,
    extra: Record<string, unknown> = {},
  ): SimulatorResponse =>
    jsonResponse(status, { status: "error", message, correlationId: randomUUID(), category, ...extra });

  const write = (
    type: string,
    existing: HubSpotSimulatorObject | undefined,
    properties: Record<string, string | null>,
  ) => {
    const at = stamp();
    if (existing) {
      Object.assign(existing.properties, properties, { hs_lastmodifieddate: at });
      existing.updatedAt = at;
      return existing;
    }
    const id = String(++nextId);
    const created: HubSpotSimulatorObject = {
      id,
      properties: { ...properties, hs_object_id: id, createdate: at, hs_lastmodifieddate: at },
      createdAt: at,
      updatedAt: at,
      associations: {},
    };
    table(type).set(id, created);
    return created;
  };
  const view = (object: HubSpotSimulatorObject, properties?: string[]) => ({
    id: object.id,
    properties: properties
      ? Object.fromEntries(
          ["hs_object_id", "createdate", "hs_lastmodifieddate", ...properties].map((name) => [
            name,
            object.properties[name] ?? null,
          ]),
        )
      : object.properties,
    createdAt: object.createdAt,
    updatedAt: object.updatedAt,
    archived: false,
  });
  const readJson = (request: SimulatorRequest): Record<string, unknown> | undefined => {
    try {
      const value = JSON.parse(request.body) as unknown;
      return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const stringProperties = (value: unknown): Record<string, string | null> | string => {
    if (typeof value !== "object" || value === null) return "properties must be an object";
    const out: Record<string, string | null> = {};
    for (const [name, raw] of Object.entries(value)) {
      if (raw !== null && typeof raw === "object")
        return `Property values must be strings, numbers or booleans (${name})`;
      out[name] = raw === null ? null : String(raw);
    }
    return out;
  };

  const router = new SimulatorRouter();
  router
    .on("POST", "/crm/v3/objects/:type/batch/upsert", (request) => {
      const type = request.params.type!;
      const body = readJson(request);
      const inputs = body?.inputs;
      if (!Array.isArray(inputs))
        return error(400, "VALIDATION_ERROR", "Invalid input JSON on line 1: inputs is required");
      if (inputs.length > 100) {
        return error(
          400,
          "VALIDATION_ERROR",
          `Batch input must have at most 100 inputs, got ${inputs.length}`,
        );
      }
      const startedAt = new Date(clock()).toISOString();
      const problems: string[] = [];
      const planned: {
        existing: HubSpotSimulatorObject | undefined;
        idProperty: string;
        id: string;
        properties: Record<string, string | null>;
      }[] = [];
      inputs.forEach((input: Record<string, unknown>, index) => {
        const idProperty = typeof input?.idProperty === "string" ? input.idProperty : "";
        if (!(unique[type] ?? []).includes(idProperty)) {
          problems.push(
            `inputs[${index}].idProperty: ${idProperty || "(missing)"} is not a unique value property of ${type}`,
          );
          return;
        }
        if (typeof input.id !== "string" || input.id === "") {
          problems.push(`inputs[${index}].id is required`);
          return;
        }
        const properties = stringProperties(input.properties ?? {});
        if (typeof properties === "string") {
          problems.push(`inputs[${index}].${properties}`);
          return;
        }
        const existing = [...table(type).values()].find(
          (object) => object.properties[idProperty] === input.id,
        );
        planned.push({ existing, idProperty, id: input.id, properties });
      });
      if (problems.length > 0) {
        return error(400, "VALIDATION_ERROR", problems.join("; "), {
          errors: problems.map((message) => ({ message, code: "INVALID_INPUT" })),
        });
      }
      const results = planned.map(({ existing, idProperty, id, properties }) => {
        const isNew = existing === undefined;
        const saved = write(type, existing, { ...properties, [idProperty]: id });
        return { ...view(saved), new: isNew };
      });
      return {
        ...jsonResponse(200, {
          status: "COMPLETE",
          results,
          startedAt,
          completedAt: new Date(clock()).toISOString(),
        }),
        operation: `${type}.batch.upsert`,
      };
    })
    .on("POST", "/crm/v3/objects/:type/search", (request) => {
      const type = request.params.type!;
      const body = readJson(request) ?? {};
      const groups = (Array.isArray(body.filterGroups) ? body.filterGroups : []) as {
        filters?: { propertyName: string; operator: string; value?: unknown }[];
      }[];
      const pageSize = Math.min(200, Number(body.limit ?? 10));
      const after = Number(body.after ?? 0);
      const sorts = (Array.isArray(body.sorts) ? body.sorts : []) as (
        | { propertyName: string; direction?: string }
        | string
      )[];
      const properties = Array.isArray(body.properties) ? (body.properties as string[]) : undefined;
      let rows = [...table(type).values()].filter(
        (object) =>
          groups.length === 0 ||
          groups.some((group) =>
            (group.filters ?? []).every((filter) =>
              test(object.properties[filter.propertyName], filter.operator, filter.value),
            ),
          ),
      );
      rows = rows.sort((a, b) => {
        for (const sort of sorts) {
          const name = typeof sort === "string" ? sort : sort.propertyName;
          const direction = typeof sort === "string" || sort.direction !== "DESCENDING" ? 1 : -1;
          const compared = compare(a.properties[name], b.properties[name]);
          if (compared !== 0) return compared * direction;
        }
        return Number(a.id) - Number(b.id);
      });
      const page = rows.slice(after, after + pageSize);
      return {
        ...jsonResponse(200, {
          total: rows.length,
          results: page.map((object) => view(object, properties)),
          ...(after + pageSize < rows.length
            ? { paging: { next: { after: String(after + pageSize) } } }
            : {}),
        }),
        operation: `${type}.search`,
      };
    })
    .on("GET", "/crm/v3/objects/:type/:id", (request) => {
      const type = request.params.type!;
      const idProperty = request.query.get("idProperty");
      const id = decodeURIComponent(request.params.id!);
      const found = idProperty
        ? [...table(type).values()].find((object) => object.properties[idProperty] === id)
        : table(type).get(id);
      if (!found) return error(404, "OBJECT_NOT_FOUND", "resource not found");
      const properties = request.query.get("properties")?.split(",");
      return { ...jsonResponse(200, view(found, properties)), operation: `${type}.get` };
    })
    .on("PUT", "/crm/v3/objects/:type/:id/associations/:toType/:toId/:associationType", (request) => {
      const from = table(request.params.type!).get(request.params.id!);
      const to = table(request.params.toType!).get(request.params.toId!);
      if (!from || !to)
        return error(404, "OBJECT_NOT_FOUND", "One or both objects of the association do not exist");
      const list = from.associations[request.params.toType!] ?? [];
      if (!list.includes(to.id)) list.push(to.id);
      from.associations[request.params.toType!] = list;
      return {
        ...jsonResponse(200, {
          ...view(from),
          associations: {
            [request.params.toType!]: {
              results: list.map((id) => ({ id, type: request.params.associationType })),
            },
          },
        }),
        operation: "associations.put",
      };
    });

  const server: SimulatorServer = await startSimulatorServer({
    name: "hubspot",
    router,
    clock,
    ...(settings.random ? { random: settings.random } : {}),
    ...(settings.sleep ? { sleep: settings.sleep } : {}),
    notFound: () => error(404, "OBJECT_NOT_FOUND", "resource not found"),
    renderFault: (fault) =>
      fault.kind === "rate-limit"
        ? error(429, "RATE_LIMITS", "You have reached your ten_secondly_rolling limit.", {
            errorType: "RATE_LIMIT",
            policyName: "TEN_SECONDLY_ROLLING",
          })
        : error(fault.status ?? 503, "INTERNAL_ERROR", "Internal error"),
    before: (request) => {
      if (request.headers.authorization !== `Bearer ${accessToken}`) {
        return error(
          401,
          "INVALID_AUTHENTICATION",
          "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        );
      }
      const now = clock();
      while (window.length > 0 && window[0]! <= now - 10_000) window.shift();
      if (window.length >= limit) {
        return error(429, "RATE_LIMITS", "You have reached your ten_secondly_rolling limit.", {
          errorType: "RATE_LIMIT",
          policyName: "TEN_SECONDLY_ROLLING",
        });
      }
      window.push(now);
      return undefined;
    },
    decorate: () => ({
      "x-hubspot-ratelimit-interval-milliseconds": "10000",
      "x-hubspot-ratelimit-max": String(limit),
      "x-hubspot-ratelimit-remaining": String(Math.max(0, limit - window.length)),
    }),
  });

  return {
    url: server.url,
    accessToken,
    ledger: server.ledger,
    faults: server.faults,
    objects: (type) => [...table(type).values()],
    put: (type, id, properties) =>
      write(type, id === undefined ? undefined : table(type).get(id), properties),
    close: () => server.close(),
  };
}

function compare(left: string | null | undefined, right: string | null | undefined): number {
  if (left === right) return 0;
  if (left === null || left === undefined) return -1;
  if (right === null || right === undefined) return 1;
  const leftTime = Date.parse(left);
  const rightTime = Date.parse(right);
  if (/^\d{4}-/.test(left) && /^\d{4}-/.test(right) && !Number.isNaN(leftTime) && !Number.isNaN(rightTime)) {
    return leftTime - rightTime;
  }
  if (/^-?\d+(\.\d+)?$/.test(left) && /^-?\d+(\.\d+)?$/.test(right)) return Number(left) - Number(right);
  return left < right ? -1 : 1;
}

function test(value: string | null | undefined, operator: string, expected: unknown): boolean {
  const wanted = expected === undefined || expected === null ? undefined : String(expected);
  const asTime = (text: string) => (/^\d+$/.test(text) ? Number(text) : Date.parse(text));
  switch (operator) {
    case "HAS_PROPERTY":
      return value !== null && value !== undefined && value !== "";
    case "NOT_HAS_PROPERTY":
      return value === null || value === undefined || value === "";
    case "EQ":
      return value === wanted;
    case "NEQ":
      return value !== wanted;
    case "GT":
    case "GTE":
    case "LT":
    case "LTE": {
      if (value === null || value === undefined || wanted === undefined) return false;
      const timeLeft = /^\d{4}-/.test(value) ? Date.parse(value) : Number(value);
      const timeRight = /^\d{4}-/.test(value) ? asTime(wanted) : Number(wanted);
      const difference = timeLeft - timeRight;
      return operator === "GT"
        ? difference > 0
        : operator === "GTE"
          ? difference >= 0
          : operator === "LT"
            ? difference < 0
            : difference <= 0;
    }
    default:
      return false;
  }
}
