#!/usr/bin/env bash
# The real CISO Assistant library files, imported as the README shows them:
# converted by tools/library2json, imported by a login of isms_admin with
# test/libraries/import.psql, then checked by test/libraries/real_files.sql
# (pgTAP) on the sample ISMS.  The files are not part of isms: point
# ISMS_CISO_LIBRARIES at a directory holding them (a checkout's
# backend/library/libraries, or the files downloaded as the README says);
# without it the suite is skipped.  Needs the PG* variables of a cluster
# where isms, isms_sample and pgtap are installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=${ISMS_CISO_LIBRARIES:-}
if [ -z "$src" ]; then
	echo "libraries: ISMS_CISO_LIBRARIES is not set, the real library files are not tried (skipped)"
	exit 0
fi
files=(nist-csf-2.0 mapping-nist-csf-2.0-to-iso27001-2022
	soc2_2017_with_rev_2022 mapping-soc2-2017-rev-2022-to-iso27001-2022
	iso27001-2013 mapping-iso27001-2013-to-iso27001-2022 iso27001-2022)
for f in "${files[@]}"; do
	[ -r "$src/$f.yaml" ] || { echo "libraries: $src/$f.yaml is missing ... FAILED"; exit 1; }
done
db=isms_libraries
work=$(mktemp -d -t isms-libraries.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"; dropdb --if-exists "$db" 2>/dev/null; psql -X -q -d postgres -c "DROP ROLE IF EXISTS grc_admin" 2>/dev/null || true' EXIT

# 1. the README's conversion
for f in "${files[@]}"; do
	tools/library2json "$src/$f.yaml" > "$work/$f.json"
done
chmod a+r "$work"/*.json
echo "libraries converted by tools/library2json ... ok"

# 2. a fresh install with the sample, and a login of isms_admin
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$db" \
	-c 'SET client_min_messages = warning' -c 'CREATE EXTENSION isms' -c 'CREATE EXTENSION isms_sample' \
	-c 'CREATE EXTENSION pgtap' -c "SELECT isms.load_sample(1, '2025-06-30')"
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
psql -X -q -v ON_ERROR_STOP=1 -d postgres -v pw="$password" <<'SQL'
SET client_min_messages = warning;
DROP ROLE IF EXISTS grc_admin;
CREATE ROLE grc_admin LOGIN PASSWORD :'pw';
GRANT isms_admin TO grc_admin;
SQL

# 3. the README's import, as that login, in the directory of the files
if ! (cd "$work" && PGUSER=grc_admin PGPASSWORD=$password \
	psql -X -d "$db" -f "$OLDPWD/test/libraries/import.psql") > "$work/import.out" 2>&1; then
	cat "$work/import.out"
	echo "libraries imported by a login of isms_admin ... FAILED"
	exit 1
fi
echo "libraries imported by a login of isms_admin ... ok"
# the README shows this output for the versions it quotes
quoted=$(psql -X -At -d "$db" -c "SELECT string_agg(urn || ' ' || version, ', ' ORDER BY urn) FROM isms.library")
if [ "$quoted" = "$(sed -n 's/^-- versions: //p' test/libraries/import.out)" ]; then
	if diff -u <(grep -v '^-- versions: ' test/libraries/import.out) "$work/import.out"; then
		echo "libraries import output as the README shows it ... ok"
	else
		echo "libraries import output as the README shows it ... FAILED"
		exit 1
	fi
else
	echo "libraries: other versions than the README quotes ($quoted): output not compared"
fi

# 4. the figures
ISMS_LIBRARY_JSON=$work pg_prove -d "$db" test/libraries/real_files.sql
