# binrelay node image. The node binds the admin API and the peer port to 0.0.0.0, so it needs
# both tokens and refuses to start without them (naming the missing one). Pass them through the
# environment, never as flags:
#   docker build -t binrelay .
#   docker run -e BINRELAY_ADMIN_TOKEN=… -e BINRELAY_CLUSTER_TOKEN=… -p 9595:9595 -p 9696:9696 -p 3306:3306 binrelay
# (or --env-file, or a mounted config file: docker run … binrelay start --config /etc/binrelay.yaml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY api ./api
COPY raft ./raft
COPY storage ./storage
COPY test ./test
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# As the CLI's shebang: large buffers go back to the system when freed, a small young generation.
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Runs as the image's unprivileged `node` user (uid 1000), owning only its data dir.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 9595 9696 3306
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/src/cli.js"]
CMD ["start", "--data-dir", "/data", "--admin-addr", "0.0.0.0:9595", "--peer-addr", "0.0.0.0:9696"]
