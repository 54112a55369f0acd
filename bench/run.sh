#!/usr/bin/env bash
# Runs every bench/NN_*.sql against the current PG* environment and prints
# each measure beside its baseline, with the ratio, from this one run.
# With arguments, only the files whose number is given: bench/run.sh 30.
# The files of OPT_IN (minutes of data generation) run only when named.
set -euo pipefail
OPT_IN=(50)
cd "$(dirname "$0")"
db=isms_bench
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION isms' -c 'CREATE EXTENSION isms_sample' -f lib.sql
for f in [0-9][0-9]_*.sql; do
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "${f%%_*}"; then
		continue
	fi
	if [ $# -eq 0 ] && printf '%s\n' "${OPT_IN[@]}" | grep -qx "${f%%_*}"; then
		echo "== $f: opt-in, run it with tools/dev bench ${f%%_*}"
		continue
	fi
	echo "== $f"
	psql -X -q -v ON_ERROR_STOP=1 ${BENCH_QUICK:+-v quick=1} -d "$db" -f "$f"
done
echo
psql -X -q -P footer=off -d "$db" -c "SELECT measure, ms, baseline, baseline_ms, ratio || 'x' AS ratio, target,
       CASE WHEN met THEN 'met' WHEN NOT met THEN 'MISSED' END AS result
  FROM bench.result ORDER BY n"
dropdb "$db"
