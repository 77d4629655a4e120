import { CircuitOpenError, UpstreamError, ValidationError } from "@distro/core";
import { describe, expect, it } from "vitest";
import { createManualClock } from "../clock/index";
import { type CircuitState, createCircuitBreaker } from "./circuit-breaker";

const failing = async () => {
  throw new UpstreamError("ERP answered 503", { status: 503 });
};

describe("circuit breaker", () => {
  it("opens after consecutive failures, refuses with CircuitOpenError, half-opens, and closes on success", async () => {
    const clock = createManualClock();
    const changes: string[] = [];
    const breaker = createCircuitBreaker({
      system: "erp",
      failureThreshold: 3,
      openForMs: 1000,
      clock,
      onStateChange: (state: CircuitState, previous: CircuitState) => changes.push(`${previous}->${state}`),
    });
    for (let attempt = 0; attempt < 3; attempt++)
      await expect(breaker.run(failing)).rejects.toThrow(UpstreamError);
    expect(breaker.state).toBe("open");
    const refused = await breaker.run(async () => "never").catch((error) => error);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused).toMatchObject({ system: "erp", retryAfterMs: 1000, retryable: true });

    await clock.advance(1000);
    expect(breaker.state).toBe("half-open");
    expect(await breaker.run(async () => "ok")).toBe("ok");
    expect(breaker.state).toBe("closed");
    expect(changes).toEqual(["closed->open", "open->half-open", "half-open->closed"]);
    expect(breaker.stats()).toMatchObject({ rejected: 1, opened: 1, consecutiveFailures: 0 });
  });

  it("reopens when the half-open trial fails and lets only one trial through", async () => {
    const clock = createManualClock();
    const breaker = createCircuitBreaker({ system: "erp", failureThreshold: 1, openForMs: 500, clock });
    await expect(breaker.run(failing)).rejects.toThrow(UpstreamError);
    await clock.advance(500);
    const trial = breaker.run(() => clock.sleep(100).then(failing)).catch((error) => error);
    await expect(breaker.run(async () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
    await clock.advance(100);
    expect(await trial).toBeInstanceOf(UpstreamError);
    expect(breaker.state).toBe("open");
  });

  it("does not count errors that are not the upstream's fault", async () => {
    const breaker = createCircuitBreaker({ system: "erp", failureThreshold: 1 });
    await expect(
      breaker.run(async () => {
        throw new ValidationError("bad price", []);
      }),
    ).rejects.toThrow(ValidationError);
    expect(breaker.state).toBe("closed");
  });
});
