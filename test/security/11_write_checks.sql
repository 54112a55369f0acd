-- The write checks of isms.stamp() (src/write_check.c) against a hostile
-- member: under each hostile search_path, with an isms.member_orgs() and a
-- requirement table planted in the attacker's schema, in public and as
-- temporary tables, a row of another organisation is still refused (42501)
-- and an unknown control still refused (23503), no trap runs, and the
-- refusal names the extension's table.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
\ir ../pgtap/fixture.psql
SELECT pg_temp.seed(1);
SELECT pg_temp.seed(2);
\ir setup.psql
SELECT plan(10);

-- The attacker's decoys: member_orgs() that grants every organisation, and
-- a catalog that has every control, in evil, in public and in pg_temp.
SET LOCAL ROLE sec_mallory;
CREATE FUNCTION evil.member_orgs(who name DEFAULT CURRENT_USER) RETURNS bigint[]
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.sec_fire('evil.member_orgs'); RETURN '{1,2,3}'; END $$;
CREATE FUNCTION public.member_orgs(who name DEFAULT CURRENT_USER) RETURNS bigint[]
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.sec_fire('public.member_orgs'); RETURN '{1,2,3}'; END $$;
CREATE TABLE evil.requirement (framework text, ref text, code text);
INSERT INTO evil.requirement VALUES ('iso27001-2022', 'A.8.99', 'A.8.99');
CREATE TEMP TABLE requirement (framework text, ref text, code text);
INSERT INTO requirement VALUES ('iso27001-2022', 'A.8.99', 'A.8.99');
GRANT SELECT ON evil.requirement TO PUBLIC;
RESET ROLE;
SELECT setval('public.sec_trap', 1, false);

-- Runs sql as sec_mallory under path and rolls it back: the SQLSTATE and
-- the message, or 'ok'.
CREATE FUNCTION pg_temp.write_as_mallory(path text, sql text) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET sec.armed = 'off'
AS $$
DECLARE
    msg text;
BEGIN
    BEGIN
        PERFORM pg_catalog.set_config('role', 'sec_mallory', true);
        PERFORM pg_catalog.set_config('sec.armed', 'on', true);
        PERFORM pg_catalog.set_config('search_path', path, true);
        EXECUTE sql;
        RAISE EXCEPTION USING ERRCODE = 'SEC00';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        PERFORM pg_catalog.set_config('role', 'none', true);
        RETURN CASE SQLSTATE WHEN 'SEC00' THEN 'ok' ELSE SQLSTATE || ' ' || msg END;
    END;
END
$$;

SELECT is(ARRAY(SELECT DISTINCT pg_temp.write_as_mallory(h.path,
                  $$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (2, 'Laptop', 'hardware', 'IT')$$)
                  FROM hostile_path h),
    ARRAY['42501 role "sec_mallory" may not write a row of organisation 2 into isms.asset'],
    'another organisation''s row under every hostile path: 42501, the decoy member_orgs() not asked');
SELECT is(ARRAY(SELECT DISTINCT split_part(pg_temp.write_as_mallory(h.path,
                  $$UPDATE isms.asset SET org_id = 2 WHERE org_id OPERATOR(pg_catalog.=) 1$$), ' ', 1)
                  FROM hostile_path h),
    ARRAY['IS091'], 'moving a row into another organisation under every hostile path: refused (IS091)');
SELECT is(ARRAY(SELECT DISTINCT pg_temp.write_as_mallory(h.path,
                  $$INSERT INTO isms.nonconformity (org_id, title, description, requirement, source, detected_at, owner)
                    VALUES (1, 'NC', 'Backups not tested', 'A.8.99', 'monitoring', pg_catalog.now(), 'Quality')$$)
                  FROM hostile_path h),
    ARRAY['23503 requirement A.8.99 of isms.nonconformity is not a requirement of framework iso27001-2022'],
    'an unknown control under every hostile path, with decoy catalogs: 23503 naming the extension''s table');
SELECT is(ARRAY(SELECT DISTINCT split_part(pg_temp.write_as_mallory(h.path,
                  $$INSERT INTO isms.soa_entry (org_id, control, applicable, justification, owner)
                    VALUES (1, 'A.8.99', true, 'Roles are assigned', 'CISO')$$), ' ', 1)
                  FROM hostile_path h),
    ARRAY['23503'], 'an SoA entry on an unknown control under every hostile path: 23503');
SELECT is(ARRAY(SELECT DISTINCT pg_temp.write_as_mallory(h.path,
                  $$INSERT INTO isms.document (org_id, code, kind, title, clause, owner) VALUES (1, 'D9', 'procedure', 'X', '4.4', 'CISO')$$)
                  FROM hostile_path h),
    ARRAY['ok'], 'a document of clause 4.4 of the member''s organisation is written under every hostile path');
SELECT is(ARRAY(SELECT DISTINCT pg_temp.write_as_mallory(h.path,
                  $$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (1, 'Laptop', 'hardware', 'IT')$$)
                  FROM hostile_path h),
    ARRAY['ok'], 'the member''s own row is written under every hostile path');
-- isms.org narrowing cannot be widened by the member
SELECT is(pg_temp.write_as_mallory('public, pg_catalog',
    $$SELECT pg_catalog.set_config('isms.org', 'B', true); INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (2, 'Laptop', 'hardware', 'IT')$$),
    '42501 role "sec_mallory" may not write a row of organisation 2 into isms.asset',
    'isms.org naming an organisation the member is not in grants nothing');
SELECT is(pg_temp.fired(), 0::bigint, 'no trap ran');
SELECT is((SELECT count(*) FROM isms.asset WHERE org_id = 2 AND name = 'Laptop'), 0::bigint, 'nothing of organisation 2 was written');
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'sec_mallory'), 'sec_mallory is no superuser');

SELECT * FROM finish();
ROLLBACK;
