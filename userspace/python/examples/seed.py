#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The seed's Python scenarios, on the kernel's heap.

Each section is the seed's snippet (examples/seed_cpython.py has them as
the seed wrote them) with its objects made in /dev/refstore instead of
CPython's heap: ``Node(1)`` becomes ``heap.new(...)``, ``head.next =
second`` a slot assignment, ``sys.getrefcount`` ``heap.getrefcount``,
``gc`` ``heap.gc``, ``__del__`` an ``on_del`` callback run from the
kernel's death event. docs/python.md shows both outputs side by side;
the VM suite (tests/test_kernel.py) asserts this one against
examples/seed.expected.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import refstore  # noqa: E402

heap = refstore.Heap()
# Automatic collection by thresholds only, as in CPython: without this the
# kernel's time bound could collect the cycle of section 4 before
# gc.collect() does, and the output would depend on timing.
heap.gc.set_delay(0)

print("== 1. linked list, dropped at its root")
NEXT = 0  # slot 0 is `next`


def freed(event):
    print(f"Node {event.name} freed ({event.cause})")


def Node(value):
    # self.value = value (the payload); self.next = None (slot 0, empty)
    return heap.new_int(value, slots=1, tag="Node", name=value, on_del=freed)


def create_linked_list():
    head = Node(1)
    second = Node(2)
    third = Node(3)

    head[NEXT] = second
    second[NEXT] = third

    return head


# Allocation
linked_list = create_linked_list()

# Deallocation: dropping the wrapper closes the handle; the chain's
# counts reach zero in the kernel, which frees the nodes.
linked_list = None

print("== 2. reference counting")
obj = heap.new(tag="MyClass")
print(heap.getrefcount(obj))  # Output: 2

another_ref = heap.dup(obj)  # a second handle: a second reference
print(heap.getrefcount(obj))  # Output: 3

del another_ref
print(heap.getrefcount(obj))  # Output: 2

del obj

print("== 3. gc.disable, collect, enable, get_stats, garbage")
gc = heap.gc

gc.enable()
gc.disable()

a = heap.new(slots=0, tag="list")  # a = []
b = heap.new(slots=1, tag="list")  # b = [a]
b[0] = a
c = heap.new(slots=1, tag="list")  # c = [b]
c[0] = b

print(gc.collect())
gc.enable()
print(gc.get_stats())
print(gc.garbage)

print("== 4. circular reference")
REF = 0  # slot 0 is `ref`


def __del__(event):
    print(f"Object {event.name} deleted")


def MyObject(name):
    obj = heap.new(slots=1, tag="MyObject", name=name, on_del=__del__)
    print(f"Object {name} created")
    return obj


obj1 = MyObject("obj1")
obj2 = MyObject("obj2")
obj1[REF] = obj2
obj2[REF] = obj1

del obj1
del obj2

print(gc.collect())

print("== 5. generators")


def generate_numbers(n):
    for i in range(n):
        yield heap.new_int(i)


peak = 0
for num in generate_numbers(100000):
    print(int(num))
    peak = max(peak, heap.stats()["objects"])
    if int(num) > 10:
        break
del num
# a, b, c of section 3, and at most the current number and the next one.
print(f"live objects at most: {peak}")

print("== 6. tracemalloc")


def create_list():
    # [i for i in range(10000)] as a chain of cells (a refstore object has
    # at most 1024 slots): payload i, slot 0 the rest of the list.
    lst = None
    for i in reversed(range(10000)):
        cell = heap.new_int(i, slots=1, tag="cell")
        cell[0] = lst
        lst = cell
    return lst


def main():
    heap.tracemalloc.start()  # the kernel always traces: checks the feature
    heap.tracemalloc.reset_peak()

    create_list()

    snapshot = heap.tracemalloc.take_snapshot()
    top_stats = snapshot.statistics("tag")

    print("[ Top 10 ]")
    for stat in top_stats[:10]:
        # str(stat) is tracemalloc's line, with sizes in bytes; the bytes
        # an object is charged vary with the kernel's slab, so only the
        # counts are printed here.
        print(f"{stat.name}: count={stat.count}")
    # The list was dropped at once, as in the seed: nothing of it is left,
    # but the peak saw it.
    print(f"peak: {snapshot.peak_objects} objects")


main()

print("== 7. weak references (best practice 8)")
PARENT, CHILD = 0, 1  # slot 0 is `parent`, slot 1 the one child


def deleted(event):
    print(f"TreeNode {event.name} deleted")


def TreeNode(name):
    # self.name = name (the payload); parent and child slots empty
    return heap.new(slots=2, tag="TreeNode", payload=name.encode(),
                    name=name, on_del=deleted)


def add_child(parent, child):
    parent[CHILD] = child
    child[PARENT] = refstore.weak(parent)  # no cycle: the parent is weak


root = TreeNode("root")
leaf = TreeNode("leaf")
add_child(root, leaf)
print(leaf[PARENT].payload.decode())
print(heap.getweakrefcount(root))
heap.finalize(root, print, "root finalized")

del root  # freed by counting alone: its __del__, then its finalizer
print(leaf[PARENT])
del leaf
print(gc.collect())
