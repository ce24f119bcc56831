# The two commands a newcomer needs: `make dev` and `make test`.
# Everything else here builds Lambda binaries, seeds demo data and measures.

SHELL       := bash
.SHELLFLAGS := -o pipefail -ec
GO        ?= go
FUNCTIONS := $(notdir $(wildcard functions/*))
GOARCH    ?= arm64
LDFLAGS   := -s -w
BUILDFLAGS := -trimpath -tags lambda.norpc -ldflags "$(LDFLAGS)"

.PHONY: dev test test-short vet build sizes seed clean chaos deps-test deps-web deps-webapp webapp webapp-check webapp-types bench bench-build bench-load bench-webapp screenshots fuzz template openapi openapi-release

## dev: the whole backend on PORT (default 3001) with in-process DynamoDB and S3.
dev: deps-web webapp
	$(GO) run ./cmd/devserver

## test: vet and the whole suite (DynamoDB tests also run on dynalite when CI=true or DYNALITE=1); every response the API tests and the docs' examples receive is checked against api/openapi.json (the count is printed), and the document against the released contract (api/openapi.baseline.json).
test: deps-test deps-web webapp webapp-check vet
	@echo "== store suite, per DynamoDB backend (dynalite runs when CI=true or DYNALITE=1)"
	$(GO) test -count=1 -v ./internal/store | grep -E '^\s*--- (PASS|FAIL|SKIP): Test[^/]*/(minidyn|dynalite) |^(ok|FAIL)'
	@echo "== everything"
	rm -rf build/openapi-tally && mkdir -p build/openapi-tally
	OPENAPI_TALLY=$(CURDIR)/build/openapi-tally $(GO) test -count=1 ./...
	@$(GO) run ./scripts/openapitally build/openapi-tally
	@echo "== breaking changes since the released contract (tools/apicompat, a module of its own)"
	cd tools/apicompat && $(GO) test -count=1 ./...

test-short: vet
	$(GO) test -count=1 -short ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) mod tidy -diff
	cd infra && $(GO) mod tidy -diff
	cd tools/apicompat && $(GO) mod tidy -diff && $(GO) vet ./...
	$(GO) vet ./...

# npm packages the tests need: dynalite (a strict DynamoDB).
deps-test: tools/dynalite/node_modules/.package-lock.json

tools/dynalite/node_modules/.package-lock.json: tools/dynalite/package-lock.json
	npm ci --prefix tools/dynalite --no-audit --no-fund

# The curated package set previews import (web/package-lock.json), with its
# vendor chunks bundled once (npm ci deletes them, so prebuild follows it).
deps-web: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package-lock.json
	npm ci --prefix web --no-audit --no-fund
	$(GO) run ./cmd/prebuild -packages web/node_modules

# The web app at / (docs/webapp.md): its own npm packages (webapp/package-lock.json:
# a markdown renderer, a sanitizer, a highlighter, and the type tools), then its
# bundle, built by esbuild's Go API (cmd/webapp) into internal/webapp/dist, which
# the binaries embed. React comes from the preview packages (web/).
WEBAPP := internal/webapp/dist/index.html

deps-webapp: webapp/node_modules/.package-lock.json

# No install scripts: none of these packages needs one, and swagger-ui-dist's
# dependency @scarf/scarf would report the install to its analytics.
webapp/node_modules/.package-lock.json: webapp/package-lock.json
	npm ci --prefix webapp --no-audit --no-fund --ignore-scripts

## webapp: the web app's bundle (internal/webapp/dist), with each file's size gzipped.
webapp: $(WEBAPP)

$(WEBAPP): web/node_modules/.package-lock.json webapp/node_modules/.package-lock.json $(shell find webapp/src -type f 2>/dev/null) $(wildcard internal/webapp/bundle/*.go) cmd/webapp/main.go
	$(GO) run ./cmd/webapp

## webapp-check: the web app's types: the API's generated from api/openapi.json are current, and `tsc --noEmit` passes.
webapp-check: deps-webapp
	@if [ -f api/openapi.json ]; then \
		cd webapp && npx --no-install openapi-typescript ../api/openapi.json -o /tmp/webapp-schema.$$$$.d.ts >/dev/null && \
		{ cmp -s /tmp/webapp-schema.$$$$.d.ts src/api/schema.d.ts || { rm -f /tmp/webapp-schema.$$$$.d.ts; echo "webapp/src/api/schema.d.ts is stale: run make webapp-types"; exit 1; }; } && rm -f /tmp/webapp-schema.$$$$.d.ts; \
	fi
	cd webapp && npx --no-install tsc --noEmit -p .

## webapp-types: webapp/src/api/schema.d.ts from the API's OpenAPI document.
webapp-types: deps-webapp
	cd webapp && npx --no-install openapi-typescript ../api/openapi.json -o src/api/schema.d.ts

## bench-webapp: the web app's budgets: its JavaScript gzipped, the shell's first paint after navigation, and a streamed chunk's time from its SSE event to the screen, in headless Chromium against a devserver (offline model).
bench-webapp: deps-web webapp
	$(GO) run ./scripts/webappbench

## screenshots: the web app's main screens as PNGs under docs/webapp/, taken in headless Chromium against a devserver (offline model).
screenshots: deps-web webapp
	$(GO) run ./scripts/webappbench -screenshots docs/webapp

## chaos: the chaos test at its heavy level (docs/testing.md): 4 users' turns while DynamoDB, S3, the build Lambda and the model fail at random, then the invariants; CHAOS_SEED=n replays a run, CHAOS_TURNS=n sets the turns per user. make test runs the moderate level.
CHAOS_SEED ?=
chaos: deps-web
	CHAOS=heavy CHAOS_SEED=$(CHAOS_SEED) $(GO) test -count=1 -v -timeout 30m -run '^TestChaos$$' ./internal/chat/ | grep -E 'chaos_test|^(--- |ok|FAIL|PASS)'

## fuzz: every fuzz target of the module (each `func Fuzz...`), one after another, for FUZZTIME each (default 60s); a failure leaves its input in the package's testdata/fuzz and the others still run. Not in `make test` or CI, which run the targets' seeds and saved inputs as tests.
FUZZTIME ?= 60s
fuzz:
	@failed=""; \
	for dir in $$($(GO) list -f '{{.Dir}}' ./...); do \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$dir/*_test.go 2>/dev/null); do \
			echo "== $$target ($${dir#$(CURDIR)/})"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$dir || failed="$$failed $$target"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi

## bench: a turn's time to first token with 10 ms on every AWS call (round trips before the model request and the metadata event, the time of our own around them, each chunk's way on), its DynamoDB units, and a resumed stream's lag; medians, one run.
bench:
	$(GO) test -run '^$$' -bench 'TimeToFirstToken' -benchtime 20x ./internal/chat/
	$(GO) test -run '^$$' -bench 'TurnCapacity' -benchtime 2x ./internal/chat/
	$(GO) test -run '^$$' -bench 'ResumeTail' -benchtime 3x ./internal/chat/

## bench-build: Go builder vs npm esbuild's naive full bundle, same components, same run.
bench-build: deps-web
	node internal/build/esbuild/bench/compare.mjs 10

## bench-load: the devserver (a process of its own, offline model, limits and credits off) under STREAMS concurrent chat streams (default 200), DROP of them cut by the client (default 0.1); time to first text and to the end, CPU per turn, and its CPU profile in build/bench-load.pprof.
STREAMS ?= 200
DROP    ?= 0.1
bench-load:
	@mkdir -p build
	$(GO) run ./scripts/loadbench -streams $(STREAMS) -drop $(DROP) -cpuprofile build/bench-load.pprof

## build: one linux/$(GOARCH) bootstrap per function under build/<name>/.
build: $(addprefix build/,$(addsuffix /bootstrap,$(FUNCTIONS))) build/build/web/node_modules/.package-lock.json

# The build function ships the package set (without dev tools) and its
# prebuilt vendor chunks beside its bootstrap.
build/build/web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	$(call stage_packages,build/build)

build/%/bootstrap: FORCE $(WEBAPP)
	@mkdir -p $(dir $@)
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) $(GO) build $(BUILDFLAGS) -o $@ ./functions/$*

FORCE:

## sizes: the stripped binary size of every function.
sizes: build
	@for f in $(FUNCTIONS); do printf '%-24s %6d KiB\n' $$f $$(( $$(stat -c %s build/$$f/bootstrap) / 1024 )); done

## seed: the Node backend's demo users, written to the local stack (never to AWS).
seed:
	$(GO) run ./cmd/seed

clean:
	rm -rf build

define stage_packages
	rm -rf $(1)/web && mkdir -p $(1)/web
	cp web/package.json web/package-lock.json $(1)/web/
	npm ci --prefix $(1)/web --omit=dev --no-audit --no-fund
	$(GO) run ./cmd/prebuild -packages $(1)/web/node_modules
endef

build-BuildFunction: $(WEBAPP)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(BUILDFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/build
	$(call stage_packages,$(ARTIFACTS_DIR))

# `sam build` (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR.
# A function's logical ID is its directory's name in CamelCase and Function
# (routes.Function.LogicalID: auth-me, AuthMeFunction), so the directory is
# the stem's words in lower case joined by dashes; the build function's
# explicit rule above takes precedence.
build-%Function: $(WEBAPP)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(BUILDFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo '$*' | sed -E 's/([a-z0-9])([A-Z])/\1-\2/g' | tr A-Z a-z)

## openapi: api/openapi.json, the OpenAPI 3.1 document, from the routes table and the handlers' types (a test fails while it is stale).
openapi:
	$(GO) run ./cmd/openapi -o api/openapi.json

## openapi-release: the document becomes the released contract, api/openapi.baseline.json, which later changes must not break unless marked in api/breaking-changes.json (emptied here); run it when the contract ships (docs/api.md, "Breaking changes").
openapi-release: openapi
	cp api/openapi.json api/openapi.baseline.json
	echo '[]' > api/breaking-changes.json

## template: template.yaml, the SAM template, from the routes table and deploy/, and docs/operating.md's tables (metrics, alarms, dashboard) from the same (a test fails while either is stale).
template:
	$(GO) run ./cmd/template -o template.yaml -operating docs/operating.md

# ---- Deploy checks: the CDK app, the real bootstraps as Lambdas, cold starts.

.PHONY: synth lambda-bootstraps test-lambda test-cloud cloud bench-coldstart bench-memory

# The Runtime Interface Emulator, pinned (the module proxy has no tags for it).
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE         := build/tools/rie-$(RIE_VERSION)/aws-lambda-rie
# This machine's architecture, whatever GOARCH the build target uses.
HOSTARCH     = $(shell GOARCH= $(GO) env GOARCH)
LAMBDA_TEST_DIR := build/lambda-test
# jsii (the CDK's Go bridge to Node) warns on every run that Node 20 is past
# its end of life; it works, and the warning would bury the output.
CDK_ENV := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

$(RIE):
	GOBIN=$(CURDIR)/$(dir $@) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

## synth: the CDK app's CloudFormation template and deployable assets in infra/cdk.out/ (after `make build`: the assets are its arm64 binaries).
synth: build
	cd infra && CDK_OUTDIR=cdk.out $(CDK_ENV) $(GO) run .
	@echo "infra/cdk.out/AiCodingAgent.template.json"

## lambda-bootstraps: every function's bootstrap built for this machine, in build/lambda-test/ (up-to-date ones are not relinked).
lambda-bootstraps: $(WEBAPP)
	@echo "== bootstraps for linux/$(HOSTARCH)"
	mkdir -p $(LAMBDA_TEST_DIR)
	CGO_ENABLED=0 GOOS=linux GOARCH=$(HOSTARCH) $(GO) build $(BUILDFLAGS) -o $(LAMBDA_TEST_DIR)/ ./functions/...

## test-lambda: every function's real bootstrap (built for this machine) under the Lambda Runtime Interface Emulator with its events/ file, the chat stream read as it streams (and resumed from another process), and infra's tests (the CDK stack renders deploy's description; both templates follow the resource spec).
test-lambda: deps-web $(RIE) lambda-bootstraps
	@echo "== the bootstraps as Lambdas"
	LAMBDA_BOOTSTRAP_DIR=$(CURDIR)/$(LAMBDA_TEST_DIR) LAMBDA_RIE=$(CURDIR)/$(RIE) $(GO) test -count=1 -v ./internal/devtools/lambdatest
	@echo "== the CDK stack against deploy's description, the templates against the resource spec (infra/, a module of its own)"
	cd infra && $(GO) vet ./... && $(CDK_ENV) $(GO) test -count=1 ./...

# The CDK app's synthesized template (stub code), whose IAM policies
# test-cloud proves every call against, beside template.yaml's; made again
# when the app, the deployment's description or the routes table change.
CDK_TEMPLATE := build/cdk.template.json
$(CDK_TEMPLATE): routes/routes.go $(wildcard deploy/*.go) infra/go.mod infra/go.sum $(shell find infra -name '*.go' -not -name '*_test.go' -not -path '*/cdk.out/*')
	@echo "== the CDK app's template, for the IAM proof"
	@mkdir -p $(dir $@)
	cd infra && $(CDK_ENV) $(GO) run ./cmd/template > $(CURDIR)/$@.tmp
	mv $@.tmp $@

## test-cloud: template.yaml as deployed, on this machine (package localcloud, the real bootstraps), the frontend's scenario through its one URL and every events/ file; every AWS call proved against the IAM policies of template.yaml and of the CDK app.
test-cloud: deps-web lambda-bootstraps $(CDK_TEMPLATE)
	@echo "== the deployed shape"
	LAMBDA_BOOTSTRAP_DIR=$(CURDIR)/$(LAMBDA_TEST_DIR) CDK_TEMPLATE=$(CURDIR)/$(CDK_TEMPLATE) $(GO) test -count=1 -v -run 'TestDeployedShape' ./internal/devtools/localcloud

## cloud: the same stack for interactive use (one URL on :3001, the API on :3002, the stream URL on :3003), until Ctrl-C.
cloud: deps-web lambda-bootstraps
	$(GO) run ./cmd/cloud -bootstraps $(LAMBDA_TEST_DIR)

## bench-coldstart: every function's cold start to its answer to its events/ file under the emulator (median of 10 rounds), against an aws-lambda-go hello world reading one SSM parameter and doing one GetItem, SSM answering after 20 ms; arm64 sizes.
bench-coldstart: deps-web $(RIE)
	$(GO) run ./scripts/coldstart -rie $(RIE) -runs 10

## bench-memory: every function's events/ replay at 128-1769 MB (CPU limited to Lambda's share by a cgroup CFS quota; needs root or a delegated cgroup): duration, peak RSS, cost per million, against the routes table's MemoryMB.
bench-memory: deps-web $(RIE) lambda-bootstraps
	$(GO) run ./scripts/memory -rie $(RIE) -bootstraps $(LAMBDA_TEST_DIR) $(BENCH_MEMORY_FLAGS)
