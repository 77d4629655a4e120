import { describe, expectTypeOf, it } from "vitest";
import { createCanonicalRegistry, type OrderSubmittedV2 } from "../contracts/canonical";
import { contractValidator } from "../contracts/contract-validator";
import type { CloudEvent } from "../envelope/index";
import { apiKeyHeader, basicAuth, staticToken } from "../http/auth";
import type { oauth2ClientCredentials } from "../http/oauth2";
import { createEnvSecretProvider } from "./env-secret-provider";
import { type RotatingSecret, rotatingSecret, type SecretInput } from "./rotating-secret";
import { type Secret, secret } from "./secret";
import type { SecretValue } from "./secret-provider";

const secrets = createEnvSecretProvider();

describe("secrets types", () => {
  it("auth providers take a string, a Secret or a rotating secret", () => {
    expectTypeOf(staticToken).parameter(0).toEqualTypeOf<SecretInput>();
    expectTypeOf(apiKeyHeader).parameter(1).toEqualTypeOf<SecretInput>();
    expectTypeOf(basicAuth).parameter(1).toEqualTypeOf<SecretInput>();
    expectTypeOf<
      Parameters<typeof oauth2ClientCredentials>[0]["clientSecret"]
    >().toEqualTypeOf<SecretInput>();
    expectTypeOf(rotatingSecret(secrets, "WMS_TOKEN")).toEqualTypeOf<RotatingSecret>();
    // @ts-expect-error a number is not a secret
    staticToken(42);
  });

  it("a read gives a Secret, never a bare string", () => {
    expectTypeOf(secrets.get("X")).resolves.toEqualTypeOf<SecretValue>();
    expectTypeOf<SecretValue["value"]>().toEqualTypeOf<Secret>();
    expectTypeOf(secret("x").reveal()).toBeString();
    expectTypeOf<SecretValue["value"]>().not.toBeString();
  });

  it("contractValidator hands the handler the payload type it is told", () => {
    const validate = contractValidator<OrderSubmittedV2>(createCanonicalRegistry(), { user: "erp-booking" });
    expectTypeOf(validate).returns.toEqualTypeOf<CloudEvent<OrderSubmittedV2>>();
    expectTypeOf(contractValidator(createCanonicalRegistry(), { user: "x" })).returns.toEqualTypeOf<
      CloudEvent<unknown>
    >();
  });
});
