import { expect } from "vitest";
import type { MetricsRegistry } from "./registry";

/** One sample of the text format 0.0.4. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads every sample line of a Prometheus text exposition, checking each line's shape. */
export function readSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(match, line).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const pair of (match![2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_all, escaped: string) =>
        escaped === "n" ? "\n" : escaped,
      );
    }
    samples.push({
      name: match![1]!,
      labels,
      value: match![3] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match![3]),
    });
  }
  return samples;
}

/**
 * The value of the one sample with this name whose labels include these, or undefined
 * when there is none (two matches fail the test).
 */
export function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
  );
  expect(found.length, `${name} ${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
  return found[0]?.value;
}

/** Exposes the registry and reads it back. */
export async function scrape(registry: Pick<MetricsRegistry, "expose">): Promise<Sample[]> {
  return readSamples(await registry.expose());
}

/** The `# TYPE` of each metric in an exposition. */
export function typesOf(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1]!, match[2]!);
  return types;
}
