-- Tables distributed by Citus: isms writes the trail, the transition log,
-- the outbox and register history (and verifies the trail) with direct heap
-- and index calls, which on a Citus table would go to the coordinator's
-- shell table that no query reads; it refuses such a table (IS160).
-- Without Citus, Citus's catalog table pg_catalog.pg_dist_partition is
-- made here by hand (allow_system_table_mods) with the columns isms reads;
-- test/citus/run.sh does the same against a real Citus cluster.  A table of
-- that name outside pg_catalog changes nothing.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
SET LOCAL search_path = public, isms;
SELECT plan(12);

INSERT INTO isms.organization (code, name) VALUES ('CIT', 'Citus Ltd');
SELECT org_id AS org FROM isms.organization WHERE code = 'CIT' \gset
CREATE ROLE cit_editor;
GRANT isms_editor TO cit_editor;
INSERT INTO isms.membership (org_id, role_name) VALUES (:org, 'cit_editor');
INSERT INTO isms.process (org_id, name, pdca_phase, owner) VALUES (:org, 'Backup', 'do', 'IT lead');
INSERT INTO isms.nonconformity (org_id, title, description, source, owner)
    VALUES (:org, 'Backups not tested', 'No restore test', 'internal_audit', 'IT lead')
    RETURNING id AS nc \gset

------------------------------------------------------------------------------
-- A hostile table named like Citus's catalog, in a schema of the caller's
CREATE SCHEMA cit_trap;
GRANT USAGE ON SCHEMA cit_trap TO PUBLIC;
CREATE TABLE cit_trap.pg_dist_partition (logicalrelid regclass NOT NULL);
INSERT INTO cit_trap.pg_dist_partition VALUES ('isms.transition_log'), ('isms.trail'), ('isms_history.process');
GRANT SELECT ON cit_trap.pg_dist_partition TO PUBLIC;
SET LOCAL ROLE cit_editor;
SET LOCAL search_path = cit_trap, public, isms;
SELECT lives_ok(format($$SELECT isms.transition('isms.nonconformity', %s, 'analysed', 'Cause found')$$, :nc),
    'a table named pg_dist_partition outside pg_catalog does not stop a move');
SELECT lives_ok($$UPDATE isms.process SET description = 'Nightly' WHERE org_id = $$ || :org,
    '... nor the history of an update');
SELECT is((SELECT count(*) FROM isms.verify_trail(:org)), 0::bigint, '... nor the trail verification');
RESET ROLE;
SET LOCAL search_path = public, isms;

------------------------------------------------------------------------------
-- Citus's catalog, by hand: the isms tables Citus would have distributed
SET LOCAL allow_system_table_mods = on;
CREATE TABLE pg_catalog.pg_dist_partition (logicalrelid regclass NOT NULL, partmethod "char" NOT NULL);
CREATE UNIQUE INDEX pg_dist_partition_logical_relid_index ON pg_catalog.pg_dist_partition (logicalrelid);
RESET allow_system_table_mods;

SET LOCAL ROLE cit_editor;
SELECT lives_ok(format($$SELECT isms.transition('isms.nonconformity', %s, 'correcting', 'Restores scheduled')$$, :nc),
    'with Citus present and no isms table distributed, a move works');
RESET ROLE;

INSERT INTO pg_catalog.pg_dist_partition VALUES ('isms.transition_log', 'h');
SET LOCAL ROLE cit_editor;
SELECT throws_ok(format($$SELECT isms.transition('isms.nonconformity', %s, 'verifying', 'Restore tested')$$, :nc),
    'IS160', 'table isms.transition_log is distributed by Citus: isms writes it directly and cannot use it',
    'a move whose transition log is a Citus table is refused (IS160)');
SELECT is((SELECT status FROM isms.nonconformity WHERE id = :nc), 'correcting', '... and the record did not move');
RESET ROLE;

INSERT INTO pg_catalog.pg_dist_partition VALUES ('isms_history.process', 'h');
SET LOCAL ROLE cit_editor;
SELECT throws_ok($$UPDATE isms.process SET description = 'Hourly' WHERE org_id = $$ || :org,
    'IS160', 'table isms_history.process is distributed by Citus: isms writes it directly and cannot use it',
    'an update whose history table is a Citus table is refused (IS160)');
SELECT is((SELECT description FROM isms.process WHERE org_id = :org), 'Nightly', '... and did not happen');
RESET ROLE;

-- the hint names the call that undoes it
DELETE FROM pg_catalog.pg_dist_partition;
INSERT INTO pg_catalog.pg_dist_partition VALUES ('isms.trail', 'h');
-- a new index makes the trail's cache look its relations up again, as
-- Citus's create_distributed_table() invalidates them
CREATE INDEX cit_trail_recorded ON isms.trail (recorded_at);
SET LOCAL ROLE cit_editor;
SELECT throws_ok($$SELECT count(*) FROM isms.verify_trail($$ || :org || $$)$$,
    'IS160', 'table isms.trail is distributed by Citus: isms writes it directly and cannot use it',
    'the trail verification of a Citus table is refused (IS160)');
-- (a move's own entry is appended at commit, refused there: test/citus)
SELECT throws_ok(format($$SELECT isms.trail_append(%s, 'isms.nonconformity', %s, 'note', '{}')$$, :org, :nc),
    'IS160', NULL, 'an entry appended to a trail that is a Citus table is refused (IS160)');
RESET ROLE;
CREATE FUNCTION pg_temp.citus_hint(org bigint) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    h text;
BEGIN
    PERFORM isms.verify_trail(org);
    RETURN 'no error';
EXCEPTION WHEN SQLSTATE 'IS160' THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN h;
END $f$;
SELECT is(pg_temp.citus_hint(:org),
    $$Make it a local table again with SELECT undistribute_table('isms.trail'); the README section on Citus says what can be distributed.$$,
    'the hint names undistribute_table() for the table');

-- without the entry, everything works again
DELETE FROM pg_catalog.pg_dist_partition;
DROP INDEX isms.cit_trail_recorded;
SET LOCAL ROLE cit_editor;
SELECT lives_ok(format($$SELECT isms.transition('isms.nonconformity', %s, 'verifying', 'Restore tested')$$, :nc),
    'once no isms table is listed, the move works');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
