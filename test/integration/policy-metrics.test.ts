import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** Families that the edge policies drive with real traffic (not incremented by hand). */
describe('policy metrics from real traffic', () => {
  let gateway: TestGateway;
  let text = '';
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { RESPONSE_CACHE: 'true', RATE_LIMIT_PLANS: 'free=0.01' } });
    await gateway.graphql('{ token(id: "bitcoin") { symbol } }', {}, { 'x-api-key': 'sy_test_nope' });
    await gateway.graphql('{ token(id: "bitcoin") { symbol } }');
    await gateway.graphql('{ token(id: "bitcoin") { symbol } }');
    await gateway.graphql('mutation { cancelOrder(id: "ord-1") { id } }');
    for (let i = 0; i < 7; i++) await gateway.graphql('{ topTokens(first: 1) { id } }', {}, {});
    const response = await fetch(`${gateway.origin}/metrics`);
    text = await response.text();
  });
  afterAll(async () => {
    await gateway.close();
  });

  const value = (line: RegExp) =>
    Number(
      text
        .split('\n')
        .find((l) => line.test(l))
        ?.split(' ')
        .at(-1) ?? Number.NaN,
    );

  it('counts refused credentials by code', () => {
    expect(value(/^switchyard_auth_failures_total\{code="UNAUTHENTICATED",client="unknown"\}/)).toBe(1);
  });

  it('counts refused signatures by code and client', () => {
    expect(value(/^switchyard_signature_failures_total\{code="SIGNATURE_REQUIRED",client="user-1"\}/)).toBe(
      1,
    );
  });

  it('counts rate-limit refusals by field', () => {
    expect(value(/^switchyard_rate_limit_refusals_total\{field="Query\.topTokens"\}/)).toBe(6); // max 120 × 0.01 = 1 per minute: 6 of 7 refused;
  });

  it('counts response-cache hits and misses', () => {
    expect(value(/^switchyard_response_cache_requests_total\{result="hit"\}/)).toBeGreaterThanOrEqual(1);
    expect(value(/^switchyard_response_cache_requests_total\{result="miss"\}/)).toBeGreaterThanOrEqual(1);
  });

  it('counts requests per API-key version', () => {
    expect(
      value(/^switchyard_api_key_requests_total\{client="user-1",version="1",state="active"\}/),
    ).toBeGreaterThanOrEqual(3);
  });
});
