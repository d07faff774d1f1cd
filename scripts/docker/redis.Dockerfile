# Redis from Debian's package on the locally built base image, run as the
# package's redis user, AOF on, a password always (scripts/docker/redis-entrypoint).
FROM sealpost/debian:bookworm
LABEL org.sealpost.stage=runtime
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data /run/sealpost-secret && chown redis:redis /data
COPY scripts/docker/redis-entrypoint /usr/local/bin/redis-entrypoint
# On PATH before /usr/bin/redis-cli: authenticates with the generated password.
COPY scripts/docker/redis-cli /usr/local/bin/redis-cli
# Profile redis-cluster: the one-shot service that joins the nodes.
COPY scripts/docker/redis-cluster-init /usr/local/bin/redis-cluster-init
VOLUME /data
EXPOSE 6379
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
  CMD redis-cli ping | grep -q PONG
ENTRYPOINT ["redis-entrypoint"]
