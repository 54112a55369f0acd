-- Workflow engine: a bulk UPDATE moving 100,000 records one step
-- (planned -> in_progress), through the C trigger with its log rows, vs the
-- same UPDATE on an identical table without triggers, and vs a PL/pgSQL
-- trigger doing the same checks and log insert, as a user would write it.
-- The floor: the same UPDATE writing, in the same statement, one log row
-- per record into a table shaped as the log, unindexed and with the log's
-- indexes: the least any log of the moves costs.
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;

CREATE TABLE bench.wf_plain (org_id bigint NOT NULL, id bigint NOT NULL, status text NOT NULL DEFAULT 'planned',
    cycle integer NOT NULL DEFAULT 1, title text, owner text, PRIMARY KEY (org_id, id));
CREATE INDEX ON bench.wf_plain (id);
CREATE TABLE bench.wf_c (LIKE bench.wf_plain INCLUDING ALL);
CREATE TABLE bench.wf_plpgsql (LIKE bench.wf_plain INCLUDING ALL);

-- the engine, bound to its own copy of the corrective action workflow
INSERT INTO isms.workflow (workflow, record_label) VALUES ('bench', 'bench record');
INSERT INTO isms.workflow_state (workflow, state, phase, is_initial, is_terminal, ordinal)
SELECT 'bench', state, phase, is_initial, is_terminal, ordinal FROM isms.workflow_state WHERE workflow = 'corrective_action';
INSERT INTO isms.workflow_transition (workflow, from_state, to_state, guard, reason_required)
SELECT 'bench', from_state, to_state, NULL, reason_required FROM isms.workflow_transition WHERE workflow = 'corrective_action';
\o /dev/null
SELECT isms.attach_workflow('bench.wf_c', 'bench');
\o

-- what a user would write instead: look the move up, refuse, log
CREATE TABLE bench.wf_log (LIKE isms.transition_log INCLUDING ALL);
-- the floor's copies of the log
CREATE TABLE bench.wf_floor (LIKE isms.transition_log INCLUDING DEFAULTS);
CREATE TABLE bench.wf_floor_ix (LIKE isms.transition_log INCLUDING ALL);
CREATE FUNCTION bench.wf_plpgsql_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tr record;
BEGIN
    IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
        IF EXISTS (SELECT 1 FROM isms.workflow_state WHERE workflow = 'bench' AND state = OLD.status AND is_terminal) THEN
            RAISE EXCEPTION 'record % is closed', OLD.id USING ERRCODE = 'IS003';
        END IF;
        RETURN NEW;
    END IF;
    SELECT t.*, f.phase AS from_phase, s.phase AS to_phase INTO tr
      FROM isms.workflow_transition t
      JOIN isms.workflow_state f ON f.workflow = t.workflow AND f.state = t.from_state
      JOIN isms.workflow_state s ON s.workflow = t.workflow AND s.state = t.to_state
     WHERE t.workflow = 'bench' AND t.from_state = OLD.status AND t.to_state = NEW.status;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cannot move % from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'IS001';
    END IF;
    IF tr.reason_required AND coalesce(current_setting('isms.reason', true), '') = '' THEN
        RAISE EXCEPTION 'a reason is required' USING ERRCODE = 'IS002';
    END IF;
    INSERT INTO bench.wf_log (org_id, record_table, record_id, cycle, from_state, to_state,
                              actor, reason, at, xact_id)
    VALUES (NEW.org_id, TG_RELID, NEW.id, NEW.cycle, OLD.status, NEW.status,
            coalesce(nullif(current_setting('isms.actor', true), ''), current_user),
            nullif(current_setting('isms.reason', true), ''), clock_timestamp(), pg_current_xact_id());
    RETURN NEW;
END $$;
CREATE TRIGGER wf BEFORE UPDATE ON bench.wf_plpgsql FOR EACH ROW EXECUTE FUNCTION bench.wf_plpgsql_trigger();

-- Each run reloads the table and commits (not timed), checkpoints so every
-- run starts alike, then times the one UPDATE in its own transaction, its
-- commit (where the seal is made) included.  The time is the backend's CPU
-- time (bench.cpu_ms()): the machine is shared, and wall time moves with
-- other processes' load; the commit's wait for the WAL flush is left out.
CREATE TABLE bench.wf_times (tbl text, ms numeric);
CREATE PROCEDURE bench.wf_run(tbl text, floor text DEFAULT NULL) LANGUAGE plpgsql AS $$
DECLARE c0 numeric;
BEGIN
    EXECUTE format('ALTER TABLE %s DISABLE TRIGGER USER', tbl);
    EXECUTE format('TRUNCATE %s', tbl);
    EXECUTE format('INSERT INTO %s (org_id, id, title, owner) SELECT 1 + g %% 10, g, ''record '' || g, ''owner'' FROM generate_series(1, 100000) g', tbl);
    EXECUTE format('ALTER TABLE %s ENABLE TRIGGER USER', tbl);
    -- the log is append-only; the bench (a superuser) resets it between runs
    ALTER TABLE isms.transition_log DISABLE TRIGGER transition_log_append_only;
    TRUNCATE isms.transition_log, bench.wf_log, bench.wf_floor, bench.wf_floor_ix;
    ALTER TABLE isms.transition_log ENABLE ALWAYS TRIGGER transition_log_append_only;
    COMMIT;
    CHECKPOINT;
    c0 := bench.cpu_ms();
    IF floor IS NULL THEN
        EXECUTE format('UPDATE %s SET status = ''in_progress''', tbl);
    ELSE
        EXECUTE format('WITH l AS (INSERT INTO %s (log_id, org_id, record_table, record_id, cycle, from_state, to_state, '
                       'actor, reason, at, xact_id, record_table_name, login_role) '
                       'SELECT nextval(''isms.transition_log_log_id_seq''), org_id, %L::regclass, id, cycle, status, ''in_progress'', '
                       'current_user, NULL, statement_timestamp(), pg_current_xact_id(), %L, session_user FROM %s) '
                       'UPDATE %s SET status = ''in_progress''', floor, tbl, tbl, tbl, tbl);
    END IF;
    COMMIT;
    INSERT INTO bench.wf_times VALUES (coalesce(floor, tbl), bench.cpu_ms() - c0);
    COMMIT;
END $$;
-- a warm-up round, then five interleaved rounds, so drift in the machine's
-- speed hits all three alike
CREATE PROCEDURE bench.wf_round() LANGUAGE plpgsql AS $$ BEGIN
    CALL bench.wf_run('bench.wf_plain');
    CALL bench.wf_run('bench.wf_plain', 'bench.wf_floor');
    CALL bench.wf_run('bench.wf_plain', 'bench.wf_floor_ix');
    CALL bench.wf_run('bench.wf_c');
    CALL bench.wf_run('bench.wf_plpgsql');
END $$;
CALL bench.wf_round();
TRUNCATE bench.wf_times;
CALL bench.wf_round();
CALL bench.wf_round();
CALL bench.wf_round();
CALL bench.wf_round();
CALL bench.wf_round();
CREATE TEMP TABLE wf_median AS
SELECT (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE tbl = 'bench.wf_plain'))::numeric(12, 1) AS plain,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE tbl = 'bench.wf_floor'))::numeric(12, 1) AS floor,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE tbl = 'bench.wf_floor_ix'))::numeric(12, 1) AS floor_ix,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE tbl = 'bench.wf_c'))::numeric(12, 1) AS c,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE tbl = 'bench.wf_plpgsql'))::numeric(12, 1) AS plpgsql
  FROM bench.wf_times;

\o /dev/null
SELECT bench.report('workflow: floor (UPDATE 100,000 rows + INSERT of a log row each, unindexed)', floor,
                    'same UPDATE, no trigger', plain, 'info: least any log costs', NULL) FROM wf_median;
SELECT bench.report('workflow: floor, the log rows indexed as isms.transition_log', floor_ix,
                    'same UPDATE, no trigger', plain, 'info', NULL) FROM wf_median;
SELECT bench.report('workflow: UPDATE 100,000 status moves, C trigger + log + seal (CPU ms)', c,
                    'same UPDATE, no trigger', plain, '<= 1.30x', c / plain <= 1.30) FROM wf_median;
SELECT bench.report('workflow: C trigger + log + seal over the indexed floor', c,
                    'floor, indexed', floor_ix, 'info', NULL) FROM wf_median;
SELECT bench.report('workflow: PL/pgSQL trigger + log', plpgsql,
                    'C trigger + log', c, 'C >= 1.8x faster', plpgsql / c >= 1.8) FROM wf_median;
\o
DROP TABLE bench.wf_plain, bench.wf_c, bench.wf_plpgsql, bench.wf_log, bench.wf_floor, bench.wf_floor_ix, bench.wf_times;
DROP PROCEDURE bench.wf_round();
DROP PROCEDURE bench.wf_run(text, text);
DELETE FROM isms.workflow WHERE workflow = 'bench';
