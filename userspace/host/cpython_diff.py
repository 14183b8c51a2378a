#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""cpython_diff.py - the collector core judged against CPython's own gc.

Generates random object-graph programs, runs each in this interpreter
(CPython 3.11: instances of classes with __slots__ and __weakref__,
gc.disable(), gc.collect(g), gc.freeze(), DEBUG_SAVEALL, gc.garbage,
weakref, __del__ recording deaths) and in build/host/cpython_drive (the
core, kmod/core, with the host harness), and compares after every
operation: collect's result, which objects died and why (counting or the
collector), which weak references are alive, get_count(), get_stats() and
len(gc.garbage). A divergence is shrunk to a minimal program and printed.

Program language (one op per line, handles are indices 0..63):
  N h k     handle h = a new object with k slots (1..4)
  L h n     handle h = the head of a new chain of n one-slot objects
  S h s t   h.s = t        C h s     h.s = None
  G h s t   handle t = h.s D h       drop handle h
  U h t     handle t = h   W h       a weak reference to h
  X g       gc.collect(g)  F / Z     gc.freeze() / gc.unfreeze()
  A 0|1     DEBUG_SAVEALL off/on     K  del gc.garbage[:]
  H i t     handle t = object i, if it is in gc.garbage
  Y h s t   h.s = weakref.ref(t): a weak slot (refstore's REFSTORE_SLOT_WEAK)
  Q h       weakref.ref(h, callback), once per object, not on an object
            already finalized (REFSTORE_WEAKREF_CALLBACK)

G on a weak slot calls the weakref: r=1 if its object is alive (handle t
then names it), r=0 if it died. A death is "i:rc" or "i:gc"; an object
with a callback shows both in the order they ran: "i:rc+cb" (counting:
__del__, then the callbacks, as subtype_dealloc()) or "i:cb+gc" (the
collector: handle_weakrefs() before finalize_garbage()). The weak
references the runner makes (W, Y, Q) are held by the runner, never
garbage themselves, as refstore's weak handles and weak slot entries.

Argued differences (docs/collector.md) are left out of the language:
objects without slots (refstore does not track them; CPython tracks every
instance of a class), automatic collection (the runner's own allocations
would trigger CPython's), and when an object that was saved and then
cleared is finally freed (CPython cannot observe it without allocating).

Output: "ok N - ..." or "not ok N - ..." lines, for run-hostcheck.sh.

The module, in the VM (scripts/check-vm-diff): --vm-input FILE writes the
same programs (the fixed ones, then the random ones of -n and --seed) as
the driver's input; the VM runs them through the real module with
refstore-cpython-drive (userspace/diff/module_drive.c), and
--vm-compare FILE judges that driver's output against this interpreter,
program by program, printing the first divergent operation of the first
few divergent programs (no shrinking: the module is in the VM). DRIVER is
then not run and may be "-".
"""
import gc
import random
import subprocess
import sys
import time
import weakref

MAXH = 64
SLOTNAMES = ('s0', 's1', 's2', 's3')

D = []          # deaths, appended by __del__: index * 4 + cause (1 rc, 2 gc)
                # and by callbacks: index * 4 + 3
FIN = set()     # objects whose __del__ ran


def callback(i):
    return lambda wr: D.append(i * 4 + 3)


def _del(self):
    # In gc's finalize_garbage the object has its references plus gc's own;
    # from a dealloc it has exactly the one the dealloc lends it. Here, one
    # more for self and one for the argument.
    D.append(self.i * 4 + (1 if sys.getrefcount(self) <= 3 else 2))


class O1:
    __slots__ = ('i', 's0', '__weakref__')
    __del__ = _del


class O2:
    __slots__ = ('i', 's0', 's1', '__weakref__')
    __del__ = _del


class O3:
    __slots__ = ('i', 's0', 's1', 's2', '__weakref__')
    __del__ = _del


class O4:
    __slots__ = ('i', 's0', 's1', 's2', 's3', '__weakref__')
    __del__ = _del


CLASSES = (None, O1, O2, O3, O4)


def new(cls, i):
    o = cls()
    o.i = i
    for name in cls.__slots__[1:-1]:
        setattr(o, name, None)
    return o


def deaths_of(evs):
    """Per object, its death and callback in the order they ran."""
    per = {}
    for d in evs:
        per.setdefault(d >> 2, []).append(
            {1: 'rc', 2: 'gc', 3: 'cb'}[d & 3])
    return ','.join('%d:%s' % (i, '+'.join(per[i])) for i in sorted(per))


def observe(ret, W, WI, b):
    """One observation line. get_count()[0] is left out: the runner's own
    temporaries move it (whether a tuple, list or dict comes from a free
    list, which full collections empty, decides whether it counts); the
    oracle (model.c) checks count[0] by CPython's rule instead."""
    c = gc.get_count()
    st = gc.get_stats()
    deaths = deaths_of(D)
    FIN.update(d >> 2 for d in D if d & 3 != 3)
    del D[:]
    alive = ','.join(str(i) for i in sorted(WI)
                     if W[WI.index(i)]() is not None)
    s = ' '.join('s%d=%d,%d,%d' % (g, st[g]['collections'] - b[g][0],
                                    st[g]['collected'] - b[g][1],
                                    st[g]['uncollectable'] - b[g][2])
                 for g in range(3))
    return 'r=%d d=%s w=%s c=%d,%d %s g=%d' % (
        ret, deaths, alive, c[1], c[2], s, len(gc.garbage))


def run_cpython(prog):
    """Run one program; return its observation lines."""
    H = [None] * MAXH
    W = []          # weak references, held to the end
    WI = []         # the index of each one's object
    out = []
    nobj = 0
    has_weak = {}
    has_cb = {}
    WS = []         # the weak slots' and callbacks' weakref objects
    FIN.clear()
    gc.set_debug(0)
    del gc.garbage[:]
    gc.collect()
    del D[:]
    base = gc.get_stats()
    b = [(s['collections'], s['collected'], s['uncollectable']) for s in base]
    b[2] = (b[2][0] + 1, b[2][1], b[2][2])     # the collection below
    del base
    # From here to the end nothing the runner keeps is a new tracked
    # object (temporaries are freed before the next observation), so
    # get_count() sees the program's allocations only.
    gc.collect(2)
    n = len(prog)
    k = 0
    while k < n:
        op = prog[k]
        k += 1
        kind = op[0]
        ret = -1
        if kind == 'N':
            o = new(CLASSES[op[2]], nobj)
            nobj += 1
            H[op[1]] = o
            o = None
        elif kind == 'L':
            head = prev = None
            j = 0
            while j < op[2]:
                o = new(O1, nobj)
                nobj += 1
                if prev is None:
                    head = o
                else:
                    prev.s0 = o
                prev = o
                j += 1
            o = prev = None
            if head is not None:
                H[op[1]] = head
            head = None
        elif kind == 'S':
            x = H[op[1]]
            if x is not None and H[op[3]] is not None and \
                    op[2] < len(type(x).__slots__) - 2:
                setattr(x, SLOTNAMES[op[2]], H[op[3]])
            x = None
        elif kind == 'C':
            x = H[op[1]]
            if x is not None and op[2] < len(type(x).__slots__) - 2:
                setattr(x, SLOTNAMES[op[2]], None)
            x = None
        elif kind == 'G':
            x = H[op[1]]
            if x is not None and op[2] < len(type(x).__slots__) - 2:
                y = getattr(x, SLOTNAMES[op[2]])
                if type(y) is weakref.ref:
                    y = y()
                    ret = 0 if y is None else 1
                if y is not None:
                    H[op[3]] = y
                y = None
            x = None
        elif kind == 'Y':
            x = H[op[1]]
            if x is not None and H[op[3]] is not None and \
                    op[2] < len(type(x).__slots__) - 2:
                WS.append(weakref.ref(H[op[3]]))
                setattr(x, SLOTNAMES[op[2]], WS[-1])
            x = None
        elif kind == 'Q':
            x = H[op[1]]
            if x is not None and x.i not in has_cb and x.i not in FIN:
                has_cb[x.i] = True
                WS.append(weakref.ref(x, callback(x.i)))
            x = None
        elif kind == 'D':
            H[op[1]] = None
        elif kind == 'U':
            if H[op[1]] is not None:
                H[op[2]] = H[op[1]]
        elif kind == 'W':
            x = H[op[1]]
            if x is not None and x.i not in has_weak:
                has_weak[x.i] = True
                WI.append(x.i)
                W.append(weakref.ref(x))
            x = None
        elif kind == 'X':
            ret = gc.collect(op[1])
        elif kind == 'F':
            gc.freeze()
        elif kind == 'Z':
            gc.unfreeze()
        elif kind == 'A':
            gc.set_debug(gc.DEBUG_SAVEALL if op[1] else 0)
        elif kind == 'K':
            del gc.garbage[:]
        elif kind == 'H':
            for x in gc.garbage:
                if x.i == op[1]:
                    H[op[2]] = x
                    break
            x = None
        out.append(observe(ret, W, WI, b))
    H[:] = [None] * MAXH
    gc.set_debug(0)
    del gc.garbage[:]
    gc.unfreeze()
    del W[:]
    del WS[:]
    gc.collect()
    del D[:]
    # The runner's own objects out of every later collection's way.
    gc.freeze()
    return out


# ---- programs ----

WEIGHTS = (('N', 20), ('S', 24), ('C', 5), ('G', 6), ('D', 18), ('U', 5),
           ('W', 4), ('X', 8), ('F', 1), ('Z', 2), ('A', 2), ('K', 2),
           ('H', 2), ('Y', 8), ('Q', 3))


def gen_program(rnd):
    nh = rnd.choice((4, 8, 16))
    ops = []
    nobj = 0
    kinds = [k for k, w in WEIGHTS for _ in range(w)]
    for _ in range(rnd.randint(10, 120)):
        k = rnd.choice(kinds)
        h = rnd.randrange(nh)
        if k == 'N':
            ops.append(('N', h, rnd.randint(1, 4)))
            nobj += 1
        elif k in ('S', 'G', 'Y'):
            ops.append((k, h, rnd.randrange(4), rnd.randrange(nh)))
        elif k == 'C':
            ops.append(('C', h, rnd.randrange(4)))
        elif k in ('D', 'W', 'Q'):
            ops.append((k, h))
        elif k == 'U':
            ops.append(('U', h, rnd.randrange(nh)))
        elif k == 'X':
            ops.append(('X', rnd.choice((0, 0, 1, 1, 2))))
        elif k in ('F', 'Z', 'K'):
            ops.append((k,))
        elif k == 'A':
            ops.append(('A', rnd.randrange(2)))
        elif k == 'H':
            ops.append(('H', rnd.randrange(max(nobj, 1)), h))
    return ops


def P(text):
    """A hand-written program: ops separated by ';'."""
    prog = []
    for part in text.split(';'):
        w = part.split()
        prog.append((w[0],) + tuple(int(x) for x in w[1:]))
    return prog


# The seed tutorial's scenarios and the classic shapes.
FIXED = {
    'self_ref': P('N 0 1; W 0; S 0 0 0; D 0; X 0'),
    'two_cycle': P('N 0 1; N 1 1; W 0; S 0 0 1; S 1 0 0; D 0; D 1; X 0'),
    'triangle': P('N 0 1; N 1 1; N 2 1; S 0 0 1; S 1 0 2; S 2 0 0; '
                  'D 0; D 1; D 2; X 2'),
    'two_cycles_joined': P('N 0 2; N 1 1; N 2 1; N 3 1; S 0 0 1; S 1 0 0; '
                           'S 2 0 3; S 3 0 2; S 0 1 2; D 0; D 1; D 2; D 3; '
                           'X 0'),
    'cycle_reachable_from_live': P('N 0 1; N 1 1; N 2 1; S 0 0 1; S 1 0 0; '
                                   'S 2 0 0; D 0; D 1; X 2; D 2; X 2'),
    'cycle_with_acyclic_tail': P('N 0 2; N 1 1; N 2 1; N 3 1; S 0 0 1; '
                                 'S 1 0 0; S 0 1 2; S 2 0 3; D 2; D 3; '
                                 'D 0; D 1; X 0'),
    'tail_in_older_generation': P('N 2 1; X 0; N 0 2; N 1 1; S 0 0 1; '
                                  'S 1 0 0; S 0 1 2; D 2; D 0; D 1; X 0'),
    'issue_aging_gen0': P('N 0 1; N 1 1; X 0; S 0 0 1; S 1 0 0; D 0; D 1; '
                          'X 0; X 1'),
    'issue_aging_gen1': P('N 0 1; N 1 1; S 0 0 1; S 1 0 0; U 0 2; D 2; '
                          'X 1; D 0; D 1; X 1; X 2'),
    'saveall_weak_and_clear': P('A 1; N 0 1; N 1 1; W 0; S 0 0 1; S 1 0 0; '
                                'D 0; D 1; X 0; F; Z; A 0; H 0 3; K; X 2; '
                                'D 3; X 2'),
    'linked_list_freed_by_root': P('L 0 1000; W 0; D 0'),
    'chain_100k': P('L 0 100000; X 0; D 0; X 2'),
    # The seed's best practice 8: children hold their parent weakly.
    'tree_weak_parent': P('N 0 2; N 1 1; N 2 1; S 0 0 1; S 0 1 2; '
                          'Y 1 0 0; Y 2 0 0; Q 0; Q 1; D 1; D 2; G 1 0 3; '
                          'D 3; D 0; X 2'),
    'weak_slot_to_cycle': P('N 0 2; N 1 2; S 0 0 1; S 1 0 0; Y 0 1 1; '
                            'N 2 1; Y 2 0 0; Q 0; Q 1; D 0; D 1; G 2 0 3; '
                            'X 0; G 2 0 3'),
    'weak_ring_no_cycle': P('N 0 1; N 1 1; N 2 1; Y 0 0 1; Y 1 0 2; '
                            'Y 2 0 0; Q 2; D 0; D 1; D 2; X 2'),
    'saveall_callback': P('A 1; N 0 1; S 0 0 0; Q 0; N 1 1; Y 1 0 0; D 0; '
                          'X 0; G 1 0 2; A 0; K; X 2'),
    'chain_100k_behind_cycle': P('L 1 100000; N 0 2; S 0 0 0; S 0 1 1; '
                                 'D 1; D 0; X 2'),
}


def driver_input(progs):
    """The driver's stdin for @progs: P, one line per op, ..., E."""
    lines = []
    for prog in progs:
        lines.append('P')
        lines.extend(' '.join(str(x) for x in op) for op in prog)
    lines.append('E')
    return '\n'.join(lines) + '\n'


def split_output(progs, got):
    """A driver's observation lines, one list per program."""
    res = []
    for prog in progs:
        res.append(got[:len(prog)])
        got = got[len(prog):]
    return res


def drive(progs):
    """Run programs in the core; return a list of observation lists."""
    r = subprocess.run([DRIVER], input=driver_input(progs),
                       capture_output=True, text=True)
    if r.returncode:
        return None, r.stderr
    return split_output(progs, r.stdout.splitlines()), None


def diverges(prog):
    """The first divergent op (index, cpython, core), or None."""
    want = run_cpython(prog)
    res, err = drive([prog])
    if res is None:
        return (-1, '', err.strip().splitlines()[-1:] or ['crash'])
    for i, (a, b) in enumerate(zip(want, res[0])):
        if a != b:
            return (i, a, b)
    if len(want) != len(res[0]):
        return (len(res[0]), '', 'short output')
    return None


def shrink(prog):
    """Greedy delta debugging: drop chunks, then single ops."""
    prog = list(prog)
    d = diverges(prog)
    if d:
        prog = prog[:d[0] + 1] if d[0] >= 0 else prog
    chunk = max(len(prog) // 2, 1)
    while chunk >= 1:
        i = 0
        while i < len(prog):
            cand = prog[:i] + prog[i + chunk:]
            if cand and diverges(cand):
                prog = cand
            else:
                i += chunk
        chunk //= 2
    return prog


def fmt(prog):
    return '; '.join(' '.join(str(x) for x in op) for op in prog)


def all_programs(n, seed):
    """The fixed programs' names and the list of every program to run."""
    names = list(FIXED)
    rnd = random.Random(seed)
    return names, [FIXED[x] for x in names] + \
        [tuple(gen_program(rnd)) for _ in range(n)]


def vm_compare(args):
    """Judge the module's output (--vm-compare) against CPython."""
    names, progs = all_programs(args.n, args.seed)
    with open(args.vm_compare) as f:
        got = [ln.rstrip('\r\n') for ln in f
               if ln.startswith('r=') or ln.startswith('refstore-cpython')]
    errs = [ln for ln in got if not ln.startswith('r=')]
    got = [ln for ln in got if ln.startswith('r=')]
    t0 = time.time()
    res = split_output(progs, got)
    tests = failed = 0
    bad = []
    for i, prog in enumerate(progs):
        want = run_cpython(prog)
        if want != res[i]:
            bad.append((i, prog, want, res[i]))
        if i < len(names):
            tests += 1
            ok = want == res[i]
            failed += not ok
            print('%s %d - module_diff: %s' % ('ok' if ok else 'not ok',
                                               tests, names[i]))
    nrand = sum(1 for b in bad if b[0] >= len(names))
    tests += 1
    nops = sum(len(p) for p in progs[len(names):])
    if nrand or errs or len(got) != sum(len(p) for p in progs):
        failed += 1
        print('not ok %d - module_diff: %d of %d random programs diverge '
              '(seed %#x; %d of %d observations read)' % (
                  tests, nrand, args.n, args.seed, len(got),
                  sum(len(p) for p in progs)))
    else:
        print('ok %d - module_diff: %d random programs (%d ops) run by the '
              'module match CPython %s (seed %#x, compared in %.1f s)' % (
                  tests, args.n, nops, sys.version.split()[0], args.seed,
                  time.time() - t0))
    for e in errs[:3]:
        print('#  driver: %s' % e)
    for i, prog, want, have in bad[:3]:
        for k, (a, b) in enumerate(zip(want, have)):
            if a != b:
                break
        else:
            k = min(len(want), len(have))
        print('#  program %d, op %d of: %s' % (i, k, fmt(prog[:k + 1])))
        print('#   cpython %s' % (want[k] if k < len(want) else '(end)'))
        print('#   module  %s' % (have[k] if k < len(have) else '(missing)'))
    return 1 if failed else 0


def main():
    global DRIVER
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument('driver')
    ap.add_argument('-n', type=int, default=2000)
    ap.add_argument('-s', '--seed', type=lambda x: int(x, 0),
                    default=0x63707974)
    ap.add_argument('-P', '--program', help='run one program (a;b;...)')
    ap.add_argument('--vm-input', metavar='FILE',
                    help="write the programs as the module driver's input")
    ap.add_argument('--vm-compare', metavar='FILE',
                    help="compare the module driver's output with CPython")
    args = ap.parse_args()
    DRIVER = args.driver
    if args.vm_input:
        with open(args.vm_input, 'w') as f:
            f.write(driver_input(all_programs(args.n, args.seed)[1]))
        return 0
    if sys.version_info[:2] != (3, 11):
        print('ok 1 - cpython_diff # SKIP needs CPython 3.11, this is %s'
              % sys.version.split()[0])
        return 0
    gc.disable()
    gc.freeze()
    if args.vm_compare:
        return vm_compare(args)
    if args.program:
        prog = P(args.program)
        want = run_cpython(prog)
        got, err = drive([prog])
        for i, op in enumerate(prog):
            print('%-14s py   %s' % (fmt([op]), want[i]))
            print('%-14s core %s' % ('', got[0][i] if got else err))
        return 0
    t0 = time.time()
    failed = 0
    tests = 0
    names = list(FIXED)
    res, err = drive([FIXED[n] for n in names])
    for idx, name in enumerate(names):
        tests += 1
        want = run_cpython(FIXED[name])
        if res is None or want != res[idx]:
            failed += 1
            print('not ok %d - cpython_diff: %s' % (tests, name))
            d = diverges(FIXED[name])
            if d:
                print('#  op %d\n#  cpython %s\n#  core    %s' % d)
        else:
            print('ok %d - cpython_diff: %s' % (tests, name))
    rnd = random.Random(args.seed)
    # Tuples of atomic values and strings: nothing a collection walks
    # (a program's gc.unfreeze() would otherwise bring them all back).
    progs = [tuple(gen_program(rnd)) for _ in range(args.n)]
    res, err = drive(progs)
    if res is not None:
        res = ['\n'.join(r) for r in res]
    gc.collect()
    bad = []
    nops = 0
    for i, prog in enumerate(progs):
        nops += len(prog)
        if res is None or '\n'.join(run_cpython(prog)) != res[i]:
            bad.append(list(prog))
    tests += 1
    if bad or res is None:
        failed += 1
        print('not ok %d - cpython_diff: %d of %d random programs diverge '
              '(seed %#x)' % (tests, len(bad), args.n, args.seed))
        if err:
            print('#  driver: %s' % err.strip().splitlines()[-1:])
        for prog in bad[:3]:
            small = shrink(prog)
            d = diverges(small)
            print('#  minimal: %s' % fmt(small))
            if d:
                print('#   op %d\n#   cpython %s\n#   core    %s' % d)
    else:
        print('ok %d - cpython_diff: %d random programs (%d ops) match '
              'CPython %s (seed %#x, %.1f s)' % (
                  tests, args.n, nops, sys.version.split()[0], args.seed,
                  time.time() - t0))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
