/** What every sandbox's start function takes and returns, so tests, demo mode and the bench treat them alike. */
import type { SandboxControl } from './faults.js';

export interface SandboxOptions {
  /** Port of the upstream contract (HTTP or gRPC). @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** gRPC sandboxes only: port of the HTTP admin routes. @default 0 (a free port) */
  adminPort?: number;
}

export interface RunningSandbox {
  readonly name: string;
  /** What the gateway connects to: `http://host:port` for REST, `host:port` for gRPC. */
  readonly target: string;
  /** Base URL of the admin routes, e.g. `http://127.0.0.1:7001/__sandbox`. */
  readonly adminUrl: string;
  /** In-process access to faults and counters. */
  readonly control: SandboxControl;
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
}
