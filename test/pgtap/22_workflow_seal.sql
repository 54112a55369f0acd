-- The transition log is append-only and sealed in the evidence trail: one
-- trail entry per organisation per written batch, whose SHA-256 over the
-- log rows isms.verify_transition_log() recomputes.  Tampering as a
-- superuser (with the protection disabled) is found at the right row.
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
\ir workflow_fixture.psql
SELECT plan(16);

SET LOCAL ROLE wf_editor;
SET LOCAL isms.actor = 'Zoë Ångström';
INSERT INTO isms.improvement (org_id, title, description, owner)
SELECT 1, 'Seal ' || g, 'x', 'CISO' FROM generate_series(1, 2500) g;
SET LOCAL isms.reason = 'batch "approval" \ with odd characters';
UPDATE isms.improvement SET status = 'approved' WHERE title LIKE 'Seal %';
RESET isms.reason;
RESET ROLE;

SELECT is((SELECT count(*) FROM isms.trail WHERE org_id = 1 AND action = 'transitions'), 6::bigint,
    '5,000 moves in two statements are sealed by six trail entries (batches of 1,000 and the rest)');
SELECT is((SELECT sum((payload->>'count')::int) FROM isms.trail WHERE org_id = 1 AND action = 'transitions'), 5000::bigint,
    'the seals cover every log row once');
SELECT is_empty($$SELECT * FROM isms.verify_transition_log(1)$$, 'the sealed log verifies');
SELECT is_empty($$SELECT * FROM isms.verify_trail(1)$$, 'and the trail that seals it is intact');
SELECT is_empty($$SELECT * FROM isms.verify_transition_log(2)$$, 'an organisation with no moves verifies empty');

-- nobody changes the log, not even its owner
SELECT throws_ok($$UPDATE isms.transition_log SET actor = 'mallory'$$, 'IS020', NULL, 'UPDATE of the log is refused (IS020), for the superuser too');
SELECT throws_ok($$DELETE FROM isms.transition_log$$, 'IS020', NULL, 'DELETE of the log is refused');
SELECT throws_ok($$TRUNCATE isms.transition_log$$, 'IS020', NULL, 'TRUNCATE of the log is refused');
SELECT throws_ok($$DELETE FROM isms.outbox$$, 'IS020', NULL, 'the outbox is append-only too');

-- tampering, with the protection disabled by a superuser
ALTER TABLE isms.transition_log DISABLE TRIGGER transition_log_append_only;
CREATE TEMP TABLE victim AS
SELECT log_id FROM isms.transition_log WHERE org_id = 1 AND to_state = 'approved' ORDER BY log_id OFFSET 1500 LIMIT 1;

SAVEPOINT tamper;
UPDATE isms.transition_log SET actor = 'Zoe Angstrom' WHERE log_id = (SELECT log_id FROM victim);
SELECT is((SELECT count(*) FROM isms.verify_transition_log(1)), 1::bigint, 'a changed actor breaks exactly one seal');
SELECT is((SELECT problem FROM isms.verify_transition_log(1)), 'log rows changed since they were sealed',
    'reported as a change');
SELECT ok((SELECT v.log_id <= (SELECT log_id FROM victim) AND (SELECT log_id FROM victim) <= (t.payload->>'last_log_id')::bigint
             FROM isms.verify_transition_log(1) v JOIN isms.trail t ON t.org_id = 1 AND t.seq = v.trail_seq),
    'the broken seal is the one that covers the changed row');
ROLLBACK TO tamper;

DELETE FROM isms.transition_log WHERE log_id = (SELECT log_id FROM victim);
SELECT is((SELECT problem FROM isms.verify_transition_log(1)), 'the seal covers 1000 log rows, 999 are there',
    'a deleted row is found by its seal''s count');
ROLLBACK TO tamper;

INSERT INTO isms.transition_log (log_id, org_id, record_table, record_id, cycle, from_state, to_state, actor, at, xact_id)
VALUES (999999999, 1, 'isms.improvement', 1, 1, 'approved', 'implementing', 'mallory', now(), pg_current_xact_id());
SELECT is((SELECT format('%s %s', log_id, problem) FROM isms.verify_transition_log(1)),
    '999999999 log row not sealed by any trail entry', 'a forged row is found unsealed');
ROLLBACK TO tamper;

UPDATE isms.transition_log SET reason = 'approved by the board' WHERE log_id = (SELECT log_id FROM victim);
SELECT is((SELECT count(*) FROM isms.verify_transition_log(1)), 1::bigint, 'a changed reason breaks the seal');
ROLLBACK TO tamper;
ALTER TABLE isms.transition_log ENABLE ALWAYS TRIGGER transition_log_append_only;

-- the seal's hash is reproducible from the documented encoding
SELECT is((SELECT payload->>'sha256' FROM isms.trail WHERE org_id = 1 AND action = 'transitions' ORDER BY seq LIMIT 1),
          (SELECT encode(sha256(convert_to(string_agg(isms.transition_log_encoding(l), '' ORDER BY l.log_id), 'UTF8')), 'hex')
             FROM isms.transition_log l, (SELECT payload FROM isms.trail WHERE org_id = 1 AND action = 'transitions' ORDER BY seq LIMIT 1) t
            WHERE l.org_id = 1 AND l.log_id BETWEEN (t.payload->>'first_log_id')::bigint AND (t.payload->>'last_log_id')::bigint
              AND l.xact_id = (t.payload->>'xact_id')::xid8),
    'the first seal equals the SHA-256 of its rows'' documented encoding');

SELECT * FROM finish();
ROLLBACK;
