/** A raw reader of an SSE response for sandbox tests: what the wire carries, not what a client parses. */
export interface RawStream {
  readonly status: number;
  readonly headers: Headers;
  /** Everything received so far. */
  text(): string;
  /** Waits until the text received satisfies `done` (rejects after `timeoutMs`, or when the stream ends first). */
  until(done: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with how the stream ended: 'end' (clean) or 'error' (reset). */
  readonly ended: Promise<'end' | 'error'>;
  close(): void;
}

/** GETs `url` and keeps reading its body in the background. */
export async function openRaw(url: string): Promise<RawStream> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
  let received = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const decoder = new TextDecoder();
  let finished = false;
  const ended = (async (): Promise<'end' | 'error'> => {
    try {
      const reader = response.body?.getReader();
      if (!reader) return 'end';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return 'end';
        received += decoder.decode(value, { stream: true });
        wake();
      }
    } catch {
      return 'error';
    } finally {
      finished = true;
      wake();
    }
  })();
  return {
    status: response.status,
    headers: response.headers,
    text: () => received,
    ended,
    until(done, timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (done(received)) {
            cleanup();
            resolve(received);
          } else if (finished) {
            cleanup();
            reject(new Error(`stream ended before the condition; received ${JSON.stringify(received)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`condition not met in ${timeoutMs} ms; received ${JSON.stringify(received)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
}

/** Polls `condition` until it holds (rejects after `timeoutMs`). */
export async function eventually(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The `data` of every event of type `event` in a raw stream, parsed as JSON. */
export function eventData(text: string, event: string): unknown[] {
  return text
    .split('\n\n')
    .filter((block) => block.split('\n').includes(`event: ${event}`))
    .map((block) =>
      JSON.parse(
        block
          .split('\n')
          .find((line) => line.startsWith('data: '))
          ?.slice(6) ?? 'null',
      ),
    );
}
