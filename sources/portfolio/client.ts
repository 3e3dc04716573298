/** Typed client of the portfolio gRPC service; the transport (channel, deadline) is injected. */
import { fileURLToPath } from 'node:url';
import { type GrpcUpstream, loadProto, serviceConstructor } from '../../src/upstream/grpc.js';
import type { UpstreamCallScope } from '../../src/upstream/observer.js';
import {
  type Account,
  type AccountsResponse,
  type BatchGetPortfoliosResponse,
  type BatchGetRequest,
  type ListAccountsRequest,
  type Portfolio,
  toPortfolio,
} from './messages.js';

/** The `switchyard.portfolio.v1.PortfolioService` constructor, for `createGrpcUpstream` and the sandbox. */
export const portfolioService = serviceConstructor(
  loadProto(fileURLToPath(new URL('./portfolio.proto', import.meta.url))),
  'switchyard.portfolio.v1.PortfolioService',
);

/** Per-call options: the request's AbortSignal and id (sent as `x-request-id` metadata). */
export interface PortfolioCallOptions {
  signal?: AbortSignal | undefined;
  requestId?: string | undefined;
  /** The request's telemetry, for metrics, logs and trace propagation. */
  scope?: UpstreamCallScope | undefined;
}

/** The portfolio RPCs, typed. Failures reject with UpstreamError (see src/upstream/grpc.ts). */
export interface PortfolioClient {
  listAccounts(userId: string, options?: PortfolioCallOptions): Promise<Account[]>;
  /** Known accounts among `ids`; unknown ids are absent. */
  batchGetAccounts(ids: readonly string[], options?: PortfolioCallOptions): Promise<Account[]>;
  /** Known portfolios among `ids`; unknown ids are absent. */
  batchGetPortfolios(ids: readonly string[], options?: PortfolioCallOptions): Promise<Portfolio[]>;
  ping(signal: AbortSignal): Promise<void>;
}

/** Creates the typed client over one gRPC upstream built with `portfolioService`. */
export function createPortfolioClient(upstream: GrpcUpstream): PortfolioClient {
  const call = <Res>(
    method: string,
    request: object,
    { signal, requestId, scope }: PortfolioCallOptions = {},
  ) => upstream.unary<Res>(method, request, { signal, scope, requestId });
  return {
    async listAccounts(userId, options) {
      const request: ListAccountsRequest = { userId };
      return (await call<AccountsResponse>('ListAccounts', request, options)).accounts;
    },
    async batchGetAccounts(ids, options) {
      const request: BatchGetRequest = { accountIds: ids };
      return (await call<AccountsResponse>('BatchGetAccounts', request, options)).accounts;
    },
    async batchGetPortfolios(ids, options) {
      const request: BatchGetRequest = { accountIds: ids };
      const response = await call<BatchGetPortfoliosResponse>('BatchGetPortfolios', request, options);
      return response.portfolios.map(toPortfolio);
    },
    async ping(signal) {
      await call('Ping', {}, { signal });
    },
  };
}
