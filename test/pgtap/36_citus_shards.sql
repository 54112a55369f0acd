-- Writes on Citus shards, without Citus.  On a worker of a distributed
-- isms a write of a register runs on the organisation's shard, and the
-- shard's copies of isms's triggers fire there: they map the shard to its
-- table through Citus's catalog pg_dist_shard and write the history and
-- the transition log into the shards colocated with it.  Citus's catalog
-- tables are made here by hand (allow_system_table_mods) with the columns
-- isms reads, and a worker's shards are made as Citus makes them: a table
-- named after the table and its shard id, with the table's triggers.
-- test/citus/run.sh runs the same on a real Citus cluster.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
SET LOCAL search_path = public, isms;
SELECT plan(15);

INSERT INTO isms.organization (code, name) VALUES ('SHD', 'Shards Ltd');
SELECT org_id AS org FROM isms.organization WHERE code = 'SHD' \gset
CREATE ROLE shd_editor;
GRANT isms_editor TO shd_editor;
INSERT INTO isms.membership (org_id, role_name) VALUES (:org, 'shd_editor');

SET LOCAL allow_system_table_mods = on;
CREATE TABLE pg_catalog.pg_dist_partition (logicalrelid regclass NOT NULL, partmethod "char" NOT NULL);
CREATE UNIQUE INDEX pg_dist_partition_logical_relid_index ON pg_catalog.pg_dist_partition (logicalrelid);
CREATE TABLE pg_catalog.pg_dist_shard (logicalrelid regclass NOT NULL, shardid bigint NOT NULL,
    shardstorage "char" NOT NULL, shardalias_dropped text, shardminvalue text, shardmaxvalue text);
CREATE UNIQUE INDEX pg_dist_shard_shardid_index ON pg_catalog.pg_dist_shard (shardid);
CREATE INDEX pg_dist_shard_logical_relid_index ON pg_catalog.pg_dist_shard (logicalrelid, shardid);
RESET allow_system_table_mods;

-- one shard of each table, for every hash of org_id; the coordinator's
-- tables are shells
INSERT INTO pg_catalog.pg_dist_partition VALUES
    ('isms.process', 'h'), ('isms_history.process', 'h'),
    ('isms.nonconformity', 'h'), ('isms_history.nonconformity', 'h'), ('isms.transition_log', 'h');
INSERT INTO pg_catalog.pg_dist_shard VALUES
    ('isms.process', 102001, 't', NULL, '-2147483648', '2147483647'),
    ('isms_history.process', 102002, 't', NULL, '-2147483648', '2147483647'),
    ('isms.nonconformity', 102003, 't', NULL, '-2147483648', '2147483647'),
    ('isms.transition_log', 102004, 't', NULL, '-2147483648', '2147483647'),
    ('isms_history.nonconformity', 102005, 't', NULL, '-2147483648', '2147483647');

-- the shards, with the tables' triggers and the log's indexes
CREATE TABLE isms.process_102001 (LIKE isms.process INCLUDING ALL);
CREATE TABLE isms_history.process_102002 (LIKE isms_history.process INCLUDING ALL);
CREATE TABLE isms.nonconformity_102003 (LIKE isms.nonconformity INCLUDING ALL);
CREATE TABLE isms_history.nonconformity_102005 (LIKE isms_history.nonconformity INCLUDING ALL);
GRANT SELECT, INSERT, UPDATE, DELETE ON isms.nonconformity_102003 TO shd_editor;
CREATE TABLE isms.transition_log_102004 (LIKE isms.transition_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
GRANT SELECT ON isms.transition_log_102004 TO shd_editor;
ALTER TABLE isms.transition_log_102004 ADD CONSTRAINT transition_log_pkey_102004 PRIMARY KEY (org_id, log_id);
SELECT replace(replace(pg_get_indexdef('isms.transition_log_record'::regclass),
        'INDEX transition_log_record ', 'INDEX transition_log_record_102004 '),
        ' ON isms.transition_log ', ' ON isms.transition_log_102004 ') AS record_index \gset
:record_index;
-- a table named like a shard whose id Citus does not list
CREATE TABLE isms.process_999 (LIKE isms.process INCLUDING ALL);
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.tgrelid = 'isms.process'::regclass AS process, pg_get_triggerdef(t.oid) AS def
               FROM pg_trigger t
              WHERE t.tgrelid IN ('isms.process'::regclass, 'isms.nonconformity'::regclass)
                AND NOT t.tgisinternal LOOP
        IF r.process THEN
            EXECUTE replace(r.def, ' ON isms.process ', ' ON isms.process_102001 ');
            EXECUTE replace(r.def, ' ON isms.process ', ' ON isms.process_999 ');
        ELSE
            EXECUTE replace(r.def, ' ON isms.nonconformity ', ' ON isms.nonconformity_102003 ');
        END IF;
    END LOOP;
END $$;

------------------------------------------------------------------------------
-- History on the register's shard goes into the history table's shard
INSERT INTO isms.process_102001 (org_id, name, pdca_phase, owner) VALUES (:org, 'Backup', 'do', 'IT lead');
SELECT lives_ok($$UPDATE isms.process_102001 SET description = 'Nightly' WHERE org_id = $$ || :org,
    'an UPDATE of a register''s shard captures history');
SELECT is((SELECT count(*) || ' ' || coalesce(max(description), '-') FROM isms_history.process_102002),
    '1 -', '... the superseded version is in the history table''s colocated shard');
SELECT is((SELECT count(*) FROM ONLY isms_history.process), 0::bigint, '... and nothing in the shell');
SELECT is((SELECT count(*) FROM isms.process_102001 WHERE description = 'Nightly'), 1::bigint,
    '... and the shard holds the new version');

-- the shell itself is no shard: its history table is a Citus table
INSERT INTO isms.process (org_id, name, pdca_phase, owner) VALUES (:org, 'Restore', 'do', 'IT lead');
SELECT throws_ok($$UPDATE isms.process SET description = 'Weekly' WHERE org_id = $$ || :org,
    'IS160', 'table isms_history.process is distributed by Citus: isms writes it directly and cannot use it',
    'an UPDATE of the shell is refused (IS160)');

-- a table named like a shard is not one unless pg_dist_shard lists its id
INSERT INTO isms.process_999 (org_id, name, pdca_phase, owner) VALUES (:org, 'Decoy', 'do', 'IT lead');
SELECT throws_ok($$UPDATE isms.process_999 SET description = 'Weekly' WHERE org_id = $$ || :org,
    'IS160', 'table isms_history.process is distributed by Citus: isms writes it directly and cannot use it',
    'a table only named like a shard writes the history table it names, here a Citus table: refused (IS160)');

------------------------------------------------------------------------------
-- The workflow on the register's shard logs into the log's shard, naming
-- the table, never the shard
SET LOCAL ROLE shd_editor;
INSERT INTO isms.nonconformity_102003 (org_id, title, description, source, owner)
    VALUES (:org, 'Backups not tested', 'No restore test', 'internal_audit', 'IT lead')
    RETURNING id AS nc \gset
SELECT is((SELECT string_agg(coalesce(from_state, '-') || '>' || to_state || ' ' || (record_table = 'isms.nonconformity'::regclass) || ' ' || record_table_name, ', ')
             FROM isms.transition_log_102004 WHERE record_id = :nc),
    '->reported true isms.nonconformity',
    'a creation on the shard is logged in the log''s shard, for the table');
SELECT is((SELECT count(*) FROM ONLY isms.transition_log), 0::bigint, '... and nothing in the shell');
SELECT lives_ok(format($$SET LOCAL isms.reason = 'Cause found'; UPDATE isms.nonconformity_102003 SET status = 'analysed' WHERE id = %s$$, :nc),
    'a move on the shard is checked and logged');
SELECT is((SELECT string_agg(from_state || '>' || to_state || ' ' || reason, ', ')
             FROM isms.transition_log_102004 WHERE record_id = :nc AND from_state IS NOT NULL),
    'reported>analysed Cause found', '... in the log''s shard, with its reason');
SELECT throws_ok(format($$UPDATE isms.nonconformity_102003 SET status = 'closed' WHERE id = %s$$, :nc),
    'IS001', NULL, 'a move the workflow does not allow is refused on the shard (IS001)');
SELECT throws_ok(format($$DELETE FROM isms.nonconformity_102003 WHERE id = %s$$, :nc),
    'IS090', NULL, 'a record that has moved cannot be deleted: its moves are read in the log''s shard (IS090)');
RESET ROLE;

------------------------------------------------------------------------------
-- A shard with no colocated shard of the table it writes on this node
ALTER TABLE isms_history.process_102002 RENAME TO process_102002_elsewhere;
SELECT throws_ok($$UPDATE isms.process_102001 SET description = 'Hourly' WHERE org_id = $$ || :org,
    'IS160', 'table isms_history.process is distributed by Citus and this node does not hold a shard colocated with process_102001',
    'a shard whose colocated history shard is not on this node is refused (IS160)');
SELECT is((SELECT description FROM isms.process_102001 WHERE org_id = :org), 'Nightly', '... and nothing changed');

-- without Citus's catalog, the tables are plain tables again
DROP TABLE pg_catalog.pg_dist_shard, pg_catalog.pg_dist_partition;
SELECT lives_ok($$UPDATE isms.process SET description = 'Weekly' WHERE org_id = $$ || :org,
    'without Citus''s catalog the register writes its history as before');

SELECT * FROM finish();
ROLLBACK;
