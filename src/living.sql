-- A living ISMS: reminders and escalation (the task register and the
-- sweep, scheduled with pg_cron where present) and policy acknowledgement
-- (A.5.1, A.6.3).  The sweep turns what the reports call overdue into tasks
-- for their owners; every task created, escalated or closed is a workflow
-- move, so it goes out through the outbox (isms.events_after) like every
-- other move: a mail gateway or an intranet app sends the messages.

------------------------------------------------------------------------------
-- The task register.

CREATE TABLE isms.task (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    kind        text NOT NULL CONSTRAINT task_kind_values
                CHECK (kind IN ('review_due', 'document_review_due', 'treatment_plan_overdue',
                                'corrective_action_overdue', 'management_review_due', 'audit_due')),
    record_table regclass NOT NULL,
    record_id   bigint NOT NULL,
    title       text NOT NULL CONSTRAINT task_title_given CHECK (btrim(title) <> ''),
    owner       text NOT NULL CONSTRAINT task_owner_given CHECK (btrim(owner) <> ''),
    due_at      timestamptz NOT NULL,
    escalation_level integer NOT NULL DEFAULT 0
                CONSTRAINT task_escalation_level_range CHECK (escalation_level BETWEEN 0 AND 2),
    escalated_to text,
    escalated_at timestamptz,
    closed_at   timestamptz,
    status      text NOT NULL DEFAULT 'open',
    cycle       integer NOT NULL DEFAULT 1 CONSTRAINT task_cycle_positive CHECK (cycle >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT task_escalated_when_level CHECK ((escalation_level = 0) = (escalated_at IS NULL)),
    CONSTRAINT task_level_2_has_escalated_to CHECK ((escalation_level = 2) = (escalated_to IS NOT NULL)),
    CONSTRAINT task_closed_when_final CHECK ((closed_at IS NOT NULL) = (status IN ('done', 'cancelled'))),
    CONSTRAINT task_title_max_500_chars CHECK (pg_catalog.char_length(title) <= 500),
    CONSTRAINT task_owner_max_128_chars CHECK (pg_catalog.char_length(owner) <= 128),
    CONSTRAINT task_escalated_to_max_128_chars CHECK (pg_catalog.char_length(escalated_to) <= 128)
);
-- one open task per cause: two sweeps at once cannot both create it
CREATE UNIQUE INDEX task_open_cause ON isms.task (org_id, kind, record_table, record_id)
    WHERE status NOT IN ('done', 'cancelled');
COMMENT ON TABLE isms.task IS
    'Clauses 8.1, 9.1: reminders: a task for the owner of every overdue review, treatment plan, corrective action, management review, audit and document review, made, escalated and closed by isms.sweep(); moved by the task workflow';
COMMENT ON COLUMN isms.task.kind IS 'What is overdue: review_due (a register row''s periodic review), document_review_due, treatment_plan_overdue, corrective_action_overdue, management_review_due or audit_due';
COMMENT ON COLUMN isms.task.record_table IS 'Register of the record the task is about';
COMMENT ON COLUMN isms.task.record_id IS 'id of the record the task is about, in record_table';
COMMENT ON COLUMN isms.task.title IS 'What to do, such as "Review Risks: Customer data leak"';
COMMENT ON COLUMN isms.task.owner IS 'Person the task is for: the record''s owner (a management review''s chair, an audit''s lead auditor)';
COMMENT ON COLUMN isms.task.due_at IS 'When the record fell due: its review due date, or the start of the due date of a plan or action, the planned date of a management review, the planned end of an audit';
COMMENT ON COLUMN isms.task.escalation_level IS '0 on creation; 1 once overdue for the organisation''s remind_after (the owner is reminded); 2 once overdue for escalate_after (escalated to escalate_to); never lowered';
COMMENT ON COLUMN isms.task.escalated_to IS 'Person or role the task was escalated to at level 2 (isms.task_setting.escalate_to then)';
COMMENT ON COLUMN isms.task.escalated_at IS 'When the task last rose a level; NULL at level 0';
COMMENT ON COLUMN isms.task.closed_at IS 'When the task was done or cancelled; NULL while open';

CREATE FUNCTION isms.task_close() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.status OPERATOR(pg_catalog.=) ANY ('{done,cancelled}'::text[]) AND NEW.closed_at IS NULL THEN
        NEW.closed_at := pg_catalog.statement_timestamp();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.task_close() IS
    'Trigger: a task moved to done or cancelled gets its closed_at (the statement''s time) unless the sweep set it';
REVOKE ALL ON FUNCTION isms.task_close() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.task_close() TO isms_reader;
CREATE TRIGGER task_close BEFORE UPDATE OF status ON isms.task
    FOR EACH ROW EXECUTE FUNCTION isms.task_close();

INSERT INTO isms.register
    (relid, name, clause, title, reviewable, default_review_interval, has_workflow, initial_status, audit_record)
VALUES ('isms.task', 'task', '9.1', 'Tasks and reminders', false, NULL, true, 'open', false);
SELECT isms.setup_register('isms.task');
REVOKE ALL ON SEQUENCE isms.task_id_seq FROM PUBLIC;

INSERT INTO isms.workflow (workflow, record_label, description) VALUES
 ('task', 'task', 'Clauses 8.1, 9.1: a reminder of something overdue, escalated by the sweep and closed when done or when its cause is gone');
INSERT INTO isms.workflow_state (workflow, state, phase, is_initial, is_terminal, ordinal, description) VALUES
 ('task', 'open',         'plan', true,  false, 1, 'Task created for the owner'),
 ('task', 'acknowledged', 'do',   false, false, 2, 'The owner has taken the task on'),
 ('task', 'reminded',     'do',   false, false, 3, 'Escalation level 1: overdue past remind_after, the owner reminded'),
 ('task', 'escalated',    'do',   false, false, 4, 'Escalation level 2: overdue past escalate_after, escalated to escalate_to'),
 ('task', 'done',         'check', false, true, 5, 'Done: the owner has dealt with the overdue record'),
 ('task', 'cancelled',    'plan', false, true,  6, 'Cause gone (or the task is not needed)');
INSERT INTO isms.workflow_transition (workflow, from_state, to_state, guard, reason_required) VALUES
 ('task', 'open',         'acknowledged', NULL, false),
 ('task', 'open',         'reminded',     NULL, false),
 ('task', 'open',         'escalated',    NULL, false),
 ('task', 'acknowledged', 'reminded',     NULL, false),
 ('task', 'acknowledged', 'escalated',    NULL, false),
 ('task', 'reminded',     'acknowledged', NULL, false),
 ('task', 'reminded',     'escalated',    NULL, false),
 ('task', 'escalated',    'acknowledged', NULL, false),
 ('task', 'acknowledged', 'done',         NULL, false),
 ('task', 'reminded',     'done',         NULL, false),
 ('task', 'escalated',    'done',         NULL, false),
 ('task', 'open',         'cancelled',    NULL, true),
 ('task', 'acknowledged', 'cancelled',    NULL, true),
 ('task', 'reminded',     'cancelled',    NULL, true),
 ('task', 'escalated',    'cancelled',    NULL, true);
SELECT isms.attach_workflow('isms.task', 'task');
SELECT isms.enable_history('isms.task');
SELECT isms.build_register_row();

------------------------------------------------------------------------------
-- Escalation thresholds, per organisation.

CREATE TABLE isms.task_setting (
    org_id      bigint NOT NULL REFERENCES isms.organization PRIMARY KEY,
    remind_after interval NOT NULL DEFAULT interval '7 days',
    escalate_after interval NOT NULL DEFAULT interval '14 days',
    escalate_to text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    CONSTRAINT task_setting_remind_after_range
        CHECK (remind_after BETWEEN interval '0' AND interval '1 year'),
    CONSTRAINT task_setting_escalate_after_later
        CHECK (escalate_after > remind_after AND escalate_after <= interval '2 years'),
    CONSTRAINT task_setting_escalate_to_given CHECK (btrim(escalate_to) <> ''),
    CONSTRAINT task_setting_escalate_to_max_128_chars CHECK (pg_catalog.char_length(escalate_to) <= 128)
);
COMMENT ON TABLE isms.task_setting IS
    'Settings (9.1): an organisation''s escalation thresholds for the tasks of isms.sweep(); without a row, 7 and 14 days and no level 2';
COMMENT ON COLUMN isms.task_setting.org_id IS 'Organisation';
COMMENT ON COLUMN isms.task_setting.remind_after IS 'Overdue for this long (0 to 1 year), a task rises to level 1: the owner is reminded';
COMMENT ON COLUMN isms.task_setting.escalate_after IS 'Overdue for this long (longer than remind_after, at most 2 years), a task rises to level 2: escalated to escalate_to';
COMMENT ON COLUMN isms.task_setting.escalate_to IS 'Person or role a task is escalated to at level 2, such as the CISO; NULL: no level 2';
SELECT isms.comment_common_columns('isms.task_setting');
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON isms.task_setting FOR EACH ROW EXECUTE FUNCTION isms.stamp();
ALTER TABLE isms.task_setting ENABLE ROW LEVEL SECURITY;
ALTER TABLE isms.task_setting FORCE ROW LEVEL SECURITY;
CREATE POLICY member ON isms.task_setting USING (org_id = ANY (isms.visible_orgs()))
    WITH CHECK (org_id = ANY (isms.visible_orgs()));
REVOKE ALL ON isms.task_setting FROM PUBLIC;
GRANT SELECT ON isms.task_setting TO isms_reader;
GRANT INSERT, UPDATE, DELETE ON isms.task_setting TO isms_editor;
SELECT pg_catalog.pg_extension_config_dump('isms.task_setting', '');

------------------------------------------------------------------------------
-- What is overdue: the causes of tasks.  Reviews come from isms.stale_items
-- (the staleness report's own rule); plans, actions, management reviews and
-- audits by the rules of the readiness checks (src/metrics.sql): due before
-- the day of at and not in a final state, a management review planned
-- before that day and not held by then.

CREATE FUNCTION isms.task_causes(at timestamptz DEFAULT now())
RETURNS TABLE (org_id bigint, kind text, record_table regclass, record_id bigint, title text,
               owner text, due_at timestamptz, days_overdue integer)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    t constant timestamptz := isms.report_time('at', $1);
    d constant date := t::date;
BEGIN
    RETURN QUERY
    SELECT s.org_id,
           CASE WHEN s.register OPERATOR(pg_catalog.=) 'document' THEN 'document_review_due' ELSE 'review_due' END,
           g.relid, s.record_id,
           pg_catalog.format('Review %s: %s', g.title, s.label), s.owner, s.due_at, s.days_overdue
      FROM isms.stale_items(t) s
      JOIN isms.register g ON g.name OPERATOR(pg_catalog.=) s.register
     WHERE s.owner IS NOT NULL;
    RETURN QUERY
    SELECT p.org_id, 'treatment_plan_overdue'::text, 'isms.treatment_plan'::regclass, p.id,
           pg_catalog.format('Complete treatment plan: %s', p.title), p.owner, p.due_on::timestamptz,
           (d OPERATOR(pg_catalog.-) p.due_on)
      FROM isms.treatment_plan p
     WHERE p.due_on OPERATOR(pg_catalog.<) d
       AND p.status OPERATOR(pg_catalog.=) ANY ('{planned,approved,in_progress}'::text[]);
    RETURN QUERY
    SELECT a.org_id, 'corrective_action_overdue'::text, 'isms.corrective_action'::regclass, a.id,
           pg_catalog.format('Complete corrective action: %s', a.action), a.owner, a.due_on::timestamptz,
           (d OPERATOR(pg_catalog.-) a.due_on)
      FROM isms.corrective_action a
     WHERE a.due_on OPERATOR(pg_catalog.<) d
       AND NOT EXISTS (SELECT 1 FROM isms.workflow_state ws
                        WHERE ws.workflow OPERATOR(pg_catalog.=) 'corrective_action'
                          AND ws.is_terminal AND ws.state OPERATOR(pg_catalog.=) a.status);
    RETURN QUERY
    SELECT m.org_id, 'management_review_due'::text, 'isms.management_review'::regclass, m.id,
           pg_catalog.format('Hold management review: %s', m.title), m.chair, m.planned_on::timestamptz,
           (d OPERATOR(pg_catalog.-) m.planned_on)
      FROM isms.management_review m
     WHERE m.planned_on OPERATOR(pg_catalog.<) d
       AND (m.held_on IS NULL OR m.held_on OPERATOR(pg_catalog.>) d);
    RETURN QUERY
    SELECT a.org_id, 'audit_due'::text, 'isms.audit'::regclass, a.id,
           pg_catalog.format('Complete audit: %s', a.title), a.lead_auditor, a.planned_end::timestamptz,
           (d OPERATOR(pg_catalog.-) a.planned_end)
      FROM isms.audit a
     WHERE a.planned_end OPERATOR(pg_catalog.<) d
       AND NOT EXISTS (SELECT 1 FROM isms.workflow_state ws
                        WHERE ws.workflow OPERATOR(pg_catalog.=) 'audit'
                          AND ws.is_terminal AND ws.state OPERATOR(pg_catalog.=) a.status);
END
$$;
COMMENT ON FUNCTION isms.task_causes(timestamptz) IS
    'What is overdue at at, in the caller''s organisations, one row per record that needs a task: overdue reviews (isms.stale_items; documents as document_review_due), treatment plans not implemented by their due date, open corrective actions past their due date, management reviews not held by their planned date, audits not completed or cancelled by their planned end; with the owner, the due time and the days overdue';
REVOKE ALL ON FUNCTION isms.task_causes(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.task_causes(timestamptz) TO isms_reader;

------------------------------------------------------------------------------
-- The sweep.  Set-based: one statement creates the missing tasks and
-- cancels those whose cause is gone, one per level escalates; a
-- per-organisation advisory lock (taken in
-- org_id order) makes a second sweep wait, and the unique index on open
-- causes keeps it from creating a task twice under any isolation level.
-- Each move's reason is set per row (isms.reason) inside the statement, so
-- the outbox event says why; the caller's isms.reason (and isms.org, which
-- a sweep of one organisation narrows to it) is restored after.

CREATE FUNCTION isms.sweep(org_code text DEFAULT NULL, at timestamptz DEFAULT now())
RETURNS TABLE (org_id bigint, code text, created integer, escalated integer, closed integer)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    t constant timestamptz := isms.report_time('at', $2);
    orgs bigint[];
    o bigint;
    saved_reason text := pg_catalog.current_setting('isms.reason', true);
    saved_org text := pg_catalog.current_setting('isms.org', true);
    n_created jsonb;
    n_up2 jsonb;
    n_up1 jsonb;
    n_closed jsonb;
BEGIN
    IF $1 IS NULL THEN
        SELECT coalesce(pg_catalog.array_agg(g.org_id ORDER BY g.org_id), '{}') INTO orgs
          FROM isms.organization g;
    ELSE
        SELECT pg_catalog.array_agg(g.org_id) INTO orgs
          FROM isms.organization g WHERE g.code OPERATOR(pg_catalog.=) $1;
        IF orgs IS NULL THEN
            RAISE EXCEPTION 'cannot sweep organisation "%": it is not one of yours', $1
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = pg_catalog.format('No organisation with code "%s" exists or is visible to role "%s" (isms.member_orgs()).', $1, current_user),
                      HINT = 'Sweep an organisation you are a member of (SELECT code FROM isms.organization), or pass NULL for all of yours.';
        END IF;
    END IF;
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user) THEN
        RAISE EXCEPTION 'cannot sweep as superuser "%"', current_user
            USING ERRCODE = 'IS120',
                  DETAIL = 'The workflow engine takes a superuser''s INSERT for a restore and logs no move, so the new tasks would send no event through the outbox.',
                  HINT = 'Sweep as a role in isms_editor or isms_admin (SET ROLE, or schedule the job as that role: isms.schedule_sweep()).';
    END IF;
    IF NOT pg_catalog.has_table_privilege('isms.task', 'INSERT, UPDATE') THEN
        RAISE EXCEPTION 'role "%" may not sweep: the sweep writes tasks', current_user
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The sweep inserts and updates rows of isms.task, which needs isms_editor.',
                  HINT = 'Run the sweep as a member of isms_editor or isms_admin (the pg_cron job runs as the role that scheduled it).';
    END IF;
    FOREACH o IN ARRAY orgs LOOP
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('isms.sweep'), (o OPERATOR(pg_catalog.%) 2147483647)::integer);
    END LOOP;
    -- one organisation: narrow what the causes read to it (isms.org, as a
    -- pooled session would), so that its sweep reads its own rows only
    -- and takes the same time however many organisations the ISMS holds
    IF $1 IS NOT NULL THEN
        PERFORM pg_catalog.set_config('isms.org', $1, true);
    END IF;

    -- new tasks, one per cause without an open task, and open tasks whose
    -- cause is gone cancelled: one statement over one evaluation of the
    -- causes.  A sweep waiting on the lock sees the tasks the first one
    -- committed (READ COMMITTED); a snapshot older than that (REPEATABLE
    -- READ) meets the unique index instead, and is told to retry.  (No ON
    -- CONFLICT: the workflow engine logs a creation in its BEFORE trigger,
    -- before a conflict would skip the row.)  Each row sets the reason of
    -- its move just before the engine logs it.
    BEGIN
        WITH c AS MATERIALIZED (
            SELECT c.org_id, c.kind, c.record_table, c.record_id, c.title, c.owner, c.due_at
              FROM isms.task_causes(t) c
             WHERE c.org_id OPERATOR(pg_catalog.=) ANY (orgs)),
        ins AS (
            INSERT INTO isms.task AS k (org_id, kind, record_table, record_id, title, owner, due_at)
            SELECT c.org_id, c.kind, c.record_table, c.record_id,
                   CASE WHEN pg_catalog.set_config('isms.reason', 'sweep: overdue', true) IS NOT NULL
                        THEN pg_catalog.left(c.title, 500) END,
                   c.owner, c.due_at
              FROM c
             WHERE NOT EXISTS (SELECT 1 FROM isms.task x
                                WHERE x.org_id OPERATOR(pg_catalog.=) c.org_id
                                  AND x.kind OPERATOR(pg_catalog.=) c.kind
                                  AND x.record_table OPERATOR(pg_catalog.=) c.record_table
                                  AND x.record_id OPERATOR(pg_catalog.=) c.record_id
                                  AND x.status OPERATOR(pg_catalog.<>) ALL ('{done,cancelled}'::text[]))
            RETURNING k.org_id),
        gone AS (
            UPDATE isms.task k
               SET status = CASE WHEN pg_catalog.set_config('isms.reason', 'sweep: cause gone, no longer overdue', true) IS NOT NULL
                                 THEN 'cancelled' END,
                   closed_at = t
             WHERE k.org_id OPERATOR(pg_catalog.=) ANY (orgs)
               AND k.status OPERATOR(pg_catalog.<>) ALL ('{done,cancelled}'::text[])
               AND NOT EXISTS (SELECT 1 FROM c
                                WHERE c.org_id OPERATOR(pg_catalog.=) k.org_id
                                  AND c.kind OPERATOR(pg_catalog.=) k.kind
                                  AND c.record_table OPERATOR(pg_catalog.=) k.record_table
                                  AND c.record_id OPERATOR(pg_catalog.=) k.record_id)
            RETURNING k.org_id)
        SELECT (SELECT pg_catalog.jsonb_object_agg(x.org_id, x.n)
                  FROM (SELECT ins.org_id, count(*) AS n FROM ins GROUP BY ins.org_id) x),
               (SELECT pg_catalog.jsonb_object_agg(x.org_id, x.n)
                  FROM (SELECT gone.org_id, count(*) AS n FROM gone GROUP BY gone.org_id) x)
          INTO n_created, n_closed;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'could not sweep: another sweep created tasks after this transaction''s snapshot'
            USING ERRCODE = 'serialization_failure',
                  DETAIL = 'A concurrent sweep of the same organisation committed first; this one would create its tasks twice.',
                  HINT = 'Retry the transaction (or sweep under READ COMMITTED, where the second sweep waits and creates nothing).';
    END;

    -- escalation of the open tasks: level 2 first (a task may rise from 0
    -- to 2 in one move), then level 1
    WITH lv AS (
        SELECT k.org_id, k.id, s.escalate_to,
               pg_catalog.floor(pg_catalog.date_part('epoch', t OPERATOR(pg_catalog.-) k.due_at) / 86400)::integer AS days,
               CASE WHEN s.escalate_to IS NOT NULL
                         AND t OPERATOR(pg_catalog.-) k.due_at OPERATOR(pg_catalog.>=) s.escalate_after THEN 2
                    WHEN t OPERATOR(pg_catalog.-) k.due_at OPERATOR(pg_catalog.>=) s.remind_after THEN 1
                    ELSE 0 END AS level
          FROM isms.task k
          LEFT JOIN isms.task_setting ts ON ts.org_id OPERATOR(pg_catalog.=) k.org_id
          CROSS JOIN LATERAL (SELECT coalesce(ts.remind_after, interval '7 days') AS remind_after,
                                     coalesce(ts.escalate_after, interval '14 days') AS escalate_after,
                                     ts.escalate_to) s
         WHERE k.org_id OPERATOR(pg_catalog.=) ANY (orgs)
           AND k.status OPERATOR(pg_catalog.<>) ALL ('{done,cancelled}'::text[])
           AND k.due_at OPERATOR(pg_catalog.<) t),
    up AS (
        UPDATE isms.task k
           SET status = CASE WHEN pg_catalog.set_config('isms.reason',
                                  pg_catalog.format('sweep: escalation level 2, %s days overdue, escalated to %s', lv.days, lv.escalate_to),
                                  true) IS NOT NULL THEN 'escalated' END,
               escalation_level = 2, escalated_to = lv.escalate_to, escalated_at = t
          FROM lv
         WHERE k.org_id OPERATOR(pg_catalog.=) lv.org_id AND k.id OPERATOR(pg_catalog.=) lv.id
           AND lv.level OPERATOR(pg_catalog.=) 2 AND k.escalation_level OPERATOR(pg_catalog.<) 2
        RETURNING k.org_id)
    SELECT pg_catalog.jsonb_object_agg(x.org_id, x.n) INTO n_up2
      FROM (SELECT up.org_id, count(*) AS n FROM up GROUP BY up.org_id) x;
    WITH lv AS (
        SELECT k.org_id, k.id,
               pg_catalog.floor(pg_catalog.date_part('epoch', t OPERATOR(pg_catalog.-) k.due_at) / 86400)::integer AS days
          FROM isms.task k
          LEFT JOIN isms.task_setting ts ON ts.org_id OPERATOR(pg_catalog.=) k.org_id
         WHERE k.org_id OPERATOR(pg_catalog.=) ANY (orgs)
           AND k.status OPERATOR(pg_catalog.<>) ALL ('{done,cancelled}'::text[])
           AND k.escalation_level OPERATOR(pg_catalog.=) 0
           AND t OPERATOR(pg_catalog.-) k.due_at OPERATOR(pg_catalog.>=) coalesce(ts.remind_after, interval '7 days')),
    up AS (
        UPDATE isms.task k
           SET status = CASE WHEN pg_catalog.set_config('isms.reason',
                                  pg_catalog.format('sweep: escalation level 1, %s days overdue, owner %s reminded', lv.days, k.owner),
                                  true) IS NOT NULL THEN 'reminded' END,
               escalation_level = 1, escalated_at = t
          FROM lv
         WHERE k.org_id OPERATOR(pg_catalog.=) lv.org_id AND k.id OPERATOR(pg_catalog.=) lv.id
        RETURNING k.org_id)
    SELECT pg_catalog.jsonb_object_agg(x.org_id, x.n) INTO n_up1
      FROM (SELECT up.org_id, count(*) AS n FROM up GROUP BY up.org_id) x;

    PERFORM pg_catalog.set_config('isms.reason', coalesce(saved_reason, ''), true);
    PERFORM pg_catalog.set_config('isms.org', coalesce(saved_org, ''), true);

    RETURN QUERY
    SELECT g.org_id, g.code,
           coalesce((n_created OPERATOR(pg_catalog.->>) g.org_id::text)::integer, 0),
           coalesce((n_up2 OPERATOR(pg_catalog.->>) g.org_id::text)::integer, 0)
               OPERATOR(pg_catalog.+) coalesce((n_up1 OPERATOR(pg_catalog.->>) g.org_id::text)::integer, 0),
           coalesce((n_closed OPERATOR(pg_catalog.->>) g.org_id::text)::integer, 0)
      FROM isms.organization g
     WHERE g.org_id OPERATOR(pg_catalog.=) ANY (orgs)
     ORDER BY g.org_id;
END
$$;
COMMENT ON FUNCTION isms.sweep(text, timestamptz) IS
    'Reminders and escalation at at: creates a task (isms.task) for every overdue item of isms.task_causes(at) that has no open one, escalates open tasks past the organisation''s thresholds (isms.task_setting: level 1 reminds the owner, level 2 escalates to escalate_to), cancels open tasks whose cause is gone; one organisation by code or all of the caller''s (NULL); idempotent; every change is a workflow move, sent through the outbox; returns per organisation the tasks created, escalated and closed';
REVOKE ALL ON FUNCTION isms.sweep(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.sweep(text, timestamptz) TO isms_editor;

------------------------------------------------------------------------------
-- pg_cron.  The job runs SELECT isms.sweep() as the role that scheduled it,
-- in the database named by cron.database_name (or, from pg_cron 1.4 on,
-- in this one through cron.schedule_in_database).

CREATE FUNCTION isms.schedule_sweep(schedule text DEFAULT '*/15 * * * *') RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job bigint;
    cron_db text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RAISE EXCEPTION 'cannot schedule the sweep: pg_cron is not installed in database "%"',
                        pg_catalog.current_database()
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'isms.schedule_sweep() installs a pg_cron job; the extension pg_cron is not created here.',
                  HINT = 'Add pg_cron to shared_preload_libraries, restart, CREATE EXTENSION pg_cron; or have any scheduler run SELECT * FROM isms.sweep() (cron, systemd timers).';
    END IF;
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user) THEN
        RAISE EXCEPTION 'cannot schedule the sweep as superuser "%"', current_user
            USING ERRCODE = 'IS120',
                  DETAIL = 'The pg_cron job runs as the role that schedules it, and a sweep as a superuser sends no events (isms.sweep()).',
                  HINT = 'SET ROLE to a login role in isms_admin with USAGE on schema cron, then SELECT isms.schedule_sweep().';
    END IF;
    IF $1 IS NULL OR pg_catalog.btrim($1) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'cannot schedule the sweep: no schedule given'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('schedule = %s.', coalesce(pg_catalog.quote_literal($1), 'NULL')),
                  HINT = 'Pass a cron schedule such as ''*/15 * * * *''.';
    END IF;
    BEGIN
        cron_db := pg_catalog.current_setting('cron.database_name', true);
    EXCEPTION WHEN insufficient_privilege THEN
        cron_db := NULL;                -- unreadable to a non-superuser: take it to be this one
    END;
    IF coalesce(cron_db, pg_catalog.current_database()) OPERATOR(pg_catalog.=) pg_catalog.current_database() THEN
        EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
            USING 'isms-sweep', $1, 'SELECT * FROM isms.sweep()';
    ELSE
        EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)' INTO job
            USING 'isms-sweep', $1, 'SELECT * FROM isms.sweep()', pg_catalog.current_database();
    END IF;
    RETURN job;
END
$$;
COMMENT ON FUNCTION isms.schedule_sweep(text) IS
    'Installs or replaces the pg_cron job isms-sweep running SELECT * FROM isms.sweep() on schedule (cron syntax), as the calling role; returns the job id; 0A000 when pg_cron is not installed';
REVOKE ALL ON FUNCTION isms.schedule_sweep(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.schedule_sweep(text) TO isms_admin;

CREATE FUNCTION isms.unschedule_sweep() RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RAISE EXCEPTION 'cannot unschedule the sweep: pg_cron is not installed in database "%"',
                        pg_catalog.current_database()
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'isms.unschedule_sweep() removes the pg_cron job isms-sweep; the extension pg_cron is not created here.',
                  HINT = 'Nothing is scheduled by isms without pg_cron; stop the external scheduler that runs isms.sweep().';
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM cron.job j WHERE j.jobname OPERATOR(pg_catalog.=) $1 '
            'AND j.username OPERATOR(pg_catalog.=) current_user)' INTO found USING 'isms-sweep';
    IF found THEN
        EXECUTE 'SELECT cron.unschedule($1)' USING 'isms-sweep';
    END IF;
    RETURN found;
END
$$;
COMMENT ON FUNCTION isms.unschedule_sweep() IS
    'Removes the calling role''s pg_cron job isms-sweep; true if there was one; 0A000 when pg_cron is not installed';
REVOKE ALL ON FUNCTION isms.unschedule_sweep() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.unschedule_sweep() TO isms_admin;

------------------------------------------------------------------------------
-- The staff register: the persons an organisation's policies are for.  A
-- person is named as isms.current_actor() gives it: the name a trusted
-- application login (isms_app) asserts for them, or their own login role
-- when they sign in personally.  An intranet serving many persons through
-- one login is the normal case, so the audience of a policy comes from
-- here, not from the login roles alone.

CREATE TABLE isms.person (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    person      text NOT NULL CONSTRAINT person_person_given CHECK (btrim(person) <> ''),
    name        text NOT NULL CONSTRAINT person_name_given CHECK (btrim(name) <> ''),
    login_role  text CONSTRAINT person_login_role_given CHECK (btrim(login_role) <> ''),
    active_from date NOT NULL DEFAULT CURRENT_DATE,
    active_until date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT person_once UNIQUE (org_id, person),
    CONSTRAINT person_active_in_order CHECK (active_until > active_from),
    CONSTRAINT person_person_max_128_chars CHECK (pg_catalog.char_length(person) <= 128),
    CONSTRAINT person_name_max_200_chars CHECK (pg_catalog.char_length(name) <= 200),
    CONSTRAINT person_login_role_max_63_chars CHECK (pg_catalog.char_length(login_role) <= 63)
);
COMMENT ON TABLE isms.person IS
    'Clause 7.3, Annex A 6.3: the staff of the organisation, the audience of its policies (isms.policy_acknowledgement_status): each person as isms.current_actor() names them, active from active_from until active_until';
COMMENT ON COLUMN isms.person.person IS 'The person as isms.current_actor() gives it: the name a trusted application login (isms_app) asserts in isms.actor, or the person''s own login role; unique in the organisation; acknowledgements recorded under this name count for the person';
COMMENT ON COLUMN isms.person.name IS 'Display name, such as Ann Example';
COMMENT ON COLUMN isms.person.login_role IS 'The person''s own login role, if they also sign in personally: acknowledgements recorded under that login count for the person, and the login is not counted again as a member login; NULL when they act only through an application';
COMMENT ON COLUMN isms.person.active_from IS 'First day the person is staff (in the audience)';
COMMENT ON COLUMN isms.person.active_until IS 'First day the person is no longer staff (left the organisation); NULL while staff';

INSERT INTO isms.register
    (relid, name, clause, title, reviewable, default_review_interval, has_workflow, initial_status, audit_record)
VALUES ('isms.person', 'person', '7.3', 'Staff', false, NULL, false, NULL, false);
SELECT isms.setup_register('isms.person');
REVOKE ALL ON SEQUENCE isms.person_id_seq FROM PUBLIC;
SELECT isms.enable_history('isms.person');
SELECT isms.build_register_row();

------------------------------------------------------------------------------
-- Policy acknowledgement (A.5.1, A.6.3).  A policy is a document of kind
-- policy; staff acknowledge the version in force.  The database records
-- the person it vouches for (isms.current_actor(): the login, or the
-- person a trusted application login asserts in this transaction) and the
-- login (isms.current_login()) itself: a trigger sets them, so a direct
-- INSERT vouches the same as isms.acknowledge_policy(), and nobody
-- acknowledges for someone else.  Acknowledgements are never changed.

CREATE TABLE isms.policy_acknowledgement (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    document_id bigint NOT NULL,
    version_id  bigint NOT NULL,
    version     isms.docver NOT NULL,
    person      text NOT NULL,
    login_role  text NOT NULL,
    acknowledged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, document_id) REFERENCES isms.document (org_id, id),
    FOREIGN KEY (org_id, version_id) REFERENCES isms.document_version (org_id, id),
    CONSTRAINT policy_acknowledgement_once UNIQUE (org_id, version_id, person)
);
CREATE INDEX policy_acknowledgement_document_idx ON isms.policy_acknowledgement (org_id, document_id, person);
COMMENT ON TABLE isms.policy_acknowledgement IS
    'Annex A 5.1, 6.3 and clause 7.3: who acknowledged which published version of a policy document, and when; written through isms.acknowledge_policy(), never changed';
COMMENT ON COLUMN isms.policy_acknowledgement.org_id IS 'Organisation';
COMMENT ON COLUMN isms.policy_acknowledgement.id IS 'Identifier of the acknowledgement';
COMMENT ON COLUMN isms.policy_acknowledgement.document_id IS 'The policy document (isms.document of kind policy)';
COMMENT ON COLUMN isms.policy_acknowledgement.version_id IS 'The version acknowledged: the one in force then (isms.document_version)';
COMMENT ON COLUMN isms.policy_acknowledgement.version IS 'Its number; an acknowledgement counts for later minor versions of the same major';
COMMENT ON COLUMN isms.policy_acknowledgement.person IS 'Who acknowledged: the person the database vouches for when recorded (isms.current_actor(): the login, or the person a trusted application login asserted)';
COMMENT ON COLUMN isms.policy_acknowledgement.login_role IS 'The login role of the session that recorded it (isms.current_login(): session_user)';
COMMENT ON COLUMN isms.policy_acknowledgement.acknowledged_at IS 'When it was recorded (the clock time of the write, after the version it acknowledges was published)';

CREATE FUNCTION isms.policy_acknowledgement_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v record;
BEGIN
    IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN
        RAISE EXCEPTION 'cannot % policy acknowledgements: they are kept as recorded', pg_catalog.lower(TG_OP)
            USING ERRCODE = 'IS123',
                  DETAIL = 'An acknowledgement is evidence of awareness (A.6.3): it is never changed or removed.',
                  HINT = 'Publish a new major version of the policy to ask everyone again.';
    END IF;
    IF NEW.person IS NOT NULL
       AND (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user) THEN
        RETURN NEW;                     -- a restore
    END IF;
    SELECT dv.document_id, dv.version, dv.status, dv.validity, d.kind, d.code, d.title INTO v
      FROM isms.document_version dv
      JOIN isms.document d ON d.org_id OPERATOR(pg_catalog.=) dv.org_id AND d.id OPERATOR(pg_catalog.=) dv.document_id
     WHERE dv.org_id OPERATOR(pg_catalog.=) NEW.org_id AND dv.id OPERATOR(pg_catalog.=) NEW.version_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cannot acknowledge document version %: it does not exist in organisation %', NEW.version_id, NEW.org_id
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = pg_catalog.format('Key (org_id, version_id)=(%s, %s) is not present in table isms.document_version.', NEW.org_id, NEW.version_id),
                  HINT = 'Acknowledge a policy with isms.acknowledge_policy(document_id).';
    END IF;
    IF v.kind OPERATOR(pg_catalog.<>) 'policy' THEN
        RAISE EXCEPTION 'cannot acknowledge document % (%): it is not a policy', coalesce(v.code, v.document_id::text), v.title
            USING ERRCODE = 'IS122',
                  DETAIL = pg_catalog.format('Document %s of organisation %s is of kind "%s"; only documents of kind "policy" are acknowledged.', v.document_id, NEW.org_id, v.kind),
                  HINT = 'Acknowledge a policy document (isms.document.kind = ''policy'').';
    END IF;
    IF v.status OPERATOR(pg_catalog.<>) 'published' THEN
        RAISE EXCEPTION 'cannot acknowledge version % of policy %: it is not in force', v.version, coalesce(v.code, v.document_id::text)
            USING ERRCODE = 'IS122',
                  DETAIL = pg_catalog.format('Version %s is %s; only the published version in force is acknowledged.', v.version, v.status),
                  HINT = 'Acknowledge the version in force with isms.acknowledge_policy(document_id).';
    END IF;
    NEW.document_id := v.document_id;
    NEW.version := v.version;
    NEW.person := isms.current_actor();
    NEW.login_role := isms.current_login();
    NEW.acknowledged_at := pg_catalog.clock_timestamp();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.policy_acknowledgement_check() IS
    'Trigger: an acknowledgement is of the published version of a policy document (IS122), records the acting person and login role itself, and is never changed or deleted (IS123)';
REVOKE ALL ON FUNCTION isms.policy_acknowledgement_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.policy_acknowledgement_check() TO isms_reader;
CREATE TRIGGER policy_acknowledgement_check BEFORE INSERT OR UPDATE OR DELETE ON isms.policy_acknowledgement
    FOR EACH ROW EXECUTE FUNCTION isms.policy_acknowledgement_check();
CREATE TRIGGER policy_acknowledgement_kept BEFORE TRUNCATE ON isms.policy_acknowledgement
    FOR EACH STATEMENT EXECUTE FUNCTION isms.policy_acknowledgement_check();
ALTER TABLE isms.policy_acknowledgement ENABLE ROW LEVEL SECURITY;
ALTER TABLE isms.policy_acknowledgement FORCE ROW LEVEL SECURITY;
CREATE POLICY member ON isms.policy_acknowledgement USING (org_id = ANY (isms.visible_orgs()))
    WITH CHECK (org_id = ANY (isms.visible_orgs()));
REVOKE ALL ON isms.policy_acknowledgement FROM PUBLIC;
GRANT SELECT ON isms.policy_acknowledgement TO isms_reader;
GRANT INSERT (org_id, version_id) ON isms.policy_acknowledgement TO isms_reader;
REVOKE ALL ON SEQUENCE isms.policy_acknowledgement_id_seq FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('isms.policy_acknowledgement', '');
SELECT pg_catalog.pg_extension_config_dump('isms.policy_acknowledgement_id_seq', '');

-- Each acknowledgement goes into the organisation's evidence trail as the
-- engine (action acknowledge, which isms.trail_append refuses: IS082), with
-- the person, the login and the SHA-256 of the version acknowledged.
CREATE FUNCTION isms.acknowledgement_trail_entry(org_id bigint, acknowledgement_id bigint) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a record;
    -- the role calling (a security definer's current_user is its owner)
    r constant text := pg_catalog.current_setting('role', true);
    caller constant name := CASE WHEN r IS NULL OR r OPERATOR(pg_catalog.=) 'none' THEN session_user ELSE r::name END;
BEGIN
    -- the action acknowledge is the engine's: only for an acknowledgement
    -- stored in isms.policy_acknowledgement by the person acting, in an
    -- organisation of the calling role, from the stored row, and once
    SELECT x.org_id, x.id, x.document_id, x.version_id, x.version, x.person, x.login_role, x.acknowledged_at,
           d.code, v.sha256 INTO a
      FROM isms.policy_acknowledgement x
      JOIN isms.document d ON d.org_id OPERATOR(pg_catalog.=) x.org_id AND d.id OPERATOR(pg_catalog.=) x.document_id
      JOIN isms.document_version v ON v.org_id OPERATOR(pg_catalog.=) x.org_id AND v.id OPERATOR(pg_catalog.=) x.version_id
     WHERE x.org_id OPERATOR(pg_catalog.=) $1 AND x.id OPERATOR(pg_catalog.=) $2;
    IF NOT FOUND OR a.person OPERATOR(pg_catalog.<>) isms.current_actor()
       OR a.org_id OPERATOR(pg_catalog.<>) ALL (isms.member_orgs(caller)) OR EXISTS (
        SELECT 1 FROM isms.trail t
         WHERE t.org_id OPERATOR(pg_catalog.=) a.org_id
           AND t.record_table OPERATOR(pg_catalog.=) 'isms.policy_acknowledgement'
           AND t.record_id OPERATOR(pg_catalog.=) a.id AND t.action OPERATOR(pg_catalog.=) 'acknowledge') THEN
        RAISE EXCEPTION 'no acknowledgement % of organisation % to record in the trail', coalesce($2::text, 'NULL'), coalesce($1::text, 'NULL')
            USING ERRCODE = 'IS082',
                  DETAIL = 'An acknowledge entry is the engine''s: it is written once, for an acknowledgement stored in isms.policy_acknowledgement by the person acting, in an organisation of the calling role.',
                  HINT = 'Acknowledge a policy with isms.acknowledge_policy(document_id).';
    END IF;
    RETURN isms.trail_append_engine(a.org_id, 'isms.policy_acknowledgement'::pg_catalog.regclass, a.id, 'acknowledge',
        pg_catalog.jsonb_build_object('document_id', a.document_id, 'document_code', a.code,
                                      'version_id', a.version_id, 'version', a.version::text,
                                      'person', a.person, 'login_role', a.login_role,
                                      'acknowledged_at', a.acknowledged_at,
                                      'sha256', pg_catalog.encode(a.sha256, 'hex')));
END
$$;
COMMENT ON FUNCTION isms.acknowledgement_trail_entry(bigint, bigint) IS
    'Appends a policy acknowledgement to the evidence trail as the engine (action acknowledge: document, version, person, login role, time, SHA-256 of the version acknowledged), from the row stored in isms.policy_acknowledgement, once; refuses an acknowledgement not stored, recorded for another person than the one acting, of an organisation the calling role is not a member of, or already in the trail (IS082)';
REVOKE ALL ON FUNCTION isms.acknowledgement_trail_entry(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.acknowledgement_trail_entry(bigint, bigint) TO isms_reader;

CREATE FUNCTION isms.policy_acknowledgement_trail() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user) THEN
        RETURN NULL;    -- a restore; isms.acknowledge_policy() appends a superuser's own entry itself
    END IF;
    PERFORM isms.acknowledgement_trail_entry(NEW.org_id, NEW.id);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION isms.policy_acknowledgement_trail() IS
    'AFTER INSERT trigger of isms.policy_acknowledgement: records the acknowledgement in the evidence trail (action acknowledge, with the SHA-256 of the version); not for a superuser''s INSERT (a restore)';
REVOKE ALL ON FUNCTION isms.policy_acknowledgement_trail() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.policy_acknowledgement_trail() TO isms_reader;
CREATE TRIGGER policy_acknowledgement_trail AFTER INSERT ON isms.policy_acknowledgement
    FOR EACH ROW EXECUTE FUNCTION isms.policy_acknowledgement_trail();

CREATE FUNCTION isms.acknowledge_policy(document_id bigint) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
    ver bigint;
    ack bigint;
BEGIN
    SELECT x.org_id, x.id, x.kind, x.code, x.title INTO d
      FROM isms.document x WHERE x.id OPERATOR(pg_catalog.=) $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'document % does not exist', coalesce($1::text, 'NULL')
            USING ERRCODE = 'no_data_found',
                  DETAIL = 'No document with this id exists in an organisation you are a member of.',
                  HINT = 'SELECT id, code, title FROM isms.document WHERE kind = ''policy'' lists the policies you may acknowledge.';
    END IF;
    IF d.kind OPERATOR(pg_catalog.<>) 'policy' THEN
        RAISE EXCEPTION 'cannot acknowledge document % (%): it is not a policy', coalesce(d.code, d.id::text), d.title
            USING ERRCODE = 'IS122',
                  DETAIL = pg_catalog.format('Document %s of organisation %s is of kind "%s"; only documents of kind "policy" are acknowledged.', d.id, d.org_id, d.kind),
                  HINT = 'Acknowledge a policy document (isms.document.kind = ''policy'').';
    END IF;
    SELECT v.id INTO ver FROM isms.document_version v
     WHERE v.org_id OPERATOR(pg_catalog.=) d.org_id AND v.document_id OPERATOR(pg_catalog.=) d.id
       AND v.status OPERATOR(pg_catalog.=) 'published';
    IF ver IS NULL THEN
        RAISE EXCEPTION 'cannot acknowledge policy % (%): no version is in force', coalesce(d.code, d.id::text), d.title
            USING ERRCODE = 'IS122',
                  DETAIL = pg_catalog.format('Document %s of organisation %s has no published version.', d.id, d.org_id),
                  HINT = 'Publish the policy first (isms.publish_document), then ask staff to acknowledge it.';
    END IF;
    INSERT INTO isms.policy_acknowledgement AS a (org_id, version_id) VALUES (d.org_id, ver)
    ON CONFLICT ON CONSTRAINT policy_acknowledgement_once DO NOTHING
    RETURNING a.id INTO ack;
    IF ack IS NOT NULL
       AND (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user) THEN
        PERFORM isms.acknowledgement_trail_entry(d.org_id, ack);   -- the trigger leaves a superuser's to us
    END IF;
    IF ack IS NULL THEN
        SELECT a.id INTO ack FROM isms.policy_acknowledgement a
         WHERE a.org_id OPERATOR(pg_catalog.=) d.org_id AND a.version_id OPERATOR(pg_catalog.=) ver
           AND a.person OPERATOR(pg_catalog.=) isms.current_actor();
    END IF;
    RETURN ack;
END
$$;
COMMENT ON FUNCTION isms.acknowledge_policy(bigint) IS
    'Records that the acting person (isms.current_actor(), with the session''s login role) acknowledges the version in force of a policy document, and appends it to the evidence trail (action acknowledge); refuses a document that is not a policy or has no version in force (IS122); acknowledging twice returns the first acknowledgement''s id';
REVOKE ALL ON FUNCTION isms.acknowledge_policy(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.acknowledge_policy(bigint) TO isms_reader;

-- The audience of an organisation's policies: its staff (isms.person)
-- active at as_of, as it stood then, plus the personal login roles (not
-- superusers, not trusted application logins, which serve many persons)
-- that are members of a role its isms.membership names and that no staff
-- row covers (as its person or its login_role).  An acknowledgement counts
-- for the version in force when it is of the same document and major
-- version, at or below it, and recorded by as_of; for a person, those
-- recorded under their name or under their own login role count.
CREATE FUNCTION isms.policy_acknowledgement_status(org_id bigint, as_of timestamptz DEFAULT now())
RETURNS TABLE (document_id bigint, document_code text, title text, version text, in_force_since timestamptz,
               person text, in_audience boolean, acknowledged boolean, acknowledged_version text,
               acknowledged_at timestamptz)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    t constant timestamptz := isms.report_time('as_of', $2);
BEGIN
    RETURN QUERY
    WITH pol AS (
        SELECT d.id, d.code, d.title, v.version, pg_catalog.lower(v.validity) AS since
          FROM isms.document d
          JOIN isms.document_version v ON v.org_id OPERATOR(pg_catalog.=) d.org_id
                                      AND v.document_id OPERATOR(pg_catalog.=) d.id
         WHERE d.org_id OPERATOR(pg_catalog.=) o AND d.kind OPERATOR(pg_catalog.=) 'policy'
           AND v.validity OPERATOR(pg_catalog.@>) t),
    staff AS (
        SELECT s.person, s.login_role
          FROM isms.known_as_of(NULL::isms.person, t) s
         WHERE s.org_id OPERATOR(pg_catalog.=) o AND s.created_at OPERATOR(pg_catalog.<=) t
           AND s.active_from OPERATOR(pg_catalog.<=) t::date
           AND (s.active_until IS NULL OR s.active_until OPERATOR(pg_catalog.>) t::date)),
    audience AS (
        SELECT s.person, s.login_role AS login FROM staff s
        UNION
        SELECT r.rolname::text, r.rolname::text
          FROM isms.membership m
          JOIN pg_catalog.pg_roles g ON g.rolname OPERATOR(pg_catalog.=) m.role_name
          JOIN pg_catalog.pg_roles r ON r.rolcanlogin AND NOT r.rolsuper
                                    AND pg_catalog.pg_has_role(r.oid, g.oid, 'MEMBER')
                                    AND NOT pg_catalog.pg_has_role(r.oid, 'isms_app', 'USAGE')
         WHERE m.org_id OPERATOR(pg_catalog.=) o
           AND NOT EXISTS (SELECT 1 FROM staff s
                            WHERE s.person OPERATOR(pg_catalog.=) r.rolname::text
                               OR s.login_role OPERATOR(pg_catalog.=) r.rolname::text)),
    ack AS (
        SELECT DISTINCT ON (p.id, a.person) p.id AS document_id, a.person, a.version, a.acknowledged_at
          FROM pol p
          JOIN isms.policy_acknowledgement a ON a.org_id OPERATOR(pg_catalog.=) o
                                            AND a.document_id OPERATOR(pg_catalog.=) p.id
         WHERE a.acknowledged_at OPERATOR(pg_catalog.<=) t
           AND isms.major(a.version) OPERATOR(pg_catalog.=) isms.major(p.version)
           AND a.version OPERATOR(isms.<=) p.version
         ORDER BY p.id, a.person, a.version DESC, a.acknowledged_at DESC)
    SELECT p.id, p.code, p.title, p.version::text, p.since, w.person, w.in_audience,
           k.version IS NOT NULL, k.version::text, k.acknowledged_at
      FROM pol p
      CROSS JOIN LATERAL (SELECT a.person, a.login, true AS in_audience FROM audience a
                          UNION ALL
                          SELECT k2.person, NULL::text, false FROM ack k2
                           WHERE k2.document_id OPERATOR(pg_catalog.=) p.id
                             AND NOT EXISTS (SELECT 1 FROM audience a
                                              WHERE k2.person OPERATOR(pg_catalog.=) a.person
                                                 OR k2.person OPERATOR(pg_catalog.=) a.login)) w
      LEFT JOIN LATERAL (SELECT k3.version, k3.acknowledged_at FROM ack k3
                          WHERE k3.document_id OPERATOR(pg_catalog.=) p.id
                            AND (k3.person OPERATOR(pg_catalog.=) w.person
                                 OR k3.person OPERATOR(pg_catalog.=) w.login)
                          ORDER BY k3.version DESC, k3.acknowledged_at DESC LIMIT 1) k ON true
     ORDER BY p.code, p.id, w.person;
END
$$;
COMMENT ON FUNCTION isms.policy_acknowledgement_status(bigint, timestamptz) IS
    'Per policy document in force at as_of and per person: whether the person acknowledged the version in force (an acknowledgement of an earlier minor version of the same major counts, one of an earlier major does not), which version and when; the audience is the organisation''s staff active at as_of (isms.person, as it stood then; acknowledgements under the person''s name or own login role count) and the personal login roles its memberships cover that no staff row names (current; not superusers or trusted application logins), plus anyone else who acknowledged (in_audience false)';
REVOKE ALL ON FUNCTION isms.policy_acknowledgement_status(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.policy_acknowledgement_status(bigint, timestamptz) TO isms_reader;

------------------------------------------------------------------------------
-- BI views.

CREATE VIEW isms_report.policy_acknowledgements WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, s.document_id, s.document_code, s.title, s.version, s.in_force_since,
       s.person, s.in_audience, s.acknowledged, s.acknowledged_version, s.acknowledged_at
  FROM isms.organization o
  CROSS JOIN LATERAL isms.policy_acknowledgement_status(o.org_id) s;
COMMENT ON VIEW isms_report.policy_acknowledgements IS
    'A.5.1, A.6.3: who has and has not acknowledged the version in force of each policy, now (isms.policy_acknowledgement_status)';
COMMENT ON COLUMN isms_report.policy_acknowledgements.org_id IS 'Organisation';
COMMENT ON COLUMN isms_report.policy_acknowledgements.org_code IS 'Organisation code';
COMMENT ON COLUMN isms_report.policy_acknowledgements.document_id IS 'The policy document';
COMMENT ON COLUMN isms_report.policy_acknowledgements.document_code IS 'Its code, such as ISMS-POL-001';
COMMENT ON COLUMN isms_report.policy_acknowledgements.title IS 'Its title';
COMMENT ON COLUMN isms_report.policy_acknowledgements.version IS 'The version in force';
COMMENT ON COLUMN isms_report.policy_acknowledgements.in_force_since IS 'When the version in force was published';
COMMENT ON COLUMN isms_report.policy_acknowledgements.person IS 'A person of the audience (isms.person.person, or a personal member login), or another who acknowledged';
COMMENT ON COLUMN isms_report.policy_acknowledgements.in_audience IS 'True for the organisation''s active staff (isms.person) and the personal login roles its memberships cover';
COMMENT ON COLUMN isms_report.policy_acknowledgements.acknowledged IS 'True when the person acknowledged the version in force or an earlier minor version of its major';
COMMENT ON COLUMN isms_report.policy_acknowledgements.acknowledged_version IS 'The version acknowledged; NULL if none counts';
COMMENT ON COLUMN isms_report.policy_acknowledgements.acknowledged_at IS 'When; NULL if none counts';
REVOKE ALL ON isms_report.policy_acknowledgements FROM PUBLIC;
GRANT SELECT ON isms_report.policy_acknowledgements TO isms_reader;

CREATE VIEW isms_report.tasks WITH (security_invoker = true) AS
SELECT k.org_id, o.code AS org_code, k.id AS task_id, k.kind, g.name AS register, k.record_id, k.title, k.owner,
       k.due_at, k.status, k.status NOT IN ('done', 'cancelled') AS open, k.escalation_level, k.escalated_to,
       k.escalated_at, k.created_at, k.closed_at,
       floor(date_part('epoch', coalesce(k.closed_at, now()) - k.due_at) / 86400)::integer AS days_overdue
  FROM isms.task k
  JOIN isms.organization o ON o.org_id = k.org_id
  LEFT JOIN isms.register g ON g.relid = k.record_table;
COMMENT ON VIEW isms_report.tasks IS
    'Clauses 8.1, 9.1: the reminders of isms.sweep() with their escalation level and state';
COMMENT ON COLUMN isms_report.tasks.org_id IS 'Organisation';
COMMENT ON COLUMN isms_report.tasks.org_code IS 'Organisation code';
COMMENT ON COLUMN isms_report.tasks.task_id IS 'The task (isms.task.id)';
COMMENT ON COLUMN isms_report.tasks.kind IS 'What is overdue (isms.task.kind)';
COMMENT ON COLUMN isms_report.tasks.register IS 'Register of the record the task is about';
COMMENT ON COLUMN isms_report.tasks.record_id IS 'id of the record in its register';
COMMENT ON COLUMN isms_report.tasks.title IS 'What to do';
COMMENT ON COLUMN isms_report.tasks.owner IS 'Person the task is for';
COMMENT ON COLUMN isms_report.tasks.due_at IS 'When the record fell due';
COMMENT ON COLUMN isms_report.tasks.status IS 'open, acknowledged, reminded, escalated, done or cancelled';
COMMENT ON COLUMN isms_report.tasks.open IS 'True until done or cancelled';
COMMENT ON COLUMN isms_report.tasks.escalation_level IS '0, 1 (owner reminded) or 2 (escalated)';
COMMENT ON COLUMN isms_report.tasks.escalated_to IS 'Who it was escalated to at level 2';
COMMENT ON COLUMN isms_report.tasks.escalated_at IS 'When it last rose a level';
COMMENT ON COLUMN isms_report.tasks.created_at IS 'When the sweep created it';
COMMENT ON COLUMN isms_report.tasks.closed_at IS 'When it was done or cancelled';
COMMENT ON COLUMN isms_report.tasks.days_overdue IS 'Whole days from due_at to now, or to closed_at once closed';
REVOKE ALL ON isms_report.tasks FROM PUBLIC;
GRANT SELECT ON isms_report.tasks TO isms_reader;
