# helloscope — see README.md. Every target installs what it needs first.
SWIFT ?= swift
export LC_ALL = C
DEMO_CAPTURES ?= captures/lab/*.pcap
DEMO_EVENTS ?= reports/demo-events.ndjson
DEMO_REPORT ?= reports/demo-report.json

.PHONY: deps demo test build release lab lab-ci bench examples clean

deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

# Release builds link the Swift runtime and Foundation statically: a binary that runs on a machine without a
# Swift toolchain, and calls into the runtime (retain, release, allocation) without going through the PLT.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

# Analyse the bundled lab captures: prints the summary, writes the event log and the report under reports/.
demo: release
	.build/release/helloscope analyze $(DEMO_CAPTURES) --ct captures/lab/pki --events $(DEMO_EVENTS) --report $(DEMO_REPORT)
	@echo "events: $(DEMO_EVENTS)  report: $(DEMO_REPORT)"

# Regenerate the example report under reports/examples (a test checks it is in sync with the code).
examples: build
	.build/debug/helloscope analyze captures/lab/*.pcap --ct captures/lab/pki --report reports/examples/lab-report.json --quiet --fail-on high || test $$? -eq 1
	.build/debug/helloscope analyze captures/lab/firefox-nostaple.pcap captures/lab/openssl-status-staple12.pcap --ct captures/lab/pki/ct-export.json --events reports/examples/firefox-events.ndjson --quiet

# The whole test suite (the same command .ci/run runs): see scripts/test.sh.
test:
	scripts/test.sh

# Regenerate the real-client captures under captures/lab (needs root for network namespaces).
lab:
	lab/run-lab.sh

lab-ci:
	lab/run-lab.sh --no-browsers --out .build-lab/captures

bench: deps
	Benchmarks/run.sh

clean:
	rm -rf .build .build-*
