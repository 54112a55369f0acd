#!/usr/bin/env bash
# Dump round trip: pg_dump of a database holding an ISMS, restored into a
# fresh database with psql, and with the parallel pg_restore (-j 2) of the
# README, must give the same rows in every table of the
# extension (count and content), no duplicate catalog rows, and identity
# sequences that continue where they were.
#
# Needs a running server reachable through the usual PG* variables, with
# isms installed.  Prints "dump roundtrip ... ok" or "... FAILED".
set -uo pipefail
cd "$(dirname "$0")"

src=isms_dump_src
dst=isms_dump_dst
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$src" 2>/dev/null; dropdb --if-exists "$dst" 2>/dev/null' EXIT

fail() {
	echo "dump roundtrip: $*" >&2
	echo "dump roundtrip ... FAILED"
	exit 1
}

# Every table of the extension: row count and an MD5 of its rows in order.
snapshot() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
DO $$
DECLARE t regclass; n bigint; h text;
BEGIN
    CREATE TEMP TABLE snap (tbl text, n bigint, h text);
    FOR t IN SELECT c.oid FROM pg_class c
              WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_report'::regnamespace) AND c.relkind = 'r'
              ORDER BY c.oid::regclass::text
    LOOP
        EXECUTE format('SELECT count(*), md5(coalesce(string_agg(x::text, E''\n'' ORDER BY x::text), '''')) FROM %s x', t)
            INTO n, h;
        INSERT INTO snap VALUES (t::text, n, h);
    END LOOP;
END $$;
SELECT tbl, n, h FROM snap ORDER BY tbl;
SQL
}

dropdb --if-exists "$src" 2>/dev/null; dropdb --if-exists "$dst" 2>/dev/null
createdb "$src" || fail "cannot create $src"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" -f fixture.sql > "$work/fixture.log" 2>&1 ||
	{ cat "$work/fixture.log" >&2; fail "fixture"; }

pg_dump -d "$src" > "$work/dump.sql" 2> "$work/dump.err" || { cat "$work/dump.err" >&2; fail "pg_dump"; }
if [ -s "$work/dump.err" ]; then cat "$work/dump.err" >&2; fail "pg_dump warned"; fi
pg_dump -Fc -d "$src" -f "$work/dump.fc" || fail "pg_dump -Fc"
snapshot "$src" > "$work/src.snap" || fail "snapshot of $src"
tables=$(wc -l < "$work/src.snap")
rows=$(awk -F'|' '{s += $2} END {print s}' "$work/src.snap")
empty=$(awk -F'|' '$2 == 0 && $1 !~ /^isms_report\./ {print $1}' "$work/src.snap")
[ -z "$empty" ] || fail "the fixture leaves tables empty: $empty"

# Restores "$dst" by method $1 (psql, or the sectioned parallel pg_restore
# of the README), then compares every table and runs the post-restore checks.
restore_and_check() {
	local how=$1
	dropdb --if-exists "$dst" 2>/dev/null
	createdb "$dst" || fail "cannot create $dst"
	case $how in
		psql)
			psql -X -q -v ON_ERROR_STOP=1 -d "$dst" -f "$work/dump.sql" > "$work/restore.log" 2>&1 ||
				{ cat "$work/restore.log" >&2; fail "restore ($how)"; }
			;;
		parallel)
			{ pg_restore --exit-on-error --section=pre-data -d "$dst" "$work/dump.fc" &&
			  pg_restore --exit-on-error --section=data --disable-triggers -j 2 -d "$dst" "$work/dump.fc" &&
			  pg_restore --exit-on-error --section=post-data -d "$dst" "$work/dump.fc"; } > "$work/restore.log" 2>&1 ||
				{ cat "$work/restore.log" >&2; fail "restore ($how)"; }
			;;
	esac
	snapshot "$dst" > "$work/dst.snap" || fail "snapshot of $dst"
	if ! diff -u "$work/src.snap" "$work/dst.snap" >&2; then
		fail "tables differ after restore by $how (table|rows|md5)"
	fi
	# Catalog rows once; user-added rows restored; identity sequences continue.
	check=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$dst" <<-'SQL'
	SELECT (SELECT count(*) FROM isms.requirement WHERE framework = 'iso27001-2022') = 138
	   AND (SELECT count(*) FROM isms.requirement WHERE framework = 'org-policy') = 2
	   AND (SELECT count(*) FROM isms.requirement WHERE framework = 'mini-csf') = 2
	   AND (SELECT count(*) FROM isms.requirement_mapping WHERE source_framework = 'mini-csf') = 1
	   AND (SELECT count(*) FROM isms.framework) = 3;
	SELECT (SELECT count(*) FROM isms.organization o, isms.verify_trail(o.org_id)) = 0
	   AND (SELECT string_agg(v.version::text || ' ' || v.status, ', ' ORDER BY v.version)
	          FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id
	         WHERE d.code = 'ISMS-PRC-020') = '0.1 superseded, 1.0 published'
	   AND (SELECT v.version::text FROM isms.document d, isms.document_as_of(d.id, now()) v
	         WHERE d.code = 'ISMS-PRC-020') = '1.0';
	INSERT INTO isms.context_issue (org_id, title, origin, owner) VALUES (1, 'After restore', 'internal', 'CISO')
	    RETURNING id > (SELECT max(id) FROM isms.context_issue WHERE title <> 'After restore');
	INSERT INTO isms.organization (code, name) VALUES ('Z', 'After restore') RETURNING org_id = 4;
	SQL
	) || fail "post-restore checks could not run"
	[ "$check" = "$(printf 't\nt\nt\nt')" ] ||
		fail "post-restore checks: catalog once, trail and documents intact, user rows kept, sequences continue: got $(echo $check)"
	echo "dump roundtrip ($how restore) ... ok ($tables tables, $rows rows)"
}

restore_and_check psql
restore_and_check parallel

# A plain parallel restore cannot order the extension's tables by their
# foreign keys (pg_restore -j schedules every TABLE DATA item at once): it
# must fail loudly, never end quietly with a partial ISMS.
dropdb --if-exists "$dst" 2>/dev/null; createdb "$dst" || fail "cannot create $dst"
if pg_restore -j 2 -d "$dst" "$work/dump.fc" > "$work/plain.log" 2>&1; then
	fail "a plain pg_restore -j 2 reported success; the sectioned restore of the README is the supported one"
fi
echo "dump roundtrip: plain pg_restore -j 2 fails loudly ($(grep -c 'error:' "$work/plain.log") errors reported) ... ok"
