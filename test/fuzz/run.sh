#!/usr/bin/env bash
# Runs the codec fuzzer for RUNS inputs from a seed corpus of valid and
# near-valid strings; prints one summary line and fails on any crash.
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-1000000}
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
i=0
for s in 4 4.4 6.1.2 10.2 A.5 A.5.24 A.8.34 a.5.1 ' 9.2.2 ' 999.0.1.2.3 \
	1.0 2.13 0.1 32767.65535 A..5 05 1.2.3.4.5.6 1000 1.65536 'A.5 x'; do
	printf '%s' "$s" > "$corpus/seed$i"
	i=$((i + 1))
done
log=$(mktemp)
if ./fuzz_codec -runs="$runs" -max_len=64 -seed=1 "$corpus" >"$log" 2>&1; then
	done_line=$(grep -E '^Done [0-9]+ runs' "$log" || true)
	echo "fuzz codec ... ok ($done_line; 0 crashes)"
	rm -f "$log"
else
	tail -n 40 "$log"
	echo "fuzz codec ... FAILED (see the crash above)"
	rm -f "$log"
	exit 1
fi
