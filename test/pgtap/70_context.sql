-- isms.set_context(org_code, actor) and isms.context(): the context of an
-- application's transaction from bound parameters, every refusal with its
-- SQLSTATE, and what remains of it after a refusal, a rollback or a commit.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
SELECT plan(30);

CREATE ROLE ctx_editor LOGIN;   GRANT isms_editor TO ctx_editor;
CREATE ROLE ctx_reader LOGIN;   GRANT isms_reader TO ctx_reader;
CREATE ROLE ctx_admin LOGIN;    GRANT isms_admin TO ctx_admin;
CREATE ROLE ctx_outsider LOGIN;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'ctx_editor'), (1, 'ctx_reader'), (2, 'ctx_reader');
-- the editor is a pooled application's login: it may assert the person
GRANT isms_app TO ctx_editor;

-- nothing set: every organisation of the role, the login acts
SELECT is((SELECT row(c.*)::text FROM isms.context() c), row(NULL::text, NULL::bigint, current_user::text, current_user)::text,
    'with nothing set, isms.context() says: no organisation, the login acts');

-- a member
SET ROLE ctx_editor;
SELECT is(isms.set_context('A', 'dana@a.example'), 1::bigint, 'set_context returns the org_id of the code');
SELECT is(current_setting('isms.org'), 'A', 'and sets isms.org');
SELECT is(current_setting('isms.actor'), 'dana@a.example', 'and isms.actor');
SELECT is(isms.member_orgs(), '{1}'::bigint[], 'row-level security is narrowed to the organisation');
SELECT is((SELECT row(c.*)::text FROM isms.context() c), row('A', 1::bigint, 'dana@a.example', 'ctx_editor'::name)::text,
    'isms.context() reads the context back');
SELECT is(isms.set_context('A'), 1::bigint, 'a NULL actor');
SELECT is((SELECT actor FROM isms.context()), 'ctx_editor', 'gives the login back as the person acting');
SELECT is(isms.set_context('A', ''), 1::bigint, 'so does an empty one');
SELECT is(current_setting('isms.actor'), '', 'which leaves isms.actor empty');

-- refusals: the context stays as it was
SELECT throws_ok($$SELECT isms.set_context('B', 'mallory')$$, '42501',
    'role "ctx_editor" may not act for organisation "B"', 'an organisation the role is not a member of: 42501');
SELECT throws_ok($$SELECT isms.set_context('Z')$$, '42501',
    'role "ctx_editor" may not act for organisation "Z"', 'an organisation that does not exist looks the same: 42501');
SELECT throws_ok($$SELECT isms.set_context('A'' OR ''x'' = ''x')$$, '42501', NULL, 'a crafted code: 42501');
SELECT throws_ok($$SELECT isms.set_context('')$$, '42501', NULL, 'an empty code (every organisation) is no organisation: 42501');
SELECT throws_ok($$SELECT isms.set_context(NULL, 'someone')$$, '22004', 'isms.set_context() needs an organisation',
    'a NULL code: 22004');
SELECT is(current_setting('isms.org'), 'A', 'a refused call leaves isms.org as it was');
SELECT is(isms.member_orgs(), '{1}'::bigint[], 'and what the role sees');
SELECT throws_ok($$INSERT INTO isms.incident (org_id, title, severity, detected_at, owner) VALUES (2, 't', 'low', now(), 'x')$$,
    '42501', NULL, 'a write into another organisation is still refused');

-- the context ends with the (sub)transaction that set it
SAVEPOINT s;
SELECT is(isms.set_context('A', 'erin@a.example'), 1::bigint, 'in a subtransaction');
ROLLBACK TO SAVEPOINT s;
SELECT is(current_setting('isms.actor'), '', 'rolled back, the previous person acts again');
RESET ROLE;

-- a reader of two organisations narrows to either
SET ROLE ctx_reader;
SELECT is(isms.set_context('B'), 2::bigint, 'a reader of two organisations sets the second');
SELECT is((SELECT array_agg(DISTINCT org_id) FROM isms.risk), '{2}'::bigint[], 'and sees only its rows');
SELECT is(isms.set_context('A'), 1::bigint, 'then the first');
SELECT is((SELECT array_agg(DISTINCT org_id) FROM isms.risk), '{1}'::bigint[], 'and sees only those');
RESET ROLE;

-- an admin may act for any organisation; a role without an isms role for none
SET ROLE ctx_admin;
SELECT is(isms.set_context('C'), 3::bigint, 'an admin may act for any organisation');
RESET ROLE;
SET ROLE ctx_outsider;
SELECT throws_ok($$SELECT isms.set_context('A')$$, '42501', NULL, 'a role without an isms role may not call set_context');
SELECT throws_ok($$SELECT * FROM isms.context()$$, '42501', NULL, 'nor isms.context');
RESET ROLE;

-- a write records the person of the context
SELECT isms.set_context('A', 'frank@a.example');
INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
VALUES (1, 'Context test', 'low', now(), 'Frank');
SELECT is((SELECT created_by FROM isms.incident WHERE title = 'Context test'), 'frank@a.example',
    'a row written in the context records its person');

-- privileges and definition
SELECT is((SELECT p.prosecdef FROM pg_proc p WHERE p.oid = 'isms.set_context(text, text)'::regprocedure), false,
    'set_context runs as the caller (SECURITY INVOKER)');
SELECT is((SELECT p.proconfig FROM pg_proc p WHERE p.oid = 'isms.context()'::regprocedure),
    '{"search_path=pg_catalog, pg_temp"}'::text[], 'context pins search_path with pg_temp last');

SELECT * FROM finish();
ROLLBACK;
