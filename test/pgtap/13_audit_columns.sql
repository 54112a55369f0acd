-- created_at/by and updated_at/by: kept by isms.stamp(), following isms.actor.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir fixture.psql
SELECT plan(23);

CREATE ROLE tap_app LOGIN;   GRANT isms_editor, isms_app TO tap_app;
CREATE ROLE tap_other LOGIN; GRANT isms_editor, isms_app TO tap_other;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'tap_app'), (2, 'tap_app'), (1, 'tap_other');
INSERT INTO isms.risk_scale (org_id, acceptance_threshold, owner) VALUES (1, 6, 'Risk manager');

-- Without isms.actor: the database user.
SET LOCAL ROLE tap_app;
INSERT INTO isms.context_issue (org_id, title, origin, owner) VALUES (1, 'Issue one', 'internal', 'CISO');
SELECT is((SELECT (created_by, updated_by)::text FROM isms.context_issue WHERE title = 'Issue one'), '(tap_app,tap_app)',
    'without isms.actor, created_by and updated_by are the current user');
SELECT is((SELECT created_at = updated_at AND created_at >= now() AND created_at <= clock_timestamp()
             FROM isms.context_issue WHERE title = 'Issue one'), true,
    'created_at and updated_at are the clock time of the write, in this transaction');

-- A pooled application names the person per transaction.
SET LOCAL isms.actor = 'ann@example.com';
SELECT is(isms.current_actor(), 'ann@example.com', 'isms.current_actor() follows isms.actor');
INSERT INTO isms.context_issue (org_id, title, origin, owner) VALUES (1, 'Issue two', 'external', 'CISO');
SELECT is((SELECT (created_by, updated_by)::text FROM isms.context_issue WHERE title = 'Issue two'), '(ann@example.com,ann@example.com)',
    'with isms.actor, created_by and updated_by are the person acting');

-- A member cannot forge the audit columns.
INSERT INTO isms.context_issue (org_id, title, origin, owner, created_at, created_by, updated_at, updated_by)
    VALUES (1, 'Issue three', 'internal', 'CISO', '2000-01-01', 'mallory', '2000-01-01', 'mallory');
SELECT is((SELECT (created_by, updated_by, created_at >= now(), updated_at >= now())::text FROM isms.context_issue WHERE title = 'Issue three'),
    '(ann@example.com,ann@example.com,t,t)', 'values a member supplies for the audit columns on INSERT are replaced');
SELECT lives_ok($$INSERT INTO isms.context_issue (org_id, title, origin, owner, created_by) VALUES (1, 'Issue four', 'internal', 'CISO', NULL)$$,
    'an explicit NULL in created_by is filled in, not refused');
SELECT is((SELECT created_by FROM isms.context_issue WHERE title = 'Issue four'), 'ann@example.com', '... with the person acting');

-- Another person updates: created_* kept, updated_* follow.
SET LOCAL isms.actor = 'bob@example.com';
UPDATE isms.context_issue SET description = 'Reviewed' WHERE title = 'Issue two';
SELECT is((SELECT (created_by, updated_by)::text FROM isms.context_issue WHERE title = 'Issue two'), '(ann@example.com,bob@example.com)',
    'an UPDATE keeps created_by and sets updated_by to the person acting');
UPDATE isms.context_issue SET created_by = 'mallory', created_at = '2000-01-01', updated_by = 'mallory', updated_at = '2000-01-01'
 WHERE title = 'Issue two';
SELECT is((SELECT (created_by, created_at >= now(), updated_by, updated_at > created_at)::text FROM isms.context_issue WHERE title = 'Issue two'),
    '(ann@example.com,t,bob@example.com,t)', 'an UPDATE cannot change created_at/by, nor forge updated_at/by');
SET LOCAL isms.actor = '';
UPDATE isms.context_issue SET description = 'Again' WHERE title = 'Issue two';
SELECT is((SELECT updated_by FROM isms.context_issue WHERE title = 'Issue two'), 'tap_app',
    'an empty isms.actor falls back to the current user');
RESET ROLE;

-- SET LOCAL ends with the transaction of a pooled connection; the role changes per person too.
SET LOCAL ROLE tap_other;
SET LOCAL isms.actor = 'carol@example.com';
INSERT INTO isms.asset (org_id, name, kind, owner) VALUES (1, 'Laptop fleet', 'hardware', 'IT lead');
SELECT is((SELECT created_by FROM isms.asset WHERE name = 'Laptop fleet'), 'carol@example.com', 'every register is stamped: asset');
INSERT INTO isms.risk (org_id, title, threat, vulnerability, inherent_likelihood, inherent_impact, owner)
    VALUES (1, 'Stolen laptop', 'Theft', 'No disk encryption', 2, 3, 'IT lead');
SELECT is((SELECT created_by FROM isms.risk WHERE title = 'Stolen laptop'), 'carol@example.com', 'every register is stamped: risk');
RESET ROLE;
SET LOCAL isms.actor = '';

-- Organisations, memberships and settings are stamped too.
SELECT is((SELECT created_by FROM isms.membership WHERE role_name = 'tap_app' AND org_id = 1), current_user::text,
    'membership rows are stamped');
UPDATE isms.organization SET scope_statement = 'All services' WHERE code = 'A';
SELECT is((SELECT updated_by FROM isms.organization WHERE code = 'A'), current_user::text, 'organisation rows are stamped');

-- A superuser's INSERT keeps what it supplies: that is how pg_dump restores history.
INSERT INTO isms.context_issue (org_id, title, origin, owner, created_at, created_by, updated_at, updated_by)
    VALUES (1, 'Restored', 'internal', 'CISO', '2020-01-01 00:00+00', 'dora', '2021-01-01 00:00+00', 'eve');
SELECT is((SELECT (created_by, updated_by, created_at = '2020-01-01 00:00+00', updated_at = '2021-01-01 00:00+00')::text
             FROM isms.context_issue WHERE title = 'Restored'),
    '(dora,eve,t,t)', 'a superuser''s INSERT keeps the audit columns it supplies (restores)');
INSERT INTO isms.context_issue (org_id, title, origin, owner, created_at, created_by)
    VALUES (1, 'Restored 2', 'internal', 'CISO', '2020-01-01 00:00+00', 'dora');
SELECT is((SELECT (created_by, updated_by, updated_at = now())::text FROM isms.context_issue WHERE title = 'Restored 2'),
    format('(dora,%s,t)', current_user), 'a superuser''s INSERT without updated_* gets their defaults');
UPDATE isms.context_issue SET created_by = 'mallory' WHERE title = 'Restored';
SELECT is((SELECT (created_by, updated_by)::text FROM isms.context_issue WHERE title = 'Restored'), format('(dora,%s)', current_user),
    'even a superuser''s UPDATE cannot change created_by');

-- The trigger on other tables: it checks the columns, and caches them per table.
CREATE TABLE pg_temp.stamped (a int, created_at timestamptz, created_by text, updated_at timestamptz, updated_by text);
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON pg_temp.stamped FOR EACH ROW EXECUTE FUNCTION isms.stamp();
INSERT INTO pg_temp.stamped (a) VALUES (1);
SELECT is((SELECT (a, created_by, updated_by)::text FROM pg_temp.stamped), format('(1,%s,%s)', current_user, current_user), 'isms.stamp() works on any table with the four columns');
ALTER TABLE pg_temp.stamped RENAME COLUMN created_by TO old_created_by;
ALTER TABLE pg_temp.stamped ADD COLUMN created_by text;
INSERT INTO pg_temp.stamped (a) VALUES (2);
SELECT is((SELECT (old_created_by, created_by)::text FROM pg_temp.stamped WHERE a = 2), '(,postgres)',
    'after ALTER TABLE the trigger finds the columns again (relcache invalidation)');
ALTER TABLE pg_temp.stamped DROP COLUMN updated_by;
SELECT throws_ok($$INSERT INTO pg_temp.stamped (a) VALUES (3)$$, '42703', 'table "stamped" has no column "updated_by"',
    'a table without one of the columns is refused (42703)');
ALTER TABLE pg_temp.stamped ADD COLUMN updated_by integer;
SELECT throws_ok($$INSERT INTO pg_temp.stamped (a) VALUES (3)$$, '42804',
    'column "updated_by" of table "stamped" has type integer, isms.stamp() needs text',
    'a column of the wrong type is refused (42804)');
CREATE TABLE pg_temp.unstamped (a int, created_at timestamptz, created_by text, updated_at timestamptz, updated_by text);
CREATE TRIGGER stamp AFTER INSERT ON pg_temp.unstamped FOR EACH ROW EXECUTE FUNCTION isms.stamp();
SELECT throws_ok($$INSERT INTO pg_temp.unstamped (a) VALUES (1)$$, '39P01',
    'isms.stamp() must be a BEFORE INSERT OR UPDATE row trigger', 'an AFTER trigger is refused (39P01)');
SELECT throws_ok($$SELECT isms.stamp()$$, '39P01', 'isms.stamp() must be called as a trigger', 'isms.stamp() cannot be called directly (39P01)');

SELECT * FROM finish();
ROLLBACK;
