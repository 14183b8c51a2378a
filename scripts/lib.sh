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
#   rs_kernel_kdir K            build tree usable as KDIR for K (also a
#                               full uname -r name with installed headers)
#   rs_kernel_source_tarball    Debian's linux-source-6.1 tarball
#   rs_kernel_source_version    Debian package version of that tarball
#   rs_extract_from_source P... extract paths P (relative to the kernel tree)
#                               once into the cache; print the tree's root
#   rs_debug_kernel_dir         cache dir of the debug kernel (may not be built)
#   rs_kernel_variant_fragment V  scripts/debug-kernel-V.config (V: kcsan), or fail
#   rs_kernel_variant_cache V   <cache>/V, the variant's own cache dir (created)
#   rs_kernel_variant_dir V     build dir of debug kernel variant V (may not be built)
#   rs_merge_fragments BASE OVER  BASE without the symbols OVER sets, then OVER
#   rs_kmod_sources             the module's sources, relative to the top:
#                               the .c files of kmod/Kbuild's <module>-y
#                               objects (subdirectories included), then
#                               every .h under kmod/
#   rs_help                     print the calling script's header comment
#                               (its --help)
#   rs_usage MSG                print "<prog>: MSG (see --help)", exit 2
#   rs_counted PART RESULTS ARGS...
#                               re-run the calling script under
#                               scripts/results.py run (see there)
#   rs_ok DESC, rs_notok DESC   print a TAP result line (results.py numbers
#                               and counts them)
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

	if ! [[ "${1:-}" =~ ^[a-z0-9]+$ ]] || ! [ -f "$f" ]; then
		rs_die "unknown debug kernel variant '${1:-}' (no $f)"
	fi
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
		# A full `uname -r` name (6.12.117+deb12-amd64): its headers.
		if [ -n "${1:-}" ] && [ "${1#*/}" = "${1:-}" ]; then
			if [ -d "/usr/src/linux-headers-$1" ]; then
				printf '%s\n' "/usr/src/linux-headers-$1"
				return
			fi
			if [ -d "/lib/modules/$1/build" ]; then
				realpath "/lib/modules/$1/build"
				return
			fi
		fi
		[ "${1:-}" = debug ] || [ -f "$RS_LIB_DIR/debug-kernel-${1:-}.config" ] ||
			rs_die "unknown kernel '${1:-}' (want 6.1, 6.12, debug, kcsan or an installed kernel's uname -r name with headers in /usr/src/linux-headers-NAME)"
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

# rs_kmod_sources: kmod/Kbuild names the objects (e.g. "refstore-y :=
# main.o ..." and "refstore-y += core/graph.o"); their .c files are the
# sources.  A glob of kmod/*.c would also take what kbuild generates
# (refstore.mod.c).  Headers: every .h under kmod/ (kbuild generates none).
rs_kmod_sources() {
	local top

	top=$(rs_top)
	awk '
	{ sub(/#.*/, "") }
	/\\$/ { sub(/\\$/, ""); buf = buf $0 " "; next }
	{
		line = buf $0
		buf = ""
		if (!match(line, /^[ \t]*[A-Za-z0-9_]+-(y|objs)[ \t]*[:+]?=/))
			next
		n = split(substr(line, RLENGTH + 1), w, /[ \t]+/)
		for (i = 1; i <= n; i++)
			if (w[i] ~ /^[A-Za-z0-9_.\/-]+\.o$/) {
				sub(/\.o$/, ".c", w[i])
				print "kmod/" w[i]
			}
	}' "$top/kmod/Kbuild"
	(cd "$top" && find kmod -name '*.h' -type f | LC_ALL=C sort)
}

# rs_help: the calling script's --help, its header comment: the comment
# lines after "#!" (and SPDX and shellcheck lines) up to the first line
# that is not a comment, without their "# ".
rs_help() {
	awk 'NR == 1 && /^#!/ { next }
	/^# (SPDX-License-Identifier:|shellcheck )/ { next }
	!/^#/ { exit }
	{
		sub(/^# ?/, "")
		if (started || $0 != "")
			print
		started = 1
	}' "$0"
}

rs_usage() {
	printf '%s: %s (see --help)\n' "$(basename "$0")" "$*" >&2
	exit 2
}

# rs_counted PART RESULTS ARGS...
# Called by a script with its original ARGS once it has parsed them:
# re-runs the script under `scripts/results.py run --part PART [--results
# RESULTS]`, which streams its output with the TAP result lines numbered,
# counts them and ends with "N passed, N failed" (and its exit status).
# In the re-run it returns at once.  The script prints results with rs_ok
# and rs_notok and leaves the counting to results.py.
rs_counted() {
	local part=$1 results=$2
	local -a rec=()

	shift 2
	if [ "${RS_COUNTED:-}" = "$0" ]; then
		unset RS_COUNTED
		return 0
	fi
	[ -z "$results" ] || rec=(--results "$results")
	exec "$RS_LIB_DIR/results.py" run --part "$part" "${rec[@]}" -- \
		env RS_COUNTED="$0" "$0" "$@"
}

rs_ok() {
	printf 'ok - %s\n' "$*"
}

rs_notok() {
	printf 'not ok - %s\n' "$*"
}
