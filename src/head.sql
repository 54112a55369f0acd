-- isms: an ISO/IEC 27001:2022 information security management system.
-- This install script is assembled by the Makefile from src/*.sql.

\echo Use "CREATE EXTENSION isms" to load this file. \quit

-- The roles of the security model (src/security.sql), before the first
-- grant to them; later parts create them too, each only the ones missing.
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
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r.name) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r.name);
            EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', r.name, r.note);
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
