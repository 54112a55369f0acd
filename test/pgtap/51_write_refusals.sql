-- Refusals of register writes that say what was wrong and what to do: a
-- row of an organisation the role may not write (42501 from isms.stamp(),
-- before row-level security's bare "new row violates row-level security
-- policy"), and a clause or control the catalog does not have (23503
-- naming the value, where the foreign key's message hides it).
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir reports_fixture.psql
SELECT plan(29);

-- The message, detail and hint of sql's error, as one text.
CREATE FUNCTION pg_temp.refusal(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RETURN st || ' | ' || msg || ' | ' || coalesce(det, '-') || ' | ' || coalesce(hnt, '-');
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.refusal(text) TO PUBLIC;

SELECT id AS risk1 FROM isms.risk WHERE org_id = 1 AND title = 'R1 data leak' \gset
SELECT id AS asset1 FROM isms.asset WHERE org_id = 1 LIMIT 1 \gset

------------------------------------------------------------------------------
-- A row of an organisation the role may not write

SET LOCAL ROLE rep_editor;          -- editor of A (1) and B (2), not of E (3)
SELECT throws_ok($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (3, 'Laptop', 'hardware', 'IT')$$,
    '42501', 'role "rep_editor" may not write a row of organisation 3 into isms.asset',
    'INSERT into an organisation not the role''s: 42501 naming the role, the organisation and the table');
SELECT is(pg_temp.refusal($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (3, 'Laptop', 'hardware', 'IT')$$),
    '42501 | role "rep_editor" may not write a row of organisation 3 into isms.asset'
    ' | Row-level security lets a role write the rows of its own organisations only: org_id 1, 2.'
    ' | Write org_id of one of the role''s organisations (SELECT org_id, org_code FROM isms_report.organizations), or ask an isms_admin for a membership in isms.membership.',
    'the detail lists the role''s organisations, the hint says what to do');
SELECT throws_ok($$INSERT INTO isms.risk (org_id, title, owner, inherent_likelihood, inherent_impact) VALUES (3, 'R', 'CISO', 1, 1)$$,
    '42501', 'role "rep_editor" may not write a row of organisation 3 into isms.risk', 'the same for risks');
SELECT throws_ok($$INSERT INTO isms.soa_entry (org_id, control, applicable, justification, owner) VALUES (3, 'A.5.2', true, 'Roles are assigned', 'CISO')$$,
    '42501', 'role "rep_editor" may not write a row of organisation 3 into isms.soa_entry', 'the same for SoA entries');
SELECT throws_ok($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (42, 'Laptop', 'hardware', 'IT')$$,
    '42501', 'role "rep_editor" may not write a row of organisation 42 into isms.asset',
    'an organisation that does not exist: the same refusal, nothing revealed');
SELECT throws_ok(format($$UPDATE isms.asset SET org_id = 3 WHERE org_id = 1 AND id = %s$$, :asset1),
    'IS091', format('cannot move asset %s from organisation 1 to organisation 3', :asset1),
    'UPDATE moving a row into an organisation not the role''s: a record never moves (IS091), before the organisation check');
SELECT is((SELECT count(*) FROM isms.asset WHERE org_id = 3), 0::bigint, 'nothing of organisation 3 was written');
SELECT lives_ok($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (2, 'Laptop', 'hardware', 'IT')$$,
    'INSERT into one of the role''s organisations still works');
SELECT lives_ok(format($$UPDATE isms.asset SET owner = 'IT lead' WHERE org_id = 1 AND id = %s$$, :asset1),
    'UPDATE of the role''s own row still works');

-- narrowed by isms.org
SET LOCAL isms.org = 'B';
SELECT is(pg_temp.refusal($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (1, 'Laptop', 'hardware', 'IT')$$),
    '42501 | role "rep_editor" may not write a row of organisation 1 into isms.asset'
    ' | Row-level security lets a role write the rows of its own organisations only: org_id 2, as narrowed by the setting isms.org.'
    ' | Write org_id of the organisation isms.org names (SELECT org_id FROM isms_report.organizations), or set isms.org to the code of the organisation the row belongs to.',
    'isms.org narrows the organisations: the detail and hint say so');
SELECT lives_ok($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (2, 'Phone', 'hardware', 'IT')$$,
    'the organisation isms.org names is written');
SET LOCAL isms.org = 'E';
SELECT is(split_part(pg_temp.refusal($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (3, 'Laptop', 'hardware', 'IT')$$), ' | ', 3),
    'Row-level security lets a role write the rows of its own organisations only, and the role has none matching the setting isms.org.',
    'isms.org naming an organisation the role is not a member of: none');
RESET isms.org;
-- a membership written in the transaction counts at once
RESET ROLE;
INSERT INTO isms.membership (org_id, role_name) VALUES (3, 'rep_editor');
SET LOCAL ROLE rep_editor;
SELECT lives_ok($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (3, 'Laptop', 'hardware', 'IT')$$,
    'a membership granted in the transaction counts in the next statement');
RESET ROLE;
DELETE FROM isms.membership WHERE org_id = 3 AND role_name = 'rep_editor';
SET LOCAL ROLE rep_editor;
SELECT throws_ok($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (3, 'Tablet', 'hardware', 'IT')$$,
    '42501', NULL,
    'and a membership removed stops counting in the next statement (refused by row-level security itself)');
RESET ROLE;

-- a reader has no INSERT privilege at all: the privilege refusal, unchanged
SET LOCAL ROLE rep_reader;
SELECT throws_ok($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (1, 'Laptop', 'hardware', 'IT')$$,
    '42501', 'permission denied for table asset', 'a reader: permission denied, as before');
RESET ROLE;
-- a superuser (as row-level security) is not checked
SELECT lives_ok($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (3, 'Server', 'hardware', 'IT')$$,
    'a superuser writes any organisation, as under row-level security');
-- a role with BYPASSRLS is not checked either
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rep_bypass') THEN CREATE ROLE rep_bypass NOLOGIN BYPASSRLS; END IF;
END $$;
GRANT isms_editor TO rep_bypass;
SET LOCAL ROLE rep_bypass;
SELECT lives_ok($$INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (3, 'Router', 'hardware', 'IT')$$,
    'a BYPASSRLS role is not checked, as row-level security does not check it');
RESET ROLE;

------------------------------------------------------------------------------
-- A clause or control the catalog does not have

SET LOCAL ROLE rep_editor;
SELECT is(pg_temp.refusal($$INSERT INTO isms.soa_entry (org_id, control, applicable, justification, owner) VALUES (1, 'A.8.99', true, 'Roles are assigned', 'CISO')$$),
    '23503 | SoA entry for A.8.99 of organisation 1: A.8.99 is not a control of iso27001-2022'
    ' | The catalog (isms.requirement) of iso27001-2022 has no clause or control A.8.99.'
    ' | Use a control the catalog lists: SELECT ref, title FROM isms.requirement WHERE framework = ''iso27001-2022'' AND kind = ''control'' ORDER BY ref.',
    'SoA entry on A.8.99: 23503 naming the value, the catalog and what to do');
SELECT throws_ok(format($$INSERT INTO isms.risk_control (org_id, risk_id, control) VALUES (1, %s, 'A.8.99')$$, :risk1),
    '23503', format('risk %s of organisation 1 cannot be treated by A.8.99: A.8.99 is not a control of iso27001-2022', :risk1),
    'risk treated by A.8.99: 23503 naming the value');
SELECT throws_ok($$INSERT INTO isms.risk_control (org_id, risk_id, control) VALUES (1, 1, 'A.8')$$,
    '23514', NULL, 'a theme is still 23514 (not a control)');
SELECT is(pg_temp.refusal($$INSERT INTO isms.nonconformity (org_id, title, description, requirement, source, detected_at, owner)
                            VALUES (1, 'NC9', 'Backups not tested', 'A.8.99', 'monitoring', now(), 'Quality')$$),
    '23503 | requirement A.8.99 of isms.nonconformity is not a requirement of framework iso27001-2022'
    ' | The catalog (isms.requirement) of framework iso27001-2022 has no clause or control A.8.99.'
    ' | Use a reference the catalog lists: SELECT ref, title FROM isms.requirement WHERE framework = ''iso27001-2022'' ORDER BY ref.',
    'nonconformity against A.8.99: 23503 naming the column, the value and what to do');
SELECT throws_ok($$INSERT INTO isms.nonconformity (org_id, title, description, requirement, source, detected_at, owner)
                   VALUES (1, 'NC9', 'Backups not tested', '10.9'::varchar, 'monitoring', now(), 'Quality')$$,
    '23503', 'requirement 10.9 of isms.nonconformity is not a requirement of framework iso27001-2022',
    'a clause the catalog does not have (10.9), given as varchar');
SELECT throws_ok($$INSERT INTO isms.document (org_id, code, kind, title, clause, owner) VALUES (1, 'D9', 'procedure', 'X', '4.9', 'CISO')$$,
    '23503', 'clause 4.9 of isms.document is not a requirement of framework iso27001-2022', 'a document of clause 4.9');
SELECT lives_ok($$INSERT INTO isms.document (org_id, code, kind, title, clause, owner) VALUES (1, 'D9', 'procedure', 'X', '4.4', 'CISO')$$,
    'a document of clause 4.4 is written');
SELECT throws_ok($$UPDATE isms.document SET clause = '4.9' WHERE org_id = 1 AND code = 'D9'$$,
    '23503', 'clause 4.9 of isms.document is not a requirement of framework iso27001-2022', 'UPDATE to an unknown clause');
SELECT lives_ok($$UPDATE isms.document SET title = 'Y' WHERE org_id = 1 AND code = 'D9'$$,
    'UPDATE that leaves the clause alone is not checked again');
SELECT lives_ok($$INSERT INTO isms.nonconformity (org_id, title, description, requirement, source, detected_at, owner)
                  VALUES (1, 'NC9', 'Backups not tested', 'A.8.13', 'monitoring', now(), 'Quality')$$,
    'a nonconformity against A.8.13 is written');
RESET ROLE;
-- the foreign key stays the refusal of a superuser's write
SELECT throws_ok($$INSERT INTO isms.document (org_id, code, kind, title, clause, owner) VALUES (1, 'D8', 'procedure', 'X', '4.9', 'CISO')$$,
    '23503', NULL, 'a superuser: the foreign key refuses 4.9');
SELECT is((SELECT count(*) FROM isms.document WHERE code IN ('D8') OR clause::text = '4.9'), 0::bigint, 'nothing half-written');

SELECT * FROM finish();
ROLLBACK;
