# Regent — developer targets. `make help` lists them.
GO        ?= go
BIN       := bin
PKGS      := ./...
TEST_TIMEOUT ?= 40m

NATSCLI_VERSION ?= v0.5.1

.PHONY: screenshots natscli help build test test-short verify bench bench-failover bench-fleet demo lab-up lab-down deps clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-16s %s\n",$$1,$$2}'

build: ## build bin/regent and bin/regent-client
	$(GO) build -o $(BIN)/regent ./cmd/regent
	$(GO) build -o $(BIN)/regent-client ./cmd/regent-client

natscli: ## install the NATS CLI into bin/ (used by tests and docs)
	@test -x $(BIN)/nats || GOBIN=$(CURDIR)/$(BIN) $(GO) install github.com/nats-io/natscli/nats@$(NATSCLI_VERSION)

deps: ## install the system packages the lab and tests need (root, apt)
	bash scripts/install-deps

test: deps natscli ## run every test, lab tests included (needs root), with -race
	$(GO) test -race -count=1 -timeout=$(TEST_TIMEOUT) -p 2 $(PKGS)

test-short: deps natscli ## every test without the race detector (faster; the lab still needs root)
	$(GO) test -count=1 -timeout=$(TEST_TIMEOUT) -p 2 $(PKGS)

verify: ## gofmt, go vet, go mod tidy diff
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@cp go.mod /tmp/regent-go.mod.bak; cp go.sum /tmp/regent-go.sum.bak; \
	 $(GO) mod tidy; \
	 if ! git diff --quiet -- go.mod go.sum; then echo "go mod tidy changes go.mod/go.sum"; git diff -- go.mod go.sum; \
	   cp /tmp/regent-go.mod.bak go.mod; cp /tmp/regent-go.sum.bak go.sum; exit 1; fi

bench: ## micro-benchmarks (benchstat-friendly; the BenchmarkLab* failover runs are bench-failover)
	$(GO) test -run '^$$' -bench '^Benchmark([^L]|L[^a])' -benchmem -count=5 $(PKGS)

RUNS ?= 20
FAULTS ?= SIGKILL|SIGKILLUser5|SIGKILLUser1|Paused|Isolation|ControllersOnly|Graceful|ControllerKill
bench-failover: deps ## failover timing on the lab: RUNS (20) rounds per fault, timed from outside Regent; JSON in bench-results/
	rm -f bench-results/failover-*.json
	RGTBENCH_OUT=$(CURDIR)/bench-results $(GO) test -run '^$$' -bench '^BenchmarkLabFailover($(FAULTS))$$' -benchtime $(RUNS)x -timeout 120m ./cmd/regent
	$(GO) run ./test/lab/failovertable $$(for f in sigkill sigkill-user5 sigkill-user1 paused isolation controllers-only graceful controller-kill; do \
		test -f bench-results/failover-$$f.json && echo bench-results/failover-$$f.json; done)

FLEET_SIZES ?= 3,3,3,3,3,1000,5000,10000
FLEET_NODES ?= 3
bench-fleet: deps ## fleet simulation: FLEET_NODES (3) Regent nodes against FLEET_SIZES simulated MariaDB instances at 1 s polling; prints a table
	FLEET_SIZES=$(FLEET_SIZES) FLEET_NODES=$(FLEET_NODES) $(GO) test -run '^$$' -bench '^BenchmarkLargeFleet$$' -benchtime 1x -timeout 90m ./cmd/regent

screenshots: deps ## regenerate the web interface's screenshots in docs/web/ (headless Chromium)
	$(GO) test -count=1 -run '^TestScreenshots$$' ./api/web -args -screenshots=$(CURDIR)/docs/web

demo: build deps ## the README demo: lab, 3 Regent nodes, discover, topology, failover
	bash scripts/demo

lab-up: ## bring up the MariaDB lab (3 hosts)
	bash scripts/lab up 3

lab-down: ## tear the lab down
	bash scripts/lab down

clean: ## remove build output
	rm -rf $(BIN)
