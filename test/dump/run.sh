#!/usr/bin/env bash
# pg_dump and pg_restore keep the evidence trail's chains and the register
# history valid.  The restore runs under another time zone on purpose.
# Runs against the current PG* environment; prints one line per check.
set -euo pipefail
src=isms_dump_src
dst=isms_dump_dst
dump=$(mktemp)
trap 'rm -f "$dump"; dropdb --if-exists "$src"; dropdb --if-exists "$dst"' EXIT
dropdb --if-exists "$src" 2>/dev/null
dropdb --if-exists "$dst" 2>/dev/null
createdb "$src"
createdb "$dst"

psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$src" <<'SQL'
CREATE EXTENSION isms;
CREATE TABLE public.vendor_risk (
    org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY,
    title text NOT NULL, updated_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, id));
SELECT isms.enable_history('public.vendor_risk');
INSERT INTO vendor_risk (org_id, title, updated_at) VALUES (1, 'a', '2024-01-01'), (2, 'b', '2024-01-01');
UPDATE vendor_risk SET title = 'a2', updated_at = '2024-02-01' WHERE org_id = 1;
SET isms.actor = 'Zoë Ångström';
SELECT count(isms.trail_append(o, 'isms.risk', g, 'note',
                               jsonb_build_object('n', g, 'x', 1.50, 'text', 'naïve "quoted" \ line')))
  FROM generate_series(1, 50) g, generate_series(1, 3) o;
SQL
pg_dump -Fc -d "$src" -f "$dump"
PGTZ=Asia/Tokyo pg_restore --exit-on-error -d "$dst" "$dump"

status=0
check() {
	local name=$1 got=$2 want=$3
	if [ "$got" = "$want" ]; then
		echo "$name ... ok"
	else
		echo "$name ... FAILED (got '$got', want '$want')"
		status=1
	fi
}
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

heads="SELECT string_agg(o || ':' || h.seq || ':' || h.hash, ' ' ORDER BY o) FROM generate_series(1, 3) o, isms.trail_head(o) h"
check "restored trail verifies" \
	"$(q "$dst" "SELECT count(*) FROM generate_series(1, 3) o, isms.verify_trail(o)")" 0
check "restored trail keeps every head" "$(q "$dst" "$heads")" "$(q "$src" "$heads")"
check "restored trail verifies against the heads recorded before the dump" \
	"$(q "$dst" "SELECT count(*) FROM generate_series(1, 3) o, isms.trail_head(o) h, isms.verify_trail(o, h.seq, h.hash)")" 0
check "restored trail is still append-only" \
	"$(psql -X -At -v VERBOSITY=verbose -d "$dst" -c 'DELETE FROM isms.trail' 2>&1 | grep -c IS020 || true)" 1
check "restored history is still append-only" \
	"$(psql -X -At -v VERBOSITY=verbose -d "$dst" -c 'SET session_replication_role = replica; DELETE FROM isms_history.vendor_risk' 2>&1 | grep -c IS021 || true)" 1
check "restored trail appends onto the restored chain" \
	"$(q "$dst" "SELECT isms.trail_append(1, 'isms.risk', 1, 'after restore', NULL)")" 51
hist="SELECT string_agg(id || title || valid::text, ',' ORDER BY id) FROM (SELECT id, title, valid FROM isms_history.vendor_risk) h"
check "restored history keeps its versions" \
	"$(q "$dst" "SET timezone = 'UTC'; $hist")" "$(q "$src" "SET timezone = 'UTC'; $hist")"
check "restored register keeps capturing history" \
	"$(q "$dst" "UPDATE vendor_risk SET title = 'a3', updated_at = '2024-03-01' WHERE org_id = 1; SELECT count(*) FROM isms_history.vendor_risk")" 2
exit $status
