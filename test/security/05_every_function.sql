-- Planted operators and functions, in public and in the attacker's own
-- schema, against every public function of the extension and a plain
-- INSERT, UPDATE and DELETE of every register: under each hostile
-- search_path every statement ends exactly as under a safe one, no trap
-- runs, and nobody becomes superuser.  Each statement runs in a
-- subtransaction that is rolled back, so the runs see the same data.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
SELECT plan(13);
SELECT isms.trail_append(1, 'isms.risk', 1, 'note', '{}');
SELECT isms.trail_append(2, 'isms.risk', 2, 'note', '{}');
-- as_of() of the risks takes its indexed path
SELECT isms.index_history('isms.risk');

-- Runs sql under path and rolls it back: 'ok' or the SQLSTATE.
CREATE FUNCTION pg_temp.try(path text, sql text) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET sec.armed = 'off'
AS $$
BEGIN
    BEGIN
        PERFORM pg_catalog.set_config('sec.armed', 'on', true);
        PERFORM pg_catalog.set_config('search_path', path, true);
        EXECUTE sql;
        RAISE EXCEPTION USING ERRCODE = 'SEC00';
    EXCEPTION WHEN OTHERS THEN
        RETURN CASE SQLSTATE WHEN 'SEC00' THEN 'ok' ELSE SQLSTATE END;
    END;
END
$$;

-- The statements: one or more calls of every public function, and the
-- DML of every register.  None uses an unqualified operator of its own.
CREATE TEMP TABLE battery (n serial PRIMARY KEY, sql text NOT NULL);
GRANT SELECT ON battery TO PUBLIC;
INSERT INTO battery (sql) VALUES
 ($$SELECT isms.version()$$), ($$SELECT isms.current_actor()$$), ($$SELECT isms.current_login()$$), ($$SELECT isms.current_org()$$),
 ($$SELECT isms.trail_append_engine(1, 'isms.risk', 1, 'review', '{}')$$),
 ($$SELECT isms.review_trail_entry('isms.risk', 1, 'forged')$$), ($$SELECT isms.review_trail_entry('isms.risk', 2, 'forged')$$),
 ($$SELECT isms.depth('A.5.1'), isms.parent('A.5.1'), isms.subpath('A.5.1', 0, 2), isms.subpath('A.5.1', 1)$$),
 ($$SELECT isms.major('1.2'), isms.minor('1.2'), isms.next_major('1.2'), isms.next_minor('1.2'), isms.docver(1, 2)$$),
 ($$SELECT 'A.5.10'::isms.ref OPERATOR(isms.>) 'A.5.9'::isms.ref, '1.10'::isms.docver OPERATOR(isms.>) '1.9'::isms.docver$$),
 ($$SELECT isms.max(v.version), isms.min(v.version) FROM isms.document_version v$$),
 ($$SELECT isms.max(x.r), isms.min(x.r) FROM (VALUES ('A.5.1'::isms.ref), ('A.5.10')) AS x(r)$$),
 ($$SELECT isms.content_sha256('policy text', NULL, 'text/plain')$$), ($$SELECT isms.document_next_version(1, false)$$),
 ($$SELECT isms.document_next_version(2, true)$$),
 ($$SELECT isms.member_orgs()$$), ($$SELECT isms.member_orgs('sec_bob')$$), ($$SELECT isms.visible_orgs()$$),
 ($$SELECT isms.set_context('A', 'someone'), isms.context()$$), ($$SELECT isms.set_context('B')$$),
 ($$SELECT isms.require_member(1)$$), ($$SELECT isms.require_member(2, 'read')$$),
 ($$SELECT isms.review_interval(1, 'isms.risk')$$), ($$SELECT isms.is_meaningful('n/a'), isms.is_meaningful('No changes', 10)$$),
 ($$SELECT isms.review_due_at(1, 'isms.risk', NULL, NULL, '2025-01-01')$$),
 ($$SELECT isms.trail_append(1, 'isms.risk', 1, 'note', '{"a": 1}')$$),
 ($$SELECT isms.trail_append(2, 'isms.risk', 2, 'note', '{}')$$),
 ($$SELECT * FROM isms.verify_trail(1)$$), ($$SELECT * FROM isms.verify_trail(2)$$),
 ($$SELECT * FROM isms.verify_trail(1, 1, '00')$$), ($$SELECT * FROM isms.verify_trail(2, 1, '00')$$),
 ($$SELECT * FROM isms.trail_head(1)$$), ($$SELECT * FROM isms.trail_head(2)$$),
 ($$SELECT * FROM isms.verify_transition_log(1)$$), ($$SELECT * FROM isms.verify_transition_log(2)$$),
 ($$SELECT * FROM isms.events_after(0)$$), ($$SELECT * FROM isms.events_after(0, 5)$$),
 ($$SELECT * FROM isms.events_for_org(1)$$), ($$SELECT * FROM isms.events_for_org(2, 0, 5)$$),
 ($$SELECT * FROM isms.next_states('isms.incident', 1)$$), ($$SELECT * FROM isms.next_states('isms.incident', 2)$$),
 ($$SELECT isms.transition('isms.incident', 1, 'triaged', 'seen')$$),
 ($$SELECT isms.transition('isms.incident', 1, 'closed', 'skip')$$),
 ($$SELECT isms.transition('isms.incident', 2, 'triaged', 'other organisation')$$),
 ($$SELECT isms.transition('isms.improvement', 1, 'approved', 'agreed')$$),
 ($$SELECT isms.transition('isms.nonconformity', 1, 'closed', 'skip')$$),
 ($$SELECT isms.transition('isms.treatment_plan', 1, 'approved'); SELECT isms.transition('isms.treatment_plan', 1, 'in_progress');
    SELECT isms.transition('isms.treatment_plan', 1, 'implemented'); SELECT isms.transition('isms.treatment_plan', 1, 'verified')$$),
 ($$SELECT isms.transition_log_encoding(l) FROM isms.transition_log l$$),
 ($$SELECT isms.mark_reviewed('isms.risk', 1, 'reviewed')$$), ($$SELECT isms.mark_reviewed('isms.risk', 2, 'reviewed')$$),
 ($$SELECT isms.document_lock(1)$$), ($$SELECT isms.document_version_lock(1)$$),
 ($$SELECT isms.draft_document(1, 'text of the policy')$$),
 ($$SELECT isms.revise_document(1, 'yearly revision')$$),
 ($$SELECT isms.submit_document(1)$$),
 ($$SELECT isms.submit_document(1); SELECT isms.approve_document(1, 'approved', 'fine'); SELECT isms.publish_document(1)$$),
 ($$SELECT isms.approve_document(1)$$), ($$SELECT isms.publish_document(1)$$),
 ($$SELECT isms.retire_document(1, 'replaced')$$), ($$SELECT isms.retire_document(2, 'replaced')$$),
 ($$SELECT isms.document_as_of(1, '2030-01-01')$$),
 ($$SELECT isms.as_of(r, '2030-01-01') FROM isms.risk r$$),
 ($$SELECT * FROM isms.stale_items()$$), ($$SELECT * FROM isms.stale_items('2030-01-01')$$),
 ($$SELECT * FROM isms.staleness_summary(1)$$), ($$SELECT * FROM isms.staleness_summary(2)$$),
 ($$SELECT * FROM isms.register_activity(1, '2030-01-01')$$),
 ($$SELECT * FROM isms.risk_rating_at(1, '2030-01-01')$$),
 ($$SELECT * FROM isms.improvement_metrics(1)$$), ($$SELECT * FROM isms.improvement_metrics(1, '2024-01-01', '2030-01-01', '1 year')$$),
 ($$SELECT * FROM isms.process_interactions(1)$$), ($$SELECT * FROM isms.process_links(1)$$),
 ($$SELECT isms.process_map(1)$$), ($$SELECT isms.process_map(1, 'mermaid')$$), ($$SELECT isms.process_map(1, 'svg')$$),
 ($$SELECT * FROM isms.statement_of_applicability(1)$$), ($$SELECT * FROM isms.clause_4_4_readiness(1)$$),
 ($$SELECT * FROM isms.clause_4_4_readiness(2)$$),
 ($$SELECT isms.report_org(1)$$), ($$SELECT isms.report_org(2)$$), ($$SELECT isms.report_time('as_of', '2030-01-01')$$),
 ($$SELECT isms.report_bad_argument('x', 'y', 'z', 'w')$$),
 ($$SELECT isms.reported_move('implemented', 'verified'), isms.document_in_force('published')$$),
 -- reports as of an instant, sign-offs and imports
 ($$SELECT count(*) FROM isms.known_as_of(NULL::isms.risk, '2024-01-01')$$), ($$SELECT count(*) FROM isms.register_row_at('2024-01-01')$$),
 ($$SELECT isms.review_basis(NULL, '2024-01-01', '2025-01-01'), isms.artifact_key(' Risk  register ')$$),
 ($$SELECT isms.document_reviewed_at(1, 1, NULL, '2030-01-01')$$),
 ($$SELECT * FROM isms.process_links(1, '2030-01-01')$$), ($$SELECT isms.process_map(1, 'dot', '2024-01-01')$$),
 ($$SELECT * FROM isms.process_interactions(1, '2024-01-01')$$),
 ($$SELECT * FROM isms.statement_of_applicability(1, 'iso27001-2022', '2024-01-01')$$),
 ($$SELECT soa_version FROM isms.sign_off(1, 'statement_of_applicability', NULL, 'CEO')$$),
 ($$SELECT soa_version FROM isms.sign_off(2, 'statement_of_applicability', NULL, 'CEO')$$),
 ($$SELECT * FROM isms.signoff_status(1)$$), ($$SELECT isms.signoff_content(1, 'management_review', 1), isms.signoff_digest('{}')$$),
 ($$SELECT isms.signoff_complete(s), isms.signoff_trail_entry(s) FROM isms.signoff s$$),
 ($$SELECT isms.import_org()$$), ($$SELECT * FROM isms.import_apply(1, 'none')$$), ($$SELECT * FROM isms.verify_imports(1)$$),
 ($$SELECT * FROM isms_report.readiness_at('2024-01-01')$$), ($$SELECT * FROM isms_report.staleness_at('2024-01-01')$$),
 ($$SELECT * FROM isms_report.risk_register_at('2024-01-01')$$),
 ($$SELECT * FROM isms_report.stale_items_at('2024-01-01')$$),
 ($$SELECT * FROM isms_report.statement_of_applicability_at('2024-01-01')$$),
 ($$SELECT * FROM isms_report.process_interactions_at('2024-01-01')$$),
 -- install and admin helpers: refused to an editor
 ($$SELECT isms.attach_workflow('isms.risk', 'incident')$$), ($$SELECT isms.enable_history('isms.risk')$$),
 ($$SELECT isms.disable_history('isms.risk')$$), ($$SELECT isms.history_sync_columns('isms.risk')$$),
 ($$SELECT isms.index_history('isms.risk')$$), ($$SELECT isms.index_history('isms.asset')$$),
 ($$SELECT isms.setup_register('isms.risk')$$), ($$SELECT isms.comment_common_columns('isms.risk')$$),
 ($$SELECT isms.build_register_row()$$), ($$SELECT * FROM isms.citus_distribute()$$),
 ($$UPDATE isms.organization SET name = 'A Ltd' WHERE org_id OPERATOR(pg_catalog.=) 1$$),
 ($$UPDATE isms.organization SET name = 'B Ltd' WHERE org_id OPERATOR(pg_catalog.=) 2$$),
 ($$INSERT INTO isms.membership (org_id, role_name) VALUES (2, 'sec_mallory')$$),
 ($$INSERT INTO isms.register_setting (org_id, relid, review_interval) VALUES (1, 'isms.asset', '1 month')$$),
 ($$INSERT INTO isms.register_setting (org_id, relid, review_interval) VALUES (2, 'isms.asset', '1 month')$$),
 ($$INSERT INTO isms.workflow_restriction (org_id, workflow, from_state, to_state, disabled) VALUES (2, 'incident', 'reported', 'triaged', true)$$),
 -- frameworks: the import (isms_admin only), coverage and the 2013 transition
 ($$SELECT * FROM isms.import_library('{"urn": "urn:sec:risk:library:x", "name": "X", "version": 1, "objects": {"framework": {"urn": "urn:sec:risk:framework:x", "name": "X", "requirement_nodes": [{"urn": "urn:sec:risk:req_node:x:a", "ref_id": "A-1", "name": "A"}]}}}')$$),
 ($$SELECT * FROM isms.library_import('{"urn": "urn:sec:risk:library:x", "name": "X", "version": 1, "objects": {"framework": {"urn": "urn:sec:risk:framework:x", "name": "X", "requirement_nodes": [{"urn": "urn:sec:risk:req_node:x:a", "ref_id": "A-1", "name": "A"}]}}}', 'someone else')$$),
 ($$SELECT isms.library_code('urn:intuitem:risk:framework:nist-csf-2.0')$$),
 ($$SELECT isms.library_refused('urn:x', 'a test', 'detail', NULL)$$),
 ($$SELECT * FROM isms.framework_coverage(1, 'nist-csf-2.0')$$), ($$SELECT * FROM isms.framework_coverage(2, 'nist-csf-2.0')$$),
 ($$SELECT * FROM isms.framework_coverage_summary(1, 'nist-csf-2.0')$$),
 ($$SELECT * FROM isms.soa_transition(1)$$), ($$SELECT * FROM isms.soa_transition(2)$$),
 -- suppliers and the audit pack
 ($$UPDATE isms.supplier SET status = 'retired' WHERE org_id OPERATOR(pg_catalog.=) 1$$),
 ($$UPDATE isms.supplier_contract SET ends_on = '2025-01-31' WHERE org_id OPERATOR(pg_catalog.=) 1;
    UPDATE isms.supplier SET status = 'retired' WHERE org_id OPERATOR(pg_catalog.=) 1;
    INSERT INTO isms.supplier_assessment (org_id, supplier_id, title, due_on) VALUES (1, 1, 'After retirement', '2025-01-01')$$),
 ($$SELECT isms.html_escape('<script>alert(''x'')</script> & "quoted"')$$),
 ($$SELECT isms.audit_pack('A')$$), ($$SELECT isms.audit_pack('B')$$), ($$SELECT isms.audit_pack('A', '2025-06-30')$$),
 ($$SELECT isms.audit_pack_trend_svg(1)$$), ($$SELECT isms.audit_pack_trend_svg(2, '2025-06-30')$$),
 ($$SELECT isms.audit_pack_process_svg(1)$$), ($$SELECT isms.audit_pack_process_svg(2, '2025-06-30')$$),
 -- reminders and escalation, policy acknowledgement
 ($$SELECT * FROM isms.task_causes()$$), ($$SELECT * FROM isms.task_causes('2030-01-01')$$),
 ($$SELECT * FROM isms.sweep()$$), ($$SELECT * FROM isms.sweep('A', '2030-01-01')$$), ($$SELECT * FROM isms.sweep('B')$$),
 ($$SELECT isms.schedule_sweep()$$), ($$SELECT isms.schedule_sweep('* * * * *')$$), ($$SELECT isms.unschedule_sweep()$$),
 ($$INSERT INTO isms.task_setting (org_id, remind_after, escalate_after, escalate_to) VALUES (1, '1 day', '2 days', 'CISO')$$),
 ($$INSERT INTO isms.task_setting (org_id) VALUES (2)$$),
 ($$SELECT isms.acknowledge_policy(1)$$), ($$SELECT isms.acknowledge_policy(2)$$),
 ($$SELECT isms.submit_document(1); SELECT isms.approve_document(1, 'approved', 'fine'); SELECT isms.publish_document(1); SELECT isms.acknowledge_policy(1)$$),
 ($$INSERT INTO isms.policy_acknowledgement (org_id, version_id) VALUES (1, 1)$$),
 ($$INSERT INTO isms.policy_acknowledgement (org_id, version_id) VALUES (2, 2)$$),
 ($$SELECT * FROM isms.policy_acknowledgement_status(1)$$), ($$SELECT * FROM isms.policy_acknowledgement_status(2)$$),
 ($$SELECT * FROM isms.policy_acknowledgement_status(1, '2030-01-01')$$),
 -- the staff register, acknowledgements in the trail
 ($$SELECT isms.acknowledgement_trail_entry(a.org_id, a.id) FROM isms.policy_acknowledgement a$$),
 ($$SELECT isms.acknowledgement_trail_entry(1, 1)$$), ($$SELECT isms.acknowledgement_trail_entry(2, 1)$$),
 ($$SELECT isms.submit_document(1); SELECT isms.approve_document(1, 'approved', 'fine'); SELECT isms.publish_document(1);
    INSERT INTO isms.person (org_id, person, name) VALUES (1, current_user, 'Me');
    SELECT isms.acknowledge_policy(1); SELECT * FROM isms.policy_acknowledgement_status(1)$$);
-- every register: INSERT of a second row, UPDATE and DELETE of the member's
-- rows and of the other organisation's
INSERT INTO battery (sql)
SELECT s FROM base b, LATERAL (VALUES
    (pg_temp.insert_sql(b.rel, pg_temp.row_for(b.rel, 1) || coalesce((SELECT f.patch FROM fresh f WHERE f.rel = b.rel), '{}'))),
    (pg_temp.insert_sql(b.rel, pg_temp.row_for(b.rel, 2) || coalesce((SELECT f.patch FROM fresh f WHERE f.rel = b.rel), '{}'))),
    (format('UPDATE %s SET org_id = org_id WHERE org_id OPERATOR(pg_catalog.=) 1', b.rel)),
    (format('UPDATE %s SET org_id = org_id WHERE org_id OPERATOR(pg_catalog.=) 2', b.rel)),
    (format('DELETE FROM %s WHERE org_id OPERATOR(pg_catalog.=) 1', b.rel)),
    (format('SELECT count(*) FROM %s', b.rel))) AS v(s)
ORDER BY b.ord;
-- every reporting view
INSERT INTO battery (sql)
SELECT format('SELECT count(*) FROM %s', c.oid::regclass) FROM pg_class c
 WHERE c.relnamespace IN ('isms_report'::regnamespace, 'isms'::regnamespace) AND c.relkind = 'v' ORDER BY 1;

SELECT ok((SELECT count(*) FROM battery) > 300, 'the battery has a statement for every function, register and view');
-- every function a role may call is in it: all but triggers, the event
-- trigger and the type support behind the operators and casts tried above
SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text
            FROM pg_proc p
            JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
            JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'isms'
           WHERE p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype, 'internal'::regtype, 'cstring'::regtype)
             AND p.proname !~ '^(ref|docver)_'
             AND NOT EXISTS (SELECT 1 FROM battery b WHERE b.sql LIKE '%' || p.pronamespace::regnamespace::text || '.' || p.proname || '(%')
           ORDER BY 1),
    '{}'::text[], 'every public function of the extension is tried');

-- outcomes under a safe search_path, as the attacker (editor of
-- organisation 1)
UPDATE isms.workflow SET description = description WHERE false;
SET SESSION AUTHORIZATION sec_mallory;
CREATE TEMP TABLE outcome AS SELECT n, pg_temp.try('pg_catalog, public', sql) AS safe FROM battery;
SELECT ok((SELECT count(*) FROM outcome WHERE safe = 'ok') > 150, 'most statements succeed under a safe path');
SELECT ok((SELECT count(*) FROM outcome WHERE safe = '42501') > 10, 'and the other organisation''s are refused (42501)');
SELECT is(pg_temp.fired(), 0::bigint, 'no trap runs under a safe path');

-- the same under each hostile path, the engine reloading its definitions
-- under it first
CREATE FUNCTION pg_temp.differ(path text) RETURNS text[]
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(b.n || ' ' || o.safe || ' -> ' || r.got || ': ' || pg_catalog.left(b.sql, 60) ORDER BY b.n), '{}')
      FROM battery b JOIN outcome o USING (n),
           LATERAL (SELECT pg_temp.try(path, b.sql) AS got) r
     WHERE r.got IS DISTINCT FROM o.safe
$$;
RESET SESSION AUTHORIZATION;
UPDATE isms.workflow SET description = description WHERE false;
SET SESSION AUTHORIZATION sec_mallory;
SELECT is(pg_temp.differ('evil, public, pg_catalog'), '{}'::text[],
    'under search_path = evil, public, pg_catalog every statement ends as under a safe path');
SELECT is(pg_temp.fired(), 0::bigint, 'and no planted operator or function runs');
RESET SESSION AUTHORIZATION;
UPDATE isms.workflow SET description = description WHERE false;
SET SESSION AUTHORIZATION sec_mallory;
SELECT is(pg_temp.differ('public, pg_catalog'), '{}'::text[],
    'under search_path = public, pg_catalog every statement ends as under a safe path');
SELECT is(pg_temp.fired(), 0::bigint, 'and no operator left in public runs');
RESET SESSION AUTHORIZATION;
UPDATE isms.workflow SET description = description WHERE false;
SET SESSION AUTHORIZATION sec_mallory;
SELECT is(pg_temp.differ('pg_temp, evil, public, pg_catalog'), '{}'::text[],
    'under search_path = pg_temp, evil, public, pg_catalog every statement ends as under a safe path');
SELECT is(pg_temp.fired(), 0::bigint, 'and no trap runs');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'sec_mallory'), false, 'the attacker is no superuser');

-- a superuser's session under the attacker's public: the standing trap
UPDATE isms.workflow SET description = description WHERE false;
SELECT is(ARRAY(SELECT b.n || ' ' || pg_temp.try('public, pg_catalog', b.sql) FROM battery b
                 WHERE pg_temp.try('public, pg_catalog', b.sql) <> pg_temp.try('pg_catalog, public', b.sql)
                 ORDER BY b.n) || ARRAY[pg_temp.fired()::text],
    '{0}'::text[], 'a superuser''s statements under search_path = public, pg_catalog meet no trap');

SELECT * FROM finish();
ROLLBACK;
