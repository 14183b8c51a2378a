/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refstore_env.h - the kernel environment of the collector core.
 *
 * The core (kmod/core/) includes "refstore_env.h" and nothing else of its
 * surroundings; the build picks the environment through the include path:
 * this file for the module (kmod/Kbuild), userspace/host/refstore_env.h
 * for the host builds (userspace/host/host.mk). Both provide the same few
 * facilities: fixed-width types, BIT(), lists, krefs, prefetch(),
 * cond_resched() and REFSTORE_ASSERT().
 */
#ifndef _REFSTORE_ENV_H
#define _REFSTORE_ENV_H

#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/prefetch.h>
#include <linux/sched.h>
#include <linux/types.h>

/*
 * REFSTORE_ASSERT() - an invariant of the collector core.
 *
 * Warns once per call site and goes on: a broken invariant (a negative
 * gc_refs, a live object with a zero count, an object whose list and flags
 * disagree) is a refstore bug the kernel reports without crashing. The
 * host version aborts at once, with the file and line.
 */
#define REFSTORE_ASSERT(cond)	WARN_ON_ONCE(!(cond))

#endif /* _REFSTORE_ENV_H */
