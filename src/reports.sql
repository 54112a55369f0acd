-- BI views (layer 7): schema isms_report, one view per thing a dashboard
-- shows.  Only plain column types (text, integer, bigint, numeric, date,
-- timestamptz, boolean, interval, and arrays of them), every view and column commented, readable by
-- isms_reader.  Every view is security_invoker, so the row-level security of
-- the registers applies to whoever queries it: a BI role sees its member
-- organisations only.  Each view leads with org_id and org_code; filter on
-- org_id (or org_code) for one organisation's dashboard.
--
-- References (clause, control, requirement) are text in the collation
-- isms.natural, so that comparisons, BETWEEN and ORDER BY follow the
-- natural order of isms.ref in every driver; intervals are interval, lists
-- of identifiers arrays of plain types.  The views compute the review due
-- date inline (the row's interval, else the organisation's setting, else
-- the register default: isms.review_due_at) so that SELECT * costs no
-- function call per row.

-- One organisation's transition log in order: workflow_activity (and any
-- reader of one organisation's moves) reads it through the log's primary
-- key (org_id, log_id), filtered on org_id or, through the join, on org_code.

-- When a row's periodic review falls due: last review (or creation) plus
-- its own interval, else the organisation's register setting, else the
-- register default.
CREATE FUNCTION isms.review_due_at(org_id bigint, relid regclass, own_interval interval,
                                   last_reviewed_at timestamptz, created_at timestamptz)
    RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT coalesce($4, $5) + coalesce($3, isms.review_interval($1, $2))
$$;
COMMENT ON FUNCTION isms.review_due_at(bigint, regclass, interval, timestamptz, timestamptz) IS
    'When a register row''s periodic review falls due: last review (or creation, if never reviewed) plus its review interval (row, else organisation setting, else register default)';
REVOKE ALL ON FUNCTION isms.review_due_at(bigint, regclass, interval, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.review_due_at(bigint, regclass, interval, timestamptz, timestamptz) TO isms_reader;

------------------------------------------------------------------------------

CREATE VIEW isms_report.organizations WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, o.name, o.scope_statement,
       coalesce(btrim(o.scope_statement), '') <> '' AS has_scope_statement, o.created_at
  FROM isms.organization o;
COMMENT ON VIEW isms_report.organizations IS
    'Organisations (tenants) the caller may see: the filter of every dashboard';

CREATE VIEW isms_report.risk_register WITH (security_invoker = true) AS
SELECT r.org_id, o.code AS org_code, r.id AS risk_id, r.title, a.name AS asset, r.threat, r.vulnerability,
       r.consequence, r.owner,
       r.inherent_likelihood::integer AS inherent_likelihood, r.inherent_impact::integer AS inherent_impact,
       r.inherent_rating,
       r.residual_likelihood::integer AS residual_likelihood, r.residual_impact::integer AS residual_impact,
       r.residual_rating,
       coalesce(r.residual_rating, r.inherent_rating) AS current_rating,
       s.acceptance_threshold,
       coalesce(r.residual_rating, r.inherent_rating) <= s.acceptance_threshold AS within_appetite,
       r.treatment,
       r.accepted_at IS NOT NULL AS accepted, r.accepted_by, r.accepted_at, r.accepted_until,
       tp.plans AS treatment_plans, tp.open_plans AS open_treatment_plans,
       (SELECT count(*) FROM isms.risk_control c WHERE c.org_id = r.org_id AND c.risk_id = r.id)::integer AS controls,
       r.identified_on, r.last_reviewed_at,
       rd.due AS review_due_at, rd.due < now() AS review_overdue,
       r.created_at, r.updated_at
  FROM isms.risk r
  JOIN isms.organization o ON o.org_id = r.org_id
  LEFT JOIN isms.register_setting rs ON rs.org_id = r.org_id AND rs.relid = 'isms.risk'::regclass
  CROSS JOIN LATERAL (
      SELECT coalesce(r.last_reviewed_at, r.created_at)
             + coalesce(r.review_interval, rs.review_interval,
                        (SELECT g.default_review_interval FROM isms.register g WHERE g.relid = 'isms.risk'::regclass)) AS due) rd
  LEFT JOIN isms.risk_scale s ON s.org_id = r.org_id
  LEFT JOIN isms.asset a ON a.org_id = r.org_id AND a.id = r.asset_id
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS plans,
             count(*) FILTER (WHERE NOT ws.is_terminal)::integer AS open_plans
        FROM isms.treatment_plan p
        JOIN isms.workflow_state ws ON ws.workflow = 'treatment_plan' AND ws.state = p.status
       WHERE p.org_id = r.org_id AND p.risk_id = r.id) tp;
COMMENT ON VIEW isms_report.risk_register IS
    'Clause 6.1.2: the risk register with inherent, residual and current rating, appetite, treatment, acceptance and review status';

CREATE VIEW isms_report.treatment_plans WITH (security_invoker = true) AS
SELECT p.org_id, o.code AS org_code, p.id AS plan_id, p.risk_id, r.title AS risk_title, p.title, p.action,
       p.owner, p.status, ws.phase, ws.is_terminal AS closed, p.cycle, p.due_on,
       p.due_on < current_date AND NOT ws.is_terminal AS overdue,
       p.approved_by, p.approved_at, p.completed_at,
       (SELECT count(*) FROM isms.evidence e
         WHERE e.org_id = p.org_id AND e.record_table = 'isms.treatment_plan'::regclass AND e.record_id = p.id)::integer AS evidence_items,
       p.created_at, p.updated_at
  FROM isms.treatment_plan p
  JOIN isms.organization o ON o.org_id = p.org_id
  JOIN isms.risk r ON r.org_id = p.org_id AND r.id = p.risk_id
  LEFT JOIN isms.workflow_state ws ON ws.workflow = 'treatment_plan' AND ws.state = p.status;
COMMENT ON VIEW isms_report.treatment_plans IS
    'Clause 6.1.3 e: risk treatment plans with workflow status and phase, due dates and evidence';

CREATE VIEW isms_report.statement_of_applicability WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, q.framework, q.control_order, q.ref::text COLLATE isms.natural AS control, q.title, q.theme,
       e.id AS entry_id, e.applicable,
       CASE WHEN e.id IS NULL THEN 'not decided' WHEN e.applicable THEN 'included' ELSE 'excluded' END AS decision,
       e.justification, e.implementation_status,
       coalesce(rk.n, 0)::integer AS linked_risks, coalesce(rk.ids, '{}') AS risk_ids,
       ev.latest AS latest_evidence_at, coalesce(ev.n, 0)::integer AS evidence_items,
       coalesce(ev.latest > now() - interval '1 year', false) AS evidence_recent,
       e.owner, e.last_reviewed_at
  FROM isms.organization o
  CROSS JOIN (SELECT r.framework, r.ref, r.title, r.theme,
                     row_number() OVER (PARTITION BY r.framework ORDER BY r.ref)::integer AS control_order
                FROM isms.requirement r WHERE r.kind = 'control') q
  LEFT JOIN isms.soa_entry e ON e.org_id = o.org_id AND e.framework = q.framework AND e.control = q.ref
  LEFT JOIN LATERAL (
      SELECT count(*) AS n, array_agg(rc.risk_id ORDER BY rc.risk_id) AS ids
        FROM isms.risk_control rc
       WHERE rc.org_id = o.org_id AND rc.framework = q.framework AND rc.control = q.ref) rk ON true
  LEFT JOIN LATERAL (
      SELECT max(v.collected_at) AS latest, count(*) AS n
        FROM isms.evidence v
       WHERE v.org_id = o.org_id AND v.record_table = 'isms.soa_entry'::regclass AND v.record_id = e.id) ev ON true;
COMMENT ON VIEW isms_report.statement_of_applicability IS
    'Clause 6.1.3 d: every Annex A control for every organisation (sort by control_order), with decision, justification, implementation status, linked risks and latest evidence';

CREATE VIEW isms_report.nonconformities WITH (security_invoker = true) AS
SELECT n.org_id, o.code AS org_code, n.id AS nonconformity_id, n.title, n.requirement::text COLLATE isms.natural AS requirement,
       q.title AS requirement_title, n.source, n.severity, n.owner, n.status, ws.phase, ws.is_terminal AS closed, n.cycle,
       n.detected_at, n.closed_at,
       floor(extract(epoch FROM coalesce(n.closed_at, now()) - n.detected_at) / 86400)::integer AS days_open,
       n.finding_id, n.incident_id,
       ca.n AS corrective_actions, ca.open AS open_corrective_actions, ca.root_cause AS root_cause_recorded,
       EXISTS (SELECT 1 FROM isms.nonconformity m
                JOIN isms.transition_log l ON l.org_id = m.org_id AND l.record_table = 'isms.nonconformity'::regclass
                                          AND l.to_state = 'closed' AND l.record_id = m.id
               WHERE m.org_id = n.org_id AND m.id <> n.id AND m.framework = n.framework
                 AND m.requirement OPERATOR(isms.=) n.requirement
                 AND l.at <= n.detected_at AND l.at >= n.detected_at - interval '12 months') AS recurring
  FROM isms.nonconformity n
  JOIN isms.organization o ON o.org_id = n.org_id
  LEFT JOIN isms.requirement q ON q.framework = n.framework AND q.ref = n.requirement
  LEFT JOIN isms.workflow_state ws ON ws.workflow = 'nonconformity' AND ws.state = n.status
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS n,
             count(*) FILTER (WHERE NOT s.is_terminal)::integer AS open,
             coalesce(bool_or(btrim(coalesce(a.root_cause, '')) <> ''), false) AS root_cause
        FROM isms.corrective_action a
        JOIN isms.workflow_state s ON s.workflow = 'corrective_action' AND s.state = a.status
       WHERE a.org_id = n.org_id AND a.nonconformity_id = n.id) ca;
COMMENT ON VIEW isms_report.nonconformities IS
    'Clause 10.2: nonconformities with status, age, corrective actions and recurrence (same requirement as one closed in the 12 months before)';

CREATE VIEW isms_report.corrective_actions WITH (security_invoker = true) AS
SELECT a.org_id, o.code AS org_code, a.id AS corrective_action_id, a.nonconformity_id, n.title AS nonconformity,
       a.action, a.root_cause, btrim(coalesce(a.root_cause, '')) <> '' AS root_cause_recorded,
       a.owner, a.status, ws.phase, ws.is_terminal AS closed, a.cycle, a.due_on,
       a.due_on < current_date AND NOT ws.is_terminal AS overdue,
       a.implemented_by, a.implemented_at, a.effectiveness_checked_by, a.effectiveness_checked_at, a.effective,
       a.effectiveness_checked_by IS NOT NULL AND a.effectiveness_checked_by IS DISTINCT FROM a.implemented_by AS independent_check,
       a.created_at, a.updated_at
  FROM isms.corrective_action a
  JOIN isms.organization o ON o.org_id = a.org_id
  JOIN isms.nonconformity n ON n.org_id = a.org_id AND n.id = a.nonconformity_id
  LEFT JOIN isms.workflow_state ws ON ws.workflow = 'corrective_action' AND ws.state = a.status;
COMMENT ON VIEW isms_report.corrective_actions IS
    'Clause 10.2: corrective actions with root cause, implementation and effectiveness check';

CREATE VIEW isms_report.audits WITH (security_invoker = true) AS
SELECT a.org_id, o.code AS org_code, a.id AS audit_id, a.programme_id, p.title AS programme, a.title, a.scope,
       a.lead_auditor, a.auditee, a.planned_start, a.planned_end, a.conducted_start, a.conducted_end,
       a.status, ws.phase, a.status = 'completed' AS completed,
       a.planned_end < current_date AND NOT ws.is_terminal AS overdue,
       f.n AS findings, f.nc AS nonconformity_findings, f.obs AS observations, f.opp AS opportunities
  FROM isms.audit a
  JOIN isms.organization o ON o.org_id = a.org_id
  JOIN isms.audit_programme p ON p.org_id = a.org_id AND p.id = a.programme_id
  LEFT JOIN isms.workflow_state ws ON ws.workflow = 'audit' AND ws.state = a.status
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS n,
             count(*) FILTER (WHERE x.finding_type = 'nonconformity')::integer AS nc,
             count(*) FILTER (WHERE x.finding_type = 'observation')::integer AS obs,
             count(*) FILTER (WHERE x.finding_type = 'opportunity')::integer AS opp
        FROM isms.audit_finding x WHERE x.org_id = a.org_id AND x.audit_id = a.id) f;
COMMENT ON VIEW isms_report.audits IS
    'Clause 9.2: internal audits of the programmes, planned and conducted dates, status and findings by type';

CREATE VIEW isms_report.audit_findings WITH (security_invoker = true) AS
SELECT f.org_id, o.code AS org_code, f.id AS finding_id, f.audit_id, a.title AS audit, f.finding_type,
       f.requirement::text COLLATE isms.natural AS requirement, f.severity, f.statement, f.status, ws.phase,
       f.nonconformity_id, f.nonconformity_id IS NOT NULL AS raised_as_nonconformity,
       f.finding_type = 'nonconformity' AND f.nonconformity_id IS NULL AND f.status <> 'withdrawn' AS unlinked_nonconformity,
       f.raised_by, f.created_at, f.updated_at
  FROM isms.audit_finding f
  JOIN isms.organization o ON o.org_id = f.org_id
  JOIN isms.audit a ON a.org_id = f.org_id AND a.id = f.audit_id
  LEFT JOIN isms.workflow_state ws ON ws.workflow = 'audit_finding' AND ws.state = f.status;
COMMENT ON VIEW isms_report.audit_findings IS
    'Clause 9.2: audit findings and whether nonconformity findings became nonconformity records (audit to corrective action)';

CREATE VIEW isms_report.objectives WITH (security_invoker = true) AS
SELECT j.org_id, o.code AS org_code, j.id AS objective_id, j.title, j.target, j.unit, j.direction, j.baseline,
       j.owner, j.status, ws.phase, j.cycle, j.due_on,
       m.n AS measurements, m.last_at AS last_measured_at, m.last_value,
       CASE j.direction WHEN 'at_most' THEN m.last_value <= j.target ELSE m.last_value >= j.target END AS target_met,
       j.last_reviewed_at, j.created_at
  FROM isms.objective j
  JOIN isms.organization o ON o.org_id = j.org_id
  LEFT JOIN isms.workflow_state ws ON ws.workflow = 'objective' AND ws.state = j.status
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS n, max(x.measured_at) AS last_at,
             (SELECT y.value FROM isms.objective_measurement y
               WHERE y.org_id = j.org_id AND y.objective_id = j.id ORDER BY y.measured_at DESC LIMIT 1) AS last_value
        FROM isms.objective_measurement x WHERE x.org_id = j.org_id AND x.objective_id = j.id) m;
COMMENT ON VIEW isms_report.objectives IS
    'Clauses 6.2 and 9.1: objectives with target, status and latest measurement against the target';

CREATE VIEW isms_report.objective_measurements WITH (security_invoker = true) AS
SELECT m.org_id, o.code AS org_code, m.id AS measurement_id, m.objective_id, j.title AS objective,
       m.measured_at, m.value, j.target, j.unit, j.direction,
       CASE j.direction WHEN 'at_most' THEN m.value <= j.target ELSE m.value >= j.target END AS target_met,
       m.measured_by, m.method
  FROM isms.objective_measurement m
  JOIN isms.organization o ON o.org_id = m.org_id
  JOIN isms.objective j ON j.org_id = m.org_id AND j.id = m.objective_id;
COMMENT ON VIEW isms_report.objective_measurements IS
    'Clause 9.1: every measurement of an objective with its target and whether it met it (time series)';

CREATE VIEW isms_report.stale_items WITH (security_invoker = true) AS
SELECT s.org_id, o.code AS org_code, s.register, s.clause COLLATE isms.natural AS clause, s.record_id, s.label, s.owner,
       s.last_reviewed_at, s.review_interval, s.due_at, s.days_overdue
  FROM isms.stale_items(now()) s
  JOIN isms.organization o ON o.org_id = s.org_id;
COMMENT ON VIEW isms_report.stale_items IS
    'Shelf-ware: every register row whose periodic review is overdue now, across registers (isms.stale_items)';

CREATE VIEW isms_report.staleness WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, s.register, s.clause COLLATE isms.natural AS clause, s.title, s.reviewable,
       s.review_interval, s.rows, s.overdue, s.overdue_share, s.never_reviewed,
       s.oldest_review_days, s.last_change_at, s.days_since_change, s.untouched
  FROM isms.organization o
  CROSS JOIN LATERAL isms.staleness_summary(o.org_id, now()) s;
COMMENT ON VIEW isms_report.staleness IS
    'Shelf-ware per organisation and register now: rows, overdue reviews, oldest review, days since the last change (isms.staleness_summary)';

CREATE VIEW isms_report.improvement_trend WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, m.period_start, m.period_end,
       m.nonconformities_raised, m.nonconformities_closed, m.median_days_to_close, m.p90_days_to_close,
       m.corrective_actions_checked, m.corrective_actions_effective, m.effective_share,
       m.recurring_nonconformities, m.audits_planned, m.audits_completed, m.audit_completion,
       m.reviews_planned, m.reviews_held, m.objectives_measured, m.objectives_met, m.objectives_met_share,
       m.residual_risk_total, m.residual_risk_change, m.pdca_cycles_completed, m.improvements_implemented
  FROM isms.organization o
  CROSS JOIN LATERAL isms.improvement_metrics(o.org_id, date_trunc('quarter', now()) - interval '33 months',
                                              now(), interval '3 months') m;
COMMENT ON VIEW isms_report.improvement_trend IS
    'Clause 10.1: continual-improvement figures per calendar quarter over the last twelve quarters, the current one to date (isms.improvement_metrics)';

CREATE VIEW isms_report.pdca_cycles WITH (security_invoker = true) AS
SELECT l.org_id, o.code AS org_code, s.workflow, date_trunc('month', l.at)::date AS month,
       count(*) AS cycles_completed
  FROM isms.transition_log l
  JOIN isms.organization o ON o.org_id = l.org_id
  JOIN isms.workflow w ON w.relid = l.record_table
  JOIN isms.workflow_state s ON s.workflow = w.workflow AND s.state = l.to_state
 WHERE s.is_terminal AND s.phase = 'act' AND isms.reported_move(l.from_state, l.to_state)
 GROUP BY l.org_id, o.code, s.workflow, date_trunc('month', l.at)::date;
COMMENT ON VIEW isms_report.pdca_cycles IS
    'Clause 10.1: completed Plan-Do-Check-Act cycles (moves into a final act state) per organisation, workflow and month';

CREATE VIEW isms_report.workflow_activity WITH (security_invoker = true) AS
SELECT l.org_id, o.code AS org_code, l.log_id, w.workflow, l.record_table::text AS record_table, l.record_id,
       l.cycle, l.from_state, l.to_state, s.phase, s.is_terminal AS final, l.actor, l.reason, l.at
  FROM isms.transition_log l
  JOIN isms.organization o ON o.org_id = l.org_id
  LEFT JOIN isms.workflow w ON w.relid = l.record_table
  LEFT JOIN isms.workflow_state s ON s.workflow = w.workflow AND s.state = l.to_state;
COMMENT ON VIEW isms_report.workflow_activity IS
    'Clause 4.4: every accepted workflow transition (the evidence of operation) with its PDCA phase, who made it and why';

CREATE VIEW isms_report.readiness WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, r.check_no, r.checkpoint, r.clauses, r.status, r.score, r.evidence,
       r.figures, r.action
  FROM isms.organization o
  CROSS JOIN LATERAL isms.clause_4_4_readiness(o.org_id) r;
COMMENT ON VIEW isms_report.readiness IS
    'Clause 4.4 audit readiness now: the checklist per organisation, pass, warn or fail with figures and actions (isms.clause_4_4_readiness)';

CREATE VIEW isms_report.documents WITH (security_invoker = true) AS
SELECT d.org_id, o.code AS org_code, d.id AS document_id, d.code, d.title, d.kind, d.classification, d.origin,
       d.clause::text COLLATE isms.natural AS clause, d.owner, d.status, isms.document_in_force(d.status) AS in_force,
       r.reviewed AS last_reviewed_at, x.due AS review_due_at, x.due < now() AS review_overdue,
       isms.document_in_force(d.status) AND x.due >= now() AS current,
       d.created_at, d.updated_at
  FROM isms.document d
  JOIN isms.organization o ON o.org_id = d.org_id
  LEFT JOIN isms.register_setting rs ON rs.org_id = d.org_id AND rs.relid = 'isms.document'::regclass
  -- isms.document_reviewed_at inline: the last recorded review or the
  -- latest publication, whichever is later
  CROSS JOIN LATERAL (
      SELECT CASE WHEN d.last_reviewed_at <= now() OR v.published_at IS NOT NULL
                  THEN greatest(CASE WHEN d.last_reviewed_at <= now() THEN d.last_reviewed_at END, v.published_at)
             END AS reviewed
        FROM (SELECT max(lower(dv.validity)) AS published_at
                FROM isms.document_version dv
               WHERE dv.org_id = d.org_id AND dv.document_id = d.id AND lower(dv.validity) <= now()) v) r
  CROSS JOIN LATERAL (
      SELECT coalesce(r.reviewed, d.created_at)
             + coalesce(d.review_interval, rs.review_interval,
                        (SELECT g.default_review_interval FROM isms.register g WHERE g.relid = 'isms.document'::regclass)) AS due) x;
COMMENT ON VIEW isms_report.documents IS
    'Clause 7.5: documented information with status, whether it is in force, and its review status';

CREATE VIEW isms_report.incidents WITH (security_invoker = true) AS
SELECT i.org_id, o.code AS org_code, i.id AS incident_id, i.title, i.category, i.severity, i.is_security_incident,
       a.name AS asset, i.owner, i.status, ws.phase, ws.is_terminal AS closed, i.cycle,
       i.occurred_at, i.detected_at, i.reported_at, i.resolved_at,
       round((extract(epoch FROM i.reported_at - i.detected_at) / 3600)::numeric, 1) AS hours_to_report,
       round((extract(epoch FROM i.resolved_at - i.detected_at) / 3600)::numeric, 1) AS hours_to_resolve,
       btrim(coalesce(i.lessons_learned, '')) <> '' AS lessons_learned_recorded
  FROM isms.incident i
  JOIN isms.organization o ON o.org_id = i.org_id
  LEFT JOIN isms.asset a ON a.org_id = i.org_id AND a.id = i.asset_id
  LEFT JOIN isms.workflow_state ws ON ws.workflow = 'incident' AND ws.state = i.status;
COMMENT ON VIEW isms_report.incidents IS
    'Annex A 5.24-5.28: information security events and incidents with severity, status, times to report and resolve, lessons learned';

CREATE VIEW isms_report.management_reviews WITH (security_invoker = true) AS
SELECT m.org_id, o.code AS org_code, m.id AS review_id, m.title, m.chair, m.planned_on, m.held_on,
       m.held_on IS NOT NULL AS held,
       CASE WHEN m.held_on IS NOT NULL THEN m.held_on - m.planned_on
            WHEN m.planned_on < current_date THEN current_date - m.planned_on END AS days_late,
       m.held_on IS NOT NULL
         AND btrim(coalesce(m.previous_actions_status, '')) <> '' AND btrim(coalesce(m.context_changes, '')) <> ''
         AND btrim(coalesce(m.party_changes, '')) <> '' AND btrim(coalesce(m.performance_feedback, '')) <> ''
         AND btrim(coalesce(m.party_feedback, '')) <> '' AND btrim(coalesce(m.risk_results, '')) <> ''
         AND btrim(coalesce(m.improvement_opportunities, '')) <> '' AND btrim(coalesce(m.decisions, '')) <> '' AS inputs_complete,
       ra.n AS actions, ra.open AS open_actions,
       (SELECT count(*) FROM isms.improvement x WHERE x.org_id = m.org_id AND x.review_id = m.id)::integer AS improvements
  FROM isms.management_review m
  JOIN isms.organization o ON o.org_id = m.org_id
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS n, count(*) FILTER (WHERE NOT s.is_terminal)::integer AS open
        FROM isms.review_action a
        JOIN isms.workflow_state s ON s.workflow = 'review_action' AND s.state = a.status
       WHERE a.org_id = m.org_id AND a.review_id = m.id) ra;
COMMENT ON VIEW isms_report.management_reviews IS
    'Clause 9.3: management reviews planned and held, lateness, completeness of the inputs 9.3.2 a-g, actions and improvements decided';

CREATE VIEW isms_report.processes WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, p.process_id, p.name, p.pdca_phase, p.owner, p.inputs, p.outputs,
       p.fed_by, p.feeds, p.siloed
  FROM isms.organization o
  CROSS JOIN LATERAL isms.process_links(o.org_id) p;
COMMENT ON VIEW isms_report.processes IS
    'Clause 4.4: ISMS processes with their inputs, outputs and interactions; siloed processes have none';

CREATE VIEW isms_report.process_interactions WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, x.from_process_id, x.from_process, x.from_phase, x.artifact,
       x.to_process_id, x.to_process, x.to_phase, x.match, x.input_artifact
  FROM isms.organization o
  CROSS JOIN LATERAL isms.process_interactions(o.org_id, now()) x;
COMMENT ON VIEW isms_report.process_interactions IS
    'Clause 4.4: process interactions now (isms.process_interactions): match exact, one row per artifact one process outputs and another takes as input (the edges of the process map); near_miss, an output and an input whose names differ only in case, spacing or punctuation, not joined; dangling, an input no other process outputs (no from process). Filter match = ''exact'' for the edges alone';

CREATE VIEW isms_report.improvements WITH (security_invoker = true) AS
SELECT i.org_id, o.code AS org_code, i.id AS improvement_id, i.title, i.source, i.owner, i.status, ws.phase, i.cycle,
       i.review_id, i.finding_id, i.expected_benefit, i.decided_at, i.completed_at,
       (SELECT max(l.at) FROM isms.transition_log l
         WHERE l.org_id = i.org_id AND l.record_table = 'isms.improvement'::regclass
           AND l.to_state = 'implemented' AND l.record_id = i.id) AS implemented_at,
       i.created_at
  FROM isms.improvement i
  JOIN isms.organization o ON o.org_id = i.org_id
  LEFT JOIN isms.workflow_state ws ON ws.workflow = 'improvement' AND ws.state = i.status;
COMMENT ON VIEW isms_report.improvements IS
    'Clause 10.1: improvements with their source, status and when they were implemented (transition log)';

CREATE VIEW isms_report.party_requirements WITH (security_invoker = true) AS
SELECT q.org_id, o.code AS org_code, p.id AS party_id, p.name AS party, p.kind AS party_kind, p.category AS party_category,
       q.id AS requirement_id, q.requirement, q.kind, q.addressed, q.how_addressed, q.rationale, q.owner,
       q.last_reviewed_at,
       coalesce(q.last_reviewed_at, q.created_at)
         + coalesce(q.review_interval, rs.review_interval,
                    (SELECT g.default_review_interval FROM isms.register g WHERE g.relid = 'isms.party_requirement'::regclass))
         < now() AS review_overdue
  FROM isms.party_requirement q
  JOIN isms.organization o ON o.org_id = q.org_id
  LEFT JOIN isms.register_setting rs ON rs.org_id = q.org_id AND rs.relid = 'isms.party_requirement'::regclass
  JOIN isms.interested_party p ON p.org_id = q.org_id AND p.id = q.party_id;
COMMENT ON VIEW isms_report.party_requirements IS
    'Clause 4.2: interested parties and their requirements, whether the ISMS addresses each, and review status';

CREATE VIEW isms_report.evidence_by_month WITH (security_invoker = true) AS
SELECT e.org_id, o.code AS org_code, g.name AS register, date_trunc('month', e.collected_at)::date AS month,
       count(*) AS items, count(*) FILTER (WHERE e.content IS NOT NULL) AS stored_items
  FROM isms.evidence e
  JOIN isms.organization o ON o.org_id = e.org_id
  LEFT JOIN isms.register g ON g.relid = e.record_table
 GROUP BY e.org_id, o.code, g.name, date_trunc('month', e.collected_at)::date;
COMMENT ON VIEW isms_report.evidence_by_month IS
    'Clauses 7.5.3 and 9.1: evidence collected per organisation, register and month (records of operation)';

------------------------------------------------------------------------------
-- Column comments.  Shared columns first; then each view's own.

DO $$
DECLARE
    c record;
    note text;
BEGIN
    FOR c IN
        SELECT v.oid::regclass AS view, a.attname::text AS col
          FROM pg_class v JOIN pg_attribute a ON a.attrelid = v.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE v.relnamespace = 'isms_report'::regnamespace AND v.relkind = 'v'
           AND a.attname IN ('org_id', 'org_code')
    LOOP
        note := CASE c.col WHEN 'org_id' THEN 'Organisation (isms.organization.org_id); filter on it for one organisation'
                           ELSE 'Short code of the organisation' END;
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', c.view, c.col, note);
    END LOOP;
END
$$;

DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM (VALUES
 ('organizations', 'name', 'Name of the organisation'),
 ('organizations', 'scope_statement', 'ISMS scope statement (4.3)'),
 ('organizations', 'has_scope_statement', 'True when a scope statement is recorded'),
 ('organizations', 'created_at', 'When the organisation was created'),

 ('risk_register', 'risk_id', 'Identifier of the risk'),
 ('risk_register', 'title', 'Short statement of the risk'),
 ('risk_register', 'asset', 'Name of the asset at risk, if one'),
 ('risk_register', 'threat', 'Threat that could exploit the vulnerability'),
 ('risk_register', 'vulnerability', 'Weakness the threat could exploit'),
 ('risk_register', 'consequence', 'Potential consequences if the risk materialises'),
 ('risk_register', 'owner', 'Risk owner'),
 ('risk_register', 'inherent_likelihood', 'Likelihood before treatment, on the organisation''s scale'),
 ('risk_register', 'inherent_impact', 'Impact before treatment, on the organisation''s scale'),
 ('risk_register', 'inherent_rating', 'Level of risk before treatment: likelihood x impact'),
 ('risk_register', 'residual_likelihood', 'Likelihood after treatment; NULL until assessed'),
 ('risk_register', 'residual_impact', 'Impact after treatment; NULL until assessed'),
 ('risk_register', 'residual_rating', 'Level of risk after treatment: likelihood x impact; NULL until assessed'),
 ('risk_register', 'current_rating', 'Residual rating when assessed, else inherent rating'),
 ('risk_register', 'acceptance_threshold', 'Risk acceptance criterion of the organisation: a rating at or below it may be accepted'),
 ('risk_register', 'within_appetite', 'True when the current rating is at or below the acceptance threshold'),
 ('risk_register', 'treatment', 'Treatment option: modify, retain, avoid or share'),
 ('risk_register', 'accepted', 'True when the residual risk was accepted by the risk owner'),
 ('risk_register', 'accepted_by', 'Who accepted the residual risk'),
 ('risk_register', 'accepted_at', 'When the residual risk was accepted'),
 ('risk_register', 'accepted_until', 'When the acceptance lapses'),
 ('risk_register', 'treatment_plans', 'Number of treatment plans of the risk'),
 ('risk_register', 'open_treatment_plans', 'Number of treatment plans not in a final state'),
 ('risk_register', 'controls', 'Number of Annex A controls chosen for the risk'),
 ('risk_register', 'identified_on', 'Date the risk was identified'),
 ('risk_register', 'last_reviewed_at', 'When the risk was last reviewed; NULL if never'),
 ('risk_register', 'review_due_at', 'When the next periodic review is due'),
 ('risk_register', 'review_overdue', 'True when the periodic review is overdue'),
 ('risk_register', 'created_at', 'When the risk was recorded'),
 ('risk_register', 'updated_at', 'When the risk was last changed'),

 ('treatment_plans', 'plan_id', 'Identifier of the treatment plan'),
 ('treatment_plans', 'risk_id', 'Risk the plan treats'),
 ('treatment_plans', 'risk_title', 'Title of the risk'),
 ('treatment_plans', 'title', 'Short name of the plan'),
 ('treatment_plans', 'action', 'What will be done'),
 ('treatment_plans', 'owner', 'Person accountable for the plan'),
 ('treatment_plans', 'status', 'Workflow state'),
 ('treatment_plans', 'phase', 'PDCA phase of the state: plan, do, check or act'),
 ('treatment_plans', 'closed', 'True in a final state'),
 ('treatment_plans', 'cycle', 'PDCA cycle of the plan'),
 ('treatment_plans', 'due_on', 'Date the treatment is due'),
 ('treatment_plans', 'overdue', 'True when due before today and not in a final state'),
 ('treatment_plans', 'approved_by', 'Risk owner who approved the plan'),
 ('treatment_plans', 'approved_at', 'When the plan was approved'),
 ('treatment_plans', 'completed_at', 'When the treatment was completed'),
 ('treatment_plans', 'evidence_items', 'Number of evidence items attached to the plan'),
 ('treatment_plans', 'created_at', 'When the plan was created'),
 ('treatment_plans', 'updated_at', 'When the plan was last changed'),

 ('statement_of_applicability', 'framework', 'Framework of the control, such as iso27001-2022'),
 ('statement_of_applicability', 'control_order', 'Position of the control in natural order (A.5.1 ... A.8.34); sort by it'),
 ('statement_of_applicability', 'control', 'Annex A control, such as A.5.24 (text in collation isms.natural: compares and sorts naturally, A.5.9 < A.5.10)'),
 ('statement_of_applicability', 'title', 'Title of the control'),
 ('statement_of_applicability', 'theme', 'Annex A theme: organizational, people, physical or technological'),
 ('statement_of_applicability', 'entry_id', 'SoA entry of the organisation for the control; NULL when not decided'),
 ('statement_of_applicability', 'applicable', 'True when included, false when excluded, NULL when not decided'),
 ('statement_of_applicability', 'decision', 'included, excluded or not decided'),
 ('statement_of_applicability', 'justification', 'Justification of the inclusion or exclusion'),
 ('statement_of_applicability', 'implementation_status', 'not_implemented, planned, partially_implemented or implemented'),
 ('statement_of_applicability', 'linked_risks', 'Number of risks the control treats'),
 ('statement_of_applicability', 'risk_ids', 'Identifiers of the risks the control treats (bigint array, in order; empty when none)'),
 ('statement_of_applicability', 'latest_evidence_at', 'When the latest evidence attached to the SoA entry was collected'),
 ('statement_of_applicability', 'evidence_items', 'Number of evidence items attached to the SoA entry'),
 ('statement_of_applicability', 'evidence_recent', 'True when evidence was collected within the last year'),
 ('statement_of_applicability', 'owner', 'Owner of the SoA entry'),
 ('statement_of_applicability', 'last_reviewed_at', 'When the SoA entry was last reviewed'),

 ('nonconformities', 'nonconformity_id', 'Identifier of the nonconformity'),
 ('nonconformities', 'title', 'Short statement of the nonconformity'),
 ('nonconformities', 'requirement', 'Clause or control not fulfilled (natural order: collation isms.natural)'),
 ('nonconformities', 'requirement_title', 'Title of the requirement'),
 ('nonconformities', 'source', 'Where it was found: internal_audit, external_audit, incident, management_review, monitoring, complaint or other'),
 ('nonconformities', 'severity', 'major or minor'),
 ('nonconformities', 'owner', 'Person accountable for the nonconformity'),
 ('nonconformities', 'status', 'Workflow state'),
 ('nonconformities', 'phase', 'PDCA phase of the state'),
 ('nonconformities', 'closed', 'True in a final state (closed or rejected)'),
 ('nonconformities', 'cycle', 'PDCA cycle: more than 1 when reopened'),
 ('nonconformities', 'detected_at', 'When it was detected'),
 ('nonconformities', 'closed_at', 'When it was closed'),
 ('nonconformities', 'days_open', 'Days from detection to closure, or to now while open'),
 ('nonconformities', 'finding_id', 'Audit finding it was raised from, if any'),
 ('nonconformities', 'incident_id', 'Incident that revealed it, if any'),
 ('nonconformities', 'corrective_actions', 'Number of corrective actions'),
 ('nonconformities', 'open_corrective_actions', 'Number of corrective actions not in a final state'),
 ('nonconformities', 'root_cause_recorded', 'True when a corrective action records a root cause'),
 ('nonconformities', 'recurring', 'True when another nonconformity against the same requirement was closed in the 12 months before this one was detected'),

 ('corrective_actions', 'corrective_action_id', 'Identifier of the corrective action'),
 ('corrective_actions', 'nonconformity_id', 'Nonconformity the action addresses'),
 ('corrective_actions', 'nonconformity', 'Title of the nonconformity'),
 ('corrective_actions', 'action', 'The corrective action'),
 ('corrective_actions', 'root_cause', 'Root cause found'),
 ('corrective_actions', 'root_cause_recorded', 'True when a root cause is recorded'),
 ('corrective_actions', 'owner', 'Person accountable for the action'),
 ('corrective_actions', 'status', 'Workflow state'),
 ('corrective_actions', 'phase', 'PDCA phase of the state'),
 ('corrective_actions', 'closed', 'True in a final state'),
 ('corrective_actions', 'cycle', 'PDCA cycle of the action'),
 ('corrective_actions', 'due_on', 'Date the action is due'),
 ('corrective_actions', 'overdue', 'True when due before today and not in a final state'),
 ('corrective_actions', 'implemented_by', 'Who implemented the action'),
 ('corrective_actions', 'implemented_at', 'When the action was implemented'),
 ('corrective_actions', 'effectiveness_checked_by', 'Who reviewed its effectiveness'),
 ('corrective_actions', 'effectiveness_checked_at', 'When its effectiveness was reviewed'),
 ('corrective_actions', 'effective', 'Result of the effectiveness review'),
 ('corrective_actions', 'independent_check', 'True when the effectiveness was checked by someone other than the implementer'),
 ('corrective_actions', 'created_at', 'When the action was recorded'),
 ('corrective_actions', 'updated_at', 'When the action was last changed'),

 ('audits', 'audit_id', 'Identifier of the audit'),
 ('audits', 'programme_id', 'Audit programme of the audit'),
 ('audits', 'programme', 'Title of the audit programme'),
 ('audits', 'title', 'Name of the audit'),
 ('audits', 'scope', 'Audit scope'),
 ('audits', 'lead_auditor', 'Lead auditor'),
 ('audits', 'auditee', 'Person or function audited'),
 ('audits', 'planned_start', 'Planned first day'),
 ('audits', 'planned_end', 'Planned last day'),
 ('audits', 'conducted_start', 'Actual first day'),
 ('audits', 'conducted_end', 'Actual last day'),
 ('audits', 'status', 'Workflow state'),
 ('audits', 'phase', 'PDCA phase of the state'),
 ('audits', 'completed', 'True when the audit is completed'),
 ('audits', 'overdue', 'True when planned to end before today and not in a final state'),
 ('audits', 'findings', 'Number of findings'),
 ('audits', 'nonconformity_findings', 'Number of nonconformity findings'),
 ('audits', 'observations', 'Number of observations'),
 ('audits', 'opportunities', 'Number of opportunities for improvement'),

 ('audit_findings', 'finding_id', 'Identifier of the finding'),
 ('audit_findings', 'audit_id', 'Audit that raised it'),
 ('audit_findings', 'audit', 'Name of the audit'),
 ('audit_findings', 'finding_type', 'nonconformity, observation or opportunity'),
 ('audit_findings', 'requirement', 'Clause or control concerned (natural order: collation isms.natural)'),
 ('audit_findings', 'severity', 'major or minor, for nonconformities'),
 ('audit_findings', 'statement', 'The finding'),
 ('audit_findings', 'status', 'Workflow state'),
 ('audit_findings', 'phase', 'PDCA phase of the state'),
 ('audit_findings', 'nonconformity_id', 'Nonconformity raised from the finding, if any'),
 ('audit_findings', 'raised_as_nonconformity', 'True when a nonconformity record was raised from it'),
 ('audit_findings', 'unlinked_nonconformity', 'True for a nonconformity finding not (yet) raised as a nonconformity record: an audit finding that never became corrective action'),
 ('audit_findings', 'raised_by', 'Auditor who raised it'),
 ('audit_findings', 'created_at', 'When it was recorded'),
 ('audit_findings', 'updated_at', 'When it was last changed'),

 ('objectives', 'objective_id', 'Identifier of the objective'),
 ('objectives', 'title', 'The objective'),
 ('objectives', 'target', 'Target value'),
 ('objectives', 'unit', 'Unit of target and measurements'),
 ('objectives', 'direction', 'at_least or at_most: how a measurement meets the target'),
 ('objectives', 'baseline', 'Value when the objective was set'),
 ('objectives', 'owner', 'Person accountable for the objective'),
 ('objectives', 'status', 'Workflow state'),
 ('objectives', 'phase', 'PDCA phase of the state'),
 ('objectives', 'cycle', 'PDCA cycle: one more each time the objective is renewed'),
 ('objectives', 'due_on', 'When it is to be achieved'),
 ('objectives', 'measurements', 'Number of measurements'),
 ('objectives', 'last_measured_at', 'When it was last measured'),
 ('objectives', 'last_value', 'Latest measured value'),
 ('objectives', 'target_met', 'True when the latest measurement meets the target'),
 ('objectives', 'last_reviewed_at', 'When the objective was last reviewed'),
 ('objectives', 'created_at', 'When the objective was set'),

 ('objective_measurements', 'measurement_id', 'Identifier of the measurement'),
 ('objective_measurements', 'objective_id', 'Objective measured'),
 ('objective_measurements', 'objective', 'Title of the objective'),
 ('objective_measurements', 'measured_at', 'When the measurement was taken'),
 ('objective_measurements', 'value', 'Measured value'),
 ('objective_measurements', 'target', 'Target of the objective'),
 ('objective_measurements', 'unit', 'Unit of value and target'),
 ('objective_measurements', 'direction', 'at_least or at_most'),
 ('objective_measurements', 'target_met', 'True when the value meets the target'),
 ('objective_measurements', 'measured_by', 'Who measured'),
 ('objective_measurements', 'method', 'Method of measurement'),

 ('stale_items', 'register', 'Register of the row'),
 ('stale_items', 'clause', 'Clause the register serves'),
 ('stale_items', 'record_id', 'id of the row in its register'),
 ('stale_items', 'label', 'Title, name or subject of the row'),
 ('stale_items', 'owner', 'Person accountable for the review'),
 ('stale_items', 'last_reviewed_at', 'When the row was last reviewed; NULL if never'),
 ('stale_items', 'review_interval', 'Effective review interval (interval), such as 1 year'),
 ('stale_items', 'due_at', 'When the review fell due'),
 ('stale_items', 'days_overdue', 'Days since the review fell due'),

 ('staleness', 'register', 'Register name'),
 ('staleness', 'clause', 'Clause the register serves'),
 ('staleness', 'title', 'Title of the register'),
 ('staleness', 'reviewable', 'True when its rows are reviewed periodically'),
 ('staleness', 'review_interval', 'Effective review interval of the organisation''s rows without their own, such as 1 year'),
 ('staleness', 'rows', 'Rows of the organisation in the register'),
 ('staleness', 'overdue', 'Rows whose periodic review is overdue; NULL when not reviewable'),
 ('staleness', 'overdue_share', 'Share of rows overdue for review (0-1)'),
 ('staleness', 'never_reviewed', 'Reviewable rows never reviewed'),
 ('staleness', 'oldest_review_days', 'Age in days of the oldest review (or creation, if never reviewed)'),
 ('staleness', 'last_change_at', 'When anything in the register last changed or was reviewed'),
 ('staleness', 'days_since_change', 'Days since anything in the register changed'),
 ('staleness', 'untouched', 'True when nothing in the register changed for a year: shelf-ware'),

 ('improvement_trend', 'period_start', 'Start of the period (calendar quarter)'),
 ('improvement_trend', 'period_end', 'End of the period, exclusive'),
 ('improvement_trend', 'nonconformities_raised', 'Nonconformities detected in the period'),
 ('improvement_trend', 'nonconformities_closed', 'Nonconformities closed in the period'),
 ('improvement_trend', 'median_days_to_close', 'Median days from detection (or reopening) to closure of those closed'),
 ('improvement_trend', 'p90_days_to_close', '90th percentile of days to close'),
 ('improvement_trend', 'corrective_actions_checked', 'Effectiveness checks of corrective actions concluded in the period: verified actions closed or reworked (transition log)'),
 ('improvement_trend', 'corrective_actions_effective', 'Of those, found effective (the action closed)'),
 ('improvement_trend', 'effective_share', 'Share of checked corrective actions found effective (0-1)'),
 ('improvement_trend', 'recurring_nonconformities', 'Nonconformities detected in the period against a requirement with a nonconformity closed in the 12 months before'),
 ('improvement_trend', 'audits_planned', 'Internal audits planned to end in the period'),
 ('improvement_trend', 'audits_completed', 'Of those, completed'),
 ('improvement_trend', 'audit_completion', 'Share of planned audits completed (0-1)'),
 ('improvement_trend', 'reviews_planned', 'Management reviews planned in the period'),
 ('improvement_trend', 'reviews_held', 'Management reviews held in the period'),
 ('improvement_trend', 'objectives_measured', 'Objectives measured in the period'),
 ('improvement_trend', 'objectives_met', 'Of those, whose latest measurement in the period met the target'),
 ('improvement_trend', 'objectives_met_share', 'Share of measured objectives meeting their target (0-1)'),
 ('improvement_trend', 'residual_risk_total', 'Sum of risk ratings at the end of the period (residual once treated)'),
 ('improvement_trend', 'residual_risk_change', 'Change of the total over the period; negative is improvement'),
 ('improvement_trend', 'pdca_cycles_completed', 'Workflow records that completed a PDCA cycle in the period'),
 ('improvement_trend', 'improvements_implemented', 'Improvements implemented in the period'),

 ('pdca_cycles', 'workflow', 'Workflow, such as corrective_action'),
 ('pdca_cycles', 'month', 'First day of the month'),
 ('pdca_cycles', 'cycles_completed', 'Records that moved into a final act state in the month'),

 ('workflow_activity', 'log_id', 'Transition log entry'),
 ('workflow_activity', 'workflow', 'Workflow of the record'),
 ('workflow_activity', 'record_table', 'Register table of the record'),
 ('workflow_activity', 'record_id', 'id of the record'),
 ('workflow_activity', 'cycle', 'PDCA cycle after the move'),
 ('workflow_activity', 'from_state', 'State before the move; NULL when created'),
 ('workflow_activity', 'to_state', 'State after the move'),
 ('workflow_activity', 'phase', 'PDCA phase of the new state'),
 ('workflow_activity', 'final', 'True when the new state is final'),
 ('workflow_activity', 'actor', 'Who made the move'),
 ('workflow_activity', 'reason', 'Reason given'),
 ('workflow_activity', 'at', 'When the move was made'),

 ('readiness', 'check_no', 'Number of the check: 1-10 the Clause 4.4 audit checklist, 11 process interactions'),
 ('readiness', 'checkpoint', 'What the auditor checks'),
 ('readiness', 'clauses', 'Clauses the check rests on'),
 ('readiness', 'status', 'pass, warn or fail'),
 ('readiness', 'score', 'Main figure of the check as a share (0-1)'),
 ('readiness', 'evidence', 'Number of records that support the check'),
 ('readiness', 'figures', 'The figures behind the status'),
 ('readiness', 'action', 'What to do to pass; None when passing'),

 ('documents', 'document_id', 'Identifier of the document'),
 ('documents', 'code', 'Document identifier, such as ISMS-POL-001'),
 ('documents', 'title', 'Title'),
 ('documents', 'kind', 'policy, procedure, standard, guideline, plan, record, form or other'),
 ('documents', 'classification', 'public, internal, confidential or restricted'),
 ('documents', 'origin', 'internal or external'),
 ('documents', 'clause', 'Clause the document provides, such as 6.1.2 (natural order: collation isms.natural)'),
 ('documents', 'owner', 'Owner of the document'),
 ('documents', 'status', 'Document status, such as draft, published or retired'),
 ('documents', 'in_force', 'True while a version is in force: published, or under revision (a version in force and a newer one being prepared); an approved version not yet published is not'),
 ('documents', 'last_reviewed_at', 'When the document was last reviewed: its last recorded review or the publication of its latest version, whichever is later (isms.document_reviewed_at)'),
 ('documents', 'review_due_at', 'When the next review is due'),
 ('documents', 'review_overdue', 'True when the review is overdue'),
 ('documents', 'current', 'True when in force and not overdue for review'),
 ('documents', 'created_at', 'When the document was registered'),
 ('documents', 'updated_at', 'When the document was last changed'),

 ('incidents', 'incident_id', 'Identifier of the incident'),
 ('incidents', 'title', 'Short description'),
 ('incidents', 'category', 'Classification, such as phishing or malware'),
 ('incidents', 'severity', 'low, medium, high or critical'),
 ('incidents', 'is_security_incident', 'Assessment: true for an incident, false for an event, NULL until assessed'),
 ('incidents', 'asset', 'Main asset affected'),
 ('incidents', 'owner', 'Incident handler'),
 ('incidents', 'status', 'Workflow state'),
 ('incidents', 'phase', 'PDCA phase of the state'),
 ('incidents', 'closed', 'True in a final state'),
 ('incidents', 'cycle', 'PDCA cycle: more than 1 when reopened'),
 ('incidents', 'occurred_at', 'When it happened, if known'),
 ('incidents', 'detected_at', 'When it was detected'),
 ('incidents', 'reported_at', 'When it was reported'),
 ('incidents', 'resolved_at', 'When it was resolved'),
 ('incidents', 'hours_to_report', 'Hours from detection to report'),
 ('incidents', 'hours_to_resolve', 'Hours from detection to resolution'),
 ('incidents', 'lessons_learned_recorded', 'True when lessons learned are recorded'),

 ('management_reviews', 'review_id', 'Identifier of the review'),
 ('management_reviews', 'title', 'Name of the review'),
 ('management_reviews', 'chair', 'Top management member chairing it'),
 ('management_reviews', 'planned_on', 'Date planned'),
 ('management_reviews', 'held_on', 'Date held'),
 ('management_reviews', 'held', 'True when held'),
 ('management_reviews', 'days_late', 'Days held after the planned date, or days overdue while not held'),
 ('management_reviews', 'inputs_complete', 'True when held with every input 9.3.2 a-g and the decisions recorded'),
 ('management_reviews', 'actions', 'Number of actions decided'),
 ('management_reviews', 'open_actions', 'Number of those not in a final state'),
 ('management_reviews', 'improvements', 'Number of improvements decided'),

 ('processes', 'process_id', 'Identifier of the process'),
 ('processes', 'name', 'Name of the process'),
 ('processes', 'pdca_phase', 'PDCA phase of the process'),
 ('processes', 'owner', 'Process owner'),
 ('processes', 'inputs', 'Number of input artifacts'),
 ('processes', 'outputs', 'Number of output artifacts'),
 ('processes', 'fed_by', 'Number of other processes whose outputs it takes as input'),
 ('processes', 'feeds', 'Number of other processes that take its outputs as input'),
 ('processes', 'siloed', 'True when it interacts with no other process'),

 ('process_interactions', 'from_process_id', 'Process that outputs the artifact; NULL for a dangling input'),
 ('process_interactions', 'from_process', 'Name of that process'),
 ('process_interactions', 'from_phase', 'Its PDCA phase'),
 ('process_interactions', 'artifact', 'Artifact passed'),
 ('process_interactions', 'to_process_id', 'Process that takes the artifact as input'),
 ('process_interactions', 'to_process', 'Name of that process'),
 ('process_interactions', 'to_phase', 'Its PDCA phase'),
 ('process_interactions', 'match', 'exact (an interaction), near_miss (names equal but for case, spacing or punctuation: not joined) or dangling (an input no other process outputs)'),
 ('process_interactions', 'input_artifact', 'The artifact as the taking process names it (differs from artifact in a near miss)'),

 ('improvements', 'improvement_id', 'Identifier of the improvement'),
 ('improvements', 'title', 'The improvement'),
 ('improvements', 'source', 'audit, management_review, incident, monitoring, suggestion or other'),
 ('improvements', 'owner', 'Person accountable'),
 ('improvements', 'status', 'Workflow state'),
 ('improvements', 'phase', 'PDCA phase of the state'),
 ('improvements', 'cycle', 'PDCA cycle'),
 ('improvements', 'review_id', 'Management review that decided it, if any'),
 ('improvements', 'finding_id', 'Audit finding that suggested it, if any'),
 ('improvements', 'expected_benefit', 'Benefit expected'),
 ('improvements', 'decided_at', 'When it was decided'),
 ('improvements', 'completed_at', 'When it was completed'),
 ('improvements', 'implemented_at', 'When it last moved to implemented (transition log)'),
 ('improvements', 'created_at', 'When it was proposed'),

 ('party_requirements', 'party_id', 'Interested party'),
 ('party_requirements', 'party', 'Name of the party'),
 ('party_requirements', 'party_kind', 'internal or external'),
 ('party_requirements', 'party_category', 'Classification of the party'),
 ('party_requirements', 'requirement_id', 'Identifier of the requirement'),
 ('party_requirements', 'requirement', 'The need or expectation'),
 ('party_requirements', 'kind', 'legal, regulatory, contractual or other'),
 ('party_requirements', 'addressed', 'True when the ISMS addresses it'),
 ('party_requirements', 'how_addressed', 'How the ISMS addresses it'),
 ('party_requirements', 'rationale', 'Why it is not addressed'),
 ('party_requirements', 'owner', 'Owner of the requirement'),
 ('party_requirements', 'last_reviewed_at', 'When it was last reviewed'),
 ('party_requirements', 'review_overdue', 'True when its review is overdue'),

 ('evidence_by_month', 'register', 'Register of the records the evidence is attached to'),
 ('evidence_by_month', 'month', 'First day of the month collected'),
 ('evidence_by_month', 'items', 'Evidence items collected'),
 ('evidence_by_month', 'stored_items', 'Of those, stored in the database (with SHA-256)')
    ) AS v(view, col, note)
    LOOP
        EXECUTE format('COMMENT ON COLUMN isms_report.%I.%I IS %L', c.view, c.col, c.note);
    END LOOP;
END
$$;

------------------------------------------------------------------------------
-- Privileges: readers read every view; nothing to PUBLIC.

-- The BI views, each read by every member role (row-level security of the
-- registers beneath decides which rows).
REVOKE ALL ON TABLE isms_report.organizations, isms_report.risk_register, isms_report.treatment_plans,
    isms_report.statement_of_applicability, isms_report.nonconformities, isms_report.corrective_actions,
    isms_report.audits, isms_report.audit_findings, isms_report.objectives,
    isms_report.objective_measurements, isms_report.stale_items, isms_report.staleness,
    isms_report.improvement_trend, isms_report.pdca_cycles, isms_report.workflow_activity,
    isms_report.readiness, isms_report.documents, isms_report.incidents, isms_report.management_reviews,
    isms_report.processes, isms_report.process_interactions, isms_report.improvements,
    isms_report.party_requirements, isms_report.evidence_by_month FROM PUBLIC;
GRANT SELECT ON TABLE isms_report.organizations, isms_report.risk_register, isms_report.treatment_plans,
    isms_report.statement_of_applicability, isms_report.nonconformities, isms_report.corrective_actions,
    isms_report.audits, isms_report.audit_findings, isms_report.objectives,
    isms_report.objective_measurements, isms_report.stale_items, isms_report.staleness,
    isms_report.improvement_trend, isms_report.pdca_cycles, isms_report.workflow_activity,
    isms_report.readiness, isms_report.documents, isms_report.incidents, isms_report.management_reviews,
    isms_report.processes, isms_report.process_interactions, isms_report.improvements,
    isms_report.party_requirements, isms_report.evidence_by_month TO isms_reader;

------------------------------------------------------------------------------
-- The views as of an instant.  A view takes no parameter, so each view an
-- auditor reads at a past instant has a companion function
-- isms_report.<view>_at(at) that returns the view's own row type (same
-- columns, same types, same comments' meaning) as the ISMS stood at that
-- instant, from the register history (isms.known_as_of): only the
-- organisations that existed then; overdue, recent and open are judged at
-- that instant.  A BI tool queries it like a table:
-- SELECT * FROM isms_report.readiness_at('2025-01-31 17:00+00').

CREATE FUNCTION isms_report.readiness_at(at timestamptz)
    RETURNS SETOF isms_report.readiness
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    SELECT o.org_id, o.code, r.check_no, r.checkpoint, r.clauses, r.status, r.score, r.evidence, r.figures, r.action
      FROM isms.organization o
      CROSS JOIN LATERAL isms.clause_4_4_readiness(o.org_id, isms.report_time('at', $1)) r
     WHERE o.created_at OPERATOR(pg_catalog.<=) $1
     ORDER BY o.org_id, r.check_no;
END
$$;
COMMENT ON FUNCTION isms_report.readiness_at(timestamptz) IS
    'isms_report.readiness as of an instant: the Clause 4.4 checklist of every organisation that existed at at, from the register history (isms.clause_4_4_readiness(org_id, at))';

CREATE FUNCTION isms_report.staleness_at(at timestamptz)
    RETURNS SETOF isms_report.staleness
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    SELECT o.org_id, o.code, s.register, s.clause COLLATE isms.natural, s.title, s.reviewable, s.review_interval, s.rows, s.overdue,
           s.overdue_share, s.never_reviewed, s.oldest_review_days, s.last_change_at, s.days_since_change, s.untouched
      FROM isms.organization o
      CROSS JOIN LATERAL isms.staleness_summary(o.org_id, isms.report_time('at', $1)) s
     WHERE o.created_at OPERATOR(pg_catalog.<=) $1;
END
$$;
COMMENT ON FUNCTION isms_report.staleness_at(timestamptz) IS
    'isms_report.staleness as of an instant: shelf-ware per organisation and register at at, from the register history (isms.staleness_summary(org_id, at))';

CREATE FUNCTION isms_report.stale_items_at(at timestamptz)
    RETURNS SETOF isms_report.stale_items
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    SELECT s.org_id, o.code, s.register, s.clause COLLATE isms.natural, s.record_id, s.label, s.owner,
           s.last_reviewed_at, s.review_interval, s.due_at, s.days_overdue
      FROM isms.stale_items($1) s
      JOIN isms.organization o ON o.org_id OPERATOR(pg_catalog.=) s.org_id
     WHERE o.created_at OPERATOR(pg_catalog.<=) $1;
END
$$;
COMMENT ON FUNCTION isms_report.stale_items_at(timestamptz) IS
    'isms_report.stale_items as of an instant: every register row whose periodic review was overdue at at, from the register history (isms.stale_items(at))';

CREATE FUNCTION isms_report.process_interactions_at(at timestamptz)
    RETURNS SETOF isms_report.process_interactions
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    SELECT o.org_id, o.code, x.from_process_id, x.from_process, x.from_phase, x.artifact,
           x.to_process_id, x.to_process, x.to_phase, x.match, x.input_artifact
      FROM isms.organization o
      CROSS JOIN LATERAL isms.process_interactions(o.org_id, isms.report_time('at', $1)) x
     WHERE o.created_at OPERATOR(pg_catalog.<=) $1;
END
$$;
COMMENT ON FUNCTION isms_report.process_interactions_at(timestamptz) IS
    'isms_report.process_interactions as of an instant: the exact edges, near misses and dangling inputs of every organisation''s processes at at, from the register history (isms.process_interactions(org_id, at))';

CREATE FUNCTION isms_report.risk_register_at(at timestamptz)
    RETURNS SETOF isms_report.risk_register
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    WITH t AS (SELECT isms.report_time('at', $1) AS at),
    r AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.risk, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at),
    s AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.risk_scale, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at),
    a AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.asset, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at),
    p AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.treatment_plan, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at),
    c AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.risk_control, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at)
    SELECT r.org_id, o.code, r.id, r.title, a.name, r.threat, r.vulnerability, r.consequence, r.owner,
           r.inherent_likelihood::integer, r.inherent_impact::integer, r.inherent_rating,
           r.residual_likelihood::integer, r.residual_impact::integer, r.residual_rating,
           coalesce(r.residual_rating, r.inherent_rating),
           s.acceptance_threshold,
           coalesce(r.residual_rating, r.inherent_rating) OPERATOR(pg_catalog.<=) s.acceptance_threshold,
           r.treatment,
           r.accepted_at IS NOT NULL, r.accepted_by, r.accepted_at, r.accepted_until,
           tp.plans, tp.open_plans,
           (SELECT pg_catalog.count(*) FROM c WHERE c.org_id OPERATOR(pg_catalog.=) r.org_id
                                                AND c.risk_id OPERATOR(pg_catalog.=) r.id)::integer,
           r.identified_on, r.last_reviewed_at,
           rd.due, rd.due OPERATOR(pg_catalog.<) t.at,
           r.created_at, r.updated_at
      FROM t
      CROSS JOIN r
      JOIN isms.organization o ON o.org_id OPERATOR(pg_catalog.=) r.org_id
      CROSS JOIN LATERAL (SELECT isms.review_due_at(r.org_id, 'isms.risk'::pg_catalog.regclass, r.review_interval,
                                                    r.last_reviewed_at, r.created_at) AS due) rd
      LEFT JOIN s ON s.org_id OPERATOR(pg_catalog.=) r.org_id
      LEFT JOIN a ON a.org_id OPERATOR(pg_catalog.=) r.org_id AND a.id OPERATOR(pg_catalog.=) r.asset_id
      CROSS JOIN LATERAL (
          SELECT pg_catalog.count(*)::integer AS plans,
                 (pg_catalog.count(*) FILTER (WHERE NOT ws.is_terminal))::integer AS open_plans
            FROM p
            JOIN isms.workflow_state ws ON ws.workflow OPERATOR(pg_catalog.=) 'treatment_plan' AND ws.state OPERATOR(pg_catalog.=) p.status
           WHERE p.org_id OPERATOR(pg_catalog.=) r.org_id AND p.risk_id OPERATOR(pg_catalog.=) r.id) tp;
END
$$;
COMMENT ON FUNCTION isms_report.risk_register_at(timestamptz) IS
    'isms_report.risk_register as of an instant: every risk as the register held it at at (register history), with the ratings, appetite, acceptance, treatment plans and controls of then, its review overdue at at';

CREATE FUNCTION isms_report.statement_of_applicability_at(at timestamptz)
    RETURNS SETOF isms_report.statement_of_applicability
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    -- the instant is checked first: a NULL or infinite one is refused
    PERFORM isms.report_time('at', $1);
    RETURN QUERY
    WITH t AS (SELECT isms.report_time('at', $1) AS at),
    e AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.soa_entry, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at),
    rc AS MATERIALIZED (SELECT x.* FROM t, isms.known_as_of(NULL::isms.risk_control, t.at) x WHERE x.created_at OPERATOR(pg_catalog.<=) t.at)
    SELECT o.org_id, o.code, q.framework, q.control_order, q.ref::text COLLATE isms.natural, q.title, q.theme,
           e.id, e.applicable,
           CASE WHEN e.id IS NULL THEN 'not decided' WHEN e.applicable THEN 'included' ELSE 'excluded' END,
           e.justification, e.implementation_status,
           coalesce(rk.n, 0)::integer, coalesce(rk.ids, '{}'),
           ev.latest, coalesce(ev.n, 0)::integer,
           coalesce(ev.latest OPERATOR(pg_catalog.>) (t.at OPERATOR(pg_catalog.-) interval '1 year'), false),
           e.owner, e.last_reviewed_at
      FROM t
      CROSS JOIN isms.organization o
      CROSS JOIN (SELECT r.framework, r.ref, r.title, r.theme,
                         (pg_catalog.row_number() OVER (PARTITION BY r.framework ORDER BY r.ref))::integer AS control_order
                    FROM isms.requirement r WHERE r.kind OPERATOR(pg_catalog.=) 'control') q
      LEFT JOIN e ON e.org_id OPERATOR(pg_catalog.=) o.org_id AND e.framework OPERATOR(pg_catalog.=) q.framework
                 AND e.control OPERATOR(isms.=) q.ref
      LEFT JOIN LATERAL (
          SELECT pg_catalog.count(*) AS n, pg_catalog.array_agg(rc.risk_id ORDER BY rc.risk_id) AS ids
            FROM rc
           WHERE rc.org_id OPERATOR(pg_catalog.=) o.org_id AND rc.framework OPERATOR(pg_catalog.=) q.framework
             AND rc.control OPERATOR(isms.=) q.ref) rk ON true
      LEFT JOIN LATERAL (
          SELECT pg_catalog.max(v.collected_at) AS latest, pg_catalog.count(*) AS n
            FROM isms.evidence v
           WHERE v.org_id OPERATOR(pg_catalog.=) o.org_id AND v.record_table OPERATOR(pg_catalog.=) 'isms.soa_entry'::pg_catalog.regclass
             AND v.record_id OPERATOR(pg_catalog.=) e.id
             AND v.collected_at OPERATOR(pg_catalog.<=) t.at AND v.created_at OPERATOR(pg_catalog.<=) t.at) ev ON true
     WHERE o.created_at OPERATOR(pg_catalog.<=) t.at;
END
$$;
COMMENT ON FUNCTION isms_report.statement_of_applicability_at(timestamptz) IS
    'isms_report.statement_of_applicability as of an instant: every control for every organisation that existed at at, with the decision, justification, implementation status and linked risks of then (register history) and the evidence collected by then';

REVOKE ALL ON FUNCTION isms_report.readiness_at(timestamptz), isms_report.staleness_at(timestamptz), isms_report.stale_items_at(timestamptz),
    isms_report.process_interactions_at(timestamptz), isms_report.risk_register_at(timestamptz),
    isms_report.statement_of_applicability_at(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms_report.readiness_at(timestamptz), isms_report.staleness_at(timestamptz), isms_report.stale_items_at(timestamptz),
    isms_report.process_interactions_at(timestamptz), isms_report.risk_register_at(timestamptz),
    isms_report.statement_of_applicability_at(timestamptz) TO isms_reader;
