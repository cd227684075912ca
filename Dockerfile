# The flow image: the runtime and every flow's code in one esbuild bundle, run as a non-root user.
# Build from the repository root: docker build -t data-flows:$(git rev-parse HEAD) .

FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY contracts ./contracts
COPY flows ./flows
COPY bundling ./bundling
RUN npx tsx bundling/bundle-flows.ts \
 && mkdir -p /sql && cd flows && find . -name '*.sql' -exec cp --parents {} /sql/ \;

# Production dependencies only: what the bundle leaves external (the Snowflake driver) is loaded from here.
FROM node:22-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM node:22-slim
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    TMPDIR=/tmp \
    DATA_FLOWS_SQL_DIR=/app/sql
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules /app/node_modules
COPY --from=build --chown=root:root /src/dist/flows/ /app/
COPY --from=build --chown=root:root /sql/ /app/sql/
# The root filesystem is mounted read-only, so flows write only to /tmp, a task volume. Fargate gives a task volume the
# ownership and mode of the image's directory only when the image declares it a VOLUME; otherwise it is root-owned
# 0755 and the flow's user cannot write to it.
RUN mkdir -p /tmp && chmod 1777 /tmp
VOLUME ["/tmp"]
# A fixed, unprivileged user (the task definition also says 1000:1000).
USER 1000:1000
ENTRYPOINT ["node", "/app/index.js"]
