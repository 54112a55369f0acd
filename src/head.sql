-- isms: an ISO/IEC 27001:2022 information security management system.
-- This install script is assembled by the Makefile from src/*.sql.

\echo Use "CREATE EXTENSION isms" to load this file. \quit

-- The schemas must be the installer's own.  A schema isms or isms_report
-- that a non-superuser created beforehand would let its owner drop or
-- replace the extension's objects, and an operator planted in it would run
-- with the installer's rights during this very script; so the first
-- statement, before anything resolves a name in them, refuses them.  Only
-- qualified operators and catalogs are used here for the same reason.
DO $$
DECLARE
    s record;
BEGIN
    FOR s IN SELECT n.nspname, r.rolname
               FROM pg_catalog.pg_namespace n
               JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
              WHERE n.nspname OPERATOR(pg_catalog.=) ANY (ARRAY['isms', 'isms_report']::pg_catalog.name[])
                AND NOT r.rolsuper
              ORDER BY n.nspname
    LOOP
        RAISE EXCEPTION 'cannot install isms into schema "%": it exists already and is owned by role "%", who is not a superuser', s.nspname, s.rolname
            USING ERRCODE = 'IS050',
                  DETAIL = pg_catalog.format('The owner of schema %I can drop or replace any object in it and can plant operators that would run with the installer''s rights.', s.nspname),
                  HINT = pg_catalog.format('Check what schema %I holds, then drop it (or, if a superuser made it on purpose, ALTER SCHEMA %I OWNER TO a superuser) and run CREATE EXTENSION isms again.', s.nspname, s.nspname);
    END LOOP;
END
$$;

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
        ('isms_admin',   'isms: every organisation; manages organisations and memberships'),
        ('isms_app',     'isms: trusted to assert the acting person (isms.actor, per transaction); grant it to a pooled application''s login, beside isms_editor or another role for its privileges')) AS v(name, note)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r.name) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r.name);
            EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', r.name, r.note);
        END IF;
    END LOOP;
    -- reader < auditor, reader < editor < admin
    FOR r IN SELECT * FROM (VALUES
        ('isms_reader', 'isms_auditor'),
        ('isms_reader', 'isms_editor'),
        ('isms_editor', 'isms_admin')) AS v(granted, member)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                        WHERE m.roleid OPERATOR(pg_catalog.=) r.granted::pg_catalog.regrole
                          AND m.member OPERATOR(pg_catalog.=) r.member::pg_catalog.regrole) THEN
            EXECUTE pg_catalog.format('GRANT %I TO %I', r.granted, r.member);
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
    'The person acting: the setting isms.actor when a superuser or a member of isms_app set it (an isms_app member in the current transaction), else the role the session acts as (the login, or what it SET ROLE to; never a security definer); refuses an isms.actor set by any other role (IS080) or left from an earlier transaction (IS081)';
REVOKE ALL ON FUNCTION isms.current_actor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.current_actor() TO isms_reader;

CREATE FUNCTION isms.current_login() RETURNS text
    AS 'MODULE_PATHNAME', 'isms_login_fn'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.current_login() IS
    'The login role: the role that authenticated the session (session_user), whatever SET ROLE or a security-definer function made the current user; recorded beside the acting person';
REVOKE ALL ON FUNCTION isms.current_login() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.current_login() TO isms_reader;

CREATE SCHEMA isms_report;
COMMENT ON SCHEMA isms_report IS
    'Reporting views of the isms extension for BI tools: plain column types, every column commented';
