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
#   nobody_setup          the passwd/group lines su and trinity need, a
#                         world-writable /tmp and /tmp/trinity
#   trinity_start CALLS OUT
#                         start trinity in the background (see below),
#                         its output to OUT; $! is trinity's pid
#
# Debian's trinity runs on /dev/refstore's ioctls only: ioctl(2) on no
# fds but the files under --victims (/dev/refstore: trinity opens it with
# random flags), no log files, 2 children, CALLS calls in all. It runs as
# nobody through su (trinity's own --dropprivs adds a 10 s countdown); the
# cwd, /tmp/trinity, must be writable by nobody. The subshell, su and sh
# exec, so $! is trinity's pid.
#
# Known limit of this trinity (Debian's 1.9+git20230109): it makes only
# tens of calls a minute here, because its children crash. To pick an
# ioctl's arguments a child asks each ioctl group's fd_test whether the fd
# is its kind, and the socket and perf groups' tests walk their fd
# provider's object list, which is NULL when the provider is disabled or
# failed to start (a core file shows the NULL load in find_ioctl_group).
# The perf provider fails for nobody (perf_event_paranoid) and, when
# allowed (paranoid <= 2), its events on the main process slow it so much
# under TCG that its setup had not finished after 4 minutes. So about one
# call in a hundred survives (the 1% that skip fd_test), and each child
# dies after at most one. It stays as background noise beside
# refstore-fuzz, which is the real ioctl fuzzer.

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

nobody_setup() {
	# su and trinity look up nobody; busybox's guest has no /etc/passwd.
	grep -q '^nobody:' /etc/passwd 2>/dev/null || {
		echo 'root:x:0:0:root:/tmp:/bin/sh' >>/etc/passwd
		echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >>/etc/passwd
		echo 'root:x:0:' >>/etc/group
		echo 'nogroup:x:65534:' >>/etc/group
	}
	chmod 1777 /tmp
	mkdir -p /tmp/trinity
	chmod 0777 /tmp/trinity
}

trinity_start() {
	(cd /tmp/trinity && exec su -s /bin/sh nobody -c "exec trinity --quiet -c ioctl -V /dev/refstore --disable-fds=sockets,pipes,perf,epoll,eventfd,timerfd,testfile,memfd,drm --logging off -C 2 -N $1") >"$2" 2>&1 &
}
