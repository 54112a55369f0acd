-- isms.docver: input, output, order, successor functions, refusals.
\set VERBOSITY default
SET search_path = public, isms;

SELECT v::isms.docver AS docver
  FROM (VALUES ('0.1'), ('1.0'), ('2.13'), (' 3.0 '), ('32767.65535')) AS x(v);

SELECT v FROM unnest('{2.10,2.9,1.0,0.1,10.0,2.1}'::isms.docver[]) AS v ORDER BY v;
SELECT '2.10'::isms.docver > '2.9'::isms.docver AS "2.10 > 2.9";

SELECT v, isms.next_minor(v), isms.next_major(v), isms.major(v), isms.minor(v)
  FROM unnest('{0.1,1.0,1.4,2.13}'::isms.docver[]) AS v;
SELECT isms.docver(3, 7);

CREATE TEMP TABLE versions (v isms.docver PRIMARY KEY);
CREATE INDEX ON versions USING hash (v);
INSERT INTO versions VALUES ('1.0'), ('1.1'), ('2.0');
INSERT INTO versions VALUES ('1.1');
SELECT max(v), min(v) FROM versions;

-- malformed input: 22P02
SELECT ''::isms.docver;
SELECT '1'::isms.docver;
SELECT '1.'::isms.docver;
SELECT '.1'::isms.docver;
SELECT '1.2.3'::isms.docver;
SELECT '01.0'::isms.docver;
SELECT '1.00'::isms.docver;
SELECT 'v1.0'::isms.docver;
SELECT '1.0-draft'::isms.docver;
SELECT '-1.0'::isms.docver;
-- out of range: 22003
SELECT '32768.0'::isms.docver;
SELECT '1.65536'::isms.docver;
SELECT isms.next_minor('1.65535');
SELECT isms.next_major('32767.3');
SELECT isms.docver(-1, 0);
