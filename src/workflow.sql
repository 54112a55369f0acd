-- PDCA workflow engine (src/workflow.c): definitions, log, outbox, API.

CREATE TABLE isms.workflow (
    workflow     text PRIMARY KEY CHECK (workflow ~ '^[a-z][a-z0-9_]*$'),
    record_label text NOT NULL,
    relid        regclass UNIQUE,
    description  text NOT NULL DEFAULT ''
);
COMMENT ON TABLE isms.workflow IS
    'Clause 4.4: workflows of the ISMS processes, one per workflow table';
COMMENT ON COLUMN isms.workflow.workflow IS 'Workflow name, such as corrective_action';
COMMENT ON COLUMN isms.workflow.record_label IS 'What a record is called in messages, such as "corrective action"';
COMMENT ON COLUMN isms.workflow.relid IS 'The table whose status column the workflow governs (set by isms.attach_workflow)';
COMMENT ON COLUMN isms.workflow.description IS 'What the workflow is for';

CREATE TABLE isms.workflow_state (
    workflow    text NOT NULL REFERENCES isms.workflow ON DELETE CASCADE,
    state       text NOT NULL CHECK (state ~ '^[a-z][a-z0-9_]*$'),
    phase       text NOT NULL CHECK (phase IN ('plan', 'do', 'check', 'act')),
    is_initial  boolean NOT NULL DEFAULT false,
    is_terminal boolean NOT NULL DEFAULT false,
    ordinal     integer NOT NULL DEFAULT 0,
    description text NOT NULL DEFAULT '',
    PRIMARY KEY (workflow, state)
);
COMMENT ON TABLE isms.workflow_state IS
    'Clause 4.4: states of each workflow with their Plan-Do-Check-Act phase';
COMMENT ON COLUMN isms.workflow_state.workflow IS 'The workflow';
COMMENT ON COLUMN isms.workflow_state.state IS 'State name, the value of the status column';
COMMENT ON COLUMN isms.workflow_state.phase IS 'PDCA phase: plan, do, check or act';
COMMENT ON COLUMN isms.workflow_state.is_initial IS 'A new record may start in this state';
COMMENT ON COLUMN isms.workflow_state.is_terminal IS 'A record in this state is closed: read-only until a transition reopens it';
COMMENT ON COLUMN isms.workflow_state.ordinal IS 'Display order';
COMMENT ON COLUMN isms.workflow_state.description IS 'What the state means';

CREATE TABLE isms.workflow_guard (
    guard       text PRIMARY KEY CHECK (guard ~ '^[a-z][a-z0-9_]*$'),
    description text NOT NULL,
    check_sql   text NOT NULL
);
COMMENT ON TABLE isms.workflow_guard IS
    'Clause 4.4: guards, the conditions a transition requires. check_sql is a SELECT of one text value: NULL when the guard holds, else why not; $1 is the record (the table''s row type) after the change, $2 the actor';
COMMENT ON COLUMN isms.workflow_guard.guard IS 'Guard name';
COMMENT ON COLUMN isms.workflow_guard.description IS 'What the guard requires, in words';
COMMENT ON COLUMN isms.workflow_guard.check_sql IS 'SELECT returning NULL when the guard holds, else the reason; fully qualified names only';

CREATE TABLE isms.workflow_transition (
    workflow        text NOT NULL,
    from_state      text NOT NULL,
    to_state        text NOT NULL,
    guard           text REFERENCES isms.workflow_guard,
    reason_required boolean NOT NULL DEFAULT false,
    PRIMARY KEY (workflow, from_state, to_state),
    FOREIGN KEY (workflow, from_state) REFERENCES isms.workflow_state ON DELETE CASCADE,
    FOREIGN KEY (workflow, to_state) REFERENCES isms.workflow_state ON DELETE CASCADE,
    CHECK (from_state <> to_state)
);
COMMENT ON TABLE isms.workflow_transition IS
    'Clause 4.4: allowed moves between workflow states, with an optional guard; a move may stay in its PDCA phase, advance one phase, or go back; act to plan starts a new cycle';
COMMENT ON COLUMN isms.workflow_transition.workflow IS 'The workflow';
COMMENT ON COLUMN isms.workflow_transition.from_state IS 'State moved from';
COMMENT ON COLUMN isms.workflow_transition.to_state IS 'State moved to';
COMMENT ON COLUMN isms.workflow_transition.guard IS 'Guard that must hold, or NULL';
COMMENT ON COLUMN isms.workflow_transition.reason_required IS 'The move needs a reason (isms.transition argument or isms.reason setting)';

CREATE TABLE isms.workflow_restriction (
    org_id      bigint NOT NULL,
    workflow    text NOT NULL,
    from_state  text NOT NULL,
    to_state    text NOT NULL,
    disabled    boolean NOT NULL DEFAULT false,
    extra_guard text REFERENCES isms.workflow_guard,
    note        text NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, workflow, from_state, to_state),
    FOREIGN KEY (workflow, from_state, to_state) REFERENCES isms.workflow_transition ON DELETE CASCADE,
    CHECK (disabled OR extra_guard IS NOT NULL)
);
COMMENT ON TABLE isms.workflow_restriction IS
    'Clause 4.4: how an organisation tightens a built-in workflow: remove a transition or add a guard to it (it cannot add moves)';
COMMENT ON COLUMN isms.workflow_restriction.org_id IS 'The organisation';
COMMENT ON COLUMN isms.workflow_restriction.workflow IS 'The workflow';
COMMENT ON COLUMN isms.workflow_restriction.from_state IS 'State moved from';
COMMENT ON COLUMN isms.workflow_restriction.to_state IS 'State moved to';
COMMENT ON COLUMN isms.workflow_restriction.disabled IS 'The organisation does not allow this move';
COMMENT ON COLUMN isms.workflow_restriction.extra_guard IS 'A further guard the move must pass in this organisation';
COMMENT ON COLUMN isms.workflow_restriction.note IS 'Why the organisation tightened the move';

-- The PDCA order: within a phase, one phase on, or back; never skip ahead.
CREATE FUNCTION isms.workflow_check_transition() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp AS $$
DECLARE
    order_of constant text[] := ARRAY['plan', 'do', 'check', 'act'];
    f text; t text;
BEGIN
    SELECT phase INTO f FROM isms.workflow_state WHERE workflow = NEW.workflow AND state = NEW.from_state;
    SELECT phase INTO t FROM isms.workflow_state WHERE workflow = NEW.workflow AND state = NEW.to_state;
    IF array_position(order_of, t) - array_position(order_of, f) > 1 THEN
        RAISE EXCEPTION 'transition % -> % of workflow % skips a PDCA phase', NEW.from_state, NEW.to_state, NEW.workflow
            USING ERRCODE = 'check_violation',
                  DETAIL = format('"%s" is in phase %s and "%s" in phase %s.', NEW.from_state, f, NEW.to_state, t),
                  HINT = 'A move stays in its phase, advances one phase (plan, do, check, act), or goes back.';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION isms.workflow_check_transition() IS
    'Trigger keeping workflow definitions in PDCA order: no transition skips a phase forward';
REVOKE ALL ON FUNCTION isms.workflow_check_transition() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.workflow_check_transition() TO isms_reader;
CREATE TRIGGER workflow_pdca_order BEFORE INSERT OR UPDATE ON isms.workflow_transition
    FOR EACH ROW EXECUTE FUNCTION isms.workflow_check_transition();

-- A state's new phase must keep every transition through it in order.
CREATE FUNCTION isms.workflow_check_state() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp AS $$
BEGIN
    -- re-run the transition check on each transition through the state
    UPDATE isms.workflow_transition t SET guard = t.guard
     WHERE t.workflow = NEW.workflow AND NEW.state IN (t.from_state, t.to_state);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION isms.workflow_check_state() IS
    'Trigger re-checking the PDCA order of the transitions through a state whose phase changed';
REVOKE ALL ON FUNCTION isms.workflow_check_state() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.workflow_check_state() TO isms_reader;
CREATE TRIGGER workflow_pdca_order AFTER UPDATE OF phase ON isms.workflow_state
    FOR EACH ROW EXECUTE FUNCTION isms.workflow_check_state();

CREATE FUNCTION isms.workflow_definition_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'workflow_definition_changed' LANGUAGE C;
COMMENT ON FUNCTION isms.workflow_definition_changed() IS
    'Trigger telling every backend to reload its cached workflows at its next transaction';
REVOKE ALL ON FUNCTION isms.workflow_definition_changed() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.workflow_definition_changed() TO isms_reader;
CREATE TRIGGER workflow_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON isms.workflow
    FOR EACH STATEMENT EXECUTE FUNCTION isms.workflow_definition_changed();
CREATE TRIGGER workflow_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON isms.workflow_state
    FOR EACH STATEMENT EXECUTE FUNCTION isms.workflow_definition_changed();
CREATE TRIGGER workflow_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON isms.workflow_guard
    FOR EACH STATEMENT EXECUTE FUNCTION isms.workflow_definition_changed();
CREATE TRIGGER workflow_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON isms.workflow_transition
    FOR EACH STATEMENT EXECUTE FUNCTION isms.workflow_definition_changed();
CREATE TRIGGER workflow_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON isms.workflow_restriction
    FOR EACH STATEMENT EXECUTE FUNCTION isms.workflow_definition_changed();

-- The log of accepted transitions, written only by the engine.
CREATE TABLE isms.transition_log (
    log_id       bigint NOT NULL,
    org_id       bigint NOT NULL,
    record_table regclass NOT NULL,
    record_id    bigint NOT NULL,
    cycle        integer NOT NULL,
    from_state   text,
    to_state     text NOT NULL,
    actor        text NOT NULL,
    reason       text,
    at           timestamptz NOT NULL,
    xact_id      xid8 NOT NULL,
    record_table_name text,
    login_role   text,
    -- organisation first: one B-tree serves the key, one organisation's log
    -- in order (isms_report.workflow_activity, the seal's batches, a
    -- member's poll of the outbox) and distribution by organisation
    PRIMARY KEY (org_id, log_id)
);
CREATE SEQUENCE isms.transition_log_log_id_seq CACHE 64 OWNED BY isms.transition_log.log_id;
ALTER TABLE isms.transition_log ALTER log_id SET DEFAULT nextval('isms.transition_log_log_id_seq');
-- log_id without the organisation (a superuser's isms.events_after) is
-- read through the block ranges: log ids grow with the table
CREATE INDEX transition_log_at ON isms.transition_log USING brin (at, log_id);
-- the moves of a record (creations left out, so a bulk INSERT pays nothing):
-- a record that has moved is not deleted
CREATE INDEX transition_log_record ON isms.transition_log (record_table, record_id)
    WHERE from_state IS NOT NULL;
COMMENT ON TABLE isms.transition_log IS
    'Clause 4.4: every accepted workflow transition, including creation (from_state NULL), the evidence of operation; written only by the workflow engine';
COMMENT ON COLUMN isms.transition_log.log_id IS 'Log entry id, increasing';
COMMENT ON COLUMN isms.transition_log.org_id IS 'The organisation';
COMMENT ON COLUMN isms.transition_log.record_table IS 'The workflow table';
COMMENT ON COLUMN isms.transition_log.record_id IS 'The record''s id';
COMMENT ON COLUMN isms.transition_log.from_state IS 'State before the move; NULL when the record was created';
COMMENT ON COLUMN isms.transition_log.to_state IS 'State after the move';
COMMENT ON COLUMN isms.transition_log.cycle IS 'PDCA cycle of the record after the move';
COMMENT ON COLUMN isms.transition_log.actor IS 'Who moved it (isms.current_actor()): the person a trusted application login (isms_app) asserted, else the role the session acted as';
COMMENT ON COLUMN isms.transition_log.reason IS 'Reason given (isms.transition argument or isms.reason setting)';
COMMENT ON COLUMN isms.transition_log.at IS 'When the move was made: the start of the statement that made it, as statement_timestamp()';
COMMENT ON COLUMN isms.transition_log.xact_id IS 'Transaction that made the move';
COMMENT ON COLUMN isms.transition_log.record_table_name IS 'Qualified name of the workflow table at the time of the move, as sealed in the trail (a later rename or drop of the table changes nothing); the engine and imports always fill it';
COMMENT ON COLUMN isms.transition_log.login_role IS 'The login role of the session that made the move (session_user); NULL for a move logged before 0.2.0';

-- The outbox: one row per committed transaction that moved records, numbered
-- in commit order.
CREATE TABLE isms.outbox (
    seq          bigint PRIMARY KEY,
    xact_id      xid8 NOT NULL,
    first_log_id bigint NOT NULL,
    last_log_id  bigint NOT NULL,
    events       integer NOT NULL,
    committed_at timestamptz NOT NULL
);
CREATE SEQUENCE isms.outbox_seq_seq OWNED BY isms.outbox.seq;
COMMENT ON TABLE isms.outbox IS
    'Clause 4.4: committed transactions that moved workflow records, numbered in commit order: poll with isms.events_after(last_seen); under row-level security a row is visible when one of its moves is';
COMMENT ON COLUMN isms.outbox.seq IS 'Commit-order number: a later commit always has a larger number';
COMMENT ON COLUMN isms.outbox.xact_id IS 'The transaction';
COMMENT ON COLUMN isms.outbox.first_log_id IS 'Lowest transition_log id written by the transaction';
COMMENT ON COLUMN isms.outbox.last_log_id IS 'Highest transition_log id written by the transaction';
COMMENT ON COLUMN isms.outbox.events IS 'How many transitions the transaction logged';
COMMENT ON COLUMN isms.outbox.committed_at IS 'When the transaction committed';

CREATE FUNCTION isms.events_after(last_seen bigint, max_transactions integer DEFAULT 100)
RETURNS TABLE (seq bigint, log_id bigint, org_id bigint, record_table text, record_id bigint,
               from_state text, to_state text, cycle integer, actor text, reason text, at timestamptz)
LANGUAGE sql STABLE SET search_path = pg_catalog, isms, pg_temp AS $$
    SELECT o.seq, l.log_id, l.org_id,
           (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = l.record_table), l.record_id,
           l.from_state, l.to_state, l.cycle, l.actor, l.reason, l.at
      FROM (SELECT * FROM isms.outbox WHERE seq > last_seen ORDER BY seq LIMIT max_transactions) AS o
      JOIN isms.transition_log AS l
        ON l.log_id BETWEEN o.first_log_id AND o.last_log_id AND l.xact_id = o.xact_id
     ORDER BY o.seq, l.log_id
$$;
COMMENT ON FUNCTION isms.events_after(bigint, integer) IS
    'Transitions visible to the caller of the transactions committed after outbox number last_seen, in commit order, at most max_transactions of the transactions the caller can see; remember the largest seq returned and pass it next time to never miss an event';
REVOKE ALL ON FUNCTION isms.events_after(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.events_after(bigint, integer) TO isms_reader;

CREATE FUNCTION isms.workflow_enforce() RETURNS trigger
    AS 'MODULE_PATHNAME', 'workflow_enforce' LANGUAGE C;
COMMENT ON FUNCTION isms.workflow_enforce() IS
    'Row trigger enforcing a table''s workflow on INSERT and UPDATE, and logging accepted transitions';
REVOKE ALL ON FUNCTION isms.workflow_enforce() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.workflow_enforce() TO isms_reader;
CREATE FUNCTION isms.workflow_flush() RETURNS trigger
    AS 'MODULE_PATHNAME', 'workflow_flush' LANGUAGE C;
COMMENT ON FUNCTION isms.workflow_flush() IS
    'Statement trigger writing the transition log rows queued by isms.workflow_enforce()';
REVOKE ALL ON FUNCTION isms.workflow_flush() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.workflow_flush() TO isms_reader;

CREATE FUNCTION isms.workflow_log_created() RETURNS trigger
    AS 'MODULE_PATHNAME', 'workflow_log_created' LANGUAGE C;
COMMENT ON FUNCTION isms.workflow_log_created() IS
    'Row trigger logging the creation of a workflow record once it is really inserted (not a row an ON CONFLICT clause skipped)';
REVOKE ALL ON FUNCTION isms.workflow_log_created() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.workflow_log_created() TO isms_reader;
CREATE FUNCTION isms.workflow_refuse_delete() RETURNS trigger
    AS 'MODULE_PATHNAME', 'workflow_refuse_delete' LANGUAGE C;
COMMENT ON FUNCTION isms.workflow_refuse_delete() IS
    'Row trigger refusing (IS090) the DELETE of a workflow record in a final state or with moves in the transition log; a record that never moved may be deleted';
REVOKE ALL ON FUNCTION isms.workflow_refuse_delete() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.workflow_refuse_delete() TO isms_reader;

CREATE FUNCTION isms.attach_workflow(tbl regclass, workflow_name text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp AS $$
DECLARE
    trig name;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM isms.workflow WHERE workflow = workflow_name) THEN
        RAISE EXCEPTION 'workflow "%" does not exist', workflow_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'SELECT workflow FROM isms.workflow lists them.';
    END IF;
    UPDATE isms.workflow SET relid = tbl WHERE workflow = workflow_name;
    -- idempotent: an upgrade runs it again over every workflow table
    FOR trig IN SELECT t.tgname FROM pg_trigger t
                 WHERE t.tgrelid = tbl AND NOT t.tgisinternal
                   AND t.tgname IN ('isms_workflow', 'isms_workflow_log', 'isms_workflow_created', 'isms_workflow_delete')
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', trig, tbl);
    END LOOP;
    EXECUTE format('CREATE TRIGGER isms_workflow BEFORE INSERT OR UPDATE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION isms.workflow_enforce()', tbl);
    -- a creation is logged once the row is inserted, then the batch written
    EXECUTE format('CREATE TRIGGER isms_workflow_created AFTER INSERT ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION isms.workflow_log_created()', tbl);
    EXECUTE format('CREATE TRIGGER isms_workflow_log AFTER INSERT OR UPDATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION isms.workflow_flush()', tbl);
    EXECUTE format('CREATE TRIGGER isms_workflow_delete BEFORE DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION isms.workflow_refuse_delete()', tbl);
END $$;
COMMENT ON FUNCTION isms.attach_workflow(regclass, text) IS
    'Binds a workflow to a table (with org_id, id, status and cycle columns) and installs the engine''s triggers: enforcement, creation logging, the log writer and the DELETE refusal; idempotent';
REVOKE ALL ON FUNCTION isms.attach_workflow(regclass, text) FROM PUBLIC;

CREATE FUNCTION isms.transition(tbl regclass, record_id bigint, to_state text, reason text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp AS $$
DECLARE
    label text; current text; n bigint; old_reason text; org bigint;
    qualified text := (SELECT format('%I.%I', n.nspname, c.relname)
                         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE c.oid = tbl);
BEGIN
    SELECT record_label INTO label FROM isms.workflow WHERE relid = tbl;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % has no workflow', qualified
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'SELECT relid FROM isms.workflow lists the workflow tables.';
    END IF;
    -- lock the row first, so that a concurrent move is seen before deciding;
    -- by its key (org_id, id), which Citus needs to route a locking read
    EXECUTE format('SELECT org_id FROM %s WHERE id = $1', qualified) INTO org USING record_id;
    EXECUTE format('SELECT status FROM %s WHERE org_id = $2 AND id = $1 FOR UPDATE', qualified)
        INTO current USING record_id, org;
    IF current IS NULL THEN
        RAISE EXCEPTION '% % does not exist', label, record_id
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('No row of %s with id %s is visible to you.', qualified, record_id),
                  HINT = 'Check the id and your organisation membership.';
    END IF;
    IF current = to_state THEN
        RAISE EXCEPTION 'cannot move % % from "%" to "%"', label, record_id, current, to_state
            USING ERRCODE = 'IS001',
                  DETAIL = format('The %s is already "%s"; another session may have moved it.', label, current),
                  HINT = 'Read the record again and choose from isms.next_states().';
    END IF;
    old_reason := current_setting('isms.reason', true);
    -- without a reason argument, a reason SET LOCAL by the caller stands.
    -- On a distributed isms the trigger that logs the move runs on a worker,
    -- which receives a SET LOCAL run in a DO block (Citus propagates none
    -- from a function called outside a transaction block, nor set_config())
    IF current_setting('citus.propagate_set_commands', true) = 'local' THEN
        EXECUTE format('DO %L', format('BEGIN SET LOCAL isms.reason = %L; END', coalesce(reason, old_reason, '')));
    ELSE
        PERFORM set_config('isms.reason', coalesce(reason, old_reason, ''), true);
    END IF;
    EXECUTE format('UPDATE %s SET status = $1 WHERE org_id = $3 AND id = $2', qualified)
        USING to_state, record_id, org;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF current_setting('citus.propagate_set_commands', true) = 'local' THEN
        EXECUTE format('DO %L', format('BEGIN SET LOCAL isms.reason = %L; END', coalesce(old_reason, '')));
    ELSE
        PERFORM set_config('isms.reason', coalesce(old_reason, ''), true);
    END IF;
    IF n <> 1 THEN
        RAISE EXCEPTION 'cannot move % %: the row was not updated', label, record_id
            USING ERRCODE = 'IS001',
                  HINT = 'A row-level security policy or another trigger may have skipped it.';
    END IF;
END $$;
COMMENT ON FUNCTION isms.transition(regclass, bigint, text, text) IS
    'Moves a workflow record to a new status with a reason; checked exactly like a plain UPDATE of status';
REVOKE ALL ON FUNCTION isms.transition(regclass, bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.transition(regclass, bigint, text, text) TO isms_reader;

CREATE FUNCTION isms.next_states(tbl regclass, record_id bigint)
RETURNS TABLE (state text, phase text, starts_new_cycle boolean, guard text,
               guard_holds boolean, guard_failure text, reason_required boolean)
    AS 'MODULE_PATHNAME', 'workflow_next_states' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION isms.next_states(regclass, bigint) IS
    'The moves open to a record now, and whether each one''s guards hold: for applications to build their buttons';
REVOKE ALL ON FUNCTION isms.next_states(regclass, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.next_states(regclass, bigint) TO isms_reader;

-- The transition log is sealed in the trail: at commit, each organisation
-- whose records moved gets one trail entry (action 'transitions') listing
-- the transaction's log batches, each with the SHA-256 of its rows'
-- canonical encoding.  This recomputes every batch; any changed, deleted or
-- added log row breaks one.
CREATE FUNCTION isms.transition_log_encoding(l isms.transition_log) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, isms, pg_temp AS $$
    SELECT string_agg(octet_length(convert_to(f, 'UTF8')) || ':' || f || ',', '' ORDER BY n)
      FROM unnest(ARRAY[
               l.log_id::text,
               coalesce(l.record_table_name,
                        (SELECT format('%I.%I', ns.nspname, c.relname) FROM pg_class c
                           JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE c.oid = l.record_table)),
               l.record_id::text, l.cycle::text,
               coalesce(l.from_state, ''), l.to_state, l.actor, coalesce(l.reason, ''),
               to_char(l.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')]
           || CASE WHEN l.login_role IS NULL THEN '{}'::text[] ELSE ARRAY[l.login_role] END)
           WITH ORDINALITY AS u(f, n)
$$;
COMMENT ON FUNCTION isms.transition_log_encoding(isms.transition_log) IS
    'Canonical encoding of a transition log row, as sealed in the trail: netstrings of log_id, table (record_table_name, the name at the move), record_id, cycle, from_state, to_state, actor, reason and time (UTC), then login_role when it is not NULL (rows logged before 0.2.0 have none)';
REVOKE ALL ON FUNCTION isms.transition_log_encoding(isms.transition_log) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.transition_log_encoding(isms.transition_log) TO isms_reader;

CREATE FUNCTION isms.verify_transition_log(org bigint)
RETURNS TABLE (trail_seq bigint, log_id bigint, problem text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, isms, pg_temp AS $$
#variable_conflict use_column
BEGIN
    PERFORM isms.require_member(org, 'verify the transition log of');
    RETURN QUERY
    WITH seal AS (
        SELECT t.seq, (b->>0)::bigint AS first_id, (b->>1)::bigint AS last_id,
               (b->>2)::int AS n, (t.payload->>'xact_id')::xid8 AS xact, b->>3 AS sha
          FROM isms.trail t, jsonb_array_elements(t.payload->'batches') AS b
         WHERE t.org_id = org AND t.action IN ('transitions', 'import')
           AND t.source IS DISTINCT FROM 'hand'
    ), recomputed AS (
        SELECT s.seq, s.first_id, s.n, s.sha, count(l.log_id) AS found,
               -- the row as the log's type, also where l is a row of a Citus shard
               encode(sha256(convert_to(coalesce(string_agg(isms.transition_log_encoding(
                   ROW(l.log_id, l.org_id, l.record_table, l.record_id, l.cycle, l.from_state, l.to_state,
                       l.actor, l.reason, l.at, l.xact_id, l.record_table_name, l.login_role)::isms.transition_log),
                   '' ORDER BY l.log_id), ''), 'UTF8')), 'hex') AS sha_found
          FROM seal s
          LEFT JOIN isms.transition_log l
            ON l.org_id = org AND l.xact_id = s.xact AND l.log_id BETWEEN s.first_id AND s.last_id
         GROUP BY s.seq, s.first_id, s.n, s.sha
    )
    SELECT * FROM (
        SELECT r.seq, r.first_id,
               CASE WHEN r.found <> r.n THEN format('the seal covers %s log rows, %s are there', r.n, r.found)
                    ELSE 'log rows changed since they were sealed' END
          FROM recomputed r
         WHERE r.found <> r.n OR r.sha_found <> r.sha
        UNION ALL
        SELECT NULL, l.log_id, 'log row not sealed by any trail entry'
          FROM isms.transition_log l
         WHERE l.org_id = org
           AND NOT EXISTS (SELECT 1 FROM seal s WHERE l.xact_id = s.xact AND l.log_id BETWEEN s.first_id AND s.last_id)
    ) AS p (trail_seq, log_id, problem)
    ORDER BY log_id;
END
$$;
COMMENT ON FUNCTION isms.verify_transition_log(bigint) IS
    'Recomputes the trail''s seals of an organisation''s transition log (the engine''s, action transitions, and the imports'', action import): returns each changed, missing or unsealed log row, or nothing when the log is intact; refuses non-members (42501)';
REVOKE ALL ON FUNCTION isms.verify_transition_log(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.verify_transition_log(bigint) TO isms_reader;
