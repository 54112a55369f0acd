#!/usr/bin/env bash
# The trail and the transition-log seals hash UTF-8 whatever the database
# encoding.  A LATIN1 database records a move and an entry by "José
# Müller": both verify there, the entry's rows copied into a UTF-8
# database verify there too (the same hashes), and a dump of a UTF-8
# database restored into a LATIN1 one verifies.  Runs against the current
# PG* environment; prints one line per check.
set -euo pipefail
u8=isms_enc_utf8
l1=isms_enc_latin1
l1r=isms_enc_latin1_restored
asc=isms_enc_sql_ascii
dump=$(mktemp)
rows=$(mktemp)
cleanup() {
	rm -f "$dump" "$dump.head" "$rows"
	for db in "$u8" "$l1" "$l1r" "$asc"; do dropdb --if-exists "$db" 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup
createdb -E UTF8 -T template0 "$u8"
for db in "$l1" "$l1r"; do
	psql -X -q -v ON_ERROR_STOP=1 -d postgres \
		-c "CREATE DATABASE $db ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
done

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
# psql speaks UTF-8 to every database: the server converts to LATIN1
q() { PGCLIENTENCODING=UTF8 psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# the same organisation, improvement and move in both databases
for db in "$u8" "$l1"; do
	PGCLIENTENCODING=UTF8 psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE EXTENSION isms;
INSERT INTO isms.organization (code, name) VALUES ('A', 'Société Générale d''Exemple');
BEGIN;
SET LOCAL isms.actor = 'José Müller';
INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (1, 'Clé de chiffrement', 'Rotation annuelle', 'Müller');
UPDATE isms.improvement SET status = 'approved' WHERE org_id = 1;
SELECT isms.trail_append(1, 'isms.improvement', 1, 'note',
                         jsonb_build_object('note', 'geprüft von José Müller', 'x', 1.50));
COMMIT;
SQL
done

check "LATIN1 database: the encoding is LATIN1" \
	"$(q "$l1" "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()")" LATIN1
check "LATIN1 database: the entry by José Müller is stored" \
	"$(q "$l1" "SELECT count(*) FROM isms.trail WHERE actor = 'José Müller' AND action = 'note'")" 1
check "LATIN1 database: the trail verifies" \
	"$(q "$l1" "SELECT count(*) FROM isms.verify_trail(1)")" 0
check "LATIN1 database: the transition log verifies against its seal" \
	"$(q "$l1" "SELECT count(*) FROM isms.verify_transition_log(1)")" 0
check "LATIN1 database: the move is sealed" \
	"$(q "$l1" "SELECT count(*) FROM isms.trail WHERE action = 'transitions'")" 1
check "UTF-8 database: the trail and the transition log verify" \
	"$(q "$u8" "SELECT (SELECT count(*) FROM isms.verify_trail(1)) + (SELECT count(*) FROM isms.verify_transition_log(1))")" 0

pg_dump -Fc -d "$u8" -f "$dump"
q "$u8" "SELECT seq || ':' || hash FROM isms.trail_head(1)" > "$dump.head"

# the hash the LATIN1 database stored for José Müller's entry is the hash
# the UTF-8 database computes for the same entry: its trail, copied into
# the UTF-8 database in place of that database's own, verifies there
q "$l1" "COPY (SELECT * FROM isms.trail WHERE org_id = 1 ORDER BY seq) TO STDOUT" > "$rows"
PGCLIENTENCODING=UTF8 psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$u8" <<SQL
SET session_replication_role = replica;
CREATE TEMP TABLE copied (LIKE isms.trail);
\copy copied FROM '$rows'
ALTER TABLE isms.trail DISABLE TRIGGER ALL;
DELETE FROM isms.trail WHERE org_id = 1;
INSERT INTO isms.trail SELECT * FROM copied;
ALTER TABLE isms.trail ENABLE TRIGGER ALL;
SQL
check "the LATIN1 database's entries, in a UTF-8 database, are the same bytes" \
	"$(q "$u8" "SELECT count(*) FROM isms.trail WHERE actor = 'José Müller' AND octet_length(actor) = 13")" 2
check "the LATIN1 database's hashes verify in a UTF-8 database" \
	"$(q "$u8" "SELECT count(*) FROM isms.verify_trail(1)")" 0

# a UTF-8 dump (taken before the copy above) restored into a LATIN1 database
pg_restore --exit-on-error -d "$l1r" "$dump"
check "a UTF-8 dump restored into a LATIN1 database verifies" \
	"$(q "$l1r" "SELECT count(*) FROM isms.verify_trail(1)")" 0
check "... and its trail keeps its head" \
	"$(q "$l1r" "SELECT seq || ':' || hash FROM isms.trail_head(1)")" \
	"$(cat "$dump.head")"
check "... and the entry by José Müller is text of the LATIN1 database" \
	"$(q "$l1r" "SELECT octet_length(actor) FROM isms.trail WHERE action = 'note'")" 11

# SQL_ASCII has no conversion: text is hashed as it is, so it must be UTF-8
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
	-c "CREATE DATABASE $asc ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
PGCLIENTENCODING=SQL_ASCII psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$asc" <<SQL
CREATE EXTENSION isms;
SET isms.actor = 'José Müller';
SELECT isms.trail_append(1, 'isms.improvement', 1, 'note', NULL);
SQL
check "SQL_ASCII database: an entry in UTF-8 verifies" \
	"$(PGCLIENTENCODING=SQL_ASCII q "$asc" "SELECT count(*) FROM isms.verify_trail(1)")" 0
check "SQL_ASCII database: an entry whose text is not UTF-8 is refused (22021)" \
	"$(PGCLIENTENCODING=SQL_ASCII psql -X -q -At -d "$asc" -v VERBOSITY=verbose \
		-c "SET isms.actor = E'Jos\\xe9'; SELECT isms.trail_append(1, 'isms.improvement', 1, 'note', NULL)" 2>&1 |
		grep -c '22021' || true)" 1
check "... and leaves no entry" \
	"$(PGCLIENTENCODING=SQL_ASCII q "$asc" "SELECT count(*) FROM isms.trail")" 1
exit $status
