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
    SELECT CASE WHEN r.assessable THEN r.kind ELSE r.kind || ' that is not assessable' END INTO kind
      FROM isms.requirement r WHERE r.framework = NEW.framework AND r.ref = NEW.control;
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
    SELECT CASE WHEN r.assessable THEN r.kind ELSE r.kind || ' that is not assessable' END INTO kind
      FROM isms.requirement r WHERE r.framework = NEW.framework AND r.ref = NEW.control;
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
--------------------------------------------------------------------------
-- Security: no caller's schema, operator or temporary table takes part in
-- the extension's own SQL; verification refuses non-members; events carry
-- no tenant data and the outbox is read under row-level security.

-- Every function with a pinned search_path searches pg_temp last.
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT p.oid::pg_catalog.regprocedure AS fn,
                    CASE WHEN 'search_path=pg_catalog' OPERATOR(pg_catalog.=) ANY (p.proconfig)
                         THEN 'pg_catalog, pg_temp' ELSE 'pg_catalog, isms, pg_temp' END AS path
               FROM pg_catalog.pg_proc p
               JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
               JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
                AND e.extname OPERATOR(pg_catalog.=) 'isms'
              WHERE 'search_path=pg_catalog' OPERATOR(pg_catalog.=) ANY (p.proconfig)
                 OR 'search_path=pg_catalog, isms' OPERATOR(pg_catalog.=) ANY (p.proconfig)
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = %s', f.fn, f.path);
    END LOOP;
END
$$;
CREATE OR REPLACE FUNCTION isms.build_register_row() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
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
            'LANGUAGE plpgsql STABLE SET search_path = pg_catalog, isms, pg_temp SET plan_cache_mode = force_generic_plan SET jit = off '
            'AS $f$ BEGIN RETURN QUERY ' || array_to_string(activity, E'\nUNION ALL ') || '; END $f$';
    COMMENT ON FUNCTION isms.register_activity(bigint, timestamptz) IS
        'Staleness figures of one organisation per register at as_of (generated from isms.register by isms.build_register_row()): rows existing then, rows in force overdue for review, never reviewed, age of the oldest review, last change';
    REVOKE ALL ON FUNCTION isms.register_activity(bigint, timestamptz) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION isms.register_activity(bigint, timestamptz) TO isms_reader;
END
$$;

CREATE OR REPLACE FUNCTION isms.member_orgs(who name DEFAULT CURRENT_USER) RETURNS bigint[]
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT coalesce(pg_catalog.array_agg(o.org_id ORDER BY o.org_id), '{}')
      FROM isms.organization o
     WHERE pg_catalog.pg_has_role(session_user, who, 'MEMBER')
       AND (coalesce(pg_catalog.current_setting('isms.org', true), '') OPERATOR(pg_catalog.=) ''
            OR o.code OPERATOR(pg_catalog.=) pg_catalog.current_setting('isms.org', true))
       AND (pg_catalog.pg_has_role(who, 'isms_admin', 'USAGE')
            OR EXISTS (SELECT 1
                         FROM isms.membership m
                         JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) m.role_name
                        WHERE m.org_id OPERATOR(pg_catalog.=) o.org_id
                          AND pg_catalog.pg_has_role(who, r.oid, 'MEMBER')))
$$;

CREATE FUNCTION isms.require_member(org_id bigint, what text DEFAULT 'read')
    RETURNS void
    AS 'MODULE_PATHNAME', 'require_member_sql'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.require_member(bigint, text) IS
    'Raises 42501 unless the caller is a superuser or, under row-level security (isms.member_orgs(), narrowed by isms.org), a member of the organisation; what names the refused act in the message';
REVOKE ALL ON FUNCTION isms.require_member(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.require_member(bigint, text) TO isms_admin, isms_editor, isms_auditor, isms_reader;

CREATE OR REPLACE FUNCTION isms.trail_head(org_id bigint)
    RETURNS TABLE (seq bigint, hash text)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    PERFORM isms.require_member(trail_head.org_id, 'read the trail head of');
    RETURN QUERY
        SELECT t.seq, encode(t.hash, 'hex')
          FROM isms.trail t
         WHERE t.org_id = trail_head.org_id
         ORDER BY t.seq DESC
         LIMIT 1;
END
$$;
COMMENT ON FUNCTION isms.trail_head(bigint) IS
    'The newest entry of the organisation''s trail (seq and hash in hex), to be recorded outside the database and checked later with verify_trail(org_id, seq, hash); refuses non-members (42501)';
COMMENT ON FUNCTION isms.verify_trail(bigint) IS
    'Recomputes the organisation''s hash chain and returns its first broken link (missing, altered or reordered entry), or no row when intact; refuses non-members (42501)';
COMMENT ON FUNCTION isms.verify_trail(bigint, bigint, text) IS
    'As verify_trail(org_id), and also checks that entry head_seq still has the hash head_hash (hex) recorded earlier from isms.trail_head()';
REVOKE ALL ON FUNCTION isms.require_member(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.require_member(bigint, text)
    TO isms_admin, isms_editor, isms_auditor, isms_reader;

CREATE OR REPLACE FUNCTION isms.verify_transition_log(org bigint)
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
         WHERE t.org_id = org AND t.action = 'transitions'
    ), recomputed AS (
        SELECT s.seq, s.first_id, s.n, s.sha, count(l.log_id) AS found,
               encode(sha256(convert_to(coalesce(string_agg(isms.transition_log_encoding(l), '' ORDER BY l.log_id), ''), 'UTF8')), 'hex') AS sha_found
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
    'Recomputes the trail''s seals of an organisation''s transition log: returns each changed, missing or unsealed log row, or nothing when the log is intact; refuses non-members (42501)';
COMMENT ON TABLE isms.outbox IS
    'Clause 4.4: committed transactions that moved workflow records, numbered in commit order: poll with isms.events_after(last_seen); under row-level security a row is visible when one of its moves is';
COMMENT ON FUNCTION isms.events_after(bigint, integer) IS
    'Transitions visible to the caller of the transactions committed after outbox number last_seen, in commit order, at most max_transactions of the transactions the caller can see; remember the largest seq returned and pass it next time to never miss an event';

ALTER TABLE isms.outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE isms.outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY member ON isms.outbox FOR SELECT
    USING (EXISTS (SELECT FROM isms.transition_log l
                    WHERE l.log_id OPERATOR(pg_catalog.>=) outbox.first_log_id
                      AND l.log_id OPERATOR(pg_catalog.<=) outbox.last_log_id
                      AND l.xact_id OPERATOR(pg_catalog.=) outbox.xact_id));


-- The two inlined report predicates qualify their operators.
CREATE OR REPLACE FUNCTION isms.reported_move(from_state text, to_state text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE    -- no SET clause: inlined, so index predicates match
AS $$
    SELECT $2 OPERATOR(pg_catalog.=) ANY ('{verified,closed,completed,implemented,achieved,not_achieved}'::pg_catalog.text[])
        OR $1 OPERATOR(pg_catalog.=) 'verified'::pg_catalog.text
$$;
CREATE OR REPLACE FUNCTION isms.document_in_force(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE    -- no SET clause: inlined where it is used, so qualified
AS $$
    SELECT $1 OPERATOR(pg_catalog.=) ANY ('{approved,published,revision}'::pg_catalog.text[])
$$;

--------------------------------------------------------------------------
-- Frameworks beyond ISO/IEC 27001:2022 (src/catalog.sql, src/library.sql,
-- src/coverage.sql): a requirement is keyed by code, its id as the
-- framework writes it; ref stays, nullable, with a unique constraint that
-- every register's foreign key now uses; CISO Assistant libraries are
-- imported by isms.import_library; mappings, coverage and the 2013 -> 2022
-- SoA transition.

ALTER TABLE isms.framework
    ADD COLUMN urn text CONSTRAINT framework_urn_key UNIQUE,
    ADD COLUMN library text,
    ADD COLUMN description text;
COMMENT ON COLUMN isms.framework.urn IS 'URN of the framework in CISO Assistant''s library format (urn:intuitem:risk:framework:...), by which libraries and mappings refer to it';
COMMENT ON COLUMN isms.framework.library IS 'URN of the library the framework was imported from (isms.library); NULL for shipped and hand-made frameworks';
COMMENT ON COLUMN isms.framework.description IS 'Description of the framework, as its library gives it';

ALTER TABLE isms.requirement
    ADD COLUMN code text,
    ADD COLUMN parent_code text,
    ADD COLUMN ordinal integer,
    ADD COLUMN assessable boolean NOT NULL DEFAULT true,
    ADD COLUMN urn text,
    ADD COLUMN description text,
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN withdrawn boolean NOT NULL DEFAULT false;
UPDATE isms.requirement SET code = ref::text, parent_code = parent::text;

-- The primary key moves from (framework, ref) to (framework, code): the
-- foreign keys that use it (those of 0.1.0 and any added before this
-- section) are dropped and made again on the unique (framework, ref).
DO $$
DECLARE
    fk record;
    again text[] := '{}';
    stmt text;
BEGIN
    FOR fk IN SELECT c.conrelid::regclass::text AS rel, c.conname, pg_catalog.pg_get_constraintdef(c.oid) AS def
                FROM pg_catalog.pg_constraint c
               WHERE c.confrelid = 'isms.requirement'::regclass AND c.contype = 'f'
               ORDER BY 1, 2
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', fk.rel, fk.conname);
        again := again || pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.rel, fk.conname, fk.def);
    END LOOP;
    ALTER TABLE isms.requirement DROP CONSTRAINT requirement_pkey;
    ALTER TABLE isms.requirement ALTER COLUMN ref DROP NOT NULL, ALTER COLUMN code SET NOT NULL;
    ALTER TABLE isms.requirement
        ADD CONSTRAINT requirement_pkey PRIMARY KEY (framework, code),
        ADD CONSTRAINT requirement_framework_ref_key UNIQUE (framework, ref);
    FOREACH stmt IN ARRAY again LOOP
        EXECUTE stmt;
    END LOOP;
END
$$;

ALTER TABLE isms.requirement
    DROP CONSTRAINT requirement_kind_check,
    DROP CONSTRAINT requirement_control_has_theme;
ALTER TABLE isms.requirement
    ADD CONSTRAINT requirement_kind_check CHECK (kind IN ('clause', 'theme', 'control', 'node')),
    ADD CONSTRAINT requirement_urn_key UNIQUE (urn),
    ADD CONSTRAINT requirement_code_given CHECK (btrim(code) <> '' AND code = btrim(code)),
    ADD CONSTRAINT requirement_code_is_ref CHECK (ref IS NULL OR code = ref::text),
    ADD CONSTRAINT requirement_parent_code_is_parent CHECK (parent IS NULL OR parent_code = parent::text),
    ADD CONSTRAINT requirement_not_own_parent CHECK (parent_code <> code),
    ADD CONSTRAINT requirement_control_has_theme
        CHECK (kind IN ('clause', 'node') OR theme IS NOT NULL),
    ADD CONSTRAINT requirement_iso_kinds_have_ref
        CHECK (kind = 'node' OR ref IS NOT NULL),
    ADD CONSTRAINT requirement_attributes_object CHECK (jsonb_typeof(attributes) = 'object'),
    ADD CONSTRAINT requirement_positive_ordinal CHECK (ordinal > 0);

DROP TRIGGER requirement_parent_exists ON isms.requirement;

-- An ISO-shaped requirement written with ref alone (as in 0.1.0) gets its
-- code and parent_code from ref and parent.
CREATE FUNCTION isms.requirement_defaults() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.ref IS NOT NULL THEN
        NEW.code := NEW.ref::text;
    END IF;
    IF NEW.parent IS NOT NULL THEN
        NEW.parent_code := NEW.parent::text;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.requirement_defaults() IS
    'Trigger: a requirement with a ref has that ref (as text) as its code, and a parent given as an isms.ref is its parent_code';
REVOKE ALL ON FUNCTION isms.requirement_defaults() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.requirement_defaults() TO isms_reader;
CREATE TRIGGER requirement_defaults
    BEFORE INSERT OR UPDATE OF ref, parent, code, parent_code ON isms.requirement
    FOR EACH ROW EXECUTE FUNCTION isms.requirement_defaults();

-- The parent of a requirement exists in its framework.  A constraint trigger
-- rather than a self-referencing foreign key, because pg_dump warns about
-- every extension table with one ("circular foreign-key constraints"); like
-- a foreign key it is checked at the end of the statement, so a COPY or a
-- multi-row INSERT may list children before their parents.
CREATE OR REPLACE FUNCTION isms.requirement_parent_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF NEW.parent_code IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM isms.requirement r
                        WHERE r.framework OPERATOR(pg_catalog.=) NEW.framework
                          AND r.code OPERATOR(pg_catalog.=) NEW.parent_code) THEN
        RAISE EXCEPTION 'parent % of requirement % does not exist in framework %', NEW.parent_code, NEW.code, NEW.framework
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'requirement_parent_exists',
                  TABLE = 'requirement', SCHEMA = 'isms',
                  HINT = 'Insert the parent clause or theme first, or in the same statement.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION isms.requirement_parent_check() IS
    'Constraint trigger: the parent of a requirement exists in its framework (23503)';
REVOKE ALL ON FUNCTION isms.requirement_parent_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.requirement_parent_check() TO isms_reader;
CREATE CONSTRAINT TRIGGER requirement_parent_exists
    AFTER INSERT OR UPDATE OF framework, ref, parent, code, parent_code ON isms.requirement
    FOR EACH ROW EXECUTE FUNCTION isms.requirement_parent_check();
COMMENT ON TABLE isms.requirement IS
    'Catalog (4.4, 6.1.3, Annex A): the clauses, Annex A themes and controls of each framework, and the requirement nodes of imported frameworks, in a hierarchy by parent_code';
COMMENT ON COLUMN isms.requirement.ref IS 'Clause or control reference, such as 6.1.2 or A.5.24: the code as an isms.ref when it has that shape (registers refer to it); NULL for ids such as GV.OC-01';
COMMENT ON COLUMN isms.requirement.kind IS 'clause (ISO/IEC 27001 clauses 4-10), theme (Annex A sections A.5-A.8), control (Annex A control) or node (a requirement node of an imported framework)';
COMMENT ON COLUMN isms.requirement.parent IS 'Enclosing clause or theme (6.1 for 6.1.2, A.5 for A.5.24) as an isms.ref; NULL for top-level rows and where parent_code is not ref-shaped';
COMMENT ON COLUMN isms.requirement.code IS 'Identifier of the requirement as its framework writes it (6.1.2, A.5.24, GV.OC-01, CC6.1); unique in the framework; equals ref when ref is set';
COMMENT ON COLUMN isms.requirement.parent_code IS 'Code of the enclosing requirement node; NULL for top-level rows';
COMMENT ON COLUMN isms.requirement.ordinal IS 'Position in the framework''s own order (the library''s order for imported frameworks); NULL where the natural order of ref applies: sort by ordinal, ref, code';
COMMENT ON COLUMN isms.requirement.assessable IS 'True for requirements assessed on their own (controls, subclauses, CSF subcategories); false for grouping nodes (themes, CSF functions and categories)';
COMMENT ON COLUMN isms.requirement.urn IS 'URN of the requirement node in CISO Assistant''s library format (urn:intuitem:risk:req_node:...), by which mappings refer to it';
COMMENT ON COLUMN isms.requirement.description IS 'Text of the requirement as its library gives it; NULL for the shipped ISO/IEC 27001:2022 rows';
COMMENT ON COLUMN isms.requirement.attributes IS 'Framework-specific attributes of an imported node (annotation, typical evidence, implementation groups...) as a JSON object; the ISO/IEC 27002 ones have typed columns';
COMMENT ON COLUMN isms.requirement.withdrawn IS 'True when the latest imported version of the library no longer has the node: it is kept for the records that refer to it';

-- src/library.sql
-- Framework libraries: the import of CISO Assistant's library format
-- (frameworks with their requirement nodes, and requirement mapping sets)
-- and the mappings between frameworks.
--
-- A library file is YAML; tools/library2json turns it into JSON, and
-- isms.import_library(jsonb) loads it in one statement: a file that breaks a
-- rule raises IS060 naming the node and changes nothing.  A newer version of
-- a library already imported updates it in place: nodes are matched by URN,
-- a node the new version lacks is kept as withdrawn (the registers may refer
-- to it), and the mappings of a set are replaced; the result lists every
-- change.  The catalog stays read-only to every role: isms_admin imports
-- through the function, which runs as the extension owner.

CREATE TABLE isms.library (
    urn         text PRIMARY KEY CONSTRAINT library_urn_format CHECK (urn ~ '^urn:[A-Za-z0-9]'),
    ref_id      text,
    name        text NOT NULL CONSTRAINT library_name_given CHECK (btrim(name) <> ''),
    version     integer NOT NULL CONSTRAINT library_version_range CHECK (version >= 0),
    content     text NOT NULL CONSTRAINT library_content_values CHECK (content IN ('framework', 'mapping')),
    provider    text,
    packager    text,
    publication_date text,
    copyright   text,
    description text,
    sha256      text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    imported_by text NOT NULL DEFAULT isms.current_actor()
);
COMMENT ON TABLE isms.library IS
    'Catalog (4.2, 6.1.3): the framework and mapping libraries imported by isms.import_library, one row per library at its latest imported version';
COMMENT ON COLUMN isms.library.urn IS 'URN of the library, such as urn:intuitem:risk:library:nist-csf-2.0';
COMMENT ON COLUMN isms.library.ref_id IS 'Short identifier the library gives itself';
COMMENT ON COLUMN isms.library.name IS 'Name of the library';
COMMENT ON COLUMN isms.library.version IS 'Version of the library last imported; an older one is refused (IS061)';
COMMENT ON COLUMN isms.library.content IS 'framework (a framework and its requirement nodes) or mapping (requirement mapping sets)';
COMMENT ON COLUMN isms.library.provider IS 'Who wrote the content, such as NIST or ISO/IEC';
COMMENT ON COLUMN isms.library.packager IS 'Who packaged it as a library, such as intuitem';
COMMENT ON COLUMN isms.library.publication_date IS 'Publication date the library states, as written';
COMMENT ON COLUMN isms.library.copyright IS 'Copyright notice of the library';
COMMENT ON COLUMN isms.library.description IS 'Description of the library';
COMMENT ON COLUMN isms.library.sha256 IS 'SHA-256 of the imported JSON (jsonb text form): an unchanged file re-imported changes nothing';
COMMENT ON COLUMN isms.library.imported_at IS 'When the library was last imported';
COMMENT ON COLUMN isms.library.imported_by IS 'Who imported it: isms.actor, else the database user';

ALTER TABLE isms.framework
    ADD CONSTRAINT framework_library_fkey FOREIGN KEY (library) REFERENCES isms.library (urn);

CREATE TABLE isms.mapping_set (
    code        text PRIMARY KEY CONSTRAINT mapping_set_code_format CHECK (code ~ '^[a-z0-9][a-z0-9._-]*$'),
    urn         text NOT NULL CONSTRAINT mapping_set_urn_key UNIQUE,
    title       text NOT NULL CONSTRAINT mapping_set_title_given CHECK (btrim(title) <> ''),
    description text,
    source_framework text NOT NULL REFERENCES isms.framework (code),
    target_framework text NOT NULL REFERENCES isms.framework (code),
    library     text NOT NULL REFERENCES isms.library (urn),
    CONSTRAINT mapping_set_two_frameworks CHECK (source_framework <> target_framework),
    CONSTRAINT mapping_set_frameworks_key UNIQUE (code, source_framework, target_framework)
);
COMMENT ON TABLE isms.mapping_set IS
    'Catalog (4.2, 6.1.3 c): sets of requirement mappings from one framework to another, such as NIST CSF 2.0 to ISO/IEC 27001:2022';
COMMENT ON COLUMN isms.mapping_set.code IS 'Short lower-case key of the set, from its URN, such as nist-csf-2.0-to-iso27001-2022';
COMMENT ON COLUMN isms.mapping_set.urn IS 'URN of the set, such as urn:intuitem:risk:req_mapping_set:nist-csf-2.0-to-iso27001-2022';
COMMENT ON COLUMN isms.mapping_set.title IS 'Name of the set';
COMMENT ON COLUMN isms.mapping_set.description IS 'Description of the set';
COMMENT ON COLUMN isms.mapping_set.source_framework IS 'Framework the mappings start from';
COMMENT ON COLUMN isms.mapping_set.target_framework IS 'Framework the mappings point to';
COMMENT ON COLUMN isms.mapping_set.library IS 'Library the set was imported from';

CREATE TABLE isms.requirement_mapping (
    mapping_set text NOT NULL,
    source_framework text NOT NULL,
    source_code text NOT NULL,
    target_framework text NOT NULL,
    target_code text NOT NULL,
    relationship text NOT NULL CONSTRAINT requirement_mapping_relationship_values
                CHECK (relationship IN ('equal', 'subset', 'superset', 'intersect', 'not_related')),
    strength    integer CONSTRAINT requirement_mapping_strength_range CHECK (strength >= 0),
    rationale   text,
    PRIMARY KEY (mapping_set, source_code, target_code),
    FOREIGN KEY (mapping_set, source_framework, target_framework)
        REFERENCES isms.mapping_set (code, source_framework, target_framework) ON DELETE CASCADE,
    FOREIGN KEY (source_framework, source_code) REFERENCES isms.requirement (framework, code),
    FOREIGN KEY (target_framework, target_code) REFERENCES isms.requirement (framework, code)
);
CREATE INDEX requirement_mapping_source_idx ON isms.requirement_mapping (source_framework, source_code);
CREATE INDEX requirement_mapping_target_idx ON isms.requirement_mapping (target_framework, target_code);
COMMENT ON TABLE isms.requirement_mapping IS
    'Catalog (4.2, 6.1.3 c): how a requirement of one framework relates to one of another (CISO Assistant''s requirement mappings)';
COMMENT ON COLUMN isms.requirement_mapping.mapping_set IS 'Set the mapping belongs to';
COMMENT ON COLUMN isms.requirement_mapping.source_framework IS 'Framework of the source requirement (the set''s source framework)';
COMMENT ON COLUMN isms.requirement_mapping.source_code IS 'Source requirement, such as GV.OC-01';
COMMENT ON COLUMN isms.requirement_mapping.target_framework IS 'Framework of the target requirement (the set''s target framework)';
COMMENT ON COLUMN isms.requirement_mapping.target_code IS 'Target requirement, such as A.5.1';
COMMENT ON COLUMN isms.requirement_mapping.relationship IS 'The source is equal to, a subset of, a superset of, intersects or is not related to the target';
COMMENT ON COLUMN isms.requirement_mapping.strength IS 'Strength of the relationship as the library grades it (strength_of_relationship); NULL when not given';
COMMENT ON COLUMN isms.requirement_mapping.rationale IS 'Why the requirements are related, as the library says';

-- The shipped ISO/IEC 27001:2022 catalog under the URNs CISO Assistant's
-- libraries use for it, so that their mappings resolve to it.
UPDATE isms.framework SET urn = 'urn:intuitem:risk:framework:iso27001-2022'
 WHERE code = 'iso27001-2022' AND shipped;
UPDATE isms.requirement
   SET urn = 'urn:intuitem:risk:req_node:iso27001-2022:' || lower(code),
       assessable = NOT (kind = 'theme' OR (kind = 'clause' AND parent IS NULL))
 WHERE framework = 'iso27001-2022' AND shipped;

------------------------------------------------------------------------------
-- The import.

CREATE FUNCTION isms.library_code(urn text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT nullif(regexp_replace(regexp_replace(lower(substring($1 FROM '[^:]*$')), '[^a-z0-9._-]+', '-', 'g'),
                                 '^[^a-z0-9]+', ''), '')
$$;
COMMENT ON FUNCTION isms.library_code(text) IS
    'The catalog key made from a library URN: its last segment, lower-case, other characters than a-z 0-9 . _ - replaced by -, such as nist-csf-2.0 from urn:intuitem:risk:framework:nist-csf-2.0';

CREATE FUNCTION isms.library_refused(lib text, problem text, detail text, hint text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'library %: %', coalesce(lib, '(no urn)'), problem
        USING ERRCODE = 'IS060', DETAIL = detail,
              HINT = coalesce(hint, 'Fix the library file (CISO Assistant''s library format) and import it again; nothing was imported.');
END
$$;
COMMENT ON FUNCTION isms.library_refused(text, text, text, text) IS
    'Raises IS060 for a library that breaks a rule of the format: the message names the library and the node, the detail gives the facts';

-- The import proper runs as the extension owner; isms.import_library (below)
-- calls it with the acting person, whom a SECURITY DEFINER function cannot
-- see.
CREATE FUNCTION isms.library_import(library jsonb, actor text)
RETURNS TABLE (object text, code text, change text, detail text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    lib constant jsonb := $1;
    who constant text := coalesce($2, session_user::text);
    lib_urn text;
    lib_version integer;
    old isms.library;
    fw jsonb;
    fw_code text;
    fw_row isms.framework;
    nodes jsonb;
    sets jsonb;
    ms jsonb;
    ms_i integer;
    ms_code text;
    src_fw isms.framework;
    tgt_fw isms.framework;
    maps jsonb;
    bad record;
    n integer;
    digest text;
    kind_of text;
BEGIN
    ------------------------------------------------------------------
    -- the library itself
    IF lib IS NULL OR jsonb_typeof(lib) <> 'object' THEN
        PERFORM isms.library_refused(NULL, 'not a library: the document is not an object',
            format('The JSON value is of type %s.', coalesce(jsonb_typeof(lib), 'NULL')),
            'Convert the YAML file with tools/library2json and pass its output.');
    END IF;
    lib_urn := lib->>'urn';
    IF jsonb_typeof(lib->'urn') IS DISTINCT FROM 'string' OR lib_urn !~ '^urn:[A-Za-z0-9]' THEN
        PERFORM isms.library_refused(NULL, 'the library has no urn',
            format('urn = %s.', coalesce((lib->'urn')::text, 'missing')), NULL);
    END IF;
    IF jsonb_typeof(lib->'name') IS DISTINCT FROM 'string' OR btrim(lib->>'name') = '' THEN
        PERFORM isms.library_refused(lib_urn, 'the library has no name',
            format('name = %s.', coalesce((lib->'name')::text, 'missing')), NULL);
    END IF;
    IF jsonb_typeof(lib->'version') IS DISTINCT FROM 'number' OR (lib->>'version') !~ '^[0-9]{1,9}$' THEN
        PERFORM isms.library_refused(lib_urn, 'the library has no version (a whole number)',
            format('version = %s.', coalesce((lib->'version')::text, 'missing')), NULL);
    END IF;
    lib_version := (lib->>'version')::integer;
    IF jsonb_typeof(lib->'objects') IS DISTINCT FROM 'object' THEN
        PERFORM isms.library_refused(lib_urn, 'the library has no objects',
            format('objects = %s.', coalesce(left((lib->'objects')::text, 80), 'missing')), NULL);
    END IF;
    fw := lib->'objects'->'framework';
    sets := coalesce(lib->'objects'->'requirement_mapping_sets',
                     CASE WHEN lib->'objects' ? 'requirement_mapping_set'
                          THEN jsonb_build_array(lib->'objects'->'requirement_mapping_set') END);
    IF fw IS NULL AND sets IS NULL THEN
        PERFORM isms.library_refused(lib_urn, 'the library holds neither a framework nor requirement mapping sets',
            format('objects has: %s.', (SELECT coalesce(string_agg(k, ', ' ORDER BY k), 'nothing')
                                          FROM jsonb_object_keys(lib->'objects') k)),
            'Only framework and mapping libraries are imported; reference controls, threats and risk matrices are not.');
    END IF;
    IF fw IS NOT NULL AND sets IS NOT NULL THEN
        PERFORM isms.library_refused(lib_urn, 'the library holds both a framework and requirement mapping sets',
            'A library is either a framework library or a mapping library.', NULL);
    END IF;
    kind_of := CASE WHEN fw IS NOT NULL THEN 'framework' ELSE 'mapping' END;
    digest := encode(sha256(convert_to(lib::text, 'UTF8')), 'hex');

    SELECT * INTO old FROM isms.library l WHERE l.urn = lib_urn;
    IF FOUND THEN
        IF old.version > lib_version THEN
            RAISE EXCEPTION 'library %: version % is older than version %, imported on %',
                    lib_urn, lib_version, old.version, old.imported_at::date
                USING ERRCODE = 'IS061',
                      DETAIL = format('isms.library holds version %s, imported by %s.', old.version, old.imported_by),
                      HINT = 'Import the same or a newer version of the library; nothing was imported.';
        END IF;
        IF old.content <> kind_of THEN
            PERFORM isms.library_refused(lib_urn, format('the library held a %s, this file a %s', old.content, kind_of),
                'A library keeps its kind from one version to the next.', NULL);
        END IF;
        IF old.sha256 = digest THEN
            object := 'library'; code := lib_urn; change := 'unchanged';
            detail := format('version %s, the same file as imported on %s', lib_version, old.imported_at::date);
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;

    INSERT INTO isms.library AS l (urn, ref_id, name, version, content, provider, packager, publication_date,
                                   copyright, description, sha256, imported_by)
    VALUES (lib_urn, lib->>'ref_id', btrim(lib->>'name'), lib_version, kind_of, lib->>'provider', lib->>'packager',
            lib->>'publication_date', lib->>'copyright', lib->>'description', digest, who)
    ON CONFLICT (urn) DO UPDATE
       SET ref_id = EXCLUDED.ref_id, name = EXCLUDED.name, version = EXCLUDED.version,
           provider = EXCLUDED.provider, packager = EXCLUDED.packager,
           publication_date = EXCLUDED.publication_date, copyright = EXCLUDED.copyright,
           description = EXCLUDED.description, sha256 = EXCLUDED.sha256,
           imported_at = now(), imported_by = EXCLUDED.imported_by;
    object := 'library'; code := lib_urn;
    change := CASE WHEN old.urn IS NULL THEN 'added' ELSE 'updated' END;
    detail := CASE WHEN old.urn IS NULL THEN format('version %s', lib_version)
                   ELSE format('version %s -> %s', old.version, lib_version) END;
    RETURN NEXT;

    ------------------------------------------------------------------
    -- a framework and its requirement nodes
    IF fw IS NOT NULL THEN
        IF jsonb_typeof(fw) <> 'object' OR jsonb_typeof(fw->'urn') IS DISTINCT FROM 'string'
           OR isms.library_code(fw->>'urn') IS NULL THEN
            PERFORM isms.library_refused(lib_urn, 'the framework has no urn',
                format('framework.urn = %s.', coalesce((fw->'urn')::text, 'missing')), NULL);
        END IF;
        IF coalesce(btrim(fw->>'name'), '') = '' THEN
            PERFORM isms.library_refused(lib_urn, format('framework %s has no name', fw->>'urn'), 'framework.name is missing.', NULL);
        END IF;
        SELECT * INTO fw_row FROM isms.framework f WHERE f.urn = fw->>'urn';
        IF FOUND AND fw_row.shipped THEN
            RAISE EXCEPTION 'library %: framework % is shipped with the extension', lib_urn, fw_row.code
                USING ERRCODE = 'IS062',
                      DETAIL = format('Framework %s (%s) is part of isms; its rows are not replaced by a library.', fw_row.code, fw->>'urn'),
                      HINT = 'Import only the mapping libraries that refer to it: their URNs resolve to the shipped requirements.';
        END IF;
        fw_code := coalesce(fw_row.code, isms.library_code(fw->>'urn'));
        IF fw_row.code IS NULL AND EXISTS (SELECT 1 FROM isms.framework f WHERE f.code = fw_code) THEN
            PERFORM isms.library_refused(lib_urn, format('framework code %s is taken', fw_code),
                format('isms.framework has %s with urn %s; this framework is %s.', fw_code,
                       coalesce((SELECT f.urn FROM isms.framework f WHERE f.code = fw_code), 'NULL'), fw->>'urn'),
                'Rename the existing framework or give this one another urn.');
        END IF;

        nodes := fw->'requirement_nodes';
        IF jsonb_typeof(nodes) IS DISTINCT FROM 'array' OR jsonb_array_length(nodes) = 0 THEN
            PERFORM isms.library_refused(lib_urn, format('framework %s has no requirement nodes', fw->>'urn'),
                'framework.requirement_nodes is missing or empty.', NULL);
        END IF;
        -- each rule: the first node that breaks it
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE jsonb_typeof(t.n) <> 'object' OR jsonb_typeof(t.n->'urn') IS DISTINCT FROM 'string'
            OR btrim(t.n->>'urn') = ''
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s has no urn', bad.i),
                format('Node %s: %s.', bad.i, left(bad.n::text, 200)), NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                        WHERE u.i < t.i AND u.n->>'urn' = t.n->>'urn')
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) repeats an urn', bad.i, bad.n->>'urn'),
                'Every requirement node has its own urn.', NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE t.n ? 'parent_urn' AND jsonb_typeof(t.n->'parent_urn') <> 'null'
           AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                            WHERE u.i < t.i AND u.n->>'urn' = t.n->>'parent_urn')
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s): parent %s is not a node listed before it',
                                                         bad.i, bad.n->>'urn', bad.n->>'parent_urn'),
                format('parent_urn = %s.', bad.n->'parent_urn'), NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE (t.n ? 'assessable' AND jsonb_typeof(t.n->'assessable') NOT IN ('boolean', 'null'))
            OR (t.n ? 'ref_id' AND jsonb_typeof(t.n->'ref_id') NOT IN ('string', 'number', 'null'))
            OR (t.n ? 'name' AND jsonb_typeof(t.n->'name') NOT IN ('string', 'null'))
            OR (t.n ? 'description' AND jsonb_typeof(t.n->'description') NOT IN ('string', 'null'))
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) has a field of the wrong type', bad.i, bad.n->>'urn'),
                format('assessable is a boolean, ref_id a string, name and description text: %s.', left(bad.n::text, 200)), NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE coalesce(btrim(t.n->>'ref_id'), '') = '' AND coalesce(btrim(t.n->>'name'), '') = ''
           AND coalesce(btrim(t.n->>'description'), '') = ''
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) has neither ref_id, name nor description', bad.i, bad.n->>'urn'),
                'A node needs a title: its name, else its description, else its ref_id.', NULL);
        END IF;

        -- the framework row
        INSERT INTO isms.framework AS f (code, title, publisher, edition, urn, library, description)
        VALUES (fw_code, btrim(fw->>'name'), lib->>'provider', coalesce(fw->>'ref_id', lib->>'ref_id'),
                fw->>'urn', lib_urn, fw->>'description')
        ON CONFLICT (code) DO UPDATE
           SET title = EXCLUDED.title, publisher = EXCLUDED.publisher, edition = EXCLUDED.edition,
               library = EXCLUDED.library, description = EXCLUDED.description
         WHERE (f.title, f.publisher, f.edition, f.library, f.description)
               IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.publisher, EXCLUDED.edition, EXCLUDED.library, EXCLUDED.description);
        GET DIAGNOSTICS n = ROW_COUNT;
        object := 'framework'; code := fw_code;
        change := CASE WHEN fw_row.code IS NULL THEN 'added' WHEN n > 0 THEN 'updated' ELSE 'unchanged' END;
        detail := btrim(fw->>'name');
        RETURN NEXT;

        -- the nodes, normalised: code is the ref_id as written (an
        -- isms.ref-shaped one in canonical form), else the URN's last
        -- segment when the ref_id is missing or taken by an earlier node
        -- (a plain CREATE: a table of that name the caller made first is an
        -- error, never used)
        CREATE TEMP TABLE isms_import_node (
            i integer, urn text, code text, ref isms.ref, parent_urn text, parent_code text, parent isms.ref,
            title text, description text, assessable boolean, attributes jsonb) ON COMMIT DROP;
        INSERT INTO pg_temp.isms_import_node (i, urn, code, ref, parent_urn, title, description, assessable, attributes)
        SELECT x.i, x.urn,
               CASE WHEN x.isref THEN x.rid::isms.ref::text ELSE coalesce(x.rid, x.tail) END,
               CASE WHEN x.isref THEN x.rid::isms.ref END,
               x.parent_urn,
               left(coalesce(nullif(btrim(x.n->>'name'), ''), nullif(btrim(x.n->>'description'), ''), x.rid, x.tail), 500),
               nullif(btrim(x.n->>'description'), ''),
               coalesce((x.n->>'assessable')::boolean, false),
               x.n - ARRAY['urn', 'ref_id', 'name', 'description', 'assessable', 'parent_urn', 'depth', 'translations']
          FROM (SELECT t.i, t.n, btrim(t.n->>'urn') AS urn, nullif(t.n->>'parent_urn', '') AS parent_urn,
                       substring(btrim(t.n->>'urn') FROM '[^:]*$') AS tail,
                       CASE WHEN NOT EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                                              WHERE u.i < t.i AND btrim(u.n->>'ref_id') = btrim(t.n->>'ref_id'))
                            THEN nullif(btrim(t.n->>'ref_id'), '') END AS rid,
                       coalesce(btrim(t.n->>'ref_id') ~ '^([A-Za-z]\.)?(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){0,4}$', false)
                       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                                        WHERE u.i < t.i AND upper(btrim(u.n->>'ref_id')) = upper(btrim(t.n->>'ref_id'))) AS isref
                  FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)) x;
        UPDATE pg_temp.isms_import_node c
           SET parent_code = p.code,
               parent = CASE WHEN p.ref OPERATOR(isms.@>) c.ref AND p.ref OPERATOR(isms.<>) c.ref THEN p.ref END
          FROM pg_temp.isms_import_node p
         WHERE p.urn = c.parent_urn;
        SELECT a.i, a.urn, a.code, b.urn AS other INTO bad
          FROM pg_temp.isms_import_node a JOIN pg_temp.isms_import_node b ON b.code = a.code AND b.i < a.i
         ORDER BY a.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s): code %s is also the code of %s', bad.i, bad.urn, bad.code, bad.other),
                'A node''s code is its ref_id, else the last segment of its urn; two nodes came to the same one.', NULL);
        END IF;
        SELECT c.i, c.urn, c.code INTO bad FROM pg_temp.isms_import_node c
         WHERE c.code IS NULL OR btrim(c.code) = '' OR c.code <> btrim(c.code)
         ORDER BY c.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) has no usable identifier', bad.i, bad.urn),
                'Its ref_id and the last segment of its urn are both empty.', NULL);
        END IF;
        SELECT c.i, c.urn, r.framework INTO bad FROM pg_temp.isms_import_node c
          JOIN isms.requirement r ON r.urn = c.urn AND r.framework <> fw_code
         ORDER BY c.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) belongs to framework %s', bad.i, bad.urn, bad.framework),
                'A requirement urn names one node of one framework.', NULL);
        END IF;

        -- what changes, node by node (matched by urn)
        RETURN QUERY
        SELECT 'requirement', c.code,
               CASE WHEN r.urn IS NULL THEN 'added' WHEN r.withdrawn THEN 'reinstated' ELSE 'updated' END,
               CASE WHEN r.urn IS NULL THEN c.title
                    ELSE concat_ws('; ',
                        CASE WHEN r.code IS DISTINCT FROM c.code THEN format('code %s -> %s', r.code, c.code) END,
                        CASE WHEN r.title IS DISTINCT FROM c.title THEN 'title' END,
                        CASE WHEN r.description IS DISTINCT FROM c.description THEN 'description' END,
                        CASE WHEN r.parent_code IS DISTINCT FROM c.parent_code THEN format('parent %s -> %s', r.parent_code, c.parent_code) END,
                        CASE WHEN r.ordinal IS DISTINCT FROM c.i::integer THEN 'order' END,
                        CASE WHEN r.assessable IS DISTINCT FROM c.assessable THEN 'assessable' END,
                        CASE WHEN r.attributes IS DISTINCT FROM c.attributes THEN 'attributes' END) END
          FROM pg_temp.isms_import_node c
          LEFT JOIN isms.requirement r ON r.framework = fw_code AND r.urn = c.urn
         WHERE r.urn IS NULL OR r.withdrawn
            OR (r.code, r.title, r.description, r.parent_code, r.ordinal, r.assessable, r.attributes)
               IS DISTINCT FROM (c.code, c.title, c.description, c.parent_code, c.i::integer, c.assessable, c.attributes)
         ORDER BY c.i;
        RETURN QUERY
        SELECT 'requirement', r.code, 'withdrawn', 'not in version ' || lib_version || '; kept for the records that refer to it'
          FROM isms.requirement r
         WHERE r.framework = fw_code AND NOT r.withdrawn
           AND NOT EXISTS (SELECT 1 FROM pg_temp.isms_import_node c WHERE c.urn = r.urn)
         ORDER BY r.ordinal, r.ref, r.code;
        SELECT count(*) INTO n FROM pg_temp.isms_import_node c
          JOIN isms.requirement r ON r.framework = fw_code AND r.urn = c.urn AND NOT r.withdrawn
         WHERE (r.code, r.title, r.description, r.parent_code, r.ordinal, r.assessable, r.attributes)
               IS NOT DISTINCT FROM (c.code, c.title, c.description, c.parent_code, c.i::integer, c.assessable, c.attributes);
        IF n > 0 THEN
            object := 'requirement'; code := NULL; change := 'unchanged'; detail := n || ' requirements';
            RETURN NEXT;
        END IF;

        -- apply: withdraw, insert, update
        UPDATE isms.requirement r SET withdrawn = true
         WHERE r.framework = fw_code AND NOT r.withdrawn
           AND NOT EXISTS (SELECT 1 FROM pg_temp.isms_import_node c WHERE c.urn = r.urn);
        INSERT INTO isms.requirement (framework, ref, kind, title, parent, code, parent_code, ordinal,
                                      assessable, urn, description, attributes)
        SELECT fw_code, c.ref, 'node', c.title, c.parent, c.code, c.parent_code, c.i, c.assessable, c.urn,
               c.description, c.attributes
          FROM pg_temp.isms_import_node c
         WHERE NOT EXISTS (SELECT 1 FROM isms.requirement r WHERE r.framework = fw_code AND r.urn = c.urn);
        UPDATE isms.requirement r
           SET code = c.code, ref = c.ref, title = c.title, parent = c.parent, parent_code = c.parent_code,
               ordinal = c.i, assessable = c.assessable, description = c.description,
               attributes = c.attributes, withdrawn = false
          FROM pg_temp.isms_import_node c
         WHERE r.framework = fw_code AND r.urn = c.urn
           AND (r.withdrawn
                OR (r.code, r.ref IS NULL, r.title, r.description, r.parent IS NULL, r.parent_code, r.ordinal,
                    r.assessable, r.attributes)
                   IS DISTINCT FROM (c.code, c.ref IS NULL, c.title, c.description, c.parent IS NULL, c.parent_code,
                                     c.i::integer, c.assessable, c.attributes));
        DROP TABLE pg_temp.isms_import_node;
    END IF;

    ------------------------------------------------------------------
    -- requirement mapping sets
    IF sets IS NOT NULL THEN
        IF jsonb_typeof(sets) <> 'array' OR jsonb_array_length(sets) = 0 THEN
            PERFORM isms.library_refused(lib_urn, 'requirement_mapping_sets is not a list of sets',
                format('requirement_mapping_sets = %s.', left(sets::text, 80)), NULL);
        END IF;
        FOR ms, ms_i IN SELECT t.s, t.i FROM jsonb_array_elements(sets) WITH ORDINALITY t(s, i) ORDER BY t.i
        LOOP
            IF jsonb_typeof(ms) <> 'object' OR jsonb_typeof(ms->'urn') IS DISTINCT FROM 'string'
               OR isms.library_code(ms->>'urn') IS NULL THEN
                PERFORM isms.library_refused(lib_urn, format('requirement mapping set %s has no urn', ms_i),
                    format('Set %s: %s.', ms_i, left(ms::text, 200)), NULL);
            END IF;
            SELECT * INTO src_fw FROM isms.framework f WHERE f.urn = ms->>'source_framework_urn';
            IF NOT FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s: source framework %s is not in the catalog',
                                                             ms->>'urn', coalesce(ms->>'source_framework_urn', '(missing)')),
                    format('source_framework_urn = %s.', coalesce((ms->'source_framework_urn')::text, 'missing')),
                    'Import the library of the source framework first (SELECT code, urn FROM isms.framework lists those present).');
            END IF;
            SELECT * INTO tgt_fw FROM isms.framework f WHERE f.urn = ms->>'target_framework_urn';
            IF NOT FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s: target framework %s is not in the catalog',
                                                             ms->>'urn', coalesce(ms->>'target_framework_urn', '(missing)')),
                    format('target_framework_urn = %s.', coalesce((ms->'target_framework_urn')::text, 'missing')),
                    'Import the library of the target framework first (SELECT code, urn FROM isms.framework lists those present).');
            END IF;
            IF src_fw.code = tgt_fw.code THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s maps framework %s to itself', ms->>'urn', src_fw.code),
                    'source_framework_urn and target_framework_urn are the same.', NULL);
            END IF;
            ms_code := isms.library_code(ms->>'urn');
            IF EXISTS (SELECT 1 FROM isms.mapping_set s WHERE s.code = ms_code
                        AND (s.urn <> ms->>'urn' OR s.source_framework <> src_fw.code OR s.target_framework <> tgt_fw.code)) THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set code %s is taken by another set', ms_code),
                    format('isms.mapping_set %s maps %s to %s; this set %s maps %s to %s.', ms_code,
                           (SELECT s.source_framework FROM isms.mapping_set s WHERE s.code = ms_code),
                           (SELECT s.target_framework FROM isms.mapping_set s WHERE s.code = ms_code),
                           ms->>'urn', src_fw.code, tgt_fw.code), NULL);
            END IF;
            maps := ms->'requirement_mappings';
            IF jsonb_typeof(maps) IS DISTINCT FROM 'array' THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s has no requirement_mappings list', ms->>'urn'),
                    format('requirement_mappings = %s.', coalesce(left(maps::text, 80), 'missing')), NULL);
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE jsonb_typeof(t.m) <> 'object'
                OR NOT EXISTS (SELECT 1 FROM isms.requirement r WHERE r.framework = src_fw.code AND r.urn = t.m->>'source_requirement_urn')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s: source requirement %s is not a node of framework %s',
                                                             bad.i, ms->>'urn', coalesce(bad.m->>'source_requirement_urn', '(missing)'), src_fw.code),
                    format('Mapping %s: %s.', bad.i, left(bad.m::text, 300)),
                    'Import the version of the source framework''s library the mapping was made for.');
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE NOT EXISTS (SELECT 1 FROM isms.requirement r WHERE r.framework = tgt_fw.code AND r.urn = t.m->>'target_requirement_urn')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s: target requirement %s is not a node of framework %s',
                                                             bad.i, ms->>'urn', coalesce(bad.m->>'target_requirement_urn', '(missing)'), tgt_fw.code),
                    format('Mapping %s: %s.', bad.i, left(bad.m::text, 300)),
                    'Import the version of the target framework''s library the mapping was made for.');
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE (t.m->>'relationship') IS NULL
                OR (t.m->>'relationship') NOT IN ('equal', 'subset', 'superset', 'intersect', 'not_related')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s (%s -> %s): relationship %s is not one of equal, subset, superset, intersect, not_related',
                                                             bad.i, ms->>'urn', bad.m->>'source_requirement_urn', bad.m->>'target_requirement_urn',
                                                             coalesce(bad.m->>'relationship', '(missing)')),
                    format('Mapping %s: %s.', bad.i, left(bad.m::text, 300)), NULL);
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE t.m ? 'strength_of_relationship' AND jsonb_typeof(t.m->'strength_of_relationship') <> 'null'
               AND (jsonb_typeof(t.m->'strength_of_relationship') <> 'number'
                    OR (t.m->>'strength_of_relationship') !~ '^[0-9]{1,9}$')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s (%s -> %s): strength_of_relationship is not a whole number',
                                                             bad.i, ms->>'urn', bad.m->>'source_requirement_urn', bad.m->>'target_requirement_urn'),
                    format('strength_of_relationship = %s.', bad.m->'strength_of_relationship'), NULL);
            END IF;

            n := (SELECT count(*) FROM isms.mapping_set s WHERE s.code = ms_code);
            INSERT INTO isms.mapping_set AS s (code, urn, title, description, source_framework, target_framework, library)
            VALUES (ms_code, ms->>'urn', coalesce(nullif(btrim(ms->>'name'), ''), btrim(lib->>'name')), ms->>'description',
                    src_fw.code, tgt_fw.code, lib_urn)
            ON CONFLICT (code) DO UPDATE
               SET title = EXCLUDED.title, description = EXCLUDED.description, library = EXCLUDED.library;
            object := 'mapping_set'; code := ms_code;
            change := CASE WHEN n = 0 THEN 'added' ELSE 'updated' END;
            detail := format('%s -> %s', src_fw.code, tgt_fw.code);
            RETURN NEXT;

            -- the mappings; a pair listed twice counts once (the first)
            RETURN QUERY
            WITH new AS (
                SELECT DISTINCT ON (s.code, t.code) s.code AS source_code, t.code AS target_code,
                       m.m->>'relationship' AS relationship, (m.m->>'strength_of_relationship')::integer AS strength,
                       nullif(btrim(coalesce(m.m->>'rationale', m.m->>'annotation')), '') AS rationale, m.i
                  FROM jsonb_array_elements(maps) WITH ORDINALITY m(m, i)
                  JOIN isms.requirement s ON s.framework = src_fw.code AND s.urn = m.m->>'source_requirement_urn'
                  JOIN isms.requirement t ON t.framework = tgt_fw.code AND t.urn = m.m->>'target_requirement_urn'
                 ORDER BY s.code, t.code, m.i),
            cur AS (SELECT * FROM isms.requirement_mapping x WHERE x.mapping_set = ms_code)
            SELECT 'mapping', coalesce(new.source_code, cur.source_code) || ' -> ' || coalesce(new.target_code, cur.target_code),
                   CASE WHEN cur.source_code IS NULL THEN 'added' WHEN new.source_code IS NULL THEN 'removed' ELSE 'updated' END,
                   CASE WHEN cur.source_code IS NULL THEN new.relationship
                        WHEN new.source_code IS NULL THEN cur.relationship
                        ELSE concat_ws('; ',
                            CASE WHEN cur.relationship <> new.relationship THEN format('relationship %s -> %s', cur.relationship, new.relationship) END,
                            CASE WHEN cur.strength IS DISTINCT FROM new.strength THEN format('strength %s -> %s', cur.strength, new.strength) END,
                            CASE WHEN cur.rationale IS DISTINCT FROM new.rationale THEN 'rationale' END) END
              FROM new FULL JOIN cur ON cur.source_code = new.source_code AND cur.target_code = new.target_code
             WHERE cur.source_code IS NULL OR new.source_code IS NULL
                OR (cur.relationship, cur.strength, cur.rationale) IS DISTINCT FROM (new.relationship, new.strength, new.rationale)
             ORDER BY coalesce(new.i, 0), 2;
            SELECT count(*) INTO n FROM jsonb_array_elements(maps);
            SELECT n - count(*) INTO n FROM (
                SELECT DISTINCT s.code, t.code FROM jsonb_array_elements(maps) m(m)
                  JOIN isms.requirement s ON s.framework = src_fw.code AND s.urn = m.m->>'source_requirement_urn'
                  JOIN isms.requirement t ON t.framework = tgt_fw.code AND t.urn = m.m->>'target_requirement_urn') d;
            IF n > 0 THEN
                object := 'mapping'; code := NULL; change := 'skipped';
                detail := n || ' repeated pairs (the first of each kept)';
                RETURN NEXT;
            END IF;
            DELETE FROM isms.requirement_mapping x WHERE x.mapping_set = ms_code;
            INSERT INTO isms.requirement_mapping (mapping_set, source_framework, source_code, target_framework, target_code,
                                                  relationship, strength, rationale)
            SELECT DISTINCT ON (s.code, t.code) ms_code, src_fw.code, s.code, tgt_fw.code, t.code,
                   m.m->>'relationship', (m.m->>'strength_of_relationship')::integer,
                   nullif(btrim(coalesce(m.m->>'rationale', m.m->>'annotation')), '')
              FROM jsonb_array_elements(maps) WITH ORDINALITY m(m, i)
              JOIN isms.requirement s ON s.framework = src_fw.code AND s.urn = m.m->>'source_requirement_urn'
              JOIN isms.requirement t ON t.framework = tgt_fw.code AND t.urn = m.m->>'target_requirement_urn'
             ORDER BY s.code, t.code, m.i;
            GET DIAGNOSTICS n = ROW_COUNT;
            object := 'mapping'; code := NULL; change := 'total'; detail := n || ' mappings in ' || ms_code;
            RETURN NEXT;
        END LOOP;
    END IF;
END
$$;
COMMENT ON FUNCTION isms.library_import(jsonb, text) IS
    'The import of isms.import_library, run as the extension owner with the acting person recorded as imported_by; granted to isms_admin only, who is trusted with the catalog';

CREATE FUNCTION isms.import_library(library jsonb)
RETURNS TABLE (object text, code text, change text, detail text)
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT i.object, i.code, i.change, i.detail FROM isms.library_import($1, isms.current_actor()) i
$$;
COMMENT ON FUNCTION isms.import_library(jsonb) IS
    'Imports a library in CISO Assistant''s format (as JSON: tools/library2json converts the YAML): a framework with its requirement nodes, or requirement mapping sets between frameworks in the catalog. A newer version updates the library in place (nodes matched by urn; nodes it lacks are kept as withdrawn; mappings replaced). Returns one row per change (object, code, change, detail). A file that breaks a rule raises IS060 naming the node and changes nothing; an older version raises IS061; a library of a shipped framework IS062. The import runs as the extension owner (isms.library_import); granted to isms_admin';

------------------------------------------------------------------------------
-- Privileges and pg_dump.  The catalog is read-only to every role; the
-- import runs as the extension owner and only isms_admin may call it.

REVOKE ALL ON isms.library, isms.mapping_set, isms.requirement_mapping FROM PUBLIC;
GRANT SELECT ON isms.library, isms.mapping_set, isms.requirement_mapping TO isms_reader;
REVOKE ALL ON FUNCTION isms.library_code(text), isms.library_refused(text, text, text, text),
    isms.library_import(jsonb, text), isms.import_library(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.library_code(text) TO isms_reader;
GRANT EXECUTE ON FUNCTION isms.library_import(jsonb, text), isms.import_library(jsonb) TO isms_admin;
SELECT pg_catalog.pg_extension_config_dump('isms.library', '');
SELECT pg_catalog.pg_extension_config_dump('isms.mapping_set', '');
SELECT pg_catalog.pg_extension_config_dump('isms.requirement_mapping', '');

-- src/coverage.sql
-- Mappings at work: how far an ISO/IEC 27001:2022 ISMS covers another
-- framework (NIST CSF, SOC 2, ISO/IEC 27001:2013...), through the mappings
-- imported with isms.import_library, and how a 2013 Statement of
-- Applicability carries over to 2022.  The SoA and the readiness checks
-- stay ISO 27001's; other frameworks get coverage and gap reports.
--
-- The verdict of one requirement of the other framework, from the mapped
-- Annex A controls and their SoA entries (mappings not_related ignored; a
-- mapping from ISO to the framework counts with subset and superset swapped):
--   covered  at least one mapped control is implemented, and either one of
--            them is equal to or contains the requirement (equal, subset), or
--            every mapped control the SoA does not exclude is implemented;
--   partial  otherwise, at least one mapped control is implemented or
--            partially implemented; or no control but clauses of 4-10 are
--            mapped (met by operating the ISMS, not by an SoA decision);
--   gap      otherwise: nothing mapped, or no mapped control implemented
--            (excluded, not implemented, planned or not decided).

CREATE FUNCTION isms.framework_coverage(org_id bigint, framework text)
RETURNS TABLE (requirement text, title text, top_level text, ancestors text[], mapped_controls integer,
               implemented integer, partially_implemented integer, not_implemented integer, excluded integer,
               not_decided integer, controls text, clauses text, evidence_items integer,
               latest_evidence_at timestamptz, verdict text, basis text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    fw constant text := $2;
    iso_fw constant text := 'iso27001-2022';
BEGIN
    IF fw IS NULL OR NOT EXISTS (SELECT 1 FROM isms.framework f WHERE f.code = fw) THEN
        PERFORM isms.report_bad_argument('framework', fw, 'no such framework',
            'SELECT code, title FROM isms.framework lists them; import others with isms.import_library.');
    END IF;
    IF fw = iso_fw THEN
        PERFORM isms.report_bad_argument('framework', fw, 'coverage is of another framework by ISO/IEC 27001:2022',
            'For ISO/IEC 27001:2022 itself see isms.statement_of_applicability and isms.clause_4_4_readiness.');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM isms.mapping_set s
                    WHERE (s.source_framework = fw AND s.target_framework = iso_fw)
                       OR (s.source_framework = iso_fw AND s.target_framework = fw)) THEN
        PERFORM isms.report_bad_argument('framework', fw, 'no mapping set links it to iso27001-2022',
            'Import a mapping library between it and ISO/IEC 27001:2022 with isms.import_library (SELECT * FROM isms.mapping_set lists the sets).');
    END IF;
    RETURN QUERY
    WITH RECURSIVE tree AS (
        SELECT r.code, ARRAY[]::text[] AS anc
          FROM isms.requirement r WHERE r.framework = fw AND r.parent_code IS NULL
        UNION ALL
        SELECT r.code, t.anc || t.code
          FROM tree t JOIN isms.requirement r ON r.framework = fw AND r.parent_code = t.code
    ),
    m AS MATERIALIZED (
        SELECT DISTINCT ON (x.req, x.iso) x.req, x.iso, x.rel
          FROM (SELECT rm.source_code AS req, rm.target_code AS iso, rm.relationship AS rel
                  FROM isms.requirement_mapping rm
                 WHERE rm.source_framework = fw AND rm.target_framework = iso_fw
                UNION ALL
                SELECT rm.target_code, rm.source_code,
                       CASE rm.relationship WHEN 'subset' THEN 'superset' WHEN 'superset' THEN 'subset'
                            ELSE rm.relationship END
                  FROM isms.requirement_mapping rm
                 WHERE rm.source_framework = iso_fw AND rm.target_framework = fw) x
         WHERE x.rel <> 'not_related'
         ORDER BY x.req, x.iso, CASE x.rel WHEN 'equal' THEN 1 WHEN 'subset' THEN 2 WHEN 'superset' THEN 3 ELSE 4 END
    ),
    st AS MATERIALIZED (
        SELECT m.req, m.iso, m.rel, q.kind, q.ref, e.id AS entry_id,
               CASE WHEN q.kind = 'clause' THEN 'clause'
                    WHEN e.id IS NULL THEN 'not decided'
                    WHEN NOT e.applicable THEN 'excluded'
                    ELSE e.implementation_status END AS state
          FROM m
          JOIN isms.requirement q ON q.framework = iso_fw AND q.code = m.iso AND q.kind IN ('clause', 'control')
          LEFT JOIN isms.soa_entry e ON q.kind = 'control' AND e.org_id = o AND e.framework = iso_fw
                                    AND e.control OPERATOR(isms.=) q.ref
    ),
    agg AS MATERIALIZED (
        SELECT st.req,
               count(*) FILTER (WHERE st.kind = 'control')::integer AS n_ctl,
               count(*) FILTER (WHERE st.state = 'implemented')::integer AS n_impl,
               count(*) FILTER (WHERE st.state = 'partially_implemented')::integer AS n_part,
               count(*) FILTER (WHERE st.state IN ('not_implemented', 'planned'))::integer AS n_not,
               count(*) FILTER (WHERE st.state = 'excluded')::integer AS n_excl,
               count(*) FILTER (WHERE st.state = 'not decided')::integer AS n_undec,
               count(*) FILTER (WHERE st.kind = 'clause')::integer AS n_clause,
               string_agg(st.iso || CASE st.rel WHEN 'equal' THEN ' (equal)' ELSE ' (contains it)' END, ', ' ORDER BY st.ref)
                   FILTER (WHERE st.state = 'implemented' AND st.rel IN ('equal', 'subset')) AS full_ctl,
               string_agg(st.iso || ' ' || replace(st.state, '_', ' ') || ' (' || st.rel || ')', ', ' ORDER BY st.ref)
                   FILTER (WHERE st.kind = 'control') AS controls,
               string_agg(st.iso, ', ' ORDER BY st.ref) FILTER (WHERE st.kind = 'clause') AS clauses
          FROM st GROUP BY st.req
    ),
    -- (each step computed once: materialized, whatever the statistics of a
    -- just-imported library say); evidence counted once per SoA entry
    ent AS MATERIALIZED (
        SELECT s.entry_id AS record_id, x.n, x.latest
          FROM (SELECT DISTINCT st.entry_id FROM st WHERE st.entry_id IS NOT NULL) s
         CROSS JOIN LATERAL (
               SELECT count(*) AS n, max(v.collected_at) AS latest
                 FROM isms.evidence v
                WHERE v.org_id = o AND v.record_table = 'isms.soa_entry'::regclass AND v.record_id = s.entry_id) x
         WHERE x.n > 0
    ),
    ev AS MATERIALIZED (
        SELECT st.req, sum(ent.n)::integer AS n, max(ent.latest) AS latest
          FROM st JOIN ent ON ent.record_id = st.entry_id
         GROUP BY st.req
    ),
    out AS (
        SELECT r.code, r.title, r.ordinal, r.ref, t.anc,
               coalesce(a.n_ctl, 0) AS n_ctl, coalesce(a.n_impl, 0) AS n_impl, coalesce(a.n_part, 0) AS n_part,
               coalesce(a.n_not, 0) AS n_not, coalesce(a.n_excl, 0) AS n_excl, coalesce(a.n_undec, 0) AS n_undec,
               coalesce(a.n_clause, 0) AS n_clause, a.full_ctl, a.controls, a.clauses,
               coalesce(ev.n, 0) AS n_ev, ev.latest
          FROM isms.requirement r
          JOIN tree t ON t.code = r.code
          LEFT JOIN agg a ON a.req = r.code
          LEFT JOIN ev ON ev.req = r.code
         WHERE r.framework = fw AND r.assessable AND NOT r.withdrawn
    )
    SELECT x.code, x.title, coalesce(x.anc[1], x.code), x.anc, x.n_ctl, x.n_impl, x.n_part, x.n_not, x.n_excl,
           x.n_undec, x.controls, x.clauses, x.n_ev, x.latest,
           CASE WHEN x.n_impl > 0 AND (x.full_ctl IS NOT NULL OR x.n_impl = x.n_ctl - x.n_excl) THEN 'covered'
                WHEN x.n_impl + x.n_part > 0 OR (x.n_ctl = 0 AND x.n_clause > 0) THEN 'partial'
                ELSE 'gap' END,
           CASE WHEN x.n_impl > 0 AND x.full_ctl IS NOT NULL
                    THEN format('implemented and equal to or containing the requirement: %s', x.full_ctl)
                WHEN x.n_impl > 0 AND x.n_impl = x.n_ctl - x.n_excl
                    THEN format('every mapped control the SoA does not exclude is implemented (%s of %s)', x.n_impl, x.n_ctl)
                WHEN x.n_impl + x.n_part > 0
                    THEN format('%s of %s mapped controls implemented, %s partially; %s not implemented or planned, %s not decided, %s excluded',
                                x.n_impl, x.n_ctl, x.n_part, x.n_not, x.n_undec, x.n_excl)
                WHEN x.n_ctl = 0 AND x.n_clause > 0
                    THEN format('mapped to clauses only (%s): met by operating the ISMS, not by an SoA decision', x.clauses)
                WHEN x.n_ctl = 0
                    THEN 'no ISO/IEC 27001:2022 control or clause is mapped to it'
                ELSE format('none of the %s mapped controls is implemented: %s not implemented or planned, %s not decided, %s excluded',
                            x.n_ctl, x.n_not, x.n_undec, x.n_excl) END
      FROM out x
     ORDER BY x.ordinal, x.ref, x.code;
END
$$;
COMMENT ON FUNCTION isms.framework_coverage(bigint, text) IS
    'How far the organisation''s ISO/IEC 27001:2022 ISMS covers another framework: each assessable requirement of it with the mapped Annex A controls (their SoA decision and implementation), mapped clauses, evidence on those SoA entries, and a verdict: covered (a mapped control is implemented and equal to or contains the requirement, or every mapped control the SoA does not exclude is implemented), partial (some mapped control implemented or partially; or clauses only), gap (otherwise); basis states the rule applied';

CREATE FUNCTION isms.framework_coverage_summary(org_id bigint, framework text, level integer DEFAULT 1)
RETURNS TABLE (node text, title text, requirements integer, covered integer, partial integer, gap integer,
               covered_share numeric)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    lvl constant integer := $3;
BEGIN
    IF lvl IS NULL OR lvl < 1 OR lvl > 10 THEN
        PERFORM isms.report_bad_argument('level', lvl::text, 'a depth from 1 (top level) to 10 is required',
            'Pass 1 for the top level (CSF functions), 2 for the next (CSF categories).');
    END IF;
    RETURN QUERY
    SELECT g.node, r.title, count(*)::integer, count(*) FILTER (WHERE c.verdict = 'covered')::integer,
           count(*) FILTER (WHERE c.verdict = 'partial')::integer, count(*) FILTER (WHERE c.verdict = 'gap')::integer,
           round(count(*) FILTER (WHERE c.verdict = 'covered')::numeric / count(*), 3)
      FROM isms.framework_coverage($1, $2) c
     CROSS JOIN LATERAL (SELECT coalesce((c.ancestors || c.requirement)[lvl], c.requirement) AS node) g
      LEFT JOIN isms.requirement r ON r.framework = $2 AND r.code = g.node
     GROUP BY g.node, r.title, r.ordinal, r.ref
     ORDER BY r.ordinal, r.ref, g.node;
END
$$;
COMMENT ON FUNCTION isms.framework_coverage_summary(bigint, text, integer) IS
    'isms.framework_coverage summed per node at a depth of the other framework (1: top level, such as the NIST CSF functions; 2: categories): requirements, covered, partial, gap and the covered share';

-- The 2013 -> 2022 transition: every 2022 Annex A control with the 2013
-- controls mapped to it (either direction) and their 2013 SoA decisions,
-- beside the 2022 decision.
CREATE FUNCTION isms.soa_transition(org_id bigint, from_framework text DEFAULT 'iso27001-2013')
RETURNS TABLE (control text, title text, from_controls text, from_decisions text, carried_over text,
               decision text, implementation_status text, is_new boolean, action text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    fw constant text := $2;
    iso_fw constant text := 'iso27001-2022';
BEGIN
    IF fw IS NULL OR fw = iso_fw OR NOT EXISTS (SELECT 1 FROM isms.mapping_set s
                    WHERE (s.source_framework = fw AND s.target_framework = iso_fw)
                       OR (s.source_framework = iso_fw AND s.target_framework = fw)) THEN
        PERFORM isms.report_bad_argument('from_framework', fw, 'no mapping set links it to iso27001-2022',
            'Import the earlier edition''s library and its mapping to ISO/IEC 27001:2022 with isms.import_library.');
    END IF;
    RETURN QUERY
    WITH m AS (
        SELECT DISTINCT x.old_code, x.new_code
          FROM (SELECT rm.source_code AS old_code, rm.target_code AS new_code, rm.relationship
                  FROM isms.requirement_mapping rm WHERE rm.source_framework = fw AND rm.target_framework = iso_fw
                UNION ALL
                SELECT rm.target_code, rm.source_code, rm.relationship
                  FROM isms.requirement_mapping rm WHERE rm.source_framework = iso_fw AND rm.target_framework = fw) x
         WHERE x.relationship <> 'not_related'
    ),
    old AS (
        SELECT m.new_code, q.ref, m.old_code,
               CASE WHEN e.id IS NULL THEN 'not decided' WHEN e.applicable THEN 'included' ELSE 'excluded' END AS dec
          FROM m
          JOIN isms.requirement q ON q.framework = fw AND q.code = m.old_code
          LEFT JOIN isms.soa_entry e ON e.org_id = o AND e.framework = fw AND e.control OPERATOR(isms.=) q.ref
    ),
    agg AS (
        SELECT old.new_code,
               string_agg(old.old_code, ', ' ORDER BY old.ref, old.old_code) AS codes,
               string_agg(old.old_code || ' ' || old.dec, ', ' ORDER BY old.ref, old.old_code) AS decs,
               CASE WHEN bool_or(old.dec = 'included') THEN 'included'
                    WHEN bool_and(old.dec = 'excluded') THEN 'excluded'
                    WHEN bool_or(old.dec = 'excluded') THEN 'excluded' ELSE 'not decided' END AS carried
          FROM old GROUP BY old.new_code
    )
    SELECT c.code, c.title, a.codes, a.decs, a.carried,
           CASE WHEN e.id IS NULL THEN 'not decided' WHEN e.applicable THEN 'included' ELSE 'excluded' END,
           e.implementation_status,
           a.new_code IS NULL,
           CASE WHEN e.id IS NOT NULL THEN NULL
                WHEN a.new_code IS NULL THEN 'New in 2022: decide it in the SoA (isms.soa_entry)'
                WHEN a.carried = 'not decided' THEN 'Decide it in the SoA: the 2013 controls it comes from were not decided either'
                ELSE format('Record the 2022 decision: the 2013 decisions (%s) carry over as %s', a.decs, a.carried) END
      FROM isms.requirement c
      LEFT JOIN agg a ON a.new_code = c.code
      LEFT JOIN isms.soa_entry e ON e.org_id = o AND e.framework = iso_fw AND e.control OPERATOR(isms.=) c.ref
     WHERE c.framework = iso_fw AND c.kind = 'control'
     ORDER BY c.ref;
END
$$;
COMMENT ON FUNCTION isms.soa_transition(bigint, text) IS
    'ISO/IEC 27001:2013 -> 2022 transition: every 2022 Annex A control with the earlier edition''s controls mapped to it, their SoA decisions in the organisation (soa_entry rows of that framework), the decision they carry over (included if any is included), the 2022 decision, whether the control is new (nothing maps to it) and what to do';

CREATE VIEW isms_report.framework_coverage WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, f.code AS framework, f.title AS framework_title,
       c.requirement, c.title, c.top_level,
       c.ancestors[cardinality(c.ancestors)] AS parent_requirement,
       c.mapped_controls, c.implemented, c.partially_implemented, c.not_implemented, c.excluded, c.not_decided,
       c.controls, c.clauses, c.evidence_items, c.latest_evidence_at, c.verdict, c.basis
  FROM isms.organization o
 CROSS JOIN isms.framework f
 CROSS JOIN LATERAL isms.framework_coverage(o.org_id, f.code) c
 WHERE f.code <> 'iso27001-2022'
   AND EXISTS (SELECT 1 FROM isms.mapping_set s
                WHERE (s.source_framework = f.code AND s.target_framework = 'iso27001-2022')
                   OR (s.source_framework = 'iso27001-2022' AND s.target_framework = f.code));
COMMENT ON VIEW isms_report.framework_coverage IS
    'Coverage of other frameworks (NIST CSF, SOC 2, ISO/IEC 27001:2013...) by each organisation''s ISO/IEC 27001:2022 ISMS through the imported mappings: one row per organisation and assessable requirement, with a verdict (see isms.framework_coverage)';
COMMENT ON COLUMN isms_report.framework_coverage.org_id IS 'Organisation';
COMMENT ON COLUMN isms_report.framework_coverage.org_code IS 'Short code of the organisation';
COMMENT ON COLUMN isms_report.framework_coverage.framework IS 'The other framework, such as nist-csf-2.0';
COMMENT ON COLUMN isms_report.framework_coverage.framework_title IS 'Title of the other framework';
COMMENT ON COLUMN isms_report.framework_coverage.requirement IS 'Requirement of the other framework as it writes it, such as GV.OC-01';
COMMENT ON COLUMN isms_report.framework_coverage.title IS 'Title (or text) of the requirement';
COMMENT ON COLUMN isms_report.framework_coverage.top_level IS 'Top-level node the requirement is under, such as the CSF function GV';
COMMENT ON COLUMN isms_report.framework_coverage.parent_requirement IS 'Node directly above the requirement, such as the CSF category GV.OC';
COMMENT ON COLUMN isms_report.framework_coverage.mapped_controls IS 'Annex A controls mapped to the requirement';
COMMENT ON COLUMN isms_report.framework_coverage.implemented IS 'Of those, included in the SoA and implemented';
COMMENT ON COLUMN isms_report.framework_coverage.partially_implemented IS 'Of those, included and partially implemented';
COMMENT ON COLUMN isms_report.framework_coverage.not_implemented IS 'Of those, included and not implemented or only planned';
COMMENT ON COLUMN isms_report.framework_coverage.excluded IS 'Of those, excluded in the SoA';
COMMENT ON COLUMN isms_report.framework_coverage.not_decided IS 'Of those, without an SoA entry';
COMMENT ON COLUMN isms_report.framework_coverage.controls IS 'The mapped controls with their state and relationship, such as A.5.1 implemented (intersect)';
COMMENT ON COLUMN isms_report.framework_coverage.clauses IS 'ISO/IEC 27001 clauses (4-10) mapped to the requirement';
COMMENT ON COLUMN isms_report.framework_coverage.evidence_items IS 'Evidence items attached to the SoA entries of the mapped controls';
COMMENT ON COLUMN isms_report.framework_coverage.latest_evidence_at IS 'When the latest of that evidence was collected';
COMMENT ON COLUMN isms_report.framework_coverage.verdict IS 'covered, partial or gap';
COMMENT ON COLUMN isms_report.framework_coverage.basis IS 'The rule that gave the verdict, with the figures';

REVOKE ALL ON isms_report.framework_coverage FROM PUBLIC;
GRANT SELECT ON isms_report.framework_coverage TO isms_reader;
REVOKE ALL ON FUNCTION isms.framework_coverage(bigint, text), isms.framework_coverage_summary(bigint, text, integer),
    isms.soa_transition(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.framework_coverage(bigint, text), isms.framework_coverage_summary(bigint, text, integer),
    isms.soa_transition(bigint, text) TO isms_reader;
-- end of the frameworks section

--------------------------------------------------------------------------
-- Reports as of any instant, from the register history: the metrics part
-- (src/metrics.sql) again, every function replaced; the functions whose
-- arguments or columns changed are dropped first.  Register history
-- (isms.known_as_of), one definition of a document in force and reviewed,
-- residual risk from the register, near misses and inputs no process
-- outputs, shelf-ware in readiness, sign-offs in readiness, and the BI
-- view of documents.
DROP FUNCTION isms.process_interactions(bigint);
DROP FUNCTION isms.statement_of_applicability(bigint, text);

-- Metrics and reports (layer 7): staleness, continual improvement, Clause 4.4
-- readiness, the Statement of Applicability, process interactions and the
-- process map.
--
-- Every function here is STABLE and only reads: it runs on a hot-standby
-- replica and inside SET TRANSACTION READ ONLY.  They are SECURITY INVOKER,
-- so row-level security shows each caller only the organisations it is a
-- member of.  A bad argument raises SQLSTATE 22023 naming the argument, with
-- the value in the detail and what to pass instead in the hint; an
-- organisation with no records gives empty results or "fail" rows, never an
-- error.  Thresholds are parameters with defaults.

------------------------------------------------------------------------------
-- Indexes the reports lean on (per organisation, over the tables that grow).

-- The moves reports look up in the transition log: into a check or final
-- state (verified, closed, completed, implemented, achieved, not_achieved)
-- and out of verified (the end of an effectiveness check).  Only those are
-- indexed, so the workflow engine pays nothing for the many other moves.
-- A workflow an owner adds should name its final act states alike to be
-- counted by the PDCA-cycle figures.  Without a SET clause the body is
-- parsed wherever it is inlined, under any search_path (also when a
-- backend builds the index predicate): its operators are qualified.
CREATE OR REPLACE FUNCTION isms.reported_move(from_state text, to_state text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE    -- no SET clause: inlined, so index predicates match
AS $$
    SELECT $2 OPERATOR(pg_catalog.=) ANY ('{verified,closed,completed,implemented,achieved,not_achieved}'::pg_catalog.text[])
        OR $1 OPERATOR(pg_catalog.=) 'verified'::pg_catalog.text
$$;
COMMENT ON FUNCTION isms.reported_move(text, text) IS
    'True for the workflow moves the reports look up (into verified, closed, completed, implemented, achieved, not_achieved, or out of verified): the predicate of the transition log''s report index';
REVOKE ALL ON FUNCTION isms.reported_move(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.reported_move(text, text) TO isms_reader;

------------------------------------------------------------------------------
-- Argument checks.

CREATE OR REPLACE FUNCTION isms.report_bad_argument(argument text, value text, problem text, hint text)
    RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'invalid argument %: %', argument, problem
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = format('%s = %s.', argument, coalesce(value, 'NULL')),
              HINT = hint;
END
$$;
COMMENT ON FUNCTION isms.report_bad_argument(text, text, text, text) IS
    'Raises SQLSTATE 22023 for a report function''s argument: the message names the argument, the detail gives its value, the hint what to pass instead';
REVOKE ALL ON FUNCTION isms.report_bad_argument(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.report_bad_argument(text, text, text, text) TO isms_reader;

-- The organisation of a report: it must exist and be visible to the caller
-- (row-level security: a non-member is told the same as for a missing one).
CREATE OR REPLACE FUNCTION isms.report_org(org_id bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF $1 IS NULL OR NOT EXISTS (SELECT 1 FROM isms.organization o WHERE o.org_id = $1) THEN
        PERFORM isms.report_bad_argument('org_id', $1::text,
            'no organisation with this id exists or is visible to you',
            'SELECT org_id, code, name FROM isms.organization lists the organisations you may see.');
    END IF;
    RETURN $1;
END
$$;
COMMENT ON FUNCTION isms.report_org(bigint) IS
    'Checks the org_id argument of a report: raises 22023 unless the organisation exists and is visible to the caller; returns it';
REVOKE ALL ON FUNCTION isms.report_org(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.report_org(bigint) TO isms_reader;

CREATE OR REPLACE FUNCTION isms.report_time(argument text, value timestamptz) RETURNS timestamptz
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF value IS NULL OR NOT isfinite(value) THEN
        PERFORM isms.report_bad_argument(argument, value::text, 'a finite point in time is required',
            'Pass a timestamp such as now() or ''2025-06-30''.');
    END IF;
    RETURN value;
END
$$;
COMMENT ON FUNCTION isms.report_time(text, timestamptz) IS
    'Checks a point-in-time argument of a report (not NULL, finite): raises 22023 naming it';
REVOKE ALL ON FUNCTION isms.report_time(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.report_time(text, timestamptz) TO isms_reader;

------------------------------------------------------------------------------
-- The one source of every report: the register as it stood at an instant.
--
-- isms.as_of() gives the version of each row valid at that instant.  A row
-- created by then whose known history starts later (a record brought in
-- with its creation date but without its earlier versions) is shown in its
-- earliest known version: the closest evidence there is.  At or after the
-- start of the current transaction that is the register itself, read
-- directly.

CREATE OR REPLACE FUNCTION isms.known_as_of(register anyelement, at timestamptz)
    RETURNS SETOF anyelement
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    reg  regclass;
    hist regclass;
    vf   name;
    cols text;
    xcols text;
BEGIN
    SELECT t.typrelid INTO reg FROM pg_type t
     WHERE t.oid = pg_typeof(register) AND t.typrelid <> 0;
    IF reg IS NULL THEN
        RAISE EXCEPTION 'isms.known_as_of() needs a row of a register, not %', pg_typeof(register)
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Pass a NULL of the register''s row type: isms.known_as_of(NULL::isms.risk, ''2025-01-31'').';
    END IF;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum),
           string_agg('x.' || quote_ident(attname), ', ' ORDER BY attnum) INTO cols, xcols
      FROM pg_attribute WHERE attrelid = reg AND attnum > 0 AND NOT attisdropped;
    IF at >= now() THEN
        RETURN QUERY EXECUTE format('SELECT %s FROM %s', cols, reg);
        RETURN;
    END IF;
    SELECT h.history_table, h.valid_from_column INTO hist, vf
      FROM isms.history_config h WHERE h.relid = reg;
    IF hist IS NULL THEN
        RAISE EXCEPTION 'the history of % is not kept', reg
            USING ERRCODE = 'undefined_object',
                  HINT = format('Keep it from now on with SELECT isms.enable_history(%L).', reg);
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT %1$s FROM %2$s WHERE %3$I IS NULL OR %3$I <= $1 '
        'UNION ALL SELECT %1$s FROM %4$s WHERE valid @> $1 '
        'UNION ALL SELECT %5$s FROM ('
        '  SELECT DISTINCT ON (y.org_id, y.id) y.* FROM ('
        '    SELECT %1$s, %3$I AS isms_known_from FROM %2$s WHERE %3$I > $1 AND created_at <= $1 '
        '    UNION ALL SELECT %1$s, lower(valid) FROM %4$s WHERE lower(valid) > $1 AND created_at <= $1) y '
        '   WHERE NOT EXISTS (SELECT 1 FROM %4$s h WHERE h.org_id = y.org_id AND h.id = y.id AND h.valid @> $1) '
        '   ORDER BY y.org_id, y.id, y.isms_known_from) x',
        cols, reg, vf, hist, xcols) USING at;
END
$$;
COMMENT ON FUNCTION isms.known_as_of(anyelement, timestamptz) IS
    'The rows of a register as the reports see them at an instant: the version valid then (isms.as_of), and for a row created by then whose known history starts later, its earliest known version; at or after the current transaction''s start, the register itself';
REVOKE ALL ON FUNCTION isms.known_as_of(anyelement, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.known_as_of(anyelement, timestamptz) TO isms_reader;

-- "In force" and "reviewed" for documents: one definition each, used by
-- every report.  A document is in force while one of its versions is
-- published (status published or under_revision, which document control
-- keeps in step with the versions' validity, as isms.document_as_of()
-- reads it).  A document is reviewed by isms.mark_reviewed() and by the
-- publication of a new version (an approved version put in force is a
-- review of the document).

-- When a row's review interval is counted from at an instant: its last
-- review by then, else its creation.  (A review recorded later, seen in a
-- row's earliest known version, does not count before it happened.)
CREATE OR REPLACE FUNCTION isms.review_basis(last_reviewed_at timestamptz, created_at timestamptz, as_of timestamptz)
    RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT coalesce(CASE WHEN $1 OPERATOR(pg_catalog.<=) $3 THEN $1 END, $2)
$$;
COMMENT ON FUNCTION isms.review_basis(timestamptz, timestamptz, timestamptz) IS
    'When a register row''s review interval is counted from at as_of: its last review if recorded by then, else its creation';
REVOKE ALL ON FUNCTION isms.review_basis(timestamptz, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.review_basis(timestamptz, timestamptz, timestamptz) TO isms_reader;

CREATE OR REPLACE FUNCTION isms.document_in_force(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE    -- no SET clause: inlined where it is used, so qualified
AS $$
    SELECT $1 OPERATOR(pg_catalog.=) ANY ('{published,under_revision}'::pg_catalog.text[])
$$;
COMMENT ON FUNCTION isms.document_in_force(text) IS
    'True for the document statuses with a version in force (published; under_revision: a version in force and a newer one being prepared); drafts, reviews, approved but unpublished first versions and retired documents are not';
REVOKE ALL ON FUNCTION isms.document_in_force(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.document_in_force(text) TO isms_reader;

CREATE OR REPLACE FUNCTION isms.document_reviewed_at(org_id bigint, document_id bigint, last_reviewed_at timestamptz,
                                          as_of timestamptz)
    RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT CASE WHEN $3 <= $4 OR v.published_at IS NOT NULL
                THEN greatest(CASE WHEN $3 <= $4 THEN $3 END, v.published_at) END
      FROM (SELECT max(lower(x.validity)) AS published_at
              FROM isms.document_version x
             WHERE x.org_id = $1 AND x.document_id = $2 AND lower(x.validity) <= $4) v
$$;
COMMENT ON FUNCTION isms.document_reviewed_at(bigint, bigint, timestamptz, timestamptz) IS
    'When a document was last reviewed by as_of: its last recorded review (isms.mark_reviewed) or the publication of its latest version by then, whichever is later; NULL if neither';
REVOKE ALL ON FUNCTION isms.document_reviewed_at(bigint, bigint, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.document_reviewed_at(bigint, bigint, timestamptz, timestamptz) TO isms_reader;

------------------------------------------------------------------------------
-- Every row of every register, with what staleness needs: its review
-- interval, last review, last change and whether it is still in force.
-- Generated from isms.register; a part of the install script that adds a
-- register after this one calls isms.build_register_row() again.
--
-- Reviewable registers get two covering "review indexes" on the date a
-- row's review is counted from, coalesce(last_reviewed_at, created_at):
-- one for rows on the default interval, one for rows with their own.  Each
-- register's branch of the view carries candidate_interval, the shortest
-- interval any of its rows on the default can have (register default or an
-- organisation's setting), so that "overdue at as_of" becomes an index
-- range (basis < as_of - candidate_interval) read without touching the
-- table: isms.stale_items() reads only the candidates, not every row.

CREATE OR REPLACE FUNCTION isms.build_register_row() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
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
    parts_at text[] := '{}';
    rev text;
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
            CASE WHEN NOT r.reviewable THEN 'NULL::timestamptz'
                 WHEN r.relid = 'isms.document'::regclass
                 THEN 'isms.document_reviewed_at(t.org_id, t.id, t.last_reviewed_at, ISMS_AT)'
                 ELSE 'ISMS_LAST_REVIEW' END,
            CASE WHEN 'status' = ANY (cols) THEN 't.status' ELSE 'NULL::text' END,
            retired,
            CASE WHEN r.reviewable THEN 'coalesce(t.last_reviewed_at, t.created_at)' ELSE 'NULL::timestamptz' END);
        -- the rows as of an instant: one branch per register
        -- (a review recorded after the instant, in a row's earliest known
        -- version, does not count then)
        parts_at := parts_at || format('%s, interval ''0'' AS candidate_interval FROM isms.known_as_of(NULL::%s, $1) t',
                                       replace(replace(common, 'ISMS_AT', '$1'), 'ISMS_LAST_REVIEW',
                                               'CASE WHEN t.last_reviewed_at <= $1 THEN t.last_reviewed_at END'),
                                       r.relid);
        common := replace(replace(common, 'ISMS_AT', 'now()'), 'ISMS_LAST_REVIEW', 't.last_reviewed_at');
        IF NOT r.reviewable THEN
            parts := parts || format('%s, NULL::interval AS candidate_interval FROM %s t', common, r.relid);
            activity := activity || format(
                'SELECT %L::regclass, count(*), NULL::bigint, NULL::bigint, NULL::interval, '
                'max(t.updated_at) FILTER (WHERE t.updated_at <= $2) '
                'FROM isms.known_as_of(NULL::%s, $2) t WHERE t.org_id = $1 AND t.created_at <= $2', r.relid, r.relid);
            CONTINUE;
        END IF;
        in_force := format('(%s IS NULL OR %s > $2)', retired, retired);
        rev := CASE WHEN r.relid = 'isms.document'::regclass
                    THEN 'isms.document_reviewed_at(t.org_id, t.id, t.last_reviewed_at, $2)'
                    ELSE 'CASE WHEN t.last_reviewed_at <= $2 THEN t.last_reviewed_at END' END;
        activity := activity || format(
            'SELECT %L::regclass, count(*), '
            'count(*) FILTER (WHERE %s AND coalesce(%s, t.created_at) + coalesce(t.review_interval, '
            '(SELECT coalesce(s.review_interval, g.default_review_interval) FROM isms.register g '
            'LEFT JOIN isms.register_setting s ON s.org_id = $1 AND s.relid = g.relid WHERE g.relid = %L::regclass)) < $2), '
            'count(*) FILTER (WHERE %s AND %s IS NULL), '
            'max($2 - coalesce(%s, t.created_at)) FILTER (WHERE %s), '
            'max(greatest(t.updated_at, %s)) FILTER (WHERE greatest(t.updated_at, %s) <= $2) '
            'FROM isms.known_as_of(NULL::%s, $2) t WHERE t.org_id = $1 AND t.created_at <= $2',
            r.relid, in_force, rev, r.relid, in_force, rev, rev, in_force, rev, rev, r.relid);
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

    EXECUTE 'CREATE OR REPLACE FUNCTION isms.register_row_at(as_of timestamptz) '
            'RETURNS SETOF isms.register_row '
            'LANGUAGE sql STABLE SET search_path = pg_catalog, isms, pg_temp '
            'AS $f$ ' || array_to_string(parts_at, E'\nUNION ALL ') || ' $f$';
    COMMENT ON FUNCTION isms.register_row_at(timestamptz) IS
        'The rows of isms.register_row as they stood at as_of, from the register history (isms.known_as_of), generated by isms.build_register_row()';
    REVOKE ALL ON FUNCTION isms.register_row_at(timestamptz) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION isms.register_row_at(timestamptz) TO isms_reader;

    -- Per register, what one organisation's rows say about staleness: one
    -- small aggregate per register table (cheaper than grouping the view).
    EXECUTE 'CREATE OR REPLACE FUNCTION isms.register_activity(org_id bigint, as_of timestamptz) '
            'RETURNS TABLE (relid regclass, rows bigint, overdue bigint, never_reviewed bigint, '
            'oldest_review interval, last_change_at timestamptz) '
            'LANGUAGE plpgsql STABLE SET search_path = pg_catalog, isms, pg_temp SET plan_cache_mode = force_generic_plan SET jit = off '
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

SELECT isms.build_register_row();

------------------------------------------------------------------------------
-- Staleness ("shelf-ware").  A row is due for review one review interval
-- after its last review, or after its creation when it was never reviewed;
-- it is overdue when that date is before as_of.  Rows created after as_of
-- are left out, and so are rows out of force by then (retired_at): closed
-- workflow records, retired documents, ended audit programmes and role
-- assignments.  An as_of in the past reads the rows as they stood then,
-- from the register history (isms.register_row_at, isms.known_as_of).

CREATE OR REPLACE FUNCTION isms.stale_items(as_of timestamptz DEFAULT now())
RETURNS TABLE (org_id bigint, register text, clause text, record_id bigint, label text,
               owner text, last_reviewed_at timestamptz, review_interval interval, due_at timestamptz,
               days_overdue integer)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    t constant timestamptz := isms.report_time('as_of', $1);
BEGIN
    IF t >= now() THEN
        RETURN QUERY
        WITH g AS MATERIALIZED (
            SELECT r.relid, r.clause::text AS clause, r.default_review_interval FROM isms.register r WHERE r.reviewable)
        SELECT x.org_id, x.register, g.clause, x.id, x.label, x.owner, x.last_reviewed_at, i.iv, d.due_at,
               floor(date_part('epoch', t - d.due_at) / 86400)::integer
          FROM isms.register_row x
          JOIN g ON g.relid = x.relid
          LEFT JOIN isms.register_setting s ON s.org_id = x.org_id AND s.relid = x.relid
          CROSS JOIN LATERAL (SELECT coalesce(x.review_interval, s.review_interval, g.default_review_interval) AS iv) i
          CROSS JOIN LATERAL (SELECT coalesce(x.last_reviewed_at, x.created_at) + i.iv AS due_at) d
         WHERE x.reviewable
           AND x.basis < t - x.candidate_interval      -- the review indexes' range: candidates only
           AND x.created_at <= t
           AND (x.retired_at IS NULL OR x.retired_at > t)
           AND d.due_at < t;
        RETURN;
    END IF;
    -- a past instant: the rows as they stood then, from the register history
    RETURN QUERY
    WITH g AS MATERIALIZED (
        SELECT r.relid, r.clause::text AS clause, r.default_review_interval FROM isms.register r WHERE r.reviewable)
    SELECT x.org_id, x.register, g.clause, x.id, x.label, x.owner, x.last_reviewed_at, i.iv, d.due_at,
           floor(date_part('epoch', t - d.due_at) / 86400)::integer
      FROM isms.register_row_at(t) x
      JOIN g ON g.relid = x.relid
      LEFT JOIN isms.register_setting s ON s.org_id = x.org_id AND s.relid = x.relid
      CROSS JOIN LATERAL (SELECT coalesce(x.review_interval, s.review_interval, g.default_review_interval) AS iv) i
      CROSS JOIN LATERAL (SELECT coalesce(x.last_reviewed_at, x.created_at) + i.iv AS due_at) d
     WHERE x.reviewable
       AND x.created_at <= t
       AND (x.retired_at IS NULL OR x.retired_at > t)
       AND d.due_at < t;
END
$$;
COMMENT ON FUNCTION isms.stale_items(timestamptz) IS
    'Every register row whose periodic review is overdue at as_of (last review, or creation if never reviewed, plus the effective review interval, is before as_of), across all registers and the caller''s organisations, in no particular order (ORDER BY days_overdue DESC for the oldest first); rows out of force (closed workflow records, retired documents, ended audit programmes and role assignments) are not reviewed';
REVOKE ALL ON FUNCTION isms.stale_items(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.stale_items(timestamptz) TO isms_reader;

CREATE OR REPLACE FUNCTION isms.staleness_summary(org_id bigint, as_of timestamptz DEFAULT now(),
                                       untouched_after interval DEFAULT interval '1 year')
RETURNS TABLE (register text, clause text, title text, reviewable boolean, review_interval interval,
               rows bigint, overdue bigint, overdue_share numeric, never_reviewed bigint,
               oldest_review_days integer, last_change_at timestamptz, days_since_change integer,
               untouched boolean)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    t constant timestamptz := isms.report_time('as_of', $2);
    idle constant interval := $3;
BEGIN
    IF idle IS NULL OR idle <= interval '0' THEN
        PERFORM isms.report_bad_argument('untouched_after', idle::text, 'a positive interval is required',
            'Pass an interval such as ''1 year'' or ''18 months''.');
    END IF;
    RETURN QUERY
    SELECT g.name, g.clause::text, g.title, g.reviewable,
           CASE WHEN g.reviewable THEN coalesce(st.review_interval, g.default_review_interval) END,
           coalesce(x.rows, 0),
           CASE WHEN g.reviewable THEN coalesce(x.overdue, 0) END,
           CASE WHEN g.reviewable AND x.rows > 0 THEN round(x.overdue::numeric / x.rows, 3) END,
           CASE WHEN g.reviewable THEN coalesce(x.never_reviewed, 0) END,
           floor(date_part('epoch', x.oldest_review) / 86400)::integer,
           x.last_change_at,
           floor(date_part('epoch', t - x.last_change_at) / 86400)::integer,
           coalesce(x.last_change_at < t - idle, false)
      FROM isms.register g
      LEFT JOIN isms.register_setting st ON st.org_id = o AND st.relid = g.relid
      LEFT JOIN isms.register_activity(o, t) x ON x.relid = g.relid
     ORDER BY g.clause, g.name;
END
$$;
COMMENT ON FUNCTION isms.staleness_summary(bigint, timestamptz, interval) IS
    'Per register of an organisation at as_of: rows, overdue reviews and their share, rows never reviewed, age in days of the oldest review, last change and days since, and whether nothing changed for untouched_after (the classic shelf-ware finding)';
REVOKE ALL ON FUNCTION isms.staleness_summary(bigint, timestamptz, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.staleness_summary(bigint, timestamptz, interval) TO isms_reader;

------------------------------------------------------------------------------
-- Residual risk over time.
--
-- RISK HISTORY SOURCE: this is the one place that says what a risk's level
-- was at a past moment: the risk as the register held it then (its history,
-- isms.known_as_of), at its current rating then, residual where assessed,
-- else inherent -- the figure isms_report.risk_register shows as
-- current_rating.  Every trend and readiness figure follows it.

CREATE OR REPLACE FUNCTION isms.risk_rating_at(org_id bigint, at timestamptz)
RETURNS TABLE (risk_id bigint, inherent_rating integer, residual_rating integer,
               treated_at timestamptz, rating integer)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT r.id, r.inherent_rating, r.residual_rating,
           CASE WHEN r.residual_rating IS NOT NULL THEN least(v.verified_at, r.accepted_at) END,
           coalesce(r.residual_rating, r.inherent_rating)
      FROM isms.known_as_of(NULL::isms.risk, $2) r
      LEFT JOIN (SELECT p.risk_id, min(l.at) AS verified_at
                   FROM isms.transition_log l
                   JOIN isms.treatment_plan p ON p.org_id = l.org_id AND p.id = l.record_id
                  WHERE l.org_id = $1 AND l.record_table = 'isms.treatment_plan'::regclass
                    AND l.to_state = 'verified' AND l.at <= $2
                  GROUP BY p.risk_id) v ON v.risk_id = r.id
     WHERE r.org_id = $1 AND r.identified_on <= $2 AND r.created_at <= $2;
END
$$;
COMMENT ON FUNCTION isms.risk_rating_at(bigint, timestamptz) IS
    'Risk levels of an organisation at a moment, from the register history: each risk recorded and identified by then with its ratings then and its rating (residual where assessed, else inherent: isms_report.risk_register.current_rating); treated_at is the first treatment plan verification or acceptance by then; the single source of residual-risk trends';
REVOKE ALL ON FUNCTION isms.risk_rating_at(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.risk_rating_at(bigint, timestamptz) TO isms_reader;

------------------------------------------------------------------------------
-- Continual improvement, per period.

CREATE OR REPLACE FUNCTION isms.improvement_metrics(org_id bigint,
                                         from_at timestamptz DEFAULT now() - interval '1 year',
                                         to_at timestamptz DEFAULT now(),
                                         bucket interval DEFAULT interval '3 months',
                                         recurrence_window interval DEFAULT interval '12 months')
RETURNS TABLE (period_start timestamptz, period_end timestamptz,
               nonconformities_raised integer, nonconformities_closed integer,
               median_days_to_close numeric, p90_days_to_close numeric,
               corrective_actions_checked integer, corrective_actions_effective integer,
               effective_share numeric,
               recurring_nonconformities integer,
               audits_planned integer, audits_completed integer, audit_completion numeric,
               reviews_planned integer, reviews_held integer,
               objectives_measured integer, objectives_met integer, objectives_met_share numeric,
               residual_risk_total bigint, residual_risk_change bigint,
               pdca_cycles_completed integer, pdca_cycles_by_workflow jsonb,
               improvements_implemented integer)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    t0 constant timestamptz := isms.report_time('from_at', $2);
    t1 constant timestamptz := isms.report_time('to_at', $3);
    b constant interval := $4;
    w constant interval := $5;
    max_periods constant integer := 5000;
BEGIN
    -- the records as they stood at to_at (register history); moves from the log
    IF t0 > t1 THEN
        PERFORM isms.report_bad_argument('from_at', t0::text,
            format('from_at is after to_at (%s)', t1),
            'Pass the start of the reporting range first: improvement_metrics(org_id, from_at, to_at, bucket).');
    END IF;
    IF b IS NULL OR t0 + b <= t0 THEN
        PERFORM isms.report_bad_argument('bucket', b::text, 'the period length must be a positive interval',
            'Pass an interval such as ''1 month'' or ''3 months''.');
    END IF;
    IF t0 + b * max_periods < t1 THEN
        PERFORM isms.report_bad_argument('bucket', b::text,
            format('more than %s periods between from_at and to_at', max_periods),
            'Pass a longer bucket or a shorter range.');
    END IF;
    IF w IS NULL OR w < interval '0' THEN
        PERFORM isms.report_bad_argument('recurrence_window', w::text, 'a non-negative interval is required',
            'Pass an interval such as ''12 months''.');
    END IF;

    RETURN QUERY
    WITH p AS (
        SELECT s AS ps, least(s + b, t1) AS pe
          FROM generate_series(t0, t1, b) AS s
         WHERE s < t1),
    -- completed PDCA cycles: moves into a final state of the act phase
    acts AS MATERIALIZED (
        SELECT f.relid, s.workflow, s.state
          FROM isms.workflow f
          JOIN isms.workflow_state s ON s.workflow = f.workflow
         WHERE f.relid IS NOT NULL AND s.is_terminal AND s.phase = 'act'),
    nc_close AS MATERIALIZED (
        SELECT c.record_id, c.at, n.framework, n.requirement,
               date_part('epoch', c.at - CASE WHEN c.cycle = 1 THEN n.detected_at
                                              ELSE (SELECT min(x.at) FROM isms.transition_log x
                                                     WHERE x.org_id = o AND x.record_table = c.record_table
                                                       AND x.record_id = c.record_id AND x.cycle = c.cycle) END)
                   / 86400 AS days
          FROM isms.transition_log c
          JOIN isms.known_as_of(NULL::isms.nonconformity, t1) n ON n.org_id = o AND n.id = c.record_id
         WHERE c.org_id = o AND c.record_table = 'isms.nonconformity'::regclass AND c.to_state = 'closed'
           AND c.at < t1)
    SELECT p.ps, p.pe,
           (SELECT count(*) FROM isms.known_as_of(NULL::isms.nonconformity, t1) n
             WHERE n.org_id = o AND n.detected_at >= p.ps AND n.detected_at < p.pe)::integer,
           cl.n::integer, cl.median, cl.p90,
           ca.checked::integer, ca.effective::integer,
           round(ca.effective::numeric / nullif(ca.checked, 0), 3),
           (SELECT count(*) FROM isms.known_as_of(NULL::isms.nonconformity, t1) n
             WHERE n.org_id = o AND n.detected_at >= p.ps AND n.detected_at < p.pe
               AND n.requirement IS NOT NULL
               AND EXISTS (SELECT 1 FROM nc_close c
                            WHERE c.record_id <> n.id AND c.framework = n.framework
                              AND c.requirement = n.requirement
                              AND c.at <= n.detected_at AND c.at >= n.detected_at - w))::integer,
           au.planned::integer, au.completed::integer,
           round(au.completed::numeric / nullif(au.planned, 0), 3),
           (SELECT count(*) FROM isms.known_as_of(NULL::isms.management_review, t1) m
             WHERE m.org_id = o AND m.planned_on >= p.ps AND m.planned_on < p.pe)::integer,
           (SELECT count(*) FROM isms.known_as_of(NULL::isms.management_review, t1) m
             WHERE m.org_id = o AND m.held_on >= p.ps AND m.held_on < p.pe)::integer,
           ob.measured::integer, ob.met::integer,
           round(ob.met::numeric / nullif(ob.measured, 0), 3),
           rk.at_end, rk.at_end - rk.at_start,
           coalesce(cy.total, 0)::integer, coalesce(cy.by_workflow, '{}'::jsonb),
           (SELECT count(*) FROM isms.transition_log l
             WHERE l.org_id = o AND l.record_table = 'isms.improvement'::regclass AND l.to_state = 'implemented'
               AND l.at >= p.ps AND l.at < p.pe)::integer
      FROM p
      CROSS JOIN LATERAL (
          SELECT count(*) AS n,
                 round(percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(c.days, 0))::numeric, 1) AS median,
                 round(percentile_cont(0.9) WITHIN GROUP (ORDER BY greatest(c.days, 0))::numeric, 1) AS p90
            FROM nc_close c WHERE c.at >= p.ps AND c.at < p.pe) cl
      CROSS JOIN LATERAL (
          -- an effectiveness check concludes when a verified action closes
          -- (effective) or is reworked (not effective)
          SELECT count(*) AS checked, count(*) FILTER (WHERE l.to_state = 'closed') AS effective
            FROM isms.transition_log l
           WHERE l.org_id = o AND l.record_table = 'isms.corrective_action'::regclass
             AND l.to_state IN ('closed', 'in_progress') AND l.from_state = 'verified'
             AND l.at >= p.ps AND l.at < p.pe) ca
      CROSS JOIN LATERAL (
          SELECT count(*) AS planned,
                 count(*) FILTER (WHERE EXISTS (SELECT 1 FROM isms.transition_log l
                                                 WHERE l.org_id = o AND l.record_table = 'isms.audit'::regclass
                                                   AND l.to_state = 'completed' AND l.record_id = a.id
                                                   AND l.at < t1)) AS completed
            FROM isms.known_as_of(NULL::isms.audit, t1) a
           WHERE a.org_id = o AND a.planned_end >= p.ps AND a.planned_end < p.pe) au
      CROSS JOIN LATERAL (
          SELECT count(*) AS measured, count(*) FILTER (WHERE x.met) AS met
            FROM (SELECT DISTINCT ON (m.objective_id) m.objective_id,
                         CASE j.direction WHEN 'at_most' THEN m.value <= j.target ELSE m.value >= j.target END AS met
                    FROM isms.objective_measurement m
                    JOIN isms.known_as_of(NULL::isms.objective, t1) j ON j.org_id = m.org_id AND j.id = m.objective_id
                   WHERE m.org_id = o AND m.measured_at >= p.ps AND m.measured_at < p.pe
                   ORDER BY m.objective_id, m.measured_at DESC) x) ob
      CROSS JOIN LATERAL (
          SELECT (SELECT coalesce(sum(r.rating), 0) FROM isms.risk_rating_at(o, p.pe) r)::bigint AS at_end,
                 (SELECT coalesce(sum(r.rating), 0) FROM isms.risk_rating_at(o, p.ps) r)::bigint AS at_start) rk
      LEFT JOIN LATERAL (
          SELECT sum(y.n) AS total, jsonb_object_agg(y.workflow, y.n ORDER BY y.workflow) AS by_workflow
            FROM (SELECT a.workflow, count(*) AS n
                    FROM acts a
                    JOIN isms.transition_log l ON l.org_id = o AND l.record_table = a.relid AND l.to_state = a.state
                                              AND l.at >= p.ps AND l.at < p.pe
                                              AND isms.reported_move(l.from_state, l.to_state)
                   GROUP BY a.workflow) y) cy ON true
     ORDER BY p.ps;
END
$$;
COMMENT ON FUNCTION isms.improvement_metrics(bigint, timestamptz, timestamptz, interval, interval) IS
    'Continual improvement (10.1) per period [start, end) from from_at to to_at, from the records as they stood at to_at (register history) and the transition log: nonconformities raised (detected) and closed (log), median and 90th percentile days to close, corrective action effectiveness checks concluded (log: verified to closed, effective, or back to in_progress, not) and the share effective, recurring nonconformities (same requirement as one closed within recurrence_window before), audits due and completed, management reviews planned and held, objectives measured and met, residual risk total at period end and its change, completed PDCA cycles (moves into a final act state) per workflow, improvements implemented';
REVOKE ALL ON FUNCTION isms.improvement_metrics(bigint, timestamptz, timestamptz, interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.improvement_metrics(bigint, timestamptz, timestamptz, interval, interval) TO isms_reader;

------------------------------------------------------------------------------
-- Process interactions (4.4): an output artifact of one process that is an
-- input artifact of another.

-- Two artifact names that differ only in case, spacing or punctuation
-- ("Training records", "training-records ") name the same thing: an output
-- and an input that match only so are a near miss, reported, not joined.
CREATE OR REPLACE FUNCTION isms.artifact_key(artifact text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT pg_catalog.lower(pg_catalog.btrim(pg_catalog.regexp_replace($1, '[^[:alnum:]]+', ' ', 'g')))
$$;
COMMENT ON FUNCTION isms.artifact_key(text) IS
    'The comparison key of a process artifact name: lower case, every run of characters other than letters and digits one space, trimmed; an output and an input with equal keys but different names are a near miss';
REVOKE ALL ON FUNCTION isms.artifact_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.artifact_key(text) TO isms_reader;

CREATE OR REPLACE FUNCTION isms.process_interactions(org_id bigint, as_of timestamptz DEFAULT now())
RETURNS TABLE (from_process_id bigint, from_process text, from_phase text, artifact text,
               to_process_id bigint, to_process text, to_phase text, match text, input_artifact text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    t constant timestamptz := isms.report_time('as_of', $2);
BEGIN
    RETURN QUERY
    WITH p AS MATERIALIZED (
        SELECT x.id, x.name, x.pdca_phase FROM isms.known_as_of(NULL::isms.process, t) x
         WHERE x.org_id = o AND x.created_at <= t),
    po AS MATERIALIZED (
        SELECT x.process_id, x.artifact, isms.artifact_key(x.artifact) AS k
          FROM isms.known_as_of(NULL::isms.process_output, t) x
         WHERE x.org_id = o AND x.created_at <= t AND x.process_id IN (SELECT p.id FROM p)),
    pi AS MATERIALIZED (
        SELECT x.process_id, x.artifact, isms.artifact_key(x.artifact) AS k
          FROM isms.known_as_of(NULL::isms.process_input, t) x
         WHERE x.org_id = o AND x.created_at <= t AND x.process_id IN (SELECT p.id FROM p)),
    e AS (
        SELECT po.process_id AS src, po.artifact, pi.process_id AS dst, pi.artifact AS ia,
               CASE WHEN po.artifact = pi.artifact THEN 'exact' ELSE 'near_miss' END AS m
          FROM po JOIN pi ON pi.k = po.k AND pi.process_id <> po.process_id
        UNION ALL
        SELECT NULL, pi.artifact, pi.process_id, pi.artifact, 'dangling'
          FROM pi
         WHERE NOT EXISTS (SELECT 1 FROM po WHERE po.k = pi.k AND po.process_id <> pi.process_id))
    SELECT e.src, a.name, a.pdca_phase, e.artifact, e.dst, c.name, c.pdca_phase, e.m, e.ia
      FROM e
      LEFT JOIN p a ON a.id = e.src
      JOIN p c ON c.id = e.dst
     ORDER BY e.m DESC, e.src, e.dst, e.artifact, e.ia;
END
$$;
COMMENT ON FUNCTION isms.process_interactions(bigint, timestamptz) IS
    'Clause 4.4: the interactions of an organisation''s processes at as_of (register history): match exact, one row per artifact that one process outputs and another takes as input; near_miss, an output and an input whose names differ only in case, spacing or punctuation (isms.artifact_key), not joined; dangling, an input no other process outputs (from_process NULL)';
REVOKE ALL ON FUNCTION isms.process_interactions(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.process_interactions(bigint, timestamptz) TO isms_reader;

-- Each process with its interactions counted; siloed: no input from and no
-- output to any other process.
CREATE OR REPLACE FUNCTION isms.process_links(org_id bigint, as_of timestamptz)
RETURNS TABLE (process_id bigint, name text, pdca_phase text, owner text,
               inputs integer, outputs integer, fed_by integer, feeds integer, siloed boolean)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    WITH p AS MATERIALIZED (
        SELECT x.* FROM isms.known_as_of(NULL::isms.process, $2) x WHERE x.org_id = $1 AND x.created_at <= $2),
    pi AS MATERIALIZED (
        SELECT x.process_id, x.artifact FROM isms.known_as_of(NULL::isms.process_input, $2) x
         WHERE x.org_id = $1 AND x.created_at <= $2),
    po AS MATERIALIZED (
        SELECT x.process_id, x.artifact FROM isms.known_as_of(NULL::isms.process_output, $2) x
         WHERE x.org_id = $1 AND x.created_at <= $2)
    SELECT p.id, p.name, p.pdca_phase, p.owner,
           (SELECT count(*) FROM pi WHERE pi.process_id = p.id)::integer,
           (SELECT count(*) FROM po WHERE po.process_id = p.id)::integer,
           f.fed_by::integer, f.feeds::integer, f.fed_by = 0 AND f.feeds = 0
      FROM p
      CROSS JOIN LATERAL (
          SELECT (SELECT count(DISTINCT po.process_id)
                    FROM pi JOIN po ON po.artifact = pi.artifact AND po.process_id <> pi.process_id
                   WHERE pi.process_id = p.id) AS fed_by,
                 (SELECT count(DISTINCT pi.process_id)
                    FROM po JOIN pi ON pi.artifact = po.artifact AND pi.process_id <> po.process_id
                   WHERE po.process_id = p.id) AS feeds) f
     ORDER BY p.id
$$;
COMMENT ON FUNCTION isms.process_links(bigint, timestamptz) IS
    'Clause 4.4: each process of an organisation at as_of (register history) with its inputs and outputs, how many other processes feed it and it feeds, and whether it is siloed (neither)';
REVOKE ALL ON FUNCTION isms.process_links(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.process_links(bigint, timestamptz) TO isms_reader;

CREATE OR REPLACE FUNCTION isms.process_links(org_id bigint)
RETURNS TABLE (process_id bigint, name text, pdca_phase text, owner text,
               inputs integer, outputs integer, fed_by integer, feeds integer, siloed boolean)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT * FROM isms.process_links($1, now())
$$;
COMMENT ON FUNCTION isms.process_links(bigint) IS
    'Clause 4.4: each process of an organisation now with its inputs and outputs, how many other processes feed it and it feeds, and whether it is siloed (neither): isms.process_links(org_id, now())';
REVOKE ALL ON FUNCTION isms.process_links(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.process_links(bigint) TO isms_reader;

CREATE OR REPLACE FUNCTION isms.process_map(org_id bigint, format text, as_of timestamptz) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    f constant text := lower(btrim($2));
    t constant timestamptz := isms.report_time('as_of', $3);
    org_name text;
    out text;
BEGIN
    IF f IS NULL OR f NOT IN ('dot', 'mermaid') THEN
        PERFORM isms.report_bad_argument('format', $2, 'unknown process map format',
            'Pass ''dot'' (Graphviz: psql -Atc "SELECT isms.process_map(1)" | dot -Tpng -o map.png) or ''mermaid''.');
    END IF;
    SELECT name INTO org_name FROM isms.organization WHERE org_id = o;

    IF f = 'dot' THEN
        WITH esc AS (SELECT p.process_id, p.pdca_phase, p.siloed,
                       replace(replace(p.name, '\', '\\'), '"', '\"') AS label
                  FROM isms.process_links(o, t) p),
        phase(ph, title, fill, line, ord) AS (VALUES
            ('plan', 'Plan', '#e8f0fe', '#4a78c2', 1), ('do', 'Do', '#e6f4ea', '#3c8d50', 2),
            ('check', 'Check', '#fef7e0', '#b08a1e', 3), ('act', 'Act', '#f3e8fd', '#8a4fc2', 4)),
        clusters AS (
            SELECT string_agg(format(E'  subgraph cluster_%s {\n    label="%s"; style="rounded,filled"; fillcolor="%s"; color="%s"; fontsize=14;\n%s  }\n',
                                     ph.ph, ph.title, ph.fill, ph.line,
                                     (SELECT string_agg(CASE WHEN e.siloed
                                                             THEN format(E'    p%s [label="%s\\n(siloed: no interaction)", fillcolor="#fde2e1", color="#c0392b", penwidth=2, style="rounded,filled,dashed"];\n', e.process_id, e.label)
                                                             ELSE format(E'    p%s [label="%s"];\n', e.process_id, e.label) END,
                                                        '' ORDER BY e.process_id)
                                        FROM esc e WHERE e.pdca_phase = ph.ph)),
                              '' ORDER BY ph.ord) AS s
              FROM phase ph
             WHERE EXISTS (SELECT 1 FROM esc e WHERE e.pdca_phase = ph.ph)),
        edges AS (
            -- a feedback edge (to an earlier PDCA phase, such as act to plan)
            -- does not pull the layout back: the phases stay left to right
            SELECT string_agg(format(E'  p%s -> p%s [label="%s"%s];\n', x.from_process_id, x.to_process_id, x.artifacts,
                                     CASE WHEN x.back THEN ', constraint=false, color="#8a4fc2", fontcolor="#8a4fc2"' ELSE '' END),
                              '' ORDER BY x.from_process_id, x.to_process_id) AS s
              FROM (SELECT i.from_process_id, i.to_process_id,
                           array_position(ARRAY['plan', 'do', 'check', 'act'], i.to_phase)
                             < array_position(ARRAY['plan', 'do', 'check', 'act'], i.from_phase) AS back,
                           string_agg(replace(replace(i.artifact, '\', '\\'), '"', '\"'), '\n' ORDER BY i.artifact) AS artifacts
                      FROM isms.process_interactions(o, t) i
                     WHERE i.match = 'exact'
                     GROUP BY 1, 2, 3) x),
        odd AS (
            -- near misses (red, dashed, both names) and inputs no process outputs
            SELECT string_agg(CASE WHEN i.match = 'near_miss'
                                   THEN format(E'  p%s -> p%s [label="near miss:\\n%s\\n%s", style=dashed, color="#c0392b", fontcolor="#c0392b", constraint=false];\n',
                                               i.from_process_id, i.to_process_id,
                                               replace(replace(i.artifact, '\', '\\'), '"', '\"'),
                                               replace(replace(i.input_artifact, '\', '\\'), '"', '\"'))
                                   ELSE format(E'  d%s_%s [label="no process outputs:\\n%s", shape=note, style=dashed, color="#c0392b", fontcolor="#c0392b"];\n  d%s_%s -> p%s [style=dashed, color="#c0392b"];\n',
                                               i.to_process_id, md5(i.input_artifact),
                                               replace(replace(i.input_artifact, '\', '\\'), '"', '\"'),
                                               i.to_process_id, md5(i.input_artifact), i.to_process_id) END,
                              '' ORDER BY i.match DESC, i.from_process_id, i.to_process_id, i.input_artifact) AS s
              FROM isms.process_interactions(o, t) i
             WHERE i.match <> 'exact')
        SELECT format(E'digraph isms_process_map {\n'
                      '  graph [rankdir=TB, fontname="Helvetica", labelloc=t, fontsize=18, label="%s: ISMS processes and their interactions (ISO/IEC 27001:2022, 4.4); feedback to an earlier phase in purple", newrank=true, nodesep=0.35, ranksep=0.6];\n'
                      '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#555555", fontname="Helvetica", fontsize=11];\n'
                      '  edge [fontname="Helvetica", fontsize=9, color="#666666", fontcolor="#333333"];\n'
                      '%s%s%s}\n',
                      replace(replace(org_name, '\', '\\'), '"', '\"'),
                      coalesce((SELECT s FROM clusters), ''), coalesce((SELECT s FROM edges), ''),
                      coalesce((SELECT s FROM odd), ''))
          INTO out;
    ELSE
        WITH esc AS (SELECT p.process_id, p.pdca_phase, p.siloed,
                            replace(replace(p.name, '"', '#quot;'), '|', '#124;') AS label
                       FROM isms.process_links(o, t) p),
        phase(ph, title, ord) AS (VALUES ('plan', 'Plan', 1), ('do', 'Do', 2), ('check', 'Check', 3), ('act', 'Act', 4)),
        clusters AS (
            SELECT string_agg(format(E'  subgraph %s["%s"]\n%s  end\n', ph.ph, ph.title,
                                     (SELECT string_agg(format(E'    p%s["%s"]\n', e.process_id, e.label), '' ORDER BY e.process_id)
                                        FROM esc e WHERE e.pdca_phase = ph.ph)),
                              '' ORDER BY ph.ord) AS s
              FROM phase ph
             WHERE EXISTS (SELECT 1 FROM esc e WHERE e.pdca_phase = ph.ph)),
        edges AS (
            SELECT string_agg(format(E'  p%s -->|"%s"| p%s\n', x.from_process_id,
                                     replace(replace(x.artifacts, '"', '#quot;'), '|', '#124;'), x.to_process_id),
                              '' ORDER BY x.from_process_id, x.to_process_id) AS s
              FROM (SELECT i.from_process_id, i.to_process_id,
                           string_agg(i.artifact, '<br/>' ORDER BY i.artifact) AS artifacts
                      FROM isms.process_interactions(o, t) i
                     WHERE i.match = 'exact'
                     GROUP BY 1, 2) x),
        odd AS (
            SELECT string_agg(CASE WHEN i.match = 'near_miss'
                                   THEN format(E'  p%s -.->|"near miss: %s / %s"| p%s\n', i.from_process_id,
                                               replace(replace(i.artifact, '"', '#quot;'), '|', '#124;'),
                                               replace(replace(i.input_artifact, '"', '#quot;'), '|', '#124;'), i.to_process_id)
                                   ELSE format(E'  d%s_%s>"no process outputs: %s"] -.-> p%s\n  class d%s_%s siloed\n',
                                               i.to_process_id, md5(i.input_artifact),
                                               replace(replace(i.input_artifact, '"', '#quot;'), '|', '#124;'), i.to_process_id,
                                               i.to_process_id, md5(i.input_artifact)) END,
                              '' ORDER BY i.match DESC, i.from_process_id, i.to_process_id, i.input_artifact) AS s
              FROM isms.process_interactions(o, t) i
             WHERE i.match <> 'exact'),
        silo AS (
            SELECT string_agg('p' || e.process_id, ',' ORDER BY e.process_id) AS s FROM esc e WHERE e.siloed)
        SELECT format(E'flowchart LR\n%s%s%s  classDef siloed fill:#fde2e1,stroke:#c0392b,stroke-width:2px,stroke-dasharray: 5 5\n%s',
                      coalesce((SELECT s FROM clusters), ''), coalesce((SELECT s FROM edges), ''),
                      coalesce((SELECT s FROM odd), ''),
                      coalesce((SELECT format(E'  class %s siloed\n', s) FROM silo WHERE s IS NOT NULL), ''))
          INTO out;
    END IF;
    RETURN out;
END
$$;
COMMENT ON FUNCTION isms.process_map(bigint, text, timestamptz) IS
    'Clause 4.4: the process map of an organisation at as_of (register history) as Graphviz DOT (format ''dot'') or Mermaid flowchart text (''mermaid''): processes grouped by PDCA phase, edges labelled with the artifacts they pass, siloed processes, near misses and inputs no process outputs in red';
REVOKE ALL ON FUNCTION isms.process_map(bigint, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.process_map(bigint, text, timestamptz) TO isms_reader;

CREATE OR REPLACE FUNCTION isms.process_map(org_id bigint, format text DEFAULT 'dot') RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT isms.process_map($1, $2, pg_catalog.now())
$$;
COMMENT ON FUNCTION isms.process_map(bigint, text) IS
    'Clause 4.4: the process map of an organisation now as Graphviz DOT (format ''dot'') or Mermaid flowchart text (''mermaid''): isms.process_map(org_id, format, now())';
REVOKE ALL ON FUNCTION isms.process_map(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.process_map(bigint, text) TO isms_reader;

------------------------------------------------------------------------------
-- The Statement of Applicability (6.1.3 d): every control of the framework's
-- annex in natural order, whether or not the organisation has decided on it,
-- as the register stood at as_of (its history).  The same columns as the BI
-- view isms_report.statement_of_applicability (src/reports.sql), which shows
-- it now.

CREATE OR REPLACE FUNCTION isms.statement_of_applicability(org_id bigint, framework text DEFAULT 'iso27001-2022',
                                                as_of timestamptz DEFAULT now())
RETURNS TABLE (control text, title text, theme text, applicable boolean, decision text,
               justification text, implementation_status text, linked_risks integer, risk_ids text,
               latest_evidence_at timestamptz, evidence_items integer, owner text, last_reviewed_at timestamptz)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    fw constant text := $2;
    t constant timestamptz := isms.report_time('as_of', $3);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM isms.framework WHERE code = fw) THEN
        PERFORM isms.report_bad_argument('framework', fw, 'no such framework',
            'SELECT code FROM isms.framework lists them; the default is iso27001-2022.');
    END IF;
    RETURN QUERY
    WITH e AS MATERIALIZED (
        SELECT x.* FROM isms.known_as_of(NULL::isms.soa_entry, t) x
         WHERE x.org_id = o AND x.framework = fw AND x.created_at <= t),
    rc AS MATERIALIZED (
        SELECT x.control, count(*) AS n, string_agg(x.risk_id::text, ', ' ORDER BY x.risk_id) AS ids
          FROM isms.known_as_of(NULL::isms.risk_control, t) x
         WHERE x.org_id = o AND x.framework = fw AND x.created_at <= t
         GROUP BY x.control)
    SELECT q.ref::text, q.title, q.theme, e.applicable,
           CASE WHEN e.id IS NULL THEN 'not decided' WHEN e.applicable THEN 'included' ELSE 'excluded' END,
           e.justification, e.implementation_status,
           coalesce(rc.n, 0)::integer, rc.ids, ev.latest, coalesce(ev.n, 0)::integer, e.owner, e.last_reviewed_at
      FROM isms.requirement q
      LEFT JOIN e ON e.control = q.ref
      LEFT JOIN rc ON rc.control = q.ref
      LEFT JOIN LATERAL (
          SELECT max(v.collected_at) AS latest, count(*) AS n
            FROM isms.evidence v
           WHERE v.org_id = o AND v.record_table = 'isms.soa_entry'::regclass AND v.record_id = e.id
             AND v.collected_at <= t AND v.created_at <= t) ev ON true
     WHERE q.framework = fw AND q.kind = 'control'
     ORDER BY q.ref;
END
$$;
COMMENT ON FUNCTION isms.statement_of_applicability(bigint, text, timestamptz) IS
    'Clause 6.1.3 d: every Annex A control in natural order with the organisation''s decision (included, excluded, not decided), justification, implementation status, linked risks and the latest evidence attached to its SoA entry, as the register stood at as_of (register history); export with \copy (SELECT * FROM isms.statement_of_applicability(1)) TO ''soa.csv'' CSV HEADER';
REVOKE ALL ON FUNCTION isms.statement_of_applicability(bigint, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.statement_of_applicability(bigint, text, timestamptz) TO isms_reader;

------------------------------------------------------------------------------
-- Clause 4.4 readiness: the auditor's checklist, one row per check, in its
-- final form (later sections add the tables and functions it reads; PL/pgSQL
-- resolves them when it runs).

CREATE OR REPLACE FUNCTION isms.clause_4_4_readiness(org_id bigint,
                                          as_of timestamptz DEFAULT now(),
                                          pass_share numeric DEFAULT 0.90,
                                          fail_share numeric DEFAULT 0.50,
                                          lookback interval DEFAULT interval '1 year',
                                          review_every interval DEFAULT interval '1 year')
RETURNS TABLE (check_no integer, checkpoint text, clauses text, status text, score numeric,
               evidence bigint, figures text, action text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    t constant timestamptz := isms.report_time('as_of', $2);
    ps constant numeric := $3;
    fs constant numeric := $4;
    lb constant interval := $5;
    mr constant interval := $6;
    since timestamptz;
    -- (1)
    scope_ok boolean; policy_ok boolean; n_obj bigint; n_proc bigint; n_est bigint; n_est_overdue bigint;
    -- (2)
    n_controls bigint; n_soa bigint; n_app bigint; n_impl bigint; n_ev bigint;
    -- (3)
    wf_done text[]; n_cycles bigint;
    -- (4)
    n_obj_all bigint; n_measured bigint; n_meas bigint;
    -- (5)
    prog_ok boolean; n_due bigint; n_done bigint;
    -- (6)
    n_mr_planned bigint; n_mr_held bigint; n_mr_overdue bigint; last_mr date;
    -- (7)
    n_impr bigint; n_ca_checked bigint; n_ca_eff bigint; n_obj_ach bigint; risk_now bigint; risk_then bigint;
    -- (8)
    n_nc bigint; n_nc_ca bigint; n_ca_done bigint; n_ca_ok bigint; n_unlinked bigint; n_ca_late bigint;
    -- (9)
    n_party bigint; n_req bigint; n_party_bare bigint; n_ip bigint; n_ip_overdue bigint;
    -- (10)
    n_doc bigint; n_doc_current bigint; n_mand bigint; n_mand_ok bigint; missing text;
    -- (11)
    n_silo bigint; silo_names text; n_edges bigint; near_names text; dangling_names text;
    -- (12)
    n_core bigint; n_shelf bigint; shelf_names text; core_overdue text; risk_fresh boolean;
    mr_incomplete text; mr_late text; n_mr_minutes bigint; n_mr_signed bigint; mr_unsigned text; mr_superseded text;
    soa_signed text; soa_status text;
    -- (13)
    n_sup bigint; n_sup_ok bigint; n_crit bigint; crit_bare text; crit_late text; sup_late text;
    sup_bare text; n_sup_overdue bigint;
    -- (14)
    n_pol bigint; n_pol_pairs bigint; n_pol_acked bigint; pol_short text; n_pol_bare bigint; pol_bare text;
    s numeric; st text; k integer; d_since text; obj_final text[]; iv interval; doc_clauses text[];
    iv_scope interval; iv_policy interval; iv_objective interval; iv_process interval;
    iv_party interval; iv_requirement interval;
BEGIN
    IF ps IS NULL OR fs IS NULL OR ps < 0 OR ps > 1 OR fs < 0 OR fs > ps THEN
        PERFORM isms.report_bad_argument(CASE WHEN ps IS NULL OR ps < 0 OR ps > 1 THEN 'pass_share' ELSE 'fail_share' END,
            CASE WHEN ps IS NULL OR ps < 0 OR ps > 1 THEN ps::text ELSE fs::text END,
            'shares lie between 0 and 1, and fail_share is at most pass_share',
            'Pass for example pass_share => 0.9, fail_share => 0.5.');
    END IF;
    IF lb IS NULL OR lb <= interval '0' THEN
        PERFORM isms.report_bad_argument('lookback', lb::text, 'a positive interval is required',
            'Pass an interval such as ''1 year''.');
    END IF;
    IF mr IS NULL OR mr <= interval '0' THEN
        PERFORM isms.report_bad_argument('review_every', mr::text, 'a positive interval is required',
            'Pass the planned interval of management reviews, such as ''6 months'' or ''1 year''.');
    END IF;
    since := t - lb;
    iv_scope := isms.review_interval(o, 'isms.scope_item');
    iv_policy := isms.review_interval(o, 'isms.policy');
    iv_objective := isms.review_interval(o, 'isms.objective');
    iv_process := isms.review_interval(o, 'isms.process');
    iv_party := isms.review_interval(o, 'isms.interested_party');
    iv_requirement := isms.review_interval(o, 'isms.party_requirement');
    d_since := to_char(since, 'YYYY-MM-DD');

    -- (1) ISMS established: scope, policy, objectives, processes documented and current
    SELECT coalesce(btrim(scope_statement), '') <> '' INTO scope_ok FROM isms.organization WHERE org_id = o;
    scope_ok := scope_ok OR EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.scope_item, t) WHERE org_id = o AND kind = 'inclusion' AND created_at <= t);
    policy_ok := EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.policy, t) WHERE org_id = o AND kind = 'information_security'
                                                    AND approved_at <= t);
    SELECT array_agg(state) INTO obj_final FROM isms.workflow_state WHERE workflow = 'objective' AND is_terminal;
    SELECT count(*) INTO n_obj FROM isms.known_as_of(NULL::isms.objective, t) j
     WHERE j.org_id = o AND j.created_at <= t AND j.status <> ALL (obj_final);
    SELECT count(*) INTO n_proc FROM isms.known_as_of(NULL::isms.process, t) WHERE org_id = o AND created_at <= t;
    SELECT count(*), count(*) FILTER (WHERE x.overdue) INTO n_est, n_est_overdue
      FROM (SELECT isms.review_basis(last_reviewed_at, created_at, t) + coalesce(review_interval, iv_scope) < t AS overdue
              FROM isms.known_as_of(NULL::isms.scope_item, t) WHERE org_id = o AND created_at <= t
            UNION ALL
            SELECT isms.review_basis(last_reviewed_at, created_at, t) + coalesce(review_interval, iv_policy) < t
              FROM isms.known_as_of(NULL::isms.policy, t) WHERE org_id = o AND created_at <= t
            UNION ALL
            SELECT isms.review_basis(last_reviewed_at, created_at, t) + coalesce(review_interval, iv_objective) < t
              FROM isms.known_as_of(NULL::isms.objective, t) WHERE org_id = o AND created_at <= t AND status <> ALL (obj_final)
            UNION ALL
            SELECT isms.review_basis(last_reviewed_at, created_at, t) + coalesce(review_interval, iv_process) < t
              FROM isms.known_as_of(NULL::isms.process, t) WHERE org_id = o AND created_at <= t) x;
    s := CASE WHEN n_est > 0 THEN round(1 - n_est_overdue::numeric / n_est, 3) ELSE 0 END;
    st := CASE WHEN NOT scope_ok OR NOT policy_ok OR n_obj = 0 OR n_proc = 0 OR s < fs THEN 'fail'
               WHEN s < ps THEN 'warn' ELSE 'pass' END;
    check_no := 1; checkpoint := 'ISMS established'; clauses := '4.3, 4.4, 5.2, 6.2'; status := st; score := round(s, 3);
    evidence := n_est;
    figures := format('scope %s; information security policy %s; current objectives: %s; processes: %s; scope, policy, objective and process records reviewed within their interval: %s of %s',
                      CASE WHEN scope_ok THEN 'defined' ELSE 'missing' END,
                      CASE WHEN policy_ok THEN 'approved' ELSE 'missing or not approved' END,
                      n_obj, n_proc, n_est - n_est_overdue, n_est);
    action := CASE WHEN st = 'pass' THEN 'None'
                   ELSE concat_ws('; ',
                        CASE WHEN NOT scope_ok THEN 'Define the scope (isms.organization.scope_statement, isms.scope_item)' END,
                        CASE WHEN NOT policy_ok THEN 'Record the approved information security policy (isms.policy, kind information_security)' END,
                        CASE WHEN n_obj = 0 THEN 'Set measurable objectives (isms.objective)' END,
                        CASE WHEN n_proc = 0 THEN 'Document the ISMS processes (isms.process)' END,
                        CASE WHEN n_est_overdue > 0 THEN format('Review the %s overdue scope, policy, objective and process records (isms.stale_items)', n_est_overdue) END) END;
    RETURN NEXT;

    -- (2) Operating as intended: applicable controls implemented, with recent evidence
    SELECT count(*) INTO n_controls FROM isms.requirement WHERE framework = 'iso27001-2022' AND kind = 'control';
    SELECT count(*), count(*) FILTER (WHERE e.applicable),
           count(*) FILTER (WHERE e.applicable AND e.implementation_status = 'implemented'),
           count(*) FILTER (WHERE e.applicable AND e.implementation_status = 'implemented'
                              AND EXISTS (SELECT 1 FROM isms.evidence v
                                           WHERE v.org_id = o AND v.record_table = 'isms.soa_entry'::regclass
                                             AND v.record_id = e.id AND v.collected_at > since AND v.collected_at <= t))
      INTO n_soa, n_app, n_impl, n_ev
      FROM isms.known_as_of(NULL::isms.soa_entry, t) e
     WHERE e.org_id = o AND e.framework = 'iso27001-2022' AND e.created_at <= t;
    SELECT format('version %s signed %s by %s (%s)', z.soa_version, to_char(z.signed_at, 'YYYY-MM-DD'), z.signer, z.status),
           z.status
      INTO soa_signed, soa_status
      FROM isms.signoff_status(o, t) z WHERE z.subject = 'statement_of_applicability'
     ORDER BY z.soa_version DESC LIMIT 1;
    s := CASE WHEN n_app > 0 THEN round(n_ev::numeric / n_app, 3) ELSE 0 END;
    st := CASE WHEN n_app = 0 OR s < fs THEN 'fail' WHEN s < ps OR n_soa < n_controls THEN 'warn' ELSE 'pass' END;
    check_no := 2; checkpoint := 'ISMS operating as intended'; clauses := '6.1.3, 8.1, Annex A'; status := st; score := round(s, 3);
    evidence := n_ev;
    figures := format('SoA decides %s of %s controls: %s applicable, %s implemented, %s of them with evidence since %s; SoA %s',
                      n_soa, n_controls, n_app, n_impl, n_ev, d_since, coalesce(soa_signed, 'never signed'));
    action := CASE WHEN st = 'pass' THEN 'None'
                   ELSE concat_ws('; ',
                        CASE WHEN n_soa < n_controls THEN format('Decide the %s Annex A controls missing from the SoA (isms.soa_entry)', n_controls - n_soa) END,
                        CASE WHEN n_app > n_impl THEN format('Implement the %s applicable controls not yet implemented', n_app - n_impl) END,
                        CASE WHEN n_impl > n_ev THEN format('Attach recent evidence of operation to %s implemented controls (isms.evidence on their SoA entries)', n_impl - n_ev) END,
                        CASE WHEN n_app = 0 THEN 'Build the Statement of Applicability (isms.soa_entry)' END,
                        CASE WHEN n_app > 0 AND soa_status IS DISTINCT FROM 'signed'
                             THEN 'Have the SoA approved and signed as a numbered version (isms.sign_off(org_id, ''statement_of_applicability'', NULL, ...))' END) END;
    RETURN NEXT;

    -- (3) Continually improving: completed PDCA cycles of the improvement workflows
    SELECT coalesce(array_agg(DISTINCT f.workflow ORDER BY f.workflow), '{}'), count(l.*)
      INTO wf_done, n_cycles
      FROM isms.transition_log l
      JOIN isms.workflow f ON f.relid = l.record_table
      JOIN isms.workflow_state ws ON ws.workflow = f.workflow AND ws.state = l.to_state
     WHERE l.org_id = o AND l.at > since AND l.at <= t AND ws.is_terminal AND ws.phase = 'act'
       AND isms.reported_move(l.from_state, l.to_state)
       AND f.workflow IN ('corrective_action', 'improvement', 'review_action');
    k := cardinality(wf_done);
    s := round(k / 3.0, 3);
    st := CASE k WHEN 3 THEN 'pass' WHEN 0 THEN 'fail' ELSE 'warn' END;
    check_no := 3; checkpoint := 'ISMS continually improving'; clauses := '9.3.3, 10.1, 10.2'; status := st; score := round(s, 3);
    evidence := n_cycles;
    figures := format('PDCA cycles completed since %s by corrective actions, improvements and review actions: %s (workflows: %s)',
                      d_since, n_cycles, coalesce(nullif(array_to_string(wf_done, ', '), ''), 'none'));
    action := CASE WHEN st = 'pass' THEN 'None'
                   ELSE 'Carry ' || array_to_string(ARRAY(SELECT w FROM unnest(ARRAY['corrective_action', 'improvement', 'review_action']) w
                                                          WHERE w <> ALL (wf_done)), ', ')
                        || ' records through to closure (isms.transition), so each improvement route completes a cycle' END;
    RETURN NEXT;

    -- (4) Monitoring and measurement results exist (objectives past their first planning)
    SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM isms.objective_measurement m
                                                     WHERE m.org_id = o AND m.objective_id = j.id
                                                       AND m.measured_at > since AND m.measured_at <= t))
      INTO n_obj_all, n_measured
      FROM isms.known_as_of(NULL::isms.objective, t) j
     WHERE j.org_id = o AND j.created_at <= t AND NOT (j.status = 'planned' AND j.cycle = 1);
    SELECT count(*) INTO n_meas FROM isms.objective_measurement m
     WHERE m.org_id = o AND m.measured_at > since AND m.measured_at <= t;
    s := CASE WHEN n_obj_all > 0 THEN round(n_measured::numeric / n_obj_all, 3) ELSE 0 END;
    st := CASE WHEN n_obj_all = 0 OR n_meas = 0 OR s < fs THEN 'fail' WHEN s < ps THEN 'warn' ELSE 'pass' END;
    check_no := 4; checkpoint := 'Monitoring and measurement results exist'; clauses := '9.1'; status := st; score := round(s, 3);
    evidence := n_meas;
    figures := format('objectives measured since %s: %s of %s; measurements: %s',
                      d_since, n_measured, n_obj_all, n_meas);
    action := CASE WHEN st = 'pass' THEN 'None'
                   WHEN n_obj_all = 0 THEN 'Set measurable objectives (isms.objective) and record their measurements (isms.objective_measurement)'
                   ELSE format('Measure the %s objectives without a result since %s (isms.objective_measurement)', n_obj_all - n_measured, d_since) END;
    RETURN NEXT;

    -- (5) Internal audits per programme
    prog_ok := EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.audit_programme, t) WHERE org_id = o AND period_start <= t::date AND period_end >= t::date);
    SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM isms.transition_log l
                                                     WHERE l.org_id = o AND l.record_table = 'isms.audit'::regclass
                                                       AND l.to_state = 'completed' AND l.record_id = a.id AND l.at <= t))
      INTO n_due, n_done
      FROM isms.known_as_of(NULL::isms.audit, t) a WHERE a.org_id = o AND a.planned_end > since::date AND a.planned_end <= t::date;
    s := CASE WHEN n_due > 0 THEN round(n_done::numeric / n_due, 3) ELSE 0 END;
    st := CASE WHEN n_due = 0 OR n_done = 0 OR s < fs THEN 'fail' WHEN NOT prog_ok OR s < ps THEN 'warn' ELSE 'pass' END;
    check_no := 5; checkpoint := 'Internal audits per programme'; clauses := '9.2'; status := st; score := round(s, 3);
    evidence := n_done;
    figures := format('audit programme covering %s: %s; audits due since %s completed: %s of %s',
                      to_char(t, 'YYYY-MM-DD'), CASE WHEN prog_ok THEN 'yes' ELSE 'no' END, d_since, n_done, n_due);
    action := CASE WHEN st = 'pass' THEN 'None'
                   ELSE concat_ws('; ',
                        CASE WHEN NOT prog_ok THEN 'Plan an audit programme covering the current period (isms.audit_programme)' END,
                        CASE WHEN n_due = 0 THEN 'Plan and conduct internal audits (isms.audit)' END,
                        CASE WHEN n_due > n_done THEN format('Complete or reschedule the %s audits due and not completed', n_due - n_done) END) END;
    RETURN NEXT;

    -- (6) Management reviews at planned intervals, with the required inputs
    SELECT count(*) FILTER (WHERE m.planned_on > (t - mr)::date AND m.planned_on <= t::date),
           count(*) FILTER (WHERE m.held_on > (t - mr)::date AND m.held_on <= t::date
                              AND btrim(coalesce(m.previous_actions_status, '')) <> '' AND btrim(coalesce(m.context_changes, '')) <> ''
                              AND btrim(coalesce(m.party_changes, '')) <> '' AND btrim(coalesce(m.performance_feedback, '')) <> ''
                              AND btrim(coalesce(m.party_feedback, '')) <> '' AND btrim(coalesce(m.risk_results, '')) <> ''
                              AND btrim(coalesce(m.improvement_opportunities, '')) <> '' AND btrim(coalesce(m.decisions, '')) <> ''),
           count(*) FILTER (WHERE m.planned_on < t::date AND (m.held_on IS NULL OR m.held_on > t::date)),
           max(m.held_on) FILTER (WHERE m.held_on <= t::date)
      INTO n_mr_planned, n_mr_held, n_mr_overdue, last_mr
      FROM isms.known_as_of(NULL::isms.management_review, t) m WHERE m.org_id = o;
    -- which review lacks which input, which is overdue (the inputs' rules
    -- are the register's: a blank input is missing)
    SELECT string_agg(format('%s (held %s) lacks 9.3.2 %s', x.title, to_char(x.held_on, 'YYYY-MM-DD'),
                             array_to_string(x.lacks, ', ')), '; ' ORDER BY x.held_on, x.id)
      INTO mr_incomplete
      FROM (SELECT m.id, m.title, m.held_on,
                   ARRAY(SELECT k.letter FROM (VALUES
                            ('a', m.previous_actions_status), ('b', m.context_changes), ('c', m.party_changes),
                            ('d', m.performance_feedback), ('e', m.party_feedback), ('f', m.risk_results),
                            ('g', m.improvement_opportunities), ('decisions', m.decisions)) k(letter, v)
                          WHERE btrim(coalesce(k.v, '')) = '') AS lacks
              FROM isms.known_as_of(NULL::isms.management_review, t) m
             WHERE m.org_id = o AND m.held_on > (t - mr)::date AND m.held_on <= t::date) x
     WHERE cardinality(x.lacks) > 0;
    SELECT string_agg(format('%s (planned %s)', m.title, to_char(m.planned_on, 'YYYY-MM-DD')), ', ' ORDER BY m.planned_on, m.id)
      INTO mr_late
      FROM isms.known_as_of(NULL::isms.management_review, t) m
     WHERE m.org_id = o AND m.planned_on < t::date AND (m.held_on IS NULL OR m.held_on > t::date);
    -- minutes signed by top management (isms.sign_off), as they stand at t
    WITH so AS MATERIALIZED (
        SELECT DISTINCT ON (z.record_id) z.record_id, z.status
          FROM isms.signoff_status(o, t) z WHERE z.subject = 'management_review'
         ORDER BY z.record_id, z.signed_at DESC, z.signoff_id DESC)
    SELECT count(*), count(*) FILTER (WHERE so.status = 'signed'),
           string_agg(m.title, ', ' ORDER BY m.held_on, m.id) FILTER (WHERE so.status IS NULL),
           string_agg(m.title, ', ' ORDER BY m.held_on, m.id) FILTER (WHERE so.status = 'signed version superseded')
      INTO n_mr_minutes, n_mr_signed, mr_unsigned, mr_superseded
      FROM isms.known_as_of(NULL::isms.management_review, t) m
      LEFT JOIN so ON so.record_id = m.id
     WHERE m.org_id = o AND m.held_on > (t - mr)::date AND m.held_on <= t::date;
    s := CASE WHEN n_mr_planned > 0 THEN round(least(n_mr_held, n_mr_planned)::numeric / n_mr_planned, 3)
              WHEN n_mr_held > 0 THEN 1 ELSE 0 END;
    st := CASE WHEN n_mr_held = 0 THEN 'fail'
               WHEN n_mr_overdue > 0 OR s < ps OR mr_incomplete IS NOT NULL OR n_mr_signed < n_mr_minutes THEN 'warn' ELSE 'pass' END;
    check_no := 6; checkpoint := 'Management reviews at planned intervals'; clauses := '9.3'; status := st; score := round(s, 3);
    evidence := n_mr_held;
    figures := format('reviews held with all inputs 9.3.2 a-g since %s: %s (planned: %s); planned reviews overdue: %s%s; last held: %s%s',
                      to_char(t - mr, 'YYYY-MM-DD'), n_mr_held, n_mr_planned, n_mr_overdue,
                      coalesce(' (' || mr_late || ')', ''), coalesce(to_char(last_mr, 'YYYY-MM-DD'), 'never'),
                      coalesce('; incomplete: ' || mr_incomplete, ''))
               || format('; minutes signed: %s of %s%s%s', n_mr_signed, n_mr_minutes,
                         coalesce(' (unsigned: ' || mr_unsigned || ')', ''),
                         coalesce(' (signed version superseded: ' || mr_superseded || ')', ''));
    action := CASE WHEN st = 'pass' THEN 'None'
                   ELSE concat_ws('; ',
                        CASE WHEN n_mr_held = 0 THEN format('Hold a management review covering inputs 9.3.2 a-g (none since %s)', to_char(t - mr, 'YYYY-MM-DD')) END,
                        CASE WHEN n_mr_overdue > 0 THEN format('Hold or re-plan the %s overdue management reviews: %s', n_mr_overdue, mr_late) END,
                        CASE WHEN mr_incomplete IS NOT NULL THEN 'Record the missing inputs of the management reviews held: ' || mr_incomplete END,
                        CASE WHEN mr_unsigned IS NOT NULL OR mr_superseded IS NOT NULL
                             THEN 'Have top management sign the minutes of ' || concat_ws(', ', mr_unsigned, mr_superseded) || ' (isms.sign_off)' END) END;
    RETURN NEXT;

    -- (7) Evidence of improvement outcomes
    SELECT count(*) INTO n_impr FROM isms.transition_log l
     WHERE l.org_id = o AND l.record_table = 'isms.improvement'::regclass AND l.to_state = 'implemented'
       AND l.at > since AND l.at <= t;
    SELECT count(*), count(*) FILTER (WHERE l.to_state = 'closed') INTO n_ca_checked, n_ca_eff
      FROM isms.transition_log l
     WHERE l.org_id = o AND l.record_table = 'isms.corrective_action'::regclass
       AND l.to_state IN ('closed', 'in_progress') AND l.from_state = 'verified'
       AND l.at > since AND l.at <= t;
    SELECT count(*) INTO n_obj_ach FROM isms.transition_log l
     WHERE l.org_id = o AND l.record_table = 'isms.objective'::regclass AND l.to_state = 'achieved'
       AND l.at > since AND l.at <= t;
    SELECT coalesce(sum(a.rating), 0), coalesce(sum(b.rating), 0) INTO risk_then, risk_now
      FROM isms.risk_rating_at(o, since) a
      JOIN isms.risk_rating_at(o, t) b ON b.risk_id = a.risk_id;
    -- a fall in residual risk counts only when the risks were reassessed
    -- in the period: a register left alone shows no outcome
    risk_fresh := EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.risk, t) r
                           WHERE r.org_id = o AND r.created_at <= t
                             AND greatest(r.updated_at, r.last_reviewed_at) > since);
    k := (n_impr > 0)::integer + (n_ca_eff > 0)::integer + (n_obj_ach > 0)::integer
         + (risk_now < risk_then AND risk_fresh)::integer;
    s := round(k / 4.0, 3);
    st := CASE WHEN k >= 3 THEN 'pass' WHEN k >= 1 THEN 'warn' ELSE 'fail' END;
    check_no := 7; checkpoint := 'Evidence of improvement outcomes'; clauses := '10.1, 6.2, 6.1.3'; status := st; score := round(s, 3);
    evidence := n_impr + n_ca_eff + n_obj_ach;
    figures := format('since %s: improvements implemented: %s; corrective actions found effective: %s of %s checked; objectives achieved: %s; residual risk of the risks known then: %s -> %s%s',
                      d_since, n_impr, n_ca_eff, n_ca_checked, n_obj_ach, risk_then, risk_now,
                      CASE WHEN NOT risk_fresh THEN ' (no risk reassessed since then)' ELSE '' END);
    action := CASE WHEN st = 'pass' THEN 'None'
                   ELSE concat_ws('; ',
                        CASE WHEN n_impr = 0 THEN 'Implement and record improvements (isms.improvement)' END,
                        CASE WHEN n_ca_eff = 0 THEN 'Check corrective actions for effectiveness' END,
                        CASE WHEN n_obj_ach = 0 THEN 'Evaluate objectives against their targets' END,
                        CASE WHEN NOT risk_fresh THEN format('Reassess the risks (6.1.2, 8.2): none changed or was reviewed since %s', d_since)
                             WHEN risk_now >= risk_then THEN 'Treat risks so that residual risk falls (isms.treatment_plan)' END) END;
    RETURN NEXT;

    -- (8) Corrective action with root cause and effectiveness checks
    SELECT count(*),
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.corrective_action, t) a
                                           WHERE a.org_id = o AND a.nonconformity_id = n.id
                                             AND btrim(coalesce(a.root_cause, '')) <> ''))
      INTO n_nc, n_nc_ca
      FROM isms.known_as_of(NULL::isms.nonconformity, t) n
     WHERE n.org_id = o AND n.detected_at <= t AND n.status <> 'rejected';
    SELECT count(*) FILTER (WHERE a.status IN ('verified', 'closed')),
           count(*) FILTER (WHERE a.status IN ('verified', 'closed') AND btrim(coalesce(a.root_cause, '')) <> ''
                              AND a.effectiveness_checked_at IS NOT NULL
                              AND a.effectiveness_checked_by IS DISTINCT FROM a.implemented_by),
           count(*) FILTER (WHERE a.due_on < t::date
                              AND a.status NOT IN (SELECT state FROM isms.workflow_state
                                                    WHERE workflow = 'corrective_action' AND is_terminal))
      INTO n_ca_done, n_ca_ok, n_ca_late
      FROM isms.known_as_of(NULL::isms.corrective_action, t) a
     WHERE a.org_id = o AND a.created_at <= t;
    SELECT count(*) INTO n_unlinked FROM isms.known_as_of(NULL::isms.audit_finding, t) f
     WHERE f.org_id = o AND f.finding_type = 'nonconformity' AND f.nonconformity_id IS NULL
       AND f.status <> 'withdrawn' AND f.created_at <= t;
    s := CASE WHEN n_nc + n_ca_done + n_unlinked > 0
              THEN round((n_nc_ca + n_ca_ok)::numeric / (n_nc + n_ca_done + n_unlinked), 3) ELSE 0 END;
    st := CASE WHEN n_nc + n_ca_done + n_unlinked = 0 OR s < fs THEN 'fail'
               WHEN s < ps OR n_unlinked > 0 OR n_ca_late > 0 THEN 'warn' ELSE 'pass' END;
    check_no := 8; checkpoint := 'Corrective action with root cause and effectiveness check'; clauses := '10.2'; status := st; score := round(s, 3);
    evidence := n_nc_ca + n_ca_ok;
    figures := format('nonconformities with a corrective action and root cause: %s of %s; checked corrective actions with an independent effectiveness check: %s of %s; overdue corrective actions: %s; nonconformity findings not raised as nonconformities: %s',
                      n_nc_ca, n_nc, n_ca_ok, n_ca_done, n_ca_late, n_unlinked);
    action := CASE WHEN st = 'pass' THEN 'None'
                   WHEN n_nc + n_ca_done + n_unlinked = 0 THEN 'Record nonconformities and their corrective actions (isms.nonconformity, isms.corrective_action); an ISMS that never finds one is not credible'
                   ELSE concat_ws('; ',
                        CASE WHEN n_nc > n_nc_ca THEN format('Record a corrective action with its root cause for %s nonconformities', n_nc - n_nc_ca) END,
                        CASE WHEN n_ca_done > n_ca_ok THEN format('Have %s corrective actions checked for effectiveness by someone other than the implementer', n_ca_done - n_ca_ok) END,
                        CASE WHEN n_ca_late > 0 THEN format('Complete or re-plan %s overdue corrective actions', n_ca_late) END,
                        CASE WHEN n_unlinked > 0 THEN format('Raise the %s nonconformity findings as nonconformities (audit_finding.nonconformity_id)', n_unlinked) END) END;
    RETURN NEXT;

    -- (9) Interested parties and their requirements recorded and reviewed
    SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.party_requirement, t) q
                                                         WHERE q.org_id = o AND q.party_id = p.id AND q.created_at <= t))
      INTO n_party, n_party_bare
      FROM isms.known_as_of(NULL::isms.interested_party, t) p WHERE p.org_id = o AND p.created_at <= t;
    SELECT count(*) INTO n_req FROM isms.known_as_of(NULL::isms.party_requirement, t) WHERE org_id = o AND created_at <= t;
    SELECT count(*), count(*) FILTER (WHERE x.overdue) INTO n_ip, n_ip_overdue
      FROM (SELECT isms.review_basis(last_reviewed_at, created_at, t) + coalesce(review_interval, iv_party) < t AS overdue
              FROM isms.known_as_of(NULL::isms.interested_party, t) WHERE org_id = o AND created_at <= t
            UNION ALL
            SELECT isms.review_basis(last_reviewed_at, created_at, t) + coalesce(review_interval, iv_requirement) < t
              FROM isms.known_as_of(NULL::isms.party_requirement, t) WHERE org_id = o AND created_at <= t) x;
    s := CASE WHEN n_ip > 0 THEN round(1 - n_ip_overdue::numeric / n_ip, 3) ELSE 0 END;
    st := CASE WHEN n_party = 0 OR n_req = 0 OR s < fs THEN 'fail' WHEN s < ps OR n_party_bare > 0 THEN 'warn' ELSE 'pass' END;
    check_no := 9; checkpoint := 'Interested parties and their requirements'; clauses := '4.2'; status := st; score := round(s, 3);
    evidence := n_ip;
    figures := format('interested parties: %s (without requirements: %s); requirements: %s; reviewed within their interval: %s of %s',
                      n_party, n_party_bare, n_req, n_ip - n_ip_overdue, n_ip);
    action := CASE WHEN st = 'pass' THEN 'None'
                   ELSE concat_ws('; ',
                        CASE WHEN n_party = 0 THEN 'Record the interested parties (isms.interested_party)' END,
                        CASE WHEN n_req = 0 OR n_party_bare > 0 THEN 'Record the requirements of every interested party (isms.party_requirement)' END,
                        CASE WHEN n_ip_overdue > 0 THEN format('Review %s overdue parties and requirements', n_ip_overdue) END) END;
    RETURN NEXT;

    -- (10) Documented information controlled and current
    iv := isms.review_interval(o, 'isms.document');
    SELECT count(*),
           count(*) FILTER (WHERE isms.document_in_force(d.status)
                              AND coalesce(isms.document_reviewed_at(d.org_id, d.id, d.last_reviewed_at, t), d.created_at)
                                  + coalesce(d.review_interval, iv) >= t),
           coalesce(array_agg(DISTINCT d.clause::text) FILTER (WHERE isms.document_in_force(d.status)
                                                              AND d.framework = 'iso27001-2022'), '{}')
      INTO n_doc, n_doc_current, doc_clauses
      FROM isms.known_as_of(NULL::isms.document, t) d
     WHERE d.org_id = o AND d.created_at <= t AND d.status <> 'retired';
    SELECT count(*), count(*) FILTER (WHERE m.clause = ANY (doc_clauses)),
           string_agg(m.clause, ', ' ORDER BY m.c) FILTER (WHERE m.clause <> ALL (doc_clauses))
      INTO n_mand, n_mand_ok, missing
      FROM (SELECT DISTINCT clause AS c, clause::text AS clause FROM isms.mandatory_information
             WHERE framework = 'iso27001-2022' AND kind = 'document') m;
    s := CASE WHEN n_doc > 0 THEN round(n_doc_current::numeric / n_doc, 3) ELSE 0 END;
    st := CASE WHEN n_doc = 0 OR s < fs OR n_mand_ok * 2 < n_mand THEN 'fail'
               WHEN s < ps OR n_mand_ok < n_mand THEN 'warn' ELSE 'pass' END;
    check_no := 10; checkpoint := 'Documented information controlled and current'; clauses := '7.5'; status := st; score := round(s, 3);
    evidence := n_doc_current;
    figures := format('documents in force and reviewed within their interval: %s of %s; mandatory documents present for %s of %s clauses%s',
                      n_doc_current, n_doc, n_mand_ok, n_mand, coalesce(' (missing: ' || missing || ')', ''));
    action := CASE WHEN st = 'pass' THEN 'None'
                   ELSE concat_ws('; ',
                        CASE WHEN n_doc = 0 THEN 'Bring the ISMS documents under control (isms.document)' END,
                        CASE WHEN n_doc > n_doc_current THEN format('Review or publish the %s documents that are overdue for review or not in force', n_doc - n_doc_current) END,
                        CASE WHEN n_mand_ok < n_mand THEN 'Provide the mandatory documents for clauses ' || missing END) END;
    RETURN NEXT;

    -- (11) Process interactions: no siloed process, no near miss, no input
    -- that no process outputs
    SELECT count(*) FILTER (WHERE x.match = 'exact'),
           string_agg(format('%s output "%s" / %s input "%s"', x.from_process, x.artifact, x.to_process, x.input_artifact),
                      ', ' ORDER BY x.from_process_id, x.to_process_id, x.input_artifact) FILTER (WHERE x.match = 'near_miss'),
           string_agg(format('"%s" (input of %s)', x.input_artifact, x.to_process), ', ' ORDER BY x.to_process_id, x.input_artifact)
               FILTER (WHERE x.match = 'dangling')
      INTO n_edges, near_names, dangling_names
      FROM isms.process_interactions(o, t) x;
    SELECT count(*) FILTER (WHERE x.siloed), string_agg(x.name, ', ' ORDER BY x.process_id) FILTER (WHERE x.siloed)
      INTO n_silo, silo_names
      FROM isms.process_links(o, t) x;
    s := CASE WHEN n_proc > 0 THEN round(1 - n_silo::numeric / n_proc, 3) ELSE 0 END;
    st := CASE WHEN n_proc = 0 OR n_silo > 0 THEN 'fail'
               WHEN near_names IS NOT NULL OR dangling_names IS NOT NULL THEN 'warn' ELSE 'pass' END;
    check_no := 11; checkpoint := 'Process interactions, no siloed process'; clauses := '4.4'; status := st; score := round(s, 3);
    evidence := n_edges;
    figures := format('processes: %s; interactions: %s; siloed: %s%s; near misses: %s; inputs no process outputs: %s',
                      n_proc, n_edges, n_silo, coalesce(' (' || silo_names || ')', ''),
                      coalesce(near_names, 'none'), coalesce(dangling_names, 'none'));
    action := CASE WHEN st = 'pass' THEN 'None'
                   WHEN n_proc = 0 THEN 'Document the ISMS processes with their inputs and outputs (isms.process, isms.process_input, isms.process_output)'
                   ELSE concat_ws('; ',
                        CASE WHEN n_silo > 0 THEN 'Connect the siloed processes: record which process outputs they take as inputs and which processes use their outputs (' || silo_names || ')' END,
                        CASE WHEN near_names IS NOT NULL THEN 'Name each artifact the same on both sides: ' || near_names END,
                        CASE WHEN dangling_names IS NOT NULL THEN 'Record the process that outputs ' || dangling_names || ', or the input''s real source' END) END;
    RETURN NEXT;

    -- (12) The core registers are maintained: no shelf-ware.  A risk
    -- assessment not performed at planned intervals (6.1.2, 8.2) and
    -- context, scope, policy, objectives or SoA left untouched are major
    -- findings: a core register fails when it is empty, when nothing in it
    -- changed or was reviewed for lookback, or when every row in force is
    -- overdue for review; it warns when some rows are overdue.
    SELECT count(*),
           count(*) FILTER (WHERE x.rows = 0 OR x.untouched OR (x.overdue > 0 AND x.overdue = x.in_force)),
           string_agg(format('%s (%s)', x.title,
                             CASE WHEN x.rows = 0 THEN 'none recorded'
                                  ELSE concat_ws(', ', format('%s of %s overdue', x.overdue, x.in_force),
                                                 CASE WHEN x.untouched THEN format('untouched since %s', coalesce(to_char(x.last_change_at, 'YYYY-MM-DD'), 'ever')) END) END),
                      '; ' ORDER BY x.clause, x.register)
               FILTER (WHERE x.rows = 0 OR x.untouched OR (x.overdue > 0 AND x.overdue = x.in_force)),
           string_agg(format('%s (%s of %s overdue)', x.title, x.overdue, x.in_force), '; ' ORDER BY x.clause, x.register)
               FILTER (WHERE NOT (x.rows = 0 OR x.untouched OR x.overdue = x.in_force) AND x.overdue > 0)
      INTO n_core, n_shelf, shelf_names, core_overdue
      FROM (SELECT z.register, z.clause, z.title, z.rows, z.untouched, z.overdue, z.last_change_at,
                   z.rows - coalesce(a.retired, 0) AS in_force
              FROM isms.staleness_summary(o, t, lb) z
              LEFT JOIN (SELECT g.name AS register, w.retired FROM isms.register_activity(o, t) w
                           JOIN isms.register g ON g.relid = w.relid) a ON a.register = z.register
             WHERE z.register IN ('context_issue', 'scope_item', 'policy', 'risk_scale', 'risk',
                                  'treatment_plan', 'soa_entry', 'objective')) x;
    s := CASE WHEN n_core > 0 THEN round(1 - n_shelf::numeric / n_core, 3) ELSE 0 END;
    st := CASE WHEN n_shelf > 0 THEN 'fail' WHEN core_overdue IS NOT NULL THEN 'warn' ELSE 'pass' END;
    check_no := 12; checkpoint := 'Core registers maintained, no shelf-ware'; clauses := '4.1, 4.3, 5.2, 6.1.2, 6.1.3, 6.2, 8.2'; status := st; score := round(s, 3);
    evidence := n_core - n_shelf;
    figures := format('core registers maintained: %s of %s (nothing changed or reviewed since %s counts as untouched)%s%s',
                      n_core - n_shelf, n_core, d_since,
                      coalesce('; shelf-ware: ' || shelf_names, ''), coalesce('; overdue: ' || core_overdue, ''));
    action := CASE WHEN st = 'pass' THEN 'None'
                   ELSE concat_ws('; ',
                        CASE WHEN shelf_names IS NOT NULL THEN 'Review and update the shelf-ware registers (risk assessment at planned intervals, 6.1.2 and 8.2; isms.mark_reviewed): ' || shelf_names END,
                        CASE WHEN core_overdue IS NOT NULL THEN 'Review the overdue rows of ' || core_overdue || ' (isms.stale_items)' END) END;
    RETURN NEXT;

    -- (13) Supplier relationships (A.5.19-A.5.22): every supplier in force
    -- (not retired) reviewed within its interval and assessed on time; a
    -- high or critical supplier with an agreement in force that states
    -- security requirements.  A critical supplier without one, or with an
    -- overdue assessment, fails; any other gap, or no supplier recorded,
    -- warns.
    iv := isms.review_interval(o, 'isms.supplier');
    SELECT count(*),
           count(*) FILTER (WHERE NOT x.review_overdue AND NOT x.assessment_overdue
                              AND (x.criticality NOT IN ('high', 'critical') OR x.secured)),
           count(*) FILTER (WHERE x.criticality = 'critical'),
           string_agg(x.name, ', ' ORDER BY x.name) FILTER (WHERE x.criticality = 'critical' AND NOT x.secured),
           string_agg(x.name, ', ' ORDER BY x.name) FILTER (WHERE x.criticality = 'critical' AND x.assessment_overdue),
           string_agg(x.name, ', ' ORDER BY x.name) FILTER (WHERE x.criticality <> 'critical' AND x.assessment_overdue),
           string_agg(x.name, ', ' ORDER BY x.name) FILTER (WHERE x.criticality = 'high' AND NOT x.secured),
           count(*) FILTER (WHERE x.review_overdue)
      INTO n_sup, n_sup_ok, n_crit, crit_bare, crit_late, sup_late, sup_bare, n_sup_overdue
      FROM (SELECT p.name, p.criticality,
                   isms.review_basis(p.last_reviewed_at, p.created_at, t) + coalesce(p.review_interval, iv) < t AS review_overdue,
                   EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.supplier_contract, t) c
                            WHERE c.org_id = o AND c.supplier_id = p.id AND c.created_at <= t
                              AND c.starts_on <= t::date AND (c.ends_on IS NULL OR c.ends_on >= t::date)
                              AND c.security_requirements IS NOT NULL) AS secured,
                   EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.supplier_assessment, t) a
                            WHERE a.org_id = o AND a.supplier_id = p.id AND a.created_at <= t
                              AND a.due_on < t::date AND (a.performed_on IS NULL OR a.performed_on > t::date)) AS assessment_overdue
              FROM isms.known_as_of(NULL::isms.supplier, t) p
             WHERE p.org_id = o AND p.created_at <= t AND p.status <> 'retired') x;
    s := CASE WHEN n_sup > 0 THEN round(n_sup_ok::numeric / n_sup, 3) ELSE 0 END;
    st := CASE WHEN crit_bare IS NOT NULL OR crit_late IS NOT NULL THEN 'fail'
               WHEN n_sup = 0 OR n_sup_ok < n_sup THEN 'warn' ELSE 'pass' END;
    check_no := 13; checkpoint := 'Supplier relationships secured and monitored'; clauses := 'A.5.19, A.5.20, A.5.21, A.5.22'; status := st; score := round(s, 3);
    evidence := n_sup_ok;
    figures := format('suppliers in force: %s (critical: %s); in order: %s of %s; reviews overdue: %s%s%s%s%s',
                      n_sup, n_crit, n_sup_ok, n_sup, n_sup_overdue,
                      coalesce('; critical without an agreement stating security requirements: ' || crit_bare, ''),
                      coalesce('; critical with an overdue assessment: ' || crit_late, ''),
                      coalesce('; high without an agreement stating security requirements: ' || sup_bare, ''),
                      coalesce('; other overdue assessments: ' || sup_late, ''));
    action := CASE WHEN st = 'pass' THEN 'None'
                   WHEN n_sup = 0 THEN 'Record the suppliers, the information they handle and their criticality (isms.supplier)'
                   ELSE concat_ws('; ',
                        CASE WHEN crit_bare IS NOT NULL OR sup_bare IS NOT NULL
                             THEN 'Agree information security requirements with ' || concat_ws(', ', crit_bare, sup_bare)
                                  || ' (A.5.20; isms.supplier_contract.security_requirements)' END,
                        CASE WHEN crit_late IS NOT NULL OR sup_late IS NOT NULL
                             THEN 'Perform the overdue assessments of ' || concat_ws(', ', crit_late, sup_late) || ' (A.5.22; isms.supplier_assessment)' END,
                        CASE WHEN n_sup_overdue > 0 THEN format('Review the suppliers overdue for review (%s; isms.mark_reviewed)', n_sup_overdue) END) END;
    RETURN NEXT;

    -- (14) Policies acknowledged (A.5.1, A.6.3, 7.3): the audience of the
    -- organisation (isms.policy_acknowledgement_status) has acknowledged
    -- the version in force of every policy document.  Shares of the
    -- audience-policy pairs acknowledged at or above pass_share pass, below
    -- fail_share fail; no policy in force fails; no audience warns, and so
    -- does a policy published without a version under document control
    -- (there is nothing to acknowledge).
    SELECT count(DISTINCT a.document_id), count(*) FILTER (WHERE a.in_audience),
           count(*) FILTER (WHERE a.in_audience AND a.acknowledged)
      INTO n_pol, n_pol_pairs, n_pol_acked
      FROM isms.policy_acknowledgement_status(o, t) a;
    SELECT count(*) FILTER (WHERE x.versioned), count(*) FILTER (WHERE NOT x.versioned),
           string_agg(x.code, ', ' ORDER BY x.code) FILTER (WHERE NOT x.versioned)
      INTO k, n_pol_bare, pol_bare
      FROM (SELECT coalesce(d.code, d.id::text) AS code, d.status,
                   EXISTS (SELECT 1 FROM isms.document_version v
                            WHERE v.org_id = o AND v.document_id = d.id AND v.validity @> t) AS versioned
              FROM isms.known_as_of(NULL::isms.document, t) d
             WHERE d.org_id = o AND d.kind = 'policy' AND d.created_at <= t) x
     WHERE x.versioned OR x.status = 'published';
    n_pol := greatest(n_pol, k) + n_pol_bare;
    SELECT string_agg(format('%s %s (%s of %s)', x.document_code, x.version, x.acked, x.pairs), ', ' ORDER BY x.document_code)
      INTO pol_short
      FROM (SELECT a.document_code, a.version, count(*) FILTER (WHERE a.acknowledged) AS acked, count(*) AS pairs
              FROM isms.policy_acknowledgement_status(o, t) a WHERE a.in_audience
             GROUP BY a.document_id, a.document_code, a.version
            HAVING count(*) FILTER (WHERE a.acknowledged) < count(*)) x;
    s := CASE WHEN n_pol_pairs > 0 THEN round(n_pol_acked::numeric / n_pol_pairs, 3) ELSE 0 END;
    st := CASE WHEN n_pol = 0 OR (n_pol_pairs > 0 AND s < fs) THEN 'fail'
               WHEN n_pol_pairs = 0 OR s < ps OR n_pol_bare > 0 THEN 'warn' ELSE 'pass' END;
    check_no := 14; checkpoint := 'Policies acknowledged by staff'; clauses := 'A.5.1, A.6.3, 7.3'; status := st; score := round(s, 3);
    evidence := n_pol_acked;
    figures := format('policies in force: %s; acknowledgements of the version in force: %s of %s (audience x policies)%s%s',
                      n_pol, n_pol_acked, n_pol_pairs, coalesce('; outstanding: ' || pol_short, ''),
                      coalesce('; published without a version to acknowledge: ' || n_pol_bare || ' (' || pol_bare || ')', ''));
    action := CASE WHEN st = 'pass' THEN 'None'
                   WHEN n_pol = 0 THEN 'Publish the information security policy and topic-specific policies as documents of kind policy (isms.document, isms.publish_document)'
                   ELSE concat_ws('; ',
                        CASE WHEN pol_bare IS NOT NULL THEN 'Bring the policies published without a version under document control, so that staff can acknowledge them (isms.draft_document, isms.publish_document): ' || pol_bare END,
                        CASE WHEN n_pol_pairs = 0 AND k > 0 THEN 'Name the staff who must acknowledge the policies: the staff register (isms.person), or memberships of their personal login roles (isms.membership)' END,
                        CASE WHEN pol_short IS NOT NULL THEN 'Have staff acknowledge the policies in force (isms.acknowledge_policy): ' || pol_short END) END;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION isms.clause_4_4_readiness(bigint, timestamptz, numeric, numeric, interval, interval) IS
    'Clause 4.4 audit readiness at as_of, from the register history and the transition log: the 10-point audit checklist plus process interactions (with near misses and inputs no process outputs), shelf-ware in the core registers, supplier relationships (A.5.19-A.5.22, check 13) and policy acknowledgement (check 14), one row per check with status pass, warn or fail, a score (0-1), the records counted, the figures behind it and what to do; shares at or above pass_share pass, below fail_share fail';
REVOKE ALL ON FUNCTION isms.clause_4_4_readiness(bigint, timestamptz, numeric, numeric, interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.clause_4_4_readiness(bigint, timestamptz, numeric, numeric, interval, interval) TO isms_reader;


CREATE OR REPLACE VIEW isms_report.documents WITH (security_invoker = true) AS
SELECT d.org_id, o.code AS org_code, d.id AS document_id, d.code, d.title, d.kind, d.classification, d.origin,
       d.clause::text AS clause, d.owner, d.status, isms.document_in_force(d.status) AS in_force,
       r.reviewed AS last_reviewed_at, x.due AS review_due_at, x.due < now() AS review_overdue,
       isms.document_in_force(d.status) AND x.due >= now() AS current,
       d.created_at, d.updated_at
  FROM isms.document d
  JOIN isms.organization o ON o.org_id = d.org_id
  CROSS JOIN LATERAL (SELECT isms.document_reviewed_at(d.org_id, d.id, d.last_reviewed_at, now()) AS reviewed) r
  CROSS JOIN LATERAL (SELECT isms.review_due_at(d.org_id, 'isms.document', d.review_interval,
                                                r.reviewed, d.created_at) AS due) x;
COMMENT ON COLUMN isms_report.documents.in_force IS 'True while a version is in force: published, or under revision (a version in force and a newer one being prepared); an approved version not yet published is not';
COMMENT ON COLUMN isms_report.documents.last_reviewed_at IS 'When the document was last reviewed: its last recorded review or the publication of its latest version, whichever is later (isms.document_reviewed_at)';

--------------------------------------------------------------------------
-- Sign-offs (src/signoff.sql).

-- Sign-offs: the approvals the standard expects from someone accountable,
-- recorded with what exactly was signed.  Management review minutes (top
-- management, 9.3), the Statement of Applicability as a whole (a numbered
-- SoA version an auditor can cite, 6.1.3 d), a risk acceptance by the risk
-- owner (6.1.3 f) and a risk treatment plan's approval (6.1.3 f).
--
-- The database vouches for every fact of a sign-off: who (isms.current_actor()
-- and the login role), when (transaction time), and the SHA-256 of the
-- signed content, which it takes from the register itself.  A sign-off is
-- written to the evidence trail and is never changed or removed; when the
-- signed content changes afterwards, the reports show "signed version
-- superseded".

CREATE TABLE isms.signoff (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    subject     text NOT NULL CONSTRAINT signoff_subject_values
                CHECK (subject IN ('management_review', 'statement_of_applicability', 'risk_acceptance', 'treatment_plan')),
    record_id   bigint,
    soa_version integer CONSTRAINT signoff_soa_version_positive CHECK (soa_version > 0),
    signer      text NOT NULL,
    login_role  text NOT NULL,
    signer_role text NOT NULL CONSTRAINT signoff_signer_role_given CHECK (btrim(signer_role) <> ''),
    statement   text CONSTRAINT signoff_statement_given CHECK (btrim(statement) <> ''),
    signed_at   timestamptz NOT NULL,
    content     jsonb NOT NULL,
    sha256      bytea NOT NULL CONSTRAINT signoff_sha256_length CHECK (octet_length(sha256) = 32),
    PRIMARY KEY (org_id, id),
    CONSTRAINT signoff_record_of_subject
        CHECK ((subject = 'statement_of_applicability') = (record_id IS NULL)),
    CONSTRAINT signoff_soa_version_of_subject
        CHECK ((subject = 'statement_of_applicability') = (soa_version IS NOT NULL)),
    CONSTRAINT signoff_soa_version_unique UNIQUE (org_id, soa_version)
);
CREATE INDEX signoff_record_idx ON isms.signoff (org_id, subject, record_id);
COMMENT ON TABLE isms.signoff IS
    'Clauses 9.3, 6.1.3 d and f: sign-offs of management review minutes, Statement of Applicability versions, risk acceptances and treatment plans: who signed in which role, when, and the SHA-256 of the content signed; written by isms.sign_off() or INSERT, never changed (IS031), recorded in the trail';
COMMENT ON COLUMN isms.signoff.org_id IS 'Organisation';
COMMENT ON COLUMN isms.signoff.id IS 'Identifier of the sign-off';
COMMENT ON COLUMN isms.signoff.subject IS 'What is signed: management_review (the minutes), statement_of_applicability (the SoA as a whole), risk_acceptance (a risk''s accepted residual level), treatment_plan (a plan''s approval)';
COMMENT ON COLUMN isms.signoff.record_id IS 'The management review, risk or treatment plan signed; NULL for the Statement of Applicability';
COMMENT ON COLUMN isms.signoff.soa_version IS 'For the Statement of Applicability: its version number, 1 for the first signed SoA of the organisation, then the next; the version an auditor cites';
COMMENT ON COLUMN isms.signoff.signer IS 'The person who signed: isms.current_actor() when signing, set by the database';
COMMENT ON COLUMN isms.signoff.login_role IS 'The login role of the session that signed (session_user), set by the database';
COMMENT ON COLUMN isms.signoff.signer_role IS 'The capacity in which the person signs, such as "CEO, top management" or "risk owner"';
COMMENT ON COLUMN isms.signoff.statement IS 'What the signer states, such as "Minutes approved"';
COMMENT ON COLUMN isms.signoff.signed_at IS 'When it was signed (transaction time), set by the database';
COMMENT ON COLUMN isms.signoff.content IS 'The content signed, as the register held it (isms.signoff_content())';
COMMENT ON COLUMN isms.signoff.sha256 IS 'SHA-256 of the content signed (of its jsonb text in UTF-8): isms.signoff_digest(content)';

SELECT pg_catalog.pg_extension_config_dump('isms.signoff', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('isms.signoff', 'id')::regclass, '');
ALTER TABLE isms.signoff ENABLE ROW LEVEL SECURITY;
ALTER TABLE isms.signoff FORCE ROW LEVEL SECURITY;
CREATE POLICY member ON isms.signoff USING (org_id = ANY ((SELECT isms.member_orgs())::bigint[]))
    WITH CHECK (org_id = ANY ((SELECT isms.member_orgs())::bigint[]));
REVOKE ALL ON TABLE isms.signoff FROM PUBLIC;
GRANT SELECT ON TABLE isms.signoff TO isms_admin, isms_editor, isms_auditor, isms_reader;
GRANT INSERT ON TABLE isms.signoff TO isms_admin, isms_editor;

------------------------------------------------------------------------------
-- What is signed: the content as the register held it at an instant.

CREATE FUNCTION isms.signoff_content(org_id bigint, subject text, record_id bigint,
                                     as_of timestamptz DEFAULT now())
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    c jsonb;
BEGIN
    CASE subject
    WHEN 'management_review' THEN
        SELECT to_jsonb(m) - ARRAY['created_at', 'created_by', 'updated_at', 'updated_by'] INTO c
          FROM isms.known_as_of(NULL::isms.management_review, as_of) m
         WHERE m.org_id = signoff_content.org_id AND m.id = signoff_content.record_id;
    WHEN 'statement_of_applicability' THEN
        SELECT jsonb_agg(jsonb_build_object('framework', e.framework, 'control', e.control::text,
                                            'applicable', e.applicable, 'justification', e.justification,
                                            'implementation_status', e.implementation_status)
                         ORDER BY e.framework, e.control) INTO c
          FROM isms.known_as_of(NULL::isms.soa_entry, as_of) e
         WHERE e.org_id = signoff_content.org_id AND e.created_at <= as_of;
    WHEN 'risk_acceptance' THEN
        SELECT jsonb_build_object('id', r.id, 'title', r.title, 'owner', r.owner,
                                  'inherent_likelihood', r.inherent_likelihood, 'inherent_impact', r.inherent_impact,
                                  'residual_likelihood', r.residual_likelihood, 'residual_impact', r.residual_impact,
                                  'treatment', r.treatment, 'accepted_by', r.accepted_by,
                                  'accepted_at', r.accepted_at, 'accepted_until', r.accepted_until) INTO c
          FROM isms.known_as_of(NULL::isms.risk, as_of) r
         WHERE r.org_id = signoff_content.org_id AND r.id = signoff_content.record_id;
    WHEN 'treatment_plan' THEN
        SELECT jsonb_build_object('id', p.id, 'risk_id', p.risk_id, 'title', p.title, 'action', p.action,
                                  'owner', p.owner, 'due_on', p.due_on) INTO c
          FROM isms.known_as_of(NULL::isms.treatment_plan, as_of) p
         WHERE p.org_id = signoff_content.org_id AND p.id = signoff_content.record_id;
    ELSE
        PERFORM isms.report_bad_argument('subject', subject, 'not a subject of sign-off',
            'Pass management_review, statement_of_applicability, risk_acceptance or treatment_plan.');
    END CASE;
    RETURN c;
END
$$;
COMMENT ON FUNCTION isms.signoff_content(bigint, text, bigint, timestamptz) IS
    'The content a sign-off covers, as the register held it at as_of: a management review''s minutes (every column but the audit columns), the SoA entries (framework, control, applicability, justification, implementation status), a risk''s ratings, treatment and acceptance, a treatment plan''s risk, title, action, owner and due date; NULL when the record did not exist';

CREATE FUNCTION isms.signoff_digest(content jsonb) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.sha256(pg_catalog.convert_to($1::text, 'UTF8'))
$$;
COMMENT ON FUNCTION isms.signoff_digest(jsonb) IS
    'SHA-256 of signed content: of its jsonb text (keys in jsonb''s canonical order) in UTF-8';

------------------------------------------------------------------------------
-- The database fills in and checks every sign-off, however it is inserted.

CREATE FUNCTION isms.signoff_complete(s isms.signoff) RETURNS isms.signoff
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    NEW isms.signoff := s;
    what text;
    ok boolean;
    why text;
BEGIN
    NEW.signer := isms.current_actor();
    NEW.login_role := session_user;
    NEW.signed_at := now();
    what := CASE NEW.subject
                WHEN 'management_review' THEN format('management review %s', NEW.record_id)
                WHEN 'risk_acceptance' THEN format('the acceptance of risk %s', NEW.record_id)
                WHEN 'treatment_plan' THEN format('treatment plan %s', NEW.record_id)
                ELSE format('the Statement of Applicability of organisation %s', NEW.org_id) END;
    CASE NEW.subject
    WHEN 'management_review' THEN
        SELECT m.held_on IS NOT NULL, format('it is planned for %s and not held', m.planned_on) INTO ok, why
          FROM isms.management_review m WHERE m.org_id = NEW.org_id AND m.id = NEW.record_id;
    WHEN 'risk_acceptance' THEN
        SELECT r.accepted_at IS NOT NULL, 'no acceptance of its residual risk is recorded (accepted_by, accepted_at)'
          INTO ok, why
          FROM isms.risk r WHERE r.org_id = NEW.org_id AND r.id = NEW.record_id;
    WHEN 'treatment_plan' THEN
        SELECT p.status <> 'withdrawn', 'it is withdrawn' INTO ok, why
          FROM isms.treatment_plan p WHERE p.org_id = NEW.org_id AND p.id = NEW.record_id;
    WHEN 'statement_of_applicability' THEN
        ok := EXISTS (SELECT 1 FROM isms.soa_entry e WHERE e.org_id = NEW.org_id);
        why := 'it has no entry';
        PERFORM pg_advisory_xact_lock(hashtext('isms.signoff soa_version'), hashtext(NEW.org_id::text));
        NEW.soa_version := coalesce((SELECT max(x.soa_version) FROM isms.signoff x
                                      WHERE x.org_id = NEW.org_id AND x.subject = 'statement_of_applicability'), 0) + 1;
    ELSE
        NULL;   -- the CHECK constraint refuses it
    END CASE;
    IF ok IS NULL THEN
        RAISE EXCEPTION 'cannot sign off %: it does not exist in organisation %', what, NEW.org_id
            USING ERRCODE = 'IS030',
                  DETAIL = format('subject %s, record_id %s', NEW.subject, coalesce(NEW.record_id::text, 'NULL')),
                  HINT = 'Name a record of the organisation you sign for.';
    ELSIF NOT ok THEN
        RAISE EXCEPTION 'cannot sign off %: %', what, why
            USING ERRCODE = 'IS030',
                  DETAIL = format('subject %s, record_id %s, organisation %s', NEW.subject,
                                  coalesce(NEW.record_id::text, 'NULL'), NEW.org_id),
                  HINT = CASE NEW.subject
                             WHEN 'management_review' THEN 'Record held_on and the inputs 9.3.2 a-g first: minutes are signed once the review is held.'
                             WHEN 'risk_acceptance' THEN 'Record the acceptance on the risk (accepted_by, accepted_at) first, then sign it.'
                             WHEN 'treatment_plan' THEN 'Sign a plan that is planned or under way.'
                             ELSE 'Record the SoA entries (isms.soa_entry) first.' END;
    END IF;
    NEW.content := isms.signoff_content(NEW.org_id, NEW.subject, NEW.record_id, now());
    NEW.sha256 := isms.signoff_digest(NEW.content);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.signoff_complete(isms.signoff) IS
    'A sign-off as the database records it: signer (isms.current_actor()), login role (session_user), signed_at, the SoA version, the content from the register and its SHA-256; refuses (IS030) a missing record, a review not held, a risk not accepted, a withdrawn plan, an empty SoA';

-- A superuser's INSERT is a restore (pg_dump) and is kept as it is, without
-- a trail entry: the trail's own copy is restored beside it.
CREATE FUNCTION isms.signoff_fill() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = current_user AND rolsuper) THEN
        RETURN NEW;
    END IF;
    RETURN isms.signoff_complete(NEW);
END
$$;
COMMENT ON FUNCTION isms.signoff_fill() IS
    'BEFORE INSERT trigger of isms.signoff: completes the row with isms.signoff_complete() (who, when, what, its SHA-256), whatever the INSERT gave; a superuser''s INSERT (a restore) is kept as it is';

CREATE FUNCTION isms.signoff_trail() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = current_user AND rolsuper) THEN
        RETURN NULL;    -- a restore; isms.sign_off() appends a superuser's own sign-off itself
    END IF;
    PERFORM isms.signoff_trail_entry(NEW);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION isms.signoff_trail() IS
    'AFTER INSERT trigger of isms.signoff: records the sign-off in the evidence trail (action sign-off, with the SHA-256 of the content); not for a superuser''s INSERT (a restore)';

CREATE FUNCTION isms.signoff_trail_entry(s isms.signoff) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    NEW isms.signoff := s;
BEGIN
    RETURN isms.trail_append(NEW.org_id, 'isms.signoff'::regclass, NEW.id, 'sign-off',
        jsonb_build_object('subject', NEW.subject, 'record_id', NEW.record_id, 'soa_version', NEW.soa_version,
                           'signer', NEW.signer, 'login_role', NEW.login_role, 'signer_role', NEW.signer_role,
                           'statement', NEW.statement, 'signed_at', NEW.signed_at,
                           'sha256', encode(NEW.sha256, 'hex')));
END
$$;
COMMENT ON FUNCTION isms.signoff_trail_entry(isms.signoff) IS
    'Appends a sign-off to the evidence trail (action sign-off: subject, record, SoA version, signer, login role, role, statement, time, SHA-256)';

CREATE FUNCTION isms.signoff_keep() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'signoff' THEN
        RAISE EXCEPTION 'a sign-off cannot be changed or removed (% on isms.signoff)', TG_OP
            USING ERRCODE = 'IS031',
                  DETAIL = 'A sign-off is evidence: it records who signed which content when.',
                  HINT = 'Sign again: the newer sign-off covers the current content, the older one shows as superseded.';
    END IF;
    RAISE EXCEPTION 'an import record cannot be changed or removed (% on isms.%)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'IS031',
              DETAIL = 'An import record is evidence: it records who brought which records in, when, and their digest.',
              HINT = 'Import corrections as a new batch.';
END
$$;
COMMENT ON FUNCTION isms.signoff_keep() IS
    'Trigger refusing UPDATE, DELETE and TRUNCATE of isms.signoff and isms.import_batch (IS031), for every role';

CREATE TRIGGER signoff_fill BEFORE INSERT ON isms.signoff FOR EACH ROW EXECUTE FUNCTION isms.signoff_fill();
CREATE TRIGGER signoff_trail AFTER INSERT ON isms.signoff FOR EACH ROW EXECUTE FUNCTION isms.signoff_trail();
CREATE TRIGGER signoff_keep BEFORE UPDATE OR DELETE OR TRUNCATE ON isms.signoff
    FOR EACH STATEMENT EXECUTE FUNCTION isms.signoff_keep();
ALTER TABLE isms.signoff ENABLE ALWAYS TRIGGER signoff_keep;
ALTER TABLE isms.signoff ENABLE ALWAYS TRIGGER signoff_fill;

------------------------------------------------------------------------------
-- Signing, and what the sign-offs say at an instant.

CREATE FUNCTION isms.sign_off(org_id bigint, subject text, record_id bigint, signer_role text,
                              statement text DEFAULT NULL)
    RETURNS isms.signoff
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    s isms.signoff;
BEGIN
    PERFORM isms.report_org(org_id);
    IF subject IS NULL OR subject NOT IN ('management_review', 'statement_of_applicability', 'risk_acceptance', 'treatment_plan') THEN
        PERFORM isms.report_bad_argument('subject', subject, 'not a subject of sign-off',
            'Pass management_review, statement_of_applicability, risk_acceptance or treatment_plan.');
    END IF;
    IF (subject = 'statement_of_applicability') <> (record_id IS NULL) THEN
        PERFORM isms.report_bad_argument('record_id', record_id::text,
            CASE WHEN record_id IS NULL THEN 'the record signed is required' ELSE 'the SoA is signed as a whole' END,
            'Pass the id of the management review, risk or treatment plan; NULL for the Statement of Applicability.');
    END IF;
    IF signer_role IS NULL OR btrim(signer_role) = '' THEN
        PERFORM isms.report_bad_argument('signer_role', signer_role, 'the capacity in which you sign is required',
            'Pass it, such as ''CEO, top management'' or ''risk owner''.');
    END IF;
    s.org_id := sign_off.org_id;
    s.subject := sign_off.subject;
    s.record_id := sign_off.record_id;
    s.signer_role := sign_off.signer_role;
    s.statement := sign_off.statement;
    s := isms.signoff_complete(s);
    INSERT INTO isms.signoff (org_id, subject, record_id, soa_version, signer_role, statement, signer, login_role,
                              signed_at, content, sha256)
    VALUES (s.org_id, s.subject, s.record_id, s.soa_version, s.signer_role, s.statement, s.signer, s.login_role,
            s.signed_at, s.content, s.sha256)
    RETURNING * INTO s;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = current_user AND rolsuper) THEN
        PERFORM isms.signoff_trail_entry(s);
    END IF;
    RETURN s;
END
$$;
COMMENT ON FUNCTION isms.sign_off(bigint, text, bigint, text, text) IS
    'Signs off management review minutes, the Statement of Applicability (record_id NULL; numbered), a risk acceptance or a treatment plan as the person acting, in the role given; returns the sign-off with the SHA-256 of what was signed; recorded in the trail';

CREATE FUNCTION isms.signoff_status(org_id bigint, as_of timestamptz DEFAULT now())
RETURNS TABLE (signoff_id bigint, subject text, record_id bigint, soa_version integer, signer text,
               login_role text, signer_role text, signed_at timestamptz, sha256 text, current_sha256 text,
               status text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    t constant timestamptz := isms.report_time('as_of', $2);
BEGIN
    RETURN QUERY
    SELECT s.id, s.subject, s.record_id, s.soa_version, s.signer, s.login_role, s.signer_role, s.signed_at,
           encode(s.sha256, 'hex'), encode(c.h, 'hex'),
           CASE WHEN c.h IS NULL THEN 'record gone'
                WHEN c.h = s.sha256 THEN 'signed'
                ELSE 'signed version superseded' END
      FROM isms.signoff s
      CROSS JOIN LATERAL (SELECT isms.signoff_digest(isms.signoff_content(s.org_id, s.subject, s.record_id, t)) AS h) c
     WHERE s.org_id = o AND s.signed_at <= t
     ORDER BY s.signed_at, s.id;
END
$$;
COMMENT ON FUNCTION isms.signoff_status(bigint, timestamptz) IS
    'The sign-offs of an organisation made by as_of, each with the SHA-256 of what was signed and of the same content at as_of: status signed (unchanged), signed version superseded (changed since), or record gone';

REVOKE ALL ON FUNCTION isms.signoff_content(bigint, text, bigint, timestamptz), isms.signoff_digest(jsonb),
    isms.signoff_complete(isms.signoff), isms.signoff_trail_entry(isms.signoff),
    isms.signoff_fill(), isms.signoff_trail(), isms.signoff_keep(),
    isms.sign_off(bigint, text, bigint, text, text), isms.signoff_status(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.signoff_content(bigint, text, bigint, timestamptz), isms.signoff_digest(jsonb),
    isms.signoff_status(bigint, timestamptz) TO isms_reader;
GRANT EXECUTE ON FUNCTION isms.sign_off(bigint, text, bigint, text, text), isms.signoff_complete(isms.signoff),
    isms.signoff_trail_entry(isms.signoff) TO isms_admin, isms_editor;

--------------------------------------------------------------------------
-- Bringing existing records in (src/import.sql); the transition log's
-- verification accepts the imports' seals.

CREATE OR REPLACE FUNCTION isms.verify_transition_log(org bigint)
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
    ), recomputed AS (
        SELECT s.seq, s.first_id, s.n, s.sha, count(l.log_id) AS found,
               encode(sha256(convert_to(coalesce(string_agg(isms.transition_log_encoding(l), '' ORDER BY l.log_id), ''), 'UTF8')), 'hex') AS sha_found
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

-- Bringing existing records in (Clause 7.5.3): records kept elsewhere
-- (spreadsheets, SharePoint lists, Jira) enter the registers with their
-- original dates and states, their earlier versions in the register
-- history, and their past workflow moves in the transition log, marked as
-- imported.  One documented path, for an admin:
--
--   1. COPY (or INSERT) the rows into isms.import_staging: one row per
--      version of a record, keyed by the source's own reference;
--   2. SELECT isms.import_apply(org_id, batch): checks every row, reports
--      every bad row at once and applies nothing if one is bad; else writes
--      the records, their history and their log, records the batch in
--      isms.import_batch and the trail (with the SHA-256 of what was
--      imported), and empties the batch from staging.
--
-- isms.verify_imports(org_id) tells imported history from history the
-- engine saw happen: which log rows each import wrote, who imported them
-- and when, and whether they are still as imported.

-- The organisation a COPY without org_id stages for: the one named by the
-- setting isms.org (SET isms.org = 'ACME').
CREATE FUNCTION isms.import_org() RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT o.org_id FROM isms.organization o WHERE o.code = current_setting('isms.org', true)
$$;
COMMENT ON FUNCTION isms.import_org() IS
    'The organisation named by the setting isms.org (its code), the default org_id of isms.import_staging; NULL when unset';

CREATE TABLE isms.import_staging (
    org_id      bigint NOT NULL DEFAULT isms.import_org() REFERENCES isms.organization,
    line        bigint GENERATED ALWAYS AS IDENTITY,
    batch       text NOT NULL CONSTRAINT import_staging_batch_given CHECK (btrim(batch) <> ''),
    register    text NOT NULL,
    ref         text NOT NULL CONSTRAINT import_staging_ref_given CHECK (btrim(ref) <> ''),
    valid_from  timestamptz NOT NULL,
    data        jsonb NOT NULL,
    actor       text,
    reason      text,
    PRIMARY KEY (org_id, line)
);
CREATE INDEX import_staging_batch_idx ON isms.import_staging (org_id, batch);
SELECT pg_catalog.pg_extension_config_dump('isms.import_staging', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('isms.import_staging', 'line')::regclass, '');
COMMENT ON TABLE isms.import_staging IS
    'Clause 7.5.3: records waiting to be imported, one row per version of a record; fill with COPY, apply with isms.import_apply(org_id, batch)';
COMMENT ON COLUMN isms.import_staging.org_id IS 'Organisation the records belong to; by default the one the setting isms.org names (isms.import_org())';
COMMENT ON COLUMN isms.import_staging.line IS 'Line number, in the order the rows were staged: error messages name it';
COMMENT ON COLUMN isms.import_staging.batch IS 'Name of the import batch, such as risks-2025-06; applied as a whole, once';
COMMENT ON COLUMN isms.import_staging.register IS 'Register of the record (isms.register.name), such as risk or treatment_plan';
COMMENT ON COLUMN isms.import_staging.ref IS 'The record''s key in the source (a spreadsheet row id, a Jira key); the versions of one record share it, and {"ref": "..."} in data refers to another record of the batch';
COMMENT ON COLUMN isms.import_staging.valid_from IS 'When this version came into force; the first version''s is the record''s creation';
COMMENT ON COLUMN isms.import_staging.data IS 'The columns of this version as a JSON object: all of them for the first version, the changed ones for later versions; a column holding {"ref": "..."} takes the id of that record of the batch';
COMMENT ON COLUMN isms.import_staging.actor IS 'Who made this version or move in the source; NULL: the person importing';
COMMENT ON COLUMN isms.import_staging.reason IS 'Why, for a workflow move (kept in the transition log)';
-- admins only (who see every organisation), and COPY FROM needs a table
-- without row-level security
REVOKE ALL ON TABLE isms.import_staging FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON TABLE isms.import_staging TO isms_admin;

CREATE TABLE isms.import_batch (
    org_id       bigint NOT NULL REFERENCES isms.organization,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    batch        text NOT NULL,
    imported_by  text NOT NULL,
    login_role   text NOT NULL,
    imported_at  timestamptz NOT NULL,
    staged_rows  integer NOT NULL,
    records      integer NOT NULL,
    history_rows integer NOT NULL,
    log_rows     integer NOT NULL,
    first_log_id bigint,
    last_log_id  bigint,
    xact_id      xid8 NOT NULL,
    sha256       bytea NOT NULL CONSTRAINT import_batch_sha256_length CHECK (octet_length(sha256) = 32),
    trail_seq    bigint NOT NULL,
    PRIMARY KEY (org_id, id),
    CONSTRAINT import_batch_once UNIQUE (org_id, batch)
);
COMMENT ON TABLE isms.import_batch IS
    'Clause 7.5.3: every import applied: who imported what and when, how many records, history versions and log rows, the log rows written, the SHA-256 of the staged rows and the trail entry recording it; never changed';
COMMENT ON COLUMN isms.import_batch.org_id IS 'Organisation';
COMMENT ON COLUMN isms.import_batch.id IS 'Identifier of the import';
COMMENT ON COLUMN isms.import_batch.batch IS 'The batch name of isms.import_staging; a batch is applied once';
COMMENT ON COLUMN isms.import_batch.imported_by IS 'The person who imported: isms.current_actor() of the caller';
COMMENT ON COLUMN isms.import_batch.login_role IS 'The login role of the session that imported (session_user)';
COMMENT ON COLUMN isms.import_batch.imported_at IS 'When it was imported (transaction time)';
COMMENT ON COLUMN isms.import_batch.staged_rows IS 'Staged rows applied (versions)';
COMMENT ON COLUMN isms.import_batch.records IS 'Records created';
COMMENT ON COLUMN isms.import_batch.history_rows IS 'Earlier versions written to the register history';
COMMENT ON COLUMN isms.import_batch.log_rows IS 'Workflow moves written to the transition log, marked imported by this batch';
COMMENT ON COLUMN isms.import_batch.first_log_id IS 'First transition log row of the import; NULL without any';
COMMENT ON COLUMN isms.import_batch.last_log_id IS 'Last transition log row of the import; NULL without any';
COMMENT ON COLUMN isms.import_batch.xact_id IS 'Transaction of the import (the log rows carry it)';
COMMENT ON COLUMN isms.import_batch.sha256 IS 'SHA-256 of the staged rows imported (their jsonb array, in line order, as text in UTF-8)';
COMMENT ON COLUMN isms.import_batch.trail_seq IS 'The trail entry (action import) recording the batch, its digest and the seal of its log rows';
SELECT pg_catalog.pg_extension_config_dump('isms.import_batch', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('isms.import_batch', 'id')::regclass, '');
ALTER TABLE isms.import_batch ENABLE ROW LEVEL SECURITY;
ALTER TABLE isms.import_batch FORCE ROW LEVEL SECURITY;
CREATE POLICY member ON isms.import_batch FOR SELECT USING (org_id = ANY ((SELECT isms.member_orgs())::bigint[]));
REVOKE ALL ON TABLE isms.import_batch FROM PUBLIC;
GRANT SELECT ON TABLE isms.import_batch TO isms_admin, isms_editor, isms_auditor, isms_reader;
CREATE TRIGGER import_batch_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON isms.import_batch
    FOR EACH STATEMENT EXECUTE FUNCTION isms.signoff_keep();
ALTER TABLE isms.import_batch ENABLE ALWAYS TRIGGER import_batch_append_only;

------------------------------------------------------------------------------
-- Applying a batch.  The work is done as the extension's owner (it writes
-- rows in any state, with their dates, into the registers, their history
-- and the log, as a restore does), for a caller who administers the
-- organisation: the role the session acts as (SET ROLE, else the login).

CREATE FUNCTION isms.import_apply(org_id bigint, batch text)
    RETURNS isms.import_batch
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    o constant bigint := org_id;
    b constant text := batch;
    problems text[] := '{}';
    r record;
    v record;
    reg regclass;
    hist regclass;
    wf boolean;
    cols text;
    gen record;
    full_row jsonb;
    prev_row jsonb;
    new_id bigint;
    ids jsonb := '{}';
    n_rows integer := 0;
    n_records integer := 0;
    n_hist integer := 0;
    n_log integer := 0;
    first_log bigint;
    last_log bigint;
    lid bigint;
    digest bytea;
    log_sha text;
    seq bigint;
    result isms.import_batch;
    line_no bigint;
    versions jsonb;
    mentioned jsonb;
    nv integer;
    vi integer;
    cur jsonb;
    genval jsonb;
    caller constant name := CASE WHEN current_setting('role') = 'none' THEN session_user
                                 ELSE current_setting('role')::name END;
    imported_by constant text := coalesce(nullif(current_setting('isms.actor', true), ''), caller);
BEGIN
    IF NOT pg_has_role(caller, 'isms_admin', 'USAGE') THEN
        RAISE EXCEPTION 'permission denied to import into organisation %', o
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('%s is not a member of isms_admin.', caller),
                  HINT = 'An import is an admin''s: ask a member of isms_admin.';
    END IF;
    IF o IS NULL OR NOT (o = ANY (isms.member_orgs(caller))) OR NOT EXISTS (SELECT 1 FROM isms.organization x WHERE x.org_id = o) THEN
        PERFORM isms.report_bad_argument('org_id', o::text,
            'no organisation with this id exists or is visible to you',
            'SELECT org_id, code, name FROM isms.organization lists the organisations you may see.');
    END IF;
    IF EXISTS (SELECT 1 FROM isms.import_batch x WHERE x.org_id = o AND x.batch = b) THEN
        RAISE EXCEPTION 'cannot import batch % into organisation %: it was imported already', b, o
            USING ERRCODE = 'IS040',
                  DETAIL = (SELECT format('Imported %s by %s.', x.imported_at, x.imported_by)
                              FROM isms.import_batch x WHERE x.org_id = o AND x.batch = b),
                  HINT = 'A batch is applied once: stage the new rows under another batch name.';
    END IF;
    SELECT count(*) INTO n_rows FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b;
    IF n_rows = 0 THEN
        RAISE EXCEPTION 'cannot import batch % into organisation %: no staged rows', b, o
            USING ERRCODE = 'IS040',
                  HINT = 'COPY the rows into isms.import_staging (org_id, batch, register, ref, valid_from, data) first.';
    END IF;

    -- every problem of every row, before anything is written
    SELECT array_agg(p ORDER BY l, p) INTO problems FROM (
        SELECT s.line AS l, format('line %s: unknown register %s', s.line, s.register) AS p
          FROM isms.import_staging s
         WHERE s.org_id = o AND s.batch = b AND NOT EXISTS (SELECT 1 FROM isms.register g WHERE g.name = s.register)
        UNION ALL
        SELECT s.line, format('line %s: data is not a JSON object', s.line)
          FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b AND jsonb_typeof(s.data) <> 'object'
        UNION ALL
        SELECT s.line, format('line %s: %s has no column %s', s.line, s.register, k.key)
          FROM isms.import_staging s
          JOIN isms.register g ON g.name = s.register
          CROSS JOIN LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}' END) k(key)
         WHERE s.org_id = o AND s.batch = b
           AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = g.relid AND a.attname = k.key
                             AND a.attnum > 0 AND NOT a.attisdropped)
        UNION ALL
        SELECT s.line, format('line %s: column %s is set by the import (the record''s id, organisation, audit columns or a computed column)', s.line, k.key)
          FROM isms.import_staging s
          JOIN isms.register g ON g.name = s.register
          CROSS JOIN LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}' END) k(key)
         WHERE s.org_id = o AND s.batch = b
           AND (k.key IN ('id', 'org_id', 'created_at', 'created_by', 'updated_at', 'updated_by')
                OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = g.relid AND a.attname = k.key
                             AND a.attgenerated <> ''))
        UNION ALL
        SELECT s.line, format('line %s: valid_from %s is in the future', s.line, s.valid_from)
          FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b AND s.valid_from > now()
        UNION ALL
        SELECT s.line, format('line %s: another version of %s %s starts at the same time (line %s)', s.line, s.register, s.ref, d.line)
          FROM isms.import_staging s
          JOIN isms.import_staging d ON d.org_id = s.org_id AND d.batch = s.batch AND d.register = s.register
                                    AND d.ref = s.ref AND d.valid_from = s.valid_from AND d.line < s.line
         WHERE s.org_id = o AND s.batch = b
        UNION ALL
        SELECT s.line, format('line %s: %s is not a state of the %s workflow', s.line, s.data->>'status', w.workflow)
          FROM isms.import_staging s
          JOIN isms.register g ON g.name = s.register AND g.has_workflow
          JOIN isms.workflow w ON w.relid = g.relid
         WHERE s.org_id = o AND s.batch = b AND jsonb_typeof(s.data) = 'object' AND s.data ? 'status'
           AND NOT EXISTS (SELECT 1 FROM isms.workflow_state ws WHERE ws.workflow = w.workflow AND ws.state = s.data->>'status')
        UNION ALL
        SELECT s.line, format('line %s: %s refers to %s, which is not a record of batch %s', s.line, k.key, k.value->>'ref', b)
          FROM isms.import_staging s
          CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}' END) k
         WHERE s.org_id = o AND s.batch = b AND jsonb_typeof(k.value) = 'object' AND k.value ? 'ref'
           AND NOT EXISTS (SELECT 1 FROM isms.import_staging t WHERE t.org_id = o AND t.batch = b
                             AND t.ref = k.value->>'ref' AND t.line < s.line)) x;
    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'cannot import batch % into organisation %: % bad rows; nothing was imported', b, o, cardinality(problems)
            USING ERRCODE = 'IS041',
                  DETAIL = array_to_string(problems, E'\n'),
                  HINT = 'Correct or delete the rows named in isms.import_staging (by line), then apply the batch again.';
    END IF;

    -- the records, in the order of their first line: a record refers only
    -- to records staged before it
    FOR r IN SELECT s.register, s.ref, min(s.line) AS first_line
               FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b
              GROUP BY s.register, s.ref ORDER BY min(s.line)
    LOOP
        SELECT g.relid, g.has_workflow, h.history_table INTO reg, wf, hist
          FROM isms.register g LEFT JOIN isms.history_config h ON h.relid = g.relid WHERE g.name = r.register;
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
          FROM pg_attribute a
         WHERE a.attrelid = reg AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attname <> 'id';
        -- each version's row: the earlier versions with its changes, the
        -- references to records of the batch resolved
        versions := '[]';
        full_row := '{}';
        mentioned := '{}';
        FOR v IN SELECT s.line, s.valid_from, s.data, coalesce(s.actor, imported_by) AS actor, s.reason,
                        lead(s.valid_from) OVER w AS valid_to, lead(coalesce(s.actor, imported_by)) OVER w AS next_actor
                   FROM isms.import_staging s
                  WHERE s.org_id = o AND s.batch = b AND s.register = r.register AND s.ref = r.ref
                 WINDOW w AS (ORDER BY s.valid_from)
                  ORDER BY s.valid_from
        LOOP
            SELECT full_row || coalesce(jsonb_object_agg(kv.key, CASE WHEN jsonb_typeof(kv.value) = 'object' AND kv.value ? 'ref'
                                                                      THEN ids->(kv.value->>'ref') ELSE kv.value END), '{}')
              INTO full_row
              FROM jsonb_each(v.data) kv;
            SELECT mentioned || coalesce(jsonb_object_agg(mk.key, NULL), '{}') INTO mentioned FROM jsonb_object_keys(v.data) mk(key);
            versions := versions || jsonb_build_array(jsonb_build_object(
                'line', v.line, 'valid_from', v.valid_from, 'valid_to', v.valid_to, 'actor', v.actor,
                'next_actor', v.next_actor, 'reason', v.reason, 'data', v.data,
                'row', full_row || jsonb_build_object('org_id', o, 'updated_at', v.valid_from, 'updated_by', v.actor)));
        END LOOP;
        nv := jsonb_array_length(versions);
        -- the current version: into the register, as it stands (the
        -- register's defaults for columns never given)
        full_row := (versions->(nv - 1)->'row')
                    || jsonb_build_object('created_at', versions->0->'valid_from', 'created_by', versions->0->'actor');
        line_no := (versions->(nv - 1)->>'line')::bigint;
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
          FROM pg_attribute a
         WHERE a.attrelid = reg AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attname <> 'id'
           AND full_row ? a.attname;
        BEGIN
            EXECUTE format('INSERT INTO %1$s (%2$s) SELECT %2$s FROM jsonb_populate_record(NULL::%1$s, $1) '
                           'RETURNING to_jsonb(%1$s.*)', reg, cols)
                INTO cur USING full_row;
        EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION 'cannot import batch %: line % (% %): %', b, line_no, r.register, r.ref, SQLERRM
                USING ERRCODE = 'IS041', HINT = 'Correct the row in isms.import_staging and apply the batch again; nothing was imported.';
        END;
        new_id := (cur->>'id')::bigint;
        -- the earlier versions: into the register history, the current row
        -- without what the staged versions set, with each version's values
        FOR vi IN 0 .. nv - 1 LOOP
            line_no := (versions->vi->>'line')::bigint;
            full_row := cur || (mentioned - 'status') || (versions->vi->'row');
            IF vi < nv - 1 THEN
                FOR gen IN SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) AS expr
                             FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                            WHERE a.attrelid = reg AND a.attgenerated = 's'
                LOOP
                    EXECUTE format('SELECT to_jsonb(%s) FROM jsonb_populate_record(NULL::%s, $1) AS x', gen.expr, reg)
                        INTO STRICT genval USING full_row;
                    full_row := full_row || jsonb_build_object(gen.attname, genval);
                END LOOP;
                BEGIN
                    EXECUTE format('INSERT INTO %1$s SELECT (jsonb_populate_record(NULL::%1$s, $1)).*', hist)
                        USING full_row || jsonb_build_object(
                            'valid', tstzrange((versions->vi->>'valid_from')::timestamptz, (versions->vi->>'valid_to')::timestamptz)::text,
                            'changed_by', versions->vi->'next_actor', 'change', 'UPDATE');
                EXCEPTION WHEN OTHERS THEN
                    RAISE EXCEPTION 'cannot import batch %: line % (% %): %', b, line_no, r.register, r.ref, SQLERRM
                        USING ERRCODE = 'IS041', HINT = 'Correct the row in isms.import_staging and apply the batch again; nothing was imported.';
                END;
                n_hist := n_hist + 1;
            END IF;
            -- a workflow record's moves: into the log, marked by the batch
            IF wf AND (vi = 0 OR full_row->>'status' IS DISTINCT FROM prev_row->>'status') THEN
                INSERT INTO isms.transition_log (org_id, record_table, record_id, cycle, from_state, to_state, actor, reason, at, xact_id)
                VALUES (o, reg, new_id, coalesce((full_row->>'cycle')::integer, 1),
                        CASE WHEN vi > 0 THEN prev_row->>'status' END, full_row->>'status', versions->vi->>'actor',
                        coalesce(versions->vi->>'reason', format('imported (batch %s)', b)),
                        (versions->vi->>'valid_from')::timestamptz, pg_current_xact_id())
                RETURNING log_id INTO lid;
                first_log := coalesce(first_log, lid);
                last_log := lid;
                n_log := n_log + 1;
            END IF;
            prev_row := full_row;
        END LOOP;
        ids := ids || jsonb_build_object(r.ref, new_id);
        n_records := n_records + 1;
    END LOOP;

    -- the digest of what was imported, and the seal of its log rows
    SELECT sha256(convert_to(jsonb_agg(jsonb_build_object('line', s.line, 'register', s.register, 'ref', s.ref,
                                                          'valid_from', s.valid_from, 'data', s.data,
                                                          'actor', s.actor, 'reason', s.reason) ORDER BY s.line)::text, 'UTF8'))
      INTO digest
      FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b;
    SELECT encode(sha256(convert_to(coalesce(string_agg(isms.transition_log_encoding(l), '' ORDER BY l.log_id), ''), 'UTF8')), 'hex')
      INTO log_sha
      FROM isms.transition_log l
     WHERE l.org_id = o AND l.xact_id = pg_current_xact_id() AND l.log_id BETWEEN first_log AND last_log;
    seq := isms.trail_append(o, 'isms.import_batch'::regclass, 0, 'import',
        jsonb_build_object('batch', b, 'imported_by', imported_by, 'login_role', session_user,
                           'staged_rows', n_rows, 'records', n_records, 'history_rows', n_hist, 'log_rows', n_log,
                           'sha256', encode(digest, 'hex'), 'xact_id', pg_current_xact_id()::text,
                           'batches', CASE WHEN n_log > 0 THEN jsonb_build_array(jsonb_build_array(first_log, last_log, n_log, log_sha))
                                           ELSE '[]'::jsonb END));
    INSERT INTO isms.import_batch (org_id, batch, imported_by, login_role, imported_at, staged_rows, records, history_rows,
                                   log_rows, first_log_id, last_log_id, xact_id, sha256, trail_seq)
    VALUES (o, b, imported_by, session_user, now(), n_rows, n_records, n_hist, n_log, first_log, last_log,
            pg_current_xact_id(), digest, seq)
    RETURNING * INTO result;
    DELETE FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b;
    RETURN result;
END
$$;
COMMENT ON FUNCTION isms.import_apply(bigint, text) IS
    'Imports a batch staged in isms.import_staging into an organisation you administer: every bad row is reported at once (IS041) and nothing is applied; else records keep their dates and states, earlier versions go to the register history, workflow moves to the transition log marked as imported, and the batch is recorded in isms.import_batch and the trail with its SHA-256';

CREATE FUNCTION isms.verify_imports(org_id bigint)
RETURNS TABLE (batch text, imported_by text, login_role text, imported_at timestamptz, records integer,
               log_rows integer, first_log_id bigint, last_log_id bigint, problem text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT x.batch, x.imported_by, x.login_role, x.imported_at, x.records, x.log_rows, x.first_log_id, x.last_log_id,
           CASE WHEN t.seq IS NULL THEN 'no trail entry records the import'
                WHEN t.payload->>'sha256' <> encode(x.sha256, 'hex') THEN 'the trail records another digest'
                WHEN x.log_rows > 0 AND c.n <> x.log_rows THEN format('the import wrote %s log rows, %s are there', x.log_rows, c.n)
                WHEN x.log_rows > 0 AND c.sha IS DISTINCT FROM t.payload->'batches'->0->>3 THEN 'imported log rows changed since the import'
           END
      FROM isms.import_batch x
      LEFT JOIN isms.trail t ON t.org_id = x.org_id AND t.seq = x.trail_seq AND t.action = 'import'
      LEFT JOIN LATERAL (
          SELECT count(*) AS n,
                 encode(sha256(convert_to(coalesce(string_agg(isms.transition_log_encoding(l), '' ORDER BY l.log_id), ''), 'UTF8')), 'hex') AS sha
            FROM isms.transition_log l
           WHERE l.org_id = x.org_id AND l.xact_id = x.xact_id AND l.log_id BETWEEN x.first_log_id AND x.last_log_id) c ON true
     WHERE x.org_id = $1
     ORDER BY x.imported_at, x.id
$$;
COMMENT ON FUNCTION isms.verify_imports(bigint) IS
    'Tells imported history from history the engine saw happen: each import of the organisation, who imported it and when, the transition log rows it wrote (first_log_id to last_log_id, in its transaction), and a problem when the trail entry or the imported rows no longer match; NULL problem: intact';

REVOKE ALL ON FUNCTION isms.import_org(), isms.import_apply(bigint, text),
    isms.verify_imports(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.import_org(), isms.import_apply(bigint, text) TO isms_admin;
GRANT EXECUTE ON FUNCTION isms.verify_imports(bigint) TO isms_reader;

-- Register history: a register stamped last by isms.stamp() is captured from
-- its old rows alone (no NEW transition table); enable_history() chooses, and
-- is run again for every register whose history is kept, so that existing
-- capture triggers are made as a fresh install makes them.
CREATE OR REPLACE FUNCTION isms.enable_history(register regclass,
                                    valid_from_column name DEFAULT 'updated_at')
    RETURNS regclass
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    nsp      name;
    rel      name;
    kind     "char";
    hist     regclass;
    histname name;
    col      record;
    builtin  boolean := false;
    stamped  boolean;
BEGIN
    SELECT n.nspname, c.relname, c.relkind INTO nsp, rel, kind
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = register;
    IF kind IS DISTINCT FROM 'r' THEN
        RAISE EXCEPTION 'cannot keep the history of %: it is not a plain table', register
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'History is kept for registers, which are plain tables.';
    END IF;
    IF (SELECT count(*) FROM pg_attribute
         WHERE attrelid = register AND attname IN ('org_id', 'id')
           AND atttypid = 'bigint'::regtype AND NOT attisdropped) <> 2 THEN
        RAISE EXCEPTION 'cannot keep the history of %: it has no bigint columns org_id and id', register
            USING ERRCODE = 'undefined_column',
                  HINT = 'A register is keyed by (org_id bigint, id bigint).';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute
                    WHERE attrelid = register AND attname = valid_from_column
                      AND atttypid = 'timestamptz'::regtype AND NOT attisdropped) THEN
        RAISE EXCEPTION 'cannot keep the history of %: it has no timestamptz column %', register, valid_from_column
            USING ERRCODE = 'undefined_column',
                  HINT = 'Name the column that holds when the row''s current version began, such as updated_at.';
    END IF;
    IF EXISTS (SELECT FROM pg_attribute
                WHERE attrelid = register AND attname IN ('valid', 'changed_by', 'change')
                  AND NOT attisdropped) THEN
        RAISE EXCEPTION 'cannot keep the history of %: it has a column named valid, changed_by or change', register
            USING ERRCODE = 'duplicate_column',
                  HINT = 'Those names are the history table''s own columns; rename the register''s column.';
    END IF;

    SELECT h.history_table INTO hist FROM isms.history_config h WHERE h.relid = register;
    IF hist IS NULL THEN
        histname := rel;
        IF to_regclass(format('isms_history.%I', histname)) IS NOT NULL THEN
            histname := nsp || '_' || rel;
        END IF;
        -- LIKE copies names, types and collations, no defaults, identity or
        -- generation; NOT NULL goes too, as history rows are inserted
        -- directly and a later ALTER of the register could make it wrong
        EXECUTE format('CREATE TABLE isms_history.%I (LIKE %s INCLUDING COMMENTS)', histname, register);
        hist := format('isms_history.%I', histname)::regclass;
        FOR col IN SELECT attname FROM pg_attribute
                    WHERE attrelid = hist AND attnum > 0 AND attnotnull AND NOT attisdropped
        LOOP
            EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP NOT NULL', hist, col.attname);
        END LOOP;
        EXECUTE format('ALTER TABLE %s ADD COLUMN valid tstzrange NOT NULL, '
                       'ADD COLUMN changed_by text NOT NULL, ADD COLUMN change text NOT NULL', hist);
        -- no index by default: as_of() scans history whole anyway, and an
        -- index would cost every captured row; capture maintains any index
        -- added later for per-record lookups
        EXECUTE format('COMMENT ON TABLE %s IS %L', hist,
                       format('Superseded versions of the rows of %s, each valid during valid; append-only', register));
        EXECUTE format('COMMENT ON COLUMN %s.valid IS %L', hist,
                       format('When this version was in force: [its %I, the next version''s %I or the deletion)', valid_from_column, valid_from_column));
        EXECUTE format('COMMENT ON COLUMN %s.changed_by IS %L', hist, 'Who superseded this version: isms.actor, else the current user');
        EXECUTE format('COMMENT ON COLUMN %s.change IS %L', hist, 'UPDATE or DELETE: the statement that superseded this version');
        EXECUTE format('CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION isms.append_only(''history'')', hist);
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER history_append_only', hist);
        EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC', hist);
        EXECUTE format('GRANT SELECT ON TABLE %s TO isms_admin, isms_editor, isms_auditor, isms_reader', hist);
        -- a register's history is as private as the register: members only
        IF EXISTS (SELECT 1 FROM pg_attribute
                    WHERE attrelid = register AND attname = 'org_id' AND NOT attisdropped) THEN
            EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', hist);
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', hist);
            EXECUTE format('CREATE POLICY member ON %s FOR SELECT '
                           'USING (org_id = ANY ((SELECT isms.member_orgs())::bigint[]))', hist);
        END IF;
        -- inside CREATE EXTENSION the table belongs to the extension: have
        -- pg_dump dump its rows
        BEGIN
            PERFORM pg_extension_config_dump(hist, '');
            builtin := true;
        EXCEPTION WHEN OTHERS THEN
            builtin := false;
        END;
        INSERT INTO isms.history_config (relid, history_table, valid_from_column, builtin)
        VALUES (register, hist, valid_from_column, builtin);
    ELSE
        PERFORM isms.history_sync_columns(register);
        UPDATE isms.history_config h SET valid_from_column = enable_history.valid_from_column
         WHERE h.relid = register;
    END IF;

    IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = register AND tgname = 'isms_history_update') THEN
        EXECUTE format('DROP TRIGGER isms_history_update ON %s', register);
    END IF;
    IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = register AND tgname = 'isms_history_delete') THEN
        EXECUTE format('DROP TRIGGER isms_history_delete ON %s', register);
    END IF;
    -- A register whose last BEFORE UPDATE row trigger is isms.stamp()
    -- begins every new version at the transaction's start, which is where
    -- the superseded one ends: capture then needs only the old rows, and
    -- PostgreSQL does not keep a second copy of every updated row for it.
    -- Otherwise the new rows say where each old version ends.  (Capture
    -- checks the triggers again at every UPDATE, so a trigger added later
    -- cannot make it wrong, only slower.)
    stamped := valid_from_column = 'updated_at' AND coalesce((
        SELECT t.tgfoid = 'isms.stamp()'::regprocedure AND t.tgattr = ''::int2vector AND t.tgqual IS NULL
          FROM pg_trigger t
         WHERE t.tgrelid = register AND NOT t.tgisinternal AND t.tgenabled <> 'D'
           AND t.tgtype & (1 | 2 | 16) = (1 | 2 | 16)   -- ROW, BEFORE, UPDATE
         ORDER BY t.tgname DESC LIMIT 1), false);
    EXECUTE format('CREATE TRIGGER isms_history_update AFTER UPDATE ON %s '
                   'REFERENCING OLD TABLE AS isms_old %s'
                   'FOR EACH STATEMENT EXECUTE FUNCTION isms.capture_history(%L, %L)',
                   register, CASE WHEN stamped THEN '' ELSE 'NEW TABLE AS isms_new ' END,
                   hist::text, valid_from_column);
    EXECUTE format('CREATE TRIGGER isms_history_delete AFTER DELETE ON %s '
                   'REFERENCING OLD TABLE AS isms_old '
                   'FOR EACH STATEMENT EXECUTE FUNCTION isms.capture_history(%L, %L)',
                   register, hist::text, valid_from_column);
    RETURN hist;
END
$$;
COMMENT ON FUNCTION isms.enable_history(regclass, name) IS
    'Keeps the history of a register: creates its history table isms_history.<name> and the capture triggers; run again after adding columns to the register';
REVOKE ALL ON FUNCTION isms.enable_history(regclass, name) FROM PUBLIC;

SET LOCAL client_min_messages = warning;
SELECT isms.enable_history(h.relid, h.valid_from_column) FROM isms.history_config h ORDER BY h.relid::text;
RESET client_min_messages;

-- == actor: who is acting, the trail only the engine writes as the engine, sealed table names ==

-- isms_app: trusted to assert the acting person (a pooled application's login)
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'isms_app') THEN
        CREATE ROLE isms_app NOLOGIN;
        COMMENT ON ROLE isms_app IS 'isms: trusted to assert the acting person (isms.actor, per transaction); grant it to a pooled application''s login, beside isms_editor or another role for its privileges';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION isms.current_actor() RETURNS text
    AS 'MODULE_PATHNAME', 'isms_actor_fn'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.current_actor() IS
    'The person acting: the setting isms.actor when a superuser or a member of isms_app set it (an isms_app member in the current transaction), else the role the session acts as (the login, or what it SET ROLE to; never a security definer); refuses an isms.actor set by any other role (IS080) or left from an earlier transaction (IS081)';
REVOKE ALL ON FUNCTION isms.current_actor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.current_actor() TO isms_reader;

CREATE OR REPLACE FUNCTION isms.current_login() RETURNS text
    AS 'MODULE_PATHNAME', 'isms_login_fn'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.current_login() IS
    'The login role: the role that authenticated the session (session_user), whatever SET ROLE or a security-definer function made the current user; recorded beside the acting person';
REVOKE ALL ON FUNCTION isms.current_login() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.current_login() TO isms_reader;

-- the trail: the login role and whether an entry is the engine's or appended
-- by hand; NULL in entries written before 0.2.0, whose hash stays as it was
ALTER TABLE isms.trail ADD COLUMN login_role text;
ALTER TABLE isms.trail ADD COLUMN source text CHECK (source IN ('engine', 'hand'));
ALTER TABLE isms.trail ADD CONSTRAINT trail_login_role_with_source CHECK ((login_role IS NULL) = (source IS NULL));
COMMENT ON COLUMN isms.trail.actor IS 'The person acting (isms.current_actor()): asserted by a trusted application login (isms_app), else the role the session acted as';
COMMENT ON COLUMN isms.trail.login_role IS 'The login role of the session that wrote the entry (session_user); NULL for an entry written before 0.2.0';
COMMENT ON COLUMN isms.trail.source IS 'engine: written by the engine (workflow seals, document control, evidence, reviews, sign-offs, imports); hand: appended with isms.trail_append(); NULL for an entry written before 0.2.0';

CREATE OR REPLACE FUNCTION isms.trail_append(org_id bigint, record_table regclass,
                                  record_id bigint, action text,
                                  payload jsonb DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'trail_append_sql'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION isms.trail_append(bigint, regclass, bigint, text, jsonb) IS
    'Appends an entry by hand (source hand, with the login role) to the organisation''s trail and returns its seq; holds the organisation''s trail lock until commit. A NULL payload is stored as {}. Refuses a NULL argument but the payload (22004), an organisation the caller is not a member of (42501), an action the engine writes (IS082) and a table that is not a register, workflow or document table of the ISMS (23503)';
REVOKE ALL ON FUNCTION isms.trail_append(bigint, regclass, bigint, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.trail_append(bigint, regclass, bigint, text, jsonb) TO isms_admin, isms_editor;

CREATE OR REPLACE FUNCTION isms.trail_append_engine(org_id bigint, record_table regclass,
                                         record_id bigint, action text,
                                         payload jsonb DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'trail_append_engine_sql'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION isms.trail_append_engine(bigint, regclass, bigint, text, jsonb) IS
    'Appends an engine entry (source engine, any action) to the organisation''s trail and returns its seq; granted to no role: called by the extension''s security-definer functions (isms.import_apply, isms.review_trail_entry, isms.signoff_trail_entry) after they check the fact they record';
REVOKE ALL ON FUNCTION isms.trail_append_engine(bigint, regclass, bigint, text, jsonb) FROM PUBLIC;

-- the transition log: the table's name as sealed at the move, and the login
-- role.  Rows logged before 0.2.0 get the name their seal used, the table's
-- name at their commit, which is its name now unless it was renamed since
-- (such a seal reported a change before, and still does); their login_role
-- stays NULL: not recorded before 0.2.0.
ALTER TABLE isms.transition_log ADD COLUMN record_table_name text;
ALTER TABLE isms.transition_log ADD COLUMN login_role text;
COMMENT ON COLUMN isms.transition_log.actor IS 'Who moved it (isms.current_actor()): the person a trusted application login (isms_app) asserted, else the role the session acted as';
COMMENT ON COLUMN isms.transition_log.record_table_name IS 'Qualified name of the workflow table at the time of the move, as sealed in the trail (a later rename or drop of the table changes nothing); the engine and imports always fill it';
COMMENT ON COLUMN isms.transition_log.login_role IS 'The login role of the session that made the move (session_user); NULL for a move logged before 0.2.0';
ALTER TABLE isms.transition_log DISABLE TRIGGER transition_log_append_only;
UPDATE isms.transition_log l
   SET record_table_name = pg_catalog.format('%I.%I', ns.nspname, c.relname)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace ns ON ns.oid OPERATOR(pg_catalog.=) c.relnamespace
 WHERE c.oid OPERATOR(pg_catalog.=) l.record_table::pg_catalog.oid;
ALTER TABLE isms.transition_log ENABLE ALWAYS TRIGGER transition_log_append_only;

CREATE OR REPLACE FUNCTION isms.transition_log_encoding(l isms.transition_log) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, isms, pg_temp AS $$
    SELECT string_agg(octet_length(f) || ':' || f || ',', '' ORDER BY n)
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

CREATE OR REPLACE FUNCTION isms.verify_transition_log(org bigint)
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
               encode(sha256(convert_to(coalesce(string_agg(isms.transition_log_encoding(l), '' ORDER BY l.log_id), ''), 'UTF8')), 'hex') AS sha_found
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

-- document control: the login role of authors and approvers; NULL for
-- versions and decisions recorded before 0.2.0 (the default is set after
-- the column is added, so existing rows are not given the upgrader's login)
ALTER TABLE isms.document_version ADD COLUMN author_login text;
ALTER TABLE isms.document_version ALTER COLUMN author_login SET DEFAULT isms.current_login();
ALTER TABLE isms.document_approval ADD COLUMN approver_login text;
ALTER TABLE isms.document_approval ALTER COLUMN approver_login SET DEFAULT isms.current_login();
COMMENT ON COLUMN isms.document_version.author_login IS 'The login role (session_user) through which the author created the version, set by document control; NULL for a version created before 0.2.0. A personal login that created a version cannot approve it';
COMMENT ON COLUMN isms.document_approval.approver_login IS 'The login role (session_user) through which the decision was recorded, set by document control; NULL for a decision recorded before 0.2.0';
COMMENT ON COLUMN isms.document_approval.approver IS 'Who decided: the person acting; never the version''s author, nor through the personal login that created it (segregation of duties)';

-- the independence of an effectiveness check also compares login roles
UPDATE isms.workflow_guard g SET description = n.description, check_sql = n.check_sql
  FROM (VALUES
 ('corrective_action_effective',
  'A corrective action closes only with a root cause and an effectiveness check by someone other than the implementer: the names recorded differ, so do the persons the log records moving it to implemented and to verified, and so do their login roles unless the login is a shared application login (isms_app) or a superuser',
  $g$SELECT CASE WHEN coalesce(btrim(($1).root_cause), '') = '' THEN 'no root cause is recorded'
               WHEN ($1).effectiveness_checked_by IS NULL OR ($1).effectiveness_checked_at IS NULL
                 THEN 'no effectiveness check is recorded'
               WHEN ($1).effectiveness_checked_by = ($1).implemented_by
                 THEN format('the effectiveness check was made by %s, who implemented the action', ($1).implemented_by)
               WHEN l.implementer = l.checker
                 THEN format('the log records %s both moving the action to implemented and recording its effectiveness check (to verified)', l.checker)
               WHEN l.implementer_login = l.checker_login
                    AND NOT coalesce((SELECT r.rolsuper OR pg_has_role(r.oid, 'isms_app', 'USAGE')
                                        FROM pg_roles r WHERE r.rolname = l.checker_login), false)
                 THEN format('the log records one personal login, %s, both moving the action to implemented (as %s) and recording its effectiveness check (as %s)',
                             l.checker_login, l.implementer, l.checker)
               WHEN ($1).effective IS NOT TRUE THEN 'the effectiveness check did not find the action effective' END
       FROM (SELECT i.actor AS implementer, i.login_role AS implementer_login,
                    c.actor AS checker, c.login_role AS checker_login
               FROM (SELECT 1) AS one
               LEFT JOIN LATERAL (SELECT t.actor, t.login_role FROM isms.transition_log t
                      WHERE t.org_id = ($1).org_id AND t.record_table = 'isms.corrective_action'::regclass
                        AND t.record_id = ($1).id AND t.to_state = 'implemented'
                      ORDER BY t.at DESC, t.log_id DESC LIMIT 1) AS i ON true
               LEFT JOIN LATERAL (SELECT t.actor, t.login_role FROM isms.transition_log t
                      WHERE t.org_id = ($1).org_id AND t.record_table = 'isms.corrective_action'::regclass
                        AND t.record_id = ($1).id AND t.to_state = 'verified'
                      ORDER BY t.at DESC, t.log_id DESC LIMIT 1) AS c ON true) l$g$)
  ) AS n(guard, description, check_sql)
 WHERE g.guard = n.guard;

-- reviews, sign-offs and imports append through the engine's entry point
CREATE OR REPLACE FUNCTION isms.review_trail_entry(tbl regclass, record_id bigint, note text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    org bigint;
    at constant timestamptz := pg_catalog.now();
BEGIN
    IF NOT EXISTS (SELECT 1 FROM isms.register r WHERE r.relid OPERATOR(pg_catalog.=) tbl AND r.reviewable) THEN
        RAISE EXCEPTION 'table % is not a register under periodic review', tbl
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'It is not listed in isms.register as reviewable.',
                  HINT = 'Record reviews with isms.mark_reviewed().';
    END IF;
    EXECUTE pg_catalog.format('SELECT t.org_id FROM %s t WHERE t.id OPERATOR(pg_catalog.=) $1 AND t.last_reviewed_at OPERATOR(pg_catalog.=) $2', tbl)
        INTO org USING record_id, at;
    IF org IS NULL OR EXISTS (
        SELECT 1 FROM isms.trail t
         WHERE t.org_id OPERATOR(pg_catalog.=) org AND t.record_table OPERATOR(pg_catalog.=) tbl::pg_catalog.text
           AND t.record_id OPERATOR(pg_catalog.=) review_trail_entry.record_id AND t.action OPERATOR(pg_catalog.=) 'review'
           AND (t.payload OPERATOR(pg_catalog.->>) 'reviewed_at')::pg_catalog.timestamptz OPERATOR(pg_catalog.=) at) THEN
        RAISE EXCEPTION 'no review of % % to record in the trail', tbl, record_id
            USING ERRCODE = 'IS082',
                  DETAIL = 'A review entry is the engine''s: it is written once, for a review made in the same transaction.',
                  HINT = 'Record reviews with isms.mark_reviewed().';
    END IF;
    RETURN isms.trail_append_engine(org, tbl, record_id, 'review',
                                    pg_catalog.jsonb_build_object('note', note, 'reviewed_at', at));
END $$;
COMMENT ON FUNCTION isms.review_trail_entry(regclass, bigint, text) IS
    'Appends the trail entry (action review) of a review this transaction made (last_reviewed_at = now(), no such entry yet), as the engine; called by isms.mark_reviewed(); refuses anything else (IS082)';
REVOKE ALL ON FUNCTION isms.review_trail_entry(regclass, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.review_trail_entry(regclass, bigint, text) TO isms_editor;

CREATE OR REPLACE FUNCTION isms.mark_reviewed(tbl regclass, record_id bigint, note text)
RETURNS timestamptz
LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp AS $$
DECLARE
    reg isms.register;
    org bigint;
    at timestamptz := now();
BEGIN
    SELECT * INTO reg FROM isms.register WHERE relid = tbl;
    IF NOT FOUND OR NOT reg.reviewable THEN
        RAISE EXCEPTION 'table % is not a register under periodic review', tbl
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN reg.relid IS NULL THEN 'It is not listed in isms.register.'
                                ELSE format('Register %s has no review interval.', reg.name) END,
                  HINT = 'SELECT relid FROM isms.register WHERE reviewable lists the registers that are reviewed.';
    END IF;
    IF coalesce(btrim(note), '') = '' THEN
        RAISE EXCEPTION 'a review of % % needs a note', reg.name, record_id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The note is empty.',
                  HINT = 'Say what the review concluded, for example "Still accurate; owner confirmed".';
    END IF;
    -- the row must be visible to the reviewer; RLS decides
    EXECUTE format('UPDATE %s SET last_reviewed_at = $1 WHERE id = $2 RETURNING org_id', tbl)
        INTO org USING at, record_id;
    IF org IS NULL THEN
        RAISE EXCEPTION '% % does not exist', reg.name, record_id
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('No row of %s with id %s is visible to you.', tbl, record_id),
                  HINT = 'Check the id and your organisation membership.';
    END IF;
    PERFORM isms.review_trail_entry(tbl, record_id, note);
    RETURN at;
END $$;
COMMENT ON FUNCTION isms.mark_reviewed(regclass, bigint, text) IS
    'Records a periodic review of a register row: sets last_reviewed_at, without a new version of the row, and appends the review with its note to the trail';
REVOKE ALL ON FUNCTION isms.mark_reviewed(regclass, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.mark_reviewed(regclass, bigint, text) TO isms_editor;

CREATE OR REPLACE FUNCTION isms.signoff_trail_entry(s isms.signoff) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    NEW isms.signoff;
BEGIN
    -- the action sign-off is the engine's: only for a sign-off stored in
    -- isms.signoff, from the stored row, and once
    SELECT * INTO NEW FROM isms.signoff x
     WHERE x.org_id OPERATOR(pg_catalog.=) s.org_id AND x.id OPERATOR(pg_catalog.=) s.id;
    IF NOT FOUND OR EXISTS (
        SELECT 1 FROM isms.trail t
         WHERE t.org_id OPERATOR(pg_catalog.=) NEW.org_id AND t.record_table OPERATOR(pg_catalog.=) 'isms.signoff'
           AND t.record_id OPERATOR(pg_catalog.=) NEW.id AND t.action OPERATOR(pg_catalog.=) 'sign-off') THEN
        RAISE EXCEPTION 'no sign-off % of organisation % to record in the trail', s.id, s.org_id
            USING ERRCODE = 'IS082',
                  DETAIL = 'A sign-off entry is the engine''s: it is written once, for a sign-off stored in isms.signoff.',
                  HINT = 'Sign with isms.sign_off().';
    END IF;
    RETURN isms.trail_append_engine(NEW.org_id, 'isms.signoff'::pg_catalog.regclass, NEW.id, 'sign-off',
        pg_catalog.jsonb_build_object('subject', NEW.subject, 'record_id', NEW.record_id, 'soa_version', NEW.soa_version,
                           'signer', NEW.signer, 'login_role', NEW.login_role, 'signer_role', NEW.signer_role,
                           'statement', NEW.statement, 'signed_at', NEW.signed_at,
                           'sha256', pg_catalog.encode(NEW.sha256, 'hex')));
END
$$;
COMMENT ON FUNCTION isms.signoff_trail_entry(isms.signoff) IS
    'Appends a sign-off to the evidence trail as the engine (action sign-off: subject, record, SoA version, signer, login role, role, statement, time, SHA-256), from the row stored in isms.signoff with the id and org_id of s, once; refuses a sign-off not stored or already recorded (IS082)';

CREATE OR REPLACE FUNCTION isms.import_apply(org_id bigint, batch text)
    RETURNS isms.import_batch
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    o constant bigint := org_id;
    b constant text := batch;
    problems text[] := '{}';
    r record;
    v record;
    reg regclass;
    hist regclass;
    wf boolean;
    cols text;
    gen record;
    full_row jsonb;
    prev_row jsonb;
    new_id bigint;
    ids jsonb := '{}';
    n_rows integer := 0;
    n_records integer := 0;
    n_hist integer := 0;
    n_log integer := 0;
    first_log bigint;
    last_log bigint;
    lid bigint;
    digest bytea;
    log_sha text;
    seq bigint;
    result isms.import_batch;
    line_no bigint;
    versions jsonb;
    mentioned jsonb;
    nv integer;
    vi integer;
    cur jsonb;
    genval jsonb;
    caller constant name := CASE WHEN current_setting('role') = 'none' THEN session_user
                                 ELSE current_setting('role')::name END;
    imported_by constant text := isms.current_actor();
BEGIN
    IF NOT pg_has_role(caller, 'isms_admin', 'USAGE') THEN
        RAISE EXCEPTION 'permission denied to import into organisation %', o
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('%s is not a member of isms_admin.', caller),
                  HINT = 'An import is an admin''s: ask a member of isms_admin.';
    END IF;
    IF o IS NULL OR NOT (o = ANY (isms.member_orgs(caller))) OR NOT EXISTS (SELECT 1 FROM isms.organization x WHERE x.org_id = o) THEN
        PERFORM isms.report_bad_argument('org_id', o::text,
            'no organisation with this id exists or is visible to you',
            'SELECT org_id, code, name FROM isms.organization lists the organisations you may see.');
    END IF;
    IF EXISTS (SELECT 1 FROM isms.import_batch x WHERE x.org_id = o AND x.batch = b) THEN
        RAISE EXCEPTION 'cannot import batch % into organisation %: it was imported already', b, o
            USING ERRCODE = 'IS040',
                  DETAIL = (SELECT format('Imported %s by %s.', x.imported_at, x.imported_by)
                              FROM isms.import_batch x WHERE x.org_id = o AND x.batch = b),
                  HINT = 'A batch is applied once: stage the new rows under another batch name.';
    END IF;
    SELECT count(*) INTO n_rows FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b;
    IF n_rows = 0 THEN
        RAISE EXCEPTION 'cannot import batch % into organisation %: no staged rows', b, o
            USING ERRCODE = 'IS040',
                  HINT = 'COPY the rows into isms.import_staging (org_id, batch, register, ref, valid_from, data) first.';
    END IF;

    -- every problem of every row, before anything is written
    SELECT array_agg(p ORDER BY l, p) INTO problems FROM (
        SELECT s.line AS l, format('line %s: unknown register %s', s.line, s.register) AS p
          FROM isms.import_staging s
         WHERE s.org_id = o AND s.batch = b AND NOT EXISTS (SELECT 1 FROM isms.register g WHERE g.name = s.register)
        UNION ALL
        SELECT s.line, format('line %s: data is not a JSON object', s.line)
          FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b AND jsonb_typeof(s.data) <> 'object'
        UNION ALL
        SELECT s.line, format('line %s: %s has no column %s', s.line, s.register, k.key)
          FROM isms.import_staging s
          JOIN isms.register g ON g.name = s.register
          CROSS JOIN LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}' END) k(key)
         WHERE s.org_id = o AND s.batch = b
           AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = g.relid AND a.attname = k.key
                             AND a.attnum > 0 AND NOT a.attisdropped)
        UNION ALL
        SELECT s.line, format('line %s: column %s is set by the import (the record''s id, organisation, audit columns or a computed column)', s.line, k.key)
          FROM isms.import_staging s
          JOIN isms.register g ON g.name = s.register
          CROSS JOIN LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}' END) k(key)
         WHERE s.org_id = o AND s.batch = b
           AND (k.key IN ('id', 'org_id', 'created_at', 'created_by', 'updated_at', 'updated_by')
                OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = g.relid AND a.attname = k.key
                             AND a.attgenerated <> ''))
        UNION ALL
        SELECT s.line, format('line %s: valid_from %s is in the future', s.line, s.valid_from)
          FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b AND s.valid_from > now()
        UNION ALL
        SELECT s.line, format('line %s: another version of %s %s starts at the same time (line %s)', s.line, s.register, s.ref, d.line)
          FROM isms.import_staging s
          JOIN isms.import_staging d ON d.org_id = s.org_id AND d.batch = s.batch AND d.register = s.register
                                    AND d.ref = s.ref AND d.valid_from = s.valid_from AND d.line < s.line
         WHERE s.org_id = o AND s.batch = b
        UNION ALL
        SELECT s.line, format('line %s: %s is not a state of the %s workflow', s.line, s.data->>'status', w.workflow)
          FROM isms.import_staging s
          JOIN isms.register g ON g.name = s.register AND g.has_workflow
          JOIN isms.workflow w ON w.relid = g.relid
         WHERE s.org_id = o AND s.batch = b AND jsonb_typeof(s.data) = 'object' AND s.data ? 'status'
           AND NOT EXISTS (SELECT 1 FROM isms.workflow_state ws WHERE ws.workflow = w.workflow AND ws.state = s.data->>'status')
        UNION ALL
        SELECT s.line, format('line %s: %s refers to %s, which is not a record of batch %s', s.line, k.key, k.value->>'ref', b)
          FROM isms.import_staging s
          CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}' END) k
         WHERE s.org_id = o AND s.batch = b AND jsonb_typeof(k.value) = 'object' AND k.value ? 'ref'
           AND NOT EXISTS (SELECT 1 FROM isms.import_staging t WHERE t.org_id = o AND t.batch = b
                             AND t.ref = k.value->>'ref' AND t.line < s.line)) x;
    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'cannot import batch % into organisation %: % bad rows; nothing was imported', b, o, cardinality(problems)
            USING ERRCODE = 'IS041',
                  DETAIL = array_to_string(problems, E'\n'),
                  HINT = 'Correct or delete the rows named in isms.import_staging (by line), then apply the batch again.';
    END IF;

    -- the records, in the order of their first line: a record refers only
    -- to records staged before it
    FOR r IN SELECT s.register, s.ref, min(s.line) AS first_line
               FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b
              GROUP BY s.register, s.ref ORDER BY min(s.line)
    LOOP
        SELECT g.relid, g.has_workflow, h.history_table INTO reg, wf, hist
          FROM isms.register g LEFT JOIN isms.history_config h ON h.relid = g.relid WHERE g.name = r.register;
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
          FROM pg_attribute a
         WHERE a.attrelid = reg AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attname <> 'id';
        -- each version's row: the earlier versions with its changes, the
        -- references to records of the batch resolved
        versions := '[]';
        full_row := '{}';
        mentioned := '{}';
        FOR v IN SELECT s.line, s.valid_from, s.data, coalesce(s.actor, imported_by) AS actor, s.reason,
                        lead(s.valid_from) OVER w AS valid_to, lead(coalesce(s.actor, imported_by)) OVER w AS next_actor
                   FROM isms.import_staging s
                  WHERE s.org_id = o AND s.batch = b AND s.register = r.register AND s.ref = r.ref
                 WINDOW w AS (ORDER BY s.valid_from)
                  ORDER BY s.valid_from
        LOOP
            SELECT full_row || coalesce(jsonb_object_agg(kv.key, CASE WHEN jsonb_typeof(kv.value) = 'object' AND kv.value ? 'ref'
                                                                      THEN ids->(kv.value->>'ref') ELSE kv.value END), '{}')
              INTO full_row
              FROM jsonb_each(v.data) kv;
            SELECT mentioned || coalesce(jsonb_object_agg(mk.key, NULL), '{}') INTO mentioned FROM jsonb_object_keys(v.data) mk(key);
            versions := versions || jsonb_build_array(jsonb_build_object(
                'line', v.line, 'valid_from', v.valid_from, 'valid_to', v.valid_to, 'actor', v.actor,
                'next_actor', v.next_actor, 'reason', v.reason, 'data', v.data,
                'row', full_row || jsonb_build_object('org_id', o, 'updated_at', v.valid_from, 'updated_by', v.actor)));
        END LOOP;
        nv := jsonb_array_length(versions);
        -- the current version: into the register, as it stands (the
        -- register's defaults for columns never given)
        full_row := (versions->(nv - 1)->'row')
                    || jsonb_build_object('created_at', versions->0->'valid_from', 'created_by', versions->0->'actor');
        line_no := (versions->(nv - 1)->>'line')::bigint;
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
          FROM pg_attribute a
         WHERE a.attrelid = reg AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attname <> 'id'
           AND full_row ? a.attname;
        BEGIN
            EXECUTE format('INSERT INTO %1$s (%2$s) SELECT %2$s FROM jsonb_populate_record(NULL::%1$s, $1) '
                           'RETURNING to_jsonb(%1$s.*)', reg, cols)
                INTO cur USING full_row;
        EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION 'cannot import batch %: line % (% %): %', b, line_no, r.register, r.ref, SQLERRM
                USING ERRCODE = 'IS041', HINT = 'Correct the row in isms.import_staging and apply the batch again; nothing was imported.';
        END;
        new_id := (cur->>'id')::bigint;
        -- the earlier versions: into the register history, the current row
        -- without what the staged versions set, with each version's values
        FOR vi IN 0 .. nv - 1 LOOP
            line_no := (versions->vi->>'line')::bigint;
            full_row := cur || (mentioned - 'status') || (versions->vi->'row');
            IF vi < nv - 1 THEN
                FOR gen IN SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) AS expr
                             FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                            WHERE a.attrelid = reg AND a.attgenerated = 's'
                LOOP
                    EXECUTE format('SELECT to_jsonb(%s) FROM jsonb_populate_record(NULL::%s, $1) AS x', gen.expr, reg)
                        INTO STRICT genval USING full_row;
                    full_row := full_row || jsonb_build_object(gen.attname, genval);
                END LOOP;
                BEGIN
                    EXECUTE format('INSERT INTO %1$s SELECT (jsonb_populate_record(NULL::%1$s, $1)).*', hist)
                        USING full_row || jsonb_build_object(
                            'valid', tstzrange((versions->vi->>'valid_from')::timestamptz, (versions->vi->>'valid_to')::timestamptz)::text,
                            'changed_by', versions->vi->'next_actor', 'change', 'UPDATE');
                EXCEPTION WHEN OTHERS THEN
                    RAISE EXCEPTION 'cannot import batch %: line % (% %): %', b, line_no, r.register, r.ref, SQLERRM
                        USING ERRCODE = 'IS041', HINT = 'Correct the row in isms.import_staging and apply the batch again; nothing was imported.';
                END;
                n_hist := n_hist + 1;
            END IF;
            -- a workflow record's moves: into the log, marked by the batch
            IF wf AND (vi = 0 OR full_row->>'status' IS DISTINCT FROM prev_row->>'status') THEN
                INSERT INTO isms.transition_log (org_id, record_table, record_id, cycle, from_state, to_state, actor, reason, at, xact_id,
                                                 record_table_name, login_role)
                VALUES (o, reg, new_id, coalesce((full_row->>'cycle')::integer, 1),
                        CASE WHEN vi > 0 THEN prev_row->>'status' END, full_row->>'status', versions->vi->>'actor',
                        coalesce(versions->vi->>'reason', format('imported (batch %s)', b)),
                        (versions->vi->>'valid_from')::timestamptz, pg_current_xact_id(),
                        (SELECT format('%I.%I', ns.nspname, c.relname) FROM pg_class c
                           JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE c.oid = reg),
                        session_user)
                RETURNING log_id INTO lid;
                first_log := coalesce(first_log, lid);
                last_log := lid;
                n_log := n_log + 1;
            END IF;
            prev_row := full_row;
        END LOOP;
        ids := ids || jsonb_build_object(r.ref, new_id);
        n_records := n_records + 1;
    END LOOP;

    -- the digest of what was imported, and the seal of its log rows
    SELECT sha256(convert_to(jsonb_agg(jsonb_build_object('line', s.line, 'register', s.register, 'ref', s.ref,
                                                          'valid_from', s.valid_from, 'data', s.data,
                                                          'actor', s.actor, 'reason', s.reason) ORDER BY s.line)::text, 'UTF8'))
      INTO digest
      FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b;
    SELECT encode(sha256(convert_to(coalesce(string_agg(isms.transition_log_encoding(l), '' ORDER BY l.log_id), ''), 'UTF8')), 'hex')
      INTO log_sha
      FROM isms.transition_log l
     WHERE l.org_id = o AND l.xact_id = pg_current_xact_id() AND l.log_id BETWEEN first_log AND last_log;
    seq := isms.trail_append_engine(o, 'isms.import_batch'::regclass, 0, 'import',
        jsonb_build_object('batch', b, 'imported_by', imported_by, 'login_role', session_user,
                           'staged_rows', n_rows, 'records', n_records, 'history_rows', n_hist, 'log_rows', n_log,
                           'sha256', encode(digest, 'hex'), 'xact_id', pg_current_xact_id()::text,
                           'batches', CASE WHEN n_log > 0 THEN jsonb_build_array(jsonb_build_array(first_log, last_log, n_log, log_sha))
                                           ELSE '[]'::jsonb END));
    INSERT INTO isms.import_batch (org_id, batch, imported_by, login_role, imported_at, staged_rows, records, history_rows,
                                   log_rows, first_log_id, last_log_id, xact_id, sha256, trail_seq)
    VALUES (o, b, imported_by, session_user, now(), n_rows, n_records, n_hist, n_log, first_log, last_log,
            pg_current_xact_id(), digest, seq)
    RETURNING * INTO result;
    DELETE FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b;
    RETURN result;
END
$$;
COMMENT ON FUNCTION isms.import_apply(bigint, text) IS
    'Imports a batch staged in isms.import_staging into an organisation you administer: every bad row is reported at once (IS041) and nothing is applied; else records keep their dates and states, earlier versions go to the register history, workflow moves to the transition log marked as imported, and the batch is recorded in isms.import_batch and the trail with its SHA-256';


-- the history tables of document control take the new columns' comments
COMMENT ON COLUMN isms_history.document_version.author_login IS 'The login role (session_user) through which the author created the version, set by document control; NULL for a version created before 0.2.0. A personal login that created a version cannot approve it';
COMMENT ON COLUMN isms_history.document_approval.approver_login IS 'The login role (session_user) through which the decision was recorded, set by document control; NULL for a decision recorded before 0.2.0';
COMMENT ON COLUMN isms_history.document_approval.approver IS 'Who decided: the person acting; never the version''s author, nor through the personal login that created it (segregation of duties)';
-- == history: validity from the clock of the write, UTF-8 hashing, verification as committed ==
-- isms.stamp(), isms.capture_history() and the document trigger are C: the
-- library carries them.  Changed SQL:
CREATE OR REPLACE FUNCTION isms.enable_history(register regclass,
                                    valid_from_column name DEFAULT 'updated_at')
    RETURNS regclass
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    nsp      name;
    rel      name;
    kind     "char";
    hist     regclass;
    histname name;
    col      record;
    builtin  boolean := false;
    stamped  boolean;
BEGIN
    SELECT n.nspname, c.relname, c.relkind INTO nsp, rel, kind
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = register;
    IF kind IS DISTINCT FROM 'r' THEN
        RAISE EXCEPTION 'cannot keep the history of %: it is not a plain table', register
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'History is kept for registers, which are plain tables.';
    END IF;
    IF (SELECT count(*) FROM pg_attribute
         WHERE attrelid = register AND attname IN ('org_id', 'id')
           AND atttypid = 'bigint'::regtype AND NOT attisdropped) <> 2 THEN
        RAISE EXCEPTION 'cannot keep the history of %: it has no bigint columns org_id and id', register
            USING ERRCODE = 'undefined_column',
                  HINT = 'A register is keyed by (org_id bigint, id bigint).';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute
                    WHERE attrelid = register AND attname = valid_from_column
                      AND atttypid = 'timestamptz'::regtype AND NOT attisdropped) THEN
        RAISE EXCEPTION 'cannot keep the history of %: it has no timestamptz column %', register, valid_from_column
            USING ERRCODE = 'undefined_column',
                  HINT = 'Name the column that holds when the row''s current version began, such as updated_at.';
    END IF;
    IF EXISTS (SELECT FROM pg_attribute
                WHERE attrelid = register AND attname IN ('valid', 'changed_by', 'change')
                  AND NOT attisdropped) THEN
        RAISE EXCEPTION 'cannot keep the history of %: it has a column named valid, changed_by or change', register
            USING ERRCODE = 'duplicate_column',
                  HINT = 'Those names are the history table''s own columns; rename the register''s column.';
    END IF;

    SELECT h.history_table INTO hist FROM isms.history_config h WHERE h.relid = register;
    IF hist IS NULL THEN
        histname := rel;
        IF to_regclass(format('isms_history.%I', histname)) IS NOT NULL THEN
            histname := nsp || '_' || rel;
        END IF;
        -- LIKE copies names, types and collations, no defaults, identity or
        -- generation; NOT NULL goes too, as history rows are inserted
        -- directly and a later ALTER of the register could make it wrong
        EXECUTE format('CREATE TABLE isms_history.%I (LIKE %s INCLUDING COMMENTS)', histname, register);
        hist := format('isms_history.%I', histname)::regclass;
        FOR col IN SELECT attname FROM pg_attribute
                    WHERE attrelid = hist AND attnum > 0 AND attnotnull AND NOT attisdropped
        LOOP
            EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP NOT NULL', hist, col.attname);
        END LOOP;
        EXECUTE format('ALTER TABLE %s ADD COLUMN valid tstzrange NOT NULL, '
                       'ADD COLUMN changed_by text NOT NULL, ADD COLUMN change text NOT NULL', hist);
        -- no index by default: as_of() scans history whole anyway, and an
        -- index would cost every captured row; capture maintains any index
        -- added later for per-record lookups
        EXECUTE format('COMMENT ON TABLE %s IS %L', hist,
                       format('Superseded versions of the rows of %s, each valid during valid; append-only', register));
        EXECUTE format('COMMENT ON COLUMN %s.valid IS %L', hist,
                       format('When this version was in force: [its %I, the next version''s %I or the deletion)', valid_from_column, valid_from_column));
        EXECUTE format('COMMENT ON COLUMN %s.changed_by IS %L', hist, 'Who superseded this version: isms.actor, else the current user');
        EXECUTE format('COMMENT ON COLUMN %s.change IS %L', hist, 'UPDATE or DELETE: the statement that superseded this version');
        EXECUTE format('CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION isms.append_only(''history'')', hist);
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER history_append_only', hist);
        EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC', hist);
        EXECUTE format('GRANT SELECT ON TABLE %s TO isms_admin, isms_editor, isms_auditor, isms_reader', hist);
        -- a register's history is as private as the register: members only
        IF EXISTS (SELECT 1 FROM pg_attribute
                    WHERE attrelid = register AND attname = 'org_id' AND NOT attisdropped) THEN
            EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', hist);
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', hist);
            EXECUTE format('CREATE POLICY member ON %s FOR SELECT '
                           'USING (org_id = ANY ((SELECT isms.member_orgs())::bigint[]))', hist);
        END IF;
        -- inside CREATE EXTENSION the table belongs to the extension: have
        -- pg_dump dump its rows
        BEGIN
            PERFORM pg_extension_config_dump(hist, '');
            builtin := true;
        EXCEPTION WHEN OTHERS THEN
            builtin := false;
        END;
        INSERT INTO isms.history_config (relid, history_table, valid_from_column, builtin)
        VALUES (register, hist, valid_from_column, builtin);
    ELSE
        PERFORM isms.history_sync_columns(register);
        UPDATE isms.history_config h SET valid_from_column = enable_history.valid_from_column
         WHERE h.relid = register;
    END IF;

    IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = register AND tgname = 'isms_history_update') THEN
        EXECUTE format('DROP TRIGGER isms_history_update ON %s', register);
    END IF;
    IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = register AND tgname = 'isms_history_delete') THEN
        EXECUTE format('DROP TRIGGER isms_history_delete ON %s', register);
    END IF;
    -- A register whose last BEFORE UPDATE row trigger is isms.stamp()
    -- hands capture the start of every new version it stamps (the clock
    -- after the row lock), which is where the superseded one ends: capture
    -- then needs only the old rows, and PostgreSQL does not keep a second
    -- copy of every updated row for it.  Otherwise the new rows say where
    -- each old version ends.  (Capture checks the triggers again at every
    -- UPDATE and each handed start against its row, so a trigger added
    -- later cannot make it wrong, only slower.)
    stamped := valid_from_column = 'updated_at' AND coalesce((
        SELECT t.tgfoid = 'isms.stamp()'::regprocedure AND t.tgattr = ''::int2vector AND t.tgqual IS NULL
          FROM pg_trigger t
         WHERE t.tgrelid = register AND NOT t.tgisinternal AND t.tgenabled <> 'D'
           AND t.tgtype & (1 | 2 | 16) = (1 | 2 | 16)   -- ROW, BEFORE, UPDATE
         ORDER BY t.tgname DESC LIMIT 1), false);
    EXECUTE format('CREATE TRIGGER isms_history_update AFTER UPDATE ON %s '
                   'REFERENCING OLD TABLE AS isms_old %s'
                   'FOR EACH STATEMENT EXECUTE FUNCTION isms.capture_history(%L, %L)',
                   register, CASE WHEN stamped THEN '' ELSE 'NEW TABLE AS isms_new ' END,
                   hist::text, valid_from_column);
    EXECUTE format('CREATE TRIGGER isms_history_delete AFTER DELETE ON %s '
                   'REFERENCING OLD TABLE AS isms_old '
                   'FOR EACH STATEMENT EXECUTE FUNCTION isms.capture_history(%L, %L)',
                   register, hist::text, valid_from_column);
    RETURN hist;
END
$$;
COMMENT ON FUNCTION isms.enable_history(regclass, name) IS
    'Keeps the history of a register: creates its history table isms_history.<name> and the capture triggers; run again after adding columns to the register';
REVOKE ALL ON FUNCTION isms.enable_history(regclass, name) FROM PUBLIC;

CREATE OR REPLACE FUNCTION isms.transition_log_encoding(l isms.transition_log) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, isms, pg_temp AS $$
    SELECT string_agg(octet_length(convert_to(f, 'UTF8')) || ':' || f || ',', '' ORDER BY n)
      FROM unnest(ARRAY[
               l.log_id::text,
               (SELECT format('%I.%I', ns.nspname, c.relname) FROM pg_class c
                  JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE c.oid = l.record_table),
               l.record_id::text, l.cycle::text,
               coalesce(l.from_state, ''), l.to_state, l.actor, coalesce(l.reason, ''),
               to_char(l.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')])
           WITH ORDINALITY AS u(f, n)
$$;
COMMENT ON FUNCTION isms.transition_log_encoding(isms.transition_log) IS
    'Canonical encoding of a transition log row, as sealed in the trail: netstrings of log_id, table, record_id, cycle, from_state, to_state, actor, reason and time (UTC)';
REVOKE ALL ON FUNCTION isms.transition_log_encoding(isms.transition_log) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.transition_log_encoding(isms.transition_log) TO isms_reader;

ALTER FUNCTION isms.verify_trail(bigint) VOLATILE PARALLEL UNSAFE;
ALTER FUNCTION isms.verify_trail(bigint, bigint, text) VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION isms.verify_trail(bigint) IS
    'Recomputes the organisation''s hash chain, as committed when it runs (a fresh snapshot, whatever the isolation level) with this transaction''s own changes, and returns its first broken link (missing, altered or reordered entry), or no row when intact; refuses non-members (42501)';
-- == attach: records stay attached to their log ==
-- A record that has moved is not deleted: the moves of a record are found
-- through this index.  Creation is logged once the row is inserted (not for
-- a row ON CONFLICT skipped), and the engine's triggers are reinstalled on
-- every workflow table: creation logging and the DELETE refusal.  The
-- checks of isms.stamp() (no renumbering, no move across organisations, no
-- id chosen by a member) and of isms.workflow_enforce() (a same-state
-- UPDATE, PREPARE TRANSACTION) are in the library.
CREATE INDEX transition_log_record ON isms.transition_log (record_table, record_id)
    WHERE from_state IS NOT NULL;

CREATE OR REPLACE FUNCTION isms.workflow_log_created() RETURNS trigger
    AS 'MODULE_PATHNAME', 'workflow_log_created' LANGUAGE C;
COMMENT ON FUNCTION isms.workflow_log_created() IS
    'Row trigger logging the creation of a workflow record once it is really inserted (not a row an ON CONFLICT clause skipped)';
REVOKE ALL ON FUNCTION isms.workflow_log_created() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.workflow_log_created() TO isms_reader;

CREATE OR REPLACE FUNCTION isms.workflow_refuse_delete() RETURNS trigger
    AS 'MODULE_PATHNAME', 'workflow_refuse_delete' LANGUAGE C;
COMMENT ON FUNCTION isms.workflow_refuse_delete() IS
    'Row trigger refusing (IS090) the DELETE of a workflow record in a final state or with moves in the transition log; a record that never moved may be deleted';
REVOKE ALL ON FUNCTION isms.workflow_refuse_delete() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.workflow_refuse_delete() TO isms_reader;

CREATE OR REPLACE FUNCTION isms.attach_workflow(tbl regclass, workflow_name text) RETURNS void
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

SELECT isms.attach_workflow(w.relid, w.workflow)
  FROM isms.workflow w
 WHERE w.relid IS NOT NULL
 ORDER BY w.workflow;

-- == suppliers: supplier registers (A.5.19-A.5.22), readiness check 13, the audit pack ==

-- Supplier relationships (Annex A 5.19-5.23): suppliers with the services
-- and information they handle, their contracts with the security
-- requirements agreed (A.5.20, A.5.21), the monitoring and review of their
-- service (A.5.22), and the risks and SoA controls they bear on.
--
-- Five registers, listed in isms.register at the end of this file, so that
-- src/security.sql (row-level security, grants, the stamp trigger),
-- src/evidence_access.sql (history) and src/metrics.sql (staleness) treat
-- them like every other register.  A supplier is reviewed periodically
-- (yearly by default); a retired supplier is out of force and needs no
-- review.  Gaps an auditor would raise (a critical supplier without a
-- contract stating security requirements, an overdue assessment) are
-- flagged by the reports (isms_report.suppliers, readiness check 13), not
-- refused: the register must be able to record the gap.

CREATE TABLE isms.supplier (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CONSTRAINT supplier_name_given CHECK (btrim(name) <> ''),
    services    text NOT NULL CONSTRAINT supplier_services_given CHECK (btrim(services) <> ''),
    information text,
    classification text NOT NULL DEFAULT 'internal'
                CONSTRAINT supplier_classification_values
                CHECK (classification IN ('public', 'internal', 'confidential', 'restricted')),
    criticality text NOT NULL
                CONSTRAINT supplier_criticality_values
                CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    status      text NOT NULL DEFAULT 'active'
                CONSTRAINT supplier_status_values
                CHECK (status IN ('proposed', 'active', 'exiting', 'retired')),
    contact     text,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT supplier_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT supplier_name_unique UNIQUE (org_id, name)
);
COMMENT ON TABLE isms.supplier IS
    'Annex A 5.19: suppliers of products and services, with the services they provide, the information they handle, its classification and the supplier''s criticality; reviewed periodically (A.5.22)';
COMMENT ON COLUMN isms.supplier.name IS 'Name of the supplier, unique in the organisation';
COMMENT ON COLUMN isms.supplier.services IS 'Products or services the supplier provides';
COMMENT ON COLUMN isms.supplier.information IS 'Information the supplier accesses, processes, stores or transmits (A.5.19, A.5.20)';
COMMENT ON COLUMN isms.supplier.classification IS 'Highest classification (A.5.12) of the information the supplier handles: public, internal, confidential or restricted';
COMMENT ON COLUMN isms.supplier.criticality IS 'How much the organisation depends on the supplier: low, medium, high or critical; a critical supplier needs a contract in force stating security requirements and assessments on time (readiness check 13)';
COMMENT ON COLUMN isms.supplier.status IS 'proposed (being selected), active, exiting (relationship ending, A.5.19 exit) or retired (no longer used: out of review); retiring needs every contract ended (IS130)';
COMMENT ON COLUMN isms.supplier.contact IS 'Contact at the supplier for security matters';

CREATE TABLE isms.supplier_contract (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    supplier_id bigint NOT NULL,
    title       text NOT NULL CONSTRAINT supplier_contract_title_given CHECK (btrim(title) <> ''),
    reference   text,
    starts_on   date NOT NULL,
    ends_on     date,
    security_requirements text,
    supply_chain_requirements text,
    right_to_audit boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, supplier_id) REFERENCES isms.supplier (org_id, id),
    CONSTRAINT supplier_contract_dates_in_order CHECK (ends_on >= starts_on),
    CONSTRAINT supplier_contract_security_requirements_meaningful
        CHECK (security_requirements IS NULL OR isms.is_meaningful(security_requirements, 10)),
    CONSTRAINT supplier_contract_supply_chain_requirements_meaningful
        CHECK (supply_chain_requirements IS NULL OR isms.is_meaningful(supply_chain_requirements, 10))
);
CREATE INDEX supplier_contract_supplier_idx ON isms.supplier_contract (org_id, supplier_id);
COMMENT ON TABLE isms.supplier_contract IS
    'Annex A 5.20: agreements with suppliers and the information security requirements they state (A.5.21 for the ICT supply chain); in force from starts_on to ends_on';
COMMENT ON COLUMN isms.supplier_contract.supplier_id IS 'Supplier the agreement is with';
COMMENT ON COLUMN isms.supplier_contract.title IS 'Name of the agreement, such as Master services agreement';
COMMENT ON COLUMN isms.supplier_contract.reference IS 'Contract number or where the signed agreement is kept';
COMMENT ON COLUMN isms.supplier_contract.starts_on IS 'First day the agreement is in force';
COMMENT ON COLUMN isms.supplier_contract.ends_on IS 'Last day the agreement is in force, not before starts_on; NULL while open-ended';
COMMENT ON COLUMN isms.supplier_contract.security_requirements IS 'Information security requirements the agreement states (A.5.20): confidentiality, access, incident notification, return of information; NULL when it states none; at least 10 characters, not a placeholder';
COMMENT ON COLUMN isms.supplier_contract.supply_chain_requirements IS 'Requirements passed down the ICT supply chain (A.5.21); at least 10 characters, not a placeholder';
COMMENT ON COLUMN isms.supplier_contract.right_to_audit IS 'True when the agreement grants the organisation the right to audit the supplier';

CREATE TABLE isms.supplier_assessment (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    supplier_id bigint NOT NULL,
    title       text NOT NULL CONSTRAINT supplier_assessment_title_given CHECK (btrim(title) <> ''),
    method      text NOT NULL DEFAULT 'questionnaire'
                CONSTRAINT supplier_assessment_method_values
                CHECK (method IN ('questionnaire', 'audit', 'certification_review', 'service_review')),
    due_on      date NOT NULL,
    performed_on date,
    assessor    text,
    result      text CONSTRAINT supplier_assessment_result_values
                CHECK (result IN ('satisfactory', 'minor_issues', 'major_issues', 'unsatisfactory')),
    findings    text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, supplier_id) REFERENCES isms.supplier (org_id, id),
    CONSTRAINT supplier_assessment_result_when_performed
        CHECK ((result IS NULL) = (performed_on IS NULL)),
    CONSTRAINT supplier_assessment_assessor_when_performed
        CHECK (performed_on IS NULL OR coalesce(btrim(assessor), '') <> ''),
    CONSTRAINT supplier_assessment_performed_not_in_future
        CHECK (performed_on <= current_date),
    CONSTRAINT supplier_assessment_findings_of_issues
        CHECK (result NOT IN ('minor_issues', 'major_issues', 'unsatisfactory') OR isms.is_meaningful(findings, 10))
);
CREATE INDEX supplier_assessment_supplier_idx ON isms.supplier_assessment (org_id, supplier_id, due_on);
COMMENT ON TABLE isms.supplier_assessment IS
    'Annex A 5.22: monitoring, review and evaluation of a supplier''s security practices and service delivery: due, performed, by whom, with what result and findings';
COMMENT ON COLUMN isms.supplier_assessment.supplier_id IS 'Supplier assessed';
COMMENT ON COLUMN isms.supplier_assessment.title IS 'Name of the assessment, such as 2026 annual review';
COMMENT ON COLUMN isms.supplier_assessment.method IS 'questionnaire, audit, certification_review (a certificate or report such as ISO/IEC 27001 or SOC 2 examined) or service_review';
COMMENT ON COLUMN isms.supplier_assessment.due_on IS 'Date by which the assessment is to be performed; overdue while not performed after it';
COMMENT ON COLUMN isms.supplier_assessment.performed_on IS 'Date performed, not in the future; with result and assessor';
COMMENT ON COLUMN isms.supplier_assessment.assessor IS 'Who performed the assessment; required once performed';
COMMENT ON COLUMN isms.supplier_assessment.result IS 'satisfactory, minor_issues, major_issues or unsatisfactory; only once performed, and then required';
COMMENT ON COLUMN isms.supplier_assessment.findings IS 'What the assessment found; required (at least 10 characters) unless the result is satisfactory';

CREATE TABLE isms.supplier_risk (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    supplier_id bigint NOT NULL,
    risk_id     bigint NOT NULL,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, supplier_id) REFERENCES isms.supplier (org_id, id),
    FOREIGN KEY (org_id, risk_id) REFERENCES isms.risk (org_id, id),
    CONSTRAINT supplier_risk_unique UNIQUE (org_id, supplier_id, risk_id)
);
CREATE INDEX supplier_risk_risk_idx ON isms.supplier_risk (org_id, risk_id);
COMMENT ON TABLE isms.supplier_risk IS
    'Annex A 5.19 (for 6.1.2): risks that arise from a supplier relationship, one row per supplier and risk';
COMMENT ON COLUMN isms.supplier_risk.supplier_id IS 'Supplier the risk arises from';
COMMENT ON COLUMN isms.supplier_risk.risk_id IS 'Risk of the risk register';
COMMENT ON COLUMN isms.supplier_risk.note IS 'How the supplier gives rise to the risk';

CREATE TABLE isms.supplier_control (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    supplier_id bigint NOT NULL,
    framework   text NOT NULL DEFAULT 'iso27001-2022',
    control     isms.ref NOT NULL,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, supplier_id) REFERENCES isms.supplier (org_id, id),
    FOREIGN KEY (framework, control) REFERENCES isms.requirement (framework, ref),
    CONSTRAINT supplier_control_is_annex_control CHECK (control::text ~ '^[A-Z]\.[0-9]+\.[0-9]+$'),
    CONSTRAINT supplier_control_unique UNIQUE (org_id, supplier_id, framework, control)
);
COMMENT ON TABLE isms.supplier_control IS
    'Annex A 5.19 (for 6.1.3 d): Statement of Applicability controls the supplier operates, or that the organisation applies to the relationship, one row per supplier and control';
COMMENT ON COLUMN isms.supplier_control.supplier_id IS 'Supplier the control bears on';
COMMENT ON COLUMN isms.supplier_control.framework IS 'Framework of the control';
COMMENT ON COLUMN isms.supplier_control.control IS 'Annex A control (a control, not a theme), such as A.8.13';
COMMENT ON COLUMN isms.supplier_control.note IS 'How the control applies to the supplier';

------------------------------------------------------------------------------
-- A retired supplier is out of the ISMS: it is retired only once every
-- agreement with it has ended (an agreement in force keeps obligations on
-- both sides, A.5.19 exit), and nothing new is recorded against it.  A
-- superuser's write is trusted (a restore loads rows in any order); a row of
-- an organisation the caller is not a member of is left to row-level
-- security.

CREATE FUNCTION isms.supplier_retired_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sup_status text;
    sup_name text;
    open_titles text;
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user)
       OR NOT NEW.org_id OPERATOR(pg_catalog.=) ANY (isms.member_orgs()) THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'supplier' THEN
        IF NEW.status OPERATOR(pg_catalog.<>) 'retired'
           OR (TG_OP OPERATOR(pg_catalog.=) 'UPDATE' AND OLD.status OPERATOR(pg_catalog.=) 'retired') THEN
            RETURN NEW;
        END IF;
        SELECT pg_catalog.string_agg(pg_catalog.format('%s (%s to %s)', c.title, c.starts_on,
                                                       coalesce(c.ends_on::text, 'open-ended')), ', ' ORDER BY c.id)
          INTO open_titles
          FROM isms.supplier_contract c
         WHERE c.org_id OPERATOR(pg_catalog.=) NEW.org_id AND c.supplier_id OPERATOR(pg_catalog.=) NEW.id
           AND (c.ends_on IS NULL OR c.ends_on OPERATOR(pg_catalog.>=) current_date);
        IF open_titles IS NOT NULL THEN
            RAISE EXCEPTION 'supplier % "%" of organisation % cannot be retired while an agreement with it is in force',
                            NEW.id, NEW.name, NEW.org_id
                USING ERRCODE = 'IS130',
                      TABLE = 'supplier', SCHEMA = 'isms',
                      DETAIL = pg_catalog.format('Agreements in force on %s: %s.', current_date, open_titles),
                      HINT = 'End the agreements first (set ends_on in isms.supplier_contract), or set the status to exiting while they run out.';
        END IF;
        RETURN NEW;
    END IF;
    SELECT s.status, s.name INTO sup_status, sup_name
      FROM isms.supplier s
     WHERE s.org_id OPERATOR(pg_catalog.=) NEW.org_id AND s.id OPERATOR(pg_catalog.=) NEW.supplier_id;
    IF sup_status OPERATOR(pg_catalog.=) 'retired' THEN
        RAISE EXCEPTION 'supplier % "%" of organisation % is retired: no % can be recorded against it',
                        NEW.supplier_id, sup_name, NEW.org_id, pg_catalog.replace(TG_TABLE_NAME::text, 'supplier_', '')
            USING ERRCODE = 'IS130',
                  TABLE = TG_TABLE_NAME, SCHEMA = 'isms',
                  DETAIL = pg_catalog.format('%s row for supplier %s, whose status is retired.', TG_TABLE_NAME, NEW.supplier_id),
                  HINT = 'Set the supplier''s status back to active (or exiting) if the relationship continues.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.supplier_retired_check() IS
    'Trigger: a supplier is retired only once every agreement with it has ended, and nothing new (agreement, assessment, risk or control link) is recorded against a retired supplier (IS130)';
REVOKE ALL ON FUNCTION isms.supplier_retired_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.supplier_retired_check() TO isms_reader;
CREATE TRIGGER retired_supplier_check
    BEFORE INSERT OR UPDATE OF status ON isms.supplier
    FOR EACH ROW EXECUTE FUNCTION isms.supplier_retired_check();
CREATE TRIGGER retired_supplier_check
    BEFORE INSERT OR UPDATE OF org_id, supplier_id ON isms.supplier_contract
    FOR EACH ROW EXECUTE FUNCTION isms.supplier_retired_check();
CREATE TRIGGER retired_supplier_check
    BEFORE INSERT OR UPDATE OF org_id, supplier_id ON isms.supplier_assessment
    FOR EACH ROW EXECUTE FUNCTION isms.supplier_retired_check();
CREATE TRIGGER retired_supplier_check
    BEFORE INSERT OR UPDATE OF org_id, supplier_id ON isms.supplier_risk
    FOR EACH ROW EXECUTE FUNCTION isms.supplier_retired_check();
CREATE TRIGGER retired_supplier_check
    BEFORE INSERT OR UPDATE OF org_id, supplier_id ON isms.supplier_control
    FOR EACH ROW EXECUTE FUNCTION isms.supplier_retired_check();

------------------------------------------------------------------------------
-- The registers.  A supplier is reviewed yearly unless the organisation
-- sets otherwise; the others are reviewed with their supplier.

INSERT INTO isms.register
    (relid, name, clause, title, reviewable, default_review_interval, has_workflow, initial_status, audit_record)
VALUES
    ('isms.supplier',            'supplier',            'A.5.19', 'Suppliers',                         true,  '1 year', false, NULL, false),
    ('isms.supplier_contract',   'supplier_contract',   'A.5.20', 'Supplier agreements',               false, NULL,     false, NULL, false),
    ('isms.supplier_assessment', 'supplier_assessment', 'A.5.22', 'Supplier assessments',              false, NULL,     false, NULL, false),
    ('isms.supplier_risk',       'supplier_risk',       'A.5.19', 'Risks of supplier relationships',   false, NULL,     false, NULL, false),
    ('isms.supplier_control',    'supplier_control',    'A.5.19', 'Controls of supplier relationships', false, NULL,    false, NULL, false);

-- Length limits, as for the other registers (src/registers.sql).
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
          JOIN (SELECT unnest(ARRAY['title', 'name', 'reference', 'contact']), 500
                UNION ALL
                SELECT unnest(ARRAY['owner', 'assessor']), 128) AS l(col, n) ON l.col = a.attname
         WHERE r.name IN ('supplier', 'supplier_contract', 'supplier_assessment', 'supplier_risk', 'supplier_control')
         ORDER BY cl.relname, a.attnum
    LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (pg_catalog.char_length(%I) <= %s)',
                       c.relid, format('%s_%s_max_%s_chars', c.relname, c.attname, c.n), c.attname, c.n);
    END LOOP;
END
$$;

REVOKE ALL ON SEQUENCE isms.supplier_id_seq, isms.supplier_contract_id_seq, isms.supplier_assessment_id_seq,
    isms.supplier_risk_id_seq, isms.supplier_control_id_seq FROM PUBLIC;

-- what src/security.sql, src/evidence_access.sql and src/metrics.sql do for every register
SELECT isms.setup_register(relid) FROM isms.register WHERE name IN ('supplier', 'supplier_contract', 'supplier_assessment', 'supplier_risk', 'supplier_control') ORDER BY name;
SET LOCAL client_min_messages = warning;
SELECT isms.enable_history(relid) FROM isms.register WHERE name IN ('supplier', 'supplier_contract', 'supplier_assessment', 'supplier_risk', 'supplier_control') ORDER BY name;
RESET client_min_messages;
SELECT isms.build_register_row();

-- BI views of the supplier registers (Annex A 5.19-5.22), by the rules of
-- src/reports.sql: plain types, every column commented, security_invoker,
-- org_id first.  "critical gap" is the rule of readiness check 13: a high or
-- critical supplier in force without an agreement in force that states
-- security requirements, or any supplier in force with an overdue
-- assessment.

CREATE VIEW isms_report.suppliers WITH (security_invoker = true) AS
SELECT s.org_id, o.code AS org_code, s.id AS supplier_id, s.name, s.services, s.information,
       s.classification, s.criticality, s.status, s.status <> 'retired' AS in_force, s.owner, s.contact,
       c.contracts, c.contracts_in_force, c.secured AS security_requirements_agreed,
       c.right_to_audit, c.next_contract_end,
       a.assessments, a.last_assessed_on, a.last_result, a.next_assessment_due, a.overdue_assessments,
       a.overdue_assessments > 0 AS assessment_overdue,
       (SELECT count(*) FROM isms.supplier_risk r WHERE r.org_id = s.org_id AND r.supplier_id = s.id)::integer AS risks,
       (SELECT count(*) FROM isms.supplier_control k WHERE k.org_id = s.org_id AND k.supplier_id = s.id)::integer AS controls,
       s.status <> 'retired'
         AND ((s.criticality IN ('high', 'critical') AND NOT c.secured) OR a.overdue_assessments > 0) AS flagged,
       s.last_reviewed_at,
       isms.review_due_at(s.org_id, 'isms.supplier', s.review_interval, s.last_reviewed_at, s.created_at) AS review_due_at,
       s.status <> 'retired'
         AND isms.review_due_at(s.org_id, 'isms.supplier', s.review_interval, s.last_reviewed_at, s.created_at) < now() AS review_overdue,
       s.created_at, s.updated_at
  FROM isms.supplier s
  JOIN isms.organization o ON o.org_id = s.org_id
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS contracts,
             count(*) FILTER (WHERE x.starts_on <= current_date AND (x.ends_on IS NULL OR x.ends_on >= current_date))::integer
                 AS contracts_in_force,
             coalesce(bool_or(x.security_requirements IS NOT NULL)
                      FILTER (WHERE x.starts_on <= current_date AND (x.ends_on IS NULL OR x.ends_on >= current_date)), false)
                 AS secured,
             coalesce(bool_or(x.right_to_audit)
                      FILTER (WHERE x.starts_on <= current_date AND (x.ends_on IS NULL OR x.ends_on >= current_date)), false)
                 AS right_to_audit,
             min(x.ends_on) FILTER (WHERE x.ends_on >= current_date) AS next_contract_end
        FROM isms.supplier_contract x
       WHERE x.org_id = s.org_id AND x.supplier_id = s.id) c
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS assessments,
             max(y.performed_on) AS last_assessed_on,
             (SELECT z.result FROM isms.supplier_assessment z
               WHERE z.org_id = s.org_id AND z.supplier_id = s.id AND z.performed_on IS NOT NULL
               ORDER BY z.performed_on DESC, z.id DESC LIMIT 1) AS last_result,
             min(y.due_on) FILTER (WHERE y.performed_on IS NULL) AS next_assessment_due,
             count(*) FILTER (WHERE y.performed_on IS NULL AND y.due_on < current_date)::integer AS overdue_assessments
        FROM isms.supplier_assessment y
       WHERE y.org_id = s.org_id AND y.supplier_id = s.id) a;
COMMENT ON VIEW isms_report.suppliers IS
    'Annex A 5.19-5.22: suppliers with criticality, the information they handle, agreements in force and their security requirements, assessments and review status; flagged marks the gaps readiness check 13 reports';

CREATE VIEW isms_report.supplier_assessments WITH (security_invoker = true) AS
SELECT y.org_id, o.code AS org_code, y.id AS assessment_id, y.supplier_id, s.name AS supplier, s.criticality,
       y.title, y.method, y.due_on, y.performed_on, y.assessor, y.result, y.findings,
       y.performed_on IS NULL AND y.due_on < current_date AS overdue,
       CASE WHEN y.performed_on IS NULL AND y.due_on < current_date THEN current_date - y.due_on END AS days_overdue,
       y.created_at, y.updated_at
  FROM isms.supplier_assessment y
  JOIN isms.organization o ON o.org_id = y.org_id
  JOIN isms.supplier s ON s.org_id = y.org_id AND s.id = y.supplier_id;
COMMENT ON VIEW isms_report.supplier_assessments IS
    'Annex A 5.22: supplier assessments, due and performed, with result, findings and whether they are overdue';

DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM (VALUES
 ('suppliers', 'org_id', 'Organisation (isms.organization.org_id); filter on it for one organisation'),
 ('suppliers', 'org_code', 'Short code of the organisation'),
 ('suppliers', 'supplier_id', 'Identifier of the supplier'),
 ('suppliers', 'name', 'Name of the supplier'),
 ('suppliers', 'services', 'Products or services the supplier provides'),
 ('suppliers', 'information', 'Information the supplier handles'),
 ('suppliers', 'classification', 'Highest classification of the information it handles: public, internal, confidential or restricted'),
 ('suppliers', 'criticality', 'low, medium, high or critical'),
 ('suppliers', 'status', 'proposed, active, exiting or retired'),
 ('suppliers', 'in_force', 'True unless the supplier is retired'),
 ('suppliers', 'owner', 'Person accountable for the supplier relationship'),
 ('suppliers', 'contact', 'Contact at the supplier for security matters'),
 ('suppliers', 'contracts', 'Agreements recorded with the supplier'),
 ('suppliers', 'contracts_in_force', 'Agreements in force today'),
 ('suppliers', 'security_requirements_agreed', 'True when an agreement in force today states information security requirements (A.5.20)'),
 ('suppliers', 'right_to_audit', 'True when an agreement in force today grants the right to audit'),
 ('suppliers', 'next_contract_end', 'Earliest end date, today or later, of the agreements'),
 ('suppliers', 'assessments', 'Assessments recorded, performed or planned'),
 ('suppliers', 'last_assessed_on', 'Date of the latest assessment performed'),
 ('suppliers', 'last_result', 'Result of the latest assessment performed'),
 ('suppliers', 'next_assessment_due', 'Earliest due date of the assessments not yet performed'),
 ('suppliers', 'overdue_assessments', 'Assessments not performed whose due date has passed'),
 ('suppliers', 'assessment_overdue', 'True when an assessment is overdue (A.5.22)'),
 ('suppliers', 'risks', 'Risks linked to the supplier (isms.supplier_risk)'),
 ('suppliers', 'controls', 'SoA controls linked to the supplier (isms.supplier_control)'),
 ('suppliers', 'flagged', 'True when the supplier is in force and a high or critical one lacks an agreement in force stating security requirements, or an assessment is overdue'),
 ('suppliers', 'last_reviewed_at', 'When the supplier was last reviewed'),
 ('suppliers', 'review_due_at', 'When the next periodic review falls due'),
 ('suppliers', 'review_overdue', 'True when the supplier is in force and its periodic review is overdue'),
 ('suppliers', 'created_at', 'When the supplier was recorded'),
 ('suppliers', 'updated_at', 'When the supplier was last changed'),
 ('supplier_assessments', 'org_id', 'Organisation (isms.organization.org_id); filter on it for one organisation'),
 ('supplier_assessments', 'org_code', 'Short code of the organisation'),
 ('supplier_assessments', 'assessment_id', 'Identifier of the assessment'),
 ('supplier_assessments', 'supplier_id', 'Identifier of the supplier assessed'),
 ('supplier_assessments', 'supplier', 'Name of the supplier assessed'),
 ('supplier_assessments', 'criticality', 'Criticality of the supplier'),
 ('supplier_assessments', 'title', 'Name of the assessment'),
 ('supplier_assessments', 'method', 'questionnaire, audit, certification_review or service_review'),
 ('supplier_assessments', 'due_on', 'Date by which it is to be performed'),
 ('supplier_assessments', 'performed_on', 'Date performed; NULL while not'),
 ('supplier_assessments', 'assessor', 'Who performed it'),
 ('supplier_assessments', 'result', 'satisfactory, minor_issues, major_issues or unsatisfactory'),
 ('supplier_assessments', 'findings', 'What it found'),
 ('supplier_assessments', 'overdue', 'True when not performed and the due date has passed'),
 ('supplier_assessments', 'days_overdue', 'Days since the due date while overdue'),
 ('supplier_assessments', 'created_at', 'When the assessment was recorded'),
 ('supplier_assessments', 'updated_at', 'When the assessment was last changed')) AS v(view, col, note)
    LOOP
        EXECUTE format('COMMENT ON COLUMN isms_report.%I.%I IS %L', c.view, c.col, c.note);
    END LOOP;
END
$$;

REVOKE ALL ON TABLE isms_report.suppliers, isms_report.supplier_assessments FROM PUBLIC;
GRANT SELECT ON TABLE isms_report.suppliers, isms_report.supplier_assessments TO isms_reader;

-- The audit pack: one self-contained HTML document an auditor takes away
-- (Clause 4.4, 7.5, 9.1): the organisation's readiness with its actions, the
-- Statement of Applicability with its sign-offs, staleness, the improvement
-- trend and the process map as inline SVG, open nonconformities, the
-- suppliers and the trail head to quote, all as of one instant.  Inline
-- CSS, no script, no external resource: it opens from a file, offline, and
-- prints to PDF from a browser.
--
-- Read-only and SECURITY INVOKER like every report: row-level security
-- decides what the caller sees, and it runs on a hot standby.  Every value
-- from a register passes through isms.html_escape(), so a record titled
-- <script> is shown, never run.  The figures carry data-figure attributes,
-- so a test (test/auditpack) can read them back from the rendered page.

CREATE FUNCTION isms.html_escape(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
               coalesce($1, ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$$;
COMMENT ON FUNCTION isms.html_escape(text) IS
    'The text with the five HTML-significant characters escaped (& < > " and the apostrophe), safe as HTML text and as a quoted attribute value; NULL gives the empty string';
REVOKE ALL ON FUNCTION isms.html_escape(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.html_escape(text) TO isms_reader;

------------------------------------------------------------------------------
-- The improvement trend as an SVG chart: per quarter over the two years up
-- to as_of (isms.improvement_metrics), the total current risk rating as a
-- line (left) and the PDCA cycles completed and nonconformities closed as
-- bars (right).

CREATE FUNCTION isms.audit_pack_trend_svg(org_id bigint, as_of timestamptz DEFAULT now()) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o constant bigint := isms.report_org($1);
    t constant timestamptz := isms.report_time('as_of', $2);
    p_end timestamptz[];
    p_risk bigint[];
    p_cycles integer[];
    p_closed integer[];
    n integer;
    i integer := 0;
    risk_max numeric;
    bar_max numeric;
    pw constant integer := 430;          -- plot width of each chart
    ph constant integer := 170;          -- plot height
    x0 constant integer := 50;           -- left chart origin
    x1 constant integer := 560;          -- right chart origin
    y0 constant integer := 210;          -- baseline
    step numeric;
    k integer;
    pe timestamptz;
    rv bigint;
    cy integer;
    cl integer;
    x numeric;
    y numeric;
    pts text := '';
    dots text := '';
    bars text := '';
    labels text := '';
    svg text;
BEGIN
    SELECT array_agg(mm.period_end ORDER BY mm.period_start), array_agg(mm.residual_risk_total ORDER BY mm.period_start),
           array_agg(mm.pdca_cycles_completed ORDER BY mm.period_start), array_agg(mm.nonconformities_closed ORDER BY mm.period_start)
      INTO p_end, p_risk, p_cycles, p_closed
      FROM isms.improvement_metrics(o, t - interval '2 years', t, interval '3 months') mm;
    n := coalesce(cardinality(p_end), 0);
    IF n = 0 THEN
        RETURN '<p class="none">No period to show.</p>';
    END IF;
    SELECT greatest(max(v), 1) INTO risk_max FROM unnest(p_risk) v;
    SELECT greatest(max(v), 1) INTO bar_max FROM unnest(p_cycles || p_closed) v;
    step := pw::numeric / n;
    FOR k IN 1 .. n LOOP
        pe := p_end[k]; rv := coalesce(p_risk[k], 0); cy := coalesce(p_cycles[k], 0); cl := coalesce(p_closed[k], 0);
        x := x0 + step * (i + 0.5);
        y := y0 - ph * rv / risk_max;
        pts := pts || format('%s,%s ', round(x, 1), round(y, 1));
        dots := dots || format('<circle cx="%s" cy="%s" r="3.5" class="pt"><title>%s: %s</title></circle>'
                               '<text x="%s" y="%s" class="val">%s</text>',
                               round(x, 1), round(y, 1), to_char(pe, 'YYYY-MM-DD'), rv,
                               round(x, 1), round(y - 8, 1), rv);
        labels := labels || format('<text x="%s" y="%s" class="axis">%s</text>',
                                   round(x, 1), y0 + 16, to_char(pe - interval '1 day', 'YY"Q"Q'));
        x := x1 + step * i;
        bars := bars || format('<rect x="%s" y="%s" width="%s" height="%s" class="bar1"><title>%s: %s PDCA cycles completed</title></rect>'
                               '<rect x="%s" y="%s" width="%s" height="%s" class="bar2"><title>%s: %s nonconformities closed</title></rect>'
                               '<text x="%s" y="%s" class="axis">%s</text>',
                               round(x + step * 0.12, 1), round(y0 - ph * cy / bar_max, 1), round(step * 0.36, 1),
                               round(ph * cy / bar_max, 1), to_char(pe, 'YYYY-MM-DD'), cy,
                               round(x + step * 0.52, 1), round(y0 - ph * cl / bar_max, 1), round(step * 0.36, 1),
                               round(ph * cl / bar_max, 1), to_char(pe, 'YYYY-MM-DD'), cl,
                               round(x + step * 0.5, 1), y0 + 16, to_char(pe - interval '1 day', 'YY"Q"Q'));
        i := i + 1;
    END LOOP;
    svg := format('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1010 260" width="100%%" role="img" '
                  'aria-label="Improvement trend: residual risk and PDCA cycles per quarter">'
                  '<style>.axis{font:11px sans-serif;fill:#555;text-anchor:middle}.ttl{font:bold 13px sans-serif;fill:#222}'
                  '.val{font:10px sans-serif;fill:#1f4e79;text-anchor:middle}.pt{fill:#1f4e79}'
                  '.bar1{fill:#2e7d32}.bar2{fill:#90a4ae}.grid{stroke:#ddd;stroke-width:1}.lg{font:11px sans-serif;fill:#333}</style>'
                  '<text x="%s" y="18" class="ttl">Total current risk rating (lower is better)</text>'
                  '<text x="%s" y="18" class="ttl">Completed per quarter</text>'
                  '<line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/><line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/>'
                  '<line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/><line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/>'
                  '<polyline points="%s" fill="none" stroke="#1f4e79" stroke-width="2.5"/>%s%s%s'
                  '<rect x="%s" y="30" width="10" height="10" class="bar1"/><text x="%s" y="39" class="lg">PDCA cycles completed</text>'
                  '<rect x="%s" y="30" width="10" height="10" class="bar2"/><text x="%s" y="39" class="lg">nonconformities closed</text>'
                  '<text x="%s" y="%s" class="axis" style="text-anchor:end">%s</text>'
                  '</svg>',
                  x0, x1,
                  x0, y0, x0 + pw, y0, x0, y0 - ph, x0 + pw, y0 - ph,
                  x1, y0, x1 + pw, y0, x1, y0 - ph, x1 + pw, y0 - ph,
                  btrim(pts), dots, labels, bars,
                  x1 + 200, x1 + 214, x1 + 360, x1 + 374,
                  x1 - 6, y0 - ph + 4, round(bar_max));
    RETURN svg;
END
$$;
COMMENT ON FUNCTION isms.audit_pack_trend_svg(bigint, timestamptz) IS
    'The improvement trend of the audit pack as an inline SVG chart: per quarter over the two years up to as_of (isms.improvement_metrics), the total current risk rating and the PDCA cycles completed and nonconformities closed';
REVOKE ALL ON FUNCTION isms.audit_pack_trend_svg(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.audit_pack_trend_svg(bigint, timestamptz) TO isms_reader;

------------------------------------------------------------------------------
-- The process map as an SVG image, drawn in the database (no Graphviz):
-- one column per PDCA phase, a box per process, a curve per interaction
-- (isms.process_interactions at as_of; near misses dashed), siloed
-- processes outlined in red.

CREATE FUNCTION isms.audit_pack_process_svg(org_id bigint, as_of timestamptz DEFAULT now()) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o constant bigint := isms.report_org($1);
    t constant timestamptz := isms.report_time('as_of', $2);
    bw constant integer := 210;          -- box width
    bh constant integer := 40;           -- box height
    cw constant integer := 260;          -- column pitch
    rh constant integer := 62;           -- row pitch
    top constant integer := 64;
    rows integer;
    boxes text;
    edges text;
    heads text;
BEGIN
    WITH b AS MATERIALIZED (
        SELECT p.process_id AS id, p.name, p.pdca_phase AS phase, p.siloed,
               20 + cw * (array_position(ARRAY['plan', 'do', 'check', 'act'], p.pdca_phase) - 1) AS x,
               top + rh * (row_number() OVER (PARTITION BY p.pdca_phase ORDER BY p.name, p.process_id) - 1)::integer AS y
          FROM isms.process_links(o, t) p),
    e AS (
        SELECT x.from_process_id AS src, x.to_process_id AS dst, bool_or(x.match = 'exact') AS exact,
               string_agg(DISTINCT x.artifact, ', ') AS artifacts
          FROM isms.process_interactions(o, t) x
         WHERE x.match IN ('exact', 'near_miss')
         GROUP BY 1, 2)
    SELECT (SELECT max(b.y) FROM b),
           (SELECT string_agg(format('<g><title>%s (%s)%s</title><rect x="%s" y="%s" width="%s" height="%s" rx="6" class="%s"/>'
                                     '<text x="%s" y="%s" class="bx">%s</text></g>',
                                     isms.html_escape(b.name), b.phase, CASE WHEN b.siloed THEN ': siloed' ELSE '' END,
                                     b.x, b.y, bw, bh, CASE WHEN b.siloed THEN 'box silo' ELSE 'box ' || b.phase END,
                                     b.x + bw / 2, b.y + bh / 2 + 4,
                                     isms.html_escape(CASE WHEN char_length(b.name) > 30 THEN left(b.name, 29) || '…' ELSE b.name END)),
                              '' ORDER BY b.x, b.y) FROM b),
           -- one curve per pair of processes: forward from the right side
           -- of the source to the left side of the target; within a column
           -- round the left; back to an earlier phase over the top
           (SELECT string_agg(format('<path d="M%s,%s C%s,%s %s,%s %s,%s" class="%s"><title>%s</title></path>',
                                     VARIADIC CASE
                                     WHEN c.x > a.x THEN ARRAY[a.x + bw, a.y + bh / 2, a.x + bw + 50, a.y + bh / 2,
                                                               c.x - 50, c.y + bh / 2, c.x, c.y + bh / 2]
                                     WHEN c.x = a.x THEN ARRAY[a.x, a.y + bh / 2, a.x - 18, a.y + bh / 2,
                                                               c.x - 18, c.y + bh / 2, c.x, c.y + bh / 2]
                                     ELSE ARRAY[a.x + bw / 2 + 20, a.y, a.x + bw / 2 + 20, 34,
                                                c.x + bw / 2 - 20, 34, c.x + bw / 2 - 20, c.y] END::text[]
                                     || ARRAY[
                                     CASE WHEN e.exact THEN 'edge' ELSE 'edge near' END,
                                     isms.html_escape(format('%s → %s: %s', a.name, c.name, e.artifacts))]),
                              '' ORDER BY a.x, a.y, c.x, c.y)
              FROM e JOIN b a ON a.id = e.src JOIN b c ON c.id = e.dst)
      INTO rows, boxes, edges;
    IF rows IS NULL THEN
        RETURN '<p class="none">No process recorded.</p>';
    END IF;
    SELECT string_agg(format('<text x="%s" y="20" class="ph">%s</text>', 20 + cw * (k - 1) + bw / 2, initcap(ph)), '' ORDER BY k)
      INTO heads
      FROM unnest(ARRAY['plan', 'do', 'check', 'act']) WITH ORDINALITY AS u(ph, k);
    RETURN format('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="100%%" role="img" '
                  'aria-label="Process map: ISMS processes by PDCA phase and their interactions">'
                  '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
                  '<path d="M0,0 L10,5 L0,10 z" fill="#5c6b7a"/></marker></defs>'
                  '<style>.ph{font:bold 14px sans-serif;fill:#222;text-anchor:middle;text-transform:uppercase;letter-spacing:1px}'
                  '.bx{font:12px sans-serif;fill:#111;text-anchor:middle}.box{stroke:#5c6b7a;stroke-width:1.2}'
                  '.plan{fill:#e3f2fd}.do{fill:#e8f5e9}.check{fill:#fff8e1}.act{fill:#fce4ec}'
                  '.silo{fill:#ffebee;stroke:#c62828;stroke-width:2.5}'
                  '.edge{fill:none;stroke:#5c6b7a;stroke-width:1.1;opacity:.75;marker-end:url(#arrow)}'
                  '.near{stroke:#ef6c00;stroke-dasharray:5 4}</style>%s%s%s</svg>',
                  20 + cw * 4 - (cw - bw) + 20, rows + bh + 20, heads, coalesce(edges, ''), boxes);
END
$$;
COMMENT ON FUNCTION isms.audit_pack_process_svg(bigint, timestamptz) IS
    'The process map of the audit pack as an inline SVG image drawn in the database: one column per PDCA phase, a box per process, a curve per interaction at as_of (isms.process_interactions; near misses dashed), siloed processes in red';
REVOKE ALL ON FUNCTION isms.audit_pack_process_svg(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.audit_pack_process_svg(bigint, timestamptz) TO isms_reader;

-- == living2: tasks and the sweep, pg_cron scheduling, policy acknowledgement, readiness check 14 ==

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
CREATE POLICY member ON isms.task_setting USING (org_id = ANY ((SELECT isms.member_orgs())::bigint[]))
    WITH CHECK (org_id = ANY ((SELECT isms.member_orgs())::bigint[]));
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
CREATE POLICY member ON isms.policy_acknowledgement USING (org_id = ANY ((SELECT isms.member_orgs())::bigint[]))
    WITH CHECK (org_id = ANY ((SELECT isms.member_orgs())::bigint[]));
REVOKE ALL ON isms.policy_acknowledgement FROM PUBLIC;
GRANT SELECT ON isms.policy_acknowledgement TO isms_reader;
GRANT INSERT (org_id, version_id) ON isms.policy_acknowledgement TO isms_reader;
REVOKE ALL ON SEQUENCE isms.policy_acknowledgement_id_seq FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('isms.policy_acknowledgement', '');
SELECT pg_catalog.pg_extension_config_dump('isms.policy_acknowledgement_id_seq', '');

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
    IF ack IS NULL THEN
        SELECT a.id INTO ack FROM isms.policy_acknowledgement a
         WHERE a.org_id OPERATOR(pg_catalog.=) d.org_id AND a.version_id OPERATOR(pg_catalog.=) ver
           AND a.person OPERATOR(pg_catalog.=) isms.current_actor();
    END IF;
    RETURN ack;
END
$$;
COMMENT ON FUNCTION isms.acknowledge_policy(bigint) IS
    'Records that the acting person (isms.current_actor(), with the session''s login role) acknowledges the version in force of a policy document; refuses a document that is not a policy or has no version in force (IS122); acknowledging twice returns the first acknowledgement''s id';
REVOKE ALL ON FUNCTION isms.acknowledge_policy(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.acknowledge_policy(bigint) TO isms_reader;

-- The audience of an organisation's policies: the login roles (not
-- superusers, not trusted application logins, which serve many persons)
-- that are members of a role its isms.membership names.  An
-- acknowledgement counts for the version in force when it is of the same
-- document and major version, at or below it, and recorded by as_of.
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
    audience AS (
        SELECT DISTINCT r.rolname::text AS person
          FROM isms.membership m
          JOIN pg_catalog.pg_roles g ON g.rolname OPERATOR(pg_catalog.=) m.role_name
          JOIN pg_catalog.pg_roles r ON r.rolcanlogin AND NOT r.rolsuper
                                    AND pg_catalog.pg_has_role(r.oid, g.oid, 'MEMBER')
                                    AND NOT pg_catalog.pg_has_role(r.oid, 'isms_app', 'USAGE')
         WHERE m.org_id OPERATOR(pg_catalog.=) o),
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
           k.person IS NOT NULL, k.version::text, k.acknowledged_at
      FROM pol p
      CROSS JOIN LATERAL (SELECT a.person, true AS in_audience FROM audience a
                          UNION
                          SELECT k2.person, false FROM ack k2
                           WHERE k2.document_id OPERATOR(pg_catalog.=) p.id
                             AND k2.person OPERATOR(pg_catalog.<>) ALL (ARRAY(SELECT a.person FROM audience a))) w
      LEFT JOIN ack k ON k.document_id OPERATOR(pg_catalog.=) p.id AND k.person OPERATOR(pg_catalog.=) w.person
     ORDER BY p.code, p.id, w.person;
END
$$;
COMMENT ON FUNCTION isms.policy_acknowledgement_status(bigint, timestamptz) IS
    'Per policy document in force at as_of and per person: whether the person acknowledged the version in force (an acknowledgement of an earlier minor version of the same major counts, one of an earlier major does not), which version and when; the audience is the login roles covered by the organisation''s memberships (current; not superusers or trusted application logins), plus anyone else who acknowledged (in_audience false)';
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
COMMENT ON COLUMN isms_report.policy_acknowledgements.person IS 'A person of the audience, or another who acknowledged';
COMMENT ON COLUMN isms_report.policy_acknowledgements.in_audience IS 'True for the login roles covered by the organisation''s memberships';
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

-- == frameworks: a re-import reports a node moved only when its rank among the nodes both versions hold changes ==

CREATE OR REPLACE FUNCTION isms.library_import(library jsonb, actor text)
RETURNS TABLE (object text, code text, change text, detail text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    lib constant jsonb := $1;
    who constant text := coalesce($2, session_user::text);
    lib_urn text;
    lib_version integer;
    old isms.library;
    fw jsonb;
    fw_code text;
    fw_row isms.framework;
    nodes jsonb;
    sets jsonb;
    ms jsonb;
    ms_i integer;
    ms_code text;
    src_fw isms.framework;
    tgt_fw isms.framework;
    maps jsonb;
    bad record;
    n integer;
    digest text;
    kind_of text;
BEGIN
    ------------------------------------------------------------------
    -- the library itself
    IF lib IS NULL OR jsonb_typeof(lib) <> 'object' THEN
        PERFORM isms.library_refused(NULL, 'not a library: the document is not an object',
            format('The JSON value is of type %s.', coalesce(jsonb_typeof(lib), 'NULL')),
            'Convert the YAML file with tools/library2json and pass its output.');
    END IF;
    lib_urn := lib->>'urn';
    IF jsonb_typeof(lib->'urn') IS DISTINCT FROM 'string' OR lib_urn !~ '^urn:[A-Za-z0-9]' THEN
        PERFORM isms.library_refused(NULL, 'the library has no urn',
            format('urn = %s.', coalesce((lib->'urn')::text, 'missing')), NULL);
    END IF;
    IF jsonb_typeof(lib->'name') IS DISTINCT FROM 'string' OR btrim(lib->>'name') = '' THEN
        PERFORM isms.library_refused(lib_urn, 'the library has no name',
            format('name = %s.', coalesce((lib->'name')::text, 'missing')), NULL);
    END IF;
    IF jsonb_typeof(lib->'version') IS DISTINCT FROM 'number' OR (lib->>'version') !~ '^[0-9]{1,9}$' THEN
        PERFORM isms.library_refused(lib_urn, 'the library has no version (a whole number)',
            format('version = %s.', coalesce((lib->'version')::text, 'missing')), NULL);
    END IF;
    lib_version := (lib->>'version')::integer;
    IF jsonb_typeof(lib->'objects') IS DISTINCT FROM 'object' THEN
        PERFORM isms.library_refused(lib_urn, 'the library has no objects',
            format('objects = %s.', coalesce(left((lib->'objects')::text, 80), 'missing')), NULL);
    END IF;
    fw := lib->'objects'->'framework';
    sets := coalesce(lib->'objects'->'requirement_mapping_sets',
                     CASE WHEN lib->'objects' ? 'requirement_mapping_set'
                          THEN jsonb_build_array(lib->'objects'->'requirement_mapping_set') END);
    IF fw IS NULL AND sets IS NULL THEN
        PERFORM isms.library_refused(lib_urn, 'the library holds neither a framework nor requirement mapping sets',
            format('objects has: %s.', (SELECT coalesce(string_agg(k, ', ' ORDER BY k), 'nothing')
                                          FROM jsonb_object_keys(lib->'objects') k)),
            'Only framework and mapping libraries are imported; reference controls, threats and risk matrices are not.');
    END IF;
    IF fw IS NOT NULL AND sets IS NOT NULL THEN
        PERFORM isms.library_refused(lib_urn, 'the library holds both a framework and requirement mapping sets',
            'A library is either a framework library or a mapping library.', NULL);
    END IF;
    kind_of := CASE WHEN fw IS NOT NULL THEN 'framework' ELSE 'mapping' END;
    digest := encode(sha256(convert_to(lib::text, 'UTF8')), 'hex');

    SELECT * INTO old FROM isms.library l WHERE l.urn = lib_urn;
    IF FOUND THEN
        IF old.version > lib_version THEN
            RAISE EXCEPTION 'library %: version % is older than version %, imported on %',
                    lib_urn, lib_version, old.version, old.imported_at::date
                USING ERRCODE = 'IS061',
                      DETAIL = format('isms.library holds version %s, imported by %s.', old.version, old.imported_by),
                      HINT = 'Import the same or a newer version of the library; nothing was imported.';
        END IF;
        IF old.content <> kind_of THEN
            PERFORM isms.library_refused(lib_urn, format('the library held a %s, this file a %s', old.content, kind_of),
                'A library keeps its kind from one version to the next.', NULL);
        END IF;
        IF old.sha256 = digest THEN
            object := 'library'; code := lib_urn; change := 'unchanged';
            detail := format('version %s, the same file as imported on %s', lib_version, old.imported_at::date);
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;

    INSERT INTO isms.library AS l (urn, ref_id, name, version, content, provider, packager, publication_date,
                                   copyright, description, sha256, imported_by)
    VALUES (lib_urn, lib->>'ref_id', btrim(lib->>'name'), lib_version, kind_of, lib->>'provider', lib->>'packager',
            lib->>'publication_date', lib->>'copyright', lib->>'description', digest, who)
    ON CONFLICT (urn) DO UPDATE
       SET ref_id = EXCLUDED.ref_id, name = EXCLUDED.name, version = EXCLUDED.version,
           provider = EXCLUDED.provider, packager = EXCLUDED.packager,
           publication_date = EXCLUDED.publication_date, copyright = EXCLUDED.copyright,
           description = EXCLUDED.description, sha256 = EXCLUDED.sha256,
           imported_at = now(), imported_by = EXCLUDED.imported_by;
    object := 'library'; code := lib_urn;
    change := CASE WHEN old.urn IS NULL THEN 'added' ELSE 'updated' END;
    detail := CASE WHEN old.urn IS NULL THEN format('version %s', lib_version)
                   ELSE format('version %s -> %s', old.version, lib_version) END;
    RETURN NEXT;

    ------------------------------------------------------------------
    -- a framework and its requirement nodes
    IF fw IS NOT NULL THEN
        IF jsonb_typeof(fw) <> 'object' OR jsonb_typeof(fw->'urn') IS DISTINCT FROM 'string'
           OR isms.library_code(fw->>'urn') IS NULL THEN
            PERFORM isms.library_refused(lib_urn, 'the framework has no urn',
                format('framework.urn = %s.', coalesce((fw->'urn')::text, 'missing')), NULL);
        END IF;
        IF coalesce(btrim(fw->>'name'), '') = '' THEN
            PERFORM isms.library_refused(lib_urn, format('framework %s has no name', fw->>'urn'), 'framework.name is missing.', NULL);
        END IF;
        SELECT * INTO fw_row FROM isms.framework f WHERE f.urn = fw->>'urn';
        IF FOUND AND fw_row.shipped THEN
            RAISE EXCEPTION 'library %: framework % is shipped with the extension', lib_urn, fw_row.code
                USING ERRCODE = 'IS062',
                      DETAIL = format('Framework %s (%s) is part of isms; its rows are not replaced by a library.', fw_row.code, fw->>'urn'),
                      HINT = 'Import only the mapping libraries that refer to it: their URNs resolve to the shipped requirements.';
        END IF;
        fw_code := coalesce(fw_row.code, isms.library_code(fw->>'urn'));
        IF fw_row.code IS NULL AND EXISTS (SELECT 1 FROM isms.framework f WHERE f.code = fw_code) THEN
            PERFORM isms.library_refused(lib_urn, format('framework code %s is taken', fw_code),
                format('isms.framework has %s with urn %s; this framework is %s.', fw_code,
                       coalesce((SELECT f.urn FROM isms.framework f WHERE f.code = fw_code), 'NULL'), fw->>'urn'),
                'Rename the existing framework or give this one another urn.');
        END IF;

        nodes := fw->'requirement_nodes';
        IF jsonb_typeof(nodes) IS DISTINCT FROM 'array' OR jsonb_array_length(nodes) = 0 THEN
            PERFORM isms.library_refused(lib_urn, format('framework %s has no requirement nodes', fw->>'urn'),
                'framework.requirement_nodes is missing or empty.', NULL);
        END IF;
        -- each rule: the first node that breaks it
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE jsonb_typeof(t.n) <> 'object' OR jsonb_typeof(t.n->'urn') IS DISTINCT FROM 'string'
            OR btrim(t.n->>'urn') = ''
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s has no urn', bad.i),
                format('Node %s: %s.', bad.i, left(bad.n::text, 200)), NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                        WHERE u.i < t.i AND u.n->>'urn' = t.n->>'urn')
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) repeats an urn', bad.i, bad.n->>'urn'),
                'Every requirement node has its own urn.', NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE t.n ? 'parent_urn' AND jsonb_typeof(t.n->'parent_urn') <> 'null'
           AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                            WHERE u.i < t.i AND u.n->>'urn' = t.n->>'parent_urn')
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s): parent %s is not a node listed before it',
                                                         bad.i, bad.n->>'urn', bad.n->>'parent_urn'),
                format('parent_urn = %s.', bad.n->'parent_urn'), NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE (t.n ? 'assessable' AND jsonb_typeof(t.n->'assessable') NOT IN ('boolean', 'null'))
            OR (t.n ? 'ref_id' AND jsonb_typeof(t.n->'ref_id') NOT IN ('string', 'number', 'null'))
            OR (t.n ? 'name' AND jsonb_typeof(t.n->'name') NOT IN ('string', 'null'))
            OR (t.n ? 'description' AND jsonb_typeof(t.n->'description') NOT IN ('string', 'null'))
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) has a field of the wrong type', bad.i, bad.n->>'urn'),
                format('assessable is a boolean, ref_id a string, name and description text: %s.', left(bad.n::text, 200)), NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE coalesce(btrim(t.n->>'ref_id'), '') = '' AND coalesce(btrim(t.n->>'name'), '') = ''
           AND coalesce(btrim(t.n->>'description'), '') = ''
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) has neither ref_id, name nor description', bad.i, bad.n->>'urn'),
                'A node needs a title: its name, else its description, else its ref_id.', NULL);
        END IF;

        -- the framework row
        INSERT INTO isms.framework AS f (code, title, publisher, edition, urn, library, description)
        VALUES (fw_code, btrim(fw->>'name'), lib->>'provider', coalesce(fw->>'ref_id', lib->>'ref_id'),
                fw->>'urn', lib_urn, fw->>'description')
        ON CONFLICT (code) DO UPDATE
           SET title = EXCLUDED.title, publisher = EXCLUDED.publisher, edition = EXCLUDED.edition,
               library = EXCLUDED.library, description = EXCLUDED.description
         WHERE (f.title, f.publisher, f.edition, f.library, f.description)
               IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.publisher, EXCLUDED.edition, EXCLUDED.library, EXCLUDED.description);
        GET DIAGNOSTICS n = ROW_COUNT;
        object := 'framework'; code := fw_code;
        change := CASE WHEN fw_row.code IS NULL THEN 'added' WHEN n > 0 THEN 'updated' ELSE 'unchanged' END;
        detail := btrim(fw->>'name');
        RETURN NEXT;

        -- the nodes, normalised: code is the ref_id as written (an
        -- isms.ref-shaped one in canonical form), else the URN's last
        -- segment when the ref_id is missing or taken by an earlier node
        -- (a plain CREATE: a table of that name the caller made first is an
        -- error, never used)
        CREATE TEMP TABLE isms_import_node (
            i integer, urn text, code text, ref isms.ref, parent_urn text, parent_code text, parent isms.ref,
            title text, description text, assessable boolean, attributes jsonb,
            moved boolean NOT NULL DEFAULT false) ON COMMIT DROP;
        INSERT INTO pg_temp.isms_import_node (i, urn, code, ref, parent_urn, title, description, assessable, attributes)
        SELECT x.i, x.urn,
               CASE WHEN x.isref THEN x.rid::isms.ref::text ELSE coalesce(x.rid, x.tail) END,
               CASE WHEN x.isref THEN x.rid::isms.ref END,
               x.parent_urn,
               left(coalesce(nullif(btrim(x.n->>'name'), ''), nullif(btrim(x.n->>'description'), ''), x.rid, x.tail), 500),
               nullif(btrim(x.n->>'description'), ''),
               coalesce((x.n->>'assessable')::boolean, false),
               x.n - ARRAY['urn', 'ref_id', 'name', 'description', 'assessable', 'parent_urn', 'depth', 'translations']
          FROM (SELECT t.i, t.n, btrim(t.n->>'urn') AS urn, nullif(t.n->>'parent_urn', '') AS parent_urn,
                       substring(btrim(t.n->>'urn') FROM '[^:]*$') AS tail,
                       CASE WHEN NOT EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                                              WHERE u.i < t.i AND btrim(u.n->>'ref_id') = btrim(t.n->>'ref_id'))
                            THEN nullif(btrim(t.n->>'ref_id'), '') END AS rid,
                       coalesce(btrim(t.n->>'ref_id') ~ '^([A-Za-z]\.)?(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){0,4}$', false)
                       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                                        WHERE u.i < t.i AND upper(btrim(u.n->>'ref_id')) = upper(btrim(t.n->>'ref_id'))) AS isref
                  FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)) x;
        UPDATE pg_temp.isms_import_node c
           SET parent_code = p.code,
               parent = CASE WHEN p.ref OPERATOR(isms.@>) c.ref AND p.ref OPERATOR(isms.<>) c.ref THEN p.ref END
          FROM pg_temp.isms_import_node p
         WHERE p.urn = c.parent_urn;
        -- a node has moved when its rank among the nodes both versions hold
        -- differs: a node added or dropped shifts the positions after it,
        -- which is no change of the others
        UPDATE pg_temp.isms_import_node c SET moved = true
          FROM (SELECT k.urn, row_number() OVER (ORDER BY r.ordinal, k.i) AS old_rank,
                       row_number() OVER (ORDER BY k.i) AS new_rank
                  FROM pg_temp.isms_import_node k
                  JOIN isms.requirement r ON r.framework = fw_code AND r.urn = k.urn) x
         WHERE x.urn = c.urn AND x.old_rank <> x.new_rank;
        SELECT a.i, a.urn, a.code, b.urn AS other INTO bad
          FROM pg_temp.isms_import_node a JOIN pg_temp.isms_import_node b ON b.code = a.code AND b.i < a.i
         ORDER BY a.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s): code %s is also the code of %s', bad.i, bad.urn, bad.code, bad.other),
                'A node''s code is its ref_id, else the last segment of its urn; two nodes came to the same one.', NULL);
        END IF;
        SELECT c.i, c.urn, c.code INTO bad FROM pg_temp.isms_import_node c
         WHERE c.code IS NULL OR btrim(c.code) = '' OR c.code <> btrim(c.code)
         ORDER BY c.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) has no usable identifier', bad.i, bad.urn),
                'Its ref_id and the last segment of its urn are both empty.', NULL);
        END IF;
        SELECT c.i, c.urn, r.framework INTO bad FROM pg_temp.isms_import_node c
          JOIN isms.requirement r ON r.urn = c.urn AND r.framework <> fw_code
         ORDER BY c.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) belongs to framework %s', bad.i, bad.urn, bad.framework),
                'A requirement urn names one node of one framework.', NULL);
        END IF;

        -- what changes, node by node (matched by urn)
        RETURN QUERY
        SELECT 'requirement', c.code,
               CASE WHEN r.urn IS NULL THEN 'added' WHEN r.withdrawn THEN 'reinstated' ELSE 'updated' END,
               CASE WHEN r.urn IS NULL THEN c.title
                    ELSE concat_ws('; ',
                        CASE WHEN r.code IS DISTINCT FROM c.code THEN format('code %s -> %s', r.code, c.code) END,
                        CASE WHEN r.title IS DISTINCT FROM c.title THEN 'title' END,
                        CASE WHEN r.description IS DISTINCT FROM c.description THEN 'description' END,
                        CASE WHEN r.parent_code IS DISTINCT FROM c.parent_code THEN format('parent %s -> %s', r.parent_code, c.parent_code) END,
                        CASE WHEN c.moved THEN 'order' END,
                        CASE WHEN r.assessable IS DISTINCT FROM c.assessable THEN 'assessable' END,
                        CASE WHEN r.attributes IS DISTINCT FROM c.attributes THEN 'attributes' END) END
          FROM pg_temp.isms_import_node c
          LEFT JOIN isms.requirement r ON r.framework = fw_code AND r.urn = c.urn
         WHERE r.urn IS NULL OR r.withdrawn OR c.moved
            OR (r.code, r.title, r.description, r.parent_code, r.assessable, r.attributes)
               IS DISTINCT FROM (c.code, c.title, c.description, c.parent_code, c.assessable, c.attributes)
         ORDER BY c.i;
        RETURN QUERY
        SELECT 'requirement', r.code, 'withdrawn', 'not in version ' || lib_version || '; kept for the records that refer to it'
          FROM isms.requirement r
         WHERE r.framework = fw_code AND NOT r.withdrawn
           AND NOT EXISTS (SELECT 1 FROM pg_temp.isms_import_node c WHERE c.urn = r.urn)
         ORDER BY r.ordinal, r.ref, r.code;
        SELECT count(*) INTO n FROM pg_temp.isms_import_node c
          JOIN isms.requirement r ON r.framework = fw_code AND r.urn = c.urn AND NOT r.withdrawn
         WHERE NOT c.moved
           AND (r.code, r.title, r.description, r.parent_code, r.assessable, r.attributes)
               IS NOT DISTINCT FROM (c.code, c.title, c.description, c.parent_code, c.assessable, c.attributes);
        IF n > 0 THEN
            object := 'requirement'; code := NULL; change := 'unchanged'; detail := n || ' requirements';
            RETURN NEXT;
        END IF;

        -- apply: withdraw, insert, update
        UPDATE isms.requirement r SET withdrawn = true
         WHERE r.framework = fw_code AND NOT r.withdrawn
           AND NOT EXISTS (SELECT 1 FROM pg_temp.isms_import_node c WHERE c.urn = r.urn);
        INSERT INTO isms.requirement (framework, ref, kind, title, parent, code, parent_code, ordinal,
                                      assessable, urn, description, attributes)
        SELECT fw_code, c.ref, 'node', c.title, c.parent, c.code, c.parent_code, c.i, c.assessable, c.urn,
               c.description, c.attributes
          FROM pg_temp.isms_import_node c
         WHERE NOT EXISTS (SELECT 1 FROM isms.requirement r WHERE r.framework = fw_code AND r.urn = c.urn);
        UPDATE isms.requirement r
           SET code = c.code, ref = c.ref, title = c.title, parent = c.parent, parent_code = c.parent_code,
               ordinal = c.i, assessable = c.assessable, description = c.description,
               attributes = c.attributes, withdrawn = false
          FROM pg_temp.isms_import_node c
         WHERE r.framework = fw_code AND r.urn = c.urn
           AND (r.withdrawn
                OR (r.code, r.ref IS NULL, r.title, r.description, r.parent IS NULL, r.parent_code, r.ordinal,
                    r.assessable, r.attributes)
                   IS DISTINCT FROM (c.code, c.ref IS NULL, c.title, c.description, c.parent IS NULL, c.parent_code,
                                     c.i::integer, c.assessable, c.attributes));
        DROP TABLE pg_temp.isms_import_node;
    END IF;

    ------------------------------------------------------------------
    -- requirement mapping sets
    IF sets IS NOT NULL THEN
        IF jsonb_typeof(sets) <> 'array' OR jsonb_array_length(sets) = 0 THEN
            PERFORM isms.library_refused(lib_urn, 'requirement_mapping_sets is not a list of sets',
                format('requirement_mapping_sets = %s.', left(sets::text, 80)), NULL);
        END IF;
        FOR ms, ms_i IN SELECT t.s, t.i FROM jsonb_array_elements(sets) WITH ORDINALITY t(s, i) ORDER BY t.i
        LOOP
            IF jsonb_typeof(ms) <> 'object' OR jsonb_typeof(ms->'urn') IS DISTINCT FROM 'string'
               OR isms.library_code(ms->>'urn') IS NULL THEN
                PERFORM isms.library_refused(lib_urn, format('requirement mapping set %s has no urn', ms_i),
                    format('Set %s: %s.', ms_i, left(ms::text, 200)), NULL);
            END IF;
            SELECT * INTO src_fw FROM isms.framework f WHERE f.urn = ms->>'source_framework_urn';
            IF NOT FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s: source framework %s is not in the catalog',
                                                             ms->>'urn', coalesce(ms->>'source_framework_urn', '(missing)')),
                    format('source_framework_urn = %s.', coalesce((ms->'source_framework_urn')::text, 'missing')),
                    'Import the library of the source framework first (SELECT code, urn FROM isms.framework lists those present).');
            END IF;
            SELECT * INTO tgt_fw FROM isms.framework f WHERE f.urn = ms->>'target_framework_urn';
            IF NOT FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s: target framework %s is not in the catalog',
                                                             ms->>'urn', coalesce(ms->>'target_framework_urn', '(missing)')),
                    format('target_framework_urn = %s.', coalesce((ms->'target_framework_urn')::text, 'missing')),
                    'Import the library of the target framework first (SELECT code, urn FROM isms.framework lists those present).');
            END IF;
            IF src_fw.code = tgt_fw.code THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s maps framework %s to itself', ms->>'urn', src_fw.code),
                    'source_framework_urn and target_framework_urn are the same.', NULL);
            END IF;
            ms_code := isms.library_code(ms->>'urn');
            IF EXISTS (SELECT 1 FROM isms.mapping_set s WHERE s.code = ms_code
                        AND (s.urn <> ms->>'urn' OR s.source_framework <> src_fw.code OR s.target_framework <> tgt_fw.code)) THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set code %s is taken by another set', ms_code),
                    format('isms.mapping_set %s maps %s to %s; this set %s maps %s to %s.', ms_code,
                           (SELECT s.source_framework FROM isms.mapping_set s WHERE s.code = ms_code),
                           (SELECT s.target_framework FROM isms.mapping_set s WHERE s.code = ms_code),
                           ms->>'urn', src_fw.code, tgt_fw.code), NULL);
            END IF;
            maps := ms->'requirement_mappings';
            IF jsonb_typeof(maps) IS DISTINCT FROM 'array' THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s has no requirement_mappings list', ms->>'urn'),
                    format('requirement_mappings = %s.', coalesce(left(maps::text, 80), 'missing')), NULL);
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE jsonb_typeof(t.m) <> 'object'
                OR NOT EXISTS (SELECT 1 FROM isms.requirement r WHERE r.framework = src_fw.code AND r.urn = t.m->>'source_requirement_urn')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s: source requirement %s is not a node of framework %s',
                                                             bad.i, ms->>'urn', coalesce(bad.m->>'source_requirement_urn', '(missing)'), src_fw.code),
                    format('Mapping %s: %s.', bad.i, left(bad.m::text, 300)),
                    'Import the version of the source framework''s library the mapping was made for.');
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE NOT EXISTS (SELECT 1 FROM isms.requirement r WHERE r.framework = tgt_fw.code AND r.urn = t.m->>'target_requirement_urn')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s: target requirement %s is not a node of framework %s',
                                                             bad.i, ms->>'urn', coalesce(bad.m->>'target_requirement_urn', '(missing)'), tgt_fw.code),
                    format('Mapping %s: %s.', bad.i, left(bad.m::text, 300)),
                    'Import the version of the target framework''s library the mapping was made for.');
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE (t.m->>'relationship') IS NULL
                OR (t.m->>'relationship') NOT IN ('equal', 'subset', 'superset', 'intersect', 'not_related')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s (%s -> %s): relationship %s is not one of equal, subset, superset, intersect, not_related',
                                                             bad.i, ms->>'urn', bad.m->>'source_requirement_urn', bad.m->>'target_requirement_urn',
                                                             coalesce(bad.m->>'relationship', '(missing)')),
                    format('Mapping %s: %s.', bad.i, left(bad.m::text, 300)), NULL);
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE t.m ? 'strength_of_relationship' AND jsonb_typeof(t.m->'strength_of_relationship') <> 'null'
               AND (jsonb_typeof(t.m->'strength_of_relationship') <> 'number'
                    OR (t.m->>'strength_of_relationship') !~ '^[0-9]{1,9}$')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s (%s -> %s): strength_of_relationship is not a whole number',
                                                             bad.i, ms->>'urn', bad.m->>'source_requirement_urn', bad.m->>'target_requirement_urn'),
                    format('strength_of_relationship = %s.', bad.m->'strength_of_relationship'), NULL);
            END IF;

            n := (SELECT count(*) FROM isms.mapping_set s WHERE s.code = ms_code);
            INSERT INTO isms.mapping_set AS s (code, urn, title, description, source_framework, target_framework, library)
            VALUES (ms_code, ms->>'urn', coalesce(nullif(btrim(ms->>'name'), ''), btrim(lib->>'name')), ms->>'description',
                    src_fw.code, tgt_fw.code, lib_urn)
            ON CONFLICT (code) DO UPDATE
               SET title = EXCLUDED.title, description = EXCLUDED.description, library = EXCLUDED.library;
            object := 'mapping_set'; code := ms_code;
            change := CASE WHEN n = 0 THEN 'added' ELSE 'updated' END;
            detail := format('%s -> %s', src_fw.code, tgt_fw.code);
            RETURN NEXT;

            -- the mappings; a pair listed twice counts once (the first)
            RETURN QUERY
            WITH new AS (
                SELECT DISTINCT ON (s.code, t.code) s.code AS source_code, t.code AS target_code,
                       m.m->>'relationship' AS relationship, (m.m->>'strength_of_relationship')::integer AS strength,
                       nullif(btrim(coalesce(m.m->>'rationale', m.m->>'annotation')), '') AS rationale, m.i
                  FROM jsonb_array_elements(maps) WITH ORDINALITY m(m, i)
                  JOIN isms.requirement s ON s.framework = src_fw.code AND s.urn = m.m->>'source_requirement_urn'
                  JOIN isms.requirement t ON t.framework = tgt_fw.code AND t.urn = m.m->>'target_requirement_urn'
                 ORDER BY s.code, t.code, m.i),
            cur AS (SELECT * FROM isms.requirement_mapping x WHERE x.mapping_set = ms_code)
            SELECT 'mapping', coalesce(new.source_code, cur.source_code) || ' -> ' || coalesce(new.target_code, cur.target_code),
                   CASE WHEN cur.source_code IS NULL THEN 'added' WHEN new.source_code IS NULL THEN 'removed' ELSE 'updated' END,
                   CASE WHEN cur.source_code IS NULL THEN new.relationship
                        WHEN new.source_code IS NULL THEN cur.relationship
                        ELSE concat_ws('; ',
                            CASE WHEN cur.relationship <> new.relationship THEN format('relationship %s -> %s', cur.relationship, new.relationship) END,
                            CASE WHEN cur.strength IS DISTINCT FROM new.strength THEN format('strength %s -> %s', cur.strength, new.strength) END,
                            CASE WHEN cur.rationale IS DISTINCT FROM new.rationale THEN 'rationale' END) END
              FROM new FULL JOIN cur ON cur.source_code = new.source_code AND cur.target_code = new.target_code
             WHERE cur.source_code IS NULL OR new.source_code IS NULL
                OR (cur.relationship, cur.strength, cur.rationale) IS DISTINCT FROM (new.relationship, new.strength, new.rationale)
             ORDER BY coalesce(new.i, 0), 2;
            SELECT count(*) INTO n FROM jsonb_array_elements(maps);
            SELECT n - count(*) INTO n FROM (
                SELECT DISTINCT s.code, t.code FROM jsonb_array_elements(maps) m(m)
                  JOIN isms.requirement s ON s.framework = src_fw.code AND s.urn = m.m->>'source_requirement_urn'
                  JOIN isms.requirement t ON t.framework = tgt_fw.code AND t.urn = m.m->>'target_requirement_urn') d;
            IF n > 0 THEN
                object := 'mapping'; code := NULL; change := 'skipped';
                detail := n || ' repeated pairs (the first of each kept)';
                RETURN NEXT;
            END IF;
            DELETE FROM isms.requirement_mapping x WHERE x.mapping_set = ms_code;
            INSERT INTO isms.requirement_mapping (mapping_set, source_framework, source_code, target_framework, target_code,
                                                  relationship, strength, rationale)
            SELECT DISTINCT ON (s.code, t.code) ms_code, src_fw.code, s.code, tgt_fw.code, t.code,
                   m.m->>'relationship', (m.m->>'strength_of_relationship')::integer,
                   nullif(btrim(coalesce(m.m->>'rationale', m.m->>'annotation')), '')
              FROM jsonb_array_elements(maps) WITH ORDINALITY m(m, i)
              JOIN isms.requirement s ON s.framework = src_fw.code AND s.urn = m.m->>'source_requirement_urn'
              JOIN isms.requirement t ON t.framework = tgt_fw.code AND t.urn = m.m->>'target_requirement_urn'
             ORDER BY s.code, t.code, m.i;
            GET DIAGNOSTICS n = ROW_COUNT;
            object := 'mapping'; code := NULL; change := 'total'; detail := n || ' mappings in ' || ms_code;
            RETURN NEXT;
        END LOOP;
    END IF;
END
$$;
COMMENT ON FUNCTION isms.library_import(jsonb, text) IS
    'The import of isms.import_library, run as the extension owner with the acting person recorded as imported_by; granted to isms_admin only, who is trusted with the catalog';


-- == drivers: references from every driver, natural order, BI view types, clear write refusals, the application context ==
-- Strings from drivers compare with and convert to references and versions
-- implicitly (pgJDBC sends varchar); the natural collation of references as
-- text; the BI views with references as text in that collation, intervals
-- as interval, identifier lists as arrays, the review due date inline.
DROP CAST (text AS isms.ref);
CREATE CAST (text AS isms.ref) WITH INOUT AS IMPLICIT;
CREATE CAST (varchar AS isms.ref) WITH INOUT AS IMPLICIT;
COMMENT ON CAST (text AS isms.ref) IS 'Text to isms.ref, implicit: a string parameter compares with a reference';
COMMENT ON CAST (varchar AS isms.ref) IS 'varchar (pgJDBC setString) to isms.ref, implicit: a string parameter compares with a reference';
DROP CAST (text AS isms.docver);
CREATE CAST (text AS isms.docver) WITH INOUT AS IMPLICIT;
CREATE CAST (varchar AS isms.docver) WITH INOUT AS IMPLICIT;
COMMENT ON CAST (text AS isms.docver) IS 'Text to isms.docver, implicit: a string parameter compares with a version';
COMMENT ON CAST (varchar AS isms.docver) IS 'varchar (pgJDBC setString) to isms.docver, implicit: a string parameter compares with a version';

DO $$
BEGIN
    CREATE COLLATION isms.natural (provider = icu, locale = 'und-u-kn-true');
EXCEPTION WHEN feature_not_supported THEN
    CREATE COLLATION isms.natural FROM pg_catalog."C";
END
$$;
COMMENT ON COLLATION isms.natural IS
    'Natural order of clause and control references as text: numbers compare numerically (A.5.9 < A.5.10, 4.1 < 10.1), as isms.ref sorts (ICU und-u-kn-true; byte order in a SQL_ASCII database, which ICU does not support)';

DROP VIEW isms_report.risk_register, isms_report.statement_of_applicability, isms_report.nonconformities, isms_report.audit_findings, isms_report.stale_items, isms_report.staleness, isms_report.documents, isms_report.party_requirements, isms_report.framework_coverage;

CREATE VIEW isms_report.risk_register WITH (security_invoker = true) AS
SELECT r.org_id, o.code AS org_code, r.id AS risk_id, r.title, a.name AS asset, r.threat, r.vulnerability,
       r.consequence, r.owner,
       r.inherent_likelihood::integer AS inherent_likelihood, r.inherent_impact::integer AS inherent_impact,
       r.inherent_rating,
       r.residual_likelihood::integer AS residual_likelihood, r.residual_impact::integer AS residual_impact,
       r.residual_rating,
       coalesce(r.residual_rating, r.inherent_rating) AS current_rating,
       s.acceptance_threshold,
       coalesce(r.residual_rating, r.inherent_rating) <= s.acceptance_threshold AS within_appetite,
       r.treatment,
       r.accepted_at IS NOT NULL AS accepted, r.accepted_by, r.accepted_at, r.accepted_until,
       tp.plans AS treatment_plans, tp.open_plans AS open_treatment_plans,
       (SELECT count(*) FROM isms.risk_control c WHERE c.org_id = r.org_id AND c.risk_id = r.id)::integer AS controls,
       r.identified_on, r.last_reviewed_at,
       rd.due AS review_due_at, rd.due < now() AS review_overdue,
       r.created_at, r.updated_at
  FROM isms.risk r
  JOIN isms.organization o ON o.org_id = r.org_id
  LEFT JOIN isms.register_setting rs ON rs.org_id = r.org_id AND rs.relid = 'isms.risk'::regclass
  CROSS JOIN LATERAL (
      SELECT coalesce(r.last_reviewed_at, r.created_at)
             + coalesce(r.review_interval, rs.review_interval,
                        (SELECT g.default_review_interval FROM isms.register g WHERE g.relid = 'isms.risk'::regclass)) AS due) rd
  LEFT JOIN isms.risk_scale s ON s.org_id = r.org_id
  LEFT JOIN isms.asset a ON a.org_id = r.org_id AND a.id = r.asset_id
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS plans,
             count(*) FILTER (WHERE NOT ws.is_terminal)::integer AS open_plans
        FROM isms.treatment_plan p
        JOIN isms.workflow_state ws ON ws.workflow = 'treatment_plan' AND ws.state = p.status
       WHERE p.org_id = r.org_id AND p.risk_id = r.id) tp;
COMMENT ON VIEW isms_report.risk_register IS
    'Clause 6.1.2: the risk register with inherent, residual and current rating, appetite, treatment, acceptance and review status';

CREATE VIEW isms_report.statement_of_applicability WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, q.framework, q.control_order, q.ref::text COLLATE isms.natural AS control, q.title, q.theme,
       e.id AS entry_id, e.applicable,
       CASE WHEN e.id IS NULL THEN 'not decided' WHEN e.applicable THEN 'included' ELSE 'excluded' END AS decision,
       e.justification, e.implementation_status,
       coalesce(rk.n, 0)::integer AS linked_risks, coalesce(rk.ids, '{}') AS risk_ids,
       ev.latest AS latest_evidence_at, coalesce(ev.n, 0)::integer AS evidence_items,
       coalesce(ev.latest > now() - interval '1 year', false) AS evidence_recent,
       e.owner, e.last_reviewed_at
  FROM isms.organization o
  CROSS JOIN (SELECT r.framework, r.ref, r.title, r.theme,
                     row_number() OVER (PARTITION BY r.framework ORDER BY r.ref)::integer AS control_order
                FROM isms.requirement r WHERE r.kind = 'control') q
  LEFT JOIN isms.soa_entry e ON e.org_id = o.org_id AND e.framework = q.framework AND e.control = q.ref
  LEFT JOIN LATERAL (
      SELECT count(*) AS n, array_agg(rc.risk_id ORDER BY rc.risk_id) AS ids
        FROM isms.risk_control rc
       WHERE rc.org_id = o.org_id AND rc.framework = q.framework AND rc.control = q.ref) rk ON true
  LEFT JOIN LATERAL (
      SELECT max(v.collected_at) AS latest, count(*) AS n
        FROM isms.evidence v
       WHERE v.org_id = o.org_id AND v.record_table = 'isms.soa_entry'::regclass AND v.record_id = e.id) ev ON true;
COMMENT ON VIEW isms_report.statement_of_applicability IS
    'Clause 6.1.3 d: every Annex A control for every organisation (sort by control_order), with decision, justification, implementation status, linked risks and latest evidence';

CREATE VIEW isms_report.nonconformities WITH (security_invoker = true) AS
SELECT n.org_id, o.code AS org_code, n.id AS nonconformity_id, n.title, n.requirement::text COLLATE isms.natural AS requirement,
       q.title AS requirement_title, n.source, n.severity, n.owner, n.status, ws.phase, ws.is_terminal AS closed, n.cycle,
       n.detected_at, n.closed_at,
       floor(extract(epoch FROM coalesce(n.closed_at, now()) - n.detected_at) / 86400)::integer AS days_open,
       n.finding_id, n.incident_id,
       ca.n AS corrective_actions, ca.open AS open_corrective_actions, ca.root_cause AS root_cause_recorded,
       EXISTS (SELECT 1 FROM isms.nonconformity m
                JOIN isms.transition_log l ON l.org_id = m.org_id AND l.record_table = 'isms.nonconformity'::regclass
                                          AND l.to_state = 'closed' AND l.record_id = m.id
               WHERE m.org_id = n.org_id AND m.id <> n.id AND m.framework = n.framework
                 AND m.requirement OPERATOR(isms.=) n.requirement
                 AND l.at <= n.detected_at AND l.at >= n.detected_at - interval '12 months') AS recurring
  FROM isms.nonconformity n
  JOIN isms.organization o ON o.org_id = n.org_id
  LEFT JOIN isms.requirement q ON q.framework = n.framework AND q.ref = n.requirement
  LEFT JOIN isms.workflow_state ws ON ws.workflow = 'nonconformity' AND ws.state = n.status
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS n,
             count(*) FILTER (WHERE NOT s.is_terminal)::integer AS open,
             coalesce(bool_or(btrim(coalesce(a.root_cause, '')) <> ''), false) AS root_cause
        FROM isms.corrective_action a
        JOIN isms.workflow_state s ON s.workflow = 'corrective_action' AND s.state = a.status
       WHERE a.org_id = n.org_id AND a.nonconformity_id = n.id) ca;
COMMENT ON VIEW isms_report.nonconformities IS
    'Clause 10.2: nonconformities with status, age, corrective actions and recurrence (same requirement as one closed in the 12 months before)';

CREATE VIEW isms_report.audit_findings WITH (security_invoker = true) AS
SELECT f.org_id, o.code AS org_code, f.id AS finding_id, f.audit_id, a.title AS audit, f.finding_type,
       f.requirement::text COLLATE isms.natural AS requirement, f.severity, f.statement, f.status, ws.phase,
       f.nonconformity_id, f.nonconformity_id IS NOT NULL AS raised_as_nonconformity,
       f.finding_type = 'nonconformity' AND f.nonconformity_id IS NULL AND f.status <> 'withdrawn' AS unlinked_nonconformity,
       f.raised_by, f.created_at, f.updated_at
  FROM isms.audit_finding f
  JOIN isms.organization o ON o.org_id = f.org_id
  JOIN isms.audit a ON a.org_id = f.org_id AND a.id = f.audit_id
  LEFT JOIN isms.workflow_state ws ON ws.workflow = 'audit_finding' AND ws.state = f.status;
COMMENT ON VIEW isms_report.audit_findings IS
    'Clause 9.2: audit findings and whether nonconformity findings became nonconformity records (audit to corrective action)';

CREATE VIEW isms_report.stale_items WITH (security_invoker = true) AS
SELECT s.org_id, o.code AS org_code, s.register, s.clause COLLATE isms.natural AS clause, s.record_id, s.label, s.owner,
       s.last_reviewed_at, s.review_interval, s.due_at, s.days_overdue
  FROM isms.stale_items(now()) s
  JOIN isms.organization o ON o.org_id = s.org_id;
COMMENT ON VIEW isms_report.stale_items IS
    'Shelf-ware: every register row whose periodic review is overdue now, across registers (isms.stale_items)';

CREATE VIEW isms_report.staleness WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, s.register, s.clause COLLATE isms.natural AS clause, s.title, s.reviewable,
       s.review_interval, s.rows, s.overdue, s.overdue_share, s.never_reviewed,
       s.oldest_review_days, s.last_change_at, s.days_since_change, s.untouched
  FROM isms.organization o
  CROSS JOIN LATERAL isms.staleness_summary(o.org_id, now()) s;
COMMENT ON VIEW isms_report.staleness IS
    'Shelf-ware per organisation and register now: rows, overdue reviews, oldest review, days since the last change (isms.staleness_summary)';

CREATE VIEW isms_report.documents WITH (security_invoker = true) AS
SELECT d.org_id, o.code AS org_code, d.id AS document_id, d.code, d.title, d.kind, d.classification, d.origin,
       d.clause::text COLLATE isms.natural AS clause, d.owner, d.status, isms.document_in_force(d.status) AS in_force,
       r.reviewed AS last_reviewed_at, x.due AS review_due_at, x.due < now() AS review_overdue,
       isms.document_in_force(d.status) AND x.due >= now() AS current,
       d.created_at, d.updated_at
  FROM isms.document d
  JOIN isms.organization o ON o.org_id = d.org_id
  LEFT JOIN isms.register_setting rs ON rs.org_id = d.org_id AND rs.relid = 'isms.document'::regclass
  -- isms.document_reviewed_at inline: the last recorded review or the
  -- latest publication, whichever is later
  CROSS JOIN LATERAL (
      SELECT CASE WHEN d.last_reviewed_at <= now() OR v.published_at IS NOT NULL
                  THEN greatest(CASE WHEN d.last_reviewed_at <= now() THEN d.last_reviewed_at END, v.published_at)
             END AS reviewed
        FROM (SELECT max(lower(dv.validity)) AS published_at
                FROM isms.document_version dv
               WHERE dv.org_id = d.org_id AND dv.document_id = d.id AND lower(dv.validity) <= now()) v) r
  CROSS JOIN LATERAL (
      SELECT coalesce(r.reviewed, d.created_at)
             + coalesce(d.review_interval, rs.review_interval,
                        (SELECT g.default_review_interval FROM isms.register g WHERE g.relid = 'isms.document'::regclass)) AS due) x;
COMMENT ON VIEW isms_report.documents IS
    'Clause 7.5: documented information with status, whether it is in force, and its review status';

CREATE VIEW isms_report.party_requirements WITH (security_invoker = true) AS
SELECT q.org_id, o.code AS org_code, p.id AS party_id, p.name AS party, p.kind AS party_kind, p.category AS party_category,
       q.id AS requirement_id, q.requirement, q.kind, q.addressed, q.how_addressed, q.rationale, q.owner,
       q.last_reviewed_at,
       coalesce(q.last_reviewed_at, q.created_at)
         + coalesce(q.review_interval, rs.review_interval,
                    (SELECT g.default_review_interval FROM isms.register g WHERE g.relid = 'isms.party_requirement'::regclass))
         < now() AS review_overdue
  FROM isms.party_requirement q
  JOIN isms.organization o ON o.org_id = q.org_id
  LEFT JOIN isms.register_setting rs ON rs.org_id = q.org_id AND rs.relid = 'isms.party_requirement'::regclass
  JOIN isms.interested_party p ON p.org_id = q.org_id AND p.id = q.party_id;
COMMENT ON VIEW isms_report.party_requirements IS
    'Clause 4.2: interested parties and their requirements, whether the ISMS addresses each, and review status';

CREATE VIEW isms_report.framework_coverage WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, f.code AS framework, f.title AS framework_title,
       c.requirement COLLATE isms.natural AS requirement, c.title, c.top_level COLLATE isms.natural AS top_level,
       c.ancestors[cardinality(c.ancestors)] COLLATE isms.natural AS parent_requirement,
       c.mapped_controls, c.implemented, c.partially_implemented, c.not_implemented, c.excluded, c.not_decided,
       c.controls, c.clauses, c.evidence_items, c.latest_evidence_at, c.verdict, c.basis
  FROM isms.organization o
 CROSS JOIN isms.framework f
 CROSS JOIN LATERAL isms.framework_coverage(o.org_id, f.code) c
 WHERE f.code <> 'iso27001-2022'
   AND EXISTS (SELECT 1 FROM isms.mapping_set s
                WHERE (s.source_framework = f.code AND s.target_framework = 'iso27001-2022')
                   OR (s.source_framework = 'iso27001-2022' AND s.target_framework = f.code));
COMMENT ON VIEW isms_report.framework_coverage IS
    'Coverage of other frameworks (NIST CSF, SOC 2, ISO/IEC 27001:2013...) by each organisation''s ISO/IEC 27001:2022 ISMS through the imported mappings: one row per organisation and assessable requirement, with a verdict (see isms.framework_coverage)';

COMMENT ON COLUMN isms_report.risk_register.org_id IS 'Organisation (isms.organization.org_id); filter on it for one organisation';
COMMENT ON COLUMN isms_report.risk_register.org_code IS 'Short code of the organisation';
COMMENT ON COLUMN isms_report.risk_register.risk_id IS 'Identifier of the risk';
COMMENT ON COLUMN isms_report.risk_register.title IS 'Short statement of the risk';
COMMENT ON COLUMN isms_report.risk_register.asset IS 'Name of the asset at risk, if one';
COMMENT ON COLUMN isms_report.risk_register.threat IS 'Threat that could exploit the vulnerability';
COMMENT ON COLUMN isms_report.risk_register.vulnerability IS 'Weakness the threat could exploit';
COMMENT ON COLUMN isms_report.risk_register.consequence IS 'Potential consequences if the risk materialises';
COMMENT ON COLUMN isms_report.risk_register.owner IS 'Risk owner';
COMMENT ON COLUMN isms_report.risk_register.inherent_likelihood IS 'Likelihood before treatment, on the organisation''s scale';
COMMENT ON COLUMN isms_report.risk_register.inherent_impact IS 'Impact before treatment, on the organisation''s scale';
COMMENT ON COLUMN isms_report.risk_register.inherent_rating IS 'Level of risk before treatment: likelihood x impact';
COMMENT ON COLUMN isms_report.risk_register.residual_likelihood IS 'Likelihood after treatment; NULL until assessed';
COMMENT ON COLUMN isms_report.risk_register.residual_impact IS 'Impact after treatment; NULL until assessed';
COMMENT ON COLUMN isms_report.risk_register.residual_rating IS 'Level of risk after treatment: likelihood x impact; NULL until assessed';
COMMENT ON COLUMN isms_report.risk_register.current_rating IS 'Residual rating when assessed, else inherent rating';
COMMENT ON COLUMN isms_report.risk_register.acceptance_threshold IS 'Risk acceptance criterion of the organisation: a rating at or below it may be accepted';
COMMENT ON COLUMN isms_report.risk_register.within_appetite IS 'True when the current rating is at or below the acceptance threshold';
COMMENT ON COLUMN isms_report.risk_register.treatment IS 'Treatment option: modify, retain, avoid or share';
COMMENT ON COLUMN isms_report.risk_register.accepted IS 'True when the residual risk was accepted by the risk owner';
COMMENT ON COLUMN isms_report.risk_register.accepted_by IS 'Who accepted the residual risk';
COMMENT ON COLUMN isms_report.risk_register.accepted_at IS 'When the residual risk was accepted';
COMMENT ON COLUMN isms_report.risk_register.accepted_until IS 'When the acceptance lapses';
COMMENT ON COLUMN isms_report.risk_register.treatment_plans IS 'Number of treatment plans of the risk';
COMMENT ON COLUMN isms_report.risk_register.open_treatment_plans IS 'Number of treatment plans not in a final state';
COMMENT ON COLUMN isms_report.risk_register.controls IS 'Number of Annex A controls chosen for the risk';
COMMENT ON COLUMN isms_report.risk_register.identified_on IS 'Date the risk was identified';
COMMENT ON COLUMN isms_report.risk_register.last_reviewed_at IS 'When the risk was last reviewed; NULL if never';
COMMENT ON COLUMN isms_report.risk_register.review_due_at IS 'When the next periodic review is due';
COMMENT ON COLUMN isms_report.risk_register.review_overdue IS 'True when the periodic review is overdue';
COMMENT ON COLUMN isms_report.risk_register.created_at IS 'When the risk was recorded';
COMMENT ON COLUMN isms_report.risk_register.updated_at IS 'When the risk was last changed';
COMMENT ON COLUMN isms_report.statement_of_applicability.org_id IS 'Organisation (isms.organization.org_id); filter on it for one organisation';
COMMENT ON COLUMN isms_report.statement_of_applicability.org_code IS 'Short code of the organisation';
COMMENT ON COLUMN isms_report.statement_of_applicability.framework IS 'Framework of the control, such as iso27001-2022';
COMMENT ON COLUMN isms_report.statement_of_applicability.control_order IS 'Position of the control in natural order (A.5.1 ... A.8.34); sort by it';
COMMENT ON COLUMN isms_report.statement_of_applicability.control IS 'Annex A control, such as A.5.24 (text in collation isms.natural: compares and sorts naturally, A.5.9 < A.5.10)';
COMMENT ON COLUMN isms_report.statement_of_applicability.title IS 'Title of the control';
COMMENT ON COLUMN isms_report.statement_of_applicability.theme IS 'Annex A theme: organizational, people, physical or technological';
COMMENT ON COLUMN isms_report.statement_of_applicability.entry_id IS 'SoA entry of the organisation for the control; NULL when not decided';
COMMENT ON COLUMN isms_report.statement_of_applicability.applicable IS 'True when included, false when excluded, NULL when not decided';
COMMENT ON COLUMN isms_report.statement_of_applicability.decision IS 'included, excluded or not decided';
COMMENT ON COLUMN isms_report.statement_of_applicability.justification IS 'Justification of the inclusion or exclusion';
COMMENT ON COLUMN isms_report.statement_of_applicability.implementation_status IS 'not_implemented, planned, partially_implemented or implemented';
COMMENT ON COLUMN isms_report.statement_of_applicability.linked_risks IS 'Number of risks the control treats';
COMMENT ON COLUMN isms_report.statement_of_applicability.risk_ids IS 'Identifiers of the risks the control treats (bigint array, in order; empty when none)';
COMMENT ON COLUMN isms_report.statement_of_applicability.latest_evidence_at IS 'When the latest evidence attached to the SoA entry was collected';
COMMENT ON COLUMN isms_report.statement_of_applicability.evidence_items IS 'Number of evidence items attached to the SoA entry';
COMMENT ON COLUMN isms_report.statement_of_applicability.evidence_recent IS 'True when evidence was collected within the last year';
COMMENT ON COLUMN isms_report.statement_of_applicability.owner IS 'Owner of the SoA entry';
COMMENT ON COLUMN isms_report.statement_of_applicability.last_reviewed_at IS 'When the SoA entry was last reviewed';
COMMENT ON COLUMN isms_report.nonconformities.org_id IS 'Organisation (isms.organization.org_id); filter on it for one organisation';
COMMENT ON COLUMN isms_report.nonconformities.org_code IS 'Short code of the organisation';
COMMENT ON COLUMN isms_report.nonconformities.nonconformity_id IS 'Identifier of the nonconformity';
COMMENT ON COLUMN isms_report.nonconformities.title IS 'Short statement of the nonconformity';
COMMENT ON COLUMN isms_report.nonconformities.requirement IS 'Clause or control not fulfilled (natural order: collation isms.natural)';
COMMENT ON COLUMN isms_report.nonconformities.requirement_title IS 'Title of the requirement';
COMMENT ON COLUMN isms_report.nonconformities.source IS 'Where it was found: internal_audit, external_audit, incident, management_review, monitoring, complaint or other';
COMMENT ON COLUMN isms_report.nonconformities.severity IS 'major or minor';
COMMENT ON COLUMN isms_report.nonconformities.owner IS 'Person accountable for the nonconformity';
COMMENT ON COLUMN isms_report.nonconformities.status IS 'Workflow state';
COMMENT ON COLUMN isms_report.nonconformities.phase IS 'PDCA phase of the state';
COMMENT ON COLUMN isms_report.nonconformities.closed IS 'True in a final state (closed or rejected)';
COMMENT ON COLUMN isms_report.nonconformities.cycle IS 'PDCA cycle: more than 1 when reopened';
COMMENT ON COLUMN isms_report.nonconformities.detected_at IS 'When it was detected';
COMMENT ON COLUMN isms_report.nonconformities.closed_at IS 'When it was closed';
COMMENT ON COLUMN isms_report.nonconformities.days_open IS 'Days from detection to closure, or to now while open';
COMMENT ON COLUMN isms_report.nonconformities.finding_id IS 'Audit finding it was raised from, if any';
COMMENT ON COLUMN isms_report.nonconformities.incident_id IS 'Incident that revealed it, if any';
COMMENT ON COLUMN isms_report.nonconformities.corrective_actions IS 'Number of corrective actions';
COMMENT ON COLUMN isms_report.nonconformities.open_corrective_actions IS 'Number of corrective actions not in a final state';
COMMENT ON COLUMN isms_report.nonconformities.root_cause_recorded IS 'True when a corrective action records a root cause';
COMMENT ON COLUMN isms_report.nonconformities.recurring IS 'True when another nonconformity against the same requirement was closed in the 12 months before this one was detected';
COMMENT ON COLUMN isms_report.audit_findings.org_id IS 'Organisation (isms.organization.org_id); filter on it for one organisation';
COMMENT ON COLUMN isms_report.audit_findings.org_code IS 'Short code of the organisation';
COMMENT ON COLUMN isms_report.audit_findings.finding_id IS 'Identifier of the finding';
COMMENT ON COLUMN isms_report.audit_findings.audit_id IS 'Audit that raised it';
COMMENT ON COLUMN isms_report.audit_findings.audit IS 'Name of the audit';
COMMENT ON COLUMN isms_report.audit_findings.finding_type IS 'nonconformity, observation or opportunity';
COMMENT ON COLUMN isms_report.audit_findings.requirement IS 'Clause or control concerned (natural order: collation isms.natural)';
COMMENT ON COLUMN isms_report.audit_findings.severity IS 'major or minor, for nonconformities';
COMMENT ON COLUMN isms_report.audit_findings.statement IS 'The finding';
COMMENT ON COLUMN isms_report.audit_findings.status IS 'Workflow state';
COMMENT ON COLUMN isms_report.audit_findings.phase IS 'PDCA phase of the state';
COMMENT ON COLUMN isms_report.audit_findings.nonconformity_id IS 'Nonconformity raised from the finding, if any';
COMMENT ON COLUMN isms_report.audit_findings.raised_as_nonconformity IS 'True when a nonconformity record was raised from it';
COMMENT ON COLUMN isms_report.audit_findings.unlinked_nonconformity IS 'True for a nonconformity finding not (yet) raised as a nonconformity record: an audit finding that never became corrective action';
COMMENT ON COLUMN isms_report.audit_findings.raised_by IS 'Auditor who raised it';
COMMENT ON COLUMN isms_report.audit_findings.created_at IS 'When it was recorded';
COMMENT ON COLUMN isms_report.audit_findings.updated_at IS 'When it was last changed';
COMMENT ON COLUMN isms_report.stale_items.org_id IS 'Organisation (isms.organization.org_id); filter on it for one organisation';
COMMENT ON COLUMN isms_report.stale_items.org_code IS 'Short code of the organisation';
COMMENT ON COLUMN isms_report.stale_items.register IS 'Register of the row';
COMMENT ON COLUMN isms_report.stale_items.clause IS 'Clause the register serves';
COMMENT ON COLUMN isms_report.stale_items.record_id IS 'id of the row in its register';
COMMENT ON COLUMN isms_report.stale_items.label IS 'Title, name or subject of the row';
COMMENT ON COLUMN isms_report.stale_items.owner IS 'Person accountable for the review';
COMMENT ON COLUMN isms_report.stale_items.last_reviewed_at IS 'When the row was last reviewed; NULL if never';
COMMENT ON COLUMN isms_report.stale_items.review_interval IS 'Effective review interval (interval), such as 1 year';
COMMENT ON COLUMN isms_report.stale_items.due_at IS 'When the review fell due';
COMMENT ON COLUMN isms_report.stale_items.days_overdue IS 'Days since the review fell due';
COMMENT ON COLUMN isms_report.staleness.org_id IS 'Organisation (isms.organization.org_id); filter on it for one organisation';
COMMENT ON COLUMN isms_report.staleness.org_code IS 'Short code of the organisation';
COMMENT ON COLUMN isms_report.staleness.register IS 'Register name';
COMMENT ON COLUMN isms_report.staleness.clause IS 'Clause the register serves';
COMMENT ON COLUMN isms_report.staleness.title IS 'Title of the register';
COMMENT ON COLUMN isms_report.staleness.reviewable IS 'True when its rows are reviewed periodically';
COMMENT ON COLUMN isms_report.staleness.review_interval IS 'Effective review interval of the organisation''s rows without their own, such as 1 year';
COMMENT ON COLUMN isms_report.staleness.rows IS 'Rows of the organisation in the register';
COMMENT ON COLUMN isms_report.staleness.overdue IS 'Rows whose periodic review is overdue; NULL when not reviewable';
COMMENT ON COLUMN isms_report.staleness.overdue_share IS 'Share of rows overdue for review (0-1)';
COMMENT ON COLUMN isms_report.staleness.never_reviewed IS 'Reviewable rows never reviewed';
COMMENT ON COLUMN isms_report.staleness.oldest_review_days IS 'Age in days of the oldest review (or creation, if never reviewed)';
COMMENT ON COLUMN isms_report.staleness.last_change_at IS 'When anything in the register last changed or was reviewed';
COMMENT ON COLUMN isms_report.staleness.days_since_change IS 'Days since anything in the register changed';
COMMENT ON COLUMN isms_report.staleness.untouched IS 'True when nothing in the register changed for a year: shelf-ware';
COMMENT ON COLUMN isms_report.documents.org_id IS 'Organisation (isms.organization.org_id); filter on it for one organisation';
COMMENT ON COLUMN isms_report.documents.org_code IS 'Short code of the organisation';
COMMENT ON COLUMN isms_report.documents.document_id IS 'Identifier of the document';
COMMENT ON COLUMN isms_report.documents.code IS 'Document identifier, such as ISMS-POL-001';
COMMENT ON COLUMN isms_report.documents.title IS 'Title';
COMMENT ON COLUMN isms_report.documents.kind IS 'policy, procedure, standard, guideline, plan, record, form or other';
COMMENT ON COLUMN isms_report.documents.classification IS 'public, internal, confidential or restricted';
COMMENT ON COLUMN isms_report.documents.origin IS 'internal or external';
COMMENT ON COLUMN isms_report.documents.clause IS 'Clause the document provides, such as 6.1.2 (natural order: collation isms.natural)';
COMMENT ON COLUMN isms_report.documents.owner IS 'Owner of the document';
COMMENT ON COLUMN isms_report.documents.status IS 'Document status, such as draft, published or retired';
COMMENT ON COLUMN isms_report.documents.in_force IS 'True while a version is in force: published, or under revision (a version in force and a newer one being prepared); an approved version not yet published is not';
COMMENT ON COLUMN isms_report.documents.last_reviewed_at IS 'When the document was last reviewed: its last recorded review or the publication of its latest version, whichever is later (isms.document_reviewed_at)';
COMMENT ON COLUMN isms_report.documents.review_due_at IS 'When the next review is due';
COMMENT ON COLUMN isms_report.documents.review_overdue IS 'True when the review is overdue';
COMMENT ON COLUMN isms_report.documents.current IS 'True when in force and not overdue for review';
COMMENT ON COLUMN isms_report.documents.created_at IS 'When the document was registered';
COMMENT ON COLUMN isms_report.documents.updated_at IS 'When the document was last changed';
COMMENT ON COLUMN isms_report.party_requirements.org_id IS 'Organisation (isms.organization.org_id); filter on it for one organisation';
COMMENT ON COLUMN isms_report.party_requirements.org_code IS 'Short code of the organisation';
COMMENT ON COLUMN isms_report.party_requirements.party_id IS 'Interested party';
COMMENT ON COLUMN isms_report.party_requirements.party IS 'Name of the party';
COMMENT ON COLUMN isms_report.party_requirements.party_kind IS 'internal or external';
COMMENT ON COLUMN isms_report.party_requirements.party_category IS 'Classification of the party';
COMMENT ON COLUMN isms_report.party_requirements.requirement_id IS 'Identifier of the requirement';
COMMENT ON COLUMN isms_report.party_requirements.requirement IS 'The need or expectation';
COMMENT ON COLUMN isms_report.party_requirements.kind IS 'legal, regulatory, contractual or other';
COMMENT ON COLUMN isms_report.party_requirements.addressed IS 'True when the ISMS addresses it';
COMMENT ON COLUMN isms_report.party_requirements.how_addressed IS 'How the ISMS addresses it';
COMMENT ON COLUMN isms_report.party_requirements.rationale IS 'Why it is not addressed';
COMMENT ON COLUMN isms_report.party_requirements.owner IS 'Owner of the requirement';
COMMENT ON COLUMN isms_report.party_requirements.last_reviewed_at IS 'When it was last reviewed';
COMMENT ON COLUMN isms_report.party_requirements.review_overdue IS 'True when its review is overdue';
COMMENT ON COLUMN isms_report.framework_coverage.org_id IS 'Organisation';
COMMENT ON COLUMN isms_report.framework_coverage.org_code IS 'Short code of the organisation';
COMMENT ON COLUMN isms_report.framework_coverage.framework IS 'The other framework, such as nist-csf-2.0';
COMMENT ON COLUMN isms_report.framework_coverage.framework_title IS 'Title of the other framework';
COMMENT ON COLUMN isms_report.framework_coverage.requirement IS 'Requirement of the other framework as it writes it, such as GV.OC-01';
COMMENT ON COLUMN isms_report.framework_coverage.title IS 'Title (or text) of the requirement';
COMMENT ON COLUMN isms_report.framework_coverage.top_level IS 'Top-level node the requirement is under, such as the CSF function GV';
COMMENT ON COLUMN isms_report.framework_coverage.parent_requirement IS 'Node directly above the requirement, such as the CSF category GV.OC';
COMMENT ON COLUMN isms_report.framework_coverage.mapped_controls IS 'Annex A controls mapped to the requirement';
COMMENT ON COLUMN isms_report.framework_coverage.implemented IS 'Of those, included in the SoA and implemented';
COMMENT ON COLUMN isms_report.framework_coverage.partially_implemented IS 'Of those, included and partially implemented';
COMMENT ON COLUMN isms_report.framework_coverage.not_implemented IS 'Of those, included and not implemented or only planned';
COMMENT ON COLUMN isms_report.framework_coverage.excluded IS 'Of those, excluded in the SoA';
COMMENT ON COLUMN isms_report.framework_coverage.not_decided IS 'Of those, without an SoA entry';
COMMENT ON COLUMN isms_report.framework_coverage.controls IS 'The mapped controls with their state and relationship, such as A.5.1 implemented (intersect)';
COMMENT ON COLUMN isms_report.framework_coverage.clauses IS 'ISO/IEC 27001 clauses (4-10) mapped to the requirement';
COMMENT ON COLUMN isms_report.framework_coverage.evidence_items IS 'Evidence items attached to the SoA entries of the mapped controls';
COMMENT ON COLUMN isms_report.framework_coverage.latest_evidence_at IS 'When the latest of that evidence was collected';
COMMENT ON COLUMN isms_report.framework_coverage.verdict IS 'covered, partial or gap';
COMMENT ON COLUMN isms_report.framework_coverage.basis IS 'The rule that gave the verdict, with the figures';

REVOKE ALL ON TABLE isms_report.risk_register, isms_report.statement_of_applicability, isms_report.nonconformities, isms_report.audit_findings, isms_report.stale_items, isms_report.staleness, isms_report.documents, isms_report.party_requirements, isms_report.framework_coverage FROM PUBLIC;
GRANT SELECT ON TABLE isms_report.risk_register, isms_report.statement_of_applicability, isms_report.nonconformities, isms_report.audit_findings, isms_report.stale_items, isms_report.staleness, isms_report.documents, isms_report.party_requirements, isms_report.framework_coverage TO isms_reader;
-- isms.statement_of_applicability: risk_ids as a bigint array (a new result type)
DROP FUNCTION isms.statement_of_applicability(bigint, text, timestamptz);
CREATE OR REPLACE FUNCTION isms.statement_of_applicability(org_id bigint, framework text DEFAULT 'iso27001-2022',
                                                as_of timestamptz DEFAULT now())
RETURNS TABLE (control text, title text, theme text, applicable boolean, decision text,
               justification text, implementation_status text, linked_risks integer, risk_ids bigint[],
               latest_evidence_at timestamptz, evidence_items integer, owner text, last_reviewed_at timestamptz)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    fw constant text := $2;
    t constant timestamptz := isms.report_time('as_of', $3);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM isms.framework WHERE code = fw) THEN
        PERFORM isms.report_bad_argument('framework', fw, 'no such framework',
            'SELECT code FROM isms.framework lists them; the default is iso27001-2022.');
    END IF;
    RETURN QUERY
    WITH e AS MATERIALIZED (
        SELECT x.* FROM isms.known_as_of(NULL::isms.soa_entry, t) x
         WHERE x.org_id = o AND x.framework = fw AND x.created_at <= t),
    rc AS MATERIALIZED (
        SELECT x.control, count(*) AS n, array_agg(x.risk_id ORDER BY x.risk_id) AS ids
          FROM isms.known_as_of(NULL::isms.risk_control, t) x
         WHERE x.org_id = o AND x.framework = fw AND x.created_at <= t
         GROUP BY x.control)
    SELECT q.ref::text, q.title, q.theme, e.applicable,
           CASE WHEN e.id IS NULL THEN 'not decided' WHEN e.applicable THEN 'included' ELSE 'excluded' END,
           e.justification, e.implementation_status,
           coalesce(rc.n, 0)::integer, coalesce(rc.ids, '{}'), ev.latest, coalesce(ev.n, 0)::integer, e.owner,
           e.last_reviewed_at
      FROM isms.requirement q
      LEFT JOIN e ON e.control = q.ref
      LEFT JOIN rc ON rc.control = q.ref
      LEFT JOIN LATERAL (
          SELECT max(v.collected_at) AS latest, count(*) AS n
            FROM isms.evidence v
           WHERE v.org_id = o AND v.record_table = 'isms.soa_entry'::regclass AND v.record_id = e.id
             AND v.collected_at <= t AND v.created_at <= t) ev ON true
     WHERE q.framework = fw AND q.kind = 'control'
     ORDER BY q.ref;
END
$$;
COMMENT ON FUNCTION isms.statement_of_applicability(bigint, text, timestamptz) IS
    'Clause 6.1.3 d: every Annex A control in natural order with the organisation''s decision (included, excluded, not decided), justification, implementation status, linked risks (risk_ids: a bigint array) and the latest evidence attached to its SoA entry, as the register stood at as_of (register history); export with \copy (SELECT * FROM isms.statement_of_applicability(1)) TO ''soa.csv'' CSV HEADER';
REVOKE ALL ON FUNCTION isms.statement_of_applicability(bigint, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.statement_of_applicability(bigint, text, timestamptz) TO isms_reader;


-- isms.soa_entry_check, isms.risk_control_check: an unknown control is 23503 naming it
CREATE OR REPLACE FUNCTION isms.soa_entry_check() RETURNS trigger
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
    SELECT CASE WHEN r.assessable THEN r.kind ELSE r.kind || ' that is not assessable' END INTO kind
      FROM isms.requirement r WHERE r.framework = NEW.framework AND r.ref = NEW.control;
    IF kind IS NULL THEN
        RAISE EXCEPTION 'SoA entry for % of organisation %: % is not a control of %', NEW.control, NEW.org_id,
                        NEW.control, NEW.framework
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'soa_entry_framework_control_fkey',
                  TABLE = 'soa_entry', SCHEMA = 'isms',
                  DETAIL = format('The catalog (isms.requirement) of %s has no clause or control %s.', NEW.framework, NEW.control),
                  HINT = format('Use a control the catalog lists: SELECT ref, title FROM isms.requirement WHERE framework = %L AND kind = ''control'' ORDER BY ref.', NEW.framework);
    END IF;
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
    'Trigger: a new or changed SoA entry has a meaningful justification and is on a control of the catalog (23503 naming the value), not a theme (23514), and excludes no control a risk treatment uses (IS070)';
REVOKE ALL ON FUNCTION isms.soa_entry_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.soa_entry_check() TO isms_reader;

CREATE OR REPLACE FUNCTION isms.risk_control_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    kind text;
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       OR NOT NEW.org_id = ANY (isms.member_orgs()) THEN
        RETURN NEW;                     -- trusted, or refused by row-level security
    END IF;
    SELECT CASE WHEN r.assessable THEN r.kind ELSE r.kind || ' that is not assessable' END INTO kind
      FROM isms.requirement r WHERE r.framework = NEW.framework AND r.ref = NEW.control;
    IF kind IS NULL THEN
        RAISE EXCEPTION 'risk % of organisation % cannot be treated by %: % is not a control of %', NEW.risk_id, NEW.org_id,
                        NEW.control, NEW.control, NEW.framework
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'risk_control_framework_control_fkey',
                  TABLE = 'risk_control', SCHEMA = 'isms',
                  DETAIL = format('The catalog (isms.requirement) of %s has no clause or control %s.', NEW.framework, NEW.control),
                  HINT = format('Use a control the catalog lists: SELECT ref, title FROM isms.requirement WHERE framework = %L AND kind = ''control'' ORDER BY ref.', NEW.framework);
    END IF;
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
    'Trigger: a risk treatment uses a control of the catalog (23503 naming the value), not a theme (23514), that the organisation''s Statement of Applicability does not exclude (IS070)';
REVOKE ALL ON FUNCTION isms.risk_control_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.risk_control_check() TO isms_reader;




-- Continual improvement: the residual risk total once per period boundary.
CREATE OR REPLACE FUNCTION isms.improvement_metrics(org_id bigint,
                                         from_at timestamptz DEFAULT now() - interval '1 year',
                                         to_at timestamptz DEFAULT now(),
                                         bucket interval DEFAULT interval '3 months',
                                         recurrence_window interval DEFAULT interval '12 months')
RETURNS TABLE (period_start timestamptz, period_end timestamptz,
               nonconformities_raised integer, nonconformities_closed integer,
               median_days_to_close numeric, p90_days_to_close numeric,
               corrective_actions_checked integer, corrective_actions_effective integer,
               effective_share numeric,
               recurring_nonconformities integer,
               audits_planned integer, audits_completed integer, audit_completion numeric,
               reviews_planned integer, reviews_held integer,
               objectives_measured integer, objectives_met integer, objectives_met_share numeric,
               residual_risk_total bigint, residual_risk_change bigint,
               pdca_cycles_completed integer, pdca_cycles_by_workflow jsonb,
               improvements_implemented integer)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    t0 constant timestamptz := isms.report_time('from_at', $2);
    t1 constant timestamptz := isms.report_time('to_at', $3);
    b constant interval := $4;
    w constant interval := $5;
    max_periods constant integer := 5000;
BEGIN
    -- the records as they stood at to_at (register history); moves from the log
    IF t0 > t1 THEN
        PERFORM isms.report_bad_argument('from_at', t0::text,
            format('from_at is after to_at (%s)', t1),
            'Pass the start of the reporting range first: improvement_metrics(org_id, from_at, to_at, bucket).');
    END IF;
    IF b IS NULL OR t0 + b <= t0 THEN
        PERFORM isms.report_bad_argument('bucket', b::text, 'the period length must be a positive interval',
            'Pass an interval such as ''1 month'' or ''3 months''.');
    END IF;
    IF t0 + b * max_periods < t1 THEN
        PERFORM isms.report_bad_argument('bucket', b::text,
            format('more than %s periods between from_at and to_at', max_periods),
            'Pass a longer bucket or a shorter range.');
    END IF;
    IF w IS NULL OR w < interval '0' THEN
        PERFORM isms.report_bad_argument('recurrence_window', w::text, 'a non-negative interval is required',
            'Pass an interval such as ''12 months''.');
    END IF;

    RETURN QUERY
    WITH p AS (
        SELECT s AS ps, least(s + b, t1) AS pe
          FROM generate_series(t0, t1, b) AS s
         WHERE s < t1),
    -- completed PDCA cycles: moves into a final state of the act phase
    acts AS MATERIALIZED (
        SELECT f.relid, s.workflow, s.state
          FROM isms.workflow f
          JOIN isms.workflow_state s ON s.workflow = f.workflow
         WHERE f.relid IS NOT NULL AND s.is_terminal AND s.phase = 'act'),
    nc_close AS MATERIALIZED (
        SELECT c.record_id, c.at, n.framework, n.requirement,
               date_part('epoch', c.at - CASE WHEN c.cycle = 1 THEN n.detected_at
                                              ELSE (SELECT min(x.at) FROM isms.transition_log x
                                                     WHERE x.org_id = o AND x.record_table = c.record_table
                                                       AND x.record_id = c.record_id AND x.cycle = c.cycle) END)
                   / 86400 AS days
          FROM isms.transition_log c
          JOIN isms.known_as_of(NULL::isms.nonconformity, t1) n ON n.org_id = o AND n.id = c.record_id
         WHERE c.org_id = o AND c.record_table = 'isms.nonconformity'::regclass AND c.to_state = 'closed'
           AND c.at < t1),
    -- the residual risk total at each period boundary, once: a period's
    -- start is the previous one's end
    rb AS MATERIALIZED (
        SELECT x.at, (SELECT coalesce(sum(r.rating), 0) FROM isms.risk_rating_at(o, x.at) r)::bigint AS total
          FROM (SELECT p.ps AS at FROM p UNION SELECT p.pe FROM p) x)
    SELECT p.ps, p.pe,
           (SELECT count(*) FROM isms.known_as_of(NULL::isms.nonconformity, t1) n
             WHERE n.org_id = o AND n.detected_at >= p.ps AND n.detected_at < p.pe)::integer,
           cl.n::integer, cl.median, cl.p90,
           ca.checked::integer, ca.effective::integer,
           round(ca.effective::numeric / nullif(ca.checked, 0), 3),
           (SELECT count(*) FROM isms.known_as_of(NULL::isms.nonconformity, t1) n
             WHERE n.org_id = o AND n.detected_at >= p.ps AND n.detected_at < p.pe
               AND n.requirement IS NOT NULL
               AND EXISTS (SELECT 1 FROM nc_close c
                            WHERE c.record_id <> n.id AND c.framework = n.framework
                              AND c.requirement = n.requirement
                              AND c.at <= n.detected_at AND c.at >= n.detected_at - w))::integer,
           au.planned::integer, au.completed::integer,
           round(au.completed::numeric / nullif(au.planned, 0), 3),
           (SELECT count(*) FROM isms.known_as_of(NULL::isms.management_review, t1) m
             WHERE m.org_id = o AND m.planned_on >= p.ps AND m.planned_on < p.pe)::integer,
           (SELECT count(*) FROM isms.known_as_of(NULL::isms.management_review, t1) m
             WHERE m.org_id = o AND m.held_on >= p.ps AND m.held_on < p.pe)::integer,
           ob.measured::integer, ob.met::integer,
           round(ob.met::numeric / nullif(ob.measured, 0), 3),
           rk.at_end, rk.at_end - rk.at_start,
           coalesce(cy.total, 0)::integer, coalesce(cy.by_workflow, '{}'::jsonb),
           (SELECT count(*) FROM isms.transition_log l
             WHERE l.org_id = o AND l.record_table = 'isms.improvement'::regclass AND l.to_state = 'implemented'
               AND l.at >= p.ps AND l.at < p.pe)::integer
      FROM p
      CROSS JOIN LATERAL (
          SELECT count(*) AS n,
                 round(percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(c.days, 0))::numeric, 1) AS median,
                 round(percentile_cont(0.9) WITHIN GROUP (ORDER BY greatest(c.days, 0))::numeric, 1) AS p90
            FROM nc_close c WHERE c.at >= p.ps AND c.at < p.pe) cl
      CROSS JOIN LATERAL (
          -- an effectiveness check concludes when a verified action closes
          -- (effective) or is reworked (not effective)
          SELECT count(*) AS checked, count(*) FILTER (WHERE l.to_state = 'closed') AS effective
            FROM isms.transition_log l
           WHERE l.org_id = o AND l.record_table = 'isms.corrective_action'::regclass
             AND l.to_state IN ('closed', 'in_progress') AND l.from_state = 'verified'
             AND l.at >= p.ps AND l.at < p.pe) ca
      CROSS JOIN LATERAL (
          SELECT count(*) AS planned,
                 count(*) FILTER (WHERE EXISTS (SELECT 1 FROM isms.transition_log l
                                                 WHERE l.org_id = o AND l.record_table = 'isms.audit'::regclass
                                                   AND l.to_state = 'completed' AND l.record_id = a.id
                                                   AND l.at < t1)) AS completed
            FROM isms.known_as_of(NULL::isms.audit, t1) a
           WHERE a.org_id = o AND a.planned_end >= p.ps AND a.planned_end < p.pe) au
      CROSS JOIN LATERAL (
          SELECT count(*) AS measured, count(*) FILTER (WHERE x.met) AS met
            FROM (SELECT DISTINCT ON (m.objective_id) m.objective_id,
                         CASE j.direction WHEN 'at_most' THEN m.value <= j.target ELSE m.value >= j.target END AS met
                    FROM isms.objective_measurement m
                    JOIN isms.known_as_of(NULL::isms.objective, t1) j ON j.org_id = m.org_id AND j.id = m.objective_id
                   WHERE m.org_id = o AND m.measured_at >= p.ps AND m.measured_at < p.pe
                   ORDER BY m.objective_id, m.measured_at DESC) x) ob
      CROSS JOIN LATERAL (
          SELECT (SELECT e.total FROM rb e WHERE e.at = p.pe) AS at_end,
                 (SELECT e.total FROM rb e WHERE e.at = p.ps) AS at_start) rk
      LEFT JOIN LATERAL (
          SELECT sum(y.n) AS total, jsonb_object_agg(y.workflow, y.n ORDER BY y.workflow) AS by_workflow
            FROM (SELECT a.workflow, count(*) AS n
                    FROM acts a
                    JOIN isms.transition_log l ON l.org_id = o AND l.record_table = a.relid AND l.to_state = a.state
                                              AND l.at >= p.ps AND l.at < p.pe
                                              AND isms.reported_move(l.from_state, l.to_state)
                   GROUP BY a.workflow) y) cy ON true
     ORDER BY p.ps;
END
$$;
COMMENT ON FUNCTION isms.improvement_metrics(bigint, timestamptz, timestamptz, interval, interval) IS
    'Continual improvement (10.1) per period [start, end) from from_at to to_at, from the records as they stood at to_at (register history) and the transition log: nonconformities raised (detected) and closed (log), median and 90th percentile days to close, corrective action effectiveness checks concluded (log: verified to closed, effective, or back to in_progress, not) and the share effective, recurring nonconformities (same requirement as one closed within recurrence_window before), audits due and completed, management reviews planned and held, objectives measured and met, residual risk total at period end and its change, completed PDCA cycles (moves into a final act state) per workflow, improvements implemented';
REVOKE ALL ON FUNCTION isms.improvement_metrics(bigint, timestamptz, timestamptz, interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.improvement_metrics(bigint, timestamptz, timestamptz, interval, interval) TO isms_reader;


-- Staleness and the register rows at the current instant read each register
-- directly (its organisation index), as isms.known_as_of() would return it;
-- isms.register_activity() also counts the rows out of force (retired), for
-- readiness check 12: its row type changes, so it is made anew.
CREATE OR REPLACE FUNCTION isms.build_register_row() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
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
    parts_at text[] := '{}';
    rev text;
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
            CASE WHEN NOT r.reviewable THEN 'NULL::timestamptz'
                 WHEN r.relid = 'isms.document'::regclass
                 THEN 'isms.document_reviewed_at(t.org_id, t.id, t.last_reviewed_at, ISMS_AT)'
                 ELSE 'ISMS_LAST_REVIEW' END,
            CASE WHEN 'status' = ANY (cols) THEN 't.status' ELSE 'NULL::text' END,
            retired,
            CASE WHEN r.reviewable THEN 'coalesce(t.last_reviewed_at, t.created_at)' ELSE 'NULL::timestamptz' END);
        -- the rows as of an instant: one branch per register
        -- (a review recorded after the instant, in a row's earliest known
        -- version, does not count then)
        -- (at or after the transaction's start known_as_of() is the
        -- register itself: read it directly there, so that an organisation
        -- filter reaches its index and no dynamic SQL runs)
        parts_at := parts_at || format('%s, interval ''0'' AS candidate_interval FROM %s t',
                                       replace(replace(common, 'ISMS_AT', '$1'), 'ISMS_LAST_REVIEW',
                                               'CASE WHEN t.last_reviewed_at <= $1 THEN t.last_reviewed_at END'),
                                       format('(SELECT * FROM %1$s WHERE $1 >= now() UNION ALL '
                                              'SELECT * FROM isms.known_as_of(NULL::%1$s, $1) WHERE $1 < now())', r.relid));
        common := replace(replace(common, 'ISMS_AT', 'now()'), 'ISMS_LAST_REVIEW', 't.last_reviewed_at');
        IF NOT r.reviewable THEN
            parts := parts || format('%s, NULL::interval AS candidate_interval FROM %s t', common, r.relid);
            activity := activity || format(
                'SELECT %L::regclass, count(*), NULL::bigint, NULL::bigint, NULL::interval, '
                'max(t.updated_at) FILTER (WHERE t.updated_at <= $2), NULL::bigint '
                'FROM (SELECT * FROM %2$s WHERE $2 >= now() UNION ALL '
                'SELECT * FROM isms.known_as_of(NULL::%2$s, $2) WHERE $2 < now()) t '
                'WHERE t.org_id = $1 AND t.created_at <= $2', r.relid, r.relid);
            CONTINUE;
        END IF;
        in_force := format('(%s IS NULL OR %s > $2)', retired, retired);
        rev := CASE WHEN r.relid = 'isms.document'::regclass
                    THEN 'isms.document_reviewed_at(t.org_id, t.id, t.last_reviewed_at, $2)'
                    ELSE 'CASE WHEN t.last_reviewed_at <= $2 THEN t.last_reviewed_at END' END;
        activity := activity || format(
            'SELECT %L::regclass, count(*), '
            'count(*) FILTER (WHERE %s AND coalesce(%s, t.created_at) + coalesce(t.review_interval, '
            '(SELECT coalesce(s.review_interval, g.default_review_interval) FROM isms.register g '
            'LEFT JOIN isms.register_setting s ON s.org_id = $1 AND s.relid = g.relid WHERE g.relid = %L::regclass)) < $2), '
            'count(*) FILTER (WHERE %s AND %s IS NULL), '
            'max($2 - coalesce(%s, t.created_at)) FILTER (WHERE %s), '
            'max(greatest(t.updated_at, %s)) FILTER (WHERE greatest(t.updated_at, %s) <= $2), '
            'count(*) FILTER (WHERE %s <= $2) '
            'FROM (SELECT * FROM %s WHERE $2 >= now() UNION ALL '
            'SELECT * FROM isms.known_as_of(NULL::%s, $2) WHERE $2 < now()) t '
            'WHERE t.org_id = $1 AND t.created_at <= $2',
            r.relid, in_force, rev, r.relid, in_force, rev, rev, in_force, rev, rev, retired, r.relid, r.relid);
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

    EXECUTE 'CREATE OR REPLACE FUNCTION isms.register_row_at(as_of timestamptz) '
            'RETURNS SETOF isms.register_row '
            'LANGUAGE sql STABLE SET search_path = pg_catalog, isms, pg_temp '
            'AS $f$ ' || array_to_string(parts_at, E'\nUNION ALL ') || ' $f$';
    COMMENT ON FUNCTION isms.register_row_at(timestamptz) IS
        'The rows of isms.register_row as they stood at as_of, from the register history (isms.known_as_of), generated by isms.build_register_row()';
    REVOKE ALL ON FUNCTION isms.register_row_at(timestamptz) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION isms.register_row_at(timestamptz) TO isms_reader;

    -- Per register, what one organisation's rows say about staleness: one
    -- small aggregate per register table (cheaper than grouping the view).
    EXECUTE 'CREATE OR REPLACE FUNCTION isms.register_activity(org_id bigint, as_of timestamptz) '
            'RETURNS TABLE (relid regclass, rows bigint, overdue bigint, never_reviewed bigint, '
            'oldest_review interval, last_change_at timestamptz, retired bigint) '
            'LANGUAGE plpgsql STABLE SET search_path = pg_catalog, isms, pg_temp SET plan_cache_mode = force_generic_plan SET jit = off '
            'AS $f$ BEGIN RETURN QUERY ' || array_to_string(activity, E'\nUNION ALL ') || '; END $f$';
    COMMENT ON FUNCTION isms.register_activity(bigint, timestamptz) IS
        'Staleness figures of one organisation per register at as_of (generated from isms.register by isms.build_register_row()): rows existing then, rows in force overdue for review, never reviewed, age of the oldest review, last change, rows out of force by then (retired; NULL for registers not reviewed)';
    REVOKE ALL ON FUNCTION isms.register_activity(bigint, timestamptz) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION isms.register_activity(bigint, timestamptz) TO isms_reader;
END
$$;
COMMENT ON FUNCTION isms.build_register_row() IS
    'Install helper: (re)creates the view isms.register_row and the review indexes of the reviewable registers from isms.register; call it again after adding a register';
REVOKE ALL ON FUNCTION isms.build_register_row() FROM PUBLIC;

DROP FUNCTION isms.register_activity(bigint, timestamptz);
SELECT isms.build_register_row();

-- The suppliers view by the same rules: the review due date inline.
CREATE OR REPLACE VIEW isms_report.suppliers WITH (security_invoker = true) AS
SELECT s.org_id, o.code AS org_code, s.id AS supplier_id, s.name, s.services, s.information,
       s.classification, s.criticality, s.status, s.status <> 'retired' AS in_force, s.owner, s.contact,
       c.contracts, c.contracts_in_force, c.secured AS security_requirements_agreed,
       c.right_to_audit, c.next_contract_end,
       a.assessments, a.last_assessed_on, a.last_result, a.next_assessment_due, a.overdue_assessments,
       a.overdue_assessments > 0 AS assessment_overdue,
       (SELECT count(*) FROM isms.supplier_risk r WHERE r.org_id = s.org_id AND r.supplier_id = s.id)::integer AS risks,
       (SELECT count(*) FROM isms.supplier_control k WHERE k.org_id = s.org_id AND k.supplier_id = s.id)::integer AS controls,
       s.status <> 'retired'
         AND ((s.criticality IN ('high', 'critical') AND NOT c.secured) OR a.overdue_assessments > 0) AS flagged,
       s.last_reviewed_at,
       rd.due AS review_due_at, s.status <> 'retired' AND rd.due < now() AS review_overdue,
       s.created_at, s.updated_at
  FROM isms.supplier s
  JOIN isms.organization o ON o.org_id = s.org_id
  -- isms.review_due_at inline: no function call per row for SELECT *
  LEFT JOIN isms.register_setting rs ON rs.org_id = s.org_id AND rs.relid = 'isms.supplier'::regclass
  CROSS JOIN LATERAL (
      SELECT coalesce(s.last_reviewed_at, s.created_at)
             + coalesce(s.review_interval, rs.review_interval,
                        (SELECT g.default_review_interval FROM isms.register g WHERE g.relid = 'isms.supplier'::regclass)) AS due) rd
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS contracts,
             count(*) FILTER (WHERE x.starts_on <= current_date AND (x.ends_on IS NULL OR x.ends_on >= current_date))::integer
                 AS contracts_in_force,
             coalesce(bool_or(x.security_requirements IS NOT NULL)
                      FILTER (WHERE x.starts_on <= current_date AND (x.ends_on IS NULL OR x.ends_on >= current_date)), false)
                 AS secured,
             coalesce(bool_or(x.right_to_audit)
                      FILTER (WHERE x.starts_on <= current_date AND (x.ends_on IS NULL OR x.ends_on >= current_date)), false)
                 AS right_to_audit,
             min(x.ends_on) FILTER (WHERE x.ends_on >= current_date) AS next_contract_end
        FROM isms.supplier_contract x
       WHERE x.org_id = s.org_id AND x.supplier_id = s.id) c
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS assessments,
             max(y.performed_on) AS last_assessed_on,
             (SELECT z.result FROM isms.supplier_assessment z
               WHERE z.org_id = s.org_id AND z.supplier_id = s.id AND z.performed_on IS NOT NULL
               ORDER BY z.performed_on DESC, z.id DESC LIMIT 1) AS last_result,
             min(y.due_on) FILTER (WHERE y.performed_on IS NULL) AS next_assessment_due,
             count(*) FILTER (WHERE y.performed_on IS NULL AND y.due_on < current_date)::integer AS overdue_assessments
        FROM isms.supplier_assessment y
       WHERE y.org_id = s.org_id AND y.supplier_id = s.id) a;

-- The context of an application's transaction.
-- isms.set_context() sets isms.org and isms.actor from bound parameters;
-- isms.context() reads them on any connection.
CREATE FUNCTION isms.set_context(org_code text, actor text DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'isms_set_context'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION isms.set_context(text, text) IS
    'Sets the organisation (isms.org, by code) and the person acting (isms.actor; NULL: the login role) for the current transaction, as SET LOCAL would, from bound parameters; returns the org_id. Refuses outside a transaction block (25P01), a NULL code (22004) and an organisation that does not exist or of which the role is not a member (42501)';
REVOKE ALL ON FUNCTION isms.set_context(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.set_context(text, text) TO isms_admin, isms_editor, isms_auditor, isms_reader;


-- isms.org, like isms.actor, per transaction for a pooled application's login:
-- isms.current_org() refuses one left for the session (IS081).
CREATE FUNCTION isms.current_org() RETURNS text
    AS 'MODULE_PATHNAME', 'isms_org_fn'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.current_org() IS
    'The organisation code the setting isms.org narrows row-level security to ('''' for none); refuses a value a trusted non-superuser (isms_app) SET for the session in an earlier transaction (IS081): set it per transaction with isms.set_context or SET LOCAL';
REVOKE ALL ON FUNCTION isms.current_org() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.current_org() TO isms_reader;

CREATE OR REPLACE FUNCTION isms.member_orgs(who name DEFAULT CURRENT_USER) RETURNS bigint[]
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT coalesce(pg_catalog.array_agg(o.org_id ORDER BY o.org_id), '{}')
      FROM isms.organization o
     WHERE pg_catalog.pg_has_role(session_user, who, 'MEMBER')
       AND (isms.current_org() OPERATOR(pg_catalog.=) ''
            OR o.code OPERATOR(pg_catalog.=) isms.current_org())
       AND (pg_catalog.pg_has_role(who, 'isms_admin', 'USAGE')
            OR EXISTS (SELECT 1
                         FROM isms.membership m
                         JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) m.role_name
                        WHERE m.org_id OPERATOR(pg_catalog.=) o.org_id
                          AND pg_catalog.pg_has_role(who, r.oid, 'MEMBER')))
$$;
COMMENT ON FUNCTION isms.member_orgs(name) IS
    'Organisations the role may see and write under row-level security: all for isms_admin, else those of isms.membership naming the role or a role it belongs to; narrowed to one by the setting isms.org';
REVOKE ALL ON FUNCTION isms.member_orgs(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.member_orgs(name) TO isms_reader;

CREATE FUNCTION isms.context(OUT org text, OUT org_id bigint, OUT actor text, OUT role_name name)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT NULLIF(isms.current_org(), ''),
           (SELECT o.org_id FROM isms.organization o
             WHERE o.code OPERATOR(pg_catalog.=) isms.current_org()),
           isms.current_actor(),
           CURRENT_USER
$$;
COMMENT ON FUNCTION isms.context() IS
    'The context in force: org, the code the setting isms.org names (NULL: every organisation of the role); org_id, that organisation when the role may see it; actor, the person recorded (isms.current_actor()); role_name, the role row-level security checks. Works on a fresh connection, before the settings exist; refuses a context a pooled application''s login (isms_app) left for the session in an earlier transaction (IS081)';
REVOKE ALL ON FUNCTION isms.context() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.context() TO isms_admin, isms_editor, isms_auditor, isms_reader;

-- == reports2: the sample through a set-based import, risk acceptance by the risk owner, BI views as of an instant ==
-- isms.import_apply writes a batch register by register (one statement
-- per run of records) and allocates every id first; a record's versions
-- are found by its key.  isms.signoff_complete refuses a risk acceptance
-- signed by anyone but the risk owner (IS140).
DROP INDEX isms.import_staging_batch_idx;
CREATE INDEX import_staging_batch_idx ON isms.import_staging (org_id, batch, register, ref, valid_from);
CREATE OR REPLACE FUNCTION isms.import_apply(org_id bigint, batch text)
    RETURNS isms.import_batch
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, isms, pg_temp
    SET jit = off
AS $$
DECLARE
    o constant bigint := org_id;
    b constant text := batch;
    problems text[] := '{}';
    grp record;
    got record;
    stmt text;
    xcols text;
    gens text;
    unset jsonb;
    reg_name text;
    one text;
    bad_ref text;
    err_msg text;
    err_state text;
    reg regclass;
    hist regclass;
    wf boolean;
    cols text;
    ids jsonb := '{}';
    n_rows integer := 0;
    n_records integer := 0;
    n_hist integer := 0;
    n_log integer := 0;
    first_log bigint;
    last_log bigint;
    digest bytea;
    log_sha text;
    seq bigint;
    result isms.import_batch;
    line_no bigint;
    caller constant name := CASE WHEN current_setting('role') = 'none' THEN session_user
                                 ELSE current_setting('role')::name END;
    imported_by constant text := isms.current_actor();
BEGIN
    IF NOT pg_has_role(caller, 'isms_admin', 'USAGE') THEN
        RAISE EXCEPTION 'permission denied to import into organisation %', o
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('%s is not a member of isms_admin.', caller),
                  HINT = 'An import is an admin''s: ask a member of isms_admin.';
    END IF;
    IF o IS NULL OR NOT (o = ANY (isms.member_orgs(caller))) OR NOT EXISTS (SELECT 1 FROM isms.organization x WHERE x.org_id = o) THEN
        PERFORM isms.report_bad_argument('org_id', o::text,
            'no organisation with this id exists or is visible to you',
            'SELECT org_id, code, name FROM isms.organization lists the organisations you may see.');
    END IF;
    -- one application of a batch at a time: a second waits for the first
    -- to end, then finds it imported (or, after a rollback, applies it)
    PERFORM pg_advisory_xact_lock(hashtext('isms.import_apply'), hashtext(o::text || '/' || b));
    IF EXISTS (SELECT 1 FROM isms.import_batch x WHERE x.org_id = o AND x.batch = b) THEN
        RAISE EXCEPTION 'cannot import batch % into organisation %: it was imported already', b, o
            USING ERRCODE = 'IS040',
                  DETAIL = (SELECT format('Imported %s by %s.', x.imported_at, x.imported_by)
                              FROM isms.import_batch x WHERE x.org_id = o AND x.batch = b),
                  HINT = 'A batch is applied once: stage the new rows under another batch name.';
    END IF;
    SELECT count(*) INTO n_rows FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b;
    IF n_rows = 0 THEN
        RAISE EXCEPTION 'cannot import batch % into organisation %: no staged rows', b, o
            USING ERRCODE = 'IS040',
                  HINT = 'COPY the rows into isms.import_staging (org_id, batch, register, ref, valid_from, data) first.';
    END IF;

    -- rows staged in this transaction have no statistics yet: without
    -- them every plan below takes the batch for a row or two
    ANALYZE isms.import_staging;

    -- every problem of every row, before anything is written
    SELECT array_agg(p ORDER BY l, p) INTO problems FROM (
        SELECT s.line AS l, format('line %s: unknown register %s', s.line, s.register) AS p
          FROM isms.import_staging s
         WHERE s.org_id = o AND s.batch = b AND NOT EXISTS (SELECT 1 FROM isms.register g WHERE g.name = s.register)
        UNION ALL
        SELECT s.line, format('line %s: data is not a JSON object', s.line)
          FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b AND jsonb_typeof(s.data) <> 'object'
        UNION ALL
        SELECT s.line, format('line %s: %s has no column %s', s.line, s.register, k.key)
          FROM isms.import_staging s
          JOIN isms.register g ON g.name = s.register
          CROSS JOIN LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}' END) k(key)
         WHERE s.org_id = o AND s.batch = b
           AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = g.relid AND a.attname = k.key
                             AND a.attnum > 0 AND NOT a.attisdropped)
        UNION ALL
        SELECT s.line, format('line %s: column %s is set by the import (the record''s id, organisation, audit columns or a computed column)', s.line, k.key)
          FROM isms.import_staging s
          JOIN isms.register g ON g.name = s.register
          CROSS JOIN LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}' END) k(key)
         WHERE s.org_id = o AND s.batch = b
           AND (k.key IN ('id', 'org_id', 'created_at', 'created_by', 'updated_at', 'updated_by')
                OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = g.relid AND a.attname = k.key
                             AND a.attgenerated <> ''))
        UNION ALL
        SELECT s.line, format('line %s: valid_from %s is in the future', s.line, s.valid_from)
          FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b AND s.valid_from > now()
        UNION ALL
        -- (the checks across rows are windows over the batch, never a
        -- search of the batch per row: a batch has tens of thousands)
        SELECT d.line, format('line %s: another version of %s %s starts at the same time (line %s)', d.line, d.register, d.ref, d.earlier)
          FROM (SELECT s.line, s.register, s.ref,
                       lag(s.line) OVER (PARTITION BY s.register, s.ref, s.valid_from ORDER BY s.line) AS earlier
                  FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b) d
         WHERE d.earlier IS NOT NULL
        UNION ALL
        SELECT s.line, format('line %s: %s is not a state of the %s workflow', s.line, s.data->>'status', w.workflow)
          FROM isms.import_staging s
          JOIN isms.register g ON g.name = s.register AND g.has_workflow
          JOIN isms.workflow w ON w.relid = g.relid
         WHERE s.org_id = o AND s.batch = b AND jsonb_typeof(s.data) = 'object' AND s.data ? 'status'
           AND NOT EXISTS (SELECT 1 FROM isms.workflow_state ws WHERE ws.workflow = w.workflow AND ws.state = s.data->>'status')
        UNION ALL
        SELECT u.line, format('line %s: %s refers to %s, which is not a record of batch %s', u.line, u.key, u.target, b)
          FROM (SELECT r.line, r.key, r.target, bool_or(r.line IS NULL) OVER (PARTITION BY r.target) AS known
                  FROM (SELECT s.line, k.key, k.value->>'ref' AS target
                          FROM isms.import_staging s
                          CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}' END) k
                         WHERE s.org_id = o AND s.batch = b AND jsonb_typeof(k.value) = 'object' AND k.value ? 'ref'
                        UNION ALL
                        SELECT NULL, NULL, s.ref FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b) r) u
         WHERE u.line IS NOT NULL AND NOT u.known) x;
    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'cannot import batch % into organisation %: % bad rows; nothing was imported', b, o, cardinality(problems)
            USING ERRCODE = 'IS041',
                  DETAIL = array_to_string(problems, E'\n'),
                  HINT = 'Correct or delete the rows named in isms.import_staging (by line), then apply the batch again.';
    END IF;

    -- every record's id first, in the order of its first line, so that a
    -- record may refer to any record of the batch, staged before or after
    -- it (a nonconformity and the audit finding it was raised from refer
    -- to each other); a foreign key still needs its record written first
    SELECT coalesce(jsonb_object_agg(x.ref, pg_catalog.nextval(pg_catalog.pg_get_serial_sequence(g.relid::text, 'id'))
                                     ORDER BY x.first_line), '{}')
      INTO ids
      FROM (SELECT s.register, s.ref, min(s.line) AS first_line
              FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b
             GROUP BY s.register, s.ref) x
      JOIN isms.register g ON g.name = x.register;

    -- The records, set by set: a run of records of one register that are
    -- consecutive in the order of their first lines is written by one
    -- statement (its rows, their earlier versions, their moves), split
    -- only where the records give different columns (the register's
    -- defaults fill the columns a record never gives).  A record is thus
    -- written after every record staged before it, as one by one, at the
    -- cost of a few statements per register instead of several per row.
    FOR grp IN
        SELECT k.register, k.keys, array_agg(k.ref ORDER BY k.first_line) AS refs, min(k.first_line) AS first_line
          FROM (SELECT q.register, q.ref, q.first_line, q.keys,
                       sum(q.brk) OVER (ORDER BY q.first_line) AS run
                  FROM (SELECT x.register, x.ref, x.first_line, x.keys,
                               CASE WHEN x.register IS DISTINCT FROM lag(x.register) OVER (ORDER BY x.first_line) THEN 1 ELSE 0 END AS brk
                          FROM (SELECT s.register, s.ref, min(s.line) AS first_line,
                                       coalesce(array_agg(DISTINCT kk.key ORDER BY kk.key) FILTER (WHERE kk.key IS NOT NULL), '{}') AS keys
                                  FROM isms.import_staging s
                                  LEFT JOIN LATERAL jsonb_object_keys(s.data) kk(key) ON true
                                 WHERE s.org_id = o AND s.batch = b
                                 GROUP BY s.register, s.ref) x) q) k
         GROUP BY k.run, k.register, k.keys
         ORDER BY min(k.first_line)
    LOOP
        SELECT g.relid, g.has_workflow, h.history_table INTO reg, wf, hist
          FROM isms.register g LEFT JOIN isms.history_config h ON h.relid = g.relid WHERE g.name = grp.register;
        -- the group's statement: $1 organisation, $2 batch, $3 register,
        -- $4 the records' refs, $5 the ids of the batch, $6 the importer
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
               string_agg('x.' || quote_ident(a.attname), ', ' ORDER BY a.attnum)
          INTO cols, xcols
          FROM pg_attribute a
         WHERE a.attrelid = reg AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
           AND (a.attname = ANY (grp.keys) OR a.attname IN ('org_id', 'id', 'created_at', 'created_by', 'updated_at', 'updated_by'));
        SELECT string_agg(format('%L, to_jsonb(%s)', a.attname, pg_get_expr(d.adbin, d.adrelid)), ', ' ORDER BY a.attnum)
          INTO gens
          FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = reg AND a.attgenerated = 's' AND NOT a.attisdropped;
        -- an earlier version lacks what later versions set (but a status)
        SELECT coalesce(jsonb_object_agg(kk.key, NULL), '{}') INTO unset FROM unnest(grp.keys) kk(key) WHERE kk.key <> 'status';
        SELECT format('%I.%I', ns.nspname, c.relname) INTO reg_name
          FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE c.oid = reg;
                stmt := format($q$
WITH e AS (
    -- every column a version gives, its references resolved
    SELECT s.ref, s.line, s.valid_from, s.actor, s.reason, k.key,
           CASE WHEN pg_catalog.jsonb_typeof(k.value) OPERATOR(pg_catalog.=) 'object' AND k.value OPERATOR(pg_catalog.?) 'ref'
                THEN $5 OPERATOR(pg_catalog.->) (k.value OPERATOR(pg_catalog.->>) 'ref') ELSE k.value END AS value
      FROM isms.import_staging s
      -- the group's records: a join, not a search of the array per row
      JOIN pg_catalog.unnest($4) g(ref) ON g.ref OPERATOR(pg_catalog.=) s.ref
      LEFT JOIN LATERAL pg_catalog.jsonb_each(s.data) k ON true
     WHERE s.org_id OPERATOR(pg_catalog.=) $1 AND s.batch OPERATOR(pg_catalog.=) $2
       AND s.register OPERATOR(pg_catalog.=) $3
), m AS (
    -- each version's row: the earlier versions with its changes (a later
    -- value of a key wins in a jsonb object)
    SELECT DISTINCT ON (e.ref, e.valid_from) e.ref, e.line, e.valid_from, e.actor, e.reason,
           coalesce(pg_catalog.jsonb_object_agg(e.key, e.value) FILTER (WHERE e.key IS NOT NULL)
                        OVER (PARTITION BY e.ref ORDER BY e.valid_from), '{}') AS vrow
      FROM e
     ORDER BY e.ref, e.valid_from
), v AS (
    SELECT s.ref, s.line, s.valid_from, coalesce(s.actor, $6) AS actor, s.reason,
           pg_catalog.lead(s.valid_from) OVER w AS valid_to, pg_catalog.lead(coalesce(s.actor, $6)) OVER w AS next_actor,
           pg_catalog.row_number() OVER w AS vi, pg_catalog.count(*) OVER (PARTITION BY s.ref) AS nv,
           pg_catalog.first_value(s.valid_from) OVER w AS created_at,
           pg_catalog.first_value(coalesce(s.actor, $6)) OVER w AS created_by,
           pg_catalog.min(s.line) OVER (PARTITION BY s.ref) AS first_line,
           ($5 OPERATOR(pg_catalog.->>) s.ref)::bigint AS id,
           s.vrow OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('org_id', $1, 'updated_at', s.valid_from,
                                                                       'updated_by', coalesce(s.actor, $6)) AS vrow
      FROM m s
    WINDOW w AS (PARTITION BY s.ref ORDER BY s.valid_from)
), ins AS (
    INSERT INTO %1$s AS t (%2$s) OVERRIDING SYSTEM VALUE
    SELECT %3$s
      FROM v CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::%1$s, v.vrow OPERATOR(pg_catalog.||)
               pg_catalog.jsonb_build_object('id', v.id, 'created_at', v.created_at, 'created_by', v.created_by)) x
     WHERE v.vi OPERATOR(pg_catalog.=) v.nv
     ORDER BY v.first_line
    RETURNING t.id, pg_catalog.to_jsonb(t.*) AS cur
), hv AS (
    SELECT v.*, ins.cur OPERATOR(pg_catalog.||) %4$L::jsonb OPERATOR(pg_catalog.||) v.vrow AS full_row
      FROM v JOIN ins ON ins.id OPERATOR(pg_catalog.=) v.id
), h AS (%5$s
), l AS (%6$s
)
SELECT (SELECT pg_catalog.count(*) FROM ins)::integer AS n_records, (SELECT pg_catalog.count(*) FROM h)::integer AS n_hist,
       (SELECT pg_catalog.count(*) FROM l)::integer AS n_log,
       (SELECT pg_catalog.min(l.log_id) FROM l) AS first_log, (SELECT pg_catalog.max(l.log_id) FROM l) AS last_log
$q$, reg_name, cols, xcols, unset,
            -- the earlier versions: into the register history, with their
            -- computed columns
            CASE WHEN hist IS NULL THEN 'SELECT 1 WHERE false' ELSE format($h$
    INSERT INTO %1$s
    SELECT hr.*
      FROM hv
      CROSS JOIN LATERAL (SELECT %3$s AS g FROM pg_catalog.jsonb_populate_record(NULL::%2$s, hv.full_row) AS x) gen
      CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::%1$s, hv.full_row OPERATOR(pg_catalog.||) gen.g
               OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
                   'valid', pg_catalog.tstzrange(hv.valid_from, hv.valid_to)::text,
                   'changed_by', hv.next_actor, 'change', 'UPDATE')) hr
     WHERE hv.vi OPERATOR(pg_catalog.<) hv.nv
    RETURNING 1$h$, hist::text, reg_name, coalesce('pg_catalog.jsonb_build_object(' || gens || ')', $e$'{}'::jsonb$e$)) END,
            -- a workflow record's moves: into the log, marked by the batch
            CASE WHEN NOT wf THEN 'SELECT NULL::bigint AS log_id WHERE false' ELSE format($l$
    INSERT INTO isms.transition_log (org_id, record_table, record_id, cycle, from_state, to_state, actor, reason, at, xact_id,
                                     record_table_name, login_role)
    SELECT $1, %1$s::pg_catalog.oid::pg_catalog.regclass, q.id, coalesce((q.full_row OPERATOR(pg_catalog.->>) 'cycle')::integer, 1),
           CASE WHEN q.vi OPERATOR(pg_catalog.>) 1 THEN q.prev END, q.full_row OPERATOR(pg_catalog.->>) 'status', q.actor,
           coalesce(q.reason, pg_catalog.format('imported (batch %%s)', $2)), q.valid_from, pg_catalog.pg_current_xact_id(),
           %2$L, SESSION_USER
      FROM (SELECT hv.*, pg_catalog.lag(hv.full_row OPERATOR(pg_catalog.->>) 'status') OVER (PARTITION BY hv.id ORDER BY hv.vi) AS prev
              FROM hv) q
     WHERE q.vi OPERATOR(pg_catalog.=) 1 OR q.full_row OPERATOR(pg_catalog.->>) 'status' IS DISTINCT FROM q.prev
     ORDER BY q.first_line, q.vi
    RETURNING log_id$l$, reg::oid, reg_name) END);
        BEGIN
            EXECUTE stmt INTO got USING o, b, grp.register, grp.refs, ids, imported_by;
        EXCEPTION WHEN OTHERS THEN
            -- name the record the register refuses: the run's records one
            -- by one, until one fails (all of it is rolled back)
            GET STACKED DIAGNOSTICS err_msg = MESSAGE_TEXT, err_state = RETURNED_SQLSTATE;
            line_no := NULL;
            BEGIN
                FOREACH one IN ARRAY grp.refs LOOP
                    SELECT max(s.line) INTO line_no FROM isms.import_staging s
                     WHERE s.org_id = o AND s.batch = b AND s.register = grp.register AND s.ref = one;
                    bad_ref := one;
                    EXECUTE stmt USING o, b, grp.register, ARRAY[one], ids, imported_by;
                END LOOP;
                line_no := NULL;
                RAISE EXCEPTION USING ERRCODE = 'IS041';
            EXCEPTION WHEN OTHERS THEN
                IF line_no IS NOT NULL THEN
                    GET STACKED DIAGNOSTICS err_msg = MESSAGE_TEXT, err_state = RETURNED_SQLSTATE;
                END IF;
            END;
            RAISE EXCEPTION 'cannot import batch %: line % (% %): %', b, coalesce(line_no, grp.first_line), grp.register,
                    coalesce(CASE WHEN line_no IS NOT NULL THEN bad_ref END, grp.refs[1]), err_msg
                USING ERRCODE = 'IS041',
                      DETAIL = format('The register refused the row (SQLSTATE %s).', err_state),
                      HINT = 'Correct the row in isms.import_staging and apply the batch again; nothing was imported.';
        END;
        n_records := n_records + got.n_records;
        n_hist := n_hist + got.n_hist;
        n_log := n_log + got.n_log;
        first_log := coalesce(first_log, got.first_log);
        last_log := coalesce(got.last_log, last_log);
    END LOOP;

    -- the digest of what was imported, and the seal of its log rows
    -- (the text of the jsonb array, written without building the array)
    SELECT sha256(convert_to('[' || string_agg(jsonb_build_object('line', s.line, 'register', s.register, 'ref', s.ref,
                                                                  'valid_from', s.valid_from, 'data', s.data,
                                                                  'actor', s.actor, 'reason', s.reason)::text, ', ' ORDER BY s.line) || ']', 'UTF8'))
      INTO digest
      FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b;
    SELECT encode(sha256(convert_to(coalesce(string_agg(isms.transition_log_encoding(l), '' ORDER BY l.log_id), ''), 'UTF8')), 'hex')
      INTO log_sha
      FROM isms.transition_log l
     WHERE l.org_id = o AND l.xact_id = pg_current_xact_id() AND l.log_id BETWEEN first_log AND last_log;
    seq := isms.trail_append_engine(o, 'isms.import_batch'::regclass, 0, 'import',
        jsonb_build_object('batch', b, 'imported_by', imported_by, 'login_role', session_user,
                           'staged_rows', n_rows, 'records', n_records, 'history_rows', n_hist, 'log_rows', n_log,
                           'sha256', encode(digest, 'hex'), 'xact_id', pg_current_xact_id()::text,
                           'batches', CASE WHEN n_log > 0 THEN jsonb_build_array(jsonb_build_array(first_log, last_log, n_log, log_sha))
                                           ELSE '[]'::jsonb END));
    INSERT INTO isms.import_batch (org_id, batch, imported_by, login_role, imported_at, staged_rows, records, history_rows,
                                   log_rows, first_log_id, last_log_id, xact_id, sha256, trail_seq)
    VALUES (o, b, imported_by, session_user, now(), n_rows, n_records, n_hist, n_log, first_log, last_log,
            pg_current_xact_id(), digest, seq)
    RETURNING * INTO result;
    DELETE FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b;
    RETURN result;
END
$$;
COMMENT ON FUNCTION isms.import_apply(bigint, text) IS
    'Imports a batch staged in isms.import_staging into an organisation you administer: every bad row is reported at once (IS041) and nothing is applied; else records keep their dates and states, earlier versions go to the register history, workflow moves to the transition log marked as imported, and the batch is recorded in isms.import_batch and the trail with its SHA-256';

CREATE OR REPLACE FUNCTION isms.signoff_complete(s isms.signoff) RETURNS isms.signoff
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    NEW isms.signoff := s;
    what text;
    ok boolean;
    why text;
BEGIN
    NEW.signer := isms.current_actor();
    NEW.login_role := session_user;
    NEW.signed_at := now();
    what := CASE NEW.subject
                WHEN 'management_review' THEN format('management review %s', NEW.record_id)
                WHEN 'risk_acceptance' THEN format('the acceptance of risk %s', NEW.record_id)
                WHEN 'treatment_plan' THEN format('treatment plan %s', NEW.record_id)
                ELSE format('the Statement of Applicability of organisation %s', NEW.org_id) END;
    CASE NEW.subject
    WHEN 'management_review' THEN
        SELECT m.held_on IS NOT NULL, format('it is planned for %s and not held', m.planned_on) INTO ok, why
          FROM isms.management_review m WHERE m.org_id = NEW.org_id AND m.id = NEW.record_id;
    WHEN 'risk_acceptance' THEN
        SELECT r.accepted_at IS NOT NULL, 'no acceptance of its residual risk is recorded (accepted_by, accepted_at)'
          INTO ok, why
          FROM isms.risk r WHERE r.org_id = NEW.org_id AND r.id = NEW.record_id;
    WHEN 'treatment_plan' THEN
        SELECT p.status <> 'withdrawn', 'it is withdrawn' INTO ok, why
          FROM isms.treatment_plan p WHERE p.org_id = NEW.org_id AND p.id = NEW.record_id;
    WHEN 'statement_of_applicability' THEN
        ok := EXISTS (SELECT 1 FROM isms.soa_entry e WHERE e.org_id = NEW.org_id);
        why := 'it has no entry';
        PERFORM pg_advisory_xact_lock(hashtext('isms.signoff soa_version'), hashtext(NEW.org_id::text));
        NEW.soa_version := coalesce((SELECT max(x.soa_version) FROM isms.signoff x
                                      WHERE x.org_id = NEW.org_id AND x.subject = 'statement_of_applicability'), 0) + 1;
    ELSE
        NULL;   -- the CHECK constraint refuses it
    END CASE;
    IF ok IS NULL THEN
        RAISE EXCEPTION 'cannot sign off %: it does not exist in organisation %', what, NEW.org_id
            USING ERRCODE = 'IS030',
                  DETAIL = format('subject %s, record_id %s', NEW.subject, coalesce(NEW.record_id::text, 'NULL')),
                  HINT = 'Name a record of the organisation you sign for.';
    ELSIF NOT ok THEN
        RAISE EXCEPTION 'cannot sign off %: %', what, why
            USING ERRCODE = 'IS030',
                  DETAIL = format('subject %s, record_id %s, organisation %s', NEW.subject,
                                  coalesce(NEW.record_id::text, 'NULL'), NEW.org_id),
                  HINT = CASE NEW.subject
                             WHEN 'management_review' THEN 'Record held_on and the inputs 9.3.2 a-g first: minutes are signed once the review is held.'
                             WHEN 'risk_acceptance' THEN 'Record the acceptance on the risk (accepted_by, accepted_at) first, then sign it.'
                             WHEN 'treatment_plan' THEN 'Sign a plan that is planned or under way.'
                             ELSE 'Record the SoA entries (isms.soa_entry) first.' END;
    END IF;
    -- a risk is accepted by its owner (6.1.3 f): the person signing must
    -- be the one the register names, compared without case or the spaces
    -- around it (risk.owner is free text)
    IF NEW.subject = 'risk_acceptance' THEN
        SELECT r.owner INTO why FROM isms.risk r WHERE r.org_id = NEW.org_id AND r.id = NEW.record_id;
        IF lower(btrim(why)) IS DISTINCT FROM lower(btrim(NEW.signer)) THEN
            RAISE EXCEPTION 'cannot sign off %: only the risk owner accepts a risk', what
                USING ERRCODE = 'IS140',
                      DETAIL = format('The risk owner is %s; the person signing is %s.', coalesce(quote_literal(why), 'not recorded'),
                                      quote_literal(NEW.signer)),
                      HINT = 'Have the risk owner sign (their own login, or an application login asserting them in isms.actor), or record the accountable owner on the risk first.';
        END IF;
    END IF;
    NEW.content := isms.signoff_content(NEW.org_id, NEW.subject, NEW.record_id, now());
    NEW.sha256 := isms.signoff_digest(NEW.content);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.signoff_complete(isms.signoff) IS
    'A sign-off as the database records it: signer (isms.current_actor()), login role (session_user), signed_at, the SoA version, the content from the register and its SHA-256; refuses (IS030) a missing record, a review not held, a risk not accepted, a withdrawn plan, an empty SoA, and (IS140) a risk acceptance signed by anyone but the risk owner';


-- isms_report.process_interactions lists the near misses and dangling
-- inputs of isms.process_interactions (columns match, input_artifact);
-- companion functions isms_report.<view>_at(at) answer the views an
-- auditor reads at a past instant.
CREATE OR REPLACE VIEW isms_report.process_interactions WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, x.from_process_id, x.from_process, x.from_phase, x.artifact,
       x.to_process_id, x.to_process, x.to_phase, x.match, x.input_artifact
  FROM isms.organization o
  CROSS JOIN LATERAL isms.process_interactions(o.org_id, now()) x;
COMMENT ON VIEW isms_report.process_interactions IS
    'Clause 4.4: process interactions now (isms.process_interactions): match exact, one row per artifact one process outputs and another takes as input (the edges of the process map); near_miss, an output and an input whose names differ only in case, spacing or punctuation, not joined; dangling, an input no other process outputs (no from process). Filter match = ''exact'' for the edges alone';

COMMENT ON COLUMN isms_report.process_interactions.from_process_id IS 'Process that outputs the artifact; NULL for a dangling input';
COMMENT ON COLUMN isms_report.process_interactions.match IS 'exact (an interaction), near_miss (names equal but for case, spacing or punctuation: not joined) or dangling (an input no other process outputs)';
COMMENT ON COLUMN isms_report.process_interactions.input_artifact IS 'The artifact as the taking process names it (differs from artifact in a near miss)';

-- The views as of an instant.  A view takes no parameter, so each view an
-- auditor reads at a past instant has a companion function
-- isms_report.<view>_at(at) that returns the view's own row type (same
-- columns, same types, same comments' meaning) as the ISMS stood at that
-- instant, from the register history (isms.known_as_of): only the
-- organisations that existed then; overdue, recent and open are judged at
-- that instant.  A BI tool queries it like a table:
-- SELECT * FROM isms_report.readiness_at('2025-01-31 17:00+00').

CREATE FUNCTION isms_report.readiness_at(at timestamptz)
    RETURNS SETOF isms_report.readiness
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    SELECT o.org_id, o.code, r.check_no, r.checkpoint, r.clauses, r.status, r.score, r.evidence, r.figures, r.action
      FROM isms.organization o
      CROSS JOIN LATERAL isms.clause_4_4_readiness(o.org_id, isms.report_time('at', $1)) r
     WHERE o.created_at OPERATOR(pg_catalog.<=) $1
     ORDER BY o.org_id, r.check_no;
END
$$;
COMMENT ON FUNCTION isms_report.readiness_at(timestamptz) IS
    'isms_report.readiness as of an instant: the Clause 4.4 checklist of every organisation that existed at at, from the register history (isms.clause_4_4_readiness(org_id, at))';

CREATE FUNCTION isms_report.staleness_at(at timestamptz)
    RETURNS SETOF isms_report.staleness
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    SELECT o.org_id, o.code, s.register, s.clause COLLATE isms.natural, s.title, s.reviewable, s.review_interval, s.rows, s.overdue,
           s.overdue_share, s.never_reviewed, s.oldest_review_days, s.last_change_at, s.days_since_change, s.untouched
      FROM isms.organization o
      CROSS JOIN LATERAL isms.staleness_summary(o.org_id, isms.report_time('at', $1)) s
     WHERE o.created_at OPERATOR(pg_catalog.<=) $1;
END
$$;
COMMENT ON FUNCTION isms_report.staleness_at(timestamptz) IS
    'isms_report.staleness as of an instant: shelf-ware per organisation and register at at, from the register history (isms.staleness_summary(org_id, at))';

CREATE FUNCTION isms_report.stale_items_at(at timestamptz)
    RETURNS SETOF isms_report.stale_items
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    SELECT s.org_id, o.code, s.register, s.clause COLLATE isms.natural, s.record_id, s.label, s.owner,
           s.last_reviewed_at, s.review_interval, s.due_at, s.days_overdue
      FROM isms.stale_items($1) s
      JOIN isms.organization o ON o.org_id OPERATOR(pg_catalog.=) s.org_id
     WHERE o.created_at OPERATOR(pg_catalog.<=) $1;
END
$$;
COMMENT ON FUNCTION isms_report.stale_items_at(timestamptz) IS
    'isms_report.stale_items as of an instant: every register row whose periodic review was overdue at at, from the register history (isms.stale_items(at))';

CREATE FUNCTION isms_report.process_interactions_at(at timestamptz)
    RETURNS SETOF isms_report.process_interactions
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    SELECT o.org_id, o.code, x.from_process_id, x.from_process, x.from_phase, x.artifact,
           x.to_process_id, x.to_process, x.to_phase, x.match, x.input_artifact
      FROM isms.organization o
      CROSS JOIN LATERAL isms.process_interactions(o.org_id, isms.report_time('at', $1)) x
     WHERE o.created_at OPERATOR(pg_catalog.<=) $1;
END
$$;
COMMENT ON FUNCTION isms_report.process_interactions_at(timestamptz) IS
    'isms_report.process_interactions as of an instant: the exact edges, near misses and dangling inputs of every organisation''s processes at at, from the register history (isms.process_interactions(org_id, at))';

CREATE FUNCTION isms_report.risk_register_at(at timestamptz)
    RETURNS SETOF isms_report.risk_register
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    WITH t AS (SELECT isms.report_time('at', $1) AS at),
    r AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.risk, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at),
    s AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.risk_scale, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at),
    a AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.asset, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at),
    p AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.treatment_plan, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at),
    c AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.risk_control, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at)
    SELECT r.org_id, o.code, r.id, r.title, a.name, r.threat, r.vulnerability, r.consequence, r.owner,
           r.inherent_likelihood::integer, r.inherent_impact::integer, r.inherent_rating,
           r.residual_likelihood::integer, r.residual_impact::integer, r.residual_rating,
           coalesce(r.residual_rating, r.inherent_rating),
           s.acceptance_threshold,
           coalesce(r.residual_rating, r.inherent_rating) OPERATOR(pg_catalog.<=) s.acceptance_threshold,
           r.treatment,
           r.accepted_at IS NOT NULL, r.accepted_by, r.accepted_at, r.accepted_until,
           tp.plans, tp.open_plans,
           (SELECT pg_catalog.count(*) FROM c WHERE c.org_id OPERATOR(pg_catalog.=) r.org_id
                                                AND c.risk_id OPERATOR(pg_catalog.=) r.id)::integer,
           r.identified_on, r.last_reviewed_at,
           rd.due, rd.due OPERATOR(pg_catalog.<) t.at,
           r.created_at, r.updated_at
      FROM t
      CROSS JOIN r
      JOIN isms.organization o ON o.org_id OPERATOR(pg_catalog.=) r.org_id
      CROSS JOIN LATERAL (SELECT isms.review_due_at(r.org_id, 'isms.risk'::pg_catalog.regclass, r.review_interval,
                                                    r.last_reviewed_at, r.created_at) AS due) rd
      LEFT JOIN s ON s.org_id OPERATOR(pg_catalog.=) r.org_id
      LEFT JOIN a ON a.org_id OPERATOR(pg_catalog.=) r.org_id AND a.id OPERATOR(pg_catalog.=) r.asset_id
      CROSS JOIN LATERAL (
          SELECT pg_catalog.count(*)::integer AS plans,
                 (pg_catalog.count(*) FILTER (WHERE NOT ws.is_terminal))::integer AS open_plans
            FROM p
            JOIN isms.workflow_state ws ON ws.workflow OPERATOR(pg_catalog.=) 'treatment_plan' AND ws.state OPERATOR(pg_catalog.=) p.status
           WHERE p.org_id OPERATOR(pg_catalog.=) r.org_id AND p.risk_id OPERATOR(pg_catalog.=) r.id) tp;
END
$$;
COMMENT ON FUNCTION isms_report.risk_register_at(timestamptz) IS
    'isms_report.risk_register as of an instant: every risk as the register held it at at (register history), with the ratings, appetite, acceptance, treatment plans and controls of then, its review overdue at at';

CREATE FUNCTION isms_report.statement_of_applicability_at(at timestamptz)
    RETURNS SETOF isms_report.statement_of_applicability
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    WITH t AS (SELECT isms.report_time('at', $1) AS at),
    e AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.soa_entry, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at),
    rc AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.risk_control, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at)
    SELECT o.org_id, o.code, q.framework, q.control_order, q.ref::text COLLATE isms.natural, q.title, q.theme,
           e.id, e.applicable,
           CASE WHEN e.id IS NULL THEN 'not decided' WHEN e.applicable THEN 'included' ELSE 'excluded' END,
           e.justification, e.implementation_status,
           coalesce(rk.n, 0)::integer, coalesce(rk.ids, '{}'),
           ev.latest, coalesce(ev.n, 0)::integer,
           coalesce(ev.latest OPERATOR(pg_catalog.>) (t.at OPERATOR(pg_catalog.-) interval '1 year'), false),
           e.owner, e.last_reviewed_at
      FROM t
      CROSS JOIN isms.organization o
      CROSS JOIN (SELECT r.framework, r.ref, r.title, r.theme,
                         (pg_catalog.row_number() OVER (PARTITION BY r.framework ORDER BY r.ref))::integer AS control_order
                    FROM isms.requirement r WHERE r.kind OPERATOR(pg_catalog.=) 'control') q
      LEFT JOIN e ON e.org_id OPERATOR(pg_catalog.=) o.org_id AND e.framework OPERATOR(pg_catalog.=) q.framework
                 AND e.control OPERATOR(isms.=) q.ref
      LEFT JOIN LATERAL (
          SELECT pg_catalog.count(*) AS n, pg_catalog.array_agg(rc.risk_id ORDER BY rc.risk_id) AS ids
            FROM rc
           WHERE rc.org_id OPERATOR(pg_catalog.=) o.org_id AND rc.framework OPERATOR(pg_catalog.=) q.framework
             AND rc.control OPERATOR(isms.=) q.ref) rk ON true
      LEFT JOIN LATERAL (
          SELECT pg_catalog.max(v.collected_at) AS latest, pg_catalog.count(*) AS n
            FROM isms.evidence v
           WHERE v.org_id OPERATOR(pg_catalog.=) o.org_id AND v.record_table OPERATOR(pg_catalog.=) 'isms.soa_entry'::pg_catalog.regclass
             AND v.record_id OPERATOR(pg_catalog.=) e.id
             AND v.collected_at OPERATOR(pg_catalog.<=) t.at AND v.created_at OPERATOR(pg_catalog.<=) t.at) ev ON true
     WHERE o.created_at OPERATOR(pg_catalog.<=) t.at;
END
$$;
COMMENT ON FUNCTION isms_report.statement_of_applicability_at(timestamptz) IS
    'isms_report.statement_of_applicability as of an instant: every control for every organisation that existed at at, with the decision, justification, implementation status and linked risks of then (register history) and the evidence collected by then';

REVOKE ALL ON FUNCTION isms_report.readiness_at(timestamptz), isms_report.staleness_at(timestamptz), isms_report.stale_items_at(timestamptz),
    isms_report.process_interactions_at(timestamptz), isms_report.risk_register_at(timestamptz),
    isms_report.statement_of_applicability_at(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms_report.readiness_at(timestamptz), isms_report.staleness_at(timestamptz), isms_report.stale_items_at(timestamptz),
    isms_report.process_interactions_at(timestamptz), isms_report.risk_register_at(timestamptz),
    isms_report.statement_of_applicability_at(timestamptz) TO isms_reader;

-- == writepath: as-of on a large history ==
-- isms.index_history() indexes a history table for isms.as_of(), which
-- takes an indexed path when the indexes are there (and runs without JIT).

CREATE OR REPLACE FUNCTION isms.index_history(register regclass)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    hist regclass;
    vf   name;
    base text;
BEGIN
    SELECT h.history_table, h.valid_from_column INTO hist, vf
      FROM isms.history_config h WHERE h.relid = register;
    IF hist IS NULL THEN
        RAISE EXCEPTION 'the history of % is not kept', register
            USING ERRCODE = 'undefined_object',
                  HINT = format('Keep it first with SELECT isms.enable_history(%L).', register);
    END IF;
    SELECT left(c.relname, 48) INTO base FROM pg_class c WHERE c.oid = hist;
    -- each record's versions by their start: isms.as_of() looks up, for
    -- each record, the last version begun by the instant
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (org_id, id, %I)', base || '_version', hist, vf);
    -- the records deleted since (no current row to start from)
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (org_id, id) WHERE change = %L',
                   base || '_deleted', hist, 'DELETE');
END
$$;
COMMENT ON FUNCTION isms.index_history(regclass) IS
    'Indexes a register''s history table for isms.as_of() on a large history: each record''s versions by (org_id, id, valid-from), and the deleted records; every captured row then costs its index entries';
REVOKE ALL ON FUNCTION isms.index_history(regclass) FROM PUBLIC;

CREATE OR REPLACE FUNCTION isms.as_of(register anyelement, at timestamptz)
    RETURNS SETOF anyelement
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET jit = off
AS $$
DECLARE
    reg  regclass;
    hist regclass;
    vf   name;
    cols text;
    hcols text;
    indexed boolean;
BEGIN
    SELECT t.typrelid INTO reg FROM pg_type t
     WHERE t.oid = pg_typeof(register) AND t.typrelid <> 0;
    IF reg IS NULL THEN
        RAISE EXCEPTION 'isms.as_of() needs a row of a register, not %', pg_typeof(register)
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Pass a NULL of the register''s row type: isms.as_of(NULL::isms.risk, ''2025-01-31'').';
    END IF;
    SELECT h.history_table, h.valid_from_column INTO hist, vf
      FROM isms.history_config h WHERE h.relid = reg;
    IF hist IS NULL THEN
        RAISE EXCEPTION 'the history of % is not kept', reg
            USING ERRCODE = 'undefined_object',
                  HINT = format('Keep it from now on with SELECT isms.enable_history(%L).', reg);
    END IF;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum),
           string_agg('h.' || quote_ident(attname), ', ' ORDER BY attnum) INTO cols, hcols
      FROM pg_attribute WHERE attrelid = reg AND attnum > 0 AND NOT attisdropped;
    -- the indexes isms.index_history() makes: (org_id, id, valid-from), and
    -- (org_id, id) of the deleted records
    indexed := EXISTS (SELECT FROM pg_index i
                        WHERE i.indrelid = hist AND i.indpred IS NULL AND i.indexprs IS NULL
                          AND (SELECT array_agg(a.attname ORDER BY k.n)
                                 FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                                 JOIN pg_attribute a ON a.attrelid = hist AND a.attnum = k.attnum
                                WHERE k.n <= 3) = ARRAY['org_id', 'id', vf]::name[])
           AND EXISTS (SELECT FROM pg_index i
                        WHERE i.indrelid = hist AND i.indexprs IS NULL
                          AND pg_get_expr(i.indpred, i.indrelid) = '(change = ''DELETE''::text)'
                          AND (SELECT array_agg(a.attname ORDER BY k.n)
                                 FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                                 JOIN pg_attribute a ON a.attrelid = hist AND a.attnum = k.attnum
                                WHERE k.n <= 2) = ARRAY['org_id', 'id']::name[]);
    IF NOT indexed THEN
        -- the current version began at its valid-from; superseded ones hold
        -- their own period
        RETURN QUERY EXECUTE format(
            'SELECT %1$s FROM %2$s WHERE %3$I IS NULL OR %3$I <= $1 '
            'UNION ALL SELECT %1$s FROM %4$s WHERE valid @> $1',
            cols, reg, vf, hist) USING at;
        RETURN;
    END IF;
    -- Indexed: a superseded version can hold the instant only for a record
    -- whose current version began after it, or that was deleted; a record's
    -- versions follow each other, so the one valid then is the last one
    -- begun by then.  Row-level security's organisation condition and these
    -- (leakproof comparisons all) are the index's, so one organisation's
    -- lookups never read another's versions.  A version without a
    -- valid-from began before any instant.
    RETURN QUERY EXECUTE format(
        'SELECT %1$s FROM %2$s WHERE %3$I IS NULL OR %3$I <= $1 '
        'UNION ALL SELECT v.* FROM (SELECT r.org_id, r.id FROM %2$s r WHERE r.%3$I > $1 '
        'UNION SELECT d.org_id, d.id FROM %4$s d WHERE d.change = ''DELETE'') k '
        'CROSS JOIN LATERAL (SELECT %5$s FROM %4$s h '
        'WHERE h.org_id = k.org_id AND h.id = k.id AND h.%3$I <= $1 AND h.valid @> $1 '
        'ORDER BY h.%3$I DESC LIMIT 1) v '
        'UNION ALL SELECT %1$s FROM %4$s WHERE %3$I IS NULL AND valid @> $1',
        cols, reg, vf, hist, hcols) USING at;
END
$$;
COMMENT ON FUNCTION isms.as_of(anyelement, timestamptz) IS
    'The rows of a register as they were at a past instant, with the register''s own column types: SELECT * FROM isms.as_of(NULL::isms.risk, ''2025-01-31''); with the indexes of isms.index_history(), one organisation''s rows are found without reading the other organisations'' versions';
REVOKE ALL ON FUNCTION isms.as_of(anyelement, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.as_of(anyelement, timestamptz) TO isms_admin, isms_editor, isms_auditor, isms_reader;

-- == living3: the staff register as the audience of policies, acknowledgements in the trail ==

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
-- The audience of policies: the staff register.

CREATE OR REPLACE FUNCTION isms.policy_acknowledgement_status(org_id bigint, as_of timestamptz DEFAULT now())
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

COMMENT ON COLUMN isms_report.policy_acknowledgements.person IS 'A person of the audience (isms.person.person, or a personal member login), or another who acknowledged';
COMMENT ON COLUMN isms_report.policy_acknowledgements.in_audience IS 'True for the organisation''s active staff (isms.person) and the personal login roles its memberships cover';

------------------------------------------------------------------------------
-- Acknowledgements in the evidence trail.

CREATE OR REPLACE FUNCTION isms.acknowledgement_trail_entry(org_id bigint, acknowledgement_id bigint) RETURNS bigint
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

CREATE OR REPLACE FUNCTION isms.policy_acknowledgement_trail() RETURNS trigger
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

CREATE OR REPLACE FUNCTION isms.acknowledge_policy(document_id bigint) RETURNS bigint
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

COMMENT ON FUNCTION isms.trail_append_engine(bigint, regclass, bigint, text, jsonb) IS
    'Appends an engine entry (source engine, any action) to the organisation''s trail and returns its seq; granted to no role: called by the extension''s security-definer functions (isms.import_apply, isms.review_trail_entry, isms.signoff_trail_entry, isms.acknowledgement_trail_entry) after they check the fact they record';

-- == viewspeed: report views as fast as a bare scan: membership once per snapshot ==

CREATE OR REPLACE FUNCTION isms.member_orgs(who name DEFAULT CURRENT_USER) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'isms_member_orgs'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.member_orgs(name) IS
    'Organisations the role may see and write under row-level security: all for isms_admin, else those of isms.membership naming the role or a role it belongs to; narrowed to one by the setting isms.org';
REVOKE ALL ON FUNCTION isms.member_orgs(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.member_orgs(name) TO isms_reader;


-- == logkeys: the transition log's keys ==
-- The log's primary key leads with the organisation and replaces the index
-- (org_id, log_id) of one organisation's log: one B-tree entry less per
-- move.  log_id alone is read through the block ranges.
ALTER TABLE isms.transition_log DROP CONSTRAINT transition_log_pkey;
ALTER TABLE isms.transition_log ADD PRIMARY KEY (org_id, log_id);
DROP INDEX isms.transition_log_at;
CREATE INDEX transition_log_at ON isms.transition_log USING brin (at, log_id);

-- == citus2: row-level security policies without a subquery; isms.citus_distribute() ==

-- Every per-organisation policy reads isms.visible_orgs() per row instead
-- of (SELECT isms.member_orgs())::bigint[]: Citus refuses a policy with a
-- subquery, and the kept answer costs less per row than the InitPlan's
-- array.  The builders make the new form for registers and history tables
-- added later.
CREATE OR REPLACE FUNCTION isms.visible_orgs() RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'isms_visible_orgs'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.visible_orgs() IS
    'Organisations the current user may see and write under row-level security: isms.member_orgs(current_user), the form every policy reads per row';
REVOKE ALL ON FUNCTION isms.visible_orgs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.visible_orgs() TO isms_reader;

CREATE OR REPLACE FUNCTION isms.setup_register(rel regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
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
    EXECUTE format('CREATE POLICY member ON %s USING (org_id = ANY (isms.visible_orgs())) '
                   'WITH CHECK (org_id = ANY (isms.visible_orgs()))', rel);
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

CREATE OR REPLACE FUNCTION isms.enable_history(register regclass,
                                    valid_from_column name DEFAULT 'updated_at')
    RETURNS regclass
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    nsp      name;
    rel      name;
    kind     "char";
    hist     regclass;
    histname name;
    col      record;
    builtin  boolean := false;
    stamped  boolean;
BEGIN
    SELECT n.nspname, c.relname, c.relkind INTO nsp, rel, kind
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = register;
    IF kind IS DISTINCT FROM 'r' THEN
        RAISE EXCEPTION 'cannot keep the history of %: it is not a plain table', register
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'History is kept for registers, which are plain tables.';
    END IF;
    IF (SELECT count(*) FROM pg_attribute
         WHERE attrelid = register AND attname IN ('org_id', 'id')
           AND atttypid = 'bigint'::regtype AND NOT attisdropped) <> 2 THEN
        RAISE EXCEPTION 'cannot keep the history of %: it has no bigint columns org_id and id', register
            USING ERRCODE = 'undefined_column',
                  HINT = 'A register is keyed by (org_id bigint, id bigint).';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute
                    WHERE attrelid = register AND attname = valid_from_column
                      AND atttypid = 'timestamptz'::regtype AND NOT attisdropped) THEN
        RAISE EXCEPTION 'cannot keep the history of %: it has no timestamptz column %', register, valid_from_column
            USING ERRCODE = 'undefined_column',
                  HINT = 'Name the column that holds when the row''s current version began, such as updated_at.';
    END IF;
    IF EXISTS (SELECT FROM pg_attribute
                WHERE attrelid = register AND attname IN ('valid', 'changed_by', 'change')
                  AND NOT attisdropped) THEN
        RAISE EXCEPTION 'cannot keep the history of %: it has a column named valid, changed_by or change', register
            USING ERRCODE = 'duplicate_column',
                  HINT = 'Those names are the history table''s own columns; rename the register''s column.';
    END IF;

    SELECT h.history_table INTO hist FROM isms.history_config h WHERE h.relid = register;
    IF hist IS NULL THEN
        histname := rel;
        IF to_regclass(format('isms_history.%I', histname)) IS NOT NULL THEN
            histname := nsp || '_' || rel;
        END IF;
        -- LIKE copies names, types and collations, no defaults, identity or
        -- generation; NOT NULL goes too, as history rows are inserted
        -- directly and a later ALTER of the register could make it wrong
        EXECUTE format('CREATE TABLE isms_history.%I (LIKE %s INCLUDING COMMENTS)', histname, register);
        hist := format('isms_history.%I', histname)::regclass;
        FOR col IN SELECT attname FROM pg_attribute
                    WHERE attrelid = hist AND attnum > 0 AND attnotnull AND NOT attisdropped
        LOOP
            EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP NOT NULL', hist, col.attname);
        END LOOP;
        EXECUTE format('ALTER TABLE %s ADD COLUMN valid tstzrange NOT NULL, '
                       'ADD COLUMN changed_by text NOT NULL, ADD COLUMN change text NOT NULL', hist);
        -- no index by default: as_of() scans history whole anyway, and an
        -- index would cost every captured row; capture maintains any index
        -- added later for per-record lookups
        EXECUTE format('COMMENT ON TABLE %s IS %L', hist,
                       format('Superseded versions of the rows of %s, each valid during valid; append-only', register));
        EXECUTE format('COMMENT ON COLUMN %s.valid IS %L', hist,
                       format('When this version was in force: [its %I, the next version''s %I or the deletion)', valid_from_column, valid_from_column));
        EXECUTE format('COMMENT ON COLUMN %s.changed_by IS %L', hist, 'Who superseded this version: isms.actor, else the current user');
        EXECUTE format('COMMENT ON COLUMN %s.change IS %L', hist, 'UPDATE or DELETE: the statement that superseded this version');
        EXECUTE format('CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION isms.append_only(''history'')', hist);
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER history_append_only', hist);
        EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC', hist);
        EXECUTE format('GRANT SELECT ON TABLE %s TO isms_admin, isms_editor, isms_auditor, isms_reader', hist);
        -- a register's history is as private as the register: members only
        IF EXISTS (SELECT 1 FROM pg_attribute
                    WHERE attrelid = register AND attname = 'org_id' AND NOT attisdropped) THEN
            EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', hist);
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', hist);
            EXECUTE format('CREATE POLICY member ON %s FOR SELECT '
                           'USING (org_id = ANY (isms.visible_orgs()))', hist);
        END IF;
        -- inside CREATE EXTENSION the table belongs to the extension: have
        -- pg_dump dump its rows
        BEGIN
            PERFORM pg_extension_config_dump(hist, '');
            builtin := true;
        EXCEPTION WHEN OTHERS THEN
            builtin := false;
        END;
        INSERT INTO isms.history_config (relid, history_table, valid_from_column, builtin)
        VALUES (register, hist, valid_from_column, builtin);
    ELSE
        PERFORM isms.history_sync_columns(register);
        UPDATE isms.history_config h SET valid_from_column = enable_history.valid_from_column
         WHERE h.relid = register;
    END IF;

    IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = register AND tgname = 'isms_history_update') THEN
        EXECUTE format('DROP TRIGGER isms_history_update ON %s', register);
    END IF;
    IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = register AND tgname = 'isms_history_delete') THEN
        EXECUTE format('DROP TRIGGER isms_history_delete ON %s', register);
    END IF;
    -- A register whose last BEFORE UPDATE row trigger is isms.stamp()
    -- hands capture the start of every new version it stamps (the clock
    -- after the row lock), which is where the superseded one ends: capture
    -- then needs only the old rows, and PostgreSQL does not keep a second
    -- copy of every updated row for it.  Otherwise the new rows say where
    -- each old version ends.  (Capture checks the triggers again at every
    -- UPDATE and each handed start against its row, so a trigger added
    -- later cannot make it wrong, only slower.)
    stamped := valid_from_column = 'updated_at' AND coalesce((
        SELECT t.tgfoid = 'isms.stamp()'::regprocedure AND t.tgattr = ''::int2vector AND t.tgqual IS NULL
          FROM pg_trigger t
         WHERE t.tgrelid = register AND NOT t.tgisinternal AND t.tgenabled <> 'D'
           AND t.tgtype & (1 | 2 | 16) = (1 | 2 | 16)   -- ROW, BEFORE, UPDATE
         ORDER BY t.tgname DESC LIMIT 1), false);
    EXECUTE format('CREATE TRIGGER isms_history_update AFTER UPDATE ON %s '
                   'REFERENCING OLD TABLE AS isms_old %s'
                   'FOR EACH STATEMENT EXECUTE FUNCTION isms.capture_history(%L, %L)',
                   register, CASE WHEN stamped THEN '' ELSE 'NEW TABLE AS isms_new ' END,
                   hist::text, valid_from_column);
    EXECUTE format('CREATE TRIGGER isms_history_delete AFTER DELETE ON %s '
                   'REFERENCING OLD TABLE AS isms_old '
                   'FOR EACH STATEMENT EXECUTE FUNCTION isms.capture_history(%L, %L)',
                   register, hist::text, valid_from_column);
    RETURN hist;
END
$$;
COMMENT ON FUNCTION isms.enable_history(regclass, name) IS
    'Keeps the history of a register: creates its history table isms_history.<name> and the capture triggers; run again after adding columns to the register';
REVOKE ALL ON FUNCTION isms.enable_history(regclass, name) FROM PUBLIC;


DO $$
DECLARE
    p record;
    -- as pg_get_expr() prints it, isms. left out when isms is on the search path
    old_form constant text := '^\(org_id = ANY \(\( SELECT (isms\.)?member_orgs\(\) AS member_orgs\)::bigint\[\]\)\)$';
    new_form constant text := '(org_id = ANY (isms.visible_orgs()))';
BEGIN
    FOR p IN SELECT po.polname, po.polrelid::regclass AS rel,
                    pg_catalog.pg_get_expr(po.polqual, po.polrelid) AS qual,
                    pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid) AS check_expr
               FROM pg_catalog.pg_policy po
               JOIN pg_catalog.pg_class c ON c.oid = po.polrelid
              WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_history'::regnamespace)
                 -- and the registers and history tables of the organisation's own
                 OR po.polrelid IN (SELECT g.relid FROM isms.register g
                                    UNION ALL SELECT h.history_table FROM isms.history_config h)
              ORDER BY 2, 1
    LOOP
        IF p.qual ~ old_form THEN
            EXECUTE format('ALTER POLICY %I ON %s USING %s', p.polname, p.rel, new_form);
        END IF;
        IF p.check_expr ~ old_form THEN
            EXECUTE format('ALTER POLICY %I ON %s WITH CHECK %s', p.polname, p.rel, new_form);
        END IF;
    END LOOP;
    -- a form the pattern did not recognise would stay behind unnoticed
    SELECT po.polname, po.polrelid::regclass AS rel INTO p
      FROM pg_catalog.pg_policy po
      JOIN pg_catalog.pg_class c ON c.oid = po.polrelid
     WHERE (pg_catalog.pg_get_expr(po.polqual, po.polrelid) ~ 'member_orgs\(\) AS member_orgs'
            OR pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid) ~ 'member_orgs\(\) AS member_orgs')
       AND po.polrelid <> 'isms.outbox'::regclass
       AND (c.relnamespace IN ('isms'::regnamespace, 'isms_history'::regnamespace)
            OR po.polrelid IN (SELECT g.relid FROM isms.register g
                               UNION ALL SELECT h.history_table FROM isms.history_config h))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'policy % on % still reads isms.member_orgs() in a subquery', p.polname, p.rel
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The upgrade rewrites every per-organisation policy of the form org_id = ANY ((SELECT isms.member_orgs())::bigint[]) to org_id = ANY (isms.visible_orgs()); this one has another form.',
                  HINT = 'Rewrite the policy with ALTER POLICY ... USING (org_id = ANY (isms.visible_orgs())), then run ALTER EXTENSION isms UPDATE again.';
    END IF;
END
$$;


-- isms.citus_distribute(), the step that distributes isms on a Citus
-- coordinator (src/citus.sql): its final form is in the citus3 section.


-- == trendspeed: the continual-improvement trend reads each register once per call ==
-- Each register as it stood at to_at is read once for the organisation,
-- and the residual risk total of every period boundary comes from one
-- read of the organisation's risks and their history; isms.known_as_of
-- reads a register's history once per call, not three times.

CREATE OR REPLACE FUNCTION isms.known_as_of(register anyelement, at timestamptz)
    RETURNS SETOF anyelement
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    reg  regclass;
    hist regclass;
    vf   name;
    cols text;
    xcols text;
BEGIN
    SELECT t.typrelid INTO reg FROM pg_type t
     WHERE t.oid = pg_typeof(register) AND t.typrelid <> 0;
    IF reg IS NULL THEN
        RAISE EXCEPTION 'isms.known_as_of() needs a row of a register, not %', pg_typeof(register)
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Pass a NULL of the register''s row type: isms.known_as_of(NULL::isms.risk, ''2025-01-31'').';
    END IF;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum),
           string_agg('x.' || quote_ident(attname), ', ' ORDER BY attnum) INTO cols, xcols
      FROM pg_attribute WHERE attrelid = reg AND attnum > 0 AND NOT attisdropped;
    IF at >= now() THEN
        RETURN QUERY EXECUTE format('SELECT %s FROM %s', cols, reg);
        RETURN;
    END IF;
    SELECT h.history_table, h.valid_from_column INTO hist, vf
      FROM isms.history_config h WHERE h.relid = reg;
    IF hist IS NULL THEN
        RAISE EXCEPTION 'the history of % is not kept', reg
            USING ERRCODE = 'undefined_object',
                  HINT = format('Keep it from now on with SELECT isms.enable_history(%L).', reg);
    END IF;
    -- the history read once: the versions valid then, and those begun later
    RETURN QUERY EXECUTE format(
        'WITH h AS MATERIALIZED ('
        '  SELECT %1$s, lower(valid) AS isms_known_from, valid @> $1 AS isms_valid FROM %4$s'
        '   WHERE valid @> $1 OR (lower(valid) > $1 AND created_at <= $1)) '
        'SELECT %1$s FROM %2$s WHERE %3$I IS NULL OR %3$I <= $1 '
        'UNION ALL SELECT %1$s FROM h WHERE isms_valid '
        'UNION ALL SELECT %5$s FROM ('
        '  SELECT DISTINCT ON (y.org_id, y.id) y.* FROM ('
        '    SELECT %1$s, %3$I AS isms_known_from FROM %2$s WHERE %3$I > $1 AND created_at <= $1 '
        '    UNION ALL SELECT %1$s, isms_known_from FROM h WHERE isms_known_from > $1 AND created_at <= $1) y '
        '   WHERE NOT EXISTS (SELECT 1 FROM h WHERE h.isms_valid AND h.org_id = y.org_id AND h.id = y.id) '
        '   ORDER BY y.org_id, y.id, y.isms_known_from) x',
        cols, reg, vf, hist, xcols) USING at;
END
$$;
COMMENT ON FUNCTION isms.known_as_of(anyelement, timestamptz) IS
    'The rows of a register as the reports see them at an instant: the version valid then (isms.as_of), and for a row created by then whose known history starts later, its earliest known version; at or after the current transaction''s start, the register itself';
REVOKE ALL ON FUNCTION isms.known_as_of(anyelement, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.known_as_of(anyelement, timestamptz) TO isms_reader;


CREATE OR REPLACE FUNCTION isms.improvement_metrics(org_id bigint,
                                         from_at timestamptz DEFAULT now() - interval '1 year',
                                         to_at timestamptz DEFAULT now(),
                                         bucket interval DEFAULT interval '3 months',
                                         recurrence_window interval DEFAULT interval '12 months')
RETURNS TABLE (period_start timestamptz, period_end timestamptz,
               nonconformities_raised integer, nonconformities_closed integer,
               median_days_to_close numeric, p90_days_to_close numeric,
               corrective_actions_checked integer, corrective_actions_effective integer,
               effective_share numeric,
               recurring_nonconformities integer,
               audits_planned integer, audits_completed integer, audit_completion numeric,
               reviews_planned integer, reviews_held integer,
               objectives_measured integer, objectives_met integer, objectives_met_share numeric,
               residual_risk_total bigint, residual_risk_change bigint,
               pdca_cycles_completed integer, pdca_cycles_by_workflow jsonb,
               improvements_implemented integer)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    t0 constant timestamptz := isms.report_time('from_at', $2);
    t1 constant timestamptz := isms.report_time('to_at', $3);
    b constant interval := $4;
    w constant interval := $5;
    max_periods constant integer := 5000;
    hist regclass;
    vf name;
    rb_at timestamptz[];
    rb_total bigint[];
BEGIN
    -- the records as they stood at to_at (register history); moves from the log
    IF t0 > t1 THEN
        PERFORM isms.report_bad_argument('from_at', t0::text,
            format('from_at is after to_at (%s)', t1),
            'Pass the start of the reporting range first: improvement_metrics(org_id, from_at, to_at, bucket).');
    END IF;
    IF b IS NULL OR t0 + b <= t0 THEN
        PERFORM isms.report_bad_argument('bucket', b::text, 'the period length must be a positive interval',
            'Pass an interval such as ''1 month'' or ''3 months''.');
    END IF;
    IF t0 + b * max_periods < t1 THEN
        PERFORM isms.report_bad_argument('bucket', b::text,
            format('more than %s periods between from_at and to_at', max_periods),
            'Pass a longer bucket or a shorter range.');
    END IF;
    IF w IS NULL OR w < interval '0' THEN
        PERFORM isms.report_bad_argument('recurrence_window', w::text, 'a non-negative interval is required',
            'Pass an interval such as ''12 months''.');
    END IF;

    -- The residual risk total at each period boundary (a period's start is
    -- the previous one's end): isms.risk_rating_at's figure, the sum of the
    -- ratings of the risks as isms.known_as_of gives them at the boundary,
    -- here from one read of the organisation's risks and their history for
    -- every boundary, not a read of the whole history per boundary.
    SELECT h.history_table, h.valid_from_column INTO hist, vf
      FROM isms.history_config h WHERE h.relid = 'isms.risk'::regclass;
    IF hist IS NULL THEN
        -- no history: isms.known_as_of() refuses a past instant
        SELECT array_agg(x.at ORDER BY x.at),
               array_agg((SELECT coalesce(sum(r.rating), 0) FROM isms.risk_rating_at(o, x.at) r)::bigint ORDER BY x.at)
          INTO rb_at, rb_total
          FROM (SELECT s AS at FROM generate_series(t0, t1, b) AS s WHERE s < t1
                UNION SELECT least(s + b, t1) FROM generate_series(t0, t1, b) AS s WHERE s < t1) x;
    ELSE
        -- v: known_as_of at each boundary, the register itself from the
        -- transaction's start, else the version valid then, else the
        -- earliest known version of a row created by then
        EXECUTE format(
            'WITH bnd AS ('
            '  SELECT s AS at FROM pg_catalog.generate_series($2, $3, $4) AS s WHERE s < $3'
            '  UNION SELECT least(s + $4, $3) FROM pg_catalog.generate_series($2, $3, $4) AS s WHERE s < $3), '
            'rv AS MATERIALIZED ('
            '  SELECT r.id, r.created_at, r.identified_on, r.%2$I AS vf, NULL::pg_catalog.tstzrange AS valid,'
            '         coalesce(r.residual_rating, r.inherent_rating) AS rating, true AS cur'
            '    FROM isms.risk r WHERE r.org_id = $1'
            '  UNION ALL SELECT h.id, h.created_at, h.identified_on, lower(h.valid), h.valid,'
            '         coalesce(h.residual_rating, h.inherent_rating), false'
            '    FROM %1$s h WHERE h.org_id = $1), '
            'v AS ('
            '  SELECT x.at, v.* FROM bnd x JOIN rv v ON v.cur WHERE x.at >= now()'
            '  UNION ALL SELECT x.at, v.* FROM bnd x JOIN rv v ON v.cur AND (v.vf IS NULL OR v.vf <= x.at)'
            '   WHERE x.at < now()'
            '  UNION ALL SELECT x.at, v.* FROM bnd x JOIN rv v ON NOT v.cur AND v.valid @> x.at WHERE x.at < now()'
            '  UNION ALL SELECT y.* FROM ('
            '    SELECT DISTINCT ON (x.at, v.id) x.at, v.* FROM bnd x JOIN rv v ON v.vf > x.at AND v.created_at <= x.at'
            '     WHERE x.at < now()'
            '       AND NOT EXISTS (SELECT 1 FROM rv h WHERE NOT h.cur AND h.id = v.id AND h.valid @> x.at)'
            '     ORDER BY x.at, v.id, v.vf) y) '
            'SELECT array_agg(x.at ORDER BY x.at), array_agg(coalesce(t.total, 0) ORDER BY x.at)'
            '  FROM bnd x LEFT JOIN (SELECT v.at, sum(v.rating) AS total FROM v'
            '                         WHERE v.identified_on <= v.at AND v.created_at <= v.at GROUP BY v.at) t'
            '    ON t.at = x.at',
            hist, vf) INTO rb_at, rb_total USING o, t0, t1, b;
    END IF;

    RETURN QUERY
    WITH p AS (
        SELECT s AS ps, least(s + b, t1) AS pe
          FROM generate_series(t0, t1, b) AS s
         WHERE s < t1),
    -- completed PDCA cycles: moves into a final state of the act phase
    acts AS MATERIALIZED (
        SELECT f.relid, s.workflow, s.state
          FROM isms.workflow f
          JOIN isms.workflow_state s ON s.workflow = f.workflow
         WHERE f.relid IS NOT NULL AND s.is_terminal AND s.phase = 'act'),
    -- each register as it stood at to_at, read once for the organisation
    nc AS MATERIALIZED (
        SELECT n.* FROM isms.known_as_of(NULL::isms.nonconformity, t1) n WHERE n.org_id = o),
    mr AS MATERIALIZED (
        SELECT m.* FROM isms.known_as_of(NULL::isms.management_review, t1) m WHERE m.org_id = o),
    au0 AS MATERIALIZED (
        SELECT a.* FROM isms.known_as_of(NULL::isms.audit, t1) a WHERE a.org_id = o),
    obj AS MATERIALIZED (
        SELECT j.* FROM isms.known_as_of(NULL::isms.objective, t1) j WHERE j.org_id = o),
    nc_close AS MATERIALIZED (
        SELECT c.record_id, c.at, n.framework, n.requirement,
               date_part('epoch', c.at - CASE WHEN c.cycle = 1 THEN n.detected_at
                                              ELSE (SELECT min(x.at) FROM isms.transition_log x
                                                     WHERE x.org_id = o AND x.record_table = c.record_table
                                                       AND x.record_id = c.record_id AND x.cycle = c.cycle) END)
                   / 86400 AS days
          FROM isms.transition_log c
          JOIN nc n ON n.id = c.record_id
         WHERE c.org_id = o AND c.record_table = 'isms.nonconformity'::regclass AND c.to_state = 'closed'
           AND c.at < t1),
    -- the residual risk total at each period boundary (above)
    rb AS MATERIALIZED (
        SELECT u.at, u.total FROM unnest(rb_at, rb_total) AS u(at, total))
    SELECT p.ps, p.pe,
           (SELECT count(*) FROM nc n
             WHERE n.detected_at >= p.ps AND n.detected_at < p.pe)::integer,
           cl.n::integer, cl.median, cl.p90,
           ca.checked::integer, ca.effective::integer,
           round(ca.effective::numeric / nullif(ca.checked, 0), 3),
           (SELECT count(*) FROM nc n
             WHERE n.detected_at >= p.ps AND n.detected_at < p.pe
               AND n.requirement IS NOT NULL
               AND EXISTS (SELECT 1 FROM nc_close c
                            WHERE c.record_id <> n.id AND c.framework = n.framework
                              AND c.requirement = n.requirement
                              AND c.at <= n.detected_at AND c.at >= n.detected_at - w))::integer,
           au.planned::integer, au.completed::integer,
           round(au.completed::numeric / nullif(au.planned, 0), 3),
           (SELECT count(*) FROM mr m
             WHERE m.planned_on >= p.ps AND m.planned_on < p.pe)::integer,
           (SELECT count(*) FROM mr m
             WHERE m.held_on >= p.ps AND m.held_on < p.pe)::integer,
           ob.measured::integer, ob.met::integer,
           round(ob.met::numeric / nullif(ob.measured, 0), 3),
           rk.at_end, rk.at_end - rk.at_start,
           coalesce(cy.total, 0)::integer, coalesce(cy.by_workflow, '{}'::jsonb),
           (SELECT count(*) FROM isms.transition_log l
             WHERE l.org_id = o AND l.record_table = 'isms.improvement'::regclass AND l.to_state = 'implemented'
               AND l.at >= p.ps AND l.at < p.pe)::integer
      FROM p
      CROSS JOIN LATERAL (
          SELECT count(*) AS n,
                 round(percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(c.days, 0))::numeric, 1) AS median,
                 round(percentile_cont(0.9) WITHIN GROUP (ORDER BY greatest(c.days, 0))::numeric, 1) AS p90
            FROM nc_close c WHERE c.at >= p.ps AND c.at < p.pe) cl
      CROSS JOIN LATERAL (
          -- an effectiveness check concludes when a verified action closes
          -- (effective) or is reworked (not effective)
          SELECT count(*) AS checked, count(*) FILTER (WHERE l.to_state = 'closed') AS effective
            FROM isms.transition_log l
           WHERE l.org_id = o AND l.record_table = 'isms.corrective_action'::regclass
             AND l.to_state IN ('closed', 'in_progress') AND l.from_state = 'verified'
             AND l.at >= p.ps AND l.at < p.pe) ca
      CROSS JOIN LATERAL (
          SELECT count(*) AS planned,
                 count(*) FILTER (WHERE EXISTS (SELECT 1 FROM isms.transition_log l
                                                 WHERE l.org_id = o AND l.record_table = 'isms.audit'::regclass
                                                   AND l.to_state = 'completed' AND l.record_id = a.id
                                                   AND l.at < t1)) AS completed
            FROM au0 a
           WHERE a.planned_end >= p.ps AND a.planned_end < p.pe) au
      CROSS JOIN LATERAL (
          SELECT count(*) AS measured, count(*) FILTER (WHERE x.met) AS met
            FROM (SELECT DISTINCT ON (m.objective_id) m.objective_id,
                         CASE j.direction WHEN 'at_most' THEN m.value <= j.target ELSE m.value >= j.target END AS met
                    FROM isms.objective_measurement m
                    JOIN obj j ON j.id = m.objective_id
                   WHERE m.org_id = o AND m.measured_at >= p.ps AND m.measured_at < p.pe
                   ORDER BY m.objective_id, m.measured_at DESC) x) ob
      CROSS JOIN LATERAL (
          SELECT (SELECT e.total FROM rb e WHERE e.at = p.pe) AS at_end,
                 (SELECT e.total FROM rb e WHERE e.at = p.ps) AS at_start) rk
      LEFT JOIN LATERAL (
          SELECT sum(y.n) AS total, jsonb_object_agg(y.workflow, y.n ORDER BY y.workflow) AS by_workflow
            FROM (SELECT a.workflow, count(*) AS n
                    FROM acts a
                    JOIN isms.transition_log l ON l.org_id = o AND l.record_table = a.relid AND l.to_state = a.state
                                              AND l.at >= p.ps AND l.at < p.pe
                                              AND isms.reported_move(l.from_state, l.to_state)
                   GROUP BY a.workflow) y) cy ON true
     ORDER BY p.ps;
END
$$;
COMMENT ON FUNCTION isms.improvement_metrics(bigint, timestamptz, timestamptz, interval, interval) IS
    'Continual improvement (10.1) per period [start, end) from from_at to to_at, from the records as they stood at to_at (register history) and the transition log: nonconformities raised (detected) and closed (log), median and 90th percentile days to close, corrective action effectiveness checks concluded (log: verified to closed, effective, or back to in_progress, not) and the share effective, recurring nonconformities (same requirement as one closed within recurrence_window before), audits due and completed, management reviews planned and held, objectives measured and met, residual risk total at period end and its change, completed PDCA cycles (moves into a final act state) per workflow, improvements implemented';
REVOKE ALL ON FUNCTION isms.improvement_metrics(bigint, timestamptz, timestamptz, interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.improvement_metrics(bigint, timestamptz, timestamptz, interval, interval) TO isms_reader;


-- == citus3: isms writes on the Citus shards: the locks carry org_id, the log seals verify on shards, the trail appended on its node ==
CREATE OR REPLACE FUNCTION isms.transition(tbl regclass, record_id bigint, to_state text, reason text DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION isms.verify_transition_log(org bigint)
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

CREATE OR REPLACE FUNCTION isms.citus_distribute()
    RETURNS TABLE (table_name text, distribution text, outcome text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    SET client_min_messages = warning
AS $$
DECLARE
    t record;
    tables regclass[];
    fk_rel regclass[] := '{}';
    fk_name name[] := '{}';
    fk_def text[] := '{}';
    failed text[] := '{}';
    kept_local text[] := '{}';
    tr record;
    trig_name name[];
    trig_state text[];
    j int;
    coordinator bool;
    st text;
    msg text;
    det text;
BEGIN
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
        RAISE EXCEPTION 'isms.citus_distribute() must be run by a superuser'
            USING ERRCODE = '42501',
                  DETAIL = pg_catalog.format('Role "%s" is not a superuser; distributing converts every table of isms and drops and adds its foreign keys.', CURRENT_USER),
                  HINT = 'Run it on the Citus coordinator as a superuser.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'citus') THEN
        RAISE EXCEPTION 'isms cannot be distributed: the extension citus is not installed in database "%"', pg_catalog.current_database()
            USING ERRCODE = '55000',
                  DETAIL = 'isms.citus_distribute() asks Citus to make the catalog reference tables and to distribute the registers by org_id.',
                  HINT = 'Install Citus (README "Distributing by organisation (Citus)"), CREATE EXTENSION citus on the coordinator, add the workers with citus_add_node(), then run it again.';
    END IF;
    EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO coordinator;
    IF NOT coalesce(coordinator, false) THEN
        RAISE EXCEPTION 'isms cannot be distributed from this node: it is not the Citus coordinator'
            USING ERRCODE = '55000',
                  DETAIL = 'pg_catalog.citus_is_coordinator() is false here; a worker''s isms is a copy of its own that holds none of the ISMS.',
                  HINT = 'Run isms.citus_distribute() on the coordinator, after citus_set_coordinator_host() and citus_add_node() of the workers.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'btree_gist') THEN
        RAISE EXCEPTION 'isms cannot be distributed: the extension btree_gist is not installed in database "%"', pg_catalog.current_database()
            USING ERRCODE = '55000',
                  DETAIL = 'A distributed table''s exclusion constraint must compare org_id with =: document_version_no_overlap becomes (org_id WITH =, document, validity), which needs btree_gist''s operator class for bigint.',
                  HINT = 'CREATE EXTENSION btree_gist (PostgreSQL''s contrib) on the coordinator, then run it again.';
    END IF;
    -- isms's triggers fire on the shards; foreign keys to reference tables
    -- want one connection per node within the transaction
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);

    -- the tables of the extension and the history tables, not yet Citus's
    SELECT pg_catalog.array_agg(c.oid::regclass ORDER BY c.oid) INTO tables
      FROM pg_catalog.pg_class c
     WHERE c.relkind IN ('r', 'p')
       AND (EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                     WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                       AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
                       AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                       AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
                                                              WHERE e.extname OPERATOR(pg_catalog.=) 'isms'))
            OR c.relnamespace OPERATOR(pg_catalog.=) 'isms_history'::pg_catalog.regnamespace)
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p
                        WHERE p.logicalrelid OPERATOR(pg_catalog.=) c.oid);
    tables := coalesce(tables, '{}');

    -- every foreign key from or to one of them, saved and dropped
    FOR t IN SELECT k.conrelid::regclass AS rel, k.conname, pg_catalog.pg_get_constraintdef(k.oid) AS def
               FROM pg_catalog.pg_constraint k
              WHERE k.contype OPERATOR(pg_catalog.=) 'f'
                AND (k.conrelid OPERATOR(pg_catalog.=) ANY (tables) OR k.confrelid OPERATOR(pg_catalog.=) ANY (tables))
              ORDER BY k.conrelid, k.conname
    LOOP
        fk_rel := fk_rel OPERATOR(pg_catalog.||) t.rel;
        fk_name := fk_name OPERATOR(pg_catalog.||) t.conname;
        fk_def := fk_def OPERATOR(pg_catalog.||) t.def;
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', t.rel, t.conname);
    END LOOP;

    -- org_id leads the exclusion of overlapping document versions
    IF 'isms.document_version'::pg_catalog.regclass OPERATOR(pg_catalog.=) ANY (tables)
       AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                    WHERE k.conrelid OPERATOR(pg_catalog.=) 'isms.document_version'::pg_catalog.regclass
                      AND k.conname OPERATOR(pg_catalog.=) 'document_version_no_overlap'
                      AND pg_catalog.pg_get_constraintdef(k.oid) OPERATOR(pg_catalog.!~) '\(org_id WITH') THEN
        ALTER TABLE isms.document_version DROP CONSTRAINT document_version_no_overlap,
            ADD CONSTRAINT document_version_no_overlap EXCLUDE USING gist
                (org_id WITH OPERATOR(pg_catalog.=),
                 pg_catalog.int8range(document_id, document_id, '[]') WITH OPERATOR(pg_catalog.&&),
                 validity WITH OPERATOR(pg_catalog.&&));
    END IF;

    -- reference tables first, then the rest by org_id, colocated; the
    -- organisations' workflow restrictions are definitions the triggers of
    -- every shard read, so every node holds them all
    FOR t IN SELECT r.rel,
                    NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                                 WHERE a.attrelid OPERATOR(pg_catalog.=) r.rel AND a.attname OPERATOR(pg_catalog.=) 'org_id'
                                   AND NOT a.attisdropped)
                    OR r.rel OPERATOR(pg_catalog.=) ANY (ARRAY['isms.organization', 'isms.membership', 'isms.workflow_restriction']::pg_catalog.regclass[]) AS reference
               FROM pg_catalog.unnest(tables) r(rel)
              ORDER BY 2 DESC, r.rel::text
    LOOP
        table_name := t.rel::text;
        distribution := CASE WHEN t.reference THEN 'reference' ELSE 'by org_id' END;
        BEGIN
            -- Citus copies the rows into the shards, which have the
            -- table's triggers: isms's row triggers would stamp, log or
            -- refuse them again.  Disabled for the copy, each set back as
            -- it was (on the shards too).
            trig_name := '{}';
            trig_state := '{}';
            FOR tr IN SELECT g.tgname, g.tgenabled FROM pg_catalog.pg_trigger g
                       WHERE g.tgrelid OPERATOR(pg_catalog.=) t.rel AND NOT g.tgisinternal
                         AND g.tgenabled OPERATOR(pg_catalog.<>) 'D'
                         AND (g.tgtype::int OPERATOR(pg_catalog.&) 1) OPERATOR(pg_catalog.=) 1   -- row triggers
                       ORDER BY g.tgname
            LOOP
                trig_name := trig_name OPERATOR(pg_catalog.||) tr.tgname;
                trig_state := trig_state OPERATOR(pg_catalog.||) tr.tgenabled::text;
                EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER %I', t.rel, tr.tgname);
            END LOOP;
            IF t.reference THEN
                PERFORM pg_catalog.create_reference_table(t.rel);
            ELSE
                PERFORM pg_catalog.create_distributed_table(t.rel, 'org_id');
            END IF;
            FOR j IN 1 .. pg_catalog.cardinality(trig_name) LOOP
                EXECUTE pg_catalog.format('ALTER TABLE %s %s TRIGGER %I', t.rel,
                                          CASE trig_state[j] WHEN 'A' THEN 'ENABLE ALWAYS'
                                                             WHEN 'R' THEN 'ENABLE REPLICA'
                                                             ELSE 'ENABLE' END,
                                          trig_name[j]);
            END LOOP;
            outcome := 'done';
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
            distribution := 'local';
            outcome := st OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) msg
                       OPERATOR(pg_catalog.||) CASE WHEN coalesce(det, '') OPERATOR(pg_catalog.=) '' THEN ''
                                                   ELSE ' (' OPERATOR(pg_catalog.||) det OPERATOR(pg_catalog.||) ')' END;
            kept_local := kept_local OPERATOR(pg_catalog.||) pg_catalog.format('%s: %s', table_name, outcome);
        END;
        RETURN NEXT;
    END LOOP;

    -- the workers' own copies of the extension's tables have the foreign
    -- keys: dropped there through the Citus table, then added everywhere
    FOR i IN 1 .. pg_catalog.cardinality(fk_rel) LOOP
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid OPERATOR(pg_catalog.=) fk_rel[i]) THEN
            EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', fk_rel[i], fk_name[i]);
        END IF;
    END LOOP;
    FOR i IN 1 .. pg_catalog.cardinality(fk_rel) LOOP
        BEGIN
            EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk_rel[i], fk_name[i], fk_def[i]);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            failed := failed OPERATOR(pg_catalog.||) pg_catalog.format('%s %s: %s: %s', fk_rel[i], fk_name[i], st, msg);
        END;
    END LOOP;
    -- isms.set_context() sets isms.org with a SET LOCAL that Citus sends
    -- to the workers, where the shards' policies read it, only with this
    -- (from the next session on)
    EXECUTE pg_catalog.format('ALTER DATABASE %I SET citus.propagate_set_commands = %L',
                              pg_catalog.current_database(), 'local');
    -- the triggers of the shards number the log rows from each worker's own
    -- sequence: each node group numbers from (group << 48), above every
    -- number the coordinator gave (run again after adding a node)
    IF EXISTS (SELECT FROM pg_catalog.run_command_on_workers(
                   'SELECT pg_catalog.setval(''isms.transition_log_log_id_seq'', GREATEST('
                   '(SELECT s.last_value FROM isms.transition_log_log_id_seq s), '
                   '(SELECT g.groupid::bigint FROM pg_catalog.pg_dist_local_group g) OPERATOR(pg_catalog.<<) 48))') r
                WHERE NOT r.success) THEN
        RAISE EXCEPTION 'isms cannot be distributed: a worker''s transition log sequence cannot be set'
            USING ERRCODE = 'IS161',
                  HINT = 'Check that every worker is reachable and has isms, then run it again.';
    END IF;
    -- an organisation's trail is appended to on the node that holds its
    -- shard: Citus sends a call of isms.trail_append() there (a SELECT of
    -- the call alone, with the organisation a constant)
    IF EXISTS (SELECT FROM pg_catalog.pg_dist_partition p
                WHERE p.logicalrelid OPERATOR(pg_catalog.=) 'isms.trail'::pg_catalog.regclass
                  AND p.partmethod OPERATOR(pg_catalog.=) 'h') THEN
        PERFORM pg_catalog.create_distributed_function(
            'isms.trail_append(bigint, regclass, bigint, text, jsonb)'::pg_catalog.regprocedure,
            'org_id', colocate_with => 'isms.trail');
    END IF;
    IF pg_catalog.cardinality(failed) OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'isms cannot be distributed: % of its foreign keys cannot be added again', pg_catalog.cardinality(failed)
            USING ERRCODE = 'IS161',
                  DETAIL = pg_catalog.format('Foreign keys: %s. Tables Citus refused, kept local: %s.',
                                             pg_catalog.array_to_string(failed, '; '),
                                             coalesce(pg_catalog.array_to_string(kept_local, '; '), 'none')),
                  HINT = 'Nothing was changed. Distribute or undistribute the tables these keys join, or the application''s tables that reference isms, so that each key joins two tables Citus can keep on the same node, then run it again.';
    END IF;
END
$$;
COMMENT ON FUNCTION isms.citus_distribute() IS
    'Distributes isms on a Citus coordinator (superuser): the catalog, workflow definitions and restrictions, organization and membership as reference tables, every other table with an org_id distributed by it and colocated; one row per table with its distribution and outcome (done, or the SQLSTATE of a table Citus refuses, which stays local); foreign keys saved and added again, or nothing changed (IS161); sets citus.propagate_set_commands = local for the database, so that isms.set_context() narrows on the workers, numbers each worker''s transition log from its own range (run again after adding a worker) and makes isms.trail_append() run on the organisation''s worker; 55000 without Citus or btree_gist or off the coordinator';
REVOKE ALL ON FUNCTION isms.citus_distribute() FROM PUBLIC;
-- == doccontrol: document control on Citus shards: documents locked by (org_id, id), document_next_version in PL/pgSQL, approve_document's searched CASE ==

CREATE OR REPLACE FUNCTION isms.document_lock(document_id bigint) RETURNS isms.document
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    doc isms.document;
    org bigint;
BEGIN
    SELECT d.org_id INTO org FROM isms.document d WHERE d.id = document_lock.document_id;
    IF FOUND THEN
        SELECT * INTO doc FROM isms.document d
         WHERE d.org_id = org AND d.id = document_lock.document_id FOR NO KEY UPDATE;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'document % does not exist', document_id
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('No row of isms.document with id %s is visible to you.', document_id),
                  HINT = 'Check the id and your organisation membership.';
    END IF;
    RETURN doc;
END
$$;
COMMENT ON FUNCTION isms.document_lock(bigint) IS
    'The document with this id, locked until the end of the transaction (FOR NO KEY UPDATE); no_data_found when it is not visible';
REVOKE ALL ON FUNCTION isms.document_lock(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.document_lock(bigint) TO isms_editor;

CREATE OR REPLACE FUNCTION isms.document_version_lock(version_id bigint) RETURNS isms.document_version
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    ver isms.document_version;
BEGIN
    SELECT * INTO ver FROM isms.document_version v WHERE v.id = version_id;
    IF FOUND THEN
        -- the document locked by its key (see isms.document_lock)
        PERFORM FROM isms.document d
          WHERE d.org_id = ver.org_id AND d.id = ver.document_id FOR NO KEY UPDATE;
        IF NOT FOUND THEN
            PERFORM isms.document_lock(ver.document_id);
        END IF;
        -- read again: a concurrent change has committed while we waited
        SELECT * INTO ver FROM isms.document_version v WHERE v.org_id = ver.org_id AND v.id = version_id;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'document version % does not exist', version_id
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('No row of isms.document_version with id %s is visible to you.', version_id),
                  HINT = 'Check the id and your organisation membership.';
    END IF;
    RETURN ver;
END
$$;
COMMENT ON FUNCTION isms.document_version_lock(bigint) IS
    'The version with this id, read after locking its document; no_data_found when it is not visible';
REVOKE ALL ON FUNCTION isms.document_version_lock(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.document_version_lock(bigint) TO isms_editor;

CREATE OR REPLACE FUNCTION isms.document_next_version(document_id bigint, major boolean DEFAULT false)
    RETURNS isms.docver
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    latest isms.docver;
BEGIN
    SELECT v.version INTO latest FROM isms.document_version v
     WHERE v.document_id = document_next_version.document_id
     ORDER BY v.version DESC LIMIT 1;
    RETURN CASE WHEN major THEN isms.next_major(coalesce(latest, '0.0'))
                WHEN latest IS NULL THEN '0.1'::isms.docver
                ELSE isms.next_minor(latest) END;
END
$$;
COMMENT ON FUNCTION isms.document_next_version(bigint, boolean) IS
    'Number of the next version of a document: 0.1 for the first (1.0 with major), else next_minor (next_major with major) of the latest version';
REVOKE ALL ON FUNCTION isms.document_next_version(bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.document_next_version(bigint, boolean) TO isms_reader;

CREATE OR REPLACE FUNCTION isms.approve_document(version_id bigint, decision text DEFAULT 'approved', comment text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    ver isms.document_version := isms.document_version_lock(version_id);
    approval_id bigint;
BEGIN
    -- sha256 is set by the trigger for members; given here for a superuser,
    -- whose INSERT the trigger takes as it is
    INSERT INTO isms.document_approval (org_id, version_id, decision, comment, sha256)
    VALUES (ver.org_id, ver.id, decision, comment, ver.sha256)
    RETURNING id INTO approval_id;
    UPDATE isms.document_version v
       SET status = CASE WHEN approve_document.decision = 'approved' THEN 'approved' ELSE 'draft' END
     WHERE v.org_id = ver.org_id AND v.id = ver.id;
    RETURN approval_id;
END
$$;
COMMENT ON FUNCTION isms.approve_document(bigint, text, text) IS
    'Records a decision on a version in review, by the person acting (never its author: IS011): approved moves it to approved, rejected (with a comment) back to draft; returns the approval id';
REVOKE ALL ON FUNCTION isms.approve_document(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.approve_document(bigint, text, text) TO isms_editor;


-- == orgevents: isms.events_for_org(), the event feed of one organisation read from its trail ==
CREATE OR REPLACE FUNCTION isms.events_for_org(org bigint, after_seq bigint DEFAULT 0, max_transactions integer DEFAULT 100)
RETURNS TABLE (seq bigint, log_id bigint, org_id bigint, record_table text, record_id bigint,
               from_state text, to_state text, cycle integer, actor text, reason text, at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, isms, pg_temp AS $$
#variable_conflict use_column
BEGIN
    IF org IS NULL OR after_seq IS NULL OR max_transactions IS NULL THEN
        RAISE EXCEPTION 'isms.events_for_org: the organisation, after_seq and max_transactions must not be NULL'
            USING ERRCODE = '22004',
                  DETAIL = format('org %s, after_seq %s, max_transactions %s',
                                  coalesce(org::text, 'NULL'), coalesce(after_seq::text, 'NULL'),
                                  coalesce(max_transactions::text, 'NULL')),
                  HINT = 'Pass the organisation''s id, 0 or the largest seq returned so far, and a positive page size.';
    END IF;
    IF max_transactions OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'isms.events_for_org: max_transactions must be at least 1'
            USING ERRCODE = '22023',
                  DETAIL = format('max_transactions is %s', max_transactions),
                  HINT = 'Pass a positive page size, 100 by default.';
    END IF;
    PERFORM isms.require_member(org, 'read the events of');
    RETURN QUERY
    SELECT t.seq, l.log_id, l.org_id,
           coalesce(l.record_table_name,
                    (pg_catalog.pg_identify_object('pg_catalog.pg_class'::pg_catalog.regclass,
                                                   l.record_table::pg_catalog.oid, 0)).identity),
           l.record_id,
           l.from_state, l.to_state, l.cycle, l.actor, l.reason, l.at
      FROM (SELECT t.seq, t.payload
              FROM isms.trail t
             WHERE t.org_id OPERATOR(pg_catalog.=) org AND t.seq OPERATOR(pg_catalog.>) after_seq
               AND t.action OPERATOR(pg_catalog.=) ANY (ARRAY['transitions', 'import']::text[])
               AND t.source IS DISTINCT FROM 'hand'::text
             ORDER BY t.seq
             LIMIT max_transactions) AS t
     CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(t.payload OPERATOR(pg_catalog.->) 'batches') AS b
      JOIN isms.transition_log l
        ON l.org_id OPERATOR(pg_catalog.=) org
       AND l.xact_id OPERATOR(pg_catalog.=) ((t.payload OPERATOR(pg_catalog.->>) 'xact_id')::pg_catalog.xid8)
       AND l.log_id OPERATOR(pg_catalog.>=) ((b OPERATOR(pg_catalog.->>) 0)::bigint)
       AND l.log_id OPERATOR(pg_catalog.<=) ((b OPERATOR(pg_catalog.->>) 1)::bigint)
     ORDER BY t.seq, l.log_id;
END
$$;
COMMENT ON FUNCTION isms.events_for_org(bigint, bigint, integer) IS
    'Clause 4.4: the transitions of one organisation''s next max_transactions sealed transactions (engine moves and imports) after trail seq after_seq, in (seq, log_id) order, where seq is the trail seq of the seal; remember the largest seq returned and pass it next time to never miss an event; works on a distributed isms, where the outbox is not written; refuses non-members (42501)';
REVOKE ALL ON FUNCTION isms.events_for_org(bigint, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.events_for_org(bigint, bigint, integer) TO isms_reader;


-- == functions more than one part of this release changed: their final form ==

CREATE OR REPLACE FUNCTION isms.transition_log_encoding(l isms.transition_log) RETURNS text
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




-- the audit pack: suppliers (A.5.19-A.5.22), then open tasks and policy acknowledgement
CREATE OR REPLACE FUNCTION isms.audit_pack(org_code text, as_of timestamptz DEFAULT now()) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o bigint;
    org isms.organization;
    t constant timestamptz := isms.report_time('as_of', $2);
    n_pass integer; n_warn integer; n_fail integer;
    n_controls integer; n_app integer; n_excl integer; n_undecided integer; n_impl integer;
    n_nc integer; n_stale bigint; n_sup_flag integer;
    n_task integer; n_task_1 integer; n_task_2 integer; n_ack bigint; n_ack_pairs bigint;
    head_seq bigint; head_hash text;
    verdict text;
    css text;
    html text;
    part text;
BEGIN
    IF org_code IS NULL OR btrim(org_code) = '' THEN
        PERFORM isms.report_bad_argument('org_code', org_code, 'an organisation code is required',
            'SELECT code FROM isms.organization lists the organisations you may see.');
    END IF;
    SELECT x.* INTO org FROM isms.organization x WHERE x.code = org_code;
    IF NOT FOUND THEN
        PERFORM isms.report_bad_argument('org_code', org_code, 'no such organisation, or not one you are a member of',
            'SELECT code FROM isms.organization lists the organisations you may see.');
    END IF;
    o := org.org_id;

    -- the figures of the summary, each from the report function itself
    SELECT count(*) FILTER (WHERE r.status = 'pass'), count(*) FILTER (WHERE r.status = 'warn'),
           count(*) FILTER (WHERE r.status = 'fail')
      INTO n_pass, n_warn, n_fail FROM isms.clause_4_4_readiness(o, t) r;
    verdict := CASE WHEN n_fail > 0 THEN 'not ready: fix the failing checks first'
                    WHEN n_warn > 0 THEN 'ready with observations' ELSE 'ready' END;
    SELECT count(*), count(*) FILTER (WHERE s.decision = 'included'), count(*) FILTER (WHERE s.decision = 'excluded'),
           count(*) FILTER (WHERE s.decision NOT IN ('included', 'excluded')),
           count(*) FILTER (WHERE s.decision = 'included' AND s.implementation_status = 'implemented')
      INTO n_controls, n_app, n_excl, n_undecided, n_impl
      FROM isms.statement_of_applicability(o, 'iso27001-2022', t) s;
    SELECT count(*) INTO n_nc
      FROM isms.known_as_of(NULL::isms.nonconformity, t) n
      JOIN isms.workflow_state ws ON ws.workflow = 'nonconformity' AND ws.state = n.status
     WHERE n.org_id = o AND n.created_at <= t AND NOT ws.is_terminal;
    SELECT coalesce(sum(z.overdue), 0) INTO n_stale FROM isms.staleness_summary(o, t) z;
    PERFORM isms.require_member(o, 'read the trail head of');
    -- now: the head itself (entries of this transaction are recorded at
    -- clock time, after now()); a past instant: the last entry by then
    SELECT x.seq, encode(x.hash, 'hex') INTO head_seq, head_hash
      FROM isms.trail x WHERE x.org_id = o AND (t >= now() OR x.recorded_at <= t) ORDER BY x.seq DESC LIMIT 1;

    css := '@page{size:A4;margin:14mm 12mm}'
        || 'body{font:13px/1.45 "DejaVu Sans",Helvetica,Arial,sans-serif;color:#1d2430;margin:0;background:#f4f6f8}'
        || 'main{max-width:1180px;margin:0 auto;background:#fff;padding:28px 36px 40px}'
        || 'header{border-bottom:3px solid #1f4e79;padding-bottom:14px;margin-bottom:18px}'
        || 'h1{font-size:26px;margin:0 0 4px;color:#1f4e79}h2{font-size:18px;color:#1f4e79;border-bottom:1px solid #d5dde5;padding-bottom:4px;margin:28px 0 10px}'
        || 'h3{font-size:14px;margin:14px 0 6px}.meta{color:#555}.meta b{color:#1d2430}'
        || '.tiles{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin:16px 0}'
        || '.tile{border:1px solid #d5dde5;border-radius:8px;padding:10px 12px;background:#fafbfc}'
        || '.tile .k{font-size:11px;text-transform:uppercase;letter-spacing:.5px;color:#5c6b7a}'
        || '.tile .v{font-size:22px;font-weight:bold;margin-top:2px}.tile .s{font-size:11px;color:#5c6b7a}'
        || '.hash{font-family:"DejaVu Sans Mono",monospace;font-size:11px;word-break:break-all}'
        || 'table{border-collapse:collapse;width:100%;margin:6px 0 8px;font-size:12px}'
        || 'th,td{border:1px solid #d5dde5;padding:4px 6px;text-align:left;vertical-align:top}'
        || 'th{background:#eef2f6;font-weight:600}tr:nth-child(even) td{background:#fafbfc}td.n{text-align:right;white-space:nowrap}'
        || '.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:11px;font-weight:bold;color:#fff}'
        || '.pass{background:#2e7d32}.warn{background:#ef8f00}.fail{background:#c62828}.info{background:#5c6b7a}'
        || '.v.pass,.v.warn,.v.fail{background:none}.v.pass{color:#2e7d32}.v.warn{color:#ef8f00}.v.fail{color:#c62828}'
        || '.none{color:#5c6b7a;font-style:italic}.small{font-size:11px;color:#5c6b7a}'
        || 'figure{margin:8px 0;border:1px solid #d5dde5;border-radius:8px;padding:8px}figcaption{font-size:11px;color:#5c6b7a}'
        || 'footer{margin-top:30px;border-top:1px solid #d5dde5;padding-top:8px;font-size:11px;color:#5c6b7a}'
        || '@media print{body{background:#fff}main{max-width:none;padding:0}section{break-inside:auto}'
        || 'h2{break-after:avoid}tr,figure,.tile{break-inside:avoid}.tiles{grid-template-columns:repeat(5,1fr)}'
        || 'th{background:#eef2f6 !important;-webkit-print-color-adjust:exact;print-color-adjust:exact}'
        || '.badge,.bar1,.bar2{-webkit-print-color-adjust:exact;print-color-adjust:exact}}';

    html := '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        || '<meta name="viewport" content="width=device-width, initial-scale=1">'
        || format('<title>ISMS audit pack: %s, as of %s</title>', isms.html_escape(org.name), to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
        || '<style>' || css || '</style></head><body><main>'
        || '<header><h1>ISMS audit pack</h1>'
        || format('<div class="meta"><b data-figure="org-name">%s</b> (%s) &middot; ISO/IEC 27001:2022 &middot; as of <b data-figure="as-of">%s</b></div>',
                  isms.html_escape(org.name), isms.html_escape(org.code), to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'))
        || format('<div class="meta small">Generated %s by isms %s from the records as they stood at that instant (register history and transition log).</div>',
                  to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), isms.html_escape(isms.version()))
        || CASE WHEN coalesce(btrim(org.scope_statement), '') <> ''
                THEN format('<p><b>Scope (4.3):</b> %s</p>', isms.html_escape(org.scope_statement)) ELSE '' END
        || '</header>';

    -- summary tiles
    html := html || '<section id="summary"><div class="tiles">'
        || format('<div class="tile"><div class="k">Clause 4.4 readiness</div><div class="v %s">'
                  '<span data-figure="readiness-pass">%s</span> / <span data-figure="readiness-warn">%s</span> / <span data-figure="readiness-fail">%s</span></div>'
                  '<div class="s">pass / warn / fail: %s</div></div>',
                  CASE WHEN n_fail > 0 THEN 'fail' WHEN n_warn > 0 THEN 'warn' ELSE 'pass' END, n_pass, n_warn, n_fail, verdict)
        || format('<div class="tile"><div class="k">Statement of Applicability</div><div class="v"><span data-figure="soa-applicable">%s</span> of <span data-figure="soa-controls">%s</span></div>'
                  '<div class="s">controls applicable; %s excluded, %s not decided, %s implemented</div></div>',
                  n_app, n_controls, n_excl, n_undecided, n_impl)
        || format('<div class="tile"><div class="k">Open nonconformities</div><div class="v"><span data-figure="open-nonconformities">%s</span></div>'
                  '<div class="s">clause 10.2, not closed or rejected</div></div>', n_nc)
        || format('<div class="tile"><div class="k">Overdue reviews</div><div class="v"><span data-figure="overdue-reviews">%s</span></div>'
                  '<div class="s">register rows past their review interval</div></div>', n_stale)
        || format('<div class="tile"><div class="k">Trail head</div><div class="v">#<span data-figure="trail-seq">%s</span></div>'
                  '<div class="s hash" data-figure="trail-hash">%s</div></div>',
                  coalesce(head_seq::text, '-'), coalesce(head_hash, 'no entry yet'))
        || '</div></section>';

    -- readiness
    SELECT string_agg(format('<tr><td class="n">%s</td><td>%s</td><td>%s</td><td><span class="badge %s">%s</span></td>'
                             '<td class="n">%s</td><td>%s</td><td>%s</td></tr>',
                             r.check_no, isms.html_escape(r.checkpoint), isms.html_escape(r.clauses), r.status, r.status,
                             r.score, isms.html_escape(r.figures), isms.html_escape(r.action)), '' ORDER BY r.check_no)
      INTO part FROM isms.clause_4_4_readiness(o, t) r;
    html := html || '<section id="readiness"><h2>1. Clause 4.4 audit readiness</h2>'
        || format('<p>Verdict: <b>%s</b> (%s pass, %s warn, %s fail).</p>', verdict, n_pass, n_warn, n_fail)
        || '<table><thead><tr><th>#</th><th>Checkpoint</th><th>Clauses</th><th>Status</th><th>Score</th><th>Figures</th><th>Action</th></tr></thead><tbody>'
        || coalesce(part, '') || '</tbody></table></section>';

    -- Statement of Applicability and its sign-offs
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s%s</td><td>%s</td><td class="small hash">%s</td><td><span class="badge %s">%s</span></td></tr>',
                             to_char(s.signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), isms.html_escape(s.subject),
                             isms.html_escape(s.signer), coalesce(' (' || isms.html_escape(s.signer_role) || ')', ''),
                             coalesce('version ' || s.soa_version, 'record ' || s.record_id, ''),
                             isms.html_escape(left(s.sha256, 16)) || '…',
                             CASE s.status WHEN 'signed' THEN 'pass' ELSE 'warn' END, isms.html_escape(s.status)),
                      '' ORDER BY s.signed_at, s.signoff_id)
      INTO part FROM isms.signoff_status(o, t) s;
    html := html || '<section id="soa"><h2>2. Statement of Applicability (6.1.3 d)</h2>'
        || format('<p>%s of %s Annex A controls applicable, %s excluded, %s not decided; %s of the applicable implemented.</p>',
                  n_app, n_controls, n_excl, n_undecided, n_impl)
        || '<h3>Sign-offs</h3>'
        || CASE WHEN part IS NULL THEN '<p class="none">No sign-off recorded by this date.</p>'
                ELSE '<table><thead><tr><th>Signed</th><th>Subject</th><th>Signer</th><th>Of</th><th>SHA-256</th><th>Status</th></tr></thead><tbody>'
                     || part || '</tbody></table>' END;
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td><span class="badge %s">%s</span></td><td>%s</td><td>%s</td><td class="n">%s</td></tr>',
                             isms.html_escape(s.control), isms.html_escape(s.title),
                             CASE s.decision WHEN 'included' THEN 'pass' WHEN 'excluded' THEN 'info' ELSE 'warn' END,
                             isms.html_escape(s.decision), isms.html_escape(replace(coalesce(s.implementation_status, ''), '_', ' ')),
                             isms.html_escape(s.justification), s.linked_risks), '' ORDER BY ord)
      INTO part
      FROM (SELECT x.*, row_number() OVER () AS ord FROM isms.statement_of_applicability(o, 'iso27001-2022', t) x) s;
    html := html || '<h3>Controls</h3><table><thead><tr><th>Control</th><th>Title</th><th>Decision</th><th>Implementation</th>'
        || '<th>Justification</th><th>Risks</th></tr></thead><tbody>' || coalesce(part, '') || '</tbody></table></section>';

    -- staleness
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td>%s</td></tr>',
                             isms.html_escape(z.title), isms.html_escape(z.clause), z.rows,
                             coalesce(z.overdue::text, ''), coalesce(z.never_reviewed::text, ''),
                             coalesce(z.days_since_change::text, ''),
                             CASE WHEN z.untouched THEN '<span class="badge fail">untouched</span>'
                                  WHEN z.overdue > 0 THEN '<span class="badge warn">overdue</span>' ELSE '' END),
                      '' ORDER BY z.untouched DESC, z.overdue DESC NULLS LAST, z.clause, z.register)
      INTO part FROM isms.staleness_summary(o, t) z WHERE z.reviewable OR z.untouched;
    html := html || '<section id="staleness"><h2>3. Staleness: periodic reviews (9.1)</h2>'
        || format('<p><b>%s</b> register rows overdue for review; registers untouched for a year are shelf-ware.</p>', n_stale)
        || '<table><thead><tr><th>Register</th><th>Clause</th><th>Rows</th><th>Overdue</th><th>Never reviewed</th><th>Days since change</th><th></th></tr></thead><tbody>'
        || coalesce(part, '') || '</tbody></table></section>';

    -- trend and process map
    html := html || '<section id="trend"><h2>4. Continual improvement (10.1)</h2><figure>'
        || isms.audit_pack_trend_svg(o, t)
        || '<figcaption>Per quarter over the two years up to the report date (isms.improvement_metrics).</figcaption></figure></section>';
    html := html || '<section id="process-map"><h2>5. Processes and their interactions (4.4)</h2><figure>'
        || isms.audit_pack_process_svg(o, t)
        || '<figcaption>Processes by PDCA phase; an arrow is an output of one process taken as input by another (isms.process_interactions); '
        || 'dashed: names that differ only in spelling; red: a siloed process.</figcaption></figure></section>';

    -- open nonconformities
    SELECT string_agg(format('<tr><td class="n">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
                             n.id, isms.html_escape(n.title), isms.html_escape(n.requirement::text), isms.html_escape(n.severity),
                             isms.html_escape(n.status), to_char(n.detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), isms.html_escape(n.owner)),
                      '' ORDER BY n.detected_at, n.id)
      INTO part
      FROM isms.known_as_of(NULL::isms.nonconformity, t) n
      JOIN isms.workflow_state ws ON ws.workflow = 'nonconformity' AND ws.state = n.status
     WHERE n.org_id = o AND n.created_at <= t AND NOT ws.is_terminal;
    html := html || '<section id="nonconformities"><h2>6. Open nonconformities (10.2)</h2>'
        || CASE WHEN part IS NULL THEN '<p class="none">None open.</p>'
                ELSE '<table><thead><tr><th>#</th><th>Nonconformity</th><th>Requirement</th><th>Severity</th><th>Status</th><th>Detected</th><th>Owner</th></tr></thead><tbody>'
                     || part || '</tbody></table>' END
        || '</section>';

    -- suppliers
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
                             isms.html_escape(s.name), isms.html_escape(s.services), isms.html_escape(s.criticality),
                             isms.html_escape(s.classification),
                             CASE WHEN s.secured THEN 'yes' ELSE '<span class="badge ' || CASE WHEN s.criticality IN ('high', 'critical') THEN 'fail' ELSE 'info' END || '">no</span>' END,
                             CASE WHEN s.late THEN '<span class="badge warn">overdue</span>' ELSE coalesce(to_char(s.last_done, 'YYYY-MM-DD'), '') END),
                      '' ORDER BY array_position(ARRAY['critical', 'high', 'medium', 'low'], s.criticality), s.name),
           count(*) FILTER (WHERE (s.criticality IN ('high', 'critical') AND NOT s.secured) OR s.late)
      INTO part, n_sup_flag
      FROM (SELECT p.name, p.services, p.criticality, p.classification,
                   EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.supplier_contract, t) c
                            WHERE c.org_id = o AND c.supplier_id = p.id AND c.created_at <= t
                              AND c.starts_on <= t::date AND (c.ends_on IS NULL OR c.ends_on >= t::date)
                              AND c.security_requirements IS NOT NULL) AS secured,
                   EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.supplier_assessment, t) a
                            WHERE a.org_id = o AND a.supplier_id = p.id AND a.created_at <= t
                              AND a.due_on < t::date AND (a.performed_on IS NULL OR a.performed_on > t::date)) AS late,
                   (SELECT max(a.performed_on) FROM isms.known_as_of(NULL::isms.supplier_assessment, t) a
                     WHERE a.org_id = o AND a.supplier_id = p.id AND a.performed_on <= t::date) AS last_done
              FROM isms.known_as_of(NULL::isms.supplier, t) p
             WHERE p.org_id = o AND p.created_at <= t AND p.status <> 'retired') s;
    html := html || '<section id="suppliers"><h2>7. Suppliers (A.5.19-A.5.22)</h2>'
        || CASE WHEN part IS NULL THEN '<p class="none">No supplier recorded.</p>'
                ELSE format('<p>%s needing attention.</p>', CASE n_sup_flag WHEN 0 THEN 'None' WHEN 1 THEN '1 supplier' ELSE n_sup_flag || ' suppliers' END)
                     || '<table><thead><tr><th>Supplier</th><th>Services</th><th>Criticality</th><th>Information</th>'
                     || '<th>Security requirements agreed</th><th>Last assessed</th></tr></thead><tbody>' || part || '</tbody></table>' END
        || '</section>';

    -- open tasks: the sweep's reminders as they stood at t (history of isms.task)
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s</td><td class="n">%s</td><td><span class="badge %s">%s</span></td><td>%s</td></tr>',
                             isms.html_escape(k.title), isms.html_escape(k.owner), to_char(k.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                             greatest(floor(date_part('epoch', t - k.due_at) / 86400), 0)::integer,
                             CASE k.escalation_level WHEN 2 THEN 'fail' WHEN 1 THEN 'warn' ELSE 'info' END, k.escalation_level,
                             isms.html_escape(concat_ws(' to ', k.status, k.escalated_to))),
                      '' ORDER BY k.escalation_level DESC, k.due_at, k.id) FILTER (WHERE k.rn <= 50),
           count(*), count(*) FILTER (WHERE k.escalation_level = 1), count(*) FILTER (WHERE k.escalation_level = 2)
      INTO part, n_task, n_task_1, n_task_2
      FROM (SELECT x.*, row_number() OVER (ORDER BY x.escalation_level DESC, x.due_at, x.id) AS rn
              FROM isms.known_as_of(NULL::isms.task, t) x
             WHERE x.org_id = o AND x.created_at <= t AND x.status NOT IN ('done', 'cancelled')) k;
    html := html || '<section id="tasks"><h2>8. Reminders: open tasks (9.1)</h2>'
        || format('<p><b data-figure="open-tasks">%s</b> open tasks for their owners: <span data-figure="tasks-reminded">%s</span> at level 1 (owner reminded), '
                  '<span data-figure="tasks-escalated">%s</span> at level 2 (escalated)%s.</p>',
                  n_task, n_task_1, n_task_2, CASE WHEN n_task > 50 THEN '; below, the 50 most escalated and oldest' ELSE '' END)
        || CASE WHEN n_task = 0 THEN '<p class="none">No open task (isms.sweep() turns what is overdue into tasks for their owners).</p>'
                ELSE '<table><thead><tr><th>Task</th><th>Owner</th><th>Due</th><th>Days overdue</th><th>Level</th><th>State</th></tr></thead><tbody>'
                     || part || '</tbody></table>' END
        || '</section>';

    -- policy acknowledgement: per policy in force, its audience and who acknowledged
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="n">%s of %s</td><td class="n">%s</td></tr>',
                             isms.html_escape(a.document_code), isms.html_escape(a.title), isms.html_escape(a.version),
                             to_char(a.since AT TIME ZONE 'UTC', 'YYYY-MM-DD'), a.acked, a.audience,
                             CASE WHEN a.acked < a.audience THEN '<span class="badge warn">' || (a.audience - a.acked) || '</span>' ELSE '0' END),
                      '' ORDER BY a.document_code, a.document_id),
           coalesce(sum(a.acked), 0), coalesce(sum(a.audience), 0)
      INTO part, n_ack, n_ack_pairs
      FROM (SELECT x.document_id, x.document_code, x.title, x.version, min(x.in_force_since) AS since,
                   count(*) FILTER (WHERE x.in_audience AND x.acknowledged) AS acked, count(*) FILTER (WHERE x.in_audience) AS audience
              FROM isms.policy_acknowledgement_status(o, t) x
             GROUP BY x.document_id, x.document_code, x.title, x.version) a;
    html := html || '<section id="policies"><h2>9. Policy acknowledgement (A.5.1, A.6.3)</h2>'
        || format('<p><b data-figure="policy-acknowledged">%s</b> of <b data-figure="policy-audience">%s</b> acknowledgements of the versions in force (audience &times; policies; readiness check 14).</p>',
                  n_ack, n_ack_pairs)
        || CASE WHEN part IS NULL THEN '<p class="none">No policy under document control in force with an audience or an acknowledgement by this date.</p>'
                ELSE '<table><thead><tr><th>Policy</th><th>Title</th><th>Version</th><th>In force since</th><th>Acknowledged</th><th>Outstanding</th></tr></thead><tbody>'
                     || part || '</tbody></table>' END
        || '</section>';

    -- the trail head
    html := html || '<section id="trail"><h2>10. Evidence trail (7.5.3)</h2>'
        || CASE WHEN head_seq IS NULL THEN '<p class="none">The trail has no entry by this date.</p>'
                ELSE format('<p>The organisation''s hash-chained trail stood at entry <b>#%s</b> with SHA-256</p><p class="hash"><b>%s</b></p>'
                            '<p class="small">Quote this head in the audit report. Anyone can later check that no entry up to it was altered, removed or reordered with '
                            '<code>SELECT * FROM isms.verify_trail(%s, %s, ''%s'')</code> (no row: intact).</p>',
                            head_seq, head_hash, o, head_seq, head_hash) END
        || '</section>'
        || format('<footer>ISMS audit pack of %s as of %s &middot; isms %s &middot; generated read-only from the database; '
                  'figures recomputed by isms.clause_4_4_readiness, isms.statement_of_applicability, isms.signoff_status, '
                  'isms.staleness_summary, isms.improvement_metrics, isms.process_interactions and isms.policy_acknowledgement_status.</footer>',
                  isms.html_escape(org.name), to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), isms.html_escape(isms.version()))
        || '</main></body></html>';
    RETURN html;
END
$$;
COMMENT ON FUNCTION isms.audit_pack(text, timestamptz) IS
    'The audit pack of an organisation (by code) as of an instant: one self-contained HTML document (inline CSS and SVG, no script, no external resource, printable to PDF) with Clause 4.4 readiness and its actions, the Statement of Applicability with its sign-offs, staleness, the improvement trend and the process map as charts, open nonconformities, suppliers, open tasks with their escalation, policy acknowledgement and the trail head to quote; every value HTML-escaped; read-only, also on a standby';
REVOKE ALL ON FUNCTION isms.audit_pack(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.audit_pack(text, timestamptz) TO isms_reader;


-- membership: the context of the transaction (isms.current_org()), in C, kept per snapshot
CREATE OR REPLACE FUNCTION isms.member_orgs(who name DEFAULT CURRENT_USER) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'isms_member_orgs'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.member_orgs(name) IS
    'Organisations the role may see and write under row-level security: all for isms_admin, else those of isms.membership naming the role or a role it belongs to; narrowed to one by the setting isms.org';
REVOKE ALL ON FUNCTION isms.member_orgs(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.member_orgs(name) TO isms_reader;

