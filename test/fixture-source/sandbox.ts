/** The fixture's upstream: `GET /v1/headlines?tokenIds=a,b` answers two headlines per token. */
import { badRequest, ok, startJsonSandbox } from '../../sources/sandbox-kit/http.js';
import type { RunningSandbox, SandboxOptions } from '../../sources/sandbox-kit/types.js';

export async function startNewsSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  return startJsonSandbox({
    ...options,
    name: 'news',
    routes: [
      {
        route: 'GET /v1/headlines',
        handle: ({ query }) => {
          const ids = query.get('tokenIds')?.split(',') ?? [];
          if (ids.length === 0) return badRequest('tokenIds is required');
          return ok({
            data: ids.flatMap((tokenId) => [
              { tokenId, title: `${tokenId} rallies`, source: 'wire' },
              { tokenId, title: `${tokenId} explained`, source: 'desk' },
            ]),
          });
        },
      },
      { route: 'GET /healthz', handle: () => ok({ ok: true }) },
    ],
  });
}
