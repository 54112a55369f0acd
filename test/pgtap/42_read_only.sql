-- Reports are read-only: STABLE, no writes, so they run on a hot-standby
-- replica and inside a read-only transaction; privileges of the report
-- functions and of the sample loader.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
CREATE EXTENSION isms_sample;
\ir reports_fixture.psql
SELECT plan(24);

CREATE TEMP TABLE report_fn AS
SELECT p.oid::regprocedure AS fn, p.proname::text AS name, p.provolatile
  FROM pg_proc p
 WHERE p.pronamespace = 'isms'::regnamespace
   AND p.proname IN ('stale_items', 'staleness_summary', 'improvement_metrics', 'clause_4_4_readiness',
                     'statement_of_applicability', 'process_interactions', 'process_links', 'process_map',
                     'risk_rating_at', 'register_activity', 'review_due_at', 'document_in_force',
                     'report_org', 'report_time', 'reported_move', 'known_as_of', 'register_row_at',
                     'document_reviewed_at', 'review_basis', 'artifact_key');
GRANT SELECT ON report_fn TO PUBLIC;

SELECT is((SELECT count(*) FROM report_fn), 22::bigint, 'the report functions');
SELECT is_empty($$SELECT fn::text FROM report_fn WHERE provolatile = 'v'$$, 'every report function is STABLE or IMMUTABLE');
SELECT is_empty($$SELECT fn::text FROM report_fn WHERE has_function_privilege('public', fn, 'EXECUTE')$$,
    'no report function is executable by PUBLIC');
SELECT is_empty($$SELECT fn::text FROM report_fn WHERE NOT has_function_privilege('isms_reader', fn, 'EXECUTE')$$,
    'isms_reader may execute every report function');
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p
                  WHERE p.pronamespace = 'isms'::regnamespace AND p.proname IN ('load_sample', 'build_register_row')
                    AND (has_function_privilege('isms_admin', p.oid, 'EXECUTE') OR has_function_privilege('public', p.oid, 'EXECUTE'))$$,
    'the sample loader and the install helper are the owner''s alone');
SET LOCAL ROLE rep_editor;
SELECT throws_ok($$SELECT isms.load_sample()$$, '42501', NULL, 'a member cannot load the sample');
RESET ROLE;

CREATE TEMP TABLE view_errors (view text, error text);
GRANT ALL ON view_errors TO PUBLIC;
CREATE FUNCTION pg_temp.sneaky() RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    INSERT INTO view_errors VALUES ('x', 'y');
END $$;

-- From here on the transaction is read-only: any write to a table fails.
SET TRANSACTION READ ONLY;
SELECT throws_ok($$INSERT INTO isms.context_issue (org_id, title, origin, owner) VALUES (1, 'x', 'internal', 'y')$$,
    '25006', NULL, 'the transaction is read-only');
SELECT lives_ok($$SELECT count(*) FROM isms.stale_items()$$, 'stale_items runs read-only');
SELECT lives_ok($$SELECT count(*) FROM isms.staleness_summary(1)$$, 'staleness_summary runs read-only');
SELECT lives_ok($$SELECT count(*) FROM isms.improvement_metrics(1, '2022-01-01', '2025-07-01', '1 month')$$,
    'improvement_metrics runs read-only');
SELECT lives_ok($$SELECT count(*) FROM isms.clause_4_4_readiness(1)$$, 'clause_4_4_readiness runs read-only');
SELECT lives_ok($$SELECT count(*) FROM isms.clause_4_4_readiness(3)$$, '... for an empty organisation too');
SELECT lives_ok($$SELECT count(*) FROM isms.statement_of_applicability(1)$$, 'statement_of_applicability runs read-only');
SELECT lives_ok($$SELECT count(*) FROM isms.process_interactions(1)$$, 'process_interactions runs read-only');
SELECT lives_ok($$SELECT isms.process_map(1), isms.process_map(1, 'mermaid')$$, 'process_map runs read-only');
SELECT lives_ok($$SELECT count(*) FROM isms.risk_rating_at(1, now())$$, 'risk_rating_at runs read-only');
SELECT lives_ok($$SELECT count(*) FROM isms.register_row$$, 'isms.register_row reads read-only');
DO $$
DECLARE v record;
BEGIN
    FOR v IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'isms_report'::regnamespace AND c.relkind = 'v' LOOP
        BEGIN
            EXECUTE format('SELECT count(*) FROM isms_report.%I', v.relname);
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO view_errors VALUES (v.relname, SQLERRM);
        END;
    END LOOP;
END $$;
SELECT is_empty($$SELECT * FROM view_errors$$, 'every BI view reads read-only');

-- and as a reader
SET LOCAL ROLE rep_reader;
SELECT lives_ok($$SELECT count(*) FROM isms.clause_4_4_readiness(1)$$, 'a reader runs the readiness report read-only');
SELECT lives_ok($$SELECT count(*) FROM isms_report.staleness$$, 'a reader reads the staleness view');
SELECT lives_ok($$SELECT count(*) FROM isms_report.improvement_trend$$, 'a reader reads the improvement trend');
RESET ROLE;

-- a report function cannot write even if it tried: STABLE PL/pgSQL refuses writes
SELECT throws_ok($$SELECT pg_temp.sneaky()$$, '0A000', NULL, 'a STABLE PL/pgSQL function cannot write');
SELECT is((SELECT count(*) FROM report_fn f JOIN pg_proc p ON p.oid = f.fn JOIN pg_language l ON l.oid = p.prolang
            WHERE l.lanname NOT IN ('sql', 'plpgsql')), 0::bigint, 'report functions are SQL or PL/pgSQL');
SELECT ok(current_setting('transaction_read_only')::boolean, 'still read-only at the end');

SELECT * FROM finish();
ROLLBACK;
