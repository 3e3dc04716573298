/**
 * PostgreSQL for tests: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), one schema
 * per call (a random name, created here, dropped with CASCADE by `drop`), so test files never see
 * each other's rows. When nothing answers, the caller skips loudly, unless REQUIRE_POSTGRES=1 (CI),
 * where a missing PostgreSQL fails the run.
 */
import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import pg from 'pg';
import { pino } from 'pino';
import { createDatabasePool } from '../../src/stores/postgres-pool.js';

export interface TestPostgres {
  /** A URL whose connections use the schema (search_path in the `options` parameter): for DATABASE_URL. */
  url: string;
  schema: string;
  /** A pool on the schema with the gateway's settings (short timeouts). */
  pool: pg.Pool;
  /** Ends the pool and drops the schema with everything in it. */
  drop(): Promise<void>;
}

export const baseDatabaseUrl = (): string =>
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A URL on the same server with `search_path` set to `schema` for every connection. */
export function urlForSchema(base: string, schema: string): string {
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** A fresh schema on the test PostgreSQL; null when none answers (and REQUIRE_POSTGRES is not set). */
export async function useTestPostgres(): Promise<TestPostgres | null> {
  const base = baseDatabaseUrl();
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
  } catch (err) {
    await admin.end().catch(() => {});
    if (process.env.REQUIRE_POSTGRES === '1')
      throw new Error(`REQUIRE_POSTGRES=1 but no PostgreSQL answers at ${redacted(base)}: ${String(err)}`);
    console.warn(`SKIPPING PostgreSQL tests: nothing answers at ${redacted(base)} (${String(err)})`);
    return null;
  }
  await admin.end();
  const url = urlForSchema(base, schema);
  const pool = createDatabasePool({ url, logger: pino({ level: 'silent' }) });
  return {
    url,
    schema,
    pool,
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** A TCP hop in front of PostgreSQL that a test can cut and restore (the shared server keeps running). */
export interface PostgresOutage {
  /** `base` with the hop's host and port. */
  url(base: string): string;
  /** Closes the listener and every connection through it: PostgreSQL is unreachable (refused). */
  cut(): Promise<void>;
  /** Drops every connection and accepts new ones without ever answering: PostgreSQL hangs. */
  hang(): void;
  /** Accepts again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a hop on a free port forwarding to the server of `base`. */
export async function startPostgresHop(base: string): Promise<PostgresOutage> {
  const target = new URL(base);
  const sockets = new Set<Socket>();
  let hung = false;
  const server = createServer((client) => {
    if (hung) {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => {});
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const cut = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return {
    url(of) {
      const url = new URL(of);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    cut,
    hang() {
      hung = true;
      for (const s of sockets) s.destroy();
    },
    restore: async () => {
      if (hung) {
        hung = false;
        for (const s of sockets) s.destroy();
      } else await listen(port);
    },
    close: async () => {
      if (server.listening) await cut();
    },
  };
}
