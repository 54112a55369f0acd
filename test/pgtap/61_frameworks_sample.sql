-- Framework coverage of the sample ISMS (Northwind, isms_sample at scale 1)
-- through the test libraries, against figures computed by hand from the
-- sample's Statement of Applicability:
--   A.5.1 included, not implemented      A.5.15, A.5.16, A.5.17, A.5.36,
--   A.7.2 included, planned              A.8.2, A.8.15 included, implemented
-- and the mappings of test/libraries/mapping-demo-csf-to-iso27001-2022.yaml
-- (A.7.4 is not_related to PR.AA-03; PR.AA-01 -> A.5.17 is listed twice).
\set ON_ERROR_STOP 1
\set csf `tools/library2json test/libraries/demo-csf.yaml`
\set csfmap `tools/library2json test/libraries/mapping-demo-csf-to-iso27001-2022.yaml`
\set iso13 `tools/library2json test/libraries/iso27001-2013-excerpt.yaml`
\set iso13map `tools/library2json test/libraries/mapping-iso27001-2013-to-iso27001-2022-excerpt.yaml`
BEGIN;
CREATE EXTENSION isms;
CREATE EXTENSION isms_sample;
SELECT plan(9);
SELECT isms.load_sample(1, '2025-06-30') > 0 AS loaded \gset
SELECT count(*) FROM isms.import_library(:'csf') \gset
SELECT count(*) FROM isms.import_library(:'csfmap') \gset
SELECT count(*) FROM isms.import_library(:'iso13') \gset
SELECT count(*) FROM isms.import_library(:'iso13map') \gset

SELECT results_eq($$SELECT e.control::text, e.applicable, e.implementation_status FROM isms.soa_entry e
                     WHERE e.control::text IN ('A.5.1', 'A.5.15', 'A.5.16', 'A.5.17', 'A.5.36', 'A.7.2', 'A.8.2', 'A.8.15')
                     ORDER BY e.control$$,
    $$VALUES ('A.5.1', true, 'not_implemented'), ('A.5.15', true, 'implemented'), ('A.5.16', true, 'implemented'),
             ('A.5.17', true, 'implemented'), ('A.5.36', true, 'implemented'), ('A.7.2', true, 'planned'),
             ('A.8.2', true, 'implemented'), ('A.8.15', true, 'implemented')$$,
    'the sample''s SoA decisions the hand computation starts from');
SELECT results_eq($$SELECT requirement, mapped_controls, implemented, not_implemented, verdict FROM isms.framework_coverage(1, 'demo-csf')$$,
    $$VALUES ('GV.PO-01', 1, 0, 1, 'gap'),
             ('GV.PO-02', 2, 1, 1, 'partial'),
             ('GV.RR-01', 0, 0, 0, 'partial'),
             ('PR.AA-01', 2, 2, 0, 'covered'),
             ('PR.AA-02', 2, 2, 0, 'covered'),
             ('PR.AA-03', 1, 0, 1, 'gap'),
             ('PR.AA-04', 0, 0, 0, 'gap')$$,
    'coverage of the demo framework by the sample ISMS, requirement by requirement');
SELECT results_eq($$SELECT * FROM isms.framework_coverage_summary(1, 'demo-csf')$$,
    $$VALUES ('GV', 'GOVERN', 3, 0, 2, 1, 0.000), ('PR', 'PROTECT', 4, 2, 0, 2, 0.500)$$,
    'the summary per function: GOVERN 0 of 3 covered, PROTECT 2 of 4');
SELECT results_eq($$SELECT (count(*) FILTER (WHERE implemented > 0))::int FROM isms.framework_coverage(1, 'demo-csf')$$,
    $$VALUES (3)$$, '3 of 7 requirements are backed by at least one implemented ISO control');
SELECT ok((SELECT bool_and(evidence_items > 0) FROM isms.framework_coverage(1, 'demo-csf') WHERE verdict = 'covered'),
    'the covered requirements have evidence on their controls'' SoA entries');
SELECT is((SELECT basis FROM isms.framework_coverage(1, 'demo-csf') WHERE requirement = 'GV.PO-01'),
    'none of the 1 mapped controls is implemented: 1 not implemented or planned, 0 not decided, 0 excluded',
    'GV.PO-01: a gap, because A.5.1 is not implemented (the mapped clause 5.2 does not count beside a control)');
SELECT results_eq($$SELECT framework, verdict, count(*)::int FROM isms_report.framework_coverage GROUP BY 1, 2 ORDER BY 1, 2$$,
    $$VALUES ('demo-csf', 'covered', 2), ('demo-csf', 'gap', 3), ('demo-csf', 'partial', 2),
             ('iso27001-2013', 'covered', 2), ('iso27001-2013', 'gap', 2)$$,
    'the BI view over both mapped frameworks');
SELECT results_eq($$SELECT control, from_controls, carried_over, decision, is_new FROM isms.soa_transition(1)
                     WHERE control IN ('A.5.1', 'A.5.7', 'A.8.15')$$,
    $$VALUES ('A.5.1', 'A.5.1.1, A.5.1.2', 'not decided', 'included', false),
             ('A.5.7', NULL, NULL, 'included', true),
             ('A.8.15', 'A.12.4.1, A.12.4.3', 'not decided', 'included', false)$$,
    'the transition view of the sample (no 2013 SoA recorded)');
SELECT is((SELECT count(*)::int FROM isms.soa_transition(1) WHERE action IS NOT NULL), 0,
    'the sample decided every 2022 control: nothing left to do');
SELECT * FROM finish();
ROLLBACK;
