/**
 * core-order-validate: validates and wraps realistic orders (20 lines each) the way an
 * intake does it (canonical `parseOrder` + a CloudEvents `order.submitted` v2 envelope
 * from `createEvent`), against bare `OrderSchema.parse` of the same objects, in the
 * same run. Paired rounds alternate which path goes first, and each rate is the median
 * over rounds, so drift in CPU speed and load bursts hit both alike.
 *
 *   pnpm --filter @distro/core bench                       # 100,000 orders
 *   DISTRO_BENCH_SMOKE=1 pnpm --filter @distro/core bench  # 2,000 orders
 */
import { isDeepStrictEqual } from "node:util";
import { OrderSubmittedV2Contract } from "../src/contracts/canonical";
import { createEvent } from "../src/envelope/create-event";
import { sampleOrder } from "../src/model/fixtures/samples";
import { type Order, OrderSchema } from "../src/model/order";
import { parseOrder } from "../src/model/parse";

const SMOKE = process.env.DISTRO_BENCH_SMOKE === "1";
const TOTAL = SMOKE ? 2_000 : 100_000;
const DISTINCT = SMOKE ? 500 : 5_000;
const ROUNDS = SMOKE ? 10 : 50;
const LINES = 20;

let sink = 0;

function ours(input: unknown, index: number): void {
  const order = parseOrder(input);
  const event = createEvent(
    {
      type: "order.submitted",
      source: "/channels/shopify/acme",
      subject: order.id,
      dataschema: OrderSubmittedV2Contract.schemaId,
      data: {
        order,
        channel: { kind: "web", name: "shopify" },
        idempotencyKey: `shopify:${order.id}`,
        submittedAt: order.orderedAt,
      },
    },
    { clock: () => new Date(1_772_359_200_000 + index), generateId: () => `evt-${index}` },
  );
  sink += event.id.length;
}

function bare(input: unknown): void {
  const order: Order = OrderSchema.parse(input);
  sink += order.lines.length;
}

function timed(
  inputs: readonly unknown[],
  count: number,
  offset: number,
  body: (input: unknown, index: number) => void,
) {
  const start = process.hrtime.bigint();
  for (let index = 0; index < count; index++) body(inputs[(offset + index) % inputs.length], offset + index);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs the benchmark and prints its `bench:` line. */
export async function run(): Promise<void> {
  const inputs = Array.from({ length: DISTINCT }, (_, index) => sampleOrder(index + 1, LINES));
  // Same result both ways: our path returns exactly what bare zod returns.
  if (!isDeepStrictEqual(parseOrder(inputs[0]), OrderSchema.parse(inputs[0]))) {
    throw new Error("parseOrder and OrderSchema.parse disagree");
  }
  // Warm both paths up (JIT, zod's compiled object parsers), alternating.
  const warm = Math.min(1_000, TOTAL);
  for (let pass = 0; pass < 3; pass++) {
    timed(inputs, warm, 0, ours);
    timed(inputs, warm, 0, bare);
  }

  // Paired rounds, alternating which path goes first; rates are the median over rounds,
  // so a burst of load from other processes on the machine does not decide the result.
  const perRound = Math.ceil(TOTAL / ROUNDS);
  const oursRates: number[] = [];
  const bareRates: number[] = [];
  let oursSeconds = 0;
  let bareSeconds = 0;
  let done = 0;
  for (let round = 0; done < TOTAL; round++) {
    const count = Math.min(perRound, TOTAL - done);
    let oursTime: number;
    let bareTime: number;
    if (round % 2 === 0) {
      oursTime = timed(inputs, count, done, ours);
      bareTime = timed(inputs, count, done, bare);
    } else {
      bareTime = timed(inputs, count, done, bare);
      oursTime = timed(inputs, count, done, ours);
    }
    oursRates.push(count / oursTime);
    bareRates.push(count / bareTime);
    oursSeconds += oursTime;
    bareSeconds += bareTime;
    done += count;
  }
  if (sink === 0) throw new Error("nothing was parsed");
  const oursRate = median(oursRates);
  const bareRate = median(bareRates);
  console.log(
    `core-order-validate: ${TOTAL} orders × ${LINES} lines (${DISTINCT} distinct) in ${oursRates.length} paired rounds; ` +
      `ours ${oursSeconds.toFixed(2)} s, bare zod ${bareSeconds.toFixed(2)} s in total; rates are per-round medians`,
  );
  console.log(
    `bench: core-order-validate orders_per_s=${Math.round(oursRate)} bare_zod_per_s=${Math.round(bareRate)} ratio=${(oursRate / bareRate).toFixed(3)}`,
  );
}
