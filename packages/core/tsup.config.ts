import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base";

export default defineConfig(
  packageBuild({
    entry: { index: "src/index.ts", testing: "src/testing/index.ts", otel: "src/otel/index.ts" },
    bundleInCommonJs: ["p-retry", "p-queue"],
  }),
);
