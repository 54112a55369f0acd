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
