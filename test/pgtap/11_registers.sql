-- The registers: shape, defaults, and every constraint refused with its SQLSTATE.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
SELECT plan(716);

------------------------------------------------------------------------------
-- Shape

SELECT cmp_ok((SELECT count(*)::int FROM pg_tables WHERE schemaname = 'isms'), '>=', 25,
    'CREATE EXTENSION isms creates at least 25 tables');
SELECT is((SELECT count(*)::int FROM isms.register), 41, 'isms.register lists 41 registers');
SELECT is(
    ARRAY(SELECT c.oid::regclass::text FROM pg_class c
           WHERE c.relnamespace = 'isms'::regnamespace AND c.relkind = 'r'
             AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'id')
             AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id')
          EXCEPT SELECT relid::text FROM isms.register
          -- evidence of who signed, imported and acknowledged, never changed: not registers
          EXCEPT VALUES ('isms.signoff'), ('isms.import_batch'), ('isms.policy_acknowledgement') ORDER BY 1),
    '{}'::text[], 'every table with org_id and id is listed in isms.register (but the sign-offs, imports and policy acknowledgements)');
SELECT is(
    ARRAY(SELECT r.relid::text FROM isms.register r
           WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                              WHERE a.attrelid = r.relid AND a.attname = 'org_id'
                                AND a.atttypid = 'bigint'::regtype AND a.attnotnull)
           ORDER BY 1),
    '{}'::text[], 'every register has org_id bigint NOT NULL');
SELECT is(
    ARRAY(SELECT r.relid::text FROM isms.register r
           WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                              WHERE a.attrelid = r.relid AND a.attname = 'id' AND a.attidentity = 'a')
           ORDER BY 1),
    '{}'::text[], 'every register has id GENERATED ALWAYS AS IDENTITY');
SELECT is(
    ARRAY(SELECT r.relid::text FROM isms.register r
           WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c
                              WHERE c.conrelid = r.relid AND c.contype = 'p'
                                AND c.conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = r.relid AND attname = 'org_id'),
                                                     (SELECT attnum FROM pg_attribute WHERE attrelid = r.relid AND attname = 'id')])
           ORDER BY 1),
    '{}'::text[], 'every register has PRIMARY KEY (org_id, id)');
SELECT is(
    ARRAY(SELECT r.relid::text FROM isms.register r
           WHERE NOT EXISTS (SELECT 1 FROM pg_index i
                              WHERE i.indrelid = r.relid AND i.indnatts = 1
                                AND i.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = r.relid AND attname = 'id'))
           ORDER BY 1),
    '{}'::text[], 'every register has an index on (id) alone');
SELECT is(
    ARRAY(SELECT c.conname::text FROM pg_constraint c JOIN isms.register r ON r.relid = c.conrelid
           WHERE c.contype = 'f' AND c.confrelid IN (SELECT relid FROM isms.register)
             AND NOT (c.conkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = c.conrelid AND attname = 'org_id')
                      AND c.confkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = c.confrelid AND attname = 'org_id'))
           ORDER BY 1),
    '{}'::text[], 'every foreign key between registers leads with org_id on both sides');
SELECT is(
    ARRAY(SELECT r.relid::text FROM isms.register r
           WHERE (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = r.relid AND NOT a.attisdropped
                     AND (a.attname, a.atttypid, a.attnotnull) IN
                         (('created_at', 'timestamptz'::regtype, true), ('created_by', 'text'::regtype, true),
                          ('updated_at', 'timestamptz'::regtype, true), ('updated_by', 'text'::regtype, true))) <> 4
           ORDER BY 1),
    '{}'::text[], 'every register has created_at, created_by, updated_at, updated_by NOT NULL');
SELECT is(
    ARRAY(SELECT r.relid::text FROM isms.register r
           WHERE r.reviewable <> ((SELECT count(*) FROM pg_attribute a WHERE a.attrelid = r.relid AND NOT a.attisdropped
                                     AND (a.attname, a.atttypid) IN (('review_interval', 'interval'::regtype),
                                                                     ('last_reviewed_at', 'timestamptz'::regtype))) = 2)
              OR (r.reviewable AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = r.relid
                                                  AND a.attname = 'owner' AND a.attnotnull))
           ORDER BY 1),
    '{}'::text[], 'reviewable registers, and only they, have review_interval and last_reviewed_at, and an owner NOT NULL');
SELECT is(
    ARRAY(SELECT r.relid::text FROM isms.register r
           WHERE r.has_workflow <> ((SELECT count(*) FROM pg_attribute a WHERE a.attrelid = r.relid AND NOT a.attisdropped
                                      AND a.attnotnull AND a.attname IN ('status', 'cycle')) = 2)
              OR (r.has_workflow AND pg_get_expr((SELECT d.adbin FROM pg_attrdef d JOIN pg_attribute a
                                                    ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                                                   WHERE d.adrelid = r.relid AND a.attname = 'status'), r.relid)
                                     <> quote_literal(r.initial_status) || '::text')
           ORDER BY 1),
    '{}'::text[], 'workflow registers, and only they, have status (defaulting to the initial state) and cycle');
SELECT set_eq(
    $$SELECT name, initial_status FROM isms.register WHERE has_workflow$$,
    $$VALUES ('treatment_plan', 'planned'), ('corrective_action', 'planned'), ('nonconformity', 'reported'),
             ('audit', 'planned'), ('audit_finding', 'raised'), ('review_action', 'open'),
             ('objective', 'planned'), ('incident', 'reported'), ('improvement', 'proposed'),
             ('planned_change', 'proposed'), ('task', 'open')$$,
    'the eleven workflow registers and their initial states');
SELECT is(
    ARRAY(SELECT r.relid::text FROM isms.register r
           WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = r.relid AND t.tgname = 'stamp'
                               AND t.tgfoid = 'isms.stamp()'::regprocedure)
           ORDER BY 1),
    '{}'::text[], 'every register has the stamp trigger');
SELECT is(
    ARRAY(SELECT c.conrelid::regclass || '.' || a.attname FROM pg_attribute a
            JOIN isms.register r ON r.relid = a.attrelid
            JOIN pg_constraint c ON c.conrelid = a.attrelid AND c.contype = 'f' AND a.attnum = ANY (c.conkey)
                                AND c.confrelid = 'isms.requirement'::regclass
           WHERE a.attname <> 'framework' AND a.atttypid <> 'isms.ref'::regtype
           ORDER BY 1),
    '{}'::text[], 'every column referencing a catalog requirement is an isms.ref');

SELECT is(
    ARRAY(SELECT c.oid::regclass::text FROM pg_class c
           WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_report'::regnamespace) AND c.relkind IN ('r', 'v', 'm')
             AND coalesce(obj_description(c.oid, 'pg_class'), '') = ''
           ORDER BY 1),
    '{}'::text[], 'every table has a comment');
SELECT is(
    ARRAY(SELECT c.oid::regclass || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
           WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_report'::regnamespace) AND c.relkind IN ('r', 'v', 'm')
             AND a.attnum > 0 AND NOT a.attisdropped AND coalesce(col_description(c.oid, a.attnum), '') = ''
           ORDER BY 1),
    '{}'::text[], 'every column has a comment');
SELECT is(
    ARRAY(SELECT c.oid::regclass::text FROM pg_class c
           WHERE c.relnamespace = 'isms'::regnamespace AND c.relkind = 'r'
             AND obj_description(c.oid, 'pg_class') !~ '^(Clauses? [0-9]+(\.[0-9]+)*|Annex A [0-9]|[A-Za-z]+ \([0-9A][^)]*\))'
           ORDER BY 1),
    '{}'::text[], 'every table comment starts with the clause it serves');
SELECT is(
    ARRAY(SELECT r.relid::text FROM isms.register r
           WHERE position(CASE WHEN r.clause::text LIKE 'A.%' THEN 'Annex A ' || substr(r.clause::text, 3) ELSE r.clause::text END
                          IN obj_description(r.relid, 'pg_class')) = 0
           ORDER BY 1),
    '{}'::text[], 'every register''s comment names the clause isms.register gives it');

------------------------------------------------------------------------------
-- Valid rows are accepted (organisation A); organisation B gets the same.

CREATE FUNCTION pg_temp.accepts(org int) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE b record;
BEGIN
    FOR b IN SELECT rel FROM base ORDER BY ord LOOP
        RETURN NEXT lives_ok(pg_temp.insert_sql(b.rel, pg_temp.row_for(b.rel, org)),
                             format('%s: a valid row is accepted', b.rel));
    END LOOP;
END $$;
SELECT * FROM pg_temp.accepts(1);
SELECT pg_temp.seed(2);
SELECT is(
    ARRAY(SELECT b.rel::text FROM base b
           WHERE (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s WHERE org_id = 2 AND id = 2', b.rel), false, false, '')))[1]::text <> '1'
           ORDER BY 1),
    '{}'::text[], 'organisation B has row id 2 in every register');

SELECT is((SELECT status FROM isms.treatment_plan WHERE org_id = 1), 'planned', 'a treatment plan starts planned');
SELECT is((SELECT cycle FROM isms.treatment_plan WHERE org_id = 1), 1, 'a treatment plan starts in cycle 1');
SELECT is((SELECT status FROM isms.document WHERE org_id = 1), 'draft', 'a document starts as draft');
SELECT is((SELECT (inherent_rating, residual_rating)::text FROM isms.risk WHERE org_id = 1), '(12,)',
    'the inherent rating is likelihood x impact; no residual rating before treatment');
UPDATE isms.risk SET residual_likelihood = 2, residual_impact = 2 WHERE org_id = 1;
SELECT is((SELECT residual_rating FROM isms.risk WHERE org_id = 1), 4, 'the residual rating is residual likelihood x impact');
UPDATE isms.risk SET residual_likelihood = NULL, residual_impact = NULL WHERE org_id = 1;

SELECT lives_ok(pg_temp.insert_sql('isms.evidence',
        pg_temp.row_for('isms.evidence', 1, '{"url":null,"content":"\\x68656c6c6f","media_type":"text/plain"}')),
    'evidence may be stored content');
SELECT is((SELECT sha256 FROM isms.evidence WHERE org_id = 1 AND content IS NOT NULL), sha256('hello'::bytea),
    'the SHA-256 of stored evidence is computed by the database');
SELECT throws_ok($$UPDATE isms.evidence SET sha256 = '\x00' WHERE org_id = 1$$, '428C9', NULL,
    'the SHA-256 of evidence cannot be written');

SELECT is(isms.review_interval(1, 'isms.risk'), interval '1 year', 'review interval of a register defaults to isms.register');
INSERT INTO isms.register_setting (org_id, relid, review_interval) VALUES (1, 'isms.risk', '6 months');
SELECT is(isms.review_interval(1, 'isms.risk'), interval '6 months', 'an organisation overrides a register''s review interval');
SELECT is(isms.review_interval(2, 'isms.risk'), interval '1 year', 'the override is per organisation');

INSERT INTO isms.process (org_id, name, pdca_phase, owner) VALUES (1, 'Risk treatment', 'plan', 'Risk manager');
INSERT INTO isms.process_input (org_id, process_id, artifact)
    SELECT 1, id, 'Risk register' FROM isms.process WHERE org_id = 1 AND name = 'Risk treatment';
SELECT results_eq(
    $$SELECT p.name, c.name FROM isms.process_output o
        JOIN isms.process_input i ON i.org_id = o.org_id AND i.artifact = o.artifact AND i.process_id <> o.process_id
        JOIN isms.process p ON p.org_id = o.org_id AND p.id = o.process_id
        JOIN isms.process c ON c.org_id = i.org_id AND c.id = i.process_id
       WHERE o.org_id = 1$$,
    $$VALUES ('Risk assessment', 'Risk treatment')$$,
    'process interactions follow from an output artifact feeding another process''s input');

------------------------------------------------------------------------------
-- Every constraint refused, with its SQLSTATE.  pg_temp.rejects inserts the
-- base row of organisation A with a patch (and, unless uniqueness is tested,
-- the patch of pg_temp.fresh) and expects the error; it records
-- the constraint so the last test can check that none was left out.

CREATE TEMP TABLE tried (rel regclass, con text);
GRANT ALL ON tried TO PUBLIC;

CREATE FUNCTION pg_temp.rejects(rel regclass, patch jsonb, state text, con text, msg text DEFAULT NULL)
    RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    relname text := (SELECT c.relname FROM pg_class c WHERE c.oid = rel);
BEGIN
    INSERT INTO tried VALUES (rel, con);
    msg := coalesce(msg, CASE state
        WHEN '23502' THEN format('null value in column "%s" of relation "%s" violates not-null constraint', con, relname)
        WHEN '23503' THEN format('insert or update on table "%s" violates foreign key constraint "%s"', relname, con)
        WHEN '23505' THEN format('duplicate key value violates unique constraint "%s"', con)
        WHEN '23514' THEN format('new row for relation "%s" violates check constraint "%s"', relname, con)
    END);
    IF state <> '23505' THEN
        patch := coalesce((SELECT f.patch FROM fresh f WHERE f.rel = rejects.rel), '{}') || patch;
    END IF;
    RETURN throws_ok(pg_temp.insert_sql(rel, pg_temp.row_for(rel, 1, patch)), state, msg,
                     format('%s: %s %s is refused', relname, CASE WHEN state = '23502' THEN 'NULL in ' || con ELSE con END, state));
END $$;

-- NOT NULL: every column that must hold a fact.
SELECT pg_temp.rejects(r.relid, jsonb_build_object(a.attname, NULL), '23502', a.attname)
  FROM isms.register r JOIN pg_attribute a ON a.attrelid = r.relid
 WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull AND a.attidentity = '' AND a.attgenerated = ''
   AND a.attname NOT IN ('created_at', 'created_by', 'updated_at', 'updated_by')
 ORDER BY r.relid::text, a.attnum;

-- The organisation must exist.
SELECT pg_temp.rejects(r.relid, '{"org_id": 999}', '23503', c.conname)
  FROM isms.register r JOIN pg_constraint c ON c.conrelid = r.relid AND c.contype = 'f'
                                            AND c.confrelid = 'isms.organization'::regclass
 ORDER BY r.relid::text;

-- Cross-organisation references are impossible: a row of organisation A
-- naming id 2, which exists, but in organisation B.
SELECT pg_temp.rejects(r.relid, jsonb_build_object(a.attname, 2), '23503', c.conname)
  FROM isms.register r
  JOIN pg_constraint c ON c.conrelid = r.relid AND c.contype = 'f'
                      AND c.confrelid IN (SELECT relid FROM isms.register) AND cardinality(c.conkey) = 2
  JOIN pg_attribute a ON a.attrelid = r.relid AND a.attnum = c.conkey[2]
 ORDER BY r.relid::text, c.conname;

-- Blank text where a fact is required, values outside a list, non-positive
-- review intervals and cycles.
SELECT pg_temp.rejects(r.relid, jsonb_build_object(a.attname, ' '), '23514', c.conname)
  FROM isms.register r
  JOIN pg_constraint c ON c.conrelid = r.relid AND c.contype = 'c'
  JOIN pg_attribute a ON a.attrelid = r.relid AND c.conname = (SELECT relname FROM pg_class WHERE oid = r.relid) || '_' || a.attname || '_given'
 ORDER BY c.conname;
SELECT pg_temp.rejects(r.relid, jsonb_build_object(a.attname, 'no such value'), '23514', c.conname)
  FROM isms.register r
  JOIN pg_constraint c ON c.conrelid = r.relid AND c.contype = 'c'
  JOIN pg_attribute a ON a.attrelid = r.relid AND c.conname = (SELECT relname FROM pg_class WHERE oid = r.relid) || '_' || a.attname || '_values'
 ORDER BY c.conname;
SELECT pg_temp.rejects(r.relid, '{"review_interval": "-1 day"}', '23514', c.conname)
  FROM isms.register r JOIN pg_constraint c ON c.conrelid = r.relid
   AND c.conname = (SELECT relname FROM pg_class WHERE oid = r.relid) || '_review_interval_range'
 ORDER BY c.conname;
SELECT pg_temp.rejects(r.relid, '{"review_interval": "1000000 years"}', '23514', c.conname)
  FROM isms.register r JOIN pg_constraint c ON c.conrelid = r.relid
   AND c.conname = (SELECT relname FROM pg_class WHERE oid = r.relid) || '_review_interval_range'
 ORDER BY c.conname;
-- Length limits: one character over the limit.
SELECT pg_temp.rejects(r.relid, jsonb_build_object(a.attname, repeat('x', substring(c.conname FROM '_max_([0-9]+)_chars$')::int + 1))
                       || CASE a.attname  -- what a person's column comes with
                          WHEN 'implemented_by' THEN '{"implemented_at": "2025-05-01T00:00:00Z"}'
                          WHEN 'effectiveness_checked_by' THEN '{"implemented_by": "IT", "implemented_at": "2025-05-01T00:00:00Z", "effectiveness_checked_at": "2025-05-02T00:00:00Z", "effective": true}'
                          WHEN 'approved_by' THEN '{"approved_at": "2025-05-01T00:00:00Z"}'
                          WHEN 'accepted_by' THEN '{"accepted_at": "2025-05-01T00:00:00Z", "residual_likelihood": 1, "residual_impact": 1}'
                          ELSE '{}' END::jsonb,
                       '23514', c.conname)
  FROM isms.register r
  JOIN pg_constraint c ON c.conrelid = r.relid AND c.contype = 'c' AND c.conname ~ '_max_[0-9]+_chars$'
  JOIN pg_attribute a ON a.attrelid = r.relid
   AND c.conname = (SELECT relname FROM pg_class WHERE oid = r.relid) || '_' || a.attname || '_max_'
                   || substring(c.conname FROM '_max_([0-9]+)_chars$') || '_chars'
 ORDER BY c.conname;
SELECT pg_temp.rejects(r.relid, '{"cycle": 0}', '23514', c.conname)
  FROM isms.register r JOIN pg_constraint c ON c.conrelid = r.relid
   AND c.conname = (SELECT relname FROM pg_class WHERE oid = r.relid) || '_cycle_positive'
 ORDER BY c.conname;

-- Uniqueness: the same row twice.
SELECT pg_temp.rejects(r.relid, '{}', '23505', c.conname)
  FROM isms.register r JOIN pg_constraint c ON c.conrelid = r.relid AND c.contype = 'u'
 ORDER BY c.conname;

-- Register by register.
SELECT pg_temp.rejects('isms.audit', '{"auditee": "Lee"}', '23514', 'audit_auditor_not_auditee');
SELECT pg_temp.rejects('isms.audit', '{"conducted_end": "2025-03-02"}', '23514', 'audit_conducted_end_needs_start');
SELECT pg_temp.rejects('isms.audit', '{"conducted_start": "2025-03-05", "conducted_end": "2025-03-04"}', '23514', 'audit_conducted_in_order');
SELECT pg_temp.rejects('isms.audit', '{"planned_end": "2025-02-28"}', '23514', 'audit_planned_in_order');
SELECT pg_temp.rejects('isms.audit_finding', '{"requirement": null}', '23514', 'audit_finding_nonconformity_has_requirement');
SELECT pg_temp.rejects('isms.audit_finding', '{"finding_type": "observation", "nonconformity_id": null, "severity": "minor"}', '23514', 'audit_finding_severity_of_nonconformity');
SELECT pg_temp.rejects('isms.audit_finding', '{"finding_type": "observation"}', '23514', 'audit_finding_nonconformity_link');
SELECT pg_temp.rejects('isms.audit_finding', '{"requirement": "9.9"}', '23503', 'audit_finding_framework_requirement_fkey');
SELECT pg_temp.rejects('isms.audit_programme', '{"period_end": "2024-12-31"}', '23514', 'audit_programme_period_in_order');
SELECT pg_temp.rejects('isms.corrective_action', '{"effectiveness_checked_by": "Auditor", "effectiveness_checked_at": "2025-05-01T00:00:00Z", "effective": true}', '23514', 'corrective_action_check_after_implementation');
SELECT pg_temp.rejects('isms.corrective_action', '{"implemented_by": "IT", "implemented_at": "2025-05-02T00:00:00Z", "effectiveness_checked_by": "Auditor", "effectiveness_checked_at": "2025-05-01T00:00:00Z", "effective": true}', '23514', 'corrective_action_check_after_implementation');
SELECT pg_temp.rejects('isms.corrective_action', '{"effective": true}', '23514', 'corrective_action_check_who_when_result');
SELECT pg_temp.rejects('isms.corrective_action', '{"implemented_by": "IT"}', '23514', 'corrective_action_implementation_who_and_when');
SELECT pg_temp.rejects('isms.document', '{"clause": "9.9"}', '23503', 'document_framework_clause_fkey');
SELECT pg_temp.rejects('isms.document_approval', '{"decision": "rejected"}', '23514', 'document_approval_reason_for_rejection');
SELECT pg_temp.rejects('isms.document_approval', '{"sha256": "\\x00"}', '23514', 'document_approval_sha256_length');
SELECT pg_temp.rejects('isms.document_version', '{"url": null, "content_bytes": "\\x01", "media_type": "pdf"}', '23514', 'document_version_media_type_format');
SELECT pg_temp.rejects('isms.document_version', '{"url": null, "content_bytes": "\\x01"}', '23514', 'document_version_media_type_of_bytes');
SELECT pg_temp.rejects('isms.document_version', '{"content_text": "Policy text"}', '23514', 'document_version_one_content_kind');
SELECT pg_temp.rejects('isms.document_version', '{"url": null}', '23514', 'document_version_one_content_kind');
SELECT pg_temp.rejects('isms.document_version', '{"validity": "[2025-01-01,)"}', '23514', 'document_version_validity_by_status');
SELECT pg_temp.rejects('isms.document_version', '{"status": "published"}', '23514', 'document_version_validity_by_status');
SELECT pg_temp.rejects('isms.document_version', '{"status": "draft", "validity": "[2025-01-01,2025-02-01)"}', '23514', 'document_version_validity_by_status');
SELECT pg_temp.rejects('isms.document_version', '{"status": "superseded", "validity": "[2025-01-01,)"}', '23514', 'document_version_validity_by_status');
SELECT pg_temp.rejects('isms.evidence', '{"content": "\\x01", "media_type": "pdf"}', '23514', 'evidence_media_type_format');
SELECT pg_temp.rejects('isms.evidence', '{"content": "\\x01"}', '23514', 'evidence_media_type_of_content');
SELECT pg_temp.rejects('isms.evidence', '{"url": null}', '23514', 'evidence_url_or_content');
SELECT pg_temp.rejects('isms.improvement', '{"decided_at": "2025-02-01T00:00:00Z", "completed_at": "2025-01-01T00:00:00Z"}', '23514', 'improvement_completed_after_decided');
SELECT pg_temp.rejects('isms.incident', '{"occurred_at": "2025-02-02T00:00:00Z"}', '23514', 'incident_detected_after_occurred');
SELECT pg_temp.rejects('isms.incident', '{"reported_at": "2025-01-31T00:00:00Z"}', '23514', 'incident_reported_after_detected');
SELECT pg_temp.rejects('isms.incident', '{"resolved_at": "2025-01-31T00:00:00Z"}', '23514', 'incident_resolved_after_detected');
SELECT pg_temp.rejects('isms.management_review', '{"held_on": "2025-06-01"}', '23514', 'management_review_inputs_when_held');
SELECT pg_temp.rejects('isms.management_review',
    '{"held_on": "2025-06-01", "previous_actions_status": "a", "context_changes": "b", "party_changes": "c", "performance_feedback": "d", "party_feedback": "e", "risk_results": "f", "improvement_opportunities": "g"}',
    '23514', 'management_review_inputs_when_held');
SELECT pg_temp.rejects('isms.management_review',
    '{"held_on": "2025-06-01", "previous_actions_status": "", "context_changes": "n/a", "party_changes": "N/A", "performance_feedback": "-", "party_feedback": "none", "risk_results": "tbd", "improvement_opportunities": "  ", "decisions": "n.a."}',
    '23514', 'management_review_inputs_when_held');
SELECT pg_temp.rejects('isms.management_review',
    '{"held_on": "2025-06-01", "previous_actions_status": "All actions closed", "context_changes": "No new issues", "party_changes": "Regulator asks for yearly tests", "performance_feedback": "Two minor nonconformities", "party_feedback": "No complaints received", "risk_results": "Risk register reviewed", "improvement_opportunities": "Automate reports", "decisions": "n/a"}',
    '23514', 'management_review_inputs_when_held');
SELECT pg_temp.rejects('isms.management_review',
    '{"held_on": "2999-01-01", "previous_actions_status": "All actions closed", "context_changes": "No new issues", "party_changes": "Regulator asks for yearly tests", "performance_feedback": "Two minor nonconformities", "party_feedback": "No complaints received", "risk_results": "Risk register reviewed", "improvement_opportunities": "Automate reports", "decisions": "Fund the test lab"}',
    '23514', 'management_review_held_not_in_future');
SELECT lives_ok(pg_temp.insert_sql('isms.management_review', pg_temp.row_for('isms.management_review', 1,
    '{"held_on": "2025-06-01", "previous_actions_status": "All actions closed", "context_changes": "No new issues", "party_changes": "Regulator asks for yearly tests", "performance_feedback": "Two minor nonconformities", "party_feedback": "No complaints received", "risk_results": "Risk register reviewed", "improvement_opportunities": "Automate reports", "decisions": "Fund the test lab"}')),
    'management_review: a held review with inputs a-g and decisions is accepted');
SELECT pg_temp.rejects('isms.nonconformity', '{"closed_at": "2025-03-01T00:00:00Z"}', '23514', 'nonconformity_closed_after_detected');
SELECT pg_temp.rejects('isms.nonconformity', '{"no_action_needed": true}', '23514', 'nonconformity_no_action_justified');
SELECT pg_temp.rejects('isms.nonconformity', '{"no_action_needed": true, "no_action_justification": "n/a"}', '23514', 'nonconformity_no_action_justified');
SELECT pg_temp.rejects('isms.nonconformity', '{"requirement": "A.9.1"}', '23503', 'nonconformity_framework_requirement_fkey');
SELECT pg_temp.rejects('isms.party_requirement', '{"addressed": false}', '23514', 'party_requirement_rationale_when_not_addressed');
SELECT lives_ok(pg_temp.insert_sql('isms.party_requirement', pg_temp.row_for('isms.party_requirement', 1,
    '{"addressed": false, "rationale": "Outside the scope"}')),
    'party_requirement: a requirement not addressed, with its rationale, is accepted');
SELECT pg_temp.rejects('isms.policy', '{"approved_by": "CEO"}', '23514', 'policy_approval_who_and_when');
SELECT pg_temp.rejects('isms.risk', '{"accepted_by": "Sales lead", "accepted_at": "2025-01-01T00:00:00Z"}', '23514', 'risk_acceptance_of_residual');
SELECT pg_temp.rejects('isms.risk', '{"residual_likelihood": 1, "residual_impact": 1, "accepted_by": "Sales lead", "accepted_at": "2025-01-02T00:00:00Z", "accepted_until": "2025-01-01T00:00:00Z"}', '23514', 'risk_acceptance_until_after_acceptance');
SELECT pg_temp.rejects('isms.risk', '{"accepted_until": "2026-01-01T00:00:00Z"}', '23514', 'risk_acceptance_until_after_acceptance');
SELECT pg_temp.rejects('isms.risk', '{"accepted_by": "Sales lead"}', '23514', 'risk_acceptance_who_and_when');
SELECT lives_ok(pg_temp.insert_sql('isms.risk', pg_temp.row_for('isms.risk', 1,
    '{"residual_likelihood": 1, "residual_impact": 2, "accepted_by": "Sales lead", "accepted_at": "2025-01-02T00:00:00Z", "accepted_until": "2026-01-01T00:00:00Z"}')),
    'risk: an acceptance of the residual risk with who, when and until is accepted');
SELECT pg_temp.rejects('isms.risk', '{"inherent_impact": 0}', '23514', 'risk_inherent_impact_positive');
SELECT pg_temp.rejects('isms.risk', '{"inherent_likelihood": 0}', '23514', 'risk_inherent_likelihood_positive');
SELECT pg_temp.rejects('isms.risk', '{"residual_likelihood": 1}', '23514', 'risk_residual_both_or_neither');
SELECT pg_temp.rejects('isms.risk', '{"residual_likelihood": 1, "residual_impact": 0}', '23514', 'risk_residual_impact_positive');
SELECT pg_temp.rejects('isms.risk', '{"residual_likelihood": 0, "residual_impact": 1}', '23514', 'risk_residual_likelihood_positive');
SELECT pg_temp.rejects('isms.risk', '{"org_id": 3, "asset_id": null}', '23503', 'risk_scale_exists');
SELECT pg_temp.rejects('isms.risk', '{"inherent_likelihood": 6}', '23514', 'risk_within_scale',
    'risk "Customer data leak" is off the risk scale of organisation 1');
SELECT pg_temp.rejects('isms.risk', '{"residual_likelihood": 1, "residual_impact": 6}', '23514', 'risk_within_scale',
    'risk "Customer data leak" is off the risk scale of organisation 1');
SELECT throws_ok($$UPDATE isms.risk_scale SET likelihood_levels = 2 WHERE org_id = 1$$, '23514',
    'risk scale of organisation 1 cannot shrink below the levels its risks use',
    'risk_scale: a scale cannot shrink below the levels its risks use 23514');
SELECT lives_ok($$UPDATE isms.risk_scale SET likelihood_levels = 3, acceptance_threshold = 4 WHERE org_id = 1$$,
    'risk_scale: a scale may shrink to the levels its risks use');
SELECT pg_temp.rejects('isms.risk_control', '{"control": "6.1.3"}', '23514', 'risk_control_is_annex_control');
SELECT pg_temp.rejects('isms.risk_control', '{"control": "A.9.1"}', '23503', 'risk_control_framework_control_fkey');
SELECT pg_temp.rejects('isms.risk_scale', '{"org_id": 3, "impact_labels": ["low"]}', '23514', 'risk_scale_impact_labels_count');
SELECT pg_temp.rejects('isms.risk_scale', '{"org_id": 3, "likelihood_labels": ["a","b","c","d","e","f"]}', '23514', 'risk_scale_likelihood_labels_count');
SELECT pg_temp.rejects('isms.risk_scale', '{"org_id": 3, "impact_levels": 11}', '23514', 'risk_scale_impact_levels_range');
SELECT pg_temp.rejects('isms.risk_scale', '{"org_id": 3, "likelihood_levels": 1}', '23514', 'risk_scale_likelihood_levels_range');
SELECT pg_temp.rejects('isms.risk_scale', '{"org_id": 3, "acceptance_threshold": 26}', '23514', 'risk_scale_threshold_range');
SELECT pg_temp.rejects('isms.risk_scale', '{"org_id": 3, "acceptance_threshold": 0}', '23514', 'risk_scale_threshold_range');
SELECT pg_temp.rejects('isms.role_assignment', '{"ended_on": "2024-12-31"}', '23514', 'role_assignment_dates_in_order');
SELECT pg_temp.rejects('isms.scope_item', '{"kind": "exclusion"}', '23514', 'scope_item_justification_of_exclusion');
SELECT pg_temp.rejects('isms.soa_entry', '{"control": "5.2"}', '23514', 'soa_entry_is_annex_control');
SELECT pg_temp.rejects('isms.soa_entry', '{"control": "A.9.9"}', '23503', 'soa_entry_framework_control_fkey');
SELECT pg_temp.rejects('isms.soa_entry', '{"control": "A.8.1", "applicable": false, "justification": null}', '23514', 'soa_entry_justification_of_exclusion');
SELECT pg_temp.rejects('isms.soa_entry', '{"control": "A.8.1", "applicable": false, "justification": "n/a"}', '23514', 'soa_entry_justification_meaningful');
SELECT pg_temp.rejects('isms.soa_entry', '{"control": "A.8.1", "justification": "-"}', '23514', 'soa_entry_justification_meaningful');
SELECT lives_ok(pg_temp.insert_sql('isms.soa_entry', pg_temp.row_for('isms.soa_entry', 1,
    '{"control": "A.7.1", "applicable": false, "justification": "No premises: fully remote"}')),
    'soa_entry: an exclusion with its justification is accepted');
SELECT pg_temp.rejects('isms.supplier_assessment', '{"result": "satisfactory"}', '23514', 'supplier_assessment_result_when_performed');
SELECT pg_temp.rejects('isms.supplier_assessment', '{"performed_on": "2025-06-01", "assessor": "Lee"}', '23514', 'supplier_assessment_result_when_performed');
SELECT pg_temp.rejects('isms.supplier_assessment', '{"performed_on": "2025-06-01", "result": "satisfactory"}', '23514', 'supplier_assessment_assessor_when_performed');
SELECT pg_temp.rejects('isms.supplier_assessment', '{"performed_on": "2999-01-01", "assessor": "Lee", "result": "satisfactory"}', '23514', 'supplier_assessment_performed_not_in_future');
SELECT pg_temp.rejects('isms.supplier_assessment', '{"performed_on": "2025-06-01", "assessor": "Lee", "result": "major_issues"}', '23514', 'supplier_assessment_findings_of_issues');
SELECT pg_temp.rejects('isms.supplier_assessment', '{"performed_on": "2025-06-01", "assessor": "Lee", "result": "minor_issues", "findings": "n/a"}', '23514', 'supplier_assessment_findings_of_issues');
SELECT lives_ok(pg_temp.insert_sql('isms.supplier_assessment', pg_temp.row_for('isms.supplier_assessment', 1,
    '{"performed_on": "2025-06-01", "assessor": "Lee", "result": "minor_issues", "findings": "Backups not tested since 2024"}')),
    'supplier_assessment: a performed assessment with assessor, result and findings is accepted');
SELECT pg_temp.rejects('isms.supplier_contract', '{"ends_on": "2024-12-31"}', '23514', 'supplier_contract_dates_in_order');
SELECT pg_temp.rejects('isms.supplier_contract', '{"security_requirements": "tbd"}', '23514', 'supplier_contract_security_requirements_meaningful');
SELECT pg_temp.rejects('isms.supplier_contract', '{"supply_chain_requirements": "n/a"}', '23514', 'supplier_contract_supply_chain_requirements_meaningful');
SELECT lives_ok(pg_temp.insert_sql('isms.supplier_contract', pg_temp.row_for('isms.supplier_contract', 1,
    '{"ends_on": "2025-01-01", "security_requirements": null}')),
    'supplier_contract: a one-day agreement stating no security requirements is accepted (the reports flag it)');
SELECT pg_temp.rejects('isms.supplier_control', '{"control": "A.5"}', '23514', 'supplier_control_is_annex_control');
SELECT pg_temp.rejects('isms.supplier_control', '{"control": "A.9.1"}', '23503', 'supplier_control_framework_control_fkey');
SELECT pg_temp.rejects('isms.training_record', '{"valid_until": "2025-02-01"}', '23514', 'training_record_dates_in_order');
SELECT pg_temp.rejects('isms.treatment_plan', '{"approved_by": "Sales lead"}', '23514', 'treatment_plan_approval_who_and_when');
SELECT pg_temp.rejects('isms.task', '{"closed_at": "2025-06-02T00:00:00Z"}', '23514', 'task_closed_when_final');
SELECT pg_temp.rejects('isms.task', '{"escalated_to": "CISO"}', '23514', 'task_level_2_has_escalated_to');
SELECT pg_temp.rejects('isms.task', '{"escalation_level": 1}', '23514', 'task_escalated_when_level');
SELECT pg_temp.rejects('isms.task', '{"escalation_level": 3, "escalated_at": "2025-06-02T00:00:00Z"}', '23514', 'task_escalation_level_range');
SELECT pg_temp.rejects('isms.person', '{"person": " "}', '23514', 'person_person_given');
SELECT pg_temp.rejects('isms.person', '{"name": ""}', '23514', 'person_name_given');
SELECT pg_temp.rejects('isms.person', '{"active_until": "2025-01-01"}', '23514', 'person_active_in_order');
SELECT pg_temp.rejects('isms.person', '{"login_role": ""}', '23514', 'person_login_role_given');

-- References checked by triggers, for a member who is not a superuser.
CREATE ROLE tap_editor;
GRANT isms_editor TO tap_editor;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'tap_editor');
SET LOCAL ROLE tap_editor;
SELECT pg_temp.rejects('isms.evidence', '{"record_id": 2}', '23503', 'evidence_record_exists',
    'record 2 of risk in organisation 1 does not exist');
SELECT pg_temp.rejects('isms.evidence', '{"record_table": "isms.membership"}', '23503', 'evidence_record_exists',
    'table membership is not an ISMS register');
SELECT lives_ok(pg_temp.insert_sql('isms.evidence', pg_temp.row_for('isms.evidence', 1,
    '{"record_table": "isms.audit", "record_id": 1}')),
    'evidence: a member attaches evidence to an existing record of the organisation');
SELECT pg_temp.rejects('isms.nonconformity', '{"finding_id": 2}', '23503', 'nonconformity_finding_exists',
    'audit finding 2 of organisation 1 does not exist');
SELECT lives_ok(pg_temp.insert_sql('isms.nonconformity', pg_temp.row_for('isms.nonconformity', 1, '{"finding_id": 1}')),
    'nonconformity: a nonconformity raised from an audit finding of the organisation is accepted');
RESET ROLE;

SELECT is(
    ARRAY(SELECT c.conname::text FROM pg_constraint c JOIN isms.register r ON r.relid = c.conrelid
           WHERE c.contype IN ('c', 'f', 'u')
          EXCEPT SELECT con FROM tried ORDER BY 1),
    '{}'::text[], 'every CHECK, FOREIGN KEY and UNIQUE constraint of every register has a test that violates it');

SELECT * FROM finish();
ROLLBACK;
