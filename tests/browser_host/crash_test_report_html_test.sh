#!/usr/bin/env bash
# Renders browser_host's crash-test report in headless Chromium (Debian's
# `chromium`, installed when missing through scripts/setup.sh) and checks that
# the page loaded without errors and shows the matrix and the timelines.
#
#   crash_test_report_html_test.sh BROWSER_HOST WORK_DIR
#
# Exit 0 pass, 1 fail, 77 skipped: only when chromium is missing and cannot be
# installed (no apt, no root and no sudo, ...).
set -uo pipefail
browser_host=$1
work=$2
# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/setup.sh"

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

if ! command -v chromium >/dev/null 2>&1; then
  bulkhead_install_package_list "${BULKHEAD_HTML_TEST_PACKAGES[@]}" </dev/null ||
    bulkhead_log "could not install ${BULKHEAD_HTML_TEST_PACKAGES[*]}"
fi
if ! command -v chromium >/dev/null 2>&1; then
  echo "SKIPPED: chromium is missing and could not be installed" >&2
  exit 77
fi

rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
report=$work/report.html
"$browser_host" crash-test --roles renderer,gpu --faults segv,exit,oom \
  --report "$report" >"$work/crash-test.out" 2>&1 ||
  fail "crash-test failed: $(cat "$work/crash-test.out")"

# Headless, unprivileged-safe flags; every host name unresolvable, so that
# anything the page tried to fetch from the network would fail and be logged.
chromium_flags=(--headless=new --no-sandbox --disable-gpu --no-first-run
  --host-resolver-rules="MAP * ~NOTFOUND" --enable-logging=stderr --v=0)
render() { # FILE: dumps its DOM to $work/dom.html, Chromium's log to $work/log
  timeout 120 chromium "${chromium_flags[@]}" --dump-dom "file://$1" \
    >"$work/dom.html" 2>"$work/log"
}

# The check below must see a broken page: a script error is logged.
printf '<html><body><script>throw new Error("planted")</script></body></html>\n' \
  >"$work/broken.html"
render "$work/broken.html" || fail "chromium failed on the planted page"
grep -q 'Uncaught Error: planted' "$work/log" ||
  fail "chromium's log does not show a planted script error; cannot judge the report"

render "$report" || fail "chromium exited $? on the report: $(tail -5 "$work/log")"
# Any console message (the page has no scripts), uncaught error, or failed
# load in the log is about the page.
if grep -E 'CONSOLE|Uncaught|ERR_|Failed to load|report\.html' "$work/log"; then
  fail "chromium logged the lines above about the report"
fi
dom=$(<"$work/dom.html")
for want in 'id="matrix"' '<th>renderer</th>' '<th>gpu</th>' '<th>segv</th>' \
  'id="case-gpu-exit"' '<svg' 'renderer-1 (victim)'; do
  [[ $dom == *"$want"* ]] || fail "the rendered DOM lacks $want"
done
cells=$(grep -oE '<td class="(pass|skip)"' "$work/dom.html" | wc -l)
((cells == 6)) || fail "expected 6 passed or skipped cells, found $cells"
grep -q '<td class="fail"' "$work/dom.html" && fail "a case failed"

timeout 120 chromium "${chromium_flags[@]}" --hide-scrollbars \
  --window-size=1100,900 --screenshot="$work/report.png" "file://$report" \
  >/dev/null 2>&1 || fail "no screenshot"
[[ -s $work/report.png ]] || fail "empty screenshot"
echo "rendered $report in chromium; screenshot $work/report.png"
