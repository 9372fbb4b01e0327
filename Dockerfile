# syntax=docker/dockerfile:1
# One image for every process of the queue callback: `qcb run controller` (the default),
# `qcb run worker`, `qcb migrate up`, and the ops commands. docker-compose.yml builds it.
#
#   docker build -t fs-queue-callback .
#   docker run --rm fs-queue-callback --help
#
# Node: the current LTS line (package.json asks for >= 20.11). Override with
# --build-arg NODE_VERSION=22 if needed.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS base
WORKDIR /app
# No update notices or funding messages in build logs.
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

# --- build: all dependencies, compile TypeScript to dist/ -------------------------------------
FROM base AS build
COPY package.json package-lock.json ./
# `npm ci` runs the postinstall script, `patch-package`, which applies patches/*.patch (e.g. the
# reviewed fixes to modesl). The wildcard makes the folder optional: git keeps no empty folder,
# BuildKit accepts a wildcard that matches nothing, and patch-package says "No patch files
# found" and carries on.
COPY patche[s]/ ./patches/
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY controller ./controller
COPY migrations ./migrations
# tsc -p tsconfig.build.json: controller/ and migrations/ to dist/ (bin/qcb.mjs runs
# dist/controller/cli/main.js when it exists; the migrator reads dist/migrations/).
RUN npm run build
# What the runtime image gets: the build, the launcher, package.json ("type": "module" makes
# Node load dist/**/*.js as ES modules) and the non-TypeScript files next to the sources (the
# YAML config examples that QCB_CONFIG may name, SQL, JSON), at the same paths.
RUN mkdir -p /out \
 && cp -R dist bin package.json /out/ \
 && find controller migrations -type f ! -name '*.ts' -exec cp --parents {} /out/ \;

# --- prod-deps: runtime dependencies only, patched ---------------------------------------------
FROM base AS prod-deps
COPY package.json package-lock.json ./
COPY patche[s]/ ./patches/
RUN npm ci --omit=dev && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------
FROM base AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /out/ ./
# The image's unprivileged user (uid 1000). The files above stay root-owned: read-only to it.
USER node
# 8084: FreeSWITCH's outbound socket connects here (controller). 9464: HTTP /health, /ready,
# /metrics when QCB_CONTROLLER_HTTP_PORT / QCB_WORKER_HTTP_PORT say so (docker-compose.yml).
EXPOSE 8084 9464
ENTRYPOINT ["node", "bin/qcb.mjs"]
CMD ["run", "controller"]
