# Stand-in for python:3.11-slim built from Debian 12's own packages (deploy/container/base-image.sh).
# Debian's python3 is 3.11; python-is-python3 gives the `python` command the official image has.
# local-ca/: CA certificates the build host added to its trust store (may be empty).
ARG DEBIAN_IMAGE=civic146-base/debian:12
FROM ${DEBIAN_IMAGE}
COPY local-ca/ /usr/local/share/ca-certificates/
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python-is-python3 ca-certificates \
    && update-ca-certificates >/dev/null \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
ENV LANG=C.UTF-8
CMD ["python3"]
