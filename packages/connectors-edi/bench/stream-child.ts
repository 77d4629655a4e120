/**
 * Child process of the benchmark: streams a file through `streamEdi` and prints the
 * peak resident set size seen, sampled after every transaction set.
 */
import { createReadStream } from "node:fs";
import { streamEdi } from "../src/index";

const [file, expected] = process.argv.slice(2);
let peak = process.memoryUsage.rss();
let count = 0;
for await (const { transaction } of streamEdi(createReadStream(file!, { highWaterMark: 64 * 1024 }))) {
  if (transaction.issues.length > 0) throw new Error(`stream: issue in ${transaction.controlNumber}`);
  count++;
  if ((count & 63) === 0) peak = Math.max(peak, process.memoryUsage.rss());
}
peak = Math.max(peak, process.memoryUsage.rss());
if (String(count) !== expected)
  throw new Error(`stream: read ${count} transaction sets, expected ${expected}`);
console.log(`transactions=${count} peak_rss_mb=${(peak / 1_000_000).toFixed(1)}`);
