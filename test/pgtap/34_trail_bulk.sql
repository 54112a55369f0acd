-- Bulk appends: many entries in one statement keep the documented encoding
-- and a gap-free chain; an append locks the trail and its indexes until the
-- transaction ends, as an INSERT does, and a rolled-back savepoint, DDL on
-- the trail in the middle of a statement and a switch between
-- organisations are all seen by the next append.
BEGIN;
CREATE EXTENSION isms;
CREATE EXTENSION amcheck;
SET LOCAL search_path = public, isms;
SELECT plan(21);

CREATE TABLE tap_reg (
    org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY,
    title text, updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id));
INSERT INTO isms.register (relid, name, clause, title, reviewable, has_workflow)
    VALUES ('tap_reg', 'tap_reg', '4.1', 'Bulk trail test register', false, false);

-- the canonical encoding of the README, in SQL, as in 30_trail.sql
CREATE FUNCTION pg_temp.ns(t text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT octet_length(convert_to(t, 'UTF8')) || ':' || t || ',' $$;
CREATE FUNCTION pg_temp.entry_hash(t isms.trail) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT sha256(t.prev_hash || convert_to(
        pg_temp.ns(t.org_id::text) || pg_temp.ns(t.seq::text)
        || pg_temp.ns(to_char(t.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || pg_temp.ns(t.actor) || pg_temp.ns(t.record_table) || pg_temp.ns(t.record_id::text)
        || pg_temp.ns(t.action) || pg_temp.ns(t.payload::text)
        || CASE WHEN t.login_role IS NULL THEN '' ELSE pg_temp.ns(t.login_role) || pg_temp.ns(t.source) END,
        'UTF8'))
$$;
-- this backend's locks on a relation, by mode
CREATE FUNCTION pg_temp.holds(rel regclass, lockmode text) RETURNS boolean LANGUAGE sql AS $$
    SELECT EXISTS (SELECT FROM pg_locks WHERE pid = pg_backend_pid() AND relation = rel
                      AND mode = lockmode AND granted)
$$;

-- first, before any append of this transaction: the locks of an append
-- made in a savepoint go with it when it is rolled back
SELECT ok(NOT pg_temp.holds('isms.trail', 'RowExclusiveLock'), 'no append yet: no RowExclusiveLock on isms.trail');
SAVEPOINT s;
SELECT isms.trail_append(302, 'tap_reg', 1, 'rolled back', NULL);
ROLLBACK TO SAVEPOINT s;
SELECT ok(NOT pg_temp.holds('isms.trail', 'RowExclusiveLock'),
          'rolling back the savepoint released the lock its append took');
SELECT is(isms.trail_append(302, 'tap_reg', 1, 'after rollback', NULL), 1::bigint,
          'the next append starts the chain at 1');
SELECT ok(pg_temp.holds('isms.trail', 'RowExclusiveLock') AND pg_temp.holds('isms.trail_pkey', 'RowExclusiveLock'),
          'and locks the trail and its primary key again');
SELECT is(isms.trail_append(302, 'tap_reg', 2, 'next statement', NULL), 2::bigint, 'a later statement appends on');
SELECT ok(pg_temp.holds('isms.trail', 'RowExclusiveLock'),
          'the lock is kept after the statement, until the transaction ends, as an INSERT keeps it');

-- 2,000 appends in one statement, with payloads small, non-ASCII and of
-- 100 kB (whose buffer is not kept)
SELECT is((SELECT count(*) FROM (
              SELECT isms.trail_append(300, 'tap_reg', g, 'bulk',
                     CASE WHEN g % 500 = 0 THEN jsonb_build_object('big', repeat('x', 100000), 'g', g)
                          WHEN g % 3 = 0 THEN jsonb_build_object('note', 'Überprüfung – ✓ 検査', 'g', g)
                          ELSE jsonb_build_object('g', g) END)
                FROM generate_series(1, 2000) g) s), 2000::bigint,
          '2,000 appends in one statement');
SELECT is((SELECT array_agg(seq ORDER BY seq) FROM isms.trail WHERE org_id = 300),
          ARRAY(SELECT generate_series(1, 2000)::bigint), 'seq runs 1..2000 without a gap');
SELECT is_empty($$SELECT FROM isms.trail t WHERE org_id = 300 AND t.hash <> pg_temp.entry_hash(t)$$,
                'every hash is the documented encoding''s, large and non-ASCII payloads included');
SELECT is_empty($$SELECT FROM isms.trail a JOIN isms.trail b ON b.org_id = a.org_id AND b.seq = a.seq + 1
                  WHERE a.org_id = 300 AND b.prev_hash <> a.hash$$,
                'every prev_hash is the previous entry''s hash');
SELECT is_empty('SELECT * FROM isms.verify_trail(300)', 'the bulk chain verifies');

-- one statement alternating between two organisations
SELECT count(isms.trail_append(320 + g % 2, 'tap_reg', g, 'alternate', jsonb_build_object('g', g)))
  FROM generate_series(1, 100) g;
SELECT is((SELECT array_agg(org_id || ':' || n ORDER BY org_id)
             FROM (SELECT org_id, count(*) FILTER (WHERE seq BETWEEN 1 AND 50) AS n FROM isms.trail
                    WHERE org_id IN (320, 321) GROUP BY org_id) c),
          ARRAY['320:50', '321:50'], 'alternating appends give each organisation 1..50');
SELECT is_empty('SELECT o, v.* FROM unnest(ARRAY[320, 321]) o, isms.verify_trail(o) v',
                'and both chains verify');

-- DDL on the trail between the appends of one statement: an index created
-- gets the entries appended after it, a unique one refuses, a dropped one
-- is left alone
CREATE FUNCTION pg_temp.around_create() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM isms.trail_append(301, 'tap_reg', g, 'before', NULL) FROM generate_series(1, 5) g;
    CREATE INDEX tap_trail_record ON isms.trail (record_id);
    CREATE UNIQUE INDEX tap_trail_unique ON isms.trail (org_id, record_id, action);
    PERFORM isms.trail_append(301, 'tap_reg', g, 'after', NULL) FROM generate_series(6, 10) g;
END $$;
SELECT lives_ok('SELECT pg_temp.around_create()', 'appends around a CREATE INDEX on the trail in one statement');
SELECT lives_ok($$SELECT bt_index_check('isms.tap_trail_record', true)$$,
                'the new index has an entry for every row (amcheck, heapallindexed)');
SELECT lives_ok($$SELECT bt_index_check('isms.tap_trail_unique', true)$$, 'and so has the unique one');
SELECT throws_ok($$SELECT isms.trail_append(301, 'tap_reg', 6, 'after', NULL)$$, '23505', NULL,
                 'the new unique index is enforced on the next append');
CREATE FUNCTION pg_temp.around_drop() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM isms.trail_append(301, 'tap_reg', g, 'before drop', NULL) FROM generate_series(11, 15) g;
    DROP INDEX isms.tap_trail_unique;
    PERFORM isms.trail_append(301, 'tap_reg', g, 'after', NULL) FROM generate_series(6, 10) g;
END $$;
SELECT lives_ok('SELECT pg_temp.around_drop()', 'appends around a DROP INDEX in one statement');
SELECT lives_ok($$SELECT bt_index_check('isms.trail_pkey', true)$$, 'the primary key has an entry for every row');
SELECT is_empty('SELECT * FROM isms.verify_trail(301)', 'and the chain verifies: 1..20');

-- the timestamps of the encoding at their edges, written by hand in C and
-- by to_char() in SQL: each made the only entry of a chain of its own,
-- with its hash recomputed, then verified
SELECT isms.trail_append(o, 'tap_reg', 1, 'clock', NULL) FROM generate_series(310, 315) o;
ALTER TABLE isms.trail DISABLE TRIGGER trail_append_only;
UPDATE isms.trail t SET recorded_at = v.ts
  FROM (VALUES (310, '0001-01-01 00:00:00+00'::timestamptz), (311, '9999-12-31 23:59:59.999999+00'),
               (312, '2024-02-29 01:02:03.000004+00'), (313, '1999-12-31 23:59:59.5+00'),
               (314, '2026-06-15 10:20:30.123456+00'), (315, '0999-09-09 09:09:09.090909+00')) v(o, ts)
 WHERE t.org_id = v.o;
UPDATE isms.trail t SET hash = pg_temp.entry_hash(t) WHERE org_id BETWEEN 310 AND 315;
ALTER TABLE isms.trail ENABLE ALWAYS TRIGGER trail_append_only;
SELECT is_empty('SELECT o, v.* FROM generate_series(310, 315) o, isms.verify_trail(o) v',
                'verification formats years 1 to 9999 and every microsecond as to_char() does');

SELECT * FROM finish();
ROLLBACK;
