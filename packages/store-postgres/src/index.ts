/**
 * `@distro/store-postgres`: durable stores for many processes on PostgreSQL, with
 * PGlite (PostgreSQL in WASM, persisted to a folder) as the embedded default. The same
 * SQL runs on both; every store passes the conformance suites of `@distro/core/testing`.
 *
 * @example
 * ```ts
 * import { connectPostgres, createPostgresStores, openPglite } from "@distro/store-postgres";
 *
 * const db = process.env.DISTRO_PG_URL ? connectPostgres(process.env.DISTRO_PG_URL) : await openPglite("./.data/distro");
 * const stores = await createPostgresStores({ db });
 * ```
 *
 * @module
 */
export * from "./checkpoint-store";
export * from "./control-number-store";
export * from "./cross-reference-store";
export * from "./dead-letter-store";
export * from "./exception-queue-store";
export * from "./flow-store";
export * from "./idempotency-store";
export * from "./inbox-store";
export * from "./migrations";
export * from "./outbox-store";
export * from "./sql";
export * from "./stores";
