-- The registers: one table per kind of ISMS record, clauses 4-10 and the
-- Annex A records the clauses lean on.
--
-- Every register has org_id (leading its primary key and every foreign key to
-- another register, so no row can point into another organisation), an
-- identity id (also indexed alone, for generic look-ups by id), and the audit
-- columns created_at/by and updated_at/by kept by isms.stamp().  Registers
-- under periodic review have owner, review_interval and last_reviewed_at;
-- workflow registers have status and cycle.  Each table is listed in
-- isms.register at the end of this file; src/security.sql then attaches the
-- trigger, row-level security, grants and pg_dump registration to every row
-- of isms.register.  Comments of the common columns are set there too.

------------------------------------------------------------------------------
-- Meaningful text: a justification or a review input that says something.
-- Blank, punctuation-only and placeholder answers ('-', 'n/a', 'tbd',
-- 'none', ...) say nothing, and neither does a text shorter than min_length.

CREATE FUNCTION isms.is_meaningful(t text, min_length integer DEFAULT 3) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT $1 IS NOT NULL
       AND pg_catalog.char_length(pg_catalog.btrim($1)) OPERATOR(pg_catalog.>=) coalesce($2, 3)
       AND pg_catalog.char_length(pg_catalog.regexp_replace($1, '[^[:alnum:]]+', '', 'g')) OPERATOR(pg_catalog.>=) 2
       AND pg_catalog.lower(pg_catalog.regexp_replace($1, '[^[:alnum:]]+', '', 'g')) OPERATOR(pg_catalog.<>) ALL
           (ARRAY['na', 'nil', 'null', 'none', 'nothing', 'tbd', 'tba', 'tbc', 'todo', 'notapplicable',
                  'xx', 'xxx', 'xxxx', 'test', 'dummy', 'placeholder', 'unknown', 'ok', 'yes', 'no'])
$$;
COMMENT ON FUNCTION isms.is_meaningful(text, integer) IS
    'True when a text says something: at least min_length characters (3 by default) and two letters or digits, and not a placeholder such as -, n/a, tbd, none or xxx; used by the CHECK constraints on justifications and management review inputs';
REVOKE ALL ON FUNCTION isms.is_meaningful(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.is_meaningful(text, integer) TO isms_reader;

------------------------------------------------------------------------------
-- 4.1 Context

CREATE TABLE isms.context_issue (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    title       text NOT NULL CONSTRAINT context_issue_title_given CHECK (btrim(title) <> ''),
    description text,
    origin      text NOT NULL CONSTRAINT context_issue_origin_values CHECK (origin IN ('internal', 'external')),
    category    text,
    effect      text CONSTRAINT context_issue_effect_values CHECK (effect IN ('positive', 'negative', 'neutral')),
    owner       text NOT NULL,
    review_interval interval CONSTRAINT context_issue_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id)
);
COMMENT ON TABLE isms.context_issue IS
    'Clause 4.1: external and internal issues relevant to the organisation''s purpose that affect the ISMS''s intended outcomes';
COMMENT ON COLUMN isms.context_issue.title IS 'Short statement of the issue';
COMMENT ON COLUMN isms.context_issue.description IS 'What the issue is and how it affects the ISMS';
COMMENT ON COLUMN isms.context_issue.origin IS 'internal or external issue (4.1)';
COMMENT ON COLUMN isms.context_issue.category IS 'Free classification, such as legal, technological, market, organisational';
COMMENT ON COLUMN isms.context_issue.effect IS 'positive, negative or neutral effect on the intended outcomes';

------------------------------------------------------------------------------
-- 4.2 Interested parties and their requirements

CREATE TABLE isms.interested_party (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CONSTRAINT interested_party_name_given CHECK (btrim(name) <> ''),
    kind        text NOT NULL CONSTRAINT interested_party_kind_values CHECK (kind IN ('internal', 'external')),
    category    text,
    description text,
    contact     text,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT interested_party_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT interested_party_name_unique UNIQUE (org_id, name)
);
COMMENT ON TABLE isms.interested_party IS
    'Clause 4.2 a: interested parties relevant to the ISMS';
COMMENT ON COLUMN isms.interested_party.name IS 'Name of the party, unique in the organisation';
COMMENT ON COLUMN isms.interested_party.kind IS 'internal or external party';
COMMENT ON COLUMN isms.interested_party.category IS 'Free classification, such as customer, regulator, employee, supplier, shareholder';
COMMENT ON COLUMN isms.interested_party.description IS 'Who the party is and why it matters to the ISMS';
COMMENT ON COLUMN isms.interested_party.contact IS 'How the party is reached (7.4)';

CREATE TABLE isms.party_requirement (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    party_id    bigint NOT NULL,
    requirement text NOT NULL CONSTRAINT party_requirement_requirement_given CHECK (btrim(requirement) <> ''),
    kind        text NOT NULL DEFAULT 'other'
                CONSTRAINT party_requirement_kind_values CHECK (kind IN ('legal', 'regulatory', 'contractual', 'other')),
    addressed   boolean NOT NULL,
    how_addressed text,
    rationale   text,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT party_requirement_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, party_id) REFERENCES isms.interested_party (org_id, id),
    CONSTRAINT party_requirement_rationale_when_not_addressed
        CHECK (addressed OR coalesce(btrim(rationale), '') <> '')
);
CREATE INDEX party_requirement_party_idx ON isms.party_requirement (org_id, party_id);
COMMENT ON TABLE isms.party_requirement IS
    'Clause 4.2 b, c: requirements of interested parties and which of them the ISMS addresses';
COMMENT ON COLUMN isms.party_requirement.party_id IS 'Interested party that has the requirement';
COMMENT ON COLUMN isms.party_requirement.requirement IS 'The need or expectation';
COMMENT ON COLUMN isms.party_requirement.kind IS 'legal, regulatory, contractual or other';
COMMENT ON COLUMN isms.party_requirement.addressed IS 'True when the requirement is addressed through the ISMS (4.2 c)';
COMMENT ON COLUMN isms.party_requirement.how_addressed IS 'How the ISMS addresses it (controls, processes, documents)';
COMMENT ON COLUMN isms.party_requirement.rationale IS 'Why it is not addressed; required when addressed is false';

------------------------------------------------------------------------------
-- 4.3 Scope

CREATE TABLE isms.scope_item (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    kind        text NOT NULL CONSTRAINT scope_item_kind_values CHECK (kind IN ('inclusion', 'exclusion', 'interface')),
    subject_type text NOT NULL DEFAULT 'other'
                CONSTRAINT scope_item_subject_type_values
                CHECK (subject_type IN ('location', 'unit', 'process', 'service', 'system', 'asset', 'other')),
    subject     text NOT NULL CONSTRAINT scope_item_subject_given CHECK (btrim(subject) <> ''),
    description text,
    justification text,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT scope_item_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT scope_item_justification_of_exclusion
        CHECK (kind <> 'exclusion' OR coalesce(btrim(justification), '') <> '')
);
COMMENT ON TABLE isms.scope_item IS
    'Clause 4.3: what the ISMS scope includes and excludes (with justification), and its interfaces and dependencies with activities outside it';
COMMENT ON COLUMN isms.scope_item.kind IS 'inclusion, exclusion, or interface (4.3 c: interfaces and dependencies)';
COMMENT ON COLUMN isms.scope_item.subject_type IS 'What is in or out: location, unit, process, service, system, asset or other';
COMMENT ON COLUMN isms.scope_item.subject IS 'Name of what is included, excluded or interfaced with';
COMMENT ON COLUMN isms.scope_item.description IS 'Boundary and details';
COMMENT ON COLUMN isms.scope_item.justification IS 'Why it is in or out; required for an exclusion';

------------------------------------------------------------------------------
-- 4.4 Processes and their interactions

CREATE TABLE isms.process (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CONSTRAINT process_name_given CHECK (btrim(name) <> ''),
    purpose     text,
    pdca_phase  text NOT NULL CONSTRAINT process_pdca_phase_values CHECK (pdca_phase IN ('plan', 'do', 'check', 'act')),
    clause      isms.ref,
    description text,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT process_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT process_name_unique UNIQUE (org_id, name)
);
COMMENT ON TABLE isms.process IS
    'Clause 4.4: the processes needed by the ISMS; their interactions follow from isms.process_output feeding isms.process_input';
COMMENT ON COLUMN isms.process.name IS 'Name of the process, unique in the organisation';
COMMENT ON COLUMN isms.process.purpose IS 'What the process achieves';
COMMENT ON COLUMN isms.process.pdca_phase IS 'Plan-Do-Check-Act phase the process belongs to';
COMMENT ON COLUMN isms.process.clause IS 'Main clause or control the process implements, such as 6.1.2 or A.5.24';
COMMENT ON COLUMN isms.process.description IS 'Activities, criteria and controls of the process';

CREATE TABLE isms.process_input (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    process_id  bigint NOT NULL,
    artifact    text NOT NULL CONSTRAINT process_input_artifact_given CHECK (btrim(artifact) <> ''),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, process_id) REFERENCES isms.process (org_id, id) ON DELETE CASCADE,
    CONSTRAINT process_input_unique UNIQUE (org_id, process_id, artifact)
);
CREATE INDEX process_input_artifact_idx ON isms.process_input (org_id, artifact);
COMMENT ON TABLE isms.process_input IS
    'Clause 4.4: named artifacts a process consumes; an input whose artifact another process outputs is an interaction';
COMMENT ON COLUMN isms.process_input.process_id IS 'Process that consumes the artifact';
COMMENT ON COLUMN isms.process_input.artifact IS 'Name of the artifact, matched exactly against isms.process_output.artifact';
COMMENT ON COLUMN isms.process_input.description IS 'How the input is used';

CREATE TABLE isms.process_output (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    process_id  bigint NOT NULL,
    artifact    text NOT NULL CONSTRAINT process_output_artifact_given CHECK (btrim(artifact) <> ''),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, process_id) REFERENCES isms.process (org_id, id) ON DELETE CASCADE,
    CONSTRAINT process_output_unique UNIQUE (org_id, process_id, artifact)
);
CREATE INDEX process_output_artifact_idx ON isms.process_output (org_id, artifact);
COMMENT ON TABLE isms.process_output IS
    'Clause 4.4: named artifacts a process produces; an output another process takes as input is an interaction';
COMMENT ON COLUMN isms.process_output.process_id IS 'Process that produces the artifact';
COMMENT ON COLUMN isms.process_output.artifact IS 'Name of the artifact, matched exactly against isms.process_input.artifact';
COMMENT ON COLUMN isms.process_output.description IS 'What the output contains';

------------------------------------------------------------------------------
-- 7.5 Documented information (before 5.2, which points at it)

CREATE TABLE isms.document (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    code        text,
    kind        text NOT NULL CONSTRAINT document_kind_values
                CHECK (kind IN ('policy', 'procedure', 'standard', 'guideline', 'plan', 'record', 'form', 'other')),
    title       text NOT NULL CONSTRAINT document_title_given CHECK (btrim(title) <> ''),
    classification text NOT NULL DEFAULT 'internal'
                CONSTRAINT document_classification_values
                CHECK (classification IN ('public', 'internal', 'confidential', 'restricted')),
    origin      text NOT NULL DEFAULT 'internal'
                CONSTRAINT document_origin_values CHECK (origin IN ('internal', 'external')),
    framework   text NOT NULL DEFAULT 'iso27001-2022',
    clause      isms.ref,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT document_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    status      text NOT NULL DEFAULT 'draft'
                CONSTRAINT document_status_values
                CHECK (status IN ('draft', 'in_review', 'approved', 'published', 'under_revision', 'retired')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT document_code_unique UNIQUE (org_id, code),
    FOREIGN KEY (framework, clause) REFERENCES isms.requirement (framework, ref)
);
COMMENT ON TABLE isms.document IS
    'Clause 7.5: documented information under control (identification, kind, owner, classification, review); its versions are kept separately';
COMMENT ON COLUMN isms.document.code IS 'Document identifier, such as ISMS-POL-001, unique in the organisation (7.5.2 a)';
COMMENT ON COLUMN isms.document.kind IS 'policy, procedure, standard, guideline, plan, record, form or other';
COMMENT ON COLUMN isms.document.title IS 'Title of the document (7.5.2 a)';
COMMENT ON COLUMN isms.document.classification IS 'Information classification (A.5.12): public, internal, confidential or restricted';
COMMENT ON COLUMN isms.document.origin IS 'internal, or external origin (7.5.3)';
COMMENT ON COLUMN isms.document.framework IS 'Framework of clause';
COMMENT ON COLUMN isms.document.clause IS 'Clause whose mandatory documented information this document provides, such as 6.1.2';
COMMENT ON COLUMN isms.document.status IS 'Follows its versions (isms.document_version): draft, in_review or approved while the first version is prepared; published; under_revision (a version in force and a newer one open); retired';

------------------------------------------------------------------------------
-- 5.2 Policy, 5.3 Roles

CREATE TABLE isms.policy (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    title       text NOT NULL CONSTRAINT policy_title_given CHECK (btrim(title) <> ''),
    kind        text NOT NULL DEFAULT 'topic_specific'
                CONSTRAINT policy_kind_values CHECK (kind IN ('information_security', 'topic_specific')),
    statement   text,
    document_id bigint,
    approved_by text,
    approved_at timestamptz,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT policy_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, document_id) REFERENCES isms.document (org_id, id),
    CONSTRAINT policy_approval_who_and_when
        CHECK ((approved_by IS NULL) = (approved_at IS NULL))
);
COMMENT ON TABLE isms.policy IS
    'Clause 5.2 and A.5.1: the information security policy and topic-specific policies, approved by top management';
COMMENT ON COLUMN isms.policy.title IS 'Title of the policy';
COMMENT ON COLUMN isms.policy.kind IS 'information_security (the policy of 5.2) or topic_specific (A.5.1)';
COMMENT ON COLUMN isms.policy.statement IS 'Summary of the policy''s commitments';
COMMENT ON COLUMN isms.policy.document_id IS 'Controlled document holding the policy text (7.5)';
COMMENT ON COLUMN isms.policy.approved_by IS 'Who approved the policy (top management, 5.1); with approved_at';
COMMENT ON COLUMN isms.policy.approved_at IS 'When the policy was approved; with approved_by';

CREATE TABLE isms.role_assignment (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    role        text NOT NULL CONSTRAINT role_assignment_role_given CHECK (btrim(role) <> ''),
    responsibility text NOT NULL CONSTRAINT role_assignment_responsibility_given CHECK (btrim(responsibility) <> ''),
    authority   text,
    assignee    text NOT NULL CONSTRAINT role_assignment_assignee_given CHECK (btrim(assignee) <> ''),
    assigned_on date NOT NULL DEFAULT current_date,
    ended_on    date,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT role_assignment_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT role_assignment_dates_in_order CHECK (ended_on >= assigned_on)
);
COMMENT ON TABLE isms.role_assignment IS
    'Clause 5.3 and A.5.2: roles relevant to information security, their responsibilities and authorities, and who holds them';
COMMENT ON COLUMN isms.role_assignment.role IS 'The role, such as ISMS manager or risk owner';
COMMENT ON COLUMN isms.role_assignment.responsibility IS 'Responsibilities of the role';
COMMENT ON COLUMN isms.role_assignment.authority IS 'Authorities of the role (5.3)';
COMMENT ON COLUMN isms.role_assignment.assignee IS 'Person who holds the role';
COMMENT ON COLUMN isms.role_assignment.assigned_on IS 'Date the assignment began';
COMMENT ON COLUMN isms.role_assignment.ended_on IS 'Date the assignment ended; not before assigned_on; NULL while current';

------------------------------------------------------------------------------
-- Assets (A.5.9), risk criteria and risks (6.1.2), treatment (6.1.3), SoA

CREATE TABLE isms.asset (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CONSTRAINT asset_name_given CHECK (btrim(name) <> ''),
    kind        text NOT NULL CONSTRAINT asset_kind_values
                CHECK (kind IN ('information', 'software', 'hardware', 'service', 'people', 'site', 'other')),
    classification text NOT NULL DEFAULT 'internal'
                CONSTRAINT asset_classification_values
                CHECK (classification IN ('public', 'internal', 'confidential', 'restricted')),
    description text,
    location    text,
    custodian   text,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT asset_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT asset_name_unique UNIQUE (org_id, name)
);
COMMENT ON TABLE isms.asset IS
    'Annex A 5.9 (for 6.1.2): inventory of information and other associated assets, with owner and classification';
COMMENT ON COLUMN isms.asset.name IS 'Name of the asset, unique in the organisation';
COMMENT ON COLUMN isms.asset.kind IS 'information, software, hardware, service, people, site or other';
COMMENT ON COLUMN isms.asset.classification IS 'Classification (A.5.12): public, internal, confidential or restricted';
COMMENT ON COLUMN isms.asset.description IS 'What the asset is';
COMMENT ON COLUMN isms.asset.location IS 'Where the asset is';
COMMENT ON COLUMN isms.asset.custodian IS 'Who operates or keeps the asset on the owner''s behalf';

CREATE TABLE isms.risk_scale (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    likelihood_levels smallint NOT NULL DEFAULT 5
                CONSTRAINT risk_scale_likelihood_levels_range CHECK (likelihood_levels BETWEEN 2 AND 10),
    impact_levels smallint NOT NULL DEFAULT 5
                CONSTRAINT risk_scale_impact_levels_range CHECK (impact_levels BETWEEN 2 AND 10),
    likelihood_labels text[],
    impact_labels text[],
    acceptance_threshold integer NOT NULL,
    method      text,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT risk_scale_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT risk_scale_one_per_org UNIQUE (org_id),
    CONSTRAINT risk_scale_likelihood_labels_count
        CHECK (cardinality(likelihood_labels) = likelihood_levels),
    CONSTRAINT risk_scale_impact_labels_count
        CHECK (cardinality(impact_labels) = impact_levels),
    CONSTRAINT risk_scale_threshold_range
        CHECK (acceptance_threshold BETWEEN 1 AND likelihood_levels * impact_levels)
);
COMMENT ON TABLE isms.risk_scale IS
    'Clause 6.1.2 a: the organisation''s risk criteria: likelihood and impact scales (1..levels), rating = likelihood x impact, and the acceptance threshold';
COMMENT ON COLUMN isms.risk_scale.likelihood_levels IS 'Number of likelihood levels (2-10); a risk''s likelihood is 1..likelihood_levels';
COMMENT ON COLUMN isms.risk_scale.impact_levels IS 'Number of impact levels (2-10); a risk''s impact is 1..impact_levels';
COMMENT ON COLUMN isms.risk_scale.likelihood_labels IS 'Labels of the likelihood levels, lowest first (as many as levels)';
COMMENT ON COLUMN isms.risk_scale.impact_labels IS 'Labels of the impact levels, lowest first (as many as levels)';
COMMENT ON COLUMN isms.risk_scale.acceptance_threshold IS 'Risk acceptance criterion (6.1.2 a 1): a rating at or below it may be accepted';
COMMENT ON COLUMN isms.risk_scale.method IS 'How risks are assessed, so that repeated assessments give consistent, valid and comparable results (6.1.2 b)';

CREATE TABLE isms.risk (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    title       text NOT NULL CONSTRAINT risk_title_given CHECK (btrim(title) <> ''),
    description text,
    asset_id    bigint,
    threat      text NOT NULL CONSTRAINT risk_threat_given CHECK (btrim(threat) <> ''),
    vulnerability text NOT NULL CONSTRAINT risk_vulnerability_given CHECK (btrim(vulnerability) <> ''),
    consequence text,
    inherent_likelihood smallint NOT NULL CONSTRAINT risk_inherent_likelihood_positive CHECK (inherent_likelihood >= 1),
    inherent_impact smallint NOT NULL CONSTRAINT risk_inherent_impact_positive CHECK (inherent_impact >= 1),
    inherent_rating integer GENERATED ALWAYS AS (inherent_likelihood * inherent_impact) STORED,
    residual_likelihood smallint CONSTRAINT risk_residual_likelihood_positive CHECK (residual_likelihood >= 1),
    residual_impact smallint CONSTRAINT risk_residual_impact_positive CHECK (residual_impact >= 1),
    residual_rating integer GENERATED ALWAYS AS (residual_likelihood * residual_impact) STORED,
    treatment   text CONSTRAINT risk_treatment_values CHECK (treatment IN ('modify', 'retain', 'avoid', 'share')),
    identified_on date NOT NULL DEFAULT current_date,
    accepted_by text,
    accepted_at timestamptz,
    accepted_until timestamptz,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT risk_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, asset_id) REFERENCES isms.asset (org_id, id),
    CONSTRAINT risk_scale_exists FOREIGN KEY (org_id) REFERENCES isms.risk_scale (org_id),
    CONSTRAINT risk_residual_both_or_neither
        CHECK ((residual_likelihood IS NULL) = (residual_impact IS NULL)),
    CONSTRAINT risk_acceptance_who_and_when
        CHECK ((accepted_by IS NULL) = (accepted_at IS NULL)),
    CONSTRAINT risk_acceptance_of_residual
        CHECK (accepted_at IS NULL OR residual_likelihood IS NOT NULL),
    CONSTRAINT risk_acceptance_until_after_acceptance
        CHECK (accepted_until IS NULL OR (accepted_at IS NOT NULL AND accepted_until > accepted_at))
);
CREATE INDEX risk_asset_idx ON isms.risk (org_id, asset_id);
COMMENT ON TABLE isms.risk IS
    'Clause 6.1.2 (and 8.2): information security risks: asset, threat, vulnerability, owner, likelihood and impact on the organisation''s isms.risk_scale, inherent and residual rating, acceptance';
COMMENT ON COLUMN isms.risk.title IS 'Short statement of the risk';
COMMENT ON COLUMN isms.risk.description IS 'Scenario of the risk';
COMMENT ON COLUMN isms.risk.asset_id IS 'Asset at risk (A.5.9), if one';
COMMENT ON COLUMN isms.risk.threat IS 'Threat that could exploit the vulnerability';
COMMENT ON COLUMN isms.risk.vulnerability IS 'Weakness the threat could exploit';
COMMENT ON COLUMN isms.risk.consequence IS 'Potential consequences if the risk materialises (6.1.2 d 1)';
COMMENT ON COLUMN isms.risk.inherent_likelihood IS 'Likelihood before treatment, 1..risk_scale.likelihood_levels (6.1.2 d 2)';
COMMENT ON COLUMN isms.risk.inherent_impact IS 'Impact before treatment, 1..risk_scale.impact_levels';
COMMENT ON COLUMN isms.risk.inherent_rating IS 'Level of risk before treatment: inherent_likelihood x inherent_impact (6.1.2 d 3)';
COMMENT ON COLUMN isms.risk.residual_likelihood IS 'Likelihood after treatment; with residual_impact';
COMMENT ON COLUMN isms.risk.residual_impact IS 'Impact after treatment; with residual_likelihood';
COMMENT ON COLUMN isms.risk.residual_rating IS 'Level of risk after treatment: residual_likelihood x residual_impact';
COMMENT ON COLUMN isms.risk.treatment IS 'Treatment option (6.1.3 a): modify, retain, avoid or share';
COMMENT ON COLUMN isms.risk.identified_on IS 'Date the risk was identified';
COMMENT ON COLUMN isms.risk.accepted_by IS 'Risk owner who accepted the residual risk (6.1.3 f); with accepted_at';
COMMENT ON COLUMN isms.risk.accepted_at IS 'When the residual risk was accepted; needs a residual rating';
COMMENT ON COLUMN isms.risk.accepted_until IS 'When the acceptance lapses and must be renewed; after accepted_at';

-- The likelihood and impact of a risk lie on its organisation's scale, and a
-- scale cannot shrink below the levels its risks use.
CREATE FUNCTION isms.risk_within_scale() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    s isms.risk_scale;
    bad bigint;
BEGIN
    IF TG_TABLE_NAME = 'risk' THEN
        SELECT * INTO s FROM isms.risk_scale WHERE org_id = NEW.org_id;
        IF NOT FOUND THEN
            RETURN NEW;                 -- the foreign key risk_scale_exists reports it
        END IF;
        IF NEW.inherent_likelihood > s.likelihood_levels
           OR NEW.residual_likelihood > s.likelihood_levels
           OR NEW.inherent_impact > s.impact_levels
           OR NEW.residual_impact > s.impact_levels THEN
            RAISE EXCEPTION 'risk "%" is off the risk scale of organisation %', NEW.title, NEW.org_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'risk_within_scale',
                      TABLE = 'risk', SCHEMA = 'isms',
                      DETAIL = format('Likelihood %s/%s and impact %s/%s; the scale has %s likelihood and %s impact levels.',
                                      NEW.inherent_likelihood, coalesce(NEW.residual_likelihood::text, '-'),
                                      NEW.inherent_impact, coalesce(NEW.residual_impact::text, '-'),
                                      s.likelihood_levels, s.impact_levels),
                      HINT = 'Use levels from 1 to the number of levels of isms.risk_scale.';
        END IF;
    ELSE
        SELECT r.id INTO bad FROM isms.risk r
         WHERE r.org_id = NEW.org_id
           AND (r.inherent_likelihood > NEW.likelihood_levels
                OR r.residual_likelihood > NEW.likelihood_levels
                OR r.inherent_impact > NEW.impact_levels
                OR r.residual_impact > NEW.impact_levels)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'risk scale of organisation % cannot shrink below the levels its risks use', NEW.org_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'risk_within_scale',
                      TABLE = 'risk_scale', SCHEMA = 'isms',
                      DETAIL = format('Risk %s uses a level above %s likelihood or %s impact levels.',
                                      bad, NEW.likelihood_levels, NEW.impact_levels),
                      HINT = 'Reassess those risks on the new scale first.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.risk_within_scale() IS
    'Trigger: risk likelihood and impact lie within the organisation''s isms.risk_scale (23514)';
REVOKE ALL ON FUNCTION isms.risk_within_scale() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.risk_within_scale() TO isms_reader;
CREATE TRIGGER risk_within_scale
    BEFORE INSERT OR UPDATE OF org_id, inherent_likelihood, inherent_impact, residual_likelihood, residual_impact
    ON isms.risk FOR EACH ROW EXECUTE FUNCTION isms.risk_within_scale();
CREATE TRIGGER risk_within_scale
    BEFORE UPDATE OF likelihood_levels, impact_levels
    ON isms.risk_scale FOR EACH ROW EXECUTE FUNCTION isms.risk_within_scale();

CREATE TABLE isms.treatment_plan (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    risk_id     bigint NOT NULL,
    title       text NOT NULL CONSTRAINT treatment_plan_title_given CHECK (btrim(title) <> ''),
    action      text NOT NULL CONSTRAINT treatment_plan_action_given CHECK (btrim(action) <> ''),
    resources   text,
    due_on      date,
    completed_at timestamptz,
    approved_by text,
    approved_at timestamptz,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT treatment_plan_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    status      text NOT NULL DEFAULT 'planned',
    cycle       integer NOT NULL DEFAULT 1 CONSTRAINT treatment_plan_cycle_positive CHECK (cycle >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, risk_id) REFERENCES isms.risk (org_id, id),
    CONSTRAINT treatment_plan_approval_who_and_when
        CHECK ((approved_by IS NULL) = (approved_at IS NULL))
);
CREATE INDEX treatment_plan_risk_idx ON isms.treatment_plan (org_id, risk_id);
COMMENT ON TABLE isms.treatment_plan IS
    'Clause 6.1.3 e, f (and 8.3): risk treatment plans, approved by the risk owner';
COMMENT ON COLUMN isms.treatment_plan.risk_id IS 'Risk the plan treats';
COMMENT ON COLUMN isms.treatment_plan.title IS 'Short name of the plan';
COMMENT ON COLUMN isms.treatment_plan.action IS 'What will be done';
COMMENT ON COLUMN isms.treatment_plan.resources IS 'Resources required (6.2 f style planning)';
COMMENT ON COLUMN isms.treatment_plan.due_on IS 'Date the treatment is due';
COMMENT ON COLUMN isms.treatment_plan.completed_at IS 'When the treatment was completed';
COMMENT ON COLUMN isms.treatment_plan.approved_by IS 'Risk owner who approved the plan (6.1.3 f); with approved_at';
COMMENT ON COLUMN isms.treatment_plan.approved_at IS 'When the plan was approved; with approved_by';

CREATE TABLE isms.risk_control (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    risk_id     bigint NOT NULL,
    framework   text NOT NULL DEFAULT 'iso27001-2022',
    control     isms.ref NOT NULL,
    treatment_plan_id bigint,
    rationale   text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, risk_id) REFERENCES isms.risk (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, treatment_plan_id) REFERENCES isms.treatment_plan (org_id, id),
    FOREIGN KEY (framework, control) REFERENCES isms.requirement (framework, ref),
    CONSTRAINT risk_control_is_annex_control CHECK (control::text ~ '^[A-Z]\.'),
    CONSTRAINT risk_control_unique UNIQUE (org_id, risk_id, framework, control)
);
CREATE INDEX risk_control_control_idx ON isms.risk_control (org_id, framework, control);
COMMENT ON TABLE isms.risk_control IS
    'Clause 6.1.3 b, c: the Annex A controls chosen to treat each risk';
COMMENT ON COLUMN isms.risk_control.risk_id IS 'Risk treated';
COMMENT ON COLUMN isms.risk_control.framework IS 'Framework of the control';
COMMENT ON COLUMN isms.risk_control.control IS 'Annex A control, such as A.8.13';
COMMENT ON COLUMN isms.risk_control.treatment_plan_id IS 'Treatment plan that implements the control for this risk, if any';
COMMENT ON COLUMN isms.risk_control.rationale IS 'How the control modifies the risk';

CREATE TABLE isms.soa_entry (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    framework   text NOT NULL DEFAULT 'iso27001-2022',
    control     isms.ref NOT NULL,
    applicable  boolean NOT NULL,
    justification text,
    implementation_status text NOT NULL DEFAULT 'not_implemented'
                CONSTRAINT soa_entry_implementation_status_values
                CHECK (implementation_status IN ('not_implemented', 'planned', 'partially_implemented', 'implemented')),
    owner       text NOT NULL,
    review_interval interval CONSTRAINT soa_entry_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (framework, control) REFERENCES isms.requirement (framework, ref),
    CONSTRAINT soa_entry_is_annex_control CHECK (control::text ~ '^[A-Z]\.'),
    CONSTRAINT soa_entry_unique UNIQUE (org_id, framework, control),
    CONSTRAINT soa_entry_justification_of_exclusion
        CHECK (applicable OR coalesce(btrim(justification), '') <> ''),
    CONSTRAINT soa_entry_justification_meaningful
        CHECK (justification IS NULL OR isms.is_meaningful(justification, 10))
);
COMMENT ON TABLE isms.soa_entry IS
    'Clause 6.1.3 d: Statement of Applicability: each Annex A control (a control, not a theme), whether it applies, the justification of its inclusion or exclusion (required, at least 10 characters and not a placeholder), and its implementation status; linked risks via isms.risk_control (a control a risk treatment uses cannot be excluded)';
COMMENT ON COLUMN isms.soa_entry.framework IS 'Framework of the control';
COMMENT ON COLUMN isms.soa_entry.control IS 'Annex A control, such as A.5.24; one entry per organisation and control';
COMMENT ON COLUMN isms.soa_entry.applicable IS 'True when the control is included, false when excluded';
COMMENT ON COLUMN isms.soa_entry.justification IS 'Justification of the inclusion or exclusion (6.1.3 d); required, at least 10 characters, not a placeholder such as - or n/a';
COMMENT ON COLUMN isms.soa_entry.implementation_status IS 'not_implemented, planned, partially_implemented or implemented';

-- The Statement of Applicability justifies each new or changed decision,
-- inclusion or exclusion (rows kept from before 0.2.0 may lack the
-- justification of an inclusion until they are changed), decides on
-- controls, not on themes (A.5 is a theme, A.5.1 a control), and cannot exclude a control that a risk
-- treatment uses (isms.risk_control); nor can a risk treatment use a control
-- the organisation's SoA excludes.  A superuser's write is trusted (a
-- restore, or rows kept from before these rules).
CREATE FUNCTION isms.soa_entry_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    kind text;
    used text;
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       OR NOT NEW.org_id = ANY (isms.member_orgs()) THEN
        RETURN NEW;                     -- trusted, or refused by row-level security
    END IF;
    IF NOT isms.is_meaningful(NEW.justification, 10)
       AND (TG_OP = 'INSERT' OR NEW.applicable IS DISTINCT FROM OLD.applicable
            OR NEW.justification IS DISTINCT FROM OLD.justification) THEN
        RAISE EXCEPTION 'SoA entry for % of organisation % has no justification', NEW.control, NEW.org_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'soa_entry_justification_required',
                  TABLE = 'soa_entry', SCHEMA = 'isms',
                  DETAIL = format('The control is %s; its justification is %s.',
                                  CASE WHEN NEW.applicable THEN 'included' ELSE 'excluded' END,
                                  coalesce(quote_literal(NEW.justification), 'missing')),
                  HINT = 'Clause 6.1.3 d asks why each control is included or excluded: record it (at least 10 characters, not "-" or "n/a").';
    END IF;
    SELECT CASE WHEN r.assessable THEN r.kind ELSE r.kind || ' that is not assessable' END INTO kind
      FROM isms.requirement r WHERE r.framework = NEW.framework AND r.ref = NEW.control;
    IF kind IS NULL THEN
        RAISE EXCEPTION 'SoA entry for % of organisation %: % is not a control of %', NEW.control, NEW.org_id,
                        NEW.control, NEW.framework
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'soa_entry_framework_control_fkey',
                  TABLE = 'soa_entry', SCHEMA = 'isms',
                  DETAIL = format('The catalog (isms.requirement) of %s has no clause or control %s.', NEW.framework, NEW.control),
                  HINT = format('Use a control the catalog lists: SELECT ref, title FROM isms.requirement WHERE framework = %L AND kind = ''control'' ORDER BY ref.', NEW.framework);
    END IF;
    IF kind IS DISTINCT FROM 'control' THEN
        RAISE EXCEPTION 'SoA entry for % of organisation % is not on a control', NEW.control, NEW.org_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'soa_entry_on_control',
                  TABLE = 'soa_entry', SCHEMA = 'isms',
                  DETAIL = format('%s of %s is a %s, not a control.', NEW.control, NEW.framework, coalesce(kind, 'requirement')),
                  HINT = 'Decide the applicability of each control of the theme, such as A.5.1, not of the theme.';
    END IF;
    IF NOT NEW.applicable THEN
        SELECT string_agg(format('risk %s', rc.risk_id), ', ' ORDER BY rc.risk_id) INTO used
          FROM isms.risk_control rc
         WHERE rc.org_id = NEW.org_id AND rc.framework = NEW.framework AND rc.control = NEW.control;
        IF used IS NOT NULL THEN
            RAISE EXCEPTION 'control % cannot be excluded from the Statement of Applicability of organisation %: a risk treatment uses it',
                            NEW.control, NEW.org_id
                USING ERRCODE = 'IS070',
                      DETAIL = format('isms.risk_control names %s for %s.', NEW.control, used),
                      HINT = 'Remove the control from those risks'' treatment (isms.risk_control) first, or keep it applicable.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.soa_entry_check() IS
    'Trigger: a new or changed SoA entry has a meaningful justification and is on a control of the catalog (23503 naming the value), not a theme (23514), and excludes no control a risk treatment uses (IS070)';
REVOKE ALL ON FUNCTION isms.soa_entry_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.soa_entry_check() TO isms_reader;
CREATE TRIGGER soa_entry_check
    BEFORE INSERT OR UPDATE OF org_id, framework, control, applicable, justification ON isms.soa_entry
    FOR EACH ROW EXECUTE FUNCTION isms.soa_entry_check();

CREATE FUNCTION isms.risk_control_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    kind text;
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       OR NOT NEW.org_id = ANY (isms.member_orgs()) THEN
        RETURN NEW;                     -- trusted, or refused by row-level security
    END IF;
    SELECT CASE WHEN r.assessable THEN r.kind ELSE r.kind || ' that is not assessable' END INTO kind
      FROM isms.requirement r WHERE r.framework = NEW.framework AND r.ref = NEW.control;
    IF kind IS NULL THEN
        RAISE EXCEPTION 'risk % of organisation % cannot be treated by %: % is not a control of %', NEW.risk_id, NEW.org_id,
                        NEW.control, NEW.control, NEW.framework
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'risk_control_framework_control_fkey',
                  TABLE = 'risk_control', SCHEMA = 'isms',
                  DETAIL = format('The catalog (isms.requirement) of %s has no clause or control %s.', NEW.framework, NEW.control),
                  HINT = format('Use a control the catalog lists: SELECT ref, title FROM isms.requirement WHERE framework = %L AND kind = ''control'' ORDER BY ref.', NEW.framework);
    END IF;
    IF kind IS DISTINCT FROM 'control' THEN
        RAISE EXCEPTION 'risk % of organisation % cannot be treated by %: it is not a control', NEW.risk_id, NEW.org_id, NEW.control
            USING ERRCODE = 'check_violation', CONSTRAINT = 'risk_control_on_control',
                  TABLE = 'risk_control', SCHEMA = 'isms',
                  DETAIL = format('%s of %s is a %s, not a control.', NEW.control, NEW.framework, coalesce(kind, 'requirement')),
                  HINT = 'Name a control, such as A.5.1, not a theme.';
    END IF;
    IF EXISTS (SELECT 1 FROM isms.soa_entry e
                WHERE e.org_id = NEW.org_id AND e.framework = NEW.framework AND e.control = NEW.control
                  AND NOT e.applicable) THEN
        RAISE EXCEPTION 'risk % of organisation % cannot be treated by %: the Statement of Applicability excludes it',
                        NEW.risk_id, NEW.org_id, NEW.control
            USING ERRCODE = 'IS070',
                  DETAIL = format('The SoA entry for %s is not applicable.', NEW.control),
                  HINT = 'Include the control in the Statement of Applicability (with its justification) first, or choose another control.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.risk_control_check() IS
    'Trigger: a risk treatment uses a control of the catalog (23503 naming the value), not a theme (23514), that the organisation''s Statement of Applicability does not exclude (IS070)';
REVOKE ALL ON FUNCTION isms.risk_control_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.risk_control_check() TO isms_reader;
CREATE TRIGGER risk_control_check
    BEFORE INSERT OR UPDATE OF org_id, framework, control ON isms.risk_control
    FOR EACH ROW EXECUTE FUNCTION isms.risk_control_check();

------------------------------------------------------------------------------
-- 6.2 Objectives, 9.1 measurements

CREATE TABLE isms.objective (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    title       text NOT NULL CONSTRAINT objective_title_given CHECK (btrim(title) <> ''),
    description text,
    policy_id   bigint,
    target      numeric NOT NULL,
    unit        text NOT NULL CONSTRAINT objective_unit_given CHECK (btrim(unit) <> ''),
    direction   text NOT NULL CONSTRAINT objective_direction_values CHECK (direction IN ('at_least', 'at_most')),
    baseline    numeric,
    resources   text,
    due_on      date,
    evaluation_method text,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT objective_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    status      text NOT NULL DEFAULT 'planned',
    cycle       integer NOT NULL DEFAULT 1 CONSTRAINT objective_cycle_positive CHECK (cycle >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, policy_id) REFERENCES isms.policy (org_id, id)
);
COMMENT ON TABLE isms.objective IS
    'Clause 6.2: measurable information security objectives and the plan to achieve them (what, resources, who, when, how evaluated)';
COMMENT ON COLUMN isms.objective.title IS 'The objective (6.2 b: measurable)';
COMMENT ON COLUMN isms.objective.description IS 'What will be done (6.2 e)';
COMMENT ON COLUMN isms.objective.policy_id IS 'Policy the objective is consistent with (6.2 a)';
COMMENT ON COLUMN isms.objective.target IS 'Target value of the measure';
COMMENT ON COLUMN isms.objective.unit IS 'Unit of the target and measurements, such as %, days, count';
COMMENT ON COLUMN isms.objective.direction IS 'at_least: met when a measurement >= target; at_most: met when <= target';
COMMENT ON COLUMN isms.objective.baseline IS 'Value when the objective was set';
COMMENT ON COLUMN isms.objective.resources IS 'Resources required (6.2 f)';
COMMENT ON COLUMN isms.objective.due_on IS 'When it will be completed (6.2 h)';
COMMENT ON COLUMN isms.objective.evaluation_method IS 'How the results will be evaluated (6.2 i)';

CREATE TABLE isms.objective_measurement (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    objective_id bigint NOT NULL,
    measured_at timestamptz NOT NULL,
    value       numeric NOT NULL,
    measured_by text NOT NULL DEFAULT isms.current_actor(),
    method      text,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, objective_id) REFERENCES isms.objective (org_id, id),
    CONSTRAINT objective_measurement_unique UNIQUE (org_id, objective_id, measured_at)
);
COMMENT ON TABLE isms.objective_measurement IS
    'Clause 9.1: monitoring and measurement results against an objective''s target';
COMMENT ON COLUMN isms.objective_measurement.objective_id IS 'Objective measured';
COMMENT ON COLUMN isms.objective_measurement.measured_at IS 'When the measurement was taken (9.1 c); one per objective and instant';
COMMENT ON COLUMN isms.objective_measurement.value IS 'Measured value, in the objective''s unit';
COMMENT ON COLUMN isms.objective_measurement.measured_by IS 'Who measured (9.1 d)';
COMMENT ON COLUMN isms.objective_measurement.method IS 'Method of measurement (9.1 b)';
COMMENT ON COLUMN isms.objective_measurement.note IS 'Analysis or remarks (9.1 f)';

------------------------------------------------------------------------------
-- 6.3 Planned changes

CREATE TABLE isms.planned_change (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    title       text NOT NULL CONSTRAINT planned_change_title_given CHECK (btrim(title) <> ''),
    description text,
    purpose     text NOT NULL CONSTRAINT planned_change_purpose_given CHECK (btrim(purpose) <> ''),
    impact_assessment text,
    planned_on  date,
    implemented_at timestamptz,
    owner       text NOT NULL,
    status      text NOT NULL DEFAULT 'proposed',
    cycle       integer NOT NULL DEFAULT 1 CONSTRAINT planned_change_cycle_positive CHECK (cycle >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id)
);
COMMENT ON TABLE isms.planned_change IS
    'Clause 6.3: changes to the ISMS, carried out in a planned manner';
COMMENT ON COLUMN isms.planned_change.title IS 'The change';
COMMENT ON COLUMN isms.planned_change.description IS 'What changes';
COMMENT ON COLUMN isms.planned_change.purpose IS 'Why the change is made';
COMMENT ON COLUMN isms.planned_change.impact_assessment IS 'Consequences of the change on the ISMS and its controls';
COMMENT ON COLUMN isms.planned_change.planned_on IS 'Date the change is planned for';
COMMENT ON COLUMN isms.planned_change.implemented_at IS 'When the change was implemented';
COMMENT ON COLUMN isms.planned_change.owner IS 'Person accountable for the change';

------------------------------------------------------------------------------
-- 7.2 Competence, 7.3 Awareness

CREATE TABLE isms.competence (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    role        text NOT NULL CONSTRAINT competence_role_given CHECK (btrim(role) <> ''),
    competence  text NOT NULL CONSTRAINT competence_competence_given CHECK (btrim(competence) <> ''),
    description text,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT competence_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT competence_unique UNIQUE (org_id, role, competence)
);
COMMENT ON TABLE isms.competence IS
    'Clause 7.2 a: the competence required of people doing work that affects information security performance, by role';
COMMENT ON COLUMN isms.competence.role IS 'Role or function that needs the competence';
COMMENT ON COLUMN isms.competence.competence IS 'Required competence (education, training or experience)';
COMMENT ON COLUMN isms.competence.description IS 'How the competence is demonstrated';

CREATE TABLE isms.training_record (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    person      text NOT NULL CONSTRAINT training_record_person_given CHECK (btrim(person) <> ''),
    competence_id bigint,
    activity    text NOT NULL CONSTRAINT training_record_activity_given CHECK (btrim(activity) <> ''),
    kind        text NOT NULL DEFAULT 'training'
                CONSTRAINT training_record_kind_values
                CHECK (kind IN ('training', 'awareness', 'education', 'experience', 'mentoring')),
    completed_on date NOT NULL,
    valid_until date,
    result      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, competence_id) REFERENCES isms.competence (org_id, id),
    CONSTRAINT training_record_dates_in_order CHECK (valid_until > completed_on)
);
CREATE INDEX training_record_competence_idx ON isms.training_record (org_id, competence_id);
COMMENT ON TABLE isms.training_record IS
    'Clauses 7.2 c, d and 7.3: evidence of competence: training, awareness, education and experience of each person';
COMMENT ON COLUMN isms.training_record.person IS 'Person trained';
COMMENT ON COLUMN isms.training_record.competence_id IS 'Required competence the activity provides, if any';
COMMENT ON COLUMN isms.training_record.activity IS 'Course, session or experience';
COMMENT ON COLUMN isms.training_record.kind IS 'training, awareness (7.3), education, experience or mentoring';
COMMENT ON COLUMN isms.training_record.completed_on IS 'Date completed';
COMMENT ON COLUMN isms.training_record.valid_until IS 'Date the competence must be refreshed; after completed_on';
COMMENT ON COLUMN isms.training_record.result IS 'Outcome or effectiveness of the action (7.2 c)';

------------------------------------------------------------------------------
-- 7.4 Communication

CREATE TABLE isms.communication (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    subject     text NOT NULL CONSTRAINT communication_subject_given CHECK (btrim(subject) <> ''),
    audience    text NOT NULL CONSTRAINT communication_audience_given CHECK (btrim(audience) <> ''),
    direction   text NOT NULL DEFAULT 'internal'
                CONSTRAINT communication_direction_values CHECK (direction IN ('internal', 'external')),
    frequency   text NOT NULL CONSTRAINT communication_frequency_given CHECK (btrim(frequency) <> ''),
    communicator text NOT NULL CONSTRAINT communication_communicator_given CHECK (btrim(communicator) <> ''),
    channel     text NOT NULL CONSTRAINT communication_channel_given CHECK (btrim(channel) <> ''),
    party_id    bigint,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT communication_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, party_id) REFERENCES isms.interested_party (org_id, id)
);
COMMENT ON TABLE isms.communication IS
    'Clause 7.4: planned internal and external communications: on what, when, with whom, by whom and how';
COMMENT ON COLUMN isms.communication.subject IS 'On what to communicate (7.4 a)';
COMMENT ON COLUMN isms.communication.audience IS 'With whom (7.4 c)';
COMMENT ON COLUMN isms.communication.direction IS 'internal or external';
COMMENT ON COLUMN isms.communication.frequency IS 'When to communicate (7.4 b), such as quarterly or on change';
COMMENT ON COLUMN isms.communication.communicator IS 'Who communicates (7.4 d)';
COMMENT ON COLUMN isms.communication.channel IS 'How: the process or channel (7.4 e)';
COMMENT ON COLUMN isms.communication.party_id IS 'Interested party addressed, if one';

------------------------------------------------------------------------------
-- 9.2 Internal audit

CREATE TABLE isms.audit_programme (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    title       text NOT NULL CONSTRAINT audit_programme_title_given CHECK (btrim(title) <> ''),
    period_start date NOT NULL,
    period_end  date NOT NULL,
    objectives  text,
    frequency   text,
    methods     text,
    criteria    text,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT audit_programme_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT audit_programme_period_in_order CHECK (period_end >= period_start)
);
COMMENT ON TABLE isms.audit_programme IS
    'Clause 9.2.2: the internal audit programme: frequency, methods, responsibilities, planning and reporting over a period';
COMMENT ON COLUMN isms.audit_programme.title IS 'Name of the programme';
COMMENT ON COLUMN isms.audit_programme.period_start IS 'First day the programme covers';
COMMENT ON COLUMN isms.audit_programme.period_end IS 'Last day the programme covers; not before period_start';
COMMENT ON COLUMN isms.audit_programme.objectives IS 'Objectives of the programme';
COMMENT ON COLUMN isms.audit_programme.frequency IS 'Frequency of audits';
COMMENT ON COLUMN isms.audit_programme.methods IS 'Audit methods';
COMMENT ON COLUMN isms.audit_programme.criteria IS 'General audit criteria';

CREATE TABLE isms.audit (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    programme_id bigint NOT NULL,
    title       text NOT NULL CONSTRAINT audit_title_given CHECK (btrim(title) <> ''),
    scope       text NOT NULL CONSTRAINT audit_scope_given CHECK (btrim(scope) <> ''),
    criteria    text NOT NULL CONSTRAINT audit_criteria_given CHECK (btrim(criteria) <> ''),
    lead_auditor text NOT NULL CONSTRAINT audit_lead_auditor_given CHECK (btrim(lead_auditor) <> ''),
    auditors    text[],
    auditee     text,
    planned_start date NOT NULL,
    planned_end date NOT NULL,
    conducted_start date,
    conducted_end date,
    summary     text,
    status      text NOT NULL DEFAULT 'planned',
    cycle       integer NOT NULL DEFAULT 1 CONSTRAINT audit_cycle_positive CHECK (cycle >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, programme_id) REFERENCES isms.audit_programme (org_id, id),
    CONSTRAINT audit_planned_in_order CHECK (planned_end >= planned_start),
    CONSTRAINT audit_conducted_in_order CHECK (conducted_end >= conducted_start),
    CONSTRAINT audit_conducted_end_needs_start CHECK (conducted_end IS NULL OR conducted_start IS NOT NULL),
    CONSTRAINT audit_auditor_not_auditee CHECK (auditee IS NULL OR lead_auditor <> auditee)
);
CREATE INDEX audit_programme_idx ON isms.audit (org_id, programme_id);
COMMENT ON TABLE isms.audit IS
    'Clause 9.2: internal audits of the programme, each with its criteria and scope and an objective, impartial auditor';
COMMENT ON COLUMN isms.audit.programme_id IS 'Audit programme the audit belongs to (9.2.2)';
COMMENT ON COLUMN isms.audit.title IS 'Name of the audit';
COMMENT ON COLUMN isms.audit.scope IS 'Audit scope (9.2.2 a)';
COMMENT ON COLUMN isms.audit.criteria IS 'Audit criteria (9.2.2 a)';
COMMENT ON COLUMN isms.audit.lead_auditor IS 'Lead auditor; not the auditee (objectivity, 9.2.2 b)';
COMMENT ON COLUMN isms.audit.auditors IS 'Other members of the audit team';
COMMENT ON COLUMN isms.audit.auditee IS 'Person or function audited';
COMMENT ON COLUMN isms.audit.planned_start IS 'Planned first day';
COMMENT ON COLUMN isms.audit.planned_end IS 'Planned last day; not before planned_start';
COMMENT ON COLUMN isms.audit.conducted_start IS 'Actual first day';
COMMENT ON COLUMN isms.audit.conducted_end IS 'Actual last day; not before conducted_start';
COMMENT ON COLUMN isms.audit.summary IS 'Audit conclusion reported to management (9.2.2 c)';

------------------------------------------------------------------------------
-- Annex A 5.24-5.28 Incidents

CREATE TABLE isms.incident (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    title       text NOT NULL CONSTRAINT incident_title_given CHECK (btrim(title) <> ''),
    description text,
    category    text,
    severity    text NOT NULL CONSTRAINT incident_severity_values CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    is_security_incident boolean,
    asset_id    bigint,
    occurred_at timestamptz,
    detected_at timestamptz NOT NULL,
    reported_at timestamptz NOT NULL DEFAULT now(),
    reported_by text NOT NULL DEFAULT isms.current_actor(),
    response    text,
    resolved_at timestamptz,
    lessons_learned text,
    owner       text NOT NULL,
    status      text NOT NULL DEFAULT 'reported',
    cycle       integer NOT NULL DEFAULT 1 CONSTRAINT incident_cycle_positive CHECK (cycle >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, asset_id) REFERENCES isms.asset (org_id, id),
    CONSTRAINT incident_detected_after_occurred CHECK (detected_at >= occurred_at),
    CONSTRAINT incident_reported_after_detected CHECK (reported_at >= detected_at),
    CONSTRAINT incident_resolved_after_detected CHECK (resolved_at >= detected_at)
);
COMMENT ON TABLE isms.incident IS
    'Annex A 5.24-5.28: information security events and incidents: assessment, response, lessons learned (evidence in isms.evidence)';
COMMENT ON COLUMN isms.incident.title IS 'Short description of the event';
COMMENT ON COLUMN isms.incident.description IS 'What happened';
COMMENT ON COLUMN isms.incident.category IS 'Free classification, such as malware, phishing, data leak, outage';
COMMENT ON COLUMN isms.incident.severity IS 'low, medium, high or critical';
COMMENT ON COLUMN isms.incident.is_security_incident IS 'Assessment of the event (A.5.25): true for an incident, false for an event only, NULL until assessed';
COMMENT ON COLUMN isms.incident.asset_id IS 'Main asset affected, if one';
COMMENT ON COLUMN isms.incident.occurred_at IS 'When it happened, if known; not after detected_at';
COMMENT ON COLUMN isms.incident.detected_at IS 'When it was detected';
COMMENT ON COLUMN isms.incident.reported_at IS 'When it was reported (A.6.8); not before detected_at';
COMMENT ON COLUMN isms.incident.reported_by IS 'Who reported it';
COMMENT ON COLUMN isms.incident.response IS 'Response taken (A.5.26)';
COMMENT ON COLUMN isms.incident.resolved_at IS 'When it was resolved; not before detected_at';
COMMENT ON COLUMN isms.incident.lessons_learned IS 'Knowledge gained to reduce likelihood or impact of future incidents (A.5.27)';
COMMENT ON COLUMN isms.incident.owner IS 'Incident handler accountable for the response';

------------------------------------------------------------------------------
-- 10.2 Nonconformity and corrective action

CREATE TABLE isms.nonconformity (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    title       text NOT NULL CONSTRAINT nonconformity_title_given CHECK (btrim(title) <> ''),
    description text NOT NULL CONSTRAINT nonconformity_description_given CHECK (btrim(description) <> ''),
    framework   text NOT NULL DEFAULT 'iso27001-2022',
    requirement isms.ref,
    source      text NOT NULL CONSTRAINT nonconformity_source_values
                CHECK (source IN ('internal_audit', 'external_audit', 'incident', 'management_review',
                                  'monitoring', 'complaint', 'other')),
    finding_id  bigint,
    incident_id bigint,
    severity    text CONSTRAINT nonconformity_severity_values CHECK (severity IN ('major', 'minor')),
    detected_at timestamptz NOT NULL DEFAULT now(),
    reaction    text,
    closed_at   timestamptz,
    no_action_needed boolean NOT NULL DEFAULT false,
    no_action_justification text,
    owner       text NOT NULL,
    status      text NOT NULL DEFAULT 'reported',
    cycle       integer NOT NULL DEFAULT 1 CONSTRAINT nonconformity_cycle_positive CHECK (cycle >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (framework, requirement) REFERENCES isms.requirement (framework, ref),
    FOREIGN KEY (org_id, incident_id) REFERENCES isms.incident (org_id, id),
    CONSTRAINT nonconformity_closed_after_detected CHECK (closed_at >= detected_at),
    CONSTRAINT nonconformity_no_action_justified
        CHECK (NOT no_action_needed OR isms.is_meaningful(no_action_justification, 10))
);
COMMENT ON TABLE isms.nonconformity IS
    'Clause 10.2: nonconformities: the requirement not fulfilled, where it was found, the reaction to control and correct it';
COMMENT ON COLUMN isms.nonconformity.title IS 'Short statement of the nonconformity';
COMMENT ON COLUMN isms.nonconformity.description IS 'Nature of the nonconformity (10.2 f)';
COMMENT ON COLUMN isms.nonconformity.framework IS 'Framework of requirement';
COMMENT ON COLUMN isms.nonconformity.requirement IS 'Clause or control not fulfilled, such as 9.3 or A.8.13';
COMMENT ON COLUMN isms.nonconformity.source IS 'internal_audit, external_audit, incident, management_review, monitoring, complaint or other';
COMMENT ON COLUMN isms.nonconformity.finding_id IS 'Audit finding the nonconformity was raised from (isms.audit_finding of the same organisation); the finding links back by its foreign key nonconformity_id';
COMMENT ON COLUMN isms.nonconformity.incident_id IS 'Incident that revealed it, if any';
COMMENT ON COLUMN isms.nonconformity.severity IS 'major or minor';
COMMENT ON COLUMN isms.nonconformity.detected_at IS 'When it was detected';
COMMENT ON COLUMN isms.nonconformity.reaction IS 'Immediate action to control and correct it and deal with the consequences (10.2 a)';
COMMENT ON COLUMN isms.nonconformity.closed_at IS 'When it was closed; not before detected_at';
COMMENT ON COLUMN isms.nonconformity.no_action_needed IS 'The recorded decision that no corrective action is needed (10.2 b: evaluate the need for action); lets the nonconformity close without an action checked effective';
COMMENT ON COLUMN isms.nonconformity.no_action_justification IS 'Why no corrective action is needed; required with no_action_needed, at least 10 characters, not a placeholder';

CREATE TABLE isms.audit_finding (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    audit_id    bigint NOT NULL,
    finding_type text NOT NULL CONSTRAINT audit_finding_finding_type_values
                CHECK (finding_type IN ('nonconformity', 'observation', 'opportunity')),
    framework   text NOT NULL DEFAULT 'iso27001-2022',
    requirement isms.ref,
    statement   text NOT NULL CONSTRAINT audit_finding_statement_given CHECK (btrim(statement) <> ''),
    audit_evidence text,
    severity    text CONSTRAINT audit_finding_severity_values CHECK (severity IN ('major', 'minor')),
    nonconformity_id bigint,
    raised_by   text NOT NULL DEFAULT isms.current_actor(),
    status      text NOT NULL DEFAULT 'raised',
    cycle       integer NOT NULL DEFAULT 1 CONSTRAINT audit_finding_cycle_positive CHECK (cycle >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, audit_id) REFERENCES isms.audit (org_id, id),
    FOREIGN KEY (framework, requirement) REFERENCES isms.requirement (framework, ref),
    FOREIGN KEY (org_id, nonconformity_id) REFERENCES isms.nonconformity (org_id, id),
    CONSTRAINT audit_finding_nonconformity_has_requirement
        CHECK (finding_type <> 'nonconformity' OR requirement IS NOT NULL),
    CONSTRAINT audit_finding_severity_of_nonconformity
        CHECK (severity IS NULL OR finding_type = 'nonconformity'),
    CONSTRAINT audit_finding_nonconformity_link
        CHECK (nonconformity_id IS NULL OR finding_type = 'nonconformity')
);
CREATE INDEX audit_finding_audit_idx ON isms.audit_finding (org_id, audit_id);
CREATE INDEX audit_finding_nonconformity_idx ON isms.audit_finding (org_id, nonconformity_id);
COMMENT ON TABLE isms.audit_finding IS
    'Clause 9.2: audit findings (nonconformity, observation or opportunity for improvement) against a requirement';
COMMENT ON COLUMN isms.audit_finding.audit_id IS 'Audit that raised the finding';
COMMENT ON COLUMN isms.audit_finding.finding_type IS 'nonconformity, observation or opportunity (for improvement)';
COMMENT ON COLUMN isms.audit_finding.framework IS 'Framework of requirement';
COMMENT ON COLUMN isms.audit_finding.requirement IS 'Clause or control concerned; required for a nonconformity';
COMMENT ON COLUMN isms.audit_finding.statement IS 'The finding';
COMMENT ON COLUMN isms.audit_finding.audit_evidence IS 'Objective evidence observed (documents in isms.evidence)';
COMMENT ON COLUMN isms.audit_finding.severity IS 'major or minor, for nonconformities only';
COMMENT ON COLUMN isms.audit_finding.nonconformity_id IS 'Nonconformity (10.2) raised from this finding; only for finding_type nonconformity';
COMMENT ON COLUMN isms.audit_finding.raised_by IS 'Auditor who raised the finding';

-- nonconformity.finding_id names an audit finding of the same organisation.
-- It is checked by this trigger rather than declared as a foreign key,
-- because audit_finding.nonconformity_id already references nonconformity,
-- and pg_dump cannot order the data of extension tables with circular
-- foreign keys.  A superuser's write is trusted (a restore loads
-- nonconformity before audit_finding).
CREATE FUNCTION isms.nonconformity_finding_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF NEW.finding_id IS NOT NULL
       AND NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       AND NEW.org_id = ANY (isms.member_orgs())     -- else row-level security refuses it
       AND NOT EXISTS (SELECT 1 FROM isms.audit_finding f
                        WHERE f.org_id = NEW.org_id AND f.id = NEW.finding_id) THEN
        RAISE EXCEPTION 'audit finding % of organisation % does not exist', NEW.finding_id, NEW.org_id
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'nonconformity_finding_exists',
                  TABLE = 'nonconformity', SCHEMA = 'isms',
                  DETAIL = format('Key (org_id, finding_id)=(%s, %s) is not present in table "audit_finding".',
                                  NEW.org_id, NEW.finding_id),
                  HINT = 'Name an audit finding of the same organisation.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.nonconformity_finding_check() IS
    'Trigger: nonconformity.finding_id names an audit finding of the same organisation (23503)';
REVOKE ALL ON FUNCTION isms.nonconformity_finding_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.nonconformity_finding_check() TO isms_reader;
CREATE TRIGGER nonconformity_finding_check
    BEFORE INSERT OR UPDATE OF org_id, finding_id ON isms.nonconformity
    FOR EACH ROW EXECUTE FUNCTION isms.nonconformity_finding_check();

CREATE TABLE isms.corrective_action (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    nonconformity_id bigint NOT NULL,
    action      text NOT NULL CONSTRAINT corrective_action_action_given CHECK (btrim(action) <> ''),
    root_cause  text,
    due_on      date,
    implemented_by text,
    implemented_at timestamptz,
    effectiveness_checked_by text,
    effectiveness_checked_at timestamptz,
    effective   boolean,
    effectiveness_note text,
    owner       text NOT NULL,
    status      text NOT NULL DEFAULT 'planned',
    cycle       integer NOT NULL DEFAULT 1 CONSTRAINT corrective_action_cycle_positive CHECK (cycle >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, nonconformity_id) REFERENCES isms.nonconformity (org_id, id),
    CONSTRAINT corrective_action_implementation_who_and_when
        CHECK ((implemented_by IS NULL) = (implemented_at IS NULL)),
    CONSTRAINT corrective_action_check_who_when_result
        CHECK ((effectiveness_checked_by IS NULL) = (effectiveness_checked_at IS NULL)
               AND (effectiveness_checked_at IS NULL) = (effective IS NULL)),
    CONSTRAINT corrective_action_check_after_implementation
        CHECK (effectiveness_checked_at IS NULL
               OR (implemented_at IS NOT NULL AND effectiveness_checked_at >= implemented_at))
);
CREATE INDEX corrective_action_nonconformity_idx ON isms.corrective_action (org_id, nonconformity_id);
COMMENT ON TABLE isms.corrective_action IS
    'Clause 10.2 b-e, g: corrective actions: root cause, action, implementation and review of effectiveness';
COMMENT ON COLUMN isms.corrective_action.nonconformity_id IS 'Nonconformity the action eliminates the cause of';
COMMENT ON COLUMN isms.corrective_action.action IS 'The corrective action (10.2 c)';
COMMENT ON COLUMN isms.corrective_action.root_cause IS 'Cause of the nonconformity found by its review (10.2 b 2)';
COMMENT ON COLUMN isms.corrective_action.due_on IS 'Date the action is due';
COMMENT ON COLUMN isms.corrective_action.implemented_by IS 'Who implemented the action; with implemented_at';
COMMENT ON COLUMN isms.corrective_action.implemented_at IS 'When the action was implemented; with implemented_by';
COMMENT ON COLUMN isms.corrective_action.effectiveness_checked_by IS 'Who reviewed the effectiveness (10.2 d); with effectiveness_checked_at and effective';
COMMENT ON COLUMN isms.corrective_action.effectiveness_checked_at IS 'When effectiveness was reviewed; not before implemented_at';
COMMENT ON COLUMN isms.corrective_action.effective IS 'Result of the effectiveness review: true when the cause is eliminated';
COMMENT ON COLUMN isms.corrective_action.effectiveness_note IS 'Evidence considered in the effectiveness review';

-- The corrective actions of a nonconformity in a final state are part of
-- how it was closed: they cannot be moved to another nonconformity, moved
-- away, or deleted, and no action is added to it; reopen the nonconformity
-- first.  A superuser's INSERT is trusted (a restore).
CREATE FUNCTION isms.corrective_action_nonconformity_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    nc_status text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_OP = 'DELETE' OR (OLD.org_id, OLD.nonconformity_id) IS DISTINCT FROM (NEW.org_id, NEW.nonconformity_id) THEN
            SELECT n.status INTO nc_status FROM isms.nonconformity n
             WHERE n.org_id = OLD.org_id AND n.id = OLD.nonconformity_id
               AND n.status IN (SELECT s.state FROM isms.workflow_state s
                                 WHERE s.workflow = 'nonconformity' AND s.is_terminal);
            IF nc_status IS NOT NULL THEN
                RAISE EXCEPTION 'corrective action % cannot be %: nonconformity % is %',
                                OLD.id, CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'moved to another nonconformity' END,
                                OLD.nonconformity_id, nc_status
                    USING ERRCODE = 'IS071',
                          DETAIL = format('Corrective action %s of organisation %s belongs to nonconformity %s, in its final status "%s".',
                                          OLD.id, OLD.org_id, OLD.nonconformity_id, nc_status),
                          HINT = 'The actions of a closed nonconformity are the record of how it was closed; reopen the nonconformity first (isms.transition to "reported", with a reason).';
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF (OLD.org_id, OLD.nonconformity_id) IS NOT DISTINCT FROM (NEW.org_id, NEW.nonconformity_id) THEN
            RETURN NEW;
        END IF;
    ELSIF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        RETURN NEW;                     -- a restore
    END IF;
    SELECT n.status INTO nc_status FROM isms.nonconformity n
     WHERE n.org_id = NEW.org_id AND n.id = NEW.nonconformity_id
       AND n.status IN (SELECT s.state FROM isms.workflow_state s
                         WHERE s.workflow = 'nonconformity' AND s.is_terminal);
    IF nc_status IS NOT NULL THEN
        RAISE EXCEPTION 'corrective action cannot be added to nonconformity %: it is %', NEW.nonconformity_id, nc_status
            USING ERRCODE = 'IS071',
                  DETAIL = format('Nonconformity %s of organisation %s is in its final status "%s".',
                                  NEW.nonconformity_id, NEW.org_id, nc_status),
                  HINT = 'Reopen the nonconformity first (isms.transition to "reported", with a reason), or raise a new one.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.corrective_action_nonconformity_check() IS
    'Trigger: the corrective actions of a nonconformity in a final state are neither moved nor deleted, and none is added to it (IS071)';
REVOKE ALL ON FUNCTION isms.corrective_action_nonconformity_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.corrective_action_nonconformity_check() TO isms_reader;
CREATE TRIGGER corrective_action_nonconformity_check
    BEFORE INSERT OR UPDATE OF org_id, nonconformity_id OR DELETE ON isms.corrective_action
    FOR EACH ROW EXECUTE FUNCTION isms.corrective_action_nonconformity_check();

------------------------------------------------------------------------------
-- 9.3 Management review

CREATE TABLE isms.management_review (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    title       text NOT NULL CONSTRAINT management_review_title_given CHECK (btrim(title) <> ''),
    planned_on  date NOT NULL,
    held_on     date,
    chair       text NOT NULL CONSTRAINT management_review_chair_given CHECK (btrim(chair) <> ''),
    attendees   text[],
    previous_actions_status text,
    context_changes text,
    party_changes text,
    performance_feedback text,
    party_feedback text,
    risk_results text,
    improvement_opportunities text,
    decisions   text,
    changes_needed text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT management_review_inputs_when_held
        CHECK (held_on IS NULL
               OR (isms.is_meaningful(previous_actions_status) AND isms.is_meaningful(context_changes)
                   AND isms.is_meaningful(party_changes) AND isms.is_meaningful(performance_feedback)
                   AND isms.is_meaningful(party_feedback) AND isms.is_meaningful(risk_results)
                   AND isms.is_meaningful(improvement_opportunities) AND isms.is_meaningful(decisions))),
    CONSTRAINT management_review_held_not_in_future
        CHECK (held_on <= current_date)
);
COMMENT ON TABLE isms.management_review IS
    'Clause 9.3: management reviews: the inputs 9.3.2 a-g (all required once held) and the decisions 9.3.3';
COMMENT ON COLUMN isms.management_review.title IS 'Name of the review, such as 2025 H1 management review';
COMMENT ON COLUMN isms.management_review.planned_on IS 'Date planned (9.3.1: at planned intervals)';
COMMENT ON COLUMN isms.management_review.held_on IS 'Date held, not in the future; once set, every input a-g and the decisions are required, each a text that says something (isms.is_meaningful: not blank, not n/a)';
COMMENT ON COLUMN isms.management_review.chair IS 'Top management member chairing the review';
COMMENT ON COLUMN isms.management_review.attendees IS 'Who attended';
COMMENT ON COLUMN isms.management_review.previous_actions_status IS '9.3.2 a: status of actions from previous management reviews';
COMMENT ON COLUMN isms.management_review.context_changes IS '9.3.2 b: changes in external and internal issues relevant to the ISMS';
COMMENT ON COLUMN isms.management_review.party_changes IS '9.3.2 c: changes in needs and expectations of interested parties relevant to the ISMS';
COMMENT ON COLUMN isms.management_review.performance_feedback IS '9.3.2 d: feedback on information security performance: nonconformities and corrective actions, monitoring and measurement results, audit results, fulfilment of objectives';
COMMENT ON COLUMN isms.management_review.party_feedback IS '9.3.2 e: feedback from interested parties';
COMMENT ON COLUMN isms.management_review.risk_results IS '9.3.2 f: results of risk assessment and status of the risk treatment plan';
COMMENT ON COLUMN isms.management_review.improvement_opportunities IS '9.3.2 g: opportunities for continual improvement';
COMMENT ON COLUMN isms.management_review.decisions IS '9.3.3: decisions related to continual improvement opportunities';
COMMENT ON COLUMN isms.management_review.changes_needed IS '9.3.3: any needs for changes to the ISMS';

CREATE TABLE isms.review_action (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    review_id   bigint NOT NULL,
    action      text NOT NULL CONSTRAINT review_action_action_given CHECK (btrim(action) <> ''),
    due_on      date,
    completed_at timestamptz,
    owner       text NOT NULL,
    status      text NOT NULL DEFAULT 'open',
    cycle       integer NOT NULL DEFAULT 1 CONSTRAINT review_action_cycle_positive CHECK (cycle >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, review_id) REFERENCES isms.management_review (org_id, id)
);
CREATE INDEX review_action_review_idx ON isms.review_action (org_id, review_id);
COMMENT ON TABLE isms.review_action IS
    'Clause 9.3.3: actions decided by a management review';
COMMENT ON COLUMN isms.review_action.review_id IS 'Management review that decided the action';
COMMENT ON COLUMN isms.review_action.action IS 'The action';
COMMENT ON COLUMN isms.review_action.due_on IS 'Date the action is due';
COMMENT ON COLUMN isms.review_action.completed_at IS 'When the action was completed';

------------------------------------------------------------------------------
-- 10.1 Continual improvement

CREATE TABLE isms.improvement (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    title       text NOT NULL CONSTRAINT improvement_title_given CHECK (btrim(title) <> ''),
    description text NOT NULL CONSTRAINT improvement_description_given CHECK (btrim(description) <> ''),
    source      text NOT NULL DEFAULT 'other'
                CONSTRAINT improvement_source_values
                CHECK (source IN ('audit', 'management_review', 'incident', 'monitoring', 'suggestion', 'other')),
    review_id   bigint,
    finding_id  bigint,
    expected_benefit text,
    decided_at  timestamptz,
    completed_at timestamptz,
    owner       text NOT NULL,
    status      text NOT NULL DEFAULT 'proposed',
    cycle       integer NOT NULL DEFAULT 1 CONSTRAINT improvement_cycle_positive CHECK (cycle >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, review_id) REFERENCES isms.management_review (org_id, id),
    FOREIGN KEY (org_id, finding_id) REFERENCES isms.audit_finding (org_id, id),
    CONSTRAINT improvement_completed_after_decided CHECK (completed_at >= decided_at)
);
COMMENT ON TABLE isms.improvement IS
    'Clause 10.1: continual improvement of the suitability, adequacy and effectiveness of the ISMS';
COMMENT ON COLUMN isms.improvement.title IS 'The improvement';
COMMENT ON COLUMN isms.improvement.description IS 'What will improve and how';
COMMENT ON COLUMN isms.improvement.source IS 'audit, management_review, incident, monitoring, suggestion or other';
COMMENT ON COLUMN isms.improvement.review_id IS 'Management review that decided it (9.3.3), if any';
COMMENT ON COLUMN isms.improvement.finding_id IS 'Audit finding (opportunity) that suggested it, if any';
COMMENT ON COLUMN isms.improvement.expected_benefit IS 'Benefit expected';
COMMENT ON COLUMN isms.improvement.decided_at IS 'When it was decided to proceed';
COMMENT ON COLUMN isms.improvement.completed_at IS 'When it was completed; not before decided_at';

------------------------------------------------------------------------------
-- Evidence attached to any register row (7.5.3, 9.1, 9.2.2, 10.2, A.5.28)

CREATE TABLE isms.evidence (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    record_table regclass NOT NULL,
    record_id   bigint NOT NULL,
    url         text CONSTRAINT evidence_url_given CHECK (btrim(url) <> ''),
    content     bytea,
    media_type  text CONSTRAINT evidence_media_type_format CHECK (media_type ~ '^[a-z0-9.+-]+/[A-Za-z0-9.+-]+'),
    sha256      bytea GENERATED ALWAYS AS (sha256(content)) STORED,
    description text,
    collected_at timestamptz NOT NULL DEFAULT now(),
    collected_by text NOT NULL DEFAULT isms.current_actor(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT evidence_url_or_content CHECK (url IS NOT NULL OR content IS NOT NULL),
    CONSTRAINT evidence_media_type_of_content CHECK (content IS NULL OR media_type IS NOT NULL)
);
CREATE INDEX evidence_record_idx ON isms.evidence (org_id, record_table, record_id);
COMMENT ON TABLE isms.evidence IS
    'Clauses 7.5.3, 9.1, 9.2.2, 10.2 and A.5.28: evidence attached to any register row: a URL or stored content with its SHA-256, collected when and by whom';
COMMENT ON COLUMN isms.evidence.record_table IS 'Register table of the record (a row of isms.register)';
COMMENT ON COLUMN isms.evidence.record_id IS 'id of the record in record_table, same organisation';
COMMENT ON COLUMN isms.evidence.url IS 'Where the evidence is kept, when not stored here';
COMMENT ON COLUMN isms.evidence.content IS 'The evidence itself, when stored here';
COMMENT ON COLUMN isms.evidence.media_type IS 'Media type of content, such as application/pdf; required with content';
COMMENT ON COLUMN isms.evidence.sha256 IS 'SHA-256 of content, computed by the database';
COMMENT ON COLUMN isms.evidence.description IS 'What the evidence shows';
COMMENT ON COLUMN isms.evidence.collected_at IS 'When the evidence was collected';
COMMENT ON COLUMN isms.evidence.collected_by IS 'Who collected the evidence';

-- The record an evidence row points at must be a register row of the same
-- organisation: a foreign key over every register, checked by this trigger.
-- A superuser's write is trusted (a restore loads evidence before the rows
-- it points at).
CREATE FUNCTION isms.evidence_record_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    found_it boolean;
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       OR NOT NEW.org_id = ANY (isms.member_orgs()) THEN
        RETURN NEW;                     -- trusted, or refused by row-level security
    END IF;
    IF NOT EXISTS (SELECT 1 FROM isms.register r WHERE r.relid = NEW.record_table) THEN
        RAISE EXCEPTION 'table % is not an ISMS register', NEW.record_table
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'evidence_record_exists',
                  TABLE = 'evidence', SCHEMA = 'isms',
                  DETAIL = format('Evidence of organisation %s points at %s.', NEW.org_id, NEW.record_table),
                  HINT = 'Attach evidence to a table listed in isms.register.';
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE org_id = $1 AND id = $2)', NEW.record_table)
        INTO found_it USING NEW.org_id, NEW.record_id;
    IF NOT found_it THEN
        RAISE EXCEPTION 'record % of % in organisation % does not exist', NEW.record_id, NEW.record_table, NEW.org_id
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'evidence_record_exists',
                  TABLE = 'evidence', SCHEMA = 'isms',
                  DETAIL = format('Key (org_id, id)=(%s, %s) is not present in table %s.',
                                  NEW.org_id, NEW.record_id, NEW.record_table),
                  HINT = 'Attach evidence to an existing record of the same organisation.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.evidence_record_check() IS
    'Trigger: evidence points at an existing register row of the same organisation (23503)';
REVOKE ALL ON FUNCTION isms.evidence_record_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.evidence_record_check() TO isms_reader;
CREATE TRIGGER evidence_record_check
    BEFORE INSERT OR UPDATE OF org_id, record_table, record_id ON isms.evidence
    FOR EACH ROW EXECUTE FUNCTION isms.evidence_record_check();

------------------------------------------------------------------------------
-- The list of registers.  Review intervals follow common practice: yearly
-- for context, parties, scope, policies and risks; the organisation can
-- override them per register (isms.register_setting) or per row.

INSERT INTO isms.register
    (relid, name, clause, title, reviewable, default_review_interval, has_workflow, initial_status, audit_record)
VALUES
    ('isms.context_issue',        'context_issue',        '4.1',    'Context issues',                        true,  '1 year',   false, NULL,       false),
    ('isms.interested_party',     'interested_party',     '4.2',    'Interested parties',                    true,  '1 year',   false, NULL,       false),
    ('isms.party_requirement',    'party_requirement',    '4.2',    'Requirements of interested parties',    true,  '1 year',   false, NULL,       false),
    ('isms.scope_item',           'scope_item',           '4.3',    'Scope inclusions and exclusions',       true,  '1 year',   false, NULL,       false),
    ('isms.process',              'process',              '4.4',    'ISMS processes',                        true,  '1 year',   false, NULL,       false),
    ('isms.process_input',        'process_input',        '4.4',    'Process inputs',                        false, NULL,       false, NULL,       false),
    ('isms.process_output',       'process_output',       '4.4',    'Process outputs',                       false, NULL,       false, NULL,       false),
    ('isms.document',             'document',             '7.5',    'Documented information',                true,  '1 year',   false, NULL,       false),
    ('isms.policy',               'policy',               '5.2',    'Policies',                              true,  '1 year',   false, NULL,       false),
    ('isms.role_assignment',      'role_assignment',      '5.3',    'Roles, responsibilities and authorities', true, '1 year',  false, NULL,       false),
    ('isms.asset',                'asset',                'A.5.9',  'Assets',                                true,  '1 year',   false, NULL,       false),
    ('isms.risk_scale',           'risk_scale',           '6.1.2',  'Risk criteria',                         true,  '1 year',   false, NULL,       false),
    ('isms.risk',                 'risk',                 '6.1.2',  'Risks',                                 true,  '1 year',   false, NULL,       false),
    ('isms.treatment_plan',       'treatment_plan',       '6.1.3',  'Risk treatment plans',                  true,  '3 months', true,  'planned',  false),
    ('isms.risk_control',         'risk_control',         '6.1.3',  'Controls treating risks',               false, NULL,       false, NULL,       false),
    ('isms.soa_entry',            'soa_entry',            '6.1.3',  'Statement of Applicability',            true,  '1 year',   false, NULL,       false),
    ('isms.objective',            'objective',            '6.2',    'Information security objectives',       true,  '6 months', true,  'planned',  false),
    ('isms.objective_measurement','objective_measurement','9.1',    'Measurements of objectives',            false, NULL,       false, NULL,       false),
    ('isms.planned_change',       'planned_change',       '6.3',    'Planned changes',                       false, NULL,       true,  'proposed', false),
    ('isms.competence',           'competence',           '7.2',    'Required competences',                  true,  '1 year',   false, NULL,       false),
    ('isms.training_record',      'training_record',      '7.2',    'Training and awareness records',        false, NULL,       false, NULL,       false),
    ('isms.communication',        'communication',        '7.4',    'Communications',                        true,  '1 year',   false, NULL,       false),
    ('isms.audit_programme',      'audit_programme',      '9.2.2',  'Internal audit programmes',             true,  '1 year',   false, NULL,       true),
    ('isms.audit',                'audit',                '9.2',    'Internal audits',                       false, NULL,       true,  'planned',  true),
    ('isms.incident',             'incident',             'A.5.24', 'Incidents',                             false, NULL,       true,  'reported', false),
    ('isms.nonconformity',        'nonconformity',        '10.2',   'Nonconformities',                       false, NULL,       true,  'reported', false),
    ('isms.audit_finding',        'audit_finding',        '9.2',    'Audit findings',                        false, NULL,       true,  'raised',   true),
    ('isms.corrective_action',    'corrective_action',    '10.2',   'Corrective actions',                    false, NULL,       true,  'planned',  false),
    ('isms.management_review',    'management_review',    '9.3',    'Management reviews',                    false, NULL,       false, NULL,       false),
    ('isms.review_action',        'review_action',        '9.3.3',  'Management review actions',             false, NULL,       true,  'open',     false),
    ('isms.improvement',          'improvement',          '10.1',   'Improvements',                          false, NULL,       true,  'proposed', false),
    ('isms.evidence',             'evidence',             '7.5.3',  'Evidence',                              false, NULL,       false, NULL,       true);

------------------------------------------------------------------------------
-- Length limits.  Titles, names and similar short texts hold at most 500
-- characters, the names of persons and roles at most 128: enough for any
-- real one, and short enough that a row always fits the review indexes
-- (which carry the row's label and owner) and the unique indexes on names,
-- so an overlong text gets a CHECK violation naming the column and the
-- limit (<table>_<column>_max_<n>_chars) rather than an index error.  The
-- acting person's columns (created_by, updated_by and those defaulting to
-- isms.current_actor()) are limited with the actor itself.
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT r.relid, cl.relname, a.attname, l.n
          FROM isms.register r
          JOIN pg_catalog.pg_class cl ON cl.oid = r.relid
          JOIN pg_catalog.pg_attribute a ON a.attrelid = r.relid AND a.attnum > 0 AND NOT a.attisdropped
               AND a.atttypid = 'pg_catalog.text'::pg_catalog.regtype
          JOIN (SELECT unnest(ARRAY['title', 'name', 'subject', 'requirement', 'artifact', 'competence',
                                    'activity', 'code', 'unit', 'audience', 'frequency', 'channel']), 500
                UNION ALL
                SELECT unnest(ARRAY['role', 'owner', 'assignee', 'chair', 'lead_auditor', 'auditee', 'person',
                                    'communicator', 'reported_by', 'implemented_by', 'effectiveness_checked_by',
                                    'approved_by', 'accepted_by']), 128) AS l(col, n) ON l.col = a.attname
         WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attrdef d
                            WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum
                              AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE '%current_actor()%')
         ORDER BY cl.relname, a.attnum
    LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (pg_catalog.char_length(%I) <= %s)',
                       c.relid, format('%s_%s_max_%s_chars', c.relname, c.attname, c.n), c.attname, c.n);
    END LOOP;
END
$$;
