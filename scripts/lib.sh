# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# scripts/lib.sh - helpers shared by refstore's scripts.  Source it:
#
#   . "$(dirname "$0")/lib.sh"
#
# Functions (all print their answer on stdout, fail with a message on stderr):
#   rs_top                      repo top directory
#   rs_cache_dir                ${XDG_CACHE_HOME:-$HOME/.cache}/refstore (created)
#   rs_kernel_image K           bzImage/vmlinuz for K in 6.1, 6.12, debug, or a
#                               debug kernel variant (kcsan)
#   rs_kernel_kdir K            build tree usable as KDIR for K
#   rs_kernel_source_tarball    Debian's linux-source-6.1 tarball
#   rs_kernel_source_version    Debian package version of that tarball
#   rs_extract_from_source P... extract paths P (relative to the kernel tree)
#                               once into the cache; print the tree's root
#   rs_debug_kernel_dir         cache dir of the debug kernel (may not be built)
#   rs_kernel_variant_fragment V  scripts/debug-kernel-V.config (V: kcsan), or fail
#   rs_kernel_variant_cache V   <cache>/V, the variant's own cache dir (created)
#   rs_kernel_variant_dir V     build dir of debug kernel variant V (may not be built)
#   rs_merge_fragments BASE OVER  BASE without the symbols OVER sets, then OVER
#   rs_trinity_cmd CALLS        the guest command line running trinity on
#                               /dev/refstore's ioctls only, CALLS calls
#   rs_die MSG                  print "<prog>: MSG" on stderr and exit 1

RS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RS_SOURCE_PKG=linux-source-6.1
RS_SOURCE_TARBALL=/usr/src/linux-source-6.1.tar.xz

rs_die() {
	printf '%s: %s\n' "$(basename "$0")" "$*" >&2
	exit 1
}

rs_top() {
	(cd "$RS_LIB_DIR/.." && pwd)
}

rs_cache_dir() {
	local d="${XDG_CACHE_HOME:-$HOME/.cache}/refstore"

	mkdir -p "$d"
	printf '%s\n' "$d"
}

# Print the last of the given paths in version order, or fail.
rs__newest() {
	local what="$1"
	shift
	local newest

	newest=$(printf '%s\n' "$@" | grep -v '[*]' | sort -V | tail -n 1)
	if [ -z "$newest" ] || [ ! -e "$newest" ]; then
		rs_die "no $what found (run scripts/install-deps)"
	fi
	printf '%s\n' "$newest"
}

rs_kernel_source_tarball() {
	[ -f "$RS_SOURCE_TARBALL" ] ||
		rs_die "$RS_SOURCE_TARBALL missing (run scripts/install-deps)"
	printf '%s\n' "$RS_SOURCE_TARBALL"
}

rs_kernel_source_version() {
	local v

	v=$(dpkg-query -W -f='${Version}' "$RS_SOURCE_PKG" 2>/dev/null) ||
		rs_die "$RS_SOURCE_PKG not installed (run scripts/install-deps)"
	printf '%s\n' "$v"
}

# scripts/build-debug-kernel without its variant-only blocks (from a
# "# >>> variants" line to a "# <<< variants" line): what the default debug
# kernel's key hashes, so that adding or changing a variant does not
# rebuild the default kernel (CI caches it by this key).
rs__debug_kernel_script() {
	sed '/^# >>> variants/,/^# <<< variants/d' "$RS_LIB_DIR/build-debug-kernel"
}

# The debug kernel's cache dir depends on the fragment, the source package
# version and scripts/build-debug-kernel itself; see that script.
rs_debug_kernel_key() {
	{
		cat "$RS_LIB_DIR/debug-kernel.config"
		rs_kernel_source_version
		rs__debug_kernel_script
	} | sha256sum | cut -c1-12
}

rs_debug_kernel_dir() {
	printf '%s/debug-%s\n' "$(rs_cache_dir)" "$(rs_debug_kernel_key)"
}

# Variants of the debug kernel: V is built from scripts/debug-kernel.config
# with scripts/debug-kernel-V.config applied over it (see
# rs_merge_fragments), in <cache>/V/debug-<key>/.  Its key hashes both
# fragments, the source version and all of scripts/build-debug-kernel.
rs_kernel_variant_fragment() {
	local f="$RS_LIB_DIR/debug-kernel-${1:-}.config"

	[[ "${1:-}" =~ ^[a-z0-9]+$ ]] && [ -f "$f" ] ||
		rs_die "unknown debug kernel variant '${1:-}' (no $f)"
	printf '%s\n' "$f"
}

rs_kernel_variant_cache() {
	local d

	rs_kernel_variant_fragment "$1" >/dev/null || return 1
	d="$(rs_cache_dir)/$1"
	mkdir -p "$d"
	printf '%s\n' "$d"
}

rs_kernel_variant_key() {
	local f

	f=$(rs_kernel_variant_fragment "$1") || return 1
	{
		cat "$RS_LIB_DIR/debug-kernel.config" "$f"
		rs_kernel_source_version
		cat "$RS_LIB_DIR/build-debug-kernel"
	} | sha256sum | cut -c1-12
}

rs_kernel_variant_dir() {
	local c k

	c=$(rs_kernel_variant_cache "$1") || return 1
	k=$(rs_kernel_variant_key "$1") || return 1
	printf '%s/debug-%s\n' "$c" "$k"
}

# rs_merge_fragments BASE OVER
# Print config fragment BASE without its lines for the symbols OVER sets
# ("CONFIG_X=..." or "# CONFIG_X is not set"), then OVER.
rs_merge_fragments() {
	local syms

	syms=$(sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=.*/\1/p' \
		-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1/p' "$2")
	awk -v syms="$syms" '
		BEGIN { n = split(syms, a, "\n"); for (i = 1; i <= n; i++) over[a[i]] = 1 }
		{
			sym = ""
			if (match($0, /^CONFIG_[A-Za-z0-9_]*=/))
				sym = substr($0, 1, RLENGTH - 1)
			else if ($0 ~ /^# CONFIG_[A-Za-z0-9_]* is not set$/)
				sym = $2
			if (!(sym in over))
				print
		}' "$1"
	cat "$2"
}

# rs__debug_built K: the build dir of debug kernel K (debug or a variant),
# if it is built.
rs__debug_built() {
	local d

	if [ "$1" = debug ]; then
		d=$(rs_debug_kernel_dir)
	else
		d=$(rs_kernel_variant_dir "$1") || return 1
	fi
	[ -f "$d/.built" ] ||
		rs_die "$1 kernel not built at $d (run scripts/build-debug-kernel$([ "$1" = debug ] || echo " --variant $1"))"
	printf '%s\n' "$d"
}

rs_kernel_image() {
	case "${1:-}" in
	6.1)
		rs__newest "6.1 kernel image" /boot/vmlinuz-6.1.*
		;;
	6.12)
		rs__newest "6.12 kernel image" /boot/vmlinuz-6.12.*
		;;
	*)
		local d

		[ "${1:-}" = debug ] || [ -f "$RS_LIB_DIR/debug-kernel-${1:-}.config" ] ||
			rs_die "unknown kernel '${1:-}' (want 6.1, 6.12, debug or kcsan)"
		d=$(rs__debug_built "$1") || return 1
		printf '%s/arch/x86/boot/bzImage\n' "$d"
		;;
	esac
}

rs_kernel_kdir() {
	case "${1:-}" in
	6.1)
		rs__newest "6.1 kernel headers" /usr/src/linux-headers-6.1.*-amd64
		;;
	6.12)
		rs__newest "6.12 kernel headers" /usr/src/linux-headers-6.12.*-amd64
		;;
	*)
		[ "${1:-}" = debug ] || [ -f "$RS_LIB_DIR/debug-kernel-${1:-}.config" ] ||
			rs_die "unknown kernel '${1:-}' (want 6.1, 6.12, debug or kcsan)"
		rs__debug_built "$1"
		;;
	esac
}

# rs_extract_from_source PATH...
# Extract PATHs (e.g. scripts/checkpatch.pl) from the source tarball into
# <cache>/src-<pkg version>/ unless already there, and print that dir.
rs_extract_from_source() {
	local tarball version dir top tmp p
	local -a missing=()

	tarball=$(rs_kernel_source_tarball)
	version=$(rs_kernel_source_version)
	dir="$(rs_cache_dir)/src-$version"
	top=$(basename "$tarball" .tar.xz)

	for p in "$@"; do
		[ -e "$dir/$p" ] || missing+=("$top/$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		mkdir -p "$dir"
		tmp=$(mktemp -d "$dir.tmp.XXXXXX")
		if ! tar -xJf "$tarball" -C "$tmp" --strip-components=1 \
			"${missing[@]}"; then
			rm -rf "$tmp"
			rs_die "cannot extract ${missing[*]} from $tarball"
		fi
		# Copy into place file by file so concurrent callers only
		# ever see complete files.
		(cd "$tmp" && find . -type f -print0) |
			while IFS= read -r -d '' p; do
				mkdir -p "$dir/$(dirname "$p")"
				mv -f "$tmp/$p" "$dir/$p"
			done
		rm -rf "$tmp"
	fi
	printf '%s\n' "$dir"
}

# rs_trinity_cmd CALLS
# Debian's trinity, as the guest runs it (scripts/vm-trinity,
# scripts/check-kcsan): ioctl(2) only, on no fds but the files under
# --victims (/dev/refstore: trinity opens it with random flags), no log
# files, 2 children, CALLS calls in all. It runs as nobody through su
# (trinity's own --dropprivs adds a 10 s countdown); the cwd, /tmp/trinity,
# must be writable by nobody. su and sh exec, so the pid the guest starts
# is trinity's.
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
rs_trinity_cmd() {
	printf '%s\n' "su -s /bin/sh nobody -c 'cd /tmp/trinity && exec trinity --quiet -c ioctl -V /dev/refstore --disable-fds=sockets,pipes,perf,epoll,eventfd,timerfd,testfile,memfd,drm --logging off -C 2 -N ${1:?}'"
}
