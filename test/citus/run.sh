#!/usr/bin/env bash
# isms on Citus: a coordinator and two workers on loopback, each a cluster of
# its own (initdb into a temporary directory, pg_ctl as the postgres user,
# free ports of 127.0.0.1, shared_preload_libraries = 'citus').  isms is
# created on the coordinator and propagates to the workers.  Every table of
# isms is offered to Citus alone (by org_id where it has the column, as a
# reference table otherwise, rolled back) and what Citus refuses is
# asserted with its SQLSTATE.  Then the workflow, document control,
# history, trail verification, row-level security, the reports and the
# sample run on the coordinator, its tables local, beside an application
# table distributed by org_id, and Citus's planner crash on a member's
# local-distributed join is probed.  Then isms.citus_distribute() is
# refused where it must be and distributes isms: reference tables, tables
# by org_id, what stays local and why, every foreign key and row kept;
# reads under row-level security on the shards; the writes on the shards
# refused (IS160, 55000, 0A000) with nothing written; which report views
# run.  Each check prints "citus: ... ok" or "... FAILED"; the README
# quotes these lines, so its limits fail this script when they stop being
# true.
#
# Citus is not in Debian's archive: when citus.so is not installed in the
# server's library directory the script prints one line saying so and
# exits 0.  Run from tools/dev test citus (the run's install tree is passed
# to the three clusters as extension_destdir), or as make installcheck-citus
# against the isms installed in the system.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${PG_CONFIG:=pg_config}"
bindir=$("$PG_CONFIG" --bindir)
pkglibdir=$("$PG_CONFIG" --pkglibdir)
db=isms_citus
status=0

if [ ! -f "$pkglibdir/citus.so" ]; then
	echo "citus: skipped: citus.so is not installed in $pkglibdir (Citus is not in Debian's archive; README \"Distributing by organisation (Citus)\" says how to build it)"
	exit 0
fi

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}
check() {
	local name=$1 got=$2 want=$3
	if [ "$got" = "$want" ]; then
		echo "citus: $name ... ok"
	else
		echo "citus: $name ... FAILED (got '$got', want '$want')"
		status=1
	fi
}
fail() {
	echo "citus: $*" >&2
	echo "citus: a coordinator and two workers run isms ... FAILED"
	exit 1
}
free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 10000))
		ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && continue
		[ -e "/var/run/postgresql/.s.PGSQL.$port" ] && continue
		echo "$port"
		return 0
	done
	return 1
}

dir=$(mktemp -d -t isms-citus.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
nodes=(coordinator worker1 worker2)
declare -A port
cleanup() {
	local n
	for n in "${nodes[@]}"; do
		if [ -f "$dir/$n/postmaster.pid" ]; then
			as_pg "$bindir/pg_ctl" -D "$dir/$n" -m fast -w stop >/dev/null 2>&1 ||
				as_pg "$bindir/pg_ctl" -D "$dir/$n" -m immediate -w stop >/dev/null 2>&1
		fi
	done
	[ -n "${ISMS_CITUS_KEEP:-}" ] || rm -rf "$dir"
}
[ -n "${ISMS_CITUS_KEEP:-}" ] || trap cleanup EXIT

# a query as the superuser on one node; errors print their SQLSTATE
on() {
	local n=$1
	shift
	env -u PGPASSWORD -u PGSERVICE PGHOST=127.0.0.1 PGPORT="${port[$n]}" PGUSER=postgres PGDATABASE=$db \
		psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate "$@" 2>&1
}
c() { on coordinator -c "$1"; }

for n in "${nodes[@]}"; do
	port[$n]=$(free_port) || fail "no free port"
	as_pg "$bindir/initdb" -D "$dir/$n" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/$n.initdb.log" 2>&1 ||
		fail "initdb of the $n failed: $(tail -n 5 "$dir/$n.initdb.log")"
	{
		echo "port = ${port[$n]}"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = '$dir'"
		echo "shared_preload_libraries = 'citus'"
		echo "max_connections = 60"
		echo "shared_buffers = 32MB"
		echo "fsync = off"
		echo "max_prepared_transactions = 20"
		echo "citus.enable_unsafe_triggers = on"
		# isms.citus_distribute() converts about a hundred tables in one
		# transaction: few shards, and locks for all of them
		echo "citus.shard_count = 4"
		echo "max_locks_per_transaction = 512"
		[ -n "${ISMS_DESTDIR:-}" ] && echo "extension_destdir = '$ISMS_DESTDIR'"
	} >> "$dir/$n/postgresql.conf"
	as_pg "$bindir/pg_ctl" -D "$dir/$n" -l "$dir/$n.log" -w -t 60 start >/dev/null 2>&1 ||
		fail "the $n did not start: $(tail -n 5 "$dir/$n.log")"
	env -u PGPASSWORD PGHOST=127.0.0.1 PGPORT="${port[$n]}" PGUSER=postgres \
		psql -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null 2>&1 || fail "CREATE DATABASE on the $n failed"
	on "$n" -c "CREATE EXTENSION citus" >/dev/null || fail "CREATE EXTENSION citus on the $n failed"
done
echo "# ports: coordinator ${port[coordinator]}, workers ${port[worker1]} ${port[worker2]}; dir $dir"

c "SELECT citus_set_coordinator_host('127.0.0.1', ${port[coordinator]})" >/dev/null || fail "citus_set_coordinator_host failed"
for n in worker1 worker2; do
	c "SELECT citus_add_node('127.0.0.1', ${port[$n]})" >/dev/null || fail "citus_add_node of the $n failed"
done
check "a coordinator and two active workers on loopback" \
	"$(c "SELECT count(*) FROM pg_dist_node WHERE isactive AND noderole = 'primary' AND groupid <> 0")" 2

# isms on the coordinator; Citus creates it on the workers too
c "CREATE EXTENSION isms" >/dev/null || fail "CREATE EXTENSION isms on the coordinator failed"
for n in worker1 worker2; do
	check "CREATE EXTENSION isms propagates to the $n" \
		"$(on $n -c "SELECT extversion FROM pg_extension WHERE extname = 'isms'")" \
		"$(c "SELECT extversion FROM pg_extension WHERE extname = 'isms'")"
done


# ---------------------------------------------------------------------------
# What Citus answers when a table of isms is distributed: each call in a
# transaction that is rolled back; "SQLSTATE: message (detail)" of its
# error, or "done".
citus_says() {
	local out
	out=$(on coordinator -v VERBOSITY=verbose -c "SET client_min_messages = error" -c "BEGIN" \
		-c "SELECT $1" -c "ROLLBACK")
	if grep -q '^ERROR:' <<<"$out"; then
		sed -n 's/^ERROR:  \(.*\)$/\1/p; s/^DETAIL:  \(.*\)$/(\1)/p' <<<"$out" | head -n 2 | paste -sd' '
	else
		echo done
	fi
}
# check that what Citus answers starts with what the README says
refused() {
	local name=$1 call=$2 want=$3 got
	got=$(citus_says "$call")
	echo "#   $call: $got"
	case $got in
		"$want"*) echo "citus: $name ... ok" ;;
		*) echo "citus: $name ... FAILED (got '$got', want '$want...')"; status=1 ;;
	esac
}

# Asked table by table, without isms.citus_distribute(), Citus refuses
# what its foreign keys join to a local table: it would convert the whole
# foreign-key graph to Citus local tables, which drops and creates again
# the extension's views and sequences and creates its tables again on the
# workers (where the workers' own CREATE EXTENSION isms made them).
refused "without the distribution step, isms.organization as a reference table is refused: the workers' isms has the tables of its foreign-key graph" \
	"create_reference_table('isms.organization')" \
	'42P07: relation "membership" already exists'
refused "... isms.organization distributed by org_id is refused: UNIQUE (code) lacks org_id" \
	"create_distributed_table('isms.organization', 'org_id')" \
	'0A000: cannot create constraint on "organization" (Distributed relations cannot have UNIQUE, EXCLUDE, or PRIMARY KEY constraints that do not include the partition column'
refused "... a catalog table as a reference table is refused: Citus would drop and recreate the extension's views" \
	"create_reference_table('isms.requirement')" \
	"2BP01: cannot drop view isms_report.framework_coverage because extension isms requires it"
refused "... and would create again, on a worker, the tables the extension made there" \
	"create_reference_table('isms.framework')" \
	'42P07: relation "library" already exists'
refused "... a register distributed by org_id is refused while the catalog it references is local" \
	"create_distributed_table('isms.nonconformity', 'org_id')" \
	'42P16: referenced table "requirement" must be a distributed table or a reference table'
refused "isms.transition_log distributed by org_id: its key (org_id, log_id) holds the column and its policy has no subquery" \
	"create_distributed_table('isms.transition_log', 'org_id')" \
	done
refused "isms.outbox as a reference table is refused: its policy reads the log in a subquery" \
	"create_reference_table('isms.outbox')" \
	"0A000: cannot create policy (Subqueries are not supported in policies on distributed tables)"
refused "isms.trail distributed by org_id: its policy has no subquery now" \
	"create_distributed_table('isms.trail', 'org_id')" done
refused "a history table distributed by org_id: its policy has no subquery now" \
	"create_distributed_table('isms_history.nonconformity', 'org_id')" done

# every table of the extension: by org_id where it has the column, else as a
# reference table; the ones Citus takes alone are those no foreign key joins
tables=$(c "SELECT c.oid::regclass FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
             WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'isms') AND c.relkind IN ('r', 'p') ORDER BY 1")
taken=() ntables=0
for t in $tables; do
	ntables=$((ntables + 1))
	if [ "$(c "SELECT count(*) FROM pg_attribute WHERE attrelid = '$t'::regclass AND attname = 'org_id' AND NOT attisdropped")" = 1 ]; then
		call="create_distributed_table('$t', 'org_id')"
	else
		call="create_reference_table('$t')"
	fi
	got=$(citus_says "$call")
	echo "$t	$got" >> "$dir/tables.txt"
	[ "$got" = done ] && taken+=("$t")
done
echo "#   of $ntables tables of isms, asked one by one, Citus takes ${#taken[@]}; refusals by kind:"
cut -f2 "$dir/tables.txt" | grep -v '^done$' | sed 's/ (.*//; s/"[a-z_]*"/"..."/g; s/view [a-z_.]*/view .../' | sort | uniq -c | sort -rn | sed 's/^/#   /'
check "asked one by one, Citus takes exactly the tables of isms that no foreign key joins" \
	"$(printf '%s\n' "${taken[@]}" | LC_ALL=C sort | paste -sd' ')" \
	"$(c "SELECT string_agg(t, ' ' ORDER BY t) FROM (SELECT c.oid::regclass::text AS t FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
	       WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'isms') AND c.relkind IN ('r', 'p')
	         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.contype = 'f' AND c.oid IN (k.conrelid, k.confrelid))
	         AND c.oid NOT IN ('isms.outbox'::regclass)) x" | tr ' ' '\n' | LC_ALL=C sort | paste -sd' ')"

# ---------------------------------------------------------------------------
# isms runs on the coordinator, its tables local, beside Citus and a table
# of the application distributed by org_id.
c "INSERT INTO isms.organization (code, name) VALUES ('CIT1', 'Citus One Ltd'), ('CIT2', 'Citus Two Ltd');
   CREATE ROLE citus_author; CREATE ROLE citus_approver; CREATE ROLE citus_reader; CREATE ROLE citus_outsider;
   GRANT isms_editor TO citus_author, citus_approver;
   GRANT isms_reader TO citus_reader, citus_outsider;
   INSERT INTO isms.membership (org_id, role_name)
   SELECT o.org_id, r FROM isms.organization o, unnest(ARRAY['citus_author', 'citus_approver', 'citus_reader']) r WHERE o.code = 'CIT1'
   UNION ALL SELECT o.org_id, 'citus_outsider' FROM isms.organization o WHERE o.code = 'CIT2'" >/dev/null ||
	fail "setting up the organisations failed"
org=$(c "SELECT org_id FROM isms.organization WHERE code = 'CIT1'")
org2=$(c "SELECT org_id FROM isms.organization WHERE code = 'CIT2'")

cat > "$dir/session.sql" <<SQL
SET ROLE citus_author;
INSERT INTO isms.nonconformity (org_id, title, description, source, owner)
    VALUES ($org, 'Backups not tested', 'No restore test in 2025', 'internal_audit', 'IT lead')
    RETURNING id AS nc \gset
\echo nc :nc
SELECT isms.transition('isms.nonconformity', :nc, 'analysed', 'Cause: no restore schedule');
SELECT string_agg(state, ' ' ORDER BY state) AS next FROM isms.next_states('isms.nonconformity', :nc) \gset
\echo next :next
UPDATE isms.nonconformity SET description = 'No restore test since 2024' WHERE id = :nc;
INSERT INTO isms.document (org_id, code, kind, title, owner, clause)
    VALUES ($org, 'CIT-POL-1', 'policy', 'Backup policy', 'CISO', '5.2') RETURNING id AS doc \gset
SELECT isms.draft_document(:doc, content_text => 'Restores are tested monthly.') AS ver \gset
SELECT isms.submit_document(:ver);
SET ROLE citus_approver;
SELECT isms.approve_document(:ver, 'approved', 'Fine');
SELECT isms.publish_document(:ver);
SELECT count(*) AS checks FROM isms.clause_4_4_readiness($org) \gset
\echo readiness :checks
SELECT count(*) AS controls FROM isms.statement_of_applicability($org) \gset
\echo soa :controls
SELECT count(*) AS views FROM isms_report.readiness \gset
\echo views :views
SELECT count(*) AS broken FROM isms.verify_trail($org) \gset
\echo broken :broken
SELECT count(*) AS broken_log FROM isms.verify_transition_log($org) \gset
\echo broken_log :broken_log
SET ROLE citus_reader;
SELECT count(*) AS seen FROM isms.nonconformity \gset
\echo reader :seen
SET ROLE citus_outsider;
SELECT count(*) AS seen FROM isms.nonconformity \gset
\echo outsider :seen
SELECT count(*) AS seen FROM isms_report.documents \gset
\echo outsider_docs :seen
RESET ROLE;
SELECT count(*) AS versions FROM isms_history.nonconformity WHERE id = :nc \gset
\echo history :versions
SQL
if ! on coordinator -f "$dir/session.sql" > "$dir/session.out"; then
	sed 's/^/citus session: /' "$dir/session.out" >&2
	check "the workflow, document control and reports run on the coordinator" failed ok
fi
val() { sed -n "s/^$1 //p" "$dir/session.out" | head -n 1; }
nc=$(val nc)
check "the workflow moves a record on the coordinator" \
	"$(c "SELECT string_agg(from_state || '>' || to_state, ' ') FROM isms.transition_log WHERE org_id = $org")" "reported>analysed"
check "next_states after the move" "$(val next)" "correcting"
check "document control publishes a document" \
	"$(c "SELECT v.status || ' ' || d.status FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id WHERE d.code = 'CIT-POL-1'")" \
	"published published"
check "history keeps the superseded versions of the record" "$(val history)" 2
check "the trail of the organisation verifies" "$(val broken)" 0
check "the transition log verifies against the trail" "$(val broken_log)" 0
check "row-level security: a reader of the organisation sees its record" "$(val reader)" 1
check "row-level security: a reader of another organisation sees none" "$(val outsider)" 0
check "... nor its documents in isms_report.documents" "$(val outsider_docs)" 0
check "the readiness report has its checks" "$([ "$(val readiness)" -gt 0 ] 2>/dev/null && echo yes)" yes
check "the Statement of Applicability lists the 93 Annex A controls" "$(val soa)" 93


# the sample ISMS and its reports
c "CREATE EXTENSION isms_sample" >/dev/null
check "the sample ISMS loads on the coordinator" \
	"$(c "SELECT isms.load_sample(1, '2025-06-30') > 10000")" t
check "... and its readiness report runs" \
	"$(c "SELECT count(*) > 0 FROM isms.organization o, isms.clause_4_4_readiness(o.org_id) WHERE o.code NOT LIKE 'CIT%'")" t

# A worker's isms is a copy of its own, made by CREATE EXTENSION there: the
# ISMS lives on the coordinator only.
check "the workers' isms holds none of the coordinator's organisations" \
	"$(on worker1 -c "SELECT count(*) FROM isms.organization") $(on worker2 -c "SELECT count(*) FROM isms.organization")" "0 0"

# ---------------------------------------------------------------------------
# A table of the application distributed by org_id, joined to a register.
on coordinator -c "SET client_min_messages = warning" -c "CREATE SCHEMA app" \
	-c "CREATE TABLE app.ticket (org_id bigint NOT NULL, id bigint NOT NULL, nonconformity_id bigint NOT NULL, title text,
                                 PRIMARY KEY (org_id, id))" \
	-c "SELECT create_distributed_table('app.ticket', 'org_id')" \
	-c "INSERT INTO app.ticket VALUES ($org, 1, $nc, 'Schedule restore tests'),
	      ($org2, 2, $nc, 'Another organisation')" \
	-c "GRANT USAGE ON SCHEMA app TO citus_reader" -c "GRANT SELECT ON app.ticket TO citus_reader" \
	-c "ALTER ROLE citus_reader LOGIN" -v VERBOSITY=default > "$dir/app.out" || fail "creating the application's distributed table failed: $(cat "$dir/app.out")"
join="SELECT string_agg(t.title || ' / ' || n.title, ', ') FROM app.ticket t JOIN isms.nonconformity n ON n.org_id = t.org_id AND n.id = t.nonconformity_id"
check "an application table distributed by org_id joins a register (as the superuser)" \
	"$(c "$join")" "Schedule restore tests / Backups not tested"
# a member: Citus plans the register as a subquery, run under row-level
# security; the member's role must log in, as Citus connects to the workers
# as that role
check "... and as a member, with citus.local_table_join_policy = 'prefer-distributed'" \
	"$(on coordinator -c "SET citus.local_table_join_policy = 'prefer-distributed'" -c "SET ROLE citus_reader" -c "$join" | tail -n 1)" \
	"Schedule restore tests / Backups not tested"
check "... and as a member, the register read in a MATERIALIZED CTE" \
	"$(on coordinator -c "SET ROLE citus_reader" -c "WITH n AS MATERIALIZED (SELECT org_id, id, title FROM isms.nonconformity)
	   SELECT string_agg(t.title || ' / ' || n.title, ', ') FROM app.ticket t JOIN n ON n.org_id = t.org_id AND n.id = t.nonconformity_id" | tail -n 1)" \
	"Schedule restore tests / Backups not tested"
on coordinator -c "ALTER ROLE citus_reader NOLOGIN" >/dev/null
check "... a member's role that cannot log in: Citus cannot connect to the workers" \
	"$(on coordinator -v VERBOSITY=default -c "SET citus.local_table_join_policy = 'prefer-distributed'" -c "SET ROLE citus_reader" -c "$join" |
		grep -o 'role "citus_reader" is not permitted to log in')" \
	'role "citus_reader" is not permitted to log in'
on coordinator -c "ALTER ROLE citus_reader LOGIN" >/dev/null

# Before distributing, as it restarts the coordinator: Citus 13.2.2 on PostgreSQL 15 ends
# the backend with SIGSEGV (in deconstruct_jointree, planning the local table
# as a subquery) when a member joins a distributed table and a local table
# under row-level security with the default local_table_join_policy.
on coordinator -c "SET ROLE citus_reader" -c "$join" >/dev/null 2>&1
for _ in $(seq 1 30); do
	grep -q "was terminated by signal 11" "$dir/coordinator.log" && break
	sleep 0.5
done
check "a member's join with the default local_table_join_policy ends the backend (Citus planner, SIGSEGV)" \
	"$(grep -c "was terminated by signal 11: Segmentation fault" "$dir/coordinator.log")" 1
for _ in $(seq 1 60); do
	on coordinator -c "SELECT 1" >/dev/null 2>&1 && break
	sleep 1
done


# ---------------------------------------------------------------------------
# isms.citus_distribute(): the distribution step, on the coordinator, as a
# superuser, with btree_gist.
rows_of_isms() {
	c "SELECT string_agg(format('%s=%s', t, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s', t), false, true, '')))[1]::text), ' ' ORDER BY t)
	     FROM (SELECT c.oid::regclass::text AS t FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
	            WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'isms') AND c.relkind IN ('r', 'p')) x"
}
check "isms.citus_distribute() as a member role is refused (42501)" \
	"$(on coordinator -c "SET ROLE citus_author" -c "SELECT isms.citus_distribute()" | head -n 1)" "ERROR:  42501"
check "... without btree_gist it is refused (55000)" \
	"$(c "SELECT isms.citus_distribute()" | head -n 1)" "ERROR:  55000"
check "... on a worker it is refused (55000)" \
	"$(on worker1 -c "SELECT isms.citus_distribute()" | tail -n 1)" "ERROR:  55000"
check "... and refused, it changed nothing: no table of isms is Citus's" \
	"$(c "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'isms%'")" 0
# Citus connects to the workers as the member's role
c "ALTER ROLE citus_author LOGIN; ALTER ROLE citus_outsider LOGIN" >/dev/null

fks_before=$(c "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text ~ '^isms(_history)?\.' AND conrelid::regclass::text !~ '_[0-9]+$'")
rows_before=$(rows_of_isms)
reader_before=$(on coordinator -c "SET ROLE citus_reader" -c "SELECT count(*) FROM isms.nonconformity" | tail -n 1)
c "CREATE EXTENSION btree_gist" >/dev/null
on coordinator -v VERBOSITY=default -c "SELECT distribution || '	' || outcome || '	' || table_name FROM isms.citus_distribute()" > "$dir/distribute.out"
echo "#   isms.citus_distribute(): tables by distribution and outcome:"
cut -f1,2 "$dir/distribute.out" | sort | uniq -c | sort -rn | sed 's/^/#   /'
grep -v '	done	' "$dir/distribute.out" | sed 's/^/#     /'
check "isms.citus_distribute(): the catalog, the workflow definitions and restrictions, organization and membership become reference tables" \
	"$(c "SELECT string_agg(logicalrelid::text, ' ' ORDER BY logicalrelid::text) FROM pg_dist_partition WHERE partmethod = 'n' AND logicalrelid::text LIKE 'isms%'")" \
	"isms.framework isms.history_config isms.library isms.mandatory_information isms.mapping_set isms.membership isms.organization isms.register isms.requirement isms.requirement_mapping isms.workflow isms.workflow_guard isms.workflow_restriction isms.workflow_state isms.workflow_transition"
check "... every register, history table, the trail and the document tables are distributed by org_id, in one colocation group" \
	"$(c "SELECT count(*) || ' ' || count(DISTINCT colocationid) || ' ' || bool_and(partkey IS NOT NULL) FROM pg_dist_partition WHERE partmethod = 'h' AND logicalrelid::text ~ '^isms(_history)?\.'")" \
	"$(c "SELECT count(*) FROM pg_class c WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_history'::regnamespace) AND c.relkind = 'r' AND c.relname !~ '_[0-9]+$'
	        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id') AND c.oid NOT IN ('isms.organization'::regclass, 'isms.membership'::regclass, 'isms.workflow_restriction'::regclass)") 1 true"
check "... isms.transition_log is distributed by org_id: its key is (org_id, log_id)" \
	"$(grep 'isms.transition_log$' "$dir/distribute.out" | cut -f1,2)" 'by org_id	done'
check "... isms.outbox stays local: its policy reads the log in a subquery (0A000)" \
	"$(grep 'isms.outbox$' "$dir/distribute.out" | cut -f1,2)" "local	0A000: cannot create policy (Subqueries are not supported in policies on distributed tables)"
check "... every foreign key is there again" \
	"$(c "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text ~ '^isms(_history)?\.' AND conrelid::regclass::text !~ '_[0-9]+$'")" "$fks_before"
check "... document_version_no_overlap compares org_id with = (btree_gist)" \
	"$(c "SELECT pg_get_constraintdef(oid) ~ '^EXCLUDE USING gist \(org_id WITH =' FROM pg_constraint WHERE conname = 'document_version_no_overlap' AND conrelid = 'isms.document_version'::regclass")" t
check "... every row of every table of isms is read back through Citus" "$(rows_of_isms)" "$rows_before"
check "... a second run finds nothing left to distribute" \
	"$(c "SELECT count(*) FROM isms.citus_distribute()")" 1

# Reads on the shards: each policy runs on the worker, where
# isms.member_orgs() reads the reference tables organization and membership
check "distributed: a reader sees its organisation's records (row-level security on the shards)" \
	"$(on coordinator -c "SET ROLE citus_reader" -c "SELECT count(*) FROM isms.nonconformity" | tail -n 1)" "$reader_before"
check "distributed: a reader of another organisation sees none" \
	"$(on coordinator -c "SET ROLE citus_outsider" -c "SELECT count(*) FROM isms.nonconformity" | tail -n 1)" 0
check "distributed: the application's table joins the register on the shards, as a member, default local_table_join_policy" \
	"$(on coordinator -c "SET ROLE citus_reader" -c "$join" | tail -n 1)" "Schedule restore tests / Backups not tested"
check "distributed: the Statement of Applicability view lists the 93 Annex A controls for the reader's organisation" \
	"$(on coordinator -c "SET ROLE citus_reader" -c "SELECT count(*) FROM isms_report.statement_of_applicability WHERE org_id = $org" | tail -n 1)" 93

# isms.org narrows what a member sees; the shards' policies read it on the
# workers.  Citus sends a SET LOCAL there only with
# citus.propagate_set_commands = 'local' (isms.citus_distribute() sets it
# for the database), and never a value set by set_config();
# isms.set_context() sets it with a SET LOCAL when Citus propagates one.
c "INSERT INTO isms.membership (org_id, role_name) VALUES ($org2, 'citus_reader')" >/dev/null
both=$(on coordinator -c "SET ROLE citus_reader" -c "SELECT count(*) FROM isms.nonconformity" | tail -n 1)
check "distributed: isms.citus_distribute() set citus.propagate_set_commands = 'local' for the database" \
	"$(c "SHOW citus.propagate_set_commands")" local
check "distributed: isms.set_context() narrows on the workers" \
	"$(on coordinator -c "SET ROLE citus_reader" -c "BEGIN" -c "SELECT isms.set_context('CIT2') IS NULL" -c "SELECT count(*) || ' ' || isms.visible_orgs()::text FROM isms.nonconformity" -c "COMMIT" | tail -n 1)" "0 {$org2}"
check "distributed: ... and SET LOCAL isms.org" \
	"$(on coordinator -c "SET ROLE citus_reader" -c "BEGIN" -c "SET LOCAL isms.org = 'CIT2'" -c "SELECT count(*) FROM isms.nonconformity" -c "COMMIT" | tail -n 1)" 0
check "distributed: isms.org set by set_config() does not reach the workers (a member of two sees both)" \
	"$(on coordinator -c "SET ROLE citus_reader" -c "BEGIN" -c "SELECT set_config('isms.org', 'CIT2', true) IS NULL" -c "SELECT count(*) || ' ' || isms.visible_orgs()::text FROM isms.nonconformity" -c "COMMIT" | tail -n 1)" "$both {$org2}"
check "distributed: ... nor with citus.propagate_set_commands = 'none' a SET LOCAL" \
	"$(on coordinator -c "SET citus.propagate_set_commands = 'none'" -c "SET ROLE citus_reader" -c "BEGIN" -c "SET LOCAL isms.org = 'CIT2'" -c "SELECT count(*) FROM isms.nonconformity" -c "COMMIT" | tail -n 1)" "$both"
check "distributed: ... so isms.set_context() refuses to narrow on the coordinator alone when the workers would not receive it (55000)" \
	"$(on coordinator -c "SET citus.propagate_set_commands = 'none'" -c "SET ROLE citus_reader" -c "BEGIN" -c "SELECT isms.set_context('CIT2')" | tail -n 1)" "ERROR:  55000"
c "DELETE FROM isms.membership WHERE org_id = $org2 AND role_name = 'citus_reader'" >/dev/null

# Writes on the shards: the C triggers fire on the worker's shard and write
# the history, the transition log and the trail into the shards colocated
# with it, on that worker; what reads them on the coordinator goes through
# Citus.
for n in worker1 worker2; do
	[ "${port[$n]}" = "$(c "SELECT nodeport FROM pg_dist_shard_placement WHERE shardid = get_shard_id_for_distribution_column('isms.transition_log', $org)")" ] && home=$n
done
log_shard=$(c "SELECT shard_name('isms.transition_log', get_shard_id_for_distribution_column('isms.transition_log', $org))")
trail_shard=$(c "SELECT shard_name('isms.trail', get_shard_id_for_distribution_column('isms.trail', $org))")
echo "# organisation $org is on the $home: $log_shard, $trail_shard"
check "distributed: a member's INSERT into a register without a workflow works (isms.stamp() on the shard)" \
	"$(on coordinator -c "SET ROLE citus_author" -c "INSERT INTO isms.asset (org_id, name, kind, owner) VALUES ($org, 'Backup NAS', 'hardware', 'IT lead')" -c "SELECT created_by FROM isms.asset WHERE org_id = $org AND name = 'Backup NAS'" | tail -n 1)" citus_author
before_update=$(c "SELECT now()")
check "distributed: an UPDATE of a register keeps the superseded version in its history table's shard" \
	"$(on coordinator -c "SET ROLE citus_author" -c "UPDATE isms.asset SET description = 'Moved' WHERE org_id = $org AND name = 'Backup NAS'" -c "SELECT count(*) || ' ' || coalesce(max(description), '-') FROM isms_history.asset WHERE org_id = $org AND name = 'Backup NAS'" | tail -n 1)" "1 -"
check "... and isms.as_of() reads the version before the UPDATE back through Citus" \
	"$(on coordinator -c "SET ROLE citus_author" -c "SELECT coalesce(description, '-') FROM isms.as_of(NULL::isms.asset, '$before_update') WHERE org_id = $org AND name = 'Backup NAS'" | tail -n 1) $(c "SELECT description FROM isms.asset WHERE org_id = $org AND name = 'Backup NAS'")" "- Moved"
nc3=$(on coordinator -c "SET ROLE citus_author" -c "INSERT INTO isms.nonconformity (org_id, title, description, source, owner) VALUES ($org, 'Another', 'Found', 'internal_audit', 'IT lead') RETURNING id" | head -n 1)
check "distributed: a member's INSERT into a workflow register is logged on the shard (the creation in isms.transition_log)" \
	"$(c "SELECT string_agg(coalesce(from_state, '-') || '>' || to_state || ' ' || actor, ' ') FROM isms.transition_log WHERE org_id = $org AND record_table = 'isms.nonconformity'::regclass AND record_id = $nc3")" "->reported citus_author"
check "distributed: isms.transition() moves the record (it locks the record by its key, org_id included)" \
	"$(on coordinator -c "SET ROLE citus_author" -c "SELECT isms.transition('isms.nonconformity', $nc, 'correcting', 'Restore schedule set')" -c "SELECT status FROM isms.nonconformity WHERE org_id = $org AND id = $nc" | tail -n 1)" correcting
check "... the move is in the log, with its reason, on the worker's shard" \
	"$(c "SELECT string_agg(from_state || '>' || to_state, ' ' ORDER BY log_id) FROM isms.transition_log WHERE org_id = $org AND record_table = 'isms.nonconformity'::regclass AND record_id = $nc") $(on $home -c "SELECT count(*) FROM $log_shard WHERE record_id = $nc AND to_state = 'correcting' AND reason = 'Restore schedule set'")" \
	"reported>analysed analysed>correcting 1"
check "... and sealed in the organisation's trail, on the same worker" \
	"$(on $home -c "SELECT action || ' ' || actor FROM $trail_shard WHERE org_id = $org ORDER BY seq DESC LIMIT 1")" "transitions citus_author"
check "... log row numbers from the worker's own range, above the coordinator's (group << 48)" \
	"$(c "SELECT max(log_id) >> 48 > 0 FROM isms.transition_log WHERE org_id = $org")" t
log_before=$(c "SELECT count(*) FROM isms.transition_log WHERE org_id = $org")
check "distributed: a move the workflow does not allow is refused on the shard (IS001)" \
	"$(on coordinator -c "SET ROLE citus_author" -c "SELECT isms.transition('isms.nonconformity', $nc, 'reported', 'Back')" | head -n 1)" "ERROR:  IS001"
check "distributed: a record that has moved cannot be deleted (IS090, the log read on the shard)" \
	"$(on coordinator -c "SET ROLE citus_author" -c "DELETE FROM isms.nonconformity WHERE org_id = $org AND id = $nc" | head -n 1)" "ERROR:  IS090"
check "... nothing written: the record and the log as they were" \
	"$(c "SELECT status FROM isms.nonconformity WHERE org_id = $org AND id = $nc") $(c "SELECT count(*) FROM isms.transition_log WHERE org_id = $org")" "correcting $log_before"
nc4=$(c "INSERT INTO isms.nonconformity (org_id, title, description, source, owner) VALUES ($org2, 'Other organisation', 'Found', 'internal_audit', 'IT lead') RETURNING id" | head -n 1)
c "BEGIN; UPDATE isms.nonconformity SET status = 'analysed' WHERE (org_id, id) IN (($org, $nc3), ($org2, $nc4)); COMMIT" >/dev/null
check "distributed: one transaction moves records of two organisations on two workers (two-phase commit: log and seals written before PREPARE)" \
	"$(c "SELECT count(*) FROM isms.transition_log WHERE to_state = 'analysed' AND record_table = 'isms.nonconformity'::regclass AND (org_id, record_id) IN (($org, $nc3), ($org2, $nc4))") $(c "SELECT count(*) FROM isms.trail WHERE org_id IN ($org, $org2) AND action = 'transitions' AND payload->'batches'->0->>0 IN (SELECT log_id::text FROM isms.transition_log WHERE to_state = 'analysed' AND (org_id, record_id) IN (($org, $nc3), ($org2, $nc4)))")" \
	"2 2"
check "... on two workers" \
	"$(c "SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement WHERE shardid IN (get_shard_id_for_distribution_column('isms.nonconformity', $org), get_shard_id_for_distribution_column('isms.nonconformity', $org2))")" 2
check "distributed: the outbox is not written on the shards (its numbers are one node's commit order)" \
	"$(on worker1 -c "SELECT count(*) FROM isms.outbox") $(on worker2 -c "SELECT count(*) FROM isms.outbox")" "0 0"
efo_first=$(on coordinator -c "SET ROLE citus_author" -c "SELECT max(seq) FROM isms.events_for_org($org, 0, 1)" | tail -n 1)
check "distributed: isms.events_for_org() returns the organisation's moves made on the shards, one transaction a page with after_seq" \
	"$(on coordinator -c "SET ROLE citus_author" -c "SELECT count(*) FROM isms.events_for_org($org, 0, 1000000)" | tail -n 1) $(on coordinator -c "SET ROLE citus_author" -c "SELECT (SELECT count(*) FROM isms.events_for_org($org, 0, 1)) + (SELECT count(*) FROM isms.events_for_org($org, $efo_first, 1000000))" | tail -n 1) $(on coordinator -c "SET ROLE citus_author" -c "SELECT count(DISTINCT seq) FROM isms.events_for_org($org, $efo_first, 1)" | tail -n 1)" \
	"$(c "SELECT count(*) FROM isms.transition_log WHERE org_id = $org") $(c "SELECT count(*) FROM isms.transition_log WHERE org_id = $org") 1"
# Document control on the shards: the functions lock a document by its key
# (org_id looked up first), which Citus routes to one shard; the trigger
# serves the shard as its table, and its statements, which name the
# row's org_id, run on the colocated shards of the same node.  The same
# steps as on the coordinator, then a revision that supersedes the
# version in force.
c "ALTER ROLE citus_approver LOGIN" >/dev/null
cat > "$dir/docs.sql" <<SQL
SET ROLE citus_author;
INSERT INTO isms.document (org_id, code, kind, title, owner, clause)
    VALUES ($org, 'CIT-POL-2', 'policy', 'Restore policy', 'CISO', '5.2') RETURNING id AS doc \\gset
\\echo doc :doc
SELECT isms.draft_document(:doc, content_text => 'Restores are tested weekly.') AS ver \\gset
\\echo ver :ver
SELECT isms.submit_document(:ver);
SET ROLE citus_approver;
SELECT isms.approve_document(:ver, 'approved', 'Fine');
SELECT isms.publish_document(:ver);
SET ROLE citus_author;
SELECT id AS pol1 FROM isms.document WHERE org_id = $org AND code = 'CIT-POL-1' \\gset
SELECT isms.revise_document(:pol1, 'Weekly restores') AS rev \\gset
\\echo rev :rev
SELECT isms.submit_document(:rev);
SET ROLE citus_approver;
SELECT isms.approve_document(:rev, 'approved', 'Fine');
SELECT isms.publish_document(:rev);
SQL
if ! on coordinator -f "$dir/docs.sql" > "$dir/docs.out"; then
	sed 's/^/citus docs: /' "$dir/docs.out" >&2
fi
docval() { sed -n "s/^$1 //p" "$dir/docs.out" | head -n 1; }
dver=$(docval ver)
check "distributed: document control: a document is drafted, submitted, approved by another person and published on the shards" \
	"$(c "SELECT v.status || ' ' || d.status FROM isms.document_version v JOIN isms.document d ON d.org_id = v.org_id AND d.id = v.document_id WHERE d.org_id = $org AND d.code = 'CIT-POL-2'")" \
	"published published"
check "distributed: ... the version is in force from its publication on" \
	"$(c "SELECT v.version::text || ' ' || (NOT lower_inf(v.validity) AND upper_inf(v.validity) AND lower(v.validity) <= now())
	        FROM isms.document_version v WHERE v.org_id = $org AND v.id = ${dver:-0}")" \
	"0.1 true"
check "distributed: ... the trail has its approval and its publication, naming the table" \
	"$(c "SELECT string_agg(action || ' ' || record_table, ', ' ORDER BY seq) FROM isms.trail WHERE org_id = $org AND record_id = ${dver:-0} AND record_table LIKE 'isms.document%'")" \
	"approve isms.document_version, publish isms.document_version"
check "distributed: ... a revision published on the shards supersedes the version in force at the same instant" \
	"$(c "SELECT string_agg(v.version::text || ' ' || v.status, ', ' ORDER BY v.version) || ' / ' || max(d.status) || ' / ' ||
	             (SELECT upper(o.validity) = lower(n.validity) FROM isms.document_version o, isms.document_version n
	               WHERE o.org_id = $org AND n.org_id = $org AND o.document_id = d.id AND n.document_id = d.id AND o.version::text = '0.1' AND n.version::text = '0.2')
	        FROM isms.document_version v JOIN isms.document d ON d.org_id = v.org_id AND d.id = v.document_id WHERE d.org_id = $org AND d.code = 'CIT-POL-1' GROUP BY d.id")" \
	"0.1 superseded, 0.2 published / published / true"
mine=$(on coordinator -c "SET ROLE citus_author" -c "SELECT isms.revise_document($(docval doc), 'Daily restores')" | tail -n 1)
on coordinator -c "SET ROLE citus_author" -c "SELECT isms.submit_document(${mine:-0})" >/dev/null
check "distributed: ... its author cannot approve a version on the shard (IS011)" \
	"$(on coordinator -c "SET ROLE citus_author" -c "SELECT isms.approve_document(${mine:-0}, 'approved', 'Mine')" | head -n 1)" "ERROR:  IS011"
check "... and nothing written: the version in review, no decision on it" \
	"$(c "SELECT v.status || ' ' || (SELECT count(*) FROM isms.document_approval a WHERE a.org_id = $org AND a.version_id = v.id) FROM isms.document_version v WHERE v.org_id = $org AND v.id = ${mine:-0}")" \
	"in_review 0"
check "distributed: isms.trail_append(), called alone in a SELECT, runs on the organisation's worker" \
	"$(on coordinator -c "SET ROLE citus_author" -c "SELECT isms.trail_append($org, 'isms.asset', 1, 'note', '{}'::jsonb)" | tail -n 1 | grep -c '^[0-9][0-9]*$') $(on $home -c "SELECT action || ' ' || source FROM $trail_shard WHERE org_id = $org ORDER BY seq DESC LIMIT 1")" "1 note hand"
check "... inside a transaction block Citus runs it on the coordinator, which holds no shard of the trail (IS160)" \
	"$(on coordinator -c "SET ROLE citus_author" -c "BEGIN" -c "SELECT isms.trail_append($org, 'isms.asset', 1, 'note', '{}'::jsonb)" | tail -n 1)" "ERROR:  IS160"
check "distributed: isms.verify_trail() checks the organisation's chain through Citus: intact" \
	"$(c "SELECT count(*) FROM isms.verify_trail($org)") $(c "SELECT count(*) FROM isms.verify_trail($org2)")" "0 0"
check "distributed: isms.verify_transition_log() recomputes every seal on the shards: intact" \
	"$(c "SELECT count(*) FROM isms.verify_transition_log($org)") $(c "SELECT count(*) FROM isms.verify_transition_log($org2)")" "0 0"
# tampering on the worker, as its superuser, with the shard's triggers off
on $home -c "ALTER TABLE $log_shard DISABLE TRIGGER ALL" -c "UPDATE $log_shard SET reason = 'Rewritten' WHERE record_id = $nc AND to_state = 'correcting'" -c "ALTER TABLE $log_shard ENABLE TRIGGER ALL" >/dev/null
check "... a log row altered on the worker's shard breaks its seal" \
	"$(c "SELECT problem FROM isms.verify_transition_log($org)")" "log rows changed since they were sealed"
on $home -c "ALTER TABLE $log_shard DISABLE TRIGGER ALL" -c "UPDATE $log_shard SET reason = 'Restore schedule set' WHERE record_id = $nc AND to_state = 'correcting'" -c "ALTER TABLE $log_shard ENABLE TRIGGER ALL" >/dev/null
actor2=$(on $home -c "SELECT actor FROM $trail_shard WHERE org_id = $org AND seq = 2")
on $home -c "ALTER TABLE $trail_shard DISABLE TRIGGER ALL" -c "UPDATE $trail_shard SET actor = 'someone else' WHERE org_id = $org AND seq = 2" -c "ALTER TABLE $trail_shard ENABLE TRIGGER ALL" >/dev/null
check "... a trail entry altered on the worker's shard breaks the chain there" \
	"$(c "SELECT seq || ' ' || problem FROM isms.verify_trail($org)")" "2 altered entry: its hash does not match its content"
on $home -c "ALTER TABLE $trail_shard DISABLE TRIGGER ALL" -c "UPDATE $trail_shard SET actor = '$actor2' WHERE org_id = $org AND seq = 2" -c "ALTER TABLE $trail_shard ENABLE TRIGGER ALL" >/dev/null
check "... and intact again once restored" "$(c "SELECT count(*) FROM isms.verify_trail($org)") $(c "SELECT count(*) FROM isms.verify_transition_log($org)")" "0 0"
# The report views as a member: which run on distributed tables
: > "$dir/views.txt"
for v in $(c "SELECT relname FROM pg_class WHERE relnamespace = 'isms_report'::regnamespace AND relkind = 'v' ORDER BY 1"); do
	got=$(on coordinator -v VERBOSITY=verbose -c "SET ROLE citus_reader" -c "SELECT count(*) FROM isms_report.$v WHERE org_id = $org" 2>&1 | grep -v '^\(DETAIL\|HINT\|CONTEXT\|LOCATION\|SQL\|PL/pgSQL\| \)' | head -n 1)
	case $got in
		[0-9]*) echo "$v	runs" >> "$dir/views.txt" ;;
		*"connection to server"*|*"closed the connection"*|*"terminated"*|*"recovery"*|*"not yet accepting"*|*"EOF detected"*|*"SSL SYSCALL"*)
			echo "$v	ends the backend" >> "$dir/views.txt"
			for _ in $(seq 1 60); do c "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done ;;
		*) echo "$v	$(sed 's/^ERROR:  //' <<<"$got")" >> "$dir/views.txt" ;;
	esac
done
echo "#   isms_report views as a member on distributed tables:"
sed 's/^/#     /' "$dir/views.txt"
echo "#   ($(grep -c '	runs$' "$dir/views.txt") of $(wc -l < "$dir/views.txt") run)"
check "distributed: the plain report views run as a member (processes, audits, corrective actions)" \
	"$(grep -cE '^(processes|audits|corrective_actions)	runs$' "$dir/views.txt")" 3

exit $status
