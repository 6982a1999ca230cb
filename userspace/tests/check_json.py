#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks tcpstate-watch's JSON Lines with a real JSON parser.

  check_json.py seq TEXT JSON     TEXT: sequence lines (with -T, TZ=UTC),
                                  JSON: the same records as JSON Lines
  check_json.py event TEXT JSON   the same for -e lines (TZ=UTC)
  check_json.py seq-notime TEXT JSON    the same, TEXT without -T
  check_json.py event-notime TEXT JSON  the same, TIME not compared (the
                                  two came from runs that each measured
                                  the wall clock's offset)
  check_json.py event-who TEXT JSON     as event-notime, TEXT with --who
  check_json.py lines FILE        every line of FILE is a JSON object with a
                                  known "type" and all of that type's keys
  check_json.py strings JSON HEX  line i of JSON is a JSON string whose
                                  UTF-8 bytes are line i of HEX

seq and event rebuild every text line from its JSON object alone: if the
text shows something the JSON lacks, they fail. Exit 0 and print "ok N",
or print what differs and exit 1.
"""
import ipaddress
import json
import sys

SEQ_KEYS = [
    "type", "kind", "side", "time", "start_ns", "end_ns", "duration_ns",
    "netns", "family", "laddr", "lport", "raddr", "rport", "sock_id",
    "req_id", "tw_id", "handshake_ns", "syn_queue_ns", "established_ns",
    "time_wait_ns", "synack_retrans", "ack_drops", "queue", "qlen", "qmax",
    "reason", "tw_substate", "steps", "partial", "missing", "gap_from",
    "gap_to", "cause", "err", "rst_reason", "rst_by", "iss", "irs",
    "fin_seq", "peer_fin_seq", "cgroup_id", "cgroup", "uid", "pid", "tgid",
    "comm", "owner_from",
]
EVENT_KEYS = [
    "type", "event", "time", "ts_ns", "netns", "sock_id", "peer_id",
    "family", "laddr", "lport", "raddr", "rport", "oldstate", "newstate",
    "reason", "qlen", "qmax", "count", "err", "seq", "ack", "iss", "irs",
    "rst_reason", "cgroup_id", "cgroup", "uid", "pid", "tgid", "comm",
    "owner_from",
]
SUMMARY_KEYS = [
    "type", "records", "counts", "handshake_ns", "syn_queue_ns",
    "time_wait_ns", "events", "dropped", "evicted",
]
START_KEYS = ["type", "view", "kernel_filter"]
KEYS = {"sequence": SEQ_KEYS, "event": EVENT_KEYS, "summary": SUMMARY_KEYS,
        "start": START_KEYS}
COL_KIND, COL_SIDE, COL_NETNS, COL_ENDPOINT, COL_DURATION = 18, 6, 10, 21, 9
COL_CGROUP = 24


def fail(msg):
    print(msg)
    sys.exit(1)


def parse(line):
    obj = json.loads(line)
    if not isinstance(obj, dict):
        fail("not an object: %r" % line)
    want = KEYS.get(obj.get("type"))
    if want is None:
        fail("unknown type: %r" % line)
    if list(obj.keys()) != want:
        fail("keys %r, expected %r" % (list(obj.keys()), want))
    return obj


def duration(ns, none):
    """sequence_output.c out_duration(): truncated, not rounded."""
    if ns is None:
        return none
    if ns < 1000:
        return "%dns" % ns
    if ns < 1000000:
        return "%d.%dus" % (ns // 1000, ns % 1000 // 100)
    if ns < 1000000000:
        return "%d.%02dms" % (ns // 1000000, ns % 1000000 // 10000)
    return "%d.%03ds" % (ns // 1000000000, ns % 1000000000 // 1000000)


def endpoint(o, which):
    addr, port = o[which + "addr"], o[which + "port"]
    if o["family"] == "ipv4":
        str(ipaddress.IPv4Address(addr))
        return "%s:%d" % (addr, port)
    if o["family"] == "ipv6":
        str(ipaddress.IPv6Address(addr))
        return "[%s]:%d" % (addr, port)
    if addr is not None:
        fail("address for family %s" % o["family"])
    return o["family"]


def hhmmss(iso):
    """2024-01-02T12:01:02.123456Z -> 12:01:02.123456 (the text, TZ=UTC)."""
    if not (iso.endswith("Z") and iso[10] == "T" and len(iso) == 27):
        fail("bad time %r" % iso)
    return iso[11:26]


def seq_text(o, timed=True):
    side = o["side"] if o["side"] is not None else "-"
    hhmmss(o["time"])
    line = "%-15s " % hhmmss(o["time"]) if timed else ""
    line += "%-*s %-*s %-*d %-*s %-*s %-*s " % (
        COL_KIND, o["kind"], COL_SIDE, side,
        COL_NETNS, o["netns"], COL_ENDPOINT, endpoint(o, "l"),
        COL_ENDPOINT, endpoint(o, "r"), COL_DURATION,
        duration(o["duration_ns"], "-"))
    steps = o["steps"]
    if not steps:
        line += "-"
    for i, s in enumerate(steps):
        line += s["state"]
        if i + 1 == len(steps):
            if s["ns"] is not None:
                fail("last step has a time: %r" % o)
            break
        if s["state"] != "...":
            line += " " + duration(s["ns"], "?")
        line += " -> "
    if o["req_id"] is not None:
        line += " retrans=%d" % o["synack_retrans"]
    if o["ack_drops"]:
        line += " ack_drops=%d" % o["ack_drops"]
    if (o["kind"] == "passive_open" and o["req_id"] is None
            and "start" not in o["missing"]):
        line += " req=none"
    if o["queue"] is not None:
        line += " %sq=%d/%d" % (o["queue"], o["qlen"], o["qmax"])
    if o["reason"] is not None:
        line += " reason=" + o["reason"]
    if o["tw_substate"] is not None:
        line += " substate=" + o["tw_substate"]
    for key in ("cause", "err", "rst_reason"):
        if o[key] is not None:
            line += " %s=%s" % (key, o[key])
    if (o["rst_reason"] is not None) != (o["rst_by"] == "local"):
        fail("rst_reason disagrees with rst_by: %r" % o)
    if o["missing"]:
        line += " missing=" + ",".join(o["missing"])
    if o["partial"] != bool(o["missing"]):
        fail("partial disagrees with missing: %r" % o)
    if ("gap" in o["missing"]) != (o["gap_from"] is not None):
        fail("gap_from disagrees with missing: %r" % o)
    return line


def event_numbers(o):
    """event_output.c tb_numbers(): err=, an RST's seq= ack=, iss= irs=."""
    t = ""
    if o["err"] is not None:
        t += " err=" + o["err"]
    if o["event"] == "RST_SENT" and o["seq"] is not None:
        t += " seq=%d" % o["seq"]
        if o["ack"] is not None:
            t += " ack=%d" % o["ack"]
    for key in ("iss", "irs"):
        if o[key] is not None:
            t += " %s=%d" % (key, o[key])
    if (o["rst_reason"] is not None) != (o["event"] == "RST_SENT"):
        fail("rst_reason on another event than RST_SENT: %r" % o)
    if o["owner_from"] not in (None, "event", "proc"):
        fail("owner_from %r" % o["owner_from"])
    return t


def event_transition(o):
    return event_words(o) + event_numbers(o)


def event_words(o):
    ev = o["event"]
    peer = o["peer_id"]
    if ev == "STATE":
        return "%s -> %s" % (o["oldstate"], o["newstate"])
    if ev in ("RST_SENT", "RST_RECEIVED"):
        t = ev + (" " + o["reason"] if ev == "RST_SENT" else "")
        return t + (" " + o["oldstate"] if o["oldstate"] else "")
    if ev in ("SYN_RECV", "ACCEPT_QUEUED"):
        return "%s qlen=%d/%d" % (ev, o["qlen"], o["qmax"])
    if ev == "SYN_RECV_END":
        t = "%s %s retrans=%d qlen=%d" % (ev, o["reason"], o["count"],
                                          o["qlen"])
        if o["reason"] == "completed":
            t += " child=%s" % (peer or "0" * 16)
        return t
    if ev == "SYNACK_RETRANS":
        return "%s #%d" % (ev, o["count"])
    if ev in ("ACK_DROP", "SYN_DROP"):
        return "%s %s qlen=%d/%d" % (ev, o["reason"], o["qlen"], o["qmax"])
    if ev == "SYNCOOKIE_SENT":
        return ev
    if ev == "TIMEWAIT":
        return "%s %s -> %s from=%s" % (ev, o["oldstate"], o["newstate"],
                                         peer or "0" * 16)
    if ev == "TIMEWAIT_END":
        return "%s %s %s" % (ev, o["reason"], o["newstate"])
    return ev


def cgroup_column(o):
    """owner.c tb_owner_text(): the path, shortened, else the id."""
    if o["cgroup_id"] is None:
        return "-"
    path = o["cgroup"]
    if path is None:
        return str(o["cgroup_id"])
    if len(path) <= COL_CGROUP:
        return path
    tail = path[len(path) - (COL_CGROUP - 3):]
    if "/" in tail:
        tail = tail[tail.index("/"):]
    return "..." + tail


def who_columns(o):
    """The --who columns: PID COMM UID CGROUP, "-" when unknown."""
    def known(v):
        return "-" if v is None else str(v)
    comm = o["comm"]
    if comm is not None:
        comm = "".join(c if " " < c < "\x7f" else "?" for c in comm)
    if (o["tgid"] is None) != (o["comm"] is None):
        fail("tgid and comm disagree: %r" % o)
    if (o["pid"] is not None) and o["owner_from"] != "event":
        fail("a thread id from %r" % o["owner_from"])
    return "%-7s %-15s %-5s %-24s " % (known(o["tgid"]), comm or "-",
                                       known(o["uid"]), cgroup_column(o))


def event_text(o, who=False):
    return "%-15s %-*d %s %-*s -> %-*s %s%s" % (
        hhmmss(o["time"]), COL_NETNS, o["netns"], o["sock_id"],
        COL_ENDPOINT, endpoint(o, "l"), COL_ENDPOINT, endpoint(o, "r"),
        who_columns(o) if who else "", event_transition(o))


def compare(text_path, json_path, build, header_word, strip=0):
    with open(text_path) as f:
        text = [l.rstrip("\n")[strip:] for l in f
                if not l.startswith(header_word)]
    with open(json_path) as f:
        objs = [parse(l) for l in f]
    objs = [o for o in objs if o["type"] in ("sequence", "event")]
    if len(text) != len(objs):
        fail("%d text lines, %d JSON records" % (len(text), len(objs)))
    for t, o in zip(text, objs):
        rebuilt = build(o)[strip:]
        if rebuilt != t:
            fail("text:  %r\nfrom JSON: %r" % (t, rebuilt))
    return len(objs)


def main(argv):
    if len(argv) == 4 and argv[1] == "seq":
        n = compare(argv[2], argv[3], seq_text, "TIME ")
    elif len(argv) == 4 and argv[1] == "event":
        n = compare(argv[2], argv[3], event_text, "TIME ")
    elif len(argv) == 4 and argv[1] == "seq-notime":
        n = compare(argv[2], argv[3], lambda o: seq_text(o, False), "KIND ")
    elif len(argv) == 4 and argv[1] == "event-notime":
        n = compare(argv[2], argv[3], event_text, "TIME ", 16)
    elif len(argv) == 4 and argv[1] == "event-who":
        n = compare(argv[2], argv[3], lambda o: event_text(o, True),
                    "TIME ", 16)
    elif len(argv) == 3 and argv[1] == "lines":
        with open(argv[2]) as f:
            n = len([parse(l) for l in f])
    elif len(argv) == 4 and argv[1] == "strings":
        with open(argv[2]) as f, open(argv[3]) as h:
            pairs = list(zip(f, h))
        for j, x in pairs:
            got = json.loads(j).encode("utf-8")
            want = bytes.fromhex(x.strip())
            if got != want:
                fail("%r decodes to %r, expected %r" % (j, got, want))
        n = len(pairs)
    else:
        fail(__doc__)
    print("ok %d" % n)


if __name__ == "__main__":
    main(sys.argv)
