import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { parseExposition, sum } from '../helpers/metrics.js';

describe('gateway metrics', () => {
  it('keeps each instance in its own registry, never the global one', async () => {
    const a = createMetrics({ processMetrics: false });
    const b = createMetrics({ processMetrics: false });
    a.observeUpstream('market', '/v1/tokens', 'ok', 0.004);
    a.authFailures.inc({ code: 'KEY_EXPIRED', client: 'acme' });
    const first = parseExposition(await a.expose());
    const second = parseExposition(await b.expose());
    expect(sum(first, 'switchyard_upstream_requests_total', { source: 'market', outcome: 'ok' })).toBe(1);
    expect(sum(first, 'switchyard_auth_failures_total', { code: 'KEY_EXPIRED', client: 'acme' })).toBe(1);
    expect(sum(second, 'switchyard_upstream_requests_total')).toBe(0);
    expect(sum(second, 'switchyard_auth_failures_total')).toBe(0);
    expect(await globalRegistry.metrics()).not.toContain('switchyard_');
  });

  it('bounds operation labels: anonymous, invalid, then the first N names, then __other', () => {
    const metrics = createMetrics({ processMetrics: false, maxOperationNames: 2 });
    expect(metrics.operationLabel(undefined)).toBe('__anonymous');
    expect(metrics.operationLabel('')).toBe('__anonymous');
    expect(metrics.operationLabel('drop table')).toBe('__invalid');
    expect(metrics.operationLabel('x'.repeat(101))).toBe('__invalid');
    expect(metrics.operationLabel('Portfolio')).toBe('Portfolio');
    expect(metrics.operationLabel('Token')).toBe('Token');
    expect(metrics.operationLabel('Invented1')).toBe('__other');
    expect(metrics.operationLabel('Portfolio')).toBe('Portfolio');
  });

  it('bounds upstream operations per source', async () => {
    const metrics = createMetrics({ processMetrics: false, maxUpstreamOperations: 1 });
    metrics.observeUpstream('market', '/v1/tokens', 'ok', 0.001);
    metrics.observeUpstream('market', '/v1/tokens/bitcoin', 'ok', 0.001);
    metrics.observeUpstream('signals', '/v1/signals', 'ok', 0.001);
    metrics.countRetry('market', '/v1/other');
    const scraped = parseExposition(await metrics.expose());
    const count = 'switchyard_upstream_request_duration_seconds_count';
    expect(sum(scraped, count, { source: 'market', operation: '/v1/tokens' })).toBe(1);
    expect(sum(scraped, count, { source: 'market', operation: '__other' })).toBe(1);
    expect(sum(scraped, count, { source: 'signals', operation: '/v1/signals' })).toBe(1);
    expect(
      sum(scraped, 'switchyard_upstream_retries_total', { source: 'market', operation: '__other' }),
    ).toBe(1);
  });

  it('reports circuit states as 0 closed, 1 half-open, 2 open', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.setCircuitState('market', 'open');
    metrics.setCircuitState('signals', 'half_open');
    metrics.setCircuitState('portfolio', 'closed');
    const scraped = parseExposition(await metrics.expose());
    const state = (source: string) => sum(scraped, 'switchyard_upstream_circuit_state', { source });
    expect([state('market'), state('signals'), state('portfolio')]).toEqual([2, 1, 0]);
  });

  it('includes the process metrics unless asked not to', async () => {
    expect(parseExposition(await createMetrics().expose()).families).toContain(
      'process_resident_memory_bytes',
    );
    expect(parseExposition(await createMetrics({ processMetrics: false }).expose()).families).not.toContain(
      'process_resident_memory_bytes',
    );
  });
});
