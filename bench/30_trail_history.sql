-- Register history capture and trail appends, each beside its baseline.
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
\o /dev/null

-- Register-shaped tables of 100,000 rows, one per variant, all of the same
-- shape and content, each updated by the same bulk UPDATE:
--   plain       no trigger: the baseline
--   floor       the UPDATE plus an INSERT of the same rows' old versions
--               (with the three history columns) into an identical table,
--               in the same statement: what any capture that writes a copy
--               costs at least
--   floor_ix    the same, the copy indexed as isms.index_history() does
--   c           isms history (isms.enable_history)
--   c_ix        isms history, its history table indexed by isms.index_history()
--               ((org_id, id, updated_at), and (org_id, id) of the deletions)
--   stmt        the best PL/pgSQL a user could write: a statement trigger
--               with an OLD transition table and one INSERT ... SELECT
--   stmt_ix     the same, its history table indexed alike
--   row         a PL/pgSQL row trigger, as most users write it
--   tablelog    Debian's table_log (C), where it is installed
-- and, as isms's own registers are, stamped by isms.stamp() (a BEFORE
-- UPDATE row trigger that sets updated_at and updated_by):
--   plain_st    the UPDATE of a stamped register: the baseline
--   c_st        isms history of a stamped register, which needs no NEW
--               transition table
--   stmt_st     the PL/pgSQL statement trigger on a stamped register
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

SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'table_log') AS have_tablelog \gset
CREATE TABLE bench.variant (k int, v text, label text);
INSERT INTO bench.variant VALUES
    (1, 'plain', 'same UPDATE, no trigger'),
    (2, 'floor', 'floor: UPDATE + INSERT of the old rows'),
    (3, 'c', 'isms history'),
    (4, 'stmt', 'PL/pgSQL statement trigger'),
    (5, 'floor_ix', 'floor, copy indexed'),
    (6, 'c_ix', 'isms history, indexed'),
    (7, 'stmt_ix', 'PL/pgSQL statement trigger, indexed'),
    (8, 'row', 'PL/pgSQL row trigger'),
    (10, 'plain_st', 'same UPDATE of a stamped register, no history'),
    (11, 'c_st', 'isms history, stamped register'),
    (12, 'stmt_st', 'PL/pgSQL statement trigger, stamped register');
-- (BENCH_QUICK=1 bench/run.sh 30 leaves out table_log and the trail)
INSERT INTO bench.variant SELECT 9, 'tablelog', 'table_log (C)' WHERE :'have_tablelog'::boolean AND NOT :{?quick};
SELECT format('CREATE TABLE bench.reg_%s (LIKE bench.reg_plain INCLUDING ALL)', v),
       format('INSERT INTO bench.reg_%s OVERRIDING SYSTEM VALUE SELECT * FROM bench.reg_plain', v)
  FROM bench.variant WHERE v <> 'plain' ORDER BY k \gexec

-- the history tables of the floor and of the PL/pgSQL triggers: the
-- register's columns and the three history columns, as isms makes them
SELECT format('CREATE TABLE bench.%s_history (LIKE bench.reg_plain, valid tstzrange NOT NULL, changed_by text NOT NULL, change text NOT NULL)', v)
  FROM unnest(ARRAY['floor', 'floor_ix', 'stmt', 'stmt_ix', 'row', 'stmt_st']) v \gexec
SELECT format('CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON bench.reg_%s FOR EACH ROW EXECUTE FUNCTION isms.stamp()', v)
  FROM unnest(ARRAY['plain_st', 'c_st', 'stmt_st']) v \gexec
-- "indexed": the indexes isms.index_history() makes for as_of at scale,
-- (org_id, id, updated_at) and (org_id, id) of the deletions
CREATE INDEX ON bench.floor_ix_history (org_id, id, updated_at);
CREATE INDEX ON bench.floor_ix_history (org_id, id) WHERE change = 'DELETE';
CREATE INDEX ON bench.stmt_ix_history (org_id, id, updated_at);
CREATE INDEX ON bench.stmt_ix_history (org_id, id) WHERE change = 'DELETE';

SELECT isms.enable_history('bench.reg_c');
SELECT isms.enable_history('bench.reg_c_ix');
SELECT isms.index_history('bench.reg_c_ix');
SELECT isms.enable_history('bench.reg_c_st');

-- TG_ARGV[0]: the history table
CREATE FUNCTION bench.stmt_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO %s SELECT o.*, tstzrange(o.updated_at, now()), current_user, %L FROM old_rows o',
                   TG_ARGV[0], TG_OP);
    RETURN NULL;
END $$;
CREATE TRIGGER history_update AFTER UPDATE ON bench.reg_stmt REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bench.stmt_history('bench.stmt_history');
CREATE TRIGGER history_update AFTER UPDATE ON bench.reg_stmt_ix REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bench.stmt_history('bench.stmt_ix_history');
CREATE TRIGGER history_update AFTER UPDATE ON bench.reg_stmt_st REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bench.stmt_history('bench.stmt_st_history');

CREATE FUNCTION bench.row_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench.row_history
    VALUES (OLD.*, tstzrange(OLD.updated_at, CASE TG_OP WHEN 'UPDATE' THEN NEW.updated_at ELSE now() END),
            current_user, TG_OP);
    RETURN NULL;
END $$;
CREATE TRIGGER history_update AFTER UPDATE ON bench.reg_row
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION bench.row_history();
CREATE TRIGGER history_delete AFTER DELETE ON bench.reg_row
    FOR EACH ROW EXECUTE FUNCTION bench.row_history();

SELECT EXISTS (SELECT FROM bench.variant WHERE v = 'tablelog') AS do_tablelog \gset
\if :do_tablelog
CREATE EXTENSION table_log SCHEMA public;
-- level 3: the row plus operation, NEW/OLD marker and time (no user, no id)
SELECT public.table_log_init(3, 'bench', 'reg_tablelog', 'bench', 'reg_tablelog_log');
\endif

-- The bulk UPDATE, 7 rounds, the variants interleaved in each round so that
-- a change in the machine's load hits every variant alike; each run starts
-- after a VACUUM (same heap state) and a CHECKPOINT (no dirty buffers left
-- by the previous run to be written out in this one's time).
-- Each run's figure is the backend's CPU time (bench.cpu_time_ms): the
-- machine is shared, and wall time moves with other processes' load.
CREATE TABLE bench.update_ms (round int, v text, ms numeric);
CREATE FUNCTION bench.time_update(round int, v text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    upd text := format('UPDATE bench.reg_%s SET likelihood = likelihood %% 5 + 1, '
                       'updated_at = updated_at + interval ''1 minute''', v);
BEGIN
    IF v LIKE 'floor%' THEN
        upd := format('WITH copy AS (INSERT INTO bench.%1$s_history SELECT r.*, '
                      'tstzrange(r.updated_at, r.updated_at + interval ''1 minute''), current_user, ''UPDATE'' '
                      'FROM bench.reg_%1$s r) ', v) || upd;
    END IF;
    INSERT INTO bench.update_ms VALUES (round, v, bench.cpu_time_ms(upd, 1));
END $$;
SELECT format('VACUUM bench.reg_%s', v), 'CHECKPOINT', format('SELECT bench.time_update(%s, %L)', i, v)
  FROM generate_series(1, 7) i, bench.variant
 ORDER BY i, k \gexec

-- each variant's median, and the median of its 7 per-round ratios to a
-- baseline (which cancels a load that drifts between rounds)
CREATE FUNCTION bench.median_update(variant text) RETURNS numeric LANGUAGE sql AS $$
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric(12, 1)
      FROM bench.update_ms WHERE v = variant
$$;
CREATE FUNCTION bench.paired_ratio(a text, b text) RETURNS numeric LANGUAGE sql AS $$
    SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.ms / y.ms)::numeric, 2)
      FROM bench.update_ms x JOIN bench.update_ms y USING (round)
     WHERE x.v = a AND y.v = b
$$;
-- one line: variant a against baseline b, the ratio a / b, met when it is
-- at most "le" (or at least "ge")
CREATE FUNCTION bench.report_update(measure text, a text, b text, target text,
                                    le numeric DEFAULT NULL, ge numeric DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO bench.result (measure, ms, baseline, baseline_ms, ratio, target, met)
    SELECT measure, bench.median_update(a), (SELECT label FROM bench.variant WHERE v = b),
           bench.median_update(b), r, target,
           CASE WHEN le IS NOT NULL THEN r <= le WHEN ge IS NOT NULL THEN r >= ge END
      FROM bench.paired_ratio(a, b) r
     WHERE EXISTS (SELECT FROM bench.variant WHERE v = a);
$$;
SELECT bench.report_update('history: floor (UPDATE 100,000 rows + INSERT of their old versions)', 'floor', 'plain',
                           'info: least any copy costs');
SELECT bench.report_update('history: floor, copy indexed as by isms.index_history()', 'floor_ix', 'plain', 'info');
SELECT bench.report_update('history: UPDATE 100,000 rows with isms history (CPU ms)', 'c', 'plain', '<= 1.30x', le => 1.30);
SELECT bench.report_update('history: isms history indexed by isms.index_history() (as_of at scale)', 'c_ix', 'plain', 'info');
SELECT bench.report_update('history: isms history over the floor', 'c', 'floor', 'info');
SELECT bench.report_update('history: PL/pgSQL statement trigger (OLD table, INSERT ... SELECT)', 'stmt', 'c',
                           'isms >= 1.3x faster', ge => 1.3);
SELECT bench.report_update('history: PL/pgSQL statement trigger, indexed', 'stmt_ix', 'c_ix',
                           'isms >= 1.3x faster', ge => 1.3);
SELECT bench.report_update('history: PL/pgSQL row trigger', 'row', 'c', 'isms >= 1.8x faster', ge => 1.8);
SELECT bench.report_update('history: stamped register (isms.stamp()), UPDATE with isms history', 'c_st', 'plain_st',
                           '<= 1.30x', le => 1.30);
SELECT bench.report_update('history: stamped register, PL/pgSQL statement trigger', 'stmt_st', 'c_st',
                           'isms >= 1.3x faster', ge => 1.3);
SELECT bench.report_update('history: table_log (C)', 'tablelog', 'c', 'isms faster', ge => 1.0001);
SELECT bench.report('history: table_log not installed, no C anchor', NULL, 'apt-get install postgresql-15-tablelog', NULL, NULL, NULL)
 WHERE NOT :'have_tablelog'::boolean AND NOT :{?quick};
\o

-- every round, for the record
\echo 'UPDATE of 100,000 rows, CPU ms per round (30_trail_history.sql):'
SELECT label AS variant, array_to_string(array_agg(round(ms) ORDER BY round), ' ') AS "ms, rounds 1-7"
  FROM bench.update_ms JOIN bench.variant USING (v) GROUP BY label, k ORDER BY k;

\if :{?quick}
\else
-- Trail appends vs plain inserts into an identical table: 20,000 in one
-- statement, 7 rounds alternating between the two, each figure the
-- statement's CPU time; the ratio is the median of the per-round ratios.
CREATE TABLE bench.trail_plain (LIKE isms.trail INCLUDING ALL);
CREATE SEQUENCE bench.trail_plain_seq;
CREATE TABLE bench.append_ms (round int, what text, ms numeric);
CREATE FUNCTION bench.time_appends(round int, what text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    INSERT INTO bench.append_ms VALUES (round, what, bench.cpu_time_ms(CASE what
        WHEN 'trail' THEN
            $$SELECT isms.trail_append(1, 'isms.risk'::regclass, g, 'note',
                     jsonb_build_object('note', 'periodic review', 'rec', g)) FROM generate_series(1, 20000) g$$
        ELSE
            $$INSERT INTO bench.trail_plain
              SELECT 1, nextval('bench.trail_plain_seq'), clock_timestamp(), current_user, 'isms.risk', g, 'note',
                     jsonb_build_object('note', 'periodic review', 'rec', g),
                     '\x0000000000000000000000000000000000000000000000000000000000000000',
                     '\x0000000000000000000000000000000000000000000000000000000000000000'
                FROM generate_series(1, 20000) g$$
        END, 1));
END $f$;
\o /dev/null
SELECT 'CHECKPOINT', format('SELECT bench.time_appends(%s, %L)', i, w)
  FROM generate_series(1, 7) i, unnest(ARRAY['trail', 'plain']) WITH ORDINALITY AS u(w, k)
 ORDER BY i, k \gexec
INSERT INTO bench.result (measure, ms, baseline, baseline_ms, ratio, target, met)
SELECT 'trail: 20,000 appends in 1 statement (CPU ms)',
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric(12, 1) FROM bench.append_ms WHERE what = 'trail'),
       'INSERT of the same rows, identical table',
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric(12, 1) FROM bench.append_ms WHERE what = 'plain'),
       r, '<= 1.30x', r <= 1.30
  FROM (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms / p.ms)::numeric, 2) AS r
          FROM bench.append_ms t JOIN bench.append_ms p USING (round)
         WHERE t.what = 'trail' AND p.what = 'plain') x;
\o
\echo '20,000 trail appends in one statement and the same INSERT, CPU ms per round (30_trail_history.sql):'
SELECT what, array_to_string(array_agg(round(ms, 1) ORDER BY round), ' ') AS "ms, rounds 1-7"
  FROM bench.append_ms GROUP BY what ORDER BY what DESC;

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
SELECT bench.report('trail: pgbench append, 1 client, 3 x 5 s, ms/txn', bench.median_pgbench('trail 1'),
                    'plain insert, 1 client', bench.median_pgbench('plain 1'), '<= 1.30x', NULL);
SELECT bench.report('trail: pgbench append, 8 clients, 64 orgs, 3 x 10 s, ms/txn', bench.median_pgbench('trail 8'),
                    'plain insert, 8 clients', bench.median_pgbench('plain 8'), '<= 1.30x', NULL);
SELECT bench.report('trail: pgbench append, 8 clients, 1 org, 10 s, ms/txn', bench.median_pgbench('trail 8 one org'),
                    'plain insert, 8 clients', bench.median_pgbench('plain 8 one org'), 'info: one chain serialises', NULL);
\o
UPDATE bench.result SET met = ratio <= 1.30 WHERE measure LIKE 'trail: pgbench append, %' AND target = '<= 1.30x';

-- after all that, every organisation's chain is intact
\o /dev/null
SELECT bench.report('trail: organisations with a broken chain after the bench',
       (SELECT count(*) FROM (SELECT DISTINCT org_id FROM isms.trail) o, isms.verify_trail(o.org_id) v),
       'organisations', (SELECT count(DISTINCT org_id) FROM isms.trail), '0', NULL);
UPDATE bench.result SET met = ms = 0 WHERE measure = 'trail: organisations with a broken chain after the bench';
\o
\endif
