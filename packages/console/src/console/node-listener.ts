import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

/**
 * A Web-standard handler, as {@link createConsole} returns.
 *
 * @example
 * ```ts
 * const handler: FetchHandler = async () => new Response("ok");
 * ```
 */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Adapts a Web-standard `Request` → `Response` handler to a `node:http` request
 * listener (the body is streamed in; the response streamed out).
 *
 * @param handler - e.g. the console
 * @param settings - `origin` to build request URLs from when the `Host` header is absent
 * @returns a listener for `http.createServer` or Express (`app.use("/ops", …)` keeps the full URL in `originalUrl`)
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createConsole, toNodeListener } from "@distro/console";
 *
 * const console = createConsole({ basePath: "/ops", authorize: () => true, sources: {} });
 * createServer(toNodeListener(console)).listen(8080, "127.0.0.1");
 * ```
 */
export function toNodeListener(
  handler: FetchHandler,
  settings: { origin?: string } = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  return (incoming, outgoing) => {
    void (async () => {
      try {
        const host = incoming.headers.host ?? new URL(settings.origin ?? "http://localhost").host;
        const path =
          (incoming as IncomingMessage & { originalUrl?: string }).originalUrl ?? incoming.url ?? "/";
        const url = new URL(path, `http://${host}`);
        const headers = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          if (value === undefined) continue;
          if (Array.isArray(value)) for (const item of value) headers.append(name, item);
          else headers.set(name, value);
        }
        const method = incoming.method ?? "GET";
        const hasBody = method !== "GET" && method !== "HEAD";
        const init: RequestInit & { duplex?: "half" } = { method, headers };
        if (hasBody) {
          init.body = Readable.toWeb(incoming) as ReadableStream<Uint8Array>;
          init.duplex = "half";
        }
        const response = await handler(new Request(url, init));
        outgoing.statusCode = response.status;
        response.headers.forEach((value, name) => {
          if (name === "set-cookie") return;
          outgoing.setHeader(name, value);
        });
        const cookies = response.headers.getSetCookie();
        if (cookies.length > 0) outgoing.setHeader("set-cookie", cookies);
        if (response.body === null || method === "HEAD") {
          outgoing.end();
          return;
        }
        const body = Buffer.from(await response.arrayBuffer());
        outgoing.end(body);
      } catch (error) {
        if (!outgoing.headersSent) {
          outgoing.statusCode = 500;
          outgoing.setHeader("content-type", "text/plain; charset=utf-8");
        }
        outgoing.end(`Internal error: ${error instanceof Error ? error.name : "unknown"}`);
      }
    })();
  };
}
