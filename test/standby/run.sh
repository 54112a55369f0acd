#!/usr/bin/env bash
# Hot standby: a streaming replica of the test cluster, on loopback, runs
# every read-only function of isms (one report of each kind, next_states,
# verify_trail, the as-of and trail queries), every view of isms_report, and
# gets the same results as the primary; writes are refused there.
#
# Runs inside the cluster of tools/dev (the PG* variables reach the primary,
# whose extension_destdir is this run's install tree).  The replica is made
# by pg_basebackup -R into a temporary directory, started with pg_ctl as the
# postgres user on a free port of 127.0.0.1, and stopped and removed at the
# end.  Prints one "standby: ... ok" or "... FAILED" line per check.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${PG_CONFIG:=pg_config}"
bindir=$("$PG_CONFIG" --bindir)
db=isms_standby
status=0

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- env PGPASSWORD="${PGPASSWORD:-}" "$@"
	else
		"$@"
	fi
}
fail() {
	echo "standby: $*" >&2
	echo "standby: a streaming replica runs isms ... FAILED"
	exit 1
}
check() {
	local name=$1 got=$2 want=$3
	if [ "$got" = "$want" ]; then
		echo "standby: $name ... ok"
	else
		echo "standby: $name ... FAILED (got '$got', want '$want')"
		status=1
	fi
}
# a query on the primary, and on the replica (whose errors print their SQLSTATE)
p() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1" 2>&1; }
r() {
	PGHOST=127.0.0.1 PGPORT=$port psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate \
		-d "$db" -c "$1" 2>&1
}

dir=$(mktemp -d -t isms-standby.XXXXXX)
chmod 700 "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
cleanup() {
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 ||
			as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
	fi
	rm -rf "$dir"
	dropdb --if-exists "$db" 2>/dev/null
}
trap cleanup EXIT

# The primary: the sample ISMS, and a reader of its organisation.
dropdb --if-exists "$db" 2>/dev/null
createdb "$db" || fail "createdb failed"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$db" <<'SQL' || fail "loading the sample failed"
CREATE EXTENSION isms;
CREATE EXTENSION isms_sample;
SELECT isms.load_sample(1, '2025-06-30');
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'standby_reader') THEN CREATE ROLE standby_reader; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'standby_author') THEN CREATE ROLE standby_author; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'standby_approver') THEN CREATE ROLE standby_approver; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'standby_outsider') THEN CREATE ROLE standby_outsider; END IF;
END $$;
GRANT isms_reader TO standby_reader, standby_outsider;
GRANT isms_editor TO standby_author, standby_approver;
INSERT INTO isms.membership (org_id, role_name)
SELECT org_id, r FROM isms.organization, unnest(ARRAY['standby_reader', 'standby_author', 'standby_approver']) r;
-- a published document, for the as-of queries
SELECT min(org_id) AS org FROM isms.organization \gset
-- a few thousand rows of one organisation, for a member's scan
INSERT INTO isms.asset (org_id, name, kind, owner)
SELECT :org, 'standby asset ' || g, 'software', 'IT' FROM generate_series(1, 3000) g;
SET ROLE standby_author;
INSERT INTO isms.document (org_id, code, kind, title, owner, clause)
    VALUES (:org, 'STANDBY-POL-1', 'policy', 'Backup policy', 'CISO', '5.2') RETURNING id AS doc \gset
SELECT isms.draft_document(:doc, content_text => 'Backups are restored and tested monthly.') AS ver \gset
SELECT isms.submit_document(:ver);
SET ROLE standby_approver;
SELECT isms.approve_document(:ver, 'approved', 'Fine');
SELECT isms.publish_document(:ver);
RESET ROLE;
SQL
org=$(p "SELECT min(org_id) FROM isms.organization")

# The replica: a base backup that follows the primary, on a free port.
port=$((PGPORT + 100))
while [ $port -lt $((PGPORT + 200)) ]; do
	"$bindir/pg_isready" -q -h 127.0.0.1 -p $port -t 1 >/dev/null 2>&1
	[ $? -eq 2 ] && break
	port=$((port + 1))
done
as_pg "$bindir/pg_basebackup" -h "${PGHOST:-localhost}" -p "$PGPORT" -U "${PGUSER:-postgres}" \
	-D "$dir/data" -R -X stream -c fast >/dev/null 2>&1 || fail "pg_basebackup failed"
destdir=$(p "SHOW extension_destdir")
as_pg tee "$dir/data/postgresql.conf" >/dev/null <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
hot_standby = on
extension_destdir = '$destdir'
hba_file = '$dir/data/pg_hba.conf'
ident_file = '$dir/data/pg_ident.conf'
EOF
# the passwords are the primary's (replicated), so the same PGPASSWORD
printf 'local all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\n' |
	as_pg tee "$dir/data/pg_hba.conf" >/dev/null
as_pg touch "$dir/data/pg_ident.conf"
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
	{ cat "$dir/server.log" >&2; fail "the replica did not start"; }

check "the replica on 127.0.0.1:$port is a hot standby" "$(r "SELECT pg_is_in_recovery()")" t

# A move on the primary after the base backup streams to the replica.
moved=$(p "SELECT format('%s %s %s', w.relid::regclass, r.id, s.state)
             FROM isms.workflow w,
                  LATERAL (SELECT min(id) AS id FROM isms.nonconformity) r,
                  LATERAL isms.next_states(w.relid, r.id) s
            WHERE w.relid = 'isms.nonconformity'::regclass AND s.guard_holds
            ORDER BY s.state LIMIT 1")
read -r mrel mid mstate <<<"$moved"
p "SELECT isms.transition('$mrel', $mid, '$mstate', 'moved after the base backup')" >/dev/null ||
	fail "the move on the primary failed"
lsn=$(p "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 300); do
	[ "$(r "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
	sleep 0.1
done
check "the replica replays a move made on the primary after the base backup" \
	"$(r "SELECT status FROM $mrel WHERE id = $mid")" "$mstate"

# Every read-only function, with the result it must share with the primary.
# Each line: the function (as regprocedure prints it) | a query calling it.
calls=$(cat <<SQL
isms.version()|SELECT isms.version()
isms.parent(isms.ref)|SELECT isms.parent('6.1.2')
isms.depth(isms.ref)|SELECT isms.depth('A.5.24')
isms.subpath(isms.ref,integer,integer)|SELECT isms.subpath('6.1.2', 1, 2)
isms.subpath(isms.ref,integer)|SELECT isms.subpath('6.1.2', 1)
isms.docver(integer,integer)|SELECT isms.docver(2, 13)
isms.major(isms.docver)|SELECT isms.major('2.13')
isms.minor(isms.docver)|SELECT isms.minor('2.13')
isms.next_minor(isms.docver)|SELECT isms.next_minor('2.13')
isms.next_major(isms.docver)|SELECT isms.next_major('2.13')
isms.content_sha256(text,bytea,text)|SELECT isms.content_sha256('policy', NULL, NULL)
isms.reported_move(text,text)|SELECT isms.reported_move('implemented', 'verified')
isms.report_bad_argument(text,text,text,text)|SELECT isms.report_bad_argument('org_id', '0', 'no such organisation', 'pass one')
isms.report_time(text,timestamp with time zone)|SELECT isms.report_time('as_of', '2025-06-30')
isms.document_in_force(text)|SELECT isms.document_in_force('published')
isms.current_actor()|SELECT isms.current_actor()
isms.current_login()|SELECT isms.current_login()
isms.current_org()|SELECT isms.current_org()
isms.context()|SELECT row(c.*)::text FROM isms.context() c
isms.review_interval(bigint,regclass)|SELECT isms.review_interval($org, 'isms.risk')
isms.member_orgs(name)|SELECT isms.member_orgs('standby_reader')
isms.visible_orgs()|SELECT isms.visible_orgs()
isms.report_org(bigint)|SELECT isms.report_org($org)
isms.require_member(bigint,text)|SELECT count(*) FROM (SELECT isms.require_member($org)) m
isms.transition_log_encoding(isms.transition_log)|SELECT md5(string_agg(isms.transition_log_encoding(l), '' ORDER BY log_id)) FROM isms.transition_log l
isms.events_after(bigint,integer)|SELECT count(*), md5(string_agg(e::text, '|' ORDER BY seq, log_id)) FROM isms.events_after(0, 1000000) e
isms.events_for_org(bigint,bigint,integer)|SELECT count(*), md5(string_agg(e::text, '|' ORDER BY e.org_id, e.seq, e.log_id)) FROM isms.organization o, isms.events_for_org(o.org_id, 0, 1000000) e
isms.trail_head(bigint)|SELECT h.seq > 0 FROM isms.trail_head($org) h
isms.verify_trail(bigint)|SELECT count(*) FROM isms.organization o, isms.verify_trail(o.org_id)
isms.verify_trail(bigint,bigint,text)|SELECT count(*) FROM isms.organization o, isms.trail_head(o.org_id) h, isms.verify_trail(o.org_id, h.seq, h.hash)
isms.verify_transition_log(bigint)|SELECT count(*) FROM isms.organization o, isms.verify_transition_log(o.org_id)
isms.next_states(regclass,bigint)|SELECT count(*), md5(string_agg(format('%s %s %s', w.relid, r.id, s), '|' ORDER BY w.relid, r.id, s.state)) FROM isms.workflow w, LATERAL public.workflow_records(w.relid) r(id), LATERAL isms.next_states(w.relid, r.id) s
isms.as_of(anyelement,timestamp with time zone)|SELECT count(*), md5(string_agg(v::text, '|' ORDER BY v.id)) FROM isms.as_of(NULL::isms.document_version, now()) v
isms.document_next_version(bigint,boolean)|SELECT string_agg(isms.document_next_version(id)::text, ' ' ORDER BY id) FROM isms.document
isms.document_as_of(bigint,timestamp with time zone)|SELECT md5(string_agg(v::text, '|' ORDER BY v.id)) FROM isms.document d, isms.document_as_of(d.id, now()) v
isms.register_activity(bigint,timestamp with time zone)|SELECT md5(string_agg(a::text, '|' ORDER BY a.relid)) FROM isms.register_activity($org, '2025-06-30') a
isms.review_due_at(bigint,regclass,interval,timestamp with time zone,timestamp with time zone)|SELECT isms.review_due_at($org, 'isms.risk', NULL, '2025-01-01', '2024-01-01')
isms.stale_items(timestamp with time zone)|SELECT count(*), md5(string_agg(s::text, '|' ORDER BY s::text)) FROM isms.stale_items('2025-06-30') s
isms.staleness_summary(bigint,timestamp with time zone,interval)|SELECT md5(string_agg(s::text, '|' ORDER BY s.register)) FROM isms.staleness_summary($org, '2025-06-30') s
isms.risk_rating_at(bigint,timestamp with time zone)|SELECT md5(string_agg(s::text, '|' ORDER BY s.risk_id)) FROM isms.risk_rating_at($org, '2025-06-30') s
isms.improvement_metrics(bigint,timestamp with time zone,timestamp with time zone,interval,interval)|SELECT md5(string_agg(m::text, '|' ORDER BY m.period_start)) FROM isms.improvement_metrics($org, '2023-01-01', '2025-06-30', '3 months') m
isms.clause_4_4_readiness(bigint,timestamp with time zone,numeric,numeric,interval,interval)|SELECT md5(string_agg(c::text, '|' ORDER BY c.check_no)) FROM isms.clause_4_4_readiness($org, '2025-06-30') c
isms.statement_of_applicability(bigint,text,timestamp with time zone)|SELECT count(*), md5(string_agg(s::text, '|' ORDER BY s.control)) FROM isms.statement_of_applicability($org) s
isms.process_interactions(bigint,timestamp with time zone)|SELECT md5(string_agg(i::text, '|' ORDER BY i::text)) FROM isms.process_interactions($org) i
isms.process_links(bigint)|SELECT md5(string_agg(l::text, '|' ORDER BY l.process_id)) FROM isms.process_links($org) l
isms.process_map(bigint,text)|SELECT md5(isms.process_map($org) || isms.process_map($org, 'mermaid'))
isms.process_links(bigint,timestamp with time zone)|SELECT md5(string_agg(l::text, '|' ORDER BY l.process_id)) FROM isms.process_links($org, '2025-06-30') l
isms.process_map(bigint,text,timestamp with time zone)|SELECT md5(isms.process_map($org, 'dot', '2025-06-30'))
isms.artifact_key(text)|SELECT isms.artifact_key('Risk register')
isms.is_meaningful(text,integer)|SELECT isms.is_meaningful('Minutes of the review', 10)
isms.document_reviewed_at(bigint,bigint,timestamp with time zone,timestamp with time zone)|SELECT string_agg(coalesce(isms.document_reviewed_at($org, id, '2025-01-01', '2025-06-30')::text, '-'), ' ' ORDER BY id) FROM isms.document
isms.import_org()|SELECT isms.import_org()
isms.known_as_of(anyelement,timestamp with time zone)|SELECT count(*), md5(string_agg(v::text, '|' ORDER BY v.id)) FROM isms.known_as_of(NULL::isms.document_version, now()) v
isms.register_row_at(timestamp with time zone)|SELECT count(*) FROM isms.register_row_at('2025-06-30')
isms.review_basis(timestamp with time zone,timestamp with time zone,timestamp with time zone)|SELECT isms.review_basis('2025-01-01', '2024-01-01', '2025-06-30')
isms.signoff_content(bigint,text,bigint,timestamp with time zone)|SELECT md5(isms.signoff_content($org, 'statement_of_applicability', NULL, '2025-06-30')::text)
isms.signoff_digest(jsonb)|SELECT isms.signoff_digest('{"a": 1}')
isms.signoff_status(bigint,timestamp with time zone)|SELECT count(*) FROM isms.signoff_status($org, '2025-06-30')
isms.verify_imports(bigint)|SELECT count(*) FROM isms.verify_imports($org)
isms.library_code(text)|SELECT isms.library_code('urn:intuitem:risk:library:nist-csf-2.0')
isms.library_refused(text,text,text,text)|SELECT isms.library_refused('x', 'no such thing', 'detail', 'hint')
isms.framework_coverage(bigint,text)|SELECT count(*) FROM isms.framework_coverage($org, 'iso27001-2013')
isms.framework_coverage_summary(bigint,text,integer)|SELECT count(*) FROM isms.framework_coverage_summary($org, 'iso27001-2013')
isms.soa_transition(bigint,text)|SELECT count(*) FROM isms.soa_transition($org)
isms.html_escape(text)|SELECT isms.html_escape('<script>&</script>')
isms.audit_pack(text,timestamp with time zone)|SELECT md5(regexp_replace(isms.audit_pack('NORTHWIND', '2025-06-30'), 'Generated [^<]*', ''))
isms.audit_pack_trend_svg(bigint,timestamp with time zone)|SELECT md5(isms.audit_pack_trend_svg($org, '2025-06-30'))
isms.audit_pack_process_svg(bigint,timestamp with time zone)|SELECT md5(isms.audit_pack_process_svg($org, '2025-06-30'))
isms.task_causes(timestamp with time zone)|SELECT count(*), md5(string_agg(c::text, '|' ORDER BY c::text)) FROM isms.task_causes('2025-06-30') c
isms.policy_acknowledgement_status(bigint,timestamp with time zone)|SELECT count(*), md5(string_agg(a::text, '|' ORDER BY a::text)) FROM isms.policy_acknowledgement_status($org, '2025-06-30') a
SQL
)
# the first records of a workflow table, for next_states
p "CREATE FUNCTION public.workflow_records(t regclass) RETURNS SETOF bigint LANGUAGE plpgsql STABLE AS
   \$\$ BEGIN RETURN QUERY EXECUTE format('SELECT id FROM %s ORDER BY id LIMIT 25', t); END \$\$" >/dev/null
lsn=$(p "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 300); do
	[ "$(r "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
	sleep 0.1
done

# All the calls in one session per node: each prints "function|result"
# (the row as text), and a call that fails prints nothing.
# The functions that raise by design, or here for want of an imported
# library (the sample has none): the same SQLSTATE on both nodes shows they
# ran there.
raising=" isms.report_bad_argument(text,text,text,text) isms.library_refused(text,text,text,text) isms.framework_coverage(bigint,text) isms.framework_coverage_summary(bigint,text,integer) isms.soa_transition(bigint,text) "
sqlstate() { psql -X -q -At -v VERBOSITY=sqlstate -d "$db" -c "$1" 2>&1 | grep -oE '^ERROR: +[0-9A-Z]{5}' | grep -oE '[0-9A-Z]{5}$'; }
batch() {
	local fn sql
	while IFS='|' read -r fn sql; do
		[[ "$raising" == *" $fn "* ]] && continue
		printf 'SELECT %s, (SELECT t::text FROM (%s) t);\n' "\$f\$$fn\$f\$" "$sql"
	done <<<"$calls"
}
batch > "$dir/calls.sql"
psql -X -q -At -d "$db" -f "$dir/calls.sql" > "$dir/primary.out" 2>&1
PGHOST=127.0.0.1 PGPORT=$port psql -X -q -At -d "$db" -f "$dir/calls.sql" > "$dir/replica.out" 2>&1
while IFS='|' read -r fn sql; do
	if [[ "$raising" == *" $fn "* ]]; then
		want=$(sqlstate "$sql")
		check "$fn raises ${want:-no error} as on the primary" \
			"$(PGHOST=127.0.0.1 PGPORT=$port sqlstate "$sql")" "${want:-(an error)}"
		continue
	fi
	want=$(grep -F "$fn|" "$dir/primary.out" | head -1)
	got=$(grep -F "$fn|" "$dir/replica.out" | head -1)
	if [ -n "$want" ]; then
		check "$fn gives the primary's result" "$got" "$want"
	else
		# refused on the primary with these arguments: the same refusal
		want=$(sqlstate "$sql")
		check "$fn raises ${want:-no error} as on the primary" \
			"$(PGHOST=127.0.0.1 PGPORT=$port sqlstate "$sql")" "${want:-(an error)}"
	fi
done <<<"$calls"
if grep -q ERROR "$dir/replica.out"; then
	echo "standby: errors on the replica:" >&2
	grep -A2 ERROR "$dir/replica.out" >&2
fi

# every read-only (STABLE or IMMUTABLE) function that is not a type's
# support function is in the list above
covered=$(cut -d'|' -f1 <<<"$calls" | sort)
missing=$(comm -23 <(p "SELECT p.oid::regprocedure::text
                        FROM pg_proc p
                       WHERE p.pronamespace = 'isms'::regnamespace AND p.prokind = 'f'
                         AND EXISTS (SELECT FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                                      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                                        AND d.deptype = 'e' AND e.extname = 'isms')
                         AND p.provolatile IN ('s', 'i')
                         AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype, 'internal'::regtype)
                         AND NOT 'internal'::regtype = ANY (p.proargtypes)
                         AND NOT EXISTS (SELECT FROM pg_type t WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))
                         AND NOT EXISTS (SELECT FROM pg_operator o WHERE o.oprcode = p.oid)
                         AND NOT EXISTS (SELECT FROM pg_amproc a WHERE a.amproc = p.oid)
                         AND NOT EXISTS (SELECT FROM pg_aggregate a WHERE p.oid IN (a.aggtransfn, a.aggfinalfn, a.aggcombinefn))
                         AND NOT EXISTS (SELECT FROM pg_cast c WHERE c.castfunc = p.oid)" | sort) <(echo "$covered") |
	paste -sd' ')
check "every read-only function of isms is run on the replica" "$missing" ""

# every view of isms_report reads there as on the primary
views=$(p "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'isms_report'::regnamespace AND c.relkind = 'v' ORDER BY 1")
[ -n "$views" ] || fail "no views in isms_report"
for v in $views; do echo "SELECT '$v', count(*) FROM isms_report.$v;"; done > "$dir/views.sql"
psql -X -q -At -d "$db" -f "$dir/views.sql" > "$dir/primary-views.out" 2>&1
PGHOST=127.0.0.1 PGPORT=$port psql -X -q -At -d "$db" -f "$dir/views.sql" > "$dir/replica-views.out" 2>&1
for v in $views; do
	check "isms_report.$v reads as on the primary" \
		"$(grep "^$v|" "$dir/replica-views.out")" "$(grep "^$v|" "$dir/primary-views.out")"
done

# a reader's report, under row-level security
sql="SET ROLE standby_reader; SELECT md5(string_agg(c::text, '|' ORDER BY c.check_no)) FROM isms.clause_4_4_readiness($org, '2025-06-30') c"
check "a reader's readiness report is the primary's" "$(r "$sql")" "$(p "$sql")"

# A member's scan on the replica asks the membership query once, not per
# row: the policies call isms.visible_orgs() per row of a sequential scan
# (an index scan would evaluate it once, as a key), and the answer is kept
# for a standby's snapshot as for a primary's.  The query reads
# isms.organization once; this transaction's scans of it are counted.
scans() {
	PGHOST=127.0.0.1 PGPORT=$port psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" 2>&1 <<SQL
BEGIN;
SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL enable_indexscan = off;
SET LOCAL enable_indexonlyscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL ROLE standby_reader;
\\o /dev/null
SELECT set_config('standby.scans', (SELECT (seq_scan + coalesce(idx_scan, 0))::text
                                      FROM pg_stat_xact_user_tables WHERE relid = 'isms.organization'::regclass), true);
SELECT set_config('standby.rows', (SELECT count(*)::text FROM isms.asset), true);
\\o
SELECT current_setting('standby.rows')::bigint >= 3000,
       (SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables
         WHERE relid = 'isms.organization'::regclass) - current_setting('standby.scans')::bigint;
COMMIT;
SQL
}
check "a member's scan of 3,000 rows on the replica runs the membership query once" "$(scans)" "t|1"

# an application's context: set_context only sets settings, so a reader's
# transaction on the replica takes it as on the primary
sql="BEGIN; SET ROLE standby_reader; SELECT isms.set_context(code) FROM isms.organization WHERE org_id = $org; SELECT row(c.*)::text FROM isms.context() c; COMMIT"
check "a reader's isms.set_context works on the replica as on the primary" "$(r "$sql")" "$(p "$sql")"

# a refusal there: verification by a non-member
check "verify_trail by a non-member is refused on the replica (42501)" \
	"$(r "SET ROLE standby_outsider; SELECT count(*) FROM isms.verify_trail($org)" | grep -o 42501 | head -1)" 42501

# and nothing can be written there: a move and a review are refused
check "a workflow move on the replica is refused (25006)" \
	"$(r "SELECT isms.transition('$mrel', $mid, 'closed', 'on the replica')" | grep -o 25006 | head -1)" 25006
check "a periodic review on the replica is refused (25006)" \
	"$(r "SELECT isms.mark_reviewed('isms.risk', (SELECT min(id) FROM isms.risk), 'on the replica')" | grep -o 25006 | head -1)" 25006

exit $status
