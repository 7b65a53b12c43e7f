# Portcullis: `make help` lists the targets.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help
NPM ?= npm

.PHONY: help install build generate lint test test-unit test-integration

help: ## List the targets with what each does
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

node_modules/.install-stamp: package.json package-lock.json */package.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

install: node_modules/.install-stamp ## Install the Node 24 toolchain and dependencies (npm ci)

build: install ## Compile every workspace with tsc --build
	$(NPM) run --silent build

generate: build ## Regenerate the CRD manifests from the zod schemas; copy the RBAC into the chart
	$(NPM) run --silent generate
	cp operator/rbac.yaml charts/portcullis/files/operator-rbac.yaml

lint: install ## eslint (zero warnings) and prettier --check
	$(NPM) run --silent lint

# kube-apiserver, etcd, kubectl and helm: built from their Go modules on first use (minutes),
# then cached in ~/.cache/portcullis; KUBE_APISERVER, ETCD, KUBECTL or HELM override each.
E2E_BINARIES = eval "$$(e2e/scripts/control-plane-binaries.sh all)" && \
  export KUBE_APISERVER ETCD KUBECTL HELM

test: build ## Run every test: unit, PostgreSQL integration, control-plane end-to-end
	scripts/system-deps.sh
	$(E2E_BINARIES) && $(NPM) test --silent

test-unit: install ## Run only the unit tests (no servers)
	$(NPM) run --silent test:unit

test-integration: build ## Run only the tests against a real PostgreSQL
	scripts/system-deps.sh
	$(NPM) run --silent test:integration

.PHONY: e2e
e2e: build ## Run only the end-to-end suite: local kube-apiserver + etcd, operator, Helm chart
	scripts/system-deps.sh
	$(E2E_BINARIES) && $(NPM) run --silent test:e2e

.PHONY: bench
bench: build ## pgbench -S direct vs PgBouncer vs the gate, 3 query modes (BENCH_ARGS=--help)
	scripts/system-deps.sh --bench
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" node bench/dist/src/run-bench.js $(BENCH_ARGS)

.PHONY: demo demo-standalone
demo: build ## The whole system: kube-apiserver + etcd, PostgreSQL, operator, an injected pod's gate, psql
	scripts/system-deps.sh
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" node e2e/dist/src/demo/demo-cluster.js

demo-standalone: build ## Throwaway PostgreSQL, the gate standalone, a psql session as a minted role
	scripts/system-deps.sh
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" node sidecar/dist/scripts/demo-standalone.js

# The image and the kind path need a Docker engine (none runs on the project's CI machines).
# The chart's default image is this repository at the chart's appVersion.
APP_VERSION := $(shell sed -n 's/^appVersion: *//p' charts/portcullis/Chart.yaml | tr -d "\"'")
IMAGE ?= ghcr.io/portcullis-dev/portcullis:$(APP_VERSION)

.PHONY: image image-push kind-e2e
image: ## Build the container image (operator, sidecar, CLI) with Docker: IMAGE=name:tag
	docker build -t $(IMAGE) .

image-push: image ## Push the container image: IMAGE=name:tag
	docker push $(IMAGE)

kind-e2e: install ## The e2e suite on a kind cluster with the image and the Helm chart (needs Docker, kind, helm)
	e2e/kind/run.sh
