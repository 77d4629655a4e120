/**
 * `pnpm bench` in @distro/sync: the ERP protection and catalog load benchmarks, each
 * against its baseline measured in the same run. `DISTRO_BENCH_SMOKE=1` runs tiny sizes.
 */
import { benchErpProtection } from "./erp-protection";

const smoke = process.env.DISTRO_BENCH_SMOKE === "1";
await benchErpProtection(smoke);
