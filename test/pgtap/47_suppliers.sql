-- Suppliers (A.5.19-A.5.22): the retirement rule (IS130) as a member,
-- row-level security per organisation, staleness and review, readiness
-- check 13 (pass, warn, fail, empty) and isms_report.suppliers.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
SET LOCAL TimeZone = 'UTC';
SELECT plan(43);

INSERT INTO isms.organization (code, name) VALUES ('A', 'Org A'), ('B', 'Org B'), ('E', 'Org E (empty)');
CREATE ROLE sup_editor_a;
CREATE ROLE sup_editor_b;
CREATE ROLE sup_reader_a;
GRANT isms_editor TO sup_editor_a, sup_editor_b;
GRANT isms_reader TO sup_reader_a;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'sup_editor_a'), (2, 'sup_editor_b'), (1, 'sup_reader_a');
INSERT INTO isms.risk_scale (org_id, acceptance_threshold, owner) VALUES (1, 6, 'Risk manager'), (2, 6, 'Risk manager');
INSERT INTO isms.risk (org_id, title, threat, vulnerability, inherent_likelihood, inherent_impact, owner) VALUES
    (1, 'Hosting outage', 'Supplier failure', 'Single hoster', 3, 4, 'IT lead'),
    (2, 'B risk', 'Attacker', 'Weak passwords', 2, 2, 'IT lead');

-- Recorded 100 days ago (a superuser keeps the audit columns it supplies).
INSERT INTO isms.supplier (org_id, name, services, information, classification, criticality, owner, created_at, updated_at) VALUES
    (1, 'Hoster', 'Hosting', 'Customer data', 'confidential', 'critical', 'IT lead', now() - interval '100 days', now() - interval '100 days'),
    (1, 'Mailer', 'Newsletters', 'E-mail addresses', 'internal', 'medium', 'Marketing', now() - interval '100 days', now() - interval '100 days'),
    (2, 'B hoster', 'Hosting', NULL, 'internal', 'critical', 'IT lead', now() - interval '100 days', now() - interval '100 days');
INSERT INTO isms.supplier_contract (org_id, supplier_id, title, starts_on, security_requirements, right_to_audit) VALUES
    (1, 1, 'Hosting agreement', current_date - 100, 'ISO/IEC 27001 certified; breach notice within 24 hours', true);

------------------------------------------------------------------------------
-- Readiness check 13

CREATE FUNCTION pg_temp.c13() RETURNS TABLE (status text, score numeric, evidence bigint, figures text, action text)
    LANGUAGE sql AS $$
    SELECT r.status, r.score, r.evidence, r.figures, r.action FROM isms.clause_4_4_readiness(1) r WHERE r.check_no = 13
$$;
SELECT is((SELECT checkpoint || ' / ' || clauses FROM isms.clause_4_4_readiness(1) WHERE check_no = 13),
    'Supplier relationships secured and monitored / A.5.19, A.5.20, A.5.21, A.5.22', 'check 13 cites A.5.19-A.5.22');
SELECT is((SELECT (status, score, evidence)::text FROM pg_temp.c13()), '(pass,1.000,2)',
    'pass: the critical supplier has an agreement in force stating security requirements, nothing is overdue');
SELECT is((SELECT action FROM pg_temp.c13()), 'None', 'pass: nothing to do');

INSERT INTO isms.supplier_assessment (org_id, supplier_id, title, due_on) VALUES (1, 2, 'Questionnaire', current_date - 10);
SELECT is((SELECT (status, score, evidence)::text FROM pg_temp.c13()), '(warn,0.500,1)',
    'warn: an overdue assessment of a medium supplier');
SELECT matches((SELECT figures FROM pg_temp.c13()), 'other overdue assessments: Mailer', 'warn: the supplier is named');
SELECT matches((SELECT action FROM pg_temp.c13()), 'Perform the overdue assessments of Mailer', 'warn: and what to do');
UPDATE isms.supplier_assessment SET performed_on = current_date, assessor = 'Lee', result = 'satisfactory' WHERE org_id = 1 AND supplier_id = 2;
SELECT is((SELECT status FROM pg_temp.c13()), 'pass', 'the assessment performed: pass again');

UPDATE isms.supplier SET criticality = 'high' WHERE org_id = 1 AND name = 'Mailer';
SELECT is((SELECT status FROM pg_temp.c13()), 'warn', 'warn: a high supplier without an agreement stating security requirements');
SELECT matches((SELECT figures FROM pg_temp.c13()), 'high without an agreement stating security requirements: Mailer', 'warn: named');

UPDATE isms.supplier_contract SET security_requirements = NULL WHERE org_id = 1 AND supplier_id = 1;
SELECT is((SELECT status FROM pg_temp.c13()), 'fail', 'fail: the critical supplier''s agreement states no security requirements');
SELECT matches((SELECT figures FROM pg_temp.c13()), 'critical without an agreement stating security requirements: Hoster', 'fail: named');
SELECT matches((SELECT action FROM pg_temp.c13()), 'Agree information security requirements with Hoster, Mailer',
    'fail: what to do, for both suppliers');
UPDATE isms.supplier_contract SET security_requirements = 'ISO/IEC 27001 certified; breach notice within 24 hours' WHERE org_id = 1 AND supplier_id = 1;
UPDATE isms.supplier SET criticality = 'medium' WHERE org_id = 1 AND name = 'Mailer';

UPDATE isms.supplier_contract SET starts_on = current_date - 100, ends_on = current_date - 1 WHERE org_id = 1 AND supplier_id = 1;
SELECT is((SELECT status FROM pg_temp.c13()), 'fail', 'fail: the critical supplier''s only agreement has ended');
UPDATE isms.supplier_contract SET ends_on = NULL WHERE org_id = 1 AND supplier_id = 1;

INSERT INTO isms.supplier_assessment (org_id, supplier_id, title, due_on) VALUES (1, 1, 'Annual audit', current_date - 1);
SELECT is((SELECT status FROM pg_temp.c13()), 'fail', 'fail: an overdue assessment of the critical supplier');
SELECT matches((SELECT figures FROM pg_temp.c13()), 'critical with an overdue assessment: Hoster', 'fail: named');
UPDATE isms.supplier_assessment SET due_on = current_date + 30 WHERE org_id = 1 AND supplier_id = 1;
SELECT is((SELECT status FROM pg_temp.c13()), 'pass', 'an assessment due later is not overdue');

UPDATE isms.supplier SET last_reviewed_at = now() - interval '400 days', created_at = now() - interval '500 days' WHERE org_id = 1 AND name = 'Mailer';
SELECT is((SELECT (status, evidence)::text FROM pg_temp.c13()), '(warn,1)', 'warn: a supplier overdue for review');
SELECT matches((SELECT figures FROM pg_temp.c13()), 'reviews overdue: 1', 'warn: the overdue review is counted');

SELECT is((SELECT (r.status, r.evidence)::text FROM isms.clause_4_4_readiness(3) r WHERE r.check_no = 13), '(warn,0)',
    'an organisation without suppliers warns');
SELECT matches((SELECT r.action FROM isms.clause_4_4_readiness(3) r WHERE r.check_no = 13), 'Record the suppliers',
    'and is told to record them');
SELECT is((SELECT r.status FROM isms.clause_4_4_readiness(2) r WHERE r.check_no = 13), 'fail',
    'B''s critical supplier has no agreement: fail, whatever A has');

------------------------------------------------------------------------------
-- Staleness and review

SELECT is((SELECT array_agg(label) FROM isms.stale_items() WHERE register = 'supplier'), '{Mailer}',
    'the supplier overdue for review is a stale item');
SELECT is((SELECT (rows, overdue)::text FROM isms.staleness_summary(1) WHERE register = 'supplier'), '(2,1)',
    'staleness_summary: two suppliers, one overdue');
SET LOCAL ROLE sup_editor_a;
SELECT lives_ok($$SELECT isms.mark_reviewed('isms.supplier', (SELECT id FROM isms.supplier WHERE name = 'Mailer'), 'Annual supplier review')$$,
    'a member reviews the supplier');
RESET ROLE;
SELECT is((SELECT count(*) FROM isms.stale_items() WHERE register = 'supplier'), 0::bigint, 'reviewed: no longer stale');
SELECT is((SELECT status FROM pg_temp.c13()), 'pass', 'and check 13 passes');
SELECT cmp_ok((SELECT count(*) FROM isms_history.supplier WHERE org_id = 1), '>', 0::bigint, 'the supplier''s history is kept');

------------------------------------------------------------------------------
-- Retirement (IS130), as a member

SET LOCAL ROLE sup_editor_a;
SELECT throws_ok($$UPDATE isms.supplier SET status = 'retired' WHERE org_id = 1 AND name = 'Hoster'$$, 'IS130',
    'supplier 1 "Hoster" of organisation 1 cannot be retired while an agreement with it is in force',
    'a supplier with an agreement in force cannot be retired (IS130)');
SELECT lives_ok($$UPDATE isms.supplier SET status = 'exiting' WHERE org_id = 1 AND name = 'Hoster'$$,
    'it can be exiting while the agreement runs out');
SELECT lives_ok($$UPDATE isms.supplier_contract SET ends_on = current_date - 1 WHERE org_id = 1 AND supplier_id = 1$$,
    'the agreement ends');
SELECT lives_ok($$UPDATE isms.supplier SET status = 'retired' WHERE org_id = 1 AND name = 'Hoster'$$,
    'then the supplier is retired');
SELECT throws_ok($$INSERT INTO isms.supplier_contract (org_id, supplier_id, title, starts_on) VALUES (1, 1, 'New deal', current_date)$$,
    'IS130', 'supplier 1 "Hoster" of organisation 1 is retired: no contract can be recorded against it',
    'no agreement with a retired supplier (IS130)');
SELECT throws_ok($$INSERT INTO isms.supplier_assessment (org_id, supplier_id, title, due_on) VALUES (1, 1, 'Late', current_date)$$,
    'IS130', NULL, 'no assessment of a retired supplier (IS130)');
SELECT throws_ok($$INSERT INTO isms.supplier_risk (org_id, supplier_id, risk_id) VALUES (1, 1, 1)$$,
    'IS130', NULL, 'no risk linked to a retired supplier (IS130)');
SELECT throws_ok($$INSERT INTO isms.supplier_control (org_id, supplier_id, control) VALUES (1, 1, 'A.5.20')$$,
    'IS130', NULL, 'no control linked to a retired supplier (IS130)');
SELECT lives_ok($$INSERT INTO isms.supplier_risk (org_id, supplier_id, risk_id) VALUES (1, 2, 1)$$,
    'a risk is linked to a supplier in force');
SELECT throws_ok($$UPDATE isms.supplier_risk SET supplier_id = 1 WHERE org_id = 1$$, 'IS130', NULL,
    'a link is not moved to a retired supplier (IS130)');
RESET ROLE;
SELECT is((SELECT status FROM pg_temp.c13()), 'pass', 'a retired supplier is out of check 13');
SELECT is((SELECT count(*) FROM isms_report.suppliers WHERE org_id = 1 AND in_force), 1::bigint,
    'isms_report.suppliers: one supplier in force');

------------------------------------------------------------------------------
-- Row-level security

SET LOCAL ROLE sup_editor_b;
SELECT is((SELECT array_agg(name) FROM isms.supplier), '{"B hoster"}', 'B''s editor sees B''s suppliers only');
SELECT throws_ok($$INSERT INTO isms.supplier (org_id, name, services, criticality, owner) VALUES (1, 'Planted', 'x', 'low', 'x')$$,
    '42501', NULL, 'B''s editor cannot record a supplier of A');
SELECT is((SELECT count(*) FROM isms_report.suppliers WHERE org_id = 1), 0::bigint, 'nor read A''s through the BI view');
RESET ROLE;
SET LOCAL ROLE sup_reader_a;
SELECT throws_ok($$UPDATE isms.supplier SET criticality = 'low' WHERE org_id = 1$$, '42501', NULL, 'a reader changes no supplier');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
