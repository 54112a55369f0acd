-- Properties of isms.ref and isms.docver: round trips through text and
-- binary, a total order consistent with = and hashing, an independent
-- oracle for order and ancestry, and refusals of bad binary input.
BEGIN;
CREATE EXTENSION isms;
SET LOCAL search_path = public, isms;
SELECT plan(25);

-- Every valid spelling: no letter, A or Z; 1 to 5 numbers mixing small and
-- large values; some in lower case or padded, which must canonicalise.
CREATE TEMP TABLE gen AS
SELECT DISTINCT ON (canon) canon, spelling, letter, nums
  FROM (SELECT (CASE WHEN l IS NULL THEN '' ELSE l || '.' END) || array_to_string(nums, '.') AS canon,
               (CASE WHEN l IS NULL THEN '' WHEN i % 7 = 0 THEN lower(l) || '.' ELSE l || '.' END)
                 || array_to_string(nums, '.') || CASE WHEN i % 11 = 0 THEN '  ' ELSE '' END AS spelling,
               l AS letter, nums
          FROM generate_series(1, 4000) AS i,
               LATERAL (SELECT (ARRAY[NULL, 'A', 'Z'])[1 + (i * 7919) % 3] AS l) AS lt,
               LATERAL (SELECT array_agg(CASE WHEN (i + k) % 5 = 0 THEN (i * k * 31) % 1000 ELSE (i + k) % 12 END ORDER BY k) AS nums
                          FROM generate_series(1, 1 + (i * 104729) % 5) AS k) AS n) AS s
 ORDER BY canon;

SELECT cmp_ok((SELECT count(*) FROM gen), '>', 1000::bigint, 'the generated set has over 1000 distinct references');

SELECT is((SELECT count(*) FROM gen WHERE spelling::isms.ref::text <> canon), 0::bigint,
          'text -> isms.ref -> text gives the canonical spelling');
SELECT is((SELECT count(*) FROM gen WHERE canon::isms.ref::text::isms.ref::text <> canon), 0::bigint,
          'the canonical spelling is a fixed point');

-- binary round trip through COPY (FORMAT binary), which calls send and recv
CREATE TEMP TABLE bin_in (r isms.ref, v isms.docver);
CREATE TEMP TABLE bin_out (r isms.ref, v isms.docver);
INSERT INTO bin_in SELECT canon::isms.ref, isms.docver(length(canon) * 977 % 32768, length(canon) * 7 % 65536) FROM gen;
DO $$
DECLARE f text := '/tmp/isms_types_' || pg_backend_pid() || '.bin';
BEGIN
    EXECUTE format('COPY bin_in TO %L WITH (FORMAT binary)', f);
    EXECUTE format('COPY bin_out FROM %L WITH (FORMAT binary)', f);
    EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', 'rm -f ' || f);
END $$;
SELECT is((SELECT count(*) FROM bin_in i FULL JOIN bin_out o USING (r, v) WHERE i.r IS NULL OR o.r IS NULL),
          0::bigint, 'recv(send(x)) = x for every reference and version');
SELECT is(encode(isms.ref_send('A.5.24'), 'hex'), '014102000500' || '18',
          'binary isms.ref: version 1, letter, count, 16-bit numbers');
SELECT is(encode(isms.docver_send('2.13'), 'hex'), '010002000d', 'binary isms.docver: version 1, major, minor');

-- crafted binary input: a one-column binary COPY file with the given field
CREATE FUNCTION pg_temp.copy_binary(tbl text, field bytea) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    f text := '/tmp/isms_bad_' || pg_backend_pid() || '.bin';
    file bytea := '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea
                  || '\x0001'::bytea || int4send(length(field)) || field || '\xffff'::bytea;
BEGIN
    EXECUTE format('COPY (SELECT %L) TO PROGRAM %L', encode(file, 'base64'), 'base64 -d > ' || f);
    EXECUTE format('COPY %I FROM %L WITH (FORMAT binary)', tbl, f);
END $$;
CREATE TEMP TABLE one_ref (r isms.ref);
CREATE TEMP TABLE one_ver (v isms.docver);
SELECT lives_ok($$SELECT pg_temp.copy_binary('one_ref', '\x014101001e')$$, 'well-formed binary isms.ref is read');
SELECT is((SELECT r::text FROM one_ref), 'A.30', 'and decodes to A.30');
SELECT throws_ok($$SELECT pg_temp.copy_binary('one_ref', '\x024101001e')$$, '22P03', NULL, 'binary isms.ref with an unknown version is refused');
SELECT throws_ok($$SELECT pg_temp.copy_binary('one_ref', '\x016101001e')$$, '22P03', NULL, 'binary isms.ref with a lower-case letter byte is refused');
SELECT throws_ok($$SELECT pg_temp.copy_binary('one_ref', '\x010000')$$, '22P03', NULL, 'binary isms.ref with no numbers is refused');
SELECT throws_ok($$SELECT pg_temp.copy_binary('one_ref', '\x0100060001000100010001000100010001')$$, '22P03', NULL, 'binary isms.ref with 6 numbers is refused');
SELECT throws_ok($$SELECT pg_temp.copy_binary('one_ref', '\x01000103e8')$$, '22003', NULL, 'binary isms.ref with the number 1000 is refused');
SELECT throws_ok($$SELECT pg_temp.copy_binary('one_ref', '\x014101')$$, '08P01', NULL, 'truncated binary isms.ref is refused');
SELECT throws_ok($$SELECT pg_temp.copy_binary('one_ver', '\x0180000000')$$, '22003', NULL, 'binary isms.docver with major 32768 is refused');

-- total order, consistent with = and with both hashes, checked on all pairs
-- of a sample that includes equal values spelled differently
CREATE TEMP TABLE sample AS
SELECT spelling::isms.ref AS r, canon, letter, nums FROM (SELECT * FROM gen ORDER BY md5(canon) LIMIT 400) s
UNION ALL SELECT spelling::isms.ref, canon, letter, nums FROM (SELECT * FROM gen ORDER BY md5(canon) LIMIT 50) s;
SELECT is((SELECT count(*) FROM sample a, sample b
            WHERE (a.r < b.r)::int + (a.r = b.r)::int + (a.r > b.r)::int <> 1
               OR (a.r <= b.r) <> (a.r < b.r OR a.r = b.r)
               OR (a.r <> b.r) = (a.r = b.r)
               OR isms.ref_cmp(a.r, b.r) <> CASE WHEN a.r < b.r THEN -1 WHEN a.r = b.r THEN 0 ELSE 1 END),
          0::bigint, 'exactly one of <, =, > holds for every pair, and cmp agrees');
SELECT is((SELECT count(*) FROM sample a, sample b
            WHERE (a.r = b.r) <> (a.canon = b.canon)
               OR (a.r = b.r AND (isms.ref_hash(a.r) <> isms.ref_hash(b.r)
                                  OR isms.ref_hash_extended(a.r, 42) <> isms.ref_hash_extended(b.r, 42)))),
          0::bigint, 'equal exactly when the canonical text is equal, and equal values hash equal');
-- the oracle: no letter first, then the letter, then the numbers as int[]
SELECT is((SELECT count(*) FROM sample a, sample b
            WHERE (a.r < b.r) <> ((a.letter IS NOT NULL, coalesce(a.letter, ''), a.nums)
                                   < (b.letter IS NOT NULL, coalesce(b.letter, ''), b.nums))),
          0::bigint, 'the order is: clauses first, then by letter, then numbers compared numerically, parents first');
SELECT is((SELECT count(*) FROM sample a, sample b
            WHERE (a.r @> b.r) <> (a.letter IS NOT DISTINCT FROM b.letter
                                   AND b.nums[1:cardinality(a.nums)] = a.nums)
               OR (a.r <@ b.r) <> (b.r @> a.r)),
          0::bigint, '@> is ancestor-or-self and <@ its commutator');
SELECT is((SELECT count(*) FROM sample WHERE isms.depth(r) <> cardinality(nums)
               OR (cardinality(nums) > 1 AND NOT (isms.parent(r) @> r AND isms.depth(isms.parent(r)) = cardinality(nums) - 1))
               OR (cardinality(nums) = 1 AND isms.parent(r) IS NOT NULL)),
          0::bigint, 'parent and depth agree with the numbers');
-- sort, btree index and hash aggregation agree
CREATE TEMP TABLE indexed AS SELECT r FROM sample;
CREATE INDEX ON indexed (r);
SET LOCAL enable_seqscan = off;
SELECT is((SELECT array_agg(r::text) FROM (SELECT r FROM indexed ORDER BY r) s),
          (SELECT array_agg(canon ORDER BY letter IS NOT NULL, letter, nums) FROM sample),
          'a btree index scan returns the oracle order');
RESET enable_seqscan;
SET LOCAL enable_sort = off;
SELECT is((SELECT count(*) FROM (SELECT r FROM sample GROUP BY r) s), (SELECT count(DISTINCT canon) FROM sample),
          'hash aggregation groups exactly the equal values');
RESET enable_sort;

-- docver: order equals (major, minor) order on all pairs, hashing agrees
CREATE TEMP TABLE vers AS
SELECT isms.docver(ma, mi) AS v, ma, mi FROM generate_series(0, 12) ma, generate_series(0, 25) mi;
SELECT is((SELECT count(*) FROM vers a, vers b
            WHERE (a.v < b.v) <> ((a.ma, a.mi) < (b.ma, b.mi)) OR (a.v = b.v) <> ((a.ma, a.mi) = (b.ma, b.mi))
               OR (a.v = b.v AND isms.docver_hash(a.v) <> isms.docver_hash(b.v))
               OR a.v::text::isms.docver <> a.v OR a.v::text <> a.ma || '.' || a.mi),
          0::bigint, 'docver order, equality, hash and text round trip agree with (major, minor)');

-- Server-side fuzz through the real input functions: random strings over
-- the grammar's alphabet and a few others; only 22P02 or 22003 may come
-- back, and accepted strings must round-trip.
CREATE FUNCTION pg_temp.fuzz(n int) RETURNS TABLE (accepted int, refused int, other_errors int, bad_round_trips int)
LANGUAGE plpgsql AS $$
DECLARE
    alphabet text := '0123456789....Aa  -x,Z' || chr(9) || chr(233);
    s text; r isms.ref; v isms.docver;
BEGIN
    accepted := 0; refused := 0; other_errors := 0; bad_round_trips := 0;
    PERFORM setseed(0.42);
    FOR i IN 1..n LOOP
        s := (SELECT string_agg(substr(alphabet, 1 + floor(random() * length(alphabet))::int, 1), '')
                FROM generate_series(1, 1 + (random() * 12)::int));
        BEGIN
            r := s::isms.ref;
            accepted := accepted + 1;
            IF r::text::isms.ref <> r THEN bad_round_trips := bad_round_trips + 1; END IF;
        EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
            refused := refused + 1;
        WHEN OTHERS THEN
            other_errors := other_errors + 1;
        END;
        BEGIN
            v := s::isms.docver;
            IF v::text::isms.docver <> v THEN bad_round_trips := bad_round_trips + 1; END IF;
        EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
            NULL;
        WHEN OTHERS THEN
            other_errors := other_errors + 1;
        END;
    END LOOP;
    RETURN NEXT;
END $$;
CREATE TEMP TABLE fuzz AS SELECT * FROM pg_temp.fuzz(20000);
SELECT is((SELECT other_errors + bad_round_trips FROM fuzz), 0,
          '20,000 random strings: only 22P02/22003 refusals, and every accepted one round-trips');
SELECT ok((SELECT accepted > 100 AND refused > 100 FROM fuzz), 'the random strings exercise both acceptance and refusal');

SELECT * FROM finish();
ROLLBACK;
