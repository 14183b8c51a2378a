/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refstore tracepoints: refstore:gc_start, refstore:gc_end,
 * refstore:obj_create, refstore:obj_free, refstore:slot_set.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM refstore

#if !defined(_REFSTORE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _REFSTORE_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(gc_start,
	TP_PROTO(u64 heap, u32 generation, bool automatic),
	TP_ARGS(heap, generation, automatic),
	TP_STRUCT__entry(
		__field(u64, heap)
		__field(u32, generation)
		__field(bool, automatic)
	),
	TP_fast_assign(
		__entry->heap = heap;
		__entry->generation = generation;
		__entry->automatic = automatic;
	),
	TP_printk("heap=%llu generation=%u automatic=%d",
		  __entry->heap, __entry->generation, __entry->automatic)
);

/*
 * Every gc_start is followed by one gc_end for the same heap: @aborted
 * says the collection was abandoned (GC_COLLECT whose result could not be
 * copied out): nothing was collected. @duration_ns is the time spent
 * under the heap's lock (scan plus commit or abort).
 */
TRACE_EVENT(gc_end,
	TP_PROTO(u64 heap, u32 generation, u64 examined, u64 collected,
		 u64 uncollectable, u64 duration_ns, bool aborted),
	TP_ARGS(heap, generation, examined, collected, uncollectable,
		duration_ns, aborted),
	TP_STRUCT__entry(
		__field(u64, heap)
		__field(u32, generation)
		__field(u64, examined)
		__field(u64, collected)
		__field(u64, uncollectable)
		__field(u64, duration_ns)
		__field(bool, aborted)
	),
	TP_fast_assign(
		__entry->heap = heap;
		__entry->generation = generation;
		__entry->examined = examined;
		__entry->collected = collected;
		__entry->uncollectable = uncollectable;
		__entry->duration_ns = duration_ns;
		__entry->aborted = aborted;
	),
	TP_printk("heap=%llu generation=%u examined=%llu collected=%llu uncollectable=%llu duration_ns=%llu aborted=%d",
		  __entry->heap, __entry->generation, __entry->examined,
		  __entry->collected, __entry->uncollectable,
		  __entry->duration_ns, __entry->aborted)
);

TRACE_EVENT(obj_create,
	TP_PROTO(u64 heap, u64 id, u32 payload_size, u32 nslots, u64 tag),
	TP_ARGS(heap, id, payload_size, nslots, tag),
	TP_STRUCT__entry(
		__field(u64, heap)
		__field(u64, id)
		__field(u32, payload_size)
		__field(u32, nslots)
		__field(u64, tag)
	),
	TP_fast_assign(
		__entry->heap = heap;
		__entry->id = id;
		__entry->payload_size = payload_size;
		__entry->nslots = nslots;
		__entry->tag = tag;
	),
	TP_printk("heap=%llu id=%llu size=%u slots=%u tag=%llu",
		  __entry->heap, __entry->id, __entry->payload_size,
		  __entry->nslots, __entry->tag)
);

TRACE_EVENT(obj_free,
	TP_PROTO(u64 heap, u64 id, u32 cause),
	TP_ARGS(heap, id, cause),
	TP_STRUCT__entry(
		__field(u64, heap)
		__field(u64, id)
		__field(u32, cause)
	),
	TP_fast_assign(
		__entry->heap = heap;
		__entry->id = id;
		__entry->cause = cause;
	),
	TP_printk("heap=%llu id=%llu cause=%s", __entry->heap, __entry->id,
		  __print_symbolic(__entry->cause,
				   { 0, "heap" }, { 1, "released" },
				   { 2, "cycle" }))
);

/*
 * An edge changed: SET_SLOT made @obj's slot @slot point at @target (0:
 * emptied) instead of @old (0: it was empty), a weak reference if @weak
 * (REFSTORE_SLOT_WEAK), so a tracer (bpftrace) can follow the graph as it
 * changes. Ids are per heap.
 */
TRACE_EVENT(slot_set,
	TP_PROTO(u64 heap, u64 obj, u32 slot, u64 old, u64 target, bool weak),
	TP_ARGS(heap, obj, slot, old, target, weak),
	TP_STRUCT__entry(
		__field(u64, heap)
		__field(u64, obj)
		__field(u64, old)
		__field(u64, target)
		__field(u32, slot)
		__field(bool, weak)
	),
	TP_fast_assign(
		__entry->heap = heap;
		__entry->obj = obj;
		__entry->old = old;
		__entry->target = target;
		__entry->slot = slot;
		__entry->weak = weak;
	),
	TP_printk("heap=%llu obj=%llu slot=%u old=%llu target=%llu weak=%d",
		  __entry->heap, __entry->obj, __entry->slot, __entry->old,
		  __entry->target, __entry->weak)
);

#endif /* _REFSTORE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
