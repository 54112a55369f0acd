-- Attacks 4 and 5: the outbox is read under row-level security (a row is
-- visible when one of its transaction's moves is), and events_after()
-- counts its limit in the transactions the caller can see, so a poller
-- that sees only some organisations advances whatever the gap.  The
-- notification itself is tested by specs/listen.spec.  Committed
-- transactions are written here as the engine writes them: a log row per
-- move, an outbox row per transaction.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
SELECT plan(16);

-- 150 transactions of organisation 2, then one of organisation 1, then one
-- that moved records of both
INSERT INTO isms.transition_log (log_id, org_id, record_table, record_id, cycle, from_state, to_state, actor, at, xact_id)
SELECT 1000 + g, 2, 'isms.incident', 2, 1, 'reported', 'triaged', 'bob@b.example', now(), (5000 + g)::text::xid8
  FROM generate_series(1, 150) g;
INSERT INTO isms.transition_log (log_id, org_id, record_table, record_id, cycle, from_state, to_state, actor, at, xact_id) VALUES
    (1151, 1, 'isms.incident', 1, 1, 'reported', 'triaged', 'ann@a.example', now(), '5151'),
    (1152, 1, 'isms.incident', 1, 1, 'triaged', 'contained', 'ann@a.example', now(), '5152'),
    (1153, 2, 'isms.incident', 2, 1, 'triaged', 'contained', 'bob@b.example', now(), '5152');
INSERT INTO isms.outbox (seq, xact_id, first_log_id, last_log_id, events, committed_at)
SELECT g, (5000 + g)::text::xid8, 1000 + g, 1000 + g, 1, now() FROM generate_series(1, 151) g;
INSERT INTO isms.outbox VALUES (152, '5152', 1152, 1153, 2, now());

SELECT is((SELECT c.relrowsecurity AND c.relforcerowsecurity FROM pg_class c WHERE c.oid = 'isms.outbox'::regclass), true,
    'row-level security is enabled and forced on isms.outbox');

SET LOCAL ROLE sec_reader;
SELECT is((SELECT array_agg(seq ORDER BY seq) FROM isms.outbox), '{151,152}'::bigint[],
    'a reader of organisation 1 sees only the outbox rows of transactions that moved its records');
SELECT is((SELECT array_agg(DISTINCT seq ORDER BY seq) FROM isms.events_after(0)), '{151,152}'::bigint[],
    'events_after(0) reaches past 150 transactions of another organisation (limit 100)');
SELECT is((SELECT array_agg(seq ORDER BY seq) FROM isms.events_after(0, 1)), '{151}'::bigint[],
    'events_after(0, 1): the limit counts transactions the poller can see');
SELECT is((SELECT array_agg(log_id ORDER BY log_id) FROM isms.events_after(151)), '{1152}'::bigint[],
    'of a transaction that moved records of two organisations the poller reads only its own moves');
SELECT is_empty('SELECT * FROM isms.events_after(152)', 'after the last one there is nothing');
SELECT is((SELECT count(*)::int FROM isms.transition_log WHERE org_id <> 1), 0, 'nor any other organisation''s log row');
-- the poller's loop: remember the largest seq, pass it next time
CREATE FUNCTION pg_temp.poll_all(batch int) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE last bigint := 0; seen bigint[] := '{}'; got bigint; polls int := 0;
BEGIN
    LOOP
        SELECT max(seq) INTO got FROM isms.events_after(last, batch);
        polls := polls + 1;
        EXIT WHEN got IS NULL OR polls > 10;
        seen := seen || got;
        last := got;
    END LOOP;
    RETURN seen;
END $$;
SELECT is(pg_temp.poll_all(1), '{151,152}'::bigint[], 'a poller of organisation 1 advances one transaction per poll');
RESET ROLE;

SET LOCAL ROLE sec_bob;
SELECT is((SELECT count(*)::int FROM isms.outbox), 151, 'an editor of organisation 2 sees its 151 transactions');
SELECT is((SELECT count(DISTINCT seq)::int FROM isms.events_after(0)), 100, 'events_after(0) returns the first 100 of them');
SELECT is((SELECT min(seq) FROM isms.events_after(100)), 101::bigint, 'and the poller goes on from the largest seq');
SELECT is((SELECT array_agg(log_id ORDER BY log_id) FROM isms.events_after(151)), '{1153}'::bigint[],
    'and reads its own move of the shared transaction');
RESET ROLE;

SET LOCAL ROLE sec_outsider;
SELECT throws_ok('SELECT count(*) FROM isms.outbox', '42501', NULL, 'a role without an isms role cannot read the outbox');
SELECT throws_ok('SELECT * FROM isms.events_after(0)', '42501', NULL, 'nor call events_after()');
RESET ROLE;

CREATE ROLE sec_nomember LOGIN; GRANT isms_reader TO sec_nomember;
SET LOCAL ROLE sec_nomember;
SELECT is((SELECT count(*)::int FROM isms.outbox), 0, 'a reader of no organisation sees no outbox row');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM isms.outbox), 152, 'a superuser sees them all');

SELECT * FROM finish();
ROLLBACK;
