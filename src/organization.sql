-- Organisations (tenants), who belongs to which, the audit-column trigger,
-- and the metadata table that lists every register.

CREATE FUNCTION isms.stamp() RETURNS trigger
    AS 'MODULE_PATHNAME', 'isms_stamp' LANGUAGE C;
COMMENT ON FUNCTION isms.stamp() IS
    'BEFORE INSERT OR UPDATE row trigger keeping created_at/created_by (set once) and updated_at/updated_by (every change) from isms.current_actor()';
REVOKE ALL ON FUNCTION isms.stamp() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.stamp() TO isms_reader;

CREATE TABLE isms.organization (
    org_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE
                CONSTRAINT organization_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
    name        text NOT NULL CONSTRAINT organization_name_given CHECK (btrim(name) <> ''),
    scope_statement text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor()
);
COMMENT ON TABLE isms.organization IS
    'Organisations (4.3): each one runs its own ISMS; every register row carries its org_id';
COMMENT ON COLUMN isms.organization.org_id IS 'Identifier of the organisation, leading column of every register key';
COMMENT ON COLUMN isms.organization.code IS 'Short unique code (letters, digits, _ . -), used by the setting isms.org';
COMMENT ON COLUMN isms.organization.name IS 'Name of the organisation';
COMMENT ON COLUMN isms.organization.scope_statement IS 'The ISMS scope statement (4.3), the documented boundaries and applicability; details in isms.scope_item';

CREATE TABLE isms.membership (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    role_name   name NOT NULL CONSTRAINT membership_role_name_given CHECK (role_name <> ''),
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, role_name)
);
CREATE INDEX membership_role_name_idx ON isms.membership (role_name);
COMMENT ON TABLE isms.membership IS
    'Access (5.3): which database roles may see and write which organisation''s registers under row-level security; a group role covers its members';
COMMENT ON COLUMN isms.membership.org_id IS 'Organisation';
COMMENT ON COLUMN isms.membership.role_name IS 'Login or group role that is a member; every role that is a member of it is covered';
COMMENT ON COLUMN isms.membership.note IS 'Why the role has access, for the access review';

-- A membership must name an existing role.  A superuser's insert is trusted
-- (a restore into a cluster whose roles come later).
CREATE FUNCTION isms.membership_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       AND pg_catalog.to_regrole(pg_catalog.quote_ident(NEW.role_name)) IS NULL THEN
        RAISE EXCEPTION 'role "%" does not exist', NEW.role_name
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'membership_role_exists',
                  TABLE = 'membership', SCHEMA = 'isms',
                  DETAIL = format('Membership of organisation %s names role "%s".', NEW.org_id, NEW.role_name),
                  HINT = 'Create the role first, or name an existing login or group role.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.membership_check() IS
    'Trigger: a membership names an existing role (23503)';
REVOKE ALL ON FUNCTION isms.membership_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.membership_check() TO isms_reader;
CREATE TRIGGER membership_check BEFORE INSERT OR UPDATE OF role_name ON isms.membership
    FOR EACH ROW EXECUTE FUNCTION isms.membership_check();

CREATE TABLE isms.register (
    relid       regclass PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    clause      isms.ref NOT NULL,
    title       text NOT NULL,
    reviewable  boolean NOT NULL,
    default_review_interval interval,
    has_workflow boolean NOT NULL,
    initial_status text,
    audit_record boolean NOT NULL DEFAULT false,
    CONSTRAINT register_review_interval_when_reviewable
        CHECK (reviewable = (default_review_interval IS NOT NULL)),
    CONSTRAINT register_review_interval_range
        CHECK (default_review_interval BETWEEN interval '1 day' AND interval '10 years'),
    CONSTRAINT register_initial_status_when_workflow
        CHECK (has_workflow = (initial_status IS NOT NULL))
);
COMMENT ON TABLE isms.register IS
    'Metadata (4.4): every register table of the ISMS with the clause it serves; staleness reports, history capture and the workflow engine iterate over it';
COMMENT ON COLUMN isms.register.relid IS 'The register table';
COMMENT ON COLUMN isms.register.name IS 'Short name of the register (the table name)';
COMMENT ON COLUMN isms.register.clause IS 'Clause or Annex A control the register serves';
COMMENT ON COLUMN isms.register.title IS 'Human-readable title of the register';
COMMENT ON COLUMN isms.register.reviewable IS 'True when the standard expects periodic review: the table has owner, review_interval and last_reviewed_at';
COMMENT ON COLUMN isms.register.default_review_interval IS 'Review interval of rows whose review_interval is NULL, unless isms.register_setting overrides it for the organisation';
COMMENT ON COLUMN isms.register.has_workflow IS 'True when the table has status and cycle columns driven by the workflow engine';
COMMENT ON COLUMN isms.register.initial_status IS 'Status a new row starts in (the default of its status column); NULL without workflow';
COMMENT ON COLUMN isms.register.audit_record IS 'True for the audit records that isms_auditor may write (9.2 and evidence)';

CREATE TABLE isms.register_setting (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    relid       regclass NOT NULL REFERENCES isms.register,
    review_interval interval NOT NULL
                CONSTRAINT register_setting_review_interval_range
                CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, relid)
);
COMMENT ON TABLE isms.register_setting IS
    'Settings (9.1): per-organisation review interval of a register, overriding isms.register.default_review_interval';
COMMENT ON COLUMN isms.register_setting.org_id IS 'Organisation';
COMMENT ON COLUMN isms.register_setting.relid IS 'Register table (a row of isms.register)';
COMMENT ON COLUMN isms.register_setting.review_interval IS 'Review interval of the organisation''s rows whose own review_interval is NULL';

CREATE FUNCTION isms.review_interval(org_id bigint, relid regclass) RETURNS interval
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT coalesce(
        (SELECT s.review_interval FROM isms.register_setting s
          WHERE s.org_id = $1 AND s.relid = $2),
        (SELECT r.default_review_interval FROM isms.register r WHERE r.relid = $2))
$$;
COMMENT ON FUNCTION isms.review_interval(bigint, regclass) IS
    'Review interval of an organisation''s rows of a register whose own review_interval is NULL: the organisation''s setting, else the register default';
REVOKE ALL ON FUNCTION isms.review_interval(bigint, regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.review_interval(bigint, regclass) TO isms_reader;

-- The organisation code the setting isms.org narrows to ('' for none), read
-- by the library: a pooled application's login (isms_app) must set it in
-- each transaction, and one left for the session by an earlier transaction
-- is refused (IS081), as isms.actor is.
CREATE FUNCTION isms.current_org() RETURNS text
    AS 'MODULE_PATHNAME', 'isms_org_fn'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.current_org() IS
    'The organisation code the setting isms.org narrows row-level security to ('''' for none); refuses a value a trusted non-superuser (isms_app) SET for the session in an earlier transaction (IS081): set it per transaction with isms.set_context or SET LOCAL';
REVOKE ALL ON FUNCTION isms.current_org() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.current_org() TO isms_reader;

-- The organisations the calling role may see under row-level security.
-- who defaults to current_user, evaluated by the caller (a default argument
-- is expanded into the call), so the function knows who asks; a role may
-- only ask about roles its session user can act as.  In C (membership.c):
-- every policy calls isms.visible_orgs() (this function for current_user)
-- per row, and the answer is kept while the snapshot, the arguments, the
-- session user and isms.org stay the same, so a query computes it once per
-- snapshot, on a primary or a hot standby (and once in each parallel
-- worker).  Its query runs as the function's owner with search_path
-- pinned, every relation, function and operator qualified.
CREATE FUNCTION isms.member_orgs(who name DEFAULT CURRENT_USER) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'isms_member_orgs'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.member_orgs(name) IS
    'Organisations the role may see and write under row-level security: all for isms_admin, else those of isms.membership naming the role or a role it belongs to; narrowed to one by the setting isms.org';
REVOKE ALL ON FUNCTION isms.member_orgs(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.member_orgs(name) TO isms_reader;

-- What every row-level security policy reads: isms.member_orgs() of the
-- current user, with no argument to evaluate.  A policy calls it per row
-- (Citus refuses a policy with a subquery, and an InitPlan's array would
-- be detoasted per row anyway); the call returns the answer kept for the
-- snapshot without a copy, the role compared by OID.
CREATE FUNCTION isms.visible_orgs() RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'isms_visible_orgs'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.visible_orgs() IS
    'Organisations the current user may see and write under row-level security: isms.member_orgs(current_user), the form every policy reads per row';
REVOKE ALL ON FUNCTION isms.visible_orgs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.visible_orgs() TO isms_reader;
