# HAProxy from Debian's package on the local base image: the `cluster`
# profile's TCP load balancer in front of two sealpost nodes.
FROM sealpost/debian:bookworm
LABEL org.sealpost.stage=runtime
RUN apt-get update && apt-get install -y --no-install-recommends haproxy \
    && rm -rf /var/lib/apt/lists/*
COPY deploy/haproxy.cfg /etc/haproxy/haproxy.cfg
USER haproxy
EXPOSE 9300
ENTRYPOINT ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
