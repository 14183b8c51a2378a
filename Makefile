# SPDX-License-Identifier: GPL-2.0
#
# refstore top-level Makefile (the module itself is built by Kbuild).
#
#   make                  module (build/<kernel>/kmod/refstore.ko), library,
#                         CLI, selftests
#   make KVER=6.12        the same against Debian's 6.12 headers
#   make KDIR=/path       the same against any kernel build tree
#   make demo             boot a VM, load the module, run the seed scenarios
#   make check            static checks + selftests in VMs on 6.1 and 6.12
#   make check-debug      selftests on the debug kernel (KASAN, lockdep, ...)
#   make check-kcsan      concurrency tests and fuzzing on a KCSAN kernel
#   make lint             checkpatch --strict, sparse C=2 W=1, kernel-doc, uapi
#                         c90 and -m32/-m64 layout checks, shellcheck
#   make hostcheck        the collector core in userspace: unit + oracle tests
#   make fuzz             libFuzzer target for the collector core
#   make bench            benchmarks (ratios measured in one run)
#   make fuzz-vm          1,000,000 random ioctls on the debug kernel
#   make vm-stress        100 rounds of insmod/hammer/rmmod (-debug: 20)
#   make vm-python        the Python binding's suite and examples/seed.py
#                         in the VM (userspace/python; part of check)
#   make install          module (kernel's modules_install), librefstore
#                         (.so with soname, .a, headers, .pc), CLI, man pages,
#                         bash completion, udev rule; DESTDIR= PREFIX=
#                         (default /usr/local) KVER= as for make
#   make uninstall        remove what install laid out (same variables)
#   make dkms-check       dkms builds the module for 6.1 and 6.12 in a
#                         throwaway tree (nothing of the system touched)
#   make soak             hours on the debug kernel with 8 vCPUs: 10,000,000
#                         fuzz calls (root and uid 1000), vm-stress 100
#                         rounds, the stress selftests looped (not in CI;
#                         resumable; SOAK_SEED, PART=fuzz|vm-stress|stress)
#   make clean

TOP := $(CURDIR)
SHELL := /bin/bash

# Kernel to build the module against, for a plain `make`, and where: every
# kernel gets its own tree build/<name>/ (scripts/kbuild-tree), so builds
# for different kernels never share object files.  KVER=6.1|6.12|debug|
# kcsan -> build/$(KVER)/ (the tree `make vm-module-$(KVER)` uses too);
# KDIR=/path -> build/kdir-<dir name>/; neither: the running kernel's
# headers if installed, else 6.1.
ifneq ($(KVER),)
ifeq ($(shell $(CURDIR)/scripts/kernel-paths kdir $(KVER) 2>/dev/null),)
$(error KVER=$(KVER): no such kernel: want 6.1, 6.12, debug, kcsan (built) or an installed kernel's `uname -r` name with headers in /usr/src/linux-headers-NAME)
endif
endif
ifneq ($(KDIR),)
MODULE_KERNEL := $(abspath $(KDIR))
MODULE_NAME := kdir-$(notdir $(MODULE_KERNEL))
else ifneq ($(KVER),)
MODULE_KERNEL := $(KVER)
MODULE_NAME := $(KVER)
else ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
MODULE_KERNEL := $(realpath /lib/modules/$(shell uname -r)/build)
MODULE_NAME := $(shell uname -r)
else
MODULE_KERNEL := 6.1
MODULE_NAME := 6.1
endif
MODULE_DIR := build/$(MODULE_NAME)

# Kernels `make check` runs the suite on.
CHECK_KERNELS ?= 6.1 6.12

# The release version, from kmod/version.h (MODULE_VERSION too).
VERSION := $(shell sed -n 's/^\#define REFSTORE_VERSION "\(.*\)"/\1/p' $(TOP)/kmod/version.h)
# librefstore's ABI version: the soname is librefstore.so.$(LIB_ABI).
LIB_ABI := 1

# ---- userspace: library, CLI, selftests (static: the VM has no libc) ----
CC ?= gcc
USER_CFLAGS := -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wno-unused-parameter -I$(TOP)/kmod/uapi -I$(TOP)/userspace/lib \
	-DREFSTORE_VERSION='"$(VERSION)"'
USER_LDFLAGS := -static -pthread
UBIN := build/user/bin
ULIB := build/user/lib/librefstore.a
LIB_SRCS := $(wildcard userspace/lib/*.c)
LIB_OBJS := $(patsubst userspace/lib/%.c,build/user/lib/%.o,$(LIB_SRCS))
LIB_PIC_OBJS := $(patsubst userspace/lib/%.c,build/user/lib/pic/%.o,$(LIB_SRCS))
ULIB_SO := build/user/lib/librefstore.so.$(VERSION)
CLI_SRCS := $(wildcard userspace/cli/*.c)
SELFTEST_SRCS := $(wildcard selftests/*.c)
SELFTEST_BINS := $(patsubst selftests/%.c,$(UBIN)/refstore_test_%,$(SELFTEST_SRCS))
# kselftest_harness.h comes out of the linux-source tarball, extracted once.
KSFT_DIR = $(shell $(TOP)/scripts/kernel-paths source-files)/tools/testing/selftests

.PHONY: all module user lib selftests install uninstall dkms-check check-cli check check-debug demo lint clean \
	install-deps vm-module-% bench hostcheck fuzz fuzz-run fuzz-vm \
	vm-stress vm-stress-debug check-kcsan soak \
	vm-python

all: user module

# Always handed to kbuild, which rebuilds what changed.
module:
	scripts/kbuild-tree $(MODULE_KERNEL) $(TOP)/$(MODULE_DIR)
	@echo "module: $(MODULE_DIR)/kmod/refstore.ko"

user: lib $(UBIN)/refstore $(UBIN)/refstore-fuzz $(UBIN)/refstore-runas \
	$(UBIN)/refstore-cpython-drive selftests

selftests: $(SELFTEST_BINS)

build/user/lib/%.o: userspace/lib/%.c $(wildcard userspace/lib/*.h) kmod/uapi/linux/refstore.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c -o $@ $<

$(ULIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	ar rcs $@ $^

build/user/lib/pic/%.o: userspace/lib/%.c $(wildcard userspace/lib/*.h) kmod/uapi/linux/refstore.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -fPIC -c -o $@ $<

# The shared library: librefstore.so.VERSION, soname librefstore.so.LIB_ABI.
$(ULIB_SO): $(LIB_PIC_OBJS)
	$(CC) -shared -Wl,-soname,librefstore.so.$(LIB_ABI) -o $@ $^
	ln -sf $(@F) $(@D)/librefstore.so.$(LIB_ABI)
	ln -sf librefstore.so.$(LIB_ABI) $(@D)/librefstore.so

lib: $(ULIB) $(ULIB_SO)

$(UBIN)/refstore: $(CLI_SRCS) $(ULIB) $(wildcard userspace/cli/*.h) kmod/version.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $(CLI_SRCS) $(ULIB) $(USER_LDFLAGS)

$(UBIN)/refstore-fuzz: $(wildcard userspace/fuzz/*.c) $(ULIB) kmod/uapi/linux/refstore.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $(wildcard userspace/fuzz/*.c) $(ULIB) $(USER_LDFLAGS)

$(UBIN)/refstore-runas: userspace/tools/runas.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< $(USER_LDFLAGS)

# The module's side of the differential test against CPython (check-vm-diff).
$(UBIN)/refstore-cpython-drive: userspace/diff/module_drive.c $(ULIB) kmod/uapi/linux/refstore.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< $(ULIB) $(USER_LDFLAGS)

$(UBIN)/refstore_test_%: selftests/%.c $(ULIB) $(wildcard selftests/*.h) kmod/uapi/linux/refstore.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -I$(TOP)/selftests \
		-o $@ $< $(ULIB) $(USER_LDFLAGS)

# ---- one module build per VM kernel, in build/<kernel>/ (sources symlinked) ----
# Always handed to kbuild: it rebuilds what changed, including the kernel
# tree itself (a rebuilt debug kernel changes the recorded commands).
vm-module-%:
	scripts/kbuild-tree $* $(TOP)/build/$*

install-deps:
	scripts/install-deps

# The collector core built in userspace: hostcheck, fuzz, fuzz-run.
-include userspace/host/host.mk

bench: install-deps
	$(MAKE) vm-module-6.1 user
	scripts/bench

# Reliability runs beyond the suite (a short version of each is in check*).
FUZZ_VM_CALLS ?= 1000000
FUZZ_VM_SECONDS ?= 800
fuzz-vm: install-deps
	scripts/build-debug-kernel
	$(MAKE) user vm-module-debug
	scripts/vm-run --kernel debug --kmemleak --timeout $$(($(FUZZ_VM_SECONDS) + 300)) -- \
		'refstore-fuzz --calls $(FUZZ_VM_CALLS) --seconds $(FUZZ_VM_SECONDS)'

# The soak (scripts/soak --help): rerun with the same SOAK_SEED and sizes
# to resume; PART runs one part (fuzz, vm-stress, stress).
SOAK_SEED ?= 1
SOAK_CALLS ?= 10000000
SOAK_ROUNDS ?= 100
SOAK_LOOPS ?= 20
soak: install-deps
	scripts/build-debug-kernel
	$(MAKE) user vm-module-debug
	scripts/soak --seed $(SOAK_SEED) --calls $(SOAK_CALLS) --rounds $(SOAK_ROUNDS) \
		--loops $(SOAK_LOOPS) $(if $(PART),--part $(PART))

check-kcsan: install-deps
	scripts/build-debug-kernel --variant kcsan
	$(MAKE) user vm-module-kcsan
	scripts/check-kcsan --no-build --results build/results-kcsan

# The Python binding's suite and examples/seed.py in the VM (part of check).
vm-python: install-deps
	$(MAKE) user vm-module-6.1
	scripts/vm-python 6.1

vm-stress: install-deps
	$(MAKE) user vm-module-6.1
	scripts/vm-stress --kernel 6.1

vm-stress-debug: install-deps
	scripts/build-debug-kernel
	$(MAKE) user vm-module-debug
	scripts/vm-stress --kernel debug --rounds 20 --kmemleak

# ---- install (DESTDIR, PREFIX), dkms ----
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
# udev and sysusers read only /usr/lib and /etc, whatever PREFIX is.
UDEVRULESDIR ?= /usr/lib/udev/rules.d
SYSUSERSDIR ?= /usr/lib/sysusers.d
# The CLI installed is linked dynamically against the installed library.
INSTALL_CLI := build/user/install/refstore
DIST_COMMANDS = $(shell grep -o '^CLI_CMD.[a-z_]*' userspace/cli/commands.h | cut -c9-)

$(INSTALL_CLI): $(CLI_SRCS) $(ULIB_SO) $(wildcard userspace/cli/*.h) kmod/version.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $(CLI_SRCS) -Lbuild/user/lib -lrefstore

build/user/install/refstore.bash: dist/refstore.bash userspace/cli/commands.h
	@mkdir -p $(@D)
	sed 's|@COMMANDS@|$(DIST_COMMANDS)|' $< >$@

# The kernel's release as the module's vermagic has it (Debian's headers
# say 6.1.192 in kernel.release, 6.1.0-57-amd64 in utsrelease.h).
MODULE_KDIR = $(if $(findstring /,$(MODULE_KERNEL)),$(MODULE_KERNEL),$(shell scripts/kernel-paths kdir $(MODULE_KERNEL)))
MODULE_RELEASE = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(MODULE_KDIR)/include/generated/utsrelease.h)
# modules_install signs modules on kernels built with MODULE_SIG_ALL when
# MODULE_SIGN=1 (with the kernel's signing key in place); not by default.
MODULE_SIGN ?=

install: module lib $(INSTALL_CLI) build/user/install/refstore.bash
	scripts/kbuild-tree $(MODULE_KERNEL) $(TOP)/$(MODULE_DIR) modules_install \
		INSTALL_MOD_PATH=$(abspath $(DESTDIR)/) INSTALL_MOD_DIR=updates \
		KERNELRELEASE=$(MODULE_RELEASE) $(if $(MODULE_SIGN),,CONFIG_MODULE_SIG_ALL=)
	@mkdir -p build/user/install
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		dist/librefstore.pc.in >build/user/install/librefstore.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/refstore/linux $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man4 $(DESTDIR)$(COMPLETIONDIR) \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(INSTALL_CLI) $(DESTDIR)$(BINDIR)/refstore
	install -m 0755 $(ULIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(ULIB_SO)) $(DESTDIR)$(LIBDIR)/librefstore.so.$(LIB_ABI)
	ln -sf librefstore.so.$(LIB_ABI) $(DESTDIR)$(LIBDIR)/librefstore.so
	install -m 0644 $(ULIB) $(DESTDIR)$(LIBDIR)/
	install -m 0644 userspace/lib/librefstore.h $(DESTDIR)$(INCLUDEDIR)/refstore/
	install -m 0644 kmod/uapi/linux/refstore.h $(DESTDIR)$(INCLUDEDIR)/refstore/linux/
	install -m 0644 build/user/install/librefstore.pc $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 0644 docs/man/refstore.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 docs/man/refstore.4 $(DESTDIR)$(MANDIR)/man4/
	install -m 0644 build/user/install/refstore.bash $(DESTDIR)$(COMPLETIONDIR)/refstore
	install -m 0644 dist/60-refstore.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 0644 dist/refstore.sysusers $(DESTDIR)$(SYSUSERSDIR)/refstore.conf
	@echo "installed; as root: systemd-sysusers (creates group refstore)," \
		"depmod -a, udevadm control --reload; see README, Install"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/refstore $(DESTDIR)$(LIBDIR)/librefstore.so* \
		$(DESTDIR)$(LIBDIR)/librefstore.a $(DESTDIR)$(PKGCONFIGDIR)/librefstore.pc \
		$(DESTDIR)$(MANDIR)/man1/refstore.1 $(DESTDIR)$(MANDIR)/man4/refstore.4 \
		$(DESTDIR)$(COMPLETIONDIR)/refstore $(DESTDIR)$(UDEVRULESDIR)/60-refstore.rules \
		$(DESTDIR)$(SYSUSERSDIR)/refstore.conf
	rm -rf $(DESTDIR)$(INCLUDEDIR)/refstore
	rm -f $(DESTDIR)/lib/modules/$(MODULE_RELEASE)/updates/kmod/refstore.ko*

# Proves dkms.conf: dkms builds the module for Debian's 6.1 and 6.12 in a
# throwaway tree; the system's /var/lib/dkms and /lib/modules are untouched.
dkms-check:
	scripts/dkms-check

# The CLI's tests in a VM (also part of make check).
check-cli: install-deps
	$(MAKE) user vm-module-6.1
	scripts/check-cli --kernel 6.1

# ---- the README's two commands ----
demo: install-deps
	$(MAKE) -s vm-module-6.1 user >/dev/null
	scripts/demo --kernel 6.1

check: install-deps
	$(MAKE) user $(addprefix vm-module-,$(CHECK_KERNELS))
	scripts/check --results build/results-check $(CHECK_KERNELS)

check-debug: install-deps
	scripts/build-debug-kernel
	$(MAKE) user vm-module-debug
	scripts/check --results build/results-debug --no-lint --no-host debug

lint: install-deps
	scripts/lint

# Also what an in-tree build of an older checkout left in kmod/.
clean:
	rm -rf build
	find kmod \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name modules.order -o -name Module.symvers \) -delete
	rm -f Module.symvers modules.order .*.cmd .module-common.o
