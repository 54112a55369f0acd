------------------------------------------------------------------------------
-- Distributing isms by organisation on Citus (README "Distributing by
-- organisation (Citus)").  Nothing here runs without Citus: the function
-- is the step a DBA runs once on the coordinator, after CREATE EXTENSION
-- citus, isms and btree_gist and citus_add_node() of the workers.
--
-- Citus converts a table only when every table its foreign keys reach is
-- converted too, and converting a local table of the extension that way
-- (a "Citus local table") drops and creates again the extension's views
-- and sequences (2BP01) and its tables on the workers (42P07).  So the
-- step saves and drops the foreign keys among the tables, converts each
-- table on its own (the catalog, the workflow definitions, organization
-- and membership as reference tables, which isms.member_orgs() reads on
-- every node; everything with an org_id distributed by it, colocated),
-- and adds the foreign keys again; the workers' copies of the extension's
-- tables have them already, so they are dropped there first (DROP
-- CONSTRAINT IF EXISTS on a Citus table reaches the workers).  A table
-- Citus refuses stays local, with its SQLSTATE in the answer; a foreign
-- key that cannot be added again rolls everything back (IS161).

CREATE FUNCTION isms.citus_distribute()
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
