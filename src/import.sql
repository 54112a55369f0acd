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
-- a record's versions are read by its key, once per record
CREATE INDEX import_staging_batch_idx ON isms.import_staging (org_id, batch, register, ref, valid_from);
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
CREATE POLICY member ON isms.import_batch FOR SELECT USING (org_id = ANY (isms.visible_orgs()));
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

-- The event feed of one organisation: its trail, read in seq order, is the
-- commit order of the transactions that moved its records (each appends its
-- seal under the organisation's trail lock, held until commit), on one node
-- or on the Citus worker holding the organisation, where the outbox is not
-- written.  The imports' seals are read too: verify_transition_log seals the
-- imported log rows by them.  One query keyed by org_id on the trail and the
-- log, so that Citus routes it to one colocated shard pair; the table name
-- of a row logged before 0.2.0 comes from pg_identify_object(), a function
-- rather than a join of the catalog, which Citus would not route.
CREATE FUNCTION isms.events_for_org(org bigint, after_seq bigint DEFAULT 0, max_transactions integer DEFAULT 100)
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
