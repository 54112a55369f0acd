-- The sample ISMS: what isms.load_sample() promises.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
CREATE EXTENSION isms_sample;
SET LOCAL search_path = public, isms;
SELECT plan(34);

SELECT cmp_ok(isms.load_sample(1, '2025-06-30'), '>', 10000::bigint, 'scale 1 loads over 10,000 rows');
SELECT is((SELECT array_agg(code) FROM isms.organization), '{NORTHWIND}', 'one organisation: Northwind');
SELECT is((SELECT count(*) FROM isms.risk), 150::bigint, 'about 150 risks');
SELECT is((SELECT count(*) FROM isms.soa_entry), 93::bigint, 'the Statement of Applicability decides all 93 controls');
SELECT is((SELECT array_agg(name) FROM isms.process_links(1) WHERE siloed), '{"Supplier security review"}',
    'one deliberately siloed process');
SELECT ok((SELECT untouched FROM isms.staleness_summary(1, '2025-06-30 17:00+00') WHERE register = 'asset'),
    'the asset inventory has not been touched for over a year');
SELECT cmp_ok((SELECT count(*) FROM isms.stale_items('2025-06-30 17:00+00') WHERE register = 'document'), '>', 0::bigint,
    'some documents are overdue for review');
SELECT ok((SELECT min(at) >= '2022-06-30 17:00+00' AND max(at) <= '2025-06-30 17:00+00' FROM isms.transition_log),
    'the transition log spans the three years before until');
SELECT is((SELECT count(*) FROM isms.transition_log WHERE actor = current_user), 0::bigint,
    'no transition was made by the superuser: the member role moved every record');
SELECT cmp_ok((SELECT max(cycle) FROM isms.transition_log WHERE record_table = 'isms.objective'::regclass), '>=', 3,
    'objectives are renewed every year: three PDCA cycles');
SELECT cmp_ok((SELECT count(*) FROM isms.transition_log WHERE record_table = 'isms.corrective_action'::regclass
                AND from_state = 'verified' AND to_state = 'in_progress'), '>', 0::bigint,
    'some corrective actions failed their effectiveness check and were reworked');
SELECT is((SELECT count(*) FROM isms.audit_finding WHERE finding_type = 'nonconformity' AND nonconformity_id IS NULL), 1::bigint,
    'one nonconformity finding never became a nonconformity');
SELECT is((SELECT count(*) FROM isms.nonconformity n WHERE n.finding_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM isms.audit_finding f WHERE f.id = n.finding_id AND f.nonconformity_id = n.id)), 0::bigint,
    'findings and nonconformities link both ways');
SELECT cmp_ok((SELECT count(*) FROM isms_report.nonconformities WHERE recurring), '>', 0::bigint, 'recurring nonconformities');
SELECT is((SELECT count(*) FROM isms.corrective_action WHERE status = 'closed'
            AND (effectiveness_checked_by = implemented_by OR effective IS NOT TRUE OR root_cause IS NULL)), 0::bigint,
    'closed corrective actions have a root cause and an independent, positive effectiveness check');
SELECT is((SELECT count(*) FROM isms.management_review WHERE held_on IS NULL AND planned_on < '2025-06-30'), 1::bigint,
    'the latest management review is overdue');
SELECT cmp_ok((SELECT count(*) FROM isms.incident), '>=', 100::bigint, 'over a hundred incidents');
SELECT cmp_ok((SELECT count(*) FROM isms.evidence), '>', 10000::bigint, 'evidence of operation: over 10,000 items');
SELECT is((SELECT array_agg(status ORDER BY check_no) FROM isms.clause_4_4_readiness(1, '2025-06-30 17:00+00')),
    '{pass,warn,pass,pass,pass,warn,pass,warn,pass,warn,fail,warn,warn}',
    'readiness: a realistic mix (evidence gaps, an overdue review, stale documents, the siloed process, some overdue core records)');
SELECT cmp_ok((SELECT sum(pdca_cycles_completed) FROM isms.improvement_metrics(1, '2022-07-01', '2025-07-01', '3 months')),
    '>', 200::bigint, 'hundreds of completed PDCA cycles over three years');
SELECT is((SELECT count(*) FROM isms.transition_log l
            WHERE NOT EXISTS (SELECT 1 FROM isms.import_batch x WHERE x.org_id = l.org_id AND x.xact_id = l.xact_id
                                AND l.log_id BETWEEN x.first_log_id AND x.last_log_id)), 0::bigint,
    'every move of the sample is in the log as imported: no row the import did not write');
SELECT is((SELECT array_agg(row(batch, records, log_rows, problem)::text) FROM isms.verify_imports(1)),
    ARRAY[row('sample', 13155, 1773, NULL::text)::text], 'verify_imports: one batch, intact');
SELECT is((SELECT count(*) FROM isms.verify_transition_log(1)), 0::bigint, 'verify_transition_log: the log is intact');
SELECT is((SELECT count(*) FROM isms.verify_trail(1)), 0::bigint, 'verify_trail: the trail, with the import entry, is intact');
SELECT is((SELECT score FROM isms.clause_4_4_readiness(1, '2025-06-30 17:00+00') WHERE check_no = 7), 1.000::numeric,
    'check 7: residual risk fell in the last year, from the imported history of the risks');
SELECT throws_ok($$SELECT isms.load_sample(1)$$, '22023', 'invalid argument scale: the sample is loaded already',
    'loading twice is refused');
SELECT throws_ok($$SELECT isms.load_sample(0)$$, '22023', NULL, 'scale 0 is refused');

-- The sample suppliers (isms.load_sample_suppliers), loaded after the rest.
SELECT is(isms.load_sample_suppliers('2025-06-30'), 47::bigint, 'the sample suppliers: 47 rows');
SELECT is((SELECT count(*) FROM isms.supplier WHERE status <> 'retired'), 5::bigint, 'five suppliers in force, one retired');
SELECT is((SELECT (status, evidence) FROM isms.clause_4_4_readiness(1, '2025-06-30 17:00+00') WHERE check_no = 13), ('warn'::text, 2::bigint),
    'readiness check 13 warns: two of five suppliers in order');
SELECT matches((SELECT figures FROM isms.clause_4_4_readiness(1, '2025-06-30 17:00+00') WHERE check_no = 13),
    'high without an agreement stating security requirements: RouteMaster SaaS; other overdue assessments: PayBureau Ltd',
    'check 13 names the carrier platform without security requirements and the overdue payroll assessment');
SELECT is(ARRAY(SELECT s.name FROM isms_report.suppliers s, isms.clause_4_4_readiness(1) r
                  WHERE r.check_no = 13 AND s.flagged <> (position(s.name IN r.figures) > 0) ORDER BY 1),
    '{}'::text[], 'isms_report.suppliers flags the suppliers readiness check 13 names today, and no other');
SELECT throws_ok($$SELECT isms.load_sample_suppliers('2025-06-30')$$, '22023', 'invalid argument until: the sample suppliers are loaded already',
    'loading the suppliers twice is refused');
SELECT throws_ok($$SELECT isms.load_sample_suppliers('2999-01-01')$$, '22023', NULL, 'a future until is refused');

SELECT * FROM finish();
ROLLBACK;
