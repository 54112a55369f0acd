-- Records stay attached to their log, against a hostile member: an editor
-- choosing ids (INSERT ... OVERRIDING SYSTEM VALUE, COPY with the id column)
-- to squat another organisation's document ids, renumbering a record away
-- from its log, deleting a record that has moved, an admin moving a record
-- to another organisation; each under the hostile search paths, with the
-- traps armed.  Every attempt is refused with its SQLSTATE, no trap runs,
-- and the log is unchanged.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
SELECT plan(16);
CREATE ROLE sec_admin LOGIN; GRANT isms_admin TO sec_admin;
CREATE TABLE public.sec_stamped (
    org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, note text,
    created_at timestamptz, created_by text, updated_at timestamptz, updated_by text);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON public.sec_stamped FOR EACH ROW EXECUTE FUNCTION isms.stamp();
GRANT SELECT, INSERT ON public.sec_stamped TO sec_mallory;
SELECT '/tmp/isms_sec_copy_' || pg_backend_pid() || '.tsv' AS copy_file \gset
COPY (SELECT 1, 888888, 'Copied') TO :'copy_file';
GRANT pg_read_server_files TO sec_mallory;

-- a record of organisation 1 that has moved, as a member moves it
SET SESSION AUTHORIZATION sec_mallory;
INSERT INTO isms.incident (org_id, title, severity, detected_at, reported_at, owner)
    VALUES (1, 'Lost laptop', 'low', '2025-02-01T10:00:00Z', '2025-02-01T11:00:00Z', 'SOC') RETURNING id AS inc \gset
SELECT isms.transition('isms.incident', :inc, 'triaged');
RESET SESSION AUTHORIZATION;
SELECT count(*) AS log0 FROM isms.transition_log \gset
-- organisation 2's document, whose id the member would squat
SELECT id AS doc_b FROM isms.document WHERE org_id = 2 \gset

CREATE FUNCTION pg_temp.everywhere(sql text) RETURNS text
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.string_agg(DISTINCT pg_temp.attempt(h.path, sql), ',') FROM hostile_path h
$$;
GRANT EXECUTE ON FUNCTION pg_temp.everywhere(text) TO PUBLIC;

SET SESSION AUTHORIZATION sec_mallory;
SELECT is(pg_temp.everywhere(format($$INSERT INTO isms.document (org_id, id, code, kind, title, owner, clause) OVERRIDING SYSTEM VALUE
                                     VALUES (1, %s, 'SQUAT-1', 'policy', 'Squatter', 'Mallory', '5.2')$$, :doc_b)),
    '428C9', 'editor: INSERT ... OVERRIDING SYSTEM VALUE with another organisation''s document id is refused (428C9) under every hostile path');
SELECT is(pg_temp.everywhere($$INSERT INTO isms.incident (org_id, id, title, severity, detected_at, reported_at, owner) OVERRIDING SYSTEM VALUE
                              VALUES (1, 777777, 'Squat', 'low', pg_catalog.now(), pg_catalog.now(), 'SOC')$$),
    '428C9', 'editor: an id of the future is refused too (428C9)');
SELECT is(pg_temp.everywhere(format('UPDATE isms.incident SET id = DEFAULT WHERE id OPERATOR(pg_catalog.=) %s', :inc)),
    'IS091', 'editor: renumbering a record is refused (IS091) under every hostile path');
SELECT is(pg_temp.everywhere(format('DELETE FROM isms.incident WHERE id OPERATOR(pg_catalog.=) %s', :inc)),
    'IS090', 'editor: deleting a record that has moved is refused (IS090) under every hostile path');
SELECT is(pg_temp.everywhere(format($$UPDATE isms.incident SET status = 'triaged' WHERE id OPERATOR(pg_catalog.=) %s$$, :inc)),
    'IS001', 'editor: an UPDATE to the status it has is refused (IS001) under every hostile path');
SELECT is(pg_temp.attempt('public, pg_catalog', $$SELECT pg_catalog.currval('isms.incident_id_seq')$$),
    '42501', 'editor: the identity sequence itself stays closed to the member (42501)');

-- COPY into a register: PostgreSQL refuses COPY FROM under row-level
-- security (0A000), with or without ids
SAVEPOINT copy_ids;
\set ON_ERROR_STOP 0
COPY isms.context_issue (org_id, id, title, origin, owner) FROM STDIN;
1	888888	Copied	external	Mallory
\.
\set ON_ERROR_STOP 1
\set copy_state :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT copy_ids;
SELECT is(:'copy_state'::text, '0A000'::text, 'editor: COPY into a register is refused under row-level security (0A000)');
-- COPY with the id column bypasses GENERATED ALWAYS: on a table of the
-- member's own with isms.stamp() and no row-level security, the trigger
-- refuses it (the member may read server files, to run COPY under every path)
SELECT is(pg_temp.everywhere(format($$COPY public.sec_stamped (org_id, id, note) FROM %L$$, :'copy_file')),
    '428C9', 'editor: COPY with the id column is refused by isms.stamp() (428C9) under every hostile path');
COPY public.sec_stamped (org_id, note) FROM STDIN;
1	Copied one
1	Copied two
\.
SELECT is((SELECT count(DISTINCT id)::int || ' ids, ' || count(*) FILTER (WHERE id = 888888) || ' chosen'
             FROM public.sec_stamped), '2 ids, 0 chosen',
    'editor: COPY without the id column gets generated ids');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION sec_admin;
SELECT is(pg_temp.everywhere(format('UPDATE isms.incident SET org_id = 2 WHERE id OPERATOR(pg_catalog.=) %s', :inc)),
    'IS091', 'admin: moving a record to another organisation is refused (IS091) under every hostile path');
SELECT is(pg_temp.everywhere('UPDATE isms.risk SET org_id = 2 WHERE org_id OPERATOR(pg_catalog.=) 1'),
    'IS091', 'admin: also on a register without a workflow (IS091)');
SELECT is(pg_temp.everywhere(format('DELETE FROM isms.incident WHERE id OPERATOR(pg_catalog.=) %s', :inc)),
    'IS090', 'admin: deleting a record that has moved is refused (IS090)');
RESET SESSION AUTHORIZATION;

SELECT is(pg_temp.fired(), 0::bigint, 'no trap ran');
SELECT is((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = 'sec_mallory'), false,
    'the member did not become superuser');
SELECT is((SELECT count(*) FROM isms.transition_log) - :log0, 0::bigint, 'the log is unchanged');
SELECT is((SELECT format('%s %s %s', org_id, id, status) FROM isms.incident WHERE id = :inc),
    format('1 %s triaged', :inc), 'the record is where it was, with its id');

SELECT * FROM finish();
ROLLBACK;
