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
#   make clean

TOP := $(CURDIR)
SHELL := /bin/bash

# Kernel to build the module against, for a plain `make`, and where: every
# kernel gets its own tree build/<name>/ (scripts/kbuild-tree), so builds
# for different kernels never share object files.  KVER=6.1|6.12|debug|
# kcsan -> build/$(KVER)/ (the tree `make vm-module-$(KVER)` uses too);
# KDIR=/path -> build/kdir-<dir name>/; neither: the running kernel's
# headers if installed, else 6.1.
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

# ---- userspace: library, CLI, selftests (static: the VM has no libc) ----
CC ?= gcc
USER_CFLAGS := -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wno-unused-parameter -I$(TOP)/kmod/uapi -I$(TOP)/userspace/lib
USER_LDFLAGS := -static -pthread
UBIN := build/user/bin
ULIB := build/user/lib/librefstore.a
LIB_SRCS := $(wildcard userspace/lib/*.c)
LIB_OBJS := $(patsubst userspace/lib/%.c,build/user/lib/%.o,$(LIB_SRCS))
CLI_SRCS := $(wildcard userspace/cli/*.c)
SELFTEST_SRCS := $(wildcard selftests/*.c)
SELFTEST_BINS := $(patsubst selftests/%.c,$(UBIN)/refstore_test_%,$(SELFTEST_SRCS))
# kselftest_harness.h comes out of the linux-source tarball, extracted once.
KSFT_DIR = $(shell $(TOP)/scripts/kernel-paths source-files)/tools/testing/selftests

.PHONY: all module user selftests check check-debug demo lint clean \
	install-deps vm-module-% bench hostcheck fuzz fuzz-run fuzz-vm \
	vm-stress vm-stress-debug check-kcsan vm-trinity vm-trinity-debug

all: user module

# Always handed to kbuild, which rebuilds what changed.
module:
	scripts/kbuild-tree $(MODULE_KERNEL) $(TOP)/$(MODULE_DIR)
	@echo "module: $(MODULE_DIR)/kmod/refstore.ko"

user: $(UBIN)/refstore $(UBIN)/refstore-fuzz $(UBIN)/refstore-cpython-drive \
	selftests

selftests: $(SELFTEST_BINS)

build/user/lib/%.o: userspace/lib/%.c $(wildcard userspace/lib/*.h) kmod/uapi/linux/refstore.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c -o $@ $<

$(ULIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	ar rcs $@ $^

$(UBIN)/refstore: $(CLI_SRCS) $(ULIB) $(wildcard userspace/cli/*.h)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $(CLI_SRCS) $(ULIB) $(USER_LDFLAGS)

$(UBIN)/refstore-fuzz: $(wildcard userspace/fuzz/*.c) $(ULIB) kmod/uapi/linux/refstore.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $(wildcard userspace/fuzz/*.c) $(ULIB) $(USER_LDFLAGS)

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

check-kcsan: install-deps
	scripts/build-debug-kernel --variant kcsan
	$(MAKE) user vm-module-kcsan
	scripts/check-kcsan --no-build --results build/results-kcsan

vm-trinity: install-deps
	$(MAKE) user vm-module-6.1
	scripts/vm-trinity --kernel 6.1

vm-trinity-debug: install-deps
	scripts/build-debug-kernel
	$(MAKE) user vm-module-debug
	scripts/vm-trinity --kernel debug --kmemleak

vm-stress: install-deps
	$(MAKE) user vm-module-6.1
	scripts/vm-stress --kernel 6.1

vm-stress-debug: install-deps
	scripts/build-debug-kernel
	$(MAKE) user vm-module-debug
	scripts/vm-stress --kernel debug --rounds 20 --kmemleak

# ---- the README's two commands ----
demo: install-deps
	$(MAKE) vm-module-6.1 user
	scripts/vm-run --kernel 6.1 -- refstore demo

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
