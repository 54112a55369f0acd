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
