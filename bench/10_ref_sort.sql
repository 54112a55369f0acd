-- Sorting 1,000,000 isms.ref values vs the same values as text COLLATE "C".
SET client_min_messages = warning;
SET work_mem = '512MB';
SET max_parallel_workers_per_gather = 0;
DROP TABLE IF EXISTS bench.refs;
CREATE TABLE bench.refs AS
SELECT r::isms.ref AS r, r COLLATE "C" AS t
  FROM (SELECT CASE WHEN i % 3 = 0 THEN 'A.' ELSE '' END
               || (1 + i % 10) || '.' || (i / 10 % 40) || '.' || (i / 400 % 30) || '.' || (i / 12000 % 90) AS r
          FROM generate_series(1, 1000000) AS i) AS s;
VACUUM ANALYZE bench.refs;

\o /dev/null
SELECT bench.report('sort 1,000,000 isms.ref',
       bench.time_ms('SELECT r FROM bench.refs ORDER BY r OFFSET 1000000'),
       'same values as text COLLATE "C"',
       bench.time_ms('SELECT t FROM bench.refs ORDER BY t OFFSET 1000000'),
       '<= 1.5x', NULL);
UPDATE bench.result SET met = ratio <= 1.5 WHERE measure = 'sort 1,000,000 isms.ref';
\o

-- the point of the type: text order is wrong, isms.ref order is right
SELECT (SELECT array_agg(r::text ORDER BY r) FROM unnest('{A.5.9,A.5.10,A.5.1}'::isms.ref[]) r) AS ref_order,
       (SELECT array_agg(t ORDER BY t COLLATE "C") FROM unnest('{A.5.9,A.5.10,A.5.1}'::text[]) t) AS text_order;
DROP TABLE bench.refs;
