// SPDX-License-Identifier: GPL-2.0
/*
 * A heap is charged what it really allocates: objects at their allocator
 * size (a payload of 512 KiB + 1 costs 1 MiB), weak handles and the
 * tables of handles and weak lists (sparse object ids included), the
 * event ring as NOTIFY objects need it, and the heap itself. The charged
 * figures (HEAP_STATS.bytes, the heap's overhead_bytes and the module's
 * total in debugfs) are compared with what the slab allocator really grew by.
 */
#include <inttypes.h>

#include "common.h"

/* A payload just over a power of two: kmalloc gives the next one. */
TEST_F(heap, payload_charged_at_allocated_size)
{
	struct refstore_heap_stats s0 = STATS(self->fd), s1;

	CREATE(self->fd, (512 << 10) + 1, 0);
	s1 = STATS(self->fd);
	TH_LOG("payload 512 KiB + 1 charged %" PRIu64 " bytes",
	       (uint64_t)(s1.bytes - s0.bytes));
	EXPECT_LE(1 << 20, s1.bytes - s0.bytes);
	EXPECT_GE((1 << 20) + 4096, s1.bytes - s0.bytes);
}

/* Weak handles cost memory: they are charged, and given back. */
TEST_F(heap, weak_handles_charged)
{
	struct refstore_heap_stats s0, s1;
	uint32_t h = CREATE(self->fd, 0, 0), w[64];
	int i;

	s0 = STATS(self->fd);
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, rs_weakref(self->fd, h, &w[i]));
	s1 = STATS(self->fd);
	TH_LOG("64 weak handles charged %" PRIu64 " bytes",
	       (uint64_t)(s1.bytes - s0.bytes));
	EXPECT_LE(64 * 32, s1.bytes - s0.bytes);
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, rs_close(self->fd, w[i]));
	/*
	 * Given back, but for the handle table's second level: its charge
	 * follows the highest handle ever used, an upper bound of its nodes.
	 */
	EXPECT_LE(s0.bytes, STATS(self->fd).bytes);
	EXPECT_GE(s0.bytes + 1024, STATS(self->fd).bytes);
}

/*
 * One NOTIFY object costs a few events of ring, not max_events' worth
 * (4096 events, 128 KiB); the heap's own overhead is charged.
 */
/* The heap's overhead_bytes, from its debugfs stats. */
static uint64_t overhead(struct __test_metadata *_metadata, int fd)
{
	char path[128];
	uint64_t v = 0;

	snprintf(path, sizeof(path), RS_DEBUGFS "/heaps/%" PRIu64 "/stats",
		 (uint64_t)STATS(fd).heap_id);
	EXPECT_EQ(0, rs_debugfs_u64(path, "overhead_bytes", &v))
		TH_LOG("%s", path);
	return v;
}

TEST_F(heap, event_ring_sized_to_need)
{
	uint64_t o0, o1;
	struct refstore_event ev[128];
	uint32_t h[100];
	int i;

	/* The heap's first object makes its tag table: measure after it. */
	CREATE(self->fd, 0, 0);
	o0 = overhead(_metadata, self->fd);
	EXPECT_LT(1024, o0);
	h[0] = CREATE_NOTIFY(self->fd, 0, 1, NULL);
	o1 = overhead(_metadata, self->fd);
	TH_LOG("heap overhead %" PRIu64 ", one NOTIFY object adds %" PRIu64,
	       o0, o1 - o0);
	EXPECT_GE(1024, o1 - o0);
	/* It grows as needed: 100 deaths, 100 events, none lost. */
	for (i = 1; i < 100; i++)
		h[i] = CREATE_NOTIFY(self->fd, 0, i + 1, NULL);
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, rs_close(self->fd, h[i]));
	EXPECT_EQ(100, rs_read_events(self->fd, ev, 128));
	EXPECT_EQ(0, STATS(self->fd).events_dropped);
}

/*
 * Slot counts of every kind of object layout: heads from each exact-fit
 * cache, and heads (more than 8 slots) from kvzalloc() (kmod/object.c).
 */
static unsigned int size_class(unsigned int x)
{
	static const unsigned int nslots[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9,
					       12, 40 };

	return nslots[x % (sizeof(nslots) / sizeof(nslots[0]))];
}

/*
 * Rings of objects of every size class (1 to 9, 12 and 40 slots, some
 * with payloads too large to be inline): dropped and collected, then the
 * same again.
 * A collection frees its objects in bulk (kmem_cache_free_bulk(), batches
 * cut where the cache changes); every charge must come back: the heap's
 * bytes and objects, the module's total and the user's charge are what
 * they were after the first round, to the byte. (The first round grows
 * the handle table, whose charge follows the highest handle ever used.)
 */
static void rings_collected(struct __test_metadata *_metadata, int fd,
			    unsigned int n)
{
	uint32_t h[10];
	unsigned int i, k, len, made = 0;

	for (i = 0; made < n; i++) {
		len = 2 + i % 9;
		for (k = 0; k < len; k++)
			h[k] = CREATE(fd, (i + k) % 7 == 0 ? 200 : 8 * (k % 3),
				      size_class(i + k));
		for (k = 0; k < len; k++)
			LINK(fd, h[k], 0, h[(k + 1) % len]);
		for (k = 0; k < len; k++)
			CLOSE(fd, h[k]);
		made += len;
	}
	EXPECT_EQ(made, COLLECT(fd, 2));
}

TEST_F(heap, collected_objects_uncharged)
{
	struct refstore_gc_value v = { .size = sizeof(v) };
	struct refstore_heap_stats s0, s1;
	uint64_t heaps, u0 = 0, u1 = 0, g0, g1;

	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_DISABLE, &v));
	rings_collected(_metadata, self->fd, 3000);
	s0 = STATS(self->fd);
	g0 = GLOBAL("bytes");
	ASSERT_EQ(0, user_charge(getuid(), &heaps, &u0));
	rings_collected(_metadata, self->fd, 3000);
	s1 = STATS(self->fd);
	g1 = GLOBAL("bytes");
	ASSERT_EQ(0, user_charge(getuid(), &heaps, &u1));
	TH_LOG("after 2 x 3000 objects collected: heap %" PRIu64 " bytes, %"
	       PRIu64 " objects; user %" PRIu64 " bytes",
	       (uint64_t)s1.bytes, (uint64_t)s1.objects, u1);
	EXPECT_EQ(0, s1.objects);
	EXPECT_EQ(s0.bytes, s1.bytes);
	EXPECT_EQ(u0, u1);
	EXPECT_EQ(g0, g1);
	EXPECT_LT(0, u1);
}

/*
 * Lists of objects of every size class, dropped by counting: a CLOSE of
 * the head, or a SET_SLOT that overwrites the only reference to it. The
 * cascade is released under the heap's lock and freed in bulk after it
 * (refstore_reap_to(), refstore_obj_free_list()), where the user's and the
 * module's charges and the module's object and freed counts are given back
 * once per list: all must come back to the byte and the object.
 */
static void lists_dropped(struct __test_metadata *_metadata, int fd,
			  unsigned int n)
{
	unsigned int i, k, len, made = 0;
	uint32_t keep = CREATE(fd, 0, 1), head, prev, h;

	for (i = 0; made < n; i++) {
		len = 50 + i % 13;
		head = CREATE(fd, i % 5 == 0 ? 200 : 8 * (i % 3), size_class(i));
		prev = head;
		for (k = 1; k < len; k++) {
			h = CREATE(fd, (i + k) % 7 == 0 ? 200 : 8 * (k % 3),
				   size_class(i + k));
			LINK(fd, prev, 0, h);
			if (prev != head)
				CLOSE(fd, prev);
			prev = h;
		}
		if (prev != head)
			CLOSE(fd, prev);
		if (i % 2) {
			LINK(fd, keep, 0, head);
			CLOSE(fd, head);
			/* The only reference to the list goes: SET_SLOT drops it. */
			ASSERT_EQ(0, rs_set_slot(fd, keep, 0, 0));
		} else {
			CLOSE(fd, head);
		}
		made += len;
	}
	CLOSE(fd, keep);
}

TEST_F(heap, dropped_lists_uncharged)
{
	struct refstore_gc_value v = { .size = sizeof(v) };
	struct refstore_heap_stats s0, s1;
	uint64_t heaps, u0 = 0, u1 = 0, g0, g1, o0, o1, f0, f1;

	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_DISABLE, &v));
	lists_dropped(_metadata, self->fd, 3000);
	s0 = STATS(self->fd);
	g0 = GLOBAL("bytes");
	o0 = GLOBAL("objects");
	f0 = GLOBAL("freed");
	ASSERT_EQ(0, user_charge(getuid(), &heaps, &u0));
	lists_dropped(_metadata, self->fd, 3000);
	s1 = STATS(self->fd);
	g1 = GLOBAL("bytes");
	o1 = GLOBAL("objects");
	f1 = GLOBAL("freed");
	ASSERT_EQ(0, user_charge(getuid(), &heaps, &u1));
	TH_LOG("after 2 x 3000 objects dropped: heap %" PRIu64 " bytes, %"
	       PRIu64 " objects; user %" PRIu64 " bytes; module %" PRIu64
	       " freed in the second round",
	       (uint64_t)s1.bytes, (uint64_t)s1.objects, u1, f1 - f0);
	EXPECT_EQ(0, s1.objects);
	EXPECT_EQ(s0.bytes, s1.bytes);
	EXPECT_EQ(s1.freed - s0.freed, f1 - f0);
	EXPECT_LE(3000, f1 - f0);
	EXPECT_EQ(u0, u1);
	EXPECT_EQ(g0, g1);
	EXPECT_EQ(o0, o1);
	EXPECT_LT(0, u1);
}

/* Objects of ids @stride apart, each with a weak handle; the rest freed. */
static void sparse_weak(struct __test_metadata *_metadata, int fd,
			unsigned int n, unsigned int stride)
{
	unsigned int i, k;
	uint32_t h, w;

	for (i = 0; i < n; i++) {
		for (k = 1; k < stride; k++) {
			ASSERT_EQ(0, rs_create(fd, 0, 0, 0, 0, 0, &h, NULL));
			ASSERT_EQ(0, rs_close(fd, h));
		}
		ASSERT_EQ(0, rs_create(fd, 0, 1, 0, 0, 0, &h, NULL));
		ASSERT_EQ(0, rs_weakref(fd, h, &w));
	}
}

/* In-use objects of every slab cache, from /proc/slabinfo. */
struct slab_snap {
	char name[512][40];
	uint64_t active[512];
	int n;
};

static void slab_snap(struct __test_metadata *_metadata, struct slab_snap *ss)
{
	char line[512];
	FILE *f = fopen("/proc/slabinfo", "r");

	ASSERT_NE(NULL, f);
	ss->n = 0;
	while (fgets(line, sizeof(line), f) && ss->n < 512) {
		unsigned long long active;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%39s %llu", ss->name[ss->n], &active) == 2)
			ss->active[ss->n++] = active;
	}
	fclose(f);
}

/* A cache's object size without debug metadata (slub_debug in the VM). */
static uint64_t slab_object_size(const char *name)
{
	char path[128];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/object_size", name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%" SCNu64, &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* The kmalloc cache a kmalloc(@n) comes from, for @n up to a page. */
static uint64_t kmalloc_roundup(uint64_t n)
{
	static const uint64_t sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256,
					  512, 1024, 2048, 4096 };
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (n <= sizes[i])
			return sizes[i];
	return 0;
}

/* An object cache's object size: 56 + @ext (its name) as created. */
static uint64_t obj_cache_size(uint64_t ext)
{
	char name[40];
	uint64_t v;

	if (ext)
		snprintf(name, sizeof(name), "refstore_obj_%" PRIu64, ext);
	else
		snprintf(name, sizeof(name), "refstore_obj");
	v = slab_object_size(name);
	return v ? v : 56 + ext;
}

/*
 * An object's charge, field by field (kmod/object.c): the header (56
 * bytes) and its slots always in one allocation (a one-slot object is one
 * 64-byte cache line); the cookie and payload after the slots when slots,
 * cookie and payload take at most 64 bytes, else in a kvzalloc() of their
 * own whose pointer follows the slots; the head from the exact-fit cache
 * when what follows the header takes at most 64 bytes, else kvzalloc().
 * Every slab object carries a memcg pointer (SLAB_ACCOUNT, 8 bytes). Each
 * layout is created, its charge compared with what this model says to the
 * byte, its payload, slots and cookie used (so the out-of-line rest is
 * where the module says it is), and its charge given back at its CLOSE.
 */
TEST_F(heap, object_layouts_charged_exactly)
{
	static const struct {
		unsigned int nslots, payload;
		int notify;
	} lay[] = {
		{ 1, 0, 0 }, { 0, 0, 0 }, { 8, 0, 0 }, { 1, 8, 0 }, { 1, 0, 1 },
		{ 2, 40, 1 }, { 2, 41, 1 }, { 9, 0, 0 }, { 20, 100, 0 },
		{ 20, 100, 1 }, { 7, 200, 0 }, { 8, 1, 0 }, { 0, 200, 0 },
		{ 0, 64, 0 }, { 0, 65, 0 }, { 60, 0, 1 },
	};
	uint32_t keep = CREATE(self->fd, 0, 0), h, t;
	struct refstore_event ev;
	unsigned int i, k;
	char buf[256], back[256];

	CLOSE(self->fd, CREATE(self->fd, 0, 1));
	for (i = 0; i < sizeof(lay) / sizeof(lay[0]); i++) {
		uint64_t slots = 8 * lay[i].nslots;
		uint64_t rest = lay[i].payload + (lay[i].notify ? 8 : 0);
		uint64_t head, want;
		struct refstore_heap_stats s0, s1;

		if (slots + rest <= 64)
			head = slots + rest;
		else
			head = slots + (rest ? 8 : 0);
		if (head <= 64)
			want = obj_cache_size((head + 7) / 8 * 8) + 8;
		else
			want = kmalloc_roundup(56 + head) + 8;
		if (slots + rest > 64 && rest)
			want += kmalloc_roundup(rest) + 8;

		s0 = STATS(self->fd);
		h = CREATE_COOKIE(self->fd, lay[i].payload, lay[i].nslots,
				  lay[i].notify ? 1000 + i : 0);
		s1 = STATS(self->fd);
		TH_LOG("%u slots, payload %u%s: charged %" PRIu64 " bytes",
		       lay[i].nslots, lay[i].payload,
		       lay[i].notify ? ", cookie" : "",
		       (uint64_t)(s1.bytes - s0.bytes));
		EXPECT_EQ(want, s1.bytes - s0.bytes);
		if (!lay[i].nslots && !lay[i].payload && !lay[i].notify)
			EXPECT_EQ(obj_cache_size(0) + 8, s1.bytes - s0.bytes);
		if (lay[i].nslots == 1 && !rest)
			/* One 64-byte cache line, and its memcg pointer. */
			EXPECT_EQ(64 + 8, s1.bytes - s0.bytes);

		for (k = 0; k < lay[i].payload; k++)
			buf[k] = (char)(i * 31 + k);
		ASSERT_EQ(0, rs_write(self->fd, h, 0, buf, lay[i].payload));
		for (k = 0; k < lay[i].nslots; k++)
			LINK(self->fd, h, k, keep);
		memset(back, 0, sizeof(back));
		ASSERT_EQ(0, rs_read(self->fd, h, 0, back, lay[i].payload));
		EXPECT_EQ(0, memcmp(buf, back, lay[i].payload));
		if (lay[i].nslots) {
			ASSERT_EQ(0, rs_get_slot(self->fd, h, lay[i].nslots - 1,
						 &t, NULL));
			EXPECT_NE(0, t);
			CLOSE(self->fd, t);
		}
		CLOSE(self->fd, h);
		EXPECT_EQ(s0.bytes, STATS(self->fd).bytes);
		if (lay[i].notify) {
			ASSERT_EQ(1, rs_read_events(self->fd, &ev, 1));
			EXPECT_EQ(1000 + i, ev.cookie);
		}
	}
	CLOSE(self->fd, keep);
}

/*
 * What the slab allocator grew by between two snapshots: in-use objects
 * times their size. The suite's VMs boot with slub_debug, which pads
 * every object with red zones and tracking: the object size without them
 * (/sys/kernel/slab/<cache>/object_size) is what a production kernel
 * allocates, but for alignment (8 bytes) and the caches' free pointer.
 */
static int64_t slab_grown(const struct slab_snap *a, const struct slab_snap *b)
{
	int64_t grown = 0;
	int i, j;

	for (j = 0; j < b->n; j++) {
		uint64_t before = 0;

		for (i = 0; i < a->n; i++)
			if (!strcmp(a->name[i], b->name[j]))
				before = a->active[i];
		grown += ((int64_t)b->active[j] - (int64_t)before) *
			 (int64_t)slab_object_size(b->name[j]);
	}
	return grown;
}

/*
 * Slab growth against charge: dense objects with a weak handle each,
 * objects with sparse ids (16 apart) with a weak handle each, and a
 * hundred empty heaps. What the slab caches grew by must be covered by
 * what the module charged, within 10% + 512 KiB (other kernel activity in
 * an idle guest: the test's own files and processes), and the charge must
 * not exceed twice the growth + 1 MiB (it is an upper bound, but not a
 * wild one).
 *
 * Not on a KASAN kernel (scripts/check-vm sets REFSTORE_SANITIZER there):
 * its quarantine keeps freed objects allocated and its debug caches are
 * not the production layout, so slab growth there is not what the objects
 * cost (measured: 15,300 KiB of growth for 2,715 KiB of objects).
 */
TEST_F_TIMEOUT(heap, slab_growth_covered_by_charge, 300)
{
	static struct slab_snap s0, s1, s2, s3;
	struct refstore_gc_value v = { .size = sizeof(v) };
	int64_t grew, charged, b0, b1, b2, b3;
	int fd, fds[100], i;

	if (getenv("REFSTORE_SANITIZER"))
		SKIP(return, "%s kernel: slab growth is not the objects' footprint",
		     getenv("REFSTORE_SANITIZER"));
	fd = rs_open(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, REFSTORE_IOC_GC_DISABLE, &v));
	b0 = GLOBAL("bytes");
	slab_snap(_metadata, &s0);

	sparse_weak(_metadata, fd, 8192, 1);
	b1 = GLOBAL("bytes");
	slab_snap(_metadata, &s1);
	sparse_weak(_metadata, fd, 1024, 16);
	b2 = GLOBAL("bytes");
	slab_snap(_metadata, &s2);
	for (i = 0; i < 100; i++) {
		fds[i] = rs_open(0);
		ASSERT_LE(0, fds[i]);
	}
	b3 = GLOBAL("bytes");
	slab_snap(_metadata, &s3);

	TH_LOG("8192 objects + weak handles: slab +%" PRId64
	       " KiB, charged +%" PRId64 " KiB", slab_grown(&s0, &s1) >> 10,
	       (b1 - b0) >> 10);
	TH_LOG("1024 objects 16 ids apart + weak handles: slab +%" PRId64
	       " KiB, charged +%" PRId64 " KiB", slab_grown(&s1, &s2) >> 10,
	       (b2 - b1) >> 10);
	TH_LOG("100 empty heaps: slab +%" PRId64 " KiB, charged +%" PRId64
	       " KiB", slab_grown(&s2, &s3) >> 10, (b3 - b2) >> 10);
	grew = slab_grown(&s0, &s3);
	charged = b3 - b0;
	TH_LOG("total: slab grew %" PRId64 " KiB, module charged %" PRId64
	       " KiB", grew >> 10, charged >> 10);
	EXPECT_GE(charged + charged / 10 + (512 << 10), grew);
	EXPECT_GE(2 * grew + (1 << 20), charged);
	for (i = 0; i < 100; i++)
		close(fds[i]);
	close(fd);
}

T_HARNESS_MAIN
