/**
 * The reference scenario (../../shared/SCENARIO.md): a B2B distributor's order-to-cash
 * run end to end against simulated systems on loopback, with the faults of the
 * scenario's table injected, and the invariants checked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createSalesforce } from "@distro/connectors-crm/salesforce";
import { createShopify } from "@distro/connectors-ecommerce/shopify";
import { createBusinessCentralErpSystem } from "@distro/connectors-erp/business-central";
import { createWmsRest } from "@distro/connectors-wms/rest";
import {
  type AuditEntry,
  type Customer,
  createInMemoryAuditLog,
  type ErpSystem,
  type Item,
} from "@distro/core";
import { createUpstreamLimiter } from "@distro/sync";
import { createBusinessCentralSimulator } from "@distro/testkit/business-central";
import { createSalesforceSimulator } from "@distro/testkit/salesforce";
import { createShopifySimulator } from "@distro/testkit/shopify";
import { createWmsSimulator } from "@distro/testkit/wms";
import { createOrderToCashService, type OrderToCashService } from "./service";

/** The value at a fraction of the sorted samples (nearest rank). */
export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]! * 10) / 10;
}

/** Settings of one run. */
export interface ScenarioSettings {
  /** How many shop orders to place (default 500). */
  orders?: number;
  /** The ERP's request budget per second (default 200). */
  erpRatePerSecond?: number;
  /** Price reads the portal makes during the run (default 2,000). */
  priceReads?: number;
  /** Seed of the run's choices (default 7). */
  seed?: number;
  /** Inject the fault table's duplicates, ERP 429/503 and out-of-order warehouse events (default true). */
  faults?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** One invariant of the scenario and whether it held. */
export interface Invariant {
  name: string;
  held: boolean;
  detail: string;
}

/** What a run measured. */
export interface ScenarioReport {
  summary: Record<string, number | string>;
  invariants: Invariant[];
  timelines: { orderId: string; correlationId: string; entries: AuditEntry[] }[];
  durationMs: number;
}

/** A small deterministic generator, so a run can be repeated exactly. */
function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

async function waitFor(
  what: string,
  condition: () => Promise<boolean>,
  explain: () => Promise<string> = async () => "",
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: ${await explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function serve(service: OrderToCashService): Promise<{ server: Server; url: string }> {
  const server = createServer(async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (typeof value === "string") headers.set(name, value);
      else if (Array.isArray(value)) headers.set(name, value.join(", "));
    }
    const request = new Request(`http://127.0.0.1${incoming.url}`, {
      method: incoming.method ?? "GET",
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const response = await service.handle(request);
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function collect<T>(pages: AsyncIterable<{ records: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page.records);
  return out;
}

/** The highest number of requests in any one-second window of a ledger's timestamps. */
function peakPerSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1_000) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/**
 * Runs the scenario and checks its invariants.
 *
 * @param settings - size and seed
 * @returns the summary, the invariants and a few orders' timelines
 */
export async function runOrderToCashScenario(settings: ScenarioSettings = {}): Promise<ScenarioReport> {
  const started = Date.now();
  const orderCount = settings.orders ?? 500;
  const erpRate = settings.erpRatePerSecond ?? 200;
  const random = seeded(settings.seed ?? 7);
  const write = settings.log ?? (() => {});
  const log = (line: string) => write(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const closers: (() => Promise<unknown>)[] = [];

  try {
    // --- the simulated estate --------------------------------------------------------
    const erpSimulator = await createBusinessCentralSimulator({
      rateLimit: { requests: erpRate, windowMs: 1_000 },
      maxConcurrentRequests: 16,
    });
    closers.push(() => erpSimulator.close());
    const shopSimulator = await createShopifySimulator({ rest: { capacity: 40, leakPerSecond: 1_000 } });
    closers.push(() => shopSimulator.close());
    const crmSimulator = await createSalesforceSimulator();
    closers.push(() => crmSimulator.close());
    const wmsSecret = "wms-demo-secret";
    const wmsSimulator = await createWmsSimulator({ secret: wmsSecret });
    closers.push(() => wmsSimulator.close());

    // --- the adapters, and the limiter that protects the ERP --------------------------
    const erpLimiter = createUpstreamLimiter({
      system: "erp",
      ratePerInterval: Math.floor(erpRate * 0.9),
      intervalMs: 1_000,
      marginMs: 25,
      concurrency: 16,
      queueCapacity: 100_000,
      whenFull: "wait",
    });
    const erp: ErpSystem = createBusinessCentralErpSystem({
      companyUrl: erpSimulator.companyUrl,
      auth: { tokenUrl: erpSimulator.tokenUrl, ...erpSimulator.credentials },
      limiter: {
        schedule: (task, options) =>
          erpLimiter.run(task, options?.priority === undefined ? {} : { priority: options.priority }),
      },
    });
    const shop = createShopify({
      shop: shopSimulator.shopDomain,
      baseUrl: shopSimulator.url,
      accessToken: shopSimulator.accessToken,
      webhookSecret: shopSimulator.webhookSecret,
      rest: { leakPerSecond: 1_000, capacity: 40 },
    });
    const crm = createSalesforce({
      instanceUrl: crmSimulator.url,
      clientId: crmSimulator.clientId,
      clientSecret: crmSimulator.clientSecret,
    });
    const wms = createWmsRest({
      baseUrl: wmsSimulator.url,
      accessToken: wmsSimulator.accessToken,
      webhookSecret: wmsSecret,
    });

    // --- master data: ERP customers and items, mirrored to the shop and the CRM ------
    const customers = await collect<Customer>(erp.readChanges("customer"));
    const items = await collect<Item>(erp.readChanges("item"));
    const shopCustomerToErp = new Map<string, string>(
      customers.map((customer, index) => [String(index + 1), customer.refs.erp ?? customer.id]),
    );
    for (const customer of customers) await crm.upsertAccount(customer);
    for (const item of items) {
      shopSimulator.addProduct({
        title: item.name ?? item.sku,
        variants: [{ sku: item.sku, price: "1.00" }],
      });
    }
    log(`master data: ${customers.length} customers, ${items.length} items`);

    // --- the integration service ------------------------------------------------------
    const audit = createInMemoryAuditLog({ maxEntries: 500_000 });
    const service = createOrderToCashService({
      erp,
      shop,
      wms,
      crm,
      audit,
      erpCustomerOf: (shopCustomerId) => shopCustomerToErp.get(shopCustomerId),
    });
    await service.start();
    closers.push(() => service.close());
    const { server, url } = await serve(service);
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    shopSimulator.subscribe("orders/create", `${url}/webhooks/shopify`);
    // The WMS simulator delivers to our webhook (set after our server is up).
    const wmsWebhook = `${url}/webhooks/wms`;

    const stock = await erp.getAvailability({ skus: items.map((item) => item.sku) });
    const totals = new Map<string, bigint>();
    for (const level of stock)
      totals.set(level.sku, (totals.get(level.sku) ?? 0n) + BigInt(level.available.split(".")[0]!));
    const bestStocked = [...totals].sort((a, b) => (a[1] > b[1] ? -1 : 1))[0]![0];

    // The distributor's big accounts: credit for the whole run (one stays tight, below).
    for (const customer of customers) {
      if (customer.refs.erp !== "C20000")
        erpSimulator.update("customers", customer.refs.erp ?? customer.id, { creditLimit: "100000000" });
    }

    // --- faults -------------------------------------------------------------------------
    const faults = settings.faults ?? true;
    if (faults) {
      shopSimulator.webhooks.inject({ kind: "duplicate", ratio: 0.3 });
      erpSimulator.injectFault({ status: 503, times: 15 });
      erpSimulator.injectFault({ status: 429, times: 10, headers: { "retry-after": "1" } });
    }

    // The customer with the least credit places one order far over it.
    const regular = customers.filter((customer) => customer.refs.erp !== "C20000");
    const lowCredit = customers.find((customer) => customer.refs.erp === "C20000");
    const shopIdOf = (customer: Customer) => BigInt(customers.indexOf(customer) + 1);

    const placeOrder = async (
      customer: Customer,
      lines: { sku: string; quantity: number }[],
      notify = true,
    ) =>
      shopSimulator.createOrder({
        customer: {
          id: shopIdOf(customer),
          email: `${(customer.refs.erp ?? customer.id).toLowerCase()}@example.com`,
        },
        email: `${(customer.refs.erp ?? customer.id).toLowerCase()}@example.com`,
        lines: lines.map((line) => ({ ...line, price: "1.00" })),
        shippingAddress: {
          address1: "1 Dock Rd",
          city: "Dayton",
          province_code: "OH",
          zip: "45402",
          country_code: "US",
        },
        notify,
      });

    // One order whose WMS ship event arrives before the order itself (its webhook is late).
    const late = await placeOrder(pick(regular), [{ sku: bestStocked, quantity: 1 }], false);
    const lateOrderId = `shopify-${String(late.order.id)}`;

    log(`placing ${orderCount} orders`);
    const placed: string[] = [lateOrderId];
    const batch = 25;
    for (let offset = 0; offset < orderCount - 1; offset += batch) {
      const size = Math.min(batch, orderCount - 1 - offset);
      const results = await Promise.all(
        Array.from({ length: size }, () => {
          const lineCount = 1 + Math.floor(random() * 4);
          const skus = new Set<string>();
          while (skus.size < lineCount) skus.add(pick(items).sku);
          return placeOrder(
            pick(regular),
            [...skus].map((sku) => ({ sku, quantity: 1 + Math.floor(random() * 20) })),
          );
        }),
      );
      for (const result of results) placed.push(`shopify-${String(result.order.id)}`);
    }
    // One order for more than the ERP has of an item: it books part and backorders the rest.
    const [shortSku, shortTotal] = [...totals]
      .filter(([, total]) => total > 0n)
      .sort((a, b) => (a[1] < b[1] ? -1 : 1))[0]!;
    const short = await placeOrder(regular[0]!, [{ sku: shortSku, quantity: Number(shortTotal) + 25 }]);
    placed.push(`shopify-${String(short.order.id)}`);
    const overCredit = await placeOrder(lowCredit ?? pick(customers), [
      { sku: items[1]!.sku, quantity: 5_000 },
    ]);
    placed.push(`shopify-${String(overCredit.order.id)}`);

    // A malformed webhook (signed, but not an order) and a forged one.
    await shopSimulator.sendWebhook("orders/create", '{"id": "not-a-number", "line_items": 7}');
    const forged = await fetch(`${url}/webhooks/shopify`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-shopify-topic": "orders/create",
        "x-shopify-hmac-sha256": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "x-shopify-webhook-id": "forged-1",
        "x-shopify-shop-domain": shopSimulator.shopDomain,
      },
      body: JSON.stringify({ id: 1, line_items: [{ sku: items[0]!.sku, quantity: 999 }] }),
    });

    // The portal asks for prices while orders flow: many identical asks, few ERP calls.
    const priceReads = settings.priceReads ?? 2_000;
    const priceBaskets = Array.from({ length: priceReads }, () => ({
      customerId: (pick(regular).refs.erp ?? "C10000") as string,
      lines: [{ sku: pick(items.slice(0, 20)).sku, quantity: "10" }],
    }));
    const erpCallsBeforePrices = erpSimulator.traffic().requests;
    await Promise.all(
      priceBaskets.map((basket) =>
        service.api.handle(
          new Request(`${url}/api/prices`, {
            method: "POST",
            body: JSON.stringify(basket),
            headers: { "content-type": "application/json" },
          }),
        ),
      ),
    );
    const priceErpCalls = erpSimulator.traffic().requests - erpCallsBeforePrices;

    // The early WMS event for the late order: dead-lettered, since the order is unknown.
    const earlyShip = wmsSimulator.event("ship", lateOrderId, {
      trackingNumber: "1ZLATE0001",
      carrier: "UPS",
    });
    await fetch(wmsWebhook, { method: "POST", headers: earlyShip.headers, body: earlyShip.body });

    // Wait until every placed order is booked and waiting for the warehouse, or held.
    const placedOnTime = placed.filter((id) => id !== lateOrderId);
    await waitFor("orders to be booked", async () => {
      const flows = await service.manager.list({ flow: "order-to-cash" });
      return (
        flows.filter((flow) => flow.status === "waiting" || flow.status === "held").length >=
        placedOnTime.length
      );
    });
    log("all orders booked or held; the late webhook arrives now");
    await shopSimulator.sendWebhook("orders/create", late.order);
    await waitFor(
      "the late order to be booked",
      async () => {
        const status = (await service.manager.get(`o2c:${lateOrderId}`))?.status;
        return status === "waiting" || status === "held";
      },
      async () => {
        const flow = await service.manager.get(`o2c:${lateOrderId}`);
        const letters = await service.deadLetters.list({ status: "all" });
        return `late order ${lateOrderId}: ${flow ? `${flow.status} after ${flow.completed.join(",")}` : "no flow"}; dead letters: ${letters
          .map((entry) => `${entry.subscriber} ${entry.error.code} ${entry.error.message.slice(0, 200)}`)
          .join(" | ")}; stats ${JSON.stringify(service.stats())}`;
      },
    );

    log("the warehouse picks, packs and ships");
    // --- the warehouse: pick, pack, ship, duplicated and out of order ----------------
    if (faults) wmsSimulator.sender.inject({ kind: "duplicate", ratio: 0.2 });
    const waiting = await service.manager.list({ flow: "order-to-cash", status: ["waiting"] });
    let outOfOrder = 0;
    await Promise.all(
      waiting
        .filter((flow) => flow.businessKey !== lateOrderId)
        .map(async (flow, index) => {
          const orderId = flow.businessKey!;
          const kinds: ("pick" | "pack" | "ship")[] =
            faults && index % 5 === 0 ? ["pick", "ship", "pack"] : ["pick", "pack", "ship"];
          if (faults && index % 5 === 0) outOfOrder++;
          for (const kind of kinds) {
            const delivery = wmsSimulator.event(
              kind,
              orderId,
              kind === "ship"
                ? { trackingNumber: `1Z${String(index).padStart(8, "0")}`, carrier: "UPS" }
                : {},
            );
            await fetch(wmsWebhook, { method: "POST", headers: delivery.headers, body: delivery.body });
          }
        }),
    );
    log("ship events delivered; replaying the dead-lettered one");
    // The late order's ship event sits in the dead-letter store: replay it now the order exists.
    const unknownOrderLetters = await service.deadLetters.list({
      subscriber: "wms-events",
      errorCode: "NOT_FOUND",
    });
    const replay = await service.bus.replayMany({ subscriber: "wms-events", errorCode: "NOT_FOUND" });

    await waitFor(
      "every booked order to be shipped and invoiced",
      async () =>
        (await service.manager.list({ flow: "order-to-cash", status: ["waiting", "running"] })).length === 0,
      async () => {
        const open = await service.manager.list({ flow: "order-to-cash", status: ["waiting", "running"] });
        const letters = await service.deadLetters.list({ status: "all" });
        return `${open.length} open (${open
          .slice(0, 3)
          .map(
            (flow) => `${flow.businessKey} ${flow.status} at ${flow.waiting?.step ?? flow.completed.at(-1)}`,
          )
          .join(
            ", ",
          )}); dead letters: ${letters.map((entry) => `${entry.subscriber} ${entry.error.code} ${entry.error.message}`).join(" | ")}`;
      },
    );

    // --- the report -------------------------------------------------------------------
    const flows = await service.manager.list({ flow: "order-to-cash" });
    const completed = flows.filter((flow) => flow.status === "completed");
    const held = flows.filter((flow) => flow.status === "held");
    const backordered = flows.filter(
      (flow) => flow.results["backorder-split"] !== undefined && flow.results["backorder-split"] !== null,
    );
    const bookingsByKey = erpSimulator.bookingsByKey();
    const duplicateBookings = [...bookingsByKey.values()].filter((count) => count > 1).length;
    const entries = await audit.list();
    const retries = entries.filter((entry) => entry.outcome === "retry").length;
    const deadLetters = await service.deadLetters.list({ status: "all" });
    const erpTimes = erpSimulator.ledger
      .entries()
      .filter((entry) => entry.path.includes("/api/"))
      .map((entry) => entry.receivedAt);
    const peak = peakPerSecond(erpTimes);
    const shipmentsInShop = shopSimulator.fulfillments().length;
    const subscriptionDuplicates = shopSimulator.webhooks
      .attempts()
      .filter((attempt) => attempt.duplicate).length;

    const summary: Record<string, number | string> = {
      "orders placed": placed.length,
      "shop webhook deliveries": service.counters.shopWebhooks,
      "duplicate deliveries injected": subscriptionDuplicates,
      "orders booked in ERP": bookingsByKey.size,
      "duplicate bookings": duplicateBookings,
      backordered: backordered.length,
      "held (credit)": held.filter((flow) => flow.hold?.code === "CREDIT_LIMIT").length,
      "held (nothing in stock to ship)": held.filter((flow) => flow.hold?.code === "NOTHING_ALLOCATED")
        .length,
      "shipped and invoiced": completed.length,
      "fulfilments in shop": shipmentsInShop,
      "ship events out of order": outOfOrder,
      "duplicates suppressed": service.stats().duplicates,
      "step retries": retries,
      "ERP 429/503 answered, then retried":
        erpSimulator.ledger.count({ status: 429 }) + erpSimulator.ledger.count({ status: 503 }),
      "dead-lettered": deadLetters.length,
      replayed: replay.replayed.length,
      "forged webhooks refused": service.counters.badSignatures,
      "webhook answer p99 ms": percentile(service.counters.webhookMs, 0.99),
      "portal price reads": priceReads,
      "ERP calls for those reads": priceErpCalls,
      "ERP calls in all": erpSimulator.traffic().requests,
      "ERP peak requests/s": peak,
      "ERP limit requests/s": erpRate,
      "ERP 429 for over-rate calls": erpSimulator.traffic().rateLimited,
      "ERP calls by operation": JSON.stringify(erpSimulator.traffic().byOperation),
    };

    const malformed = deadLetters.filter((entry) => entry.subscriber === "shopify-webhooks");
    const invariants: Invariant[] = [
      {
        name: "each order booked in the ERP exactly once",
        held: duplicateBookings === 0,
        detail: `${duplicateBookings} keys booked more than once`,
      },
      {
        name: "nothing lost: every placed order completed or held with its reason",
        held: placed.every((id) =>
          flows.some(
            (flow) =>
              flow.businessKey === id &&
              (flow.status === "completed" || (flow.status === "held" && flow.hold?.reason)),
          ),
        ),
        detail: `${completed.length} completed + ${held.length} held of ${placed.length} placed`,
      },
      {
        name: "the over-credit order is held, not booked",
        held: held.some(
          (flow) =>
            flow.businessKey === `shopify-${String(overCredit.order.id)}` &&
            flow.hold?.code === "CREDIT_LIMIT",
        ),
        detail: held
          .filter((flow) => flow.hold?.code === "CREDIT_LIMIT")
          .map((flow) => flow.hold?.reason)
          .join("; "),
      },
      {
        name: "the forged webhook was refused and never reached the ERP",
        held: forged.status === 401 && !bookingsByKey.has("order:shopify-1"),
        detail: `answered ${forged.status}`,
      },
      {
        name: "the malformed webhook sits in the dead-letter store with its reason",
        held: malformed.length === 1 && malformed[0]!.error.code === "VALIDATION_FAILED",
        detail: malformed.map((entry) => entry.error.message).join("; "),
      },
      {
        name: "the WMS event for an unknown order was dead-lettered, then replayed",
        held:
          unknownOrderLetters.length === 1 &&
          replay.replayed.length === 1 &&
          flows.some((flow) => flow.businessKey === lateOrderId && flow.status === "completed"),
        detail: `${unknownOrderLetters.length} dead-lettered, ${replay.replayed.length} replayed`,
      },
      {
        name: "short stock split into backorders",
        held: backordered.length > 0,
        detail: `${backordered.length} orders with a backorder`,
      },
      {
        name: "the ERP never saw more than its limit in any second",
        held: peak <= erpRate,
        detail: `peak ${peak}/s, limit ${erpRate}/s`,
      },
      {
        name: "every shipped order got its fulfilment in the shop",
        held: shipmentsInShop >= completed.length,
        detail: `${shipmentsInShop} fulfilments for ${completed.length} orders`,
      },
    ];

    const show = [lateOrderId, backordered[0]?.businessKey, held[0]?.businessKey].filter(
      (id): id is string => id !== undefined,
    );
    const timelines = await Promise.all(
      show.map(async (orderId) => {
        const flow = flows.find((candidate) => candidate.businessKey === orderId)!;
        return {
          orderId,
          correlationId: flow.correlationId,
          entries: await audit.list({ correlationId: flow.correlationId }),
        };
      }),
    );
    return { summary, invariants, timelines, durationMs: Date.now() - started };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}
