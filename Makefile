# hoist Makefile. `make test` is what CI and the README run.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BENCHTIME ?= 1s
# golangci-lint at the version hack/tools/go.mod pins; go tool builds it
# once into the Go build cache.
GOLANGCI_LINT := $(GO) tool -modfile=hack/tools/go.mod golangci-lint

.PHONY: all e2e bench-convert bench-apply build test test-short test-integration testenv cluster-up cluster-down lint fmt vet golangci-lint verify update-golden bench clean

all: build

## build: the hoist binary in bin/ (static, reproducible)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/hoist ./cmd/hoist

## test: everything: lint, the control-plane and node binaries, then every
## test (unit, golden, CLI, integration against a real API server, and the
## end-to-end tests on the real node in e2e/) with the race detector; the
## tests that need the control plane are built only with -tags integration
test: lint testenv
	$(GO) test -race -tags integration -count=1 -timeout 30m ./...
	$(GO) test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime 30s ./convert/

## test-integration: exactly the tests that need the local control plane:
## the Test functions of the files built only with -tags integration, found
## by hack/integration-tests (go run ./hack/integration-tests -list prints
## them), not the e2e tests on the real node (make e2e)
test-integration: testenv
	$(GO) run ./hack/integration-tests ./... -- -count=1 -timeout 30m

## testenv: build the pinned binaries into .cache/testenv (etcd,
## kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok,
## and for the real node kubelet, kube-proxy, coredns, metrics-server); only
## missing ones are built
testenv:
	hack/testenv.sh >/dev/null

## e2e: only the end-to-end tests on the real node (root)
e2e: testenv
	$(GO) test -count=1 -timeout 30m -v ./e2e/

## cluster-up / cluster-down: a local cluster in .cache/cluster to try hoist;
## REAL_NODE=1 adds the real node (root), where pods really run
cluster-up: testenv
	hack/local-cluster.sh start $(if $(REAL_NODE),--real-node) .cache/cluster
cluster-down:
	hack/local-cluster.sh stop .cache/cluster

## test-short: unit and golden tests only, fast (no -tags integration, so
## no test that needs the control plane is even built)
test-short:
	$(GO) test -short ./...

## lint: gofmt must be clean, go vet quiet (with and without -tags
## integration) and golangci-lint (.golangci.yml) find nothing
lint: fmt vet golangci-lint

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags integration ./...

golangci-lint:
	$(GOLANGCI_LINT) run ./...

## verify: go.mod tidy, gofmt clean, golden files current
verify: lint
	$(GO) mod tidy -diff
	$(GO) test -count=1 ./convert/ ./cmd/hoist/

## update-golden: rewrite golden files, example manifests and the README table
update-golden:
	$(GO) test ./convert/ ./cmd/hoist/ -update

## bench: load and convert generated 100- and 1000-service projects, then
## apply a 1000-service project to the local API server next to kubectl
bench: bench-convert bench-apply

bench-convert:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count 1 ./convert/

bench-apply: testenv
	$(GO) test -tags integration -run '^$$' -bench Apply -benchtime 1x -count 1 -timeout 30m ./apply/

clean:
	rm -rf bin
