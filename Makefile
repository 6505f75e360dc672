# helloscope — see README.md. Every target installs what it needs first.
SWIFT ?= swift
DEMO_CAPTURE ?= captures/demo/mixed-clients.pcapng
DEMO_EVENTS ?= reports/demo-events.ndjson

.PHONY: deps demo test build release lab lab-ci bench clean

deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Analyse a bundled capture: prints a summary, writes the event log under reports/.
demo: release
	.build/release/helloscope analyze $(DEMO_CAPTURE) --events $(DEMO_EVENTS)
	@echo "events written to $(DEMO_EVENTS)"
	.build/release/helloscope analyze $(DEMO_CAPTURE)

# The whole test suite (the same command .ci/run runs).
test:
	@scripts/ensure-deps.sh --tests
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Regenerate the real-client captures under captures/lab (needs root for network namespaces).
lab:
	lab/run-lab.sh

lab-ci:
	lab/run-lab.sh --no-browsers --out .build-lab/captures

bench: deps
	Benchmarks/run.sh

clean:
	rm -rf .build .build-*
