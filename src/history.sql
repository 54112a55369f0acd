-- Register history (src/history.c): every superseded version of every
-- register row, with its validity period, and as-of queries over it.

CREATE SCHEMA isms_history;
COMMENT ON SCHEMA isms_history IS
    'Superseded versions of register rows: one table per register, made by isms.enable_history() and written by isms.capture_history()';
GRANT USAGE ON SCHEMA isms_history TO isms_admin, isms_editor, isms_auditor, isms_reader;

CREATE TABLE isms.history_config (
    relid             regclass PRIMARY KEY,
    history_table     regclass NOT NULL UNIQUE,
    valid_from_column name     NOT NULL,
    builtin           boolean  NOT NULL DEFAULT false
);
COMMENT ON TABLE isms.history_config IS
    'Clause 7.5.3: registers whose history is kept, and their history tables; maintained by isms.enable_history() and isms.disable_history()';
COMMENT ON COLUMN isms.history_config.relid IS 'The register';
COMMENT ON COLUMN isms.history_config.history_table IS 'Its history table in schema isms_history';
COMMENT ON COLUMN isms.history_config.valid_from_column IS 'The register''s timestamptz column at which a version starts to be valid (updated_at)';
COMMENT ON COLUMN isms.history_config.builtin IS 'Set up by the extension''s own install script (so restored by CREATE EXTENSION, not by pg_dump)';
SELECT pg_catalog.pg_extension_config_dump('isms.history_config', 'WHERE NOT builtin');
REVOKE ALL ON TABLE isms.history_config FROM PUBLIC;
GRANT SELECT ON TABLE isms.history_config TO isms_admin, isms_editor, isms_auditor, isms_reader;

CREATE FUNCTION isms.capture_history() RETURNS trigger
    AS 'MODULE_PATHNAME', 'capture_history'
    LANGUAGE C;
COMMENT ON FUNCTION isms.capture_history() IS
    'AFTER UPDATE / AFTER DELETE statement trigger with transition tables, made by isms.enable_history(): copies superseded register rows into the history table with their validity period';
REVOKE ALL ON FUNCTION isms.capture_history() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.capture_history() TO isms_reader;

CREATE FUNCTION isms.history_sync_columns(register regclass)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    hist regclass;
    col  record;
BEGIN
    SELECT h.history_table INTO hist FROM isms.history_config h WHERE h.relid = register;
    IF hist IS NULL THEN
        RETURN;
    END IF;
    -- columns added to the register since: NULL in older versions
    FOR col IN SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS typ
                 FROM pg_attribute a
                WHERE a.attrelid = register AND a.attnum > 0 AND NOT a.attisdropped
                  AND NOT EXISTS (SELECT FROM pg_attribute h
                                   WHERE h.attrelid = hist AND h.attname = a.attname
                                     AND NOT h.attisdropped)
    LOOP
        EXECUTE format('ALTER TABLE %s ADD COLUMN %I %s', hist, col.attname, col.typ);
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', hist, col.attname,
                       col_description(register, (SELECT attnum FROM pg_attribute
                                                   WHERE attrelid = register AND attname = col.attname)));
    END LOOP;
    FOR col IN SELECT a.attname
                 FROM pg_attribute a JOIN pg_attribute h
                      ON h.attrelid = hist AND h.attname = a.attname AND NOT h.attisdropped
                WHERE a.attrelid = register AND a.attnum > 0 AND NOT a.attisdropped
                  AND (a.atttypid, a.atttypmod) <> (h.atttypid, h.atttypmod)
    LOOP
        RAISE EXCEPTION 'column % of % has another type than in its history table %', col.attname, register, hist
            USING ERRCODE = 'IS022',
                  HINT = 'Superseded versions keep the type they had; add a column of the new type to the register instead of changing the type.';
    END LOOP;
END
$$;
COMMENT ON FUNCTION isms.history_sync_columns(regclass) IS
    'Adds to a register''s history table the columns added to the register since; refuses (IS022) a column whose type changed';
REVOKE ALL ON FUNCTION isms.history_sync_columns(regclass) FROM PUBLIC;

CREATE FUNCTION isms.enable_history(register regclass,
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

CREATE FUNCTION isms.disable_history(register regclass, drop_history boolean DEFAULT false)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    hist regclass;
BEGIN
    DELETE FROM isms.history_config h WHERE h.relid = register
        RETURNING h.history_table INTO hist;
    IF hist IS NULL THEN
        RAISE EXCEPTION 'the history of % is not kept', register
            USING ERRCODE = 'undefined_object',
                  HINT = 'isms.history_config lists the registers whose history is kept.';
    END IF;
    EXECUTE format('DROP TRIGGER IF EXISTS isms_history_update ON %s', register);
    EXECUTE format('DROP TRIGGER IF EXISTS isms_history_delete ON %s', register);
    IF drop_history THEN
        EXECUTE format('DROP TABLE %s', hist);
    END IF;
END
$$;
COMMENT ON FUNCTION isms.disable_history(regclass, boolean) IS
    'Stops keeping the history of a register; its history table is kept unless drop_history';
REVOKE ALL ON FUNCTION isms.disable_history(regclass, boolean) FROM PUBLIC;

CREATE FUNCTION isms.index_history(register regclass)
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

CREATE FUNCTION isms.as_of(register anyelement, at timestamptz)
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

-- An ALTER TABLE of a register brings its history table along, so that an
-- added column does not make every later UPDATE fail with IS022.
CREATE FUNCTION isms.history_sync_ddl() RETURNS event_trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT DISTINCT h.relid
               FROM pg_event_trigger_ddl_commands() c
               JOIN isms.history_config h ON h.relid = c.objid
              WHERE c.command_tag = 'ALTER TABLE'
    LOOP
        PERFORM isms.history_sync_columns(r.relid);
    END LOOP;
END
$$;
COMMENT ON FUNCTION isms.history_sync_ddl() IS
    'Event trigger function: after an ALTER TABLE of a register whose history is kept, adds its new columns to the history table';
REVOKE ALL ON FUNCTION isms.history_sync_ddl() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.history_sync_ddl() TO isms_reader;
CREATE EVENT TRIGGER isms_history_sync ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE')
    EXECUTE FUNCTION isms.history_sync_ddl();
COMMENT ON EVENT TRIGGER isms_history_sync IS
    'Adds columns added to a register to its history table';

