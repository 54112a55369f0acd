
------------------------------------------------------------------------------
-- The staff of the sample organisation and their policy acknowledgements
-- (A.5.1, A.6.3), loaded after isms.load_sample() by
-- isms.load_sample_staff(): twelve staff of Northwind Logistics (one who
-- has left), three policies under document control and who acknowledged
-- them through the intranet.  Deliberately not perfect: the acceptable use
-- policy's major version 2.0 asks everyone again and few have acknowledged
-- it, and some staff have not acknowledged the other two, so that readiness
-- check 14 and the audit pack's section 9 have something to say.  The
-- versions are published no later than the documents' last review, so
-- staleness is as before.

CREATE FUNCTION isms.load_sample_staff(until date DEFAULT current_date) RETURNS bigint
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
        RAISE EXCEPTION 'isms.load_sample_staff() must be run by a superuser'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'It backdates the sample staff and acknowledgements into the sample''s history, which only the owner may write.',
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
    IF EXISTS (SELECT 1 FROM isms.person WHERE org_id = o) THEN
        PERFORM isms.report_bad_argument('until', until::text, 'the sample staff are loaded already',
            'Load them into a fresh sample database.');
    END IF;
    te := (until::timestamp + time '17:00') AT TIME ZONE 'UTC';

    -- A superuser's INSERT is a restore: the registers keep the dates and
    -- persons given, document control the versions' states and validity,
    -- and acknowledgements their time (no trigger is disabled).
    INSERT INTO isms.person (org_id, person, name, login_role, active_from, active_until,
                             created_at, created_by, updated_at, updated_by)
    SELECT o, v.person, v.name, NULL, (te - v.joined_ago)::date, (te - v.left_ago)::date,
           te - v.joined_ago, 'hr@northwind.example', coalesce(te - v.left_ago, te - v.joined_ago), 'hr@northwind.example'
      FROM (VALUES
        ('chris.hale@northwind.example',   'Chris Hale',   interval '4 years', NULL::interval),
        ('dana.ortiz@northwind.example',   'Dana Ortiz',   interval '4 years', NULL),
        ('eli.brandt@northwind.example',   'Eli Brandt',   interval '3 years', NULL),
        ('fatima.khan@northwind.example',  'Fatima Khan',  interval '3 years', NULL),
        ('george.li@northwind.example',    'George Li',    interval '3 years', NULL),
        ('hana.sato@northwind.example',    'Hana Sato',    interval '2 years 6 months', NULL),
        ('ivan.petrov@northwind.example',  'Ivan Petrov',  interval '2 years', NULL),
        ('julia.meyer@northwind.example',  'Julia Meyer',  interval '2 years', NULL),
        ('kofi.mensah@northwind.example',  'Kofi Mensah',  interval '1 year 6 months', NULL),
        ('lena.novak@northwind.example',   'Lena Novak',   interval '1 year', NULL),
        ('marco.rossi@northwind.example',  'Marco Rossi',  interval '4 months', NULL),
        ('nora.berg@northwind.example',    'Nora Berg',    interval '3 years', interval '5 months')
      ) AS v(person, name, joined_ago, left_ago);

    -- three policies under document control: the information security
    -- policy 1.0 then 1.1 (a minor revision: its acknowledgements still
    -- count), the acceptable use policy 1.0 then 2.0 (a major version: asks
    -- again), the remote working policy 1.0
    CREATE TEMP TABLE sample_policy_version AS
    SELECT d.id AS document_id, v.version, v.status, v.content,
           coalesce(least(d.last_reviewed_at, te), d.created_at) - v.before_review AS published_at,
           CASE WHEN v.status = 'superseded'
                THEN coalesce(least(d.last_reviewed_at, te), d.created_at) - v.next_before_review END AS superseded_at
      FROM (VALUES
        ('ISMS-POL-001', '1.0', 'superseded', 'Information security policy of Northwind Logistics: scope, objectives, roles and the commitment of top management.', interval '1 year', interval '0'),
        ('ISMS-POL-001', '1.1', 'published',  'Information security policy of Northwind Logistics: scope, objectives, roles and the commitment of top management; contacts updated.', interval '0', NULL::interval),
        ('ISMS-POL-003', '1.0', 'superseded', 'Acceptable use of Northwind systems: work use, no shared accounts, report incidents.', interval '2 years', interval '0'),
        ('ISMS-POL-003', '2.0', 'published',  'Acceptable use of Northwind systems: work use, no shared accounts, MFA everywhere, no personal cloud storage, report incidents within one hour.', interval '0', NULL),
        ('ISMS-POL-009', '1.0', 'published',  'Remote working at Northwind: managed devices only, VPN, screen lock, no printing at home.', interval '0', NULL)
      ) AS v(code, version, status, content, before_review, next_before_review)
      JOIN isms.document d ON d.org_id = o AND d.code = v.code AND d.status = 'published';
    INSERT INTO isms.document_version (org_id, document_id, version, status, content_text, author, change_reason,
                                       validity, created_at, created_by, updated_at, updated_by, author_login)
    SELECT o, p.document_id, p.version::isms.docver, p.status, p.content, 'ciso@northwind.example',
           CASE WHEN p.version <> '1.0' THEN 'Revised at the policy review' END,
           tstzrange(p.published_at, p.superseded_at), p.published_at - interval '2 weeks', 'ciso@northwind.example',
           coalesce(p.superseded_at, p.published_at), 'ciso@northwind.example', NULL
      FROM sample_policy_version p;

    -- who acknowledged, through the intranet's login, days after each
    -- publication: a = the staff who acknowledged that version
    INSERT INTO isms.policy_acknowledgement (org_id, document_id, version_id, version, person, login_role, acknowledged_at)
    SELECT o, dv.document_id, dv.id, dv.version, s.person, 'northwind_intranet',
           greatest(lower(dv.validity), s.created_at) + (3 + s.id % 20) * interval '1 day'
      FROM (VALUES
        ('ISMS-POL-001', '1.0', '{chris.hale,dana.ortiz,eli.brandt,fatima.khan,george.li,hana.sato,ivan.petrov,julia.meyer,kofi.mensah,nora.berg}'::text[]),
        ('ISMS-POL-001', '1.1', '{lena.novak}'),
        ('ISMS-POL-003', '1.0', '{chris.hale,dana.ortiz,eli.brandt,fatima.khan,george.li,hana.sato,ivan.petrov,julia.meyer,kofi.mensah,lena.novak,nora.berg}'),
        ('ISMS-POL-003', '2.0', '{chris.hale,dana.ortiz,fatima.khan,julia.meyer}'),
        ('ISMS-POL-009', '1.0', '{chris.hale,dana.ortiz,eli.brandt,fatima.khan,george.li,hana.sato,ivan.petrov,julia.meyer,lena.novak}')
      ) AS v(code, version, who)
      JOIN isms.document d ON d.org_id = o AND d.code = v.code
      JOIN isms.document_version dv ON dv.org_id = o AND dv.document_id = d.id AND dv.version = v.version::isms.docver
      JOIN isms.person s ON s.org_id = o AND split_part(s.person, '@', 1) = ANY (v.who)
     WHERE greatest(lower(dv.validity), s.created_at) + (3 + s.id % 20) * interval '1 day'
           < coalesce(upper(dv.validity), te)
       AND greatest(lower(dv.validity), s.created_at) + (3 + s.id % 20) * interval '1 day'
           < coalesce(s.active_until::timestamptz, te);

    SELECT (SELECT count(*) FROM isms.person WHERE org_id = o)
         + (SELECT count(*) FROM isms.document_version v JOIN sample_policy_version p ON p.document_id = v.document_id
             WHERE v.org_id = o AND v.version = p.version::isms.docver)
         + (SELECT count(*) FROM isms.policy_acknowledgement WHERE org_id = o)
      INTO n;
    DROP TABLE sample_policy_version;
    RETURN n;
END
$$;
COMMENT ON FUNCTION isms.load_sample_staff(date) IS
    'Loads the staff of the sample organisation and their policy acknowledgements (superuser only, after isms.load_sample() with the same until): twelve staff (one who has left), versions of three policies (one with a minor revision, one with a major version that asks again) and the acknowledgements recorded through the intranet''s login, with staff who have not acknowledged the version in force. Returns the rows written';
REVOKE ALL ON FUNCTION isms.load_sample_staff(date) FROM PUBLIC;
