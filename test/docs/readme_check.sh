#!/usr/bin/env bash
# Every public function, aggregate and view of the extensions isms and
# isms_sample is named in the documentation (README.md, doc/*.md), and every
# SQLSTATE the C code and SQL raise is in doc/sqlstates.md.  Type support
# functions (I/O, operators' procedures, opclass support) and trigger
# functions are internal and exempt.  Runs against the current PG* env.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=isms_docs_check
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
trap 'dropdb --if-exists "$db" 2>/dev/null' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION isms' -c 'CREATE EXTENSION isms_sample'

missing=0
while read -r name; do
	if ! grep -qF "$name" README.md doc/*.md; then
		echo "the documentation lacks $name"
		missing=$((missing + 1))
	fi
done < <(psql -X -At -d "$db" <<'SQL'
SELECT DISTINCT n.nspname || '.' || p.proname
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN ('isms', 'isms_report')
   AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
   AND NOT EXISTS (SELECT 1 FROM pg_type t WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))
   AND NOT EXISTS (SELECT 1 FROM pg_operator o WHERE o.oprcode = p.oid)
   AND NOT EXISTS (SELECT 1 FROM pg_amproc a WHERE a.amproc = p.oid)
   AND NOT EXISTS (SELECT 1 FROM pg_aggregate a WHERE a.aggtransfn = p.oid OR a.aggcombinefn = p.oid)
UNION
SELECT n.nspname || '.' || c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('isms', 'isms_report') AND c.relkind IN ('v', 'm')
ORDER BY 1
SQL
)
# SQLSTATEs raised in C (the IS codes of isms.h) and in SQL (ERRCODE = '...')
while read -r code; do
	if ! grep -qF "\`$code\`" doc/sqlstates.md; then
		echo "doc/sqlstates.md lacks SQLSTATE $code"
		missing=$((missing + 1))
	fi
done < <( { sed -n "s/.*MAKE_SQLSTATE('\(.\)','\(.\)','\(.\)','\(.\)','\(.\)').*/\1\2\3\4\5/p" src/isms.h;
            grep -ohE "ERRCODE = '[0-9A-Z]{5}'" src/*.sql sql/isms--*--*.sql | sed "s/ERRCODE = '\(.*\)'/\1/"; } | sort -u)
if [ "$missing" -eq 0 ]; then
	echo "readme documents every public name ... ok"
else
	echo "readme documents every public name ... FAILED ($missing missing)"
	exit 1
fi
