-- The acting person across transactions, as a pooled connection sees them:
-- an isms_app login's session-level SET isms.actor is refused in every
-- later transaction (the next borrower would inherit it), ALTER ROLE ...
-- SET isms.actor is refused where it is used, and the transition log's
-- seal keeps the table's name of the move (DROP TABLE or RENAME in the
-- same or a later transaction changes nothing).  Unlike the other files
-- this one commits, so it creates the extension and removes everything at
-- the end.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT current_user AS su, current_database() AS db \gset
DROP TABLE IF EXISTS public.sec9_seen;
DROP ROLE IF EXISTS sec9_app;
DROP ROLE IF EXISTS sec9_person;
CREATE EXTENSION isms;
INSERT INTO isms.organization (code, name) VALUES ('S9', 'Sessions Ltd');
SELECT org_id AS org FROM isms.organization WHERE code = 'S9' \gset
CREATE ROLE sec9_app LOGIN;
GRANT isms_editor, isms_app TO sec9_app;
CREATE ROLE sec9_person LOGIN PASSWORD 'sec9-person-password';
GRANT isms_editor TO sec9_person;
INSERT INTO isms.membership (org_id, role_name) VALUES (:org, 'sec9_app'), (:org, 'sec9_person');

-- ALTER ROLE ... SET takes effect at the next login, where no check hook
-- can refuse it: the use refuses it.  The new session records what it
-- meets in a table, and the checks below read it.
CREATE TABLE public.sec9_seen (what text PRIMARY KEY, got text);
GRANT INSERT ON public.sec9_seen TO sec9_person;
ALTER ROLE sec9_person SET isms.actor = 'ceo@bank.example';
\set conn 'dbname=' :db ' user=sec9_person password=sec9-person-password'
\c :conn
DO $$
DECLARE
    got text;
BEGIN
    BEGIN
        got := isms.current_actor();
    EXCEPTION WHEN OTHERS THEN
        got := SQLSTATE;
    END;
    INSERT INTO public.sec9_seen VALUES ('current_actor', got);
    BEGIN
        INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
            SELECT org_id, 'Forged', 'low', now(), 'x' FROM isms.organization WHERE code = 'S9';
        got := 'inserted';
    EXCEPTION WHEN OTHERS THEN
        got := SQLSTATE;
    END;
    INSERT INTO public.sec9_seen VALUES ('insert', got);
    PERFORM pg_catalog.set_config('isms.actor', '', false);
    INSERT INTO public.sec9_seen VALUES ('after reset', isms.current_actor());
END
$$;
\set conn 'dbname=' :db ' user=' :su
\c :conn
SET client_min_messages = warning;
ALTER ROLE sec9_person RESET isms.actor;

SELECT plan(19);
SELECT is((SELECT got FROM public.sec9_seen WHERE what = 'current_actor'), 'IS080',
    'isms.actor from ALTER ROLE ... SET of an untrusted role is refused at use (IS080)');
SELECT is((SELECT got FROM public.sec9_seen WHERE what = 'insert'), 'IS080',
    '... also by the audit columns of an INSERT (IS080)');
SELECT is((SELECT got FROM public.sec9_seen WHERE what = 'after reset'), 'sec9_person',
    'once reset, the person is the login');

-- an isms_app login sets the person at session level: good for one transaction only
SET SESSION AUTHORIZATION sec9_app;
SET isms.actor = 'ann';
SELECT throws_ok($$SELECT isms.current_actor()$$, 'IS081', 'isms.actor "ann" was not set in the current transaction',
    'a session-level SET by an isms_app login is refused in the next transaction (IS081)');
SELECT throws_ok(format($$INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                          VALUES (%s, 'Leaked', 'low', now(), 'x')$$, :org), 'IS081', NULL,
    '... also by the audit columns of an INSERT (IS081)');
BEGIN;
SET LOCAL isms.actor = 'ben';
SELECT is(isms.current_actor(), 'ben', 'SET LOCAL names the person for its transaction');
COMMIT;
SELECT throws_ok($$SELECT isms.current_actor()$$, 'IS081', NULL,
    'after it, the session value is back and still refused (IS081)');
BEGIN;
SELECT set_config('isms.actor', 'cat', true) AS set \gset
SELECT is(isms.current_actor(), 'cat', 'set_config(..., true) names the person for its transaction');
SAVEPOINT sp;
SET LOCAL isms.actor = 'dan';
ROLLBACK TO SAVEPOINT sp;
SELECT is(isms.current_actor(), 'cat', 'a setting undone by ROLLBACK TO SAVEPOINT restores the transaction''s own');
COMMIT;
RESET isms.actor;
SELECT is(isms.current_actor(), 'sec9_app', 'with isms.actor reset the person is the login');
RESET SESSION AUTHORIZATION;

-- a superuser's session keeps a session-level setting (tests, a DBA's psql)
SET isms.actor = 'dba';
SELECT is(isms.current_actor(), 'dba', 'a superuser''s session-level setting holds in later transactions');
RESET isms.actor;

-- the transition log seals the table's name of the move
CREATE TABLE public.sec9_idea (
    org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, title text,
    status text NOT NULL DEFAULT 'proposed', cycle integer NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, id));
SELECT isms.attach_workflow('public.sec9_idea', 'improvement') AS attached \gset
GRANT SELECT, INSERT, UPDATE ON public.sec9_idea TO sec9_app;
BEGIN;
SET LOCAL ROLE sec9_app;
INSERT INTO public.sec9_idea (org_id, title) VALUES (:org, 'Moved, then dropped');
RESET ROLE;
DROP TABLE public.sec9_idea;
COMMIT;
SELECT pass('a move and DROP TABLE of its table in one transaction commit, and the backend lives');
SELECT is((SELECT record_table_name FROM isms.transition_log WHERE org_id = :org ORDER BY log_id DESC LIMIT 1),
    'public.sec9_idea', 'the log keeps the name of the dropped table');
SELECT is_empty(format('SELECT * FROM isms.verify_transition_log(%s)', :org), 'and its seal verifies');

CREATE TABLE public.sec9_idea2 (
    org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, title text,
    status text NOT NULL DEFAULT 'proposed', cycle integer NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, id));
SELECT isms.attach_workflow('public.sec9_idea2', 'improvement') AS attached \gset
GRANT SELECT, INSERT, UPDATE ON public.sec9_idea2 TO sec9_app;
BEGIN;
SET LOCAL ROLE sec9_app;
INSERT INTO public.sec9_idea2 (org_id, title) VALUES (:org, 'Moved, then renamed');
COMMIT;
SELECT is((SELECT count(*)::int FROM isms.transition_log WHERE org_id = :org), 2, 'both moves are logged');
ALTER TABLE public.sec9_idea2 RENAME TO sec9_idea3;
SELECT is_empty(format('SELECT * FROM isms.verify_transition_log(%s)', :org),
    'a workflow table renamed after its moves were sealed: the log verifies intact');
SELECT is_empty(format('SELECT * FROM isms.verify_trail(%s)', :org), 'and so does the trail');
SET SESSION AUTHORIZATION sec9_app;
SELECT throws_ok(format($$SELECT isms.trail_append(%s, 'isms.transition_log', 1, 'transitions',
                          '{"xact_id": "1", "batches": [[1, 1, 1, "00"]]}')$$, :org),
    'IS082', NULL, 'a fake seal appended by hand is refused (IS082)');
RESET SESSION AUTHORIZATION;
SELECT is_empty(format('SELECT * FROM isms.verify_transition_log(%s)', :org),
    'so verify_transition_log raises no false alarm');

SELECT * FROM finish();

-- leave nothing behind
DROP TABLE public.sec9_idea3;
DROP TABLE public.sec9_seen;
DROP EXTENSION isms CASCADE;
DROP SCHEMA IF EXISTS isms CASCADE;
DROP ROLE sec9_app;
DROP ROLE sec9_person;
