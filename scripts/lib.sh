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
#   rs_kernel_image K           bzImage/vmlinuz for K in 6.1, 6.12, debug
#   rs_kernel_kdir K            build tree usable as KDIR for K
#   rs_kernel_source_tarball    Debian's linux-source-6.1 tarball
#   rs_kernel_source_version    Debian package version of that tarball
#   rs_extract_from_source P... extract paths P (relative to the kernel tree)
#                               once into the cache; print the tree's root
#   rs_debug_kernel_dir         cache dir of the debug kernel (may not be built)
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

# The debug kernel's cache dir depends on the fragment, the source package
# version and scripts/build-debug-kernel itself; see that script.
rs_debug_kernel_key() {
	{
		cat "$RS_LIB_DIR/debug-kernel.config"
		rs_kernel_source_version
		cat "$RS_LIB_DIR/build-debug-kernel"
	} | sha256sum | cut -c1-12
}

rs_debug_kernel_dir() {
	printf '%s/debug-%s\n' "$(rs_cache_dir)" "$(rs_debug_kernel_key)"
}

rs__debug_built() {
	local d

	d=$(rs_debug_kernel_dir)
	[ -f "$d/.built" ] ||
		rs_die "debug kernel not built at $d (run scripts/build-debug-kernel)"
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
	debug)
		local d

		d=$(rs__debug_built) || return 1
		printf '%s/arch/x86/boot/bzImage\n' "$d"
		;;
	*)
		rs_die "unknown kernel '${1:-}' (want 6.1, 6.12 or debug)"
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
	debug)
		rs__debug_built
		;;
	*)
		rs_die "unknown kernel '${1:-}' (want 6.1, 6.12 or debug)"
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
