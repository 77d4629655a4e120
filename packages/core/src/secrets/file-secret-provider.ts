import { readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { ValidationError } from "../errors/index";
import type { RetryClock } from "../retry/index";
import { type Secret, secret } from "./secret";
import { SecretNotFoundError } from "./secret-not-found-error";
import type { SecretProvider, SecretValue } from "./secret-provider";
import { createVersionCounter, pollingWatch } from "./versions";

/**
 * Settings of {@link createFileSecretProvider}.
 *
 * @example
 * ```ts
 * const settings: FileSecretProviderSettings = { directory: "/run/secrets", ttlMs: 0 };
 * ```
 */
export interface FileSecretProviderSettings {
  /** The folder holding one file per secret, e.g. `/run/secrets` or a Kubernetes secret volume. */
  directory: string;
  /**
   * Re-read a file at most this often, in milliseconds. By default (0) every `get`
   * checks the file's identity and modification time (one `stat`) and re-reads it when
   * they changed, so a rotation is seen at the next use.
   */
  ttlMs?: number;
  /** Keep trailing line breaks of the file (removed by default: `echo` adds one). */
  keepTrailingNewline?: boolean;
  /** Default poll interval of `watch`, in milliseconds (5 000 by default). */
  watchIntervalMs?: number;
  /** Where the time is read, for `ttlMs` and `loadedAt`; `Date.now` by default. */
  clock?: RetryClock;
}

interface Loaded {
  entry: SecretValue;
  /** Identity and modification time of the file read. */
  stamp: string;
}

/**
 * A {@link SecretProvider} over mounted secret files, as Docker secrets
 * (`/run/secrets/<name>`) and Kubernetes secret volumes lay them out: the secret `name`
 * is the file `<directory>/<name>`, its content the value. Kubernetes rotates a volume
 * by swapping a symbolic link; the file's identity then changes and the next `get` reads
 * the new value, with no restart. `get({ refresh: true })` always reads the file.
 *
 * @param settings - directory, TTL, newline handling, watch interval, clock
 * @returns the provider
 * @throws ValidationError when `directory` is missing or `ttlMs` is not a number of milliseconds
 * @example
 * ```ts
 * import { createFileSecretProvider, rotatingSecret, staticToken } from "@distro/core";
 *
 * const secrets = createFileSecretProvider({ directory: "/var/run/secrets/distro" });
 * const auth = staticToken(rotatingSecret(secrets, "wms-token"));
 * ```
 */
export function createFileSecretProvider(settings: FileSecretProviderSettings): SecretProvider {
  const issues = [];
  if (typeof settings?.directory !== "string" || settings.directory.length === 0) {
    issues.push({ code: "invalid_value", path: ["directory"], message: "Expected a folder path" });
  }
  const ttlMs = settings?.ttlMs ?? 0;
  if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs < 0) {
    issues.push({ code: "invalid_value", path: ["ttlMs"], message: "Expected a number of milliseconds ≥ 0" });
  }
  if (issues.length > 0) throw new ValidationError("File secret provider settings are invalid", issues);
  const directory = resolve(settings.directory);
  const clock = settings.clock ?? { now: () => Date.now() };
  const versionOf = createVersionCounter();
  const loaded = new Map<string, Loaded>();

  const get: SecretProvider["get"] = async (name, options = {}) => {
    const path = pathOf(directory, name);
    const previous = loaded.get(name);
    const now = clock.now();
    if (previous !== undefined && !options.refresh && ttlMs > 0 && now - previous.entry.loadedAt < ttlMs) {
      return previous.entry;
    }
    let stamp: string;
    try {
      const info = await stat(path, { bigint: true });
      if (!info.isFile()) throw new Error("not a regular file");
      stamp = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    } catch (error) {
      throw notFound(name, path, error);
    }
    if (previous !== undefined && !options.refresh && ttlMs === 0 && previous.stamp === stamp) {
      return previous.entry;
    }
    let value: Secret;
    try {
      const text = await readFile(path, "utf8");
      value = secret(settings.keepTrailingNewline ? text : text.replace(/(?:\r?\n)+$/, ""));
    } catch (error) {
      throw notFound(name, path, error);
    }
    if (value.reveal().length === 0) {
      throw new SecretNotFoundError(name, `file ${path} is empty`, { details: { source: "file", path } });
    }
    const entry: SecretValue = {
      name,
      value,
      version: versionOf(name, value),
      source: "file",
      loadedAt: now,
      location: path,
    };
    loaded.set(name, { entry, stamp });
    return entry;
  };
  return { get, watch: pollingWatch(get, settings.watchIntervalMs ?? 5_000) };
}

function pathOf(directory: string, name: unknown): string {
  if (
    typeof name !== "string" ||
    name.length === 0 ||
    name === "." ||
    name === ".." ||
    /[/\\\0]/.test(name) ||
    isAbsolute(name)
  ) {
    throw new ValidationError("Secret name is not a usable file name", [
      {
        code: "invalid_value",
        path: ["name"],
        message: "Expected a file name inside the secrets folder (no '/', '\\', '..' or NUL)",
      },
    ]);
  }
  return join(directory, name);
}

function notFound(name: string, path: string, error: unknown): SecretNotFoundError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new SecretNotFoundError(
    name,
    `file ${path} ${code === "ENOENT" ? "does not exist" : "cannot be read"}`,
    {
      // The cause is a file-system error: it names the path, never the content.
      cause: error,
      details: { source: "file", path, ...(code === undefined ? {} : { errno: code }) },
    },
  );
}
