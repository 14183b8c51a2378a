/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refstore_env.h - the host environment of the collector core: the few
 * kernel facilities kmod/core/ uses, for building it in userspace (unit
 * tests, the oracle, the fuzzer, benchmarks). The module's counterpart is
 * kmod/env/refstore_env.h; the include path picks one (host.mk, Kbuild).
 *
 * Only what the core needs: fixed-width types, BIT(), container_of(),
 * likely()/unlikely(), cond_resched(), a doubly linked list with the
 * kernel's names and semantics, struct kref and REFSTORE_ASSERT(). The
 * kref aborts on a get from zero and on an underflow, so a counting bug
 * stops the test at the faulty call instead of surfacing later as a
 * use-after-free.
 */
#ifndef _REFSTORE_ENV_H
#define _REFSTORE_ENV_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define BIT(nr)			(1UL << (nr))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#ifndef __always_inline	/* glibc's <sys/cdefs.h> has one */
#define __always_inline		inline __attribute__((__always_inline__))
#endif

#define container_of(ptr, type, member) ({				\
	const typeof(((type *)0)->member) *__mptr = (ptr);		\
	(type *)((char *)__mptr - offsetof(type, member)); })

/* Report and abort: a core bug must not go on to corrupt the test. */
#define HOST_BUG(msg) do {						\
	fprintf(stderr, "%s:%d: BUG: %s\n", __FILE__, __LINE__, msg);	\
	abort();							\
} while (0)

/* An invariant of the core (WARN_ON_ONCE in the kernel): abort here. */
#define REFSTORE_ASSERT(cond) do {					\
	if (unlikely(!(cond)))						\
		HOST_BUG("REFSTORE_ASSERT(" #cond ")");			\
} while (0)

#define BUG_ON(cond)	do { if (unlikely(cond)) HOST_BUG(#cond); } while (0)
#define WARN_ON(cond) ({						\
	bool __w = !!(cond);						\
	if (unlikely(__w))						\
		fprintf(stderr, "%s:%d: WARN_ON(%s)\n",			\
			__FILE__, __LINE__, #cond);			\
	unlikely(__w); })

/* The host never needs to yield; counting calls lets tests see progress. */
extern unsigned long host_cond_resched_calls;
static inline void cond_resched(void)
{
	host_cond_resched_calls++;
}

/* include/linux/prefetch.h: a hint, never a fault. */
#define prefetch(x)		__builtin_prefetch(x)
#define prefetchw(x)		__builtin_prefetch(x, 1)

/* ---- lists (include/linux/list.h semantics) ---- */

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name)	{ &(name), &(name) }
#define LIST_HEAD(name)		struct list_head name = LIST_HEAD_INIT(name)

/* Poison like the kernel, so a use after list_del() faults at once. */
#define HOST_LIST_POISON1	((struct list_head *)0x100)
#define HOST_LIST_POISON2	((struct list_head *)0x122)

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void __list_add(struct list_head *new, struct list_head *prev,
			      struct list_head *next)
{
	BUG_ON(next->prev != prev || prev->next != next);
	BUG_ON(new == prev || new == next);
	next->prev = new;
	new->next = next;
	new->prev = prev;
	prev->next = new;
}

static inline void list_add(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

static inline void __list_del_entry(struct list_head *entry)
{
	BUG_ON(entry->prev->next != entry || entry->next->prev != entry);
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
}

static inline void list_del(struct list_head *entry)
{
	__list_del_entry(entry);
	entry->next = HOST_LIST_POISON1;
	entry->prev = HOST_LIST_POISON2;
}

static inline void list_del_init(struct list_head *entry)
{
	__list_del_entry(entry);
	INIT_LIST_HEAD(entry);
}

static inline void list_move(struct list_head *list, struct list_head *head)
{
	__list_del_entry(list);
	list_add(list, head);
}

static inline void list_move_tail(struct list_head *list,
				  struct list_head *head)
{
	__list_del_entry(list);
	list_add_tail(list, head);
}

static inline int list_empty(const struct list_head *head)
{
	return head->next == head;
}

static inline void list_splice_tail(struct list_head *list,
				    struct list_head *head)
{
	struct list_head *first = list->next, *last = list->prev;

	if (list_empty(list))
		return;
	first->prev = head->prev;
	head->prev->next = first;
	last->next = head;
	head->prev = last;
}

static inline void list_splice_tail_init(struct list_head *list,
					 struct list_head *head)
{
	list_splice_tail(list, head);
	INIT_LIST_HEAD(list);
}

/* Move the entries of @head before @entry (not included) to @list. */
static inline void list_cut_before(struct list_head *list,
				   struct list_head *head,
				   struct list_head *entry)
{
	if (head->next == entry) {
		INIT_LIST_HEAD(list);
		return;
	}
	list->next = head->next;
	list->next->prev = list;
	list->prev = entry->prev;
	list->prev->next = list;
	head->next = entry;
	entry->prev = head;
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) \
	list_entry((ptr)->next, type, member)
#define list_next_entry(pos, member) \
	list_entry((pos)->member.next, typeof(*(pos)), member)
#define list_entry_is_head(pos, head, member) (&(pos)->member == (head))

#define list_for_each_entry(pos, head, member)				\
	for (pos = list_first_entry(head, typeof(*pos), member);	\
	     !list_entry_is_head(pos, head, member);			\
	     pos = list_next_entry(pos, member))

#define list_for_each_entry_from(pos, head, member)			\
	for (; !list_entry_is_head(pos, head, member);			\
	     pos = list_next_entry(pos, member))

#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_first_entry(head, typeof(*pos), member),	\
	     n = list_next_entry(pos, member);				\
	     !list_entry_is_head(pos, head, member);			\
	     pos = n, n = list_next_entry(n, member))

/* ---- kref (include/linux/kref.h semantics, checked) ---- */

struct kref {
	unsigned int refcount;
};

static inline void kref_init(struct kref *kref)
{
	kref->refcount = 1;
}

static inline unsigned int kref_read(const struct kref *kref)
{
	return kref->refcount;
}

static inline void kref_get(struct kref *kref)
{
	if (unlikely(kref->refcount == 0))
		HOST_BUG("kref_get() on a zero count (use after free)");
	if (unlikely(kref->refcount == ~0U))
		HOST_BUG("kref_get() overflow");
	kref->refcount++;
}

static inline int kref_put(struct kref *kref,
			   void (*release)(struct kref *kref))
{
	if (unlikely(kref->refcount == 0))
		HOST_BUG("kref_put() underflow");
	if (--kref->refcount)
		return 0;
	release(kref);
	return 1;
}

#endif /* _REFSTORE_ENV_H */
