# syntax=docker/dockerfile:1.7
# One image for the operator, the sidecar and the CLI.

FROM node:24-bookworm-slim AS build
WORKDIR /src
# Manifests first so the dependency layer is cached across source changes.
COPY package.json package-lock.json ./
COPY crds/package.json crds/
COPY testkit/package.json testkit/
COPY sidecar/package.json sidecar/
COPY operator/package.json operator/
COPY e2e/package.json e2e/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY crds crds
COPY testkit testkit
COPY sidecar sidecar
COPY operator operator
COPY e2e e2e
RUN npx tsc --build crds sidecar operator \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -f node_modules/@portcullis/e2e node_modules/@portcullis/testkit \
 && rm -rf sidecar/dist/test sidecar/dist/scripts operator/dist/test \
 && find crds/dist sidecar/dist operator/dist \( -name '*.test.*' -o -name '*.map' \) -delete

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/crds/package.json crds/
COPY --from=build /src/crds/dist crds/dist
COPY --from=build /src/sidecar/package.json sidecar/
COPY --from=build /src/sidecar/bin sidecar/bin
COPY --from=build /src/sidecar/dist sidecar/dist
COPY --from=build /src/operator/package.json operator/
COPY --from=build /src/operator/bin operator/bin
COPY --from=build /src/operator/dist operator/dist
# The entry points by name: portcullis-operator, portcullis-sidecar, portcullis (CLI).
RUN ln -s /app/operator/bin/portcullis-operator.js /usr/local/bin/portcullis-operator \
 && ln -s /app/sidecar/bin/portcullis-sidecar.js /usr/local/bin/portcullis-sidecar \
 && ln -s /app/sidecar/bin/portcullis.js /usr/local/bin/portcullis \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/bin/npm /usr/local/bin/npx
USER 10001:10001
ENTRYPOINT []
CMD ["portcullis", "--help"]
