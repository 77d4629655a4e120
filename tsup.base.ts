import type { Options } from "tsup";

/** Settings for {@link packageBuild}: the entry points of one package. */
export interface PackageBuildSettings {
  /** Output name → source file, e.g. `{ index: "src/index.ts", testing: "src/testing/index.ts" }`. */
  entry: Record<string, string>;
  /** ESM-only dependencies that the CommonJS build must bundle (it cannot `require` them). */
  bundleInCommonJs?: string[];
}

/**
 * The one build every package uses: ESM and CommonJS, each with its own declarations
 * (`.d.ts` beside `.js`, `.d.cts` beside `.cjs`). CommonJS is a separate build so that
 * ESM-only dependencies (p-retry, p-queue) can be bundled into it.
 */
export function packageBuild(settings: PackageBuildSettings): Options[] {
  const shared: Options = {
    entry: settings.entry,
    target: "node20",
    platform: "node",
    sourcemap: true,
    dts: true,
    splitting: false,
    treeshake: true,
    outDir: "dist",
  };
  return [
    { ...shared, format: ["esm"], clean: true },
    { ...shared, format: ["cjs"], clean: false, noExternal: settings.bundleInCommonJs ?? [] },
  ];
}
