import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createShopifyWebhookHandler } from "./shopify-webhooks";

const SECRET = "shpss_property";

function delivery(orderId: number, webhookId: string, forged: boolean): Request {
  const body = JSON.stringify({
    id: orderId,
    email: "a@b.example",
    created_at: "2026-03-01T10:00:00Z",
    currency: "USD",
    total_price: "2.00",
    line_items: [{ id: orderId * 10, sku: `SKU-${orderId}`, quantity: 2, price: "1.00" }],
    shipping_address: { address1: "1 Dock Rd", city: "Dayton", country_code: "US" },
  });
  const signature = createHmac("sha256", forged ? "wrong" : SECRET)
    .update(body)
    .digest("base64");
  return new Request("http://localhost/hooks", {
    method: "POST",
    body,
    headers: {
      "x-shopify-hmac-sha256": signature,
      "x-shopify-topic": "orders/create",
      "x-shopify-webhook-id": webhookId,
      "x-shopify-shop-domain": "acme.myshopify.com",
    },
  });
}

describe("createShopifyWebhookHandler: guarantees", () => {
  it("books each delivery once for any interleaving of duplicates, concurrent retries and forgeries", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            order: fc.integer({ min: 1, max: 6 }),
            forged: fc.boolean(),
            concurrent: fc.boolean(),
          }),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        async (plan) => {
          const booked: string[] = [];
          const handle = createShopifyWebhookHandler({
            secret: SECRET,
            onOrder: async (order) => {
              await new Promise((resolve) => setTimeout(resolve, 1));
              booked.push(order.refs.shopify!);
            },
          });
          const pending: Promise<unknown>[] = [];
          for (const step of plan) {
            const run = handle(delivery(step.order, `webhook-${step.order}`, step.forged));
            if (step.concurrent) pending.push(run);
            else await run;
          }
          await Promise.all(pending);
          // A duplicate that met its first copy still running got a non-2xx, as Shopify
          // expects, and is delivered again later: replay every genuine delivery once more.
          for (const order of new Set(plan.filter((step) => !step.forged).map((step) => step.order))) {
            const result = await handle(delivery(order, `webhook-${order}`, false));
            expect(result.status).toBe(200);
          }
          const expected = new Set(plan.filter((step) => !step.forged).map((step) => String(step.order)));
          expect(booked.sort()).toEqual([...expected].sort());
        },
      ),
      { numRuns: 60 },
    );
  });
});
