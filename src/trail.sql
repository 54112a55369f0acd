-- The evidence trail (src/trail.c): an append-only, per-organisation,
-- SHA-256 hash-chained log.

-- The roles of the security model; the data model creates them too, so
-- each side creates only the ones missing.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['isms_admin', 'isms_editor', 'isms_auditor', 'isms_reader']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;

CREATE TABLE isms.trail (
    org_id       bigint      NOT NULL,
    seq          bigint      NOT NULL CHECK (seq > 0),
    recorded_at  timestamptz NOT NULL,
    actor        text        NOT NULL,
    record_table text        NOT NULL,
    record_id    bigint      NOT NULL,
    action       text        NOT NULL CHECK (action <> ''),
    payload      jsonb       NOT NULL,
    prev_hash    bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash         bytea       NOT NULL CHECK (octet_length(hash) = 32),
    login_role   text,
    source       text        CHECK (source IN ('engine', 'hand')),
    PRIMARY KEY (org_id, seq),
    CONSTRAINT trail_login_role_with_source CHECK ((login_role IS NULL) = (source IS NULL))
);
COMMENT ON TABLE isms.trail IS
    'Clause 7.5.3: the evidence trail, append-only, per organisation, each entry SHA-256 hash-chained to the previous one. Written by isms.trail_append(); UPDATE, DELETE and TRUNCATE are refused (IS020)';
COMMENT ON COLUMN isms.trail.org_id IS 'Organisation whose chain the entry belongs to';
COMMENT ON COLUMN isms.trail.seq IS 'Position in the organisation''s chain: 1, 2, 3 ... without gaps';
COMMENT ON COLUMN isms.trail.recorded_at IS 'When the entry was appended (clock time under the organisation''s trail lock, so non-decreasing along the chain)';
COMMENT ON COLUMN isms.trail.actor IS 'The person acting (isms.current_actor()): asserted by a trusted application login (isms_app), else the role the session acted as';
COMMENT ON COLUMN isms.trail.record_table IS 'Qualified name of the table of the record the entry is about, as text so that it survives dump and restore';
COMMENT ON COLUMN isms.trail.record_id IS 'id of the record the entry is about, within record_table and org_id';
COMMENT ON COLUMN isms.trail.action IS 'What happened: transition, approval, publication, review, risk acceptance, evidence ...';
COMMENT ON COLUMN isms.trail.payload IS 'Facts of the entry as JSON, hashed in jsonb''s canonical text';
COMMENT ON COLUMN isms.trail.prev_hash IS 'hash of the previous entry of the organisation; 32 zero bytes for the first';
COMMENT ON COLUMN isms.trail.login_role IS 'The login role of the session that wrote the entry (session_user); NULL for an entry written before 0.2.0';
COMMENT ON COLUMN isms.trail.source IS 'engine: written by the engine (workflow seals, document control, evidence, reviews, sign-offs, imports); hand: appended with isms.trail_append(); NULL for an entry written before 0.2.0';
COMMENT ON COLUMN isms.trail.hash IS 'SHA-256 over prev_hash and the canonical encoding of this entry (see the README)';

-- the data is the evidence: pg_dump dumps it although the table belongs to
-- the extension, and the restore's COPY is an INSERT, which is allowed
SELECT pg_catalog.pg_extension_config_dump('isms.trail', '');

CREATE FUNCTION isms.append_only() RETURNS trigger
    AS 'MODULE_PATHNAME', 'append_only'
    LANGUAGE C;
COMMENT ON FUNCTION isms.append_only() IS
    'Trigger refusing UPDATE, DELETE and TRUNCATE for every role: IS020 on the trail, IS021 on history tables (argument ''history'')';
REVOKE ALL ON FUNCTION isms.append_only() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.append_only() TO isms_reader;

CREATE TRIGGER trail_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON isms.trail
    FOR EACH STATEMENT EXECUTE FUNCTION isms.append_only();
-- ALWAYS: also under session_replication_role = replica
ALTER TABLE isms.trail ENABLE ALWAYS TRIGGER trail_append_only;

CREATE FUNCTION isms.trail_append(org_id bigint, record_table regclass,
                                  record_id bigint, action text,
                                  payload jsonb DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'trail_append_sql'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION isms.trail_append(bigint, regclass, bigint, text, jsonb) IS
    'Appends an entry by hand (source hand, with the login role) to the organisation''s trail and returns its seq; holds the organisation''s trail lock until commit. A NULL payload is stored as {}. Refuses a NULL argument but the payload (22004), an organisation the caller is not a member of (42501), an action the engine writes (IS082) and a table that is not a register, workflow or document table of the ISMS (23503)';
REVOKE ALL ON FUNCTION isms.trail_append(bigint, regclass, bigint, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.trail_append(bigint, regclass, bigint, text, jsonb) TO isms_admin, isms_editor;

-- The engine's own entry point for the entries its SQL functions write
-- (imports, reviews, sign-offs): granted to no role, so only the
-- extension's security-definer functions, which check the fact first,
-- reach it.
CREATE FUNCTION isms.trail_append_engine(org_id bigint, record_table regclass,
                                         record_id bigint, action text,
                                         payload jsonb DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'trail_append_engine_sql'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION isms.trail_append_engine(bigint, regclass, bigint, text, jsonb) IS
    'Appends an engine entry (source engine, any action) to the organisation''s trail and returns its seq; granted to no role: called by the extension''s security-definer functions (isms.import_apply, isms.review_trail_entry, isms.signoff_trail_entry, isms.acknowledgement_trail_entry) after they check the fact they record';
REVOKE ALL ON FUNCTION isms.trail_append_engine(bigint, regclass, bigint, text, jsonb) FROM PUBLIC;

CREATE FUNCTION isms.verify_trail(org_id bigint)
    RETURNS TABLE (seq bigint, expected_hash bytea, found_hash bytea, problem text)
    AS 'MODULE_PATHNAME', 'verify_trail'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION isms.verify_trail(bigint) IS
    'Recomputes the organisation''s hash chain, as committed when it runs (a fresh snapshot, whatever the isolation level) with this transaction''s own changes, and returns its first broken link (missing, altered or reordered entry), or no row when intact; refuses non-members (42501)';
REVOKE ALL ON FUNCTION isms.verify_trail(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.verify_trail(bigint) TO isms_admin, isms_editor, isms_auditor, isms_reader;

CREATE FUNCTION isms.verify_trail(org_id bigint, head_seq bigint, head_hash text)
    RETURNS TABLE (seq bigint, expected_hash bytea, found_hash bytea, problem text)
    AS 'MODULE_PATHNAME', 'verify_trail'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION isms.verify_trail(bigint, bigint, text) IS
    'As verify_trail(org_id), and also checks that entry head_seq still has the hash head_hash (hex) recorded earlier from isms.trail_head()';
REVOKE ALL ON FUNCTION isms.verify_trail(bigint, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.verify_trail(bigint, bigint, text) TO isms_admin, isms_editor, isms_auditor, isms_reader;

CREATE FUNCTION isms.require_member(org_id bigint, what text DEFAULT 'read')
    RETURNS void
    AS 'MODULE_PATHNAME', 'require_member_sql'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION isms.require_member(bigint, text) IS
    'Raises 42501 unless the caller is a superuser or, under row-level security (isms.member_orgs(), narrowed by isms.org), a member of the organisation; what names the refused act in the message';
REVOKE ALL ON FUNCTION isms.require_member(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.require_member(bigint, text) TO isms_admin, isms_editor, isms_auditor, isms_reader;

CREATE FUNCTION isms.trail_head(org_id bigint)
    RETURNS TABLE (seq bigint, hash text)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    PERFORM isms.require_member(trail_head.org_id, 'read the trail head of');
    RETURN QUERY
        SELECT t.seq, encode(t.hash, 'hex')
          FROM isms.trail t
         WHERE t.org_id = trail_head.org_id
         ORDER BY t.seq DESC
         LIMIT 1;
END
$$;
COMMENT ON FUNCTION isms.trail_head(bigint) IS
    'The newest entry of the organisation''s trail (seq and hash in hex), to be recorded outside the database and checked later with verify_trail(org_id, seq, hash); refuses non-members (42501)';
REVOKE ALL ON FUNCTION isms.trail_head(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.trail_head(bigint) TO isms_admin, isms_editor, isms_auditor, isms_reader;

GRANT USAGE ON SCHEMA isms TO isms_admin, isms_editor, isms_auditor, isms_reader;
REVOKE ALL ON TABLE isms.trail FROM PUBLIC;
GRANT SELECT ON TABLE isms.trail TO isms_admin, isms_editor, isms_auditor, isms_reader;
