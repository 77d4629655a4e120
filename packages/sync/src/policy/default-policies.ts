import { definePolicy, type SyncPolicy } from "./sync-policy";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Defaults that follow the distribution domain:
 * - `inventory.fast`: fast movers, pushed by `inventory.changed` events, at most 10 s old;
 * - `inventory.slow`: the long tail, loaded hourly in batch, at most 2 h old;
 * - `credit`: asked on demand at checkout, never served from cache;
 * - `price`: ERP price API behind a cache, fresh 1 min, never older than 5 min;
 * - `catalog`: content loaded in nightly batches, at most 48 h old;
 * - `customer`: account master data, fresh 15 min, at most 1 h old.
 *
 * @example
 * ```ts
 * import { defaultPolicies } from "@distro/sync";
 *
 * defaultPolicies.credit.maxStalenessMs; // 0: never served from cache
 * ```
 */
export const defaultPolicies: Readonly<Record<string, Readonly<SyncPolicy>>> = Object.freeze({
  "inventory.fast": definePolicy({
    name: "inventory.fast",
    mode: "realtime",
    criticality: "high",
    freshForMs: 5 * SECOND,
    maxStalenessMs: 10 * SECOND,
    notFoundForMs: 5 * SECOND,
    serveStaleOnError: false,
    priority: "interactive",
    description: "Fast-moving stock changes by the minute: pushed by events, never older than 10 s.",
  }),
  "inventory.slow": definePolicy({
    name: "inventory.slow",
    mode: "scheduled",
    criticality: "normal",
    freshForMs: HOUR,
    maxStalenessMs: 2 * HOUR,
    notFoundForMs: 10 * MINUTE,
    serveStaleOnError: true,
    priority: "batch",
    description: "Long-tail stock barely moves: an hourly batch is enough.",
  }),
  credit: definePolicy({
    name: "credit",
    mode: "on-demand",
    criticality: "critical",
    freshForMs: 0,
    maxStalenessMs: 0,
    notFoundForMs: 0,
    serveStaleOnError: false,
    priority: "interactive",
    description: "Credit is checked at the moment of the order and never served from cache.",
  }),
  price: definePolicy({
    name: "price",
    mode: "near-realtime",
    criticality: "high",
    freshForMs: MINUTE,
    maxStalenessMs: 5 * MINUTE,
    notFoundForMs: MINUTE,
    serveStaleOnError: true,
    priority: "interactive",
    description: "Account prices come from the ERP price API behind a cache bounded at 5 min.",
  }),
  catalog: definePolicy({
    name: "catalog",
    mode: "scheduled",
    criticality: "low",
    freshForMs: 24 * HOUR,
    maxStalenessMs: 48 * HOUR,
    notFoundForMs: HOUR,
    serveStaleOnError: true,
    priority: "batch",
    description: "Catalog content changes with merchandising cycles: nightly batches.",
  }),
  customer: definePolicy({
    name: "customer",
    mode: "near-realtime",
    criticality: "normal",
    freshForMs: 15 * MINUTE,
    maxStalenessMs: HOUR,
    notFoundForMs: MINUTE,
    serveStaleOnError: true,
    priority: "interactive",
    description: "Account master data changes rarely; an hour is the outer bound.",
  }),
});
