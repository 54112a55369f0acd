-- isms demo: the sample ISMS and its reports.
-- Run by `make demo` (psql -X -v ON_ERROR_STOP=1 -f examples/demo.sql), which
-- `tools/dev demo` runs before rendering the process map.  It creates the
-- database isms_demo afresh (so it can be run again), loads the sample ISMS
-- of Northwind Logistics Ltd (three years of operation up to today) and
-- prints the Clause 4.4 readiness report, the staleness summary, the
-- continual-improvement trend, a summary of the Statement of
-- Applicability and the sweep's reminders (isms.sweep).  `tools/dev demo --keep` keeps the cluster to explore
-- afterwards with psql (`SET search_path = public, isms;`) or a BI tool
-- pointed at the views of isms_report.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
DROP DATABASE IF EXISTS isms_demo;
CREATE DATABASE isms_demo;
\c isms_demo
SET client_min_messages = warning;
CREATE EXTENSION isms;
CREATE EXTENSION isms_sample;

\echo
\echo 'Loading the sample ISMS (Northwind Logistics Ltd, three years of operation up to today) ...'
SELECT clock_timestamp() AS t0 \gset
SELECT isms.load_sample(1, current_date) AS sample_rows \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1) AS load_s \gset
SELECT org_id AS org FROM isms.organization WHERE code = 'NORTHWIND' \gset
\echo :sample_rows 'rows in' :load_s 's: registers, evidence, and the transition log of every workflow record'
SELECT isms.load_sample_suppliers(current_date) AS supplier_rows \gset
\echo :supplier_rows 'rows of suppliers, agreements and assessments (isms.load_sample_suppliers)'
SELECT isms.load_sample_staff(current_date) AS staff_rows \gset
\echo :staff_rows 'rows of staff, policy versions and acknowledgements (isms.load_sample_staff)'

-- A pooled intranet application: one login, the organisation and the person
-- set per transaction (see the README, "Access and row-level security").
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'intranet_app') THEN
        CREATE ROLE intranet_app LOGIN;
    END IF;
END $$;
GRANT isms_editor, isms_app TO intranet_app;   -- isms_app: trusted to assert the person it serves
INSERT INTO isms.membership (org_id, role_name, note) VALUES (:org, 'intranet_app', 'Intranet ISMS portal');
BEGIN;
SET LOCAL ROLE intranet_app;                    -- the app's login, in real life
SET LOCAL isms.org = 'NORTHWIND';
SET LOCAL isms.actor = 'sam.sales@northwind.example';
INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
    SELECT org_id, 'Phishing mail reported by a driver', 'low', now() - interval '2 hours', 'SOC lead'
      FROM isms.organization WHERE code = current_setting('isms.org');
COMMIT;

SET search_path = public, isms;                 -- the operators of isms.ref, for ad-hoc SQL
\pset footer off
\pset null ''

\echo
\echo '== Clause 4.4 readiness: the auditor''s checklist (isms.clause_4_4_readiness)'
SELECT check_no AS "#", checkpoint, status, score, figures
  FROM isms.clause_4_4_readiness(:org);
SELECT count(*) FILTER (WHERE status = 'pass') AS pass, count(*) FILTER (WHERE status = 'warn') AS warn,
       count(*) FILTER (WHERE status = 'fail') AS fail,
       CASE WHEN count(*) FILTER (WHERE status = 'fail') > 0 THEN 'not ready: fix the failing checks first'
            WHEN count(*) FILTER (WHERE status = 'warn') > 0 THEN 'ready with observations'
            ELSE 'ready' END AS verdict
  FROM isms.clause_4_4_readiness(:org);
\echo 'What to do:'
SELECT check_no AS "#", action FROM isms.clause_4_4_readiness(:org) WHERE status <> 'pass';

\echo
\echo '== Staleness (shelf-ware): registers with overdue reviews or no change for a year (isms.staleness_summary)'
SELECT register, clause, review_interval::text AS interval, rows, overdue, overdue_share AS share,
       oldest_review_days AS oldest_days, days_since_change AS idle_days,
       CASE WHEN untouched THEN 'UNTOUCHED' ELSE '' END AS shelf_ware
  FROM isms.staleness_summary(:org)
 WHERE overdue > 0 OR untouched
 ORDER BY untouched DESC, overdue_share DESC NULLS LAST, register;
\echo 'The ten longest overdue (isms.stale_items):'
SELECT register, label, owner, due_at::date AS due, days_overdue
  FROM isms.stale_items()
 WHERE org_id = :org
 ORDER BY days_overdue DESC, register, label
 LIMIT 10;

\echo
\echo '== Continual improvement, per quarter (isms.improvement_metrics)'
SELECT to_char(period_start, 'YYYY-"Q"Q') AS quarter,
       nonconformities_raised AS nc_in, nonconformities_closed AS nc_out, median_days_to_close AS med_days,
       corrective_actions_effective || '/' || corrective_actions_checked AS ca_effective,
       recurring_nonconformities AS recur,
       audits_completed || '/' || audits_planned AS audits, reviews_held || '/' || reviews_planned AS reviews,
       objectives_met || '/' || objectives_measured AS objectives,
       residual_risk_total AS residual_risk, residual_risk_change AS change,
       pdca_cycles_completed AS pdca_cycles, improvements_implemented AS improvements
  FROM isms.improvement_metrics(:org, date_trunc('quarter', now() - interval '3 years') + interval '3 months', now(),
                                interval '3 months');

\echo
\echo '== Statement of Applicability, summary by theme (isms.statement_of_applicability)'
SELECT coalesce(theme, 'all') AS theme, count(*) AS controls,
       count(*) FILTER (WHERE decision = 'included') AS included,
       count(*) FILTER (WHERE decision = 'excluded') AS excluded,
       count(*) FILTER (WHERE decision = 'not decided') AS undecided,
       count(*) FILTER (WHERE implementation_status = 'implemented' AND applicable) AS implemented,
       count(*) FILTER (WHERE implementation_status IN ('planned', 'partially_implemented') AND applicable) AS in_progress,
       count(*) FILTER (WHERE applicable AND latest_evidence_at > now() - interval '1 year') AS evidence_last_year,
       sum(linked_risks) AS risk_links
  FROM isms.statement_of_applicability(:org)
 GROUP BY ROLLUP (theme)
 ORDER BY theme NULLS LAST;
\echo 'Excluded controls and their justification:'
SELECT control, title, justification FROM isms.statement_of_applicability(:org) WHERE decision = 'excluded';

\echo
\echo '== Process interactions (4.4): edges and the siloed process (isms.process_interactions)'
SELECT count(*) AS processes, count(*) FILTER (WHERE siloed) AS siloed,
       string_agg(name, ', ') FILTER (WHERE siloed) AS siloed_processes,
       (SELECT count(*) FROM isms.process_interactions(:org)) AS interactions
  FROM isms.process_links(:org);

\echo
\echo '== Incident recorded through the pooled application (A.5.24)'
SELECT id, title, status, created_by, reported_by FROM isms.incident WHERE created_by = 'sam.sales@northwind.example';

\echo
\echo '== Evidence: the hash-chained trail and the sealed transition log, as an auditor verifies them'
SELECT h.seq AS trail_head_seq, h.hash AS trail_head_hash,
       (SELECT count(*) FROM isms.trail WHERE org_id = :org) AS trail_entries,
       (SELECT count(*) FROM isms.transition_log WHERE org_id = :org) AS logged_moves,
       (SELECT count(*) FROM isms.verify_trail(:org)) AS broken_links,
       (SELECT count(*) FROM isms.verify_transition_log(:org)) AS unsealed_or_changed_moves
  FROM isms.trail_head(:org) h;

\echo
\echo '== Reminders and escalation: the sweep turns what is overdue into tasks for their owners (isms.sweep)'
-- what pg_cron would run every 15 minutes (isms.schedule_sweep()); here the
-- application's login, as the person it asserts, with the thresholds of
-- Northwind: reminded after 7 days, escalated to the CISO after 14
BEGIN;
SET LOCAL ROLE intranet_app;
SET LOCAL isms.actor = 'isms-scheduler@northwind.example';
INSERT INTO isms.task_setting (org_id, remind_after, escalate_after, escalate_to) VALUES (:org, '7 days', '14 days', 'CISO');
SELECT clock_timestamp() AS t0 \gset
SELECT code, created, escalated, closed FROM isms.sweep('NORTHWIND');
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000) AS sweep_ms \gset
SELECT format('the first sweep took %s ms; a second one at once created %s, escalated %s and closed %s tasks',
              :sweep_ms, created, escalated, closed) AS sweep_again FROM isms.sweep('NORTHWIND') \gset
COMMIT;
\echo :sweep_again
SELECT kind, count(*) AS tasks, count(*) FILTER (WHERE escalation_level = 1) AS reminded,
       count(*) FILTER (WHERE escalation_level = 2) AS escalated_to_ciso
  FROM isms_report.tasks WHERE org_id = :org AND open GROUP BY kind ORDER BY tasks DESC, kind;
\echo 'Each task created or escalated is a workflow move, so an event in the outbox for the mail gateway:'
SELECT l.to_state, count(*) AS events, min(l.reason) AS example_reason
  FROM isms.transition_log l WHERE l.org_id = :org AND l.record_table = 'isms.task'::regclass
 GROUP BY l.to_state ORDER BY l.to_state;

\echo
\echo 'More in database isms_demo: BI views in schema isms_report (SELECT * FROM isms_report.readiness), the SoA as CSV:'
\echo '  \\copy (SELECT * FROM isms.statement_of_applicability(1)) TO soa.csv CSV HEADER'

\echo
\echo '== The audit pack (isms.audit_pack): out/audit-pack.html'
\! mkdir -p out
\pset format unaligned
\pset tuples_only on
\o out/audit-pack.html
SELECT isms.audit_pack('NORTHWIND');
\o
\pset tuples_only off
\pset format aligned
