-- The transition log's keys: the primary key (org_id, log_id) is the one
-- B-tree of one organisation's log in order (the organisation index it
-- replaces is gone), log_id alone has the BRIN index (at, log_id), and a
-- row whose (org_id, log_id) is taken is refused.  log_id is unique across
-- organisations by its sequence: a row forged with another organisation's
-- log_id is found by the verification as unsealed.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
SELECT plan(8);
SELECT pg_temp.seed(1) \g /dev/null

CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    plan text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        plan := plan || line || ' ';
    END LOOP;
    RETURN plan;
END $$;

SELECT col_is_pk('isms', 'transition_log', ARRAY['org_id', 'log_id'],
    'the primary key of the transition log is (org_id, log_id)');
SELECT hasnt_index('isms', 'transition_log', 'transition_log_org_idx',
    'no separate index on (org_id, log_id)');
SELECT is((SELECT count(*)::int FROM pg_index i WHERE i.indrelid = 'isms.transition_log'::regclass
             AND (SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.oid = i.indexrelid) = 'btree'),
          3, 'three B-trees on the log: the key, the moves of a record, the moves the reports read');
SELECT is(pg_get_indexdef('isms.transition_log_at'::regclass),
          'CREATE INDEX transition_log_at ON isms.transition_log USING brin (at, log_id)',
          'log_id alone is read through the block ranges');

-- a move of organisation 1, logged with its key
UPDATE isms.improvement SET status = 'approved' WHERE org_id = 1 AND id = 1;
SELECT is((SELECT count(*)::int FROM isms.transition_log WHERE org_id = 1 AND from_state = 'proposed' AND to_state = 'approved'),
          1, 'the move is logged');
SELECT max(log_id) AS moved FROM isms.transition_log WHERE org_id = 1 \gset

-- a superuser's row on a key that is taken
SELECT throws_ok(format($$INSERT INTO isms.transition_log (log_id, org_id, record_table, record_id, cycle, from_state, to_state, actor, at, xact_id, record_table_name)
                          VALUES (%s, 1, 'isms.improvement', 1, 1, 'approved', 'implementing', 'mallory', now(), pg_current_xact_id(), 'isms.improvement')$$, :moved),
                 '23505', NULL, 'a second log row with the same (org_id, log_id) is refused');

-- the same log_id under another organisation: no key stops it, the seal does
INSERT INTO isms.transition_log (log_id, org_id, record_table, record_id, cycle, from_state, to_state, actor, at, xact_id, record_table_name)
VALUES (:moved, 3, 'isms.improvement', 1, 1, 'proposed', 'approved', 'mallory', now(), pg_current_xact_id(), 'isms.improvement');
SELECT results_eq(
    $$SELECT log_id, problem FROM isms.verify_transition_log(3)$$,
    format($$VALUES (%s::bigint, 'log row not sealed by any trail entry'::text)$$, :moved),
    'a row forged with another organisation''s log_id is found as unsealed');

-- one organisation's log in order is read through the primary key
SET LOCAL enable_seqscan = off;
SELECT matches(pg_temp.plan_of('SELECT log_id FROM isms.transition_log WHERE org_id = 1 ORDER BY log_id'),
          '(using|on) transition_log_pkey',
          'one organisation''s log in order: an index scan of the primary key');
RESET enable_seqscan;

SELECT * FROM finish();
ROLLBACK;
