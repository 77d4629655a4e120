import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { defaultServerConditions } from "vite";

/**
 * The vitest projects of the workspace: one per package and example that has sources.
 * Each one resolves `@distro/*` imports to their `src` through the `@distro/source`
 * export condition, so tests never need a build first.
 */
const roots = ["packages", "examples"];

export const projects = roots.flatMap((root) =>
  existsSync(root)
    ? readdirSync(root, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, "src")))
        .map((entry) => ({
          // Vitest hands these conditions to Node too. Node never reads the bundlers' "module"
          // condition, and with it would load @opentelemetry/api's ESM build (which imports
          // without file extensions), so it is left out, as a user's Node leaves it out.
          ssr: {
            resolve: {
              conditions: [
                "@distro/source",
                ...defaultServerConditions.filter((condition) => condition !== "module"),
              ],
            },
          },
          resolve: { conditions: ["@distro/source", ...defaultServerConditions] },
          test: {
            name: entry.name,
            root: join(root, entry.name),
            include: ["src/**/*.test.ts", "test/**/*.test.ts"],
            environment: "node",
            testTimeout: 30_000,
            hookTimeout: 30_000,
          },
        }))
    : [],
);
