-- A renamed schema: the workflow engine and the trail cache schema-qualified
-- table names per backend, and ALTER SCHEMA ... RENAME invalidates no
-- relcache entry of the tables in it; the library's syscache callback on
-- pg_namespace drops the cached names, so the same backend goes on with the
-- new name.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
SELECT plan(7);

INSERT INTO isms.organization (code, name) VALUES ('REN', 'Rename Ltd');
SELECT org_id AS org FROM isms.organization WHERE code = 'REN' \gset
CREATE SCHEMA tap_ideas;
CREATE TABLE tap_ideas.idea (
    org_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, title text,
    status text NOT NULL DEFAULT 'proposed', cycle integer NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, id));
SELECT isms.attach_workflow('tap_ideas.idea', 'improvement');
INSERT INTO tap_ideas.idea (org_id, title) VALUES (:org, 'Fewer manual backups') RETURNING id AS idea \gset

-- the names are cached by a first use
SELECT set_eq(format($$SELECT state FROM isms.next_states('tap_ideas.idea', %s)$$, :idea),
    ARRAY['approved', 'rejected'], 'next_states of the workflow table');
SELECT is(isms.trail_append(:org, 'tap_ideas.idea', :idea, 'note', NULL), 1::bigint, 'a trail entry about the record');

ALTER SCHEMA tap_ideas RENAME TO tap_ideas_renamed;

SELECT set_eq(format($$SELECT state FROM isms.next_states('tap_ideas_renamed.idea', %s)$$, :idea),
    ARRAY['approved', 'rejected'], 'next_states after the schema is renamed');
SELECT lives_ok(format($$SELECT isms.transition('tap_ideas_renamed.idea', %s, 'approved', 'Saves an hour a week')$$, :idea),
    'a move after the schema is renamed');
SELECT is((SELECT status FROM tap_ideas_renamed.idea WHERE id = :idea), 'approved', '... moves the record');
SELECT is(isms.trail_append(:org, 'tap_ideas_renamed.idea', :idea, 'note', NULL), 2::bigint, 'a trail entry after the rename');
SELECT is((SELECT string_agg(record_table, ' ' ORDER BY seq) FROM isms.trail WHERE org_id = :org AND action = 'note'),
    'tap_ideas.idea tap_ideas_renamed.idea', 'the trail names the table as it was called at each entry');

SELECT * FROM finish();
ROLLBACK;
