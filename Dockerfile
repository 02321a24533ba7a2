# binrelay node image (README "Run in Docker": a 3-node recipe).
#   docker build -t binrelay .
# The node binds the admin API and the peer port to 0.0.0.0, so it needs
# - both tokens (it refuses to start without them, naming the missing one), through the
#   environment or --env-file, never as flags;
# - the addresses the other members reach it at: BINRELAY_ADVERTISE_PEER_ADDR and
#   BINRELAY_ADVERTISE_ADMIN_ADDR, or this node's entry in BINRELAY_INITIAL_CLUSTER (the admin
#   address is then that host with port 9595); it refuses to start with nothing to publish.
# The binlog server (port 3306) starts at boot when BINRELAY_BINLOG_SERVER__ADDR=0.0.0.0:3306,
# BINRELAY_BINLOG_SERVER__USER and BINRELAY_BINLOG_SERVER__PASSWORD are set, or later with
# PUT /binlog/server/start {"addr":"0.0.0.0:3306",…} (a restarted node starts it again).
# Another config: docker run … binrelay start --config /etc/binrelay.yaml (a mounted file).

# Build: compiles everything (tests included, as CI does), then drops the dev dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY api ./api
COPY raft ./raft
COPY storage ./storage
COPY test ./test
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

# Runtime: the compiled relay only (dist/src and what it imports), no tests, no sources.
FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# As the CLI's shebang: fixed malloc thresholds and two arenas, a small young generation.
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=2097152 MALLOC_TRIM_THRESHOLD_=4194304
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/api ./dist/api
COPY --from=build /app/dist/raft ./dist/raft
COPY --from=build /app/dist/storage ./dist/storage
# Runs as the image's unprivileged `node` user (uid 1000), owning only its data dir.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 9595 9696 3306
# GET /healthz on the admin port (public: no token needed); 503 once the node failed.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/src/cli.js", "health", "127.0.0.1:9595"]
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/src/cli.js"]
CMD ["start", "--data-dir", "/data", "--admin-addr", "0.0.0.0:9595", "--peer-addr", "0.0.0.0:9696"]
