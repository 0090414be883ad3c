# Java 17 runtime from Debian 12's packages: base of the stand-in Kafka and document-server images
# of the container smoke (deploy/container/base-image.sh).
ARG DEBIAN_IMAGE=civic146-base/debian:12
FROM ${DEBIAN_IMAGE}
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
ENV LANG=C.UTF-8
CMD ["bash"]
