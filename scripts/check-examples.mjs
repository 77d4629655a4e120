// typedoc's notDocumented validation proves every export has a comment; this proves
// every exported function, class, variable and interface's comment has an @example.
import { readFileSync } from "node:fs";

const project = JSON.parse(readFileSync(new URL("../docs/api.json", import.meta.url), "utf8"));
// ReflectionKind: Function 64, Class 128, Variable 32, Interface 256, TypeAlias 2097152, Enum 8
const CHECKED = new Set([64, 128, 32]);
const missing = [];
let checked = 0;

function hasExample(comment) {
  return comment?.blockTags?.some((tag) => tag.tag === "@example") ?? false;
}

function visit(node, trail) {
  const here = node.kind === 1 || node.kind === 2 || node.kind === 4 ? [...trail, node.name] : trail;
  if (CHECKED.has(node.kind)) {
    const comment = node.comment ?? node.signatures?.[0]?.comment;
    checked++;
    if (!hasExample(comment)) missing.push(`${here.join("/")}: ${node.name}`);
    return;
  }
  for (const child of node.children ?? []) visit(child, here);
}

visit(project, []);
if (missing.length > 0) {
  console.error(`These exports have no @example in their TSDoc:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`check-examples: all ${checked} exported functions, classes and constants have an @example`);
