# Kubeplane build, test and local-cluster entry points. Every target installs what it needs first.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
NODE_FLAGS := --conditions=source --import tsx
# TAP as before, then each file's wall time, slowest first (libs/testing/reporters/file-times.mjs).
TEST_REPORTERS := --test-reporter=tap --test-reporter-destination=stdout --test-reporter=./libs/testing/reporters/file-times.mjs --test-reporter-destination=stdout
BIN := node_modules/.bin
UNIT_TESTS = $(shell find libs services infra/observability infra/deploy -path '*/node_modules' -prune -o -path '*/dist' -prune -o \( -path '*/src/*' -o -path '*/bench/*' \) -name '*.test.ts' -print 2>/dev/null | sort)
INTEGRATION_TESTS = $(shell find libs services infra/observability infra/deploy -path '*/node_modules' -prune -o -path '*/dist' -prune -o -path '*/test/*' -name '*.test.ts' -print 2>/dev/null | sort)
DEBIAN_PACKAGES := etcd-server etcd-client nats-server curl openssl containerd runc containernetworking-plugins docker-registry skopeo busybox-static nftables iproute2 dnsutils prometheus jq systemd nginx-light libnginx-mod-http-lua
# The data-plane benches' peers and load generators (make bench): plain nginx, dnsmasq, dnsperf, ab.
BENCH_DEBIAN_PACKAGES := nginx-light dnsmasq-base dnsperf apache2-utils
APT_STAMP := .local/apt.stamp
NPM_STAMP := node_modules/.package-lock.json

.PHONY: help deps bench-deps generate check-generated build lint test test-unit test-integration bench bench-scheduler bench-hostile bench-scale soak soak-storage up down restore up-ha down-ha status clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

deps: $(APT_STAMP) $(NPM_STAMP) ## install Debian packages (etcd, NATS) and npm dependencies

$(APT_STAMP): Makefile
	@missing=(); for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing+=($$p); done; \
	if (( $${#missing[@]} )); then \
	  echo "installing Debian packages: $${missing[*]}"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends "$${missing[@]}" >/dev/null; \
	fi
	@mkdir -p $(dir $@) && touch $@

$(NPM_STAMP): package.json package-lock.json $(wildcard libs/*/package.json services/*/package.json)
	@# not `npm ci`: the registry lacks the non-Linux optional builds of @bufbuild/buf, which ci insists on
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

bench-deps: deps ## install the benches' peers and load generators (nginx-light, dnsmasq-base, dnsperf, apache2-utils)
	@missing=(); for p in $(BENCH_DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing+=($$p); done; \
	if (( $${#missing[@]} )); then \
	  echo "installing Debian packages: $${missing[*]}"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends "$${missing[@]}" >/dev/null; \
	fi

generate: $(NPM_STAMP) ## regenerate TypeScript from proto/ into libs/api/src/gen (and the CRI subset into services/kubelet/src/gen)
	infra/scripts/generate.sh

check-generated: $(NPM_STAMP) ## fail when generated code (libs/api/src/gen, services/kubelet/src/gen) does not match its protos
	infra/scripts/generate.sh --check

build: $(NPM_STAMP) ## compile every package (tsc -b, project references)
	$(BIN)/tsc -b $(wildcard libs/*/tsconfig.json libs/*/test/tsconfig.json services/*/tsconfig.json infra/observability/tsconfig.json infra/deploy/tsconfig.json infra/soak/tsconfig.json)

lint: build check-generated ## typecheck, eslint, layering rules, generated code current
	$(BIN)/eslint --config infra/eslint.config.js --max-warnings=0 --no-error-on-unmatched-pattern libs services infra/observability infra/deploy infra/soak
	node infra/scripts/check-layering.mjs
	promtool check rules infra/observability/rules/*.yaml >/dev/null

test-unit: deps ## unit tests (beside the code, src/**/*.test.ts)
	node $(NODE_FLAGS) --test $(TEST_REPORTERS) --test-concurrency=2 $(UNIT_TESTS)

test-integration: deps build ## integration tests on real etcd and NATS (test/**/*.test.ts); services run from the built JavaScript
	KP_TEST_FROM_DIST=1 node $(NODE_FLAGS) --test $(TEST_REPORTERS) --test-concurrency=1 $(INTEGRATION_TESTS)

test: deps lint ## everything CI runs: lint (which builds), unit tests (two at a time) and integration tests (one at a time, services from the built JavaScript); both run, either failing fails
	@rc=0; \
	export KP_TEST_FROM_DIST=1; \
	node $(NODE_FLAGS) --test $(TEST_REPORTERS) --test-concurrency=2 $(UNIT_TESTS) || rc=$$?; \
	node $(NODE_FLAGS) --test $(TEST_REPORTERS) --test-concurrency=1 $(INTEGRATION_TESTS) || rc=$$?; \
	exit $$rc

bench: deps bench-deps build ## benchmarks that print figures, data planes beside their peers (KP_BENCH_SCALE multiplies their sizes)
	node $(NODE_FLAGS) services/apiserver/bench/apiserver-bench.ts
	node $(NODE_FLAGS) services/apiserver/bench/write-cost-bench.ts
	node $(NODE_FLAGS) services/apiserver/bench/hostile-manifests-bench.ts
	node $(NODE_FLAGS) services/apiserver/bench/audit-cost-bench.ts
	node $(NODE_FLAGS) services/controller-manager/bench/controller-manager-bench.ts
	node $(NODE_FLAGS) services/scheduler/bench/scheduler-bench.ts
	node $(NODE_FLAGS) services/kube-proxy/bench/kube-proxy-bench.ts
	node $(NODE_FLAGS) services/dns/bench/dns-bench.ts
	node $(NODE_FLAGS) services/ingress-controller/bench/ingress-bench.ts
	node $(NODE_FLAGS) services/kubelet/bench/simulate-bench.ts
	node $(NODE_FLAGS) services/kubelet/bench/pod-startup-bench.ts

bench-hostile: deps build ## 10,000 hostile manifests and patches against a live apiserver: every reply a clear Status, the store unchanged (.local/bench/hostile-manifests.json)
	node $(NODE_FLAGS) services/apiserver/bench/hostile-manifests-bench.ts

bench-scheduler: deps build ## scheduler throughput: N simulated nodes × M pending pods → pods/s, p50/p99 (KP_BENCH_SCALE)
	node $(NODE_FLAGS) services/scheduler/bench/scheduler-bench.ts

bench-scale: deps build ## simulated nodes and pods (default 500 × 15,000; KP_BENCH_SCALE=10: 5,000 × 150,000): API p99 vs Kubernetes' SLOs, RSS (.local/bench/scale.json)
	node $(NODE_FLAGS) infra/soak/src/scale-bench.ts

SOAK_S ?= 600
soak: deps build ## SOAK_S seconds (default 600) of kills and nftables cuts (etcd, NATS, apiserver, scheduler, controller-manager, kubelets) under load with a real node; prints `lost 0` or fails (lost writes, pods run twice, leaks)
	SOAK_S=$(SOAK_S) node $(NODE_FLAGS) infra/soak/src/soak.ts

soak-storage: deps build ## 1,000,000 writes (SOAK_WRITES; stops after SOAK_MAX_S, default 1500) with the compactor on: etcd db size sampled, defragmented, no alarm
	node $(NODE_FLAGS) infra/soak/src/storage-soak.ts

up: deps build ## run the whole local cluster on this host (root): etcd ×3, NATS, registry, 2 containerds, every service, 2 kubelets
	infra/local/up.sh

down: ## stop everything `make up` started and remove its pods, bridges, nft tables, mounts (data kept; infra/local/down.sh --purge removes it)
	infra/local/down.sh

restore: build ## restore the local cluster's etcd from SNAPSHOT=FILE (kpctl backup save): every member, revision bumped by BUMP (default 10000), watch stream reset
	@test -n "$(SNAPSHOT)" || { echo "usage: make restore SNAPSHOT=FILE [BUMP=N]" >&2; exit 2; }
	infra/local/restore.sh "$(SNAPSHOT)" $(BUMP)

up-ha: deps build ## five machines (3 control-plane, 2 workers) as network namespaces on one bridge, deployed from charts/kubeplane (root)
	infra/deploy/ha/up.sh

down-ha: ## stop `make up-ha` and remove its namespaces, bridge, processes, containers, mounts (infra/deploy/ha/down.sh --purge also deletes .local/ha)
	infra/deploy/ha/down.sh

status: ## show what `make up` runs (processes, nodes' bridges)
	infra/local/status.sh

clean: ## remove build output
	rm -rf libs/*/dist services/*/dist .nx .local
