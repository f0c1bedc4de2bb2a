# syntax=docker/dockerfile:1
# Pome's container image: the static binary of `make release` on distroless,
# as the unprivileged user 65532, with its SQLite data in the volume /data.
#
#   docker build -t pome \
#     --build-arg VERSION="$(git describe --tags --always --dirty)" \
#     --build-arg COMMIT="$(git rev-parse HEAD)" \
#     --build-arg DATE="$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)" .
#   docker run -d -p 8080:8080 -v pome-data:/data pome
#
# docs/production.md has more (settings, TLS, a first user).

# The build runs on the builder's platform and cross-compiles (Pome needs no
# cgo), so a multi-platform build (--platform linux/amd64,linux/arm64) needs
# no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# make release stamps the build the same way as the release binaries; the
# git history is not in the context, hence the build arguments.
RUN make release PLATFORMS="$TARGETOS/$TARGETARCH" DIST=/out VERSION="$VERSION" COMMIT="$COMMIT" DATE="$DATE" \
	&& cp "/out/pome_${VERSION}_${TARGETOS}_${TARGETARCH}" /pome \
	&& mkdir /data

# distroless/static: CA certificates (Let's Encrypt, PostgreSQL and Redis
# over TLS), time zones and an /etc/passwd with nonroot (65532); no shell,
# no package manager, no curl: the health check is pome's own.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /pome /pome
# The volume's directory belongs to the user Pome runs as, so that a fresh
# named volume is writable by it.
COPY --from=build --chown=65532:65532 /data /data
ENV POME_DATA_DIR=/data POME_ADDR=0.0.0.0:8080
USER 65532:65532
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 CMD ["/pome", "healthcheck"]
ENTRYPOINT ["/pome"]
CMD ["serve"]
