# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for the scripts that run inside vm-run's guest (busybox sh).
# The host copies this file with `scripts/vm-run --add
# scripts/guest/guest-lib.sh`; a guest script sources it:
#
#   . /usr/bin/guest-lib.sh
#
#   ok DESC, notok DESC   print a numbered TAP line; the host counts them
#                         (scripts/results.py tap on vm-run's --output)
#   t CMD [ARGS...]       run CMD: "ok" if it exits 0, else "not ok" and
#                         its "not ok"/"#" lines indented below
#   tap_status            0 if no "not ok" was printed (the guest's exit
#                         status)

tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

notok() {
	tap_n=$((tap_n + 1))
	tap_failed=1
	echo "not ok $tap_n - $*"
}

t() {
	if "$@" >/tmp/t.out 2>&1; then
		ok "$*"
	else
		notok "$*"
		grep -E '^(not ok|#)' /tmp/t.out | head -n 40 | sed 's/^/#   /'
	fi
}

tap_status() {
	[ "$tap_failed" = 0 ]
}
