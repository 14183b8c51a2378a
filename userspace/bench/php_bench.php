<?php
// SPDX-License-Identifier: GPL-2.0
/*
 * PHP's cycle collector on the graph shapes of host_bench.c, for
 * scripts/bench: the second anchor. PHP's collector is, like refstore's,
 * a synchronous trial-deletion collector started from a buffer of
 * possible roots (Zend/zend_gc.c), the closest peer design.
 *
 * Usage: php php_bench.php SHAPE N [ARG] [--reps R]   (shapes as host_bench)
 *
 * Objects are instances of classes with ARG declared properties (one per
 * refstore slot). Automatic collection is off (gc_disable(): possible
 * roots are still buffered, and the buffer grows), the garbage is built
 * untimed, and only gc_collect_cycles() is timed (for the list, only the
 * assignment that drops its root: PHP frees it by counting, recursively,
 * so a 1,000,000-long list needs a large stack: scripts/bench runs this
 * with an unlimited one). Times are the process's CPU time (getrusage:
 * user + system, microseconds), like host_bench's thread CPU time, so a
 * run that loses the CPU to another process is not charged for it.
 * Output: "php shape=... n=... reclaimed=... ns=..." like host_bench.
 */
class S1 { public $s0; }
class S2 { public $s0; public $s1; }

function cpu_ns() {
	$r = getrusage();
	return ($r["ru_utime.tv_sec"] + $r["ru_stime.tv_sec"]) * 1000000000 +
	       ($r["ru_utime.tv_usec"] + $r["ru_stime.tv_usec"]) * 1000;
}

function build_rings($n, $len) {
	for ($d = 0; $d + $len <= $n; $d += $len) {
		$ring = [];
		for ($i = 0; $i < $len; $i++)
			$ring[] = new S1();
		for ($i = 0; $i < $len; $i++)
			$ring[$i]->s0 = $ring[($i + 1) % $len];
	}
}

function build_random($n, $deg) {
	mt_srand(1);
	$all = [];
	for ($i = 0; $i < $n; $i++)
		$all[] = $deg == 1 ? new S1() : new S2();
	foreach ($all as $o) {
		$o->s0 = $all[mt_rand(0, $n - 1)];
		if ($deg > 1)
			$o->s1 = $all[mt_rand(0, $n - 1)];
	}
}

function build_list($n) {
	$root = $prev = new S1();
	for ($i = 1; $i < $n; $i++) {
		$o = new S1();
		$prev->s0 = $o;
		$prev = $o;
	}
	return $root;
}

$args = array_slice($argv, 1);
$reps = 1;
$k = array_search("--reps", $args);
if ($k !== false) {
	$reps = (int)$args[$k + 1];
	array_splice($args, $k, 2);
}
$shape = $args[0];
$n = isset($args[1]) ? (int)$args[1] : 0;
$arg = isset($args[2]) ? (int)$args[2] : 0;
if ($shape == "version") {
	echo "php shape=version version=", PHP_VERSION, "\n";
	exit(0);
}
gc_disable();
gc_collect_cycles();
$times = [];
$got = 0;
for ($r = 0; $r < $reps; $r++) {
	if ($shape == "ring") {
		build_rings($n, $arg);
	} elseif ($shape == "random") {
		build_random($n, $arg);
	} elseif ($shape == "list") {
		$root = build_list($n);
	} else {
		fwrite(STDERR, "php_bench: bad shape\n");
		exit(2);
	}
	if ($shape == "list") {
		$t0 = cpu_ns();
		$root = null;
		$times[] = cpu_ns() - $t0;
		$got = $n;
	} else {
		$t0 = cpu_ns();
		$got = gc_collect_cycles();
		$times[] = cpu_ns() - $t0;
	}
}
sort($times);
echo "php shape=$shape n=$n arg=$arg reclaimed=$got ns=", $times[intdiv($reps, 2)],
     " reps=$reps\n";
