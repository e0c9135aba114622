# syntax=docker/dockerfile:1
# One image for every evpaxos process: central, charge-point, ev-emulator, sim, verify.
# The role is the command: `docker run IMAGE central`, `docker run IMAGE charge-point`, …
# (the entrypoint is the `evpaxos` CLI). docker-compose.yml runs the whole demo site.
#
# Stage 1 builds with every dev dependency (TypeScript); stage 2 keeps only what runs:
# the compiled packages and the production dependencies.

ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The same commands CI runs (.ci/run): `npm ci` installs exactly the lock file, and the root
# `prepare` script builds every package (`tsc -b`) as part of it.
COPY . .
RUN npm ci && npm run build
# What a process needs of each package: package.json, the compiled dist/ (without compiled tests)
# and bin/. Sources, tests and TypeScript build state stay behind.
RUN mkdir -p /out/packages \
 && for dir in packages/*/; do \
      name="$(basename "$dir")"; \
      mkdir -p "/out/packages/$name"; \
      cp "$dir/package.json" "/out/packages/$name/"; \
      if [ -d "$dir/dist" ]; then cp -R "$dir/dist" "/out/packages/$name/"; fi; \
      if [ -d "$dir/bin" ]; then cp -R "$dir/bin" "/out/packages/$name/"; fi; \
      rm -rf "/out/packages/$name/dist/test" "/out/packages/$name/dist/bench"; \
    done \
 && find /out/packages -name '*.tsbuildinfo' -delete \
 && test -f /out/packages/cli/dist/src/index.js

FROM ${NODE_IMAGE} AS runtime
# A container binds every interface of its own network namespace; peers reach it by its hostname.
ENV NODE_ENV=production \
    EVPAXOS_LISTEN_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /out/packages/ packages/
# Production dependencies only. --ignore-scripts: the root `prepare` would run `tsc -b`, and
# TypeScript is a dev dependency that is not here; everything is already built in stage 1.
# (msgpackr-extract's install script only looks for its prebuilt binary, shipped in an optional
# package; without it msgpackr falls back to pure JavaScript.)
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir -p /data \
 && chown node:node /data
COPY scripts/docker-healthcheck.mjs scripts/docker-crash.mjs scripts/docker-submit.mjs scripts/docker-cluster.json scripts/
# /data (owned by the unprivileged user) is where a charge point keeps its durable acceptor state:
# docker-compose.yml mounts one named volume there per charge point (EVPAXOS_DATA_DIR=/data).
# No VOLUME instruction: it would give every central an anonymous volume it never uses.
# The official image's unprivileged user (uid 1000).
USER node
# The process's own admin API answers GET /status on its httpPort (found from EVPAXOS_ID and
# EVPAXOS_NODES); a role without an admin API (ev-emulator, sim) is healthy while it runs.
HEALTHCHECK --interval=5s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "scripts/docker-healthcheck.mjs"]
ENTRYPOINT ["node", "packages/cli/bin/evpaxos.js"]
CMD ["--help"]
