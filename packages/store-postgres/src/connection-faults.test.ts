import { randomUUID } from "node:crypto";
import {
  type CloudEvent,
  createBus,
  createEvent,
  createMemoryTransport,
  createOutboxRelay,
  DistroError,
  idempotent,
} from "@distro/core";
import { createManualClock, serviceUrl, waitUntil } from "@distro/core/testing";
import { createProcessManager, defineFlow, task, waitFor } from "@distro/orchestration";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresDeadLetterStore } from "./dead-letter-store";
import { createPostgresFlowStore } from "./flow-store";
import { createPostgresIdempotencyStore } from "./idempotency-store";
import { createPostgresInboxStore } from "./inbox-store";
import { migrate } from "./migrations";
import { createPostgresOutbox } from "./outbox-store";
import { type CutPoint, type PgProxy, startPgProxy } from "./pg-proxy.test-helper";
import { connectPostgres, type SqlDatabase } from "./sql";

const postgres = serviceUrl("postgres");

const retryableDatabaseError = { code: "DATABASE_ERROR", retryable: true };
const cutPoints: CutPoint[] = ["before-request", "before-reply"];

describe.skipIf(!postgres.url)(
  `PostgreSQL connection faults (${postgres.skipReason ?? "DISTRO_PG_URL"})`,
  () => {
    const schema = `f_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const orders = `"${schema}".orders`;
    let proxy: PgProxy;
    /** The stores' database, through the proxy the tests cut. */
    let db: SqlDatabase;
    /** A direct connection: the test's own eyes on the server, and the hand that terminates backends. */
    let admin: SqlDatabase;

    beforeAll(async () => {
      admin = connectPostgres(postgres.url!, { max: 2 });
      await migrate(admin, { schema });
      await admin.query(`CREATE TABLE ${orders} (id text PRIMARY KEY, status text NOT NULL)`);
      proxy = await startPgProxy(postgres.url!);
      db = connectPostgres(proxy.url, { max: 4 });
    });
    afterAll(async () => {
      await db?.close();
      await proxy?.close();
      await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin?.close();
    });

    const orderBooked = (orderId: string) =>
      createEvent({ type: "com.distro.order.booked", source: "/erp", subject: orderId, data: { orderId } });

    /** Books an order and records its event in one transaction. */
    const bookOrder = (
      outbox: ReturnType<typeof createPostgresOutbox>,
      orderId: string,
      halfWay?: (transaction: { query: SqlDatabase["query"] }) => Promise<void>,
    ) =>
      db.transaction(async (transaction) => {
        await transaction.query(`INSERT INTO ${orders} (id, status) VALUES ($1, 'booked')`, [orderId]);
        await outbox.add(transaction, [orderBooked(orderId)]);
        await halfWay?.(transaction);
        await transaction.query(`UPDATE ${orders} SET status = 'booked' WHERE id = $1`, [orderId]);
      });

    const countRows = async (sql: string, params: unknown[]) =>
      Number((await admin.query<{ n: string }>(sql, params)).rows[0]!.n);

    it("a transaction whose backend is terminated half-way writes nothing, the process survives, and the retry commits once", async () => {
      const outbox = createPostgresOutbox({ db, schema });
      const orderId = `SO-${randomUUID()}`;
      let terminated = 0;
      const attempt = bookOrder(outbox, orderId, async (transaction) => {
        const { rows } = await transaction.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        const pid = rows[0]!.pid;
        await admin.query("SELECT pg_terminate_backend($1)", [pid]);
        terminated += 1;
        // The backend is gone while this client sits idle in its transaction: pg reports it as
        // an 'error' event on a client the pool does not listen to, which must not end the process.
        await waitUntil(
          async () =>
            (await countRows("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1", [pid])) === 0,
          { description: "the terminated backend to go" },
        );
      });
      await expect(attempt).rejects.toMatchObject(retryableDatabaseError);
      expect(terminated).toBe(1);
      // No half-write: neither the state change nor its event.
      expect(await countRows(`SELECT count(*) AS n FROM ${orders} WHERE id = $1`, [orderId])).toBe(0);
      expect(
        await countRows(`SELECT count(*) AS n FROM "${schema}".distro_outbox WHERE subject = $1`, [orderId]),
      ).toBe(0);

      // The pool dropped the broken client: the retry runs on a fresh connection and commits.
      await bookOrder(outbox, orderId);
      const published: CloudEvent[] = [];
      const relay = createOutboxRelay({
        outbox,
        publish: async (event) => {
          published.push(event);
        },
      });
      await relay.drain();
      expect(published.filter((event) => event.subject === orderId)).toHaveLength(1);
      expect(await countRows(`SELECT count(*) AS n FROM ${orders} WHERE id = $1`, [orderId])).toBe(1);
    });

    it("a backend terminated while a statement of the transaction runs rolls it all back; the pool serves the next call", async () => {
      const outbox = createPostgresOutbox({ db, schema });
      const orderId = `SO-${randomUUID()}`;
      const attempt = bookOrder(outbox, orderId, async (transaction) => {
        const { rows } = await transaction.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        const pid = rows[0]!.pid;
        // The statement is running on the server when its backend is terminated.
        // Settled into a value at once: the rejection may arrive while the terminate call
        // below is still awaited, and must not count as unhandled meanwhile.
        const running = transaction.query("SELECT pg_sleep(30)").then(
          () => new Error("pg_sleep finished: its backend was not terminated"),
          (error: unknown) => error,
        );
        await waitUntil(
          async () =>
            (await countRows(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep%' AND state = 'active'",
              [pid],
            )) === 1,
          { description: "the statement to run" },
        );
        await admin.query("SELECT pg_terminate_backend($1)", [pid]);
        throw await running;
      });
      await expect(attempt).rejects.toMatchObject({
        ...retryableDatabaseError,
        details: { sqlState: "57P01" },
      });
      expect(await countRows(`SELECT count(*) AS n FROM ${orders} WHERE id = $1`, [orderId])).toBe(0);
      expect(
        await countRows(`SELECT count(*) AS n FROM "${schema}".distro_outbox WHERE subject = $1`, [orderId]),
      ).toBe(0);
      expect((await db.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    });

    it("idle pooled connections ended by the server do not crash the process; a call that meets one fails retryably, and the next get fresh ones", async () => {
      // Fill the pool with idle connections, then end every one of them on the server
      // (this pool's backends only, found by the proxy's ports).
      await Promise.all(Array.from({ length: 4 }, () => db.query("SELECT pg_sleep(0.05)")));
      const ports = proxy.serverSidePorts();
      expect(ports.length).toBeGreaterThan(0);
      const { rows } = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE client_addr = '127.0.0.1' AND client_port = ANY($1::int[])",
        [ports],
      );
      expect(rows.length).toBe(ports.length);
      for (const row of rows) await admin.query("SELECT pg_terminate_backend($1)", [row.pid]);
      await waitUntil(() => proxy.serverSidePorts().length === 0, {
        description: "the pool's connections to end",
      });
      // A call that meets a client whose end the pool has not yet noticed (the server's
      // message still in its socket) fails with a retryable error and takes that client
      // out of the pool; nothing else fails, and the calls after it get fresh connections.
      const first = await Promise.allSettled(
        Array.from({ length: 4 }, () => db.query<{ one: number }>("SELECT 1 AS one")),
      );
      for (const outcome of first) {
        if (outcome.status === "rejected") expect(outcome.reason).toMatchObject(retryableDatabaseError);
        else expect(outcome.value.rows).toEqual([{ one: 1 }]);
      }
      const results = await Promise.all(
        Array.from({ length: 4 }, () => db.query<{ one: number }>("SELECT 1 AS one")),
      );
      expect(results.map((result) => result.rows[0]!.one)).toEqual([1, 1, 1, 1]);
    });

    it("a dead-letter replay whose transaction loses its connection leaves the entry pending; the retry marks it once", async () => {
      const deadLetters = createPostgresDeadLetterStore({ db, schema });
      const entry = await deadLetters.add({
        subscriber: `erp-booking-${randomUUID().slice(0, 8)}`,
        message: JSON.stringify(orderBooked(`SO-${randomUUID()}`)),
        error: {
          name: "DistroError",
          code: "CREDIT_LIMIT_EXCEEDED",
          message: "over the limit",
          retryable: false,
        },
        attempts: 1,
        firstFailedAt: 1,
        lastFailedAt: 1,
      });
      const cut = proxy.failNext("SET status = $2, replays", "before-request");
      await expect(deadLetters.markReplayed(entry.id, "evt-replay-1", 2)).rejects.toMatchObject(
        retryableDatabaseError,
      );
      await cut;
      expect(await deadLetters.get(entry.id)).toMatchObject({ status: "pending", replays: [] });
      await deadLetters.markReplayed(entry.id, "evt-replay-1", 3);
      expect(await deadLetters.get(entry.id)).toMatchObject({
        status: "replayed",
        replays: [{ eventId: "evt-replay-1", at: 3 }],
      });
    });

    it.each(cutPoints)(
      "an outbox relay whose mark-sent loses its connection (%s) publishes each event once",
      async (point) => {
        const outbox = createPostgresOutbox({ db, schema });
        const orderIds = Array.from({ length: 3 }, () => `SO-${randomUUID()}`);
        for (const orderId of orderIds) await bookOrder(outbox, orderId);
        const published: string[] = [];
        const relay = createOutboxRelay({
          outbox,
          publish: async (event) => {
            if (orderIds.includes(event.subject!)) published.push(event.subject!);
          },
        });
        const cut = proxy.failNext("SET status = 'sent'", point);
        await relay.drain();
        await cut;
        expect(published.sort()).toEqual([...orderIds].sort());
        const pending = await outbox.list("pending");
        expect(pending.filter((record) => orderIds.includes(record.event.subject!))).toEqual([]);
      },
    );

    it("an outbox claim whose reply is lost holds its records until the lease ends; then they are published once", async () => {
      const clock = createManualClock(Date.now());
      // A fresh subject set in a schema of its own, so other tests' records do not mix in.
      const own = `f_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
      await migrate(admin, { schema: own });
      try {
        const isolated = createPostgresOutbox({ db, schema: own, clock });
        const orderIds = Array.from({ length: 3 }, () => `SO-${randomUUID()}`);
        for (const orderId of orderIds) {
          await db.transaction((transaction) => isolated.add(transaction, [orderBooked(orderId)]));
        }
        const published: string[] = [];
        const relay = createOutboxRelay({
          outbox: isolated,
          clock,
          leaseMs: 30_000,
          publish: async (event) => {
            published.push(event.subject!);
          },
        });
        const cut = proxy.failNext("FOR UPDATE SKIP LOCKED", "before-reply");
        await expect(relay.runOnce()).rejects.toMatchObject(retryableDatabaseError);
        await cut;
        // The claim committed (its reply was lost): the records are leased, not lost.
        expect(await relay.runOnce()).toEqual({ sent: 0, failed: 0 });
        clock.advance(30_000);
        expect(await relay.drain()).toEqual({ sent: 3, failed: 0 });
        expect(published).toEqual(orderIds);
        expect(await isolated.list("pending")).toEqual([]);
      } finally {
        await admin.query(`DROP SCHEMA "${own}" CASCADE`);
      }
    });

    it.each([
      ["claim", "WITH attempt AS", "before-reply"],
      ["complete", "SET status = 'completed'", "before-request"],
      ["complete", "SET status = 'completed'", "before-reply"],
    ] as const)(
      "an idempotent operation whose %s loses its connection (%s, %s) runs once and returns its result",
      async (_, fragment, point) => {
        const store = createPostgresIdempotencyStore({ db, schema });
        const orderId = `SO-${randomUUID()}`;
        let bookings = 0;
        const options = {
          store,
          key: orderId,
          scope: { system: "shopify", operation: "book-order" },
          inProgressExpiryMs: 60_000,
          retentionMs: 86_400_000,
        };
        const book = async () => {
          bookings += 1;
          return { erpOrder: `ERP-${orderId}` };
        };
        const cut = proxy.failNext(fragment, point);
        // The store runs the token-conditional statement again on a fresh connection, so the
        // caller never sees the fault (nor a claim it cannot use until it expires).
        await expect(idempotent(book, options)).resolves.toEqual({ erpOrder: `ERP-${orderId}` });
        await cut;
        expect(proxy.cuts).toBeGreaterThan(0);
        await expect(idempotent(book, options)).resolves.toEqual({ erpOrder: `ERP-${orderId}` });
        expect(bookings).toBe(1);
      },
    );

    it("an inbox whose begin and complete lose their replies still hands the message out once", async () => {
      const inbox = createPostgresInboxStore({ db, schema });
      const messageKey = `/shop\u0000${randomUUID()}`;
      const beginCut = proxy.failNext("distro_inbox AS t", "before-reply");
      const begin = await inbox.begin("erp-booking", messageKey, 60_000);
      await beginCut;
      // Not "busy" behind its own lease for 60 s: the second run found this caller's lease.
      expect(begin.status).toBe("acquired");
      const token = (begin as { token: string }).token;
      const completeCut = proxy.failNext("SET outcome = $4", "before-reply");
      expect(await inbox.complete("erp-booking", messageKey, token, "handled")).toBe(true);
      await completeCut;
      expect(await inbox.begin("erp-booking", messageKey, 60_000)).toEqual({
        status: "done",
        outcome: "handled",
      });
    });

    it("the bus gives back a delivery whose inbox write lost its connection, and handles it once later", async () => {
      const subscriber = `erp-booking-${randomUUID().slice(0, 8)}`;
      const bus = createBus({
        transport: createMemoryTransport(),
        inbox: createPostgresInboxStore({ db, schema }),
        deadLetters: createPostgresDeadLetterStore({ db, schema }),
        redeliveryDelayMs: 5,
      });
      try {
        const handled: string[] = [];
        const subscription = await bus.subscribe({
          name: subscriber,
          handler: (event) => {
            handled.push(event.id);
          },
        });
        const event = orderBooked(`SO-${randomUUID()}`);
        // Both runs of the begin (the store runs it once more on a fresh connection) are cut:
        // the store gives up with a retryable error, and the bus gives the delivery back.
        const cuts = Promise.all([
          proxy.failNext("distro_inbox AS t", "before-request"),
          proxy.failNext("distro_inbox AS t", "before-request"),
        ]);
        await bus.publish(event);
        await cuts;
        await waitUntil(() => subscription.stats.handled === 1, { description: "the event to be handled" });
        expect(subscription.stats.redelivered).toBeGreaterThanOrEqual(1);
        // A duplicate from the broker is recognised by the inbox.
        await bus.publish(event);
        await waitUntil(() => subscription.stats.duplicates === 1, { description: "the duplicate" });
        expect(handled).toEqual([event.id]);
      } finally {
        await bus.close();
      }
    });

    it("the bus gives back a failed delivery whose dead letter could not be stored, and dead-letters it once later", async () => {
      const subscriber = `erp-booking-${randomUUID().slice(0, 8)}`;
      const deadLetters = createPostgresDeadLetterStore({ db, schema });
      const bus = createBus({
        transport: createMemoryTransport(),
        inbox: createPostgresInboxStore({ db, schema }),
        deadLetters,
        redeliveryDelayMs: 5,
      });
      try {
        let attempts = 0;
        const subscription = await bus.subscribe({
          name: subscriber,
          handler: () => {
            attempts += 1;
            throw new DistroError("CREDIT_LIMIT_EXCEEDED", "The customer is over their credit limit");
          },
        });
        const event = orderBooked(`SO-${randomUUID()}`);
        const cut = proxy.failNext("distro_dead_letters (id, subscriber", "before-request");
        await bus.publish(event);
        await cut;
        await waitUntil(() => subscription.stats.deadLettered === 1, { description: "the dead letter" });
        // The first delivery could not be dead-lettered: it was given back and failed again.
        expect(attempts).toBe(2);
        const entries = await deadLetters.list({ subscriber });
        expect(entries).toHaveLength(1);
        expect(entries[0]).toMatchObject({ eventId: event.id, error: { code: "CREDIT_LIMIT_EXCEEDED" } });
      } finally {
        await bus.close();
      }
    });

    it.each(cutPoints)(
      "a flow whose step commit loses its connection (%s) fails the call retryably, is never held, and the retried call completes without repeating the effect",
      async (point) => {
        const idempotency = createPostgresIdempotencyStore({ db, schema });
        const manager = createProcessManager({ store: createPostgresFlowStore({ db, schema }) });
        const erpBookings: string[] = [];
        let bookRuns = 0;
        const flow = `book-${randomUUID().slice(0, 8)}`;
        manager.register(
          defineFlow<{ orderId: string }>(flow, [
            // The step's effect is idempotent by the order id: the documented way to make a step
            // that may run again (its stored result was lost) take effect once.
            task("book", ({ input }) => {
              bookRuns += 1;
              return idempotent(
                async () => {
                  erpBookings.push(input.orderId);
                  return `ERP-${input.orderId}`;
                },
                {
                  store: idempotency,
                  key: input.orderId,
                  scope: { system: "erp", operation: "book-order" },
                  inProgressExpiryMs: 60_000,
                  retentionMs: 86_400_000,
                },
              );
            }),
            task("confirm", async ({ results }) => ({ confirmed: results.book })),
          ]),
        );
        const orderId = `SO-${randomUUID()}`;
        const id = `${flow}:${orderId}`;
        // The first UPDATE is the commit of the book step's result.
        const cut = proxy.failNext("distro_flows SET", point);
        // A lost step commit is a fault of the store, not of the step: the start rejects with
        // the retryable error (a bus handler's delivery is given back), and nothing is held.
        await expect(manager.start(flow, { orderId }, { id })).rejects.toMatchObject(retryableDatabaseError);
        await cut;
        const stored = await manager.get(id);
        expect(stored?.status).toBe("running");
        expect(stored?.hold).toBeUndefined();
        // Before the request the commit never reached the server; before the reply it committed.
        expect(stored?.completed).toEqual(point === "before-reply" ? ["book"] : []);
        // The redelivered start continues from what the store holds (no ConflictError from a
        // revision the failed save had bumped).
        expect(await manager.start(flow, { orderId }, { id })).toMatchObject({
          status: "completed",
          results: { book: `ERP-${orderId}`, confirm: { confirmed: `ERP-${orderId}` } },
        });
        expect(bookRuns).toBe(point === "before-reply" ? 1 : 2);
        expect(erpBookings).toEqual([orderId]);
      },
    );

    it.each(cutPoints)(
      "a flow whose received event's commit loses its connection (%s) fails the delivery retryably; the redelivery finishes it once",
      async (point) => {
        const manager = createProcessManager({ store: createPostgresFlowStore({ db, schema }) });
        const posted: string[] = [];
        const flow = `ship-${randomUUID().slice(0, 8)}`;
        manager.register(
          defineFlow<{ orderId: string }>(flow, [
            waitFor("shipped", { eventTypes: ["wms.shipped"], key: ({ input }) => input.orderId }),
            task("post", async ({ input }) => {
              posted.push(input.orderId);
              return `POSTED-${input.orderId}`;
            }),
          ]),
        );
        const orderId = `SO-${randomUUID()}`;
        const id = `${flow}:${orderId}`;
        expect((await manager.start(flow, { orderId }, { id })).status).toBe("waiting");
        const event = { id: `wms-${randomUUID()}`, type: "wms.shipped", key: orderId, data: {} };
        // The next UPDATE is the commit of the received event.
        const cut = proxy.failNext("distro_flows SET", point);
        await expect(manager.deliver(event)).rejects.toMatchObject(retryableDatabaseError);
        await cut;
        expect((await manager.get(id))?.status).toBe(point === "before-reply" ? "running" : "waiting");
        // The broker redelivers the same event id: the kept event is not new, yet the
        // instance that still waits for it, or received it and stopped, is finished.
        const [done] = await manager.deliver(event);
        expect(done).toMatchObject({ status: "completed", results: { post: `POSTED-${orderId}` } });
        expect(await manager.deliver(event)).toEqual([]);
        expect(posted).toEqual([orderId]);
      },
    );

    it("calls while PostgreSQL is unreachable fail with a retryable DATABASE_ERROR, and work resumes when it is back", async () => {
      const store = createPostgresIdempotencyStore({ db, schema });
      proxy.pause();
      try {
        await expect(store.get(`SO-${randomUUID()}`)).rejects.toMatchObject(retryableDatabaseError);
        await expect(db.transaction((transaction) => transaction.query("SELECT 1"))).rejects.toMatchObject(
          retryableDatabaseError,
        );
      } finally {
        proxy.resume();
      }
      expect(await store.get(`SO-${randomUUID()}`)).toBeUndefined();
    });
  },
);
