-- The sample ISMS: what isms.load_sample() promises.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
CREATE EXTENSION isms_sample;
SET LOCAL search_path = public, isms;
SELECT plan(53);

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
    '{pass,warn,pass,pass,pass,warn,pass,warn,pass,warn,fail,warn,warn,warn}',
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

-- The sample staff and policy acknowledgements (isms.load_sample_staff).
SELECT is(isms.load_sample_staff('2025-06-30'), 48::bigint, 'the sample staff: 12 staff, 5 policy versions, 31 acknowledgements');
SELECT is((SELECT count(*) FROM isms.person WHERE active_until IS NULL), 11::bigint, 'eleven staff, one who has left');
SELECT results_eq($$SELECT status, evidence FROM isms.clause_4_4_readiness(1, '2025-06-30 17:00+00') WHERE check_no = 14$$,
    $$VALUES ('warn', 23::bigint)$$, 'readiness check 14 warns: 23 of 33 acknowledgements of the versions in force');
SELECT matches((SELECT figures FROM isms.clause_4_4_readiness(1, '2025-06-30 17:00+00') WHERE check_no = 14),
    'acknowledgements of the version in force: 23 of 33 .*outstanding: ISMS-POL-001 1.1 \(10 of 11\), ISMS-POL-003 2.0 \(4 of 11\), ISMS-POL-009 1.0 \(9 of 11\); published without a version to acknowledge: 9 ',
    'check 14 names the policies not yet acknowledged by every staff member, and those without a version');
SELECT results_eq($$SELECT count(*) FILTER (WHERE a.version = '1.0'), count(*) FILTER (WHERE s.acknowledged)
                      FROM isms.policy_acknowledgement a
                      JOIN isms.document d ON d.id = a.document_id AND d.code = 'ISMS-POL-003'
                      LEFT JOIN isms.policy_acknowledgement_status(1, '2025-06-30 17:00+00') s
                        ON s.document_id = a.document_id AND s.person = a.person AND s.acknowledged_version = a.version::text$$,
    $$VALUES (7::bigint, 4::bigint)$$, 'the acceptable use policy''s major version 2.0 asks again: 7 acknowledged 1.0, 4 have acknowledged 2.0');
SELECT is((SELECT array_agg(person) FROM isms.policy_acknowledgement_status(1, '2025-06-30 17:00+00') WHERE NOT in_audience),
    '{nora.berg@northwind.example}', 'who has left is out of the audience, her acknowledgement kept');
SELECT is((SELECT array_agg(status ORDER BY check_no) FROM isms.clause_4_4_readiness(1, '2025-06-30 17:00+00')),
    '{pass,warn,pass,pass,pass,warn,pass,warn,pass,warn,fail,warn,warn,warn}',
    'the other checks are as before: the versions are published no later than the policies'' last review');
SELECT throws_ok($$SELECT isms.load_sample_staff('2025-06-30')$$, '22023', 'invalid argument until: the sample staff are loaded already',
    'loading the staff twice is refused');

-- The sweep on the sample (issue: reminders and escalation): at the
-- sample's instant every overdue item becomes one task for its owner, all
-- of them past 14 days; a second run changes nothing; sixty days on the
-- new causes get tasks, every open task stands at the level its days
-- overdue reach, and tasks whose cause is gone are cancelled.
CREATE ROLE sample_sweeper LOGIN; GRANT isms_editor TO sample_sweeper;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'sample_sweeper');
INSERT INTO isms.task_setting (org_id, remind_after, escalate_after, escalate_to) VALUES (1, '7 days', '14 days', 'ISMS manager');
SET LOCAL ROLE sample_sweeper;
SELECT results_eq($$SELECT code, created, escalated, closed FROM isms.sweep(NULL, '2025-06-30 17:00+00')$$,
    $$VALUES ('NORTHWIND', 107, 107, 0)$$, 'the sweep of the sample: 107 tasks, all escalated (over 14 days overdue)');
RESET ROLE;
SELECT set_eq($$SELECT kind, coalesce(g.name, ''), count(*) FROM isms.task k
                  LEFT JOIN isms.register g ON g.relid = k.record_table AND k.kind = 'review_due' GROUP BY 1, 2$$,
    $$VALUES ('review_due', 'asset', 80::bigint), ('review_due', 'risk', 10), ('review_due', 'policy', 3),
             ('review_due', 'party_requirement', 1), ('review_due', 'supplier', 1),
             ('document_review_due', '', 10), ('corrective_action_overdue', '', 1), ('management_review_due', '', 1)$$,
    'the tasks: the 80 untouched assets, 10 risks, 3 policies, a requirement, a supplier and 10 documents overdue for review, the late corrective action and the overdue management review');
SELECT is_empty($$SELECT s.register, s.record_id, s.owner FROM isms.stale_items('2025-06-30 17:00+00') s
                   EXCEPT SELECT CASE WHEN k.kind = 'document_review_due' THEN 'document' ELSE g.name END, k.record_id, k.owner
                     FROM isms.task k JOIN isms.register g ON g.relid = k.record_table$$,
    'every item the staleness report lists has a task for its owner');
SELECT is((SELECT k.record_id FROM isms.task k WHERE k.kind = 'management_review_due'),
    (SELECT m.id FROM isms.management_review m WHERE m.held_on IS NULL AND m.planned_on < '2025-06-30'),
    'the management review task is about the overdue review');
SELECT is((SELECT count(*) FROM isms.task WHERE status = 'escalated' AND escalation_level = 2 AND escalated_to = 'ISMS manager'),
    107::bigint, '... every task escalated to the organisation''s escalate_to');
SELECT is((SELECT count(*) FROM isms.transition_log WHERE record_table = 'isms.task'::regclass AND actor = 'sample_sweeper'),
    214::bigint, 'the engine logs 214 moves, a creation and an escalation per task, as the sweeper');
SET LOCAL ROLE sample_sweeper;
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('NORTHWIND', '2025-06-30 17:00+00')$$,
    $$VALUES (0, 0, 0)$$, 'a second sweep at that instant creates, escalates and closes nothing');
RESET ROLE;
SELECT (SELECT count(*) FROM isms.task_causes('2025-08-29 17:00+00') c
         WHERE NOT EXISTS (SELECT 1 FROM isms.task k WHERE k.kind = c.kind AND k.record_table = c.record_table
                             AND k.record_id = c.record_id AND k.closed_at IS NULL))::integer AS new_causes,
       (SELECT count(*) FROM isms.task k
         WHERE k.closed_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM isms.task_causes('2025-08-29 17:00+00') c
                            WHERE k.kind = c.kind AND k.record_table = c.record_table AND k.record_id = c.record_id))::integer AS gone
\gset
SET LOCAL ROLE sample_sweeper;
SELECT results_eq($$SELECT created, closed FROM isms.sweep('NORTHWIND', '2025-08-29 17:00+00')$$,
    format('VALUES (%s, %s)', :new_causes, :gone), 'sixty days on: a task per new cause, the tasks whose cause is gone cancelled');
RESET ROLE;
SELECT cmp_ok(:new_causes, '>', 0, '... there are new causes then');
SELECT is_empty($$SELECT k.id, k.escalation_level, k.due_at FROM isms.task k
                   WHERE k.closed_at IS NULL
                     AND k.escalation_level <> CASE WHEN '2025-08-29 17:00+00'::timestamptz - k.due_at >= interval '14 days' THEN 2
                                                    WHEN '2025-08-29 17:00+00'::timestamptz - k.due_at >= interval '7 days' THEN 1
                                                    ELSE 0 END$$,
    '... and every open task stands at the level of its days overdue: 7 days level 1, 14 days level 2');
SELECT set_eq($$SELECT escalation_level, count(*) FROM isms.task WHERE closed_at IS NULL GROUP BY 1$$,
    $$VALUES (0, 8::bigint), (1, 4), (2, 111)$$, '... 8 tasks under 7 days (level 0), 4 between 7 and 14 days (level 1), 111 past 14 days (level 2)');

SELECT * FROM finish();
ROLLBACK;
