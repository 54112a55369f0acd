-- BI views of the supplier registers (Annex A 5.19-5.22), by the rules of
-- src/reports.sql: plain types, every column commented, security_invoker,
-- org_id first, the review due date inline.  "critical gap" is the rule of readiness check 13: a high or
-- critical supplier in force without an agreement in force that states
-- security requirements, or any supplier in force with an overdue
-- assessment.

CREATE VIEW isms_report.suppliers WITH (security_invoker = true) AS
SELECT s.org_id, o.code AS org_code, s.id AS supplier_id, s.name, s.services, s.information,
       s.classification, s.criticality, s.status, s.status <> 'retired' AS in_force, s.owner, s.contact,
       c.contracts, c.contracts_in_force, c.secured AS security_requirements_agreed,
       c.right_to_audit, c.next_contract_end,
       a.assessments, a.last_assessed_on, a.last_result, a.next_assessment_due, a.overdue_assessments,
       a.overdue_assessments > 0 AS assessment_overdue,
       (SELECT count(*) FROM isms.supplier_risk r WHERE r.org_id = s.org_id AND r.supplier_id = s.id)::integer AS risks,
       (SELECT count(*) FROM isms.supplier_control k WHERE k.org_id = s.org_id AND k.supplier_id = s.id)::integer AS controls,
       s.status <> 'retired'
         AND ((s.criticality IN ('high', 'critical') AND NOT c.secured) OR a.overdue_assessments > 0) AS flagged,
       s.last_reviewed_at,
       rd.due AS review_due_at, s.status <> 'retired' AND rd.due < now() AS review_overdue,
       s.created_at, s.updated_at
  FROM isms.supplier s
  JOIN isms.organization o ON o.org_id = s.org_id
  -- isms.review_due_at inline: no function call per row for SELECT *
  LEFT JOIN isms.register_setting rs ON rs.org_id = s.org_id AND rs.relid = 'isms.supplier'::regclass
  CROSS JOIN LATERAL (
      SELECT coalesce(s.last_reviewed_at, s.created_at)
             + coalesce(s.review_interval, rs.review_interval,
                        (SELECT g.default_review_interval FROM isms.register g WHERE g.relid = 'isms.supplier'::regclass)) AS due) rd
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS contracts,
             count(*) FILTER (WHERE x.starts_on <= current_date AND (x.ends_on IS NULL OR x.ends_on >= current_date))::integer
                 AS contracts_in_force,
             coalesce(bool_or(x.security_requirements IS NOT NULL)
                      FILTER (WHERE x.starts_on <= current_date AND (x.ends_on IS NULL OR x.ends_on >= current_date)), false)
                 AS secured,
             coalesce(bool_or(x.right_to_audit)
                      FILTER (WHERE x.starts_on <= current_date AND (x.ends_on IS NULL OR x.ends_on >= current_date)), false)
                 AS right_to_audit,
             min(x.ends_on) FILTER (WHERE x.ends_on >= current_date) AS next_contract_end
        FROM isms.supplier_contract x
       WHERE x.org_id = s.org_id AND x.supplier_id = s.id) c
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS assessments,
             max(y.performed_on) AS last_assessed_on,
             (SELECT z.result FROM isms.supplier_assessment z
               WHERE z.org_id = s.org_id AND z.supplier_id = s.id AND z.performed_on IS NOT NULL
               ORDER BY z.performed_on DESC, z.id DESC LIMIT 1) AS last_result,
             min(y.due_on) FILTER (WHERE y.performed_on IS NULL) AS next_assessment_due,
             count(*) FILTER (WHERE y.performed_on IS NULL AND y.due_on < current_date)::integer AS overdue_assessments
        FROM isms.supplier_assessment y
       WHERE y.org_id = s.org_id AND y.supplier_id = s.id) a;
COMMENT ON VIEW isms_report.suppliers IS
    'Annex A 5.19-5.22: suppliers with criticality, the information they handle, agreements in force and their security requirements, assessments and review status; flagged marks the gaps readiness check 13 reports';

CREATE VIEW isms_report.supplier_assessments WITH (security_invoker = true) AS
SELECT y.org_id, o.code AS org_code, y.id AS assessment_id, y.supplier_id, s.name AS supplier, s.criticality,
       y.title, y.method, y.due_on, y.performed_on, y.assessor, y.result, y.findings,
       y.performed_on IS NULL AND y.due_on < current_date AS overdue,
       CASE WHEN y.performed_on IS NULL AND y.due_on < current_date THEN current_date - y.due_on END AS days_overdue,
       y.created_at, y.updated_at
  FROM isms.supplier_assessment y
  JOIN isms.organization o ON o.org_id = y.org_id
  JOIN isms.supplier s ON s.org_id = y.org_id AND s.id = y.supplier_id;
COMMENT ON VIEW isms_report.supplier_assessments IS
    'Annex A 5.22: supplier assessments, due and performed, with result, findings and whether they are overdue';

DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM (VALUES
 ('suppliers', 'org_id', 'Organisation (isms.organization.org_id); filter on it for one organisation'),
 ('suppliers', 'org_code', 'Short code of the organisation'),
 ('suppliers', 'supplier_id', 'Identifier of the supplier'),
 ('suppliers', 'name', 'Name of the supplier'),
 ('suppliers', 'services', 'Products or services the supplier provides'),
 ('suppliers', 'information', 'Information the supplier handles'),
 ('suppliers', 'classification', 'Highest classification of the information it handles: public, internal, confidential or restricted'),
 ('suppliers', 'criticality', 'low, medium, high or critical'),
 ('suppliers', 'status', 'proposed, active, exiting or retired'),
 ('suppliers', 'in_force', 'True unless the supplier is retired'),
 ('suppliers', 'owner', 'Person accountable for the supplier relationship'),
 ('suppliers', 'contact', 'Contact at the supplier for security matters'),
 ('suppliers', 'contracts', 'Agreements recorded with the supplier'),
 ('suppliers', 'contracts_in_force', 'Agreements in force today'),
 ('suppliers', 'security_requirements_agreed', 'True when an agreement in force today states information security requirements (A.5.20)'),
 ('suppliers', 'right_to_audit', 'True when an agreement in force today grants the right to audit'),
 ('suppliers', 'next_contract_end', 'Earliest end date, today or later, of the agreements'),
 ('suppliers', 'assessments', 'Assessments recorded, performed or planned'),
 ('suppliers', 'last_assessed_on', 'Date of the latest assessment performed'),
 ('suppliers', 'last_result', 'Result of the latest assessment performed'),
 ('suppliers', 'next_assessment_due', 'Earliest due date of the assessments not yet performed'),
 ('suppliers', 'overdue_assessments', 'Assessments not performed whose due date has passed'),
 ('suppliers', 'assessment_overdue', 'True when an assessment is overdue (A.5.22)'),
 ('suppliers', 'risks', 'Risks linked to the supplier (isms.supplier_risk)'),
 ('suppliers', 'controls', 'SoA controls linked to the supplier (isms.supplier_control)'),
 ('suppliers', 'flagged', 'True when the supplier is in force and a high or critical one lacks an agreement in force stating security requirements, or an assessment is overdue'),
 ('suppliers', 'last_reviewed_at', 'When the supplier was last reviewed'),
 ('suppliers', 'review_due_at', 'When the next periodic review falls due'),
 ('suppliers', 'review_overdue', 'True when the supplier is in force and its periodic review is overdue'),
 ('suppliers', 'created_at', 'When the supplier was recorded'),
 ('suppliers', 'updated_at', 'When the supplier was last changed'),
 ('supplier_assessments', 'org_id', 'Organisation (isms.organization.org_id); filter on it for one organisation'),
 ('supplier_assessments', 'org_code', 'Short code of the organisation'),
 ('supplier_assessments', 'assessment_id', 'Identifier of the assessment'),
 ('supplier_assessments', 'supplier_id', 'Identifier of the supplier assessed'),
 ('supplier_assessments', 'supplier', 'Name of the supplier assessed'),
 ('supplier_assessments', 'criticality', 'Criticality of the supplier'),
 ('supplier_assessments', 'title', 'Name of the assessment'),
 ('supplier_assessments', 'method', 'questionnaire, audit, certification_review or service_review'),
 ('supplier_assessments', 'due_on', 'Date by which it is to be performed'),
 ('supplier_assessments', 'performed_on', 'Date performed; NULL while not'),
 ('supplier_assessments', 'assessor', 'Who performed it'),
 ('supplier_assessments', 'result', 'satisfactory, minor_issues, major_issues or unsatisfactory'),
 ('supplier_assessments', 'findings', 'What it found'),
 ('supplier_assessments', 'overdue', 'True when not performed and the due date has passed'),
 ('supplier_assessments', 'days_overdue', 'Days since the due date while overdue'),
 ('supplier_assessments', 'created_at', 'When the assessment was recorded'),
 ('supplier_assessments', 'updated_at', 'When the assessment was last changed')) AS v(view, col, note)
    LOOP
        EXECUTE format('COMMENT ON COLUMN isms_report.%I.%I IS %L', c.view, c.col, c.note);
    END LOOP;
END
$$;

REVOKE ALL ON TABLE isms_report.suppliers, isms_report.supplier_assessments FROM PUBLIC;
GRANT SELECT ON TABLE isms_report.suppliers, isms_report.supplier_assessments TO isms_reader;
