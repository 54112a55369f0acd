-- Sign-offs: the approvals the standard expects from someone accountable,
-- recorded with what exactly was signed.  Management review minutes (top
-- management, 9.3), the Statement of Applicability as a whole (a numbered
-- SoA version an auditor can cite, 6.1.3 d), a risk acceptance by the risk
-- owner (6.1.3 f) and a risk treatment plan's approval (6.1.3 f).
--
-- The database vouches for every fact of a sign-off: who (isms.current_actor()
-- and the login role), when (transaction time), and the SHA-256 of the
-- signed content, which it takes from the register itself.  A sign-off is
-- written to the evidence trail and is never changed or removed; when the
-- signed content changes afterwards, the reports show "signed version
-- superseded".

CREATE TABLE isms.signoff (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    subject     text NOT NULL CONSTRAINT signoff_subject_values
                CHECK (subject IN ('management_review', 'statement_of_applicability', 'risk_acceptance', 'treatment_plan')),
    record_id   bigint,
    soa_version integer CONSTRAINT signoff_soa_version_positive CHECK (soa_version > 0),
    signer      text NOT NULL,
    login_role  text NOT NULL,
    signer_role text NOT NULL CONSTRAINT signoff_signer_role_given CHECK (btrim(signer_role) <> ''),
    statement   text CONSTRAINT signoff_statement_given CHECK (btrim(statement) <> ''),
    signed_at   timestamptz NOT NULL,
    content     jsonb NOT NULL,
    sha256      bytea NOT NULL CONSTRAINT signoff_sha256_length CHECK (octet_length(sha256) = 32),
    PRIMARY KEY (org_id, id),
    CONSTRAINT signoff_record_of_subject
        CHECK ((subject = 'statement_of_applicability') = (record_id IS NULL)),
    CONSTRAINT signoff_soa_version_of_subject
        CHECK ((subject = 'statement_of_applicability') = (soa_version IS NOT NULL)),
    CONSTRAINT signoff_soa_version_unique UNIQUE (org_id, soa_version)
);
CREATE INDEX signoff_record_idx ON isms.signoff (org_id, subject, record_id);
COMMENT ON TABLE isms.signoff IS
    'Clauses 9.3, 6.1.3 d and f: sign-offs of management review minutes, Statement of Applicability versions, risk acceptances and treatment plans: who signed in which role, when, and the SHA-256 of the content signed; written by isms.sign_off() or INSERT, never changed (IS031), recorded in the trail';
COMMENT ON COLUMN isms.signoff.org_id IS 'Organisation';
COMMENT ON COLUMN isms.signoff.id IS 'Identifier of the sign-off';
COMMENT ON COLUMN isms.signoff.subject IS 'What is signed: management_review (the minutes), statement_of_applicability (the SoA as a whole), risk_acceptance (a risk''s accepted residual level), treatment_plan (a plan''s approval)';
COMMENT ON COLUMN isms.signoff.record_id IS 'The management review, risk or treatment plan signed; NULL for the Statement of Applicability';
COMMENT ON COLUMN isms.signoff.soa_version IS 'For the Statement of Applicability: its version number, 1 for the first signed SoA of the organisation, then the next; the version an auditor cites';
COMMENT ON COLUMN isms.signoff.signer IS 'The person who signed: isms.current_actor() when signing, set by the database';
COMMENT ON COLUMN isms.signoff.login_role IS 'The login role of the session that signed (session_user), set by the database';
COMMENT ON COLUMN isms.signoff.signer_role IS 'The capacity in which the person signs, such as "CEO, top management" or "risk owner"';
COMMENT ON COLUMN isms.signoff.statement IS 'What the signer states, such as "Minutes approved"';
COMMENT ON COLUMN isms.signoff.signed_at IS 'When it was signed (transaction time), set by the database';
COMMENT ON COLUMN isms.signoff.content IS 'The content signed, as the register held it (isms.signoff_content())';
COMMENT ON COLUMN isms.signoff.sha256 IS 'SHA-256 of the content signed (of its jsonb text in UTF-8): isms.signoff_digest(content)';

SELECT pg_catalog.pg_extension_config_dump('isms.signoff', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('isms.signoff', 'id')::regclass, '');
ALTER TABLE isms.signoff ENABLE ROW LEVEL SECURITY;
ALTER TABLE isms.signoff FORCE ROW LEVEL SECURITY;
CREATE POLICY member ON isms.signoff USING (org_id = ANY (isms.visible_orgs()))
    WITH CHECK (org_id = ANY (isms.visible_orgs()));
REVOKE ALL ON TABLE isms.signoff FROM PUBLIC;
GRANT SELECT ON TABLE isms.signoff TO isms_admin, isms_editor, isms_auditor, isms_reader;
GRANT INSERT ON TABLE isms.signoff TO isms_admin, isms_editor;

------------------------------------------------------------------------------
-- What is signed: the content as the register held it at an instant.

CREATE FUNCTION isms.signoff_content(org_id bigint, subject text, record_id bigint,
                                     as_of timestamptz DEFAULT now())
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    c jsonb;
BEGIN
    CASE subject
    WHEN 'management_review' THEN
        SELECT to_jsonb(m) - ARRAY['created_at', 'created_by', 'updated_at', 'updated_by'] INTO c
          FROM isms.known_as_of(NULL::isms.management_review, as_of) m
         WHERE m.org_id = signoff_content.org_id AND m.id = signoff_content.record_id;
    WHEN 'statement_of_applicability' THEN
        SELECT jsonb_agg(jsonb_build_object('framework', e.framework, 'control', e.control::text,
                                            'applicable', e.applicable, 'justification', e.justification,
                                            'implementation_status', e.implementation_status)
                         ORDER BY e.framework, e.control) INTO c
          FROM isms.known_as_of(NULL::isms.soa_entry, as_of) e
         WHERE e.org_id = signoff_content.org_id AND e.created_at <= as_of;
    WHEN 'risk_acceptance' THEN
        SELECT jsonb_build_object('id', r.id, 'title', r.title, 'owner', r.owner,
                                  'inherent_likelihood', r.inherent_likelihood, 'inherent_impact', r.inherent_impact,
                                  'residual_likelihood', r.residual_likelihood, 'residual_impact', r.residual_impact,
                                  'treatment', r.treatment, 'accepted_by', r.accepted_by,
                                  'accepted_at', r.accepted_at, 'accepted_until', r.accepted_until) INTO c
          FROM isms.known_as_of(NULL::isms.risk, as_of) r
         WHERE r.org_id = signoff_content.org_id AND r.id = signoff_content.record_id;
    WHEN 'treatment_plan' THEN
        SELECT jsonb_build_object('id', p.id, 'risk_id', p.risk_id, 'title', p.title, 'action', p.action,
                                  'owner', p.owner, 'due_on', p.due_on) INTO c
          FROM isms.known_as_of(NULL::isms.treatment_plan, as_of) p
         WHERE p.org_id = signoff_content.org_id AND p.id = signoff_content.record_id;
    ELSE
        PERFORM isms.report_bad_argument('subject', subject, 'not a subject of sign-off',
            'Pass management_review, statement_of_applicability, risk_acceptance or treatment_plan.');
    END CASE;
    RETURN c;
END
$$;
COMMENT ON FUNCTION isms.signoff_content(bigint, text, bigint, timestamptz) IS
    'The content a sign-off covers, as the register held it at as_of: a management review''s minutes (every column but the audit columns), the SoA entries (framework, control, applicability, justification, implementation status), a risk''s ratings, treatment and acceptance, a treatment plan''s risk, title, action, owner and due date; NULL when the record did not exist';

CREATE FUNCTION isms.signoff_digest(content jsonb) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.sha256(pg_catalog.convert_to($1::text, 'UTF8'))
$$;
COMMENT ON FUNCTION isms.signoff_digest(jsonb) IS
    'SHA-256 of signed content: of its jsonb text (keys in jsonb''s canonical order) in UTF-8';

------------------------------------------------------------------------------
-- The database fills in and checks every sign-off, however it is inserted.

CREATE FUNCTION isms.signoff_complete(s isms.signoff) RETURNS isms.signoff
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    NEW isms.signoff := s;
    what text;
    ok boolean;
    why text;
BEGIN
    NEW.signer := isms.current_actor();
    NEW.login_role := session_user;
    NEW.signed_at := now();
    what := CASE NEW.subject
                WHEN 'management_review' THEN format('management review %s', NEW.record_id)
                WHEN 'risk_acceptance' THEN format('the acceptance of risk %s', NEW.record_id)
                WHEN 'treatment_plan' THEN format('treatment plan %s', NEW.record_id)
                ELSE format('the Statement of Applicability of organisation %s', NEW.org_id) END;
    CASE NEW.subject
    WHEN 'management_review' THEN
        SELECT m.held_on IS NOT NULL, format('it is planned for %s and not held', m.planned_on) INTO ok, why
          FROM isms.management_review m WHERE m.org_id = NEW.org_id AND m.id = NEW.record_id;
    WHEN 'risk_acceptance' THEN
        SELECT r.accepted_at IS NOT NULL, 'no acceptance of its residual risk is recorded (accepted_by, accepted_at)'
          INTO ok, why
          FROM isms.risk r WHERE r.org_id = NEW.org_id AND r.id = NEW.record_id;
    WHEN 'treatment_plan' THEN
        SELECT p.status <> 'withdrawn', 'it is withdrawn' INTO ok, why
          FROM isms.treatment_plan p WHERE p.org_id = NEW.org_id AND p.id = NEW.record_id;
    WHEN 'statement_of_applicability' THEN
        ok := EXISTS (SELECT 1 FROM isms.soa_entry e WHERE e.org_id = NEW.org_id);
        why := 'it has no entry';
        PERFORM pg_advisory_xact_lock(hashtext('isms.signoff soa_version'), hashtext(NEW.org_id::text));
        NEW.soa_version := coalesce((SELECT max(x.soa_version) FROM isms.signoff x
                                      WHERE x.org_id = NEW.org_id AND x.subject = 'statement_of_applicability'), 0) + 1;
    ELSE
        NULL;   -- the CHECK constraint refuses it
    END CASE;
    IF ok IS NULL THEN
        RAISE EXCEPTION 'cannot sign off %: it does not exist in organisation %', what, NEW.org_id
            USING ERRCODE = 'IS030',
                  DETAIL = format('subject %s, record_id %s', NEW.subject, coalesce(NEW.record_id::text, 'NULL')),
                  HINT = 'Name a record of the organisation you sign for.';
    ELSIF NOT ok THEN
        RAISE EXCEPTION 'cannot sign off %: %', what, why
            USING ERRCODE = 'IS030',
                  DETAIL = format('subject %s, record_id %s, organisation %s', NEW.subject,
                                  coalesce(NEW.record_id::text, 'NULL'), NEW.org_id),
                  HINT = CASE NEW.subject
                             WHEN 'management_review' THEN 'Record held_on and the inputs 9.3.2 a-g first: minutes are signed once the review is held.'
                             WHEN 'risk_acceptance' THEN 'Record the acceptance on the risk (accepted_by, accepted_at) first, then sign it.'
                             WHEN 'treatment_plan' THEN 'Sign a plan that is planned or under way.'
                             ELSE 'Record the SoA entries (isms.soa_entry) first.' END;
    END IF;
    -- a risk is accepted by its owner (6.1.3 f): the person signing must
    -- be the one the register names, compared without case or the spaces
    -- around it (risk.owner is free text)
    IF NEW.subject = 'risk_acceptance' THEN
        SELECT r.owner INTO why FROM isms.risk r WHERE r.org_id = NEW.org_id AND r.id = NEW.record_id;
        IF lower(btrim(why)) IS DISTINCT FROM lower(btrim(NEW.signer)) THEN
            RAISE EXCEPTION 'cannot sign off %: only the risk owner accepts a risk', what
                USING ERRCODE = 'IS140',
                      DETAIL = format('The risk owner is %s; the person signing is %s.', coalesce(quote_literal(why), 'not recorded'),
                                      quote_literal(NEW.signer)),
                      HINT = 'Have the risk owner sign (their own login, or an application login asserting them in isms.actor), or record the accountable owner on the risk first.';
        END IF;
    END IF;
    NEW.content := isms.signoff_content(NEW.org_id, NEW.subject, NEW.record_id, now());
    NEW.sha256 := isms.signoff_digest(NEW.content);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.signoff_complete(isms.signoff) IS
    'A sign-off as the database records it: signer (isms.current_actor()), login role (session_user), signed_at, the SoA version, the content from the register and its SHA-256; refuses (IS030) a missing record, a review not held, a risk not accepted, a withdrawn plan, an empty SoA, and (IS140) a risk acceptance signed by anyone but the risk owner';

-- A superuser's INSERT is a restore (pg_dump) and is kept as it is, without
-- a trail entry: the trail's own copy is restored beside it.
CREATE FUNCTION isms.signoff_fill() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = current_user AND rolsuper) THEN
        RETURN NEW;
    END IF;
    RETURN isms.signoff_complete(NEW);
END
$$;
COMMENT ON FUNCTION isms.signoff_fill() IS
    'BEFORE INSERT trigger of isms.signoff: completes the row with isms.signoff_complete() (who, when, what, its SHA-256), whatever the INSERT gave; a superuser''s INSERT (a restore) is kept as it is';

CREATE FUNCTION isms.signoff_trail() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = current_user AND rolsuper) THEN
        RETURN NULL;    -- a restore; isms.sign_off() appends a superuser's own sign-off itself
    END IF;
    PERFORM isms.signoff_trail_entry(NEW);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION isms.signoff_trail() IS
    'AFTER INSERT trigger of isms.signoff: records the sign-off in the evidence trail (action sign-off, with the SHA-256 of the content); not for a superuser''s INSERT (a restore)';

CREATE FUNCTION isms.signoff_trail_entry(s isms.signoff) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    NEW isms.signoff;
BEGIN
    -- the action sign-off is the engine's: only for a sign-off stored in
    -- isms.signoff, from the stored row, and once
    SELECT * INTO NEW FROM isms.signoff x
     WHERE x.org_id OPERATOR(pg_catalog.=) s.org_id AND x.id OPERATOR(pg_catalog.=) s.id;
    IF NOT FOUND OR EXISTS (
        SELECT 1 FROM isms.trail t
         WHERE t.org_id OPERATOR(pg_catalog.=) NEW.org_id AND t.record_table OPERATOR(pg_catalog.=) 'isms.signoff'
           AND t.record_id OPERATOR(pg_catalog.=) NEW.id AND t.action OPERATOR(pg_catalog.=) 'sign-off') THEN
        RAISE EXCEPTION 'no sign-off % of organisation % to record in the trail', s.id, s.org_id
            USING ERRCODE = 'IS082',
                  DETAIL = 'A sign-off entry is the engine''s: it is written once, for a sign-off stored in isms.signoff.',
                  HINT = 'Sign with isms.sign_off().';
    END IF;
    RETURN isms.trail_append_engine(NEW.org_id, 'isms.signoff'::pg_catalog.regclass, NEW.id, 'sign-off',
        pg_catalog.jsonb_build_object('subject', NEW.subject, 'record_id', NEW.record_id, 'soa_version', NEW.soa_version,
                           'signer', NEW.signer, 'login_role', NEW.login_role, 'signer_role', NEW.signer_role,
                           'statement', NEW.statement, 'signed_at', NEW.signed_at,
                           'sha256', pg_catalog.encode(NEW.sha256, 'hex')));
END
$$;
COMMENT ON FUNCTION isms.signoff_trail_entry(isms.signoff) IS
    'Appends a sign-off to the evidence trail as the engine (action sign-off: subject, record, SoA version, signer, login role, role, statement, time, SHA-256), from the row stored in isms.signoff with the id and org_id of s, once; refuses a sign-off not stored or already recorded (IS082)';

CREATE FUNCTION isms.signoff_keep() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'signoff' THEN
        RAISE EXCEPTION 'a sign-off cannot be changed or removed (% on isms.signoff)', TG_OP
            USING ERRCODE = 'IS031',
                  DETAIL = 'A sign-off is evidence: it records who signed which content when.',
                  HINT = 'Sign again: the newer sign-off covers the current content, the older one shows as superseded.';
    END IF;
    RAISE EXCEPTION 'an import record cannot be changed or removed (% on isms.%)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'IS031',
              DETAIL = 'An import record is evidence: it records who brought which records in, when, and their digest.',
              HINT = 'Import corrections as a new batch.';
END
$$;
COMMENT ON FUNCTION isms.signoff_keep() IS
    'Trigger refusing UPDATE, DELETE and TRUNCATE of isms.signoff and isms.import_batch (IS031), for every role';

CREATE TRIGGER signoff_fill BEFORE INSERT ON isms.signoff FOR EACH ROW EXECUTE FUNCTION isms.signoff_fill();
CREATE TRIGGER signoff_trail AFTER INSERT ON isms.signoff FOR EACH ROW EXECUTE FUNCTION isms.signoff_trail();
CREATE TRIGGER signoff_keep BEFORE UPDATE OR DELETE OR TRUNCATE ON isms.signoff
    FOR EACH STATEMENT EXECUTE FUNCTION isms.signoff_keep();
ALTER TABLE isms.signoff ENABLE ALWAYS TRIGGER signoff_keep;
ALTER TABLE isms.signoff ENABLE ALWAYS TRIGGER signoff_fill;

------------------------------------------------------------------------------
-- Signing, and what the sign-offs say at an instant.

CREATE FUNCTION isms.sign_off(org_id bigint, subject text, record_id bigint, signer_role text,
                              statement text DEFAULT NULL)
    RETURNS isms.signoff
    LANGUAGE plpgsql
    SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    s isms.signoff;
BEGIN
    PERFORM isms.report_org(org_id);
    IF subject IS NULL OR subject NOT IN ('management_review', 'statement_of_applicability', 'risk_acceptance', 'treatment_plan') THEN
        PERFORM isms.report_bad_argument('subject', subject, 'not a subject of sign-off',
            'Pass management_review, statement_of_applicability, risk_acceptance or treatment_plan.');
    END IF;
    IF (subject = 'statement_of_applicability') <> (record_id IS NULL) THEN
        PERFORM isms.report_bad_argument('record_id', record_id::text,
            CASE WHEN record_id IS NULL THEN 'the record signed is required' ELSE 'the SoA is signed as a whole' END,
            'Pass the id of the management review, risk or treatment plan; NULL for the Statement of Applicability.');
    END IF;
    IF signer_role IS NULL OR btrim(signer_role) = '' THEN
        PERFORM isms.report_bad_argument('signer_role', signer_role, 'the capacity in which you sign is required',
            'Pass it, such as ''CEO, top management'' or ''risk owner''.');
    END IF;
    s.org_id := sign_off.org_id;
    s.subject := sign_off.subject;
    s.record_id := sign_off.record_id;
    s.signer_role := sign_off.signer_role;
    s.statement := sign_off.statement;
    s := isms.signoff_complete(s);
    INSERT INTO isms.signoff (org_id, subject, record_id, soa_version, signer_role, statement, signer, login_role,
                              signed_at, content, sha256)
    VALUES (s.org_id, s.subject, s.record_id, s.soa_version, s.signer_role, s.statement, s.signer, s.login_role,
            s.signed_at, s.content, s.sha256)
    RETURNING * INTO s;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = current_user AND rolsuper) THEN
        PERFORM isms.signoff_trail_entry(s);
    END IF;
    RETURN s;
END
$$;
COMMENT ON FUNCTION isms.sign_off(bigint, text, bigint, text, text) IS
    'Signs off management review minutes, the Statement of Applicability (record_id NULL; numbered), a risk acceptance or a treatment plan as the person acting, in the role given; returns the sign-off with the SHA-256 of what was signed; recorded in the trail';

CREATE FUNCTION isms.signoff_status(org_id bigint, as_of timestamptz DEFAULT now())
RETURNS TABLE (signoff_id bigint, subject text, record_id bigint, soa_version integer, signer text,
               login_role text, signer_role text, signed_at timestamptz, sha256 text, current_sha256 text,
               status text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    t constant timestamptz := isms.report_time('as_of', $2);
BEGIN
    RETURN QUERY
    SELECT s.id, s.subject, s.record_id, s.soa_version, s.signer, s.login_role, s.signer_role, s.signed_at,
           encode(s.sha256, 'hex'), encode(c.h, 'hex'),
           CASE WHEN c.h IS NULL THEN 'record gone'
                WHEN c.h = s.sha256 THEN 'signed'
                ELSE 'signed version superseded' END
      FROM isms.signoff s
      CROSS JOIN LATERAL (SELECT isms.signoff_digest(isms.signoff_content(s.org_id, s.subject, s.record_id, t)) AS h) c
     WHERE s.org_id = o AND s.signed_at <= t
     ORDER BY s.signed_at, s.id;
END
$$;
COMMENT ON FUNCTION isms.signoff_status(bigint, timestamptz) IS
    'The sign-offs of an organisation made by as_of, each with the SHA-256 of what was signed and of the same content at as_of: status signed (unchanged), signed version superseded (changed since), or record gone';

REVOKE ALL ON FUNCTION isms.signoff_content(bigint, text, bigint, timestamptz), isms.signoff_digest(jsonb),
    isms.signoff_complete(isms.signoff), isms.signoff_trail_entry(isms.signoff),
    isms.signoff_fill(), isms.signoff_trail(), isms.signoff_keep(),
    isms.sign_off(bigint, text, bigint, text, text), isms.signoff_status(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.signoff_content(bigint, text, bigint, timestamptz), isms.signoff_digest(jsonb),
    isms.signoff_status(bigint, timestamptz) TO isms_reader;
GRANT EXECUTE ON FUNCTION isms.sign_off(bigint, text, bigint, text, text), isms.signoff_complete(isms.signoff),
    isms.signoff_trail_entry(isms.signoff) TO isms_admin, isms_editor;
