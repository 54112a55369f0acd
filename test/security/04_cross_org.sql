-- Attack 2 and every other temporary-table shadow: a member creates
-- temporary tables named like the relations that a definer-rights or
-- owner-context path reads (isms.member_orgs(): organization, membership,
-- pg_roles; the workflow engine: workflow, workflow_state,
-- workflow_transition, workflow_guard, workflow_restriction; and the
-- catalogs the pinned functions read) and puts pg_temp first.  The member
-- must still see and write its own organisation only.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
SELECT plan(17);
SELECT isms.trail_append(1, 'isms.risk', 1, 'note', '{}');
SELECT isms.trail_append(2, 'isms.risk', 2, 'note', '{}');

-- Rows of another organisation than org the current role can read, per
-- relation with an org_id column, each counted under search_path = path.
CREATE FUNCTION pg_temp.foreign_rows(path text, org bigint) RETURNS text[]
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    n text;
    out text[] := '{}';
BEGIN
    FOR r IN SELECT c.oid::regclass::text AS rel,
                    format('SELECT count(*) FROM %s t WHERE t.org_id OPERATOR(pg_catalog.<>) %s', c.oid::regclass, org) AS q
               FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id'
              WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_history'::regnamespace, 'isms_report'::regnamespace)
                AND c.relkind IN ('r', 'v', 'p')
              ORDER BY 1
    LOOP
        BEGIN
            n := pg_temp.value_under(path, r.q);
        EXCEPTION WHEN insufficient_privilege THEN
            n := '0';
        END;
        IF n <> '0' THEN
            out := out || (r.rel || ' ' || n);
        END IF;
    END LOOP;
    RETURN out;
END
$$;
SELECT ok((SELECT count(*) FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id'
            WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_history'::regnamespace, 'isms_report'::regnamespace)
              AND c.relkind IN ('r', 'v', 'p')) > 90, 'the relations with an org_id column are found');

SET SESSION AUTHORIZATION sec_mallory;
SELECT is(pg_temp.foreign_rows('"$user", public', 1), '{}'::text[],
    'before the attack the member reads no row of another organisation');

-- the reproduction: a temporary pg_roles names sec_bob with the member's oid
CREATE TEMP TABLE pg_roles (rolname name, oid oid, rolsuper boolean, rolcanlogin boolean, rolbypassrls boolean);
INSERT INTO pg_temp.pg_roles SELECT 'sec_bob', r.oid, true, true, true FROM pg_catalog.pg_roles r
 WHERE r.rolname OPERATOR(pg_catalog.=) 'sec_mallory';
INSERT INTO pg_temp.pg_roles SELECT 'isms_admin', r.oid, true, true, true FROM pg_catalog.pg_roles r
 WHERE r.rolname OPERATOR(pg_catalog.=) 'sec_mallory';
-- and every other relation the definer-rights and owner-context paths read
CREATE TEMP TABLE pg_auth_members (roleid oid, member oid, grantor oid, admin_option boolean);
CREATE TEMP TABLE pg_class (oid oid, relname name, relnamespace oid, relkind "char");
CREATE TEMP TABLE pg_namespace (oid oid, nspname name);
CREATE TEMP TABLE pg_attribute (attrelid oid, attname name, attnum int2, attisdropped boolean);
CREATE TEMP TABLE pg_trigger (tgrelid oid, tgname name);
CREATE TEMP TABLE pg_proc (oid oid, proname name);
CREATE TEMP TABLE organization (org_id bigint, code text, name text);
INSERT INTO pg_temp.organization VALUES (1, 'A', 'A'), (2, 'B', 'B');
CREATE TEMP TABLE membership (org_id bigint, role_name name);
INSERT INTO pg_temp.membership VALUES (1, 'sec_mallory'), (2, 'sec_mallory');
CREATE TEMP TABLE register (relid regclass, name text, has_workflow boolean);
CREATE TEMP TABLE register_setting (org_id bigint, relid regclass, review_interval interval);
CREATE TEMP TABLE workflow (workflow text, record_label text, relid regclass, description text);
INSERT INTO pg_temp.workflow VALUES ('incident', 'pwned', 'isms.incident', '');
CREATE TEMP TABLE workflow_state (workflow text, state text, phase text, is_initial boolean, is_terminal boolean, ordinal int);
INSERT INTO pg_temp.workflow_state VALUES ('incident', 'reported', 'plan', true, false, 1), ('incident', 'closed', 'plan', false, false, 2);
CREATE TEMP TABLE workflow_transition (workflow text, from_state text, to_state text, guard text, reason_required boolean);
INSERT INTO pg_temp.workflow_transition VALUES ('incident', 'reported', 'closed', NULL, false);
CREATE TEMP TABLE workflow_guard (guard text, description text, check_sql text);
CREATE TEMP TABLE workflow_restriction (org_id bigint, workflow text, from_state text, to_state text, disabled boolean, extra_guard text);
CREATE TEMP TABLE trail (org_id bigint, seq bigint, hash bytea);
INSERT INTO pg_temp.trail VALUES (2, 99, '\x00');
CREATE TEMP TABLE transition_log (log_id bigint, org_id bigint, xact_id xid8);
CREATE TEMP TABLE outbox (seq bigint, xact_id xid8, first_log_id bigint, last_log_id bigint);
CREATE TEMP TABLE document (org_id bigint, id bigint, code text, status text);
CREATE TEMP TABLE document_version (org_id bigint, id bigint, document_id bigint, status text);
CREATE TEMP TABLE document_approval (org_id bigint, id bigint, version_id bigint, decision text);

RESET SESSION AUTHORIZATION;
UPDATE isms.workflow SET description = description WHERE false;   -- the engine reloads at its next use
SET SESSION AUTHORIZATION sec_mallory;

SELECT is(pg_temp.value_under('pg_temp, evil, public, pg_catalog', 'SELECT isms.member_orgs()::text'), '{1}',
    'isms.member_orgs() ignores the temporary pg_roles, organization and membership');
SELECT is(pg_temp.value_under('pg_temp, public, pg_catalog', $$SELECT isms.member_orgs('sec_bob')::text$$), '{}',
    'nor can the member ask about another role');
SELECT is(pg_temp.foreign_rows('pg_temp, evil, public, pg_catalog', 1), '{}'::text[],
    'with the shadows in place the member reads 0 rows of another organisation, in every relation');
SELECT is(pg_temp.attempt('pg_temp, public, pg_catalog', pg_temp.insert_sql('isms.risk', pg_temp.row_for('isms.risk', 2))),
    '42501', 'an INSERT into another organisation is refused (42501)');
SELECT is(pg_temp.value_under('pg_temp, public, pg_catalog',
              $$WITH u AS (UPDATE isms.risk SET title = 'pwned' WHERE org_id OPERATOR(pg_catalog.=) 2 RETURNING 1)
                SELECT count(*) FROM u$$), '0', 'an UPDATE of another organisation changes no row');
SELECT is(pg_temp.attempt('pg_temp, public, pg_catalog', $$SELECT isms.trail_append(2, 'isms.risk', 2, 'forged', '{}')$$),
    '42501', 'trail_append() into another organisation is refused (42501)');
SELECT is(pg_temp.attempt('pg_temp, public, pg_catalog', $$SELECT * FROM isms.trail_head(2)$$),
    '42501', 'trail_head() of another organisation is refused (42501)');
SELECT is(pg_temp.value_under('pg_temp, public, pg_catalog', $$SELECT seq FROM isms.trail_head(1)$$),
    '1', 'trail_head() of the member''s organisation reads the real trail');
-- the workflow engine, reloaded under the shadows, keeps the real workflow
SELECT is(pg_temp.value_under('pg_temp, evil, public, pg_catalog',
              $$SELECT string_agg(state, ',' ORDER BY state) FROM isms.next_states('isms.incident', 1)$$),
    'rejected,triaged', 'next_states() reads the real workflow, not the temporary one');
SELECT is(pg_temp.attempt('pg_temp, evil, public, pg_catalog',
              $$UPDATE isms.incident SET status = 'closed' WHERE id OPERATOR(pg_catalog.=) 1$$),
    'IS001', 'the temporary transition reported -> closed is not allowed (IS001)');
SELECT is(pg_temp.attempt('pg_temp, evil, public, pg_catalog',
              $$SELECT isms.transition('isms.incident', 1, 'triaged')$$),
    'ok', 'a real move works');
SELECT is(pg_temp.value_under('pg_temp, public, pg_catalog',
              $$SELECT count(*) FROM isms.events_after(0)$$), '0',
    'events_after() reads the real outbox (nothing committed yet)');
SELECT is(pg_temp.attempt('pg_temp, public, pg_catalog', $$SELECT isms.submit_document(1)$$),
    'ok', 'document control reads the real documents');

RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*)::int FROM isms.risk WHERE title = 'pwned'), 0, 'no row of another organisation was changed');
SELECT is(pg_temp.fired(), 0::bigint, 'no planted operator or function ran');

SELECT * FROM finish();
ROLLBACK;
