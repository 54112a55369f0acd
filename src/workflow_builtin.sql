-- Built-in workflows, states, transitions and guards (bound to the
-- registers in src/workflow_bind.sql).

INSERT INTO isms.workflow (workflow, record_label, description) VALUES
 ('treatment_plan',    'risk treatment plan',      'Clause 6.1.3 / 8.3: a plan to treat a risk, implemented and verified with evidence'),
 ('corrective_action', 'corrective action',        'Clause 10.2: action on a nonconformity, closed only after an independent effectiveness check'),
 ('nonconformity',     'nonconformity',            'Clause 10.2: a nonconformity, closed only when none of its corrective actions is open and one was closed as effective, or no action is needed'),
 ('audit',             'audit',                    'Clause 9.2: an internal audit from planning to report'),
 ('audit_finding',     'audit finding',            'Clause 9.2: a finding, a nonconformity finding closed only once linked to a nonconformity record'),
 ('review_action',     'management review action', 'Clause 9.3.3: an action decided by a management review'),
 ('objective',         'objective',                'Clause 6.2: an information security objective, achieved only when its latest measurement meets its target'),
 ('incident',          'incident',                 'Annex A 5.24-5.28: an information security incident, closed only with lessons learned'),
 ('improvement',       'improvement',              'Clause 10.1: a continual improvement'),
 ('planned_change',    'planned change',           'Clause 6.3: a change to the ISMS, carried out in a planned manner');

INSERT INTO isms.workflow_state (workflow, state, phase, is_initial, is_terminal, ordinal, description) VALUES
 ('treatment_plan', 'planned',     'plan',  true,  false, 1, 'Treatment drafted'),
 ('treatment_plan', 'approved',    'plan',  false, false, 2, 'Plan and residual risk approved by the risk owner'),
 ('treatment_plan', 'in_progress', 'do',    false, false, 3, 'Controls being implemented'),
 ('treatment_plan', 'implemented', 'do',    false, false, 4, 'Controls in place'),
 ('treatment_plan', 'verified',    'check', false, false, 5, 'Implementation verified with evidence'),
 ('treatment_plan', 'closed',      'act',   false, true,  6, 'Treatment complete'),
 ('treatment_plan', 'withdrawn',   'plan',  false, true,  7, 'Plan abandoned before implementation'),

 ('corrective_action', 'planned',     'plan',  true,  false, 1, 'Action planned'),
 ('corrective_action', 'in_progress', 'do',    false, false, 2, 'Action being carried out'),
 ('corrective_action', 'implemented', 'do',    false, false, 3, 'Action carried out'),
 ('corrective_action', 'verified',    'check', false, false, 4, 'Effectiveness reviewed'),
 ('corrective_action', 'closed',      'act',   false, true,  5, 'Action closed as effective'),
 ('corrective_action', 'withdrawn',   'plan',  false, true,  6, 'Action not needed'),

 ('nonconformity', 'reported',   'plan',  true,  false, 1, 'Nonconformity raised'),
 ('nonconformity', 'analysed',   'plan',  false, false, 2, 'Cause determined, actions planned'),
 ('nonconformity', 'correcting', 'do',    false, false, 3, 'Correction and corrective actions under way'),
 ('nonconformity', 'verifying',  'check', false, false, 4, 'Effectiveness of the actions being reviewed'),
 ('nonconformity', 'closed',     'act',   false, true,  5, 'Nonconformity resolved'),
 ('nonconformity', 'rejected',   'plan',  false, true,  6, 'Not a nonconformity'),

 ('audit', 'planned',     'plan',  true,  false, 1, 'Audit scheduled with scope and criteria'),
 ('audit', 'in_progress', 'do',    false, false, 2, 'Fieldwork'),
 ('audit', 'reporting',   'check', false, false, 3, 'Findings reported to management'),
 ('audit', 'completed',   'act',   false, true,  4, 'Audit closed; findings followed up'),
 ('audit', 'cancelled',   'plan',  false, true,  5, 'Audit cancelled before fieldwork'),

 ('audit_finding', 'raised',       'plan',  true,  false, 1, 'Finding recorded'),
 ('audit_finding', 'accepted',     'plan',  false, false, 2, 'Finding accepted by the auditee'),
 ('audit_finding', 'in_treatment', 'do',    false, false, 3, 'Finding being addressed'),
 ('audit_finding', 'resolved',     'check', false, false, 4, 'Treatment reviewed'),
 ('audit_finding', 'closed',       'act',   false, true,  5, 'Finding closed'),
 ('audit_finding', 'withdrawn',    'plan',  false, true,  6, 'Finding withdrawn by the auditor'),

 ('review_action', 'open',        'plan',  true,  false, 1, 'Action decided'),
 ('review_action', 'in_progress', 'do',    false, false, 2, 'Action being carried out'),
 ('review_action', 'done',        'check', false, false, 3, 'Action done, result being checked'),
 ('review_action', 'closed',      'act',   false, true,  4, 'Action closed'),

 ('objective', 'planned',      'plan',  true,  false, 1, 'Objective set with target and plan'),
 ('objective', 'active',       'do',    false, false, 2, 'Being pursued and measured'),
 ('objective', 'evaluating',   'check', false, false, 3, 'Results evaluated against the target'),
 ('objective', 'achieved',     'act',   false, true,  4, 'Target met'),
 ('objective', 'not_achieved', 'act',   false, true,  5, 'Target missed; lessons feed the next cycle'),

 ('incident', 'reported',  'plan',  true,  false, 1, 'Event reported (A.6.8)'),
 ('incident', 'triaged',   'plan',  false, false, 2, 'Assessed and classified as an incident (A.5.25)'),
 ('incident', 'contained', 'do',    false, false, 3, 'Responded to and contained (A.5.26)'),
 ('incident', 'resolved',  'check', false, false, 4, 'Recovered; response reviewed'),
 ('incident', 'closed',    'act',   false, true,  5, 'Closed with lessons learned (A.5.27)'),
 ('incident', 'rejected',  'plan',  false, true,  6, 'Not an incident'),

 ('improvement', 'proposed',     'plan',  true,  false, 1, 'Opportunity for improvement recorded'),
 ('improvement', 'approved',     'plan',  false, false, 2, 'Approved for implementation'),
 ('improvement', 'implementing', 'do',    false, false, 3, 'Being implemented'),
 ('improvement', 'evaluating',   'check', false, false, 4, 'Outcome being evaluated'),
 ('improvement', 'implemented',  'act',   false, true,  5, 'Improvement in place'),
 ('improvement', 'rejected',     'plan',  false, true,  6, 'Not pursued'),

 ('planned_change', 'proposed',     'plan',  true,  false, 1, 'Change proposed with purpose and consequences'),
 ('planned_change', 'approved',     'plan',  false, false, 2, 'Change approved with resources and responsibilities'),
 ('planned_change', 'implementing', 'do',    false, false, 3, 'Change being carried out'),
 ('planned_change', 'reviewing',    'check', false, false, 4, 'Change reviewed for unintended consequences'),
 ('planned_change', 'completed',    'act',   false, true,  5, 'Change complete'),
 ('planned_change', 'rejected',     'plan',  false, true,  6, 'Change not pursued');

INSERT INTO isms.workflow_guard (guard, description, check_sql) VALUES
 ('treatment_evidence',
  'A treatment plan is verified only with evidence attached to it',
  $g$SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM isms.evidence e
                                   WHERE e.org_id = ($1).org_id AND e.record_table = 'isms.treatment_plan'::regclass
                                     AND e.record_id = ($1).id)
               THEN 'no evidence is attached to the treatment plan' END$g$),
 ('corrective_action_effective',
  'A corrective action closes only with a root cause and an effectiveness check by someone other than the implementer: the names recorded differ, so do the persons the log records moving it to implemented and to verified, and so do their login roles unless the login is a shared application login (isms_app) or a superuser',
  $g$SELECT CASE WHEN coalesce(btrim(($1).root_cause), '') = '' THEN 'no root cause is recorded'
               WHEN ($1).effectiveness_checked_by IS NULL OR ($1).effectiveness_checked_at IS NULL
                 THEN 'no effectiveness check is recorded'
               WHEN ($1).effectiveness_checked_by = ($1).implemented_by
                 THEN format('the effectiveness check was made by %s, who implemented the action', ($1).implemented_by)
               WHEN l.implementer = l.checker
                 THEN format('the log records %s both moving the action to implemented and recording its effectiveness check (to verified)', l.checker)
               WHEN l.implementer_login = l.checker_login
                    AND NOT coalesce((SELECT r.rolsuper OR pg_has_role(r.oid, 'isms_app', 'USAGE')
                                        FROM pg_roles r WHERE r.rolname = l.checker_login), false)
                 THEN format('the log records one personal login, %s, both moving the action to implemented (as %s) and recording its effectiveness check (as %s)',
                             l.checker_login, l.implementer, l.checker)
               WHEN ($1).effective IS NOT TRUE THEN 'the effectiveness check did not find the action effective' END
       FROM (SELECT i.actor AS implementer, i.login_role AS implementer_login,
                    c.actor AS checker, c.login_role AS checker_login
               FROM (SELECT 1) AS one
               LEFT JOIN LATERAL (SELECT t.actor, t.login_role FROM isms.transition_log t
                      WHERE t.org_id = ($1).org_id AND t.record_table = 'isms.corrective_action'::regclass
                        AND t.record_id = ($1).id AND t.to_state = 'implemented'
                      ORDER BY t.at DESC, t.log_id DESC LIMIT 1) AS i ON true
               LEFT JOIN LATERAL (SELECT t.actor, t.login_role FROM isms.transition_log t
                      WHERE t.org_id = ($1).org_id AND t.record_table = 'isms.corrective_action'::regclass
                        AND t.record_id = ($1).id AND t.to_state = 'verified'
                      ORDER BY t.at DESC, t.log_id DESC LIMIT 1) AS c ON true) l$g$),
 ('nonconformity_actions_closed',
  'A nonconformity closes only when none of its corrective actions is open, and at least one of them was closed as effective or the decision that no action is needed is recorded with its justification',
  $g$SELECT coalesce(
           (SELECT format('corrective action %s is still %s', ca.id, ca.status)
              FROM isms.corrective_action ca
             WHERE ca.org_id = ($1).org_id AND ca.nonconformity_id = ($1).id
               AND ca.status NOT IN (SELECT s.state FROM isms.workflow_state s
                                      WHERE s.workflow = 'corrective_action' AND s.is_terminal)
             ORDER BY ca.id LIMIT 1),
           CASE WHEN ($1).no_action_needed IS NOT TRUE
                 AND NOT EXISTS (SELECT 1 FROM isms.corrective_action ca
                                  WHERE ca.org_id = ($1).org_id AND ca.nonconformity_id = ($1).id
                                    AND ca.status = 'closed' AND ca.effective IS TRUE)
                THEN 'no corrective action was closed as effective, and no decision that no action is needed is recorded' END)$g$),
 ('finding_linked_to_nonconformity',
  'An audit finding of type nonconformity closes only once linked to a nonconformity record (audit to corrective action)',
  $g$SELECT CASE WHEN ($1).finding_type = 'nonconformity' AND ($1).nonconformity_id IS NULL
               THEN 'the finding is a nonconformity but is not linked to a nonconformity record' END$g$),
 ('objective_target_met',
  'An objective is achieved only when its latest measurement not in the future meets its target',
  $g$SELECT CASE WHEN m.value IS NULL
                THEN format('no measurement up to now is recorded against the target %s %s', ($1).target, coalesce(($1).unit, ''))
                WHEN NOT CASE ($1).direction WHEN 'at_most' THEN m.value <= ($1).target ELSE m.value >= ($1).target END
                THEN format('the latest measurement, %s %s on %s, does not meet the target %s %s',
                            m.value, coalesce(($1).unit, ''),
                            pg_catalog.to_char(m.measured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
                            ($1).target, coalesce(($1).unit, '')) END
       FROM (SELECT 1) one
       LEFT JOIN LATERAL (SELECT om.value, om.measured_at FROM isms.objective_measurement om
                           WHERE om.org_id = ($1).org_id AND om.objective_id = ($1).id
                             AND om.measured_at <= pg_catalog.statement_timestamp()
                           ORDER BY om.measured_at DESC LIMIT 1) m ON true$g$),
 ('incident_lessons_learned',
  'An incident closes only with lessons learned recorded (A.5.27)',
  $g$SELECT CASE WHEN coalesce(btrim(($1).lessons_learned), '') = ''
               THEN 'no lessons learned are recorded' END$g$);

INSERT INTO isms.workflow_transition (workflow, from_state, to_state, guard, reason_required) VALUES
 ('treatment_plan', 'planned',     'approved',    NULL, false),
 ('treatment_plan', 'approved',    'planned',     NULL, true),
 ('treatment_plan', 'approved',    'in_progress', NULL, false),
 ('treatment_plan', 'in_progress', 'implemented', NULL, false),
 ('treatment_plan', 'implemented', 'in_progress', NULL, true),
 ('treatment_plan', 'implemented', 'verified',    'treatment_evidence', false),
 ('treatment_plan', 'verified',    'in_progress', NULL, true),
 ('treatment_plan', 'verified',    'closed',      NULL, false),
 ('treatment_plan', 'closed',      'planned',     NULL, true),
 ('treatment_plan', 'planned',     'withdrawn',   NULL, true),
 ('treatment_plan', 'approved',    'withdrawn',   NULL, true),

 ('corrective_action', 'planned',     'in_progress', NULL, false),
 ('corrective_action', 'in_progress', 'implemented', NULL, false),
 ('corrective_action', 'implemented', 'in_progress', NULL, true),
 ('corrective_action', 'implemented', 'verified',    NULL, false),
 ('corrective_action', 'verified',    'in_progress', NULL, true),
 ('corrective_action', 'verified',    'closed',      'corrective_action_effective', false),
 ('corrective_action', 'closed',      'planned',     NULL, true),
 ('corrective_action', 'planned',     'withdrawn',   NULL, true),

 ('nonconformity', 'reported',   'analysed',   NULL, false),
 ('nonconformity', 'reported',   'rejected',   NULL, true),
 ('nonconformity', 'analysed',   'correcting', NULL, false),
 ('nonconformity', 'correcting', 'verifying',  NULL, false),
 ('nonconformity', 'verifying',  'correcting', NULL, true),
 ('nonconformity', 'verifying',  'closed',     'nonconformity_actions_closed', false),
 ('nonconformity', 'closed',     'reported',   NULL, true),

 ('audit', 'planned',     'in_progress', NULL, false),
 ('audit', 'planned',     'cancelled',   NULL, true),
 ('audit', 'in_progress', 'reporting',   NULL, false),
 ('audit', 'reporting',   'in_progress', NULL, true),
 ('audit', 'reporting',   'completed',   NULL, false),

 ('audit_finding', 'raised',       'accepted',     NULL, false),
 ('audit_finding', 'raised',       'withdrawn',    NULL, true),
 ('audit_finding', 'accepted',     'in_treatment', NULL, false),
 ('audit_finding', 'in_treatment', 'resolved',     NULL, false),
 ('audit_finding', 'resolved',     'in_treatment', NULL, true),
 ('audit_finding', 'resolved',     'closed',       'finding_linked_to_nonconformity', false),
 ('audit_finding', 'closed',       'raised',       NULL, true),

 ('review_action', 'open',        'in_progress', NULL, false),
 ('review_action', 'in_progress', 'done',        NULL, false),
 ('review_action', 'done',        'in_progress', NULL, true),
 ('review_action', 'done',        'closed',      NULL, false),
 ('review_action', 'closed',      'open',        NULL, true),

 ('objective', 'planned',      'active',       NULL, false),
 ('objective', 'active',       'evaluating',   NULL, false),
 ('objective', 'evaluating',   'active',       NULL, false),
 ('objective', 'evaluating',   'achieved',     'objective_target_met', false),
 ('objective', 'evaluating',   'not_achieved', NULL, true),
 ('objective', 'achieved',     'planned',      NULL, false),
 ('objective', 'not_achieved', 'planned',      NULL, false),

 ('incident', 'reported',  'triaged',   NULL, false),
 ('incident', 'reported',  'rejected',  NULL, true),
 ('incident', 'triaged',   'contained', NULL, false),
 ('incident', 'contained', 'resolved',  NULL, false),
 ('incident', 'resolved',  'contained', NULL, true),
 ('incident', 'resolved',  'closed',    'incident_lessons_learned', false),
 ('incident', 'closed',    'reported',  NULL, true),

 ('improvement', 'proposed',     'approved',     NULL, false),
 ('improvement', 'proposed',     'rejected',     NULL, true),
 ('improvement', 'approved',     'implementing', NULL, false),
 ('improvement', 'implementing', 'evaluating',   NULL, false),
 ('improvement', 'evaluating',   'implementing', NULL, true),
 ('improvement', 'evaluating',   'implemented',  NULL, false),
 ('improvement', 'implemented',  'proposed',     NULL, true),

 ('planned_change', 'proposed',     'approved',     NULL, false),
 ('planned_change', 'proposed',     'rejected',     NULL, true),
 ('planned_change', 'approved',     'implementing', NULL, false),
 ('planned_change', 'implementing', 'reviewing',    NULL, false),
 ('planned_change', 'reviewing',    'implementing', NULL, true),
 ('planned_change', 'reviewing',    'completed',    NULL, false);
