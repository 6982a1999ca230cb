#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`: boot the VM, load tcpstate.ko, run tcpstate-watch on real
# loopback traffic and show what it prints.
set -eu
cd "$(dirname "$0")/.."
exec scripts/vm-run.sh --timeout 600 scripts/guest/demo.sh
