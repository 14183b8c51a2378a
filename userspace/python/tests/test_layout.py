# SPDX-License-Identifier: GPL-2.0
"""The ctypes mirror of the uapi against the header itself.

A C program generated from refstore._uapi is compiled against
kmod/uapi/linux/refstore.h and prints sizeof() and offsetof() of every
structure and field, every ioctl number, feature bit and constant; each
must equal what the binding computes. A field added to, moved in or
removed from the header, or a renumbered command, fails here.
"""

import ctypes
import os
import shutil
import subprocess
import tempfile
import unittest

from refstore import _uapi as U

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                   "..", "..", ".."))
UAPI = os.path.join(TOP, "kmod", "uapi")


def _c_field(name):
    return "_" + name if name.startswith("_reserved") else name


def _expected():
    """(C expression, value the binding has) for everything checked."""
    out = []
    for cls, cname in U.C_NAMES.items():
        out.append(("sizeof(struct %s)" % cname, ctypes.sizeof(cls)))
        for name, _ in cls._fields_:
            out.append(("offsetof(struct %s, %s)" % (cname, _c_field(name)),
                        getattr(cls, name).offset))
            out.append(("sizeof(((struct %s *)0)->%s)"
                        % (cname, _c_field(name)), getattr(cls, name).size))
    for name, value in U.IOCTLS.items():
        out.append(("REFSTORE_IOC_" + name, value))
    for name, bit in U.FEATURES.items():
        out.append(("REFSTORE_FEAT_" + name.upper(), 1 << bit))
    for name in ("IOC_MAGIC", "UAPI_VERSION", "CREATE_NOTIFY", "OBJ_NOTIFY",
                 "OBJ_WEAKREFS", "LIMITS_RAISE", "CAUSE_RELEASED",
                 "CAUSE_CYCLE", "CAUSE_OVERFLOW", "GC_GENERATIONS",
                 "GC_DEBUG_STATS", "GC_DEBUG_SAVEALL", "SLOT_WEAK",
                 "SLOT_DEAD", "SET_SLOT_FLAGS", "WEAKREF_CALLBACK",
                 "WEAKREF_FROM_WEAK", "WEAKREF_FLAGS", "WEAKREF_ENTRY_SLOT",
                 "WEAKREF_ENTRY_CALLBACK", "WEAKREFS_PAGE", "CAUSE_WEAKREF",
                 "CAUSE_WEAKREF_CYCLE", "CAUSE_GC_START", "CAUSE_GC_STOP",
                 "CAUSE_GC_COLLECTABLE", "CAUSE_GC_UNCOLLECTABLE",
                 "CAUSE_GC_STATS", "GC_DEBUG_COLLECTABLE",
                 "GC_DEBUG_UNCOLLECTABLE", "GC_DEBUG_CALLBACKS",
                 "GC_DEBUG_LEAK", "GC_DEBUG_FLAGS", "TRACED_RESET_PEAK",
                 "TAG_NAME_MAX", "GROUP_TAG", "GROUP_CREATOR", "STAT_NAMED",
                 "STAT_OTHER", "SNAPSHOT_MAX", "OBJ_FROZEN", "OBJ_GARBAGE",
                 "OBJ_SUSPECT", "OBJ_COLLECTING", "GEN_FROZEN",
                 "OBJECTS_GENERATION"):
        out.append(("REFSTORE_" + name, getattr(U, name)))
    return out


class LayoutTest(unittest.TestCase):
    """sizeof/offsetof/constants from the C compiler vs refstore._uapi."""

    @classmethod
    def setUpClass(cls):
        cc = os.environ.get("CC", "cc")
        if shutil.which(cc) is None:
            raise unittest.SkipTest("no C compiler (%s)" % cc)
        cls.items = _expected()
        src = ["#include <stddef.h>", "#include <stdio.h>",
               "#include <linux/refstore.h>", "int main(void)", "{"]
        for expr, _ in cls.items:
            src.append('\tprintf("%%llu\\n", (unsigned long long)(%s));'
                       % expr)
        src += ["\treturn 0;", "}"]
        with tempfile.TemporaryDirectory() as tmp:
            c = os.path.join(tmp, "layout.c")
            exe = os.path.join(tmp, "layout")
            with open(c, "w") as f:
                f.write("\n".join(src) + "\n")
            subprocess.run([cc, "-std=gnu11", "-Wall", "-Werror", "-I", UAPI,
                            "-o", exe, c], check=True)
            out = subprocess.run([exe], check=True, capture_output=True,
                                 text=True).stdout.split()
        cls.c_values = [int(v) for v in out]

    def test_every_value_matches(self):
        self.assertEqual(len(self.c_values), len(self.items))
        bad = ["%s: C %d, python %d" % (expr, c, py)
               for (expr, py), c in zip(self.items, self.c_values) if c != py]
        self.assertEqual(bad, [])

    def test_every_struct_is_covered(self):
        # Every struct the header defines has a mirror.
        with open(os.path.join(UAPI, "linux", "refstore.h")) as f:
            text = f.read()
        import re
        in_header = set(re.findall(r"^struct (refstore_\w+) \{", text, re.M))
        self.assertEqual(in_header, set(U.C_NAMES.values()))

    def test_every_ioctl_is_covered(self):
        with open(os.path.join(UAPI, "linux", "refstore.h")) as f:
            text = f.read()
        import re
        in_header = set(re.findall(r"^#define REFSTORE_IOC_(\w+) \\$", text,
                                   re.M))
        self.assertEqual(in_header, set(U.IOCTLS))

    def test_every_feature_is_known(self):
        with open(os.path.join(UAPI, "linux", "refstore.h")) as f:
            text = f.read()
        import re
        in_header = set(n.lower() for n in
                        re.findall(r"^#define REFSTORE_FEAT_(\w+) ", text,
                                   re.M))
        self.assertEqual(in_header, set(U.FEATURES))
