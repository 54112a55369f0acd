-- isms: an ISO/IEC 27001:2022 information security management system.
-- This install script is assembled by the Makefile from src/*.sql.

\echo Use "CREATE EXTENSION isms" to load this file. \quit

CREATE FUNCTION isms.version() RETURNS text
    AS 'MODULE_PATHNAME', 'isms_version'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION isms.version() IS
    'Version of the loaded isms library.';
