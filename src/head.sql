-- isms: an ISO/IEC 27001:2022 information security management system.
-- This install script is assembled by the Makefile from src/*.sql.

\echo Use "CREATE EXTENSION isms" to load this file. \quit

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
