# sealpost-server and the sealpost CLI, built from source on the local
# Debian 12 base image (scripts/docker-base builds it).
FROM sealpost/debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libuv1-dev libhiredis-dev libsodium-dev \
      nlohmann-json3-dev libcli11-dev doctest-dev \
    && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DSEALPOST_TESTS=OFF \
    && cmake --build /build -j"$(nproc)" --target sealpost-server sealpost

FROM sealpost/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
      libuv1 libhiredis0.14 libsodium23 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /data sealpost && mkdir -p /data && chown sealpost /data
COPY --from=build /build/bin/sealpost-server /build/bin/sealpost /usr/local/bin/
USER sealpost
WORKDIR /data
EXPOSE 9300
ENTRYPOINT ["sealpost-server"]
