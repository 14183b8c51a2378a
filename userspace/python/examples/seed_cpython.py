# SPDX-License-Identifier: GPL-2.0
"""The seed's Python snippets, verbatim but for the labels, for CPython.

docs/python.md prints this script's output (under the host's python3) next
to examples/seed.py's, which runs the same scenarios on the kernel heap.
The seed's Jupyter cells printed their last expression; print() shows it
here. Only get_stats() and the tracemalloc lines vary from run to run.
"""

print("== 1. linked list, dropped at its root")


class Node:
    def __init__(self, value):
        self.value = value
        self.next = None


def create_linked_list():
    head = Node(1)
    second = Node(2)
    third = Node(3)

    head.next = second
    second.next = third

    return head


# Allocation
linked_list = create_linked_list()

# Deallocation
linked_list = None

print("== 2. reference counting")
import sys


class MyClass:
    pass


obj = MyClass()
print(sys.getrefcount(obj))  # Output: 2

another_ref = obj
print(sys.getrefcount(obj))  # Output: 3

del another_ref
print(sys.getrefcount(obj))  # Output: 2

del obj

print("== 3. gc.disable, collect, enable, get_stats, garbage")
import gc

gc.enable()
gc.disable()

a = []
b = [a]
c = [b]

print(gc.collect())
gc.enable()
print(gc.get_stats())
print(gc.garbage)

print("== 4. circular reference")


class MyObject:
    def __init__(self, name):
        self.name = name
        print(f"Object {self.name} created")

    def __del__(self):
        print(f"Object {self.name} deleted")


obj1 = MyObject("obj1")
obj2 = MyObject("obj2")
obj1.ref = obj2
obj2.ref = obj1

del obj1
del obj2

print(gc.collect())

print("== 5. generators")


def generate_numbers(n):
    for i in range(n):
        yield i


for num in generate_numbers(100000):
    print(num)
    if num > 10:
        break

print("== 6. tracemalloc")
import tracemalloc


def create_list():
    return [i for i in range(10000)]


def main():
    tracemalloc.start()

    create_list()

    snapshot = tracemalloc.take_snapshot()
    top_stats = snapshot.statistics('lineno')

    print("[ Top 10 ]")
    for stat in top_stats[::]:
        print(stat)


main()

print("== 7. weak references (best practice 8)")
import weakref


class TreeNode:
    def __init__(self, name):
        self.name = name
        self.parent = None
        self.children = []

    def add_child(self, child):
        self.children.append(child)
        child.parent = weakref.ref(self)  # no cycle: the parent is weak

    def __del__(self):
        print(f"TreeNode {self.name} deleted")


root = TreeNode("root")
leaf = TreeNode("leaf")
root.add_child(leaf)
print(leaf.parent().name)
print(weakref.getweakrefcount(root))
weakref.finalize(root, print, "root finalized")

del root  # freed by counting alone: its __del__, then its finalizer
print(leaf.parent())
del leaf
print(gc.collect())
