# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the host gates that scripts/check.sh runs as one test each
# (install-test.sh, dkms-test.sh, prometheus-test.sh): set -u, cwd and
# $top the top of the tree, and fail(), which says why and exits 1
# (check.sh shows a gate's output as the test's diagnostics).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

fail() {
	echo "FAIL: $*"
	exit 1
}
