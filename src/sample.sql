-- A realistic sample ISMS: isms.load_sample(scale, until).
--
-- scale 1 is one mid-size organisation (Northwind Logistics Ltd) with three
-- years of operation ending on "until": context, parties, scope, fifteen
-- processes with their interactions (one deliberately siloed), documents
-- (some overdue for review), policies, roles, an asset inventory nobody has
-- touched for two years, about 150 risks with treatment plans, the full
-- Statement of Applicability with monthly and daily evidence, yearly
-- objectives with monthly measurements, quarterly internal audits whose
-- findings flow into nonconformities and corrective actions, half-yearly
-- management reviews (the latest one overdue), review actions,
-- improvements, planned changes, competence and training records, and
-- about 120 incidents.  scale N adds N-1 more organisations of varying size
-- and condition; scale 100 is about 1,600,000 rows.
--
-- Deterministic: every choice comes from a hash of the organisation's
-- number, the record's number and a salt (isms.sample_u), and every date
-- from "until"; the same arguments on an empty database give the same rows.
--
-- Loaded through the import path, as an organisation brings its records
-- in: the records are generated into temporary tables shaped like the
-- registers, each becomes its versions (as created, then its review, a
-- risk's residual rating once treated, every workflow move at its planned
-- date), staged in isms.import_staging and applied with isms.import_apply()
-- by the admin role isms_sample (created if missing, granted isms_admin),
-- one batch per organisation.  No trigger is disabled and nothing is
-- written to the transition log or the trail but by the import: the log's
-- moves are marked as imported and isms.verify_imports() accounts for them.

CREATE FUNCTION isms.sample_u(k integer, n integer, salt integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT (pg_catalog.hashint8extended($1::bigint * 1000003 + $2, $3) & 2147483647)::double precision / 2147483648.0
$$;
COMMENT ON FUNCTION isms.sample_u(integer, integer, integer) IS
    'Sample data: a deterministic pseudo-random number in [0, 1) from an organisation number, a record number and a salt';

CREATE FUNCTION isms.sample_actor(register text, state text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE $1
               WHEN 'treatment_plan' THEN 'Risk manager' WHEN 'risk' THEN 'Risk manager'
               WHEN 'risk_scale' THEN 'Risk manager' WHEN 'risk_control' THEN 'Risk manager'
               WHEN 'audit' THEN 'Internal audit lead' WHEN 'audit_finding' THEN 'Internal audit lead'
               WHEN 'incident' THEN 'SOC analyst'
               WHEN 'corrective_action' THEN CASE $2 WHEN 'verified' THEN 'Internal audit lead' ELSE 'Quality lead' END
               WHEN 'nonconformity' THEN 'Quality lead' WHEN 'review_action' THEN 'CEO office'
               WHEN 'planned_change' THEN 'CISO' ELSE 'ISMS manager' END
$$;
COMMENT ON FUNCTION isms.sample_actor(text, text) IS
    'Sample data: who creates (state NULL) or moves a record of a register into a state';

CREATE FUNCTION isms.load_sample(scale integer DEFAULT 1, until date DEFAULT current_date) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
    SET TimeZone = 'UTC'
AS $$
DECLARE
    controls isms.ref[];
    te timestamptz;                 -- the end of the sample's history ("today")
    ts timestamptz;                 -- three years before
    outer_role text := current_setting('role');
    orgs bigint[];
    total bigint := 0;
    n bigint;
    rel regclass;
    s integer;
    mv record;
    relname text;
    extra text;
    why text;
    rg text;
    refs text;
    excluded text[];
    reviewed boolean;
    o bigint;
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'isms.load_sample() must be run by a superuser'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'It creates the role isms_sample, which imports the sample.',
                  HINT = 'Run it as the database owner in a scratch database (make demo does).';
    END IF;
    IF scale IS NULL OR scale < 1 OR scale > 1000 THEN
        PERFORM isms.report_bad_argument('scale', scale::text, 'the number of organisations must be between 1 and 1000',
            'Pass 1 for one organisation, 100 for about 1,600,000 rows.');
    END IF;
    IF until IS NULL OR NOT isfinite(until) THEN
        PERFORM isms.report_bad_argument('until', until::text, 'a finite date is required',
            'Pass the last day of the sample''s history, such as current_date.');
    END IF;
    IF EXISTS (SELECT 1 FROM isms.organization WHERE code = 'NORTHWIND' OR code LIKE 'SAMPLE-%') THEN
        PERFORM isms.report_bad_argument('scale', scale::text, 'the sample is loaded already',
            'Load the sample into a fresh database (CREATE EXTENSION isms; SELECT isms.load_sample()).');
    END IF;
    te := (until::timestamp + time '17:00') AT TIME ZONE 'UTC';
    -- an import takes no date in the future: a history ending today ends now
    te := least(te, now());
    ts := te - interval '3 years';

    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'isms_sample') THEN
        CREATE ROLE isms_sample NOLOGIN;
        COMMENT ON ROLE isms_sample IS 'isms: the member role that creates and moves the workflow records of isms.load_sample()';
    END IF;
    IF NOT pg_has_role('isms_sample', 'isms_admin', 'MEMBER') THEN
        GRANT isms_admin TO isms_sample;
    END IF;
    -- it plays the application that records the sample's persons (isms.actor)
    IF NOT pg_has_role('isms_sample', 'isms_app', 'MEMBER') THEN
        GRANT isms_app TO isms_sample;
    END IF;
    SELECT array_agg(ref ORDER BY ref) INTO controls
      FROM isms.requirement WHERE framework = 'iso27001-2022' AND kind = 'control';

    --------------------------------------------------------------------------
    -- Organisations

    CREATE TEMP TABLE sample_org (k integer PRIMARY KEY, org_id bigint, code text, name text,
                                  f double precision, siloed boolean, stale_assets boolean) ON COMMIT DROP;
    INSERT INTO sample_org (k, code, name, f, siloed, stale_assets)
    SELECT k,
           CASE WHEN k = 1 THEN 'NORTHWIND' ELSE format('SAMPLE-%s', lpad(k::text, 4, '0')) END,
           CASE WHEN k = 1 THEN 'Northwind Logistics Ltd'
                ELSE (ARRAY['Aurora', 'Bluefin', 'Cedar', 'Delta', 'Ember', 'Falcon', 'Granite', 'Harbour', 'Iris', 'Juniper',
                            'Kestrel', 'Lumen', 'Meridian', 'Nimbus', 'Orchid', 'Pioneer', 'Quartz', 'Riverside', 'Summit', 'Tidal'])
                         [1 + (k * 7) % 20]
                     || ' ' ||
                     (ARRAY['Analytics', 'Foods', 'Health', 'Insurance', 'Logistics', 'Media', 'Payments', 'Retail',
                            'Software', 'Telecom', 'Travel', 'Utilities'])[1 + (k * 5) % 12]
                     || ' ' || (ARRAY['Ltd', 'GmbH', 'B.V.', 'S.A.', 'AB', 'plc'])[1 + k % 6] || ' ' || k
           END,
           CASE WHEN k = 1 THEN 1 ELSE 0.8 + 0.4 * isms.sample_u(k, 0, 1) END,
           k = 1 OR isms.sample_u(k, 0, 2) < 0.5,
           k = 1 OR isms.sample_u(k, 0, 3) < 0.6
      FROM generate_series(1, scale) k;
    WITH ins AS (
        INSERT INTO isms.organization (code, name, scope_statement, created_at, updated_at, created_by, updated_by)
        SELECT code, name,
               'The ISMS of ' || name || ' covers the design, operation and support of its customer-facing '
               || 'platforms and the customer and employee data they process, run from its head office and '
               || 'two EU cloud regions, including the teams of IT, security, operations, HR and procurement.',
               ts, ts, 'sample', 'sample'
          FROM sample_org ORDER BY k
        RETURNING org_id, code)
    UPDATE sample_org so SET org_id = ins.org_id FROM ins WHERE ins.code = so.code;
    SELECT array_agg(org_id ORDER BY k) INTO orgs FROM sample_org;
    total := total + scale;

    --------------------------------------------------------------------------
    -- The records are generated into temporary tables shaped like the
    -- registers (s_<register>, with their defaults and generated columns,
    -- identifiers of their own), then staged with their versions and
    -- imported through isms.import_apply() at the end.

    FOR rg IN SELECT g.name FROM isms.register g
               WHERE g.name <> ALL (ARRAY['document_version', 'document_approval'])
               ORDER BY g.name
    LOOP
        EXECUTE format('CREATE TEMP TABLE %I (LIKE isms.%I INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING INDEXES) ON COMMIT DROP',
                       's_' || rg, rg);
        -- the audit columns are the import's to set
        FOR mv IN SELECT a.attname FROM pg_attribute a
                   WHERE a.attrelid = format('pg_temp.%I', 's_' || rg)::regclass AND a.attnum > 0 AND a.attnotnull
                     AND a.attidentity = '' AND a.attgenerated = '' AND a.attname <> 'org_id'
        LOOP
            EXECUTE format('ALTER TABLE pg_temp.%I ALTER COLUMN %I DROP NOT NULL', 's_' || rg, mv.attname);
        END LOOP;
    END LOOP;

    --------------------------------------------------------------------------
    -- Plain registers

    INSERT INTO s_risk_scale (org_id, likelihood_levels, impact_levels, likelihood_labels, impact_labels,
                                 acceptance_threshold, method, owner, last_reviewed_at, created_at, updated_at)
    SELECT org_id, 5, 5, '{rare,unlikely,possible,likely,almost certain}', '{negligible,minor,moderate,major,severe}', 8,
           'Asset-based: likelihood x impact on 5-point scales, reassessed yearly and on major change',
           'Risk manager', te - interval '110 days', ts + interval '10 days', te - interval '110 days'
      FROM sample_org;

    INSERT INTO s_context_issue (org_id, title, origin, category, effect, owner, last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, v.title, v.origin, v.category, v.effect, v.owner,
           te - (60 + 150 * isms.sample_u(so.k, v.i::integer, 10)) * interval '1 day',
           ts + (7 + v.i) * interval '1 day',
           te - (60 + 150 * isms.sample_u(so.k, v.i::integer, 10)) * interval '1 day'
      FROM sample_org so
      CROSS JOIN (SELECT row_number() OVER () AS i, * FROM (VALUES
        ('NIS2 brings the sector into the scope of cyber-security regulation', 'external', 'legal', 'negative', 'CISO'),
        ('Customers require ISO/IEC 27001 certification in tenders', 'external', 'market', 'positive', 'Head of sales'),
        ('Ransomware campaigns target logistics and supply chains', 'external', 'threat', 'negative', 'CISO'),
        ('GDPR fines and breach notification duties', 'external', 'legal', 'negative', 'Data protection officer'),
        ('Move of core systems to two EU cloud regions', 'internal', 'technological', 'positive', 'CTO'),
        ('Dependence on a few managed service providers', 'external', 'supplier', 'negative', 'Procurement lead'),
        ('Small security team, high IT staff turnover', 'internal', 'organisational', 'negative', 'HR lead'),
        ('Hybrid working from home and on the road', 'internal', 'organisational', 'neutral', 'IT operations lead'),
        ('Growth through acquisition of smaller carriers', 'internal', 'strategic', 'neutral', 'CEO'),
        ('Cyber insurance requires MFA and offline backups', 'external', 'financial', 'positive', 'CFO'),
        ('Legacy warehouse systems without vendor support', 'internal', 'technological', 'negative', 'CTO'),
        ('Public attention to data leaks in the sector', 'external', 'reputational', 'negative', 'Head of communications'),
        ('Energy price volatility affects data centre costs', 'external', 'economic', 'neutral', 'CFO'),
        ('Board sponsorship of the security programme', 'internal', 'leadership', 'positive', 'CEO')
      ) AS x(title, origin, category, effect, owner)) v;

    INSERT INTO s_interested_party (org_id, name, kind, category, description, contact, owner,
                                       last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, v.name, v.kind, v.category, v.description, v.contact, 'ISMS manager',
           te - (40 + 200 * isms.sample_u(so.k, v.i::integer, 20)) * interval '1 day',
           ts + 14 * interval '1 day',
           te - (40 + 200 * isms.sample_u(so.k, v.i::integer, 20)) * interval '1 day'
      FROM sample_org so
      CROSS JOIN (SELECT row_number() OVER () AS i, * FROM (VALUES
        ('Business customers', 'external', 'customer', 'Shippers with contracts and service levels', 'Account managers'),
        ('Consumers', 'external', 'customer', 'Parcel recipients whose data we process', 'Customer service'),
        ('Data protection authority', 'external', 'regulator', 'Supervises GDPR compliance', 'DPO'),
        ('National cyber-security authority', 'external', 'regulator', 'NIS2 supervision and incident reporting', 'CISO'),
        ('Employees', 'internal', 'employee', 'Staff and contractors', 'HR'),
        ('Board of directors', 'internal', 'management', 'Sets risk appetite and funds the ISMS', 'CEO office'),
        ('Cloud and managed service providers', 'external', 'supplier', 'Host and operate core platforms', 'Procurement'),
        ('Shareholders', 'external', 'shareholder', 'Expect resilience and reputation', 'CFO'),
        ('Cyber insurer', 'external', 'insurer', 'Sets security conditions of cover', 'CFO'),
        ('Certification body', 'external', 'auditor', 'Audits the ISMS against ISO/IEC 27001', 'ISMS manager')
      ) AS x(name, kind, category, description, contact)) v;

    INSERT INTO s_party_requirement (org_id, party_id, requirement, kind, addressed, how_addressed, rationale, owner,
                                        last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, p.id, v.requirement, v.kind, v.addressed, v.how, v.rationale, v.owner,
           CASE WHEN v.i = 7 AND so.k % 3 = 1 THEN te - interval '500 days'
                ELSE te - (40 + 220 * isms.sample_u(so.k, v.i::integer, 21)) * interval '1 day' END,
           ts + 21 * interval '1 day',
           CASE WHEN v.i = 7 AND so.k % 3 = 1 THEN te - interval '500 days'
                ELSE te - (40 + 220 * isms.sample_u(so.k, v.i::integer, 21)) * interval '1 day' END
      FROM sample_org so
      CROSS JOIN (SELECT row_number() OVER () AS i, * FROM (VALUES
        ('Business customers', 'Breach notification within 24 hours', 'contractual', true, 'Incident management process, A.5.24-A.5.26', NULL, 'Head of sales'),
        ('Business customers', 'Tracking service available 99.9% of the month', 'contractual', true, 'Capacity and continuity controls, A.5.30, A.8.14', NULL, 'CTO'),
        ('Business customers', 'Annual evidence of ISO/IEC 27001 certification', 'contractual', true, 'Certified ISMS', NULL, 'ISMS manager'),
        ('Consumers', 'Personal data used only to deliver parcels', 'legal', true, 'Privacy controls, A.5.34', NULL, 'Data protection officer'),
        ('Consumers', 'Delivery photos deleted after 30 days', 'other', true, 'Retention schedule, A.8.10', NULL, 'Data protection officer'),
        ('Data protection authority', 'GDPR Art. 33 notification within 72 hours', 'legal', true, 'Incident process with DPO sign-off', NULL, 'Data protection officer'),
        ('Data protection authority', 'Records of processing activities kept current', 'legal', true, 'Register of processing, A.5.34', NULL, 'Data protection officer'),
        ('National cyber-security authority', 'Significant incidents reported within 24 hours (NIS2)', 'regulatory', true, 'Incident classification and reporting procedure', NULL, 'CISO'),
        ('National cyber-security authority', 'Supply-chain security measures', 'regulatory', true, 'Supplier security, A.5.19-A.5.22', NULL, 'Procurement lead'),
        ('Employees', 'Clear rules for remote working', 'other', true, 'Remote working policy, A.6.7', NULL, 'HR lead'),
        ('Employees', 'Monitoring limited to what the works council agreed', 'legal', true, 'Logging standard, A.8.15, A.8.16', NULL, 'HR lead'),
        ('Employees', 'Flexible working hours', 'other', false, NULL, 'An HR matter outside the ISMS', 'HR lead'),
        ('Board of directors', 'Quarterly report on information security risk', 'other', true, 'Management review and risk reporting', NULL, 'CISO'),
        ('Board of directors', 'Security spending within the approved budget', 'other', true, 'Objectives and resource planning, 6.2', NULL, 'CFO'),
        ('Cloud and managed service providers', 'Shared-responsibility model respected', 'contractual', true, 'Cloud services policy, A.5.23', NULL, 'CTO'),
        ('Cloud and managed service providers', 'Timely notice of planned changes', 'contractual', true, 'Change management, A.8.32', NULL, 'IT operations lead'),
        ('Shareholders', 'No material loss from cyber incidents', 'other', true, 'Risk treatment and business continuity', NULL, 'CFO'),
        ('Cyber insurer', 'MFA on all remote access', 'contractual', true, 'Access control, A.8.5', NULL, 'IT operations lead'),
        ('Cyber insurer', 'Offline backups tested quarterly', 'contractual', true, 'Backup, A.8.13', NULL, 'IT operations lead'),
        ('Cyber insurer', 'Annual penetration test', 'contractual', true, 'Technical vulnerability management, A.8.8', NULL, 'CISO'),
        ('Certification body', 'Access to records and people during audits', 'contractual', true, 'Audit programme', NULL, 'ISMS manager'),
        ('Certification body', 'Nonconformities closed within 90 days', 'contractual', true, 'Corrective action process, 10.2', NULL, 'Quality lead'),
        ('Consumers', 'Accessible privacy notice', 'legal', true, 'Website privacy notice', NULL, 'Data protection officer'),
        ('Board of directors', 'Independent assurance of the ISMS', 'other', true, 'Internal audit and certification', NULL, 'CEO')
      ) AS x(party, requirement, kind, addressed, how, rationale, owner)) v
      JOIN s_interested_party p ON p.org_id = so.org_id AND p.name = v.party;

    INSERT INTO s_scope_item (org_id, kind, subject_type, subject, description, justification, owner,
                                 last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, v.kind, v.subject_type, v.subject, v.description, v.justification, 'ISMS manager',
           te - (70 + 100 * isms.sample_u(so.k, v.i::integer, 30)) * interval '1 day', ts + interval '20 days',
           te - (70 + 100 * isms.sample_u(so.k, v.i::integer, 30)) * interval '1 day'
      FROM sample_org so
      CROSS JOIN (SELECT row_number() OVER () AS i, * FROM (VALUES
        ('inclusion', 'service', 'Parcel tracking platform', 'Web, mobile and API channels', 'Core service customers rely on'),
        ('inclusion', 'service', 'Customer portal and billing', 'Accounts, invoices and payment data', 'Processes customer and payment data'),
        ('inclusion', 'location', 'Head office', 'Offices, meeting rooms and the server room', 'Where the teams in scope work'),
        ('inclusion', 'unit', 'IT, security, operations, HR and procurement', 'The teams that run the services', 'They operate the services in scope'),
        ('inclusion', 'system', 'Cloud regions EU-West and EU-Central', 'Production and disaster recovery', 'Hosts the platforms in scope'),
        ('exclusion', 'unit', 'Warehouse robotics subsidiary', 'Separate legal entity with its own certification', 'Certified separately; interfaces covered by contract'),
        ('interface', 'service', 'Cloud provider (IaaS)', 'Shared responsibility per contract', 'Provider''s controls apply below the operating system'),
        ('interface', 'service', 'Payroll outsourcing', 'Employee data transferred monthly', 'Supplier agreement with security clauses')
      ) AS x(kind, subject_type, subject, description, justification)) v;

    -- Processes (4.4) and their interactions; "Supplier security review"
    -- is siloed in some organisations: its ratings feed nothing.
    INSERT INTO s_process (org_id, name, purpose, pdca_phase, clause, owner, last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, v.name, v.purpose, v.phase, v.clause::isms.ref, v.owner,
           te - (30 + 250 * isms.sample_u(so.k, v.i::integer, 40)) * interval '1 day', ts + interval '25 days',
           te - (30 + 250 * isms.sample_u(so.k, v.i::integer, 40)) * interval '1 day'
      FROM sample_org so
      CROSS JOIN (SELECT row_number() OVER () AS i, * FROM (VALUES
        ('Context and scope management', 'Know the issues and parties that shape the ISMS and keep its scope right', 'plan', '4.1', 'ISMS manager'),
        ('Leadership and policy', 'Set direction, policies, roles and resources', 'plan', '5.2', 'CISO'),
        ('Risk assessment', 'Identify, analyse and evaluate information security risks', 'plan', '6.1.2', 'Risk manager'),
        ('Risk treatment', 'Choose controls, plan treatment and keep the Statement of Applicability', 'plan', '6.1.3', 'Risk manager'),
        ('Objectives and planning', 'Set measurable objectives and plan how to reach them', 'plan', '6.2', 'ISMS manager'),
        ('Competence and awareness', 'Make sure people are competent and aware', 'do', '7.2', 'HR lead'),
        ('Documented information control', 'Create, approve, publish and review ISMS documents', 'do', '7.5', 'ISMS manager'),
        ('Operations and change', 'Run the controls and change systems in a controlled way', 'do', '8.1', 'IT operations lead'),
        ('Incident management', 'Detect, respond to and learn from incidents', 'do', 'A.5.24', 'SOC lead'),
        ('Supplier security review', 'Assess the security of suppliers before and during contracts', 'do', 'A.5.19', 'Procurement lead'),
        ('Monitoring and measurement', 'Measure the performance of controls and the ISMS', 'check', '9.1', 'ISMS manager'),
        ('Internal audit', 'Check that the ISMS conforms and is effective', 'check', '9.2', 'Internal audit lead'),
        ('Management review', 'Review the ISMS and decide on changes and improvement', 'act', '9.3', 'CEO'),
        ('Nonconformity and corrective action', 'React to nonconformities and remove their causes', 'act', '10.2', 'Quality lead'),
        ('Continual improvement', 'Pursue opportunities to improve the ISMS', 'act', '10.1', 'ISMS manager')
      ) AS x(name, purpose, phase, clause, owner)) v;

    INSERT INTO s_process_output (org_id, process_id, artifact, created_at, updated_at)
    SELECT so.org_id, p.id, v.artifact, ts + interval '25 days', p.last_reviewed_at
      FROM sample_org so
      CROSS JOIN (VALUES
        ('Context and scope management', 'Context and interested parties register'),
        ('Context and scope management', 'ISMS scope'),
        ('Leadership and policy', 'Information security policy'),
        ('Leadership and policy', 'Roles and responsibilities'),
        ('Risk assessment', 'Risk assessment results'),
        ('Risk treatment', 'Risk treatment plan'),
        ('Risk treatment', 'Statement of Applicability'),
        ('Objectives and planning', 'Information security objectives'),
        ('Competence and awareness', 'Training records'),
        ('Documented information control', 'Controlled documents'),
        ('Operations and change', 'Operational logs'),
        ('Operations and change', 'Security events'),
        ('Incident management', 'Incident reports'),
        ('Incident management', 'Lessons learned'),
        ('Supplier security review', 'Supplier risk ratings'),
        ('Monitoring and measurement', 'Measurement results'),
        ('Internal audit', 'Audit findings'),
        ('Internal audit', 'Audit report'),
        ('Management review', 'Management review decisions'),
        ('Nonconformity and corrective action', 'Corrective action status'),
        ('Continual improvement', 'Improvement proposals'),
        ('Continual improvement', 'Implemented improvements')) AS v(process, artifact)
      JOIN s_process p ON p.org_id = so.org_id AND p.name = v.process;

    INSERT INTO s_process_input (org_id, process_id, artifact, created_at, updated_at)
    SELECT so.org_id, p.id, v.artifact, ts + interval '25 days', p.last_reviewed_at
      FROM sample_org so
      CROSS JOIN (VALUES
        ('Context and scope management', 'Management review decisions'),
        ('Leadership and policy', 'ISMS scope'),
        ('Leadership and policy', 'Management review decisions'),
        ('Risk assessment', 'Context and interested parties register'),
        ('Risk assessment', 'Lessons learned'),
        ('Risk assessment', 'Supplier risk ratings'),
        ('Risk treatment', 'Risk assessment results'),
        ('Objectives and planning', 'Information security policy'),
        ('Objectives and planning', 'Management review decisions'),
        ('Competence and awareness', 'Roles and responsibilities'),
        ('Documented information control', 'Information security policy'),
        ('Documented information control', 'Implemented improvements'),
        ('Operations and change', 'Risk treatment plan'),
        ('Operations and change', 'Controlled documents'),
        ('Incident management', 'Security events'),
        ('Supplier security review', 'Supplier questionnaires'),
        ('Monitoring and measurement', 'Information security objectives'),
        ('Monitoring and measurement', 'Operational logs'),
        ('Internal audit', 'Statement of Applicability'),
        ('Internal audit', 'Controlled documents'),
        ('Internal audit', 'Training records'),
        ('Management review', 'Risk assessment results'),
        ('Management review', 'Measurement results'),
        ('Management review', 'Audit report'),
        ('Management review', 'Incident reports'),
        ('Management review', 'Corrective action status'),
        ('Management review', 'Improvement proposals'),
        ('Nonconformity and corrective action', 'Audit findings'),
        ('Nonconformity and corrective action', 'Incident reports'),
        ('Continual improvement', 'Management review decisions'),
        ('Continual improvement', 'Audit findings')) AS v(process, artifact)
      JOIN s_process p ON p.org_id = so.org_id AND p.name = v.process
     WHERE NOT (so.siloed AND v.artifact = 'Supplier risk ratings');

    -- Documented information (7.5): some overdue for review, a few drafts
    -- and retired documents.
    INSERT INTO s_document (org_id, code, kind, title, classification, clause, owner, status,
                               last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, v.code, v.kind, v.title, v.classification, v.clause::isms.ref, v.owner,
           CASE WHEN v.i IN (41, 47) THEN 'draft' WHEN v.i IN (44, 52, 58) THEN 'retired'
                WHEN v.i = 55 THEN 'in_review' ELSE 'published' END,
           x.reviewed, ts + (30 + v.i) * interval '1 day', x.reviewed
      FROM sample_org so
      CROSS JOIN (SELECT row_number() OVER () AS i, * FROM (VALUES
        ('ISMS-MAN-001', 'other', 'ISMS manual', 'internal', '4.4', 'ISMS manager'),
        ('ISMS-SCO-001', 'other', 'ISMS scope statement', 'internal', '4.3', 'ISMS manager'),
        ('ISMS-CTX-001', 'record', 'Context and interested parties analysis', 'internal', '4.2', 'ISMS manager'),
        ('ISMS-POL-001', 'policy', 'Information security policy', 'public', '5.2', 'CISO'),
        ('ISMS-PRO-001', 'procedure', 'Risk assessment methodology', 'internal', '6.1.2', 'Risk manager'),
        ('ISMS-PRO-002', 'procedure', 'Risk treatment procedure', 'internal', '6.1.3', 'Risk manager'),
        ('ISMS-REC-001', 'record', 'Statement of Applicability', 'confidential', '6.1.3', 'Risk manager'),
        ('ISMS-PLN-001', 'plan', 'Information security objectives and plan', 'internal', '6.2', 'ISMS manager'),
        ('ISMS-PRO-003', 'procedure', 'Control of documented information', 'internal', '7.5.1', 'ISMS manager'),
        ('ISMS-PRO-004', 'procedure', 'Competence and awareness procedure', 'internal', '7.2', 'HR lead'),
        ('ISMS-PLN-002', 'plan', 'Communication plan', 'internal', '7.4', 'Head of communications'),
        ('ISMS-PRO-005', 'procedure', 'Operational planning and control', 'internal', '8.1', 'IT operations lead'),
        ('ISMS-PRO-006', 'procedure', 'Monitoring and measurement procedure', 'internal', '9.1', 'ISMS manager'),
        ('ISMS-PRO-007', 'procedure', 'Internal audit procedure', 'internal', '9.2', 'Internal audit lead'),
        ('ISMS-PRO-008', 'procedure', 'Management review procedure', 'internal', '9.3', 'CISO'),
        ('ISMS-PRO-009', 'procedure', 'Nonconformity and corrective action procedure', 'internal', '10.2', 'Quality lead'),
        ('ISMS-PRO-010', 'procedure', 'Continual improvement procedure', 'internal', '10.1', 'ISMS manager'),
        ('ISMS-POL-002', 'policy', 'Access control policy', 'internal', 'A.5.15', 'IT operations lead'),
        ('ISMS-POL-003', 'policy', 'Acceptable use policy', 'internal', 'A.5.10', 'CISO'),
        ('ISMS-POL-004', 'policy', 'Supplier security policy', 'internal', 'A.5.19', 'Procurement lead'),
        ('ISMS-POL-005', 'policy', 'Cloud services policy', 'internal', 'A.5.23', 'CTO'),
        ('ISMS-POL-006', 'policy', 'Incident management policy', 'internal', 'A.5.24', 'SOC lead'),
        ('ISMS-POL-007', 'policy', 'Business continuity policy', 'internal', 'A.5.30', 'COO'),
        ('ISMS-POL-008', 'policy', 'Data protection policy', 'internal', 'A.5.34', 'Data protection officer'),
        ('ISMS-POL-009', 'policy', 'Remote working policy', 'internal', 'A.6.7', 'HR lead'),
        ('ISMS-POL-010', 'policy', 'Cryptography policy', 'internal', 'A.8.24', 'CTO'),
        ('ISMS-POL-011', 'policy', 'Backup policy', 'internal', 'A.8.13', 'IT operations lead'),
        ('ISMS-POL-012', 'policy', 'Secure development policy', 'internal', 'A.8.25', 'CTO'),
        ('ISMS-STD-001', 'standard', 'Password and authentication standard', 'internal', 'A.5.17', 'IT operations lead'),
        ('ISMS-STD-002', 'standard', 'Logging and monitoring standard', 'internal', 'A.8.15', 'SOC lead'),
        ('ISMS-STD-003', 'standard', 'Hardening baseline for servers', 'confidential', 'A.8.9', 'IT operations lead'),
        ('ISMS-STD-004', 'standard', 'Network security standard', 'confidential', 'A.8.20', 'IT operations lead'),
        ('ISMS-STD-005', 'standard', 'Endpoint protection standard', 'internal', 'A.8.7', 'IT operations lead'),
        ('ISMS-STD-006', 'standard', 'Information classification and labelling', 'internal', 'A.5.12', 'CISO'),
        ('ISMS-PRO-011', 'procedure', 'Patch and vulnerability management', 'internal', 'A.8.8', 'IT operations lead'),
        ('ISMS-PRO-012', 'procedure', 'Change management procedure', 'internal', 'A.8.32', 'IT operations lead'),
        ('ISMS-PRO-013', 'procedure', 'Joiners, movers and leavers', 'internal', 'A.5.18', 'HR lead'),
        ('ISMS-PRO-014', 'procedure', 'Incident response playbooks', 'confidential', 'A.5.26', 'SOC lead'),
        ('ISMS-PRO-015', 'procedure', 'Backup and restore test procedure', 'internal', 'A.8.13', 'IT operations lead'),
        ('ISMS-PRO-016', 'procedure', 'Supplier onboarding assessment', 'internal', 'A.5.21', 'Procurement lead'),
        ('ISMS-PRO-017', 'procedure', 'Secure disposal of media', 'internal', 'A.7.14', 'Facilities manager'),
        ('ISMS-PRO-018', 'procedure', 'Access review procedure', 'internal', 'A.5.18', 'IT operations lead'),
        ('ISMS-PRO-019', 'procedure', 'Capacity management', 'internal', 'A.8.6', 'IT operations lead'),
        ('ISMS-PRO-020', 'procedure', 'Legacy VPN access procedure', 'internal', 'A.8.20', 'IT operations lead'),
        ('ISMS-PRO-021', 'procedure', 'Threat intelligence handling', 'internal', 'A.5.7', 'SOC lead'),
        ('ISMS-PRO-022', 'procedure', 'Privileged access management', 'confidential', 'A.8.2', 'IT operations lead'),
        ('ISMS-PRO-023', 'procedure', 'Data masking in test environments', 'internal', 'A.8.11', 'CTO'),
        ('ISMS-PLN-003', 'plan', 'Business continuity plan', 'confidential', 'A.5.30', 'COO'),
        ('ISMS-PLN-004', 'plan', 'Disaster recovery plan', 'confidential', 'A.8.14', 'CTO'),
        ('ISMS-PLN-005', 'plan', 'Security awareness programme', 'internal', 'A.6.3', 'HR lead'),
        ('ISMS-GUI-001', 'guideline', 'Clean desk and clear screen', 'internal', 'A.7.7', 'Facilities manager'),
        ('ISMS-GUI-002', 'guideline', 'Fax and paper mail handling', 'internal', 'A.5.14', 'Facilities manager'),
        ('ISMS-GUI-003', 'guideline', 'Travelling with devices', 'internal', 'A.7.9', 'IT operations lead'),
        ('ISMS-GUI-004', 'guideline', 'Social media use', 'public', 'A.6.8', 'Head of communications'),
        ('ISMS-FRM-001', 'form', 'Access request form', 'internal', 'A.5.15', 'IT operations lead'),
        ('ISMS-FRM-002', 'form', 'Incident report form', 'internal', 'A.6.8', 'SOC lead'),
        ('ISMS-FRM-003', 'form', 'Supplier security questionnaire', 'internal', 'A.5.20', 'Procurement lead'),
        ('ISMS-FRM-004', 'form', 'Old visitor log template', 'internal', 'A.7.2', 'Facilities manager'),
        ('ISMS-REC-002', 'record', 'Asset inventory export', 'confidential', 'A.5.9', 'IT operations lead'),
        ('ISMS-REC-003', 'record', 'Register of processing activities', 'confidential', 'A.5.34', 'Data protection officer')
      ) AS v0(code, kind, title, classification, clause, owner)) v
      CROSS JOIN LATERAL (
          SELECT CASE WHEN isms.sample_u(so.k, v.i::integer, 50) < 0.06 + 0.2 * isms.sample_u(so.k, 0, 51)
                      THEN te - (400 + 500 * isms.sample_u(so.k, v.i::integer, 52)) * interval '1 day'
                      ELSE te - (20 + 300 * isms.sample_u(so.k, v.i::integer, 52)) * interval '1 day' END AS reviewed) x;

    INSERT INTO s_policy (org_id, title, kind, statement, document_id, approved_by, approved_at, owner,
                             last_reviewed_at, created_at, updated_at)
    SELECT d.org_id, d.title, CASE WHEN d.code = 'ISMS-POL-001' THEN 'information_security' ELSE 'topic_specific' END,
           'Commitments of the ' || lower(d.title) || ', approved by top management', d.id,
           CASE WHEN d.code = 'ISMS-POL-001' THEN 'CEO' ELSE 'CISO' END, d.last_reviewed_at, d.owner,
           d.last_reviewed_at, d.created_at, d.last_reviewed_at
      FROM s_document d
     WHERE d.org_id = ANY (orgs) AND d.kind = 'policy';

    INSERT INTO s_role_assignment (org_id, role, responsibility, authority, assignee, assigned_on, owner,
                                      last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, v.role, v.responsibility, v.authority, v.assignee, (ts + interval '15 days')::date, 'CEO',
           te - (90 + 150 * isms.sample_u(so.k, v.i::integer, 60)) * interval '1 day', ts + interval '15 days',
           te - (90 + 150 * isms.sample_u(so.k, v.i::integer, 60)) * interval '1 day'
      FROM sample_org so
      CROSS JOIN (SELECT row_number() OVER () AS i, * FROM (VALUES
        ('Top management sponsor', 'Owns the ISMS and chairs management reviews', 'Approves policy, risk appetite and resources', 'Chris Hale (CEO)'),
        ('Chief information security officer', 'Leads the security programme', 'Sets security standards; stops unsafe changes', 'Dana Okafor'),
        ('ISMS manager', 'Runs the ISMS day to day', 'Maintains ISMS records and reports', 'Sam Patel'),
        ('Risk manager', 'Runs risk assessment and treatment', 'Escalates risks above appetite', 'Mira Jensen'),
        ('Data protection officer', 'Advises on and monitors GDPR compliance', 'Reports to the authority', 'Lea Novak'),
        ('Internal audit lead', 'Plans and leads internal audits', 'Independent access to all records', 'Olu Adeyemi'),
        ('SOC lead', 'Runs detection and incident response', 'Isolates systems during incidents', 'Tom Becker'),
        ('IT operations lead', 'Operates infrastructure and access control', 'Grants and revokes access', 'Priya Raman'),
        ('CTO', 'Owns architecture and development', 'Approves technical changes', 'Jan Visser'),
        ('HR lead', 'Runs screening, onboarding and awareness', 'Starts disciplinary process', 'Hana Kim'),
        ('Procurement lead', 'Runs supplier selection and reviews', 'Blocks unassessed suppliers', 'Luis Ortega'),
        ('Quality lead', 'Runs nonconformity and corrective action', 'Assigns corrective actions', 'Eva Lindqvist'),
        ('Facilities manager', 'Physical security of the offices', 'Issues and revokes badges', 'Ben Carter'),
        ('Head of communications', 'Internal and external communication', 'Speaks to the press', 'Nora Walsh'),
        ('Business continuity coordinator', 'Maintains and tests continuity plans', 'Invokes the continuity plan', 'Ravi Shah'),
        ('Asset owner: tracking platform', 'Accountable for the tracking platform', 'Approves access to it', 'Jan Visser'),
        ('Asset owner: customer data', 'Accountable for customer data', 'Approves data sharing', 'Lea Novak'),
        ('Security champion: development', 'Promotes secure coding', 'Blocks insecure releases', 'Ada Moreau'),
        ('Security champion: operations', 'Promotes secure operations', 'Raises security changes', 'Kai Tanaka'),
        ('Deputy ISMS manager', 'Stands in for the ISMS manager', 'As the ISMS manager', 'Ines Duarte')
      ) AS x(role, responsibility, authority, assignee)) v;

    INSERT INTO s_competence (org_id, role, competence, description, owner, last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, v.role, v.competence, v.description, 'HR lead',
           te - (60 + 200 * isms.sample_u(so.k, v.i::integer, 70)) * interval '1 day', ts + interval '40 days',
           te - (60 + 200 * isms.sample_u(so.k, v.i::integer, 70)) * interval '1 day'
      FROM sample_org so
      CROSS JOIN (SELECT row_number() OVER () AS i, * FROM (VALUES
        ('All staff', 'Security awareness', 'Yearly awareness course and phishing simulations'),
        ('Internal auditor', 'ISO/IEC 27001 lead auditor', 'Certified course and two supervised audits'),
        ('ISMS manager', 'ISO/IEC 27001 lead implementer', 'Certified course'),
        ('SOC analyst', 'Incident handling', 'Incident handler certification and drills'),
        ('Administrator', 'Secure configuration', 'Hardening training and peer review'),
        ('Developer', 'Secure coding', 'OWASP training every year'),
        ('Risk manager', 'Risk assessment', 'ISO/IEC 27005 training'),
        ('Procurement', 'Supplier security assessment', 'Internal training on the questionnaire'),
        ('Data protection officer', 'Data protection law', 'Certified DPO training'),
        ('Managers', 'Security leadership', 'Half-day workshop'),
        ('Business continuity coordinator', 'Continuity planning', 'ISO 22301 foundation'),
        ('Helpdesk', 'Identity verification', 'Social engineering training')
      ) AS x(role, competence, description)) v;

    -- Awareness every year for every employee, specialist training now and then.
    INSERT INTO s_training_record (org_id, person, competence_id, activity, kind, completed_on, valid_until, result,
                                      created_at, updated_at)
    SELECT so.org_id, format('Employee %s', lpad(e::text, 3, '0')), c.id,
           format('Security awareness %s', extract(year FROM x.done)), 'awareness', x.done, x.done + 365,
           CASE WHEN isms.sample_u(so.k, e * 10 + y, 81) < 0.93 THEN 'passed' ELSE 'passed on second attempt' END,
           x.done, x.done
      FROM sample_org so
      CROSS JOIN generate_series(1, greatest(20, round(120 * so.f)::integer)) e
      CROSS JOIN generate_series(0, 2) y
      CROSS JOIN LATERAL (SELECT (ts + y * interval '1 year' + (30 + 300 * isms.sample_u(so.k, e * 10 + y, 80)) * interval '1 day')::date AS done) x
      JOIN s_competence c ON c.org_id = so.org_id AND c.role = 'All staff'
     WHERE x.done <= until;
    INSERT INTO s_training_record (org_id, person, competence_id, activity, kind, completed_on, valid_until, result,
                                      created_at, updated_at)
    SELECT so.org_id, format('Employee %s', lpad((1 + (t * 37) % 100)::text, 3, '0')), c.id,
           c.competence || ' course', 'training', x.done, x.done + 730, 'certificate on file', x.done, x.done
      FROM sample_org so
      CROSS JOIN generate_series(1, 40) t
      JOIN s_competence c ON c.org_id = so.org_id AND c.role <> 'All staff'
                            AND c.role = (ARRAY['Internal auditor', 'ISMS manager', 'SOC analyst', 'Administrator', 'Developer',
                                                'Risk manager', 'Procurement', 'Data protection officer', 'Managers',
                                                'Business continuity coordinator', 'Helpdesk'])[1 + t % 11]
      CROSS JOIN LATERAL (SELECT (ts + (20 + 1050 * isms.sample_u(so.k, t, 82)) * interval '1 day')::date AS done) x
     WHERE x.done <= until;

    INSERT INTO s_communication (org_id, subject, audience, direction, frequency, communicator, channel, party_id, owner,
                                    last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, v.subject, v.audience, v.direction, v.frequency, v.communicator, v.channel, p.id, 'Head of communications',
           te - (50 + 250 * isms.sample_u(so.k, v.i::integer, 90)) * interval '1 day', ts + interval '45 days',
           te - (50 + 250 * isms.sample_u(so.k, v.i::integer, 90)) * interval '1 day'
      FROM sample_org so
      CROSS JOIN (SELECT row_number() OVER () AS i, * FROM (VALUES
        ('Policy changes', 'All staff', 'internal', 'On change', 'ISMS manager', 'Intranet and e-mail', NULL),
        ('Security awareness tips', 'All staff', 'internal', 'Monthly', 'HR lead', 'Newsletter', NULL),
        ('ISMS performance', 'Board of directors', 'internal', 'Quarterly', 'CISO', 'Board report', 'Board of directors'),
        ('Incident notifications', 'Business customers', 'external', 'Within 24 hours of a breach', 'CISO', 'E-mail and phone', 'Business customers'),
        ('Breach notification', 'Data protection authority', 'external', 'Within 72 hours', 'Data protection officer', 'Authority portal', 'Data protection authority'),
        ('Significant incident reports', 'National cyber-security authority', 'external', 'Within 24 hours', 'CISO', 'Authority portal', 'National cyber-security authority'),
        ('Security requirements', 'Cloud and managed service providers', 'external', 'At contract and yearly', 'Procurement lead', 'Contract schedule', 'Cloud and managed service providers'),
        ('Certification status', 'Business customers', 'external', 'Yearly', 'ISMS manager', 'Customer portal', 'Business customers'),
        ('Phishing simulation results', 'Managers', 'internal', 'Quarterly', 'SOC lead', 'Team meetings', NULL),
        ('Continuity test results', 'Board of directors', 'internal', 'Yearly', 'Business continuity coordinator', 'Board report', 'Board of directors')
      ) AS x(subject, audience, direction, frequency, communicator, channel, party)) v
      LEFT JOIN s_interested_party p ON p.org_id = so.org_id AND p.name = v.party;

    -- Assets: in some organisations nobody has touched the inventory for
    -- two years (shelf-ware).
    INSERT INTO s_asset (org_id, name, kind, classification, description, location, custodian, owner,
                            last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, v.name || CASE WHEN r = 2 THEN ' (disaster recovery)' ELSE '' END, v.kind, v.classification,
           v.name || ' of the ' || so.name, CASE WHEN r = 2 THEN 'EU-Central' ELSE 'EU-West' END, 'IT operations lead', v.owner,
           x.reviewed, ts + interval '30 days', x.reviewed
      FROM sample_org so
      CROSS JOIN (SELECT row_number() OVER () AS i, * FROM (VALUES
        ('Tracking database', 'information', 'confidential', 'CTO'),
        ('Customer master data', 'information', 'confidential', 'Data protection officer'),
        ('Billing system', 'software', 'confidential', 'CFO'),
        ('Customer portal', 'software', 'internal', 'CTO'),
        ('Tracking API', 'service', 'internal', 'CTO'),
        ('Mobile driver app', 'software', 'internal', 'CTO'),
        ('Identity provider', 'service', 'confidential', 'IT operations lead'),
        ('E-mail and collaboration suite', 'service', 'internal', 'IT operations lead'),
        ('HR system', 'software', 'restricted', 'HR lead'),
        ('Payroll data', 'information', 'restricted', 'HR lead'),
        ('Source code repositories', 'information', 'confidential', 'CTO'),
        ('CI/CD pipeline', 'software', 'confidential', 'CTO'),
        ('Kubernetes clusters', 'software', 'confidential', 'IT operations lead'),
        ('Backup vault', 'service', 'confidential', 'IT operations lead'),
        ('Log platform', 'software', 'confidential', 'SOC lead'),
        ('Firewalls', 'hardware', 'confidential', 'IT operations lead'),
        ('Office network', 'hardware', 'internal', 'IT operations lead'),
        ('Staff laptops', 'hardware', 'internal', 'IT operations lead'),
        ('Staff mobile phones', 'hardware', 'internal', 'IT operations lead'),
        ('Warehouse scanners', 'hardware', 'internal', 'COO'),
        ('Route planning system', 'software', 'internal', 'COO'),
        ('Data warehouse', 'information', 'confidential', 'CFO'),
        ('Contracts archive', 'information', 'confidential', 'CFO'),
        ('Head office', 'site', 'internal', 'Facilities manager'),
        ('Server room', 'site', 'confidential', 'Facilities manager'),
        ('Security team', 'people', 'internal', 'CISO'),
        ('IT operations team', 'people', 'internal', 'IT operations lead'),
        ('Customer service team', 'people', 'internal', 'COO'),
        ('Payment gateway', 'service', 'restricted', 'CFO'),
        ('Public website', 'service', 'public', 'Head of communications'),
        ('DNS and certificates', 'service', 'confidential', 'IT operations lead'),
        ('VPN gateway', 'hardware', 'confidential', 'IT operations lead'),
        ('Printers and scanners', 'hardware', 'internal', 'Facilities manager'),
        ('Badge system', 'hardware', 'confidential', 'Facilities manager'),
        ('CCTV recordings', 'information', 'restricted', 'Facilities manager'),
        ('Delivery photos', 'information', 'confidential', 'Data protection officer'),
        ('Analytics platform', 'software', 'internal', 'CTO'),
        ('Test environment', 'software', 'internal', 'CTO'),
        ('Secrets vault', 'software', 'restricted', 'IT operations lead'),
        ('Ticketing system', 'software', 'internal', 'IT operations lead')
      ) AS x(name, kind, classification, owner)) v
      CROSS JOIN generate_series(1, 2) r
      CROSS JOIN LATERAL (
          SELECT CASE WHEN so.stale_assets THEN ts + (45 + 60 * isms.sample_u(so.k, v.i::integer * 2 + r, 100)) * interval '1 day'
                      ELSE te - (30 + 300 * isms.sample_u(so.k, v.i::integer * 2 + r, 101)) * interval '1 day' END AS reviewed) x;

    CREATE TEMP TABLE sample_asset ON COMMIT DROP AS
    SELECT a.org_id, a.id, a.name, a.owner, row_number() OVER (PARTITION BY a.org_id ORDER BY a.id)::integer AS rn
      FROM s_asset a WHERE a.org_id = ANY (orgs);
    CREATE INDEX ON sample_asset (org_id, rn);
    ANALYZE sample_asset;

    -- Risks (6.1.2): an initial assessment, then new risks over the years.
    CREATE TEMP TABLE sample_risk ON COMMIT DROP AS
    SELECT so.k, so.org_id, i,
           CASE WHEN i <= round(100 * so.f) THEN ts + (40 + 20 * isms.sample_u(so.k, i, 110)) * interval '1 day'
                ELSE ts + (90 + 1000 * isms.sample_u(so.k, i, 111)) * interval '1 day' END AS identified,
           1 + floor(5 * isms.sample_u(so.k, i, 112))::integer AS lik,
           1 + floor(5 * isms.sample_u(so.k, i, 113))::integer AS imp,
           isms.sample_u(so.k, i, 114) AS u_treat,
           isms.sample_u(so.k, i, 115) AS u_review
      FROM sample_org so
      CROSS JOIN generate_series(1, round(150 * so.f)::integer) i;
    ANALYZE sample_risk;
    INSERT INTO s_risk (org_id, title, description, asset_id, threat, vulnerability, consequence,
                           inherent_likelihood, inherent_impact, residual_likelihood, residual_impact, treatment,
                           identified_on, accepted_by, accepted_at, accepted_until, owner, review_interval,
                           last_reviewed_at, created_at, updated_at)
    SELECT r.org_id, format(t.title, a.name), format('%s exploits %s at %s', t.threat, lower(t.vulnerability), a.name),
           a.id, t.threat, t.vulnerability, t.consequence,
           r.lik, r.imp,
           CASE WHEN x.treatment = 'modify' THEN greatest(1, r.lik - 1 - (r.u_treat * 2)::integer)
                WHEN x.treatment IN ('share', 'avoid') THEN greatest(1, r.lik - 2) ELSE r.lik END,
           CASE WHEN x.treatment = 'modify' THEN greatest(1, r.imp - (r.u_treat > 0.6)::integer)
                WHEN x.treatment = 'share' THEN greatest(1, r.imp - 2) ELSE r.imp END,
           x.treatment, r.identified::date,
           CASE WHEN x.treatment <> 'modify' THEN a.owner END,
           CASE WHEN x.treatment <> 'modify' THEN r.identified + interval '21 days' END,
           CASE WHEN x.treatment <> 'modify' THEN greatest(r.identified + interval '21 days', te - interval '200 days') + interval '1 year' END,
           a.owner,
           CASE WHEN r.lik * r.imp >= 20 THEN interval '6 months' END,
           x.reviewed, r.identified, coalesce(x.reviewed, r.identified)
      FROM sample_risk r
      JOIN sample_asset a ON a.org_id = r.org_id AND a.rn = 1 + (r.i * 7) % 80
      CROSS JOIN LATERAL (SELECT * FROM (VALUES
        (0, 'Ransomware encrypts %s', 'Ransomware gang', 'Unpatched internet-facing services', 'Outage of deliveries and ransom demand'),
        (1, 'Phishing leads to account takeover on %s', 'Phishing', 'Staff credentials reused or not protected by MFA', 'Fraud and data breach'),
        (2, 'Customer data leaked from %s', 'External attacker', 'Misconfigured access rights', 'GDPR fine and lost customers'),
        (3, 'Insider copies data from %s', 'Malicious insider', 'Excessive privileges', 'Data breach'),
        (4, 'Outage of %s', 'Provider failure', 'Single region deployment', 'Missed delivery service levels'),
        (5, 'Loss of %s through deletion', 'Operator error', 'Untested restores', 'Permanent data loss'),
        (6, 'Supplier breach exposes %s', 'Compromised supplier', 'Weak supplier assurance', 'Data breach through the supply chain'),
        (7, 'Theft of %s', 'Theft', 'Devices not encrypted', 'Disclosure of local data'),
        (8, 'Unauthorised change to %s', 'Administrator error', 'Changes outside change control', 'Outage or weakened controls'),
        (9, 'Denial of service against %s', 'DDoS extortion', 'No rate limiting', 'Unavailable service'),
        (10, 'Malware on %s', 'Commodity malware', 'Outdated endpoint protection', 'Lateral movement'),
        (11, 'Vulnerability in %s exploited', 'Opportunistic attacker', 'Slow patching', 'Compromise of the system'),
        (12, 'Misdirected data from %s', 'Human error', 'No data loss prevention', 'Privacy breach'),
        (13, 'Logs of %s missing when needed', 'Any attacker', 'Insufficient logging', 'Incidents not investigated'),
        (14, 'Weak cryptography protecting %s', 'Eavesdropper', 'Legacy TLS settings', 'Interception of data')
      ) AS v(n, title, threat, vulnerability, consequence) WHERE v.n = r.i % 15) t
      CROSS JOIN LATERAL (
          SELECT CASE WHEN r.lik * r.imp >= 9 AND r.u_treat < 0.9 THEN 'modify'
                      WHEN r.lik * r.imp >= 9 THEN 'share'
                      WHEN r.u_treat < 0.05 THEN 'avoid' ELSE 'retain' END AS treatment,
                 CASE WHEN r.identified > te - interval '120 days' THEN NULL
                      WHEN r.u_review < 0.07 THEN te - (400 + 300 * r.u_review * 10) * interval '1 day'
                      ELSE te - (100 + 30 * r.u_review) * interval '1 day' END AS reviewed) x;

    INSERT INTO s_risk_control (org_id, risk_id, control, rationale, created_at, updated_at)
    SELECT r.org_id, r.id, x.control, 'Reduces the likelihood or impact of the risk',
           r.created_at, r.created_at
      FROM (SELECT t.*, row_number() OVER (PARTITION BY t.org_id ORDER BY t.id)::integer AS rn FROM s_risk t WHERE t.org_id = ANY (orgs)) r
      CROSS JOIN LATERAL generate_series(0, 1 + (r.rn % 3)) j
      -- the controls the SoA below excludes treat no risk: the next one does
      CROSS JOIN LATERAL (
          SELECT c.control FROM unnest(controls[1 + (r.rn * 11 + j * 17) % 93:] || controls) WITH ORDINALITY AS c(control, ord)
           WHERE c.control::text NOT IN ('A.7.11', 'A.7.12', 'A.7.13', 'A.8.30')
           ORDER BY c.ord LIMIT 1) x;

    -- The Statement of Applicability: every control decided.
    INSERT INTO s_soa_entry (org_id, control, applicable, justification, implementation_status, owner,
                                last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, q.ref, x.excluded IS NULL,
           coalesce(x.excluded,
                    CASE WHEN EXISTS (SELECT 1 FROM s_risk_control rc WHERE rc.org_id = so.org_id AND rc.control = q.ref)
                         THEN 'Treats assessed risks' ELSE 'Good practice and contractual requirements' END),
           CASE WHEN x.excluded IS NOT NULL THEN 'not_implemented'
                WHEN x.u < 0.78 + 0.1 * isms.sample_u(so.k, 0, 121) THEN 'implemented'
                WHEN x.u < 0.92 THEN 'partially_implemented'
                WHEN x.u < 0.98 THEN 'planned' ELSE 'not_implemented' END,
           CASE q.theme WHEN 'organizational' THEN 'ISMS manager' WHEN 'people' THEN 'HR lead'
                        WHEN 'physical' THEN 'Facilities manager' ELSE 'IT operations lead' END,
           te - (80 + 60 * isms.sample_u(so.k, x.n, 122)) * interval '1 day', ts + interval '60 days',
           te - (80 + 60 * isms.sample_u(so.k, x.n, 122)) * interval '1 day'
      FROM sample_org so
      CROSS JOIN (SELECT r.*, row_number() OVER (ORDER BY r.ref)::integer AS n FROM isms.requirement r
                   WHERE r.framework = 'iso27001-2022' AND r.kind = 'control') q
      CROSS JOIN LATERAL (
          SELECT q.n AS n, isms.sample_u(so.k, q.n, 120) AS u,
                 CASE q.ref::text
                      WHEN 'A.7.11' THEN 'Hosted in certified cloud regions; the provider''s utility controls apply under the supplier agreement'
                      WHEN 'A.7.12' THEN 'No owned data centre; office cabling is landlord-managed and carries no data in scope unencrypted'
                      WHEN 'A.8.30' THEN 'No development is outsourced'
                      WHEN 'A.7.13' THEN CASE WHEN so.k % 2 = 0 THEN 'Equipment in scope is leased and maintained by the provider' END
                 END AS excluded) x;

    --------------------------------------------------------------------------
    -- Workflow records: plans first (path of states after the initial one
    -- and the date of each step), then created and moved by isms_sample.

    CREATE TEMP TABLE sample_rec (relid regclass, org_id bigint, id bigint, k integer, n integer,
                                  path text[], d timestamptz[], final integer,
                                  PRIMARY KEY (relid, org_id, id)) ON COMMIT DROP;

    -- Treatment plans (6.1.3): one per risk to modify.
    ANALYZE sample_rec;
    INSERT INTO s_treatment_plan (org_id, risk_id, title, action, resources, due_on, owner)
    SELECT r.org_id, r.id, 'Treat: ' || r.title,
           'Implement ' || string_agg(rc.control::text, ', ' ORDER BY rc.control) || ' for ' || a.name,
           'Internal team, budgeted', (r.identified_on + 150), r.owner
      FROM s_risk r
      JOIN s_asset a ON a.org_id = r.org_id AND a.id = r.asset_id
      JOIN s_risk_control rc ON rc.org_id = r.org_id AND rc.risk_id = r.id
     WHERE r.org_id = ANY (orgs) AND r.treatment = 'modify'
     GROUP BY r.org_id, r.id, a.name
     ORDER BY r.org_id, r.id;
    INSERT INTO sample_rec (relid, org_id, id, k, n, path, d)
    SELECT 'isms.treatment_plan', p.org_id, p.id, so.k, p.rn,
           CASE WHEN isms.sample_u(so.k, p.rn, 130) < 0.03 THEN '{withdrawn}'::text[]
                ELSE '{approved,in_progress,implemented,verified,closed}' END,
           ARRAY[d0, d0 + (5 + 10 * u1) * interval '1 day', d0 + (12 + 14 * u1) * interval '1 day',
                 d0 + (40 + 140 * u2) * interval '1 day', d0 + (55 + 140 * u2 + 14 * u1) * interval '1 day',
                 d0 + (62 + 140 * u2 + 20 * u1) * interval '1 day']
      FROM (SELECT t.*, row_number() OVER (PARTITION BY t.org_id ORDER BY t.id)::integer AS rn FROM s_treatment_plan t WHERE t.org_id = ANY (orgs)) p
      JOIN sample_org so ON so.org_id = p.org_id
      JOIN s_risk r ON r.org_id = p.org_id AND r.id = p.risk_id
      CROSS JOIN LATERAL (SELECT r.created_at + (5 + 15 * isms.sample_u(so.k, p.rn, 131)) * interval '1 day' AS d0,
                                 isms.sample_u(so.k, p.rn, 132) AS u1,
                                 isms.sample_u(so.k, p.rn, 133) AS u2) x;
    -- evidence that lets a plan be verified (guard treatment_evidence)
    INSERT INTO s_evidence (org_id, record_table, record_id, url, description, collected_at, collected_by,
                               created_at, updated_at)
    SELECT s.org_id, 'isms.treatment_plan', s.id, format('https://grc.example/treatment/%s/%s', s.org_id, s.id),
           'Implementation check of the treatment', s.d[5] - interval '1 day', 'Internal audit lead',
           s.d[5] - interval '1 day', s.d[5] - interval '1 day'
      FROM sample_rec s
     WHERE s.relid = 'isms.treatment_plan'::regclass AND s.path[4] = 'verified' AND s.d[5] <= te;

    -- Internal audit programmes (one per ISMS year and the coming one) and
    -- quarterly audits.
    INSERT INTO s_audit_programme (org_id, title, period_start, period_end, objectives, frequency, methods, criteria, owner,
                                      last_reviewed_at, created_at, updated_at)
    SELECT so.org_id, format('Internal audit programme, year %s', y + 1),
           (ts + y * interval '1 year')::date, (ts + (y + 1) * interval '1 year')::date - 1,
           'Cover every clause and the applicable Annex A controls over the year', 'Quarterly',
           'Interviews, record sampling, technical checks', 'ISO/IEC 27001:2022 and the ISMS documents', 'Internal audit lead',
           ts + y * interval '1 year' - interval '20 days', ts + y * interval '1 year' - interval '30 days',
           ts + y * interval '1 year' - interval '20 days'
      FROM sample_org so CROSS JOIN generate_series(0, 3) y;

    ANALYZE sample_rec;
    INSERT INTO s_audit (org_id, programme_id, title, scope, criteria, lead_auditor, auditors, auditee,
                            planned_start, planned_end)
    SELECT so.org_id, p.id, format('Internal audit %s-Q%s: %s', y + 1, q + 1, v.scope), v.scope,
           'ISO/IEC 27001:2022 and the ISMS documents',
           CASE WHEN q = 3 THEN 'Audit Partners Ltd (external)' ELSE 'Olu Adeyemi' END,
           ARRAY['Ines Duarte'], v.auditee,
           (ts + y * interval '1 year' + (q * 3 + 2) * interval '1 month')::date,
           (ts + y * interval '1 year' + (q * 3 + 2) * interval '1 month')::date + 2
      FROM sample_org so
      CROSS JOIN generate_series(0, 2) y
      CROSS JOIN (VALUES (0, 'Clauses 4 to 7: context, leadership, planning, support', 'ISMS manager'),
                         (1, 'Clause 8 and the organizational controls of Annex A.5', 'CISO'),
                         (2, 'Technological controls of Annex A.8', 'IT operations lead'),
                         (3, 'Clauses 9 and 10, people and physical controls A.6 and A.7', 'Quality lead')) AS v(q, scope, auditee)
      JOIN s_audit_programme p ON p.org_id = so.org_id AND p.period_start = (ts + y * interval '1 year')::date
     ORDER BY so.org_id, y, v.q;
    INSERT INTO sample_rec (relid, org_id, id, k, n, path, d)
    SELECT 'isms.audit', a.org_id, a.id, so.k, a.rn,
           CASE WHEN a.title LIKE 'Internal audit 2-Q2%' AND so.k % 2 = 1 THEN '{cancelled}'::text[]
                ELSE '{in_progress,reporting,completed}' END,
           CASE WHEN a.title LIKE 'Internal audit 2-Q2%' AND so.k % 2 = 1
                THEN ARRAY[d0, a.planned_start - interval '10 days' + interval '9 hours']
                ELSE ARRAY[d0, a.planned_start + interval '9 hours', a.planned_end + interval '2 days 9 hours',
                           a.planned_end + interval '16 days 9 hours'] END
      FROM (SELECT t.*, row_number() OVER (PARTITION BY t.org_id ORDER BY t.id)::integer AS rn FROM s_audit t WHERE t.org_id = ANY (orgs)) a
      JOIN sample_org so ON so.org_id = a.org_id
      CROSS JOIN LATERAL (SELECT a.planned_start - interval '45 days' + interval '9 hours' AS d0) x;

    -- Findings of every audit that reached reporting: nonconformities,
    -- observations and opportunities for improvement.
    CREATE TEMP TABLE sample_finding ON COMMIT DROP AS
    SELECT s.org_id, s.k, s.id AS audit_id, s.n AS audit_n, f, s.d[3] AS raised,
           CASE WHEN isms.sample_u(s.k, s.n * 10 + f, 140) < 0.3 THEN 'nonconformity'
                WHEN isms.sample_u(s.k, s.n * 10 + f, 140) < 0.7 THEN 'observation' ELSE 'opportunity' END AS finding_type,
           (ARRAY['A.8.13', '9.3', 'A.5.15', '7.2', 'A.8.8', '6.1.3', 'A.5.9', 'A.8.15', '7.5.3', 'A.5.24', 'A.5.19', '9.1'])
               [1 + floor(12 * isms.sample_u(s.k, s.n * 10 + f, 141))::integer] AS requirement
      FROM sample_rec s
      CROSS JOIN generate_series(1, 3 + floor(3 * isms.sample_u(s.k, s.n, 142))::integer) f
     WHERE s.relid = 'isms.audit'::regclass AND s.path[2] = 'reporting' AND s.d[3] <= te;
    ANALYZE sample_finding;
    ANALYZE sample_rec;
    INSERT INTO s_audit_finding (org_id, audit_id, finding_type, requirement, statement, audit_evidence, severity, raised_by)
    SELECT f.org_id, f.audit_id, f.finding_type, f.requirement::isms.ref,
           CASE f.finding_type
                WHEN 'nonconformity' THEN format('Requirement %s not fully met: records incomplete for the sampled period', f.requirement)
                WHEN 'observation' THEN format('Practice for %s works but is not written down consistently', f.requirement)
                ELSE format('Automating the evidence for %s would save effort and improve coverage', f.requirement) END,
           'Sample of records and interviews', CASE WHEN f.finding_type = 'nonconformity'
                                                    THEN CASE WHEN isms.sample_u(f.k, f.audit_n * 10 + f.f, 143) < 0.15 THEN 'major' ELSE 'minor' END END,
           'Olu Adeyemi'
      FROM sample_finding f
     ORDER BY f.org_id, f.audit_id, f.f;

    -- Incidents (A.5.24-5.28).
    CREATE TEMP TABLE sample_incident ON COMMIT DROP AS
    SELECT so.k, so.org_id, i,
           ts + (5 + 1090 * isms.sample_u(so.k, i, 150)) * interval '1 day' AS detected,
           isms.sample_u(so.k, i, 151) AS u_sev, isms.sample_u(so.k, i, 152) AS u_cat, isms.sample_u(so.k, i, 153) AS u
      FROM sample_org so CROSS JOIN generate_series(1, round(120 * so.f)::integer) i;
    ANALYZE sample_incident;
    ANALYZE sample_rec;
    INSERT INTO s_incident (org_id, title, description, category, severity, asset_id, occurred_at, detected_at,
                               reported_at, reported_by, owner)
    SELECT x.org_id, c.title, c.title || ', reported through the service desk', c.category,
           CASE WHEN x.u_sev < 0.55 THEN 'low' WHEN x.u_sev < 0.85 THEN 'medium' WHEN x.u_sev < 0.97 THEN 'high' ELSE 'critical' END,
           (SELECT a.id FROM sample_asset a WHERE a.org_id = x.org_id AND a.rn = 1 + (x.i * 13) % 80),
           x.detected - (x.u * 10) * interval '1 hour', x.detected, x.detected + (0.5 + 3 * x.u) * interval '1 hour',
           'Service desk', 'SOC lead'
      FROM sample_incident x
      CROSS JOIN LATERAL (SELECT * FROM (VALUES
        (0, 'phishing', 'Phishing e-mail reported by staff'),
        (1, 'phishing', 'Credential phishing site imitating the customer portal'),
        (2, 'malware', 'Malware blocked on a laptop'),
        (3, 'lost device', 'Lost company phone'),
        (4, 'misdirected data', 'Customer report sent to the wrong recipient'),
        (5, 'unauthorised access', 'Repeated failed logins on the admin console'),
        (6, 'outage', 'Tracking API outage'),
        (7, 'vulnerability', 'Critical vulnerability announced in a VPN appliance'),
        (8, 'data leak', 'Shared link to a confidential file found public'),
        (9, 'denial of service', 'Traffic flood against the public website'),
        (10, 'physical', 'Tailgating into the head office'),
        (11, 'supplier', 'Supplier reports a breach of its ticketing system')
      ) AS v(n, category, title) WHERE v.n = floor(12 * x.u_cat)::integer) c
     ORDER BY x.org_id, x.i;
    INSERT INTO sample_rec (relid, org_id, id, k, n, path, d)
    SELECT 'isms.incident', x.org_id, x.id, so.k, x.rn,
           CASE WHEN u < 0.15 AND x.severity = 'low' THEN '{rejected}'::text[] ELSE '{triaged,contained,resolved,closed}' END,
           ARRAY[x.detected_at + interval '10 minutes', x.detected_at + (1 + 6 * u) * interval '1 hour',
                 x.detected_at + (3 + 40 * u) * interval '1 hour', x.detected_at + (1 + 9 * u) * interval '1 day',
                 x.detected_at + (5 + 14 * u) * interval '1 day']
      FROM (SELECT t.*, row_number() OVER (PARTITION BY t.org_id ORDER BY t.id)::integer AS rn FROM s_incident t WHERE t.org_id = ANY (orgs)) x
      JOIN sample_org so ON so.org_id = x.org_id
      CROSS JOIN LATERAL (SELECT isms.sample_u(so.k, x.rn, 154) AS u) y;

    -- Nonconformities (10.2): from the nonconformity findings (all but the
    -- latest one, which nobody raised: an audit finding that never became a
    -- corrective action), from high-severity incidents, and from monitoring.
    ANALYZE sample_rec;
    INSERT INTO s_nonconformity (org_id, title, description, requirement, source, finding_id, incident_id, severity,
                                    detected_at, reaction, owner)
    SELECT org_id, title, description, requirement, source, finding_id, incident_id, severity, detected_at, reaction, owner
      FROM (
        SELECT f.org_id, format('Audit: %s not met', f.requirement) AS title, f.statement AS description,
               f.requirement, 'internal_audit' AS source, f.id AS finding_id, NULL::bigint AS incident_id, f.severity,
               s.d[3] + interval '1 day' AS detected_at, 'Records corrected for the sampled period' AS reaction,
               'Quality lead' AS owner
          FROM s_audit_finding f
          JOIN sample_rec s ON s.relid = 'isms.audit'::regclass AND s.org_id = f.org_id AND s.id = f.audit_id
         WHERE f.org_id = ANY (orgs) AND f.finding_type = 'nonconformity'
           AND f.id <> (SELECT max(g.id) FROM s_audit_finding g
                         WHERE g.org_id = f.org_id AND g.finding_type = 'nonconformity')
        UNION ALL
        SELECT i.org_id, 'Incident: ' || i.title, 'The incident showed that a control did not work as intended',
               CASE i.category WHEN 'phishing' THEN 'A.6.3'::isms.ref WHEN 'malware' THEN 'A.8.7' WHEN 'vulnerability' THEN 'A.8.8'
                               WHEN 'data leak' THEN 'A.5.15' WHEN 'outage' THEN 'A.8.14' ELSE 'A.5.24' END,
               'incident', NULL, i.id, 'minor', i.detected_at + interval '3 days', 'Incident contained; scope of the failure assessed',
               'Quality lead'
          FROM (SELECT t.*, row_number() OVER (PARTITION BY t.org_id ORDER BY t.id)::integer AS rn FROM s_incident t WHERE t.org_id = ANY (orgs)) i
         WHERE i.severity IN ('high', 'critical') AND i.rn % 2 = 0
        UNION ALL
        SELECT so.org_id, format('Monitoring: %s', v.title), v.title, v.req::isms.ref, 'monitoring', NULL, NULL, 'minor',
               ts + (200 + 350 * y + 100 * v.n) * interval '1 day', 'Gap closed for the affected systems', 'Quality lead'
          FROM sample_org so CROSS JOIN generate_series(0, 2) y
          CROSS JOIN (VALUES (0, 'Backup job failures not followed up', 'A.8.13'),
                             (1, 'Log sources missing from the log platform', 'A.8.15')) AS v(n, title, req)
         WHERE ts + (200 + 350 * y + 100 * v.n) * interval '1 day' < te - interval '20 days') x
     ORDER BY org_id, detected_at, title;
    INSERT INTO sample_rec (relid, org_id, id, k, n, path, d)
    SELECT 'isms.nonconformity', c.org_id, c.id, so.k, c.rn,
           CASE WHEN c.source = 'monitoring' AND row_number() OVER (PARTITION BY c.org_id, c.source ORDER BY c.id) = 2
                THEN '{rejected}'::text[] ELSE '{analysed,correcting,verifying,closed}' END,
           ARRAY[c.detected_at + interval '2 hours', c.detected_at + (5 + 10 * u) * interval '1 day',
                 c.detected_at + (8 + 12 * u) * interval '1 day']
      FROM (SELECT t.*, row_number() OVER (PARTITION BY t.org_id ORDER BY t.id)::integer AS rn FROM s_nonconformity t WHERE t.org_id = ANY (orgs)) c
      JOIN sample_org so ON so.org_id = c.org_id
      CROSS JOIN LATERAL (SELECT isms.sample_u(so.k, c.rn, 160) AS u) y;
    -- link the findings to their nonconformities (both ways)
    ANALYZE sample_rec;
    UPDATE s_audit_finding f SET nonconformity_id = c.id
      FROM s_nonconformity c
     WHERE c.org_id = f.org_id AND c.finding_id = f.id AND f.org_id = ANY (orgs);

    -- Corrective actions: one or two per nonconformity; some fail their
    -- first effectiveness check and are reworked.
    INSERT INTO s_corrective_action (org_id, nonconformity_id, action, root_cause, due_on, owner)
    SELECT r.org_id, r.id,
           (ARRAY['Automate the check and alert on failure', 'Update the procedure and train the people involved',
                  'Assign a named owner and add the task to the operations calendar',
                  'Add the control to the onboarding checklist'])[1 + (r.n * 3 + j) % 4],
           (ARRAY['No owner for the recurring task', 'Procedure unclear about who checks the result',
                  'Manual step forgotten under workload', 'Tool change removed the automatic check'])[1 + (r.n + j) % 4],
           (r.d[2] + interval '60 days')::date,
           (ARRAY['IT operations lead', 'ISMS manager', 'SOC lead', 'HR lead'])[1 + (r.n + j) % 4]
      FROM sample_rec r
      CROSS JOIN generate_series(1, 1 + (isms.sample_u(r.k, r.n, 161) < 0.3)::integer) j
     WHERE r.relid = 'isms.nonconformity'::regclass AND r.path[1] = 'analysed'
     ORDER BY r.org_id, r.id, j;
    INSERT INTO sample_rec (relid, org_id, id, k, n, path, d)
    SELECT 'isms.corrective_action', a.org_id, a.id, so.k, a.rn,
           CASE WHEN u1 < 0.15 THEN '{in_progress,implemented,verified,in_progress,implemented,verified,closed}'::text[]
                ELSE '{in_progress,implemented,verified,closed}' END,
           CASE WHEN u1 < 0.15
                THEN ARRAY[d0, d0 + interval '3 days', d0 + (20 + 40 * u2) * interval '1 day', d0 + (40 + 40 * u2) * interval '1 day',
                           d0 + (43 + 40 * u2) * interval '1 day', d0 + (65 + 40 * u2) * interval '1 day',
                           d0 + (80 + 40 * u2 + 7 * u1) * interval '1 day', d0 + (84 + 40 * u2 + 7 * u1) * interval '1 day']
                ELSE ARRAY[d0, d0 + (2 + 5 * u1) * interval '1 day', d0 + (20 + 40 * u2) * interval '1 day',
                           d0 + (35 + 45 * u2) * interval '1 day', d0 + (38 + 48 * u2) * interval '1 day'] END
      FROM (SELECT t.*, row_number() OVER (PARTITION BY t.org_id ORDER BY t.id)::integer AS rn FROM s_corrective_action t WHERE t.org_id = ANY (orgs)) a
      JOIN sample_org so ON so.org_id = a.org_id
      JOIN sample_rec c ON c.relid = 'isms.nonconformity'::regclass AND c.org_id = a.org_id AND c.id = a.nonconformity_id
      CROSS JOIN LATERAL (SELECT c.d[2] + interval '1 day' AS d0, isms.sample_u(so.k, a.rn, 162) AS u1,
                                 isms.sample_u(so.k, a.rn, 163) AS u2) y
     WHERE a.org_id = ANY (orgs);
    -- the nonconformity is verified after its last action is implemented and
    -- closed after its last action is closed
    UPDATE sample_rec c SET d = c.d || ARRAY[greatest(c.d[3] + interval '1 day', x.implemented + interval '2 days'),
                                              x.closed + interval '3 days']
      FROM (SELECT a.org_id, s.id AS nc,
                   max(a.d[array_length(a.d, 1) - 2]) AS implemented, max(a.d[array_length(a.d, 1)]) AS closed
              FROM sample_rec a
              JOIN s_corrective_action ca ON ca.org_id = a.org_id AND ca.id = a.id
              JOIN sample_rec s ON s.relid = 'isms.nonconformity'::regclass AND s.org_id = ca.org_id AND s.id = ca.nonconformity_id
             WHERE a.relid = 'isms.corrective_action'::regclass
             GROUP BY a.org_id, s.id) x
     WHERE c.relid = 'isms.nonconformity'::regclass AND c.org_id = x.org_id AND c.id = x.nc;
    UPDATE sample_rec c SET d = c.d[1:2]
     WHERE c.relid = 'isms.nonconformity'::regclass AND c.path[1] = 'rejected';

    -- Finding steps follow their nonconformity; other findings close quickly.
    INSERT INTO sample_rec (relid, org_id, id, k, n, path, d)
    SELECT 'isms.audit_finding', f.org_id, f.id, so.k, f.rn,
           CASE WHEN f.finding_type = 'nonconformity' AND f.nonconformity_id IS NULL THEN '{accepted}'::text[]
                WHEN f.finding_type = 'nonconformity' AND c.path[1] = 'rejected' THEN '{withdrawn}'
                ELSE '{accepted,in_treatment,resolved,closed}' END,
           CASE WHEN f.finding_type = 'nonconformity' AND c.id IS NOT NULL AND c.path[1] = 'rejected'
                THEN ARRAY[a.d[3], c.d[2]]
                WHEN f.finding_type = 'nonconformity' AND c.id IS NOT NULL
                THEN ARRAY[a.d[3], a.d[3] + interval '3 days', c.d[2], c.d[4], c.d[5] + interval '1 day']
                WHEN f.finding_type = 'nonconformity'
                THEN ARRAY[a.d[3], a.d[3] + interval '3 days']
                ELSE ARRAY[a.d[3], a.d[3] + interval '3 days', a.d[3] + (10 + 20 * u) * interval '1 day',
                           a.d[3] + (40 + 60 * u) * interval '1 day', a.d[3] + (45 + 60 * u) * interval '1 day'] END
      FROM (SELECT t.*, row_number() OVER (PARTITION BY t.org_id ORDER BY t.id)::integer AS rn FROM s_audit_finding t WHERE t.org_id = ANY (orgs)) f
      JOIN sample_org so ON so.org_id = f.org_id
      JOIN sample_rec a ON a.relid = 'isms.audit'::regclass AND a.org_id = f.org_id AND a.id = f.audit_id
      LEFT JOIN sample_rec c ON c.relid = 'isms.nonconformity'::regclass AND c.org_id = f.org_id AND c.id = f.nonconformity_id
      CROSS JOIN LATERAL (SELECT isms.sample_u(so.k, f.rn, 170) AS u) y
     WHERE f.org_id = ANY (orgs);

    -- Management reviews (9.3): every six months, held within days of the
    -- planned date, except the latest, which is overdue.
    INSERT INTO s_management_review (org_id, title, planned_on, held_on, chair, attendees,
                                        previous_actions_status, context_changes, party_changes, performance_feedback,
                                        party_feedback, risk_results, improvement_opportunities, decisions, changes_needed,
                                        created_at, updated_at)
    SELECT so.org_id, format('Management review %s', to_char(x.planned, 'YYYY-MM')), x.planned,
           CASE WHEN x.held <= until AND NOT (h = 5 AND (so.k = 1 OR isms.sample_u(so.k, 0, 180) < 0.6)) THEN x.held END,
           'Chris Hale (CEO)', ARRAY['Dana Okafor', 'Sam Patel', 'Mira Jensen', 'Olu Adeyemi'],
           'Actions of the previous review: most closed, the rest on track', 'Regulation and threat landscape reviewed',
           'Customer and regulator expectations reviewed', 'Nonconformities, audit results, measurements and objectives reviewed',
           'Customer feedback and complaints reviewed', 'Risk assessment results and treatment status reviewed',
           'Opportunities from audits, incidents and staff suggestions', 'Approve the improvement programme and resources',
           'Update objectives and the audit programme',
           x.planned - 30,
           CASE WHEN x.held <= until AND NOT (h = 5 AND (so.k = 1 OR isms.sample_u(so.k, 0, 180) < 0.6)) THEN x.held
                ELSE x.planned - 30 END
      FROM sample_org so
      CROSS JOIN generate_series(0, 6) h
      CROSS JOIN LATERAL (SELECT (ts + interval '5 months' + h * interval '6 months')::date AS planned,
                                 (ts + interval '5 months' + h * interval '6 months')::date
                                     + floor(10 * isms.sample_u(so.k, h, 181))::integer AS held) x;

    ANALYZE sample_rec;
    INSERT INTO s_review_action (org_id, review_id, action, due_on, owner)
    SELECT m.org_id, m.id, v.action, m.held_on + 90, v.owner
      FROM s_management_review m
      CROSS JOIN (VALUES (1, 'Fund the automation of evidence collection', 'CISO'),
                         (2, 'Re-plan the awareness programme for new joiners', 'HR lead'),
                         (3, 'Report supplier assessments to the next review', 'Procurement lead')) AS v(n, action, owner)
     WHERE m.org_id = ANY (orgs) AND m.held_on IS NOT NULL
     ORDER BY m.org_id, m.id, v.n;
    INSERT INTO sample_rec (relid, org_id, id, k, n, path, d)
    SELECT 'isms.review_action', a.org_id, a.id, so.k, a.rn, '{in_progress,done,closed}',
           ARRAY[d0, d0 + (7 + 14 * u) * interval '1 day', d0 + (30 + 70 * u) * interval '1 day', d0 + (40 + 75 * u) * interval '1 day']
      FROM (SELECT t.*, row_number() OVER (PARTITION BY t.org_id ORDER BY t.id)::integer AS rn FROM s_review_action t WHERE t.org_id = ANY (orgs)) a
      JOIN sample_org so ON so.org_id = a.org_id
      JOIN s_management_review m ON m.org_id = a.org_id AND m.id = a.review_id
      CROSS JOIN LATERAL (SELECT m.held_on + interval '1 day 10 hours' AS d0, isms.sample_u(so.k, a.rn, 182) AS u) y
     WHERE a.org_id = ANY (orgs);

    -- Improvements (10.1): from reviews, audit opportunities and suggestions.
    ANALYZE sample_rec;
    INSERT INTO s_improvement (org_id, title, description, source, review_id, finding_id, expected_benefit, owner)
    SELECT org_id, title, description, source, review_id, finding_id, benefit, 'ISMS manager'
      FROM (
        SELECT m.org_id, 'Automate evidence for ' || m.title AS title, 'Decided by ' || m.title AS description,
               'management_review' AS source, m.id AS review_id, NULL::bigint AS finding_id,
               'Less manual effort, fewer gaps in evidence' AS benefit, m.held_on::timestamptz AS at
          FROM s_management_review m WHERE m.org_id = ANY (orgs) AND m.held_on IS NOT NULL
        UNION ALL
        SELECT f.org_id, 'Opportunity: ' || f.statement, f.statement, 'audit', NULL, f.id, 'Better coverage of ' || f.requirement,
               f.created_at
          FROM s_audit_finding f WHERE f.org_id = ANY (orgs) AND f.finding_type = 'opportunity'
        UNION ALL
        SELECT so.org_id, v.title, v.title, 'suggestion', NULL, NULL, 'Suggested by staff', ts
          FROM sample_org so CROSS JOIN (VALUES ('Password manager for all staff'), ('Self-service MFA reset with identity check'),
                                                 ('Security office hours for developers'), ('Phishing report button in the mail client')) v(title)
      ) x ORDER BY org_id, at, title;
    INSERT INTO sample_rec (relid, org_id, id, k, n, path, d)
    SELECT 'isms.improvement', i.org_id, i.id, so.k, i.rn,
           CASE WHEN u < 0.1 THEN '{rejected}'::text[] ELSE '{approved,implementing,evaluating,implemented}' END,
           ARRAY[d0, d0 + (7 + 14 * u) * interval '1 day', d0 + (12 + 20 * u) * interval '1 day',
                 d0 + (45 + 90 * u) * interval '1 day', d0 + (60 + 110 * u) * interval '1 day']
      FROM (SELECT t.*, row_number() OVER (PARTITION BY t.org_id ORDER BY t.id)::integer AS rn FROM s_improvement t WHERE t.org_id = ANY (orgs)) i
      JOIN sample_org so ON so.org_id = i.org_id
      LEFT JOIN s_management_review m ON m.org_id = i.org_id AND m.id = i.review_id
      LEFT JOIN sample_rec f ON f.relid = 'isms.audit_finding'::regclass AND f.org_id = i.org_id AND f.id = i.finding_id
      CROSS JOIN LATERAL (SELECT isms.sample_u(so.k, i.rn, 190) AS u,
                                 coalesce(m.held_on + interval '2 days 11 hours', f.d[3],
                                          ts + (100 + 900 * isms.sample_u(so.k, i.rn, 191)) * interval '1 day') AS d0) y
     WHERE i.org_id = ANY (orgs);

    -- Planned changes (6.3).
    ANALYZE sample_rec;
    INSERT INTO s_planned_change (org_id, title, description, purpose, impact_assessment, planned_on, owner)
    SELECT so.org_id, v.title, v.title, v.purpose, 'Controls affected reviewed; risks reassessed',
           (ts + (60 + 1000 * isms.sample_u(so.k, v.n, 200)) * interval '1 day')::date, 'CISO'
      FROM sample_org so
      CROSS JOIN (VALUES (1, 'Move e-mail to the cloud suite', 'Cost and resilience'),
                         (2, 'Merge the ISMS of an acquired carrier', 'Acquisition'),
                         (3, 'Replace the VPN with zero-trust access', 'Security of remote access'),
                         (4, 'Extend the scope to the customer portal', 'Customer demand'),
                         (5, 'New SIEM and log platform', 'Detection coverage'),
                         (6, 'Outsource the service desk', 'Cost'),
                         (7, 'Second cloud region for disaster recovery', 'Resilience'),
                         (8, 'Single sign-on for all business applications', 'Access control'),
                         (9, 'Retire the legacy warehouse system', 'Unsupported software'),
                         (10, 'Privacy programme joins the ISMS', 'Integration'),
                         (11, 'Adopt ISO/IEC 27701', 'Privacy certification'),
                         (12, 'New backup provider', 'Cost'),
                         (13, 'Rotate the ISMS manager role', 'Succession'),
                         (14, 'Quarterly access reviews automated', 'Efficiency'),
                         (15, 'Move HR system to SaaS', 'Cost')) AS v(n, title, purpose)
     ORDER BY so.org_id, v.n;
    INSERT INTO sample_rec (relid, org_id, id, k, n, path, d)
    SELECT 'isms.planned_change', c.org_id, c.id, so.k, c.rn,
           CASE WHEN u < 0.12 THEN '{rejected}'::text[] ELSE '{approved,implementing,reviewing,completed}' END,
           ARRAY[d0, d0 + (10 + 10 * u) * interval '1 day', c.planned_on + interval '9 hours',
                 c.planned_on + (30 + 60 * u) * interval '1 day', c.planned_on + (40 + 70 * u) * interval '1 day']
      FROM (SELECT t.*, row_number() OVER (PARTITION BY t.org_id ORDER BY t.id)::integer AS rn FROM s_planned_change t WHERE t.org_id = ANY (orgs)) c
      JOIN sample_org so ON so.org_id = c.org_id
      CROSS JOIN LATERAL (SELECT isms.sample_u(so.k, c.rn, 201) AS u,
                                 c.planned_on - interval '45 days' + interval '10 hours' AS d0) y
     WHERE c.org_id = ANY (orgs);

    -- Objectives (6.2): yearly cycles, renewed after each evaluation, with
    -- monthly measurements (9.1).
    CREATE TEMP TABLE sample_objective ON COMMIT DROP AS
    SELECT so.k, so.org_id, v.n, v.title, v.target, v.unit, v.direction, v.baseline, v.first_year, v.owner
      FROM sample_org so
      CROSS JOIN (VALUES (1, 'Critical patches applied within 14 days', 95::numeric, '%', 'at_least', 70::numeric, 0, 'IT operations lead'),
                         (2, 'Phishing simulation click rate', 5, '%', 'at_most', 18, 0, 'HR lead'),
                         (3, 'Staff completing security awareness training', 98, '%', 'at_least', 75, 0, 'HR lead'),
                         (4, 'Hours to contain high-severity incidents', 24, 'hours', 'at_most', 72, 0, 'SOC lead'),
                         (5, 'Supplier security assessments completed on time', 90, '%', 'at_least', 40, 1, 'Procurement lead'))
           AS v(n, title, target, unit, direction, baseline, first_year, owner);
    ANALYZE sample_objective;
    ANALYZE sample_rec;
    INSERT INTO s_objective (org_id, title, description, policy_id, target, unit, direction, baseline, resources,
                                due_on, evaluation_method, owner)
    SELECT o.org_id, o.title, 'Yearly objective of the ISMS plan', p.id, o.target, o.unit, o.direction, o.baseline,
           'Within the security budget', (ts + interval '3 years')::date, 'Monthly measurement; evaluated at the end of each ISMS year',
           o.owner
      FROM sample_objective o
      LEFT JOIN s_policy p ON p.org_id = o.org_id AND p.kind = 'information_security'
     ORDER BY o.org_id, o.n;
    ALTER TABLE sample_objective ADD COLUMN id bigint;
    UPDATE sample_objective o SET id = j.id FROM s_objective j WHERE j.org_id = o.org_id AND j.title = o.title;
    INSERT INTO s_objective_measurement (org_id, objective_id, measured_at, value, measured_by, method, created_at, updated_at)
    SELECT o.org_id, o.id, x.at,
           round(o.baseline + (o.target - o.baseline)
                 * least(1.15, (m::numeric / 22) * (0.8 + 0.45 * isms.sample_u(o.k, o.n * 100 + m, 210))::numeric), 1),
           o.owner, 'Monthly report from the tool of record', x.at, x.at
      FROM sample_objective o
      CROSS JOIN generate_series(0, 35) m
      CROSS JOIN LATERAL (SELECT ts + o.first_year * interval '1 year' + interval '2 months' + m * interval '1 month' AS at) x
     WHERE x.at <= te;
    INSERT INTO sample_rec (relid, org_id, id, k, n, path, d)
    SELECT 'isms.objective', o.org_id, o.id, o.k, o.n,
           array_agg(st ORDER BY y, st_ord),
           ARRAY[ts + o.first_year * interval '1 year' + interval '20 days'] || array_agg(at ORDER BY y, st_ord)
      FROM sample_objective o
      CROSS JOIN generate_series(o.first_year, 2) y
      CROSS JOIN LATERAL (
          SELECT CASE WHEN EXISTS (SELECT 1 FROM s_objective_measurement m
                                    WHERE m.org_id = o.org_id AND m.objective_id = o.id
                                      AND m.measured_at = (SELECT max(m2.measured_at) FROM s_objective_measurement m2
                                                            WHERE m2.org_id = o.org_id AND m2.objective_id = o.id
                                                              AND m2.measured_at < ts + (y + 1) * interval '1 year' - interval '15 days')
                                      AND CASE o.direction WHEN 'at_most' THEN m.value <= o.target ELSE m.value >= o.target END)
                      THEN 'achieved' ELSE 'not_achieved' END AS outcome) oc
      CROSS JOIN LATERAL (VALUES
          (1, 'active', ts + y * interval '1 year' + interval '30 days'),
          (2, 'evaluating', ts + (y + 1) * interval '1 year' - interval '15 days'),
          (3, oc.outcome, ts + (y + 1) * interval '1 year' + interval '5 days'),
          (4, 'planned', ts + (y + 1) * interval '1 year' + interval '6 days')) AS v(st_ord, st, at)
     GROUP BY o.org_id, o.id, o.k, o.n, o.first_year;

    --------------------------------------------------------------------------
    -- Every workflow record's moves along its path, as versions of the
    -- record: the status and what the move records, at the step's date.

    UPDATE sample_rec r SET final = (SELECT count(*) FROM unnest(r.d[2:]) v WHERE v <= te)
     WHERE true;
    UPDATE sample_rec r SET final = least(r.final, cardinality(r.path)) WHERE true;
    -- statistics for the planner: temporary tables are never analysed
    -- automatically
    ANALYZE sample_rec;
    ANALYZE s_treatment_plan, s_audit, s_incident, s_corrective_action, s_nonconformity,
            s_audit_finding, s_review_action, s_improvement, s_planned_change, s_objective,
            s_evidence, s_objective_measurement;

    CREATE TEMP TABLE sample_version (relid regclass, org_id bigint, id bigint, step integer, at timestamptz,
                                      actor text, reason text, data jsonb) ON COMMIT DROP;
    FOREACH rel IN ARRAY ARRAY['isms.treatment_plan', 'isms.audit', 'isms.incident', 'isms.corrective_action',
                               'isms.nonconformity', 'isms.audit_finding', 'isms.review_action', 'isms.improvement',
                               'isms.planned_change', 'isms.objective']::regclass[]
    LOOP
        SELECT c.relname INTO relname FROM pg_class c WHERE c.oid = rel;
        FOR s IN 1 .. coalesce((SELECT max(final) FROM sample_rec WHERE relid = rel), 0) LOOP
            FOR mv IN
                SELECT DISTINCT coalesce(r.path[s - 1], g.initial_status) AS from_state, r.path[s] AS to_state,
                       t.reason_required, ws.is_initial
                  FROM sample_rec r
                  JOIN isms.register g ON g.relid = r.relid
                  LEFT JOIN isms.workflow w ON w.relid = r.relid
                  LEFT JOIN isms.workflow_state ws ON ws.workflow = w.workflow AND ws.state = r.path[s]
                  LEFT JOIN isms.workflow_transition t ON t.workflow = w.workflow
                                                      AND t.from_state = coalesce(r.path[s - 1], g.initial_status)
                                                      AND t.to_state = r.path[s]
                 WHERE r.relid = rel AND r.final >= s
                 ORDER BY 1, 2
            LOOP
                extra := CASE relname || ':' || mv.to_state
                    WHEN 'treatment_plan:approved' THEN '''approved_by'', t.owner, ''approved_at'', @D@'
                    WHEN 'treatment_plan:closed' THEN '''completed_at'', @D@'
                    WHEN 'audit:in_progress' THEN '''conducted_start'', t.planned_start'
                    WHEN 'audit:reporting' THEN '''conducted_end'', t.planned_end, ''summary'', ''Findings reported to the CISO and the auditee'''
                    WHEN 'incident:triaged' THEN '''is_security_incident'', true'
                    WHEN 'incident:rejected' THEN '''is_security_incident'', false'
                    WHEN 'incident:contained' THEN '''response'', ''Contained by the SOC following the playbook'''
                    WHEN 'incident:resolved' THEN '''resolved_at'', @D@'
                    WHEN 'incident:closed' THEN '''lessons_learned'', ''Playbook and awareness material updated'''
                    WHEN 'corrective_action:in_progress' THEN
                        '''effectiveness_checked_by'', NULL, ''effectiveness_checked_at'', NULL, ''effective'', NULL'
                    WHEN 'corrective_action:implemented' THEN '''implemented_by'', t.owner, ''implemented_at'', @D@'
                    WHEN 'corrective_action:verified' THEN
                        '''effectiveness_checked_by'', ''Olu Adeyemi (internal audit)'', ''effectiveness_checked_at'', @D@, '
                        '''effective'', (r.path[@S1@] IS DISTINCT FROM ''in_progress''), '
                        '''effectiveness_note'', CASE WHEN r.path[@S1@] = ''in_progress'' THEN ''The failure recurred after the action: reworked'' '
                        'ELSE ''No recurrence in the records sampled since'' END'
                    WHEN 'nonconformity:closed' THEN '''closed_at'', @D@'
                    WHEN 'review_action:done' THEN '''completed_at'', @D@'
                    WHEN 'improvement:approved' THEN '''decided_at'', @D@'
                    WHEN 'improvement:implemented' THEN '''completed_at'', @D@'
                    WHEN 'planned_change:reviewing' THEN '''implemented_at'', @D@'
                    ELSE NULL END;
                -- a move back to an initial state starts the next PDCA cycle
                IF mv.is_initial THEN
                    extra := concat_ws(', ', extra, '''cycle'', 1 + (SELECT count(*) FROM unnest(r.path[1:@S@]) p '
                                                    'JOIN isms.workflow_state x ON x.state = p AND x.is_initial '
                                                    'JOIN isms.workflow w ON w.workflow = x.workflow AND w.relid = r.relid)');
                END IF;
                -- reviewed when moved
                IF relname IN ('treatment_plan', 'objective') THEN
                    extra := concat_ws(', ', extra, '''last_reviewed_at'', @D@');
                END IF;
                extra := replace(replace(replace(coalesce(extra, ''), '@D@', format('r.d[%s]', s + 1)), '@S1@', (s + 1)::text),
                                 '@S@', s::text);
                why := CASE WHEN mv.reason_required THEN
                    CASE mv.to_state
                        WHEN 'withdrawn' THEN 'No longer needed after the risk was reassessed'
                        WHEN 'cancelled' THEN 'Auditor unavailable; scope moved to the next audit'
                        WHEN 'rejected' THEN 'Assessed: not a nonconformity, incident or worthwhile change'
                        WHEN 'in_progress' THEN 'Effectiveness check failed; action reworked'
                        WHEN 'not_achieved' THEN 'Target missed; carried into the next year''s plan'
                        ELSE 'Reopened after review' END
                    END;
                EXECUTE format('INSERT INTO pg_temp.sample_version (relid, org_id, id, step, at, actor, reason, data) '
                               'SELECT r.relid, r.org_id, r.id, %s, r.d[%s], %L, %L, '
                               'jsonb_build_object(''status'', %L%s) '
                               'FROM pg_temp.sample_rec r JOIN pg_temp.%I t ON t.org_id = r.org_id AND t.id = r.id '
                               'WHERE r.relid = %L::regclass AND r.final >= %s AND r.path[%s] = %L AND coalesce(r.path[%s], %L) = %L',
                               s, s + 1, isms.sample_actor(relname, mv.to_state), why, mv.to_state,
                               CASE WHEN extra <> '' THEN ', ' || extra ELSE '' END,
                               's_' || relname, rel, s, s, mv.to_state, s - 1, mv.from_state, mv.from_state);
            END LOOP;
        END LOOP;
    END LOOP;

    --------------------------------------------------------------------------
    -- Evidence of operation: monthly control checks on the SoA entries,
    -- daily reports of the automated controls, and records of closed work.

    INSERT INTO s_evidence (org_id, record_table, record_id, url, description, collected_at, collected_by,
                               created_at, updated_at)
    SELECT e.org_id, 'isms.soa_entry', e.id,
           format('https://grc.example/%s/controls/%s/checks/%s', so.code, e.control, to_char(x.at, 'YYYY-MM')),
           format('Monthly control check of %s', e.control), x.at, e.owner, x.at, x.at
      FROM s_soa_entry e
      JOIN sample_org so ON so.org_id = e.org_id
      CROSS JOIN LATERAL (SELECT isms.sample_u(so.k, array_position(controls, e.control), 220) < 0.1 AS lapsed) l
      CROSS JOIN generate_series(0, 35) m
      CROSS JOIN LATERAL (SELECT ts + interval '3 months' + m * interval '1 month'
                                    + (isms.sample_u(so.k, array_position(controls, e.control), 221) * 20) * interval '1 day' AS at) x
     WHERE e.applicable AND e.implementation_status IN ('implemented', 'partially_implemented')
       AND x.at <= CASE WHEN l.lapsed THEN te - interval '15 months' ELSE te END;

    INSERT INTO s_evidence (org_id, record_table, record_id, url, description, collected_at, collected_by,
                               created_at, updated_at)
    SELECT e.org_id, 'isms.soa_entry', e.id,
           format('https://monitoring.example/%s/%s/%s', so.code, v.slug, to_char(x.at, 'YYYY-MM-DD')),
           v.report, x.at, 'monitoring robot', x.at, x.at
      FROM sample_org so
      CROSS JOIN (VALUES ('A.8.13', 'backup', 'Daily backup job report'),
                         ('A.8.15', 'logging', 'Daily log source coverage report'),
                         ('A.8.16', 'monitoring', 'Daily SIEM alert summary'),
                         ('A.8.8', 'vulnerabilities', 'Daily vulnerability scan summary'),
                         ('A.8.7', 'endpoint', 'Daily endpoint protection status'),
                         ('A.8.20', 'network', 'Daily firewall rule change report'),
                         ('A.8.9', 'configuration', 'Daily configuration drift report'),
                         ('A.5.15', 'access', 'Daily privileged access report')) AS v(control, slug, report)
      JOIN s_soa_entry e ON e.org_id = so.org_id AND e.control = v.control::isms.ref
      CROSS JOIN generate_series(0, floor(extract(epoch FROM te - ts) / 86400 * (0.75 + 0.25 * so.f))::integer - 60) dd
      CROSS JOIN LATERAL (SELECT te - dd * interval '1 day' - interval '10 hours' AS at) x;

    INSERT INTO s_evidence (org_id, record_table, record_id, url, description, collected_at, collected_by,
                               created_at, updated_at)
    SELECT r.org_id, r.relid, r.id, format('https://grc.example/%s/%s/%s', r.org_id, r.relid::text, r.id),
           CASE r.relid WHEN 'isms.incident'::regclass THEN 'Incident report and timeline'
                        WHEN 'isms.audit'::regclass THEN 'Audit report'
                        ELSE 'Effectiveness review record' END,
           r.d[r.final + 1], 'ISMS manager', r.d[r.final + 1], r.d[r.final + 1]
      FROM sample_rec r
     WHERE r.relid IN ('isms.incident'::regclass, 'isms.audit'::regclass, 'isms.corrective_action'::regclass)
       AND r.final = cardinality(r.path) AND r.path[r.final] IN ('closed', 'completed');

    --------------------------------------------------------------------------
    -- The import.  Each record becomes its versions, one per moment: the
    -- first as it was created, then what changed (a review, a risk's
    -- residual rating and acceptance once treated, each workflow move).
    -- They are staged in isms.import_staging in an order where a record
    -- follows the records it refers to (its references are {"ref": ...}
    -- to the record's key in the batch), and applied with
    -- isms.import_apply(), one batch per organisation, by the admin role
    -- isms_sample: the transition log gets every move marked as imported,
    -- the registers their history, the trail the import with its digest.

    CREATE TEMP TABLE sample_piece (register text, org_id bigint, id bigint, first boolean, at timestamptz,
                                    actor text, reason text, data jsonb) ON COMMIT DROP;
    FOREACH rg IN ARRAY ARRAY['risk_scale', 'context_issue', 'interested_party', 'party_requirement', 'scope_item',
                              'process', 'process_output', 'process_input', 'document', 'policy', 'role_assignment',
                              'competence', 'training_record', 'communication', 'asset', 'risk', 'treatment_plan',
                              'risk_control', 'soa_entry', 'audit_programme', 'audit', 'incident', 'nonconformity',
                              'audit_finding', 'corrective_action', 'management_review', 'review_action', 'improvement',
                              'planned_change', 'objective', 'objective_measurement', 'evidence']
    LOOP
        rel := format('isms.%I', rg)::regclass;
        -- references: a foreign key (org_id, column) to a register, the
        -- finding of a nonconformity (checked by a trigger), the record of
        -- an evidence item
        SELECT string_agg(format('%L, CASE WHEN t.%I IS NOT NULL THEN jsonb_build_object(''ref'', %L || ''/'' || t.%I) END',
                                 x.col, x.col, x.target, x.col), ', ')
          INTO refs
          FROM (SELECT a.attname AS col, g.name AS target
                  FROM pg_constraint c
                  JOIN pg_attribute a0 ON a0.attrelid = c.conrelid AND a0.attnum = c.conkey[1] AND a0.attname = 'org_id'
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[2]
                  JOIN isms.register g ON g.relid = c.confrelid
                 WHERE c.conrelid = rel AND c.contype = 'f' AND cardinality(c.conkey) = 2
                UNION ALL SELECT 'finding_id', 'audit_finding' WHERE rg = 'nonconformity'
                UNION ALL SELECT 'record_id', NULL WHERE rg = 'evidence') x;
        refs := replace(refs, 'jsonb_build_object(''ref'', NULL || ', 'jsonb_build_object(''ref'', (SELECT g.name FROM isms.register g WHERE g.relid = t.record_table) || ');
        -- what the import sets itself
        SELECT array_agg(a.attname) INTO excluded FROM pg_attribute a
         WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
           AND (a.attgenerated <> '' OR a.attname IN ('id', 'org_id', 'created_at', 'created_by', 'updated_at', 'updated_by'));
        reviewed := EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = 'last_reviewed_at' AND NOT a.attisdropped);
        IF (SELECT g.has_workflow FROM isms.register g WHERE g.relid = rel) THEN
            -- created at the first date of its plan, then its moves
            EXECUTE format('INSERT INTO pg_temp.sample_piece SELECT %L, t.org_id, t.id, true, r.d[1], %L, NULL, '
                           '(to_jsonb(t) - %L::text[])%s '
                           'FROM pg_temp.%I t JOIN pg_temp.sample_rec r ON r.relid = %L::regclass AND r.org_id = t.org_id AND r.id = t.id',
                           rg, isms.sample_actor(rg, NULL), excluded,
                           CASE WHEN refs IS NOT NULL THEN ' || jsonb_build_object(' || refs || ')' ELSE '' END,
                           's_' || rg, rel);
            INSERT INTO sample_piece SELECT rg, v.org_id, v.id, false, v.at, v.actor, v.reason, v.data
              FROM sample_version v WHERE v.relid = rel;
        ELSIF rg = 'risk' THEN
            -- assessed when identified; the residual rating (and the
            -- acceptance) recorded once treated: when its plan was
            -- verified (else approved), or when accepted; then its review
            INSERT INTO sample_piece
            SELECT rg, t.org_id, t.id, true, t.created_at, 'Risk manager', NULL,
                   to_jsonb(t) - excluded - 'last_reviewed_at'
                   - CASE WHEN x.treated IS NOT NULL THEN '{residual_likelihood,residual_impact,accepted_by,accepted_at,accepted_until}'::text[]
                          ELSE '{}' END
                   || jsonb_build_object('asset_id', CASE WHEN t.asset_id IS NOT NULL THEN jsonb_build_object('ref', 'asset/' || t.asset_id) END)
              FROM s_risk t
              LEFT JOIN LATERAL (
                  SELECT CASE WHEN t.treatment <> 'modify' THEN t.accepted_at
                              WHEN r.final >= 4 AND r.path[4] = 'verified' THEN r.d[5]
                              WHEN r.final >= 1 AND r.path[1] = 'approved' THEN r.d[2] END AS treated
                    FROM s_treatment_plan p
                    JOIN sample_rec r ON r.relid = 'isms.treatment_plan'::regclass AND r.org_id = p.org_id AND r.id = p.id
                   WHERE p.org_id = t.org_id AND p.risk_id = t.id
                   UNION ALL SELECT t.accepted_at WHERE t.treatment <> 'modify'
                   LIMIT 1) x ON true;
            INSERT INTO sample_piece
            SELECT rg, t.org_id, t.id, false, x.treated, 'Risk manager', NULL,
                   jsonb_build_object('residual_likelihood', t.residual_likelihood, 'residual_impact', t.residual_impact,
                                      'accepted_by', t.accepted_by, 'accepted_at', t.accepted_at, 'accepted_until', t.accepted_until)
              FROM s_risk t
              JOIN LATERAL (
                  SELECT CASE WHEN r.final >= 4 AND r.path[4] = 'verified' THEN r.d[5]
                              WHEN r.final >= 1 AND r.path[1] = 'approved' THEN r.d[2] END AS treated
                    FROM s_treatment_plan p
                    JOIN sample_rec r ON r.relid = 'isms.treatment_plan'::regclass AND r.org_id = p.org_id AND r.id = p.id
                   WHERE p.org_id = t.org_id AND p.risk_id = t.id AND t.treatment = 'modify'
                   UNION ALL SELECT t.accepted_at WHERE t.treatment <> 'modify'
                   LIMIT 1) x ON x.treated IS NOT NULL;
            INSERT INTO sample_piece
            SELECT rg, t.org_id, t.id, false, t.last_reviewed_at, 'Risk manager', NULL,
                   jsonb_build_object('last_reviewed_at', t.last_reviewed_at)
              FROM s_risk t WHERE t.last_reviewed_at IS NOT NULL;
        ELSE
            -- created, then reviewed (the record's last change)
            EXECUTE format('INSERT INTO pg_temp.sample_piece SELECT %L, t.org_id, t.id, true, t.created_at, %L, NULL, '
                           '(to_jsonb(t) - %L::text[]%s)%s FROM pg_temp.%I t',
                           rg, isms.sample_actor(rg, NULL), excluded,
                           CASE WHEN reviewed THEN ' - CASE WHEN t.updated_at > t.created_at THEN ''last_reviewed_at'' ELSE '''' END' ELSE '' END,
                           CASE WHEN refs IS NOT NULL THEN ' || jsonb_build_object(' || refs || ')' ELSE '' END,
                           's_' || rg);
            EXECUTE format('INSERT INTO pg_temp.sample_piece SELECT %L, t.org_id, t.id, false, t.updated_at, %L, NULL, %s '
                           'FROM pg_temp.%I t WHERE t.updated_at > t.created_at',
                           rg, isms.sample_actor(rg, NULL),
                           CASE WHEN reviewed THEN 'jsonb_build_object(''last_reviewed_at'', t.last_reviewed_at)' ELSE '''{}''::jsonb' END,
                           's_' || rg);
        END IF;
    END LOOP;

    -- one version per record and moment, none after the end of the
    -- history, none before the record was created
    INSERT INTO isms.import_staging (org_id, batch, register, ref, valid_from, data, actor, reason)
    SELECT p.org_id, 'sample', p.register, p.register || '/' || p.id, p.at,
           -- most moments have one piece: merged only where there are more
           CASE WHEN count(*) = 1 THEN (array_agg(p.data))[1]
                ELSE (SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}')
                        FROM unnest(array_agg(p.data)) d(data) CROSS JOIN LATERAL jsonb_each(d.data) e) END,
           min(p.actor), min(p.reason)
      FROM (SELECT q.register, q.org_id, q.id, q.actor, q.reason, q.data,
                   least(greatest(q.at, max(q.at) FILTER (WHERE q.first) OVER w), te) AS at,
                   max(q.at) FILTER (WHERE q.first) OVER w AS created
              FROM sample_piece q
            WINDOW w AS (PARTITION BY q.register, q.org_id, q.id)) p
     GROUP BY p.register, p.org_id, p.id, p.at, p.created
     ORDER BY array_position(ARRAY['risk_scale', 'context_issue', 'interested_party', 'party_requirement', 'scope_item',
                              'process', 'process_output', 'process_input', 'document', 'policy', 'role_assignment',
                              'competence', 'training_record', 'communication', 'asset', 'risk', 'treatment_plan',
                              'risk_control', 'soa_entry', 'audit_programme', 'audit', 'incident', 'nonconformity',
                              'audit_finding', 'corrective_action', 'management_review', 'review_action', 'improvement',
                              'planned_change', 'objective', 'objective_measurement', 'evidence'], p.register),
              p.org_id, p.id, p.at;

    PERFORM set_config('role', 'isms_sample', true);
    FOREACH o IN ARRAY orgs LOOP
        PERFORM isms.import_apply(o, 'sample');
    END LOOP;
    PERFORM set_config('role', outer_role, true);

    SELECT sum(x.n) INTO n FROM (
        SELECT count(*) AS n FROM isms.register_row WHERE org_id = ANY (orgs)
        UNION ALL SELECT count(*) FROM isms.transition_log WHERE org_id = ANY (orgs)) x;
    total := total + n;
    RETURN total;
END
$$;
COMMENT ON FUNCTION isms.load_sample(integer, date) IS
    'Loads the sample ISMS (superuser only): scale organisations with three years of operation ending on until (or now, if earlier), generated deterministically and imported with their versions and workflow moves through isms.import_apply() by the role isms_sample, one batch per organisation. Returns the rows written';

REVOKE ALL ON FUNCTION isms.load_sample(integer, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION isms.sample_u(integer, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION isms.sample_actor(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.sample_actor(text, text) TO isms_reader;
GRANT EXECUTE ON FUNCTION isms.sample_u(integer, integer, integer) TO isms_reader;
