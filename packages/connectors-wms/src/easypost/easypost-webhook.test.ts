import { readFileSync } from "node:fs";
import { join } from "node:path";
import { conformanceDir } from "@distro/core/testing";
import { describe, expect, it } from "vitest";
import {
  createEasyPostWebhookHandler,
  parseEasyPostTrackerEvent,
  signEasyPostWebhook,
  verifyEasyPostWebhook,
} from "./easypost-webhook";

const corpus = conformanceDir();

describe.skipIf(!corpus)("EasyPost tracker webhooks (official fixtures)", () => {
  const folder = join(corpus as string, "api");
  const rawBody = readFileSync(join(folder, "EasyPost__examples__event-body.json"), "utf8").replace(
    /\n$/,
    "",
  );
  const fixtures = JSON.parse(
    readFileSync(join(folder, "EasyPost__examples__client-library-fixtures.json"), "utf8"),
  ) as {
    webhooks: { secret: string; hmac_signature: string };
  };

  it("verifies the official test vector", () => {
    expect(() =>
      verifyEasyPostWebhook(rawBody, fixtures.webhooks.hmac_signature, fixtures.webhooks.secret),
    ).not.toThrow();
    expect(signEasyPostWebhook(rawBody, fixtures.webhooks.secret)).toBe(fixtures.webhooks.hmac_signature);
  });

  it("normalises the secret to NFKD: composed and decomposed spellings both verify", () => {
    const composed = fixtures.webhooks.secret.normalize("NFC");
    const decomposed = fixtures.webhooks.secret.normalize("NFD");
    expect(composed).not.toBe(decomposed);
    for (const secret of [composed, decomposed]) {
      expect(() => verifyEasyPostWebhook(rawBody, fixtures.webhooks.hmac_signature, secret)).not.toThrow();
    }
  });

  it("refuses a tampered body, a wrong secret and a malformed header with SignatureError", () => {
    const cases: [string, string | undefined, string][] = [
      [
        rawBody.replace("in_transit", "delivered"),
        fixtures.webhooks.hmac_signature,
        fixtures.webhooks.secret,
      ],
      [rawBody, fixtures.webhooks.hmac_signature, "secret"],
      [rawBody, "sha256=abc", fixtures.webhooks.secret],
      [rawBody, undefined, fixtures.webhooks.secret],
    ];
    for (const [body, signature, secret] of cases) {
      expect(() => verifyEasyPostWebhook(body, signature, secret)).toThrow(
        expect.objectContaining({ code: "SIGNATURE_INVALID" }),
      );
    }
  });

  it("maps the tracker event to canonical milestones, oldest first", () => {
    const update = parseEasyPostTrackerEvent(rawBody);
    expect(update).toMatchObject({
      eventId: "evt_1",
      type: "tracker.updated",
      carrier: "FedEx",
      status: "in_transit",
      previousStatus: "in_transit",
      estimatedDeliveryDate: "2024-08-05",
    });
    expect(update.milestones[0]).toMatchObject({
      status: "shipped",
      carrierStatus: "pre_transit / label_created",
    });
    expect(update.milestones[1]).toMatchObject({ status: "in_transit", location: "ORLANDO, FL, US" });
    const times = update.milestones.map((milestone) => Date.parse(milestone.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("dedupes deliveries by event id", async () => {
    const seen: string[] = [];
    const handler = createEasyPostWebhookHandler({
      secret: fixtures.webhooks.secret,
      onUpdate: (update) => void seen.push(update.eventId),
    });
    const headers = { "X-Hmac-Signature": fixtures.webhooks.hmac_signature };
    const first = await handler.handle(rawBody, headers);
    const second = await handler.handle(rawBody, headers);
    expect([first.duplicate, second.duplicate]).toEqual([false, true]);
    expect(seen).toEqual(["evt_1"]);
  });
});

describe("EasyPost events that are not tracker events", () => {
  it("names what is wrong", () => {
    const error = (() => {
      try {
        parseEasyPostTrackerEvent(
          JSON.stringify({ id: "evt_2", object: "Event", description: "batch.updated", result: {} }),
        );
      } catch (caught) {
        return caught as { code: string; issues: { path: unknown[] }[] };
      }
    })();
    expect(error?.code).toBe("VALIDATION_FAILED");
    expect(error?.issues[0]?.path).toEqual(["description"]);
    expect(() => parseEasyPostTrackerEvent("{not json")).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });
});
