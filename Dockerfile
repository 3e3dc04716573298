# syntax=docker/dockerfile:1
# Switchyard: one image for the gateway and the sandbox upstreams (docker-compose.yml picks the
# command). Checked statically by `npm run compose:check` (deploy/compose-check.ts).

# 1. Build: every dependency, then TypeScript to dist/ (with the SDL, proto and OpenAPI assets).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# package.json's file: dependencies (vendor/README: why), installed as links into the folder.
COPY vendor vendor
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs scripts/copy-assets.mjs
COPY schema schema
COPY sources sources
# src/client re-exports the SDK package's source (packages/client, an npm workspace).
COPY packages/client/src packages/client/src
COPY src src
RUN npm run build

# 2. Production dependencies only.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY vendor vendor
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: compiled code and production dependencies, as the unprivileged `node` user.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=4000
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules node_modules
# What node_modules links to (file: dependencies).
COPY --chown=root:root vendor vendor
COPY --from=build --chown=root:root /app/dist dist
# SQL migrations the gateway applies at start (src/stores/postgres-pool.ts finds them beside dist/).
COPY --chown=root:root migrations migrations
COPY --chown=root:root package.json ./
USER node
EXPOSE 4000
# node:24-slim has no curl: probe with Node's fetch. The process is alive when /healthz answers.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM goes straight to node (exec form): src/main.ts drains in-flight requests, then exits.
CMD ["node", "--max-semi-space-size=64", "dist/src/main.js"]
