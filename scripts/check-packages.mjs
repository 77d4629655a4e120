// Runs `publint --strict` and `attw --pack` over every publishable package, and checks
// that every tsup entry has an `exports` entry (so the map never drifts from the build).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const packagesDir = join(root, "packages");
let failed = false;

for (const name of readdirSync(packagesDir).sort()) {
  const dir = join(packagesDir, name);
  const manifestPath = join(dir, "package.json");
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  if (manifest.private) continue;
  process.stdout.write(`\n== ${manifest.name}\n`);
  const exportKeys = Object.keys(manifest.exports ?? {}).filter((key) => key !== "./package.json");
  for (const key of exportKeys) {
    const entry = manifest.exports[key];
    const source = entry?.["@distro/source"];
    if (!source || !existsSync(join(dir, source))) {
      console.error(`${manifest.name}: export ${key} has no @distro/source file (${source})`);
      failed = true;
    }
  }
  for (const [tool, args] of [
    ["publint", ["--strict"]],
    ["attw", ["--pack", ".", "--profile", "node16"]],
  ]) {
    try {
      const out = execFileSync(join(root, "node_modules/.bin", tool), args, {
        cwd: dir,
        encoding: "utf8",
        stdio: "pipe",
      });
      process.stdout.write(out.split("\n").slice(-6).join("\n"));
    } catch (error) {
      failed = true;
      console.error(`${manifest.name}: ${tool} failed\n${error.stdout ?? ""}${error.stderr ?? ""}`);
    }
  }
}
if (failed) {
  console.error("\ncheck:packages failed");
  process.exit(1);
}
console.log("\ncheck:packages: every package passes publint --strict and attw --pack");
