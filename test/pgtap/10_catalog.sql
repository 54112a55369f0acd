-- The catalog: ISO/IEC 27001:2022 as shipped, its constraints, and that it is read-only.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
SET LOCAL search_path = public, isms;   -- the operators of isms.ref, as a user would
SELECT plan(47);

-- Counts
SELECT is((SELECT count(*)::int FROM isms.framework WHERE shipped), 1, 'one framework is shipped');
SELECT is((SELECT title FROM isms.framework WHERE code = 'iso27001-2022'),
    'Information security management systems - Requirements', 'ISO/IEC 27001:2022 is shipped as iso27001-2022');
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE framework = 'iso27001-2022' AND kind = 'clause'), 41,
    '41 clauses and subclauses of 4-10');
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE framework = 'iso27001-2022' AND kind = 'control'), 93,
    '93 Annex A controls');
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE framework = 'iso27001-2022' AND kind = 'theme'), 4,
    '4 Annex A themes A.5-A.8');
SELECT is((SELECT count(*)::int FROM isms.mandatory_information WHERE framework = 'iso27001-2022'), 18,
    '18 items of mandatory documented information');
SELECT results_eq(
    $$SELECT kind, count(*)::int FROM isms.mandatory_information GROUP BY kind ORDER BY kind$$,
    $$VALUES ('document', 8), ('record', 10)$$,
    'mandatory documented information: 8 documents, 10 records');
SELECT results_eq(
    $$SELECT theme, count(*)::int FROM isms.requirement WHERE kind = 'control' GROUP BY theme ORDER BY isms.min(ref)$$,
    $$VALUES ('organizational', 37), ('people', 8), ('physical', 14), ('technological', 34)$$,
    'controls by theme: 37 organizational, 8 people, 14 physical, 34 technological');
SELECT results_eq(
    $$SELECT pdca_phase, count(*)::int FROM isms.requirement WHERE kind = 'clause' GROUP BY pdca_phase ORDER BY isms.min(ref)$$,
    $$VALUES ('plan', 25), ('do', 4), ('check', 9), ('act', 3)$$,
    'clauses by PDCA phase: plan 4-7 (25), do 8 (4), check 9 (9), act 10 (3)');
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE kind = 'control' AND 'corrective' = ANY (control_type)), 14,
    '14 controls are corrective (ISO/IEC 27002 Table A.2)');

-- Hierarchy and order
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE kind = 'control' AND parent OPERATOR(isms.<>) isms.parent(ref)), 0,
    'every control''s parent is its theme');
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE kind = 'clause' AND isms.depth(ref) > 1
            AND parent OPERATOR(isms.<>) isms.parent(ref)), 0,
    'every subclause''s parent is the enclosing clause');
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE isms.depth(ref) = 1 AND parent IS NOT NULL), 0,
    'top-level clauses and themes have no parent');
SELECT is((SELECT isms.min(ref)::text FROM isms.requirement WHERE kind = 'control'), 'A.5.1', 'the first control is A.5.1');
SELECT is((SELECT isms.max(ref)::text FROM isms.requirement WHERE kind = 'control'), 'A.8.34', 'the last control is A.8.34');
SELECT results_eq(
    $$SELECT ref::text FROM isms.requirement WHERE ref::text IN ('A.5.10', 'A.5.9', '10.2', '9.3', '4') ORDER BY requirement.ref$$,
    $$VALUES ('4'), ('9.3'), ('10.2'), ('A.5.9'), ('A.5.10')$$,
    'requirements sort in natural order');
SELECT is((SELECT array_agg(ref::text ORDER BY ref) FROM isms.requirement WHERE ref OPERATOR(isms.<@) '9.2'),
    ARRAY['9.2', '9.2.1', '9.2.2'], 'the descendants of 9.2 are found with <@');

-- Samples
SELECT is((SELECT title FROM isms.requirement WHERE ref = '6.1.2'), 'Information security risk assessment', '6.1.2 title');
SELECT is((SELECT title FROM isms.requirement WHERE ref = '5.3'), 'Organizational roles, responsibilities and authorities', '5.3 title (quoted comma in the CSV)');
SELECT is((SELECT title FROM isms.requirement WHERE ref = 'A.5.24'),
    'Information security incident management planning and preparation', 'A.5.24 title');
SELECT is((SELECT control_type FROM isms.requirement WHERE ref = 'A.7.4'), ARRAY['preventive', 'detective'],
    'A.7.4 is preventive and detective');
SELECT is((SELECT (theme, security_properties, cybersecurity_concepts)::text FROM isms.requirement WHERE ref = 'A.8.16'),
    '(technological,"{confidentiality,integrity,availability}","{detect,respond}")', 'A.8.16 attributes');
SELECT is((SELECT pdca_phase FROM isms.requirement WHERE ref = '8.1'), 'do', '8.1 is in the Do phase');
SELECT is((SELECT title FROM isms.requirement WHERE ref = 'A.6'), 'People controls', 'theme A.6 is People controls');
SELECT is((SELECT count(*)::int FROM isms.mandatory_information WHERE clause = '6.1.3'), 3,
    'three documented information items under 6.1.3');
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE NOT shipped) + (SELECT count(*)::int FROM isms.mandatory_information WHERE NOT shipped), 0,
    'every catalog row installed is marked shipped');

-- Constraints of the catalog (as the extension owner, who may write it)
SELECT throws_ok($$INSERT INTO isms.requirement (framework, ref, kind, title) VALUES ('iso27001-2022', '11', 'clause', 'X')$$,
    '23514', NULL, 'a clause needs a PDCA phase (23514)');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, ref, kind, title, parent, pdca_phase) VALUES ('iso27001-2022', '4.9', 'clause', 'X', '5', 'plan')$$,
    '23514', NULL, 'a parent must be an ancestor of the reference (23514)');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, ref, kind, title, parent, pdca_phase) VALUES ('iso27001-2022', '4.4.9.1', 'clause', 'X', '4.4.9', 'plan')$$,
    '23503', 'parent 4.4.9 of requirement 4.4.9.1 does not exist in framework iso27001-2022', 'a parent must exist (23503)');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, ref, kind, title, theme, control_type) VALUES ('iso27001-2022', 'A.9.1', 'control', 'X', 'people', '{offensive}')$$,
    '23514', NULL, 'control types are preventive, detective or corrective (23514)');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, ref, kind, title, pdca_phase, control_type) VALUES ('iso27001-2022', '11', 'clause', 'X', 'act', '{preventive}')$$,
    '23514', NULL, 'only controls carry ISO/IEC 27002 attributes (23514)');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, ref, kind, title, theme) VALUES ('nist-csf', 'A.1', 'theme', 'X', 'x')$$,
    '23503', NULL, 'a requirement belongs to a known framework (23503)');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, ref, kind, title, pdca_phase) VALUES ('iso27001-2022', '4.1', 'clause', 'X', 'plan')$$,
    '23505', NULL, 'a reference is unique in its framework (23505)');
SELECT throws_ok($$INSERT INTO isms.framework (code, title) VALUES ('ISO 27001', 'X')$$,
    '23514', NULL, 'a framework code is lower-case without spaces (23514)');
SELECT throws_ok($$INSERT INTO isms.mandatory_information (framework, clause, item, kind) VALUES ('iso27001-2022', '4.1', 'X', 'memo')$$,
    '23514', NULL, 'documented information is a document or a record (23514)');
SELECT lives_ok($$
    INSERT INTO isms.framework (code, title) VALUES ('org-policy', 'Internal policy catalogue');
    INSERT INTO isms.requirement (framework, ref, kind, title, theme) VALUES ('org-policy', 'P.1', 'theme', 'Access', 'access');
    INSERT INTO isms.requirement (framework, ref, kind, title, parent, theme) VALUES ('org-policy', 'P.1.1', 'control', 'Least privilege', 'P.1', 'access')$$,
    'another framework can be loaded beside ISO/IEC 27001:2022');
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE NOT shipped), 2, 'rows a user adds are not marked shipped (pg_dump saves them)');

-- Read-only to everyone but the extension owner
CREATE ROLE tap_admin;
GRANT isms_admin TO tap_admin;
SET LOCAL ROLE tap_admin;
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE framework = 'iso27001-2022' AND kind = 'control'), 93, 'an admin reads the catalog');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, ref, kind, title, pdca_phase) VALUES ('iso27001-2022', '11', 'clause', 'X', 'act')$$,
    '42501', 'permission denied for table requirement', 'even an admin cannot add a requirement (42501)');
SELECT throws_ok($$UPDATE isms.requirement SET title = 'X' WHERE ref = '4.4'$$,
    '42501', 'permission denied for table requirement', 'nor change one (42501)');
SELECT throws_ok($$DELETE FROM isms.requirement WHERE ref = 'A.8.34'$$,
    '42501', 'permission denied for table requirement', 'nor delete one (42501)');
SELECT throws_ok($$INSERT INTO isms.framework (code, title) VALUES ('x', 'X')$$,
    '42501', 'permission denied for table framework', 'nor add a framework (42501)');
SELECT throws_ok($$UPDATE isms.mandatory_information SET kind = 'record'$$,
    '42501', 'permission denied for table mandatory_information', 'nor change mandatory documented information (42501)');
SELECT throws_ok($$TRUNCATE isms.requirement$$,
    '42501', 'permission denied for table requirement', 'nor truncate the catalog (42501)');
SELECT throws_ok($$UPDATE isms.register SET default_review_interval = '1 day'$$,
    '42501', 'permission denied for table register', 'nor change the list of registers (42501)');
RESET ROLE;
SELECT is((SELECT title FROM isms.requirement WHERE ref = '4.4'), 'Information security management system',
    'the catalog is unchanged');
SELECT is(
    ARRAY(SELECT c.relname::text FROM pg_class c
           WHERE c.relnamespace = 'isms'::regnamespace AND c.relkind = 'r'
             AND c.relname IN ('framework', 'requirement', 'mandatory_information', 'register')
             AND (has_table_privilege('isms_admin', c.oid, 'INSERT') OR has_table_privilege('isms_admin', c.oid, 'UPDATE')
                  OR has_table_privilege('isms_admin', c.oid, 'DELETE') OR has_table_privilege('isms_admin', c.oid, 'TRUNCATE'))
           ORDER BY 1),
    '{}'::text[], 'no isms role may write the catalog tables');

SELECT * FROM finish();
ROLLBACK;
