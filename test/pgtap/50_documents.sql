-- Document control: versions, the lifecycle, immutability of what was in
-- force, approvals and segregation of duties, refusals of DELETE, as-of
-- queries, the document's status and the trail.  Members act through
-- their own roles; the superuser only sets up and plays the restore.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
SET LOCAL search_path = public, isms;
\ir fixture.psql
SELECT plan(136);

CREATE ROLE tap_author;    GRANT isms_editor TO tap_author;
CREATE ROLE tap_reviewer;  GRANT isms_editor TO tap_reviewer;
CREATE ROLE tap_reader;    GRANT isms_reader TO tap_reader;
CREATE ROLE tap_auditor;   GRANT isms_auditor TO tap_auditor;
CREATE ROLE tap_editor_b;  GRANT isms_editor TO tap_editor_b;
INSERT INTO isms.membership (org_id, role_name) VALUES
    (1, 'tap_author'), (1, 'tap_reviewer'), (1, 'tap_reader'), (1, 'tap_auditor'), (2, 'tap_editor_b');

------------------------------------------------------------------------------
-- Shape

SELECT has_table('isms', 'document_version', 'isms.document_version exists');
SELECT has_table('isms', 'document_approval', 'isms.document_approval exists');
SELECT is((SELECT atttypid::regtype FROM pg_attribute WHERE attrelid = 'isms.document_version'::regclass AND attname = 'version'),
    'isms.docver'::regtype, 'version is an isms.docver');
SELECT col_type_is('isms', 'document_version', 'validity', 'tstzrange', 'validity is a tstzrange');
SELECT ok((SELECT attgenerated = 's' FROM pg_attribute WHERE attrelid = 'isms.document_version'::regclass AND attname = 'sha256'),
    'sha256 is a generated column');
SELECT is((SELECT contype::text FROM pg_constraint WHERE conname = 'document_version_no_overlap'), 'x',
    'an exclusion constraint keeps the versions of a document from overlapping in time');
SELECT ok((SELECT indisunique AND indpred IS NOT NULL FROM pg_index WHERE indexrelid = 'isms.document_version_one_open'::regclass),
    'a partial unique index allows one version in preparation per document');
SELECT set_eq($$SELECT name FROM isms.register WHERE name LIKE 'document%'$$,
    $$VALUES ('document'), ('document_version'), ('document_approval')$$,
    'documents, versions and approvals are registers');
SELECT is((SELECT count(*)::int FROM isms.history_config
            WHERE relid IN ('isms.document'::regclass, 'isms.document_version'::regclass, 'isms.document_approval'::regclass)), 3,
    'their history is kept');
SELECT set_eq($$SELECT c.relname::text || '.' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                 WHERE t.tgfoid = 'isms.document_control()'::regprocedure AND t.tgenabled = 'A'$$,
    $$SELECT t || '.' || g FROM unnest(ARRAY['document', 'document_version', 'document_approval']) t,
                                unnest(ARRAY['document_keep', 'document_keep_all']) g$$,
    'DELETE and TRUNCATE are refused by ALWAYS triggers on the three tables');

------------------------------------------------------------------------------
-- A document and its first version, written by its author

SET LOCAL ROLE tap_author;
INSERT INTO isms.document (org_id, code, kind, title, owner, clause)
    VALUES (1, 'ISMS-POL-001', 'policy', 'Information security policy', 'CISO', '5.2');
SELECT id AS doc FROM isms.document WHERE code = 'ISMS-POL-001' \gset
SELECT is((SELECT status FROM isms.document WHERE id = :doc), 'draft', 'a new document is a draft');
SELECT throws_ok($$INSERT INTO isms.document (org_id, code, kind, title, owner, status)
                   VALUES (1, 'ISMS-POL-002', 'policy', 'Other', 'CISO', 'published')$$,
    'IS004', 'cannot create document ISMS-POL-002 with status "published"', 'a member cannot create a published document (IS004)');
SELECT is(isms.document_next_version(:doc)::text, '0.1', 'the first version is numbered 0.1');
SELECT is(isms.document_next_version(:doc, major => true)::text, '1.0', '... or 1.0 on request');

SELECT isms.draft_document(:doc, content_text => E'# Information security policy\n\nDraft.') AS v1 \gset
SELECT results_eq(format($$SELECT version::text, status, author, sha256, validity IS NULL FROM isms.document_version WHERE id = %s$$, :v1),
    $$VALUES ('0.1', 'draft', 'tap_author', sha256(convert_to(E'# Information security policy\n\nDraft.', 'UTF8')), true)$$,
    'draft_document: version 0.1, a draft by the person acting, its SHA-256 computed, no validity');
SELECT throws_ok(format($$UPDATE isms.document_version SET sha256 = '\x00' WHERE id = %s$$, :v1), '428C9', NULL,
    'the SHA-256 cannot be written');
SELECT throws_ok(format($$SELECT isms.draft_document(%s, content_text => 'Second draft', change_reason => 'Another')$$, :doc),
    '23505', 'document ISMS-POL-001 already has a version in preparation: 0.1 (draft)',
    'a second version in preparation is refused (23505)');
SELECT throws_ok(format($$INSERT INTO isms.document_version (org_id, document_id, content_text, status)
                          VALUES (1, %s, 'x', 'published')$$, :doc),
    'IS004', NULL, 'a member''s new version is a draft (IS004)');

-- edits of the draft, and a change of author
SELECT lives_ok(format($$UPDATE isms.document_version SET content_text = E'# Information security policy\n\nVersion for review.' WHERE id = %s$$, :v1),
    'the author edits the draft');
SELECT is((SELECT sha256 FROM isms.document_version WHERE id = :v1),
    sha256(convert_to(E'# Information security policy\n\nVersion for review.', 'UTF8')), 'the SHA-256 follows the content');
SELECT throws_ok(format($$UPDATE isms.document_version SET author = 'tap_reviewer' WHERE id = %s$$, :v1),
    'IS011', 'cannot change the author of version 0.1 of document ISMS-POL-001', 'the author of a version cannot be changed (IS011)');
SELECT throws_ok(format($$UPDATE isms.document_version SET version = '0.5' WHERE id = %s$$, :v1),
    'IS010', NULL, 'the number of a version cannot be changed (IS010)');
SELECT throws_ok(format($$UPDATE isms.document_version SET status = 'approved' WHERE id = %s$$, :v1),
    'IS001', 'cannot move version 0.1 of document ISMS-POL-001 from "draft" to "approved"', 'a draft cannot skip review (IS001)');
SELECT throws_ok(format($$SELECT isms.publish_document(%s)$$, :v1),
    'IS001', 'cannot publish version 0.1 of document ISMS-POL-001: it is draft', 'a draft cannot be published (IS001)');
SELECT throws_ok(format($$SELECT isms.approve_document(%s, 'approved', 'Fine')$$, :v1),
    'IS001', NULL, 'a draft is not yet open to approval decisions (IS001)');

SELECT lives_ok(format($$SELECT isms.submit_document(%s)$$, :v1), 'the author submits the draft');
SELECT is((SELECT status FROM isms.document_version WHERE id = :v1), 'in_review', 'the version is in review');
SELECT is((SELECT status FROM isms.document WHERE id = :doc), 'in_review', 'the document follows: in_review');
SELECT throws_ok(format($$UPDATE isms.document_version SET content_text = 'Sneaked in' WHERE id = %s$$, :v1),
    'IS010', NULL, 'the content of a version in review cannot change (IS010)');

-- segregation of duties
SELECT throws_ok(format($$SELECT isms.approve_document(%s, 'approved', 'Looks good to me')$$, :v1),
    'IS011', 'tap_author cannot decide on version 0.1 of document ISMS-POL-001: they are its author',
    'the author cannot approve their own version (IS011)');
SELECT is((SELECT count(*)::int FROM isms.document_approval WHERE version_id = :v1), 0, 'no approval was recorded');
SELECT throws_ok(format($$UPDATE isms.document_version SET status = 'approved' WHERE id = %s$$, :v1),
    'IS013', 'cannot approve version 0.1 of document ISMS-POL-001: no approval is recorded on it',
    'a version without an approval decision cannot be approved (IS013)');
RESET ROLE;

-- the reviewer rejects, then approves
SET LOCAL ROLE tap_reviewer;
SELECT throws_ok(format($$INSERT INTO isms.document_approval (org_id, version_id, decision, approver) VALUES (1, %s, 'approved', 'tap_ceo')$$, :v1),
    'IS011', NULL, 'a decision cannot be recorded in somebody else''s name (IS011)');
SELECT throws_ok(format($$SELECT isms.approve_document(%s, 'rejected')$$, :v1),
    '23514', NULL, 'a rejection needs a comment (23514)');
SELECT isms.approve_document(:v1, 'rejected', 'Name the policy owner') AS a1 \gset
SELECT results_eq(format($$SELECT decision, approver, decided_at = now(), sha256 = (SELECT sha256 FROM isms.document_version WHERE id = %s)
                           FROM isms.document_approval WHERE id = %s$$, :v1, :a1),
    $$VALUES ('rejected', 'tap_reviewer', true, true)$$,
    'the rejection is recorded: by whom, when, on which content');
SELECT is((SELECT status FROM isms.document_version WHERE id = :v1), 'draft', 'a rejection sends the version back to draft');
RESET ROLE;

SET LOCAL ROLE tap_author;
UPDATE isms.document_version SET content_text = E'# Information security policy\n\nOwner: CISO.' WHERE id = :v1;
SELECT lives_ok(format($$SELECT isms.submit_document(%s)$$, :v1), 'the author resubmits 0.1');
RESET ROLE;
SET LOCAL ROLE tap_reviewer;
SELECT throws_ok(format($$UPDATE isms.document_version SET status = 'approved' WHERE id = %s$$, :v1),
    'IS013', 'cannot approve version 0.1 of document ISMS-POL-001: its latest review rejected it',
    'the latest decision rejected it: not approved (IS013)');
SELECT isms.approve_document(:v1, 'approved', 'Approved for publication') AS a2 \gset
SELECT is((SELECT status FROM isms.document_version WHERE id = :v1), 'approved', 'the approval moves the version to approved');
SELECT is((SELECT status FROM isms.document WHERE id = :doc), 'approved', 'the document follows: approved');
SELECT throws_ok(format($$UPDATE isms.document_approval SET comment = 'Edited later' WHERE id = %s$$, :a2),
    'IS010', NULL, 'an approval decision cannot be changed (IS010)');
SELECT throws_ok(format($$UPDATE isms.document_version SET content_text = 'After approval' WHERE id = %s$$, :v1),
    'IS010', NULL, 'the content of an approved version cannot change (IS010)');
SELECT clock_timestamp() AS before_publish \gset
SELECT isms.publish_document(:v1) AS published_validity \gset
SELECT is(:'published_validity'::tstzrange, (SELECT validity FROM isms.document_version WHERE id = :v1),
    'publish_document returns the validity of the version');
RESET ROLE;

SELECT results_eq(format($$SELECT status, lower(validity) >= %L AND lower(validity) <= clock_timestamp() AND upper_inf(validity)
                             FROM isms.document_version WHERE id = %s$$, :'before_publish', :v1),
    $$VALUES ('published', true)$$,
    'publication: the version is in force from the clock time of the publication on, [published, infinity)');
SELECT ok(:'before_publish'::timestamptz > now(),
    'no backdating: the transaction started earlier, the publication takes effect when it is made');
SELECT is((SELECT status FROM isms.document WHERE id = :doc), 'published', 'the document follows: published');
SELECT is((SELECT version::text FROM isms.document_as_of(:doc, clock_timestamp())), '0.1', 'document_as_of(clock_timestamp()) gives version 0.1');
SELECT is_empty(format($$SELECT * FROM isms.document_as_of(%s, (SELECT lower(validity) FROM isms.document_version WHERE id = %s) - interval '1 microsecond')$$, :doc, :v1),
    'before its publication, no version was in force');
SELECT is_empty(format($$SELECT * FROM isms.document_as_of(%s, now())$$, :doc),
    'at the start of the transaction that published it, no version was in force either');

------------------------------------------------------------------------------
-- A published version is immutable, for everyone

SET LOCAL ROLE tap_author;
SELECT throws_ok(format($$UPDATE isms.document_version SET content_text = 'Silently changed' WHERE id = %s$$, :v1),
    'IS010', 'cannot change version 0.1 of document ISMS-POL-001: it is published',
    'editing a published version is refused (IS010)');
SELECT throws_ok(format($$UPDATE isms.document_version SET status = 'draft' WHERE id = %s$$, :v1),
    'IS010', NULL, 'a published version cannot go back to draft (IS010)');
SELECT throws_ok(format($$UPDATE isms.document_version SET status = 'superseded' WHERE id = %s$$, :v1),
    'IS010', NULL, 'a published version is superseded only by a newer publication (IS010)');
SELECT throws_ok(format($$UPDATE isms.document_version SET validity = tstzrange('2020-01-01', NULL) WHERE id = %s$$, :v1),
    'IS010', NULL, 'its validity cannot be backdated (IS010)');
SELECT throws_ok(format($$UPDATE isms.document_version SET status = status WHERE id = %s$$, :v1),
    'IS010', NULL, 'not even an UPDATE that changes nothing is accepted (IS010)');
RESET ROLE;
SELECT throws_ok(format($$UPDATE isms.document_version SET url = 'https://elsewhere.example/', content_text = NULL WHERE id = %s$$, :v1),
    'IS010', NULL, 'a superuser''s UPDATE is refused too (IS010)');
SELECT is((SELECT content_text FROM isms.document_version WHERE id = :v1), E'# Information security policy\n\nOwner: CISO.',
    'the published content is unchanged');
SELECT is((SELECT sha256 FROM isms.document_version WHERE id = :v1),
    sha256(convert_to(E'# Information security policy\n\nOwner: CISO.', 'UTF8')), '... and so is its SHA-256');
SELECT throws_ok(format($$UPDATE isms.document SET status = 'retired' WHERE id = %s$$, :doc),
    'IS001', 'cannot set the status of document ISMS-POL-001 directly', 'the status of a document cannot be set directly (IS001)');
SELECT lives_ok(format($$SELECT isms.mark_reviewed('isms.document', %s, 'Still accurate')$$, :doc),
    'a periodic review records no new version');

------------------------------------------------------------------------------
-- Revisions: 0.1 -> 0.2 -> 1.0

SET LOCAL ROLE tap_author;
SELECT throws_ok(format($$SELECT isms.revise_document(%s, NULL)$$, :doc),
    'IS002', 'version 0.2 of document ISMS-POL-001 needs a change reason', 'a revision needs a change reason (IS002)');
SELECT throws_ok(format($$INSERT INTO isms.document_version (org_id, document_id, version, content_text, change_reason)
                          VALUES (1, %s, '0.1', 'Again', 'Reuse a number')$$, :doc),
    'IS014', 'version 0.1 of document ISMS-POL-001 is not above its latest version 0.1', 'a version number cannot be reused (IS014)');
SELECT throws_ok(format($$INSERT INTO isms.document_version (org_id, document_id, content_text, change_reason, author)
                          VALUES (1, %s, 'x', 'For the boss', 'tap_ceo')$$, :doc),
    'IS011', NULL, 'a version cannot be created in somebody else''s name (IS011)');
SELECT isms.revise_document(:doc, 'Annual review') AS v2 \gset
SELECT results_eq(format($$SELECT version::text, status, content_text, change_reason FROM isms.document_version WHERE id = %s$$, :v2),
    $$VALUES ('0.2', 'draft', E'# Information security policy\n\nOwner: CISO.', 'Annual review')$$,
    'revise_document opens 0.2, a copy of the version in force, with its reason');
SELECT is((SELECT status FROM isms.document WHERE id = :doc), 'under_revision', 'the document is under revision');
SELECT is((SELECT version::text FROM isms.document_as_of(:doc, clock_timestamp())), '0.1', 'while 0.1 stays in force');
SELECT throws_ok(format($$UPDATE isms.document_version SET change_reason = NULL WHERE id = %s$$, :v2),
    'IS002', NULL, 'the change reason of a later version cannot be removed (IS002)');
UPDATE isms.document_version SET content_text = E'# Information security policy\n\nOwner: CISO. Remote work included.' WHERE id = :v2;
SELECT lives_ok(format($$SELECT isms.submit_document(%s)$$, :v2), 'the author submits 0.2');
RESET ROLE;

SET LOCAL ROLE tap_reviewer;
SELECT lives_ok(format($$SELECT isms.approve_document(%s, 'approved', NULL)$$, :v2), 'the reviewer approves 0.2');
RESET ROLE;
-- the approval covers the content decided on, not a later one
SET LOCAL ROLE tap_author;
UPDATE isms.document_version SET status = 'draft' WHERE id = :v2;
UPDATE isms.document_version SET content_text = E'# Information security policy\n\nChanged after approval.' WHERE id = :v2;
UPDATE isms.document_version SET status = 'in_review' WHERE id = :v2;
SELECT throws_ok(format($$UPDATE isms.document_version SET status = 'approved' WHERE id = %s$$, :v2),
    'IS013', 'cannot approve version 0.2 of document ISMS-POL-001: its content is not the content approved',
    'an approval does not cover content changed after it (IS013)');
RESET ROLE;
SET LOCAL ROLE tap_reviewer;
SELECT lives_ok(format($$SELECT isms.approve_document(%s, 'approved', 'Remote work rules fine')$$, :v2), 'the reviewer approves 0.2 again, as changed');
SELECT lives_ok(format($$SELECT isms.publish_document(%s)$$, :v2), 'the reviewer publishes 0.2');
RESET ROLE;

SELECT results_eq(format($$SELECT version::text, status, isempty(validity),
                                    upper(validity) IS NOT DISTINCT FROM lead(lower(validity)) OVER (ORDER BY version)
                             FROM isms.document_version WHERE document_id = %s ORDER BY version$$, :doc),
    $$VALUES ('0.1', 'superseded', false, true), ('0.2', 'published', false, true)$$,
    'publishing 0.2 supersedes 0.1: 0.1 was in force from its publication until 0.2''s, each at its clock time');
SELECT is((SELECT status FROM isms.document WHERE id = :doc), 'published', 'the document is published again');
SELECT is((SELECT version::text FROM isms.document_as_of(:doc, clock_timestamp())), '0.2', 'document_as_of(clock_timestamp()) gives 0.2');

SET LOCAL ROLE tap_author;
SELECT isms.revise_document(:doc, 'Restructured', major => true) AS v3 \gset
SELECT is((SELECT version::text FROM isms.document_version WHERE id = :v3), '1.0', 'a major revision is numbered 1.0');
SELECT lives_ok(format($$SELECT isms.submit_document(%s)$$, :v3), 'the author submits 1.0');
RESET ROLE;
SET LOCAL ROLE tap_reviewer;
SELECT lives_ok(format($$SELECT isms.approve_document(%s, 'approved', 'Restructuring approved')$$, :v3), 'the reviewer approves 1.0');
SELECT lives_ok(format($$SELECT isms.publish_document(%s)$$, :v3), 'the reviewer publishes 1.0');
SELECT throws_ok(format($$SELECT isms.publish_document(%s)$$, :v3),
    'IS001', 'cannot publish version 1.0 of document ISMS-POL-001: it is already published', 'publishing twice is refused (IS001)');
RESET ROLE;
SELECT results_eq(format($$SELECT version::text, status FROM isms.document_version WHERE document_id = %s ORDER BY version$$, :doc),
    $$VALUES ('0.1', 'superseded'), ('0.2', 'superseded'), ('1.0', 'published')$$,
    'every version is kept: 0.1 and 0.2 superseded, 1.0 published');
SELECT is((SELECT count(*)::int FROM isms.document_version WHERE document_id = :doc AND status = 'published'), 1,
    'one version in force');

------------------------------------------------------------------------------
-- Stored bytes and links

SET LOCAL ROLE tap_author;
INSERT INTO isms.document (org_id, code, kind, title, owner) VALUES (1, 'ISMS-PRC-010', 'procedure', 'Backup procedure', 'IT lead');
SELECT id AS doc2 FROM isms.document WHERE code = 'ISMS-PRC-010' \gset
SELECT isms.draft_document(:doc2, content_bytes => '\x255044462d312e37', media_type => 'application/pdf') AS b1 \gset
SELECT is((SELECT sha256 FROM isms.document_version WHERE id = :b1), sha256('\x255044462d312e37'::bytea),
    'stored bytes: the SHA-256 of the bytes');
SELECT throws_ok(format($$UPDATE isms.document_version SET media_type = NULL WHERE id = %s$$, :b1), '23514', NULL,
    'stored bytes need a media type (23514)');
SELECT throws_ok(format($$UPDATE isms.document_version SET url = 'https://sharepoint.example/backup.pdf' WHERE id = %s$$, :b1),
    '23514', NULL, 'a version has exactly one kind of content (23514)');
UPDATE isms.document_version SET content_bytes = NULL, media_type = NULL, url = 'https://sharepoint.example/sites/isms/backup.pdf'
 WHERE id = :b1;
SELECT is((SELECT sha256 FROM isms.document_version WHERE id = :b1),
    sha256(convert_to('https://sharepoint.example/sites/isms/backup.pdf', 'UTF8')), 'a link: the SHA-256 of the URL');

-- withdrawing a draft needs a reason, and is evidence
SELECT throws_ok(format($$UPDATE isms.document_version SET status = 'retired' WHERE id = %s$$, :b1),
    'IS002', NULL, 'withdrawing a draft needs a reason (IS002)');
SET LOCAL isms.reason = 'Procedure merged into ISMS-PRC-011';
SELECT lives_ok(format($$UPDATE isms.document_version SET status = 'retired' WHERE id = %s$$, :b1),
    'a draft is withdrawn by retiring it, with isms.reason');
RESET isms.reason;
SELECT results_eq(format($$SELECT status, validity IS NULL FROM isms.document_version WHERE id = %s$$, :b1),
    $$VALUES ('retired', true)$$, 'a withdrawn draft was never in force');
SELECT is((SELECT status FROM isms.document WHERE id = :doc2), 'retired', 'a document with nothing in force or in preparation is retired');
SELECT isms.draft_document(:doc2, content_text => 'Backups run nightly.', change_reason => 'Restarted') AS b2 \gset
SELECT is((SELECT version::text || ' ' || d.status FROM isms.document_version v JOIN isms.document d ON d.id = v.document_id WHERE v.id = :b2),
    '0.2 draft', 'a new draft revives it: 0.2, draft');
RESET ROLE;

------------------------------------------------------------------------------
-- Nothing is deleted

SET LOCAL ROLE tap_author;
SELECT throws_ok(format($$DELETE FROM isms.document WHERE id = %s$$, :doc),
    'IS012', 'cannot delete document ISMS-POL-001', 'deleting a document is refused (IS012)');
SELECT throws_ok(format($$DELETE FROM isms.document_version WHERE id = %s$$, :b2),
    'IS012', NULL, 'deleting a version, even a draft, is refused (IS012)');
SELECT throws_ok(format($$DELETE FROM isms.document_approval WHERE id = %s$$, :a1),
    'IS012', NULL, 'deleting an approval is refused (IS012)');
RESET ROLE;
SELECT throws_ok($$DELETE FROM isms.document_version$$, 'IS012', NULL, 'a superuser''s DELETE is refused too (IS012)');
SELECT throws_ok($$TRUNCATE isms.document_approval$$, 'IS012', 'cannot truncate isms.document_approval', 'TRUNCATE is refused (IS012)');
SET LOCAL client_min_messages = warning;
SELECT throws_ok($$TRUNCATE isms.document CASCADE$$, 'IS012', NULL, 'TRUNCATE ... CASCADE is refused (IS012)');
RESET client_min_messages;
SET LOCAL session_replication_role = replica;
SELECT throws_ok($$DELETE FROM isms.document_approval$$, 'IS012', NULL, 'also under session_replication_role = replica (IS012)');
RESET session_replication_role;
SELECT is((SELECT count(*)::int FROM isms.document_version WHERE org_id = 1), 5, 'every version is still there');

------------------------------------------------------------------------------
-- Retirement

SET LOCAL ROLE tap_author;
SELECT throws_ok(format($$SELECT isms.retire_document(%s, ' ')$$, :doc), 'IS002', NULL, 'retiring needs a reason (IS002)');
SELECT throws_ok(format($$UPDATE isms.document_version SET status = 'retired' WHERE id = %s$$, :v3),
    'IS002', NULL, 'a plain UPDATE to retired needs isms.reason (IS002)');
SELECT clock_timestamp() AS before_retire \gset
SELECT is(isms.retire_document(:doc, 'Replaced by the group policy'), 1, 'retire_document retires the version in force');
SELECT results_eq(format($$SELECT status, upper(validity) >= %L AND upper(validity) <= clock_timestamp() FROM isms.document_version WHERE id = %s$$,
                         :'before_retire', :v3),
    $$VALUES ('retired', true)$$, 'its validity ends at the clock time of the retirement');
SELECT is((SELECT status FROM isms.document WHERE id = :doc), 'retired', 'the document is retired');
SELECT is_empty(format($$SELECT * FROM isms.document_as_of(%s, clock_timestamp())$$, :doc), 'no version is in force any more');
SELECT throws_ok(format($$SELECT isms.retire_document(%s, 'Again')$$, :doc), 'IS001', NULL, 'retiring twice is refused (IS001)');
SELECT throws_ok(format($$UPDATE isms.document_version SET status = 'published' WHERE id = %s$$, :v3),
    'IS010', NULL, 'a retired version stays retired (IS010)');
RESET ROLE;

------------------------------------------------------------------------------
-- As of explicit instants: a document restored with its history (a
-- superuser's INSERT is taken as it is), then revised by a member

INSERT INTO isms.document (org_id, code, kind, title, owner, status)
    VALUES (1, 'ISMS-STD-020', 'standard', 'Password standard', 'CISO', 'published');
SELECT id AS doc3 FROM isms.document WHERE code = 'ISMS-STD-020' \gset
INSERT INTO isms.document_version (org_id, document_id, version, status, content_text, author, change_reason, validity) VALUES
    (1, :doc3, '1.0', 'superseded', '8 characters', 'ann', NULL, tstzrange('2024-01-01 00:00+00', '2024-06-01 00:00+00')),
    (1, :doc3, '1.1', 'superseded', '12 characters', 'ann', 'NIST update', tstzrange('2024-06-01 00:00+00', '2025-01-01 00:00+00')),
    (1, :doc3, '2.0', 'published', 'Passphrases', 'ann', 'MFA everywhere', tstzrange('2025-01-01 00:00+00', NULL));
SELECT is_empty(format($$SELECT * FROM isms.document_as_of(%s, '2023-12-31 23:59:59+00')$$, :doc3), 'as of 2023-12-31: none in force');
SELECT is((SELECT version::text FROM isms.document_as_of(:doc3, '2024-01-01 00:00+00')), '1.0', 'as of 2024-01-01, the first instant: 1.0');
SELECT is((SELECT version::text FROM isms.document_as_of(:doc3, '2024-05-31 23:59:59.999999+00')), '1.0', 'as of the last instant of May 2024: 1.0');
SELECT is((SELECT version::text FROM isms.document_as_of(:doc3, '2024-06-01 00:00+00')), '1.1', 'as of 2024-06-01: 1.1');
SELECT is((SELECT content_text FROM isms.document_as_of(:doc3, '2024-09-15 12:00+00')), '12 characters', 'as of 2024-09-15: the text of 1.1');
SELECT is((SELECT version::text FROM isms.document_as_of(:doc3, '2025-06-01 00:00+00')), '2.0', 'as of 2025-06-01: 2.0');
SELECT throws_ok(format($$INSERT INTO isms.document_version (org_id, document_id, version, status, content_text, author, change_reason, validity)
                          VALUES (1, %s, '0.9', 'superseded', 'Overlap', 'ann', 'Backdated', tstzrange('2024-03-01 00:00+00', '2024-04-01 00:00+00'))$$, :doc3),
    '23P01', NULL, 'two versions of a document in force at the same time are refused (23P01), even for a superuser');
SELECT lives_ok(format($$INSERT INTO isms.document_version (org_id, document_id, version, status, content_text, author, change_reason, validity)
                         VALUES (1, %s, '0.9', 'superseded', 'Before', 'ann', 'Draft era', tstzrange('2023-06-01 00:00+00', '2024-01-01 00:00+00'))$$, :doc3),
    'a version ending where the next begins does not overlap');

SET LOCAL ROLE tap_author;
SELECT isms.revise_document(:doc3, 'Passkeys') AS s1 \gset
SELECT is((SELECT version::text FROM isms.document_version WHERE id = :s1), '2.1', 'the revision of 2.0 is 2.1');
SELECT lives_ok(format($$SELECT isms.submit_document(%s)$$, :s1), 'the author submits 2.1');
RESET ROLE;
SET LOCAL ROLE tap_reviewer;
SELECT lives_ok(format($$SELECT isms.approve_document(%s, 'approved', 'Passkeys approved')$$, :s1), 'the reviewer approves 2.1');
SELECT lives_ok(format($$SELECT isms.publish_document(%s)$$, :s1), 'the reviewer publishes 2.1');
RESET ROLE;
SELECT results_eq(format($$SELECT version::text, lower(validity), upper(validity) IS NOT DISTINCT FROM lead(lower(validity)) OVER (ORDER BY version),
                                    upper_inf(validity), lower(validity) > now()
                             FROM isms.document_version WHERE document_id = %s AND version::text IN ('2.0', '2.1') ORDER BY version$$, :doc3),
    $$VALUES ('2.0', '2025-01-01 00:00+00'::timestamptz, true, false, false), ('2.1', (SELECT lower(validity) FROM isms.document_version WHERE id = $$ || :s1 || $$), true, true, true)$$,
    '2.0 was in force until 2.1 was published; 2.1 from then on');
SELECT is((SELECT version::text FROM isms.document_as_of(:doc3, '2025-06-01 00:00+00')), '2.0', 'as of 2025-06-01 it is still 2.0');
SELECT is((SELECT version::text FROM isms.document_as_of(:doc3, clock_timestamp())), '2.1', 'as of now: 2.1');
SELECT is((SELECT status FROM isms.document WHERE id = :doc3), 'published', 'the document stays published');

-- defence in depth: a restored self-approval does not publish
INSERT INTO isms.document_version (org_id, document_id, version, status, content_text, author, change_reason)
    VALUES (1, :doc3, '2.2', 'approved', 'Self-approved', 'tap_author', 'Shortcut');
SELECT id AS s2 FROM isms.document_version WHERE document_id = :doc3 AND version = '2.2' \gset
INSERT INTO isms.document_approval (org_id, version_id, decision, approver, sha256)
    SELECT 1, :s2, 'approved', 'tap_author', sha256 FROM isms.document_version WHERE id = :s2;
SET LOCAL ROLE tap_reviewer;
SELECT throws_ok(format($$SELECT isms.publish_document(%s)$$, :s2),
    'IS011', 'cannot publish version 2.2 of document ISMS-STD-020: it was approved by its author, tap_author',
    'a version approved by its author is not published (IS011)');
RESET ROLE;

------------------------------------------------------------------------------
-- Access

SET LOCAL ROLE tap_reader;
SELECT is((SELECT count(*)::int FROM isms.document_version WHERE document_id = :doc), 3, 'a reader reads the versions');
SELECT is((SELECT version::text FROM isms.document_as_of(:doc3, clock_timestamp())), '2.1', 'a reader asks what was in force');
SELECT throws_ok(format($$SELECT isms.revise_document(%s, 'By a reader')$$, :doc3), '42501', NULL, 'a reader cannot revise (42501)');
SELECT throws_ok(format($$UPDATE isms.document_version SET status = 'in_review' WHERE id = %s$$, :s1), '42501', NULL,
    'a reader cannot write versions (42501)');
RESET ROLE;
SET LOCAL ROLE tap_auditor;
SELECT throws_ok(format($$INSERT INTO isms.document_approval (org_id, version_id, decision) VALUES (1, %s, 'approved')$$, :s1),
    '42501', NULL, 'an auditor does not approve documents (42501)');
RESET ROLE;
SET LOCAL ROLE tap_editor_b;
SELECT is_empty(format($$SELECT * FROM isms.document_as_of(%s, clock_timestamp())$$, :doc3), 'a member of another organisation sees no version');
SELECT throws_ok(format($$SELECT isms.revise_document(%s, 'Intrusion')$$, :doc3), 'P0002', NULL,
    'nor revises one (P0002: not visible)');
SELECT throws_ok(format($$INSERT INTO isms.document_version (org_id, document_id, content_text, change_reason) VALUES (1, %s, 'x', 'y')$$, :doc3),
    '42501', NULL, 'nor writes one directly (42501, row-level security)');
RESET ROLE;

------------------------------------------------------------------------------
-- The trail

SELECT results_eq(
    $$SELECT action, count(*)::int FROM isms.trail WHERE org_id = 1 AND record_table = 'isms.document_version'
       GROUP BY action ORDER BY action$$,
    $$VALUES ('approve', 5), ('publish', 4), ('reject', 1), ('retire', 1), ('withdraw', 1)$$,
    'approvals, rejections, publications, retirements and withdrawals are in the trail');
SELECT results_eq(
    format($$SELECT t.actor, t.payload->>'version', decode(t.payload->>'sha256', 'hex') = v.sha256, t.payload->>'supersedes',
                    t.payload->>'author', t.payload->>'approved_by', (t.payload->>'valid_from')::timestamptz = lower(v.validity)
               FROM isms.trail t JOIN isms.document_version v ON v.id = t.record_id
              WHERE t.org_id = 1 AND t.action = 'publish' AND t.record_id = %s$$, :s1),
    $$VALUES ('tap_reviewer', '2.1', true, '2.0', 'tap_author', 'tap_reviewer', true)$$,
    'a publication records who, the version, its SHA-256, the version it supersedes, author, approver and start');
SELECT results_eq(
    format($$SELECT t.payload->>'reason', t.payload->>'was' FROM isms.trail t
              WHERE t.org_id = 1 AND t.action = 'retire' AND t.record_id = %s$$, :v3),
    $$VALUES ('Replaced by the group policy', 'published')$$, 'a retirement records its reason');
SELECT is_empty($$SELECT * FROM isms.verify_trail(1)$$, 'the trail verifies');
SELECT cmp_ok((SELECT count(*)::int FROM isms_history.document_version WHERE document_id = :doc), '>=', 10,
    'every superseded state of a version is in its history');

SELECT * FROM finish();
ROLLBACK;
