import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const load = (env: Record<string, string>) => loadConfig(env, false);

function configError(env: Record<string, string>): string {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('operations configuration', () => {
  it('leaves tracing off, /metrics open and shutdown undelayed by default', () => {
    expect(load({})).toMatchObject({ tracing: null, metricsToken: undefined, shutdownDelayMs: 0 });
  });

  it('turns tracing on with an OTLP endpoint, adding the traces path to the base URL', () => {
    expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      exporter: 'otlp',
      endpoint: 'http://collector:4318/v1/traces',
      headers: {},
      serviceName: 'switchyard',
      resourceAttributes: {},
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
  });

  it('uses the traces endpoint as it is, and reads headers, resource and sampler', () => {
    const tracing = load({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example/ingest',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-team=payments, authorization=Bearer%20abc',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=trading',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=edge',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    }).tracing;
    expect(tracing).toMatchObject({
      endpoint: 'https://otel.example/ingest',
      headers: { 'x-team': 'trading', authorization: 'Bearer abc' },
      serviceName: 'edge',
      resourceAttributes: { 'deployment.environment': 'prod' },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
    expect(load({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing?.endpoint).toBe('http://localhost:4318/v1/traces');
  });

  it('keeps tracing off when the SDK is disabled or the exporter is none', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(load({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracing).toBeNull();
    expect(load({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeNull();
  });

  it('names the variable of a bad value, and never quotes a secret one', () => {
    expect(configError({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(
      /OTEL_EXPORTER_OTLP_PROTOCOL: only http\/json is supported/,
    );
    expect(configError({ OTEL_TRACES_SAMPLER: 'sometimes' })).toMatch(/OTEL_TRACES_SAMPLER: must be one of/);
    const short = configError({ METRICS_TOKEN: 'hunter2' });
    expect(short).toMatch(/METRICS_TOKEN: must be 16-512 printable characters/);
    expect(short).not.toContain('hunter2');
    const headers = configError({ OTEL_EXPORTER_OTLP_HEADERS: 'secret-without-equals' });
    expect(headers).toMatch(/OTEL_EXPORTER_OTLP_HEADERS: must be key=value pairs/);
    expect(headers).not.toContain('secret-without-equals');
  });

  it('refuses a shutdown delay that does not fit in the shutdown timeout', () => {
    expect(configError({ SHUTDOWN_DELAY: '5000', SHUTDOWN_TIMEOUT: '5000' })).toMatch(
      /SHUTDOWN_DELAY: must be less than/,
    );
    expect(
      load({ SHUTDOWN_DELAY: '5000', SHUTDOWN_TIMEOUT: '25000', METRICS_TOKEN: 'a'.repeat(32) }),
    ).toMatchObject({
      shutdownDelayMs: 5000,
      metricsToken: 'a'.repeat(32),
    });
  });
});
