#!/usr/bin/env bash
# The audit pack in a browser: generates isms.audit_pack() of the sample
# ISMS (swept once, so that it has open tasks), opens it in headless Chromium (a screenshot and the rendered DOM),
# and checks the figures shown against the report functions' own output.
# Writes $RUN_DIR/audit-pack.html and $RUN_DIR/audit-pack.png (and copies
# them to OUT_DIR when set, as the demo does).  Needs the PG* variables and
# Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${RUN_DIR:?RUN_DIR must be set (tools/dev sets it)}"
db=isms_auditpack
dir=$RUN_DIR/auditpack
mkdir -p "$dir"
chmod 777 "$dir"
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
trap 'dropdb --if-exists "$db" 2>/dev/null' EXIT
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$db" \
	-c 'SET client_min_messages = warning' -c 'CREATE EXTENSION isms' -c 'CREATE EXTENSION isms_sample' \
	-c 'SELECT isms.load_sample(1, current_date)' -c 'SELECT isms.load_sample_suppliers(current_date)' \
	-c 'SELECT isms.load_sample_staff(current_date)' \
	-c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'auditpack_sweeper') THEN CREATE ROLE auditpack_sweeper; END IF; END \$\$" \
	-c 'GRANT isms_editor TO auditpack_sweeper' \
	-c "INSERT INTO isms.membership (org_id, role_name) SELECT org_id, 'auditpack_sweeper' FROM isms.organization" \
	-c 'SET ROLE auditpack_sweeper' -c 'SELECT * FROM isms.sweep()'
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
org="(SELECT org_id FROM isms.organization WHERE code = 'NORTHWIND')"
at=$(q "SELECT now()")
q "SELECT isms.audit_pack('NORTHWIND', '$at')" > "$dir/audit-pack.html"
chmod a+r "$dir/audit-pack.html"
echo "auditpack generated ... ok"

browser() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$dir/profile" "$@" "file://$dir/audit-pack.html" 2>/dev/null
}
browser --screenshot="$dir/audit-pack.png" --window-size=1280,2000 >/dev/null
[ -s "$dir/audit-pack.png" ] && [ "$(head -c 8 "$dir/audit-pack.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || {
	echo "auditpack screenshot ... FAILED"; exit 1; }
echo "auditpack screenshot ... ok"
cp "$dir/audit-pack.png" "$RUN_DIR/audit-pack.png"
browser --dump-dom > "$dir/dom.html"

status=0
# figure NAME: the text of the element with data-figure="NAME" in the rendered DOM
figure() { sed -n "s/.*data-figure=\"$1\"[^>]*>\([^<]*\)<.*/\1/p" "$dir/dom.html" | head -n 1; }
check() {
	local name=$1 want=$2 have
	have=$(figure "$name")
	if [ "$have" = "$want" ]; then
		echo "auditpack $name $have ... ok"
	else
		echo "auditpack $name: shows '$have', the report says '$want' ... FAILED"
		status=1
	fi
}
check readiness-pass "$(q "SELECT count(*) FROM isms.clause_4_4_readiness($org, '$at') WHERE status = 'pass'")"
check readiness-warn "$(q "SELECT count(*) FROM isms.clause_4_4_readiness($org, '$at') WHERE status = 'warn'")"
check readiness-fail "$(q "SELECT count(*) FROM isms.clause_4_4_readiness($org, '$at') WHERE status = 'fail'")"
check soa-applicable "$(q "SELECT count(*) FROM isms.statement_of_applicability($org, 'iso27001-2022', '$at') WHERE applicable")"
check soa-controls "$(q "SELECT count(*) FROM isms.statement_of_applicability($org, 'iso27001-2022', '$at')")"
check open-nonconformities "$(q "SELECT count(*) FROM isms_report.nonconformities WHERE org_code = 'NORTHWIND' AND NOT closed")"
check overdue-reviews "$(q "SELECT sum(overdue) FROM isms.staleness_summary($org, '$at')")"
check open-tasks "$(q "SELECT count(*) FROM isms.task WHERE org_id = $org AND created_at <= '$at' AND closed_at IS NULL")"
check tasks-reminded "$(q "SELECT count(*) FROM isms.task WHERE org_id = $org AND created_at <= '$at' AND closed_at IS NULL AND escalation_level = 1")"
check policy-acknowledged "$(q "SELECT count(*) FILTER (WHERE in_audience AND acknowledged) FROM isms.policy_acknowledgement_status($org, '$at')")"
check policy-audience "$(q "SELECT count(*) FILTER (WHERE in_audience) FROM isms.policy_acknowledgement_status($org, '$at')")"
check trail-seq "$(q "SELECT seq FROM isms.trail_head($org)")"
check trail-hash "$(q "SELECT hash FROM isms.trail_head($org)")"
# the rendered page: every section, both charts, no script
for s in summary readiness soa staleness trend process-map nonconformities suppliers tasks policies trail; do
	grep -q "<section id=\"$s\"" "$dir/dom.html" || { echo "auditpack section $s ... FAILED"; status=1; }
done
[ "$(grep -o '<svg xmlns' "$dir/dom.html" | wc -l)" -eq 2 ] && echo "auditpack charts 2 ... ok" || {
	echo "auditpack charts ... FAILED"; status=1; }
grep -q '<script' "$dir/dom.html" && { echo "auditpack no script ... FAILED"; status=1; } || echo "auditpack no script ... ok"
if [ -n "${OUT_DIR:-}" ]; then
	mkdir -p "$OUT_DIR"
	cp "$dir/audit-pack.html" "$dir/audit-pack.png" "$OUT_DIR/"
	echo "audit pack: $(cd "$OUT_DIR" && pwd)/audit-pack.html"
	echo "screenshot: $(cd "$OUT_DIR" && pwd)/audit-pack.png"
fi
exit $status
