# The load benchmark of docs/performance.md: bare net/http against `pome serve`,
# the forged-key flood, and cache-miss latency on SQLite and PostgreSQL.
# Pass flags with ARGS, e.g. make bench ARGS='-rounds 5 -phases http'.
.PHONY: bench test
bench:
	go run ./cmd/pome-bench $(ARGS)

test:
	bash .ci/run
