/**
 * The schema a change is compared with. By default `schema/schema.graphql` as it is at the merge
 * base with main (what clients run against once main is deployed); on main itself, or without git,
 * the committed file. `--baseline` takes a file, a URL of SDL or introspection JSON, or a GraphQL
 * endpoint (a URL ending in /graphql, introspected).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import {
  buildClientSchema,
  buildSchema,
  type GraphQLSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
} from 'graphql';
import { PUBLIC_SCHEMA_FILE, REPO_ROOT, repoPath } from './paths.js';

/** A baseline schema and where it came from (printed first by schema:check). */
export interface Baseline {
  readonly schema: GraphQLSchema;
  readonly description: string;
  /** False for introspection results, which do not show applied directives such as @requiresScopes. */
  readonly showsAppliedDirectives: boolean;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

function fromSdl(sdl: string, description: string): Baseline {
  // Baselines are printed schemas: directives they use may be defined elsewhere (introspection, older files).
  return { schema: buildSchema(sdl, { assumeValidSDL: true }), description, showsAppliedDirectives: true };
}

/** The committed public schema at a revision, if the file exists there. */
function sdlAt(revision: string): string | undefined {
  return git(['show', `${revision}:${PUBLIC_SCHEMA_FILE}`]);
}

/** The default baseline; undefined when there is none (first print of the schema). */
export function defaultBaseline(): Baseline | undefined {
  const head = git(['rev-parse', 'HEAD']);
  if (head) {
    for (const main of ['main', 'origin/main']) {
      const base = git(['merge-base', 'HEAD', main]);
      if (!base || base === head) continue;
      const sdl = sdlAt(base);
      if (sdl !== undefined)
        return fromSdl(sdl, `${PUBLIC_SCHEMA_FILE} at the merge base with ${main} (${base.slice(0, 10)})`);
    }
    const committed = sdlAt('HEAD');
    if (committed !== undefined)
      return fromSdl(committed, `${PUBLIC_SCHEMA_FILE} as committed at HEAD (${head.slice(0, 10)})`);
  }
  const path = repoPath(PUBLIC_SCHEMA_FILE);
  if (!existsSync(path)) return undefined;
  const why = head ? 'not committed yet' : 'no git history';
  return fromSdl(readFileSync(path, 'utf8'), `${PUBLIC_SCHEMA_FILE} in the working tree (${why})`);
}

/** A baseline named on the command line: a file, a URL of SDL or introspection JSON, or a /graphql endpoint. */
export async function baselineFrom(location: string): Promise<Baseline> {
  if (!/^https?:\/\//.test(location)) return fromSdl(readFileSync(location, 'utf8'), location);
  const endpoint = new URL(location).pathname.endsWith('/graphql');
  const response = await fetch(
    location,
    endpoint
      ? {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ query: getIntrospectionQuery() }),
        }
      : {},
  );
  if (!response.ok) throw new Error(`baseline ${location} answered HTTP ${response.status}`);
  const text = await response.text();
  if (!text.trimStart().startsWith('{')) return fromSdl(text, location);
  const json = JSON.parse(text) as { data?: IntrospectionQuery } & Partial<IntrospectionQuery>;
  const introspection = json.data ?? (json.__schema ? (json as IntrospectionQuery) : undefined);
  if (!introspection) throw new Error(`baseline ${location} is neither SDL nor an introspection result`);
  return {
    schema: buildClientSchema(introspection),
    description: `${location} (introspection: applied directives are not visible, their changes are not compared)`,
    showsAppliedDirectives: false,
  };
}
