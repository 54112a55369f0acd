-- Register history capture and trail appends, each beside its baseline.
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;

-- Four identical register-shaped tables of 100,000 rows: no history
-- (baseline), isms.capture_history, a PL/pgSQL history trigger as a user
-- would write it, and Debian's table_log where it is installed.
CREATE TABLE bench.reg_plain (
    org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY,
    title text NOT NULL, description text, owner text, status text NOT NULL,
    likelihood int, impact int,
    created_at timestamptz NOT NULL, created_by text,
    updated_at timestamptz NOT NULL, updated_by text,
    review_interval interval, last_reviewed_at timestamptz,
    PRIMARY KEY (org_id, id));
INSERT INTO bench.reg_plain (org_id, title, description, owner, status, likelihood, impact,
                             created_at, created_by, updated_at, updated_by, review_interval, last_reviewed_at)
SELECT 1 + g % 10, 'Risk ' || g, 'Description of risk number ' || g || ' and its causes', 'owner' || g % 50,
       'open', 1 + g % 5, 1 + g % 4, '2024-01-01', 'alice', '2024-01-01', 'alice', '1 year', '2024-06-01'
  FROM generate_series(1, 100000) g;
CREATE TABLE bench.reg_c (LIKE bench.reg_plain INCLUDING ALL);
CREATE TABLE bench.reg_plpgsql (LIKE bench.reg_plain INCLUDING ALL);
CREATE TABLE bench.reg_tablelog (LIKE bench.reg_plain INCLUDING ALL);
INSERT INTO bench.reg_c OVERRIDING SYSTEM VALUE SELECT * FROM bench.reg_plain;
INSERT INTO bench.reg_plpgsql OVERRIDING SYSTEM VALUE SELECT * FROM bench.reg_plain;
INSERT INTO bench.reg_tablelog OVERRIDING SYSTEM VALUE SELECT * FROM bench.reg_plain;

SELECT isms.enable_history('bench.reg_c');

CREATE TABLE bench.reg_plpgsql_history (LIKE bench.reg_plain,
    valid tstzrange NOT NULL, changed_by text NOT NULL, change text NOT NULL);
CREATE FUNCTION bench.plpgsql_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench.reg_plpgsql_history
    VALUES (OLD.*, tstzrange(OLD.updated_at, CASE TG_OP WHEN 'UPDATE' THEN NEW.updated_at ELSE now() END),
            current_user, TG_OP);
    RETURN NULL;
END $$;
CREATE TRIGGER history_update AFTER UPDATE ON bench.reg_plpgsql
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION bench.plpgsql_history();
CREATE TRIGGER history_delete AFTER DELETE ON bench.reg_plpgsql
    FOR EACH ROW EXECUTE FUNCTION bench.plpgsql_history();

SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'table_log') AS have_tablelog \gset
\if :have_tablelog
CREATE EXTENSION table_log SCHEMA public;
-- level 3: the row plus operation, NEW/OLD marker and time (no user, no id)
SELECT public.table_log_init(3, 'bench', 'reg_tablelog', 'bench', 'reg_tablelog_log');
\endif

-- The bulk UPDATE, 7 times per table, interleaved so that a change in the
-- machine's load hits every variant alike; each run starts after a VACUUM
-- (same heap state) and a CHECKPOINT (no dirty buffers left by the previous
-- run to be written out in this one's time).
CREATE TABLE bench.update_ms (round int, tbl text, ms numeric);
CREATE FUNCTION bench.time_update(round int, tbl text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench.update_ms VALUES (round, tbl, bench.time_ms(format(
        'UPDATE %s SET likelihood = likelihood %% 5 + 1, updated_at = updated_at + interval ''1 minute''', tbl), 1));
END $$;
\o /dev/null
SELECT format('VACUUM %s', t), 'CHECKPOINT', format('SELECT bench.time_update(%s, %L)', i, t)
  FROM generate_series(1, 7) i,
       unnest(ARRAY['bench.reg_plain', 'bench.reg_c', 'bench.reg_plpgsql']
              || CASE WHEN :'have_tablelog'::boolean THEN ARRAY['bench.reg_tablelog'] ELSE '{}' END)
       WITH ORDINALITY AS u(t, k)
 ORDER BY i, k \gexec
\o

CREATE FUNCTION bench.median_update(tbl text) RETURNS numeric LANGUAGE sql AS $$
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric(12, 1)
      FROM bench.update_ms WHERE update_ms.tbl = median_update.tbl
$$;
SELECT bench.report('UPDATE 100,000 rows with isms history',
       bench.median_update('bench.reg_c'), 'same UPDATE, no history',
       bench.median_update('bench.reg_plain'), '<= 1.30x', NULL);
UPDATE bench.result SET met = ratio <= 1.30 WHERE measure = 'UPDATE 100,000 rows with isms history';
SELECT bench.report('UPDATE 100,000 rows, PL/pgSQL history trigger',
       bench.median_update('bench.reg_plpgsql'), 'same UPDATE, isms history',
       bench.median_update('bench.reg_c'), '>= 1.8x', NULL);
UPDATE bench.result SET met = ratio >= 1.8 WHERE measure = 'UPDATE 100,000 rows, PL/pgSQL history trigger';
-- the ratio is the median of each round's ratio, which cancels a load that
-- drifts between rounds
CREATE FUNCTION bench.paired_ratio(a text, b text) RETURNS numeric LANGUAGE sql AS $$
    SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.ms / y.ms)::numeric, 2)
      FROM bench.update_ms x JOIN bench.update_ms y USING (round)
     WHERE x.tbl = a AND y.tbl = b
$$;
UPDATE bench.result SET ratio = bench.paired_ratio('bench.reg_c', 'bench.reg_plain'),
                        baseline = baseline || ' (ratio: median of 7 paired rounds)'
 WHERE measure = 'UPDATE 100,000 rows with isms history';
UPDATE bench.result SET met = ratio <= 1.30 WHERE measure = 'UPDATE 100,000 rows with isms history';
UPDATE bench.result SET ratio = bench.paired_ratio('bench.reg_plpgsql', 'bench.reg_c')
 WHERE measure = 'UPDATE 100,000 rows, PL/pgSQL history trigger';
UPDATE bench.result SET met = ratio >= 1.8 WHERE measure = 'UPDATE 100,000 rows, PL/pgSQL history trigger';
\if :have_tablelog
SELECT bench.report('UPDATE 100,000 rows, table_log (C)',
       bench.median_update('bench.reg_tablelog'), 'same UPDATE, isms history',
       bench.median_update('bench.reg_c'), '> 1x', NULL);
UPDATE bench.result SET ratio = bench.paired_ratio('bench.reg_tablelog', 'bench.reg_c')
 WHERE measure = 'UPDATE 100,000 rows, table_log (C)';
UPDATE bench.result SET met = ratio > 1 WHERE measure = 'UPDATE 100,000 rows, table_log (C)';
\else
SELECT bench.report('table_log not installed: no C anchor', NULL, 'apt-get install postgresql-15-tablelog', NULL, NULL, NULL);
\endif

-- every round, for the record
SELECT tbl, array_agg(ms ORDER BY round) AS "UPDATE ms per round"
  FROM bench.update_ms GROUP BY tbl ORDER BY min(round), tbl;

-- Trail appends vs plain inserts into an identical table.
CREATE TABLE bench.trail_plain (LIKE isms.trail INCLUDING ALL);
CREATE SEQUENCE bench.trail_plain_seq;
CREATE TABLE bench.append_ms (what text, ms numeric);
CREATE FUNCTION bench.time_appends(what text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    INSERT INTO bench.append_ms VALUES (what, bench.time_ms(CASE what
        WHEN 'trail' THEN
            $$SELECT isms.trail_append(1, 'bench.reg_plain'::regclass, g, 'review',
                     jsonb_build_object('note', 'periodic review', 'rec', g)) FROM generate_series(1, 20000) g$$
        ELSE
            $$INSERT INTO bench.trail_plain
              SELECT 1, nextval('bench.trail_plain_seq'), clock_timestamp(), current_user, 'bench.reg_plain', g, 'review',
                     jsonb_build_object('note', 'periodic review', 'rec', g),
                     '\x0000000000000000000000000000000000000000000000000000000000000000',
                     '\x0000000000000000000000000000000000000000000000000000000000000000'
                FROM generate_series(1, 20000) g$$
        END, 1));
END $f$;
\o /dev/null
SELECT 'CHECKPOINT', format('SELECT bench.time_appends(%L)', w)
  FROM generate_series(1, 5) i, unnest(ARRAY['trail', 'plain']) WITH ORDINALITY AS u(w, k)
 ORDER BY i, k \gexec
SELECT bench.report('20,000 trail appends, 1 statement',
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric(12, 1) FROM bench.append_ms WHERE what = 'trail'),
       'INSERT of the same rows, identical table',
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric(12, 1) FROM bench.append_ms WHERE what = 'plain'),
       '<= 1.5x', NULL);
\o
UPDATE bench.result SET met = ratio <= 1.5 WHERE measure = '20,000 trail appends, 1 statement';

-- pgbench: one append (or insert) per transaction.
\setenv PGDATABASE :DBNAME
CREATE FUNCTION bench.pgbench_ms(log text) RETURNS numeric LANGUAGE sql AS $$
    SELECT (regexp_match(log, 'latency average = ([0-9.]+) ms'))[1]::numeric
$$;
-- Rounds alternate between the trail and the baseline, and each figure is
-- the median round, so a change in the machine's load hits both alike.
CREATE TABLE bench.pgbench_ms (what text, ms numeric);
\set r1 `pgbench -n -c 1 -T 5 -D orgs=64 -f pgbench/trail_append.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('trail 1', bench.pgbench_ms(:'r1'));
\set r1 `pgbench -n -c 1 -T 5 -D orgs=64 -f pgbench/plain_insert.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('plain 1', bench.pgbench_ms(:'r1'));
\set r1 `pgbench -n -c 1 -T 5 -D orgs=64 -f pgbench/trail_append.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('trail 1', bench.pgbench_ms(:'r1'));
\set r1 `pgbench -n -c 1 -T 5 -D orgs=64 -f pgbench/plain_insert.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('plain 1', bench.pgbench_ms(:'r1'));
\set r1 `pgbench -n -c 1 -T 5 -D orgs=64 -f pgbench/trail_append.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('trail 1', bench.pgbench_ms(:'r1'));
\set r1 `pgbench -n -c 1 -T 5 -D orgs=64 -f pgbench/plain_insert.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('plain 1', bench.pgbench_ms(:'r1'));
\set r8 `pgbench -n -c 8 -j 2 -T 10 -D orgs=64 -f pgbench/trail_append.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('trail 8', bench.pgbench_ms(:'r8'));
\set r8 `pgbench -n -c 8 -j 2 -T 10 -D orgs=64 -f pgbench/plain_insert.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('plain 8', bench.pgbench_ms(:'r8'));
\set r8 `pgbench -n -c 8 -j 2 -T 10 -D orgs=64 -f pgbench/trail_append.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('trail 8', bench.pgbench_ms(:'r8'));
\set r8 `pgbench -n -c 8 -j 2 -T 10 -D orgs=64 -f pgbench/plain_insert.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('plain 8', bench.pgbench_ms(:'r8'));
\set r8 `pgbench -n -c 8 -j 2 -T 10 -D orgs=64 -f pgbench/trail_append.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('trail 8', bench.pgbench_ms(:'r8'));
\set r8 `pgbench -n -c 8 -j 2 -T 10 -D orgs=64 -f pgbench/plain_insert.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('plain 8', bench.pgbench_ms(:'r8'));
\set r81 `pgbench -n -c 8 -j 2 -T 10 -D orgs=1 -f pgbench/trail_append.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('trail 8 one org', bench.pgbench_ms(:'r81'));
\set r81 `pgbench -n -c 8 -j 2 -T 10 -D orgs=1 -f pgbench/plain_insert.sql 2>&1`
INSERT INTO bench.pgbench_ms VALUES ('plain 8 one org', bench.pgbench_ms(:'r81'));
CREATE FUNCTION bench.median_pgbench(w text) RETURNS numeric LANGUAGE sql AS $$
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric(12, 3) FROM bench.pgbench_ms WHERE what = w
$$;
\o /dev/null
SELECT bench.report('pgbench trail append, 1 client, 3 x 5 s, ms/txn', bench.median_pgbench('trail 1'),
                    'plain insert, 1 client', bench.median_pgbench('plain 1'), '<= 1.5x', NULL);
SELECT bench.report('pgbench trail append, 8 clients, 64 orgs, 3 x 10 s, ms/txn', bench.median_pgbench('trail 8'),
                    'plain insert, 8 clients', bench.median_pgbench('plain 8'), '<= 1.5x', NULL);
SELECT bench.report('pgbench trail append, 8 clients, 1 org, 10 s, ms/txn', bench.median_pgbench('trail 8 one org'),
                    'plain insert, 8 clients', bench.median_pgbench('plain 8 one org'), 'info: one chain serialises', NULL);
\o
UPDATE bench.result SET met = ratio <= 1.5 WHERE measure LIKE 'pgbench trail append, %' AND target = '<= 1.5x';

-- after all that, every organisation's chain is intact
SELECT bench.report('trail orgs with a broken chain after the bench',
       (SELECT count(*) FROM (SELECT DISTINCT org_id FROM isms.trail) o, isms.verify_trail(o.org_id) v),
       'organisations', (SELECT count(DISTINCT org_id) FROM isms.trail), '0', NULL);
UPDATE bench.result SET met = ms = 0 WHERE measure = 'trail orgs with a broken chain after the bench';
