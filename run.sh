#!/usr/bin/env bash
# Installs missing Debian packages, builds the `release` preset and runs browser_host with the
# given arguments (none: the demo). Quick when nothing changed. JOBS=N sets build parallelism.
set -euo pipefail
# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/scripts/setup.sh"

# Set-up and build chatter goes to stderr, so browser_host's stdout stays its own.
bulkhead_install_packages >&2
bulkhead_compiler_cache
bulkhead_configure release >&2
bulkhead_build release >&2
exec "$BULKHEAD_ROOT/build/release/browser_host/browser_host" "$@"
