-- Document control (Clause 7.5.2, 7.5.3): the versions of every document,
-- their approvals, and the lifecycle draft -> in_review -> approved ->
-- published -> superseded | retired, enforced by one C trigger
-- (src/document.c).  Runs after src/security.sql: the two registers here
-- are set up with isms.setup_register() and grant on their own functions.

------------------------------------------------------------------------------
-- The SHA-256 of a version's content: of the bytes as stored, of the text
-- in UTF-8, or of the URL itself (the database does not fetch a link).

CREATE FUNCTION isms.content_sha256(content_text text, content_bytes bytea, url text)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'document_content_sha256'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.content_sha256(text, bytea, text) IS
    'SHA-256 of a document version''s content: content_bytes as stored, else content_text in UTF-8, else the URL text; NULL when all are NULL';
REVOKE ALL ON FUNCTION isms.content_sha256(text, bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.content_sha256(text, bytea, text) TO isms_reader;

------------------------------------------------------------------------------
-- Versions

CREATE TABLE isms.document_version (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    document_id bigint NOT NULL,
    version     isms.docver NOT NULL,
    status      text NOT NULL DEFAULT 'draft'
                CONSTRAINT document_version_status_values
                CHECK (status IN ('draft', 'in_review', 'approved', 'published', 'superseded', 'retired')),
    content_text text CONSTRAINT document_version_content_text_given CHECK (btrim(content_text) <> ''),
    content_bytes bytea,
    media_type  text CONSTRAINT document_version_media_type_format
                CHECK (media_type ~ '^[a-z0-9.+-]+/[A-Za-z0-9.+-]+'),
    url         text CONSTRAINT document_version_url_given CHECK (btrim(url) <> ''),
    sha256      bytea GENERATED ALWAYS AS (isms.content_sha256(content_text, content_bytes, url)) STORED,
    author      text NOT NULL DEFAULT isms.current_actor(),
    change_reason text CONSTRAINT document_version_change_reason_given CHECK (btrim(change_reason) <> ''),
    validity    tstzrange,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    author_login text DEFAULT isms.current_login(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT document_version_unique UNIQUE (org_id, document_id, version),
    FOREIGN KEY (org_id, document_id) REFERENCES isms.document (org_id, id),
    CONSTRAINT document_version_one_content_kind
        CHECK (num_nonnulls(content_text, content_bytes, url) = 1),
    CONSTRAINT document_version_media_type_of_bytes
        CHECK (content_bytes IS NULL OR media_type IS NOT NULL),
    -- validity is NULL until publication; [published, superseded or
    -- retired) after; a draft withdrawn before publication stays NULL
    CONSTRAINT document_version_validity_by_status CHECK (CASE status
        WHEN 'draft' THEN validity IS NULL
        WHEN 'in_review' THEN validity IS NULL
        WHEN 'approved' THEN validity IS NULL
        WHEN 'published' THEN validity IS NOT NULL AND NOT isempty(validity)
                              AND NOT lower_inf(validity) AND upper_inf(validity)
        WHEN 'superseded' THEN validity IS NOT NULL AND NOT lower_inf(validity) AND NOT upper_inf(validity)
        WHEN 'retired' THEN validity IS NULL OR (NOT lower_inf(validity) AND NOT upper_inf(validity))
        ELSE true END),
    -- two versions of one document are never in force at the same instant
    -- (document ids are unique across organisations)
    CONSTRAINT document_version_no_overlap
        EXCLUDE USING gist (int8range(document_id, document_id, '[]') WITH &&, validity WITH &&)
);
-- at most one version of a document is being prepared at a time
CREATE UNIQUE INDEX document_version_one_open ON isms.document_version (org_id, document_id)
    WHERE status IN ('draft', 'in_review', 'approved');

COMMENT ON TABLE isms.document_version IS
    'Clause 7.5.2, 7.5.3: every version of a controlled document: number, content (text, stored bytes or a link) and its SHA-256, author, change reason, approval state and when it was in force; a published version is immutable';
COMMENT ON COLUMN isms.document_version.document_id IS 'The document (isms.document) this is a version of';
COMMENT ON COLUMN isms.document_version.version IS 'Version number major.minor, fixed at creation: 0.1 for a first draft, then the next minor (or major on request) above the latest version; publication keeps it';
COMMENT ON COLUMN isms.document_version.status IS 'draft, in_review, approved, published (in force), superseded (by a newer publication) or retired; moves only as isms.document_control() allows';
COMMENT ON COLUMN isms.document_version.content_text IS 'The content as text (Markdown); exactly one of content_text, content_bytes and url';
COMMENT ON COLUMN isms.document_version.content_bytes IS 'The content stored as bytes (a PDF, an office file), with media_type';
COMMENT ON COLUMN isms.document_version.media_type IS 'Media type of the content, such as application/pdf or text/markdown; required with content_bytes';
COMMENT ON COLUMN isms.document_version.url IS 'Where the content is kept when not stored here, such as a SharePoint link';
COMMENT ON COLUMN isms.document_version.sha256 IS 'SHA-256 of the content (of the URL text for a link), computed by the database';
COMMENT ON COLUMN isms.document_version.author IS 'Who wrote the version: the person acting when it was created; may not approve it';
COMMENT ON COLUMN isms.document_version.author_login IS 'The login role (session_user) through which the author created the version, set by document control; NULL for a version created before 0.2.0. A personal login that created a version cannot approve it';
COMMENT ON COLUMN isms.document_version.change_reason IS 'Why the version was made; required for every version after the first';
COMMENT ON COLUMN isms.document_version.validity IS 'When the version was in force: NULL until published, [published, superseded or retired) after';

------------------------------------------------------------------------------
-- Approvals

CREATE TABLE isms.document_approval (
    org_id      bigint NOT NULL REFERENCES isms.organization,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    version_id  bigint NOT NULL,
    decision    text NOT NULL CONSTRAINT document_approval_decision_values
                CHECK (decision IN ('approved', 'rejected')),
    comment     text CONSTRAINT document_approval_comment_given CHECK (btrim(comment) <> ''),
    approver    text NOT NULL DEFAULT isms.current_actor(),
    decided_at  timestamptz NOT NULL DEFAULT now(),
    sha256      bytea NOT NULL CONSTRAINT document_approval_sha256_length CHECK (octet_length(sha256) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT isms.current_actor(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT isms.current_actor(),
    approver_login text DEFAULT isms.current_login(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, version_id) REFERENCES isms.document_version (org_id, id),
    CONSTRAINT document_approval_reason_for_rejection CHECK (decision = 'approved' OR comment IS NOT NULL)
);
CREATE INDEX document_approval_version_idx ON isms.document_approval (org_id, version_id);

COMMENT ON TABLE isms.document_approval IS
    'Clause 7.5.3 and Annex A 5.3: approval decisions on document versions: who, when, approved or rejected, why, and the SHA-256 of the content decided on; the approver is never the author';
COMMENT ON COLUMN isms.document_approval.version_id IS 'The version decided on (isms.document_version), while in review';
COMMENT ON COLUMN isms.document_approval.decision IS 'approved or rejected';
COMMENT ON COLUMN isms.document_approval.comment IS 'The approver''s comment; required with a rejection';
COMMENT ON COLUMN isms.document_approval.approver IS 'Who decided: the person acting; never the version''s author, nor through the personal login that created it (segregation of duties)';
COMMENT ON COLUMN isms.document_approval.approver_login IS 'The login role (session_user) through which the decision was recorded, set by document control; NULL for a decision recorded before 0.2.0';
COMMENT ON COLUMN isms.document_approval.decided_at IS 'When the decision was recorded (transaction time)';
COMMENT ON COLUMN isms.document_approval.sha256 IS 'SHA-256 of the version''s content when decided: an approval covers that content only';

------------------------------------------------------------------------------
-- Both are registers: audit columns, row-level security, grants, pg_dump,
-- and history.

INSERT INTO isms.register
    (relid, name, clause, title, reviewable, default_review_interval, has_workflow, initial_status, audit_record)
VALUES
    ('isms.document_version',  'document_version',  '7.5', 'Document versions',  false, NULL, false, NULL, false),
    ('isms.document_approval', 'document_approval', '7.5', 'Document approvals', false, NULL, false, NULL, false);
SELECT isms.setup_register('isms.document_version');
SELECT isms.setup_register('isms.document_approval');
SELECT isms.enable_history('isms.document_version');
SELECT isms.enable_history('isms.document_approval');

------------------------------------------------------------------------------
-- The trigger.  One C function: BEFORE INSERT OR UPDATE enforces the
-- lifecycle and keeps isms.document.status in step; BEFORE DELETE and
-- BEFORE TRUNCATE refuse (IS012), ALWAYS, so also under
-- session_replication_role = replica.

CREATE FUNCTION isms.document_control() RETURNS trigger
    AS 'MODULE_PATHNAME', 'document_control'
    LANGUAGE C;
COMMENT ON FUNCTION isms.document_control() IS
    'Trigger of document control on isms.document, isms.document_version and isms.document_approval: lifecycle, immutability of published versions (IS010), segregation of duties (IS011), no DELETE or TRUNCATE (IS012), approvals (IS013), version order (IS014), document status, trail entries';
REVOKE ALL ON FUNCTION isms.document_control() FROM PUBLIC;

DO $$
DECLARE
    rel regclass;
BEGIN
    FOREACH rel IN ARRAY ARRAY['isms.document', 'isms.document_version', 'isms.document_approval']::regclass[]
    LOOP
        EXECUTE format('CREATE TRIGGER document_control BEFORE INSERT OR UPDATE ON %s '
                       'FOR EACH ROW EXECUTE FUNCTION isms.document_control()', rel);
        EXECUTE format('CREATE TRIGGER document_keep BEFORE DELETE ON %s '
                       'FOR EACH ROW EXECUTE FUNCTION isms.document_control()', rel);
        EXECUTE format('CREATE TRIGGER document_keep_all BEFORE TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION isms.document_control()', rel);
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER document_keep', rel);
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER document_keep_all', rel);
    END LOOP;
END
$$;

------------------------------------------------------------------------------
-- The API.  SECURITY INVOKER: row-level security and the caller's
-- privileges apply; each locks the document first, so that concurrent
-- changes to one document's versions run one after the other.

-- The document, locked, or no_data_found.  Locked by its key, org_id
-- first: distributed by Citus (isms.citus_distribute()), the lock is then
-- one shard's, which Citus routes.
CREATE FUNCTION isms.document_lock(document_id bigint) RETURNS isms.document
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    doc isms.document;
    org bigint;
BEGIN
    SELECT d.org_id INTO org FROM isms.document d WHERE d.id = document_lock.document_id;
    IF FOUND THEN
        SELECT * INTO doc FROM isms.document d
         WHERE d.org_id = org AND d.id = document_lock.document_id FOR NO KEY UPDATE;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'document % does not exist', document_id
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('No row of isms.document with id %s is visible to you.', document_id),
                  HINT = 'Check the id and your organisation membership.';
    END IF;
    RETURN doc;
END
$$;
COMMENT ON FUNCTION isms.document_lock(bigint) IS
    'The document with this id, locked until the end of the transaction (FOR NO KEY UPDATE); no_data_found when it is not visible';
REVOKE ALL ON FUNCTION isms.document_lock(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.document_lock(bigint) TO isms_editor;

-- The version, after locking its document, or no_data_found.
CREATE FUNCTION isms.document_version_lock(version_id bigint) RETURNS isms.document_version
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    ver isms.document_version;
BEGIN
    SELECT * INTO ver FROM isms.document_version v WHERE v.id = version_id;
    IF FOUND THEN
        -- the document locked by its key (see isms.document_lock)
        PERFORM FROM isms.document d
          WHERE d.org_id = ver.org_id AND d.id = ver.document_id FOR NO KEY UPDATE;
        IF NOT FOUND THEN
            PERFORM isms.document_lock(ver.document_id);
        END IF;
        -- read again: a concurrent change has committed while we waited
        SELECT * INTO ver FROM isms.document_version v WHERE v.org_id = ver.org_id AND v.id = version_id;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'document version % does not exist', version_id
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('No row of isms.document_version with id %s is visible to you.', version_id),
                  HINT = 'Check the id and your organisation membership.';
    END IF;
    RETURN ver;
END
$$;
COMMENT ON FUNCTION isms.document_version_lock(bigint) IS
    'The version with this id, read after locking its document; no_data_found when it is not visible';
REVOKE ALL ON FUNCTION isms.document_version_lock(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.document_version_lock(bigint) TO isms_editor;

-- The number a new version gets: 0.1 (1.0 if major) for the first, else
-- the next minor (major) above the latest.  The trigger applies the same
-- rule to an INSERT that leaves version NULL.  PL/pgSQL: Citus plans its
-- query with the parameter's value, and refuses a SQL function's.
CREATE FUNCTION isms.document_next_version(document_id bigint, major boolean DEFAULT false)
    RETURNS isms.docver
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    latest isms.docver;
BEGIN
    SELECT v.version INTO latest FROM isms.document_version v
     WHERE v.document_id = document_next_version.document_id
     ORDER BY v.version DESC LIMIT 1;
    RETURN CASE WHEN major THEN isms.next_major(coalesce(latest, '0.0'))
                WHEN latest IS NULL THEN '0.1'::isms.docver
                ELSE isms.next_minor(latest) END;
END
$$;
COMMENT ON FUNCTION isms.document_next_version(bigint, boolean) IS
    'Number of the next version of a document: 0.1 for the first (1.0 with major), else next_minor (next_major with major) of the latest version';
REVOKE ALL ON FUNCTION isms.document_next_version(bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.document_next_version(bigint, boolean) TO isms_reader;

CREATE FUNCTION isms.draft_document(document_id bigint,
                                    content_text text DEFAULT NULL,
                                    content_bytes bytea DEFAULT NULL,
                                    media_type text DEFAULT NULL,
                                    url text DEFAULT NULL,
                                    change_reason text DEFAULT NULL,
                                    major boolean DEFAULT false)
    RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    doc isms.document := isms.document_lock(document_id);
    new_id bigint;
BEGIN
    INSERT INTO isms.document_version
           (org_id, document_id, version, content_text, content_bytes, media_type, url, change_reason)
    VALUES (doc.org_id, doc.id, isms.document_next_version(doc.id, major),
            content_text, content_bytes, media_type, url, change_reason)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION isms.draft_document(bigint, text, bytea, text, text, text, boolean) IS
    'Opens a new draft version of a document with the given content (exactly one of content_text, content_bytes with media_type, url); returns its id. Numbered 0.1 (1.0 with major) for the first version, else the next minor (major) above the latest; change_reason is required after the first';
REVOKE ALL ON FUNCTION isms.draft_document(bigint, text, bytea, text, text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.draft_document(bigint, text, bytea, text, text, text, boolean) TO isms_editor;

CREATE FUNCTION isms.revise_document(document_id bigint, change_reason text, major boolean DEFAULT false)
    RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    doc isms.document := isms.document_lock(document_id);
    src isms.document_version;
    new_id bigint;
BEGIN
    -- the version in force, else the latest one
    SELECT * INTO src FROM isms.document_version v
     WHERE v.org_id = doc.org_id AND v.document_id = doc.id
     ORDER BY v.status = 'published' DESC, v.version DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'document % has no version to revise', doc.code
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('Document %s (%s) has no version yet.', doc.id, doc.title),
                  HINT = 'Write its first version with isms.draft_document().';
    END IF;
    INSERT INTO isms.document_version
           (org_id, document_id, version, content_text, content_bytes, media_type, url, change_reason)
    VALUES (doc.org_id, doc.id, isms.document_next_version(doc.id, major),
            src.content_text, src.content_bytes, src.media_type, src.url, change_reason)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION isms.revise_document(bigint, text, boolean) IS
    'Opens a new draft of a document, a copy of the version in force (else of the latest version), numbered the next minor (major with major => true) above the latest; returns its id. Edit the draft with UPDATE, then submit it';
REVOKE ALL ON FUNCTION isms.revise_document(bigint, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.revise_document(bigint, text, boolean) TO isms_editor;

CREATE FUNCTION isms.submit_document(version_id bigint) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    ver isms.document_version := isms.document_version_lock(version_id);
BEGIN
    UPDATE isms.document_version v SET status = 'in_review' WHERE v.org_id = ver.org_id AND v.id = ver.id;
END
$$;
COMMENT ON FUNCTION isms.submit_document(bigint) IS
    'Submits a draft version for review: draft -> in_review';
REVOKE ALL ON FUNCTION isms.submit_document(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.submit_document(bigint) TO isms_editor;

CREATE FUNCTION isms.approve_document(version_id bigint, decision text DEFAULT 'approved', comment text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    ver isms.document_version := isms.document_version_lock(version_id);
    approval_id bigint;
BEGIN
    -- sha256 is set by the trigger for members; given here for a superuser,
    -- whose INSERT the trigger takes as it is
    INSERT INTO isms.document_approval (org_id, version_id, decision, comment, sha256)
    VALUES (ver.org_id, ver.id, decision, comment, ver.sha256)
    RETURNING id INTO approval_id;
    UPDATE isms.document_version v
       SET status = CASE WHEN approve_document.decision = 'approved' THEN 'approved' ELSE 'draft' END
     WHERE v.org_id = ver.org_id AND v.id = ver.id;
    RETURN approval_id;
END
$$;
COMMENT ON FUNCTION isms.approve_document(bigint, text, text) IS
    'Records a decision on a version in review, by the person acting (never its author: IS011): approved moves it to approved, rejected (with a comment) back to draft; returns the approval id';
REVOKE ALL ON FUNCTION isms.approve_document(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.approve_document(bigint, text, text) TO isms_editor;

CREATE FUNCTION isms.publish_document(version_id bigint) RETURNS tstzrange
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    ver isms.document_version := isms.document_version_lock(version_id);
    doc isms.document;
    result tstzrange;
BEGIN
    IF ver.status <> 'approved' THEN
        SELECT * INTO doc FROM isms.document d WHERE d.org_id = ver.org_id AND d.id = ver.document_id;
        RAISE EXCEPTION 'cannot publish version % of document %: it is %', ver.version, doc.code,
                        CASE ver.status WHEN 'published' THEN 'already published' ELSE ver.status END
            USING ERRCODE = 'IS001',
                  DETAIL = 'Only an approved version can be published.',
                  HINT = CASE WHEN ver.status IN ('draft', 'in_review')
                              THEN 'Submit it and have someone other than its author approve it first.'
                              ELSE 'isms.document_as_of(document_id, now()) gives the version in force.' END;
    END IF;
    UPDATE isms.document_version v SET status = 'published'
     WHERE v.org_id = ver.org_id AND v.id = ver.id
    RETURNING v.validity INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION isms.publish_document(bigint) IS
    'Publishes an approved version: it is in force from now on, and the version in force until now is superseded; returns the new version''s validity';
REVOKE ALL ON FUNCTION isms.publish_document(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.publish_document(bigint) TO isms_editor;

CREATE FUNCTION isms.retire_document(document_id bigint, reason text) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
DECLARE
    doc isms.document := isms.document_lock(document_id);
    old_reason text := current_setting('isms.reason', true);
    n integer;
BEGIN
    IF coalesce(btrim(reason), '') = '' THEN
        RAISE EXCEPTION 'retiring document % needs a reason', doc.code
            USING ERRCODE = 'IS002',
                  HINT = 'Say why it is no longer in force, for example "Replaced by ISMS-POL-007".';
    END IF;
    PERFORM set_config('isms.reason', reason, true);
    UPDATE isms.document_version v SET status = 'retired'
     WHERE v.org_id = doc.org_id AND v.document_id = doc.id
       AND v.status IN ('published', 'draft', 'in_review', 'approved');
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('isms.reason', coalesce(old_reason, ''), true);
    IF n = 0 THEN
        RAISE EXCEPTION 'document % has no version in force or in preparation to retire', doc.code
            USING ERRCODE = 'IS001',
                  DETAIL = format('Its status is %s.', doc.status),
                  HINT = 'A retired document stays retired until a new version of it is published.';
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION isms.retire_document(bigint, text) IS
    'Retires a document: its version in force ends now, and a version in preparation is withdrawn (both become retired, with the reason in the trail); returns how many versions were retired';
REVOKE ALL ON FUNCTION isms.retire_document(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.retire_document(bigint, text) TO isms_editor;

CREATE FUNCTION isms.document_as_of(document_id bigint, at timestamptz)
    RETURNS SETOF isms.document_version
    LANGUAGE sql STABLE ROWS 1 SET search_path = pg_catalog, isms, pg_temp
AS $$
    SELECT v.* FROM isms.document_version v
     WHERE int8range(v.document_id, v.document_id, '[]') && int8range(document_as_of.document_id, document_as_of.document_id, '[]')
       AND v.validity @> document_as_of.at
$$;
COMMENT ON FUNCTION isms.document_as_of(bigint, timestamptz) IS
    'The version of a document in force at an instant: one row, or none when no version was in force then';
REVOKE ALL ON FUNCTION isms.document_as_of(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.document_as_of(bigint, timestamptz) TO isms_reader;

------------------------------------------------------------------------------
-- Privileges: nothing to PUBLIC; members read, editors (and admins) write.

