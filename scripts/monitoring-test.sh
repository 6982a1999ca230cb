#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fleet assets in monitoring/ against promtool (Debian's prometheus
# package) and the metrics tcpstate-watch really writes:
#
#  1. promtool check rules accepts tcpstate-alerts.yml, every rule an alert
#     with a severity label and summary/description annotations naming
#     the instance;
#  2. promtool test rules passes tcpstate-alerts.test.yml, which fires
#     every alert and holds a case where it must not fire; and the tests
#     catch a broken rule: with any one alert removed, or any alert's
#     for: set to 0, they fail;
#  3. the rules evaluated over the label sets of a real
#     `tcpstate-watch --counters --prometheus -` run (fake device, as
#     scripts/prometheus-test.sh): TIME_WAIT at its limit fires
#     TcpstateTimeWaitNearLimit (tcpstate_time_wait and
#     tcpstate_tcp_max_tw_buckets match label for label), constant
#     counters fire no rate alert;
#  4. grafana-dashboard.json parses (python3's json), has the datasource,
#     instance and netns variables and the panels the README promises,
#     every panel on the datasource variable and filtered by both others;
#     every PromQL expression of every panel and variable, with the
#     variables substituted, passes promtool check rules (as recording
#     rules of a throwaway file);
#  5. every metric name the rules and the dashboard use is one that
#     tcpstate-watch --prometheus writes.
#
# Temporary files only (EXIT trap). Usage: scripts/monitoring-test.sh;
# exits 0 if all holds.
. "$(dirname "$0")/gate.sh"

WATCH=$top/userspace/tcpstate-watch
FAKE=$top/userspace/tests/fake_tcpstate.so
RULES=$top/monitoring/tcpstate-alerts.yml
TESTS=$top/monitoring/tcpstate-alerts.test.yml
DASH=$top/monitoring/grafana-dashboard.json
PROMTOOL=$(command -v promtool) || fail "no promtool (package prometheus): run scripts/install-deps.sh"
python3 -c 'import yaml' 2> /dev/null || fail "no python3-yaml: run scripts/install-deps.sh"
[ -x "$WATCH" ] || fail "no $WATCH: make userspace"
[ -f "$FAKE" ] || make -s -C userspace tests/fake_tcpstate.so > /dev/null ||
	fail "cannot build $FAKE"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcpstate-monitoring.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# promtool ARGS...: its output shown only when it fails.
promtool_ok() {
	local out
	if ! out=$("$PROMTOOL" "$@" 2>&1); then
		printf '%s\n' "$out"
		return 1
	fi
}

# ---- 1, 2: the rules and their unit tests ----

promtool_ok check rules "$RULES" || fail "promtool check rules $RULES"
promtool_ok test rules "$TESTS" || fail "promtool test rules $TESTS"

# The metrics a real run writes, one name a line.
TCPSTATE_FAKE_MISSED=0 LD_PRELOAD=$FAKE "$WATCH" -d /dev/null --counters --prometheus - \
	> "$tmp/real.prom" || fail "tcpstate-watch --counters --prometheus - (fake device)"
promtool_ok check metrics < "$tmp/real.prom" || fail "promtool check metrics rejects the real output"
awk '!/^#/ && NF { sub(/[{ ].*/, ""); print }' "$tmp/real.prom" | sort -u > "$tmp/real.names"
[ -s "$tmp/real.names" ] || fail "tcpstate-watch wrote no metric"

# Everything else in Python: it writes the throwaway rule and test files
# into $tmp and prints its "ok: ..." lines, then one line
# "RUN PASS|FAIL|CHECK what file" for each promtool run whose verdict is
# wanted; "FAIL: ..." on any error of its own.
python3 - "$RULES" "$TESTS" "$DASH" "$tmp" > "$tmp/plan" <<'PY' || { cat "$tmp/plan"; fail "checks of the rules and dashboard"; }
import copy, json, os, re, sys
import yaml

rules_path, tests_path, dash_path, tmp = sys.argv[1:]
real = set(open(os.path.join(tmp, "real.names")).read().split())
errors = []
runs = []  # promtool runs for the shell, printed after the ok lines

def fail(msg):
    errors.append(msg)

rules = yaml.safe_load(open(rules_path))
tests = yaml.safe_load(open(tests_path))
alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
if not alerts or len(alerts) != sum(len(g["rules"]) for g in rules["groups"]):
    fail("every rule of %s must be an alert, and there must be some" % rules_path)
names = [a["alert"] for a in alerts]
if len(set(names)) != len(names):
    fail("alert names repeat: %s" % names)
for a in alerts:
    if a.get("labels", {}).get("severity") not in ("warning", "critical"):
        fail("%s: no severity warning|critical" % a["alert"])
    ann = a.get("annotations", {})
    for k in ("summary", "description"):
        if "{{ $labels.instance }}" not in ann.get(k, ""):
            fail("%s: %s does not name {{ $labels.instance }}" % (a["alert"], k))

# Each alert fired by some case and held silent by some case.
fired, silent = set(), set()
for t in tests["tests"]:
    for c in t.get("alert_rule_test", []):
        (fired if c.get("exp_alerts") else silent).add(c["alertname"])
for n in names:
    if n not in fired:
        fail("%s: no test case fires it" % n)
    if n not in silent:
        fail("%s: no test case where it must not fire" % n)

# Mutants: the same tests against rules with one alert removed, or one
# alert's for: set to 0. Each must make promtool test rules fail.
def write_mutant(tag, mutate):
    d = os.path.join(tmp, "mutant-" + tag)
    os.mkdir(d)
    m = copy.deepcopy(rules)
    mutate(m)
    yaml.safe_dump(m, open(os.path.join(d, os.path.basename(rules_path)), "w"), sort_keys=False)
    t = copy.deepcopy(tests)
    yaml.safe_dump(t, open(os.path.join(d, "test.yml"), "w"), sort_keys=False)
    runs.append("RUN FAIL %s %s" % (tag, os.path.join(d, "test.yml")))

for i, n in enumerate(names):
    def drop(m, n=n):
        for g in m["groups"]:
            g["rules"] = [r for r in g["rules"] if r.get("alert") != n]
    write_mutant("without-%s" % n, drop)
    if alerts[i].get("for", "0s") not in ("0s", "0m", "0"):
        def nofor(m, n=n):
            for g in m["groups"]:
                for r in g["rules"]:
                    if r.get("alert") == n:
                        r["for"] = "0s"
        write_mutant("no-for-%s" % n, nofor)

# The rules over the real output's label sets: every sample constant for
# 20 minutes, TIME_WAIT = tcp_max_tw_buckets. Annotations are left out
# (this is about the expressions meeting the real labels).
samples = []
for line in open(os.path.join(tmp, "real.prom")):
    if line.startswith("#") or not line.strip():
        continue
    series, value = line.rsplit(" ", 1)
    samples.append((series, float(value)))
vals = {s.split("{")[0]: v for s, v in samples}
if "tcpstate_tcp_max_tw_buckets" not in vals or "tcpstate_time_wait" not in vals:
    fail("the real output lacks tcpstate_time_wait or tcpstate_tcp_max_tw_buckets")
else:
    d = os.path.join(tmp, "real")
    os.mkdir(d)
    m = copy.deepcopy(rules)
    for g in m["groups"]:
        for r in g["rules"]:
            r.pop("annotations", None)
    yaml.safe_dump(m, open(os.path.join(d, "rules.yml"), "w"), sort_keys=False)
    inputs = []
    for s, v in samples:
        name = s.split("{")[0]
        if name == "tcpstate_time_wait":
            v = vals["tcpstate_tcp_max_tw_buckets"]
        lab = s[len(name):]
        lab = '{instance="real:9100",job="node",' + lab[1:] if lab else '{instance="real:9100",job="node"}'
        inputs.append({"series": name + lab, "values": "%d+0x20" % v})
    netns = re.search(r'netns="(\d+)"', samples[0][0]).group(1)
    def exp(n):
        a = next(a for a in alerts if a["alert"] == n)
        return [{"exp_labels": {"severity": a["labels"]["severity"], "instance": "real:9100",
                                "job": "node", "netns": netns}}]
    cases = []
    for n in names:
        e = []
        if n == "TcpstateTimeWaitNearLimit":
            e = exp(n)
        elif n == "TcpstateProbesMissed" and vals.get("tcpstate_probes_missed_since_seed_total", 0) > 0:
            e = exp(n)
        elif n == "TcpstateSynFlood":
            e = []  # expiries constant: rate 0
        cases.append({"eval_time": "15m", "alertname": n, "exp_alerts": e})
    t = {"rule_files": ["rules.yml"], "evaluation_interval": "1m",
         "tests": [{"interval": "1m", "input_series": inputs, "alert_rule_test": cases}]}
    yaml.safe_dump(t, open(os.path.join(d, "test.yml"), "w"), sort_keys=False)
    runs.append("RUN PASS real-labels %s" % os.path.join(d, "test.yml"))

# ---- the dashboard ----
try:
    dash = json.load(open(dash_path))
except ValueError as e:
    print("FAIL: %s is not JSON: %s" % (dash_path, e))
    sys.exit(1)
if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 41:
    fail("schemaVersion %r: not a current Grafana's (>= 41, Grafana 12)" % dash.get("schemaVersion"))
# What Grafana's migrations to schema 40-42 would rewrite is already so:
# refresh a string, no timepicker.time_options, hideFrom.viz with .tooltip.
if not isinstance(dash.get("refresh"), str):
    fail("refresh is not a string (schema 40)")
if "time_options" in dash.get("timepicker", {}):
    fail("timepicker.time_options (removed by schema 41)")
for k in ("title", "uid", "panels", "templating"):
    if not dash.get(k):
        fail("dashboard without %s" % k)
tvars = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
ds = tvars.get("datasource", {})
if ds.get("type") != "datasource" or ds.get("query") != "prometheus":
    fail("no datasource variable of type datasource, query prometheus")
exprs = []  # (where, expr)
for vn in ("instance", "netns"):
    v = tvars.get(vn, {})
    q = v.get("query")
    q = q.get("query") if isinstance(q, dict) else q
    mm = re.fullmatch(r"\s*label_values\((.*),\s*%s\s*\)\s*" % vn, q or "")
    if v.get("type") != "query" or not mm:
        fail("variable %s: not a query label_values(..., %s)" % (vn, vn))
        continue
    if v.get("datasource", {}).get("uid") != "${datasource}":
        fail("variable %s not on ${datasource}" % vn)
    exprs.append(("variable " + vn, mm.group(1)))

def all_panels(ps):
    for p in ps:
        yield p
        yield from all_panels(p.get("panels", []))

ids, titles, n_targets = set(), [], 0
for p in all_panels(dash.get("panels", [])):
    if p.get("id") in ids:
        fail("panel id %r repeats" % p.get("id"))
    ids.add(p.get("id"))
    g = p.get("gridPos", {})
    if not all(isinstance(g.get(k), int) for k in ("h", "w", "x", "y")) or g["x"] + g["w"] > 24:
        fail("panel %r: bad gridPos %r" % (p.get("title"), g))
    for o in p.get("fieldConfig", {}).get("overrides", []):
        for prop in o.get("properties", []):
            v = prop.get("value")
            if prop.get("id") == "custom.hideFrom" and v.get("viz") and not v.get("tooltip"):
                fail("panel %r: hideFrom.viz without .tooltip (schema 42)" % p.get("title"))
    if p.get("type") == "row":
        continue
    titles.append(p.get("title", ""))
    if p.get("datasource", {}).get("uid") != "${datasource}":
        fail("panel %r not on ${datasource}" % p.get("title"))
    if not p.get("targets"):
        fail("panel %r has no query" % p.get("title"))
    refs = set()
    for t in p.get("targets", []):
        n_targets += 1
        e = t.get("expr", "")
        if t.get("refId") in refs:
            fail("panel %r: refId %r repeats" % (p.get("title"), t.get("refId")))
        refs.add(t.get("refId"))
        if t.get("datasource", {}).get("uid", "${datasource}") != "${datasource}":
            fail("panel %r: a query not on ${datasource}" % p.get("title"))
        # Per host and namespace: every selector filtered by both.
        for sel in re.findall(r"\btcpstate_\w+(\{[^}]*\})?", e):
            if 'instance=~"$instance"' not in sel or 'netns=~"$netns"' not in sel:
                fail("panel %r: a selector without instance and netns filters: %s" % (p.get("title"), e))
        if "{{instance}}" not in t.get("legendFormat", ""):
            fail("panel %r: legend without {{instance}}" % p.get("title"))
        exprs.append(("panel %r %s" % (p.get("title"), t.get("refId")), e))
want_titles = ["SYN_RECV", "TIME_WAIT vs tcp_max_tw_buckets", "SYN queue", "overflows",
               "listen drops", "cookies", "RSTs", "Ring drops", "Probes missed"]
for w in want_titles:
    if not any(w.lower() in t.lower() for t in titles):
        fail("no panel titled with %r" % w)

# Every expression as a recording rule: promtool parses each.
def substitute(e):
    e = re.sub(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}", "5m", e)
    return re.sub(r"\$\{?\w+\}?|\[\[\w+\]\]", "x", e)
rec = {"groups": [{"name": "dashboard", "rules": [
    {"record": "dashboard:expr_%d" % i, "expr": substitute(e)} for i, (_, e) in enumerate(exprs)]}]}
d = os.path.join(tmp, "dashboard")
os.mkdir(d)
yaml.safe_dump(rec, open(os.path.join(d, "rules.yml"), "w"), sort_keys=False)
with open(os.path.join(d, "where"), "w") as f:
    for i, (w, e) in enumerate(exprs):
        f.write("dashboard:expr_%d\t%s\t%s\n" % (i, w, e))
runs.append("RUN CHECK dashboard-exprs %s" % os.path.join(d, "rules.yml"))

# ---- metric names: what the rules and the dashboard use ----
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "inf", "nan", "x"}
def metric_names(e):
    e = re.sub(r'"(\\.|[^"\\])*"', '""', e)        # strings
    e = re.sub(r"\{[^}]*\}", "", e)                # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)               # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    out = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        rest = e[m.end():].lstrip()
        if rest.startswith("("):                   # a function
            continue
        if m.group(0).lower() in KEYWORDS or re.fullmatch(r"\d.*", m.group(0)):
            continue
        # Numbers like 1e3 or durations are not identifiers' starts.
        if m.start() > 0 and (e[m.start() - 1].isdigit() or e[m.start() - 1] == "."):
            continue
        out.add(m.group(0))
    return out

used = {}
for a in alerts:
    for n in metric_names(a["expr"]):
        used.setdefault(n, []).append("alert " + a["alert"])
for w, e in exprs:
    for n in metric_names(substitute(e)):
        used.setdefault(n, []).append(w)
for n, where in sorted(used.items()):
    if n not in real:
        fail("%s (used by %s) is not a metric tcpstate-watch --prometheus writes" % (n, ", ".join(where)))
unused = sorted(real - set(used))
if errors:
    for e in errors:
        print("FAIL: " + e)
    sys.exit(1)
print("ok: %d alerts, each with severity, summary and description naming the instance; each fired and held silent by a test case" % len(alerts))
print("ok: dashboard %r: schemaVersion %d, variables datasource, instance, netns; %d panels, %d queries, each per instance and netns" %
      (dash["title"], dash["schemaVersion"], len(titles), n_targets))
print("ok: %d metric names used by the rules and the dashboard, all written by tcpstate-watch --prometheus (of %d; unused: %s)" %
      (len(used), len(real), " ".join(unused) or "none"))
print("\n".join(runs))
PY

while read -r kind a b c; do
	case $kind in
	RUN) ;;
	*) echo "$kind $a $b $c"; continue ;;
	esac
	case $a in
	FAIL)
		"$PROMTOOL" test rules "$c" > "$tmp/out" 2>&1 &&
			fail "the tests pass against a broken rule set ($b): they would not catch it"
		grep -q FAILED "$tmp/out" ||
			fail "promtool test rules on the mutant $b failed without a FAILED test: $(tail -n 3 "$tmp/out")"
		mutants=$((${mutants:-0} + 1))
		;;
	PASS)
		promtool_ok test rules "$c" ||
			fail "the rules over the real output's label sets ($c)"
		echo "ok: over the label sets of a real run, TIME_WAIT at tcp_max_tw_buckets fires TcpstateTimeWaitNearLimit; no rate alert fires on constant counters"
		;;
	CHECK)
		if ! promtool_ok check rules "$c"; then
			cat "$(dirname "$c")/where"
			fail "promtool rejects a dashboard expression (the list above names each)"
		fi
		echo "ok: promtool check rules accepts all $(wc -l < "$(dirname "$c")/where") PromQL expressions of the dashboard's panels and variables"
		;;
	esac
done < "$tmp/plan"
echo "ok: promtool check rules and test rules pass ($(grep -c '^      - alert:' "$RULES") alerts, $(grep -c 'alertname:' "$TESTS") alert checks); ${mutants:-0} broken rule sets (an alert removed, a for: zeroed) each fail the tests"
