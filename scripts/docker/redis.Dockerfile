# Redis from Debian's package on the locally built base image.
FROM sealpost/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/*
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--appendonly", "yes", \
     "--appendfsync", "everysec", "--dir", "/data", "--notify-keyspace-events", "Et"]
