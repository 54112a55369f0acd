-- Who is acting: only a superuser or a member of isms_app may assert the
-- person (isms.actor); for every other role the person is the role the
-- session acts as, never a security definer.  Both the person and the
-- login role are recorded, and segregation of duties compares both.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
SET LOCAL search_path = public, isms;
SELECT plan(45);

INSERT INTO isms.organization (code, name) VALUES ('ACT', 'Actor Ltd');
SELECT org_id AS org FROM isms.organization WHERE code = 'ACT' \gset
-- a personal login, who may also act as two editor roles
CREATE ROLE act_pat LOGIN;  GRANT isms_editor TO act_pat;
CREATE ROLE act_ann NOLOGIN; GRANT isms_editor TO act_ann;
CREATE ROLE act_ben NOLOGIN; GRANT isms_editor TO act_ben;
GRANT act_ann, act_ben TO act_pat;
-- a pooled application's login, trusted to assert the person
CREATE ROLE act_app LOGIN;  GRANT isms_editor, isms_app TO act_app;
INSERT INTO isms.membership (org_id, role_name) VALUES
    (:org, 'act_pat'), (:org, 'act_ann'), (:org, 'act_ben'), (:org, 'act_app');
INSERT INTO isms.document (org_id, code, kind, title, owner)
    SELECT :org, c, 'policy', 'Policy ' || c, 'CISO' FROM unnest(ARRAY['P-1', 'P-2', 'P-3']) c;
SELECT id AS d1 FROM isms.document WHERE code = 'P-1' \gset
SELECT id AS d2 FROM isms.document WHERE code = 'P-2' \gset
SELECT id AS d3 FROM isms.document WHERE code = 'P-3' \gset

SELECT has_role('isms_app', 'the role isms_app exists');
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'isms_app'), false, 'isms_app cannot log in');
SELECT is_empty($$SELECT 1 FROM pg_auth_members m WHERE m.roleid = 'isms_app'::regrole
                    AND m.member::regrole::text IN ('isms_reader', 'isms_auditor', 'isms_editor', 'isms_admin')$$,
    'isms_app is granted to no other isms role');

------------------------------------------------------------------------------
-- An editor with a personal login cannot become anyone

SET SESSION AUTHORIZATION act_pat;
SELECT throws_ok($$SET LOCAL isms.actor = 'ann'$$, 'IS080', 'role "act_pat" may not set isms.actor',
    'an editor''s own login cannot SET isms.actor (IS080)');
SELECT throws_ok($$SELECT set_config('isms.actor', 'ceo@bank.example', true)$$, 'IS080', NULL,
    'nor set it with set_config (IS080)');
SELECT throws_ok($$SET isms.actor = 'ceo@bank.example'$$, 'IS080', NULL,
    'nor at session level (IS080)');
SELECT lives_ok($$SELECT set_config('isms.actor', '', true)$$, 'setting it empty is always allowed');
SELECT lives_ok($$RESET isms.actor$$, 'and so is RESET');
SELECT is(isms.current_actor(), 'act_pat', 'the person is the login role');
SELECT is(isms.current_login(), 'act_pat', 'current_login() is the login');
INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
    VALUES (:org, 'Lost badge', 'low', now(), 'Facilities') RETURNING id AS inc \gset
SELECT is((SELECT created_by || ' ' || reported_by FROM isms.incident WHERE id = :inc), 'act_pat act_pat',
    'the incident records the login as its creator and reporter');
SET ROLE act_ann;
SELECT is(isms.current_actor(), 'act_ann', 'after SET ROLE the person is the role the session acts as');
SELECT is(isms.current_login(), 'act_pat', '... and the login stays the login');
RESET ROLE;
RESET SESSION AUTHORIZATION;

-- a value set before a SET ROLE is refused where it is used
SET LOCAL isms.actor = 'ceo@bank.example';
SET LOCAL ROLE act_ann;
SELECT throws_ok($$SELECT isms.current_actor()$$, 'IS080', NULL,
    'isms.actor set before SET ROLE to an untrusted role is refused at use (IS080)');
SELECT throws_ok(format($$INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                          VALUES (%s, 'Forged', 'low', now(), 'x')$$, :org), 'IS080', NULL,
    '... also by the audit columns of an INSERT (IS080)');
RESET ROLE;
SET LOCAL isms.actor = '';

-- a security-definer function never makes its owner the person
CREATE FUNCTION public.act_whoami() RETURNS text LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$ SELECT isms.current_actor() $$;
CREATE FUNCTION public.act_become(who text) RETURNS text LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$ SELECT pg_catalog.set_config('isms.actor', who, true) $$;
GRANT EXECUTE ON FUNCTION public.act_whoami(), public.act_become(text) TO act_ann;
SET LOCAL ROLE act_ann;
SELECT is(public.act_whoami(), 'act_ann', 'inside a SECURITY DEFINER function the person is the caller, not the definer');
SELECT throws_ok($$SELECT public.act_become('boss')$$, 'IS080', NULL,
    'a superuser''s SECURITY DEFINER function does not let the caller assert a person (IS080)');
RESET ROLE;

-- the length limit of person columns
SELECT throws_ok(format('SET LOCAL isms.actor = %L', repeat('x', 129)), '22001',
    'isms.actor is limited to 128 characters', 'an actor of 129 characters is refused (22001)');
SELECT lives_ok(format('SET LOCAL isms.actor = %L', repeat('é', 128)), 'one of 128 characters (256 bytes) is accepted');
SET LOCAL isms.actor = '';

------------------------------------------------------------------------------
-- Segregation of duties through one personal login

SET SESSION AUTHORIZATION act_pat;
SET ROLE act_ann;
SELECT isms.draft_document(:d1, content_text => 'v1') AS v1 \gset
SELECT isms.submit_document(:v1) IS NOT NULL AS submitted \gset
SELECT is((SELECT author || ' ' || author_login FROM isms.document_version WHERE id = :v1), 'act_ann act_pat',
    'a version records its author and the login it came through');
SET ROLE act_ben;
SELECT throws_ok(format($$SELECT isms.approve_document(%s, 'approved', 'ok')$$, :v1), 'IS011',
    'login role act_pat cannot decide on version 0.1 of document P-1: it created the version',
    'ann and ben through one personal login: the approval is refused (IS011)');
RESET ROLE;
RESET SESSION AUTHORIZATION;

-- the same through the trusted application login: persons differ, so it holds
SET SESSION AUTHORIZATION act_app;
SET LOCAL isms.actor = 'ann';
SELECT is(isms.current_actor(), 'ann', 'the application login asserts the person');
SELECT is(isms.current_login(), 'act_app', '... and is recorded as the login');
SELECT isms.draft_document(:d2, content_text => 'v1') AS v2 \gset
SELECT isms.submit_document(:v2) IS NOT NULL AS submitted \gset
SELECT throws_ok(format($$SELECT isms.approve_document(%s, 'approved', 'ok')$$, :v2), 'IS011', NULL,
    'ann cannot approve her own version (IS011)');
SET LOCAL isms.actor = 'ben';
SELECT lives_ok(format($$SELECT isms.approve_document(%s, 'approved', 'ok')$$, :v2),
    'ben approves ann''s version through the shared application login');
SELECT lives_ok(format($$SELECT isms.publish_document(%s)$$, :v2), 'and it is published');
SELECT is((SELECT approver || ' ' || approver_login FROM isms.document_approval WHERE version_id = :v2),
    'ben act_app', 'the approval records the person and the login');
SELECT is((SELECT author || ' ' || author_login FROM isms.document_version WHERE id = :v2),
    'ann act_app', 'the version records its author and the login');
-- a workflow move: the log records both
INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
    VALUES (:org, 'Phishing', 'low', now(), 'IT') RETURNING id AS inc2 \gset
SELECT lives_ok(format($$SELECT isms.transition('isms.incident', %s, 'triaged', 'seen')$$, :inc2), 'a move by ben');
RESET SESSION AUTHORIZATION;
SET LOCAL isms.actor = '';

SELECT results_eq(format($$SELECT coalesce(from_state, '-'), actor, login_role, record_table_name
                             FROM isms.transition_log WHERE record_table = 'isms.incident'::regclass AND record_id = %s
                            ORDER BY log_id$$, :inc2),
    $$VALUES ('-'::text, 'ben'::text, 'act_app'::text, 'isms.incident'::text),
             ('reported', 'ben', 'act_app', 'isms.incident')$$,
    'the transition log records the person, the login and the table''s name of each move');
SELECT results_eq(format($$SELECT action, actor, login_role, source FROM isms.trail
                            WHERE org_id = %s AND record_id = %s AND action IN ('approve', 'publish') ORDER BY seq$$, :org, :v2),
    $$VALUES ('approve'::text, 'ben'::text, 'act_app'::text, 'engine'::text), ('publish', 'ben', 'act_app', 'engine')$$,
    'the trail records the person, the login and that the engine wrote the entry');

-- publication of a version approved through the author's own login
SET SESSION AUTHORIZATION act_pat;
SET ROLE act_ann;
SELECT isms.draft_document(:d3, content_text => 'v1') AS v3 \gset
SELECT isms.submit_document(:v3) IS NOT NULL AS submitted \gset
RESET ROLE;
RESET SESSION AUTHORIZATION;
-- a superuser restoring an approval recorded through the author's login
ALTER TABLE isms.document_approval DISABLE TRIGGER USER;
INSERT INTO isms.document_approval (org_id, version_id, decision, approver, approver_login, sha256)
    SELECT org_id, id, 'approved', 'act_ben', 'act_pat', sha256 FROM isms.document_version WHERE id = :v3;
ALTER TABLE isms.document_approval ENABLE TRIGGER USER;
ALTER TABLE isms.document_version DISABLE TRIGGER USER;
UPDATE isms.document_version SET status = 'approved' WHERE id = :v3;
ALTER TABLE isms.document_version ENABLE TRIGGER USER;
SET LOCAL ROLE act_ben;
SELECT throws_ok(format($$SELECT isms.publish_document(%s)$$, :v3), 'IS011', NULL,
    'a version approved through its author''s personal login is not published (IS011)');
RESET ROLE;

------------------------------------------------------------------------------
-- The independence of an effectiveness check, through one personal login

SET SESSION AUTHORIZATION act_pat;
SET ROLE act_ann;
INSERT INTO isms.nonconformity (org_id, title, description, source, owner)
    VALUES (:org, 'Backups untested', 'No restore test in 2025', 'internal_audit', 'IT lead') RETURNING id AS nc \gset
INSERT INTO isms.corrective_action (org_id, nonconformity_id, action, owner, root_cause)
    VALUES (:org, :nc, 'Restore drill', 'IT lead', 'No drill planned') RETURNING id AS ca \gset
SELECT isms.transition('isms.corrective_action', :ca, 'in_progress', 'started') IS NULL AS moved \gset
UPDATE isms.corrective_action SET status = 'implemented', implemented_by = 'act_ann', implemented_at = now() WHERE id = :ca;
SET ROLE act_ben;
UPDATE isms.corrective_action SET status = 'verified', effectiveness_checked_by = 'act_ben',
       effectiveness_checked_at = now(), effective = true WHERE id = :ca;
SELECT is((SELECT guard_failure FROM isms.next_states('isms.corrective_action', :ca) WHERE state = 'closed'),
    'the log records one personal login, act_pat, both moving the action to implemented (as act_ann) and recording its effectiveness check (as act_ben)',
    'an effectiveness check through the implementer''s personal login does not count as independent');
SELECT throws_ok(format($$SELECT isms.transition('isms.corrective_action', %s, 'closed', 'done')$$, :ca), 'IS002', NULL,
    '... and the action cannot be closed (IS002)');
RESET ROLE;
RESET SESSION AUTHORIZATION;

------------------------------------------------------------------------------
-- The trail: only the engine writes the engine's actions

SET SESSION AUTHORIZATION act_app;
SET LOCAL isms.actor = 'ben';
SELECT throws_ok(format($$SELECT isms.trail_append(%s, 'isms.document_version', %s, 'publish', '{"approved_by": "board"}')$$, :org, :v2),
    'IS082', 'action "publish" is reserved to the engine: isms.trail_append() cannot write it',
    'a hand-appended publish entry is refused (IS082)');
SELECT throws_ok(format($$SELECT isms.trail_append(%s, 'isms.transition_log', 1, 'transitions',
                          '{"xact_id": "1", "batches": [[1, 1, 1, "00"]]}')$$, :org),
    'IS082', NULL, 'a hand-appended seal is refused (IS082)');
SELECT throws_ok(format($$SELECT isms.trail_append(%s, 'isms.risk', 1, 'review', NULL)$$, :org),
    'IS082', NULL, 'a hand-appended review is refused (IS082)');
SELECT throws_ok(format($$SELECT isms.review_trail_entry('isms.risk', 1, 'looked at it')$$),
    'IS082', NULL, 'the engine''s review entry needs a review made in this transaction (IS082)');
SELECT throws_ok(format($$SELECT isms.trail_append(%s, 'pg_catalog.pg_authid', 10, 'note', NULL)$$, :org),
    '23503', NULL, 'a record table that is not a register is refused (23503)');
SELECT throws_ok($$SELECT isms.trail_append(NULL, 'isms.risk', 1, 'note', NULL)$$,
    '22004', NULL, 'a NULL organisation is refused (22004)');
SELECT throws_ok($$SELECT isms.trail_append_engine(1, 'isms.risk', 1, 'publish', NULL)$$,
    '42501', NULL, 'the engine''s entry point is granted to no role (42501)');
SELECT isms.trail_append(:org, 'isms.incident', :inc2, 'note', '{"text": "called the reporter"}') AS hand \gset
RESET SESSION AUTHORIZATION;
SET LOCAL isms.actor = '';
SELECT is((SELECT actor || ' ' || login_role || ' ' || source FROM isms.trail WHERE org_id = :org AND seq = :hand),
    'ben act_app hand', 'an entry appended by hand is marked hand, with the person and the login');
SELECT is_empty(format($$SELECT * FROM isms.verify_transition_log(%s)
                          WHERE problem <> 'log row not sealed by any trail entry'$$, :org),
    'no false alarm of verify_transition_log after the refused fake seal (this transaction''s moves are sealed at commit)');

-- the login and the source are covered by the hash
ALTER TABLE isms.trail DISABLE TRIGGER trail_append_only;
UPDATE isms.trail SET source = 'engine' WHERE org_id = :org AND seq = :hand;
ALTER TABLE isms.trail ENABLE ALWAYS TRIGGER trail_append_only;
SELECT results_eq(format('SELECT seq, problem FROM isms.verify_trail(%s)', :org),
    format($$VALUES (%s::bigint, 'altered entry: its hash does not match its content')$$, :hand),
    'a hand entry relabelled as the engine''s is reported as altered');

-- trail_row refuses a row without an organisation
CREATE TABLE public.act_rows (org_id bigint, id bigint);
CREATE TRIGGER act_trail AFTER UPDATE ON public.act_rows
    FOR EACH ROW EXECUTE FUNCTION isms.trail_row('note', '-', 'id');
INSERT INTO public.act_rows VALUES (NULL, 1);
SELECT throws_ok($$UPDATE public.act_rows SET id = 2$$, '22004', NULL,
    'isms.trail_row() refuses a row with a NULL organisation (22004)');

SELECT * FROM finish();
ROLLBACK;
