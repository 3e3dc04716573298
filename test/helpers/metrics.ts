/** Reading a Prometheus text exposition in tests. */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  /** Family names declared by `# TYPE` lines. */
  readonly families: ReadonlySet<string>;
  readonly samples: readonly Sample[];
}

/** Parses the text format (enough of it for prom-client's output). */
export function parseExposition(text: string): Exposition {
  const families = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) \S+$/.exec(line);
    if (type) {
      families.add(type[1]!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { families, samples };
}

/** Sum of the samples of `name` whose labels include `labels`. */
export function sum(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  return exposition.samples
    .filter(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((total, sample) => total + sample.value, 0);
}

/** The distinct values of one label across the samples of `name`. */
export function labelValues(exposition: Exposition, name: string, label: string): string[] {
  return [
    ...new Set(
      exposition.samples
        .filter((sample) => sample.name === name && sample.labels[label] !== undefined)
        .map((sample) => sample.labels[label]!),
    ),
  ].sort();
}
