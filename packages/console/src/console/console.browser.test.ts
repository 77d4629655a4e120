import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { waitUntil } from "@distro/core/testing";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserPresent, orderScenario, serve } from "./console.test-helper";
import { createConsole } from "./create-console";
import { createUpstreamProbe } from "./upstream-probe";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../../../artifacts/console/", import.meta.url));
const KEY = "browser-ops-key";

const present = browserPresent(CHROMIUM);

describe.skipIf(!present)("console in a real browser (headless Debian chromium)", () => {
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("replays a dead-lettered confirmation from the dead-letter page and the flow completes", async () => {
    const scenario = await orderScenario();
    const erp = createUpstreamProbe({
      system: "erp",
      ratePerInterval: 10,
      intervalMs: 60_000,
      limiter: { stats: () => ({ rate: 8, queued: 4, inFlight: 2, refused: 1, throttled: 3 }) },
      breaker: { stats: () => ({ state: "closed", opened: 1 }) },
    });
    for (const latencyMs of [35, 42, 51, 48, 380, 44, 39])
      erp.observe({ latencyMs, failed: latencyMs > 300 });
    const now = Date.now();
    const server = await serve(
      createConsole({
        basePath: "/ops",
        authorize: (request) => request.headers.get("x-ops-key") === KEY,
        actor: () => "ops:browser",
        sources: {
          flows: scenario.manager,
          audit: scenario.audit,
          bus: scenario.bus,
          upstreams: [erp],
          ediPartners: {
            partners: [{ id: "ZZ:ACME", name: "Acme Supply" }],
            acknowledgements: () => [
              {
                partner: "ZZ:ACME",
                functionalId: "SH",
                controlNumber: "1001",
                sentAt: now - 9_000,
                dueAt: now + 60_000,
                status: "A",
                acknowledgedAt: now - 5_000,
              },
              {
                partner: "ZZ:ACME",
                functionalId: "IN",
                controlNumber: "1002",
                sentAt: now - 8_000,
                dueAt: now - 1_000,
              },
              {
                partner: "ZZ:ACME",
                functionalId: "SH",
                controlNumber: "1003",
                sentAt: now - 7_000,
                dueAt: now + 60_000,
                status: "R",
                acknowledgedAt: now - 2_000,
              },
            ],
          },
        },
      }),
    );
    const context = await browser.newContext({
      extraHTTPHeaders: { "x-ops-key": KEY },
      viewport: { width: 1280, height: 900 },
    });
    try {
      // The ERP's confirmation arrives before the order is known: it is dead-lettered.
      await scenario.confirm("4711");
      await waitUntil(async () => (await scenario.bus.deadLetters.list()).length === 1, {
        description: "the dead letter",
      });
      // Then the order exists, and its flow waits for that confirmation.
      await scenario.book("4711");
      expect((await scenario.manager.get("o2c:4711"))?.status).toBe("waiting");

      const page = await context.newPage();
      await page.goto(`${server.origin}/ops/dead-letters`);
      const row = page.locator("table[data-table=dead-letters] tbody tr");
      await expect.poll(() => row.count()).toBe(1);
      const text = await row.first().textContent();
      expect(text).toContain("NOT_FOUND");
      expect(await page.content()).not.toContain("jane.roe@example.com");
      await page.screenshot({ path: `${ARTIFACTS}dead-letters.png`, fullPage: true });

      await row.first().locator("a").click();
      await page.waitForURL(/\/ops\/dead-letters\/[0-9a-f]{32}$/);
      expect(await page.locator("pre[data-field=message]").textContent()).toContain("[REDACTED]");
      await page.screenshot({ path: `${ARTIFACTS}dead-letter.png`, fullPage: true });

      await page.locator("form[data-action=replay] button").click();
      await page.waitForURL(/done=replayed/);
      expect(await page.locator("[role=status]").textContent()).toBe("Replayed.");
      expect(await page.locator("h1 .badge").getAttribute("data-status")).toBe("replayed");

      await page.goto(`${server.origin}/ops/flows`);
      const flowRow = page.locator('tr[data-flow-id="o2c:4711"]');
      await expect
        .poll(async () => {
          await page.reload();
          return flowRow.locator(".badge").getAttribute("data-status");
        })
        .toBe("completed");
      await page.screenshot({ path: `${ARTIFACTS}flows.png`, fullPage: true });

      await flowRow.locator("a").first().click();
      await page.waitForURL(/\/ops\/flows\/o2c%3A4711$/);
      const timeline = await page.locator("table[data-table=timeline]").textContent();
      expect(timeline).toContain("notify-customer");
      expect(timeline).toContain("dead-letter.replay");
      expect(await page.locator('svg[aria-label="Audit timeline"] circle').count()).toBeGreaterThanOrEqual(4);
      await page.screenshot({ path: `${ARTIFACTS}flow-timeline.png`, fullPage: true });
      expect(existsSync(`${ARTIFACTS}flow-timeline.png`)).toBe(true);

      await page.goto(`${server.origin}/ops/upstreams`);
      expect(await page.locator('tr[data-system="erp"]').textContent()).toContain("70%");
      await page.screenshot({ path: `${ARTIFACTS}upstreams.png`, fullPage: true });
      await page.goto(`${server.origin}/ops/edi-partners`);
      expect(await page.locator('tr[data-partner="ZZ:ACME"] td').allTextContents()).toEqual(
        expect.arrayContaining(["Acme SupplyZZ:ACME", "1"]),
      );
      await page.screenshot({ path: `${ARTIFACTS}edi-partners.png`, fullPage: true });
    } finally {
      await context.close();
      await server.close();
      await scenario.bus.close();
    }
  }, 60_000);
});
