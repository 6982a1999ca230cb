# SPDX-License-Identifier: GPL-2.0
# Counts TAP results across concatenated streams. A plan ("1..N") whose
# tests did not all report (a guest that died mid-run) counts the missing
# ones as failed. Prints "N passed, N failed, N skipped".
/^1\.\.[0-9]+/ { planned += substr($1, 4) }
/^ok / { if ($0 ~ /# [Ss][Kk][Ii][Pp]/) skipped++; else passed++; next }
/^not ok / { failed++ }
END {
	missing = planned - passed - failed - skipped
	if (missing > 0) {
		printf "# %d planned tests never reported\n", missing
		failed += missing
	}
	printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
}
