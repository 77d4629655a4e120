import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { AuthError, serializeError, ValidationError } from "../errors/index";
import { cacheSecrets } from "../secrets/cached-secret-provider";
import { createEnvSecretProvider } from "../secrets/env-secret-provider";
import { createFileSecretProvider } from "../secrets/file-secret-provider";
import { rotatingSecret } from "../secrets/rotating-secret";
import { secret } from "../secrets/secret";
import { SecretNotFoundError } from "../secrets/secret-not-found-error";
import { apiKeyHeader, basicAuth, staticToken } from "./auth";
import { createHttpClient } from "./http-client";
import { caught, type LoopbackServer, sendJson, startLoopbackServer } from "./test-server.test-helper";

const servers: LoopbackServer[] = [];
const folders: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

/** A WMS API on loopback that accepts exactly one key at a time (`accepted`), as after a rotation. */
async function wmsAccepting(initial: string) {
  const state = { accepted: initial };
  const server = await startLoopbackServer((request, response) => {
    if (request.headers["x-api-key"] === state.accepted) sendJson(response, 200, { ok: true });
    else sendJson(response, 401, { error: "invalid api key" });
  });
  servers.push(server);
  return { server, state, keys: () => server.requests.map((request) => request.headers["x-api-key"]) };
}

async function secretsFolder(files: Record<string, string>): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "distro-auth-secrets-"));
  folders.push(folder);
  for (const [name, content] of Object.entries(files)) await writeFile(join(folder, name), content);
  return folder;
}

describe("auth providers reading a rotating secret", () => {
  it("a file secret rotated behind a cache is picked up after one 401, with no restart", async () => {
    const wms = await wmsAccepting("key-2026-10");
    const directory = await secretsFolder({ "wms-api-key": "key-2026-10\n" });
    // A long cache, so only the 401 makes the client look at the file again.
    const secrets = cacheSecrets(createFileSecretProvider({ directory }), { ttlMs: 3_600_000 });
    const http = createHttpClient({
      baseUrl: `${wms.server.origin}/api`,
      system: "wms",
      auth: apiKeyHeader("X-Api-Key", rotatingSecret(secrets, "wms-api-key")),
      retry: false,
    });
    expect((await http.get("orders")).status).toBe(200);

    // The key is rotated: the file gets the new key, the upstream accepts only the new one.
    await writeFile(join(directory, "wms-api-key"), "key-2026-11\n");
    wms.state.accepted = "key-2026-11";
    const response = await http.get("orders");
    expect(response.status).toBe(200);
    expect(response.attempts).toBe(2);
    expect((await http.get("orders")).attempts).toBe(1);
    expect(wms.keys()).toEqual(["key-2026-10", "key-2026-10", "key-2026-11", "key-2026-11"]);
  });

  it("without a cache, the file provider sends the rotated key at the next request", async () => {
    const wms = await wmsAccepting("old");
    const directory = await secretsFolder({ token: "old" });
    const http = createHttpClient({
      baseUrl: wms.server.origin,
      system: "wms",
      auth: apiKeyHeader("X-Api-Key", rotatingSecret(createFileSecretProvider({ directory }), "token")),
      retry: false,
    });
    await http.get("a");
    await writeFile(join(directory, "token"), "new");
    wms.state.accepted = "new";
    expect((await http.get("a")).attempts).toBe(1);
    expect(wms.keys()).toEqual(["old", "new"]);
  });

  it("an unchanged secret lets the 401 fail after one re-read, and the error never holds the key", async () => {
    const key = "sk_live_never_in_errors";
    const server = await startLoopbackServer((_request, response) =>
      sendJson(response, 401, { error: "invalid api key" }),
    );
    servers.push(server);
    let reads = 0;
    const source = createEnvSecretProvider({ env: { WMS_TOKEN: key } });
    const counting = {
      get: (name: string, options?: { refresh?: boolean }) => {
        reads++;
        return source.get(name, options);
      },
    };
    const http = createHttpClient({
      baseUrl: server.origin,
      system: "wms",
      auth: staticToken(rotatingSecret(counting, "WMS_TOKEN")),
      retry: false,
    });
    const error = await caught(http.get("orders"));
    expect(error).toBeInstanceOf(AuthError);
    expect(server.requests).toHaveLength(1);
    // authorize, then on 401: current (unchanged), forced refresh, current again.
    expect(reads).toBe(4);
    for (const shown of [
      (error as Error).message,
      JSON.stringify(serializeError(error)),
      inspect(error, { depth: 10 }),
    ]) {
      expect(shown).not.toContain(key);
    }
  });

  it("an env secret changed in the environment is used without a restart", async () => {
    const env: Record<string, string | undefined> = { DISTRO_ERP_PASSWORD: "winter" };
    const server = await startLoopbackServer((request, response) =>
      sendJson(response, 200, { authorization: request.headers.authorization }),
    );
    servers.push(server);
    const password = rotatingSecret(createEnvSecretProvider({ env, prefix: "DISTRO_" }), "ERP_PASSWORD");
    const http = createHttpClient({
      baseUrl: server.origin,
      system: "erp",
      auth: basicAuth("svc", password),
    });
    await http.get("x");
    env.DISTRO_ERP_PASSWORD = "summer";
    await http.get("x");
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      `Basic ${Buffer.from("svc:winter").toString("base64")}`,
      `Basic ${Buffer.from("svc:summer").toString("base64")}`,
    ]);
  });

  it("a missing secret fails the request with SecretNotFoundError naming it; a bad rotated value names the secret", async () => {
    const server = await startLoopbackServer((_request, response) => sendJson(response, 200, {}));
    servers.push(server);
    const env: Record<string, string | undefined> = {};
    const http = createHttpClient({
      baseUrl: server.origin,
      system: "wms",
      auth: staticToken(rotatingSecret(createEnvSecretProvider({ env }), "WMS_TOKEN")),
      retry: false,
    });
    const missing = await caught(http.get("a"));
    expect(missing).toBeInstanceOf(SecretNotFoundError);
    expect((missing as Error).message).toContain("WMS_TOKEN");
    env.WMS_TOKEN = "line\r\nx-injected: 1";
    const invalid = await caught(http.get("a"));
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as Error).message).toContain('"WMS_TOKEN"');
    expect((invalid as Error).message).not.toContain("x-injected");
    expect(server.requests).toHaveLength(0);
  });

  it("takes a Secret where a string was taken", async () => {
    const server = await startLoopbackServer((_request, response) => sendJson(response, 200, {}));
    servers.push(server);
    const http = createHttpClient({
      baseUrl: server.origin,
      system: "wms",
      auth: staticToken(secret("t0k3n")),
    });
    await http.get("a");
    expect(server.requests[0]?.headers.authorization).toBe("Bearer t0k3n");
    expect(() => staticToken(secret(""))).toThrow(ValidationError);
  });
});
