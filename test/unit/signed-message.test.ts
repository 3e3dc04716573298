import { describe, expect, it } from 'vitest';
import { signedMessageOf } from '../../src/signing/request.js';

const request = (headers: Record<string, string>) =>
  new Request('http://10.0.0.5:4000/graphql?op=Place', {
    method: 'POST',
    headers: { host: '10.0.0.5:4000', ...headers },
  });

describe('the request as the client addressed it', () => {
  it('uses Host and the socket scheme when no proxy is trusted, ignoring forwarded headers', () => {
    const message = signedMessageOf(
      request({ 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }),
      0,
    );
    expect(message).toMatchObject({
      method: 'POST',
      scheme: 'http',
      authority: '10.0.0.5:4000',
      path: '/graphql',
      query: 'op=Place',
    });
  });

  it('rebuilds authority and scheme from the proxy behind TRUST_PROXY', () => {
    const message = signedMessageOf(
      request({ 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'https' }),
      1,
    );
    expect(message).toMatchObject({ scheme: 'https', authority: 'api.example.com', path: '/graphql' });
  });

  it('takes the entry set by the outermost trusted proxy, not a client-supplied one', () => {
    const message = signedMessageOf(request({ 'x-forwarded-host': 'spoofed.example, api.example.com' }), 1);
    expect(message.authority).toBe('api.example.com');
  });
});
