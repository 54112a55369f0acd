-- Reports at scale 100: the sample ISMS of 100 organisations (about
-- 1,490,000 rows, three years up to today), then
--   readiness + staleness summary of one organisation, and
--   stale_items across every organisation,
-- each against a bare SELECT count(*) over the same rows of the tables the
-- report reads.  Target: at most 3x the baseline and under one second.
-- The BI views are timed for one organisation too (no target).
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;

\echo loading the sample at scale 100 ...
SELECT clock_timestamp() AS t0 \gset
SELECT isms.load_sample(100, current_date) AS sample_rows \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1) AS load_s \gset
\echo :sample_rows rows in :load_s s
-- the generator moves every workflow record several times in one
-- transaction; compact and analyse as after a restore
VACUUM (FULL, ANALYZE) isms.evidence, isms.transition_log, isms.treatment_plan, isms.incident,
    isms.audit_finding, isms.corrective_action, isms.nonconformity, isms.improvement, isms.objective,
    isms.review_action, isms.planned_change, isms.audit;
VACUUM ANALYZE;

-- One organisation in the middle; reports use a cached plan, as in a
-- dashboard's session.
SET plan_cache_mode = auto;
SELECT org_id AS org FROM isms.organization WHERE code = 'SAMPLE-0050' \gset

-- What the reports read, counted bare: every register's rows of the
-- organisation, and the moves of its transition log the reports look up
-- (isms.reported_move: the rows of the log's report index).
SELECT 'SELECT ' || string_agg(format('(SELECT count(*) FROM %s WHERE org_id = %s)', relid, :org), ' + ' ORDER BY name)
       || format(' + (SELECT count(*) FROM isms.transition_log WHERE org_id = %s AND isms.reported_move(from_state, to_state))', :org)
       AS org_baseline
  FROM isms.register \gset
SELECT 'SELECT ' || string_agg(format('(SELECT count(*) FROM %s)', relid), ' + ' ORDER BY name) AS stale_baseline
  FROM isms.register WHERE reviewable \gset

DO $$
DECLARE
    org bigint := (SELECT org_id FROM isms.organization WHERE code = 'SAMPLE-0050');
    t timestamptz := now();
BEGIN
    -- warm the caches and the plans
    FOR i IN 1 .. 3 LOOP
        PERFORM count(*) FROM isms.clause_4_4_readiness(org, t);
        PERFORM count(*) FROM isms.staleness_summary(org, t);
        PERFORM count(*) FROM isms.stale_items(t);
    END LOOP;
END $$;

\o /dev/null
SELECT bench.report('reports: readiness + staleness summary, 1 of 100 organisations',
       bench.time_ms(format($q$SELECT (SELECT count(*) FROM isms.clause_4_4_readiness(%s)),
                                      (SELECT count(*) FROM isms.staleness_summary(%s))$q$, :org, :org), 15),
       'count(*) of the organisation''s rows in every register and its reported log moves',
       bench.time_ms(:'org_baseline', 15),
       '<= 3x, < 1 s', NULL);
SELECT bench.report('reports: stale_items, all 100 organisations',
       bench.time_ms($q$SELECT count(*) FROM isms.stale_items()$q$, 15),
       'count(*) of every row of the reviewable registers',
       bench.time_ms(:'stale_baseline', 15),
       '<= 3x, < 1 s', NULL);
UPDATE bench.result SET met = ratio <= 3 AND ms < 1000 WHERE measure LIKE 'reports:%';
\o

-- The BI views for one organisation (information, no target).
\echo BI views, one organisation (median of 5 runs, ms):
SELECT v.relname AS view,
       bench.time_ms(format('SELECT count(*) FROM isms_report.%I WHERE org_id = %s', v.relname, :org)) AS ms
  FROM pg_class v
 WHERE v.relnamespace = 'isms_report'::regnamespace AND v.relkind = 'v'
 ORDER BY 2 DESC;

\echo the sample: rows per register (all organisations)
SELECT register, count(*) AS rows FROM isms.register_row GROUP BY register ORDER BY 2 DESC LIMIT 8;
