// SPDX-License-Identifier: GPL-2.0
/*
 * refstore demo: the Python memory-management tutorial's scenarios, run
 * on /dev/refstore and narrated.  Each scenario gets its own heap (one
 * open of the device), so its heap stats show only its own objects.
 *
 *   (a) a linked list head -> second -> third, freed by linked_list = None
 *   (b) sys.getrefcount(): 2, 3, 2
 *   (c) obj1.ref = obj2; obj2.ref = obj1: a cycle counting cannot free
 *   (d) a weak reference: alive, then dead; the tutorial's advice, a
 *       child's parent pointer as a weak slot: no cycle, freed by counting
 *   (e) manual collection: gc.disable(), gc.collect(), gc.get_stats(), gc.garbage
 *   (g) the collector thread reclaims a dropped cycle by itself,
 *       gc.get_stats() before and after
 *   (h) streaming: many objects made and dropped one by one, the live
 *       count flat (Python's generators lesson)
 *   (i) the module's global counters and the collector thread
 */
#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Set once any step fails; the demo goes on and exits 1. */
static int demo_failed;

/* Report @ret (0 or -errno) of @what; true if it failed. */
static int bad(int ret, const char *what)
{
	if (!ret)
		return 0;
	fflush(stdout);
	print_err(what, ret);
	demo_failed = 1;
	return 1;
}

static uint32_t refcount(int heap, uint32_t h)
{
	struct refstore_info i = { 0 };

	bad(rs_info(heap, h, &i), "INFO");
	return i.refcount;
}

static void heap_stats(int heap)
{
	struct refstore_heap_stats s;

	if (!bad(rs_heap_stats(heap, &s), "HEAP_STATS"))
		print_heap_stats(&s);
}

/* Print the queued death events (the heap is O_NONBLOCK). */
static void drain_events(int heap)
{
	struct refstore_event ev[16];
	ssize_t n, i;

	while ((n = rs_read_events(heap, ev, 16)) > 0)
		for (i = 0; i < n; i++) {
			printf("    ");
			print_event(&ev[i]);
		}
	if (n != -EAGAIN)
		bad(n, "read events");
}

static void demo_linked_list(int heap)
{
	const char *names[] = { "head", "second", "third" };
	uint32_t h[3];
	uint64_t id[3];
	int i;

	printf("== (a) linked list: head -> second -> third ==\n");
	printf(">>> linked_list = create_linked_list()\n");
	for (i = 0; i < 3; i++) {
		if (bad(rs_create(heap, 0, 1, REFSTORE_CREATE_NOTIFY, 0, i + 1,
				  &h[i], &id[i]), "CREATE"))
			return;
		printf("    %s = Node(%d): handle %u, id %" PRIu64
		       ", death event cookie %d\n", names[i], i + 1, h[i],
		       id[i], i + 1);
	}
	bad(rs_set_slot(heap, h[0], 0, h[1]), "SET_SLOT");
	printf("    head.next = second\n");
	bad(rs_set_slot(heap, h[1], 0, h[2]), "SET_SLOT");
	printf("    second.next = third\n");
	bad(rs_close(heap, h[1]), "CLOSE");
	bad(rs_close(heap, h[2]), "CLOSE");
	printf("    return head   (the locals second and third are dropped;"
	       " the slots keep them alive)\n");
	heap_stats(heap);
	printf(">>> linked_list = None   (close the root handle)\n");
	bad(rs_close(heap, h[0]), "CLOSE");
	printf("    death events:\n");
	drain_events(heap);
	heap_stats(heap);
	printf("\n");
}

static void demo_getrefcount(int heap)
{
	uint32_t obj, another;

	printf("== (b) sys.getrefcount(): our count, and Python's +1 for"
	       " its argument ==\n");
	if (bad(rs_create(heap, 0, 0, 0, 0, 0, &obj, NULL), "CREATE"))
		return;
	printf(">>> obj = MyClass();  print(sys.getrefcount(obj))\n");
	printf("    refcount %u -> Python prints %u\n", refcount(heap, obj),
	       refcount(heap, obj) + 1);
	if (bad(rs_dup(heap, obj, &another), "DUP"))
		return;
	printf(">>> another_ref = obj;  print(sys.getrefcount(obj))\n");
	printf("    refcount %u -> Python prints %u\n", refcount(heap, obj),
	       refcount(heap, obj) + 1);
	bad(rs_close(heap, another), "CLOSE");
	printf(">>> del another_ref;  print(sys.getrefcount(obj))\n");
	printf("    refcount %u -> Python prints %u\n", refcount(heap, obj),
	       refcount(heap, obj) + 1);
	bad(rs_close(heap, obj), "CLOSE");
	printf(">>> del obj   (count 0: freed)\n");
	heap_stats(heap);
	printf("\n");
}

static void demo_cycle(int heap)
{
	uint64_t n, features = 0;
	uint32_t obj1, obj2;

	printf("== (c) circular reference ==\n");
	bad(rs_version(heap, NULL, &features), "VERSION");
	if (bad(rs_create(heap, 0, 1, REFSTORE_CREATE_NOTIFY, 0, 1, &obj1,
			  NULL), "CREATE") ||
	    bad(rs_create(heap, 0, 1, REFSTORE_CREATE_NOTIFY, 0, 2, &obj2,
			  NULL), "CREATE"))
		return;
	printf(">>> obj1 = MyObject(\"obj1\"); obj2 = MyObject(\"obj2\")\n");
	bad(rs_set_slot(heap, obj1, 0, obj2), "SET_SLOT");
	bad(rs_set_slot(heap, obj2, 0, obj1), "SET_SLOT");
	printf(">>> obj1.ref = obj2; obj2.ref = obj1\n");
	printf("    obj1 refcount %u, obj2 refcount %u\n",
	       refcount(heap, obj1), refcount(heap, obj2));
	bad(rs_close(heap, obj1), "CLOSE");
	bad(rs_close(heap, obj2), "CLOSE");
	printf(">>> del obj1; del obj2\n");
	printf("    no handle is left, but each keeps the other alive:\n");
	heap_stats(heap);

	/* ---- gc.collect() ---- */
	printf(">>> gc.collect()\n");
	if (!(features & REFSTORE_FEAT_GC)) {
		printf("    (this module has no cycle collector: the pair"
		       " lives until the heap is closed)\n\n");
		return;
	}
	if (bad(rs_gc_collect(heap, 2, &n), "GC_COLLECT"))
		return;
	printf("    %" PRIu64 " unreachable objects found; death events:\n",
	       n);
	drain_events(heap);
	heap_stats(heap);
	printf("\n");
}

/*
 * Best practice 8: a child points back at its parent weakly, so parent and
 * child make no cycle; dropping the parent frees both by counting, and a
 * weakref.finalize() on the parent reports it.
 */
static void demo_weak_parent(int heap)
{
	struct refstore_gc_stats gs = { 0 };
	uint32_t parent, child, fin;
	uint64_t nweak = 0;

	printf(">>> parent = Node(); child = Node(); parent.children = [child]\n");
	printf(">>> child.parent = weakref.ref(parent)   # not a cycle\n");
	if (bad(rs_create(heap, 0, 1, REFSTORE_CREATE_NOTIFY, 0, 10, &parent,
			  NULL), "CREATE") ||
	    bad(rs_create(heap, 0, 1, REFSTORE_CREATE_NOTIFY, 0, 20, &child,
			  NULL), "CREATE") ||
	    bad(rs_set_slot(heap, parent, 0, child), "SET_SLOT") ||
	    bad(rs_set_slot_weak(heap, child, 0, parent), "SET_SLOT (weak)") ||
	    bad(rs_close(heap, child), "CLOSE"))
		return;
	bad(rs_weakref_count(heap, parent, &nweak, NULL, NULL),
	    "WEAKREF_COUNT");
	printf("    parent refcount %u, weakref.getweakrefcount(parent) = %"
	       PRIu64 "\n", refcount(heap, parent), nweak);
	printf(">>> weakref.finalize(parent, print, \"parent gone\")\n");
	if (bad(rs_weakref_ex(heap, parent, REFSTORE_WEAKREF_CALLBACK, 30,
			      &fin), "WEAKREF (callback)"))
		return;
	printf(">>> del parent   # counting alone frees both, no collection\n");
	if (bad(rs_close(heap, parent), "CLOSE"))
		return;
	drain_events(heap);
	bad(rs_gc_get_stats(heap, &gs), "GC_GET_STATS");
	printf("    collections: %" PRIu64 "\n",
	       (uint64_t)(gs.gen[0].collections + gs.gen[1].collections +
			  gs.gen[2].collections));
	bad(rs_close(heap, fin), "CLOSE");
}

static void demo_weakref(int heap)
{
	uint32_t obj, weak, strong;
	int ret;

	printf("== (d) weak reference ==\n");
	if (bad(rs_create(heap, 0, 0, 0, 0, 0, &obj, NULL), "CREATE") ||
	    bad(rs_weakref(heap, obj, &weak), "WEAKREF"))
		return;
	printf(">>> obj = MyClass(); r = weakref.ref(obj)\n");
	printf("    refcount %u (the weak handle does not count)\n",
	       refcount(heap, obj));
	if (bad(rs_upgrade(heap, weak, &strong), "UPGRADE"))
		return;
	printf(">>> r()   -> the object (a new strong handle %u)\n", strong);
	bad(rs_close(heap, strong), "CLOSE");
	bad(rs_close(heap, obj), "CLOSE");
	printf(">>> del obj\n");
	ret = rs_upgrade(heap, weak, &strong);
	if (ret == -ENOENT) {
		printf(">>> r()   -> None (UPGRADE: ENOENT, the object is"
		       " gone)\n");
	} else {
		printf(">>> r()   -> unexpected result %s\n",
		       ret ? rs_errno_name(ret) : "success");
		demo_failed = 1;
	}
	bad(rs_close(heap, weak), "CLOSE");
	demo_weak_parent(heap);
	heap_stats(heap);
	printf("\n");
}

static void print_gc_stats(int heap)
{
	struct refstore_gc_stats st;
	int g;

	if (bad(rs_gc_get_stats(heap, &st), "GC_GET_STATS"))
		return;
	printf("    [");
	for (g = 0; g < REFSTORE_GC_GENERATIONS; g++)
		printf("%s{'collections': %llu, 'collected': %llu, 'uncollectable': %llu}",
		       g ? ", " : "",
		       (unsigned long long)st.gen[g].collections,
		       (unsigned long long)st.gen[g].collected,
		       (unsigned long long)st.gen[g].uncollectable);
	printf("]\n");
}

/* The tutorial's manual gc section: disable, build, collect, stats. */
static void demo_manual_gc(int heap)
{
	uint32_t a, b, c, handles[4], count = 0;
	uint64_t n, total = 0, was;

	printf("== (e) manual garbage collection ==\n");
	if (bad(rs_gc_value(heap, REFSTORE_IOC_GC_ISENABLED, 0, &was),
		"GC_ISENABLED") ||
	    bad(rs_gc_value(heap, REFSTORE_IOC_GC_DISABLE, 0, NULL),
		"GC_DISABLE"))
		return;
	printf(">>> gc.isenabled()\n    %s\n>>> gc.disable()\n",
	       was ? "True" : "False");
	if (bad(rs_create(heap, 0, 1, 0, 0, 0, &a, NULL), "CREATE") ||
	    bad(rs_create(heap, 0, 1, 0, 0, 0, &b, NULL), "CREATE") ||
	    bad(rs_create(heap, 0, 1, 0, 0, 0, &c, NULL), "CREATE"))
		return;
	bad(rs_set_slot(heap, b, 0, a), "SET_SLOT");
	bad(rs_set_slot(heap, c, 0, b), "SET_SLOT");
	printf(">>> a = []; b = [a]; c = [b]\n");
	if (bad(rs_gc_collect(heap, 2, &n), "GC_COLLECT"))
		return;
	printf(">>> gc.collect()\n    %llu   (a, b and c are all reachable)\n",
	       (unsigned long long)n);
	bad(rs_gc_value(heap, REFSTORE_IOC_GC_ENABLE, 0, NULL), "GC_ENABLE");
	printf(">>> gc.enable()\n");

	/* A cycle kept by SAVEALL shows up in gc.garbage. */
	bad(rs_gc_value(heap, REFSTORE_IOC_GC_SET_DEBUG,
			REFSTORE_GC_DEBUG_SAVEALL, NULL), "GC_SET_DEBUG");
	bad(rs_set_slot(heap, a, 0, c), "SET_SLOT");
	bad(rs_close(heap, a), "CLOSE");
	bad(rs_close(heap, b), "CLOSE");
	bad(rs_close(heap, c), "CLOSE");
	printf(">>> gc.set_debug(gc.DEBUG_SAVEALL); a.append(c); del a, b, c\n");
	if (bad(rs_gc_collect(heap, 2, &n), "GC_COLLECT"))
		return;
	printf(">>> gc.collect()\n    %llu\n", (unsigned long long)n);
	printf(">>> print(gc.get_stats())\n");
	print_gc_stats(heap);
	if (bad(rs_gc_garbage(heap, handles, 4, &count, &total), "GC_GARBAGE"))
		return;
	printf(">>> print(len(gc.garbage))\n    %llu\n",
	       (unsigned long long)total);
	while (count)
		bad(rs_close(heap, handles[--count]), "CLOSE");
	bad(rs_gc_value(heap, REFSTORE_IOC_GC_SET_DEBUG, 0, NULL),
	    "GC_SET_DEBUG");
	bad(rs_gc_value(heap, REFSTORE_IOC_GC_CLEAR_GARBAGE, 0, NULL),
	    "GC_CLEAR_GARBAGE");
	bad(rs_gc_collect(heap, 2, &n), "GC_COLLECT");
	printf(">>> gc.set_debug(0); del gc.garbage[:]; gc.collect()\n    %llu\n",
	       (unsigned long long)n);
	heap_stats(heap);
	printf("\n");
}

/*
 * (f) tracemalloc: objects tagged with the line that made them (RS_HERE:
 * "demo.c:LINE"), the heap's own statistics (SNAPSHOT) shown as `refstore
 * top` shows them, and two snapshots compared as compare_to() does.
 */
#define TM_ROUNDS 3
#define TM_KEEP 8
#define TM_TEMP 4

static void tm_round(int heap, uint32_t *cache, unsigned int *ncache)
{
	uint32_t h;
	int i;

	for (i = 0; i < TM_KEEP; i++) {
		/* a cache that only grows: the leak to find */
		if (bad(rs_create(heap, 512, 0, 0, RS_HERE(heap), 0, &h, NULL), "create"))
			return;
		cache[(*ncache)++] = h;
	}
	for (i = 0; i < TM_TEMP; i++) {
		/* scratch buffers, dropped at once */
		if (bad(rs_create(heap, 64, 0, 0, RS_HERE(heap), 0, &h, NULL), "create") ||
		    bad(rs_close(heap, h), "close"))
			return;
	}
}

static void demo_tracemalloc(int heap)
{
	char old[] = "/tmp/refstore-demo-XXXXXX", new[] = "/tmp/refstore-demo-XXXXXX";
	uint32_t cache[TM_ROUNDS * TM_KEEP];
	unsigned int ncache = 0, r;
	int fo, fn;

	printf("== (f) tracemalloc: which line holds the memory ==\n");
	printf("  every object is made with tag RS_HERE(heap), its line's tag, named \"demo.c:LINE\"\n");
	fo = mkstemp(old);
	fn = mkstemp(new);
	if (fo < 0 || fn < 0) {
		bad(-errno, "mkstemp");
		goto out;
	}
	tm_round(heap, cache, &ncache);
	printf("  snapshot1 = tracemalloc.take_snapshot()   # after 1 round\n");
	if (cli_snapshot_write(heap, REFSTORE_GROUP_TAG, old))
		goto fail;
	for (r = 1; r < TM_ROUNDS; r++)
		tm_round(heap, cache, &ncache);
	printf("  snapshot2 = tracemalloc.take_snapshot()   # after %d rounds\n", TM_ROUNDS);
	if (cli_snapshot_write(heap, REFSTORE_GROUP_TAG, new))
		goto fail;
	printf("  snapshot2.statistics('lineno') (refstore top):\n");
	if (cli_top_print(heap, REFSTORE_GROUP_TAG, 10))
		goto fail;
	printf("  snapshot2.compare_to(snapshot1, 'lineno') (refstore snapshot diff):\n");
	if (cli_snapshot_diff(old, new))
		goto fail;
	printf("  the growing line is the cache's: %u objects kept, the scratch buffers' line holds none\n",
	       ncache);
	for (r = 0; r < ncache; r++)
		rs_close(heap, cache[r]);
	goto out;
fail:
	demo_failed = 1;
out:
	if (fo >= 0) {
		close(fo);
		unlink(old);
	}
	if (fn >= 0) {
		close(fn);
		unlink(new);
	}
	printf("\n");
}

/* A cycle dropped with the collector enabled: the thread frees it alone. */
static void demo_thread(int heap)
{
	struct refstore_event ev;
	struct pollfd pfd = { .fd = heap, .events = POLLIN };
	uint32_t obj1, obj2;
	uint64_t delay = 0;
	int ret;

	printf("== (g) the collector thread reclaims a dropped cycle by itself ==\n");
	bad(rs_gc_value(heap, REFSTORE_IOC_GC_GET_DELAY, 0, &delay), "GC_GET_DELAY");
	printf("gc.get_stats() before:\n");
	print_gc_stats(heap);
	if (bad(rs_create(heap, 0, 1, REFSTORE_CREATE_NOTIFY, 0, 1, &obj1,
			  NULL), "CREATE") ||
	    bad(rs_create(heap, 0, 1, REFSTORE_CREATE_NOTIFY, 0, 2, &obj2,
			  NULL), "CREATE"))
		return;
	bad(rs_set_slot(heap, obj1, 0, obj2), "SET_SLOT");
	bad(rs_set_slot(heap, obj2, 0, obj1), "SET_SLOT");
	bad(rs_close(heap, obj1), "CLOSE");
	bad(rs_close(heap, obj2), "CLOSE");
	printf(">>> obj1.ref = obj2; obj2.ref = obj1; del obj1, obj2   (no gc.collect())\n");
	printf("    waiting for the death events: the heap's delay is %llu ms\n",
	       (unsigned long long)delay);
	/* Blocks until the thread has run: no timing window, a 60 s bound. */
	for (;;) {
		ret = poll(&pfd, 1, 60000);
		if (ret <= 0) {
			bad(ret ? -errno : -ETIMEDOUT, "poll for the collector thread");
			return;
		}
		ret = rs_read_events(heap, &ev, 1);
		if (ret == 1) {
			printf("    ");
			print_event(&ev);
		}
		if (ret == 1 && ev.cause == REFSTORE_CAUSE_CYCLE && ev.cookie == 2)
			break;
		if (ret < 0 && ret != -EAGAIN) {
			bad(ret, "read events");
			return;
		}
	}
	drain_events(heap);
	printf("    both objects collected by the collector thread\n");
	printf("gc.get_stats() after:\n");
	print_gc_stats(heap);
	heap_stats(heap);
	printf("\n");
}

#define STREAM_N 50000

/* Objects made and dropped one at a time: the live count stays flat. */
static void demo_streaming(int heap)
{
	struct refstore_heap_stats s;
	uint64_t most = 0;
	uint32_t h;
	int i;

	printf("== (h) streaming: %d objects, one alive at a time ==\n", STREAM_N);
	printf(">>> def produce():\n...     for i in range(%d): yield Record(i)\n"
	       ">>> for r in produce(): consume(r)\n", STREAM_N);
	for (i = 1; i <= STREAM_N; i++) {
		if (bad(rs_create(heap, 64, 0, 0, i, 0, &h, NULL), "CREATE") ||
		    bad(rs_close(heap, h), "CLOSE"))
			return;
		if (i % (STREAM_N / 5))
			continue;
		if (bad(rs_heap_stats(heap, &s), "HEAP_STATS"))
			return;
		if (s.objects > most)
			most = s.objects;
		printf("    produced %6d: live objects %llu, bytes %llu\n", i,
		       (unsigned long long)s.objects, (unsigned long long)s.bytes);
	}
	if (most > 1) {
		printf("    live objects grew to %llu\n", (unsigned long long)most);
		demo_failed = 1;
		return;
	}
	printf("    live objects stayed flat (at most %llu) while %d were made:"
	       " a list of them all would hold %d\n", (unsigned long long)most,
	       STREAM_N, STREAM_N);
	heap_stats(heap);
	printf("\n");
}

int cmd_demo(int argc, char **argv)
{
	void (*const steps[])(int) = {
		demo_linked_list, demo_getrefcount, demo_cycle, demo_weakref,
		demo_manual_gc, demo_tracemalloc, demo_thread, demo_streaming,
	};
	unsigned int i;
	int heap, st;

	cli_getopt_reset();
	if (cli_getopt(argc, argv, "", NULL, &st) != -1)
		return st;
	if (cli.json)
		return cli_usage(argv[0], "no JSON output: %s prints text",
				 argv[0]);
	if (optind < argc)
		return cli_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		heap = cli_open_heap(O_NONBLOCK);
		if (heap < 0)
			return CLI_FAIL;
		steps[i](heap);
		close(heap);
	}

	printf("== (i) the module's counters (%s) ==\n", RS_DEBUGFS_STATS);
	if (bad(print_file(RS_DEBUGFS_STATS), RS_DEBUGFS_STATS))
		return 1;
	printf("\n== the collector thread (/sys/kernel/debug/refstore/gc) ==\n");
	if (bad(print_file("/sys/kernel/debug/refstore/gc"), "gc"))
		return 1;
	return demo_failed;
}
