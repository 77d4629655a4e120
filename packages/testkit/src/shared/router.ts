import { stringifyJson } from "./json";

/** An incoming request as a simulator route sees it. */
export interface SimulatorRequest {
  /** HTTP method, upper-case. */
  method: string;
  /** The path without the query string. */
  path: string;
  /** The full URL (on the simulator's own origin). */
  url: URL;
  /** The query parameters. */
  query: URLSearchParams;
  /** Request headers, names lower-case (repeated headers joined with `, `). */
  headers: Record<string, string>;
  /** The raw request body as text (empty string when none). */
  body: string;
  /** Named parameters captured by the route pattern (`:id` or `(?<id>...)`). */
  params: Record<string, string>;
}

/** What a route answers. A non-string `body` is sent as JSON (bigints as exact numbers). */
export interface SimulatorResponse {
  /** The HTTP status. */
  status: number;
  /** Response headers. */
  headers?: Record<string, string>;
  /** Text, or a value to serialise as JSON; omitted for an empty body. */
  body?: unknown;
  /** A label for the ledger (e.g. `orders.list`). */
  operation?: string;
}

/** A route's handler. Throwing answers 500 with the error's message. */
export type RouteHandler = (request: SimulatorRequest) => SimulatorResponse | Promise<SimulatorResponse>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: RouteHandler;
}

/**
 * Builds a JSON response (bigints anywhere in `body` are written as exact numbers).
 *
 * @param status - the HTTP status
 * @param body - the value to serialise
 * @param headers - extra headers
 * @returns the response, with `Content-Type: application/json; charset=utf-8`
 * @example
 * ```ts
 * jsonResponse(201, { id: "001xx", success: true, errors: [], created: true });
 * ```
 */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): SimulatorResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: stringifyJson(body),
  };
}

/**
 * Turns a route pattern into a RegExp: `:name` captures one path segment (up to the next
 * `/`, or a literal that follows it such as `.json`); a RegExp is used as is (use named
 * groups to capture).
 *
 * @param pattern - `"/admin/api/:version/orders/:id.json"` or a RegExp
 * @returns the anchored RegExp
 * @example
 * ```ts
 * compileRoutePattern("/orders/:id.json").exec("/orders/42.json")?.groups?.id; // "42"
 * ```
 */
export function compileRoutePattern(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) return pattern;
  let source = "";
  let rest = pattern;
  while (rest.length > 0) {
    const param = /^:([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    if (param) {
      source += `(?<${param[1]}>[^/]+?)`;
      rest = rest.slice(param[0].length);
      continue;
    }
    source += rest[0]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    rest = rest.slice(1);
  }
  return new RegExp(`^${source}$`);
}

/**
 * A small method + path router for simulators.
 *
 * @example
 * ```ts
 * const router = new SimulatorRouter();
 * router.on("GET", "/admin/api/:version/orders/:id.json", (request) =>
 *   jsonResponse(200, { order: { id: request.params.id } }),
 * );
 * ```
 */
export class SimulatorRouter {
  private readonly routes: Route[] = [];

  /**
   * Adds a route. Routes are tried in the order they were added.
   *
   * @param method - HTTP method (`"*"` for any)
   * @param pattern - a path pattern with `:params`, or a RegExp with named groups
   * @param handler - what to answer
   * @returns the router, for chaining
   * @example
   * ```ts
   * router.on("POST", "/oauth2/token", () => jsonResponse(200, { access_token: "t" }));
   * ```
   */
  on(method: string, pattern: string | RegExp, handler: RouteHandler): this {
    this.routes.push({ method: method.toUpperCase(), pattern: compileRoutePattern(pattern), handler });
    return this;
  }

  /**
   * Finds the route for a request and runs it.
   *
   * @param request - the request (its `params` are filled from the match)
   * @returns the route's answer, or undefined when no route matches
   * @example
   * ```ts
   * const response = await router.handle(request);
   * ```
   */
  async handle(request: SimulatorRequest): Promise<SimulatorResponse | undefined> {
    for (const route of this.routes) {
      if (route.method !== "*" && route.method !== request.method) continue;
      const match = route.pattern.exec(request.path);
      if (!match) continue;
      request.params = { ...(match.groups ?? {}) };
      return route.handler(request);
    }
    return undefined;
  }
}
