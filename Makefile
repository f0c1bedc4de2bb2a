# The load benchmark of docs/performance.md: bare net/http against `pome serve`,
# the forged-key flood, and cache-miss latency on SQLite and PostgreSQL.
# Pass flags with ARGS, e.g. make bench ARGS='-rounds 5 -phases http'.
.PHONY: bench test release
bench:
	go run ./cmd/pome-bench $(ARGS)

test:
	bash .ci/run

# Release binaries in $(DIST): pome_<version>_<os>_<arch> for each of
# $(PLATFORMS), static (CGO_ENABLED=0: the SQLite driver is pure Go), stamped
# with the version, commit and commit date (internal/buildinfo), and their
# SHA256SUMS. The date is the commit's, so that the same commit builds the
# same bytes. make release PLATFORMS=linux/amd64 builds one.
VERSION ?= $(shell git describe --tags --always --dirty)
COMMIT ?= $(shell git rev-parse HEAD)
DATE ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
DIST ?= dist
BUILDINFO := github.com/pomehq/pome/internal/buildinfo
LDFLAGS := -s -w -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT) -X $(BUILDINFO).date=$(DATE)

release:
	rm -rf '$(DIST)' && mkdir -p '$(DIST)'
	for p in $(PLATFORMS); do \
		os=$${p%/*} arch=$${p#*/}; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch go build -trimpath -ldflags '$(LDFLAGS)' \
			-o '$(DIST)'/pome_$(VERSION)_$${os}_$${arch} ./cmd/pome || exit 1; \
	done
	cd '$(DIST)' && sha256sum pome_* > SHA256SUMS
