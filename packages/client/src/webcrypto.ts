/** Where the SDK finds WebCrypto: the global one (Node >= 20, browsers) unless a caller passes another. */

/** The part of WebCrypto the SDK uses (React Native: pass a polyfill such as react-native-quick-crypto). */
export interface WebCrypto {
  subtle: SubtleCrypto;
  getRandomValues<T extends ArrayBufferView | null>(array: T): T;
}

/** The given implementation, else globalThis.crypto; a clear error when neither exists. */
export function webCrypto(given?: WebCrypto): WebCrypto {
  const found = given ?? (globalThis as { crypto?: WebCrypto }).crypto;
  if (!found?.subtle) {
    throw new Error(
      'WebCrypto (crypto.subtle) is not available: pass `crypto` (React Native: react-native-quick-crypto), or run on Node >= 20 or a browser in a secure context (https or localhost).',
    );
  }
  return found;
}
