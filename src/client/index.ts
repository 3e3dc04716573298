/**
 * The Switchyard client SDK now lives in its own package, `@switchyard/client` (packages/client:
 * WebCrypto signing for Node >= 20, browsers and React Native). This module re-exports it from
 * source, so `switchyard/client` and in-repo importers keep working. `./sign.js` stays as the
 * gateway's own synchronous Node signer (node:crypto, shared signature-base code with the
 * verifier) for tests and benchmarks.
 */
export * from '../../packages/client/src/index.js';
