// SPDX-License-Identifier: GPL-2.0
/*
 * splat.ko - a test-only module for scripts/test-harness.
 *
 * It proves that scripts/vm-run notices kernel splats.  The "mode"
 * parameter picks what module init does:
 *
 *   clean  nothing (the default)
 *   warn   a real WARN_ON(1), which panics the guest (panic_on_warn=1)
 *   print  a pr_err() that looks like a warning, with no real warning
 *          behind it: vm-run must flag it from the console text alone
 *   leak   allocate 64 bytes and forget them, for vm-run --kmemleak
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *mode = "clean";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "what init does: clean (default), warn, print or leak");

static int __init splat_init(void)
{
	if (!strcmp(mode, "clean"))
		return 0;
	if (!strcmp(mode, "warn")) {
		WARN_ON(1);
		return 0;
	}
	if (!strcmp(mode, "print")) {
		pr_err("WARNING: CPU: 0 PID: 1 at fake/splat.c:1 fake_function\n");
		return 0;
	}
	if (!strcmp(mode, "leak")) {
		void *p = kmalloc(64, GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		pr_info("leaking %zu bytes\n", ksize(p));
		return 0;
	}
	pr_err("unknown mode '%s'\n", mode);
	return -EINVAL;
}
module_init(splat_init);

static void __exit splat_exit(void)
{
}
module_exit(splat_exit);

MODULE_DESCRIPTION("refstore harness self-test: makes kernel splats on demand");
MODULE_LICENSE("GPL");
