#!/usr/bin/env bash
# Wine environment for the Windows build's tests (sourced by test.sh). Defines:
#
#   bulkhead_wine_start  exports a private WINEPREFIX and quiet Wine settings, creates the
#                        prefix if needed and starts a persistent wineserver for it. Call it
#                        BEFORE building: gtest_discover_tests runs each test .exe under Wine at
#                        build time.
#   bulkhead_wine_stop   stops that wineserver (wineserver -k). bulkhead_wine_start sets an EXIT
#                        trap that calls it; call it yourself if you replace that trap.
#
# Without a persistent server every `wine` start costs about 3 s (ctest: 0.07-0.3 s per test
# with it). The prefix (about 700 MB, 5-16 s to create) lives in the clone's build/ folder, never
# in a shared cache; it is reused by later runs in this clone and goes away with build/.
#
# Environment:
#   BULKHEAD_WINEPREFIX  prefix to use instead of build/wine (must be owned by the current user)

# shellcheck source=scripts/setup.sh
[[ -n ${BULKHEAD_ROOT:-} ]] || source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

bulkhead_wine_start() {
  local start=$SECONDS
  if ! command -v wine >/dev/null || ! command -v wineserver >/dev/null; then
    bulkhead_log "wine not found (scripts/windows_deps.sh installs it)"
    return 1
  fi
  export WINEPREFIX=${BULKHEAD_WINEPREFIX:-$BULKHEAD_ROOT/build/wine}
  export WINEARCH=win64
  export WINEDEBUG=-all
  # No Mono/Gecko install prompts; a crashing program exits instead of starting winedbg (~1 s).
  export WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d"
  # Nothing for Wine to open windows on.
  unset DISPLAY WAYLAND_DISPLAY
  mkdir -p "$WINEPREFIX"
  # EXIT covers set -e failures; INT/TERM first stop the server, then die as signalled.
  trap bulkhead_wine_stop EXIT
  trap 'bulkhead_wine_stop; trap - INT; kill -INT $$' INT
  trap 'bulkhead_wine_stop; trap - TERM; kill -TERM $$' TERM
  # (Fails when a server for this prefix is already running, e.g. left by a killed run: use it.)
  wineserver -p 2>/dev/null || bulkhead_log "a wineserver for $WINEPREFIX is already running"
  # Creates the prefix on first use, otherwise brings it up to date (quick).
  wineboot -i </dev/null >/dev/null 2>&1 || {
    bulkhead_log "wineboot -i failed for WINEPREFIX=$WINEPREFIX"
    return 1
  }
  bulkhead_log "wine ready: WINEPREFIX=$WINEPREFIX ($((SECONDS - start)) s)"
}

bulkhead_wine_stop() {
  [[ -n ${WINEPREFIX:-} ]] && command -v wineserver >/dev/null || return 0
  wineserver -k 2>/dev/null || true
}
