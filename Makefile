# svgtrace — run `make help` for the targets.

GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
WASM_PATH := $(GOROOT)/lib/wasm:$(PATH)
BIN       := bin
OUT       := out
# Extra flags for go test, e.g. make test TESTFLAGS=-v
TESTFLAGS ?=
# How long each fuzz target runs under make fuzz.
FUZZTIME  ?= 60s
# The edge worker's Workers bundle (make edge; git-ignored under out/).
EDGE_OUT  := $(OUT)/edge
# workerd, Cloudflare's runtime, from the pinned npm package in
# wasm/edge/workerd, installed by npm ci into a cache directory named by the
# hash of the pins (make workerd), as svgtrace-bench installs its peers.
WORKERD_PINS  := wasm/edge/workerd/package.json wasm/edge/workerd/package-lock.json wasm/edge/workerd/.npmrc
WORKERD_CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/svgtrace-edge
WORKERD_DIR   := $(WORKERD_CACHE)/npm-$(shell cat $(WORKERD_PINS) 2>/dev/null | sha256sum | cut -c1-16)
WORKERD_PKG   := workerd-linux-$(if $(filter aarch64 arm64,$(shell uname -m)),arm64,64)
WORKERD       := $(WORKERD_DIR)/node_modules/@cloudflare/$(WORKERD_PKG)/bin/workerd

.DEFAULT_GOAL := help
.PHONY: help run demo build wasm edge workerd test test-native test-fma test-wasm deps bench fuzz clean

help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: build ## Serve the API and its trace workers on http://127.0.0.1:8080, data in ./data (docs/api.md).
	$(BIN)/svgtrace serve

demo: build ## Trace the repo's test bitmaps into ./out, and its photos into placeholders in ./out/placeholders.
	$(BIN)/svgtrace trace tracecore/testdata/pbm --out-dir $(OUT)
	$(BIN)/svgtrace trace --preset placeholder tracecore/testdata/images --out-dir $(OUT)/placeholders

wasm: ## Build the WebAssembly modules (+ .gz, .br, wasm_exec.js) into web/dist, which svgtrace serve embeds.
	$(GO) run ./wasm/build -o web/dist

# Standard Go for js/wasm beside syumai/workers' JavaScript glue, from the
# module's pinned version (go run PKG@VERSION would ask for the version
# list, which is refused here). wasm/edge/wrangler.toml deploys the result.
edge: ## Build the Cloudflare Workers bundle of the edge endpoint into out/edge (docs/edge.md).
	$(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o $(EDGE_OUT)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $(EDGE_OUT)/app.wasm ./wasm/edge
	@ls -l $(EDGE_OUT)/app.wasm | awk '{printf "app.wasm: %d bytes, ", $$5}'; gzip -9c $(EDGE_OUT)/app.wasm | wc -c | awk '{print $$1 " gzipped"}'

# npm ci does not run install scripts here, and workerd needs none: the
# binary is in the platform package. Installed into a temporary directory
# and renamed, so an interrupted install is never taken for a finished one.
workerd: deps ## Install workerd (Cloudflare's runtime, for the edge tests and benchmark) into ~/.cache/svgtrace-edge when missing.
	@if [ ! -x "$(WORKERD)" ]; then \
		set -e; mkdir -p "$(WORKERD_CACHE)"; tmp=$$(mktemp -d "$(WORKERD_CACHE)/tmp-XXXXXX"); \
		cp $(WORKERD_PINS) "$$tmp"; \
		echo "npm ci workerd into $(WORKERD_DIR)"; \
		(cd "$$tmp" && npm ci --no-audit --no-fund --loglevel=error); \
		rm -rf "$(WORKERD_DIR)"; mv "$$tmp" "$(WORKERD_DIR)"; \
	fi
	@"$(WORKERD)" --version

build: wasm ## Build the svgtrace and svgtrace-server commands into ./bin, the WebAssembly modules embedded.
	$(GO) build -o $(BIN)/ ./backend/cmd/svgtrace ./backend/cmd/svgtrace-server

test: deps test-native test-fma test-wasm ## Run every test: native, FMA-enabled golden check, js/wasm under Node.

# The edge bundle is built once (make edge) and run under workerd by
# wasm/edge's TestWorkerd, which must run here: SVGTRACE_REQUIRE_TOOLS=1.
test-native: edge workerd
	$(GO) vet ./...
	SVGTRACE_REQUIRE_TOOLS=1 SVGTRACE_EDGE_BUNDLE=$(CURDIR)/$(EDGE_OUT) SVGTRACE_WORKERD=$(WORKERD) $(GO) test $(TESTFLAGS) ./...

# The goldens again, built for x86-64-v3 where the compiler fuses
# multiply-adds: the SVG must not change. Skipped on CPUs without FMA.
test-fma:
	@if [ "$$($(GO) env GOARCH)" = amd64 ] && grep -qw fma /proc/cpuinfo && grep -qw avx2 /proc/cpuinfo; then \
		echo "GOAMD64=v3 $(GO) test -run Golden ./tracecore"; \
		GOAMD64=v3 $(GO) test $(TESTFLAGS) -run Golden ./tracecore; \
	else echo "test-fma: skipped (not an x86-64-v3 CPU)"; fi

# tracecore compiled to js/wasm, run by Node: the same tests, the same goldens.
test-wasm:
	PATH="$(WASM_PATH)" GOOS=js GOARCH=wasm $(GO) test $(TESTFLAGS) ./tracecore/... ./wasm/browser/... ./wasm/full/...

# npm installs the ws package the WebSocket interop test runs
# (tests/ws-interop); Debian's nodejs package has no npm.
deps: ## Install what the tests need when missing (Debian: potrace, librsvg2-bin, nodejs, npm, brotli, chromium).
	@missing=""; \
	command -v potrace >/dev/null || missing="$$missing potrace"; \
	command -v rsvg-convert >/dev/null || missing="$$missing librsvg2-bin"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v brotli >/dev/null || missing="$$missing brotli"; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		echo "installing:$$missing"; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi

# The harness installs node-potrace and image-trace-loader itself, with npm
# (installed by deps), from backend/cmd/svgtrace-bench/peers/package-lock.json
# into a cache directory.
bench: deps workerd ## Benchmark against potrace, node-potrace and image-trace-loader, wasm against native, the backend and the edge worker; writes docs/benchmarks.md.
	SVGTRACE_WORKERD=$(WORKERD) $(GO) run ./backend/cmd/svgtrace-bench -o docs/benchmarks.md

fuzz: ## Run each fuzz target for FUZZTIME (default 60s).
	$(GO) test -run '^$$' -fuzz '^FuzzReadPBM$$' -fuzztime $(FUZZTIME) ./tracecore
	$(GO) test -run '^$$' -fuzz '^FuzzTrace$$' -fuzztime $(FUZZTIME) ./tracecore
	$(GO) test -run '^$$' -fuzz '^FuzzPrepare$$' -fuzztime $(FUZZTIME) ./tracecore
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./tracecore/imageio
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeTrace$$' -fuzztime $(FUZZTIME) ./tracecore/imageio
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./tracecore/imageio/internal/jpegscaled
	$(GO) test -run '^$$' -fuzz '^FuzzOptions$$' -fuzztime $(FUZZTIME) ./backend/server
	$(GO) test -run '^$$' -fuzz '^FuzzSanitize$$' -fuzztime $(FUZZTIME) ./backend/clientsvg
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./backend/hub

clean: ## Remove build output.
	rm -rf $(BIN) $(OUT)
