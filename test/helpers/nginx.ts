/**
 * Debian's nginx for e2e tests, running deploy/nginx.conf itself: a copy in which only the
 * upstream `server …;` addresses and the `listen` port are replaced (by local gateways and a free
 * port), plus what an unprivileged run from a temp dir needs — temp paths inside `http {` (marked
 * with {@link ADDED}), and `daemon off`, `pid`, the error log (and `user` when root) on the command
 * line. Nothing the test needs is written into deploy/nginx.conf.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { type Launched, launch, REPO_ROOT } from '../../deploy/launch.js';

/** The nginx binary (Debian's package installs /usr/sbin/nginx). */
export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
export const haveNginx = existsSync(NGINX);

/** The deployed configuration, as docker-compose.yml mounts it. */
export const NGINX_CONF_PATH = join(REPO_ROOT, 'deploy/nginx.conf');

/** Suffix of every line the test adds to the configuration. */
export const ADDED = '# added by the e2e test';

export interface RenderOptions {
  /** Replacements of the upstream servers' addresses, in the file's order. */
  readonly servers: readonly string[];
  /** Replacement of the `listen` port (`127.0.0.1:<port>`). */
  readonly listen: string;
  /** Where nginx keeps its temp files. */
  readonly tempDir: string;
}

const UPSTREAM_OPEN = /^\s*upstream\s+\S+\s*\{\s*$/;
const SERVER_LINE = /^(\s*server\s+)(\S+)((?:\s+[^;\s]+)*;)\s*$/;
const LISTEN_LINE = /^(\s*listen\s+)(\S+)((?:\s+[^;\s]+)*;)\s*$/;
const HTTP_OPEN = /^\s*http\s*\{\s*$/;

/**
 * Renders the configuration for a local run. Throws when the file's shape is not the one expected
 * (one upstream block with `servers.length` servers, one `listen`, one `http {`), so a reshaped
 * deploy/nginx.conf fails the test instead of running some other configuration.
 */
export function renderNginxConf(source: string, { servers, listen, tempDir }: RenderOptions): string {
  const lines = source.split('\n');
  const out: string[] = [];
  let inUpstream = false;
  let serverIndex = 0;
  let listens = 0;
  let https = 0;
  for (const line of lines) {
    if (UPSTREAM_OPEN.test(line)) inUpstream = true;
    else if (inUpstream && /^\s*\}\s*$/.test(line)) inUpstream = false;
    const server = inUpstream ? SERVER_LINE.exec(line) : null;
    const listenLine = LISTEN_LINE.exec(line);
    if (server) {
      const replacement = servers[serverIndex++];
      if (replacement === undefined)
        throw new Error(`deploy/nginx.conf has more than ${servers.length} upstream servers`);
      out.push(`${server[1]}${replacement}${server[3]}`);
    } else if (listenLine) {
      listens++;
      out.push(`${listenLine[1]}${listen}${listenLine[3]}`);
    } else {
      out.push(line);
    }
    if (HTTP_OPEN.test(line)) {
      https++;
      for (const kind of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
        out.push(`  ${kind}_temp_path ${join(tempDir, kind)}; ${ADDED}`);
    }
  }
  if (serverIndex !== servers.length)
    throw new Error(`deploy/nginx.conf has ${serverIndex} upstream servers, expected ${servers.length}`);
  if (listens !== 1) throw new Error(`deploy/nginx.conf has ${listens} listen lines, expected 1`);
  if (https !== 1) throw new Error(`deploy/nginx.conf has ${https} "http {" lines, expected 1`);
  return out.join('\n');
}

/** A running nginx. */
export interface RunningNginx {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly port: number;
  /** The configuration it runs. */
  readonly conf: string;
  readonly process: Launched;
  /** The error log so far (for failure messages). */
  errorLog(): string;
  stop(): Promise<void>;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** Starts nginx on deploy/nginx.conf in front of `upstreamPorts` (127.0.0.1), listening on `port`. */
export async function startNginx(upstreamPorts: readonly number[], port: number): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-nginx-'));
  const conf = renderNginxConf(readFileSync(NGINX_CONF_PATH, 'utf8'), {
    servers: upstreamPorts.map((upstream) => `127.0.0.1:${upstream}`),
    listen: `127.0.0.1:${port}`,
    tempDir: dir,
  });
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  const errorLogPath = join(dir, 'error.log');
  // Main-context directives the file does not set. As root, workers would drop to `nobody`, who
  // cannot write into this private temp dir.
  const globals = [
    'daemon off;',
    `pid ${join(dir, 'nginx.pid')};`,
    ...(process.getuid?.() === 0 ? [`user ${userInfo().username};`] : []),
  ];
  const nginx = launch('nginx', [
    NGINX,
    '-p',
    dir,
    '-c',
    confPath,
    '-e',
    errorLogPath,
    '-g',
    globals.join(' '),
  ]);
  const errorLog = () => (existsSync(errorLogPath) ? readFileSync(errorLogPath, 'utf8') : '');
  const deadline = Date.now() + 10_000;
  while (!(await connects(port))) {
    if (nginx.child.exitCode !== null || Date.now() > deadline) {
      await nginx.stop();
      throw new Error(`nginx did not start on ${port}:\n${nginx.output()}\n${errorLog()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    conf,
    process: nginx,
    errorLog,
    async stop() {
      await nginx.stop(3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
