# One image for every evpaxos process: central, charge-point, ev-emulator, sim, verify.
# The role is the command: `docker run IMAGE central`, `docker run IMAGE charge-point`, …
# (the entrypoint is the `evpaxos` CLI). docker-compose.yml runs the whole demo site.
#
# No `# syntax=` line on purpose: it makes BuildKit pull a frontend image from Docker Hub, which
# fails offline or behind a registry mirror; the built-in frontend reads this file. The file builds
# the same with DOCKER_BUILDKIT=0 (the classic builder) and =1, from any local base image named by
# NODE_IMAGE (docs/DOCKER.md).
#
# Stage 1 builds with every dev dependency (TypeScript); stage 2 keeps only what runs:
# the compiled packages and the production dependencies. Both stages install dependencies from the
# package manifests alone before the sources arrive, so a change to the sources reuses the cached
# `npm ci` layers (a warm build compiles, it does not download).

ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The manifests: the root's and every workspace's (the test in packages/cli/test/deploy.test.ts
# checks that this list names every packages/*/package.json).
COPY package.json package-lock.json ./
COPY packages/bench/package.json packages/bench/
COPY packages/central-system/package.json packages/central-system/
COPY packages/charge-point/package.json packages/charge-point/
COPY packages/cli/package.json packages/cli/
COPY packages/dashboard/package.json packages/dashboard/
COPY packages/ev-emulator/package.json packages/ev-emulator/
COPY packages/ev-link/package.json packages/ev-link/
COPY packages/ocpp/package.json packages/ocpp/
COPY packages/paxos/package.json packages/paxos/
COPY packages/runtime/package.json packages/runtime/
COPY packages/site/package.json packages/site/
COPY packages/storage/package.json packages/storage/
COPY packages/transport/package.json packages/transport/
COPY packages/wire/package.json packages/wire/
# What CI runs (.ci/run: `npm ci`, whose `prepare` builds): here the install comes first, without
# scripts (nothing to build yet), and the build after the sources.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && mkdir -p /deps/packages \
 && cp package.json package-lock.json /deps/ \
 && for dir in packages/*/; do mkdir -p "/deps/$dir" && cp "$dir/package.json" "/deps/$dir"; done
# What `npm run build` reads: the TypeScript configs, the packages and the bundler script that
# makes the node roles' bundles (packages/cli/dist/bundle; docs/CLUSTER.md, "Memory"). The rest of
# scripts/ and docs/ stay out, so editing them does not recompile.
COPY tsconfig.base.json tsconfig.json ./
COPY scripts/bundle.mjs scripts/
COPY packages/ packages/
RUN npm run build
# What a process needs of each package: package.json, the compiled dist/ (without compiled tests),
# bin/ and static/ (the dashboard's page, served by every central). Sources, tests and TypeScript build state stay behind.
RUN mkdir -p /out/packages \
 && for dir in packages/*/; do \
      name="$(basename "$dir")"; \
      mkdir -p "/out/packages/$name"; \
      cp "$dir/package.json" "/out/packages/$name/"; \
      if [ -d "$dir/dist" ]; then cp -R "$dir/dist" "/out/packages/$name/"; fi; \
      if [ -d "$dir/bin" ]; then cp -R "$dir/bin" "/out/packages/$name/"; fi; \
      if [ -d "$dir/static" ]; then cp -R "$dir/static" "/out/packages/$name/"; fi; \
      rm -rf "/out/packages/$name/dist/test" "/out/packages/$name/dist/bench"; \
    done \
 && find /out/packages -name '*.tsbuildinfo' -delete \
 && test -f /out/packages/cli/dist/src/index.js \
 && test -f /out/packages/cli/dist/bundle/charge-point.js \
 && test -f /out/packages/cli/dist/bundle/central.js \
 && test -f /out/packages/dashboard/static/index.html

FROM ${NODE_IMAGE} AS runtime
# A container binds every interface of its own network namespace; peers reach it by its hostname.
# The memory settings every node gets from the launcher too (docs/CLUSTER.md, "Memory"): glibc's
# allocator gives freed blocks back (MALLOC_*), V8's young generation is 1 MiB semi-spaces, and
# `gc` is exposed so that a node collects its start-up garbage once, 5 s after it is ready.
ENV NODE_ENV=production \
    EVPAXOS_LISTEN_HOST=0.0.0.0 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    MALLOC_TRIM_THRESHOLD_=131072 \
    NODE_OPTIONS="--max-semi-space-size=1 --expose-gc"
WORKDIR /app
# The manifests only (stage 1 collected them), so this layer and the install below stay cached
# while only sources change.
COPY --from=build /deps/ ./
# Production dependencies only. --ignore-scripts: the root `prepare` would run `tsc -b`, and
# TypeScript is a dev dependency that is not here; everything is already built in stage 1.
# (msgpackr-extract's install script only looks for its prebuilt binary, shipped in an optional
# package; without it msgpackr falls back to pure JavaScript.)
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir -p /data \
 && chown node:node /data
COPY --from=build /out/packages/ packages/
COPY scripts/docker-healthcheck.sh scripts/docker-healthcheck.mjs scripts/docker-crash.mjs scripts/docker-submit.mjs scripts/docker-cluster.json scripts/
# /data (owned by the unprivileged user) is where a charge point keeps its durable acceptor state:
# docker-compose.yml mounts one named volume there per charge point (EVPAXOS_DATA_DIR=/data).
# No VOLUME instruction: it would give every central an anonymous volume it never uses.
# The official image's unprivileged user (uid 1000).
USER node
# The process's own admin API answers GET /status on its httpPort (found from EVPAXOS_ID and
# EVPAXOS_NODES); a role without an admin API (ev-emulator, sim) is healthy while it runs.
# Healthy at the first answer; failures count only after 60 s of start and 5 in a row, so a slow
# start on a busy host does not mark a node unhealthy (and hold back the ev-emulator's start).
# In bash, not node: it runs every 3 s in every container (scripts/docker-healthcheck.sh).
HEALTHCHECK --interval=3s --timeout=10s --start-period=60s --retries=5 \
  CMD ["bash", "scripts/docker-healthcheck.sh"]
ENTRYPOINT ["node", "packages/cli/bin/evpaxos.js"]
CMD ["--help"]
