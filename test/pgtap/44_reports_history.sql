-- Reports as of any instant, from the register history, on an ISMS that
-- changes over time with the defects an auditor finds first
-- (reports_history_fixture.psql: read it to follow the numbers): shelf-ware
-- fails readiness, a re-rated risk gives one figure everywhere, near misses
-- and inputs no process outputs are reported, incomplete management reviews
-- are named, a document is in force only once published and its
-- publication counts as a review.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir reports_fixture.psql
\ir reports_history_fixture.psql
CREATE TEMP TABLE sv AS SELECT :s::bigint AS s;
SELECT plan(40);

CREATE TEMP TABLE rd AS SELECT * FROM isms.clause_4_4_readiness(:s, '2025-06-30 12:00+00');
CREATE TEMP TABLE rd_then AS SELECT * FROM isms.clause_4_4_readiness(:s, '2024-06-30 12:00+00');

------------------------------------------------------------------------------
-- Shelf-ware: the risk register untouched for fourteen months

SELECT is((SELECT status FROM rd WHERE check_no = 12), 'fail', '(12) shelf-ware fails readiness at T');
SELECT matches((SELECT figures FROM rd WHERE check_no = 12),
    'shelf-ware: Risks \(2 of 2 overdue, untouched since 2024-04-15\); Risk criteria \(1 of 1 overdue, untouched since 2024-04-15\); Risk treatment plans \(1 of 1 overdue, untouched since 2024-04-15\)$',
    '(12) the risk register, its scale and its treatment plan are named, with when they were last touched');
SELECT matches((SELECT action FROM rd WHERE check_no = 12), '6.1.2 and 8.2', '(12) the action cites the planned risk assessment');
SELECT is((SELECT status FROM rd_then WHERE check_no = 12), 'pass', '(12) a year earlier the same registers were maintained');
SELECT is((SELECT status FROM rd WHERE check_no = 7), 'fail', '(7) no improvement outcome: residual risk unchanged and not reassessed');
SELECT matches((SELECT figures FROM rd WHERE check_no = 7), '8 -> 8 \(no risk reassessed since then\)', '(7) the figure says why');
SELECT matches((SELECT action FROM rd WHERE check_no = 7), 'Reassess the risks', '(7) and what to do');
SELECT is((SELECT (rows, overdue, untouched)::text FROM isms.staleness_summary(:s, '2025-06-30 12:00+00') WHERE register = 'risk'),
    '(2,2,t)', 'staleness_summary at T: both risks overdue, untouched');
SELECT is((SELECT (rows, overdue, untouched)::text FROM isms.staleness_summary(:s, '2024-04-01 12:00+00') WHERE register = 'risk'),
    '(2,2,f)', 'staleness_summary before the review of 2024-04-15: both overdue (the history has no review yet)');
SELECT is((SELECT overdue FROM isms.staleness_summary(:s, '2024-05-01 12:00+00') WHERE register = 'risk'),
    0::bigint, 'staleness_summary after that review: none overdue');
SELECT set_eq($$SELECT label FROM isms.stale_items('2024-04-01 12:00+00') WHERE org_id = (SELECT s FROM sv) AND register = 'risk'$$,
    $$VALUES ('S1 supplier breach'), ('S2 lost backups')$$, 'stale_items as of 2024-04-01: the risks, from their history');
SELECT is((SELECT count(*) FROM isms.stale_items('2024-05-01 12:00+00') WHERE org_id = :'s' AND register = 'risk'),
    0::bigint, 'stale_items as of 2024-05-01: none');

------------------------------------------------------------------------------
-- The re-rated risk: one figure, from the register history

SELECT is((SELECT sum(rating) FROM isms.risk_rating_at(:s, '2024-01-01 00:00+00')), 25::bigint, 'residual risk 2024-01-01: inherent 16 + 9');
SELECT is((SELECT sum(rating) FROM isms.risk_rating_at(:s, '2024-03-15 00:00+00')), 20::bigint, '2024-03-15: S2 re-rated to 4');
SELECT is((SELECT sum(rating) FROM isms.risk_rating_at(:s, '2025-06-30 12:00+00')), 8::bigint,
    'T: S1 re-rated to 4 without plan or acceptance: it counts at its rating in the register');
SELECT is((SELECT sum(rating) FROM isms.risk_rating_at(:s, now())),
          (SELECT sum(current_rating) FROM isms_report.risk_register WHERE org_id = :s),
    'now: the trend and the BI risk register agree');
SELECT results_eq($$SELECT residual_risk_total, residual_risk_change FROM isms.improvement_metrics((SELECT s FROM sv), '2024-01-01', '2025-07-01', '6 months') ORDER BY 1$$,
    $$VALUES (8::bigint, -17::bigint), (8, 0), (8, 0)$$, 'improvement_metrics: the fall happens in the first half of 2024');

------------------------------------------------------------------------------
-- Interactions that nearly match, inputs no process outputs

SELECT set_eq($$SELECT from_process, artifact, to_process, match, input_artifact FROM isms.process_interactions((SELECT s FROM sv), '2025-06-30 12:00+00') WHERE match <> 'exact'$$,
    $$VALUES ('Training', 'Training records', 'Competence review', 'near_miss', 'training records'),
             (NULL, 'HR feed', 'Competence review', 'dangling', 'HR feed')$$,
    'process_interactions at T: the near miss and the input no process outputs');
SELECT is((SELECT count(*) FROM isms.process_interactions(:s, '2025-06-30 12:00+00') WHERE match = 'exact'), 3::bigint,
    'three interactions at T');
SELECT set_eq($$SELECT artifact, match FROM isms.process_interactions((SELECT s FROM sv), '2024-08-30 12:00+00') WHERE match <> 'near_miss'$$,
    $$VALUES ('Risk register', 'exact'), ('Review decisions', 'dangling')$$,
    'ten months back: one interaction; the management review did not exist, so nothing output its decisions');
SELECT is((SELECT figures FROM rd WHERE check_no = 11),
    'processes: 5; interactions: 3; siloed: 2 (Training, Competence review); near misses: Training output "Training records" / Competence review input "training records"; inputs no process outputs: "HR feed" (input of Competence review)',
    '(11) readiness names the near miss and the dangling input');
SELECT matches((SELECT figures FROM isms.clause_4_4_readiness(:s, '2024-08-30 12:00+00') WHERE check_no = 11),
    '^processes: 4; interactions: 1;', '(11) ten months back: the processes and interactions of then');
SELECT matches((SELECT action FROM rd WHERE check_no = 11), 'Name each artifact the same on both sides', '(11) the action for the near miss');
SELECT matches(isms.process_map(:s, 'dot', '2025-06-30 12:00+00'), 'near miss:\\nTraining records\\ntraining records',
    'DOT: the near miss drawn with both names');
SELECT matches(isms.process_map(:s, 'dot', '2025-06-30 12:00+00'), 'no process outputs:\\nHR feed', 'DOT: the dangling input drawn');
SELECT matches(isms.process_map(:s, 'mermaid', '2025-06-30 12:00+00'), 'near miss: Training records / training records', 'Mermaid: the near miss');
SELECT unalike(isms.process_map(:s, 'dot', '2024-08-30 12:00+00'), '%Management review%', 'the map of 2024-08-30 has no management review yet');

------------------------------------------------------------------------------
-- Management reviews: which one lacks which input

SELECT doesnt_match((SELECT figures FROM rd WHERE check_no = 6), 'incomplete:', '(6) no held review is incomplete: the register refuses a held review with blank inputs (management_review_inputs_when_held)');
SELECT matches((SELECT action FROM rd WHERE check_no = 6), 'overdue management reviews: MR-S3 \(planned 2025-06-01\)', '(6) the overdue review is named');
SELECT is((SELECT status FROM rd WHERE check_no = 6), 'warn', '(6) warns');

------------------------------------------------------------------------------
-- The Statement of Applicability as of a date

SELECT is((SELECT (decision, justification)::text FROM isms.statement_of_applicability(:s, as_of => '2024-06-30 12:00+00') WHERE control = 'A.8.13'),
    '(excluded,"No backups of our own")', 'SoA as of 2024-06-30: A.8.13 excluded then');
SELECT is((SELECT decision FROM isms.statement_of_applicability(:s, as_of => '2025-06-30 12:00+00') WHERE control = 'A.8.13'),
    'included', 'SoA at T: included');
SELECT is((SELECT count(*) FROM isms.statement_of_applicability(:s, as_of => '2022-01-01')), 93::bigint, 'before any decision: 93 controls, none decided');
SELECT throws_ok($$SELECT * FROM isms.statement_of_applicability(1, as_of => 'infinity')$$, '22023', NULL, 'as_of must be finite');

------------------------------------------------------------------------------
-- Documents: in force once published; publication is a review

SELECT is((SELECT figures FROM rd WHERE check_no = 10) ~ 'reviewed within their interval: 1 of 2', true,
    '(10) the approved, never published access policy is not in force');
SELECT ok(NOT isms.document_in_force('approved') AND isms.document_in_force('under_revision') AND isms.document_in_force('published'),
    'document_in_force: published and under_revision, not approved');

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rep_approver') THEN CREATE ROLE rep_approver NOLOGIN; END IF;
END $$;
GRANT isms_editor TO rep_approver;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'rep_approver');
SET LOCAL ROLE rep_editor;
INSERT INTO isms.document (org_id, code, kind, title, owner, clause) VALUES (1, 'D9', 'procedure', 'Backup procedure', 'IT lead', '8.1');
SELECT id AS d9 FROM isms.document WHERE code = 'D9' \gset
SELECT isms.draft_document(:d9, content_text => 'Back up daily.') AS v9 \gset
SELECT isms.submit_document(:v9) \gset
RESET ROLE;
SET LOCAL ROLE rep_approver;
SELECT isms.approve_document(:v9, 'approved', 'Fine') \gset
RESET ROLE;
SELECT is((SELECT in_force FROM isms_report.documents WHERE document_id = :d9), false, 'BI view: approved, not published: not in force');
SET LOCAL ROLE rep_approver;
SELECT isms.publish_document(:v9) \gset
RESET ROLE;
SELECT is((SELECT (in_force, review_due_at > now())::text FROM isms_report.documents WHERE document_id = :d9), '(t,t)',
    'BI view: published: in force, and its review falls due one interval after the publication');
-- a publication takes effect at the clock time of the publish, after now()
SELECT is(isms.document_reviewed_at(1, :d9, NULL, clock_timestamp()),
          (SELECT lower(validity) FROM isms.document_version WHERE id = :v9),
          'document_reviewed_at: the publication is the last review');
SELECT is((SELECT count(*) FROM isms.stale_items(now() + interval '11 months') WHERE label = 'Backup procedure'), 0::bigint,
    'not overdue eleven months after publication, though never marked reviewed');

SELECT * FROM finish();
ROLLBACK;
