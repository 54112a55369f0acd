-- Register history: superseded versions with their validity, as-of
-- queries, refusals, and a register that changes shape.
BEGIN;
CREATE EXTENSION isms;
SET LOCAL search_path = public, isms;
SELECT plan(48);

CREATE TABLE tap_risk (
    org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY,
    title text NOT NULL, rating int, notes text,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, id));

SELECT is(isms.enable_history('tap_risk')::text, 'isms_history.tap_risk',
          'enable_history makes isms_history.tap_risk');
SELECT columns_are('isms_history', 'tap_risk',
                   ARRAY['org_id', 'id', 'title', 'rating', 'notes', 'updated_at', 'valid', 'changed_by', 'change'],
                   'the history table has the register''s columns and valid, changed_by, change');
SELECT col_type_is('isms_history', 'tap_risk', 'valid', 'tstzrange', 'valid is a tstzrange');
SELECT has_trigger('tap_risk', 'isms_history_update', 'the UPDATE capture trigger exists');
SELECT has_trigger('tap_risk', 'isms_history_delete', 'the DELETE capture trigger exists');
SELECT is(isms.enable_history('tap_risk')::text, 'isms_history.tap_risk', 'enable_history runs again harmlessly');

-- a year of a small register, with explicit times
INSERT INTO tap_risk (org_id, title, rating, updated_at) VALUES
    (1, 'Phishing', 1, '2024-01-01'), (1, 'Ransomware', 2, '2024-01-01'), (2, 'Flood', 3, '2024-01-01');
SET LOCAL isms.actor = 'alice';
UPDATE tap_risk SET rating = 2, updated_at = '2024-02-01' WHERE id = 1;
UPDATE tap_risk SET rating = 3, updated_at = '2024-03-01' WHERE id = 1;
UPDATE tap_risk SET title = 'Ransomware attack', updated_at = '2024-03-01' WHERE id = 2;
RESET isms.actor;
SELECT clock_timestamp() AS before_delete \gset
DELETE FROM tap_risk WHERE id = 3;
UPDATE tap_risk SET rating = rating;

SELECT is((SELECT count(*) FROM isms_history.tap_risk), 4::bigint,
          'four superseded versions; an UPDATE that changes nothing adds none');
SELECT results_eq($$SELECT rating, valid FROM isms_history.tap_risk WHERE id = 1 ORDER BY valid$$,
                  $$VALUES (1, tstzrange('2024-01-01', '2024-02-01')), (2, tstzrange('2024-02-01', '2024-03-01'))$$,
                  'each version is valid from its updated_at to the next one''s');
SELECT is((SELECT max(upper(valid)) FROM isms_history.tap_risk WHERE id = 1),
          (SELECT updated_at FROM tap_risk WHERE id = 1),
          'the last superseded version ends where the current one begins');
SELECT results_eq($$SELECT changed_by, change FROM isms_history.tap_risk WHERE id = 1 ORDER BY valid LIMIT 1$$,
                  $$VALUES ('alice', 'UPDATE')$$, 'who superseded it, and how');
SELECT results_eq(format($$SELECT title, change, lower(valid) = '2024-01-01' AND upper(valid) >= %L
                             AND upper(valid) <= clock_timestamp() FROM isms_history.tap_risk WHERE id = 3$$, :'before_delete'),
                  $$VALUES ('Flood', 'DELETE', true)$$,
                  'a deleted row''s last version ends at the deletion: its clock time, not the transaction''s start');

-- as of
SELECT is_empty($$SELECT * FROM isms.as_of(NULL::tap_risk, '2023-12-31')$$, 'nothing before the register began');
SELECT results_eq($$SELECT id, title, rating FROM isms.as_of(NULL::tap_risk, '2024-01-15') ORDER BY id$$,
                  $$VALUES (1::bigint, 'Phishing', 1), (2, 'Ransomware', 2), (3, 'Flood', 3)$$,
                  'as of 2024-01-15: the first versions');
SELECT results_eq($$SELECT id, title, rating FROM isms.as_of(NULL::tap_risk, '2024-02-15') ORDER BY id$$,
                  $$VALUES (1::bigint, 'Phishing', 2), (2, 'Ransomware', 2), (3, 'Flood', 3)$$,
                  'as of 2024-02-15: the second version of risk 1');
SELECT results_eq($$SELECT id, title, rating FROM isms.as_of(NULL::tap_risk, '2024-03-01') ORDER BY id$$,
                  $$VALUES (1::bigint, 'Phishing', 3), (2, 'Ransomware attack', 2), (3, 'Flood', 3)$$,
                  'as of the instant of a change: the new version');
SELECT upper(valid) AS deleted_at FROM isms_history.tap_risk WHERE id = 3 \gset
SELECT results_eq(format($$SELECT id FROM isms.as_of(NULL::tap_risk, %L::timestamptz - interval '1 microsecond') ORDER BY id$$, :'deleted_at'),
                  $$VALUES (1::bigint), (2), (3)$$, 'just before the deletion: the deleted row is there');
SELECT results_eq(format($$SELECT id FROM isms.as_of(NULL::tap_risk, %L) ORDER BY id$$, :'deleted_at'),
                  $$VALUES (1::bigint), (2)$$, 'at the deletion: it is gone');
SELECT results_eq($$SELECT id, rating FROM isms.as_of(NULL::tap_risk, clock_timestamp()) ORDER BY id$$,
                  $$SELECT id, rating FROM tap_risk ORDER BY id$$, 'as of now: the register itself');
SELECT is((SELECT pg_typeof(a)::text FROM isms.as_of(NULL::tap_risk, now()) a LIMIT 1), 'tap_risk',
          'as_of returns rows of the register''s own type');
SELECT is((SELECT count(*) FROM isms.as_of(NULL::tap_risk, '2024-02-15') a WHERE a.org_id = 1), 2::bigint,
          'as_of composes with WHERE');

-- a version inserted and changed in one transaction was never in force
INSERT INTO tap_risk (org_id, title, rating, updated_at) VALUES (1, 'Draft risk', 1, now());
UPDATE tap_risk SET rating = 5, updated_at = now() WHERE title = 'Draft risk';
SELECT ok((SELECT isempty(valid) FROM isms_history.tap_risk WHERE title = 'Draft risk'),
          'an intermediate version of one transaction is kept with an empty validity');

-- more rows than one insert batch, and a value stored out of line; capture
-- maintains an index added for per-record lookups
CREATE INDEX tap_risk_history_idx ON isms_history.tap_risk (org_id, id);
INSERT INTO tap_risk (org_id, title, rating, updated_at)
SELECT 3, 'Bulk ' || g, 1, '2024-01-01' FROM generate_series(1, 2500) g;
UPDATE tap_risk SET notes = (SELECT string_agg(md5(g::text || random()::text), '') FROM generate_series(1, 400) g),
                    updated_at = '2024-05-01' WHERE title = 'Phishing';
UPDATE tap_risk SET rating = 2, updated_at = '2024-06-01' WHERE org_id = 3 OR title = 'Phishing';
SELECT is((SELECT count(*) FROM isms_history.tap_risk WHERE org_id = 3), 2500::bigint,
          'a 2,500-row UPDATE keeps 2,500 versions');
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT is((SELECT count(*) FROM isms_history.tap_risk WHERE org_id = 3 AND id > 0), 2500::bigint,
          'and an index on the history table has them all');
RESET enable_seqscan;
SELECT is((SELECT h.notes FROM isms_history.tap_risk h WHERE h.title = 'Phishing' AND h.rating = 3
             AND lower(h.valid) = '2024-05-01'),
          (SELECT notes FROM tap_risk WHERE title = 'Phishing'),
          'a toasted value is kept whole');

-- a register stamped by isms.stamp(), as every isms register is: capture
-- reads only the old rows, and each version ends where isms.stamp() began
-- the next, at the clock time of the write
CREATE TABLE tap_stamped (
    org_id bigint NOT NULL, id bigint NOT NULL, title text,
    created_at timestamptz, created_by text, updated_at timestamptz, updated_by text,
    PRIMARY KEY (org_id, id));
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON tap_stamped FOR EACH ROW EXECUTE FUNCTION isms.stamp();
INSERT INTO tap_stamped (org_id, id, title, updated_at) VALUES (1, 1, 'One', '2024-01-01'), (1, 2, 'Two', '2024-01-01');
SELECT isms.enable_history('tap_stamped');
SELECT unalike((SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'tap_stamped'::regclass AND tgname = 'isms_history_update'),
              '%NEW TABLE%', 'a stamped register is captured from its old rows alone');
SELECT clock_timestamp() AS before_update \gset
UPDATE tap_stamped SET title = title || '!';
SELECT results_eq(format($$SELECT h.valid = tstzrange('2024-01-01', s.updated_at) AND s.updated_at >= %L
                      FROM isms_history.tap_stamped h JOIN tap_stamped s USING (org_id, id) ORDER BY id$$, :'before_update'),
                  $$VALUES (true), (true)$$,
                  'each version ends where its stamped successor begins: the clock time of the UPDATE');
SELECT ok(:'before_update'::timestamptz > now(),
          'no backdating: this transaction started long before, and the UPDATE stamps when it wrote, not its start');

-- a BEFORE trigger that fires after isms.stamp() and moves updated_at:
-- capture looks the new versions up instead
CREATE FUNCTION tap_later() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := NEW.updated_at + interval '1 hour'; RETURN NEW; END $$;
CREATE TRIGGER zz_later BEFORE UPDATE ON tap_stamped FOR EACH ROW EXECUTE FUNCTION tap_later();
UPDATE tap_stamped SET title = 'One, later' WHERE id = 1;
SELECT is((SELECT max(upper(valid)) FROM isms_history.tap_stamped WHERE id = 1),
          (SELECT updated_at FROM tap_stamped WHERE id = 1),
          'with a later trigger moving updated_at, the version still ends where the current one begins');
DROP TRIGGER zz_later ON tap_stamped;
ALTER TABLE tap_stamped DISABLE TRIGGER stamp;
UPDATE tap_stamped SET title = 'Two, unstamped', updated_at = '2030-01-01' WHERE id = 2;
SELECT is((SELECT max(upper(valid)) FROM isms_history.tap_stamped WHERE id = 2), '2030-01-01'::timestamptz,
          'with isms.stamp() disabled, the version ends at the updated_at the UPDATE set');
ALTER TABLE tap_stamped ENABLE TRIGGER stamp;
SELECT is((SELECT count(*) FROM isms_history.tap_stamped), 4::bigint, 'every version of the stamped register is kept');
DELETE FROM tap_stamped WHERE id = 1;
SELECT is((SELECT count(*) FROM isms_history.tap_stamped WHERE id = 1 AND change = 'DELETE'), 1::bigint,
          'a deletion of a stamped register row is kept');
-- monotonic per row: three UPDATEs of one row in a row, and a row whose
-- updated_at lies ahead of the clock (restored, or a clock stepped back)
UPDATE tap_stamped SET title = 'One, a' WHERE id = 1;
UPDATE tap_stamped SET title = 'One, b' WHERE id = 1;
UPDATE tap_stamped SET title = 'One, c' WHERE id = 1;
SELECT ok((SELECT bool_and(lower(valid) < upper(valid)) FROM isms_history.tap_stamped WHERE id = 1),
          'each version of a row updated several times in one transaction begins strictly after the one before');
INSERT INTO tap_stamped (org_id, id, title, updated_at) VALUES (1, 3, 'Ahead', '2100-01-01 00:00+00');
UPDATE tap_stamped SET title = 'Ahead, updated' WHERE id = 3;
SELECT is((SELECT updated_at FROM tap_stamped WHERE id = 3), '2100-01-01 00:00:00.000001+00'::timestamptz,
          'a new version never begins at or before the one it supersedes: one microsecond after it, even ahead of the clock');
SELECT ok((SELECT NOT isempty(valid) FROM isms_history.tap_stamped WHERE id = 3),
          '... and the superseded version keeps a non-empty validity');
-- an UPDATE that calls a function updating other rows of the same
-- register (a nested capture), and an UPDATE that fails half-way in a
-- subtransaction: each version still ends where the next begins
CREATE FUNCTION tap_touch(i bigint) RETURNS text LANGUAGE sql VOLATILE AS
$$ UPDATE tap_stamped SET title = title || '+' WHERE id = i + 10 RETURNING '' $$;
INSERT INTO tap_stamped (org_id, id, title) SELECT 1, g, 'N' || g FROM generate_series(11, 14) g;
UPDATE tap_stamped SET title = title || tap_touch(id) WHERE id IN (2, 3);
DO $$ BEGIN
    UPDATE tap_stamped SET title = title || (1 / (id - 12))::text WHERE id IN (11, 12, 13);
EXCEPTION WHEN division_by_zero THEN NULL;
END $$;
UPDATE tap_stamped SET title = title || '=' WHERE id >= 11;
SELECT is((SELECT count(*) FROM isms_history.tap_stamped WHERE id >= 11), 6::bigint,
          'every version of the nested and repeated UPDATEs is kept, none of the one rolled back');
SELECT is((SELECT count(*) FROM (
             SELECT upper(valid) AS hi, lead(lower(valid)) OVER (PARTITION BY id ORDER BY lower(valid)) AS nxt, id
               FROM isms_history.tap_stamped) x JOIN tap_stamped s USING (id)
            WHERE NOT (x.hi = coalesce(x.nxt, s.updated_at))), 0::bigint,
          'the versions of every row tile time: each ends where the next begins, the last where the current row begins');
SELECT ok((SELECT bool_and(NOT isempty(valid)) FROM isms_history.tap_stamped ),
          'none of them is empty');

-- refusals
SELECT throws_ok('UPDATE isms_history.tap_risk SET rating = 0', 'IS021', NULL, 'UPDATE of history is refused with IS021');
SELECT throws_ok('DELETE FROM isms_history.tap_risk', 'IS021', NULL, 'DELETE of history is refused with IS021');
SELECT throws_ok('TRUNCATE isms_history.tap_risk', 'IS021', NULL, 'TRUNCATE of history is refused with IS021');
CREATE VIEW tap_view AS SELECT org_id, id FROM tap_risk;
SELECT throws_ok($$SELECT isms.enable_history('tap_view')$$, '42809', NULL, 'a view has no history');
CREATE TABLE tap_nots (org_id bigint, id bigint, PRIMARY KEY (org_id, id));
SELECT throws_ok($$SELECT isms.enable_history('tap_nots')$$, '42703', NULL, 'a register needs its updated_at');
SELECT throws_ok($$SELECT * FROM isms.as_of(NULL::tap_nots, now())$$, '42704', NULL, 'as_of of a register without history');
SELECT throws_ok($$SELECT * FROM isms.as_of(1, now())$$, '42804', NULL, 'as_of needs a register row type');

-- the register changes shape
ALTER TABLE tap_risk ADD COLUMN owner text;
SELECT has_column('isms_history', 'tap_risk', 'owner', 'a column added to the register is added to its history');
UPDATE tap_risk SET owner = 'bob', updated_at = '2024-07-01' WHERE title = 'Phishing';
UPDATE tap_risk SET owner = 'carol', updated_at = '2024-08-01' WHERE title = 'Phishing';
SELECT is((SELECT owner FROM isms.as_of(NULL::tap_risk, '2024-07-15') WHERE title = 'Phishing'), 'bob',
          'and its values are kept from then on');
ALTER TABLE tap_risk DROP COLUMN notes;
UPDATE tap_risk SET rating = 4, updated_at = '2024-09-01' WHERE title = 'Phishing';
SELECT is((SELECT rating FROM isms.as_of(NULL::tap_risk, '2024-08-15') WHERE title = 'Phishing'), 2,
          'a dropped register column does not stop capture or as_of');
SELECT throws_ok('ALTER TABLE tap_risk ALTER COLUMN title TYPE varchar(200)', 'IS022', NULL,
                 'a column type change that history cannot follow is refused');

SELECT * FROM finish();
ROLLBACK;
