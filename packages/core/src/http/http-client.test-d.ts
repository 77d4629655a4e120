import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import type { DistroError } from "../errors/index";
import { createHttpClient, type HttpResponse } from "./http-client";
import { oauth2ClientCredentials } from "./oauth2";

const http = createHttpClient({ baseUrl: "http://127.0.0.1:1/", system: "erp" });

describe("HttpClient types", () => {
  it("infers requestJson's result from the schema, or takes it as a type argument", () => {
    const order = z.object({ number: z.string(), lines: z.array(z.object({ quantity: z.string() })) });
    expectTypeOf(http.requestJson({ path: "orders/1" }, order)).resolves.toEqualTypeOf<
      z.infer<typeof order>
    >();
    expectTypeOf(http.requestJson<{ id: number }>({ path: "x" })).resolves.toEqualTypeOf<{ id: number }>();
    expectTypeOf(http.requestJson({ path: "x" })).resolves.toBeUnknown();
  });

  it("types responses and hooks", () => {
    expectTypeOf(http.get("x")).resolves.toEqualTypeOf<HttpResponse>();
    expectTypeOf<HttpResponse["json"]>().returns.toEqualTypeOf<Promise<unknown>>();
    createHttpClient({
      baseUrl: "http://127.0.0.1:1/",
      system: "erp",
      hooks: {
        onResponse: (event) => {
          expectTypeOf(event.status).toBeNumber();
          expectTypeOf(event.error).toEqualTypeOf<DistroError | undefined>();
        },
      },
    });
  });

  it("exposes the OAuth2 provider's token", () => {
    const auth = oauth2ClientCredentials({
      tokenUrl: "http://127.0.0.1:1/token",
      clientId: "a",
      clientSecret: "b",
    });
    expectTypeOf(auth.accessToken()).resolves.toBeString();
  });
});
