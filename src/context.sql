-- The context of an application's transaction: which organisation, who
-- acts.  SET LOCAL takes no bound parameter, so isms.set_context() sets
-- both from parameters; isms.context() reads them back on any connection,
-- also before the library has defined the settings (SHOW isms.org fails
-- there until an isms C function has run).

CREATE FUNCTION isms.set_context(org_code text, actor text DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'isms_set_context'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION isms.set_context(text, text) IS
    'Sets the organisation (isms.org, by code) and the person acting (isms.actor; NULL: the login role) for the current transaction, as SET LOCAL would, from bound parameters; returns the org_id. Refuses outside a transaction block (25P01), a NULL code (22004) and an organisation that does not exist or of which the role is not a member (42501)';
REVOKE ALL ON FUNCTION isms.set_context(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.set_context(text, text) TO isms_admin, isms_editor, isms_auditor, isms_reader;

CREATE FUNCTION isms.context(OUT org text, OUT org_id bigint, OUT actor text, OUT role_name name)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT NULLIF(isms.current_org(), ''),
           (SELECT o.org_id FROM isms.organization o
             WHERE o.code OPERATOR(pg_catalog.=) isms.current_org()),
           isms.current_actor(),
           CURRENT_USER
$$;
COMMENT ON FUNCTION isms.context() IS
    'The context in force: org, the code the setting isms.org names (NULL: every organisation of the role); org_id, that organisation when the role may see it; actor, the person recorded (isms.current_actor()); role_name, the role row-level security checks. Works on a fresh connection, before the settings exist; refuses a context a pooled application''s login (isms_app) left for the session in an earlier transaction (IS081)';
REVOKE ALL ON FUNCTION isms.context() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.context() TO isms_admin, isms_editor, isms_auditor, isms_reader;
