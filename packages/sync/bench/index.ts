/**
 * `pnpm bench` in @distro/sync: the catalog load and ERP protection benchmarks, each
 * against its baseline measured in the same run. `DISTRO_BENCH_SMOKE=1` runs tiny sizes.
 * The CSV load runs first so its peak RSS is not the ERP benchmark's.
 */
import { benchCsvLoad } from "./csv-load";
import { benchErpProtection } from "./erp-protection";

const smoke = process.env.DISTRO_BENCH_SMOKE === "1";
await benchCsvLoad(smoke);
await benchErpProtection(smoke);
