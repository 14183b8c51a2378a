#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run the binding's tests and print TAP (counted by scripts/results.py).

Usage: run.py [--host | --kernel] [-v] [PATTERN]

--host (default): the tests that need no kernel module (test_binding.py on
a model of the device, test_layout.py against the uapi header).
--kernel: test_kernel.py against the real /dev/refstore (in the VM).
One "ok N - module.Class.test" or "not ok N - ..." line per test; a
failure's traceback follows as "# " lines. Exits 1 if any test failed.
"""

import os
import sys
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

SUITES = {
    "--host": ["test_binding", "test_layout"],
    "--kernel": ["test_kernel"],
}


class TapResult(unittest.TestResult):
    """Prints one TAP line per test as it ends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.n = 0

    def _line(self, test, ok, extra=""):
        self.n += 1
        print("%sok %d - %s%s" % ("" if ok else "not ", self.n, test.id(),
                                  extra), flush=True)

    def _trace(self, err):
        for line in "".join(traceback.format_exception(*err)).splitlines():
            print("# " + line)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(test, True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(test, False)
        self._trace(err)

    def addError(self, test, err):
        super().addError(test, err)
        self._line(test, False)
        self._trace(err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(test, True, " # SKIP " + reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._line(test, True, " # XFAIL")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._line(test, False, " (unexpected success)")


def main(argv):
    which = "--host"
    pattern = None
    for a in argv:
        if a in SUITES:
            which = a
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            pattern = a
    loader = unittest.defaultTestLoader
    suite = unittest.TestSuite()
    for name in SUITES[which]:
        for t in _flatten(loader.loadTestsFromName(name)):
            if pattern is None or pattern in t.id():
                suite.addTest(t)
    print("TAP version 13")
    print("1..%d" % suite.countTestCases(), flush=True)
    result = TapResult()
    suite.run(result)
    bad = len(result.failures) + len(result.errors) + \
        len(result.unexpectedSuccesses)
    print("# python binding (%s): %d tests, %d failed"
          % (which[2:], result.testsRun, bad))
    return 1 if bad else 0


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
