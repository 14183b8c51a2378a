#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""scripts/results.py - the one place refstore's tests are counted.

Every part of `make check` prints TAP lines ("ok N - what", "not ok N -
what"); this script counts them, records each part's counts in a results
file, and sums results files into the final line.

  results.py tap [OPTIONS] [FILE]
      Count the TAP in FILE (default: stdin), e.g. a VM's --output file.
      Prints the result lines renumbered (unless --quiet), a "# FAILED:"
      line per failure, "# PART: ..." and "P passed, F failed".
  results.py run [OPTIONS] -- CMD [ARGS...] [-- CMD [ARGS...]]...
      Run each CMD, streaming its output with the result lines renumbered
      into one sequence, and count it like `tap`. A CMD that prints no
      result line counts as one test: passed if it exits 0.
  results.py add FILE PART PASSED FAILED
      Append one part's counts to results file FILE.
  results.py sum [--status N] FILE...
      Print every part of the results FILEs and, last, "N passed, N failed"
      over all of them. A missing FILE, or --status N (N != 0: the exit
      status of what wrote them) with no failure recorded, counts as one
      failure. Exits 1 if anything failed.

OPTIONS of tap and run:
  --part NAME          the part's name in the results file (default: tap)
  --results FILE       append "NAME PASSED FAILED" to FILE (repeatable)
  --kernel K           the kernel the TAP comes from: which lines of
                       --allowed-skips apply
  --allowed-skips F    skips allowed (default selftests/allowed-skips)
  --prefix STR         put STR before every test's description
  --quiet              (tap) do not print the TAP again, only the counts
  --status N           (tap) the producer's exit status: N != 0 with no
                       failing line counts as one failure
  --fail MSG           (tap) one more failure, always (repeatable)

Counting, over lines that start in column 0 (indented lines are a nested
TAP's own subtests and are not counted):
  "ok [N] [-] name"            one pass (also "# XFAIL")
  "not ok [N] [-] name"        one failure
  "ok [N] [name] # SKIP why"   not counted if the test's name (as in the
                               line or in "#  RUN  fixture.name ...") is
                               allowed by --allowed-skips for --kernel; else
                               one failure
  "# run-selftests: BEGIN B" .. "# run-selftests: END B exit=S"
                               a binary B that exits S != 0 without a
                               "not ok" of its own: one failure
  no result line at all        one failure (the producer died silently)
The allowed-skips file has one "NAME" or "KERNEL[,KERNEL...] NAME" a line;
NAME may end in "*" (any suffix); "#" starts a comment.

A results file has one "PART PASSED FAILED" line per part, each followed
by up to 10 "# FAILED: PART: what" lines; `sum` prints those again just
before its last line.  Python 3 standard library only.
"""
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLOWED_SKIPS = os.path.join(TOP, "selftests", "allowed-skips")

RESULT_RE = re.compile(r"^(not ok|ok)(?:\s+(\d+))?(?:\s+-)?(?:\s+(.*?))?\s*$")
SKIP_RE = re.compile(r"(?:^|\s)#\s*SKIP\b", re.IGNORECASE)
RUN_RE = re.compile(r"^#\s+RUN\s+(\S+)")
BEGIN_RE = re.compile(r"^# run-selftests: BEGIN (\S+)")
END_RE = re.compile(r"^# run-selftests: END (\S+) exit=(-?\d+)")
TOTAL_RE = re.compile(r"^\d+ passed, \d+ failed$")


def die(msg, code=2):
    print(f"results.py: {msg}", file=sys.stderr)
    sys.exit(code)


def load_allowed(path, kernel):
    """(exact names, prefixes) of the skips allowed on kernel."""
    exact, prefixes = set(), []
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return exact, prefixes
    for line in lines:
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) >= 2:
            if kernel not in words[0].split(","):
                continue
            name = words[1]
        else:
            name = words[0]
        if name.endswith("*"):
            prefixes.append(name[:-1])
        else:
            exact.add(name)
    return exact, prefixes


class Tap:
    """Counts one part's TAP, line by line."""

    def __init__(self, part, kernel=None, allowed=ALLOWED_SKIPS, prefix="",
                 echo=True, out=sys.stdout):
        self.part = part
        self.exact, self.prefixes = load_allowed(allowed, kernel)
        self.prefix = prefix
        self.echo = echo
        self.out = out
        self.n = 0
        self.passed = self.failed = self.skipped = 0
        self.failures = []
        self.run = ""          # last "#  RUN  fixture.name"
        self.binary = None     # inside run-selftests' BEGIN/END markers
        self.binary_failed = 0
        self.unit_failed = 0   # failures since begin_unit()
        self.unit_results = 0

    def emit(self, line):
        if self.echo:
            print(line, file=self.out, flush=True)

    def skip_allowed(self, name):
        return name in self.exact or any(name.startswith(p)
                                         for p in self.prefixes)

    def fail(self, msg):
        self.failed += 1
        self.unit_failed += 1
        self.binary_failed += 1
        self.failures.append(msg)

    def begin_unit(self):
        self.unit_failed = self.unit_results = 0

    def line(self, line):
        line = line.rstrip("\r\n")
        m = RESULT_RE.match(line)
        if not m:
            if (b := BEGIN_RE.match(line)):
                self.binary, self.binary_failed = b.group(1), 0
            elif (e := END_RE.match(line)):
                if int(e.group(2)) != 0 and self.binary_failed == 0:
                    self.fail(f"{e.group(1)} exited {e.group(2)} without "
                              "a failing test line")
                self.binary = None
            elif (r := RUN_RE.match(line)):
                self.run = r.group(1)
            if not TOTAL_RE.match(line):
                self.emit(line)
            return
        verdict, desc = m.group(1), m.group(3) or ""
        self.n += 1
        self.unit_results += 1
        self.emit(f"{verdict} {self.n} - {self.prefix}{desc}".rstrip())
        where = f"{self.binary}: " if self.binary else ""
        if verdict == "not ok":
            self.fail(f"{where}{self.prefix}{desc}")
            return
        if SKIP_RE.search(desc):
            name = SKIP_RE.split(desc, 1)[0].strip() or self.run
            self.skipped += 1
            if not self.skip_allowed(name):
                self.fail(f"{where}{name} skipped (not in "
                          "selftests/allowed-skips)")
            return
        self.passed += 1

    def end_unit(self, what, status):
        """A producer (command) ended with status: judge it."""
        if status != 0 and self.unit_failed == 0:
            self.n += 1
            self.emit(f"not ok {self.n} - {self.prefix}{what} exited with "
                      f"status {status}")
            self.fail(f"{self.prefix}{what} exited with status {status}")
        elif status == 0 and self.unit_results == 0:
            self.n += 1
            self.passed += 1
            self.emit(f"ok {self.n} - {self.prefix}{what}")

    def finish(self, results):
        if self.n == 0 and self.failed == 0:
            self.fail("no test result at all")
        for msg in self.failures:
            print(f"# FAILED: {self.part}: {msg}", flush=True)
        print(f"# {self.part}: pass {self.passed}, fail {self.failed}, "
              f"skip {self.skipped}", flush=True)
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        for path in results:
            add(path, self.part, self.passed, self.failed, self.failures)
        return 1 if self.failed else 0


# A results file keeps at most this many failure lines per part.
FAILURES_KEPT = 10


def add(path, part, passed, failed, failures=()):
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as f:
        f.write(f"{part} {passed} {failed}\n")
        for msg in failures[:FAILURES_KEPT]:
            f.write(f"# FAILED: {part}: {msg}\n")
        if len(failures) > FAILURES_KEPT:
            f.write(f"# FAILED: {part}: ... and "
                    f"{len(failures) - FAILURES_KEPT} more\n")


def parse_opts(args, allowed):
    """Options of tap and run, up to the first non-option (or --)."""
    opts = {"part": "tap", "results": [], "kernel": None,
            "allowed-skips": ALLOWED_SKIPS, "prefix": "", "quiet": False,
            "status": 0, "fail": []}
    while args:
        a = args[0]
        if a == "--":
            args.pop(0)
            break
        if not a.startswith("--") or a == "-":
            break
        key = a[2:]
        if key not in allowed:
            die(f"unknown option {a} (see --help)")
        args.pop(0)
        if key == "quiet":
            opts["quiet"] = True
            continue
        if not args:
            die(f"{a} needs an argument")
        v = args.pop(0)
        if key in ("results", "fail"):
            opts[key].append(v)
        elif key == "status":
            try:
                opts[key] = int(v)
            except ValueError:
                die(f"--status {v}: not a number")
        else:
            opts[key] = v
    return opts


COMMON = {"part", "results", "kernel", "allowed-skips", "prefix"}


def cmd_tap(args):
    o = parse_opts(args, COMMON | {"quiet", "status", "fail"})
    if len(args) > 1:
        die("tap takes one FILE")
    t = Tap(o["part"], o["kernel"], o["allowed-skips"], o["prefix"],
            echo=not o["quiet"])
    if not args or args[0] == "-":
        sys.stdin.reconfigure(errors="replace")
        f = sys.stdin
    else:
        try:
            f = open(args[0], errors="replace")
        except OSError as e:
            die(f"{args[0]}: {e.strerror}", 1)
    with f:
        for line in f:
            t.line(line)
    for msg in o["fail"]:
        t.fail(msg)
    if o["status"] != 0 and t.failed == 0:
        t.fail(f"exited with status {o['status']} without a failing test")
    return t.finish(o["results"])


def cmd_run(args):
    o = parse_opts(args, COMMON)
    cmds, cur = [], []
    for a in args + ["--"]:
        if a == "--":
            if cur:
                cmds.append(cur)
            cur = []
        else:
            cur.append(a)
    if not cmds:
        die("run needs a command")
    t = Tap(o["part"], o["kernel"], o["allowed-skips"], o["prefix"])
    for cmd in cmds:
        t.begin_unit()
        try:
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT,
                                 errors="replace")
        except OSError as e:
            t.n += 1
            t.emit(f"not ok {t.n} - {o['prefix']}{' '.join(cmd)}: "
                   f"{e.strerror}")
            t.fail(f"{o['prefix']}{' '.join(cmd)}: {e.strerror}")
            continue
        for line in p.stdout:
            t.line(line)
        t.end_unit(" ".join(os.path.basename(c) if i == 0 else c
                            for i, c in enumerate(cmd)), p.wait())
    return t.finish(o["results"])


def cmd_add(args):
    if len(args) != 4 or not all(a.isdigit() for a in args[2:]):
        die("usage: results.py add FILE PART PASSED FAILED")
    add(args[0], args[1], int(args[2]), int(args[3]))
    return 0


def cmd_sum(args):
    o = parse_opts(args, {"status"})
    passed = failed = 0
    reasons = []
    for path in args:
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except OSError:
            print(f"# FAILED: {path} missing (its part died before "
                  "recording anything)")
            failed += 1
            continue
        for line in lines:
            if line.startswith("# FAILED: "):
                reasons.append(line)
                continue
            w = line.split()
            if len(w) != 3 or not w[1].isdigit() or not w[2].isdigit():
                print(f"# FAILED: {path}: bad line '{line}'")
                failed += 1
                continue
            print(f"# results: {w[0]}: {w[1]} passed, {w[2]} failed")
            passed += int(w[1])
            failed += int(w[2])
    # What failed, again, next to the last line: the end of a long log
    # is often all of it that is kept.
    for line in reasons:
        print(line)
    if o["status"] != 0 and failed == 0:
        print(f"# FAILED: exit status {o['status']} with no failure recorded")
        failed = 1
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    cmds = {"tap": cmd_tap, "run": cmd_run, "add": cmd_add, "sum": cmd_sum}
    if argv[0] not in cmds:
        die(f"unknown command {argv[0]} (see --help)")
    return cmds[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
