-- Access: roles, privileges, row-level security; the role x organisation matrix.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
SELECT plan(231);

CREATE ROLE tap_reader LOGIN;   GRANT isms_reader TO tap_reader;
CREATE ROLE tap_editor LOGIN;   GRANT isms_editor TO tap_editor;
CREATE ROLE tap_editor_b LOGIN; GRANT isms_editor TO tap_editor_b;
CREATE ROLE tap_auditor LOGIN;  GRANT isms_auditor TO tap_auditor;
CREATE ROLE tap_admin LOGIN;    GRANT isms_admin TO tap_admin;
CREATE ROLE tap_both LOGIN;     GRANT isms_editor TO tap_both;
CREATE ROLE tap_nomember LOGIN; GRANT isms_editor TO tap_nomember;
CREATE ROLE tap_outsider LOGIN;
CREATE ROLE tap_team NOLOGIN;
CREATE ROLE tap_member LOGIN IN ROLE tap_team; GRANT isms_reader TO tap_member;
INSERT INTO isms.membership (org_id, role_name) VALUES
    (1, 'tap_reader'), (1, 'tap_editor'), (2, 'tap_editor_b'), (1, 'tap_auditor'),
    (1, 'tap_both'), (2, 'tap_both'), (1, 'tap_team');

-- The organisations whose rows the current role sees in each register.
CREATE FUNCTION pg_temp.seen(rel regclass) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE orgs bigint[];
BEGIN
    EXECUTE format('SELECT coalesce(array_agg(DISTINCT org_id ORDER BY org_id), ''{}'') FROM %s', rel) INTO orgs;
    RETURN orgs;
END $$;
-- Registers where the current role does not see exactly the organisations want.
CREATE FUNCTION pg_temp.seen_wrong(want bigint[]) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(rel::text || ' ' || pg_temp.seen(rel)::text ORDER BY ord), '{}')
      FROM base WHERE pg_temp.seen(rel) <> want
$$;
-- Rows of organisation org the current role changed in each register by UPDATE or DELETE.
CREATE FUNCTION pg_temp.touched(org bigint, verb text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE b record; n bigint; out text[] := '{}';
BEGIN
    FOR b IN SELECT rel FROM base ORDER BY ord LOOP
        IF verb = 'UPDATE' THEN
            EXECUTE format('WITH t AS (UPDATE %s SET org_id = org_id WHERE org_id = $1 RETURNING 1) SELECT count(*) FROM t', b.rel)
                INTO n USING org;
        ELSE
            EXECUTE format('WITH t AS (DELETE FROM %s WHERE org_id = $1 RETURNING 1) SELECT count(*) FROM t', b.rel)
                INTO n USING org;
        END IF;
        IF n > 0 THEN out := out || (b.rel::text || ' ' || n); END IF;
    END LOOP;
    RETURN out;
END $$;
-- Registers where a row of organisation org was created or changed by who.
CREATE FUNCTION pg_temp.changed_by(org bigint, who text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE b record; n bigint; out text[] := '{}';
BEGIN
    FOR b IN SELECT rel FROM base ORDER BY ord LOOP
        EXECUTE format('SELECT count(*) FROM %s WHERE org_id = $1 AND $2 IN (created_by, updated_by)', b.rel)
            INTO n USING org, who;
        IF n > 0 THEN out := out || b.rel::text; END IF;
    END LOOP;
    RETURN out;
END $$;
-- One throws_ok per register: stmt is a format() with %s for the table
-- (and %L for a row of organisation org, as jsonb).
CREATE FUNCTION pg_temp.refused_everywhere(verb text, org int, state text, msg text, who text) RETURNS SETOF text
    LANGUAGE plpgsql AS $$
DECLARE b record; stmt text; relname text;
BEGIN
    FOR b IN SELECT rel FROM base ORDER BY ord LOOP
        relname := (SELECT c.relname FROM pg_class c WHERE c.oid = b.rel);
        stmt := CASE verb
            WHEN 'INSERT' THEN pg_temp.insert_sql(b.rel, pg_temp.row_for(b.rel, org)
                                   || coalesce((SELECT f.patch FROM fresh f WHERE f.rel = b.rel), '{}'))
            WHEN 'UPDATE' THEN format('UPDATE %s SET org_id = org_id WHERE org_id = %s', b.rel, org)
            WHEN 'DELETE' THEN format('DELETE FROM %s WHERE org_id = %s', b.rel, org)
        END;
        RETURN NEXT throws_ok(stmt, state, format(msg, relname),
                              format('%s: %s %s of organisation %s is refused (%s)', who, verb, relname, org, state));
    END LOOP;
END $$;

------------------------------------------------------------------------------
-- Roles and privileges

SELECT is((SELECT count(*)::int FROM pg_roles WHERE rolname IN ('isms_admin', 'isms_editor', 'isms_auditor', 'isms_reader')
            AND NOT rolcanlogin AND NOT rolsuper AND NOT rolbypassrls), 4,
    'the four roles exist, NOLOGIN, without superuser or BYPASSRLS');
SELECT ok(pg_has_role('isms_admin', 'isms_editor', 'MEMBER') AND pg_has_role('isms_editor', 'isms_reader', 'MEMBER')
          AND pg_has_role('isms_auditor', 'isms_reader', 'MEMBER'),
    'admin includes editor; editor and auditor include reader');
SELECT ok(NOT pg_has_role('isms_auditor', 'isms_editor', 'MEMBER') AND NOT pg_has_role('isms_reader', 'isms_auditor', 'MEMBER'),
    'auditor is not an editor; reader is not an auditor');
SELECT is(
    ARRAY(SELECT c.oid::regclass::text FROM pg_class c
           WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_report'::regnamespace) AND c.relkind IN ('r', 'v', 'm', 'p')
             AND has_table_privilege('public', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
           ORDER BY 1),
    '{}'::text[], 'PUBLIC has no privilege on any table');
SELECT is(
    ARRAY(SELECT c.oid::regclass::text FROM pg_class c
           WHERE c.relnamespace = 'isms'::regnamespace
             AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege('public', c.oid, 'USAGE, SELECT, UPDATE') END
           ORDER BY 1),
    '{}'::text[], 'PUBLIC has no privilege on any sequence');
SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
           WHERE p.pronamespace IN ('isms'::regnamespace, 'isms_report'::regnamespace)
             AND has_function_privilege('public', p.oid, 'EXECUTE')
           ORDER BY 1),
    '{}'::text[], 'PUBLIC may execute no function');
SELECT ok(NOT has_schema_privilege('public', 'isms', 'USAGE, CREATE') AND NOT has_schema_privilege('public', 'isms_report', 'USAGE, CREATE'),
    'PUBLIC has no privilege on the schemas isms and isms_report');
SELECT ok(has_schema_privilege('isms_reader', 'isms', 'USAGE') AND has_schema_privilege('isms_reader', 'isms_report', 'USAGE')
          AND NOT has_schema_privilege('isms_admin', 'isms', 'CREATE'),
    'the roles use the schemas isms and isms_report, and create nothing in them');
SELECT is(
    ARRAY(SELECT r.relid::text FROM isms.register r JOIN pg_class c ON c.oid = r.relid
           WHERE NOT (c.relrowsecurity AND c.relforcerowsecurity)
              OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = r.relid AND p.polname = 'member')
          UNION ALL
          SELECT c.oid::regclass::text FROM pg_class c
           WHERE c.oid IN ('isms.organization'::regclass, 'isms.membership'::regclass, 'isms.register_setting'::regclass)
             AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
           ORDER BY 1),
    '{}'::text[], 'row-level security is enabled and forced, with the member policy, on every register and on organization, membership and register_setting');
SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
           WHERE p.pronamespace = 'isms'::regnamespace AND p.prosecdef
             AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c
                              WHERE c IN ('search_path=pg_catalog, isms, pg_temp', 'search_path=pg_catalog, pg_temp'))
           ORDER BY 1),
    '{}'::text[], 'every SECURITY DEFINER function pins search_path = pg_catalog, isms, pg_temp or pg_catalog, pg_temp');
SELECT ok((SELECT NOT prosecdef AND provolatile = 's' AND l.lanname = 'c'
             FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.oid = 'isms.member_orgs(name)'::regprocedure),
    'isms.member_orgs() is STABLE, in C, its query run as the function''s owner inside (not SECURITY DEFINER)');

------------------------------------------------------------------------------
-- Reader: reads its organisation, writes nothing

SET LOCAL ROLE tap_reader;
SELECT is(pg_temp.seen_wrong('{1}'), '{}'::text[], 'reader of A sees the rows of A, and only A, in every register');
SELECT * FROM pg_temp.refused_everywhere('INSERT', 1, '42501', 'permission denied for table %s', 'reader');
SELECT * FROM pg_temp.refused_everywhere('UPDATE', 1, '42501', 'permission denied for table %s', 'reader');
SELECT * FROM pg_temp.refused_everywhere('DELETE', 1, '42501', 'permission denied for table %s', 'reader');
SELECT throws_ok($$INSERT INTO isms.organization (code, name) VALUES ('R', 'R')$$, '42501',
    'permission denied for table organization', 'reader: cannot create an organisation (42501)');
SELECT throws_ok($$UPDATE isms.organization SET scope_statement = 'x'$$, '42501',
    'permission denied for table organization', 'reader: cannot change an organisation (42501)');
SELECT throws_ok($$INSERT INTO isms.membership (org_id, role_name) VALUES (2, 'tap_reader')$$, '42501',
    'permission denied for table membership', 'reader: cannot add a membership (42501)');
SELECT throws_ok($$INSERT INTO isms.register_setting (org_id, relid, review_interval) VALUES (1, 'isms.risk', '1 month')$$, '42501',
    'permission denied for table register_setting', 'reader: cannot change review settings (42501)');
SELECT is(ARRAY(SELECT code FROM isms.organization ORDER BY code), ARRAY['A'], 'reader of A sees organisation A only');
SELECT is(ARRAY(SELECT DISTINCT org_id FROM isms.membership), ARRAY[1::bigint], 'reader of A sees the memberships of A only');
RESET ROLE;

------------------------------------------------------------------------------
-- Editor of A: reads and writes A, cannot see or touch B

SET LOCAL ROLE tap_editor;
SELECT is(pg_temp.seen_wrong('{1}'), '{}'::text[], 'editor of A sees the rows of A, and only A, in every register');
SELECT * FROM pg_temp.refused_everywhere('INSERT', 2, '42501', 'role "tap_editor" may not write a row of organisation 2 into isms.%s', 'editor of A');
SELECT is(pg_temp.touched(2, 'UPDATE'), '{}'::text[], 'editor of A: an UPDATE reaches no row of B in any register');
SELECT is(pg_temp.touched(2, 'DELETE'), '{}'::text[], 'editor of A: a DELETE reaches no row of B in any register');
-- the stamp trigger refuses any move across organisations, before row-level security
SELECT throws_ok($$UPDATE isms.context_issue SET org_id = 2 WHERE org_id = 1$$, 'IS091',
    NULL, 'editor of A: cannot move a row of A into B (IS091)');
SELECT lives_ok($$INSERT INTO isms.context_issue (org_id, title, origin, owner) VALUES (1, 'Supplier concentration', 'external', 'CISO')$$,
    'editor of A: adds a context issue to A');
SELECT lives_ok($$UPDATE isms.risk SET residual_likelihood = 1, residual_impact = 2 WHERE org_id = 1$$,
    'editor of A: assesses a residual risk of A');
SELECT lives_ok($$UPDATE isms.organization SET scope_statement = 'All services of A' WHERE org_id = 1$$,
    'editor of A: maintains the scope statement of A');
WITH t AS (UPDATE isms.organization SET scope_statement = 'hijack' WHERE org_id = 2 RETURNING 1)
SELECT is(count(*)::int, 0, 'editor of A: cannot change the scope statement of B') FROM t;
SELECT throws_ok($$UPDATE isms.organization SET code = 'AA' WHERE org_id = 1$$, '42501',
    'permission denied for table organization', 'editor of A: cannot change an organisation''s code (42501)');
SELECT throws_ok($$INSERT INTO isms.organization (code, name) VALUES ('E', 'E')$$, '42501',
    'permission denied for table organization', 'editor: cannot create an organisation (42501)');
SELECT throws_ok($$INSERT INTO isms.membership (org_id, role_name) VALUES (2, 'tap_editor')$$, '42501',
    'permission denied for table membership', 'editor of A: cannot make itself a member of B (42501)');
SELECT lives_ok($$INSERT INTO isms.register_setting (org_id, relid, review_interval) VALUES (1, 'isms.risk', '3 months')$$,
    'editor of A: sets the review interval of A''s risks');
SELECT throws_ok($$INSERT INTO isms.register_setting (org_id, relid, review_interval) VALUES (2, 'isms.risk', '3 months')$$, '42501',
    'role "tap_editor" may not write a row of organisation 2 into isms.register_setting', 'editor of A: cannot set B''s review interval (42501)');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, ref, kind, title, pdca_phase) VALUES ('iso27001-2022', '11', 'clause', 'X', 'act')$$,
    '42501', 'permission denied for table requirement', 'editor: cannot write the catalog (42501)');
SELECT is((SELECT count(*)::int FROM isms.risk WHERE org_id = 2), 0, 'editor of A: counts no risk of B');
RESET ROLE;
SELECT is(
    ARRAY(SELECT b.rel::text FROM base b WHERE pg_temp.seen(b.rel) <> '{1,2}'),
    '{}'::text[], 'after the editor of A, B still has its row in every register');
SELECT is(pg_temp.changed_by(2, 'tap_editor'), '{}'::text[], 'no row of B was created or changed by the editor of A');
SELECT is((SELECT scope_statement FROM isms.organization WHERE org_id = 2), NULL, 'the scope statement of B is unchanged');

-- The editor of B sees B only.
SET LOCAL ROLE tap_editor_b;
SELECT is(pg_temp.seen_wrong('{2}'), '{}'::text[], 'editor of B sees the rows of B, and only B, in every register');
RESET ROLE;

------------------------------------------------------------------------------
-- Auditor of A: reads A, writes audit records only

SET LOCAL ROLE tap_auditor;
SELECT is(pg_temp.seen_wrong('{1}'), '{}'::text[], 'auditor of A sees the rows of A, and only A, in every register');
SELECT lives_ok(pg_temp.insert_sql('isms.audit_programme', pg_temp.row_for('isms.audit_programme', 1, '{"title": "Programme 2026"}')),
    'auditor: writes an audit programme');
SELECT lives_ok(pg_temp.insert_sql('isms.audit', pg_temp.row_for('isms.audit', 1, '{"title": "Audit of 9.3"}')),
    'auditor: writes an audit');
SELECT lives_ok(pg_temp.insert_sql('isms.audit_finding', pg_temp.row_for('isms.audit_finding', 1,
        '{"finding_type": "observation", "nonconformity_id": null, "requirement": "9.1"}')),
    'auditor: writes an audit finding');
SELECT lives_ok(pg_temp.insert_sql('isms.evidence', pg_temp.row_for('isms.evidence', 1,
        '{"record_table": "isms.audit", "url": null, "content": "\\x6d696e75746573", "media_type": "text/plain"}')),
    'auditor: attaches evidence');
SELECT lives_ok($$UPDATE isms.audit SET summary = 'Conforms' WHERE org_id = 1$$, 'auditor: updates an audit');
SELECT throws_ok(pg_temp.insert_sql('isms.risk', pg_temp.row_for('isms.risk', 1)), '42501',
    'permission denied for table risk', 'auditor: cannot write a risk (42501)');
SELECT throws_ok($$UPDATE isms.risk SET owner = 'Auditor'$$, '42501',
    'permission denied for table risk', 'auditor: cannot change a risk (42501)');
SELECT throws_ok(pg_temp.insert_sql('isms.nonconformity', pg_temp.row_for('isms.nonconformity', 1)), '42501',
    'permission denied for table nonconformity', 'auditor: cannot write a nonconformity (42501)');
SELECT throws_ok($$DELETE FROM isms.audit_finding$$, '42501',
    'permission denied for table audit_finding', 'auditor: cannot delete an audit finding (42501)');
SELECT throws_ok($$DELETE FROM isms.evidence$$, '42501',
    'permission denied for table evidence', 'auditor: cannot delete evidence (42501)');
SELECT throws_ok(pg_temp.insert_sql('isms.audit', pg_temp.row_for('isms.audit', 2)), '42501',
    'role "tap_auditor" may not write a row of organisation 2 into isms.audit', 'auditor of A: cannot write an audit of B (42501)');
RESET ROLE;

------------------------------------------------------------------------------
-- Admin: every organisation, without membership

SET LOCAL ROLE tap_admin;
SELECT is(pg_temp.seen_wrong('{1,2}'), '{}'::text[], 'admin sees the rows of every organisation in every register');
SELECT lives_ok(pg_temp.insert_sql('isms.context_issue', pg_temp.row_for('isms.context_issue', 2)),
    'admin: writes into B without being a member');
WITH t AS (INSERT INTO isms.organization (code, name) VALUES ('D', 'Org D') RETURNING code)
SELECT is(code, 'D', 'admin: creates an organisation (INSERT ... RETURNING)') FROM t;
SELECT lives_ok($$INSERT INTO isms.membership (org_id, role_name) SELECT org_id, 'tap_editor' FROM isms.organization WHERE code = 'D'$$,
    'admin: makes a role a member');
SELECT throws_ok($$INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'no_such_role')$$, '23503',
    'role "no_such_role" does not exist', 'admin: a membership names an existing role (23503)');
SELECT lives_ok($$DELETE FROM isms.membership WHERE org_id = 2 AND role_name = 'tap_both'$$, 'admin: removes a membership');
RESET ROLE;
SET LOCAL ROLE tap_editor;
SELECT is(isms.member_orgs(), ARRAY[1, 4]::bigint[], 'a new membership takes effect at once');
RESET ROLE;
INSERT INTO isms.membership (org_id, role_name) VALUES (2, 'tap_both');

------------------------------------------------------------------------------
-- Membership through a group role; no membership; no isms role

SET LOCAL ROLE tap_member;
SELECT is(pg_temp.seen_wrong('{1}'), '{}'::text[], 'a member of a group role that is a member of A sees A');
RESET ROLE;
SET LOCAL ROLE tap_nomember;
SELECT is(pg_temp.seen_wrong('{}'), '{}'::text[], 'an editor with no membership sees no row');
SELECT throws_ok(pg_temp.insert_sql('isms.context_issue', pg_temp.row_for('isms.context_issue', 1)), '42501',
    'role "tap_nomember" may not write a row of organisation 1 into isms.context_issue', 'an editor with no membership writes nothing (42501)');
RESET ROLE;
SET LOCAL ROLE tap_outsider;
SELECT throws_ok($$SELECT count(*) FROM isms.risk$$, '42501', 'permission denied for schema isms',
    'a role without an isms role cannot reach the schema (42501)');
RESET ROLE;

------------------------------------------------------------------------------
-- Narrowing to one organisation with isms.org (pooled applications)

SET LOCAL ROLE tap_both;
SELECT is(pg_temp.seen_wrong('{1,2}'), '{}'::text[], 'a member of A and B sees both');
SET LOCAL isms.org = 'B';
SELECT is(pg_temp.seen_wrong('{2}'), '{}'::text[], 'with isms.org = B it sees B only');
SELECT throws_ok(pg_temp.insert_sql('isms.context_issue', pg_temp.row_for('isms.context_issue', 1)), '42501',
    'role "tap_both" may not write a row of organisation 1 into isms.context_issue', 'with isms.org = B it cannot write A (42501)');
SET LOCAL isms.org = 'A';
SELECT is(pg_temp.seen_wrong('{1}'), '{}'::text[], 'with isms.org = A it sees A only');
SET LOCAL isms.org = 'C';
SELECT is(pg_temp.seen_wrong('{}'), '{}'::text[], 'with isms.org naming an organisation it is not a member of, it sees nothing');
SET LOCAL isms.org = '';
RESET ROLE;

-- member_orgs() cannot be used to probe another role's organisations.
SET LOCAL SESSION AUTHORIZATION tap_editor;
SELECT is(isms.member_orgs(), ARRAY[1, 4]::bigint[], 'member_orgs() gives the caller''s organisations');
SELECT is(isms.member_orgs('tap_editor_b'), '{}'::bigint[], 'member_orgs() of a role the session cannot act as is empty');
RESET SESSION AUTHORIZATION;

SELECT * FROM finish();
ROLLBACK;
