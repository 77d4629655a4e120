import type { ControlNumberStore } from "@distro/connectors-edi";
import type { CheckpointStore } from "@distro/sync";
import { expect, it } from "vitest";
import { createPostgresCheckpointStore } from "./checkpoint-store";
import { createPostgresControlNumberStore } from "./control-number-store";
import { createPostgresCrossReferenceStore } from "./cross-reference-store";
import type { SqlDatabase } from "./sql";

/** Tests of the stores whose ports live outside core: checkpoints, control numbers, cross-references. */
export function extraStores(engine: string, fresh: () => Promise<{ db: SqlDatabase; schema: string }>): void {
  it(`${engine}: checkpoints implement @distro/sync's CheckpointStore and survive a reopen`, async () => {
    const settings = await fresh();
    const store: CheckpointStore = createPostgresCheckpointStore(settings);
    expect(await store.load("items")).toBeUndefined();
    const checkpoint = {
      jobId: "items",
      cursor: "2026-03-01T10:00:00Z",
      runId: "r1",
      mode: "incremental" as const,
      complete: false,
      updatedAt: 5,
    };
    await store.save(checkpoint);
    await store.save({ ...checkpoint, cursor: "2026-03-01T11:00:00Z", complete: true });
    const reopened: CheckpointStore = createPostgresCheckpointStore(settings);
    expect(await reopened.load("items")).toMatchObject({ cursor: "2026-03-01T11:00:00Z", complete: true });
    await reopened.delete("items");
    expect(await store.load("items")).toBeUndefined();
  });

  it(`${engine}: control numbers implement @distro/connectors-edi's port and never repeat under concurrency`, async () => {
    const settings = await fresh();
    const first: ControlNumberStore = createPostgresControlNumberStore(settings);
    const second: ControlNumberStore = createPostgresControlNumberStore(settings);
    const numbers = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        (index % 2 === 0 ? first : second).next("ZZ:ACME", "interchange"),
      ),
    );
    expect(new Set(numbers).size).toBe(40);
    expect(Math.min(...numbers)).toBe(1);
    expect(Math.max(...numbers)).toBe(40);
    expect(await first.next("ZZ:OTHER", "interchange")).toBe(1);
    const bounded = createPostgresControlNumberStore({ ...settings, max: 2 });
    await bounded.next("ZZ:SMALL", "group");
    await bounded.next("ZZ:SMALL", "group");
    await expect(bounded.next("ZZ:SMALL", "group")).rejects.toMatchObject({
      code: "CONTROL_NUMBERS_EXHAUSTED",
    });
  });

  it(`${engine}: cross-references resolve each system's id and refuse a conflicting link`, async () => {
    const xref = createPostgresCrossReferenceStore(await fresh());
    expect(await xref.link("customer", "shopify", "gid://shopify/Customer/7", "C-100")).toBe(true);
    expect(await xref.link("customer", "erp", "10000", "C-100")).toBe(true);
    expect(await xref.link("customer", "shopify", "gid://shopify/Customer/7", "C-100")).toBe(true);
    expect(await xref.link("customer", "shopify", "gid://shopify/Customer/7", "C-999")).toBe(false);
    expect(await xref.resolve("customer", "shopify", "gid://shopify/Customer/7")).toBe("C-100");
    expect(await xref.refs("customer", "C-100")).toEqual({
      erp: "10000",
      shopify: "gid://shopify/Customer/7",
    });
  });
}
