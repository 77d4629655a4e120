import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base";

export default defineConfig(
  packageBuild({
    entry: {
      index: "src/index.ts",
      shopify: "src/shopify/index.ts",
      salesforce: "src/salesforce/index.ts",
      hubspot: "src/hubspot/index.ts",
      "business-central": "src/business-central/index.ts",
      netsuite: "src/netsuite/index.ts",
      wms: "src/wms/index.ts",
    },
  }),
);
