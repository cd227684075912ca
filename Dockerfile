# The flow image: the runtime and every flow's code in one esbuild bundle, run as a non-root user.
# Build from the repository root: docker build -t data-flows:$(git rev-parse HEAD) .

FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY flows ./flows
COPY lambdas ./lambdas
COPY scripts ./scripts
RUN npx tsx scripts/bundle-flows.ts

FROM node:22-slim
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    TMPDIR=/tmp
WORKDIR /app
# The bundle is self-contained; production dependencies would only be needed for packages marked external.
COPY --from=build --chown=root:root /src/dist/flows/ /app/
# A fixed, unprivileged user (the task definition also says 1000:1000); the root filesystem is mounted read-only,
# so flows write only to /tmp, a task volume.
USER 1000:1000
ENTRYPOINT ["node", "/app/index.js"]
