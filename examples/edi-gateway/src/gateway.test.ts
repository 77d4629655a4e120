import {
  createMemoryControlNumberStore,
  createX12Partner,
  definePartnerProfile,
} from "@distro/connectors-edi";
import { createBusinessCentralErpSystem } from "@distro/connectors-erp/business-central";
import { createWmsRest } from "@distro/connectors-wms/rest";
import { isDistroError } from "@distro/core";
import { createWmsSimulator } from "@distro/testkit/wms";
import { describe, expect, it } from "vitest";
import { createEdiGateway } from "./gateway";

describe("createEdiGateway", () => {
  it("refuses a ship event for an order it never booked instead of dropping it", async () => {
    const wmsSimulator = await createWmsSimulator({ secret: "s3cret" });
    try {
      const sent: string[] = [];
      const gateway = createEdiGateway({
        partner: createX12Partner({
          profile: definePartnerProfile({
            id: "adatum",
            standard: "x12",
            partnerId: { qualifier: "ZZ", id: "ADATUMEDI" },
            ourId: { qualifier: "ZZ", id: "DISTROSUPPLY" },
            version: "004010",
          }),
          controlNumbers: createMemoryControlNumberStore(),
        }),
        // never called on this path
        erp: createBusinessCentralErpSystem({
          companyUrl: "http://127.0.0.1:9/api/v2.0/companies(none)",
          auth: { tokenUrl: "http://127.0.0.1:9/token", clientId: "none", clientSecret: "none" },
        }),
        wms: createWmsRest({
          baseUrl: wmsSimulator.url,
          accessToken: wmsSimulator.accessToken,
          webhookSecret: "s3cret",
        }),
        send: async (_partner, kind) => {
          sent.push(kind);
        },
      });
      const delivery = wmsSimulator.event("ship", "adatum-UNKNOWN", { trackingNumber: "1Z1" });
      const error = await gateway.warehouseWebhook({ body: delivery.body, headers: delivery.headers }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isDistroError(error) && error.code).toBe("NOT_FOUND");
      expect((error as Error).message).toContain("adatum-UNKNOWN");
      expect(sent).toEqual([]);
    } finally {
      await wmsSimulator.close();
    }
  });
});
