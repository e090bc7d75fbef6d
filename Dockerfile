# syntax=docker/dockerfile:1
# One image for every role: `serve --role all|api|worker|scheduler` picks what the process runs.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install everything, compile, then drop dev dependencies ----------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Manifests alone first, so the dependency layer is reused while only sources change.
# --ignore-scripts: the root `prepare` script runs tsc, and the sources are not here yet.
# None of the dependencies needs its own install script either: native code (chdb, snappy,
# msgpackr-extract) comes prebuilt in per-platform optional packages, which is also why no
# compiler toolchain is installed.
# `npm install`, not `npm ci`: chdb lists one optional native package per platform, and a lock
# written where some of them cannot be fetched lacks those entries, which `npm ci` refuses.
# With the lock present, `npm install` still installs the locked versions.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm install --ignore-scripts --no-audit --no-fund

# bench/ stays out: tsconfig.build.json includes it when present, but the image runs no benchmarks.
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY examples ./examples
# The dashboard: its sources and the esbuild script that bundles them into dist/web.
COPY scripts ./scripts
COPY web ./web
RUN npm run build \
    && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=4000 \
    DATA_DIR=/app/data
WORKDIR /app

# Code stays root-owned and read-only to the service user; only DATA_DIR is writable.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# src/ ships too: the migration runner reads src/store/migrations/*.sql from the package root
# (tsc does not copy .sql files), and the source maps in dist/ point into it.
COPY --from=build /app/src ./src
# GraphiQL opens with the example operations in examples/*.graphql.
COPY --from=build /app/examples ./examples

# DATA_DIR only matters for the embedded engine (no CLICKHOUSE_URL, role `all`); created here so
# a fresh named volume mounted on it inherits the node user's ownership.
RUN mkdir -p /app/data && chown node:node /app/data
USER node

EXPOSE 4000

# node:*-slim has no curl or wget; Node 20's global fetch does the probe.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "bin/cloudtuner.js"]
CMD ["serve", "--role", "all"]
