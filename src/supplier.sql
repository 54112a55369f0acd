-- Supplier relationships (Annex A 5.19-5.23): suppliers with the services
-- and information they handle, their contracts with the security
-- requirements agreed (A.5.20, A.5.21), the monitoring and review of their
-- service (A.5.22), and the risks and SoA controls they bear on.
--
-- Five registers, listed in isms.register at the end of this file, so that
-- src/security.sql (row-level security, grants, the stamp trigger),
-- src/evidence_access.sql (history) and src/metrics.sql (staleness) treat
-- them like every other register.  A supplier is reviewed periodically
-- (yearly by default); a retired supplier is out of force and needs no
-- review.  Gaps an auditor would raise (a critical supplier without a
-- contract stating security requirements, an overdue assessment) are
-- flagged by the reports (isms_report.suppliers, readiness check 13), not
-- refused: the register must be able to record the gap.

CREATE TABLE isms.supplier (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CONSTRAINT supplier_name_given CHECK (btrim(name) <> ''),
    services    text NOT NULL CONSTRAINT supplier_services_given CHECK (btrim(services) <> ''),
    information text,
    classification text NOT NULL DEFAULT 'internal'
                CONSTRAINT supplier_classification_values
                CHECK (classification IN ('public', 'internal', 'confidential', 'restricted')),
    criticality text NOT NULL
                CONSTRAINT supplier_criticality_values
                CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    status      text NOT NULL DEFAULT 'active'
                CONSTRAINT supplier_status_values
                CHECK (status IN ('proposed', 'active', 'exiting', 'retired')),
    contact     text,
    owner       text NOT NULL,
    review_interval interval CONSTRAINT supplier_review_interval_range CHECK (review_interval BETWEEN interval '1 day' AND interval '10 years'),
    last_reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT supplier_name_unique UNIQUE (org_id, name)
);
COMMENT ON TABLE isms.supplier IS
    'Annex A 5.19: suppliers of products and services, with the services they provide, the information they handle, its classification and the supplier''s criticality; reviewed periodically (A.5.22)';
COMMENT ON COLUMN isms.supplier.name IS 'Name of the supplier, unique in the organisation';
COMMENT ON COLUMN isms.supplier.services IS 'Products or services the supplier provides';
COMMENT ON COLUMN isms.supplier.information IS 'Information the supplier accesses, processes, stores or transmits (A.5.19, A.5.20)';
COMMENT ON COLUMN isms.supplier.classification IS 'Highest classification (A.5.12) of the information the supplier handles: public, internal, confidential or restricted';
COMMENT ON COLUMN isms.supplier.criticality IS 'How much the organisation depends on the supplier: low, medium, high or critical; a critical supplier needs a contract in force stating security requirements and assessments on time (readiness check 13)';
COMMENT ON COLUMN isms.supplier.status IS 'proposed (being selected), active, exiting (relationship ending, A.5.19 exit) or retired (no longer used: out of review); retiring needs every contract ended (IS130)';
COMMENT ON COLUMN isms.supplier.contact IS 'Contact at the supplier for security matters';

CREATE TABLE isms.supplier_contract (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    supplier_id bigint NOT NULL,
    title       text NOT NULL CONSTRAINT supplier_contract_title_given CHECK (btrim(title) <> ''),
    reference   text,
    starts_on   date NOT NULL,
    ends_on     date,
    security_requirements text,
    supply_chain_requirements text,
    right_to_audit boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, supplier_id) REFERENCES isms.supplier (org_id, id),
    CONSTRAINT supplier_contract_dates_in_order CHECK (ends_on >= starts_on),
    CONSTRAINT supplier_contract_security_requirements_meaningful
        CHECK (security_requirements IS NULL OR isms.is_meaningful(security_requirements, 10)),
    CONSTRAINT supplier_contract_supply_chain_requirements_meaningful
        CHECK (supply_chain_requirements IS NULL OR isms.is_meaningful(supply_chain_requirements, 10))
);
CREATE INDEX supplier_contract_supplier_idx ON isms.supplier_contract (org_id, supplier_id);
COMMENT ON TABLE isms.supplier_contract IS
    'Annex A 5.20: agreements with suppliers and the information security requirements they state (A.5.21 for the ICT supply chain); in force from starts_on to ends_on';
COMMENT ON COLUMN isms.supplier_contract.supplier_id IS 'Supplier the agreement is with';
COMMENT ON COLUMN isms.supplier_contract.title IS 'Name of the agreement, such as Master services agreement';
COMMENT ON COLUMN isms.supplier_contract.reference IS 'Contract number or where the signed agreement is kept';
COMMENT ON COLUMN isms.supplier_contract.starts_on IS 'First day the agreement is in force';
COMMENT ON COLUMN isms.supplier_contract.ends_on IS 'Last day the agreement is in force, not before starts_on; NULL while open-ended';
COMMENT ON COLUMN isms.supplier_contract.security_requirements IS 'Information security requirements the agreement states (A.5.20): confidentiality, access, incident notification, return of information; NULL when it states none; at least 10 characters, not a placeholder';
COMMENT ON COLUMN isms.supplier_contract.supply_chain_requirements IS 'Requirements passed down the ICT supply chain (A.5.21); at least 10 characters, not a placeholder';
COMMENT ON COLUMN isms.supplier_contract.right_to_audit IS 'True when the agreement grants the organisation the right to audit the supplier';

CREATE TABLE isms.supplier_assessment (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    supplier_id bigint NOT NULL,
    title       text NOT NULL CONSTRAINT supplier_assessment_title_given CHECK (btrim(title) <> ''),
    method      text NOT NULL DEFAULT 'questionnaire'
                CONSTRAINT supplier_assessment_method_values
                CHECK (method IN ('questionnaire', 'audit', 'certification_review', 'service_review')),
    due_on      date NOT NULL,
    performed_on date,
    assessor    text,
    result      text CONSTRAINT supplier_assessment_result_values
                CHECK (result IN ('satisfactory', 'minor_issues', 'major_issues', 'unsatisfactory')),
    findings    text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, supplier_id) REFERENCES isms.supplier (org_id, id),
    CONSTRAINT supplier_assessment_result_when_performed
        CHECK ((result IS NULL) = (performed_on IS NULL)),
    CONSTRAINT supplier_assessment_assessor_when_performed
        CHECK (performed_on IS NULL OR coalesce(btrim(assessor), '') <> ''),
    CONSTRAINT supplier_assessment_performed_not_in_future
        CHECK (performed_on <= current_date),
    CONSTRAINT supplier_assessment_findings_of_issues
        CHECK (result NOT IN ('minor_issues', 'major_issues', 'unsatisfactory') OR isms.is_meaningful(findings, 10))
);
CREATE INDEX supplier_assessment_supplier_idx ON isms.supplier_assessment (org_id, supplier_id, due_on);
COMMENT ON TABLE isms.supplier_assessment IS
    'Annex A 5.22: monitoring, review and evaluation of a supplier''s security practices and service delivery: due, performed, by whom, with what result and findings';
COMMENT ON COLUMN isms.supplier_assessment.supplier_id IS 'Supplier assessed';
COMMENT ON COLUMN isms.supplier_assessment.title IS 'Name of the assessment, such as 2026 annual review';
COMMENT ON COLUMN isms.supplier_assessment.method IS 'questionnaire, audit, certification_review (a certificate or report such as ISO/IEC 27001 or SOC 2 examined) or service_review';
COMMENT ON COLUMN isms.supplier_assessment.due_on IS 'Date by which the assessment is to be performed; overdue while not performed after it';
COMMENT ON COLUMN isms.supplier_assessment.performed_on IS 'Date performed, not in the future; with result and assessor';
COMMENT ON COLUMN isms.supplier_assessment.assessor IS 'Who performed the assessment; required once performed';
COMMENT ON COLUMN isms.supplier_assessment.result IS 'satisfactory, minor_issues, major_issues or unsatisfactory; only once performed, and then required';
COMMENT ON COLUMN isms.supplier_assessment.findings IS 'What the assessment found; required (at least 10 characters) unless the result is satisfactory';

CREATE TABLE isms.supplier_risk (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    supplier_id bigint NOT NULL,
    risk_id     bigint NOT NULL,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, supplier_id) REFERENCES isms.supplier (org_id, id),
    FOREIGN KEY (org_id, risk_id) REFERENCES isms.risk (org_id, id),
    CONSTRAINT supplier_risk_unique UNIQUE (org_id, supplier_id, risk_id)
);
CREATE INDEX supplier_risk_risk_idx ON isms.supplier_risk (org_id, risk_id);
COMMENT ON TABLE isms.supplier_risk IS
    'Annex A 5.19 (for 6.1.2): risks that arise from a supplier relationship, one row per supplier and risk';
COMMENT ON COLUMN isms.supplier_risk.supplier_id IS 'Supplier the risk arises from';
COMMENT ON COLUMN isms.supplier_risk.risk_id IS 'Risk of the risk register';
COMMENT ON COLUMN isms.supplier_risk.note IS 'How the supplier gives rise to the risk';

CREATE TABLE isms.supplier_control (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    supplier_id bigint NOT NULL,
    framework   text NOT NULL DEFAULT 'iso27001-2022',
    control     isms.ref NOT NULL,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, supplier_id) REFERENCES isms.supplier (org_id, id),
    FOREIGN KEY (framework, control) REFERENCES isms.requirement (framework, ref),
    CONSTRAINT supplier_control_is_annex_control CHECK (control::text ~ '^[A-Z]\.[0-9]+\.[0-9]+$'),
    CONSTRAINT supplier_control_unique UNIQUE (org_id, supplier_id, framework, control)
);
COMMENT ON TABLE isms.supplier_control IS
    'Annex A 5.19 (for 6.1.3 d): Statement of Applicability controls the supplier operates, or that the organisation applies to the relationship, one row per supplier and control';
COMMENT ON COLUMN isms.supplier_control.supplier_id IS 'Supplier the control bears on';
COMMENT ON COLUMN isms.supplier_control.framework IS 'Framework of the control';
COMMENT ON COLUMN isms.supplier_control.control IS 'Annex A control (a control, not a theme), such as A.8.13';
COMMENT ON COLUMN isms.supplier_control.note IS 'How the control applies to the supplier';

------------------------------------------------------------------------------
-- A retired supplier is out of the ISMS: it is retired only once every
-- agreement with it has ended (an agreement in force keeps obligations on
-- both sides, A.5.19 exit), and nothing new is recorded against it.  A
-- superuser's write is trusted (a restore loads rows in any order); a row of
-- an organisation the caller is not a member of is left to row-level
-- security.

CREATE FUNCTION isms.supplier_retired_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sup_status text;
    sup_name text;
    open_titles text;
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user)
       OR NOT NEW.org_id OPERATOR(pg_catalog.=) ANY (isms.member_orgs()) THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'supplier' THEN
        IF NEW.status OPERATOR(pg_catalog.<>) 'retired'
           OR (TG_OP OPERATOR(pg_catalog.=) 'UPDATE' AND OLD.status OPERATOR(pg_catalog.=) 'retired') THEN
            RETURN NEW;
        END IF;
        SELECT pg_catalog.string_agg(pg_catalog.format('%s (%s to %s)', c.title, c.starts_on,
                                                       coalesce(c.ends_on::text, 'open-ended')), ', ' ORDER BY c.id)
          INTO open_titles
          FROM isms.supplier_contract c
         WHERE c.org_id OPERATOR(pg_catalog.=) NEW.org_id AND c.supplier_id OPERATOR(pg_catalog.=) NEW.id
           AND (c.ends_on IS NULL OR c.ends_on OPERATOR(pg_catalog.>=) current_date);
        IF open_titles IS NOT NULL THEN
            RAISE EXCEPTION 'supplier % "%" of organisation % cannot be retired while an agreement with it is in force',
                            NEW.id, NEW.name, NEW.org_id
                USING ERRCODE = 'IS130',
                      TABLE = 'supplier', SCHEMA = 'isms',
                      DETAIL = pg_catalog.format('Agreements in force on %s: %s.', current_date, open_titles),
                      HINT = 'End the agreements first (set ends_on in isms.supplier_contract), or set the status to exiting while they run out.';
        END IF;
        RETURN NEW;
    END IF;
    SELECT s.status, s.name INTO sup_status, sup_name
      FROM isms.supplier s
     WHERE s.org_id OPERATOR(pg_catalog.=) NEW.org_id AND s.id OPERATOR(pg_catalog.=) NEW.supplier_id;
    IF sup_status OPERATOR(pg_catalog.=) 'retired' THEN
        RAISE EXCEPTION 'supplier % "%" of organisation % is retired: no % can be recorded against it',
                        NEW.supplier_id, sup_name, NEW.org_id, pg_catalog.replace(TG_TABLE_NAME::text, 'supplier_', '')
            USING ERRCODE = 'IS130',
                  TABLE = TG_TABLE_NAME, SCHEMA = 'isms',
                  DETAIL = pg_catalog.format('%s row for supplier %s, whose status is retired.', TG_TABLE_NAME, NEW.supplier_id),
                  HINT = 'Set the supplier''s status back to active (or exiting) if the relationship continues.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.supplier_retired_check() IS
    'Trigger: a supplier is retired only once every agreement with it has ended, and nothing new (agreement, assessment, risk or control link) is recorded against a retired supplier (IS130)';
REVOKE ALL ON FUNCTION isms.supplier_retired_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.supplier_retired_check() TO isms_reader;
CREATE TRIGGER retired_supplier_check
    BEFORE INSERT OR UPDATE OF status ON isms.supplier
    FOR EACH ROW EXECUTE FUNCTION isms.supplier_retired_check();
CREATE TRIGGER retired_supplier_check
    BEFORE INSERT OR UPDATE OF org_id, supplier_id ON isms.supplier_contract
    FOR EACH ROW EXECUTE FUNCTION isms.supplier_retired_check();
CREATE TRIGGER retired_supplier_check
    BEFORE INSERT OR UPDATE OF org_id, supplier_id ON isms.supplier_assessment
    FOR EACH ROW EXECUTE FUNCTION isms.supplier_retired_check();
CREATE TRIGGER retired_supplier_check
    BEFORE INSERT OR UPDATE OF org_id, supplier_id ON isms.supplier_risk
    FOR EACH ROW EXECUTE FUNCTION isms.supplier_retired_check();
CREATE TRIGGER retired_supplier_check
    BEFORE INSERT OR UPDATE OF org_id, supplier_id ON isms.supplier_control
    FOR EACH ROW EXECUTE FUNCTION isms.supplier_retired_check();

------------------------------------------------------------------------------
-- The registers.  A supplier is reviewed yearly unless the organisation
-- sets otherwise; the others are reviewed with their supplier.

INSERT INTO isms.register
    (relid, name, clause, title, reviewable, default_review_interval, has_workflow, initial_status, audit_record)
VALUES
    ('isms.supplier',            'supplier',            'A.5.19', 'Suppliers',                         true,  '1 year', false, NULL, false),
    ('isms.supplier_contract',   'supplier_contract',   'A.5.20', 'Supplier agreements',               false, NULL,     false, NULL, false),
    ('isms.supplier_assessment', 'supplier_assessment', 'A.5.22', 'Supplier assessments',              false, NULL,     false, NULL, false),
    ('isms.supplier_risk',       'supplier_risk',       'A.5.19', 'Risks of supplier relationships',   false, NULL,     false, NULL, false),
    ('isms.supplier_control',    'supplier_control',    'A.5.19', 'Controls of supplier relationships', false, NULL,    false, NULL, false);

-- Length limits, as for the other registers (src/registers.sql).
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
          JOIN (SELECT unnest(ARRAY['title', 'name', 'reference', 'contact']), 500
                UNION ALL
                SELECT unnest(ARRAY['owner', 'assessor']), 128) AS l(col, n) ON l.col = a.attname
         WHERE r.name IN ('supplier', 'supplier_contract', 'supplier_assessment', 'supplier_risk', 'supplier_control')
         ORDER BY cl.relname, a.attnum
    LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (pg_catalog.char_length(%I) <= %s)',
                       c.relid, format('%s_%s_max_%s_chars', c.relname, c.attname, c.n), c.attname, c.n);
    END LOOP;
END
$$;

REVOKE ALL ON SEQUENCE isms.supplier_id_seq, isms.supplier_contract_id_seq, isms.supplier_assessment_id_seq,
    isms.supplier_risk_id_seq, isms.supplier_control_id_seq FROM PUBLIC;
