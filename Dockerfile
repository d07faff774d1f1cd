# sealpost-server, the sealpost CLI and sealpost-sim, built from source on the
# local Debian 12 base image (scripts/docker-base builds it: no image registry
# is needed, only Debian's package mirror).
#
# The build stage (~800 MB of compilers) is labelled so that it can be removed
# after a build without touching anything else:
#   docker image prune -f --filter label=org.sealpost.stage=build
FROM sealpost/debian:bookworm AS build
LABEL org.sealpost.stage=build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libuv1-dev libhiredis-dev libsodium-dev \
      nlohmann-json3-dev libcli11-dev doctest-dev libedit-dev \
    && rm -rf /var/lib/apt/lists/*
# Only what the build reads: docs, tests or compose edits do not invalidate
# the compile cache, and no local file (.env) can end up in a layer.
COPY CMakeLists.txt /src/
COPY shared /src/shared
COPY crypto /src/crypto
COPY services /src/services
COPY connections /src/connections
COPY server /src/server
COPY client /src/client
COPY examples /src/examples
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release \
      -DSEALPOST_TESTS=OFF -DSEALPOST_BENCH=OFF >/dev/null \
    && cmake --build /build -j"$(nproc)" --target sealpost-server sealpost sealpost-sim

# Runtime: the three binaries and their shared libraries, nothing else.
FROM sealpost/debian:bookworm AS runtime
LABEL org.sealpost.stage=runtime
# Fixed ids: the Redis password file in the shared secret volume is readable
# by group 10001 (see scripts/docker/redis-entrypoint).
RUN apt-get update && apt-get install -y --no-install-recommends \
      libuv1 libhiredis0.14 libsodium23 libedit2 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 sealpost \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin sealpost \
    && mkdir -p /data /clients && chown sealpost:sealpost /data /clients && chmod 0700 /data
COPY --from=build /build/bin/sealpost-server /build/bin/sealpost /build/bin/sealpost-sim /usr/local/bin/
COPY scripts/docker/sealpost-probe /usr/local/bin/sealpost-probe
ENV SEALPOST_LISTEN=0.0.0.0:9300 \
    SEALPOST_METRICS_LISTEN=0.0.0.0:9301 \
    SEALPOST_KEY_FILE=/data/server.key
USER sealpost
WORKDIR /data
# The server key (created 0600 on first start, never replaced) lives here.
VOLUME /data
EXPOSE 9300 9301
# /healthz: the process is alive and its loop answers. Readiness (/readyz:
# Redis reachable, not draining) is for load balancers, not for restarts.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["sealpost-probe", "/healthz"]
ENTRYPOINT ["sealpost-server"]
