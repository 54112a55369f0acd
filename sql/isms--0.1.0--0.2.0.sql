-- isms 0.1.0 -> 0.2.0.  Run by ALTER EXTENSION isms UPDATE.  Every schema
-- change of 0.2.0 is here too: test/upgrade proves that an upgraded 0.1.0
-- and a fresh 0.2.0 have the same schema, privileges and comments.

\echo Use "ALTER EXTENSION isms UPDATE TO '0.2.0'" to load this file. \quit

--------------------------------------------------------------------------
-- The sample ISMS leaves the core: it is the extension isms_sample now.
-- Rows a 0.1.0 sample loaded stay; only the loader goes.
DROP FUNCTION isms.load_sample(integer, date);
DROP FUNCTION isms.sample_u(integer, integer, integer);

--------------------------------------------------------------------------
-- Install-time builders are idempotent, so that upgrade scripts can run
-- them again over existing registers.
CREATE OR REPLACE FUNCTION isms.setup_register(rel regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, isms
AS $$
DECLARE
    reg isms.register;
    relname text;
    seq text;
BEGIN
    SELECT * INTO STRICT reg FROM isms.register WHERE relid = rel;
    SELECT c.relname INTO relname FROM pg_class c WHERE c.oid = rel;
    PERFORM isms.comment_common_columns(rel);
    -- idempotent: an upgrade script runs it again over every register
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (id)', relname || '_id_idx', rel);
    EXECUTE format('DROP TRIGGER IF EXISTS stamp ON %s', rel);
    EXECUTE format('CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION isms.stamp()', rel);
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', rel);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', rel);
    EXECUTE format('DROP POLICY IF EXISTS member ON %s', rel);
    EXECUTE format('CREATE POLICY member ON %s USING (org_id = ANY ((SELECT isms.member_orgs())::bigint[])) '
                   'WITH CHECK (org_id = ANY ((SELECT isms.member_orgs())::bigint[]))', rel);
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', rel);
    EXECUTE format('GRANT SELECT ON %s TO isms_reader', rel);
    EXECUTE format('GRANT INSERT, UPDATE, DELETE ON %s TO isms_editor', rel);
    IF reg.audit_record THEN
        EXECUTE format('GRANT INSERT, UPDATE ON %s TO isms_auditor', rel);
    END IF;
    PERFORM pg_catalog.pg_extension_config_dump(rel, '');
    seq := pg_catalog.pg_get_serial_sequence(rel::text, 'id');
    IF seq IS NOT NULL THEN
        PERFORM pg_catalog.pg_extension_config_dump(seq::regclass, '');
    END IF;
END
$$;
COMMENT ON FUNCTION isms.setup_register(regclass) IS
    'Install helper for a table listed in isms.register: index on id, isms.stamp() trigger, row-level security by membership, grants, pg_dump registration, common column comments; idempotent, so an upgrade script can run it again';
REVOKE ALL ON FUNCTION isms.setup_register(regclass) FROM PUBLIC;

CREATE OR REPLACE FUNCTION isms.build_register_row() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog
AS $$
DECLARE
    r record;
    parts text[] := '{}';
    label_col text;
    label text;
    cols text[];
    extra text[];
    tbl text;
    common text;
    retired text;
    in_force text;
    activity text[] := '{}';
BEGIN
    FOR r IN SELECT * FROM isms.register ORDER BY name LOOP
        SELECT array_agg(a.attname::text) INTO cols
          FROM pg_attribute a WHERE a.attrelid = r.relid AND a.attnum > 0 AND NOT a.attisdropped;
        SELECT c.col INTO label_col
          FROM unnest(ARRAY['title', 'name', 'subject', 'control', 'requirement', 'action', 'statement',
                            'artifact', 'competence', 'activity', 'role', 'description', 'url'])
               WITH ORDINALITY AS c(col, ord)
         WHERE c.col = ANY (cols)
         ORDER BY c.ord LIMIT 1;
        label := CASE WHEN label_col IS NOT NULL THEN format('t.%I::text', label_col)
                      ELSE quote_literal(r.title) || '::text' END;
        retired := CASE WHEN NOT r.reviewable THEN 'NULL::timestamptz'
                        WHEN r.has_workflow
                        THEN format('CASE WHEN EXISTS (SELECT 1 FROM isms.workflow w JOIN isms.workflow_state ws '
                                    'ON ws.workflow = w.workflow WHERE w.relid = %L::regclass AND ws.state = t.status '
                                    'AND ws.is_terminal) THEN t.updated_at END', r.relid)
                        WHEN 'status' = ANY (cols) THEN 'CASE WHEN t.status = ''retired'' THEN t.updated_at END'
                        WHEN 'period_end' = ANY (cols) THEN '(t.period_end + 1)::timestamptz'
                        WHEN 'ended_on' = ANY (cols) THEN '(t.ended_on + 1)::timestamptz'
                        ELSE 'NULL::timestamptz' END;
        common := format(
            'SELECT t.org_id, %L::regclass AS relid, %L::text AS register, t.id, %s AS label, %s AS owner, '
            '%s AS reviewable, %s AS review_interval, %s AS last_reviewed_at, t.created_at, t.updated_at, '
            '%s AS status, %s AS retired_at, %s AS basis',
            r.relid, r.name, label,
            CASE WHEN 'owner' = ANY (cols) THEN 't.owner' ELSE 'NULL::text' END,
            r.reviewable::text,
            CASE WHEN r.reviewable THEN 't.review_interval' ELSE 'NULL::interval' END,
            CASE WHEN r.reviewable THEN 't.last_reviewed_at' ELSE 'NULL::timestamptz' END,
            CASE WHEN 'status' = ANY (cols) THEN 't.status' ELSE 'NULL::text' END,
            retired,
            CASE WHEN r.reviewable THEN 'coalesce(t.last_reviewed_at, t.created_at)' ELSE 'NULL::timestamptz' END);
        IF NOT r.reviewable THEN
            parts := parts || format('%s, NULL::interval AS candidate_interval FROM %s t', common, r.relid);
            activity := activity || format(
                'SELECT %L::regclass, count(*), NULL::bigint, NULL::bigint, NULL::interval, '
                'max(t.updated_at) FILTER (WHERE t.updated_at <= $2) '
                'FROM %s t WHERE t.org_id = $1 AND t.created_at <= $2', r.relid, r.relid);
            CONTINUE;
        END IF;
        in_force := format('(%s IS NULL OR %s > $2)', retired, retired);
        activity := activity || format(
            'SELECT %L::regclass, count(*), '
            'count(*) FILTER (WHERE %s AND coalesce(t.last_reviewed_at, t.created_at) + coalesce(t.review_interval, '
            '(SELECT coalesce(s.review_interval, g.default_review_interval) FROM isms.register g '
            'LEFT JOIN isms.register_setting s ON s.org_id = $1 AND s.relid = g.relid WHERE g.relid = %L::regclass)) < $2), '
            'count(*) FILTER (WHERE %s AND t.last_reviewed_at IS NULL), '
            'max($2 - coalesce(t.last_reviewed_at, t.created_at)) FILTER (WHERE %s), '
            'max(greatest(t.updated_at, t.last_reviewed_at)) FILTER (WHERE greatest(t.updated_at, t.last_reviewed_at) <= $2) '
            'FROM %s t WHERE t.org_id = $1 AND t.created_at <= $2',
            r.relid, in_force, r.relid, in_force, in_force, r.relid);
        -- rows on the default interval: review_interval is NULL by the branch's
        -- condition, said as a constant so the review index covers the branch
        parts := parts || format(
            '%s, (SELECT least(g.default_review_interval, min(s.review_interval)) FROM isms.register g '
            'LEFT JOIN isms.register_setting s ON s.relid = g.relid WHERE g.relid = %L::regclass '
            'GROUP BY g.default_review_interval) AS candidate_interval FROM %s t WHERE t.review_interval IS NULL',
            replace(common, 't.review_interval AS review_interval', 'NULL::interval AS review_interval'),
            r.relid, r.relid);
        parts := parts || format(
            '%s, interval ''0'' AS candidate_interval FROM %s t WHERE t.review_interval IS NOT NULL',
            common, r.relid);
        -- the review indexes, covering what the stale list shows
        extra := ARRAY['org_id', 'id', 'last_reviewed_at', 'created_at', 'updated_at']
                 || ARRAY(SELECT c FROM unnest(ARRAY['owner', label_col, 'status', 'period_end', 'ended_on']) c
                           WHERE c = ANY (cols) AND c IS NOT NULL);
        SELECT c.relname INTO tbl FROM pg_class c WHERE c.oid = r.relid;
        IF to_regclass(format('isms.%I', tbl || '_review_idx')) IS NULL THEN
            EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s ((coalesce(last_reviewed_at, created_at))) INCLUDE (%s) '
                           'WHERE review_interval IS NULL',
                           tbl || '_review_idx', r.relid,
                           (SELECT string_agg(quote_ident(c), ', ') FROM unnest(extra) c));
            EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s ((coalesce(last_reviewed_at, created_at))) INCLUDE (%s) '
                           'WHERE review_interval IS NOT NULL',
                           tbl || '_review_own_idx', r.relid,
                           (SELECT string_agg(quote_ident(c), ', ') FROM unnest(extra || ARRAY['review_interval']) c));
        END IF;
    END LOOP;
    EXECUTE 'CREATE OR REPLACE VIEW isms.register_row WITH (security_invoker = true) AS '
            || array_to_string(parts, E'\nUNION ALL ');
    COMMENT ON VIEW isms.register_row IS
        'Reports (9.1): every row of every register (branches generated from isms.register) with its review interval, last review, last change and whether it is in force; row-level security of each register applies';
    COMMENT ON COLUMN isms.register_row.org_id IS 'Organisation of the row';
    COMMENT ON COLUMN isms.register_row.relid IS 'Register table of the row';
    COMMENT ON COLUMN isms.register_row.register IS 'Register name (isms.register.name)';
    COMMENT ON COLUMN isms.register_row.id IS 'id of the row in its register';
    COMMENT ON COLUMN isms.register_row.label IS 'Human-readable label of the row: its title, name, subject, control or similar';
    COMMENT ON COLUMN isms.register_row.owner IS 'Person accountable for the row; NULL where the register has no owner column';
    COMMENT ON COLUMN isms.register_row.reviewable IS 'True when the register is reviewed periodically (isms.register.reviewable)';
    COMMENT ON COLUMN isms.register_row.review_interval IS 'The row''s own review interval; NULL means the organisation''s setting or the register default (isms.review_interval)';
    COMMENT ON COLUMN isms.register_row.last_reviewed_at IS 'When the row was last reviewed; NULL if never or not reviewable';
    COMMENT ON COLUMN isms.register_row.created_at IS 'When the row was created';
    COMMENT ON COLUMN isms.register_row.updated_at IS 'When the row was last changed';
    COMMENT ON COLUMN isms.register_row.status IS 'Workflow or document status; NULL where the register has none';
    COMMENT ON COLUMN isms.register_row.retired_at IS 'When a reviewable row went out of force and stopped needing review: a workflow record''s final state, a retired document, the end of an audit programme''s period or of a role assignment; NULL while in force';
    COMMENT ON COLUMN isms.register_row.basis IS 'When the review interval of a reviewable row is counted from: its last review, else its creation';
    COMMENT ON COLUMN isms.register_row.candidate_interval IS 'Shortest review interval the row can have without its own (register default or any organisation''s setting); 0 for rows with their own; lets a stale list read only the rows whose basis is older than as_of minus it';
    REVOKE ALL ON isms.register_row FROM PUBLIC;
    GRANT SELECT ON isms.register_row TO isms_reader;

    -- Per register, what one organisation's rows say about staleness: one
    -- small aggregate per register table (cheaper than grouping the view).
    EXECUTE 'CREATE OR REPLACE FUNCTION isms.register_activity(org_id bigint, as_of timestamptz) '
            'RETURNS TABLE (relid regclass, rows bigint, overdue bigint, never_reviewed bigint, '
            'oldest_review interval, last_change_at timestamptz) '
            'LANGUAGE plpgsql STABLE SET search_path = pg_catalog, isms SET plan_cache_mode = force_generic_plan SET jit = off '
            'AS $f$ BEGIN RETURN QUERY ' || array_to_string(activity, E'\nUNION ALL ') || '; END $f$';
    COMMENT ON FUNCTION isms.register_activity(bigint, timestamptz) IS
        'Staleness figures of one organisation per register at as_of (generated from isms.register by isms.build_register_row()): rows existing then, rows in force overdue for review, never reviewed, age of the oldest review, last change';
    REVOKE ALL ON FUNCTION isms.register_activity(bigint, timestamptz) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION isms.register_activity(bigint, timestamptz) TO isms_reader;
END
$$;
COMMENT ON FUNCTION isms.build_register_row() IS
    'Install helper: (re)creates the view isms.register_row and the review indexes of the reviewable registers from isms.register; call it again after adding a register';
REVOKE ALL ON FUNCTION isms.build_register_row() FROM PUBLIC;

-- Run them again: every register then has the triggers, policies, grants and
-- indexes that a fresh install gives it (quietly: "already exists").
SET LOCAL client_min_messages = warning;
SELECT isms.setup_register(relid) FROM isms.register ORDER BY name;
SELECT isms.build_register_row();
RESET client_min_messages;

------------------------------------------------------------------------------
-- Guards that hold for the right reason, and bounded input (0.2.0).
--
-- Rows kept from 0.1.0 must satisfy the new CHECK constraints, which are
-- added validated: the upgrade first names any row that does not, so that
-- it can be corrected before ALTER EXTENSION isms UPDATE is run again.

CREATE OR REPLACE FUNCTION isms.is_meaningful(t text, min_length integer DEFAULT 3) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT $1 IS NOT NULL
       AND pg_catalog.char_length(pg_catalog.btrim($1)) OPERATOR(pg_catalog.>=) coalesce($2, 3)
       AND pg_catalog.char_length(pg_catalog.regexp_replace($1, '[^[:alnum:]]+', '', 'g')) OPERATOR(pg_catalog.>=) 2
       AND pg_catalog.lower(pg_catalog.regexp_replace($1, '[^[:alnum:]]+', '', 'g')) OPERATOR(pg_catalog.<>) ALL
           (ARRAY['na', 'nil', 'null', 'none', 'nothing', 'tbd', 'tba', 'tbc', 'todo', 'notapplicable',
                  'xx', 'xxx', 'xxxx', 'test', 'dummy', 'placeholder', 'unknown', 'ok', 'yes', 'no'])
$$;
COMMENT ON FUNCTION isms.is_meaningful(text, integer) IS
    'True when a text says something: at least min_length characters (3 by default) and two letters or digits, and not a placeholder such as -, n/a, tbd, none or xxx; used by the CHECK constraints on justifications and management review inputs';
REVOKE ALL ON FUNCTION isms.is_meaningful(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.is_meaningful(text, integer) TO isms_reader;


DO $$
DECLARE
    r record;
    bad text;
BEGIN
    FOR r IN SELECT x.relid, x.col FROM (
                 SELECT g.relid, 'review_interval' AS col FROM isms.register g WHERE g.reviewable
                 UNION ALL SELECT 'isms.register_setting'::regclass, 'review_interval'
                 UNION ALL SELECT 'isms.register'::regclass, 'default_review_interval') x
              ORDER BY 1 LOOP
        EXECUTE format('SELECT string_agg(%I::text, '', '') FROM %s '
                       'WHERE NOT %I BETWEEN interval ''1 day'' AND interval ''10 years''', r.col, r.relid, r.col)
            INTO bad;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION 'isms 0.2.0 bounds review intervals, and % holds intervals outside them', r.relid
                USING ERRCODE = 'check_violation',
                      DETAIL = format('%s of %s: %s.', r.col, r.relid, bad),
                      HINT = 'Set these review intervals between 1 day and 10 years, then run ALTER EXTENSION isms UPDATE again.';
        END IF;
    END LOOP;
    SELECT string_agg(format('organisation %s control %s', e.org_id, e.control), ', ' ORDER BY e.org_id, e.control)
      INTO bad FROM isms.soa_entry e WHERE e.justification IS NOT NULL AND NOT isms.is_meaningful(e.justification, 10);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'isms 0.2.0 requires SoA justifications that say something, and some SoA entries have a placeholder'
            USING ERRCODE = 'check_violation', DETAIL = format('Without a meaningful justification: %s.', bad),
                  HINT = 'Record why each control is included or excluded (at least 10 characters, not "-" or "n/a"), then run ALTER EXTENSION isms UPDATE again.';
    END IF;
    SELECT string_agg(format('organisation %s review %s', m.org_id, m.id), ', ' ORDER BY m.org_id, m.id)
      INTO bad FROM isms.management_review m
     WHERE m.held_on IS NOT NULL
       AND (m.held_on > current_date
            OR NOT (isms.is_meaningful(m.previous_actions_status) AND isms.is_meaningful(m.context_changes)
                    AND isms.is_meaningful(m.party_changes) AND isms.is_meaningful(m.performance_feedback)
                    AND isms.is_meaningful(m.party_feedback) AND isms.is_meaningful(m.risk_results)
                    AND isms.is_meaningful(m.improvement_opportunities) AND isms.is_meaningful(m.decisions)));
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'isms 0.2.0 requires every 9.3.2 input of a held management review, and a held_on not in the future'
            USING ERRCODE = 'check_violation', DETAIL = format('Held with a blank or placeholder input, or in the future: %s.', bad),
                  HINT = 'Record each input (not blank, not "n/a") and the date the review was held, then run ALTER EXTENSION isms UPDATE again.';
    END IF;

    -- review intervals between 1 day and 10 years
    FOR r IN SELECT g.relid, c.relname FROM isms.register g JOIN pg_catalog.pg_class c ON c.oid = g.relid
              WHERE g.reviewable ORDER BY c.relname LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I, ADD CONSTRAINT %I '
                       'CHECK (review_interval BETWEEN interval ''1 day'' AND interval ''10 years'')',
                       r.relid, r.relname || '_positive_review_interval', r.relname || '_review_interval_range');
    END LOOP;
END
$$;
ALTER TABLE isms.register DROP CONSTRAINT register_positive_review_interval,
    ADD CONSTRAINT register_review_interval_range
        CHECK (default_review_interval BETWEEN interval '1 day' AND interval '10 years');
ALTER TABLE isms.register_setting DROP CONSTRAINT register_setting_positive_interval,
    ADD CONSTRAINT register_setting_review_interval_range
        CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years');

-- Statement of Applicability: a justification of every inclusion and
-- exclusion; entries on controls only; no exclusion of a control a risk
-- treatment uses
ALTER TABLE isms.soa_entry ADD CONSTRAINT soa_entry_justification_meaningful
    CHECK (justification IS NULL OR isms.is_meaningful(justification, 10));
COMMENT ON TABLE isms.soa_entry IS
    'Clause 6.1.3 d: Statement of Applicability: each Annex A control (a control, not a theme), whether it applies, the justification of its inclusion or exclusion (required, at least 10 characters and not a placeholder), and its implementation status; linked risks via isms.risk_control (a control a risk treatment uses cannot be excluded)';
COMMENT ON COLUMN isms.soa_entry.justification IS 'Justification of the inclusion or exclusion (6.1.3 d); required, at least 10 characters, not a placeholder such as - or n/a';
COMMENT ON COLUMN isms_history.soa_entry.justification IS 'Justification of the inclusion or exclusion (6.1.3 d); required, at least 10 characters, not a placeholder such as - or n/a';

-- The Statement of Applicability justifies each new or changed decision,
-- inclusion or exclusion (rows kept from before 0.2.0 may lack the
-- justification of an inclusion until they are changed), decides on
-- controls, not on themes (A.5 is a theme, A.5.1 a control), and cannot exclude a control that a risk
-- treatment uses (isms.risk_control); nor can a risk treatment use a control
-- the organisation's SoA excludes.  A superuser's write is trusted (a
-- restore, or rows kept from before these rules).
CREATE FUNCTION isms.soa_entry_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    kind text;
    used text;
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       OR NOT NEW.org_id = ANY (isms.member_orgs()) THEN
        RETURN NEW;                     -- trusted, or refused by row-level security
    END IF;
    IF NOT isms.is_meaningful(NEW.justification, 10)
       AND (TG_OP = 'INSERT' OR NEW.applicable IS DISTINCT FROM OLD.applicable
            OR NEW.justification IS DISTINCT FROM OLD.justification) THEN
        RAISE EXCEPTION 'SoA entry for % of organisation % has no justification', NEW.control, NEW.org_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'soa_entry_justification_required',
                  TABLE = 'soa_entry', SCHEMA = 'isms',
                  DETAIL = format('The control is %s; its justification is %s.',
                                  CASE WHEN NEW.applicable THEN 'included' ELSE 'excluded' END,
                                  coalesce(quote_literal(NEW.justification), 'missing')),
                  HINT = 'Clause 6.1.3 d asks why each control is included or excluded: record it (at least 10 characters, not "-" or "n/a").';
    END IF;
    SELECT r.kind INTO kind FROM isms.requirement r WHERE r.framework = NEW.framework AND r.ref = NEW.control;
    IF kind IS DISTINCT FROM 'control' THEN
        RAISE EXCEPTION 'SoA entry for % of organisation % is not on a control', NEW.control, NEW.org_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'soa_entry_on_control',
                  TABLE = 'soa_entry', SCHEMA = 'isms',
                  DETAIL = format('%s of %s is a %s, not a control.', NEW.control, NEW.framework, coalesce(kind, 'requirement')),
                  HINT = 'Decide the applicability of each control of the theme, such as A.5.1, not of the theme.';
    END IF;
    IF NOT NEW.applicable THEN
        SELECT string_agg(format('risk %s', rc.risk_id), ', ' ORDER BY rc.risk_id) INTO used
          FROM isms.risk_control rc
         WHERE rc.org_id = NEW.org_id AND rc.framework = NEW.framework AND rc.control = NEW.control;
        IF used IS NOT NULL THEN
            RAISE EXCEPTION 'control % cannot be excluded from the Statement of Applicability of organisation %: a risk treatment uses it',
                            NEW.control, NEW.org_id
                USING ERRCODE = 'IS070',
                      DETAIL = format('isms.risk_control names %s for %s.', NEW.control, used),
                      HINT = 'Remove the control from those risks'' treatment (isms.risk_control) first, or keep it applicable.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.soa_entry_check() IS
    'Trigger: a new or changed SoA entry has a meaningful justification and is on a control, not a theme (23514), and excludes no control a risk treatment uses (IS070)';
REVOKE ALL ON FUNCTION isms.soa_entry_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.soa_entry_check() TO isms_reader;
CREATE TRIGGER soa_entry_check
    BEFORE INSERT OR UPDATE OF org_id, framework, control, applicable, justification ON isms.soa_entry
    FOR EACH ROW EXECUTE FUNCTION isms.soa_entry_check();

CREATE FUNCTION isms.risk_control_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    kind text;
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       OR NOT NEW.org_id = ANY (isms.member_orgs()) THEN
        RETURN NEW;                     -- trusted, or refused by row-level security
    END IF;
    SELECT r.kind INTO kind FROM isms.requirement r WHERE r.framework = NEW.framework AND r.ref = NEW.control;
    IF kind IS DISTINCT FROM 'control' THEN
        RAISE EXCEPTION 'risk % of organisation % cannot be treated by %: it is not a control', NEW.risk_id, NEW.org_id, NEW.control
            USING ERRCODE = 'check_violation', CONSTRAINT = 'risk_control_on_control',
                  TABLE = 'risk_control', SCHEMA = 'isms',
                  DETAIL = format('%s of %s is a %s, not a control.', NEW.control, NEW.framework, coalesce(kind, 'requirement')),
                  HINT = 'Name a control, such as A.5.1, not a theme.';
    END IF;
    IF EXISTS (SELECT 1 FROM isms.soa_entry e
                WHERE e.org_id = NEW.org_id AND e.framework = NEW.framework AND e.control = NEW.control
                  AND NOT e.applicable) THEN
        RAISE EXCEPTION 'risk % of organisation % cannot be treated by %: the Statement of Applicability excludes it',
                        NEW.risk_id, NEW.org_id, NEW.control
            USING ERRCODE = 'IS070',
                  DETAIL = format('The SoA entry for %s is not applicable.', NEW.control),
                  HINT = 'Include the control in the Statement of Applicability (with its justification) first, or choose another control.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.risk_control_check() IS
    'Trigger: a risk treatment uses a control, not a theme (23514), that the organisation''s Statement of Applicability does not exclude (IS070)';
REVOKE ALL ON FUNCTION isms.risk_control_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.risk_control_check() TO isms_reader;
CREATE TRIGGER risk_control_check
    BEFORE INSERT OR UPDATE OF org_id, framework, control ON isms.risk_control
    FOR EACH ROW EXECUTE FUNCTION isms.risk_control_check();

-- Management review: inputs that say something, held_on not in the future
ALTER TABLE isms.management_review DROP CONSTRAINT management_review_inputs_when_held,
    ADD CONSTRAINT management_review_inputs_when_held
        CHECK (held_on IS NULL
               OR (isms.is_meaningful(previous_actions_status) AND isms.is_meaningful(context_changes)
                   AND isms.is_meaningful(party_changes) AND isms.is_meaningful(performance_feedback)
                   AND isms.is_meaningful(party_feedback) AND isms.is_meaningful(risk_results)
                   AND isms.is_meaningful(improvement_opportunities) AND isms.is_meaningful(decisions))),
    ADD CONSTRAINT management_review_held_not_in_future
        CHECK (held_on <= current_date);
COMMENT ON COLUMN isms.management_review.held_on IS 'Date held, not in the future; once set, every input a-g and the decisions are required, each a text that says something (isms.is_meaningful: not blank, not n/a)';
COMMENT ON COLUMN isms_history.management_review.held_on IS 'Date held, not in the future; once set, every input a-g and the decisions are required, each a text that says something (isms.is_meaningful: not blank, not n/a)';

-- Nonconformity: the decision that no corrective action is needed; the
-- actions of a closed nonconformity stay with it
ALTER TABLE isms.nonconformity
    ADD COLUMN no_action_needed boolean NOT NULL DEFAULT false,
    ADD COLUMN no_action_justification text,
    ADD CONSTRAINT nonconformity_no_action_justified
        CHECK (NOT no_action_needed OR isms.is_meaningful(no_action_justification, 10));
COMMENT ON COLUMN isms.nonconformity.no_action_needed IS 'The recorded decision that no corrective action is needed (10.2 b: evaluate the need for action); lets the nonconformity close without an action checked effective';
COMMENT ON COLUMN isms.nonconformity.no_action_justification IS 'Why no corrective action is needed; required with no_action_needed, at least 10 characters, not a placeholder';
SELECT isms.history_sync_columns('isms.nonconformity');
COMMENT ON COLUMN isms_history.nonconformity.no_action_needed IS 'The recorded decision that no corrective action is needed (10.2 b: evaluate the need for action); lets the nonconformity close without an action checked effective';
COMMENT ON COLUMN isms_history.nonconformity.no_action_justification IS 'Why no corrective action is needed; required with no_action_needed, at least 10 characters, not a placeholder';

-- The corrective actions of a nonconformity in a final state are part of
-- how it was closed: they cannot be moved to another nonconformity, moved
-- away, or deleted, and no action is added to it; reopen the nonconformity
-- first.  A superuser's INSERT is trusted (a restore).
CREATE FUNCTION isms.corrective_action_nonconformity_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    nc_status text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_OP = 'DELETE' OR (OLD.org_id, OLD.nonconformity_id) IS DISTINCT FROM (NEW.org_id, NEW.nonconformity_id) THEN
            SELECT n.status INTO nc_status FROM isms.nonconformity n
             WHERE n.org_id = OLD.org_id AND n.id = OLD.nonconformity_id
               AND n.status IN (SELECT s.state FROM isms.workflow_state s
                                 WHERE s.workflow = 'nonconformity' AND s.is_terminal);
            IF nc_status IS NOT NULL THEN
                RAISE EXCEPTION 'corrective action % cannot be %: nonconformity % is %',
                                OLD.id, CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'moved to another nonconformity' END,
                                OLD.nonconformity_id, nc_status
                    USING ERRCODE = 'IS071',
                          DETAIL = format('Corrective action %s of organisation %s belongs to nonconformity %s, in its final status "%s".',
                                          OLD.id, OLD.org_id, OLD.nonconformity_id, nc_status),
                          HINT = 'The actions of a closed nonconformity are the record of how it was closed; reopen the nonconformity first (isms.transition to "reported", with a reason).';
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF (OLD.org_id, OLD.nonconformity_id) IS NOT DISTINCT FROM (NEW.org_id, NEW.nonconformity_id) THEN
            RETURN NEW;
        END IF;
    ELSIF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        RETURN NEW;                     -- a restore
    END IF;
    SELECT n.status INTO nc_status FROM isms.nonconformity n
     WHERE n.org_id = NEW.org_id AND n.id = NEW.nonconformity_id
       AND n.status IN (SELECT s.state FROM isms.workflow_state s
                         WHERE s.workflow = 'nonconformity' AND s.is_terminal);
    IF nc_status IS NOT NULL THEN
        RAISE EXCEPTION 'corrective action cannot be added to nonconformity %: it is %', NEW.nonconformity_id, nc_status
            USING ERRCODE = 'IS071',
                  DETAIL = format('Nonconformity %s of organisation %s is in its final status "%s".',
                                  NEW.nonconformity_id, NEW.org_id, nc_status),
                  HINT = 'Reopen the nonconformity first (isms.transition to "reported", with a reason), or raise a new one.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.corrective_action_nonconformity_check() IS
    'Trigger: the corrective actions of a nonconformity in a final state are neither moved nor deleted, and none is added to it (IS071)';
REVOKE ALL ON FUNCTION isms.corrective_action_nonconformity_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.corrective_action_nonconformity_check() TO isms_reader;
CREATE TRIGGER corrective_action_nonconformity_check
    BEFORE INSERT OR UPDATE OF org_id, nonconformity_id OR DELETE ON isms.corrective_action
    FOR EACH ROW EXECUTE FUNCTION isms.corrective_action_nonconformity_check();

-- The guards
UPDATE isms.workflow SET description = 'Clause 10.2: a nonconformity, closed only when none of its corrective actions is open and one was closed as effective, or no action is needed' WHERE workflow = 'nonconformity';
UPDATE isms.workflow SET description = 'Clause 6.2: an information security objective, achieved only when its latest measurement meets its target' WHERE workflow = 'objective';
UPDATE isms.workflow_guard SET description = 'A corrective action closes only with a root cause and an effectiveness check by someone other than the implementer: the names recorded differ, and so do the persons the log records moving it to implemented and to verified',
  check_sql = $g$SELECT CASE WHEN coalesce(btrim(($1).root_cause), '') = '' THEN 'no root cause is recorded'
               WHEN ($1).effectiveness_checked_by IS NULL OR ($1).effectiveness_checked_at IS NULL
                 THEN 'no effectiveness check is recorded'
               WHEN ($1).effectiveness_checked_by = ($1).implemented_by
                 THEN format('the effectiveness check was made by %s, who implemented the action', ($1).implemented_by)
               WHEN l.implementer = l.checker
                 THEN format('the log records %s both moving the action to implemented and recording its effectiveness check (to verified)', l.checker)
               WHEN ($1).effective IS NOT TRUE THEN 'the effectiveness check did not find the action effective' END
       FROM (SELECT (SELECT t.actor FROM isms.transition_log t
                      WHERE t.org_id = ($1).org_id AND t.record_table = 'isms.corrective_action'::regclass
                        AND t.record_id = ($1).id AND t.to_state = 'implemented'
                      ORDER BY t.at DESC, t.log_id DESC LIMIT 1) AS implementer,
                    (SELECT t.actor FROM isms.transition_log t
                      WHERE t.org_id = ($1).org_id AND t.record_table = 'isms.corrective_action'::regclass
                        AND t.record_id = ($1).id AND t.to_state = 'verified'
                      ORDER BY t.at DESC, t.log_id DESC LIMIT 1) AS checker) l$g$
 WHERE guard = 'corrective_action_effective';
UPDATE isms.workflow_guard SET description = 'A nonconformity closes only when none of its corrective actions is open, and at least one of them was closed as effective or the decision that no action is needed is recorded with its justification',
  check_sql = $g$SELECT coalesce(
           (SELECT format('corrective action %s is still %s', ca.id, ca.status)
              FROM isms.corrective_action ca
             WHERE ca.org_id = ($1).org_id AND ca.nonconformity_id = ($1).id
               AND ca.status NOT IN (SELECT s.state FROM isms.workflow_state s
                                      WHERE s.workflow = 'corrective_action' AND s.is_terminal)
             ORDER BY ca.id LIMIT 1),
           CASE WHEN ($1).no_action_needed IS NOT TRUE
                 AND NOT EXISTS (SELECT 1 FROM isms.corrective_action ca
                                  WHERE ca.org_id = ($1).org_id AND ca.nonconformity_id = ($1).id
                                    AND ca.status = 'closed' AND ca.effective IS TRUE)
                THEN 'no corrective action was closed as effective, and no decision that no action is needed is recorded' END)$g$
 WHERE guard = 'nonconformity_actions_closed';
UPDATE isms.workflow_guard SET description = 'An objective is achieved only when its latest measurement not in the future meets its target',
  check_sql = $g$SELECT CASE WHEN m.value IS NULL
                THEN format('no measurement up to now is recorded against the target %s %s', ($1).target, coalesce(($1).unit, ''))
                WHEN NOT CASE ($1).direction WHEN 'at_most' THEN m.value <= ($1).target ELSE m.value >= ($1).target END
                THEN format('the latest measurement, %s %s on %s, does not meet the target %s %s',
                            m.value, coalesce(($1).unit, ''),
                            pg_catalog.to_char(m.measured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
                            ($1).target, coalesce(($1).unit, '')) END
       FROM (SELECT 1) one
       LEFT JOIN LATERAL (SELECT om.value, om.measured_at FROM isms.objective_measurement om
                           WHERE om.org_id = ($1).org_id AND om.objective_id = ($1).id
                             AND om.measured_at <= pg_catalog.statement_timestamp()
                           ORDER BY om.measured_at DESC LIMIT 1) m ON true$g$
 WHERE guard = 'objective_target_met';

------------------------------------------------------------------------------
-- Length limits.  Titles, names and similar short texts hold at most 500
-- characters, the names of persons and roles at most 128: enough for any
-- real one, and short enough that a row always fits the review indexes
-- (which carry the row's label and owner) and the unique indexes on names,
-- so an overlong text gets a CHECK violation naming the column and the
-- limit (<table>_<column>_max_<n>_chars) rather than an index error.  The
-- acting person's columns (created_by, updated_by and those defaulting to
-- isms.current_actor()) are limited with the actor itself.
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT r.relid, cl.relname, a.attname, l.n
          FROM isms.register r
          JOIN pg_catalog.pg_class cl ON cl.oid = r.relid
          JOIN pg_catalog.pg_attribute a ON a.attrelid = r.relid AND a.attnum > 0 AND NOT a.attisdropped
               AND a.atttypid = 'pg_catalog.text'::pg_catalog.regtype
          JOIN (SELECT unnest(ARRAY['title', 'name', 'subject', 'requirement', 'artifact', 'competence',
                                    'activity', 'code', 'unit', 'audience', 'frequency', 'channel']), 500
                UNION ALL
                SELECT unnest(ARRAY['role', 'owner', 'assignee', 'chair', 'lead_auditor', 'auditee', 'person',
                                    'communicator', 'reported_by', 'implemented_by', 'effectiveness_checked_by',
                                    'approved_by', 'accepted_by']), 128) AS l(col, n) ON l.col = a.attname
         WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attrdef d
                            WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum
                              AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE '%current_actor()%')
         ORDER BY cl.relname, a.attnum
    LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (pg_catalog.char_length(%I) <= %s)',
                       c.relid, format('%s_%s_max_%s_chars', c.relname, c.attname, c.n), c.attname, c.n);
    END LOOP;
END
$$;
