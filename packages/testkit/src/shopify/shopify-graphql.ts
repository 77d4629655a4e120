import { parseJsonExact } from "../shared/json";
import type { LeakyBucket } from "../shared/leaky-bucket";
import { jsonResponse, type SimulatorRequest, type SimulatorResponse } from "../shared/router";
import type { ShopifySimulatorState } from "./shopify-simulator";

/**
 * The most quantities one `inventorySetQuantities` call accepts in the simulator.
 *
 * @example
 * ```ts
 * const batches = Math.ceil(levels.length / SHOPIFY_SET_QUANTITIES_LIMIT);
 * ```
 */
export const SHOPIFY_SET_QUANTITIES_LIMIT = 250;

const MUTATION_COST = 10;

interface UserError {
  field: (string | number)[];
  message: string;
  code: string;
}

/**
 * Serves one Admin GraphQL request: charges the cost bucket, answers `THROTTLED` when
 * the requested cost does not fit, and reports `extensions.cost` with `throttleStatus`.
 * It understands `inventorySetQuantities` (mutation, cost 10) and `shop { name }`
 * (query, cost 1); anything else is an `undefinedField` error.
 *
 * @param request - the HTTP request (`{ query, variables }`)
 * @param state - the simulator's catalog and inventory
 * @param bucket - the GraphQL cost bucket
 * @returns the GraphQL response (HTTP 200 even when throttled, as Shopify answers)
 * @example
 * ```ts
 * router.on("POST", "/admin/api/2024-10/graphql.json", (request) => handleShopifyGraphql(request, state, bucket));
 * ```
 */
export function handleShopifyGraphql(
  request: SimulatorRequest,
  state: ShopifySimulatorState,
  bucket: LeakyBucket,
): SimulatorResponse {
  let body: { query?: unknown; variables?: unknown };
  try {
    body = parseJsonExact(request.body) as { query?: unknown; variables?: unknown };
  } catch {
    return jsonResponse(400, { errors: [{ message: "Invalid JSON in request body" }] });
  }
  if (typeof body?.query !== "string") {
    return jsonResponse(400, { errors: [{ message: "No query string was present" }] });
  }
  const query = body.query;
  const variables = (
    typeof body.variables === "object" && body.variables !== null ? body.variables : {}
  ) as Record<string, unknown>;
  const isSet = /\binventorySetQuantities\s*\(/.test(query);
  const isShop = !isSet && /^\s*(query\b[^{]*)?\{\s*shop\s*\{/.test(query);
  if (!isSet && !isShop) {
    const field = /\{\s*([A-Za-z_]\w*)/.exec(query)?.[1] ?? "unknown";
    return {
      ...jsonResponse(200, {
        errors: [
          {
            message: `Field '${field}' doesn't exist on type '${/^\s*mutation/.test(query) ? "Mutation" : "QueryRoot"}'`,
            extensions: { code: "undefinedField", typeName: "QueryRoot", fieldName: field },
          },
        ],
      }),
      operation: "graphql.error",
    };
  }
  const requested = isSet ? MUTATION_COST : 1;
  const throttleStatus = () => ({
    maximumAvailable: bucket.settings.capacity,
    currentlyAvailable: Math.max(0, Math.floor(bucket.available() + 1e-9)),
    restoreRate: bucket.settings.leakPerSecond,
  });
  if (!bucket.tryPour(requested)) {
    return {
      ...jsonResponse(200, {
        errors: [
          {
            message: "Throttled",
            extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" },
          },
        ],
        extensions: {
          cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus() },
        },
      }),
      operation: "graphql.throttled",
    };
  }
  const data = isSet
    ? { inventorySetQuantities: setQuantities(variables.input, state) }
    : { shop: { name: "Distro Test Shop" } };
  return {
    ...jsonResponse(200, {
      data,
      extensions: {
        cost: { requestedQueryCost: requested, actualQueryCost: requested, throttleStatus: throttleStatus() },
      },
    }),
    operation: isSet ? "graphql.inventorySetQuantities" : "graphql.shop",
  };
}

function gidNumber(value: unknown, type: string): bigint | undefined {
  if (typeof value !== "string") return undefined;
  const match = new RegExp(`^gid://shopify/${type}/(\\d+)$`).exec(value);
  return match ? BigInt(match[1]!) : undefined;
}

function setQuantities(input: unknown, state: ShopifySimulatorState) {
  const errors: UserError[] = [];
  const empty = { inventoryAdjustmentGroup: null, userErrors: errors };
  if (typeof input !== "object" || input === null) {
    errors.push({ field: ["input"], message: "Input is required", code: "INVALID" });
    return empty;
  }
  const value = input as Record<string, unknown>;
  if (value.name !== "available" && value.name !== "on_hand") {
    errors.push({
      field: ["input", "name"],
      message: "The quantity name must be either 'available' or 'on_hand'.",
      code: "INVALID_NAME",
    });
  }
  if (typeof value.reason !== "string" || value.reason === "") {
    errors.push({
      field: ["input", "reason"],
      message: "The specified reason is invalid.",
      code: "INVALID_REASON",
    });
  }
  const quantities = Array.isArray(value.quantities) ? (value.quantities as Record<string, unknown>[]) : [];
  if (quantities.length === 0 || quantities.length > SHOPIFY_SET_QUANTITIES_LIMIT) {
    errors.push({
      field: ["input", "quantities"],
      message: `Between 1 and ${SHOPIFY_SET_QUANTITIES_LIMIT} quantities are accepted.`,
      code: "INVALID",
    });
  }
  const seen = new Set<string>();
  const changes: { key: string; quantity: number; itemGid: string; locationGid: string }[] = [];
  quantities.forEach((entry, index) => {
    const itemId = gidNumber(entry.inventoryItemId, "InventoryItem");
    const locationId = gidNumber(entry.locationId, "Location");
    if (itemId === undefined || !state.inventoryItems.has(itemId)) {
      errors.push({
        field: ["input", "quantities", index, "inventoryItemId"],
        message: "The specified inventory item could not be found.",
        code: "INVALID_INVENTORY_ITEM",
      });
      return;
    }
    if (locationId === undefined || !state.locations.has(locationId)) {
      errors.push({
        field: ["input", "quantities", index, "locationId"],
        message: "The specified location could not be found.",
        code: "INVALID_LOCATION",
      });
      return;
    }
    if (typeof entry.quantity !== "number" || !Number.isInteger(entry.quantity)) {
      errors.push({
        field: ["input", "quantities", index, "quantity"],
        message: "Expected an integer",
        code: "INVALID",
      });
      return;
    }
    if (entry.quantity > 1_000_000_000) {
      errors.push({
        field: ["input", "quantities", index, "quantity"],
        message: "The total quantity can't be higher than 1,000,000,000.",
        code: "INVALID_QUANTITY_TOO_HIGH",
      });
      return;
    }
    const key = `${itemId}:${locationId}`;
    if (seen.has(key)) {
      errors.push({
        field: ["input", "quantities", index],
        message: "The combination of inventoryItemId and locationId must be unique.",
        code: "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
      });
      return;
    }
    seen.add(key);
    const current = state.inventory.get(key);
    if (value.ignoreCompareQuantity !== true) {
      if (typeof entry.compareQuantity !== "number") {
        errors.push({
          field: ["input", "quantities", index, "compareQuantity"],
          message:
            "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.",
          code: "COMPARE_QUANTITY_REQUIRED",
        });
        return;
      }
      const persisted = value.name === "on_hand" ? (current?.onHand ?? 0) : (current?.available ?? 0);
      if (entry.compareQuantity !== persisted) {
        errors.push({
          field: ["input", "quantities", index, "compareQuantity"],
          message: "The compareQuantity value does not match persisted value.",
          code: "COMPARE_QUANTITY_STALE",
        });
        return;
      }
    }
    changes.push({
      key,
      quantity: entry.quantity,
      itemGid: entry.inventoryItemId as string,
      locationGid: entry.locationId as string,
    });
  });
  if (errors.length > 0) return empty;
  const at = state.now();
  const applied = changes.map((change) => {
    const current = state.inventory.get(change.key) ?? { available: 0, onHand: 0, updatedAt: at };
    const before = value.name === "on_hand" ? current.onHand : current.available;
    const next =
      value.name === "on_hand"
        ? {
            available: current.available + (change.quantity - current.onHand),
            onHand: change.quantity,
            updatedAt: at,
          }
        : {
            available: change.quantity,
            onHand: current.onHand + (change.quantity - current.available),
            updatedAt: at,
          };
    state.inventory.set(change.key, next);
    return {
      name: value.name,
      delta: change.quantity - before,
      quantityAfterChange: change.quantity,
      item: { id: change.itemGid },
      location: { id: change.locationGid },
    };
  });
  return {
    inventoryAdjustmentGroup: {
      createdAt: at,
      reason: value.reason,
      referenceDocumentUri: (value.referenceDocumentUri as string | undefined) ?? null,
      changes: applied,
    },
    userErrors: [],
  };
}
