/**
 * Runs @distro/core's benchmarks one after another. Each file in BENCHES exports
 * `run(): Promise<void>` and prints its own `bench: ...` line. Add a file here to add
 * a benchmark. `DISTRO_BENCH_SMOKE=1` makes each one run a tiny size.
 */
const BENCHES = ["./order-validate.ts", "./bus.ts"];

async function main(): Promise<void> {
  for (const file of BENCHES) {
    const bench = (await import(file)) as { run: () => Promise<void> };
    await bench.run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
