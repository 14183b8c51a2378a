#!/usr/bin/env bash
# Usage: userspace/host/run-hostcheck.sh [--results FILE] TEST [ARGS...] [-- TEST [ARGS...]]...
#
# Runs each host test binary, numbers their "ok"/"not ok" lines into one
# TAP-ish stream, and ends with "N passed, N failed". A binary that exits
# non-zero without reporting a failure (a crash, a sanitizer report at
# exit) counts as one failure. With --results, appends "host PASSED FAILED"
# to FILE, as scripts/check's parts do. Exits non-zero if anything failed.
set -uo pipefail
results=
if [ "${1:-}" = --results ]; then
	results=$2
	shift 2
fi
n=0 pass=0 fail=0
run() {
	local name=$1 out rc line bad=0
	out=$("$@")
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok "*)
			n=$((n + 1)) pass=$((pass + 1))
			echo "ok $n - ${line#* - }" ;;
		"not ok "*)
			n=$((n + 1)) fail=$((fail + 1)) bad=1
			echo "not ok $n - ${line#* - }" ;;
		*) echo "$line" ;;
		esac
	done <<<"$out"
	if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
		n=$((n + 1)) fail=$((fail + 1))
		echo "not ok $n - $(basename "$name") exited with status $rc"
	fi
}
cmd=()
for arg in "$@" --; do
	if [ "$arg" = -- ]; then
		[ ${#cmd[@]} -gt 0 ] && run "${cmd[@]}"
		cmd=()
	else
		cmd+=("$arg")
	fi
done
echo "$pass passed, $fail failed"
if [ -n "$results" ]; then
	mkdir -p "$(dirname "$results")"
	echo "host $pass $fail" >>"$results"
fi
[ "$fail" = 0 ]
