# SPDX-License-Identifier: GPL-2.0
# The table of scripts/bench-insns.sh: guest instructions per connection
# of the connection loop for each variant and T. Input files, in order:
# the insncount plugin's marks, the guest's INSNS records with the plugin,
# and those without it (may be empty).
#
# A run's instructions per connection: (loop window - control window) /
# connections, both vCPUs summed; the control window is the same sleep
# with the same variant in place, so the marks' own processes and the
# variant's idle background cancel. The module's and the reader's extra:
# the difference to "none" in the same round, so drift over the boot
# cancels too. Medians over the rounds, [min-max] beside them.

function kv(s,    i, n, a, p) {
	delete F
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) {
		p = index(a[i], "=")
		if (p)
			F[substr(a[i], 1, p - 1)] = substr(a[i], p + 1)
	}
}

# median/min/max of the space-separated numbers in s; sets MED, MIN, MAX
function stats(s,    n, a, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++) {
		t = a[i] + 0
		for (j = i - 1; j >= 1 && a[j] + 0 > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
	MIN = a[1] + 0
	MAX = a[n] + 0
	MED = n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
	return n
}

function add(key, v) {
	L[key] = (key in L) ? L[key] " " v : v
}

# For each T (tl[1..nt]), the median [range] of variant A's instructions
# per connection less B's, paired by round.
function print_paired(a, b,    i, t, r, key) {
	for (i = 1; i <= nt; i++) {
		t = tl[i]
		key = "paired" SUBSEP a SUBSEP b SUBSEP t
		for (r = 1; r <= 100; r++)
			if ((r, a SUBSEP t) in P && (r, b SUBSEP t) in P)
				add(key, P[r, a SUBSEP t] - P[r, b SUBSEP t])
		printf "  T=%s: %s insns/conn\n", t, range(key, "%.0f")
	}
}

function range(key, fmt) {
	if (!(key in L) || !stats(L[key]))
		return "n/a"
	return sprintf(fmt " [" fmt "-" fmt "]", MED, MIN, MAX)
}

FNR == 1 { file++ }

# "mark N ncpu C total T0 T1 .. kernel K0 K1 .. [lib L0 L1 ..] host_ns H":
# the sums over the vCPUs by mark number (LIB: a plugin without it: n/a).
file == 1 && ($1 == "mark" || $1 == "exit") {
	n = $4
	for (f = 5; f <= NF; f++) {
		if ($f == "host_ns") {
			H[$2] = $(f + 1)
			continue
		}
		if ($f != "total" && $f != "kernel" && $f != "lib")
			continue
		sum = 0
		for (i = 1; i <= n; i++)
			sum += $(f + i)
		if ($f == "total")
			M[$2] = sum
		else if ($f == "kernel")
			K[$2] = sum
		else
			LIB[$2] = sum
		f += n
	}
	next
}

file == 2 && $1 == "info" {
	kv($0)
	info = sprintf("kernel %s, %s vCPUs, %s connections per thread per run, %s rounds, guest date %s",
		F["kernel"], F["cpus"], F["conns"], F["reps"], F["date"])
	settle_s = F["settle_us"] / 1e6
	next
}

file == 2 && $1 == "check" {
	kv($0)
	if ((F["mark1"] in M) && (F["mark0"] in M)) {
		cu = M[F["mark1"]] - M[F["mark0"]] - (K[F["mark1"]] - K[F["mark0"]])
		check = sprintf("Count check: %d user instructions between two marks around %d turns of a 2-instruction loop (expected %d + a few: %+d)",
			cu, F["loops"], 2 * F["loops"], cu - 2 * F["loops"])
	}
	next
}

file == 2 && $1 == "idle" {
	kv($0)
	if (!(F["mark1"] in M) || !(F["mark0"] in M))
		next
	add("bg", (M[F["mark1"]] - M[F["mark0"]]) / (F["usecs"] / 1e6))
	add("bgk", (K[F["mark1"]] - K[F["mark0"]]) / (F["usecs"] / 1e6))
	next
}

# The trap into a hook, per getppid() call, paired with none's of the
# same round.
file == 2 && $1 == "trap" {
	kv($0)
	if (!(F["mark1"] in M) || !(F["mark0"] in M) || F["calls"] <= 0)
		next
	TRAP[F["kind"], F["rep"]] = (M[F["mark1"]] - M[F["mark0"]]) / F["calls"]
	if (F["kind"] != "none" && (("none", F["rep"]) in TRAP))
		add("trap" SUBSEP F["kind"], TRAP[F["kind"], F["rep"]] - TRAP["none", F["rep"]])
	next
}

file == 2 && $1 == "run" {
	kv($0)
	if (!(F["mark1"] in M) || !(F["ctl1"] in M) || F["conns"] <= 0) {
		missing++
		next
	}
	key = F["variant"] SUBSEP F["threads"]
	loop = M[F["mark1"]] - M[F["mark0"]]
	ctl = M[F["ctl1"]] - M[F["ctl0"]]
	per = (loop - ctl) / F["conns"]
	kper = (K[F["mark1"]] - K[F["mark0"]] - (K[F["ctl1"]] - K[F["ctl0"]])) / F["conns"]
	add("per" SUBSEP key, per)
	add("kern" SUBSEP key, kper / per * 100)
	if ((F["mark1"] in LIB) && (F["ctl1"] in LIB)) {
		lper = (LIB[F["mark1"]] - LIB[F["mark0"]] - (LIB[F["ctl1"]] - LIB[F["ctl0"]])) / F["conns"]
		add("lib" SUBSEP key, lper)
		add("prog" SUBSEP key, per - kper - lper)
		add("kabs" SUBSEP key, kper)
	}
	add("ctl" SUBSEP key, ctl)
	add("us_plugin" SUBSEP key, F["secs"] / F["conns"] * 1e6)
	P[F["rep"], key] = per
	if (F["failed"] > 0)
		failed += F["failed"]
	if (F["late_wchar"] > 0)
		late++
	T[F["threads"]] = 1
	next
}

file == 3 && $1 == "run" {
	kv($0)
	if (F["conns"] > 0)
		add("us_native" SUBSEP F["variant"] SUBSEP F["threads"], F["secs"] / F["conns"] * 1e6)
	next
}

END {
	printf "Guest instructions per connection, connloop -p (issue 18)\n"
	printf "%s; commit %s, QEMU %s (TCG, insncount plugin)\n\n", info, commit, qemu
	printf "%-3s %-7s %-30s %-6s %-28s %-12s %-18s %-18s\n", "T", "variant",
		"insns/conn med [min-max]", "kern%", "extra vs none (paired)", "none/variant",
		"us/conn native", "us/conn plugin"
	nt = 0
	for (t in T)
		tl[++nt] = t
	for (i = 1; i <= nt; i++)
		for (j = i + 1; j <= nt; j++)
			if (tl[j] + 0 < tl[i] + 0) {
				x = tl[i]; tl[i] = tl[j]; tl[j] = x
			}
	# The variants measured (kprobes, entry_hook=kprobe, since 2026-12-07).
	nv = 0
	split("none module kprobes reader", VALL, " ")
	for (v = 1; v <= 4; v++)
		if (("per" SUBSEP VALL[v] SUBSEP tl[1]) in L)
			V[++nv] = VALL[v]
	for (i = 1; i <= nt; i++) {
		t = tl[i]
		stats(L["per" SUBSEP "none" SUBSEP t])
		none_med = MED
		for (v = 1; v <= nv; v++) {
			key = V[v] SUBSEP t
			extra = "-"
			ratio = "-"
			if (V[v] != "none") {
				# paired with none in the same round
				for (r = 1; r <= 100; r++)
					if ((r, key) in P && (r, "none" SUBSEP t) in P)
						add("extra" SUBSEP key, P[r, key] - P[r, "none" SUBSEP t])
				extra = range("extra" SUBSEP key, "%.0f")
				if (stats(L["per" SUBSEP key]))
					ratio = sprintf("%.4f", none_med / MED)
			}
			printf "%-3s %-7s %-30s %-6s %-28s %-12s %-18s %-18s\n", t, V[v],
				range("per" SUBSEP key, "%.0f"),
				(stats(L["kern" SUBSEP key]) ? sprintf("%.1f", MED) : "n/a"),
				extra, ratio,
				range("us_native" SUBSEP key, "%.0f"),
				range("us_plugin" SUBSEP key, "%.0f")
		}
	}
	printf "\nThe reader's own share: reader - module, paired by round:\n"
	print_paired("reader", "module")
	if (("per" SUBSEP "kprobes" SUBSEP tl[1]) in L) {
		printf "\nThe entry hooks as ftrace callbacks (module: entry_hook=auto) against kprobes\n(kprobes: entry_hook=kprobe), module - kprobes paired by round:\n"
		print_paired("module", "kprobes")
	}
	printf "\nWhere the instructions run, per connection (medians): kernel, shared libraries (libc...), the programs' own code:\n"
	for (i = 1; i <= nt; i++)
		for (v = 1; v <= nv; v++) {
			key = V[v] SUBSEP tl[i]
			if (!stats(L["lib" SUBSEP key])) {
				printf "  T=%s %-7s n/a (marks without lib)\n", tl[i], V[v]
				continue
			}
			lm = MED
			stats(L["kabs" SUBSEP key])
			km = MED
			stats(L["prog" SUBSEP key])
			printf "  T=%s %-7s kernel %.0f  lib %.0f  prog %.0f\n", tl[i], V[v], km, lm, MED
		}
	printf "\nAs hardware time at IPC %s, %s GHz (instructions / (IPC x clock)):\n", ipc, ghz
	for (i = 1; i <= nt; i++) {
		t = tl[i]
		for (v = 1; v <= nv; v++) {
			key = V[v] SUBSEP t
			if (!stats(L["per" SUBSEP key]))
				continue
			line = sprintf("  T=%s %-7s %.2f us/conn", t, V[v], MED / (ipc * ghz * 1e3))
			if (V[v] != "none" && stats(L["extra" SUBSEP key])) {
				ex = MED
				base = none_of(t)
				line = line sprintf(", extra %.3f us/conn (%.2f %% of none's instructions)",
					ex / (ipc * ghz * 1e3), ex / base * 100)
			}
			print line
		}
	}
	if ("trap" SUBSEP "kprobe" in L)
		printf "\nThe trap into a hook (bench/hookcost_module on getppid(), handlers that do nothing),\ninstructions per call more than unhooked: kprobe %s, kretprobe %s, kretprobe whose entry gives\nthe instance back %s\n",
			range("trap" SUBSEP "kprobe", "%.0f"), range("trap" SUBSEP "kretprobe", "%.0f"),
			range("trap" SUBSEP "kretprobe_skip", "%.0f")
	if ("trap" SUBSEP "ftrace" in L)
		printf "An ftrace callback at the same entry, the layer under a kprobe there (what an entry hook\nwould cost without the kprobe layer): %s\n", range("trap" SUBSEP "ftrace", "%.0f")
	if ("trap" SUBSEP "ftrace_regs" in L)
		printf "The same callback with every register saved (FTRACE_OPS_FL_SAVE_REGS, a pt_regs as a kprobe\nhandler gets): %s\n", range("trap" SUBSEP "ftrace_regs", "%.0f")
	if ("trap" SUBSEP "fprobe" in L)
		printf "An fprobe (ftrace's entry and exit hook), the return trapped: %s; its entry handler declining\nthe return: %s\n", range("trap" SUBSEP "fprobe", "%.0f"), range("trap" SUBSEP "fprobe_skip", "%.0f")
	printf "\nIdle, no module (1 s of one process's sleep): %s insns/s, of which kernel %s\n",
		range("bg", "%.0f"), range("bgk", "%.0f")
	printf "Control windows (same sleep, variant in place), insns:"
	for (i = 1; i <= nt; i++)
		for (v = 1; v <= nv; v++)
			printf " %s/T%s %s", V[v], tl[i], (stats(L["ctl" SUBSEP V[v] SUBSEP tl[i]]) ? sprintf("%.0f", MED) : "n/a")
	printf "\n"
	printf "Plugin slowdown: per-connection time with / without the plugin (medians):"
	for (i = 1; i <= nt; i++)
		for (v = 1; v <= nv; v++) {
			key = V[v] SUBSEP tl[i]
			if (stats(L["us_native" SUBSEP key])) {
				n0 = MED
				stats(L["us_plugin" SUBSEP key])
				printf " %s/T%s %.2fx", V[v], tl[i], MED / n0
			} else {
				printf " %s/T%s n/a", V[v], tl[i]
			}
		}
	printf "\n"
	if (check != "")
		print check
	printf "Boots: %s s with the plugin, %s s without\n", boot_plugin,
		(boot_noplugin == "" ? "n/a" : boot_noplugin)
	if (failed)
		printf "WARNING: %d failed connect()s in the runs\n", failed
	if (late)
		printf "WARNING: in %d runs the reader still wrote after the window closed\n", late
	if (missing)
		printf "WARNING: %d runs without their marks\n", missing
}

function none_of(t) {
	stats(L["per" SUBSEP "none" SUBSEP t])
	return MED
}
