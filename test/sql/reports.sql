-- Output shape of the main reports on the fixed data set of the report tests
-- (test/pgtap/reports_fixture.psql), as of 2025-06-30 12:00 UTC.
BEGIN;
\set ECHO none
\set QUIET 1
\i test/pgtap/reports_fixture.psql
\set QUIET 0
\set ECHO all
\pset null '(null)'
-- Clause 4.4 readiness
SELECT check_no, checkpoint, clauses, status, score, evidence FROM isms.clause_4_4_readiness(1, '2025-06-30 12:00+00');
\x on
SELECT check_no, figures, action FROM isms.clause_4_4_readiness(1, '2025-06-30 12:00+00') WHERE status <> 'pass';
\x off
-- staleness
SELECT * FROM isms.stale_items('2025-06-30 12:00+00') ORDER BY org_id, days_overdue DESC, register, record_id;
SELECT register, clause, review_interval, rows, overdue, overdue_share, never_reviewed, oldest_review_days,
       days_since_change, untouched
  FROM isms.staleness_summary(1, '2025-06-30 12:00+00') WHERE rows > 0;
-- continual improvement
\x on
SELECT * FROM isms.improvement_metrics(1, '2024-07-01 00:00+00', '2025-07-01 00:00+00', '6 months');
\x off
-- Statement of Applicability: the decided controls, and a CSV export
SELECT control, title, decision, justification, implementation_status, linked_risks, risk_ids, latest_evidence_at
  FROM isms.statement_of_applicability(1) WHERE decision <> 'not decided';
\copy (SELECT control, decision, implementation_status, linked_risks FROM isms.statement_of_applicability(1) LIMIT 5) TO STDOUT WITH (FORMAT csv, HEADER)
SELECT count(*) AS controls FROM isms.statement_of_applicability(1);
-- process interactions and map
SELECT from_process, artifact, to_process FROM isms.process_interactions(1);
SELECT isms.process_map(1);
SELECT isms.process_map(1, 'mermaid');
-- refusals (each in its own savepoint)
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SELECT * FROM isms.clause_4_4_readiness(42);
SELECT * FROM isms.improvement_metrics(1, '2025-07-01', '2025-01-01');
SELECT * FROM isms.improvement_metrics(1, '2025-01-01', '2025-07-01', '0 days');
SELECT isms.process_map(1, 'png');
ROLLBACK;
