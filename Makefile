# Elfin: the only entry points users need. `make run` and `make test` set up what they need.
SHELL := /bin/bash
APT_PACKAGES := qemu-system-x86 musl-tools busybox-static strace
KERNEL := target/x86_64-unknown-none/release/elfin-kernel
ELFIN := target/release/elfin
CARGO ?= cargo

.PHONY: setup build apps run test docs clean bench bench-quick coverage

## setup: install the apt packages and the Rust target the build needs (idempotent)
setup:
	@bash scripts/setup.sh $(APT_PACKAGES)

## build: the host CLI (target/release/elfin) and the kernel
build: setup
	$(CARGO) build --release -p elfin -p elfin-compat
	$(CARGO) build --release -p elfin-kernel --target x86_64-unknown-none

## apps: real applications for the guest, built by images/recipes/ (sqlite3: Debian's source, static)
apps: setup
	@test -x target/apps/sqlite3/sqlite3 || echo "== building sqlite3 from Debian's source package (once, about a minute)"
	@bash images/recipes/sqlite3/build.sh >/dev/null

## run: boot Debian's unmodified busybox in Elfin, one applet per VM
run: build
	@set -f; for cmd in "echo Hello from busybox inside Elfin" "uname -sm" "seq 1 3" "printf %s-%d\n elfin 42" "expr 6 * 7" "basename /usr/share/doc/readme.txt .txt"; do \
		echo "\$$ elfin run /bin/busybox $$cmd"; \
		$(ELFIN) run /bin/busybox $$cmd; \
		echo "(exit status $$?)"; \
	done

## test: host unit tests, then the ABI suite (host Linux vs Elfin); ends with a summary line
test: build apps
	@bash scripts/test.sh

## bench: Elfin vs a Linux guest (same QEMU) vs native; writes docs/bench/ (README.md, results.json, plot.svg)
bench: build apps
	$(CARGO) build --release -p elfin-bench
	target/release/elfin-bench

## bench-quick: a small version of every benchmark (under 2 minutes, no timing asserted), into a temp dir
bench-quick: build
	$(CARGO) build --release -p elfin-bench
	@d=$$(mktemp -d); target/release/elfin-bench --quick --out "$$d"; s=$$?; rm -rf "$$d"; exit $$s

## docs: regenerate docs/syscalls.md and docs/syscalls.json from the syscall table
docs: build
	target/release/elfin-compat --docs

## coverage: syscall coverage of Debian applications against Elfin's table (docs/coverage/);
## needs apt (downloads .debs into target/coverage-cache/) and runs workloads under strace.
## POPCON=path/to/by_inst adds Tsai et al.'s popcon-weighted metrics.
coverage: docs
	@bash scripts/coverage-setup.sh
	$(CARGO) build --release -p elfin-coverage
	target/release/elfin-coverage --table docs/syscalls.json --out docs/coverage $(if $(POPCON),--popcon $(POPCON))

clean:
	$(CARGO) clean
