-- BI views as of an instant: isms_report.<view>_at(at) returns the view's
-- own rows as the ISMS stood at that instant, from the register history,
-- against the changing fixture of suite 44 (reports_history_fixture.psql);
-- and the near misses and dangling inputs in isms_report.process_interactions.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir reports_fixture.psql
\ir reports_history_fixture.psql
CREATE TEMP TABLE sv AS SELECT :s::bigint AS s;
GRANT SELECT ON sv TO PUBLIC;
SELECT plan(27);

------------------------------------------------------------------------------
-- Same columns and types as the views

SELECT is((SELECT pg_get_function_result('isms_report.readiness_at(timestamptz)'::regprocedure)), 'SETOF isms_report.readiness',
    'readiness_at returns the rows of the view isms_report.readiness');
SELECT is((SELECT array_agg(pg_get_function_result(p.oid) ORDER BY p.proname) FROM pg_proc p
            WHERE p.pronamespace = 'isms_report'::regnamespace AND p.proname LIKE '%\_at'),
    '{"SETOF isms_report.process_interactions","SETOF isms_report.readiness","SETOF isms_report.risk_register","SETOF isms_report.stale_items","SETOF isms_report.staleness","SETOF isms_report.statement_of_applicability"}',
    'six companion functions, each returning its view''s row type');

------------------------------------------------------------------------------
-- Readiness and staleness, now and then

SELECT results_eq($$SELECT check_no, status, figures FROM isms_report.readiness_at('2025-06-30 12:00+00') WHERE org_id = (SELECT s FROM sv) ORDER BY check_no$$,
    $$SELECT check_no, status, figures FROM isms.clause_4_4_readiness((SELECT s FROM sv), '2025-06-30 12:00+00') ORDER BY check_no$$,
    'readiness_at(T): the checklist of isms.clause_4_4_readiness at T');
SELECT is((SELECT status FROM isms_report.readiness_at('2025-06-30 12:00+00') WHERE org_id = :s AND check_no = 12), 'fail',
    'readiness_at(T): shelf-ware fails');
SELECT is((SELECT status FROM isms_report.readiness_at('2024-06-30 12:00+00') WHERE org_id = :s AND check_no = 12), 'pass',
    'readiness_at a year earlier: the same registers were maintained');
SELECT is((SELECT count(*) FROM isms_report.readiness_at('2022-06-30 12:00+00') WHERE org_id = :s), 0::bigint,
    'readiness_at before the organisation existed: no rows for it');
SELECT is((SELECT (rows, overdue, untouched)::text FROM isms_report.staleness_at('2025-06-30 12:00+00') WHERE org_id = :s AND register = 'risk'),
    '(2,2,t)', 'staleness_at(T): both risks overdue, untouched');
SELECT is((SELECT overdue FROM isms_report.staleness_at('2024-05-01 12:00+00') WHERE org_id = :s AND register = 'risk'), 0::bigint,
    'staleness_at after the review of 2024-04-15: none overdue');

SELECT set_eq($$SELECT label FROM isms_report.stale_items_at('2024-04-01 12:00+00') WHERE org_id = (SELECT s FROM sv) AND register = 'risk'$$,
    $$VALUES ('S1 supplier breach'), ('S2 lost backups')$$, 'stale_items_at 2024-04-01: the risks, from their history');
SELECT is((SELECT count(*) FROM isms_report.stale_items_at('2024-05-01 12:00+00') WHERE org_id = :s AND register = 'risk'), 0::bigint,
    'stale_items_at 2024-05-01: none');

------------------------------------------------------------------------------
-- The risk register: the re-rated risk at each instant

SELECT is((SELECT sum(current_rating) FROM isms_report.risk_register_at('2024-01-01 00:00+00') WHERE org_id = :s), 25::bigint,
    'risk_register_at 2024-01-01: inherent 16 + 9');
SELECT is((SELECT sum(current_rating) FROM isms_report.risk_register_at('2024-03-15 00:00+00') WHERE org_id = :s), 20::bigint,
    'risk_register_at 2024-03-15: S2 re-rated to 4');
SELECT is((SELECT sum(current_rating) FROM isms_report.risk_register_at('2025-06-30 12:00+00') WHERE org_id = :s),
          (SELECT sum(rating) FROM isms.risk_rating_at(:s, '2025-06-30 12:00+00')),
    'risk_register_at(T) agrees with isms.risk_rating_at(T)');
SELECT is((SELECT bool_and(review_overdue) FROM isms_report.risk_register_at('2025-06-30 12:00+00') WHERE org_id = :s), true,
    'risk_register_at(T): the reviews are overdue at T');
SELECT is((SELECT bool_or(review_overdue) FROM isms_report.risk_register_at('2024-05-01 12:00+00') WHERE org_id = :s), false,
    '... and were not just after the review of 2024-04-15');
SELECT set_eq($$SELECT * FROM isms_report.risk_register_at(now())$$, $$SELECT * FROM isms_report.risk_register$$,
    'risk_register_at(now()) is the view');

------------------------------------------------------------------------------
-- The Statement of Applicability: A.8.13 not applicable until 2024-11-01

SELECT is((SELECT decision FROM isms_report.statement_of_applicability_at('2024-06-30 12:00+00') WHERE org_id = :s AND control = 'A.8.13'),
    'excluded', 'statement_of_applicability_at 2024-06-30: A.8.13 excluded then');
SELECT is((SELECT (decision, justification)::text FROM isms_report.statement_of_applicability_at('2025-06-30 12:00+00') WHERE org_id = :s AND control = 'A.8.13'),
    '(included,"Backups treat data loss")', '... included at T, with its justification of then');
SELECT is((SELECT count(*) FROM isms_report.statement_of_applicability_at('2023-01-15 12:00+00') WHERE org_id = :s AND decision <> 'not decided'),
    0::bigint, 'before the SoA entries were recorded: every control not decided');
SELECT set_eq($$SELECT * FROM isms_report.statement_of_applicability_at(now())$$, $$SELECT * FROM isms_report.statement_of_applicability$$,
    'statement_of_applicability_at(now()) is the view');

------------------------------------------------------------------------------
-- Process interactions: the near miss and the dangling input, in the view too

SELECT set_eq($$SELECT from_process, artifact, to_process, match, input_artifact FROM isms_report.process_interactions
                 WHERE org_id = (SELECT s FROM sv) AND match <> 'exact'$$,
    $$VALUES ('Training', 'Training records', 'Competence review', 'near_miss', 'training records'),
             (NULL, 'HR feed', 'Competence review', 'dangling', 'HR feed')$$,
    'the BI view lists the near miss and the input no process outputs');
SELECT is((SELECT count(*) FROM isms_report.process_interactions WHERE org_id = :s AND match = 'exact'),
          (SELECT count(*) FROM isms.process_interactions(:s) WHERE match = 'exact'), 'the view''s exact edges are the function''s');
SELECT set_eq($$SELECT artifact, match FROM isms_report.process_interactions_at('2024-08-30 12:00+00') WHERE org_id = (SELECT s FROM sv)$$,
    $$SELECT artifact, match FROM isms.process_interactions((SELECT s FROM sv), '2024-08-30 12:00+00')$$,
    'process_interactions_at 2024-08-30: the interactions of then');
SELECT is((SELECT array_agg(artifact ORDER BY artifact) FROM isms_report.process_interactions_at('2024-08-30 12:00+00') WHERE org_id = :s AND match = 'dangling'),
    '{"Review decisions"}', '... the review decisions dangled (no management review yet), the HR feed was not an input');

------------------------------------------------------------------------------
-- Refusals and row-level security

SELECT throws_ok($$SELECT * FROM isms_report.readiness_at(NULL)$$, '22023', NULL, 'a NULL instant is refused (22023)');
SELECT throws_ok($$SELECT * FROM isms_report.risk_register_at('infinity')$$, '22023', NULL, 'an infinite instant is refused (22023)');
SET LOCAL ROLE rep_reader;
SELECT is((SELECT array_agg(DISTINCT org_id) FROM isms_report.risk_register_at('2025-06-30 12:00+00')), ARRAY[1::bigint],
    'a reader sees the organisations it is a member of only');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
