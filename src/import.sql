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
          -- the batch's keys, once (a join, not a search per reference)
          LEFT JOIN (SELECT DISTINCT t.ref FROM isms.import_staging t WHERE t.org_id = o AND t.batch = b) t
                 ON t.ref = k.value->>'ref'
         WHERE s.org_id = o AND s.batch = b AND jsonb_typeof(k.value) = 'object' AND k.value ? 'ref'
           AND t.ref IS NULL) x;
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

    -- the records, in the order of their first line.  One subtransaction
    -- for all of them (not one per row, which costs time quadratic in the
    -- rows): a row the register refuses is named by the line being written.
    BEGIN
    FOR r IN SELECT s.register, s.ref, min(s.line) AS first_line
               FROM isms.import_staging s WHERE s.org_id = o AND s.batch = b
              GROUP BY s.register, s.ref ORDER BY min(s.line)
    LOOP
        SELECT g.relid, g.has_workflow, h.history_table INTO reg, wf, hist
          FROM isms.register g LEFT JOIN isms.history_config h ON h.relid = g.relid WHERE g.name = r.register;
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
                    || jsonb_build_object('id', ids->r.ref, 'created_at', versions->0->'valid_from', 'created_by', versions->0->'actor');
        line_no := (versions->(nv - 1)->>'line')::bigint;
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
          FROM pg_attribute a
         WHERE a.attrelid = reg AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
           AND full_row ? a.attname;
        EXECUTE format('INSERT INTO %1$s (%2$s) OVERRIDING SYSTEM VALUE SELECT %2$s FROM jsonb_populate_record(NULL::%1$s, $1) '
                       'RETURNING to_jsonb(%1$s.*)', reg, cols)
            INTO cur USING full_row;
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
                EXECUTE format('INSERT INTO %1$s SELECT (jsonb_populate_record(NULL::%1$s, $1)).*', hist)
                    USING full_row || jsonb_build_object(
                        'valid', tstzrange((versions->vi->>'valid_from')::timestamptz, (versions->vi->>'valid_to')::timestamptz)::text,
                        'changed_by', versions->vi->'next_actor', 'change', 'UPDATE');
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
        n_records := n_records + 1;
    END LOOP;
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'cannot import batch %: line % (% %): %', b, line_no, r.register, r.ref, SQLERRM
            USING ERRCODE = 'IS041', HINT = 'Correct the row in isms.import_staging and apply the batch again; nothing was imported.';
    END;

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
