/**
 * `@distro/console`: an embeddable operations console in the manner of Bull Board. A
 * Web-standard `Request` → `Response` handler that a service mounts under a path behind
 * its own auth hook: flows and their audit trail as a timeline, dead letters with
 * inspect / replay / discard and bulk replay, exception queues for people with assign /
 * resolve, sync jobs with lag and checkpoints, upstream health, and EDI partners with
 * acknowledgement status. Everything shown is redacted first.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createBus } from "@distro/core";
 * import { createConsole, toNodeListener } from "@distro/console";
 *
 * const bus = createBus();
 * const ops = createConsole({ basePath: "/ops", authorize: (request) => request.headers.get("x-ops-key") === "s3cret", sources: { bus } });
 * createServer(toNodeListener(ops)).listen(8080, "127.0.0.1");
 * ```
 *
 * @module
 */
export * from "./console/index";
export * from "./metrics/index";
