-- isms demo: a small example organisation, then a few of its registers.
-- Run by `make demo` (psql -X -v ON_ERROR_STOP=1 -f examples/demo.sql).  It
-- creates the database isms_demo afresh, so it can be run again; explore it
-- afterwards with `psql -d isms_demo` and `SET search_path = public, isms;`.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
DROP DATABASE IF EXISTS isms_demo;
CREATE DATABASE isms_demo;
\c isms_demo
SET client_min_messages = warning;
CREATE EXTENSION isms;

-- The organisation, its risk criteria and the people allowed in.
INSERT INTO isms.organization (code, name, scope_statement) VALUES
    ('ACME', 'Acme Logistics Ltd',
     'The ISMS covers the design, operation and support of the Acme parcel-tracking platform and its customer data, run from the Leeds office and the EU cloud region.');
SET isms.actor = 'dana.ciso@acme.example';

INSERT INTO isms.risk_scale (org_id, likelihood_levels, impact_levels, likelihood_labels, impact_labels, acceptance_threshold, method, owner)
SELECT org_id, 5, 5, '{rare,unlikely,possible,likely,almost certain}', '{negligible,minor,moderate,major,severe}', 6,
       'Asset-based: likelihood x impact, reassessed yearly and on major change', 'Dana (CISO)'
  FROM isms.organization WHERE code = 'ACME';

-- 4.1 and 4.2: context and interested parties
INSERT INTO isms.context_issue (org_id, title, origin, category, effect, owner) VALUES
    (1, 'EU NIS2 brings parcel carriers into scope', 'external', 'legal', 'negative', 'Dana (CISO)'),
    (1, 'Customers demand ISO/IEC 27001 certification in tenders', 'external', 'market', 'positive', 'Sam (sales)'),
    (1, 'Small IT team, high staff turnover', 'internal', 'organisational', 'negative', 'Priya (IT)');
INSERT INTO isms.interested_party (org_id, name, kind, category, owner) VALUES
    (1, 'Retail customers', 'external', 'customer', 'Sam (sales)'),
    (1, 'Data protection authority', 'external', 'regulator', 'Dana (CISO)'),
    (1, 'Employees', 'internal', 'employee', 'Hana (HR)');
INSERT INTO isms.party_requirement (org_id, party_id, requirement, kind, addressed, how_addressed, rationale, owner) VALUES
    (1, 1, 'Tracking data kept confidential; breach notice within 24 hours', 'contractual', true, 'Incident process, A.5.24-A.5.28', NULL, 'Sam (sales)'),
    (1, 2, 'GDPR Art. 33 notification within 72 hours', 'legal', true, 'Incident process with DPO sign-off', NULL, 'Dana (CISO)'),
    (1, 3, 'Flexible working hours', 'other', false, NULL, 'An HR matter outside the ISMS', 'Hana (HR)');

-- 4.3 scope
INSERT INTO isms.scope_item (org_id, kind, subject_type, subject, justification, owner) VALUES
    (1, 'inclusion', 'service', 'Parcel-tracking platform', 'Core service customers rely on', 'Dana (CISO)'),
    (1, 'exclusion', 'unit', 'Warehouse robotics (Hull)', 'Separate legal entity with its own certification', 'Dana (CISO)'),
    (1, 'interface', 'service', 'Cloud provider (IaaS)', 'Shared responsibility per contract', 'Priya (IT)');

-- 4.4 processes, with their inputs and outputs as named artifacts
INSERT INTO isms.process (org_id, name, purpose, pdca_phase, clause, owner) VALUES
    (1, 'Context and scope', 'Know the issues and parties that shape the ISMS', 'plan', '4.1', 'Dana (CISO)'),
    (1, 'Risk assessment', 'Identify, analyse and evaluate risks', 'plan', '6.1.2', 'Dana (CISO)'),
    (1, 'Risk treatment', 'Choose controls and plan their implementation', 'do', '6.1.3', 'Priya (IT)'),
    (1, 'Internal audit', 'Check the ISMS conforms and works', 'check', '9.2', 'Olu (audit)'),
    (1, 'Management review', 'Decide on changes and improvement', 'act', '9.3', 'Chris (CEO)');
INSERT INTO isms.process_output (org_id, process_id, artifact) VALUES
    (1, 1, 'Context register'), (1, 2, 'Risk register'), (1, 3, 'Statement of Applicability'),
    (1, 3, 'Risk treatment plan'), (1, 4, 'Audit report'), (1, 5, 'Review decisions');
INSERT INTO isms.process_input (org_id, process_id, artifact) VALUES
    (1, 2, 'Context register'), (1, 3, 'Risk register'), (1, 4, 'Statement of Applicability'),
    (1, 5, 'Audit report'), (1, 5, 'Risk treatment plan'), (1, 1, 'Review decisions');

-- Assets, risks (6.1.2), treatment (6.1.3) and the Statement of Applicability
INSERT INTO isms.asset (org_id, name, kind, classification, owner) VALUES
    (1, 'Tracking database', 'information', 'confidential', 'Priya (IT)'),
    (1, 'Staff laptops', 'hardware', 'internal', 'Priya (IT)');
INSERT INTO isms.risk (org_id, title, asset_id, threat, vulnerability, inherent_likelihood, inherent_impact,
                       residual_likelihood, residual_impact, treatment, owner) VALUES
    (1, 'Customer tracking data leaked', 1, 'External attacker', 'Public API without rate limiting', 4, 5, 2, 4, 'modify', 'Priya (IT)'),
    (1, 'Laptop stolen with local data', 2, 'Theft', 'Disks not encrypted', 3, 3, 1, 3, 'modify', 'Priya (IT)'),
    (1, 'Cloud region outage', 1, 'Provider failure', 'Single region', 2, 4, NULL, NULL, NULL, 'Priya (IT)');
UPDATE isms.risk SET accepted_by = 'Priya (IT)', accepted_at = now(), accepted_until = now() + interval '1 year'
 WHERE title = 'Laptop stolen with local data';
INSERT INTO isms.treatment_plan (org_id, risk_id, title, action, due_on, owner) VALUES
    (1, 1, 'Harden the public API', 'Rate limiting and WAF in front of the tracking API', current_date + 60, 'Priya (IT)');
INSERT INTO isms.risk_control (org_id, risk_id, control, treatment_plan_id) VALUES
    (1, 1, 'A.8.20', 1), (1, 1, 'A.8.16', NULL), (1, 2, 'A.8.1', NULL), (1, 2, 'A.7.9', NULL);
INSERT INTO isms.soa_entry (org_id, control, applicable, justification, implementation_status, owner) VALUES
    (1, 'A.5.24', true, 'Contractual breach-notice duty', 'implemented', 'Dana (CISO)'),
    (1, 'A.7.9', true, 'Staff laptops leave the office', 'implemented', 'Priya (IT)'),
    (1, 'A.8.1', true, 'Risk: laptop theft', 'partially_implemented', 'Priya (IT)'),
    (1, 'A.8.20', true, 'Risk: data leak through the API', 'planned', 'Priya (IT)'),
    (1, 'A.7.5', false, 'No premises of our own host equipment; the cloud provider''s controls apply', 'not_implemented', 'Dana (CISO)');

-- 6.2 an objective and 9.1 its measurements
INSERT INTO isms.objective (org_id, title, target, unit, direction, due_on, owner) VALUES
    (1, 'Critical patches applied within 14 days', 95, '%', 'at_least', current_date + 180, 'Priya (IT)');
INSERT INTO isms.objective_measurement (org_id, objective_id, measured_at, value) VALUES
    (1, 1, now() - interval '60 days', 81), (1, 1, now() - interval '30 days', 88), (1, 1, now(), 93);

-- A pooled intranet application: one login, the organisation and the person
-- set per transaction (see the README, "Access and row-level security").
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'intranet_app') THEN
        CREATE ROLE intranet_app LOGIN;
    END IF;
END $$;
GRANT isms_editor TO intranet_app;
INSERT INTO isms.membership (org_id, role_name, note) VALUES (1, 'intranet_app', 'Intranet ISMS portal');
BEGIN;
SET LOCAL ROLE intranet_app;                    -- the app's login, in real life
SET LOCAL isms.org = 'ACME';
SET LOCAL isms.actor = 'sam.sales@acme.example';
INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
    SELECT org_id, 'Phishing mail reported by a driver', 'low', now() - interval '2 hours', 'Priya (IT)'
      FROM isms.organization WHERE code = current_setting('isms.org');
COMMIT;
RESET isms.actor;

SET search_path = public, isms;                 -- the operators of isms.ref, for ad-hoc SQL
\set QUIET 0
\pset footer off
\echo
\echo '== Organisation'
SELECT code, name, scope_statement FROM isms.organization;
\echo '== Context issues (4.1)'
SELECT id, origin, effect, title, owner FROM isms.context_issue ORDER BY id;
\echo '== Process interactions (4.4): an output of one process is an input of another'
SELECT p.name AS from_process, o.artifact, c.name AS to_process
  FROM isms.process_output o
  JOIN isms.process_input i ON i.org_id = o.org_id AND i.artifact = o.artifact
  JOIN isms.process p ON p.org_id = o.org_id AND p.id = o.process_id
  JOIN isms.process c ON c.org_id = i.org_id AND c.id = i.process_id
 ORDER BY p.id, o.artifact;
\echo '== Risks (6.1.2)'
SELECT r.id, r.title, r.inherent_rating AS inherent, r.residual_rating AS residual,
       CASE WHEN coalesce(r.residual_rating, r.inherent_rating) <= s.acceptance_threshold THEN 'within appetite' ELSE 'treat' END AS evaluation,
       r.accepted_by IS NOT NULL AS accepted, r.owner
  FROM isms.risk r JOIN isms.risk_scale s ON s.org_id = r.org_id
 ORDER BY r.id;
\echo '== Statement of Applicability (6.1.3 d)'
SELECT e.control::text, q.title, e.applicable, e.implementation_status, e.justification,
       (SELECT count(*) FROM isms.risk_control rc WHERE rc.org_id = e.org_id AND rc.control = e.control) AS risks
  FROM isms.soa_entry e JOIN isms.requirement q ON q.framework = e.framework AND q.ref = e.control
 ORDER BY e.control;
\echo '== Incident recorded through the pooled application (A.5.24)'
SELECT id, title, status, created_by, reported_by FROM isms.incident;
\echo '== The catalog: ISO/IEC 27001:2022'
SELECT kind, count(*) FROM isms.requirement GROUP BY kind ORDER BY min(CASE kind WHEN 'clause' THEN 1 WHEN 'theme' THEN 2 ELSE 3 END);
