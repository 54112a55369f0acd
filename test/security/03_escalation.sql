-- Attack 1: operators planted by a member role, found by SQL the extension
-- runs from C (the workflow engine's definition queries as the extension
-- owner, its guard plans, the cached plans of document control, the member
-- check of trail_append).  Each must be harmless: no trap runs, nobody
-- becomes superuser, and the outcome is what it would be without them.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
SELECT plan(24);

-- the engine reads its definitions again at its next use
UPDATE isms.workflow SET description = description WHERE false;

SET SESSION AUTHORIZATION sec_mallory;

-- The reproduction: evil.=(regclass, oid) is an exact match where
-- pg_catalog has none, so it would win even with pg_catalog listed first.
SELECT is(pg_temp.attempt('evil, pg_catalog', $$SELECT * FROM isms.next_states('isms.incident', 1)$$), 'ok',
    'next_states() under search_path = evil, pg_catalog works');
SELECT is(pg_temp.fired(), 0::bigint, 'the definitions were read without the planted =(regclass, oid)');
SELECT is((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = 'sec_mallory'), false,
    'the member did not become superuser');
SELECT is(pg_temp.value_under('evil, pg_catalog',
              $$SELECT string_agg(state, ',' ORDER BY state) FROM isms.next_states('isms.incident', 1)$$),
    'rejected,triaged', 'next_states() lists the real next states');

-- public.=(text, text) and a plain UPDATE of a workflow register
SELECT is(pg_temp.attempt('public, pg_catalog', $$UPDATE isms.incident SET status = 'triaged' WHERE id OPERATOR(pg_catalog.=) 1$$),
    'ok', 'a plain UPDATE of status under search_path = public, pg_catalog moves the incident');
SELECT is(pg_temp.attempt('public, pg_catalog', $$UPDATE isms.incident SET status = 'closed' WHERE id OPERATOR(pg_catalog.=) 1$$),
    'IS001', 'a skipped step is still refused (IS001)');
-- guard plans: closing needs lessons learned
SELECT is(pg_temp.attempt('evil, public, pg_catalog', $$SELECT isms.transition('isms.incident', 1, 'contained')$$), 'ok',
    'transition() under a hostile path');
SELECT is(pg_temp.attempt('evil, public, pg_catalog', $$SELECT isms.transition('isms.incident', 1, 'resolved')$$), 'ok',
    'transition() under a hostile path, again');
SELECT is(pg_temp.attempt('evil, public, pg_catalog', $$SELECT isms.transition('isms.incident', 1, 'closed')$$), 'IS002',
    'the guard still refuses a close without lessons learned (IS002)');
SELECT is(pg_temp.value_under('public, pg_catalog',
              $$SELECT guard_failure FROM isms.next_states('isms.incident', 1) WHERE state OPERATOR(pg_catalog.=) 'closed'$$),
    'no lessons learned are recorded', 'the guard''s verdict is the real one');
SELECT is(pg_temp.attempt('evil, public, pg_catalog',
              $$UPDATE isms.incident SET lessons_learned = 'Train staff' WHERE id OPERATOR(pg_catalog.=) 1;
                SELECT isms.transition('isms.incident', 1, 'closed')$$), 'ok',
    'with lessons learned the guard holds and the incident closes');
SELECT is(pg_temp.attempt('pg_temp, evil, public, pg_catalog',
              $$UPDATE isms.treatment_plan SET status = 'approved' WHERE id OPERATOR(pg_catalog.=) 1;
                UPDATE isms.treatment_plan SET status = 'in_progress' WHERE id OPERATOR(pg_catalog.=) 1;
                UPDATE isms.treatment_plan SET status = 'implemented' WHERE id OPERATOR(pg_catalog.=) 1;
                UPDATE isms.treatment_plan SET status = 'verified' WHERE id OPERATOR(pg_catalog.=) 1$$), 'IS002',
    'the treatment plan''s evidence guard refuses verification without evidence (IS002)');

-- document control's cached plans
SELECT is(pg_temp.attempt('evil, public, pg_catalog', $$SELECT isms.submit_document(1)$$), 'ok',
    'submit_document() under a hostile path');
SELECT is(pg_temp.value_under('evil, public, pg_catalog',
              $$SELECT v.status FROM isms.document_version v WHERE v.id OPERATOR(pg_catalog.=) 1$$),
    'in_review', 'the version is in review');
SELECT is(pg_temp.attempt('evil, public, pg_catalog',
              $$UPDATE isms.document_version SET status = 'published' WHERE id OPERATOR(pg_catalog.=) 1$$), 'IS001',
    'publishing a version in review is still refused (IS001)');
SELECT is(pg_temp.attempt('evil, public, pg_catalog',
              $$SELECT isms.approve_document(1, 'approved', 'fine'); SELECT isms.publish_document(1)$$), 'ok',
    'approve_document() and publish_document() under a hostile path');
SELECT is(pg_temp.value_under('evil, public, pg_catalog',
              $$SELECT v.status FROM isms.document_version v WHERE v.id OPERATOR(pg_catalog.=) 1$$),
    'published', 'the version is published');

-- trail_append's member check: a liar =(bigint, bigint) that always holds
RESET SESSION AUTHORIZATION;
CREATE SCHEMA liar AUTHORIZATION sec_mallory;
SET SESSION AUTHORIZATION sec_mallory;
CREATE FUNCTION liar.always(a bigint, b bigint) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR liar.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = liar.always);
SELECT is(pg_temp.attempt('liar, pg_catalog', $$SELECT isms.trail_append(2, 'isms.risk', 2, 'forged', '{}')$$), '42501',
    'trail_append() into another organisation is refused under a lying =(bigint, bigint) (42501)');
SELECT is(pg_temp.attempt('liar, pg_catalog', $$SELECT isms.trail_append(1, 'isms.risk', 1, 'note', '{}')$$), 'ok',
    'trail_append() into the member''s own organisation works');

SELECT is(pg_temp.fired(), 0::bigint, 'no planted operator or function ran in any of these');
SELECT is((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = 'sec_mallory'), false,
    'the member is not a superuser');

-- a DBA's session with the attacker's public first: the standing trap
RESET SESSION AUTHORIZATION;
UPDATE isms.workflow SET description = description WHERE false;
SELECT is(pg_temp.attempt('public, pg_catalog',
              $$SELECT * FROM isms.next_states('isms.incident', 2);
                UPDATE isms.incident SET status = 'triaged' WHERE id OPERATOR(pg_catalog.=) 2;
                SELECT isms.submit_document(2)$$), 'ok',
    'a superuser''s moves under search_path = public, pg_catalog');
SELECT is(pg_temp.fired(), 0::bigint, 'the operators left in public did not run in the superuser''s session');
SELECT is((SELECT count(*)::int FROM isms.trail WHERE org_id = 2 AND action = 'forged'), 0,
    'no forged entry in the other organisation''s trail');

SELECT * FROM finish();
ROLLBACK;
