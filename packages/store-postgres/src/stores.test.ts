import { createEvent } from "@distro/core";
import { describe, expect, it } from "vitest";
import { openPglite } from "./sql";
import { createPostgresStores } from "./stores";

describe("createPostgresStores (PGlite)", () => {
  it("migrates once and hands out every store on one database, each working", async () => {
    const db = await openPglite();
    try {
      const stores = await createPostgresStores({ db, schema: "app" });
      const again = await createPostgresStores({ db, schema: "app" });

      const request = {
        key: "book:SO-1",
        fingerprint: "f1",
        inProgressExpiryMs: 60_000,
        retentionMs: 3_600_000,
      };
      expect((await stores.idempotency.claim(request)).outcome).toBe("claimed");
      // The second set of stores sees the first one's writes: same tables, migrated once.
      const existing = await again.idempotency.claim(request);
      expect(existing).toMatchObject({ outcome: "existing", record: { status: "in_progress" } });

      await db.transaction((transaction) =>
        stores.outbox.add(transaction, [
          createEvent({ type: "com.distro.order.booked", source: "/erp", data: { n: 1 } }),
        ]),
      );
      const pending = await again.outbox.claimPending(10, 1_000);
      expect(pending.map((record) => record.event.type)).toEqual(["com.distro.order.booked"]);

      const { created, item } = await stores.exceptions.add(
        {
          sourceRef: "dead-letter:dl-1",
          kind: "dead-letter",
          queue: "credit-desk",
          priority: "high",
          errorCode: "CREDIT_LIMIT_EXCEEDED",
          summary: "order.submitted for erp-booking: CREDIT_LIMIT_EXCEEDED",
          reference: { deadLetterId: "dl-1", correlationId: "corr-1" },
          occurredAt: 1_000,
        },
        1_000,
      );
      expect(created).toBe(true);
      expect((await again.exceptions.list({ queue: "credit-desk" })).map((entry) => entry.id)).toEqual([
        item.id,
      ]);
    } finally {
      await db.close();
    }
  }, 60_000);
});
