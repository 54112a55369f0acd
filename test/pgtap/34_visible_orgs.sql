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
SELECT plan(17);

INSERT INTO isms.organization (code, name) VALUES ('VA', 'Visible A'), ('VB', 'Visible B'), ('VC', 'Visible C');
SELECT org_id AS a FROM isms.organization WHERE code = 'VA' \gset
SELECT org_id AS b FROM isms.organization WHERE code = 'VB' \gset
SELECT org_id AS c FROM isms.organization WHERE code = 'VC' \gset
CREATE ROLE vis_editor;
CREATE ROLE vis_other;
CREATE ROLE vis_third;
GRANT isms_editor TO vis_editor, vis_other, vis_third;
INSERT INTO isms.membership (org_id, role_name) VALUES (:a, 'vis_editor'), (:b, 'vis_other'), (:a, 'vis_third');
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
-- command id) computes and keeps a new answer.  The function then makes
-- the kept answer another role's, of the held array's size, and fills
-- memory: had the held array been freed when replaced, the next kept copy
-- would take its place and the held value would read {a} (no assert build
-- needed to see it).
CREATE FUNCTION pg_temp.join_c(who name) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    answer bigint[];
BEGIN
    INSERT INTO isms.membership (org_id, role_name)
    SELECT org_id, who FROM isms.organization WHERE code = 'VC';
    answer := isms.member_orgs(who);
    PERFORM isms.member_orgs('vis_third');
    PERFORM length(repeat('x', 4000000));
    RETURN answer;
END $$;
SELECT is(ROW(isms.member_orgs('vis_other'), pg_temp.join_c('vis_other'), isms.member_orgs('vis_other'))::text,
          format('({%s},"{%s,%s}",{%s})', :b, :b, :c, :b),
          'an answer held by the statement survives a new answer computed within it');
SELECT is(isms.member_orgs('vis_other'), ARRAY[:b, :c]::bigint[], 'and the next statement sees the new membership');

-- The answers retired in a transaction stay bounded: a batch switching
-- isms.org between organisations reuses the arrays of answers it had
-- before, and a loop with an exception block per row drops only the
-- answer its aborted subtransaction made.  10,000 turns of each keep
-- TopMemoryContext within 64 kB (a copy kept per turn: about 500 kB).
CREATE FUNCTION pg_temp.top_bytes() RETURNS bigint LANGUAGE sql AS $$
    SELECT used_bytes FROM pg_backend_memory_contexts WHERE name = 'TopMemoryContext' AND level = 0
$$;
CREATE FUNCTION pg_temp.switch_orgs(n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    before bigint := pg_temp.top_bytes();
BEGIN
    FOR i IN 1..n LOOP
        PERFORM set_config('isms.org', CASE WHEN i % 2 = 0 THEN 'VA' ELSE 'VB' END, true);
        PERFORM isms.member_orgs('vis_other');
    END LOOP;
    PERFORM set_config('isms.org', '', true);
    RETURN pg_temp.top_bytes() - before;
END $$;
CREATE FUNCTION pg_temp.fail_rows(n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    before bigint := pg_temp.top_bytes();
BEGIN
    FOR i IN 1..n LOOP
        BEGIN
            PERFORM isms.member_orgs('vis_other');
            RAISE EXCEPTION 'row % refused', i;
        EXCEPTION WHEN raise_exception THEN
            NULL;
        END;
    END LOOP;
    RETURN pg_temp.top_bytes() - before;
END $$;
DO $$ BEGIN PERFORM pg_temp.switch_orgs(10); PERFORM pg_temp.fail_rows(10); END $$;
SELECT cmp_ok(pg_temp.switch_orgs(10000), '<', 65536::bigint,
              'switching isms.org 10,000 times in a transaction keeps no copy per answer');
SELECT cmp_ok(pg_temp.fail_rows(10000), '<', 65536::bigint,
              '10,000 exception blocks that asked and failed keep no copy per block');
SELECT is(isms.member_orgs('vis_other'), ARRAY[:b, :c]::bigint[], 'and the answer is still right after them');

-- a parallel scan: each worker evaluates the policy with its own kept answer
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    j json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || q INTO j;
    RETURN j::jsonb;
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
SELECT cmp_ok((jsonb_path_query_first(pg_temp.plan_of('SELECT count(*) FROM isms.asset'), '$.**."Workers Launched"'))::int, '>', 0,
              'the scan ran in parallel workers (EXPLAIN ANALYZE: Workers Launched)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
