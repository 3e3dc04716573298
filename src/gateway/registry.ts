/**
 * Operations over a list of sources (sources/index.ts, or a test's own list): connect each to its
 * upstream, start each sandbox, collect their definitions. Nothing here names a source.
 */
import type { RunningSandbox, SandboxOptions } from '../../sources/sandbox-kit/types.js';
import type { ConnectedSource, ConnectOptions, SourceDefinition, SourceEntry } from './source.js';

/** A list of sources, in composition order. */
export type SourceList = readonly SourceEntry[];

/** A connected source with the entry it came from (its capabilities). */
export interface ConnectedEntry extends ConnectedSource {
  readonly entry: SourceEntry;
}

/** The connected sources, by name, in list order. */
export type ConnectedSources = Readonly<Record<string, ConnectedEntry>>;

/** Every source's SDL and resolvers, in list order, without connecting anything. */
export function sourceDefinitions(list: SourceList): SourceDefinition[] {
  return list.map((entry) => entry.definition);
}

/**
 * Connects every source to its upstream target (`http://…` for REST, `host:port` for gRPC); every
 * upstream reports its calls to `options.observer` (main.ts passes the instance's metrics and tracing).
 */
export function connectSources(
  list: SourceList,
  targets: Readonly<Record<string, string>>,
  options: ConnectOptions,
): ConnectedSources {
  return Object.fromEntries(
    list.map((entry) => {
      const target = targets[entry.name];
      if (target === undefined)
        throw new Error(`no upstream target for source ${entry.name} (${entry.variable})`);
      return [entry.name, { entry, ...entry.connect(target, options) }];
    }),
  );
}

/** Starts every sandbox of the list in-process (demo mode and tests). */
export async function startSandboxes<L extends SourceList>(
  list: L,
  options: SandboxOptions = {},
): Promise<Record<L[number]['name'], RunningSandbox>> {
  const entries = await Promise.all(
    list.map(async (entry) => [entry.name, await (await entry.loadSandbox())(options)] as const),
  );
  return Object.fromEntries(entries) as Record<L[number]['name'], RunningSandbox>;
}

/** The entry of the list offering a capability, if one does (at most one may). */
export function capabilityProvider(
  list: SourceList,
  capability: keyof NonNullable<SourceEntry['capabilities']>,
): SourceEntry | undefined {
  const providers = list.filter((entry) => entry.capabilities?.[capability] !== undefined);
  if (providers.length > 1) {
    throw new Error(`sources ${providers.map((p) => p.name).join(', ')} all offer ${capability}: keep one`);
  }
  return providers[0];
}
