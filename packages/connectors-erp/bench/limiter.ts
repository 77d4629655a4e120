/**
 * A small limiter for the bench: at most `concurrency` tasks at once and at most
 * `requests` task starts in any sliding window of `windowMs`. It has the `schedule` shape
 * the adapters take (the `@distro/sync` upstream limiter has it too).
 */
export function createBenchLimiter(settings: { concurrency: number; requests: number; windowMs: number }) {
  const starts: number[] = [];
  const waiting: (() => void)[] = [];
  let running = 0;
  let timer: NodeJS.Timeout | undefined;

  const pump = (): void => {
    const now = Date.now();
    while (starts.length > 0 && (starts[0] as number) <= now - settings.windowMs) starts.shift();
    while (waiting.length > 0 && running < settings.concurrency && starts.length < settings.requests) {
      running += 1;
      starts.push(Date.now());
      (waiting.shift() as () => void)();
    }
    if (waiting.length > 0 && starts.length >= settings.requests && timer === undefined) {
      timer = setTimeout(
        () => {
          timer = undefined;
          pump();
        },
        (starts[0] as number) + settings.windowMs - now,
      );
    }
  };

  return {
    async schedule<T>(task: () => Promise<T>): Promise<T> {
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        pump();
      });
      try {
        return await task();
      } finally {
        running -= 1;
        pump();
      }
    },
  };
}
