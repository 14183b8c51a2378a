// SPDX-License-Identifier: GPL-2.0
/* Two kthreads increment a plain counter: a data race KCSAN must report. */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>

static unsigned long canary_counter;
static struct task_struct *canary_tasks[2];

static int canary_thread(void *unused)
{
	while (!kthread_should_stop()) {
		canary_counter++;
		cond_resched();
	}
	return 0;
}

static int __init canary_init(void)
{
	canary_tasks[0] = kthread_run(canary_thread, NULL, "race_canary0");
	canary_tasks[1] = kthread_run(canary_thread, NULL, "race_canary1");
	return 0;
}

static void __exit canary_exit(void)
{
	kthread_stop(canary_tasks[0]);
	kthread_stop(canary_tasks[1]);
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_LICENSE("GPL");
