import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base";

export default defineConfig(
  packageBuild({
    entry: { index: "src/index.ts", rest: "src/rest/index.ts", easypost: "src/easypost/index.ts" },
  }),
);
