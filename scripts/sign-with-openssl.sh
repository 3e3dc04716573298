#!/usr/bin/env bash
# Signs a mutation with openssl and sends it with curl: RFC 9421 (Ed25519) + RFC 9530, the way
# Switchyard verifies mutations. Usage:
#   scripts/sign-with-openssl.sh <api key> <signing key id> <ed25519 private key PEM> [graphql URL] [body]
# The body (a GraphQL-over-HTTP JSON request) defaults to a LIMIT order for acc-1.
set -euo pipefail
API_KEY="$1"; KEYID="$2"; PEM="$3"; URL="${4:-http://localhost:4000/graphql}"
AUTHORITY=$(printf '%s' "$URL" | sed -E 's#^[a-z]+://([^/]+).*#\1#')   # host[:port], as in the URL
REQ_PATH=$(printf '%s' "$URL" | sed -E 's#^[a-z]+://[^/]+##')          # /graphql
BODY="${5:-}"
if [ -z "$BODY" ]; then
  BODY='{"query":"mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status clientOrderId } }","variables":{"i":{"accountId":"acc-1","tokenId":"bitcoin","side":"BUY","type":"LIMIT","quantity":"0.01","limitPrice":"60000","clientOrderId":"curl-'"$(date +%s)"'"}}}'
fi

# 1. Digest of the exact body bytes (RFC 9530).
DIGEST="sha-256=:$(printf '%s' "$BODY" | openssl dgst -sha256 -binary | base64 | tr -d '\n'):"
# 2. Signature parameters: covered components, created (Unix seconds), keyid, a fresh nonce, alg.
PARAMS="(\"@method\" \"@authority\" \"@path\" \"content-digest\" \"content-type\");created=$(date +%s);keyid=\"$KEYID\";nonce=\"$(openssl rand -hex 16)\";alg=\"ed25519\""
# 3. The signature base (RFC 9421 §2.5): one line per component, no trailing newline.
BASE=$(mktemp)
printf '"@method": POST\n"@authority": %s\n"@path": %s\n"content-digest": %s\n"content-type": application/json\n"@signature-params": %s' \
  "$AUTHORITY" "$REQ_PATH" "$DIGEST" "$PARAMS" > "$BASE"
# 4. Sign it with the Ed25519 private key.
SIGNATURE=$(openssl pkeyutl -sign -inkey "$PEM" -rawin -in "$BASE" | base64 | tr -d '\n')
rm -f "$BASE"
# 5. Send: the same body bytes, the key, and the three headers.
curl -s "$URL" -H 'content-type: application/json' -H "x-api-key: $API_KEY" \
  -H "content-digest: $DIGEST" -H "signature-input: sig=$PARAMS" -H "signature: sig=:$SIGNATURE:" \
  --data-binary "$BODY"
echo
