-- isms.events_for_org(): a member of one organisation reads nothing of
-- another's feed, and a search_path of the caller's objects changes
-- nothing (the function pins its own and qualifies every name).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
SELECT plan(5);

INSERT INTO isms.transition_log (log_id, org_id, record_table, record_id, cycle, from_state, to_state, actor, at, xact_id, record_table_name)
VALUES (1201, 1, 'isms.incident', 1, 1, 'reported', 'triaged', 'ann@a.example', now(), '6201', 'isms.incident'),
       (1202, 2, 'isms.incident', 2, 1, 'reported', 'triaged', 'bob@b.example', now(), '6202', 'isms.incident');
SELECT isms.trail_append_engine(l.org_id, 'isms.transition_log'::regclass, 0, 'transitions',
           jsonb_build_object('xact_id', l.xact_id::text, 'batches', jsonb_build_array(jsonb_build_array(l.log_id, l.log_id, 1,
               encode(sha256(convert_to(isms.transition_log_encoding(l), 'UTF8')), 'hex')))))
  FROM isms.transition_log l WHERE l.log_id IN (1201, 1202) ORDER BY l.log_id;

SET LOCAL ROLE sec_reader;
SELECT is((SELECT array_agg(log_id) FROM isms.events_for_org(1) WHERE log_id IN (1201, 1202)), '{1201}'::bigint[],
    'a reader of organisation 1 reads its own move');
SELECT throws_ok('SELECT * FROM isms.events_for_org(2)', '42501', NULL,
    'and is refused the feed of organisation 2 (42501)');
RESET ROLE;

-- operators and functions of the caller's schema first in the search_path
CREATE SCHEMA IF NOT EXISTS sec_evil_efo;
CREATE FUNCTION sec_evil_efo.jsonb_array_elements(jsonb) RETURNS SETOF jsonb LANGUAGE sql AS $$ SELECT '[0, 999999999, 1, ""]'::jsonb $$;
CREATE FUNCTION sec_evil_efo.format(text, VARIADIC text[]) RETURNS text LANGUAGE sql AS $$ SELECT 'forged' $$;
GRANT USAGE ON SCHEMA sec_evil_efo TO sec_bob;
SET LOCAL ROLE sec_bob;
SELECT throws_ok('SELECT * FROM isms.events_for_org(1)', '42501', NULL,
    'an editor of organisation 2 is refused the feed of organisation 1 (42501)');
SET LOCAL search_path = sec_evil_efo, pg_catalog, isms, public;
SELECT is((SELECT array_agg(log_id) FROM isms.events_for_org(2) WHERE log_id IN (1201, 1202)), '{1202}'::bigint[],
    'a search_path of the caller''s functions changes nothing of the feed');
RESET search_path;
RESET ROLE;
SELECT is_empty($$SELECT 1 FROM pg_proc p WHERE p.proname = 'events_for_org'
                  AND NOT 'search_path=pg_catalog, isms, pg_temp' = ANY (p.proconfig)$$,
    'events_for_org pins its search_path');

SELECT * FROM finish();
ROLLBACK;
