# syntax=docker/dockerfile:1
#
# GENERATED from docker/Dockerfiles/service.Dockerfile for the `chat` service: edit the
# template, then run `python3 scripts/checks/containers/dockerfiles.py --write`.
#
#   docker build -f docker/Dockerfiles/chat.Dockerfile -t chat .

# The executable product (Package.swift) and its default HTTP port (ServiceName.swift).
ARG SERVICE=chat
ARG SERVICE_PORT=8083
# Where the base images come from: Docker Hub by default. CodeBuild passes its ECR pull-through
# cache of ECR Public's copies of the same official images (buildspec.yml,
# PULL_THROUGH_CACHE_PREFIX), which Docker Hub's anonymous pull limit does not reach.
ARG BASE_REGISTRY=docker.io/library

# ---------------------------------------------------------------------------------------------
# Build stage: the Swift toolchain plus the -dev packages of the C libraries the services link.
# ---------------------------------------------------------------------------------------------
FROM ${BASE_REGISTRY}/swift:6.3.1-bookworm AS builder
ARG SERVICE

# Pinning Debian package versions (DL3008) breaks the build each time debian-security replaces
# a version; the base image tag fixes the release (bookworm) and every build gets its fixes.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        pkg-config libpq-dev libmongoc-dev libbson-dev librdkafka-dev libhiredis-dev curl \
 && rm -rf /var/lib/apt/lists/*

# Amazon's RDS CA bundle: the certificates of RDS PostgreSQL and DocumentDB chain to these CAs,
# which ca-certificates does not have. CHAT_POSTGRES_URL's sslrootcert= and CHAT_MONGO_URI's
# tlsCAFile= point at /etc/ssl/certs/rds-global-bundle.pem (docs/operations.md, Secrets).
ARG RDS_CA_BUNDLE_URL=https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
RUN mkdir -p /out/etc/ssl/certs \
 && curl -fsSL --retry 3 -o /out/etc/ssl/certs/rds-global-bundle.pem "${RDS_CA_BUNDLE_URL}" \
 && grep -q "BEGIN CERTIFICATE" /out/etc/ssl/certs/rds-global-bundle.pem

WORKDIR /src

# Dependencies first: this layer is reused as long as Package.swift does not change.
COPY Package.swift ./
RUN --mount=type=cache,id=chat-backend-swiftpm,target=/src/.build,sharing=locked \
    swift package resolve

# The sources (.dockerignore keeps docs, infrastructure and build folders out).
COPY . .

# A cache mount keeps the compiled dependencies between the five image builds; `locked`
# because two SwiftPM builds in one scratch folder corrupt each other. The binary is copied
# out of the mount (it is not part of the image otherwise) and stripped of debug symbols.
RUN --mount=type=cache,id=chat-backend-swiftpm,target=/src/.build,sharing=locked \
    swift build -c release --static-swift-stdlib --product "${SERVICE}" \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/${SERVICE}" "/out/usr/local/bin/${SERVICE}" \
 && strip "/out/usr/local/bin/${SERVICE}" \
 && ln -s "${SERVICE}" /out/usr/local/bin/service

# ---------------------------------------------------------------------------------------------
# Runtime stage: Debian slim plus only the shared libraries the binary loads. The list is
# checked by scripts/checks/containers.sh (ldd of the release binaries, mapped to packages).
# ---------------------------------------------------------------------------------------------
FROM ${BASE_REGISTRY}/debian:bookworm-slim AS runtime
ARG SERVICE
ARG SERVICE_PORT
# Set by the build (buildspec.yml) for the OCI labels; empty for a local build.
ARG REVISION=""
ARG VERSION=""
ARG CREATED=""
ARG SOURCE=""

LABEL org.opencontainers.image.title="${SERVICE}" \
      org.opencontainers.image.description="chat-backend ${SERVICE} service" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"

# libpq5: PostgreSQL; libmongoc-1.0-0, libbson-1.0-0: DocumentDB; librdkafka1: Kafka (MSK);
# libhiredis0.14: Redis Cluster; libstdc++6: the Swift runtime (present through apt, named so
# that the image does not depend on that); ca-certificates: TLS to MSK and S3 (RDS and DocumentDB
# use the RDS bundle copied from the build stage).
# Version pinning: see the build stage (DL3008).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        ca-certificates \
        libpq5 \
        libmongoc-1.0-0 \
        libbson-1.0-0 \
        librdkafka1 \
        libhiredis0.14 \
        libstdc++6 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin chat

COPY --from=builder /out/ /

# A numeric user, so that orchestrators can verify `runAsNonRoot` without reading /etc/passwd.
USER 10001:10001

# MONGOC_DISABLE_SHM: libmongoc's shared-memory counters (read only by mongoc-stat) stay off; a container
# restarted where /dev/shm survives would otherwise find its own pid's old segment.
ENV CHAT_HTTP_HOST=0.0.0.0 \
    CHAT_HTTP_PORT=${SERVICE_PORT} \
    MONGOC_DISABLE_SHM=1
EXPOSE ${SERVICE_PORT}

# Liveness probe on GET /health. The image has no curl or wget (each would add a dozen
# libraries and a TLS stack to every image for one local request); bash, which debian-slim
# ships as an Essential package, speaks enough HTTP/1.1 over its /dev/tcp redirection.
# The same command is used by docker-compose.yml and the ECS task definitions.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${CHAT_HTTP_PORT} && printf 'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 2 line <&3 && [[ $line == \"HTTP/1.\"?\" 200\"* ]]"]

# SIGTERM starts the graceful shutdown of swift-service-lifecycle.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/service"]
