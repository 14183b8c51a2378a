# SPDX-License-Identifier: GPL-2.0
#
# Host build of the collector core (kmod/core/) against
# userspace/host/refstore_env.h: unit tests, a differential test against a
# naive oracle, and a libFuzzer target. Included by the top-level Makefile;
# `make -f userspace/host/host.mk hostcheck` works on its own too.
#
#   make hostcheck                 unit + differential tests, ASan + UBSan,
#                                  and the Python binding's host tests
#                                  (userspace/python/tests/run.py --host)
#     HOSTCHECK_RESULTS=FILE       also append "host PASSED FAILED" to FILE
#     HOSTCHECK_GRAPHS=N           random graphs (default 10000)
#     HOSTCHECK_SEED=S             base seed of the differential test
#     HOSTCHECK_PROGRAMS=N         programs judged against CPython (2000)
#   make fuzz                      build/host/fuzz_graph (clang, libFuzzer)
#   make fuzz-run                  run it FUZZ_SECONDS (default 60)
#
# Everything is written under build/host/. See docs/collector.md.

TOP ?= $(CURDIR)
SHELL := /bin/bash

HOST_DIR := $(TOP)/userspace/host
HOST_OUT := $(TOP)/build/host
# Any C compiler with ASan/UBSan; clang-14 is what the fuzzer needs anyway.
HOST_CC ?= $(shell command -v clang-14 >/dev/null 2>&1 && echo clang-14 || echo $(CC))
FUZZ_CC ?= clang-14
HOST_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -g -O1
HOST_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wno-unused-parameter -I$(TOP)/kmod -I$(TOP)/kmod/core -I$(HOST_DIR)
HOST_CORE := $(TOP)/kmod/core/graph.c $(TOP)/kmod/core/collect.c
HOST_DEPS := $(HOST_CORE) $(TOP)/kmod/core/graph.h \
	$(TOP)/kmod/uapi/linux/refstore.h $(wildcard $(HOST_DIR)/*.h) \
	$(HOST_DIR)/harness.c $(HOST_DIR)/host.mk

HOSTCHECK_GRAPHS ?= 10000
HOSTCHECK_SEED ?= 0x7265667374727e
# Random programs run by CPython 3.11 and by the core (cpython_diff.py).
HOSTCHECK_PROGRAMS ?= 2000
HOSTCHECK_RESULTS ?=
FUZZ_SECONDS ?= 60
FUZZ_ARGS ?=

.PHONY: hostcheck fuzz fuzz-run

# Included anywhere in a Makefile, this file must not become its default.
HOST_SAVED_GOAL := $(.DEFAULT_GOAL)

$(HOST_OUT)/test_graph: $(HOST_DIR)/test_graph.c $(HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) -o $@ $< $(HOST_DIR)/harness.c \
		$(HOST_CORE) -pthread

$(HOST_OUT)/test_diff: $(HOST_DIR)/test_diff.c $(HOST_DIR)/model.c $(HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) -o $@ $< $(HOST_DIR)/model.c \
		$(HOST_DIR)/harness.c $(HOST_CORE)

$(HOST_OUT)/cpython_drive: $(HOST_DIR)/cpython_drive.c $(HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) -o $@ $< $(HOST_DIR)/harness.c \
		$(HOST_CORE)

$(HOST_OUT)/fuzz_graph: $(HOST_DIR)/fuzz_graph.c $(HOST_DIR)/model.c $(HOST_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(HOST_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1 \
		-o $@ $< $(HOST_DIR)/model.c $(HOST_DIR)/harness.c $(HOST_CORE)

# scripts/results.py numbers both binaries' TAP into one, counts it (a
# binary that exits non-zero without a "not ok", e.g. a sanitizer report
# at exit, is one failure) and ends with "N passed, N failed".
hostcheck: $(HOST_OUT)/test_graph $(HOST_OUT)/test_diff $(HOST_OUT)/cpython_drive
	$(TOP)/scripts/results.py run --part host \
		$(if $(HOSTCHECK_RESULTS),--results $(HOSTCHECK_RESULTS)) -- \
		$(HOST_OUT)/test_graph -- \
		$(HOST_OUT)/test_diff -n $(HOSTCHECK_GRAPHS) -s $(HOSTCHECK_SEED) -- \
		python3 $(HOST_DIR)/cpython_diff.py $(HOST_OUT)/cpython_drive \
			-n $(HOSTCHECK_PROGRAMS) -- \
		python3 $(TOP)/userspace/python/tests/run.py --host

fuzz: $(HOST_OUT)/fuzz_graph

# The corpus persists in build/host/fuzz-corpus; crashes land in build/host/.
fuzz-run: $(HOST_OUT)/fuzz_graph
	@mkdir -p $(HOST_OUT)/fuzz-corpus
	cd $(HOST_OUT) && ./fuzz_graph -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 -artifact_prefix=$(HOST_OUT)/ \
		$(FUZZ_ARGS) fuzz-corpus

.DEFAULT_GOAL := $(HOST_SAVED_GOAL)
