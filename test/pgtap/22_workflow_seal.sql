-- The transition log is append-only for every role, and its seals go into
-- the trail at commit (tested with commits by the isolation spec
-- workflow_seal): inside the moving transaction there is none yet, so the
-- organisation's trail lock is not held while the transaction works.
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
\ir workflow_fixture.psql
SELECT plan(7);

SET LOCAL ROLE wf_editor;
INSERT INTO isms.improvement (org_id, title, description, owner)
SELECT 1, 'Seal ' || g, 'x', 'CISO' FROM generate_series(1, 2500) g;
UPDATE isms.improvement SET status = 'approved' WHERE title LIKE 'Seal %';
RESET ROLE;

SELECT is((SELECT count(*) FROM isms.transition_log WHERE org_id = 1), 5000::bigint, '5,000 moves are logged');
SELECT is((SELECT count(*) FROM isms.trail WHERE org_id = 1 AND action = 'transitions'), 0::bigint,
    'their seal is appended at commit, not while the transaction runs');
SELECT is((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), 0::bigint,
    'so no trail lock is held while the transaction works');

-- nobody changes the log, not even its owner
SELECT throws_ok($$UPDATE isms.transition_log SET actor = 'mallory'$$, 'IS020', NULL, 'UPDATE of the log is refused (IS020), for the superuser too');
SELECT throws_ok($$DELETE FROM isms.transition_log$$, 'IS020', NULL, 'DELETE of the log is refused');
SELECT throws_ok($$TRUNCATE isms.transition_log$$, 'IS020', NULL, 'TRUNCATE of the log is refused');
SELECT throws_ok($$DELETE FROM isms.outbox$$, 'IS020', NULL, 'the outbox is append-only too');

SELECT * FROM finish();
ROLLBACK;
