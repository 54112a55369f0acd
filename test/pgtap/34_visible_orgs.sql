-- Row-level security policies read isms.visible_orgs() per row, without a
-- subquery (Citus refuses a policy with one).  The function answers what
-- isms.member_orgs(current_user) answers, from the answer kept for the
-- snapshot, without a copy: a value a query still holds stays intact when
-- a later call in the same statement computes a new answer; a parallel
-- scan's workers keep their own.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
SET LOCAL search_path = public;
SELECT plan(14);

INSERT INTO isms.organization (code, name) VALUES ('VA', 'Visible A'), ('VB', 'Visible B'), ('VC', 'Visible C');
SELECT org_id AS a FROM isms.organization WHERE code = 'VA' \gset
SELECT org_id AS b FROM isms.organization WHERE code = 'VB' \gset
SELECT org_id AS c FROM isms.organization WHERE code = 'VC' \gset
CREATE ROLE vis_editor;
CREATE ROLE vis_other;
GRANT isms_editor TO vis_editor, vis_other;
INSERT INTO isms.membership (org_id, role_name) VALUES (:a, 'vis_editor'), (:b, 'vis_other');
INSERT INTO isms.asset (org_id, name, kind, owner)
SELECT o.org_id, 'asset ' || g, 'software', 'IT' FROM isms.organization o, generate_series(1, 2000) g;

------------------------------------------------------------------------------
-- The policies
SELECT is(ARRAY(SELECT po.polrelid::regclass::text || ' ' || po.polname
                  FROM pg_policy po JOIN pg_class c ON c.oid = po.polrelid
                 WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_history'::regnamespace)
                   AND (coalesce(pg_get_expr(po.polqual, po.polrelid), '') LIKE '%SELECT%'
                        OR coalesce(pg_get_expr(po.polwithcheck, po.polrelid), '') LIKE '%SELECT%')
                 ORDER BY 1),
          ARRAY['isms.outbox member'],
          'no policy but the outbox''s (rows of the log) has a subquery');
SELECT is((SELECT count(*) FROM pg_policy po JOIN pg_class c ON c.oid = po.polrelid
            WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_history'::regnamespace)
              AND pg_get_expr(po.polqual, po.polrelid) = '(org_id = ANY (isms.visible_orgs()))'),
          (SELECT count(*) FROM pg_policy po JOIN pg_class c ON c.oid = po.polrelid
            WHERE c.relnamespace IN ('isms'::regnamespace, 'isms_history'::regnamespace)
              AND po.polname = 'member' AND c.relname <> 'outbox'),
          'every member policy (registers, history tables, trail, log, catalogs per organisation) reads isms.visible_orgs()');
SELECT is((SELECT pg_get_expr(polwithcheck, polrelid) FROM pg_policy WHERE polrelid = 'isms.asset'::regclass AND polname = 'member'),
          '(org_id = ANY (isms.visible_orgs()))', 'a register''s write check reads it too');
SELECT ok((SELECT NOT prosecdef AND provolatile = 's' AND proparallel = 's' AND l.lanname = 'c' AND proconfig IS NULL
             FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.oid = 'isms.visible_orgs()'::regprocedure),
    'isms.visible_orgs() is STABLE, PARALLEL SAFE, in C, not SECURITY DEFINER');
SELECT is(ARRAY(SELECT a.grantee::regrole::text FROM pg_proc p, aclexplode(p.proacl) a
                 WHERE p.oid = 'isms.visible_orgs()'::regprocedure AND a.privilege_type = 'EXECUTE'
                   AND a.grantee <> p.proowner ORDER BY 1),
          ARRAY['isms_reader'], 'isms.visible_orgs() is granted to isms_reader only, not to PUBLIC');

------------------------------------------------------------------------------
-- The answer
SET LOCAL ROLE vis_editor;
SELECT is(isms.visible_orgs(), isms.member_orgs(), 'the answer of isms.member_orgs() for the current user');
SELECT is((SELECT count(*) FROM isms.asset), 2000::bigint, 'a member sees its organisation''s rows through the policy');
SET LOCAL isms.org = 'VB';
SELECT is(isms.visible_orgs(), '{}'::bigint[], 'narrowed by isms.org to an organisation it is not a member of: none');
SET LOCAL isms.org = '';
RESET ROLE;
SET LOCAL ROLE vis_other;
SELECT is(isms.visible_orgs(), ARRAY[:b]::bigint[], 'SET ROLE to another role in the same transaction: its own answer');
RESET ROLE;

-- a membership written in the transaction counts at the next statement
INSERT INTO isms.membership (org_id, role_name) VALUES (:b, 'vis_editor');
SET LOCAL ROLE vis_editor;
SELECT is((SELECT count(*) FROM isms.asset), 4000::bigint, 'a membership written in the transaction is seen by the policy at once');
RESET ROLE;

-- A value the statement holds stays intact while a later call in the same
-- statement (a volatile function writing a membership, so under a new
-- command id) computes and keeps a new answer.
CREATE FUNCTION pg_temp.join_c(who name) RETURNS bigint[] LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO isms.membership (org_id, role_name)
    SELECT org_id, who FROM isms.organization WHERE code = 'VC';
    RETURN isms.member_orgs(who);
END $$;
SELECT is(ROW(isms.member_orgs('vis_other'), pg_temp.join_c('vis_other'), isms.member_orgs('vis_other'))::text,
          format('({%s},"{%s,%s}",{%s})', :b, :b, :c, :b),
          'an answer held by the statement survives a new answer computed within it');
SELECT is(isms.member_orgs('vis_other'), ARRAY[:b, :c]::bigint[], 'and the next statement sees the new membership');

-- a parallel scan: each worker evaluates the policy with its own kept answer
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
END $$;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SET LOCAL enable_indexscan = off;
SET LOCAL enable_indexonlyscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL ROLE vis_other;
SELECT is((SELECT count(*) FROM isms.asset), 4000::bigint, 'a parallel scan as a member counts its organisations'' rows');
SELECT ok((SELECT string_agg(p, E'\n') FROM (SELECT * FROM pg_temp.plan_of('SELECT count(*) FROM isms.asset')) x(p)) ~ 'Parallel Seq Scan',
          'the scan ran in parallel workers');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
