-- A living ISMS: the sweep turns what is overdue into tasks for their
-- owners (one per item, the right kind, owner and due date), a second run
-- at the same instant changes nothing, tasks rise a level at each of the
-- organisation's thresholds and are cancelled when their cause is gone;
-- policy acknowledgement of the version in force, a major version asking
-- again, the report per policy and readiness check 14; every refusal with
-- its SQLSTATE.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
DELETE FROM isms.task;          -- the fixture's base rows: the sweep makes its own
DELETE FROM isms.person;        -- and the staff: the audience is the login roles here
SELECT plan(79);

CREATE ROLE live_editor LOGIN;   GRANT isms_editor TO live_editor;
CREATE ROLE live_approver LOGIN; GRANT isms_editor TO live_approver;
CREATE ROLE live_reader LOGIN;   GRANT isms_reader TO live_reader;
CREATE ROLE live_staff LOGIN;    GRANT isms_reader TO live_staff;
CREATE ROLE live_staff_group;    GRANT live_staff_group TO live_staff;
CREATE ROLE live_editor_b LOGIN; GRANT isms_editor TO live_editor_b;
CREATE ROLE live_admin;          GRANT isms_admin TO live_admin;
-- the intranet application's login, trusted to assert the person it serves
CREATE ROLE live_app LOGIN;      GRANT isms_app, isms_editor TO live_app;
INSERT INTO isms.membership (org_id, role_name) VALUES
    (1, 'live_editor'), (1, 'live_approver'), (1, 'live_reader'), (1, 'live_staff_group'), (2, 'live_editor_b'),
    (1, 'live_app');

-- The fixture's organisation A, made overdue: a context issue last reviewed
-- 400 days ago (yearly review), a treatment plan due 3 days ago, a
-- corrective action due 10 days ago; the seeded management review (planned
-- 2025-06-01, not held) and audit (planned end 2025-03-02, planned) are
-- overdue already.  B keeps only those two.
UPDATE isms.context_issue SET last_reviewed_at = now() - interval '400 days' WHERE org_id = 1;
UPDATE isms.treatment_plan SET due_on = current_date - 3 WHERE org_id = 1;
UPDATE isms.corrective_action SET due_on = current_date - 10 WHERE org_id = 1;
INSERT INTO isms.task_setting (org_id, remind_after, escalate_after, escalate_to)
    VALUES (1, '5 days', '20 days', 'CISO office');

------------------------------------------------------------------------------
-- Shape

SELECT has_table('isms', 'task', 'isms.task exists');
SELECT is((SELECT has_workflow AND initial_status = 'open' FROM isms.register WHERE relid = 'isms.task'::regclass), true,
    'the task register is listed with its workflow');
SELECT is((SELECT relid FROM isms.workflow WHERE workflow = 'task'), 'isms.task'::regclass, 'the task workflow drives isms.task');
SELECT ok((SELECT indisunique AND indpred IS NOT NULL FROM pg_index WHERE indexrelid = 'isms.task_open_cause'::regclass),
    'a partial unique index allows one open task per cause');

------------------------------------------------------------------------------
-- The causes and the first sweep

SELECT set_eq($$SELECT org_id, kind, record_table::text, record_id, owner FROM isms.task_causes()$$,
    $$VALUES (1::bigint, 'review_due', 'isms.context_issue', 1::bigint, 'CISO'),
             (1, 'treatment_plan_overdue', 'isms.treatment_plan', 1, 'IT lead'),
             (1, 'corrective_action_overdue', 'isms.corrective_action', 1, 'CEO'),
             (1, 'management_review_due', 'isms.management_review', 1, 'CEO'),
             (1, 'audit_due', 'isms.audit', 1, 'Lee'),
             (2, 'management_review_due', 'isms.management_review', 2, 'CEO'),
             (2, 'audit_due', 'isms.audit', 2, 'Lee')$$,
    'task_causes: every overdue item with its owner (a management review''s chair, an audit''s lead auditor)');

SET LOCAL ROLE live_editor;
SELECT results_eq($$SELECT org_id, code, created, escalated, closed FROM isms.sweep('A')$$,
    $$VALUES (1::bigint, 'A', 5, 4, 0)$$,
    'the sweep of A creates 5 tasks and escalates the 4 past a threshold');
RESET ROLE;
SELECT set_eq($$SELECT kind, record_id, owner, due_at, status, escalation_level, escalated_to FROM isms.task WHERE org_id = 1$$,
    $$VALUES ('review_due', 1::bigint, 'CISO', now() - interval '400 days' + interval '1 year', 'escalated', 2, 'CISO office'),
             ('treatment_plan_overdue', 1, 'IT lead', (current_date - 3)::timestamptz, 'open', 0, NULL),
             ('corrective_action_overdue', 1, 'CEO', (current_date - 10)::timestamptz, 'reminded', 1, NULL),
             ('management_review_due', 1, 'CEO', '2025-06-01'::date::timestamptz, 'escalated', 2, 'CISO office'),
             ('audit_due', 1, 'Lee', '2025-03-02'::date::timestamptz, 'escalated', 2, 'CISO office')$$,
    'one task per overdue item: kind, owner, due date, and the level its days overdue reach (5 and 20 days)');
SELECT is((SELECT count(*) FROM isms.task WHERE org_id = 2), 0::bigint, 'a sweep of A leaves B alone');
SELECT is((SELECT string_agg(title, ' | ' ORDER BY kind) FROM isms.task WHERE org_id = 1),
    'Complete audit: Audit of 6.1 | Complete corrective action: Plan reviews twice a year | Hold management review: Review H1 | Review Context issues: New privacy law | Complete treatment plan: MFA',
    'each task says what to do');
SELECT is((SELECT count(*) FROM isms.task WHERE org_id = 1 AND created_by = 'live_editor' AND closed_at IS NULL), 5::bigint,
    'the tasks are stamped with the person sweeping and open');

-- every change is a workflow move, with the reason the events carry
SELECT set_eq($$SELECT k.kind, l.from_state, l.to_state, l.reason FROM isms.transition_log l
                  JOIN isms.task k ON k.org_id = l.org_id AND k.id = l.record_id
                 WHERE l.record_table = 'isms.task'::regclass AND l.org_id = 1$$,
    $$SELECT k AS kind, NULL::text AS from_state, 'open'::text AS to_state, 'sweep: overdue'::text AS reason
        FROM unnest(ARRAY['review_due', 'treatment_plan_overdue', 'corrective_action_overdue', 'management_review_due', 'audit_due']) k
      UNION ALL VALUES ('corrective_action_overdue', 'open', 'reminded', 'sweep: escalation level 1, 10 days overdue, owner CEO reminded'),
                       ('review_due', 'open', 'escalated',
                        format('sweep: escalation level 2, %s days overdue, escalated to CISO office',
                               floor(date_part('epoch', now() - (now() - interval '400 days' + interval '1 year')) / 86400))),
                       ('management_review_due', 'open', 'escalated',
                        format('sweep: escalation level 2, %s days overdue, escalated to CISO office',
                               floor(date_part('epoch', now() - '2025-06-01'::date::timestamptz) / 86400))),
                       ('audit_due', 'open', 'escalated',
                        format('sweep: escalation level 2, %s days overdue, escalated to CISO office',
                               floor(date_part('epoch', now() - '2025-03-02'::date::timestamptz) / 86400)))$$,
    'creation and escalation are logged moves with their reasons (the outbox events)');
SELECT is((SELECT count(*) FROM isms.transition_log
             WHERE record_table = 'isms.task'::regclass AND actor = 'live_editor' AND login_role = session_user),
    9::bigint, 'the engine logs every move as the person sweeping, with the login');
SELECT is(current_setting('isms.reason', true), '', 'the sweep leaves isms.reason as it found it');
SELECT is(coalesce(current_setting('isms.org', true), ''), '', '... and isms.org, which its sweep of A narrowed to A');

-- idempotent
SET LOCAL ROLE live_editor;
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('A', now())$$, $$VALUES (0, 0, 0)$$,
    'a second sweep at the same instant creates, escalates and closes nothing');
RESET ROLE;
SELECT is((SELECT count(*) FROM isms.transition_log WHERE record_table = 'isms.task'::regclass), 9::bigint,
    '... and logs no move');

-- all organisations of the caller: an admin sweeps A and B; B has no
-- setting (7 and 14 days, no level 2)
SET LOCAL ROLE live_admin;
SELECT results_eq($$SELECT org_id, created, escalated, closed FROM isms.sweep()$$,
    $$VALUES (1::bigint, 0, 0, 0), (2::bigint, 2, 2, 0), (3::bigint, 0, 0, 0)$$, 'a sweep of all organisations: B gets its two tasks');
RESET ROLE;
SELECT set_eq($$SELECT kind, status, escalation_level FROM isms.task WHERE org_id = 2$$,
    $$VALUES ('management_review_due', 'reminded', 1), ('audit_due', 'reminded', 1)$$,
    'without a setting: level 1 after 7 days, no level 2');

------------------------------------------------------------------------------
-- Escalation at the thresholds: the treatment plan (3 days overdue) and
-- the corrective action (10 days) at later instants

SET LOCAL ROLE live_editor;
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('A', now() + interval '1 day')$$, $$VALUES (0, 0, 0)$$,
    'one day on (4 days overdue): below remind_after, nothing changes');
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('A', now() + interval '2 days')$$, $$VALUES (0, 1, 0)$$,
    'two days on (5 days overdue): the treatment plan task rises to level 1');
SELECT is((SELECT status || ' ' || escalation_level FROM isms.task WHERE org_id = 1 AND kind = 'treatment_plan_overdue'),
    'reminded 1', '... reminded');
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('A', now() + interval '2 days')$$, $$VALUES (0, 0, 0)$$,
    '... and a second run at that instant changes nothing');
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('A', now() + interval '9 days')$$, $$VALUES (0, 0, 0)$$,
    'nine days on (corrective action just under 20 days overdue): still level 1');
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('A', now() + interval '10 days')$$, $$VALUES (0, 1, 0)$$,
    'ten days on (20 days overdue): the corrective action task rises to level 2');
SELECT is((SELECT status || ' ' || escalation_level || ' ' || escalated_to FROM isms.task WHERE org_id = 1 AND kind = 'corrective_action_overdue'),
    'escalated 2 CISO office', '... escalated to escalate_to');
RESET ROLE;

-- an acknowledged task is still escalated, and never lowered
SET LOCAL ROLE live_editor;
SELECT isms.transition('isms.task', (SELECT id FROM isms.task WHERE org_id = 1 AND kind = 'treatment_plan_overdue'), 'acknowledged');
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('A', now() + interval '18 days')$$, $$VALUES (0, 1, 0)$$,
    'eighteen days on (21 days overdue): the acknowledged treatment plan task rises to level 2');
SELECT is((SELECT status || ' ' || escalation_level FROM isms.task WHERE org_id = 1 AND kind = 'treatment_plan_overdue'),
    'escalated 2', '... from acknowledged to escalated');
UPDATE isms.task_setting SET remind_after = '30 days', escalate_after = '60 days' WHERE org_id = 1;
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('A', now() + interval '18 days')$$, $$VALUES (0, 0, 0)$$,
    'raised thresholds lower no level');
RESET ROLE;

------------------------------------------------------------------------------
-- Causes gone: the review recorded, the plan re-planned; a task done by hand

SELECT isms.mark_reviewed('isms.context_issue', 1, 'Reviewed: still relevant');
UPDATE isms.treatment_plan SET due_on = current_date + 100 WHERE org_id = 1;
SET LOCAL ROLE live_editor;
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('A', now() + interval '18 days')$$, $$VALUES (0, 0, 2)$$,
    'the sweep cancels the two tasks whose cause is gone');
RESET ROLE;
SELECT set_eq($$SELECT kind, status, closed_at FROM isms.task WHERE org_id = 1 AND status IN ('done', 'cancelled')$$,
    $$VALUES ('review_due', 'cancelled', now() + interval '18 days'), ('treatment_plan_overdue', 'cancelled', now() + interval '18 days')$$,
    '... cancelled at the sweep''s instant');
SELECT is((SELECT reason FROM isms.transition_log WHERE record_table = 'isms.task'::regclass AND to_state = 'cancelled' LIMIT 1),
    'sweep: cause gone, no longer overdue', '... with the reason in the log');
SET LOCAL ROLE live_editor;
SELECT isms.transition('isms.task', (SELECT id FROM isms.task WHERE org_id = 1 AND kind = 'audit_due'), 'acknowledged');
SELECT isms.transition('isms.task', (SELECT id FROM isms.task WHERE org_id = 1 AND kind = 'audit_due'), 'done');
SELECT ok((SELECT closed_at BETWEEN now() AND statement_timestamp() FROM isms.task WHERE org_id = 1 AND kind = 'audit_due'),
    'a task moved to done by hand gets its closed_at');
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('A', now() + interval '18 days')$$, $$VALUES (1, 1, 0)$$,
    'an audit still overdue after its task is done gets a new task (escalated at once)');
SELECT is((SELECT count(*) FROM isms.task WHERE org_id = 1 AND kind = 'audit_due'), 2::bigint, '... beside the done one');
RESET ROLE;

-- who sweeps is the person the database vouches for: a personal role
-- cannot sweep as someone else; the application's login sweeps as the
-- person it asserts, and the engine logs that person with the login
UPDATE isms.treatment_plan SET due_on = current_date - 1 WHERE org_id = 1;
SET LOCAL isms.actor = 'CISO';
SET LOCAL ROLE live_editor;
SELECT throws_ok($$SELECT * FROM isms.sweep('A', now() + interval '18 days')$$, 'IS080', NULL,
    'a personal role sweeping with an isms.actor set before SET ROLE is refused (IS080)');
RESET ROLE;
RESET isms.actor;
SET SESSION AUTHORIZATION live_app;
SET LOCAL isms.actor = 'Scheduler';
SELECT results_eq($$SELECT created, escalated, closed FROM isms.sweep('A', now() + interval '18 days')$$, $$VALUES (1, 0, 0)$$,
    'the application sweeps as the person it asserts: the re-planned treatment plan overdue again');
RESET isms.actor;
RESET SESSION AUTHORIZATION;
SELECT is((SELECT k.created_by || ' / ' || l.actor || ' / ' || l.login_role FROM isms.task k
             JOIN isms.transition_log l ON l.record_table = 'isms.task'::regclass AND l.org_id = k.org_id AND l.record_id = k.id
            WHERE k.org_id = 1 AND k.kind = 'treatment_plan_overdue' AND k.status = 'open'),
    'Scheduler / Scheduler / live_app', '... the task stamped and its creation logged as that person, with the application''s login');

------------------------------------------------------------------------------
-- Refusals

SET LOCAL ROLE live_editor;
SELECT throws_ok($$SELECT * FROM isms.sweep('B')$$, '42501', 'cannot sweep organisation "B": it is not one of yours',
    'a non-member cannot sweep another organisation (42501)');
SELECT throws_ok($$SELECT * FROM isms.sweep('NOPE')$$, '42501', NULL, 'nor an unknown one (42501, the same answer)');
SELECT throws_ok($$SELECT * FROM isms.sweep('A', 'infinity')$$, '22023', NULL, 'an infinite instant (22023)');
SELECT throws_ok($$SELECT * FROM isms.sweep('A', NULL)$$, '22023', NULL, 'a NULL instant (22023)');
SELECT throws_ok($$INSERT INTO isms.task (org_id, kind, record_table, record_id, title, owner, due_at)
                   VALUES (1, 'management_review_due', 'isms.management_review', 1, 'Again', 'CEO', now())$$,
    '23505', NULL, 'a second open task for one cause is refused (23505)');
SELECT throws_ok($$INSERT INTO isms.task (org_id, kind, record_table, record_id, title, owner, due_at, status)
                   VALUES (1, 'audit_due', 'isms.audit', 9, 'Done', 'Lee', now(), 'done')$$,
    'IS004', NULL, 'a task starts open (IS004)');
SELECT throws_ok($$SELECT isms.transition('isms.task', (SELECT id FROM isms.task WHERE org_id = 1 AND kind = 'management_review_due'), 'cancelled')$$,
    'IS002', NULL, 'cancelling by hand needs a reason (IS002)');
SELECT throws_ok($$UPDATE isms.task_setting SET escalate_after = '3 days' WHERE org_id = 1$$,
    '23514', NULL, 'escalate_after not after remind_after (23514)');
SELECT throws_ok($$UPDATE isms.task_setting SET remind_after = '-1 day' WHERE org_id = 1$$,
    '23514', NULL, 'a negative remind_after (23514)');
SELECT throws_ok($$UPDATE isms.task_setting SET escalate_to = ' ' WHERE org_id = 1$$,
    '23514', NULL, 'a blank escalate_to (23514)');
SELECT throws_ok($$INSERT INTO isms.task_setting (org_id) VALUES (2)$$, '42501', NULL,
    'settings of another organisation (row-level security, 42501)');
RESET ROLE;
SET LOCAL ROLE live_reader;
SELECT throws_ok($$SELECT * FROM isms.sweep('A')$$, '42501', NULL, 'a reader cannot sweep (42501)');
RESET ROLE;
SELECT throws_ok($$SELECT * FROM isms.sweep()$$, 'IS120', 'cannot sweep as superuser "' || current_user || '"',
    'a superuser does not sweep: its inserts would send no events (IS120)');
SELECT throws_ok($$SELECT isms.schedule_sweep()$$, '0A000', 'cannot schedule the sweep: pg_cron is not installed in database "' || current_database() || '"',
    'schedule_sweep without pg_cron (0A000)');
SELECT throws_ok($$SELECT isms.unschedule_sweep()$$, '0A000', NULL, 'unschedule_sweep without pg_cron (0A000)');
SELECT is(has_function_privilege('isms_editor', 'isms.schedule_sweep(text)', 'EXECUTE'), false,
    'only isms_admin schedules the sweep');

------------------------------------------------------------------------------
-- Policy acknowledgement

SET LOCAL ROLE live_editor;
INSERT INTO isms.document (org_id, code, kind, title, owner, clause)
    VALUES (1, 'POL-ACK', 'policy', 'Acceptable use policy', 'CISO', '5.2') RETURNING id AS pol \gset
INSERT INTO isms.document (org_id, code, kind, title, owner)
    VALUES (1, 'PROC-1', 'procedure', 'Backup procedure', 'CISO') RETURNING id AS proc \gset
SELECT isms.draft_document(:pol, content_text => 'Use systems for work.') AS v1 \gset
SELECT isms.submit_document(:v1);
RESET ROLE;
SET LOCAL ROLE live_reader;
SELECT throws_ok(format($$SELECT isms.acknowledge_policy(%s)$$, :pol), 'IS122',
    'cannot acknowledge policy POL-ACK (Acceptable use policy): no version is in force', 'a policy with no version in force (IS122)');
SELECT throws_ok(format($$SELECT isms.acknowledge_policy(%s)$$, :proc), 'IS122',
    'cannot acknowledge document PROC-1 (Backup procedure): it is not a policy', 'a document that is not a policy (IS122)');
SELECT throws_ok(format($$INSERT INTO isms.policy_acknowledgement (org_id, version_id) VALUES (1, %s)$$, :v1), 'IS122',
    NULL, 'a direct insert of a version not in force (IS122)');
RESET ROLE;
SET LOCAL ROLE live_approver;
SELECT isms.approve_document(:v1, 'approved', 'Fine');
SELECT isms.publish_document(:v1);
RESET ROLE;

SET LOCAL ROLE live_reader;
SELECT isms.acknowledge_policy(:pol) AS ack1 \gset
SELECT results_eq(format($$SELECT document_id, version::text, person, login_role = session_user,
                                    acknowledged_at BETWEEN now() AND clock_timestamp()
                               FROM isms.policy_acknowledgement WHERE id = %s$$, :ack1),
    format($$VALUES (%s::bigint, '0.1', 'live_reader', true, true)$$, :pol),
    'the acknowledgement records the version in force, the person, the login role and the time');
SELECT is(isms.acknowledge_policy(:pol), :ack1::bigint, 'acknowledging twice returns the first acknowledgement');
SELECT throws_ok(format($$UPDATE isms.policy_acknowledgement SET person = 'someone else' WHERE id = %s$$, :ack1),
    '42501', NULL, 'a member cannot change an acknowledgement (42501)');
SELECT throws_ok(format($$INSERT INTO isms.policy_acknowledgement (org_id, version_id, person) VALUES (1, %s, 'boss')$$, :v1),
    '42501', NULL, 'nor name the person acknowledging (42501)');
RESET ROLE;
-- nobody acknowledges for someone else: a personal login cannot assert a
-- person, neither by SET nor by a value set before SET ROLE, nor name one
SET SESSION AUTHORIZATION live_staff;
SELECT throws_ok($$SET LOCAL isms.actor = 'live_reader'$$, 'IS080', 'role "live_staff" may not set isms.actor',
    'a staff login cannot act as someone else (IS080)');
SELECT throws_ok(format($$INSERT INTO isms.policy_acknowledgement (org_id, version_id, person, login_role)
                          VALUES (1, %s, 'live_reader', 'live_reader')$$, :v1),
    '42501', NULL, 'nor write the person or the login of an acknowledgement (42501)');
RESET SESSION AUTHORIZATION;
SET LOCAL isms.actor = 'live_reader';
SET LOCAL ROLE live_staff;
SELECT throws_ok(format($$SELECT isms.acknowledge_policy(%s)$$, :pol), 'IS080', NULL,
    'an isms.actor set before SET ROLE to a personal role is refused where the acknowledgement uses it (IS080)');
RESET ROLE;
RESET isms.actor;
SET SESSION AUTHORIZATION live_staff;
SELECT lives_ok(format($$SELECT isms.acknowledge_policy(%s)$$, :pol), 'the staff login acknowledges as itself');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT person || ' / ' || login_role FROM isms.policy_acknowledgement WHERE login_role = 'live_staff'),
    'live_staff / live_staff', '... recorded as itself, the only person its login may be');
-- the intranet application asserts the person it serves, per transaction
SET SESSION AUTHORIZATION live_app;
SET LOCAL isms.actor = 'Staff Member';
SELECT lives_ok(format($$SELECT isms.acknowledge_policy(%s)$$, :pol), 'the person asserted by a trusted application login acknowledges');
RESET isms.actor;
RESET SESSION AUTHORIZATION;
SELECT is((SELECT person || ' / ' || login_role FROM isms.policy_acknowledgement WHERE person = 'Staff Member'),
    'Staff Member / live_app', '... recorded as that person, with the application''s login');
SELECT throws_ok(format($$UPDATE isms.policy_acknowledgement SET person = 'x' WHERE id = %s$$, :ack1), 'IS123', NULL,
    'not even a superuser changes an acknowledgement (IS123)');
SELECT throws_ok(format($$DELETE FROM isms.policy_acknowledgement WHERE id = %s$$, :ack1), 'IS123', NULL,
    '... or deletes one (IS123)');
SET LOCAL ROLE live_editor_b;
SELECT throws_ok(format($$SELECT isms.acknowledge_policy(%s)$$, :pol), 'P0002', NULL,
    'a member of another organisation does not see the policy (P0002)');
RESET ROLE;

SELECT set_eq(format($$SELECT person, in_audience, acknowledged, acknowledged_version FROM isms.policy_acknowledgement_status(1, clock_timestamp()) WHERE document_id = %s$$, :pol),
    $$VALUES ('live_editor', true, false, NULL), ('live_approver', true, false, NULL), ('live_reader', true, true, '0.1'),
             ('live_staff', true, true, '0.1'), ('Staff Member', false, true, '0.1')$$,
    'the report: the audience (login roles of the memberships, through a group too, not the application''s login) and who acknowledged');

-- a minor revision keeps the acknowledgements, a major one asks again
SET LOCAL ROLE live_editor;
SELECT isms.revise_document(:pol, 'Typo') AS v2 \gset
SELECT isms.submit_document(:v2);
RESET ROLE;
SET LOCAL ROLE live_approver;
SELECT isms.approve_document(:v2, 'approved', 'Fine');
SELECT isms.publish_document(:v2);
RESET ROLE;
SELECT set_eq(format($$SELECT person, version, acknowledged_version FROM isms.policy_acknowledgement_status(1, clock_timestamp()) WHERE acknowledged AND document_id = %s$$, :pol),
    $$VALUES ('live_reader', '0.2', '0.1'), ('live_staff', '0.2', '0.1'), ('Staff Member', '0.2', '0.1')$$,
    'after the minor revision 0.2, the acknowledgements of 0.1 still count');
SET LOCAL ROLE live_editor;
SELECT isms.revise_document(:pol, 'New rules', major => true) AS v3 \gset
SELECT isms.submit_document(:v3);
RESET ROLE;
SET LOCAL ROLE live_approver;
SELECT isms.approve_document(:v3, 'approved', 'Fine');
SELECT isms.publish_document(:v3);
RESET ROLE;
SELECT is((SELECT count(*) FROM isms.policy_acknowledgement_status(1, clock_timestamp()) WHERE acknowledged AND document_id = :pol), 0::bigint,
    'after the major version 1.0 nobody has acknowledged it');
SET LOCAL ROLE live_reader;
SELECT isms.acknowledge_policy(:pol);
RESET ROLE;
SELECT set_eq(format($$SELECT person, acknowledged_version FROM isms.policy_acknowledgement_status(1, clock_timestamp()) WHERE acknowledged AND document_id = %s$$, :pol),
    $$VALUES ('live_reader', '1.0')$$, 'the reader acknowledges 1.0');
SELECT throws_ok($$SELECT * FROM isms.policy_acknowledgement_status(99)$$, '22023', NULL, 'the report of an unknown organisation (22023)');

-- readiness check 14: the seeded POL-001 is a draft, so one policy in
-- force, 1 of the 4 in the audience
SELECT results_eq($$SELECT check_no, status, clauses, score, evidence FROM isms.clause_4_4_readiness(1, clock_timestamp()) WHERE check_no = 14$$,
    $$VALUES (14, 'fail', 'A.5.1, A.6.3, 7.3', 0.250, 1::bigint)$$,
    'readiness (14): 1 of 4 acknowledgements fails');
SELECT matches((SELECT figures FROM isms.clause_4_4_readiness(1, clock_timestamp()) WHERE check_no = 14),
    'policies in force: 1; acknowledgements of the version in force: 1 of 4 .*outstanding: POL-ACK 1.0 \(1 of 4\)$',
    '... with the outstanding policy named');
SELECT is((SELECT status FROM isms.clause_4_4_readiness(1, clock_timestamp(), pass_share => 0.25, fail_share => 0.2) WHERE check_no = 14), 'pass',
    '... and passes at pass_share 0.25');
SELECT is((SELECT status FROM isms.clause_4_4_readiness(2, clock_timestamp()) WHERE check_no = 14), 'fail', 'B has no policy in force: fail');

SELECT * FROM finish();
ROLLBACK;
