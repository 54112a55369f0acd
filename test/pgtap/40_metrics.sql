-- Metrics against hand-computed expectations on the fixed data set of
-- reports_fixture.psql (read that file to follow the numbers): staleness,
-- continual improvement, Clause 4.4 readiness, residual risk over time;
-- empty organisations; every refusal with its SQLSTATE.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir reports_fixture.psql
SELECT plan(95);


------------------------------------------------------------------------------
-- Staleness

SELECT set_eq($$SELECT register, label, days_overdue FROM isms.stale_items('2025-06-30 12:00+00') WHERE org_id = 1$$,
    $$VALUES ('asset', 'Laptops', 425), ('asset', 'Server', 425), ('risk', 'R3 outage', 166),
             ('party_requirement', 'Breach notice in 72 hours', 149), ('risk', 'R2 laptop theft', 60),
             ('policy', 'Information security policy', 31), ('document', 'Risk method', 29)$$,
    'stale_items: the seven overdue rows of A, with days overdue');
SELECT is((SELECT due_at FROM isms.stale_items('2025-06-30 12:00+00') WHERE label = 'R3 outage'), '2025-01-15 12:00+00'::timestamptz,
    'a row never reviewed falls due one interval after its creation');
SELECT is((SELECT review_interval FROM isms.stale_items('2025-06-30 12:00+00') WHERE register = 'policy'), '6 months'::interval,
    'the organisation''s register setting overrides the register default (policy: 6 months)');
SELECT is((SELECT review_interval FROM isms.stale_items('2025-06-30 12:00+00') WHERE label = 'Risk method'), '3 months'::interval,
    'a row''s own review interval overrides both (document D2: 3 months)');
SELECT is((SELECT count(*) FROM isms.stale_items('2025-06-30 12:00+00') WHERE label IN ('Old procedure', 'TP1')), 0::bigint,
    'rows out of force are not reviewed: a retired document, a closed treatment plan');
SELECT is((SELECT count(*) FROM isms.stale_items('2025-06-30 12:00+00') WHERE register = 'audit_programme'), 0::bigint,
    'an audit programme whose period has ended is not reviewed');
SELECT is((SELECT count(*) FROM isms.stale_items('2025-06-30 12:00+00') WHERE register = 'objective'), 0::bigint,
    'an achieved objective is not reviewed, an active one is not yet due');
SELECT is((SELECT count(*) FROM isms.stale_items('2025-06-30 12:00+00') WHERE label = 'R4 ransomware'), 0::bigint,
    'a risk created in 2025 and never reviewed is not yet due');
SELECT is((SELECT array_agg(DISTINCT org_id) FROM isms.stale_items('2025-06-30 12:00+00')), '{1,2}'::bigint[],
    'stale_items covers every organisation the caller sees');
SELECT is((SELECT array_agg(label ORDER BY label) FROM isms.stale_items('2024-01-01 00:00+00')), '{"B laptops","Information security policy","Old procedure","Risk method"}',
    'as of 2024-01-01: D3 (retired later that day), and the rows whose recorded review came later (D2, the policy, B''s laptops)');
SELECT is((SELECT count(*) FROM isms.stale_items('2022-01-01 00:00+00')), 0::bigint,
    'rows created after as_of are left out');

SELECT results_eq($$SELECT register, rows, overdue, overdue_share, never_reviewed, oldest_review_days, days_since_change, untouched
                      FROM isms.staleness_summary(1, '2025-06-30 12:00+00')
                     WHERE register IN ('asset', 'risk', 'policy', 'document', 'party_requirement', 'treatment_plan')
                     ORDER BY register$$,
    $$VALUES ('asset', 2::bigint, 2::bigint, 1.000, 0::bigint, 791, 791, true),
             ('document', 4, 1, 0.250, 1, 180, 60, false),
             ('party_requirement', 1, 1, 1.000, 0, 515, 515, true),
             ('policy', 1, 1, 1.000, 0, 212, 212, false),
             ('risk', 4, 2, 0.500, 2, 532, 100, false),
             ('treatment_plan', 1, 0, 0.000, 0, NULL, 293, false)$$,
    'staleness_summary: rows, overdue, share, never reviewed, oldest review, days since change, untouched');
SELECT is((SELECT days_since_change FROM isms.staleness_summary(1, '2025-06-30 12:00+00') WHERE register = 'asset'), 791,
    'the stale register: nothing in the asset inventory changed for 791 days');
SELECT is((SELECT review_interval FROM isms.staleness_summary(1, '2025-06-30 12:00+00') WHERE register = 'policy'), '6 months'::interval,
    'staleness_summary shows the organisation''s effective interval');
SELECT is((SELECT (rows, overdue, last_change_at)::text FROM isms.staleness_summary(1, '2025-06-30 12:00+00') WHERE register = 'evidence'),
    '(3,,"2025-05-01 12:00:00+00")', 'registers without review: rows and last change, no overdue figure');
SELECT is((SELECT count(*) FROM isms.staleness_summary(1, '2025-06-30 12:00+00')), (SELECT count(*) FROM isms.register),
    'one row per register, empty ones included');
SELECT is((SELECT untouched FROM isms.staleness_summary(1, '2025-06-30 12:00+00', '3 years') WHERE register = 'asset'), false,
    'untouched_after is a parameter: within 3 years the asset register is not untouched');

------------------------------------------------------------------------------
-- Continual improvement: two half-years

CREATE TEMP TABLE im AS
SELECT * FROM isms.improvement_metrics(1, '2024-07-01 00:00+00', '2025-07-01 00:00+00', '6 months');
SELECT is((SELECT count(*) FROM im), 2::bigint, 'two periods of six months');
SELECT is((SELECT array_agg(period_start ORDER BY period_start) FROM im),
    '{"2024-07-01 00:00+00","2025-01-01 00:00+00"}'::timestamptz[], 'periods start at from_at, a bucket apart');
SELECT results_eq($$SELECT nonconformities_raised, nonconformities_closed FROM im ORDER BY period_start$$,
    $$VALUES (1, 0), (2, 1)$$, 'nonconformities raised (NC1; NC2, NC3) and closed (NC1) per period');
SELECT is((SELECT (median_days_to_close, p90_days_to_close)::text FROM im WHERE period_start = '2025-01-01 00:00+00'),
    '(144.0,144.0)', 'NC1 took 144 days from detection to closure');
SELECT is((SELECT median_days_to_close FROM im WHERE period_start = '2024-07-01 00:00+00'), NULL,
    'no closure, no median: NULL, not an error');
SELECT results_eq($$SELECT corrective_actions_checked, corrective_actions_effective, effective_share FROM im ORDER BY period_start$$,
    $$VALUES (0, 0, NULL::numeric), (2, 1, 0.500)$$,
    'effectiveness checks: CA1 closed as effective, CA2 reworked after its check');
SELECT results_eq($$SELECT recurring_nonconformities FROM im ORDER BY period_start$$, $$VALUES (0), (1)$$,
    'the recurring nonconformity: NC2 against A.8.13 within 12 months of NC1''s closure');
SELECT is((SELECT recurring_nonconformities FROM isms.improvement_metrics(1, '2025-01-01 00:00+00', '2025-07-01 00:00+00',
                                                                          '6 months', '1 month')), 0,
    'recurrence_window is a parameter: NC1 closed more than a month before NC2');
SELECT results_eq($$SELECT audits_planned, audits_completed, audit_completion FROM im ORDER BY period_start$$,
    $$VALUES (1, 1, 1.000), (1, 0, 0.000)$$, 'audit programme completion: AU1 completed, AU2 not');
SELECT results_eq($$SELECT reviews_planned, reviews_held FROM im ORDER BY period_start$$,
    $$VALUES (1, 1), (1, 0)$$, 'management reviews held vs planned: MR2 held, MR3 not');
SELECT results_eq($$SELECT objectives_measured, objectives_met, objectives_met_share FROM im ORDER BY period_start$$,
    $$VALUES (1, 0, 0.000), (2, 1, 0.500)$$, 'objectives met: O1 at 90 then 96 (target 95), O2 at 7 (at most 5)');
SELECT results_eq($$SELECT residual_risk_total, residual_risk_change FROM im ORDER BY period_start$$,
    $$VALUES (17::bigint, -12::bigint), (42, 25)$$,
    'residual risk: 29 -> 17 as R1''s treatment is verified, 42 once R4 is identified');
SELECT results_eq($$SELECT pdca_cycles_completed, pdca_cycles_by_workflow FROM im ORDER BY period_start$$,
    $$VALUES (2, '{"audit": 1, "treatment_plan": 1}'::jsonb),
             (4, '{"objective": 1, "improvement": 1, "nonconformity": 1, "corrective_action": 1}')$$,
    'completed PDCA cycles per workflow: moves into a final act state');
SELECT results_eq($$SELECT improvements_implemented FROM im ORDER BY period_start$$, $$VALUES (0), (1)$$,
    'improvements implemented: I1');
SELECT is((SELECT count(*) FROM isms.improvement_metrics(1, '2025-01-01', '2025-01-01')), 0::bigint,
    'an empty range has no periods');
SELECT is((SELECT period_end FROM isms.improvement_metrics(1, '2025-01-01 00:00+00', '2025-02-15 00:00+00', '1 month')
            ORDER BY period_start DESC LIMIT 1), '2025-02-15 00:00+00'::timestamptz,
    'the last period ends at to_at');

------------------------------------------------------------------------------
-- Residual risk over time (the one source for trends)

SELECT results_eq($$SELECT rating FROM isms.risk_rating_at(1, '2024-08-01 00:00+00') ORDER BY risk_id$$,
    $$VALUES (16), (9), (4)$$, 'before R1''s treatment is verified: inherent 16; R2 accepted: residual 9; R3: inherent 4');
SELECT results_eq($$SELECT rating FROM isms.risk_rating_at(1, '2025-06-30 12:00+00') ORDER BY risk_id$$,
    $$VALUES (4), (9), (4), (25)$$, 'after: R1 at its residual 4; R4 identified, inherent 25');
SELECT is((SELECT treated_at FROM isms.risk_rating_at(1, '2025-06-30 12:00+00') ORDER BY risk_id LIMIT 1), '2024-09-01 12:00+00'::timestamptz,
    'treated when its treatment plan was first verified (transition log)');

------------------------------------------------------------------------------
-- Clause 4.4 readiness

CREATE TEMP TABLE rd AS SELECT * FROM isms.clause_4_4_readiness(1, '2025-06-30 12:00+00');
SELECT is((SELECT array_agg(check_no ORDER BY check_no) FROM rd), '{1,2,3,4,5,6,7,8,9,10,11,12,13,14}'::integer[],
    'fourteen checks: the ten of the audit checklist, process interactions, shelf-ware, suppliers and policy acknowledgement');
SELECT results_eq($$SELECT check_no, status, score, evidence FROM rd ORDER BY check_no$$,
    $$VALUES (1, 'warn', 0.875, 8::bigint), (2, 'warn', 0.500, 1), (3, 'warn', 0.667, 2), (4, 'pass', 1.000, 3),
             (5, 'warn', 0.500, 1), (6, 'warn', 0.500, 1), (7, 'pass', 1.000, 3), (8, 'warn', 0.750, 3),
             (9, 'warn', 0.667, 3), (10, 'fail', 0.333, 1), (11, 'fail', 0.800, 4),
             (12, 'fail', 0.750, 6), (13, 'warn', 0.000, 0), (14, 'fail', 0.000, 0)$$,
    'every check: status, score and evidence as computed by hand');
SELECT matches((SELECT figures FROM rd WHERE check_no = 1), 'reviewed within their interval: 7 of 8',
    '(1) 7 of 8 scope, policy, objective and process records current: the policy is overdue');
SELECT matches((SELECT figures FROM rd WHERE check_no = 2), '2 applicable, 2 implemented, 1 of them with evidence',
    '(2) only A.5.1 has evidence from the last year');
SELECT matches((SELECT figures FROM rd WHERE check_no = 3), 'workflows: corrective_action, improvement\)',
    '(3) no review action completed a cycle');
SELECT matches((SELECT figures FROM rd WHERE check_no = 5), 'completed: 1 of 2', '(5) AU2 is not completed');
SELECT matches((SELECT figures FROM rd WHERE check_no = 6), 'overdue: 1 \(MR3 \(planned 2025-03-01\)\); last held: 2024-09-03', '(6) MR3 is overdue, and named');
SELECT matches((SELECT action FROM rd WHERE check_no = 6), 'overdue management reviews: MR3', '(6) the action names the overdue review');
SELECT matches((SELECT figures FROM rd WHERE check_no = 7), 'effective: 1 of 2 checked.*29 -> 17',
    '(7) outcomes: CA1 effective, residual risk of the risks known a year ago 29 -> 17');
SELECT matches((SELECT figures FROM rd WHERE check_no = 8), 'overdue corrective actions: 1; nonconformity findings not raised as nonconformities: 1',
    '(8) CA2 overdue; F2 never raised as a nonconformity');
SELECT matches((SELECT figures FROM rd WHERE check_no = 9), 'without requirements: 1', '(9) Customers have no requirement recorded');
SELECT matches((SELECT figures FROM rd WHERE check_no = 10), 'missing: 5.2, 6.1.3, 6.2, 7.5.1',
    '(10) mandatory documents missing for four clauses');
SELECT is((SELECT figures FROM rd WHERE check_no = 11), 'processes: 5; interactions: 4; siloed: 1 (Supplier review); near misses: none; inputs no process outputs: "Asset inventory" (input of Risk assessment), "Supplier questionnaire" (input of Supplier review)',
    '(11) the siloed process is named, and the inputs no process outputs');
SELECT matches((SELECT action FROM rd WHERE check_no = 11), 'Supplier review', '(11) and what to do about it');
SELECT is((SELECT figures FROM rd WHERE check_no = 12), 'core registers maintained: 6 of 8 (nothing changed or reviewed since 2024-06-30 counts as untouched); shelf-ware: Context issues (none recorded); Policies (1 of 1 overdue); overdue: Risks (2 of 4 overdue)',
    '(12) shelf-ware: no context issue, the one policy overdue; two risks overdue');
SELECT is((SELECT count(*) FROM rd WHERE status = 'pass' AND action <> 'None'), 0::bigint,
    'a passing check has nothing to do');
SELECT is((SELECT count(*) FROM rd WHERE status <> 'pass' AND (action = 'None' OR action = '')), 0::bigint,
    'every warn and fail says what to do');
SELECT is((SELECT status FROM isms.clause_4_4_readiness(1, '2025-06-30 12:00+00', pass_share => 0.5) WHERE check_no = 1), 'pass',
    'thresholds are parameters: with pass_share 0.5, check 1 passes');
SELECT is((SELECT status FROM isms.clause_4_4_readiness(1, '2025-06-30 12:00+00', fail_share => 0.9) WHERE check_no = 1), 'fail',
    '... and with fail_share 0.9 it fails');
SELECT is((SELECT status FROM isms.clause_4_4_readiness(1, '2025-06-30 12:00+00', review_every => '2 years') WHERE check_no = 6), 'warn',
    'review_every widens the management review window');
SELECT is((SELECT status FROM isms.clause_4_4_readiness(1, '2024-12-31 12:00+00') WHERE check_no = 5), 'pass',
    'as_of: at the end of 2024 the one audit due (AU1) was completed');

------------------------------------------------------------------------------
-- An empty organisation: no errors, no division by zero

SELECT is((SELECT count(*) FROM isms.clause_4_4_readiness(3) WHERE status = 'fail'), 13::bigint,
    'empty organisation: every check fails but suppliers (13 warns: none recorded)');
SELECT is((SELECT count(*) FROM isms.clause_4_4_readiness(3) WHERE score IS NULL OR score <> 0), 0::bigint,
    '... each with score 0');
SELECT is((SELECT count(*) FROM isms.stale_items() WHERE org_id = 3), 0::bigint, 'empty organisation: nothing stale');
SELECT is((SELECT sum(rows) FROM isms.staleness_summary(3)), 0::numeric, 'empty organisation: zero rows per register');
SELECT is((SELECT count(*) FROM isms.staleness_summary(3) WHERE overdue_share IS NOT NULL), 0::bigint,
    '... and no share of nothing');
SELECT is((SELECT count(*) FROM isms.improvement_metrics(3, '2024-01-01', '2025-01-01', '3 months')), 4::bigint,
    'empty organisation: improvement periods are there');
SELECT is((SELECT count(*) FROM isms.improvement_metrics(3, '2024-01-01', '2025-01-01', '3 months')
            WHERE nonconformities_raised <> 0 OR effective_share IS NOT NULL OR audit_completion IS NOT NULL
               OR objectives_met_share IS NOT NULL OR residual_risk_total <> 0), 0::bigint,
    '... with zero counts and NULL shares');
SELECT is((SELECT count(*) FROM isms.statement_of_applicability(3)), 93::bigint, 'empty organisation: 93 controls, not decided');
SELECT is((SELECT count(*) FROM isms.process_interactions(3)), 0::bigint, 'empty organisation: no interactions');
SELECT matches(isms.process_map(3), '^digraph', 'empty organisation: an empty map');

------------------------------------------------------------------------------
-- Refusals: SQLSTATE 22023, the argument named, its value in the detail

SELECT throws_ok($$SELECT * FROM isms.clause_4_4_readiness(999)$$, '22023',
    'invalid argument org_id: no organisation with this id exists or is visible to you',
    'readiness: unknown organisation');
SELECT throws_ok($$SELECT * FROM isms.staleness_summary(999)$$, '22023', NULL, 'staleness_summary: unknown organisation');
SELECT throws_ok($$SELECT * FROM isms.improvement_metrics(999)$$, '22023', NULL, 'improvement_metrics: unknown organisation');
SELECT throws_ok($$SELECT * FROM isms.statement_of_applicability(999)$$, '22023', NULL, 'statement_of_applicability: unknown organisation');
SELECT throws_ok($$SELECT * FROM isms.process_interactions(999)$$, '22023', NULL, 'process_interactions: unknown organisation');
SELECT throws_ok($$SELECT isms.process_map(999)$$, '22023', NULL, 'process_map: unknown organisation');
SELECT throws_ok($$SELECT * FROM isms.clause_4_4_readiness(NULL)$$, '22023', NULL, 'a NULL organisation');
SELECT throws_ok($$SELECT * FROM isms.improvement_metrics(1, '2025-07-01', '2025-01-01')$$, '22023',
    'invalid argument from_at: from_at is after to_at (2025-01-01 00:00:00+00)', 'from > to');
SELECT throws_ok($$SELECT * FROM isms.improvement_metrics(1, '2025-01-01', '2025-07-01', '0 days')$$, '22023',
    'invalid argument bucket: the period length must be a positive interval', 'zero bucket');
SELECT throws_ok($$SELECT * FROM isms.improvement_metrics(1, '2025-01-01', '2025-07-01', '-1 month')$$, '22023',
    'invalid argument bucket: the period length must be a positive interval', 'negative bucket');
SELECT throws_ok($$SELECT * FROM isms.improvement_metrics(1, '2020-01-01', '2025-07-01', '1 second')$$, '22023',
    'invalid argument bucket: more than 5000 periods between from_at and to_at', 'too many periods');
SELECT throws_ok($$SELECT * FROM isms.improvement_metrics(1, '2025-01-01', '2025-07-01', '1 month', '-1 day')$$, '22023',
    NULL, 'negative recurrence window');
SELECT throws_ok($$SELECT isms.process_map(1, 'png')$$, '22023', 'invalid argument format: unknown process map format',
    'unknown format');
SELECT throws_ok($$SELECT isms.process_map(1, NULL)$$, '22023', NULL, 'NULL format');
SELECT throws_ok($$SELECT * FROM isms.stale_items(NULL)$$, '22023', 'invalid argument as_of: a finite point in time is required',
    'NULL as_of');
SELECT throws_ok($$SELECT * FROM isms.stale_items('infinity')$$, '22023', NULL, 'infinite as_of');
SELECT throws_ok($$SELECT * FROM isms.staleness_summary(1, now(), '0 days')$$, '22023', NULL, 'zero untouched_after');
SELECT throws_ok($$SELECT * FROM isms.clause_4_4_readiness(1, now(), 1.5)$$, '22023',
    'invalid argument pass_share: shares lie between 0 and 1, and fail_share is at most pass_share', 'pass_share above 1');
SELECT throws_ok($$SELECT * FROM isms.clause_4_4_readiness(1, now(), 0.5, 0.8)$$, '22023', NULL, 'fail_share above pass_share');
SELECT throws_ok($$SELECT * FROM isms.clause_4_4_readiness(1, now(), 0.9, 0.5, '0 days')$$, '22023', NULL, 'zero lookback');
SELECT throws_ok($$SELECT * FROM isms.clause_4_4_readiness(1, now(), 0.9, 0.5, '1 year', '-1 year')$$, '22023', NULL,
    'negative review_every');
SELECT throws_ok($$SELECT * FROM isms.statement_of_applicability(1, 'nist-csf')$$, '22023', NULL, 'unknown framework');

-- the detail carries the value, the hint what to pass
CREATE FUNCTION pg_temp.diag_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text;
BEGIN
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN invalid_parameter_value THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN d || ' | ' || h;
END $$;
SELECT is(pg_temp.diag_of($$SELECT * FROM isms.staleness_summary(999)$$),
    'org_id = 999. | SELECT org_id, code, name FROM isms.organization lists the organisations you may see.',
    'unknown organisation: detail and hint');
SELECT is(pg_temp.diag_of($$SELECT * FROM isms.improvement_metrics(1, '2025-01-01', '2025-07-01', '-1 month')$$),
    'bucket = -1 mons. | Pass an interval such as ''1 month'' or ''3 months''.', 'bad bucket: detail and hint');
SELECT matches(pg_temp.diag_of($$SELECT isms.process_map(1, 'svg')$$), '^format = svg\. \| Pass ''dot''',
    'unknown format: detail and hint');

-- row-level security: a member of A alone cannot name B
SET LOCAL ROLE rep_reader;
SELECT throws_ok($$SELECT * FROM isms.clause_4_4_readiness(2)$$, '22023', NULL,
    'an organisation the caller is not a member of is refused as unknown');
SELECT is((SELECT array_agg(DISTINCT org_id) FROM isms.stale_items('2025-06-30 12:00+00')), '{1}'::bigint[],
    'stale_items shows a member its organisations only');
SELECT is((SELECT count(*) FROM isms.clause_4_4_readiness(1, '2025-06-30 12:00+00')), 14::bigint, 'a reader runs the readiness report');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
