
------------------------------------------------------------------------------
-- The suppliers of the sample organisation (Annex A 5.19-5.22), loaded after
-- isms.load_sample() by isms.load_sample_suppliers(): six suppliers of
-- Northwind Logistics with their agreements, assessments and the risks and
-- SoA controls they bear on.  Deliberately not perfect: a high-criticality
-- carrier platform without security requirements in its agreement and an
-- overdue assessment of the payroll bureau, so that readiness check 13 and
-- isms_report.suppliers have something to say.

CREATE FUNCTION isms.load_sample_suppliers(until date DEFAULT current_date) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
    SET TimeZone = 'UTC'
AS $$
DECLARE
    o bigint;
    te timestamptz;
    n bigint;
    outer_role text := current_setting('role');
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'isms.load_sample_suppliers() must be run by a superuser'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The sample suppliers are imported by the role isms_sample, which isms.load_sample() creates.',
                  HINT = 'Run it as the database owner after isms.load_sample() (make demo does).';
    END IF;
    IF until IS NULL OR NOT isfinite(until) OR until > current_date THEN
        PERFORM isms.report_bad_argument('until', until::text, 'a finite date, not in the future, is required',
            'Pass the until date given to isms.load_sample(), such as current_date.');
    END IF;
    SELECT org_id INTO o FROM isms.organization WHERE code = 'NORTHWIND';
    IF o IS NULL THEN
        PERFORM isms.report_bad_argument('until', until::text, 'the sample is not loaded',
            'Run SELECT isms.load_sample() first.');
    END IF;
    IF EXISTS (SELECT 1 FROM isms.supplier WHERE org_id = o) THEN
        PERFORM isms.report_bad_argument('until', until::text, 'the sample suppliers are loaded already',
            'Load them into a fresh sample database.');
    END IF;
    te := (until::timestamp + time '17:00') AT TIME ZONE 'UTC';
    te := least(te, now());     -- an import takes no future date

    -- staged with their versions and imported (batch sample-suppliers) by
    -- the admin role isms_sample, as the rest of the sample: a supplier
    -- created active, then reviewed (and the telematics one retired); an
    -- agreement or a link as recorded; an assessment planned, then
    -- performed.  No trigger is disabled.
    INSERT INTO isms.import_staging (org_id, batch, register, ref, valid_from, data, actor)
    SELECT o, 'sample-suppliers', 'supplier', 'supplier/' || v.name, x.at, x.data, 'procurement@northwind.example'
      FROM (VALUES
        ('CloudHost Europe',     'IaaS hosting of the transport management system', 'Shipment, customer and driver data',
         'confidential', 'critical', 'active', 'security@cloudhost.example', 'IT lead', interval '2 months'),
        ('RouteMaster SaaS',     'Route planning and carrier platform', 'Delivery addresses and schedules',
         'confidential', 'high', 'active', 'support@routemaster.example', 'Operations manager', interval '5 months'),
        ('PayBureau Ltd',        'Payroll processing', 'Employee personal and bank data',
         'restricted', 'high', 'active', 'dpo@paybureau.example', 'HR manager', interval '10 months'),
        ('SecureShred',          'Confidential paper waste destruction', 'Printed customer documents',
         'confidential', 'medium', 'active', 'ops@secureshred.example', 'Facilities manager', interval '14 months'),
        ('OfficeNet Telecom',    'Office internet and phone lines', 'Network traffic in transit',
         'internal', 'medium', 'active', 'noc@officenet.example', 'IT lead', interval '7 months'),
        ('FleetTrack GPS',       'Vehicle telematics (replaced by RouteMaster)', 'Vehicle positions',
         'internal', 'low', 'retired', NULL, 'Operations manager', interval '1 year 8 months')
      ) AS v(name, services, information, classification, criticality, status, contact, owner, reviewed_ago)
      CROSS JOIN LATERAL (VALUES
          (te - interval '2 years 6 months',
           jsonb_build_object('name', v.name, 'services', v.services, 'information', v.information,
                              'classification', v.classification, 'criticality', v.criticality, 'status', 'active',
                              'contact', v.contact, 'owner', v.owner)),
          (te - v.reviewed_ago, jsonb_build_object('status', v.status, 'last_reviewed_at', te - v.reviewed_ago))) x(at, data)
     ORDER BY array_position(ARRAY['CloudHost Europe', 'RouteMaster SaaS', 'PayBureau Ltd', 'SecureShred',
                                   'OfficeNet Telecom', 'FleetTrack GPS'], v.name), x.at;

    INSERT INTO isms.import_staging (org_id, batch, register, ref, valid_from, data, actor)
    SELECT o, 'sample-suppliers', 'supplier_contract', 'supplier_contract/' || v.reference, te - v.started_ago,
           jsonb_build_object('supplier_id', jsonb_build_object('ref', 'supplier/' || v.supplier), 'title', v.title,
                              'reference', v.reference, 'starts_on', (te - v.started_ago)::date, 'ends_on', (te + v.ends_in)::date,
                              'security_requirements', v.sec, 'supply_chain_requirements', v.chain, 'right_to_audit', v.audit),
           'procurement@northwind.example'
      FROM (VALUES
        ('CloudHost Europe', 'Master services agreement and DPA', 'MSA-2023-014', interval '2 years 6 months', interval '18 months',
         'ISO/IEC 27001 certified hosting; encryption at rest; breach notification within 24 hours; data stays in the EU; return and deletion on exit',
         'Sub-processors listed and bound to the same terms; 30 days notice of a new sub-processor', true),
        ('RouteMaster SaaS', 'Subscription terms', 'RM-WEB-TERMS', interval '1 year 2 months', NULL::interval,
         NULL, NULL, false),
        ('PayBureau Ltd', 'Payroll services agreement', 'PAY-2024-002', interval '2 years', interval '1 year',
         'Access limited to named staff; annual penetration test report shared; breach notification within 48 hours',
         NULL, true),
        ('SecureShred', 'Destruction services', 'SS-221', interval '2 years 3 months', interval '9 months',
         'Shredding to DIN 66399 P-4 with certificates of destruction; vetted staff', NULL, false),
        ('OfficeNet Telecom', 'Business broadband', 'ON-88213', interval '3 years', interval '2 months',
         NULL, NULL, false),
        ('FleetTrack GPS', 'Telematics subscription', 'FT-2021-7', interval '3 years', interval '-8 months',
         'Position data kept 90 days; access by named dispatchers only', NULL, false)
      ) AS v(supplier, title, reference, started_ago, ends_in, sec, chain, audit)
     ORDER BY array_position(ARRAY['CloudHost Europe', 'RouteMaster SaaS', 'PayBureau Ltd', 'SecureShred',
                                   'OfficeNet Telecom', 'FleetTrack GPS'], v.supplier);

    INSERT INTO isms.import_staging (org_id, batch, register, ref, valid_from, data, actor)
    SELECT o, 'sample-suppliers', 'supplier_assessment', format('supplier_assessment/%s', v.n), x.at, x.data,
           'procurement@northwind.example'
      FROM (VALUES
        (1, 'CloudHost Europe', 'ISO/IEC 27001 certificate and SoA review', 'certification_review', interval '13 months', interval '13 months', 'satisfactory', NULL),
        (2, 'CloudHost Europe', 'Annual security review', 'audit', interval '2 months', interval '2 months', 'minor_issues',
         'Privileged access reviews were quarterly, not monthly as agreed; supplier committed to monthly reviews'),
        (3, 'CloudHost Europe', 'Annual security review', 'audit', interval '-10 months', NULL::interval, NULL, NULL),
        (4, 'RouteMaster SaaS', 'Security questionnaire', 'questionnaire', interval '5 months', interval '5 months', 'major_issues',
         'No contractual security commitments; MFA optional for customer accounts; SOC 2 report not available'),
        (5, 'PayBureau Ltd', 'Penetration test report review', 'certification_review', interval '1 year 1 month', interval '1 year 1 month', 'satisfactory', NULL),
        (6, 'PayBureau Ltd', 'Annual security review', 'questionnaire', interval '1 month', NULL::interval, NULL, NULL),
        (7, 'SecureShred', 'Site visit', 'service_review', interval '8 months', interval '8 months', 'satisfactory', NULL),
        (8, 'OfficeNet Telecom', 'Service review', 'service_review', interval '-3 months', NULL::interval, NULL, NULL)
      ) AS v(n, supplier, title, method, due_ago, done_ago, result, findings)
      CROSS JOIN LATERAL (VALUES
          (least(te, te - v.due_ago) - interval '1 month',
           jsonb_build_object('supplier_id', jsonb_build_object('ref', 'supplier/' || v.supplier), 'title', v.title,
                              'method', v.method, 'due_on', (te - v.due_ago)::date)),
          (te - v.done_ago,
           jsonb_build_object('performed_on', (te - v.done_ago)::date, 'assessor', 'Supplier security analyst',
                              'result', v.result, 'findings', v.findings))) x(at, data)
     WHERE x.at IS NOT NULL
     ORDER BY v.n, x.at;

    -- the risks and controls each supplier in use bears on
    INSERT INTO isms.import_staging (org_id, batch, register, ref, valid_from, data, actor)
    SELECT o, 'sample-suppliers', 'supplier_risk', format('supplier_risk/%s/%s', s.ord, r.id), te - interval '1 year',
           jsonb_build_object('supplier_id', jsonb_build_object('ref', 'supplier/' || s.name), 'risk_id', r.id,
                              'note', 'The supplier handles the information at risk'),
           'procurement@northwind.example'
      FROM (SELECT v.name, v.ord FROM (VALUES ('CloudHost Europe', 1), ('RouteMaster SaaS', 2), ('PayBureau Ltd', 3),
                                              ('SecureShred', 4), ('OfficeNet Telecom', 5)) v(name, ord)) s
      CROSS JOIN LATERAL (SELECT r.id FROM isms.risk r WHERE r.org_id = o ORDER BY r.id
                           LIMIT 2 OFFSET (s.ord % 5) * 2) r
     ORDER BY s.ord, r.id;
    INSERT INTO isms.import_staging (org_id, batch, register, ref, valid_from, data, actor)
    SELECT o, 'sample-suppliers', 'supplier_control', format('supplier_control/%s/%s', s.name, c.control), te - interval '1 year',
           jsonb_build_object('supplier_id', jsonb_build_object('ref', 'supplier/' || s.name), 'control', c.control, 'note', c.note),
           'procurement@northwind.example'
      FROM (VALUES ('CloudHost Europe', 1), ('RouteMaster SaaS', 2), ('PayBureau Ltd', 3),
                   ('SecureShred', 4), ('OfficeNet Telecom', 5)) s(name, ord)
      CROSS JOIN (VALUES ('A.5.19', 'Supplier selected and managed under the supplier policy'),
                         ('A.5.20', 'Security requirements in the agreement'),
                         ('A.5.22', 'Monitored by periodic assessment'),
                         ('A.5.23', 'Cloud service used under the cloud services policy')) AS c(control, note)
     WHERE c.control <> 'A.5.23' OR s.name IN ('CloudHost Europe', 'RouteMaster SaaS')
     ORDER BY s.ord, c.control;

    PERFORM set_config('role', 'isms_sample', true);
    PERFORM set_config('isms.actor', 'procurement@northwind.example', true);
    PERFORM isms.import_apply(o, 'sample-suppliers');
    PERFORM set_config('isms.actor', '', true);
    PERFORM set_config('role', outer_role, true);

    SELECT (SELECT count(*) FROM isms.supplier WHERE org_id = o) + (SELECT count(*) FROM isms.supplier_contract WHERE org_id = o)
         + (SELECT count(*) FROM isms.supplier_assessment WHERE org_id = o) + (SELECT count(*) FROM isms.supplier_risk WHERE org_id = o)
         + (SELECT count(*) FROM isms.supplier_control WHERE org_id = o)
      INTO n;
    RETURN n;
END
$$;
COMMENT ON FUNCTION isms.load_sample_suppliers(date) IS
    'Loads the suppliers of the sample organisation (superuser only, after isms.load_sample() with the same until): six suppliers with agreements, assessments, linked risks and SoA controls, one with an agreement stating no security requirements and one with an overdue assessment. Returns the rows written';
REVOKE ALL ON FUNCTION isms.load_sample_suppliers(date) FROM PUBLIC;
