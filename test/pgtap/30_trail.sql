-- The evidence trail: chaining, the documented encoding, refusals of
-- UPDATE/DELETE/TRUNCATE for every role, and tamper detection.
BEGIN;
CREATE EXTENSION isms;
SET LOCAL search_path = public, isms;
SELECT plan(40);

CREATE TABLE tap_reg (
    org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY,
    title text, updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id));
-- appends by hand name a register of the ISMS
INSERT INTO isms.register (relid, name, clause, title, reviewable, has_workflow)
    VALUES ('tap_reg', 'tap_reg', '4.1', 'Trail test register', false, false);

-- the canonical encoding of the README, in SQL, as an auditor would write it
CREATE FUNCTION pg_temp.ns(t text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT octet_length(convert_to(t, 'UTF8')) || ':' || t || ',' $$;
CREATE FUNCTION pg_temp.entry_hash(t isms.trail) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT sha256(t.prev_hash || convert_to(
        pg_temp.ns(t.org_id::text) || pg_temp.ns(t.seq::text)
        || pg_temp.ns(to_char(t.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || pg_temp.ns(t.actor) || pg_temp.ns(t.record_table) || pg_temp.ns(t.record_id::text)
        || pg_temp.ns(t.action) || pg_temp.ns(t.payload::text)
        -- from 0.2.0 on: the login role and the source, when recorded
        || CASE WHEN t.login_role IS NULL THEN '' ELSE pg_temp.ns(t.login_role) || pg_temp.ns(t.source) END,
        'UTF8'))
$$;

-- structure
SELECT has_table('isms', 'trail', 'isms.trail exists');
SELECT col_is_pk('isms', 'trail', ARRAY['org_id', 'seq'], 'trail is keyed by (org_id, seq)');
SELECT has_function('isms', 'trail_append', ARRAY['bigint', 'regclass', 'bigint', 'text', 'jsonb'], 'trail_append exists');
SELECT has_function('isms', 'verify_trail', ARRAY['bigint'], 'verify_trail(bigint) exists');
SELECT has_function('isms', 'trail_head', ARRAY['bigint'], 'trail_head(bigint) exists');

-- appends
SELECT is(isms.trail_append(100, 'tap_reg', 1, 'create', '{"title": "a"}'), 1::bigint,
          'the first entry of an organisation is seq 1');
SET LOCAL isms.actor = 'alice';
SELECT is(isms.trail_append(100, 'tap_reg', 1, 'update', '{"title": "b"}'), 2::bigint,
          'the next entry is seq 2');
RESET isms.actor;
SELECT is(isms.trail_append(101, 'tap_reg', 7, 'create', NULL), 1::bigint,
          'each organisation has its own chain');
SELECT is((SELECT count(*) FROM (SELECT isms.trail_append(100, 'tap_reg', g, 'bulk', jsonb_build_object('g', g))
                                   FROM generate_series(1, 10) g) s), 10::bigint,
          'ten appends in one statement');
SAVEPOINT s;
SELECT isms.trail_append(100, 'tap_reg', 99, 'rolled back', NULL);
ROLLBACK TO SAVEPOINT s;
SELECT is(isms.trail_append(100, 'tap_reg', 3, 'after rollback', NULL), 13::bigint,
          'an append rolled back to a savepoint leaves no gap');
SELECT is(array_agg(seq ORDER BY seq), ARRAY(SELECT generate_series(1, 13)::bigint),
          'seq runs 1..13 without gaps') FROM isms.trail WHERE org_id = 100;
SELECT is((SELECT prev_hash FROM isms.trail WHERE org_id = 100 AND seq = 1),
          '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea,
          'the first entry''s prev_hash is 32 zero bytes');
SELECT is_empty($$SELECT FROM isms.trail a JOIN isms.trail b ON b.org_id = a.org_id AND b.seq = a.seq + 1
                  WHERE b.prev_hash <> a.hash$$,
                'every prev_hash is the previous entry''s hash');
SELECT is_empty($$SELECT FROM isms.trail t WHERE t.hash <> pg_temp.entry_hash(t)$$,
                'every hash is SHA-256 over prev_hash and the documented encoding');
SELECT is((SELECT actor FROM isms.trail WHERE org_id = 100 AND seq = 2), 'alice',
          'the actor is isms.actor when set');
SELECT is((SELECT actor FROM isms.trail WHERE org_id = 100 AND seq = 1), current_user::text,
          'else the current user');
SELECT is((SELECT record_table || ' ' || payload::text FROM isms.trail WHERE org_id = 101),
          'public.tap_reg {}', 'record_table is the qualified name; a NULL payload is {}');
SELECT is_empty('SELECT * FROM isms.verify_trail(100)', 'an intact chain verifies: no row');
SELECT is_empty('SELECT * FROM isms.verify_trail(999)', 'an organisation without entries verifies');

-- the head, recorded outside and checked later
SELECT results_eq('SELECT seq, hash FROM isms.trail_head(100)',
                  $$SELECT seq, encode(hash, 'hex') FROM isms.trail WHERE org_id = 100 AND seq = 13$$,
                  'trail_head returns the newest seq and its hash in hex');
SELECT is_empty('SELECT * FROM isms.trail_head(999)', 'no head without entries');
SELECT is_empty(format('SELECT * FROM isms.verify_trail(100, 13, %L)', (SELECT hash FROM isms.trail_head(100))),
                'verify_trail against the recorded head: intact');
SELECT results_eq($$SELECT seq, problem FROM isms.verify_trail(100, 13, repeat('ab', 32))$$,
                  $$VALUES (13::bigint, 'recorded head differs: the chain up to this entry was rewritten')$$,
                  'a different recorded head is reported');

-- refusals, as superuser and owner
SELECT throws_ok('UPDATE isms.trail SET actor = ''mallory''', 'IS020',
                 'UPDATE of the evidence trail isms.trail is not allowed', 'UPDATE is refused with IS020');
SELECT throws_ok('DELETE FROM isms.trail WHERE org_id = 100', 'IS020',
                 'DELETE of the evidence trail isms.trail is not allowed', 'DELETE is refused with IS020');
SELECT throws_ok('TRUNCATE isms.trail', 'IS020',
                 'TRUNCATE of the evidence trail isms.trail is not allowed', 'TRUNCATE is refused with IS020');
SET LOCAL session_replication_role = replica;
SELECT throws_ok('DELETE FROM isms.trail', 'IS020', NULL, 'also with session_replication_role = replica');
SET LOCAL session_replication_role = origin;
SET LOCAL ROLE isms_reader;
SELECT throws_ok($$SELECT isms.trail_append(100, 'tap_reg', 1, 'forged', NULL)$$, '42501', NULL,
                 'a reader cannot append');
SELECT is((SELECT count(*) FROM isms.trail WHERE org_id = 100), 0::bigint,
          'a reader sees nothing of the trail of an organisation it is not a member of');
RESET ROLE;
INSERT INTO isms.organization (org_id, code, name) OVERRIDING SYSTEM VALUE VALUES (100, 'TRAIL', 'Trail test');
CREATE ROLE tap_trail_reader NOLOGIN;
GRANT isms_reader TO tap_trail_reader;
INSERT INTO isms.membership (org_id, role_name) VALUES (100, 'tap_trail_reader');
SET LOCAL ROLE tap_trail_reader;
SELECT is((SELECT count(*) FROM isms.trail WHERE org_id = 100), 13::bigint, 'a member reader reads its organisation''s trail');
SELECT throws_ok($$SELECT isms.trail_append(100, 'tap_reg', 1, 'forged', NULL)$$, '42501', NULL,
                 'a member reader still cannot append');
RESET ROLE;
SELECT throws_ok($$SELECT isms.trail_append(100, 'tap_reg', 1, '', NULL)$$, '22023', NULL,
                 'an empty action is refused');

-- tampering, as a superuser who disables the protection
CREATE FUNCTION pg_temp.chain(org bigint, n int) RETURNS void LANGUAGE sql AS $$
    SELECT isms.trail_append(org, 'tap_reg'::regclass, g, 'check', jsonb_build_object('note', 'b', 'g', g))
      FROM generate_series(1, n) g
$$;
SELECT pg_temp.chain(200, 5), pg_temp.chain(201, 5), pg_temp.chain(202, 5), pg_temp.chain(203, 5), pg_temp.chain(204, 5);
ALTER TABLE isms.trail DISABLE TRIGGER trail_append_only;
-- one byte of one payload: "b" becomes "c"
UPDATE isms.trail SET payload = '{"g": 3, "note": "c"}' WHERE org_id = 200 AND seq = 3;
DELETE FROM isms.trail WHERE org_id = 201 AND seq = 4;
-- entries 2 and 3 swap everything but their key
UPDATE isms.trail t SET recorded_at = o.recorded_at, actor = o.actor, record_table = o.record_table,
       record_id = o.record_id, action = o.action, payload = o.payload, prev_hash = o.prev_hash, hash = o.hash
  FROM isms.trail o
 WHERE t.org_id = 202 AND o.org_id = 202 AND (t.seq, o.seq) IN ((2, 3), (3, 2));
-- only the payloads of 2 and 3 swap
UPDATE isms.trail t SET payload = o.payload
  FROM isms.trail o
 WHERE t.org_id = 203 AND o.org_id = 203 AND (t.seq, o.seq) IN ((2, 3), (3, 2));
SELECT hash AS head_204 FROM isms.trail_head(204) \gset
-- the last entry rewritten with a correctly recomputed hash
UPDATE isms.trail SET payload = '{"g": 5, "note": "forged"}' WHERE org_id = 204 AND seq = 5;
UPDATE isms.trail t SET hash = pg_temp.entry_hash(t) WHERE org_id = 204 AND seq = 5;
ALTER TABLE isms.trail ENABLE ALWAYS TRIGGER trail_append_only;

SELECT results_eq('SELECT seq, problem FROM isms.verify_trail(200)',
                  $$VALUES (3::bigint, 'altered entry: its hash does not match its content')$$,
                  'a changed byte is found at exactly that entry');
SELECT results_eq($$SELECT expected_hash = (SELECT pg_temp.entry_hash(t) FROM isms.trail t WHERE org_id = 200 AND seq = 3),
                           found_hash = (SELECT hash FROM isms.trail WHERE org_id = 200 AND seq = 3)
                      FROM isms.verify_trail(200)$$,
                  $$VALUES (true, true)$$,
                  'it reports the recomputed and the stored hash');
SELECT results_eq('SELECT seq, problem FROM isms.verify_trail(201)',
                  $$VALUES (4::bigint, 'entry 4 is missing: the next entry is 5')$$,
                  'a deleted entry is named');
SELECT results_eq('SELECT seq, left(problem, 12) FROM isms.verify_trail(202)',
                  $$VALUES (2::bigint, 'broken link:')$$,
                  'swapped entries are found at the first of them');
SELECT results_eq('SELECT seq, left(problem, 14) FROM isms.verify_trail(203)',
                  $$VALUES (2::bigint, 'altered entry:')$$,
                  'swapped payloads are found at the first of them');
SELECT is_empty('SELECT * FROM isms.verify_trail(204)',
                'a rewrite with recomputed hashes keeps the chain consistent ...');
SELECT results_eq(format('SELECT seq, left(problem, 21) FROM isms.verify_trail(204, 5, %L)', :'head_204'),
                  $$VALUES (5::bigint, 'recorded head differs')$$,
                  '... and is caught by the head recorded outside');
SELECT is_empty('SELECT * FROM isms.verify_trail(100)', 'other organisations are unaffected');

SELECT * FROM finish();
ROLLBACK;
