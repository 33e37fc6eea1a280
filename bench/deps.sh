#!/bin/sh
# Install the benchmarks' peers and tools from Debian 12's packages: the
# list and the install logic live in scripts/deps.sh (--bench), beside the
# build and test dependencies. Idempotent; no root rights needed when
# nothing is missing.
exec "$(dirname "$0")/../scripts/deps.sh" --bench
