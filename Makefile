# ampd — build, run a sandbox, test. `make help` lists the targets.
GO       ?= go
BIN      := bin/ampd
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
SERVER   ?= prosody
# The test matrix (internal/serverkind): Prosody 0.12 and ejabberd 23.01 from the host's
# packages, Prosody 13 and ejabberd 24.12 in a Debian 13 root (scripts/install-trixie.sh).
SERVERS  := prosody prosody13 ejabberd ejabberd24

.PHONY: help build run run-smoke smoke-all bench-smoke chaos-smoke test install-servers unit modules-matrix integration fuzz bench lint clean

help: ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/ampd
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ampd

run: build ## install (if missing) and start a sandbox XMPP server on loopback with ampd in front (SERVER=prosody, prosody13, ejabberd or ejabberd24)
	$(GO) run ./internal/sandbox -server $(SERVER) -ampd $(BIN)

run-smoke: build ## start the sandbox, check one AMP notify end to end, stop (same SERVER names)
	$(GO) run ./internal/sandbox -server $(SERVER) -ampd $(BIN) -smoke

smoke-all: build ## run-smoke against every server of the matrix
	set -e; for s in $(SERVERS); do $(GO) run ./internal/sandbox -server $$s -ampd $(BIN) -smoke; done

test: install-servers lint unit modules-matrix integration smoke-all bench-smoke ## every test: vet, gofmt, unit (race), the four servers end to end, smoke runs

test: chaos-smoke

lint: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

install-servers: ## install Prosody, ejabberd and PostgreSQL (for the postgres store's tests) from Debian packages when missing, and the Debian 13 root with the newer Prosody and ejabberd
	bash scripts/install-prosody.sh
	bash scripts/install-ejabberd.sh
	bash scripts/install-postgresql.sh
	bash scripts/install-trixie.sh

unit: ## unit tests with the race detector (the module tests in internal/ start real servers)
	$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v /integration)

modules-matrix: install-servers ## the module tests (internal/prosodytest, internal/ejabberdtest) against Prosody 13 and ejabberd 24.12; `make unit` runs them against the host's versions
	AMPD_TEST_SERVER=prosody13 $(GO) test -race -count=1 -timeout 20m ./internal/prosodytest
	AMPD_TEST_SERVER=ejabberd24 $(GO) test -race -count=1 -timeout 20m ./internal/ejabberdtest

integration: install-servers ## the end-to-end suite against each server of the matrix in turn
	set -e; for s in $(SERVERS); do echo "== integration: $$s"; AMPD_TEST_SERVER=$$s $(GO) test -count=1 -timeout 20m ./integration/...; done

fuzz: ## a short run of every fuzz target (FUZZTIME=10s each)
	bash scripts/fuzz.sh $${FUZZTIME:-10s}

bench: ## Go benchmarks and a short isolated ampbench (numbers go to docs/PERFORMANCE.md)
	$(GO) test -run '^$$' -bench . -benchmem ./amp ./resolver ./xmlstream ./xmlscan ./route
	$(GO) test -run '^$$' -bench BenchmarkDivert -benchtime 200000x ./daemon
	$(GO) test -run '^$$' -bench 'Apply|Resources' -benchmem ./presence
	$(GO) test -run '^$$' -bench Table1M -benchtime 1x ./presence
	$(GO) test -run XXX -bench 'Expiry100k|Recovery' -benchtime 1x ./held
	$(GO) run ./cmd/ampbench -mode isolated -duration 5s

bench-smoke: install-servers ## ampbench isolated (~3 s), end to end on each server (two instances, with and without mod_ampd; plain, floor and ampd, one round: under a minute per Prosody, about a minute per ejabberd with its starts); fails on lost, doubled or refused messages, never on timing
	$(GO) run ./cmd/ampbench -mode isolated -duration 3s
	$(GO) run ./cmd/ampbench -mode e2e -server prosody -duration 3s -rounds 1
	$(GO) run ./cmd/ampbench -mode e2e -server prosody13 -duration 3s -rounds 1
	$(GO) run ./cmd/ampbench -mode e2e -server ejabberd -duration 2s -rounds 1
	$(GO) run ./cmd/ampbench -mode e2e -server ejabberd24 -duration 2s -rounds 1

chaos-smoke: install-servers build ## the chaos soak (cmd/ampchaos, docs/RELIABILITY.md) for 60 s against Prosody 0.12 and 60 s against ejabberd 23.01; stalls up to 16 s, past the 8 s pending timeout
	$(GO) run ./cmd/ampchaos -server prosody -duration 60s -seed 3 -ampd-bin $(BIN)
	$(GO) run ./cmd/ampchaos -server ejabberd -duration 60s -seed 3 -ampd-bin $(BIN)

clean:
	rm -rf bin .sandbox

# Monitoring (contrib/monitoring): promtool unit tests of the alerting rules; the dashboard's
# and the rules' metric names are checked by the Go test of the same directory (make unit).
.PHONY: monitoring-test
test: monitoring-test
monitoring-test: ## promtool check and unit tests of contrib/monitoring/ampd-alerts.yml (installs promtool if missing)
	sh scripts/install-promtool.sh
	cd contrib/monitoring && promtool check rules ampd-alerts.yml && promtool test rules ampd-alerts_test.yml

# The Debian package (cmd/mkdeb, packaging/). Its test installs and removes it on this machine
# and in the Debian 13 root (scripts/install-trixie.sh, made when missing)
# as root; it is part of make unit and runs alone with make deb-test.
.PHONY: deb deb-test
deb: ## build bin/ampd_VERSION_amd64.deb (static binary; nfpm through cmd/mkdeb)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/deb/ampd ./cmd/ampd
	$(GO) run ./cmd/mkdeb -binary bin/deb/ampd -version $(VERSION) -out bin

deb-test: ## build the package, dpkg -i it here, systemd-analyze verify, run its unit against a sandbox Prosody, dpkg -r/-P; then dpkg -i/-r/-P in the Debian 13 root (root)
	$(GO) test -count=1 -timeout 20m -v -run TestDebianPackage ./cmd/mkdeb
