#!/usr/bin/env bash
# isms beside other preloaded extensions: a cluster of its own with pg_cron
# and pgaudit in shared_preload_libraries, the three extensions created side
# by side in one database, then a workflow move, a document publication and
# the reports under pgaudit's session logging, a pg_cron job that runs an
# isms report, and the count of relcache and syscache callbacks the isms
# library registers in a backend that does all of that (gdb, breakpoints on
# CacheRegisterRelcacheCallback and CacheRegisterSyscacheCallback): a
# backend has ten relcache callback slots for PostgreSQL and every library.
#
# Run from tools/dev test, inside its cluster: this script starts a second
# throwaway cluster (pg_virtualenv -t) with the preloads and the run's
# install tree ($ISMS_DESTDIR), and runs itself again inside it.  Prints one
# "coexist: ... ok" or "... FAILED" line per check.
set -uo pipefail
cd "$(dirname "$0")/../.."
PRELOAD=pg_cron,pgaudit

if [ -z "${ISMS_COEXIST_CLUSTER:-}" ]; then
	: "${ISMS_DESTDIR:?ISMS_DESTDIR: run from tools/dev test}"
	: "${RUN_DIR:?RUN_DIR: run from tools/dev test}"
	# a port of its own, away from the ones pg_virtualenv hands out
	port=$((20000 + RANDOM % 10000))
	while pg_isready -q -h 127.0.0.1 -p $port -t 1 >/dev/null 2>&1 || [ $? -ne 2 ]; do
		port=$((20000 + RANDOM % 10000))
	done
	env -u PGHOST -u PGDATABASE -u PGUSER -u PGPASSWORD PGPORT=$port ISMS_COEXIST_CLUSTER=1 \
		pg_virtualenv -t -v "${PGVERSION:-15}" \
		-o "extension_destdir=$ISMS_DESTDIR" \
		-o "shared_preload_libraries=$PRELOAD" \
		-o "cron.database_name=postgres" \
		-o "cron.use_background_workers=on" \
		-o "max_worker_processes=16" \
		-- "$0" > "$RUN_DIR/coexist.out" 2>&1
	rc=$?
	# the inner run's checks and diagnostics; it fails if one failed
	grep -E '^coexist' "$RUN_DIR/coexist.out"
	if [ $rc -ne 0 ] && ! grep -q '\.\.\. FAILED' "$RUN_DIR/coexist.out"; then
		tail -n 40 "$RUN_DIR/coexist.out" >&2
		echo "coexist: a cluster with $PRELOAD preloaded runs isms ... FAILED"
	fi
	exit $rc
fi

status=0
check() {
	local name=$1 got=$2 want=$3
	if [ "$got" = "$want" ]; then
		echo "coexist: $name ... ok"
	else
		echo "coexist: $name ... FAILED (got '$got', want '$want')"
		status=1
	fi
}
q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
work=$(mktemp -d -t isms-coexist.XXXXXX)
gdb_pid=
cleanup() {
	[ -n "$gdb_pid" ] && kill "$gdb_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

check "pg_cron and pgaudit are preloaded" "$(q "SHOW shared_preload_libraries")" "$PRELOAD"
q "CREATE EXTENSION pg_cron; CREATE EXTENSION pgaudit; CREATE EXTENSION isms" >/dev/null
check "CREATE EXTENSION pg_cron, pgaudit and isms in one database" \
	"$(q "SELECT string_agg(extname, ' ' ORDER BY extname) FROM pg_extension WHERE extname IN ('isms', 'pg_cron', 'pgaudit')")" \
	"isms pg_cron pgaudit"
q "INSERT INTO isms.organization (code, name) VALUES ('COEXIST', 'Coexist Ltd');
   CREATE ROLE coexist_author; CREATE ROLE coexist_approver;
   GRANT isms_editor TO coexist_author, coexist_approver;
   INSERT INTO isms.membership (org_id, role_name)
   SELECT org_id, r FROM isms.organization, unnest(ARRAY['coexist_author', 'coexist_approver']) r
    WHERE code = 'COEXIST'" >/dev/null
org=$(q "SELECT org_id FROM isms.organization WHERE code = 'COEXIST'")

# The session: a move, a publication and the reports, logged by pgaudit to
# the client, in a backend that gdb watches from before isms is loaded.
cat > "$work/session.sql" <<SQL
SET pgaudit.log = 'write, function';
SET pgaudit.log_client = on;
SET pgaudit.log_level = notice;
SET ROLE coexist_author;
INSERT INTO isms.nonconformity (org_id, title, description, source, owner)
    VALUES ($org, 'Backups not tested', 'No restore test in 2025', 'internal_audit', 'IT lead')
    RETURNING id AS nc \gset
SELECT isms.transition('isms.nonconformity', :nc, 'analysed', 'Cause: no restore schedule');
SELECT string_agg(state, ' ' ORDER BY state) AS next FROM isms.next_states('isms.nonconformity', :nc) \gset
\echo next :next
INSERT INTO isms.document (org_id, code, kind, title, owner, clause)
    VALUES ($org, 'COEXIST-POL-1', 'policy', 'Backup policy', 'CISO', '5.2') RETURNING id AS doc \gset
SELECT isms.draft_document(:doc, content_text => 'Restores are tested monthly.') AS ver \gset
SELECT isms.submit_document(:ver);
SET ROLE coexist_approver;
SELECT isms.approve_document(:ver, 'approved', 'Fine');
SELECT isms.publish_document(:ver);
SELECT count(*) AS checks FROM isms.clause_4_4_readiness($org) \gset
\echo readiness :checks
SELECT count(*) AS controls FROM isms.statement_of_applicability($org) \gset
\echo soa :controls
SELECT count(*) AS views FROM isms_report.readiness \gset
\echo views :views
RESET ROLE;
SELECT count(*) AS broken FROM isms.verify_trail($org) \gset
\echo broken :broken
SQL

fifo=$work/session.fifo
mkfifo "$fifo"
psql -X -q -At -v ON_ERROR_STOP=1 < "$fifo" > "$work/session.out" 2>&1 &
psql_pid=$!
exec 3> "$fifo"
echo "SELECT pg_backend_pid();" >&3
for _ in $(seq 1 100); do [ -s "$work/session.out" ] && break; sleep 0.1; done
backend=$(head -1 "$work/session.out")
cat > "$work/gdb.cmd" <<'GDB'
set pagination off
break *CacheRegisterRelcacheCallback
commands
silent
printf "relcache callback registered by "
info symbol *(void **) $rsp
continue
end
break *CacheRegisterSyscacheCallback
commands
silent
printf "syscache callback registered by "
info symbol *(void **) $rsp
continue
end
continue
GDB
gdb -q -batch -p "$backend" -x "$work/gdb.cmd" > "$work/gdb.out" 2>&1 &
gdb_pid=$!
# the breakpoints are in place (the backend is stopped until "continue")
for _ in $(seq 1 300); do grep -q '^Breakpoint 2 at' "$work/gdb.out" && break; sleep 0.1; done
cat "$work/session.sql" >&3
echo '\q' >&3
exec 3>&-
wait "$psql_pid"
session=$?
for _ in $(seq 1 300); do kill -0 "$gdb_pid" 2>/dev/null || break; sleep 0.1; done
kill "$gdb_pid" 2>/dev/null
gdb_pid=

check "the session's move, publication and reports run" "$session" 0
[ "$session" -eq 0 ] || sed 's/^/coexist session: /' "$work/session.out" >&2
check "the move is logged" \
	"$(q "SELECT string_agg(from_state || '>' || to_state, ' ') FROM isms.transition_log WHERE org_id = $org")" \
	"reported>analysed"
check "next_states after the move" "$(sed -n 's/^next //p' "$work/session.out")" "correcting"
check "the document is published" \
	"$(q "SELECT v.status || ' ' || d.status FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id WHERE d.code = 'COEXIST-POL-1'")" \
	"published published"
yes() { if [ "${1:-0}" -gt 0 ] 2>/dev/null; then echo yes; else echo "no (${1:-nothing})"; fi; }
check "the readiness report has its checks" "$(yes "$(sed -n 's/^readiness //p' "$work/session.out")")" yes
check "the Statement of Applicability lists the 93 Annex A controls" "$(sed -n 's/^soa //p' "$work/session.out")" 93
check "the trail verifies" "$(sed -n 's/^broken //p' "$work/session.out")" 0
check "pgaudit logs the session's writes" \
	"$(yes "$(grep -c 'AUDIT: SESSION,.*,WRITE,INSERT,.*isms\.nonconformity' "$work/session.out")")" yes
check "pgaudit logs the isms functions called" \
	"$(yes "$(grep -c 'AUDIT: SESSION,.*,FUNCTION,EXECUTE,FUNCTION,isms\.publish_document' "$work/session.out")")" yes

# the callbacks the backend registered after connecting, by library
if grep -q '^Breakpoint 2 at' "$work/gdb.out"; then
	check "the isms library registers one relcache callback" \
		"$(grep -c '^relcache callback registered by .*isms\.so' "$work/gdb.out")" 1
	# one, for schema renames (isms.c); role memberships reach isms.member_orgs()
	# through the snapshot it keeps its answer for (membership.c)
	check "the isms library registers one syscache callback" \
		"$(grep -c '^syscache callback registered by .*isms\.so' "$work/gdb.out")" 1
else
	sed 's/^/coexist gdb: /' "$work/gdb.out" >&2
	check "gdb attaches to the backend to count its callbacks" no yes
fi

# pg_cron runs an isms report on schedule (the next full minute), and the
# job isms.schedule_sweep() installs: the sweep as an isms_admin login role
# turns the overdue management review into a task, sent through the outbox
q "CREATE TABLE public.coexist_stale (at timestamptz, overdue bigint);
   SELECT cron.schedule('isms-stale-items', '* * * * *',
                        'INSERT INTO public.coexist_stale SELECT now(), count(*) FROM isms.stale_items()')" >/dev/null
q "CREATE ROLE coexist_sweeper LOGIN; GRANT isms_admin TO coexist_sweeper; GRANT USAGE ON SCHEMA cron TO coexist_sweeper;
   INSERT INTO isms.management_review (org_id, title, planned_on, chair)
   VALUES ($org, 'Review H1', current_date - 10, 'CEO')" >/dev/null
check "isms.schedule_sweep() as a superuser is refused (IS120)" \
	"$(psql -X -q -At -v VERBOSITY=sqlstate -c "SELECT isms.schedule_sweep('* * * * *')" 2>&1 | grep -oE 'IS120' | head -1)" IS120
job=$(q "SET ROLE coexist_sweeper; SELECT isms.schedule_sweep('* * * * *')")
check "isms.schedule_sweep() installs the job isms-sweep" \
	"$(q "SELECT jobname || ' ' || schedule || ' ' || command || ' ' || username FROM cron.job WHERE jobid = '$job'")" \
	"isms-sweep * * * * * SELECT * FROM isms.sweep() coexist_sweeper"
check "... and a second call replaces it" \
	"$(q "SET ROLE coexist_sweeper; SELECT isms.schedule_sweep('* * * * *') = '$job'::bigint")" t
for _ in $(seq 1 90); do
	[ "$(q "SELECT count(DISTINCT jobid) FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')")" = 2 ] && break
	sleep 1
done
check "a pg_cron job runs isms.stale_items()" \
	"$(q "SELECT string_agg(d.status, ' ') FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'isms-stale-items' AND d.status <> 'running'")" "succeeded"
check "... and its result is stored" "$(q "SELECT count(*) FROM public.coexist_stale")" 1
q "SELECT cron.unschedule('isms-stale-items')" >/dev/null
check "the pg_cron job isms-sweep runs the sweep" \
	"$(q "SELECT d.status FROM cron.job_run_details d WHERE d.jobid = '$job' AND d.status <> 'running' ORDER BY d.runid LIMIT 1")" "succeeded"
check "... which made the task of the overdue management review, as the sweeper" \
	"$(q "SELECT string_agg(kind || ' ' || owner || ' ' || status || ' ' || created_by, '; ') FROM isms.task WHERE org_id = $org")" \
	"management_review_due CEO reminded coexist_sweeper"
check "... each move logged by the engine as the sweeper, with its login" \
	"$(q "SELECT string_agg(actor || ' ' || login_role, '; ' ORDER BY log_id) FROM isms.transition_log WHERE record_table = 'isms.task'::regclass AND org_id = $org")" \
	"coexist_sweeper coexist_sweeper; coexist_sweeper coexist_sweeper"
check "... and sent its creation and reminder through the outbox" \
	"$(q "SELECT string_agg(coalesce(from_state, 'NULL') || '>' || to_state, ' ' ORDER BY log_id) FROM isms.events_after(0, 1000) WHERE record_table = 'isms.task'")" \
	"NULL>open open>reminded"
check "isms.unschedule_sweep() removes the job" \
	"$(q "SET ROLE coexist_sweeper; SELECT isms.unschedule_sweep()")$(q "SELECT count(*) FROM cron.job WHERE jobname = 'isms-sweep'")" t0

exit $status
