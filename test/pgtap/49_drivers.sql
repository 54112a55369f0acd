-- What a driver or a BI tool sends and receives, as a member role under
-- row-level security: string parameters typed varchar (pgJDBC setString)
-- and text into and against references and versions; the natural queries
-- on references with the default search_path and after the one set-up
-- step (ALTER DATABASE ... SET search_path = "$user", public, isms); the
-- natural order of the BI views' reference columns; their plain types.
\set ON_ERROR_STOP 1

-- The set-up step, as a DBA runs it (once per database), and a new
-- session that picks it up.  Reset at the end of this file.
ALTER DATABASE :"DBNAME" SET search_path = "$user", public, isms;
\c
SELECT current_setting('search_path') AS new_session_path \gset
BEGIN;
CREATE EXTENSION isms;
\ir reports_fixture.psql
SELECT plan(55);

SELECT is(:'new_session_path'::text, '"$user", public, isms', 'the set-up step gives new sessions isms after public');
CREATE FUNCTION pg_temp.explain_plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
END $$;
CREATE FUNCTION pg_temp.explain_verbose(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q;
END $$;
-- a document of clause 10.1, its clause given as varchar
INSERT INTO isms.document (org_id, code, kind, title, clause, owner, status, created_at, updated_at)
VALUES (1, 'D5', 'procedure', 'Improvement procedure', '10.1'::varchar, 'CISO', 'draft', '2025-05-01 12:00+00', '2025-05-01 12:00+00');

------------------------------------------------------------------------------
-- Default search_path: what works without the set-up step

SET LOCAL search_path = "$user", public;
SET LOCAL ROLE rep_reader;

-- the BI views: references are text, any driver's strings compare
PREPARE soa_control(varchar) AS
    SELECT title FROM isms_report.statement_of_applicability WHERE org_id = 1 AND control = $1;
SELECT is((SELECT count(*) FROM isms_report.statement_of_applicability WHERE org_id = 1 AND control = 'A.5.1'::varchar),
    1::bigint, 'default path: view column = varchar');
SELECT lives_ok('EXECUTE soa_control(''A.5.1'')', 'default path: PREPARE (varchar) against a view column');
PREPARE soa_range(varchar, varchar) AS
    SELECT count(*) FROM isms_report.statement_of_applicability WHERE org_id = 1 AND control BETWEEN $1 AND $2;
SELECT results_eq('EXECUTE soa_range(''A.5.1'', ''A.5.9'')', $$VALUES (9::bigint)$$,
    'default path: control BETWEEN A.5.1 AND A.5.9 with varchar parameters: 9 controls');
SELECT is((SELECT count(*) FROM isms_report.statement_of_applicability WHERE org_id = 1 AND control BETWEEN 'A.5.1' AND 'A.5.9'),
    9::bigint, 'default path: control BETWEEN A.5.1 AND A.5.9 with literals: 9 controls');
SELECT is((SELECT count(*) FROM isms_report.statement_of_applicability WHERE org_id = 1 AND control BETWEEN 'A.5.1'::text AND 'A.5.9'::text),
    9::bigint, 'default path: control BETWEEN with text values: 9 controls');
SELECT is((SELECT array_agg(control ORDER BY control) FROM isms_report.statement_of_applicability WHERE org_id = 1),
    (SELECT array_agg(control ORDER BY control_order) FROM isms_report.statement_of_applicability WHERE org_id = 1),
    'default path: ORDER BY control is the natural order (control_order)');
SELECT is((SELECT array_agg(control ORDER BY control) FROM isms_report.statement_of_applicability
            WHERE org_id = 1 AND control IN ('A.5.10', 'A.5.9', 'A.5.1', 'A.5.2')),
    '{A.5.1,A.5.2,A.5.9,A.5.10}', 'default path: A.5.1, A.5.2, A.5.9, A.5.10');
SELECT is((SELECT max(control) FROM isms_report.statement_of_applicability WHERE org_id = 1), 'A.8.34',
    'default path: max(control) is A.8.34');
SELECT is((SELECT array_agg(clause ORDER BY clause) FROM isms_report.documents WHERE org_id = 1),
    '{4.3,6.1.2,6.1.3,8.1,10.1}', 'default path: ORDER BY clause of documents puts 4.3 before 10.1');
SELECT is((SELECT count(*) FROM isms_report.documents WHERE org_id = 1 AND clause >= '9' AND clause < '10.9'::varchar),
    1::bigint, 'default path: clause >= 9 AND clause < 10.9 is 10.1 only');
SELECT is((SELECT array_agg(x ORDER BY x COLLATE isms.natural) FROM (VALUES ('10.1'), ('4.1'), ('9.3'), ('A.5.10'), ('A.5.9')) v(x)),
    '{4.1,9.3,10.1,A.5.9,A.5.10}', 'the collation isms.natural: 4.1 before 10.1, A.5.9 before A.5.10');
SELECT is((SELECT array_agg(requirement ORDER BY requirement) FROM isms_report.nonconformities WHERE org_id = 1),
    (SELECT array_agg(requirement::text ORDER BY requirement) FROM isms.nonconformity WHERE org_id = 1),
    'default path: ORDER BY requirement of nonconformities is the order of isms.ref');
SELECT is((SELECT count(*) FROM isms_report.nonconformities WHERE org_id = 1 AND requirement >= 'A.8.9'),
    (SELECT count(*) FROM isms.nonconformity WHERE org_id = 1 AND requirement OPERATOR(isms.>=) 'A.8.9'),
    'default path: requirement >= A.8.9 as isms.ref compares');
-- joining a view's text column to a reference: the implicit cast is found,
-- the operator needs the set-up step
SELECT throws_ok($$SELECT count(*) FROM isms.requirement r JOIN isms.nonconformity n ON r.ref = n.requirement$$,
    '42883', NULL, 'default path: ref = ref without the set-up step is 42883 (documented: run the set-up step)');
SELECT throws_ok($$SELECT min(requirement) FROM isms.nonconformity$$,
    '42883', NULL, 'default path: min(ref) without the set-up step is 42883');
SELECT is((SELECT count(*) FROM isms.requirement r JOIN isms.nonconformity n ON r.ref OPERATOR(isms.=) n.requirement
            WHERE n.org_id = 1), 3::bigint, 'default path: OPERATOR(isms.=) works anywhere');
RESET ROLE;

-- Writing a reference or a version from a varchar parameter (pgJDBC
-- setString), default path, as a member editor
SET LOCAL ROLE rep_editor;
SELECT lives_ok($$INSERT INTO isms.soa_entry (org_id, control, applicable, justification, implementation_status, owner)
                  VALUES (1, 'A.5.2'::varchar, true, 'Roles are assigned', 'planned', 'CISO')$$,
    'default path: INSERT a reference from varchar');
PREPARE ins_soa(bigint, varchar, boolean, varchar, varchar) AS
    INSERT INTO isms.soa_entry (org_id, control, applicable, justification, owner) VALUES ($1, $2, $3, $4, $5);
SELECT lives_ok($$EXECUTE ins_soa(1, 'A.5.3', true, 'Duties are segregated', 'CISO')$$,
    'default path: PREPARE (varchar) INSERT of a reference');
PREPARE upd_soa(varchar, varchar) AS
    UPDATE isms.soa_entry SET control = $2 WHERE org_id = 1 AND control::text = $1 RETURNING control::text;
SELECT results_eq($$EXECUTE upd_soa('A.5.3', 'A.5.4')$$, $$VALUES ('A.5.4')$$, 'default path: UPDATE SET reference = varchar parameter');
SELECT throws_ok($$INSERT INTO isms.soa_entry (org_id, control, applicable, owner) VALUES (1, 'A.5.x'::varchar, true, 'CISO')$$,
    '22P02', NULL, 'a malformed reference from varchar is 22P02');
SELECT is((SELECT isms.next_minor('1.9'::varchar)::text), '1.10', 'default path: a version from varchar');
RESET ROLE;

------------------------------------------------------------------------------
-- After the set-up step: the natural queries, as a reader

SET LOCAL search_path = "$user", public, isms;
SET LOCAL ROLE rep_reader;
SELECT is((SELECT count(*) FROM isms.requirement r JOIN isms.nonconformity n ON r.ref = n.requirement
            WHERE n.org_id = 1), 3::bigint, 'set-up: JOIN ON r.ref = n.requirement');
SELECT is((SELECT count(*) FROM isms.nonconformity n JOIN (SELECT framework, ref AS requirement FROM isms.requirement) r
            USING (framework, requirement) WHERE n.org_id = 1), 3::bigint, 'set-up: JOIN USING (requirement)');
SELECT is((SELECT count(*) FROM isms.nonconformity n WHERE n.requirement IN (SELECT ref FROM isms.requirement WHERE kind = 'control')),
    (SELECT count(*) FROM isms.nonconformity n WHERE n.requirement::text LIKE 'A.%'), 'set-up: IN (SELECT ref ...)');
SELECT is((SELECT count(*) FROM isms.nonconformity n, isms.requirement r
            WHERE r.ref IS NOT DISTINCT FROM n.requirement AND n.org_id = 1), 3::bigint,
    'set-up: IS NOT DISTINCT FROM');
SELECT is((SELECT min(requirement)::text FROM isms.nonconformity WHERE org_id = 1),
    (SELECT requirement::text FROM isms.nonconformity WHERE org_id = 1 ORDER BY requirement LIMIT 1), 'set-up: min(requirement)');
SELECT is((SELECT max(ref)::text FROM isms.requirement WHERE kind = 'control'), 'A.8.34', 'set-up: max(ref)');
SELECT is((SELECT count(*) FROM isms.requirement WHERE ref >= 'A.5.1' AND ref <= 'A.5.9'), 9::bigint,
    'set-up: ref BETWEEN literals: 9 controls');
PREPARE req(varchar) AS SELECT title FROM isms.requirement WHERE ref = $1;
SELECT results_eq('EXECUTE req(''A.5.24'')', $$SELECT title FROM isms.requirement WHERE ref::text = 'A.5.24'$$,
    'set-up: WHERE ref = $1 with a varchar parameter (pgJDBC)');
PREPARE req_text(text) AS SELECT title FROM isms.requirement WHERE ref = $1;
SELECT results_eq('EXECUTE req_text(''A.5.24'')', $$SELECT title FROM isms.requirement WHERE ref::text = 'A.5.24'$$,
    'set-up: WHERE ref = $1 with a text parameter');
SELECT is((SELECT count(*) FROM isms.requirement WHERE ref = 'A.5.24'::varchar), 1::bigint, 'set-up: ref = varchar');
SELECT is((SELECT count(*) FROM isms.requirement WHERE 'A.5.24'::varchar = ref), 1::bigint, 'set-up: varchar = ref');
SELECT is((SELECT count(*) FROM isms.requirement WHERE ref <> 'A.5.24'::varchar AND ref < 'A.5.3'::varchar AND ref::text LIKE 'A.5.%'),
    2::bigint, 'set-up: <> and < with varchar: A.5.1, A.5.2');
SELECT is((SELECT count(*) FROM isms.requirement WHERE ref IN ('A.5.1'::varchar, 'A.5.2'::varchar)), 2::bigint,
    'set-up: ref IN (varchar, varchar)');
SELECT is((SELECT count(*) FROM isms_report.statement_of_applicability s JOIN isms.requirement r ON r.ref = s.control
            WHERE s.org_id = 1), 93::bigint, 'set-up: a view''s text column joins a reference column');
SELECT is((SELECT '1.10'::varchar > '1.9'::isms.docver), true, 'set-up: docver compares with varchar numerically');
RESET ROLE;
-- a reference compared with varchar is still an index scan
SET LOCAL enable_seqscan = off;
SELECT ok((SELECT string_agg(p, ' ') FROM (SELECT * FROM pg_temp.explain_plan($$SELECT title FROM isms.requirement WHERE framework = 'iso27001-2022' AND ref = 'A.5.24'::varchar$$)) e(p))
          ~ 'Index', 'set-up: ref = varchar uses the index');
-- filtering a view on org_code reaches the registers' and the log's indexes, as org_id does
SELECT unalike((SELECT string_agg(p, ' ') FROM pg_temp.explain_plan($$SELECT * FROM isms_report.workflow_activity WHERE org_code = 'A'$$) e(p)),
    '%Seq Scan on transition_log%', 'workflow_activity filtered on org_code: the transition log by index');
SELECT unalike((SELECT string_agg(p, ' ') FROM pg_temp.explain_plan($$SELECT * FROM isms_report.risk_register WHERE org_code = 'A'$$) e(p)),
    '%Seq Scan on risk %', 'risk_register filtered on org_code: the risks by index');
SELECT unalike((SELECT string_agg(p, ' ') FROM pg_temp.explain_verbose($$SELECT * FROM isms_report.risk_register WHERE org_id = 1$$) e(p)),
    '%review_due_at(%', 'risk_register computes the review due date inline, no function call per row');
RESET enable_seqscan;

------------------------------------------------------------------------------
-- The shapes of the BI views and report functions

SELECT is_empty($$SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    LEFT JOIN pg_type e ON e.oid = (SELECT typelem FROM pg_type WHERE oid = a.atttypid)
                   WHERE c.relnamespace = 'isms_report'::regnamespace
                     AND (a.atttypid IN ('isms.ref'::regtype, 'isms.docver'::regtype)
                          OR e.oid IN ('isms.ref'::regtype, 'isms.docver'::regtype))$$,
    'no BI view column is isms.ref, isms.docver or an array of them');
SELECT is_empty($$SELECT p.oid::regprocedure::text || ' ' || t::regtype::text
                    FROM pg_proc p, unnest(p.proallargtypes, p.proargmodes) AS x(t, m)
                   WHERE p.pronamespace = 'isms'::regnamespace AND m IN ('t', 'o')
                     AND p.proname IN ('statement_of_applicability', 'clause_4_4_readiness', 'staleness_summary',
                                       'stale_items', 'improvement_metrics', 'process_links', 'process_interactions',
                                       'framework_coverage', 'soa_transition')
                     AND (t IN ('isms.ref'::regtype, 'isms.docver'::regtype, 'isms.ref[]'::regtype, 'isms.docver[]'::regtype))$$,
    'no report function returns isms.ref, isms.docver or an array of them');
SELECT is_empty($$SELECT c.relname || '.' || a.attname
                    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   WHERE c.relnamespace = 'isms_report'::regnamespace
                     AND a.attname IN ('control', 'clause', 'requirement', 'parent_requirement')
                     AND NOT (c.relname = 'party_requirements' AND a.attname = 'requirement')
                     AND a.attcollation <> 'isms.natural'::regcollation$$,
    'every reference column of the BI views is in the collation isms.natural');
SELECT is((SELECT format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = 'isms_report.stale_items'::regclass AND attname = 'review_interval'), 'interval',
    'stale_items.review_interval is an interval');
SELECT is((SELECT format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = 'isms_report.staleness'::regclass AND attname = 'review_interval'), 'interval',
    'staleness.review_interval is an interval');
SELECT is((SELECT format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = 'isms_report.statement_of_applicability'::regclass AND attname = 'risk_ids'), 'bigint[]',
    'statement_of_applicability.risk_ids is a bigint array');
SET LOCAL ROLE rep_reader;
SELECT is((SELECT risk_ids FROM isms_report.statement_of_applicability WHERE org_id = 1 AND control = 'A.8.13'),
    (SELECT array_agg(id ORDER BY id) FROM isms.risk WHERE org_id = 1 AND title IN ('R1 data leak', 'R2 laptop theft')),
    'risk_ids: the linked risks in order');
SELECT is((SELECT risk_ids FROM isms_report.statement_of_applicability WHERE org_id = 1 AND control = 'A.5.7'), '{}'::bigint[],
    'risk_ids: empty, not NULL, when none');
SELECT is((SELECT risk_ids FROM isms.statement_of_applicability(1) WHERE control = 'A.8.13'),
    (SELECT risk_ids FROM isms_report.statement_of_applicability WHERE org_id = 1 AND control = 'A.8.13'),
    'the report function gives the same array');
SELECT is((SELECT review_interval FROM isms_report.staleness WHERE org_id = 1 AND register = 'policy'), '6 months'::interval,
    'staleness.review_interval: the organisation''s setting as an interval');
SELECT ok((SELECT bool_and(review_interval > interval '0') FROM isms_report.stale_items WHERE org_id = 1),
    'stale_items.review_interval compares as an interval');
-- the inline review dates are those of isms.review_due_at
SELECT is_empty($$SELECT v.risk_id FROM isms_report.risk_register v JOIN isms.risk r ON r.org_id = v.org_id AND r.id = v.risk_id
                   WHERE v.review_due_at IS DISTINCT FROM isms.review_due_at(r.org_id, 'isms.risk', r.review_interval, r.last_reviewed_at, r.created_at)$$,
    'risk_register.review_due_at is isms.review_due_at');
SELECT is_empty($$SELECT v.document_id FROM isms_report.documents v JOIN isms.document d ON d.org_id = v.org_id AND d.id = v.document_id
                   WHERE v.review_due_at IS DISTINCT FROM isms.review_due_at(d.org_id, 'isms.document', d.review_interval,
                             isms.document_reviewed_at(d.org_id, d.id, d.last_reviewed_at, now()), d.created_at)
                      OR v.last_reviewed_at IS DISTINCT FROM isms.document_reviewed_at(d.org_id, d.id, d.last_reviewed_at, now())$$,
    'documents.review_due_at and last_reviewed_at are those of isms.review_due_at and isms.document_reviewed_at');
SELECT is_empty($$SELECT v.requirement_id FROM isms_report.party_requirements v JOIN isms.party_requirement q ON q.org_id = v.org_id AND q.id = v.requirement_id
                   WHERE v.review_overdue IS DISTINCT FROM
                         (isms.review_due_at(q.org_id, 'isms.party_requirement', q.review_interval, q.last_reviewed_at, q.created_at) < now())$$,
    'party_requirements.review_overdue is that of isms.review_due_at');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
ALTER DATABASE :"DBNAME" RESET search_path;
