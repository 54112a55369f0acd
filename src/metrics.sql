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
CREATE FUNCTION isms.reported_move(from_state text, to_state text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE    -- no SET clause: inlined, so index predicates match
AS $$
    SELECT $2 OPERATOR(pg_catalog.=) ANY ('{verified,closed,completed,implemented,achieved,not_achieved}'::pg_catalog.text[])
        OR $1 OPERATOR(pg_catalog.=) 'verified'::pg_catalog.text
$$;
COMMENT ON FUNCTION isms.reported_move(text, text) IS
    'True for the workflow moves the reports look up (into verified, closed, completed, implemented, achieved, not_achieved, or out of verified): the predicate of the transition log''s report index';
REVOKE ALL ON FUNCTION isms.reported_move(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.reported_move(text, text) TO isms_reader;
CREATE INDEX transition_log_report_idx ON isms.transition_log (org_id, record_table, to_state, at)
    WHERE isms.reported_move(from_state, to_state);
CREATE INDEX evidence_collected_idx ON isms.evidence (org_id, record_table, record_id, collected_at)
    INCLUDE (created_at, updated_at);

------------------------------------------------------------------------------
-- Argument checks.

CREATE FUNCTION isms.report_bad_argument(argument text, value text, problem text, hint text)
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
CREATE FUNCTION isms.report_org(org_id bigint) RETURNS bigint
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

CREATE FUNCTION isms.report_time(argument text, value timestamptz) RETURNS timestamptz
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

CREATE FUNCTION isms.known_as_of(register anyelement, at timestamptz)
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
CREATE FUNCTION isms.review_basis(last_reviewed_at timestamptz, created_at timestamptz, as_of timestamptz)
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

CREATE FUNCTION isms.document_in_force(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE    -- no SET clause: inlined where it is used, so qualified
AS $$
    SELECT $1 OPERATOR(pg_catalog.=) ANY ('{published,under_revision}'::pg_catalog.text[])
$$;
COMMENT ON FUNCTION isms.document_in_force(text) IS
    'True for the document statuses with a version in force (published; under_revision: a version in force and a newer one being prepared); drafts, reviews, approved but unpublished first versions and retired documents are not';
REVOKE ALL ON FUNCTION isms.document_in_force(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.document_in_force(text) TO isms_reader;

CREATE FUNCTION isms.document_reviewed_at(org_id bigint, document_id bigint, last_reviewed_at timestamptz,
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

CREATE FUNCTION isms.build_register_row() RETURNS void
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

SELECT isms.build_register_row();

------------------------------------------------------------------------------
-- Staleness ("shelf-ware").  A row is due for review one review interval
-- after its last review, or after its creation when it was never reviewed;
-- it is overdue when that date is before as_of.  Rows created after as_of
-- are left out, and so are rows out of force by then (retired_at): closed
-- workflow records, retired documents, ended audit programmes and role
-- assignments.  An as_of in the past reads the rows as they stood then,
-- from the register history (isms.register_row_at, isms.known_as_of).

CREATE FUNCTION isms.stale_items(as_of timestamptz DEFAULT now())
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

CREATE FUNCTION isms.staleness_summary(org_id bigint, as_of timestamptz DEFAULT now(),
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

CREATE FUNCTION isms.risk_rating_at(org_id bigint, at timestamptz)
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

CREATE FUNCTION isms.improvement_metrics(org_id bigint,
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

------------------------------------------------------------------------------
-- Process interactions (4.4): an output artifact of one process that is an
-- input artifact of another.

-- Two artifact names that differ only in case, spacing or punctuation
-- ("Training records", "training-records ") name the same thing: an output
-- and an input that match only so are a near miss, reported, not joined.
CREATE FUNCTION isms.artifact_key(artifact text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT pg_catalog.lower(pg_catalog.btrim(pg_catalog.regexp_replace($1, '[^[:alnum:]]+', ' ', 'g')))
$$;
COMMENT ON FUNCTION isms.artifact_key(text) IS
    'The comparison key of a process artifact name: lower case, every run of characters other than letters and digits one space, trimmed; an output and an input with equal keys but different names are a near miss';
REVOKE ALL ON FUNCTION isms.artifact_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.artifact_key(text) TO isms_reader;

CREATE FUNCTION isms.process_interactions(org_id bigint, as_of timestamptz DEFAULT now())
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
CREATE FUNCTION isms.process_links(org_id bigint, as_of timestamptz)
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

CREATE FUNCTION isms.process_links(org_id bigint)
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

CREATE FUNCTION isms.process_map(org_id bigint, format text, as_of timestamptz) RETURNS text
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

CREATE FUNCTION isms.process_map(org_id bigint, format text DEFAULT 'dot') RETURNS text
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

CREATE FUNCTION isms.statement_of_applicability(org_id bigint, framework text DEFAULT 'iso27001-2022',
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

------------------------------------------------------------------------------
-- Clause 4.4 readiness: the auditor's checklist, one row per check.

CREATE FUNCTION isms.clause_4_4_readiness(org_id bigint,
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

