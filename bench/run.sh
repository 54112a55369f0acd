#!/usr/bin/env bash
# Runs every bench/NN_*.sql against the current PG* environment and prints
# each measure beside its baseline, with the ratio, from this one run.
set -euo pipefail
cd "$(dirname "$0")"
db=isms_bench
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION isms' -c 'CREATE EXTENSION isms_sample' -f lib.sql
for f in [0-9][0-9]_*.sql; do
	echo "== $f"
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$f"
done
echo
psql -X -q -d "$db" -c "SELECT measure, ms, baseline, baseline_ms, ratio || 'x' AS ratio, target,
       CASE WHEN met THEN 'met' WHEN NOT met THEN 'MISSED' END AS result
  FROM bench.result ORDER BY n"
dropdb "$db"
