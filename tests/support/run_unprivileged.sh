#!/usr/bin/env bash
# Runs a test binary again as an unprivileged user (nobody), so that the
# sandbox is proven to work without root: unprivileged user namespaces and
# everything built on them.
#   run_unprivileged.sh <test-binary> [gtest flags...]
# Exit 77 (ctest: skipped) when not root (the whole suite is then already
# unprivileged) or setpriv is missing.
set -euo pipefail
binary=$1
shift
if [[ $(id -u) -ne 0 ]]; then
  echo "not root: the suite already runs unprivileged; nothing more to prove"
  exit 77
fi
if ! command -v setpriv >/dev/null; then
  echo "setpriv (util-linux) is missing"
  exit 77
fi
# The build tree may sit under a directory nobody cannot enter: run a copy
# from a directory every user can read. The binary is its own helper.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
cp "$binary" "$dir/"
cd "$dir"
echo "running $(basename "$binary") as nobody"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
  "$dir/$(basename "$binary")" "$@"
