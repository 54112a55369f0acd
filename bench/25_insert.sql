-- The write path of a new record: a bulk INSERT of 100,000 rows by a
-- member role (the checks of isms.stamp() run for members only).
--   stamp       a register-shaped table, identity id, isms.stamp(): the
--               check that the id is the one the identity sequence has just
--               handed out (no member-chosen ids), vs the same table whose
--               id is a plain DEFAULT nextval() (no identity: no check)
--   workflow    the same INSERT into a workflow table: the engine's checks
--               and the creation log rows written once the rows are
--               inserted (an AFTER INSERT row trigger), sealed at commit,
--               vs the same INSERT with no trigger
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_member') THEN
        CREATE ROLE bench_member NOLOGIN;
    END IF;
END $$;
GRANT isms_editor TO bench_member;
GRANT USAGE ON SCHEMA bench TO bench_member;

CREATE TABLE bench.ins_identity (org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY,
    title text NOT NULL, owner text NOT NULL,
    created_at timestamptz, created_by text, updated_at timestamptz, updated_by text,
    PRIMARY KEY (org_id, id));
CREATE SEQUENCE bench.ins_default_seq;
CREATE TABLE bench.ins_default (org_id bigint NOT NULL, id bigint NOT NULL DEFAULT nextval('bench.ins_default_seq'),
    title text NOT NULL, owner text NOT NULL,
    created_at timestamptz, created_by text, updated_at timestamptz, updated_by text,
    PRIMARY KEY (org_id, id));
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON bench.ins_identity FOR EACH ROW EXECUTE FUNCTION isms.stamp();
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON bench.ins_default FOR EACH ROW EXECUTE FUNCTION isms.stamp();

CREATE TABLE bench.ins_wf (org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY,
    status text NOT NULL DEFAULT 'planned', cycle integer NOT NULL DEFAULT 1, title text, owner text,
    PRIMARY KEY (org_id, id));
CREATE TABLE bench.ins_plain (LIKE bench.ins_wf INCLUDING ALL);
INSERT INTO isms.workflow (workflow, record_label) VALUES ('bench_ins', 'bench record');
INSERT INTO isms.workflow_state (workflow, state, phase, is_initial, is_terminal, ordinal)
SELECT 'bench_ins', state, phase, is_initial, is_terminal, ordinal FROM isms.workflow_state WHERE workflow = 'corrective_action';
INSERT INTO isms.workflow_transition (workflow, from_state, to_state, guard, reason_required)
SELECT 'bench_ins', from_state, to_state, NULL, reason_required FROM isms.workflow_transition WHERE workflow = 'corrective_action';
\o /dev/null
SELECT isms.attach_workflow('bench.ins_wf', 'bench_ins');
\o
GRANT SELECT, INSERT ON bench.ins_identity, bench.ins_default, bench.ins_wf, bench.ins_plain TO bench_member;
GRANT USAGE ON SEQUENCE bench.ins_default_seq TO bench_member;

-- Each run empties the table (and the log) and commits, untimed, then
-- times the INSERT as the member, its commit (the seal) included, in CPU ms.
CREATE TABLE bench.ins_times (tbl text, ms numeric);
CREATE PROCEDURE bench.ins_run(tbl text) LANGUAGE plpgsql AS $$
DECLARE c0 numeric; c1 numeric;
BEGIN
    EXECUTE format('TRUNCATE %s', tbl);
    ALTER TABLE isms.transition_log DISABLE TRIGGER transition_log_append_only;
    TRUNCATE isms.transition_log;
    ALTER TABLE isms.transition_log ENABLE ALWAYS TRIGGER transition_log_append_only;
    COMMIT;
    c0 := bench.cpu_ms();
    PERFORM set_config('role', 'bench_member', true);
    EXECUTE format('INSERT INTO %s (org_id, title, owner) SELECT 1 + g %% 10, ''record '' || g, ''owner'' FROM generate_series(1, 100000) g', tbl);
    PERFORM set_config('role', 'none', true);
    COMMIT;
    c1 := bench.cpu_ms();
    INSERT INTO bench.ins_times VALUES (tbl, c1 - c0);
    COMMIT;
END $$;
CALL bench.ins_run('bench.ins_identity');
CALL bench.ins_run('bench.ins_default');
CALL bench.ins_run('bench.ins_wf');
CALL bench.ins_run('bench.ins_plain');
TRUNCATE bench.ins_times;
DO $$ BEGIN FOR i IN 1..5 LOOP
    CALL bench.ins_run('bench.ins_identity');
    CALL bench.ins_run('bench.ins_default');
    CALL bench.ins_run('bench.ins_wf');
    CALL bench.ins_run('bench.ins_plain');
END LOOP; END $$;
CREATE TEMP TABLE ins_median AS
SELECT tbl, (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric(12, 1) AS ms
  FROM bench.ins_times GROUP BY tbl;

\o /dev/null
SELECT bench.report('INSERT 100,000 register rows by a member, isms.stamp() with the id check (CPU ms)',
                    (SELECT ms FROM ins_median WHERE tbl = 'bench.ins_identity'),
                    'same INSERT, isms.stamp(), id a plain DEFAULT (no check)',
                    (SELECT ms FROM ins_median WHERE tbl = 'bench.ins_default'), '<= 1.10x',
                    (SELECT i.ms / d.ms <= 1.10 FROM ins_median i, ins_median d
                      WHERE i.tbl = 'bench.ins_identity' AND d.tbl = 'bench.ins_default'));
SELECT bench.report('INSERT 100,000 workflow records by a member, engine + creation log + seal (CPU ms)',
                    (SELECT ms FROM ins_median WHERE tbl = 'bench.ins_wf'),
                    'same INSERT, no trigger', (SELECT ms FROM ins_median WHERE tbl = 'bench.ins_plain'),
                    'information', NULL);
\o
DROP TABLE bench.ins_identity, bench.ins_default, bench.ins_wf, bench.ins_plain, bench.ins_times;
DROP SEQUENCE bench.ins_default_seq;
DROP PROCEDURE bench.ins_run(text);
DELETE FROM isms.workflow WHERE workflow = 'bench_ins';
