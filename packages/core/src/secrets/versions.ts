import type { Secret } from "./secret";
import type { SecretGetOptions, SecretListener, SecretValue, SecretWatchOptions } from "./secret-provider";

/**
 * Numbers the values a provider sees per secret: the version goes up by one each time a
 * read returns a value different from the last one. Values stay in memory only, as
 * {@link Secret}s.
 */
export function createVersionCounter(): (name: string, value: Secret) => string {
  const seen = new Map<string, { value: Secret; version: number }>();
  return (name, value) => {
    const last = seen.get(name);
    if (last?.value.equals(value)) return String(last.version);
    const version = (last?.version ?? 0) + 1;
    seen.set(name, { value, version });
    return String(version);
  };
}

/**
 * A `watch` that polls `get` every `intervalMs` and calls the listener when the version
 * moves. The timer does not keep the process alive.
 */
export function pollingWatch(
  get: (name: string, options?: SecretGetOptions) => Promise<SecretValue>,
  defaultIntervalMs: number,
): (name: string, listener: SecretListener, options?: SecretWatchOptions) => () => void {
  return (name, listener, options = {}) => {
    const intervalMs = options.intervalMs ?? defaultIntervalMs;
    let lastVersion: string | undefined;
    let stopped = false;
    let running = false;
    const poll = async () => {
      if (running || stopped) return;
      running = true;
      try {
        const current = await get(name, { refresh: true });
        if (stopped) return;
        if (lastVersion !== undefined && current.version !== lastVersion) listener(current);
        lastVersion = current.version;
      } catch (error) {
        options.onError?.(error);
      } finally {
        running = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), intervalMs);
    timer.unref?.();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  };
}
