import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { isDistroError, serializeError, ValidationError } from "../errors/index";
import { createLogger } from "../observability/logger";
import { waitUntil } from "../testing/wait-until";
import { cacheSecrets } from "./cached-secret-provider";
import { createEnvSecretProvider } from "./env-secret-provider";
import { createFileSecretProvider } from "./file-secret-provider";
import { isRotatingSecret, readSecret, rotatingSecret } from "./rotating-secret";
import { isSecret, Secret, secret } from "./secret";
import { SecretNotFoundError } from "./secret-not-found-error";
import type { SecretProvider, SecretValue } from "./secret-provider";

const VALUE = "sk_live_9f8e7d6c5b4a";

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function secretsFolder(files: Record<string, string> = {}): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "distro-secrets-"));
  folders.push(folder);
  for (const [name, content] of Object.entries(files)) await writeFile(join(folder, name), content);
  return folder;
}

function manualClock(start = 1_000_000) {
  let now = start;
  return {
    clock: { now: () => now },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** A provider over a plain map that counts its reads, as a vault adapter would be. */
function mapProvider(values: Map<string, string>): SecretProvider & { reads: number } {
  let version = 0;
  const provider = {
    reads: 0,
    async get(name: string): Promise<SecretValue> {
      provider.reads++;
      const value = values.get(name);
      if (value === undefined) throw new SecretNotFoundError(name, "map");
      version++;
      return { name, value: secret(value), version: String(version), source: "map", loadedAt: 0 };
    },
  };
  return provider;
}

describe("Secret", () => {
  it("never prints its value: String, template, JSON, inspect, console formatting, errors", () => {
    const key = secret(VALUE);
    const holder = { apiKey: key, nested: { list: [key] } };
    expect(String(key)).toBe("[redacted]");
    expect(`${key}`).toBe("[redacted]");
    expect(`x${key}`).toBe("x[redacted]");
    expect(JSON.stringify(holder)).toBe('{"apiKey":"[redacted]","nested":{"list":["[redacted]"]}}');
    expect(inspect(holder, { depth: 10, showHidden: true })).not.toContain(VALUE);
    expect(inspect(key)).toBe("Secret([redacted])");
    expect(Object.keys(key)).toEqual([]);
    const error = new ValidationError("bad", [], { details: { key } });
    expect(JSON.stringify(serializeError(error))).not.toContain(VALUE);
    expect(key.reveal()).toBe(VALUE);
  });

  it("is redacted in log lines", () => {
    const lines: string[] = [];
    const logger = createLogger({ sink: (line) => lines.push(line), redact: false });
    logger.info("calling wms", { auth: secret(VALUE) });
    expect(lines[0]).toContain('"auth":"[redacted]"');
    expect(lines.join("")).not.toContain(VALUE);
  });

  it("compares values in full and is recognised by its marker", () => {
    expect(secret("abc").equals("abc")).toBe(true);
    expect(secret("abc").equals(secret("abd"))).toBe(false);
    expect(secret("abc").equals("abcd")).toBe(false);
    expect(secret("").equals("")).toBe(true);
    expect(isSecret(new Secret("x"))).toBe(true);
    expect(isSecret({ reveal: () => "x" })).toBe(false);
    const wrapped = secret("x");
    expect(secret(wrapped)).toBe(wrapped);
  });
});

describe("createEnvSecretProvider", () => {
  it("reads the variable at each get, so a changed value is seen with a new version", async () => {
    const env: Record<string, string | undefined> = { DISTRO_WMS_TOKEN: "one" };
    const { clock, advance } = manualClock();
    const secrets = createEnvSecretProvider({ env, prefix: "DISTRO_", clock });
    const first = await secrets.get("WMS_TOKEN");
    expect(first).toMatchObject({
      name: "WMS_TOKEN",
      version: "1",
      source: "env",
      location: "DISTRO_WMS_TOKEN",
    });
    expect(first.value.reveal()).toBe("one");
    expect((await secrets.get("WMS_TOKEN")).version).toBe("1");
    env.DISTRO_WMS_TOKEN = "two";
    advance(5);
    const second = await secrets.get("WMS_TOKEN");
    expect(second.value.reveal()).toBe("two");
    expect(second.version).toBe("2");
    expect(second.loadedAt).toBe(first.loadedAt + 5);
  });

  it("reads process.env by default", async () => {
    const variable = `DISTRO_TEST_SECRET_${process.pid}`;
    process.env[variable] = VALUE;
    try {
      expect((await createEnvSecretProvider().get(variable)).value.reveal()).toBe(VALUE);
    } finally {
      delete process.env[variable];
    }
    await expect(createEnvSecretProvider().get(variable)).rejects.toThrow(SecretNotFoundError);
  });

  it("names the missing variable in a typed error, and refuses unusable names", async () => {
    const secrets = createEnvSecretProvider({ env: { EMPTY: "" }, prefix: "APP_" });
    const error = await secrets.get("ERP_PASSWORD").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect(isDistroError(error) && error.code).toBe("SECRET_NOT_FOUND");
    expect((error as SecretNotFoundError).secretName).toBe("ERP_PASSWORD");
    expect((error as Error).message).toContain("APP_ERP_PASSWORD");
    await expect(createEnvSecretProvider({ env: { EMPTY: "" } }).get("EMPTY")).rejects.toThrow(
      SecretNotFoundError,
    );
    await expect(secrets.get("A=B")).rejects.toThrow(ValidationError);
  });

  it("watch tells listeners about a changed value, then stops", async () => {
    const env: Record<string, string | undefined> = { KEY: "one" };
    const secrets = createEnvSecretProvider({ env });
    const seen: string[] = [];
    let notify: () => void = () => {};
    const changed = new Promise<void>((resolve) => {
      notify = resolve;
    });
    const stop = secrets.watch?.(
      "KEY",
      (value) => {
        seen.push(`${value.version}:${value.value.reveal()}`);
        notify();
      },
      { intervalMs: 5 },
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    env.KEY = "two";
    await changed;
    stop?.();
    expect(seen).toEqual(["2:two"]);
  });
});

describe("createFileSecretProvider", () => {
  it("reads one file per secret, trims the trailing newline, and sees a rewrite at the next get", async () => {
    const directory = await secretsFolder({ "wms-token": "old-token\n" });
    const secrets = createFileSecretProvider({ directory });
    const first = await secrets.get("wms-token");
    expect(first.value.reveal()).toBe("old-token");
    expect(first).toMatchObject({ version: "1", source: "file", location: join(directory, "wms-token") });
    await writeFile(join(directory, "wms-token"), "new-token-longer\n");
    const second = await secrets.get("wms-token");
    expect(second.value.reveal()).toBe("new-token-longer");
    expect(second.version).toBe("2");
    expect(
      (
        await createFileSecretProvider({ directory, keepTrailingNewline: true }).get("wms-token")
      ).value.reveal(),
    ).toBe("new-token-longer\n");
  });

  it("follows a Kubernetes-style rotation (the ..data link swapped to a new folder)", async () => {
    const directory = await secretsFolder();
    await mkdir(join(directory, "..2026_11_30_1"));
    await writeFile(join(directory, "..2026_11_30_1", "api-key"), "key-v1");
    await symlink("..2026_11_30_1", join(directory, "..data"));
    await symlink(join("..data", "api-key"), join(directory, "api-key"));
    const secrets = createFileSecretProvider({ directory });
    expect((await secrets.get("api-key")).value.reveal()).toBe("key-v1");

    await mkdir(join(directory, "..2026_11_30_2"));
    await writeFile(join(directory, "..2026_11_30_2", "api-key"), "key-v2");
    await symlink("..2026_11_30_2", join(directory, "..data_tmp"));
    await rename(join(directory, "..data_tmp"), join(directory, "..data"));
    const rotated = await secrets.get("api-key");
    expect(rotated.value.reveal()).toBe("key-v2");
    expect(rotated.version).toBe("2");
  });

  it("with a TTL serves the read value until it expires or a refresh is forced", async () => {
    const directory = await secretsFolder({ key: "a" });
    const { clock, advance } = manualClock();
    const secrets = createFileSecretProvider({ directory, ttlMs: 60_000, clock });
    expect((await secrets.get("key")).value.reveal()).toBe("a");
    await writeFile(join(directory, "key"), "b");
    expect((await secrets.get("key")).value.reveal()).toBe("a");
    expect((await secrets.get("key", { refresh: true })).value.reveal()).toBe("b");
    await writeFile(join(directory, "key"), "c");
    advance(60_000);
    expect((await secrets.get("key")).value.reveal()).toBe("c");
  });

  it("names a missing or empty file, never its content, and refuses names that leave the folder", async () => {
    const directory = await secretsFolder({ empty: "\n" });
    const secrets = createFileSecretProvider({ directory });
    const error = (await secrets
      .get("erp-password")
      .catch((caught: unknown) => caught)) as SecretNotFoundError;
    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect(error.message).toContain(join(directory, "erp-password"));
    expect(error.details).toMatchObject({ name: "erp-password", source: "file", errno: "ENOENT" });
    await expect(secrets.get("empty")).rejects.toThrow(/is empty/);
    for (const name of ["../etc/passwd", "a/b", "..", "", "/abs"]) {
      await expect(secrets.get(name)).rejects.toThrow(ValidationError);
    }
    expect(() => createFileSecretProvider({ directory: "" })).toThrow(ValidationError);
  });

  it("an error about a secret never carries the value of another read", async () => {
    const directory = await secretsFolder({ present: VALUE });
    const secrets = createFileSecretProvider({ directory });
    await secrets.get("present");
    const error = await secrets.get("absent").catch((caught: unknown) => caught);
    expect(JSON.stringify(serializeError(error))).not.toContain(VALUE);
    expect(inspect(error, { depth: 10 })).not.toContain(VALUE);
  });
});

describe("watch", () => {
  it("a watched file secret notifies once per rotation, through a cache that then serves the new value", async () => {
    const directory = await secretsFolder({ token: "one" });
    const secrets = cacheSecrets(createFileSecretProvider({ directory }), { ttlMs: 3_600_000 });
    expect((await secrets.get("token")).value.reveal()).toBe("one");
    const seen: string[] = [];
    const errors: unknown[] = [];
    const stop = secrets.watch?.("token", (value) => seen.push(value.value.reveal()), {
      intervalMs: 5,
      onError: (error) => errors.push(error),
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await writeFile(join(directory, "token"), "two-rotated");
    await waitUntil(() => seen.length === 1, { description: "the rotation notice" });
    expect((await secrets.get("token")).value.reveal()).toBe("two-rotated");
    await rm(join(directory, "token"));
    await waitUntil(() => errors.length > 0, { description: "the failed poll" });
    stop?.();
    expect(seen).toEqual(["two-rotated"]);
    expect(errors[0]).toBeInstanceOf(SecretNotFoundError);
  });
});

describe("cacheSecrets", () => {
  it("serves a value for the TTL, shares concurrent reads, and reads the source on refresh", async () => {
    const values = new Map([["erp", "p1"]]);
    const source = mapProvider(values);
    const { clock, advance } = manualClock();
    const secrets = cacheSecrets(source, { ttlMs: 1_000, clock });
    const [a, b] = await Promise.all([secrets.get("erp"), secrets.get("erp")]);
    expect(a).toBe(b);
    expect(source.reads).toBe(1);
    values.set("erp", "p2");
    expect((await secrets.get("erp")).value.reveal()).toBe("p1");
    expect((await secrets.get("erp", { refresh: true })).value.reveal()).toBe("p2");
    expect(source.reads).toBe(2);
    values.set("erp", "p3");
    advance(999);
    expect((await secrets.get("erp")).value.reveal()).toBe("p2");
    advance(1);
    expect((await secrets.get("erp")).value.reveal()).toBe("p3");
    values.set("erp", "p4");
    secrets.invalidate("erp");
    expect((await secrets.refresh("erp")).value.reveal()).toBe("p4");
    expect(() => cacheSecrets(source, { ttlMs: -1 })).toThrow(ValidationError);
  });

  it("does not cache a failure", async () => {
    const values = new Map<string, string>();
    const secrets = cacheSecrets(mapProvider(values), { ttlMs: 1_000 });
    await expect(secrets.get("late")).rejects.toThrow(SecretNotFoundError);
    values.set("late", "now");
    expect((await secrets.get("late")).value.reveal()).toBe("now");
  });
});

describe("rotatingSecret", () => {
  it("reads at use time; refresh tells whether the value changed", async () => {
    const values = new Map([["token", "t1"]]);
    const source = cacheSecrets(mapProvider(values), { ttlMs: 3_600_000 });
    const token = rotatingSecret(source, "token");
    expect(isRotatingSecret(token)).toBe(true);
    expect((await token.current()).reveal()).toBe("t1");
    values.set("token", "t2");
    expect((await token.current()).reveal()).toBe("t1");
    expect(await token.refresh()).toBe(true);
    expect((await token.current()).reveal()).toBe("t2");
    expect(await token.refresh()).toBe(false);
    expect((await readSecret(token)).reveal()).toBe("t2");
    expect((await readSecret("plain")).reveal()).toBe("plain");
  });

  it("keeps a replaced value acceptable for the grace period only", async () => {
    const values = new Map([["webhook", "old"]]);
    const { clock, advance } = manualClock();
    const webhook = rotatingSecret(mapProvider(values), "webhook", { graceMs: 10_000, clock });
    expect((await webhook.accepted()).map((value) => value.reveal())).toEqual(["old"]);
    values.set("webhook", "new");
    advance(1);
    expect((await webhook.accepted()).map((value) => value.reveal())).toEqual(["new", "old"]);
    advance(9_999);
    expect((await webhook.accepted()).map((value) => value.reveal())).toEqual(["new", "old"]);
    advance(1);
    expect((await webhook.accepted()).map((value) => value.reveal())).toEqual(["new"]);
  });

  it("concurrent refreshes share one forced read", async () => {
    const values = new Map([["k", "1"]]);
    const source = mapProvider(values);
    const key = rotatingSecret(source, "k");
    await key.current();
    values.set("k", "2");
    const results = await Promise.all([key.refresh(), key.refresh(), key.refresh()]);
    expect(results).toEqual([true, true, true]);
    expect(source.reads).toBe(2);
  });

  it("refuses bad settings and does not show its value when inspected", async () => {
    expect(() => rotatingSecret(mapProvider(new Map()), "")).toThrow(ValidationError);
    expect(() => rotatingSecret(mapProvider(new Map()), "x", { graceMs: -1 })).toThrow(ValidationError);
    const key = rotatingSecret(mapProvider(new Map([["k", VALUE]])), "k");
    await key.current();
    expect(inspect(key, { depth: 10, showHidden: true })).not.toContain(VALUE);
    expect(JSON.stringify(key)).not.toContain(VALUE);
  });
});

describe("Secret (property)", () => {
  it("no rendering of a holder shows the value, whatever the value", () => {
    const shown = (key: Secret) => [
      String(key),
      `${key}`,
      JSON.stringify({ key, list: [key] }),
      inspect({ key }, { depth: 5, showHidden: true }),
      inspect(key),
      JSON.stringify(serializeError(new ValidationError("bad", [], { details: { key } }))),
    ];
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 64 })
          .filter((value) => !shown(secret("")).some((text) => text.includes(value))),
        (value) => {
          const key = secret(value);
          for (const text of shown(key)) expect(text).not.toContain(value);
          expect(key.reveal()).toBe(value);
        },
      ),
      { numRuns: 300 },
    );
  });
});
