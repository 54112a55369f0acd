#!/usr/bin/env bash
# Upgrade test: isms 0.1.0, built from its tag in a git worktree, holding the
# 0.1.0 sample ISMS (records in every register, moves in every workflow), is
# upgraded by ALTER EXTENSION isms UPDATE and must then
#   (a) have the same schema, privileges and comments as a fresh install
#       (test/upgrade/schema.sql over both databases),
#   (b) hold every row it held, column for column,
#   (c) verify its trail and its sealed transition log,
#   (d) run the workflow engine, document control, history capture and the
#       reports (test/upgrade/after.sql, pgTAP).
#
# Runs inside the cluster of tools/dev: the PG* variables reach a server
# whose extension_destdir is this run's install tree ($ISMS_DESTDIR); 0.1.0
# goes into a tree of its own that a session selects with
# SET extension_destdir.  Prints "upgrade ... ok" lines or "... FAILED".
set -uo pipefail
cd "$(dirname "$0")/../.."
FROM=0.1.0
# the commit of the 0.1.0 release, also tagged v0.1.0
FROM_COMMIT=0d60c23
: "${RUN_DIR:?RUN_DIR: run from tools/dev test}"
: "${PG_CONFIG:=pg_config}"
work=$RUN_DIR/upgrade
old=$work/inst-$FROM
wt=$work/src-$FROM
up=isms_upgraded
fresh=isms_fresh
status=0

fail() {
	echo "upgrade: $*" >&2
	echo "upgrade $FROM -> current ... FAILED"
	exit 1
}
cleanup() {
	git worktree remove --force "$wt" 2>/dev/null
	git worktree prune 2>/dev/null
	dropdb --if-exists "$up" 2>/dev/null
	dropdb --if-exists "$fresh" 2>/dev/null
}
trap cleanup EXIT

# 0.1.0 from its commit, into its own tree
mkdir -p "$work"
git worktree prune
rev=$(git rev-parse -q --verify "v$FROM^{commit}" || git rev-parse -q --verify "$FROM_COMMIT^{commit}") ||
	fail "neither the tag v$FROM nor the commit $FROM_COMMIT is in this clone"
git worktree add -q --detach "$wt" "$rev" || fail "git worktree add $rev"
make -s -C "$wt" PG_CONFIG="$PG_CONFIG" > "$work/build.log" 2>&1 &&
	make -s -C "$wt" PG_CONFIG="$PG_CONFIG" install DESTDIR="$old" >> "$work/build.log" 2>&1 ||
	{ cat "$work/build.log" >&2; fail "build of $FROM"; }
chmod -R a+rX "$work"

psql_old() {
	PGOPTIONS="-c extension_destdir=$old" psql -X -q -v ON_ERROR_STOP=1 "$@"
}

dropdb --if-exists "$up" 2>/dev/null; dropdb --if-exists "$fresh" 2>/dev/null
createdb "$up" && createdb "$fresh" || fail "createdb"
# the $FROM dump fixture (a row in every register of two organisations,
# documents, memberships, settings, workflow restrictions), then the $FROM
# sample ISMS (moves in every workflow, three years of history)
(cd "$wt/test/dump" && psql_old -d "$up" -f fixture.sql) > "$work/load.log" 2>&1 &&
	psql_old -d "$up" -At -c 'SELECT isms.version()' -c "SELECT isms.load_sample(1, '2025-06-30')" > "$work/sample.log" 2>&1 ||
	{ cat "$work/load.log" "$work/sample.log" >&2; fail "install $FROM and load its fixture and sample"; }
[ "$(sed -n 1p "$work/sample.log")" = "$FROM" ] || fail "the $FROM library was not loaded: $(head -n 3 "$work/sample.log")"

# Every table's rows, over the columns it has before the upgrade.
cat > "$work/columns.sql" <<'SQL'
SELECT c.oid::regclass::text,
       pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace::regnamespace::text IN ('isms', 'isms_history') AND c.relkind IN ('r', 'p')
 GROUP BY c.oid ORDER BY 1;
SQL
psql_old -d "$up" -At -F '|' -f "$work/columns.sql" > "$work/columns" || fail "column list"
# one query over every table: name|rows|md5 of its rows.  The built-in
# workflow definitions and guards are the release's own: a release may
# reword them, and the check of the shipped rows above compares them with a
# fresh install; here only their keys must survive.
# The registers a release adds get rows in isms.register and
# isms.history_config (compared with a fresh install above): here only the
# rows of the registers there were before must survive unchanged.
old_registers=$(psql_old -d "$up" -At -c "SELECT string_agg(quote_literal(relid::text), ', ' ORDER BY relid::text) FROM isms.register") ||
	fail "register list"
# Likewise the built-in workflows a release adds (compared with a fresh
# install above): here only the rows of the workflows there were before.
old_workflows=$(psql_old -d "$up" -At -c "SELECT string_agg(quote_literal(workflow), ', ' ORDER BY workflow) FROM isms.workflow") ||
	fail "workflow list"
while IFS='|' read -r tbl cols; do
	where=
	case "$tbl" in
	isms.workflow) cols=workflow; where="WHERE workflow IN ($old_workflows)" ;;
	isms.workflow_state | isms.workflow_transition) where="WHERE workflow IN ($old_workflows)" ;;
	isms.workflow_guard) cols=guard ;;
	isms.register | isms.history_config) where="WHERE relid::text IN ($old_registers)" ;;
	esac
	printf "SELECT '%s' || '|' || count(*) || '|' || md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '')) FROM (SELECT %s FROM %s %s) r;\n" \
		"$tbl" "$cols" "$tbl" "$where"
done < "$work/columns" > "$work/snapshot.sql"
snapshot() {
	psql -X -At -v ON_ERROR_STOP=1 -d "$1" -f "$work/snapshot.sql"
}
snapshot "$up" > "$work/before" || fail "snapshot before"
rows=$(awk -F'|' '{s += $2} END {print s}' "$work/before")
empty=$(awk -F'|' '$2 == 0 {print $1}' "$work/before" | grep -v '^isms_history\.' | tr '\n' ' ')

# The upgrade, in a fresh session that loads the current library.
psql -X -q -v ON_ERROR_STOP=1 -d "$up" -c 'ALTER EXTENSION isms UPDATE' > "$work/update.log" 2>&1 ||
	{ cat "$work/update.log" >&2; fail "ALTER EXTENSION isms UPDATE"; }
to=$(psql -X -At -d "$up" -c "SELECT extversion FROM pg_extension WHERE extname = 'isms'")
[ "$to" = "$(psql -X -At -d "$up" -c 'SELECT isms.version()')" ] || fail "extension $to, library $(psql -X -At -d "$up" -c 'SELECT isms.version()')"
psql -X -q -v ON_ERROR_STOP=1 -d "$fresh" -c 'CREATE EXTENSION isms' || fail "fresh CREATE EXTENSION"

# (a) the same schema
psql -X -q -v ON_ERROR_STOP=1 -d "$up" -f test/upgrade/schema.sql > "$work/schema-upgraded" 2>&1 || fail "schema of upgraded"
psql -X -q -v ON_ERROR_STOP=1 -d "$fresh" -f test/upgrade/schema.sql > "$work/schema-fresh" 2>&1 || fail "schema of fresh"
facts=$(wc -l < "$work/schema-fresh")
if diff -u "$work/schema-fresh" "$work/schema-upgraded" > "$work/schema.diff"; then
	echo "upgrade $FROM -> $to: same schema as a fresh install ($facts catalog facts) ... ok"
else
	head -n 150 "$work/schema.diff" >&2
	echo "upgrade $FROM -> $to: same schema as a fresh install ... FAILED ($(grep -c '^[-+][^-+]' "$work/schema.diff") facts differ)"
	status=1
fi
# the shipped rows (catalog, workflow definitions) of a fresh install are there
psql -X -At -d "$fresh" -f "$work/columns.sql" -F '|' | while IFS='|' read -r tbl cols; do
	printf "SELECT '%s ' || md5(r::text) FROM (SELECT * FROM %s) r;\n" "$tbl" "$tbl"
done > "$work/shipped.sql"
psql -X -At -v ON_ERROR_STOP=1 -d "$fresh" -f "$work/shipped.sql" | sort > "$work/shipped-fresh"
psql -X -At -v ON_ERROR_STOP=1 -d "$up" -f "$work/shipped.sql" | sort > "$work/shipped-upgraded"
missing=$(comm -23 "$work/shipped-fresh" "$work/shipped-upgraded" | wc -l)
if [ "$missing" -eq 0 ]; then
	echo "upgrade $FROM -> $to: the $(wc -l < "$work/shipped-fresh") shipped rows of a fresh install ... ok"
else
	comm -23 "$work/shipped-fresh" "$work/shipped-upgraded" | head -n 20 >&2
	echo "upgrade $FROM -> $to: the shipped rows of a fresh install ... FAILED ($missing missing or different)"
	status=1
fi

# (b) every row survived
snapshot "$up" > "$work/after" || fail "snapshot after"
if [ -n "$empty" ]; then
	echo "upgrade $FROM -> $to: the $FROM sample leaves tables empty: $empty ... FAILED"
	status=1
elif diff -u "$work/before" "$work/after" >&2; then
	echo "upgrade $FROM -> $to: every row kept ($(wc -l < "$work/before") tables, $rows rows) ... ok"
else
	echo "upgrade $FROM -> $to: every row kept ... FAILED"
	status=1
fi

# (c) and (d): the trail, the log and the engine on the upgraded database
psql -X -q -d "$up" -c 'CREATE EXTENSION IF NOT EXISTS pgtap' || fail "pgtap"
if pg_prove -d "$up" test/upgrade/after.sql > "$work/prove.log" 2>&1; then
	echo "upgrade $FROM -> $to: $(sed -n 's/^Files=1, Tests=\([0-9]*\),.*/\1/p' "$work/prove.log") checks of the upgraded ISMS ... ok"
else
	cat "$work/prove.log" >&2
	echo "upgrade $FROM -> $to: checks of the upgraded ISMS ... FAILED"
	status=1
fi
exit $status
