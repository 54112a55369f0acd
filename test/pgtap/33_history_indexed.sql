-- as_of() on a history indexed by isms.index_history(): the same rows as
-- the full scan at every instant (updates, a deletion, a version without a
-- valid-from, several organisations), one organisation's rows only for a
-- member, and the refusals of index_history().
BEGIN;
CREATE EXTENSION isms;
SET LOCAL search_path = public, isms;
SELECT plan(16);

CREATE TABLE tap_reg (
    org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY,
    title text NOT NULL, rating int,
    updated_at timestamptz,
    PRIMARY KEY (org_id, id));
ALTER TABLE tap_reg ENABLE ROW LEVEL SECURITY;
ALTER TABLE tap_reg FORCE ROW LEVEL SECURITY;
CREATE POLICY member ON tap_reg USING (org_id = ANY ((SELECT isms.member_orgs())::bigint[]));
GRANT SELECT ON tap_reg TO isms_reader;
SELECT isms.enable_history('tap_reg');

INSERT INTO isms.organization (code, name) VALUES ('A', 'Org A'), ('B', 'Org B');
INSERT INTO tap_reg (org_id, title, rating, updated_at) VALUES
    (1, 'Phishing', 1, '2024-01-01'), (1, 'Ransomware', 2, '2024-01-01'), (2, 'Flood', 3, '2024-01-01'),
    (2, 'Fire', 1, '2024-01-10'), (1, 'Always there', 5, NULL);
UPDATE tap_reg SET rating = 2, updated_at = '2024-02-01' WHERE title = 'Phishing';
UPDATE tap_reg SET rating = 3, updated_at = '2024-03-01' WHERE title = 'Phishing';
UPDATE tap_reg SET title = 'Ransomware attack', updated_at = '2024-03-01' WHERE title = 'Ransomware';
UPDATE tap_reg SET rating = 4, updated_at = '2024-02-15' WHERE title IN ('Flood', 'Fire');
-- a version without a valid-from: valid from the beginning of time
UPDATE tap_reg SET rating = 6, updated_at = '2024-04-01' WHERE title = 'Always there';
DELETE FROM tap_reg WHERE title = 'Fire';

-- the rows at each instant, by the full scan (no index yet)
CREATE TEMP TABLE instants (at timestamptz);
INSERT INTO instants VALUES ('2023-06-01'), ('2024-01-01'), ('2024-01-05'), ('2024-01-10'), ('2024-01-31'),
    ('2024-02-01'), ('2024-02-14'), ('2024-02-15'), ('2024-02-20'), ('2024-03-01'), ('2024-03-15'),
    ('2024-04-01'), ('2030-01-01'), (clock_timestamp()), (now());
CREATE TEMP TABLE scanned AS
SELECT i.at, r.* FROM instants i, LATERAL isms.as_of(NULL::tap_reg, i.at) r;
SELECT ok((SELECT count(*) FROM scanned) > 40, 'the full scan finds the versions of every instant');
SELECT is_empty($$SELECT 1 FROM pg_index WHERE indrelid = 'isms_history.tap_reg'::regclass$$,
                'enable_history makes no index on the history table');

SELECT lives_ok($$SELECT isms.index_history('tap_reg')$$, 'index_history indexes the history');
SELECT has_index('isms_history', 'tap_reg', 'tap_reg_version', ARRAY['org_id', 'id', 'updated_at'],
                 'each record''s versions by (org_id, id, updated_at)');
SELECT has_index('isms_history', 'tap_reg', 'tap_reg_deleted', ARRAY['org_id', 'id'],
                 'the deleted records by (org_id, id)');
SELECT is((SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'isms_history.tap_reg_deleted'::regclass),
          '(change = ''DELETE''::text)', 'the second index holds the deletions only');
SELECT lives_ok($$SELECT isms.index_history('tap_reg')$$, 'index_history runs again harmlessly');

-- the indexed path gives the same rows at every instant
SELECT set_eq($$SELECT i.at, r.* FROM instants i, LATERAL isms.as_of(NULL::tap_reg, i.at) r$$,
              $$SELECT * FROM scanned$$, 'indexed: the same rows as the full scan at every instant');
SELECT results_eq($$SELECT title, rating FROM isms.as_of(NULL::tap_reg, '2024-02-20') ORDER BY id$$,
                  $$VALUES ('Phishing', 2), ('Ransomware', 2), ('Flood', 4), ('Fire', 4), ('Always there', 5)$$,
                  'as of 2024-02-20: each record''s version of then, the deleted one included');
SELECT results_eq($$SELECT title, rating FROM isms.as_of(NULL::tap_reg, '2023-06-01') ORDER BY id$$,
                  $$VALUES ('Always there', 5)$$,
                  'before anything: only the version without a valid-from');
SELECT is((SELECT count(*) FROM isms.as_of(NULL::tap_reg, '2030-01-01')), 4::bigint,
          'later: the current rows, not the deleted one');

-- a member of organisation 1 sees its organisation's rows only
CREATE ROLE tap_asof_reader;
GRANT isms_reader TO tap_asof_reader;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'tap_asof_reader');
SET LOCAL ROLE tap_asof_reader;
SELECT results_eq($$SELECT org_id, title, rating FROM isms.as_of(NULL::tap_reg, '2024-02-20') ORDER BY id$$,
                  $$VALUES (1::bigint, 'Phishing', 2), (1, 'Ransomware', 2), (1, 'Always there', 5)$$,
                  'a member of organisation 1: its rows of then, none of organisation 2');
SELECT throws_ok($$SELECT isms.index_history('tap_reg')$$, '42501', NULL,
                 'a member may not index a history');
RESET ROLE;

-- refusals
CREATE TABLE tap_plain (org_id bigint, id bigint, updated_at timestamptz);
SELECT throws_ok($$SELECT isms.index_history('tap_plain')$$, '42704', NULL,
                 'index_history of a table whose history is not kept');

-- an index of another shape leaves as_of on the full scan, with the same rows
DROP INDEX isms_history.tap_reg_deleted;
CREATE INDEX tap_reg_deleted_other ON isms_history.tap_reg (org_id, id) WHERE change = 'UPDATE';
SELECT set_eq($$SELECT i.at, r.* FROM instants i, LATERAL isms.as_of(NULL::tap_reg, i.at) r$$,
              $$SELECT * FROM scanned$$, 'without the index of the deletions: the full scan, the same rows');
SELECT lives_ok($$SELECT isms.index_history('tap_reg')$$, 'index_history makes the missing index again');

SELECT * FROM finish();
ROLLBACK;
