-- isms.events_for_org(): the moves of one organisation's sealed
-- transactions, read from its trail in seq order.  The seals are appended
-- at commit (the isolation spec workflow_seal tests them with commits); in
-- this one transaction they are appended as the engine does, one per
-- transaction of log rows, with its outbox row for events_after.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
\ir workflow_fixture.psql
SELECT plan(12);

-- three transactions of organisation 1, two of organisation 2
INSERT INTO isms.transition_log (log_id, org_id, record_table, record_id, cycle, from_state, to_state, actor, at, xact_id, record_table_name)
VALUES (9001, 1, 'isms.incident', 1, 1, 'reported', 'triaged', 'ann@a.example', now(), '7001', 'isms.incident'),
       (9002, 1, 'isms.incident', 1, 1, 'triaged', 'contained', 'ann@a.example', now(), '7001', 'isms.incident'),
       (9003, 2, 'isms.incident', 2, 1, 'reported', 'triaged', 'bob@b.example', now(), '7002', 'isms.incident'),
       (9004, 1, 'isms.incident', 1, 1, 'contained', 'resolved', 'ann@a.example', now(), '7003', 'isms.incident'),
       (9005, 2, 'isms.incident', 2, 1, 'triaged', 'contained', 'bob@b.example', now(), '7004', 'isms.incident'),
       (9006, 1, 'isms.incident', 1, 1, 'resolved', 'closed', 'ann@a.example', now(), '7005', 'isms.incident');
CREATE TEMP TABLE sealed (org bigint, xact xid8, seq bigint);
GRANT SELECT ON sealed TO PUBLIC;
INSERT INTO sealed
SELECT l.org_id, l.xact_id,
       isms.trail_append_engine(l.org_id, 'isms.transition_log'::regclass, 0, 'transitions',
           jsonb_build_object('xact_id', l.xact_id::text,
                              'batches', jsonb_build_array(jsonb_build_array(min(l.log_id), max(l.log_id), count(*),
                                  encode(sha256(convert_to(string_agg(isms.transition_log_encoding(l), '' ORDER BY l.log_id), 'UTF8')), 'hex')))))
  FROM isms.transition_log l WHERE l.log_id BETWEEN 9001 AND 9006
 GROUP BY l.org_id, l.xact_id ORDER BY min(l.log_id);
INSERT INTO isms.outbox (seq, xact_id, first_log_id, last_log_id, events, committed_at)
SELECT 800 + row_number() OVER (ORDER BY min(l.log_id)), l.xact_id, min(l.log_id), max(l.log_id), count(*), now()
  FROM isms.transition_log l WHERE l.log_id BETWEEN 9001 AND 9006 GROUP BY l.xact_id;

SELECT is((SELECT count(*) FROM isms.verify_transition_log(1) WHERE log_id BETWEEN 9001 AND 9006), 0::bigint,
    'the seals are the engine''s: verify_transition_log finds them intact');

SET LOCAL ROLE wf_reader;
SELECT is((SELECT array_agg(log_id ORDER BY seq, log_id) FROM isms.events_for_org(1) WHERE log_id BETWEEN 9001 AND 9006),
    '{9001,9002,9004,9006}'::bigint[], 'events_for_org(1): the moves of organisation 1 only, in commit order');
SELECT is((SELECT array_agg(DISTINCT e.seq ORDER BY e.seq) FROM isms.events_for_org(1) e WHERE e.log_id BETWEEN 9001 AND 9006),
    (SELECT array_agg(seq ORDER BY seq) FROM sealed WHERE org = 1), 'seq is the trail seq of the seal');
SELECT is((SELECT count(DISTINCT e.seq)::int FROM isms.events_for_org(1, 0, 2) e), 2,
    'max_transactions counts transactions');
SELECT is((SELECT array_agg(e.log_id ORDER BY e.log_id) FROM isms.events_for_org(1, (SELECT min(seq) FROM sealed WHERE org = 1), 1) e),
    '{9004}'::bigint[], 'paging with after_seq: the next transaction after the one seen');
SELECT is((SELECT count(*) FROM isms.events_for_org(1, (SELECT max(seq) FROM sealed WHERE org = 1))), 0::bigint,
    'nothing after the last seal');
SELECT is((SELECT array_agg(ROW(e.log_id, e.org_id, e.record_table, e.record_id, e.from_state, e.to_state, e.cycle, e.actor, e.reason, e.at)::text ORDER BY e.log_id)
             FROM isms.events_for_org(1) e WHERE e.log_id BETWEEN 9001 AND 9006),
          (SELECT array_agg(ROW(e.log_id, e.org_id, e.record_table, e.record_id, e.from_state, e.to_state, e.cycle, e.actor, e.reason, e.at)::text ORDER BY e.log_id)
             FROM isms.events_after(0) e WHERE e.log_id BETWEEN 9001 AND 9006 AND e.org_id = 1),
    'the rows are those events_after returns for the same transactions');
SELECT throws_ok($$SELECT * FROM isms.events_for_org(2)$$, '42501', NULL,
    'a reader of organisation 1 is refused the events of organisation 2 (42501)');
SELECT throws_ok($$SELECT * FROM isms.events_for_org(NULL)$$, '22004', NULL, 'a NULL organisation is refused (22004)');
SELECT throws_ok($$SELECT * FROM isms.events_for_org(1, NULL)$$, '22004', NULL, 'a NULL after_seq is refused (22004)');
SELECT throws_ok($$SELECT * FROM isms.events_for_org(1, 0, 0)$$, '22023', NULL, 'max_transactions 0 is refused (22023)');
RESET ROLE;

-- a transaction that aborts leaves no seal and no event
SAVEPOINT s;
SET LOCAL ROLE wf_editor;
INSERT INTO isms.improvement (org_id, title, description, owner) VALUES (1, 'Aborted', 'x', 'CISO');
ROLLBACK TO SAVEPOINT s;
RESET ROLE;
SELECT is((SELECT count(*) FROM isms.events_for_org(1) WHERE record_table = 'isms.improvement'), 0::bigint,
    'an aborted transaction leaves nothing in the feed');

SELECT * FROM finish();
ROLLBACK;
