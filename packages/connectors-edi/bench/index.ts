/**
 * Benchmark: parse a valid X12 850 interchange of 10,000 transaction sets × 20 lines
 * (about 25 MB) to the full structure, side by side with node-x12's `X12Parser.parse`
 * and a raw `split` of segments and elements (the lower bound), then measure the peak
 * RSS of stream mode in a clean child process.
 *
 * `DISTRO_BENCH_SMOKE=1` runs 200 transaction sets instead.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { X12Parser } from "node-x12";
import { parseEdi } from "../src/index";
import { generate850Interchange } from "./generate";

const smoke = process.env.DISTRO_BENCH_SMOKE === "1";
const transactionCount = smoke ? 200 : 10_000;
const lineCount = 20;

const text = generate850Interchange(transactionCount, lineCount);
const bytes = Buffer.from(text, "utf8");
const megabytes = bytes.length / 1_000_000;
console.log(`input: ${transactionCount} transaction sets × ${lineCount} lines, ${megabytes.toFixed(1)} MB`);

function best(runs: number, run: () => unknown): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < runs; attempt++) {
    const started = process.hrtime.bigint();
    run();
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    fastest = Math.min(fastest, elapsed);
  }
  return fastest;
}

let checksum = 0;

// warm-up on a small slice so the JIT has seen every path
parseEdi(generate850Interchange(50, lineCount));

const oursSeconds = best(smoke ? 3 : 5, () => {
  const document = parseEdi(bytes);
  const transactions = document.interchanges[0]!.groups[0]!.transactions;
  if (transactions.length !== transactionCount || document.issues.length > 0)
    throw new Error("bench: wrong parse");
  checksum += document.segmentCount;
});

const rawSeconds = best(smoke ? 3 : 5, () => {
  const decoded = bytes.toString("utf8");
  const segments = decoded.split("~");
  let elements = 0;
  for (const segment of segments) elements += segment.split("*").length;
  checksum += elements;
});

const nodeSeconds = best(smoke ? 2 : 1, () => {
  const parser = new X12Parser(true);
  const interchange = parser.parse(bytes.toString("utf8"));
  checksum += (interchange as { functionalGroups?: unknown[] }).functionalGroups?.length ?? 0;
});

// stream mode, in a child process so its RSS is not the parent's
const folder = mkdtempSync(join(tmpdir(), "distro-edi-bench-"));
const file = join(folder, "850.edi");
writeFileSync(file, bytes);
let streamPeakMb = Number.NaN;
try {
  const child = join(dirname(fileURLToPath(import.meta.url)), "stream-child.ts");
  const output = execFileSync(
    process.execPath,
    ["--import", "tsx", "--conditions=@distro/source", child, file, String(transactionCount)],
    {
      encoding: "utf8",
      cwd: join(dirname(fileURLToPath(import.meta.url)), ".."),
    },
  );
  const match = /peak_rss_mb=([\d.]+)/.exec(output);
  if (!match) throw new Error(`bench: stream child printed ${output}`);
  streamPeakMb = Number(match[1]);
} finally {
  rmSync(folder, { recursive: true, force: true });
}

const ours = megabytes / oursSeconds;
const nodeX12 = megabytes / nodeSeconds;
const raw = megabytes / rawSeconds;
console.log(`ours:     ${oursSeconds.toFixed(3)} s  ${ours.toFixed(1)} MB/s`);
console.log(`node-x12: ${nodeSeconds.toFixed(3)} s  ${nodeX12.toFixed(1)} MB/s`);
console.log(
  `raw split: ${rawSeconds.toFixed(3)} s  ${raw.toFixed(1)} MB/s (${((ours / raw) * 100).toFixed(0)}% reached)`,
);
console.log(`stream mode peak RSS: ${streamPeakMb.toFixed(1)} MB (checksum ${checksum})`);
console.log(
  `bench: edi-x12-parse ours_mb_s=${ours.toFixed(1)} node_x12_mb_s=${nodeX12.toFixed(1)} raw_split_mb_s=${raw.toFixed(1)} ratio_vs_node_x12=${(ours / nodeX12).toFixed(1)} stream_peak_rss_mb=${streamPeakMb.toFixed(1)}`,
);
