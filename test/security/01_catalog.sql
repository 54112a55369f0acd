-- The catalog facts the security model rests on: every function that pins
-- search_path searches pg_temp last, every SECURITY DEFINER function pins
-- it, no SQL-language function runs under its caller's path unless its
-- body is fully qualified, and nothing is granted to PUBLIC.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION isms;
SELECT plan(9);

CREATE TEMP VIEW ext_proc AS
    SELECT p.*, l.lanname
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_language l ON l.oid = p.prolang
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'isms';

SELECT ok((SELECT count(*) FROM ext_proc) > 100, 'the extension''s functions are found in pg_proc');

SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text FROM ext_proc p
           WHERE p.prosecdef
             AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c
                              WHERE c LIKE 'search\_path=pg\_catalog%' AND c LIKE '%, pg\_temp')
           ORDER BY 1),
    '{}'::text[], 'every SECURITY DEFINER function pins search_path, pg_catalog first and pg_temp last');

SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text || ' ' || c FROM ext_proc p, unnest(p.proconfig) c
           WHERE c LIKE 'search\_path=%'
             AND NOT (c LIKE 'search\_path=pg\_catalog%' AND c LIKE '%, pg\_temp')
           ORDER BY 1),
    '{}'::text[], 'every search_path a function pins starts with pg_catalog and ends with pg_temp');

SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text FROM ext_proc p
           WHERE p.lanname IN ('sql', 'plpgsql') AND p.prosqlbody IS NULL
             AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%')
           ORDER BY 1),
    ARRAY['isms.document_in_force(text)', 'isms.reported_move(text,text)'],
    'only the two inlined predicates run without a pinned search_path');

SELECT ok(
    (SELECT bool_and(p.prosrc LIKE '%OPERATOR(pg_catalog.=)%' AND p.prosrc NOT LIKE '% IN (%'
                     AND p.prosrc NOT LIKE '% = %')
       FROM ext_proc p
      WHERE p.oid IN ('isms.document_in_force(text)'::regprocedure, 'isms.reported_move(text,text)'::regprocedure)),
    'the inlined predicates qualify every operator');

SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text FROM ext_proc p
           WHERE p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0)
           ORDER BY 1),
    '{}'::text[], 'no function of the extension is executable by PUBLIC');

SELECT is(
    ARRAY(SELECT c.oid::regclass::text FROM pg_catalog.pg_class c
           WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_report'::regnamespace, 'isms_history'::regnamespace)
             AND EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = 0)
             AND c.relkind IN ('r', 'v', 'm', 'S', 'p')
           ORDER BY 1),
    '{}'::text[], 'no table, view or sequence of the extension is granted to PUBLIC (a NULL ACL is the owner''s alone)');

SELECT is(
    ARRAY(SELECT n.nspname::text FROM pg_catalog.pg_namespace n
           WHERE n.nspname IN ('isms', 'isms_report', 'isms_history')
             AND (NOT (SELECT rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = n.nspowner)
                  OR EXISTS (SELECT 1 FROM aclexplode(n.nspacl) a
                              WHERE a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner))
           ORDER BY 1),
    '{}'::text[], 'the extension''s schemas belong to a superuser and nobody else may create in them');

SELECT is(
    ARRAY(SELECT r.rolname::text FROM pg_catalog.pg_roles r
           WHERE r.rolname IN ('isms_admin', 'isms_editor', 'isms_auditor', 'isms_reader')
             AND (r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolcreatedb OR r.rolcanlogin)
           ORDER BY 1),
    '{}'::text[], 'the four isms roles hold no attribute beyond their grants');

SELECT * FROM finish();
ROLLBACK;
