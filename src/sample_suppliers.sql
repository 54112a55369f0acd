
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
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'isms.load_sample_suppliers() must be run by a superuser'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'It backdates the sample suppliers into the sample''s history, which only the owner may write.',
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

    -- rows recorded in the past: the audit columns are backdated, as the
    -- sample's other registers are
    PERFORM set_config('session_replication_role', 'replica', true);
    INSERT INTO isms.supplier (org_id, name, services, information, classification, criticality, status, contact,
                               owner, last_reviewed_at, created_at, created_by, updated_at, updated_by)
    SELECT o, v.name, v.services, v.information, v.classification, v.criticality, v.status, v.contact, v.owner,
           te - v.reviewed_ago, te - interval '2 years 6 months', 'procurement@northwind.example',
           coalesce(te - v.reviewed_ago, te - interval '2 years 6 months'), 'procurement@northwind.example'
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
      ) AS v(name, services, information, classification, criticality, status, contact, owner, reviewed_ago);

    INSERT INTO isms.supplier_contract (org_id, supplier_id, title, reference, starts_on, ends_on,
                                        security_requirements, supply_chain_requirements, right_to_audit,
                                        created_at, created_by, updated_at, updated_by)
    SELECT o, s.id, v.title, v.reference, (te - v.started_ago)::date, (te + v.ends_in)::date, v.sec, v.chain, v.audit,
           te - v.started_ago, 'procurement@northwind.example', te - v.started_ago, 'procurement@northwind.example'
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
      JOIN isms.supplier s ON s.org_id = o AND s.name = v.supplier;

    INSERT INTO isms.supplier_assessment (org_id, supplier_id, title, method, due_on, performed_on, assessor, result, findings,
                                          created_at, created_by, updated_at, updated_by)
    SELECT o, s.id, v.title, v.method, (te - v.due_ago)::date, (te - v.done_ago)::date,
           CASE WHEN v.done_ago IS NOT NULL THEN 'Supplier security analyst' END, v.result, v.findings,
           least(te, te - v.due_ago) - interval '1 month', 'procurement@northwind.example',
           coalesce(te - v.done_ago, least(te, te - v.due_ago) - interval '1 month'), 'procurement@northwind.example'
      FROM (VALUES
        ('CloudHost Europe', 'ISO/IEC 27001 certificate and SoA review', 'certification_review', interval '13 months', interval '13 months', 'satisfactory', NULL),
        ('CloudHost Europe', 'Annual security review', 'audit', interval '2 months', interval '2 months', 'minor_issues',
         'Privileged access reviews were quarterly, not monthly as agreed; supplier committed to monthly reviews'),
        ('CloudHost Europe', 'Annual security review', 'audit', interval '-10 months', NULL::interval, NULL, NULL),
        ('RouteMaster SaaS', 'Security questionnaire', 'questionnaire', interval '5 months', interval '5 months', 'major_issues',
         'No contractual security commitments; MFA optional for customer accounts; SOC 2 report not available'),
        ('PayBureau Ltd', 'Penetration test report review', 'certification_review', interval '1 year 1 month', interval '1 year 1 month', 'satisfactory', NULL),
        ('PayBureau Ltd', 'Annual security review', 'questionnaire', interval '1 month', NULL::interval, NULL, NULL),
        ('SecureShred', 'Site visit', 'service_review', interval '8 months', interval '8 months', 'satisfactory', NULL),
        ('OfficeNet Telecom', 'Service review', 'service_review', interval '-3 months', NULL::interval, NULL, NULL)
      ) AS v(supplier, title, method, due_ago, done_ago, result, findings)
      JOIN isms.supplier s ON s.org_id = o AND s.name = v.supplier;

    INSERT INTO isms.supplier_risk (org_id, supplier_id, risk_id, note, created_at, created_by, updated_at, updated_by)
    SELECT o, s.id, r.id, 'The supplier handles the information at risk', te - interval '1 year', 'procurement@northwind.example',
           te - interval '1 year', 'procurement@northwind.example'
      FROM isms.supplier s
      CROSS JOIN LATERAL (SELECT r.id FROM isms.risk r WHERE r.org_id = o ORDER BY r.id
                           LIMIT 2 OFFSET (s.id % 5)::integer * 2) r
     WHERE s.org_id = o AND s.status <> 'retired';

    INSERT INTO isms.supplier_control (org_id, supplier_id, control, note, created_at, created_by, updated_at, updated_by)
    SELECT o, s.id, c.control::isms.ref, c.note, te - interval '1 year', 'procurement@northwind.example',
           te - interval '1 year', 'procurement@northwind.example'
      FROM isms.supplier s
      CROSS JOIN (VALUES ('A.5.19', 'Supplier selected and managed under the supplier policy'),
                         ('A.5.20', 'Security requirements in the agreement'),
                         ('A.5.22', 'Monitored by periodic assessment')) AS c(control, note)
     WHERE s.org_id = o AND s.status <> 'retired';
    INSERT INTO isms.supplier_control (org_id, supplier_id, control, note, created_at, created_by, updated_at, updated_by)
    SELECT o, s.id, 'A.5.23', 'Cloud service used under the cloud services policy', te - interval '1 year',
           'procurement@northwind.example', te - interval '1 year', 'procurement@northwind.example'
      FROM isms.supplier s WHERE s.org_id = o AND s.name IN ('CloudHost Europe', 'RouteMaster SaaS');
    PERFORM set_config('session_replication_role', 'origin', true);

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
