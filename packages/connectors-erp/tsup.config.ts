import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base";

export default defineConfig(
  packageBuild({
    entry: {
      index: "src/index.ts",
      "business-central": "src/business-central/index.ts",
      odata: "src/odata/index.ts",
      netsuite: "src/netsuite/index.ts",
      files: "src/files/index.ts",
    },
  }),
);
