# SPDX-License-Identifier: GPL-2.0
#
# The benchmark table from the "key=value ..." records that
# scripts/guest/bench.sh prints (the "BENCH " prefix removed):
#
#   awk -v accel=tcg -f bench/report.awk build/bench.raw
#
# accel: tcg or kvm, how the VM ran. POSIX awk (mawk, gawk, busybox).

function kv(    i, k) {
	delete F
	rec = $1
	for (i = 2; i <= NF; i++) {
		k = index($i, "=")
		if (k)
			F[substr($i, 1, k - 1)] = substr($i, k + 1)
	}
}

# Append v to the list named by key.
function add(key, v) {
	N[key]++
	V[key, N[key]] = v
}

function median(key,    n, i, j, t, a) {
	n = N[key]
	if (!n)
		return ""
	for (i = 1; i <= n; i++)
		a[i] = V[key, i] + 0
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
	if (n % 2)
		return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}

# Each run against the no-tracer run of its own round (minutes apart at
# most, not the whole boot): the median over the rounds of
# REP[name, r] / REP[base, r] ("ratio"), (REP[name, r] - REP[base, r]) / 2
# ("half-diff": the micro-benchmark's 2 events an iteration) or, for rates
# of PT threads, PT / REP[name, r] - PT / REP[base, r] in us ("us": the CPU
# time per connection that name adds to base); their range in LO, HI.
function paired(name, base, how,    r, k, v) {
	k = "paired" SUBSEP name
	delete N[k]
	LO = ""
	HI = ""
	for (r = 1; r <= MAXREP; r++) {
		if (!((name, r) in REP) || !((base, r) in REP))
			continue
		if (how == "ratio") {
			if (REP[base, r] <= 0)
				continue
			v = REP[name, r] / REP[base, r]
		} else if (how == "us") {
			# CPU time per connection, PT threads: PT / rate, in us.
			if (REP[base, r] <= 0 || REP[name, r] <= 0)
				continue
			v = (PT / REP[name, r] - PT / REP[base, r]) * 1e6
		} else if (how == "diff") {
			v = REP[name, r] - REP[base, r]
		} else {
			v = (REP[name, r] - REP[base, r]) / 2
		}
		add(k, v)
		if (LO == "" || v < LO)
			LO = v
		if (HI == "" || v > HI)
			HI = v
	}
	return median(k)
}

# REP[name, rep] = value, for paired().
function keep_rep(name, rep, value) {
	REP[name, rep] = value
	if (rep + 0 > MAXREP)
		MAXREP = rep + 0
}

function sum(key,    i, s) {
	s = 0
	for (i = 1; i <= N[key]; i++)
		s += V[key, i]
	return s
}

function num(x) {
	return x == "" ? "-" : sprintf("%.0f", x)
}

function pct(x) {
	return sprintf("%+.1f%%", x * 100)
}

function si(x) {
	if (x == "")
		return "-"
	if (x >= 1e6)
		return sprintf("%.2fM", x / 1e6)
	if (x >= 1e4)
		return sprintf("%.0fk", x / 1e3)
	if (x >= 1e3)
		return sprintf("%.1fk", x / 1e3)
	return sprintf("%.0f", x)
}

function verdict(ok) {
	return ok ? "MET" : "MISSED"
}

{
	kv()
}

rec == "info" {
	for (k in F)
		INFO[k] = F[k]
	next
}

rec == "loop" {
	key = F["tracer"] SUBSEP F["threads"]
	add("rate" SUBSEP key, F["rate"])
	keep_rep("loop" SUBSEP key, F["rep"], F["rate"])
	add("secs" SUBSEP key, F["secs"])
	add("exp" SUBSEP key, F["expected"])
	add("tsev" SUBSEP key, F["tcpstate_events"] / (F["conns"] ? F["conns"] : 1))
	add("stev" SUBSEP key, F["state_events"] / (F["conns"] ? F["conns"] : 1))
	add("evrate" SUBSEP key, F["expected"] / F["secs"])
	if (F["captured"] != "-") {
		add("cap" SUBSEP key, F["captured"])
		add("drop" SUBSEP key, F["dropped"])
		# Per run: a run that captured more (a stray event after the
		# last count) does not hide one that lost some.
		l = F["expected"] - F["captured"]
		add("lost" SUBSEP key, l > 0 ? l : 0)
	}
	if (F["failed"] > 0)
		FAILED_CONNECTS += F["failed"]
	SEEN_TRACER[F["tracer"]] = 1
	next
}

rec == "micro" {
	key = F["variant"]
	add("ns" SUBSEP key, F["ns_per_iter"])
	keep_rep("micro" SUBSEP key, F["rep"], F["ns_per_iter"])
	add("ev" SUBSEP key, F["events"])
	if (F["captured"] != "-") {
		add("cap" SUBSEP key, F["captured"])
		add("drop" SUBSEP key, F["dropped"])
	}
	SEEN_MICRO[key] = 1
	next
}

rec == "accept" {
	add("acc" SUBSEP F["mode"], F["rate"])
	if (F["mode"] != "nomodule")
		add("accdrop" SUBSEP F["mode"], F["dropped"])
	next
}

rec == "drain" {
	add("drain" SUBSEP F["reader"], F["events"] / F["secs"])
	add("draindrop" SUBSEP F["reader"], F["dropped"])
	next
}

rec == "stall" {
	t = F["target"]
	STALL[t, "events"] = F["events"]
	STALL[t, "rate"] = F["rate"]
	STALL[t, "secs"] = F["secs"]
	STALL[t, "captured"] = F["captured"]
	STALL[t, "dropped"] = F["dropped"]
	next
}

rec == "seed" {
	NSEED++
	for (k in F)
		SEED[NSEED, k] = F[k]
	next
}

rec == "hook" {
	if (!(F["name"] in HOOK_KIND)) {
		NHOOKS++
		HOOK_NAME[NHOOKS] = F["name"]
	}
	HOOK_KIND[F["name"]] = F["kind"]
	next
}

rec == "hooks" {
	if ("reader_ticks" in F && F["conns"] > 0 && F["captured"] > 0) {
		add("hkreadercpu" SUBSEP F["threads"], F["reader_ticks"] * 1e6 / F["clk_tck"] / F["conns"])
		add("hkreaderev" SUBSEP F["threads"], F["reader_ticks"] * 1e6 / F["clk_tck"] / F["captured"])
	}
	keep_rep("hk" SUBSEP F["variant"] SUBSEP F["threads"], F["rep"], F["rate"])
	add("hkrate" SUBSEP F["variant"] SUBSEP F["threads"], F["rate"])
	HOOKS_T[F["threads"]] = 1
	next
}

rec == "hookhits" {
	add("hkhits" SUBSEP F["name"] SUBSEP F["threads"], F["hits"] / (F["conns"] ? F["conns"] : 1))
	add("hkrets" SUBSEP F["name"] SUBSEP F["threads"], F["rets"] / (F["conns"] ? F["conns"] : 1))
	if (F["hits"] > 0)
		add("hkns" SUBSEP F["name"] SUBSEP F["threads"], F["ns"] / F["hits"])
	next
}

rec == "trap" {
	keep_rep("trap" SUBSEP F["kind"], F["rep"], F["ns"])
	add("trap" SUBSEP F["kind"], F["ns"])
	if (F["kind"] == "kprobe_timed" && F["hits"] > 0)
		add("clockfloor", F["timed_ns"] / F["hits"])
	next
}

# The same loops on the host's own CPU, no module (scripts/bench.sh).
rec == "native" {
	if (F["what"] == "loop")
		add("native" SUBSEP "loop" SUBSEP F["threads"], F["rate"])
	else
		add("native" SUBSEP F["what"], F["ns"])
	next
}

rec == "host" {
	OTHERS_BUSY = F["others_busy"]
	OTHERS_SAMPLES = F["others_samples"]
	next
}

rec == "memory" {
	if ("state" in F) {
		for (k in F)
			MEM[F["state"], k] = F[k]
	} else {
		for (k in F)
			MEM[k] = F[k]
	}
	next
}

END {
	reps = INFO["reps"]
	when = INFO["date"]
	sub(/T/, " ", when)
	sub(/Z$/, " UTC", when)
	print "tcpstate benchmark, " when ", kernel " INFO["kernel"] ", " INFO["cpus"] " vCPUs, clocksource " INFO["clocksource"]
	if (accel == "kvm")
		print "QEMU KVM guest (ratios are what compare); medians of " reps " runs"
	else
		print "QEMU TCG emulation (ratios are what compare); medians of " reps " runs"
	if (OTHERS_SAMPLES > 0)
		printf "other VMs on the host during %.0f%% of the run%s\n", OTHERS_BUSY * 100 / OTHERS_SAMPLES,
		       OTHERS_BUSY ? " (noise: rerun when none is)" : ""

	# ---- 1. the connection loop ----
	split("none watch-e watch-e0 watch-j watch-seq ringcount ringcount-sleep noreader watch-e-nokp noreader-nokp tcpstates tracefs", order, " ")
	LABEL["none"] = "no tracer"
	LABEL["watch-e"] = "tcpstate-watch -e >/dev/null"
	LABEL["watch-e0"] = "tcpstate-watch -e --latency 0 (wake per event)"
	LABEL["watch-j"] = "tcpstate-watch -e -j >/dev/null"
	LABEL["watch-seq"] = "tcpstate-watch >/dev/null (sequences)"
	LABEL["ringcount"] = "tcpstate.ko + bench/ringcount (binary, poll)"
	LABEL["ringcount-sleep"] = "tcpstate.ko + bench/ringcount -s 1000 (1 ms naps)"
	LABEL["noreader"] = "tcpstate.ko, no reader"
	LABEL["watch-e-nokp"] = "tcpstate-watch -e, kprobes disarmed"
	LABEL["noreader-nokp"] = "tcpstate.ko, no reader, kprobes disarmed"
	LABEL["tcpstates"] = "libbpf-tools tcpstates >file"
	LABEL["tracefs"] = "tracefs sock/inet_sock_set_state + cat trace_pipe"
	if (SEEN_TRACER["none"])
		loop_section()
	micro_and_rest()
}

function loop_section(    t, i, tr, key, base, r, ratio, range, evc, add_us, nsev, add_s, e, c, d, l, es, cs, ds, ls) {
	printf "\n1. Connection loop: connect/accept/write/read/close on 127.0.0.1, both ends\n"
	printf "   traced, T threads each running both ends of its own connections, %s s a run.\n", INFO["loop_secs"]
	printf "   events: per connection, what that tracer reports; expected from the kernel's\n"
	printf "   own counts (Tcp ActiveOpens/PassiveOpens, TcpExt TW/TWKilled, sockstat tw),\n"
	printf "   summed over the runs; lost: expected - captured, per run; dropped: by the\n"
	printf "   tracer's own account (ring or perf buffer full); +us/conn: CPU time added\n"
	printf "   per connection (T / rate - T / rate without tracer); ns/event = that / events.\n\n"
	printf "   ratio: median over the rounds of (this run / the round's no-tracer run),\n"
	printf "   range: lowest and highest of those.\n\n"
	printf "%-49s %2s %6s %6s %11s %5s %8s %8s %7s %5s %8s %8s\n", "tracer", "T", "conn/s", "ratio", "range",
	       "ev/c", "expected", "captured", "dropped", "lost", "+us/conn", "ns/event"
	for (t = 1; t <= 2; t++) {
		base = median("rate" SUBSEP "none" SUBSEP t)
		for (i = 1; i in order; i++) {
			tr = order[i]
			key = tr SUBSEP t
			if (!N["rate" SUBSEP key]) {
				if (tr == "watch-j" && INFO["watch_json"] == "0")
					printf "%-49s %2d %7s\n", LABEL[tr], t, "n/a (tcpstate-watch has no -j)"
				else if (tr == "tcpstates" && INFO["tcpstates"] == "0")
					printf "%-49s %2d %7s\n", LABEL[tr], t, "n/a (no tcpstates in the image)"
				continue
			}
			r = median("rate" SUBSEP key)
			ratio = paired("loop" SUBSEP key, "loop" SUBSEP "none" SUBSEP t, "ratio")
			range = tr == "none" ? "-" : sprintf("%.2f-%.2f", LO, HI)
			RATIO[tr, t] = ratio
			RATE[tr, t] = r
			evc = (tr == "tcpstates" || tr == "tracefs" || tr == "none" || tr ~ /-nokp$/) ? \
			      median("stev" SUBSEP key) : median("tsev" SUBSEP key)
			EVC[tr, t] = evc
			if (tr != "none" && base) {
				# CPU time per connection: T / rate; with the paired ratio.
				add_us = (t / (base * ratio) - t / base) * 1e6
				ADDUS[tr, t] = add_us
				nsev = (tr ~ /^noreader/) ? "-" : sprintf("%.0f", add_us * 1000 / evc)
				add_s = sprintf("%.1f", add_us)
			} else {
				add_s = "-"
				nsev = "-"
			}
			if (N["cap" SUBSEP key]) {
				e = sum("exp" SUBSEP key)
				c = sum("cap" SUBSEP key)
				d = sum("drop" SUBSEP key)
				l = sum("lost" SUBSEP key)
				LOST[tr] += l
				DROP[tr] += d
				es = e
				cs = c
				ds = d
				ls = l
			} else {
				es = sum("exp" SUBSEP key)
				cs = "-"
				ds = "-"
				ls = "-"
			}
			printf "%-49s %2d %6.0f %6.3f %11s %5.1f %8s %8s %7s %5s %8s %8s\n", LABEL[tr], t, r, ratio,
			       range, evc, es, cs, ds, ls, add_s, nsev
		}
	}
	for (i = 1; i in order; i++) {
		tr = order[i]
		if (LOST[tr] > 0 || DROP[tr] > 0)
			printf "!! %s LOST EVENTS: %d not delivered (%d dropped by its own account)\n",
			       LABEL[tr], LOST[tr], DROP[tr]
	}
	if (FAILED_CONNECTS)
		printf "!! %d connect() calls failed (counted in expected)\n", FAILED_CONNECTS

}

function micro_and_rest(    i, tr) {
	# ---- 2. kernel-side cost per event ----
	split("none noreader reject stalled ring-sleep ring watch-e tcpstates tracefs", morder, " ")
	MLABEL["none"] = "no tracer"
	MLABEL["noreader"] = "tcpstate.ko, no reader (probe returns at once)"
	MLABEL["reject"] = "tcpstate.ko, reject-all filter (built, not queued)"
	MLABEL["stalled"] = "tcpstate.ko, ring, reader stopped (no wake-ups)"
	MLABEL["ring-sleep"] = "tcpstate.ko, ring, ringcount drains every 1 ms"
	MLABEL["ring"] = "tcpstate.ko, ring, ringcount in poll()"
	MLABEL["watch-e"] = "tcpstate.ko, ring, tcpstate-watch -e in poll()"
	MLABEL["tcpstates"] = "libbpf-tools tcpstates"
	MLABEL["tracefs"] = "tracefs + cat trace_pipe"
	if (N["ns" SUBSEP "none"])
		micro_section()
	if (N["acc" SUBSEP "nomodule"] || N["drain" SUBSEP "text"] || ("100000", "events") in STALL)
		ring_section()
	memory_section()
	if (SEEN_TRACER["none"])
		goals_section()
	if (NHOOKS)
		hooks_section()
}

# 6. Each hook's cost per connection in the loop, in parts: calls and
# handler time (the "hookhits" records of debug_hits=1), the trap into a
# kprobe or kretprobe ("trap"); beside them the module's and the reader's
# cost as the loop measures them ("hooks"), and the unhook rows when run
# (BENCH_HOOKS_UNHOOK=1). BENCH_PARTS=hooks.
function hooks_section(    t, i, name, kind, floor, tk, tr, ts, tf, tfr, calls, rets, hns, trap, us, total, mod, mr, c, base, nat, tcgpp, natpp, kf) {
	PT = 1
	floor = N["clockfloor"] ? median("clockfloor") : 0
	tk = paired("trap" SUBSEP "kprobe", "trap" SUBSEP "none", "diff")
	TRAPRANGE["kprobe"] = sprintf("%.0f..%.0f", LO, HI)
	tr = paired("trap" SUBSEP "kretprobe", "trap" SUBSEP "none", "diff")
	TRAPRANGE["kretprobe"] = sprintf("%.0f..%.0f", LO, HI)
	ts = paired("trap" SUBSEP "kretprobe_skip", "trap" SUBSEP "none", "diff")
	TRAPRANGE["skip"] = sprintf("%.0f..%.0f", LO, HI)
	printf "\n6. What each hook costs, in parts, on the connection loop of part 1 (%s s a run).\n", INFO["loop_secs"]
	printf "   The trap into a hook: one getppid() on CPU 0 (bench/getppidloop), its entry\n"
	printf "   hooked by bench/hookcost_module with handlers that do nothing, ns more than\n"
	printf "   the call unhooked (%.0f ns); median of the rounds (range):\n", median("trap" SUBSEP "none")
	printf "     kprobe (ftrace-based at a function entry)          %5.0f  (%s)\n", tk, TRAPRANGE["kprobe"]
	printf "     kretprobe, the return trapped too                  %5.0f  (%s)\n", tr, TRAPRANGE["kretprobe"]
	printf "     kretprobe, the entry handler gives the instance back %3.0f  (%s)\n", ts, TRAPRANGE["skip"]
	if (N["trap" SUBSEP "ftrace"]) {
		tf = paired("trap" SUBSEP "ftrace", "trap" SUBSEP "none", "diff")
		printf "     an ftrace callback there, the layer under that kprobe %3.0f  (%.0f..%.0f)\n", tf, LO, HI
	}
	if (N["trap" SUBSEP "ftrace_regs"]) {
		tfr = paired("trap" SUBSEP "ftrace_regs", "trap" SUBSEP "none", "diff")
		printf "     the same, every register saved (tcpstate's ftrace hooks) %3.0f  (%.0f..%.0f)\n", tfr, LO, HI
	}
	if (N["trap" SUBSEP "fprobe"]) {
		printf "     an fprobe there, its return trapped                %5.0f  (%.0f..%.0f)\n",
			paired("trap" SUBSEP "fprobe", "trap" SUBSEP "none", "diff"), LO, HI
		printf "     an fprobe, its entry handler declining the return  %5.0f  (%.0f..%.0f)\n",
			paired("trap" SUBSEP "fprobe_skip", "trap" SUBSEP "none", "diff"), LO, HI
	}
	printf "     the clock reads timing a handler (debug_hits=1)      %3.0f  (taken off below)\n", floor
	printf "   calls/c, rets/c: the hook's calls per connection, and a kretprobe's returns\n"
	printf "   trapped (debug_hits=1, a run of its own); handler: its handlers' time per call,\n"
	printf "   in place (local_clock() around them, less the clock reads); trap: as above,\n"
	printf "   per call; us/conn: calls/c x (handler + trap); share: of the sum.\n\n"
	printf "%-44s %2s %7s %6s %7s %5s %7s %5s\n", "hook", "T", "calls/c", "rets/c", "handler", "trap", "us/conn", "share"
	for (t = 1; t <= 2; t++) {
		if (!(t in HOOKS_T))
			continue
		PT = t
		total = 0
		delete HUS
		for (i = 1; i <= NHOOKS; i++) {
			name = HOOK_NAME[i]
			kind = HOOK_KIND[name]
			calls = N["hkhits" SUBSEP name SUBSEP t] ? median("hkhits" SUBSEP name SUBSEP t) : 0
			rets = N["hkrets" SUBSEP name SUBSEP t] ? median("hkrets" SUBSEP name SUBSEP t) : 0
			hns = N["hkns" SUBSEP name SUBSEP t] ? median("hkns" SUBSEP name SUBSEP t) - floor : 0
			if (hns < 0)
				hns = 0
			if (kind == "kprobe")
				trap = tk
			else if (kind == "ftrace")
				trap = tfr
			else if (kind == "kretprobe")
				trap = calls > 0 ? (rets * tr + (calls - rets) * ts) / calls : 0
			else
				trap = 0
			HUS[i] = calls * (hns + trap) / 1000
			HNS[i] = hns
			HTRAP[i] = trap
			HCALLS[i] = calls
			HRETS[i] = rets
			total += HUS[i]
		}
		for (i = 1; i <= NHOOKS; i++) {
			name = HOOK_NAME[i]
			if (HCALLS[i] == 0) {
				printf "  %-42s %2d %7s %6s %7s %5s %7s %5s\n", HOOK_KIND[name] " " name, t, "0", "-", "-", "-", "0", "-"
				continue
			}
			# (Parenthesized: a bare > in printf's arguments redirects.)
			printf "  %-42s %2d %7.2f %6s %7.0f %5.0f %7.2f %4.0f%%\n", HOOK_KIND[name] " " name, t, HCALLS[i],
			       (HOOK_KIND[name] == "kretprobe" ? sprintf("%.2f", HRETS[i]) : "-"), HNS[i], HTRAP[i], HUS[i],
			       (total > 0 ? HUS[i] * 100 / total : 0)
		}
		printf "  %-42s %2d %7s %6s %7s %5s %7.2f %5s\n", "all hooks, the sum", t, "", "", "", "", total, "100%"
		base = median("hkrate" SUBSEP "none" SUBSEP t)
		printf "  %-42s %2d %7s %6s %7s %5s %7.1f\n", "(no module: us of CPU per connection)", t, "", "", "", "", (base > 0 ? t * 1e6 / base : 0)
		printf "  %-42s %2d %7s %6s %7s %5s %7.3f\n", "(the sum as a ratio of the loop's rate)", t, "", "", "", "",
		       (base > 0 ? (t * 1e6 / base) / (t * 1e6 / base + total) : 0)
		mr = paired("hk" SUBSEP "all" SUBSEP t, "hk" SUBSEP "none" SUBSEP t, "ratio")
		mod = paired("hk" SUBSEP "all" SUBSEP t, "hk" SUBSEP "none" SUBSEP t, "us")
		HKMOD[t] = mod
		HKMODR[t] = mr
		printf "%-44s %2d  ratio %.3f, +%.1f us/conn (range %.1f..%.1f)\n", "tcpstate.ko, all hooks, no reader: the loop", t, mr, mod, LO, HI
		mr = paired("hk" SUBSEP "reader" SUBSEP t, "hk" SUBSEP "none" SUBSEP t, "ratio")
		c = paired("hk" SUBSEP "reader" SUBSEP t, "hk" SUBSEP "all" SUBSEP t, "us")
		printf "%-44s %2d  ratio %.3f, reader +%.1f us/conn over the module (range %.1f..%.1f)\n",
		       "tcpstate-watch (sequences): the loop", t, mr, c, LO, HI
		if (N["hkreadercpu" SUBSEP t])
			printf "%-44s %2d  %.1f us/conn (%.2f us/event), median of the rounds\n",
			       "  the reader's own CPU time (/proc/PID/stat)", t, median("hkreadercpu" SUBSEP t),
			       median("hkreaderev" SUBSEP t)
		HKSUM[t] = total
		HKBASE[t] = base
	}
	if (N["native" SUBSEP "getppid"]) {
		natpp = median("native" SUBSEP "getppid")
		tcgpp = median("trap" SUBSEP "none")
		kf = natpp > 0 ? tcgpp / natpp : 0
		printf "\n   On this host's own CPU (no emulation, its own kernel %s, no module: it cannot\n", INFO["host_kernel"]
		printf "   load one): getppid() %.0f ns (in the VM %.0f: x%.1f)", natpp, tcgpp, kf
		for (t = 1; t <= 2; t++) {
			if (!N["native" SUBSEP "loop" SUBSEP t] || !(t in HKSUM))
				continue
			nat = median("native" SUBSEP "loop" SUBSEP t)
			printf "; loop T=%d %.0f conn/s, %.1f us/conn (in the VM %.1f: x%.1f)", t, nat, t * 1e6 / nat,
			       t * 1e6 / HKBASE[t], (t * 1e6 / HKBASE[t]) / (t * 1e6 / nat)
		}
		printf ".\n   The hooks' sum scaled by the system call's factor, against that loop:\n"
		for (t = 1; t <= 2; t++) {
			if (!N["native" SUBSEP "loop" SUBSEP t] || !(t in HKSUM) || kf <= 0)
				continue
			nat = t * 1e6 / median("native" SUBSEP "loop" SUBSEP t)
			printf "     T=%d: %.2f us/conn of %.1f: ratio %.3f\n", t, HKSUM[t] / kf, nat, nat / (nat + HKSUM[t] / kf)
		}
	}
	if (unhook_rows_run())
		unhook_rows()
}

# Whether the loop also ran with each hook left off (BENCH_HOOKS_UNHOOK=1).
function unhook_rows_run(    i) {
	for (i = 1; i <= NHOOKS; i++)
		if (N["hkrate" SUBSEP "off:" HOOK_NAME[i] SUBSEP 1] || N["hkrate" SUBSEP "off:" HOOK_NAME[i] SUBSEP 2])
			return 1
	return 0
}

# The loop with all hooks against all but one: each row carries the noise
# of two runs, a check of the parts above rather than a measure.
function unhook_rows(    t, i, name, c, rows) {
	printf "\n   Each hook left off (debug_unhook=NAME): +us/conn = T / rate with all hooks -\n"
	printf "   T / rate without that one, median of the rounds (range):\n"
	for (t = 1; t <= 2; t++) {
		if (!(t in HOOKS_T))
			continue
		PT = t
		rows = 0
		for (i = 1; i <= NHOOKS; i++) {
			name = HOOK_NAME[i]
			if (!N["hkrate" SUBSEP "off:" name SUBSEP t])
				continue
			c = paired("hk" SUBSEP "all" SUBSEP t, "hk" SUBSEP "off:" name SUBSEP t, "us")
			rows += c
			printf "  %-42s %2d %7.1f %15s\n", HOOK_KIND[name] " " name, t, c, sprintf("%.1f..%.1f", LO, HI)
		}
		printf "  %-42s %2d %7.1f\n", "sum of the rows above", t, rows
	}
}

function micro_section(    i, v, m, cs, ds, mbase) {
	printf "\n2. Cost per state change, kernel side: bench/churn on CPU 0 loops listen() +\n"
	printf "   shutdown(SHUT_RD) on one socket (CLOSE -> LISTEN -> CLOSE: 2 events, no\n"
	printf "   packet, no kprobe), %s iterations a run; readers on CPU 1.\n\n", INFO["churn_iters"]
	printf "   +ns/event: median over the rounds of (ns/iter - the round's no-tracer\n"
	printf "   ns/iter) / 2; range: lowest and highest of those.\n\n"
	printf "%-58s %8s %9s %11s %9s %7s\n", "variant", "ns/iter", "+ns/event", "range", "captured", "dropped"
	mbase = median("ns" SUBSEP "none")
	for (i = 1; i in morder; i++) {
		v = morder[i]
		if (!N["ns" SUBSEP v])
			continue
		m = median("ns" SUBSEP v)
		MNS[v] = v == "none" ? 0 : paired("micro" SUBSEP v, "micro" SUBSEP "none", "half-diff")
		nrange = v == "none" ? "-" : sprintf("%.0f..%.0f", LO, HI)
		if (N["cap" SUBSEP v] && v != "reject") {
			cs = sum("cap" SUBSEP v)
			ds = sum("drop" SUBSEP v)
			if (ds > 0 || cs < sum("ev" SUBSEP v))
				MLOST[v] = sum("ev" SUBSEP v) - cs
		} else {
			cs = "-"
			ds = "-"
		}
		printf "%-58s %8.0f %9s %11s %9s %7s\n", MLABEL[v], m,
		       v == "none" ? "-" : sprintf("%.0f", MNS[v]), nrange, cs, ds
	}
	if ("stalled" in MNS && "reject" in MNS) {
		printf "   tcpstate, by step (ns/event): tracepoint probe %.0f, event build + filter %.0f,\n",
		       MNS["noreader"], MNS["reject"] - MNS["noreader"]
		printf "   ring reserve/copy/commit %.0f, reader wake-ups (poll) %.0f\n",
		       MNS["stalled"] - MNS["reject"], MNS["ring"] - MNS["stalled"]
	}
	for (v in MLOST)
		printf "!! %s LOST EVENTS: %d of %d\n", MLABEL[v], MLOST[v], sum("ev" SUBSEP v)

}

function ring_section() {
	capacity = int((MEM["ring_kb"] ? MEM["ring_kb"] : 16384) * 1024 / span)
	printf "\n3. Ring (default %d KiB: %d records of %d bytes)\n", MEM["ring_kb"] ? MEM["ring_kb"] : 16384, capacity, span
	printf "   producers on both CPUs (bench/churn -t 2), events/s:\n"
	printf "     no module (what churn can make)            %9s\n", si(median("acc" SUBSEP "nomodule"))
	printf "     ring, reader stopped                       %9s  (dropped %d)\n",
	       si(median("acc" SUBSEP "stalled")), sum("accdrop" SUBSEP "stalled")
	printf "     ring, ringcount draining on the same CPUs  %9s  (dropped %d)\n",
	       si(median("acc" SUBSEP "draining")), sum("accdrop" SUBSEP "draining")
	printf "   reader drain rate, ring prefilled, events/s:\n"
	printf "     bench/ringcount (binary pass-through)      %9s\n", si(median("drain" SUBSEP "binary"))
	printf "     tcpstate-watch -e >/dev/null               %9s\n", si(median("drain" SUBSEP "text"))
	if (N["drain" SUBSEP "json"])
		printf "     tcpstate-watch -e -j >/dev/null            %9s\n", si(median("drain" SUBSEP "json"))
	else
		printf "     tcpstate-watch -e -j >/dev/null                  n/a\n"
	if (("100000", "events") in STALL)
		printf "   reader stopped, producers at %s events/s for %.2f s: %d events, %d dropped\n",
		       si(STALL["100000", "rate"]), STALL["100000", "secs"], STALL["100000", "events"], STALL["100000", "dropped"]
	if (("0", "events") in STALL)
		printf "   reader stopped, producers at full speed (%s events/s) for %.2f s: %d events, %d dropped\n",
		       si(STALL["0", "rate"]), STALL["0", "secs"], STALL["0", "events"], STALL["0", "dropped"]

}

function memory_section(    ring_kb, meta_kb, nr_data, arr_kb, slab_kb, mod_kb) {
	if ("module_size" in MEM) {
		printf "\n4. Memory (default ring)\n"
		ring_kb = MEM["ring_kb"]
		meta_kb = 2 * MEM["page_size"] / 1024
		# kvcalloc'd page array: nr_pages + nr_data pointers
		nr_data = ring_kb * 1024 / MEM["page_size"]
		arr_kb = (2 + 2 * nr_data) * 8 / 1024
		slab_kb = MEM["loaded", "Slab"] - MEM["before", "Slab"]
		mod_kb = MEM["module_size"] / 1024
		printf "   ring: %d KiB data + %d KiB consumer/ctrl pages (vmap()ed with the data twice:\n", ring_kb, meta_kb
		printf "     %.1f MiB of address space, no more memory) + %.0f KiB page array\n",
		       MEM["vmap_bytes"] / 1048576, arr_kb
		printf "   module text and data (/proc/modules): %d KiB; slab at insmod: %+d KiB (kretprobe\n", mod_kb, slab_kb
		printf "     instances, per-netns counters); percpu %+d KiB\n",
		       MEM["loaded", "Percpu"] - MEM["before", "Percpu"]
		printf "   total: ring %d KiB + fixed %.0f KiB\n", ring_kb + meta_kb, arr_kb + mod_kb + slab_kb
	}

}

function goals_section(    t, cw, cb, lost, maxev, maxev_none, k, dt, dj) {
	printf "\n5. Goals (issue 5)\n"
	if (("watch-e", 1) in RATIO && ("tcpstates", 1) in RATIO) {
		for (t = 1; t <= 2; t++) {
			cw = 1 - RATIO["watch-e", t]
			cb = 1 - RATIO["tcpstates", t]
			printf "   T=%d: tcpstate-watch -e costs %.1f%% of conn/s (goal <= 2%%): %s by %.1f points;", t, cw * 100,
			       verdict(cw <= 0.02), (cw - 0.02) * 100 * (cw <= 0.02 ? -1 : 1)
			printf " tcpstates costs %.1f%%: goal < %.1f%% (a third): %s\n", cb * 100, cb * 100 / 3,
			       verdict(cw < cb / 3)
		}
	}
	lost = LOST["watch-e"] + LOST["watch-j"] + LOST["watch-seq"] + DROP["watch-e"] + DROP["watch-j"] + DROP["watch-seq"]
	printf "   no event lost at the max connection rate, default ring, reader running: %s (%d lost)\n",
	       verdict(lost == 0), lost
	maxev = 0
	for (t = 1; t <= 2; t++) {
		k = "evrate" SUBSEP "watch-e" SUBSEP t
		if (median(k) > maxev)
			maxev = median(k)
	}
	maxev_none = 0
	for (t = 1; t <= 2; t++)
		if (RATE["none", t] * EVC["watch-e", t] > maxev_none)
			maxev_none = RATE["none", t] * EVC["watch-e", t]
	dt = median("drain" SUBSEP "text")
	dj = median("drain" SUBSEP "json")
	if (maxev > 0 && dt > 0) {
		printf "   reader drains >= 10x the loop's event rate: the loop makes %s events/s traced\n", si(maxev)
		printf "     (%s untraced); -e drains %s = %.1fx traced, %.1fx untraced: %s", si(maxev_none), si(dt),
		       dt / maxev, dt / maxev_none, verdict(dt >= 10 * maxev_none)
		if (dj > 0)
			printf "; -e -j drains %s = %.1fx, %.1fx: %s", si(dj), dj / maxev, dj / maxev_none,
			       verdict(dj >= 10 * maxev_none)
		printf "\n"
	}
	if (("100000", "events") in STALL) {
		printf "   the default ring absorbs a 1 s reader stall at 100k events/s: %s (%d events, %d dropped;\n",
		       verdict(STALL["100000", "dropped"] == 0 && STALL["100000", "secs"] >= 0.95), STALL["100000", "events"],
		       STALL["100000", "dropped"]
		printf "     room for %d records: %.2f s at 100k/s", capacity, capacity / 100000
		if (("0", "rate") in STALL)
			printf ", %.2f s at the full producer rate %s/s", capacity / STALL["0", "rate"], si(STALL["0", "rate"])
		printf ")\n"
	}
	if (NSEED) {
		printf "\ninsmod with sockets in the established hash (sockfill; CPU 0 runs insmod; on CPU 1 a\n"
		printf "real-time task wakes every 200 us, stallmeter: its latest wake-up, with insmod and idle):\n"
		printf "%8s %8s %8s %8s %9s %8s %10s %12s %12s\n", "conns", "inuse", "tw", "counted", "count ms", "moves",
		       "lock us", "CPU1 gap us", "idle gap us"
		for (i = 1; i <= NSEED; i++)
			printf "%8d %8d %8d %8d %9d %8d %10d %12d %12d\n", SEED[i, "conns"], SEED[i, "inuse"], SEED[i, "tw"],
			       SEED[i, "counted"], SEED[i, "count_ms"], SEED[i, "moves"], SEED[i, "lock_us"],
			       SEED[i, "gap_us"], SEED[i, "idle_gap_us"]
		if (NSEED >= 2) {
			lo = SEED[1, "gap_us"] + 0 > SEED[1, "idle_gap_us"] + 0 ? SEED[1, "gap_us"] + 0 : SEED[1, "idle_gap_us"] + 0
			printf "   insmod's stall does not grow with the sockets (CPU 1's gap at %d in use <= 2x at %d, or <= 2x idle): %s\n",
			       SEED[NSEED, "inuse"], SEED[1, "inuse"],
			       verdict(SEED[NSEED, "gap_us"] + 0 <= 2 * lo || SEED[NSEED, "gap_us"] + 0 <= 2 * SEED[NSEED, "idle_gap_us"])
		}
	}
	if (INFO["kretprobe_missed"] > 0)
		printf "!! kretprobes missed calls (dmesg 'calls missed'): %d lines\n", INFO["kretprobe_missed"]
	if (INFO["kernel_complaints"] > 0)
		printf "!! the kernel complained (scripts/guest/kernel-log.sh): %d lines\n", INFO["kernel_complaints"]
}
