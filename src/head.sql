-- isms: an ISO/IEC 27001:2022 information security management system.
-- This install script is assembled by the Makefile from src/*.sql.

\echo Use "CREATE EXTENSION isms" to load this file. \quit

------------------------------------------------------------------------------
-- Roles, first: every object below is granted to them as it is made.
-- Roles are global to the cluster: they may exist already (another
-- database, an earlier install), and DROP EXTENSION leaves them behind.

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES
        ('isms_reader',  'isms: read-only access to the ISMS of member organisations (BI, dashboards)'),
        ('isms_auditor', 'isms: reads everything of member organisations, writes audit programmes, audits, findings and evidence'),
        ('isms_editor',  'isms: reads and writes the registers of member organisations'),
        ('isms_admin',   'isms: every organisation; manages organisations and memberships')) AS v(name, note)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r.name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r.name);
            EXECUTE format('COMMENT ON ROLE %I IS %L', r.name, r.note);
        END IF;
    END LOOP;
    -- reader < auditor, reader < editor < admin
    FOR r IN SELECT * FROM (VALUES
        ('isms_reader', 'isms_auditor'),
        ('isms_reader', 'isms_editor'),
        ('isms_editor', 'isms_admin')) AS v(granted, member)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                        WHERE m.roleid = r.granted::regrole AND m.member = r.member::regrole) THEN
            EXECUTE format('GRANT %I TO %I', r.granted, r.member);
        END IF;
    END LOOP;
END
$$;


CREATE FUNCTION isms.version() RETURNS text
    AS 'MODULE_PATHNAME', 'isms_version'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION isms.version() IS
    'Version of the loaded isms library.';
REVOKE ALL ON FUNCTION isms.version() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.version() TO isms_reader;

CREATE FUNCTION isms.current_actor() RETURNS text
    AS 'MODULE_PATHNAME', 'isms_actor_fn'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.current_actor() IS
    'The person acting: the setting isms.actor when set, else the current user';
REVOKE ALL ON FUNCTION isms.current_actor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.current_actor() TO isms_reader;

CREATE SCHEMA isms_report;
COMMENT ON SCHEMA isms_report IS
    'Reporting views of the isms extension for BI tools: plain column types, every column commented';
