-- BI views (isms_report): type and comment rules over every view, access
-- and row-level security through them, and their figures on the fixed
-- data set; the Statement of Applicability, process interactions and the
-- process map.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir reports_fixture.psql
SELECT plan(59);

------------------------------------------------------------------------------
-- The rules every BI view follows

CREATE TEMP TABLE report_view AS
SELECT c.oid::regclass AS view, c.relname::text AS name
  FROM pg_class c
 WHERE c.relnamespace = 'isms_report'::regnamespace AND c.relkind = 'v';
CREATE TEMP TABLE report_column AS
SELECT v.name AS view, a.attname::text AS col, format_type(a.atttypid, a.atttypmod) AS type,
       col_description(v.view, a.attnum) AS note
  FROM report_view v JOIN pg_attribute a ON a.attrelid = v.view AND a.attnum > 0 AND NOT a.attisdropped;
GRANT SELECT ON report_view, report_column TO PUBLIC;

SELECT cmp_ok((SELECT count(*) FROM report_view), '>=', 20::bigint, 'isms_report has a view per dashboard topic');
SELECT set_has($$SELECT name FROM report_view$$,
    $$VALUES ('risk_register'), ('statement_of_applicability'), ('nonconformities'), ('corrective_actions'),
             ('audits'), ('audit_findings'), ('objectives'), ('objective_measurements'), ('stale_items'),
             ('staleness'), ('improvement_trend'), ('readiness'), ('documents'), ('incidents'),
             ('management_reviews'), ('processes'), ('process_interactions'), ('pdca_cycles'),
             ('workflow_activity'), ('treatment_plans'), ('improvements'), ('party_requirements'),
             ('evidence_by_month'), ('organizations'), ('tasks'), ('policy_acknowledgements')$$,
    'the views of the dashboards');
SELECT is_empty($$SELECT view || '.' || col || ' ' || type FROM report_column
                  WHERE rtrim(type, '[]') NOT IN ('text', 'integer', 'bigint', 'numeric', 'date', 'timestamp with time zone',
                                                  'boolean', 'interval')$$,
    'every column has a plain type: text, integer, bigint, numeric, date, timestamptz, boolean, interval, or an array of one');
SELECT is_empty($$SELECT view || '.' || col FROM report_column WHERE coalesce(btrim(note), '') = ''$$,
    'every column has a comment');
SELECT is_empty($$SELECT name FROM report_view WHERE coalesce(obj_description(view, 'pg_class'), '') = ''$$,
    'every view has a comment');
SELECT is_empty($$SELECT name FROM report_view v JOIN pg_class c ON c.oid = v.view
                  WHERE NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)$$,
    'every view is security_invoker: the row-level security of the registers applies to the caller');
SELECT is_empty($$SELECT name FROM report_view WHERE NOT has_table_privilege('isms_reader', view, 'SELECT')$$,
    'isms_reader may read every view');
SELECT is_empty($$SELECT name FROM report_view v, aclexplode(coalesce((SELECT relacl FROM pg_class WHERE oid = v.view), '{}')) a
                  WHERE a.grantee = 0$$,
    'no view is granted to PUBLIC');
SELECT is_empty($$SELECT name FROM report_view v
                  WHERE has_table_privilege('isms_reader', view, 'INSERT') OR has_table_privilege('isms_editor', view, 'UPDATE')$$,
    'the views are read-only to the roles');
SELECT is_empty($$SELECT name FROM report_view v JOIN pg_attribute a ON a.attrelid = v.view AND a.attnum = 1
                  WHERE name <> 'organizations' AND a.attname <> 'org_id'$$,
    'every view leads with org_id');

------------------------------------------------------------------------------
-- Row-level security through the views

SET LOCAL ROLE rep_reader;      -- member of A only
RESET ROLE;
CREATE TEMP TABLE leaks (view text, n bigint);
GRANT ALL ON leaks TO PUBLIC;
SET LOCAL ROLE rep_reader;
DO $$
DECLARE v record; n bigint;
BEGIN
    FOR v IN SELECT name FROM report_view LOOP
        EXECUTE format('SELECT count(*) FROM isms_report.%I WHERE org_id <> 1', v.name) INTO n;
        IF n > 0 THEN INSERT INTO leaks VALUES (v.name, n); END IF;
    END LOOP;
END $$;
SELECT is_empty($$SELECT * FROM leaks$$, 'a member of A sees no row of another organisation in any view');
SELECT is((SELECT array_agg(org_code) FROM isms_report.organizations), '{A}', 'organizations: A only');
SELECT is((SELECT count(*) FROM isms_report.readiness), 14::bigint, 'readiness: the fourteen checks of A');
RESET ROLE;
SET LOCAL ROLE rep_editor;      -- member of A and B
SELECT is((SELECT array_agg(DISTINCT org_code ORDER BY org_code) FROM isms_report.stale_items), '{A,B}',
    'a member of A and B sees both');
RESET ROLE;

------------------------------------------------------------------------------
-- Figures of the views on the fixed data set (as of now: the fixture's
-- dates are in the past)

SELECT results_eq($$SELECT title, current_rating, within_appetite, accepted, treatment_plans, open_treatment_plans, controls
                      FROM isms_report.risk_register WHERE org_id = 1 ORDER BY title$$,
    $$VALUES ('R1 data leak', 4, true, false, 1, 0, 2), ('R2 laptop theft', 9, false, true, 0, 0, 1),
             ('R3 outage', 4, true, false, 0, 0, 0), ('R4 ransomware', 25, false, false, 0, 0, 0)$$,
    'risk_register: current rating, appetite (threshold 8), acceptance, plans, controls');
SELECT results_eq($$SELECT title, recurring, corrective_actions, open_corrective_actions, closed
                      FROM isms_report.nonconformities WHERE org_id = 1 ORDER BY title$$,
    $$VALUES ('NC1', false, 1, 0, true), ('NC2', true, 1, 1, false), ('NC3', false, 0, 0, true)$$,
    'nonconformities: NC2 recurs after NC1');
SELECT results_eq($$SELECT action, independent_check, effective, overdue FROM isms_report.corrective_actions
                     WHERE org_id = 1 ORDER BY corrective_action_id$$,
    $$VALUES ('Test restores monthly', true, true, false), ('Alert on failed backups', true, false, true)$$,
    'corrective_actions: independent checks, CA2 ineffective and overdue');
SELECT results_eq($$SELECT audit, finding_type, raised_as_nonconformity, unlinked_nonconformity
                      FROM isms_report.audit_findings WHERE org_id = 1 ORDER BY finding_id$$,
    $$VALUES ('AU1', 'nonconformity', true, false), ('AU1', 'opportunity', false, false),
             ('AU2', 'nonconformity', false, true)$$,
    'audit_findings: F2 never became a nonconformity');
SELECT results_eq($$SELECT title, completed, findings, nonconformity_findings FROM isms_report.audits WHERE org_id = 1 ORDER BY title$$,
    $$VALUES ('AU1', true, 2, 1), ('AU2', false, 1, 1)$$, 'audits: completion and findings');
SELECT results_eq($$SELECT code, in_force, review_due_at, current = (in_force AND review_due_at >= now())
                      FROM isms_report.documents WHERE org_id = 1 ORDER BY code$$,
    $$VALUES ('D1', true, '2026-01-01 12:00+00'::timestamptz, true), ('D2', true, '2025-06-01 12:00+00', true),
             ('D3', false, '2023-01-01 12:00+00', true), ('D4', false, '2026-05-01 12:00+00', true)$$,
    'documents: in force (published), when the review is due (own interval of D2: 3 months), current');
SELECT results_eq($$SELECT title, held, days_late, inputs_complete FROM isms_report.management_reviews
                     WHERE org_id = 1 AND title <> 'MR3' ORDER BY title$$,
    $$VALUES ('MR1', true, 4, true), ('MR2', true, 2, true)$$, 'management_reviews: held, days late, inputs');
SELECT ok((SELECT days_late > 400 AND NOT held FROM isms_report.management_reviews WHERE title = 'MR3'),
    'management_reviews: MR3 is overdue');
SELECT results_eq($$SELECT title, last_value, target_met, measurements FROM isms_report.objectives WHERE org_id = 1 ORDER BY title$$,
    $$VALUES ('O1 patching', 96::numeric, true, 2), ('O2 phishing clicks', 7, false, 1)$$,
    'objectives: latest measurement against the target');
SELECT is((SELECT count(*) FROM isms_report.objective_measurements WHERE org_id = 1 AND target_met), 1::bigint,
    'objective_measurements: one measurement met its target');
SELECT results_eq($$SELECT name, siloed, fed_by, feeds FROM isms_report.processes WHERE org_id = 1 ORDER BY process_id$$,
    $$VALUES ('Risk assessment', false, 1, 1), ('Risk treatment', false, 1, 1), ('Internal audit', false, 1, 1),
             ('Management review', false, 1, 1), ('Supplier review', true, 0, 0)$$,
    'processes: the siloed process');
SELECT is((SELECT count(*) FROM isms_report.process_interactions WHERE org_id = 1 AND match = 'exact'), 4::bigint, 'process_interactions: four edges');
SELECT is((SELECT count(*) FROM isms_report.statement_of_applicability WHERE org_id = 1), 93::bigint,
    'statement_of_applicability: 93 controls per organisation');
SELECT is((SELECT count(*) FROM isms_report.improvement_trend WHERE org_id = 1), 12::bigint,
    'improvement_trend: twelve quarters');
SELECT results_eq($$SELECT workflow, sum(cycles_completed)::bigint FROM isms_report.pdca_cycles WHERE org_id = 1 GROUP BY 1 ORDER BY 1$$,
    $$VALUES ('audit', 1::bigint), ('corrective_action', 1), ('improvement', 1), ('nonconformity', 1),
             ('objective', 1), ('treatment_plan', 1)$$, 'pdca_cycles: one completed cycle in each of six workflows');
SELECT is((SELECT count(*) FROM isms_report.workflow_activity WHERE org_id = 1 AND from_state IS NULL), 14::bigint,
    'workflow_activity: fourteen records created through the engine');
SELECT is((SELECT count(*) FROM isms_report.incidents), 0::bigint, 'incidents: readable (none in the fixture)');
SELECT is((SELECT count(*) FROM isms_report.party_requirements WHERE org_id = 1 AND review_overdue), 1::bigint,
    'party_requirements: one overdue');
SELECT is((SELECT sum(items)::bigint FROM isms_report.evidence_by_month WHERE org_id = 1), 3::bigint,
    'evidence_by_month: three items');
SELECT is((SELECT count(*) FROM isms_report.staleness WHERE org_id = 1), (SELECT count(*) FROM isms.register),
    'staleness: one row per register');
SELECT is((SELECT count(*) FROM isms_report.stale_items WHERE org_id = 1),
    (SELECT count(*) FROM isms.stale_items(now()) WHERE org_id = 1), 'stale_items: the overdue rows as of now');

------------------------------------------------------------------------------
-- Statement of Applicability

CREATE TEMP TABLE soa AS SELECT row_number() OVER () AS n, * FROM isms.statement_of_applicability(1);
SELECT is((SELECT count(*) FROM soa), 93::bigint, 'all 93 Annex A controls');
SELECT is((SELECT array_agg(control ORDER BY n) FROM soa WHERE n <= 3), '{A.5.1,A.5.2,A.5.3}', 'in natural order from A.5.1');
SELECT ok((SELECT n FROM soa WHERE control = 'A.5.9') < (SELECT n FROM soa WHERE control = 'A.5.10'),
    'natural order: A.5.9 before A.5.10');
SELECT is((SELECT control FROM soa ORDER BY n DESC LIMIT 1), 'A.8.34', 'ending with A.8.34');
SELECT results_eq($$SELECT decision, count(*) FROM soa GROUP BY 1 ORDER BY 1$$,
    $$VALUES ('excluded', 1::bigint), ('included', 2), ('not decided', 90)$$, 'decisions: 2 included, 1 excluded, 90 not decided');
SELECT is((SELECT (applicable, implementation_status, linked_risks, latest_evidence_at, evidence_items)::text FROM soa WHERE control = 'A.8.13'),
    '(t,implemented,2,"2024-03-01 12:00:00+00",1)', 'A.8.13: applicable, implemented, two linked risks, latest evidence');
SELECT is((SELECT risk_ids FROM soa WHERE control = 'A.8.13'),
    (SELECT array_agg(id ORDER BY id) FROM isms.risk WHERE title IN ('R1 data leak', 'R2 laptop theft')),
    'A.8.13: the ids of the linked risks');
SELECT is((SELECT (applicable, justification)::text FROM soa WHERE control = 'A.7.12'), '(f,"No cabling of our own")',
    'A.7.12: excluded with its justification');
SELECT is((SELECT title FROM soa WHERE control = 'A.5.24'),
    'Information security incident management planning and preparation', 'titles from the catalog');

------------------------------------------------------------------------------
-- Process interactions and the process map

SELECT set_eq($$SELECT from_process, artifact, to_process FROM isms.process_interactions(1) WHERE match = 'exact'$$,
    $$VALUES ('Risk assessment', 'Risk register', 'Risk treatment'), ('Risk treatment', 'Treatment plan', 'Internal audit'),
             ('Internal audit', 'Audit report', 'Management review'), ('Management review', 'Review decisions', 'Risk assessment')$$,
    'process_interactions: outputs feeding inputs');
SELECT matches(isms.process_map(1), '^digraph isms_process_map \{', 'DOT: a digraph');
SELECT is((SELECT count(*) FROM regexp_matches(isms.process_map(1), 'subgraph cluster_(plan|do|check|act)', 'g')), 4::bigint,
    'DOT: one cluster per PDCA phase');
SELECT is((SELECT count(*) FROM regexp_matches(isms.process_map(1), ' p[0-9]+ -> ', 'g')), 4::bigint, 'DOT: four edges');
SELECT is((SELECT count(*) FROM regexp_matches(isms.process_map(1), 'no process outputs', 'g')), 2::bigint,
    'DOT: the two inputs no process outputs are drawn');
SELECT set_eq($$SELECT artifact, to_process FROM isms.process_interactions(1) WHERE match = 'dangling' AND from_process_id IS NULL$$,
    $$VALUES ('Asset inventory', 'Risk assessment'), ('Supplier questionnaire', 'Supplier review')$$,
    'process_interactions: the inputs no process outputs (dangling)');
SELECT matches(isms.process_map(1), format('p%s -> p%s \[label="Risk register"\]',
                                           (SELECT id FROM isms.process WHERE name = 'Risk assessment'),
                                           (SELECT id FROM isms.process WHERE name = 'Risk treatment')),
    'DOT: edges labelled with the artifact');
SELECT matches(isms.process_map(1), 'Supplier review\\n\(siloed: no interaction\)", fillcolor="#fde2e1"',
    'DOT: the siloed process highlighted');
SELECT is(isms.process_map(1, 'DOT'), isms.process_map(1), 'the format is case-insensitive');
SELECT matches(isms.process_map(1, 'mermaid'), '^flowchart LR', 'Mermaid: a flowchart');
SELECT matches(isms.process_map(1, 'mermaid'), 'subgraph check\["Check"\]', 'Mermaid: PDCA subgraphs');
SELECT matches(isms.process_map(1, 'mermaid'), '-->\|"Audit report"\|', 'Mermaid: labelled edges');
SELECT matches(isms.process_map(1, 'mermaid'), format('class p%s siloed', (SELECT id FROM isms.process WHERE name = 'Supplier review')),
    'Mermaid: the siloed process in class siloed');
INSERT INTO isms.process (org_id, name, pdca_phase, owner) VALUES (2, 'Legal "review" \ sign-off', 'check', 'Legal');
SELECT matches(isms.process_map(2), 'label="Legal \\"review\\" \\\\ sign-off\\n', 'DOT: quotes and backslashes escaped');
SELECT matches(isms.process_map(2, 'mermaid'), 'Legal #quot;review#quot;', 'Mermaid: quotes escaped');

SELECT * FROM finish();
ROLLBACK;
