-- Sign-offs: management review minutes, the Statement of Applicability as
-- numbered versions, risk acceptances, treatment plans; who, when, the
-- SHA-256 of what was signed, the trail entry; "signed version superseded"
-- when the content changes; every refusal with its SQLSTATE.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir reports_fixture.psql
SELECT plan(39);

SELECT id AS mr2 FROM isms.management_review WHERE org_id = 1 AND title = 'MR2' \gset
SELECT id AS mr3 FROM isms.management_review WHERE org_id = 1 AND title = 'MR3' \gset
SELECT id AS r2 FROM isms.risk WHERE org_id = 1 AND title = 'R2 laptop theft' \gset
SELECT id AS r3 FROM isms.risk WHERE org_id = 1 AND title = 'R3 outage' \gset
SELECT id AS tp1 FROM isms.treatment_plan WHERE org_id = 1 AND title = 'TP1' \gset

SELECT matches((SELECT figures FROM isms.clause_4_4_readiness(1, review_every => '3 years') WHERE check_no = 6), 'minutes signed: 0 of 2 \(unsigned: MR1, MR2\)$',
    'readiness (6): the minutes of MR2 are not signed');
SELECT matches((SELECT figures FROM isms.clause_4_4_readiness(1) WHERE check_no = 2), 'SoA never signed$', 'readiness (2): the SoA was never signed');

------------------------------------------------------------------------------
-- Signing management review minutes

SET LOCAL ROLE rep_editor;
SELECT * FROM isms.sign_off(1, 'management_review', :mr2, 'CEO, top management', 'Minutes approved') \gset s_
RESET ROLE;
SELECT is(:'s_signer'::text, 'rep_editor', 'the signer is the person acting (isms.current_actor())');
SELECT is(:'s_login_role'::text, session_user::text, 'the login role is recorded (session_user)');
SELECT is(:'s_signed_at'::timestamptz, now(), 'signed at transaction time');
SELECT is(:'s_sha256'::bytea, isms.signoff_digest(isms.signoff_content(1, 'management_review', :mr2)),
    'the SHA-256 is that of the minutes as the register holds them');
SELECT is((SELECT content->>'decisions' FROM isms.signoff WHERE id = :s_id), 'decided', 'the content signed is kept');
SELECT ok((SELECT NOT (content ? 'updated_at') FROM isms.signoff WHERE id = :s_id), 'audit columns are not part of the minutes');
SELECT is((SELECT payload->>'sha256' FROM isms.trail WHERE record_table = 'isms.signoff' AND record_id = :s_id AND action = 'sign-off'),
    encode(:'s_sha256'::bytea, 'hex'), 'the sign-off is in the trail with its SHA-256');
SELECT is_empty('SELECT * FROM isms.verify_trail(1)', 'the trail still verifies');
SELECT is((SELECT status FROM isms.signoff_status(1) WHERE signoff_id = :s_id), 'signed', 'signoff_status: signed');
SELECT matches((SELECT figures FROM isms.clause_4_4_readiness(1, review_every => '3 years') WHERE check_no = 6), 'minutes signed: 1 of 2 \(unsigned: MR1\)$',
    'readiness (6): the minutes of MR2 are signed');

-- the minutes change afterwards
SET LOCAL ROLE rep_editor;
UPDATE isms.management_review SET decisions = 'decided, and then changed' WHERE id = :mr2;
RESET ROLE;
SELECT is((SELECT status FROM isms.signoff_status(1) WHERE signoff_id = :s_id), 'signed version superseded',
    'signoff_status: the signed version is superseded');
SELECT isnt((SELECT current_sha256 FROM isms.signoff_status(1) WHERE signoff_id = :s_id),
            (SELECT sha256 FROM isms.signoff_status(1) WHERE signoff_id = :s_id), 'the two digests differ');
SELECT matches((SELECT figures FROM isms.clause_4_4_readiness(1, review_every => '3 years') WHERE check_no = 6), 'signed version superseded: MR2\)$',
    'readiness (6): superseded minutes are named');
SELECT matches((SELECT action FROM isms.clause_4_4_readiness(1, review_every => '3 years') WHERE check_no = 6), 'sign the minutes of MR1, MR2', '... and what to do');

------------------------------------------------------------------------------
-- The Statement of Applicability: numbered versions

SET LOCAL ROLE rep_editor;
SELECT (isms.sign_off(1, 'statement_of_applicability', NULL, 'CISO, SoA owner')).soa_version AS v1 \gset
SELECT (isms.sign_off(1, 'statement_of_applicability', NULL, 'CEO, top management')).soa_version AS v2 \gset
RESET ROLE;
SELECT is(ARRAY[:v1, :v2], ARRAY[1, 2], 'SoA sign-offs are numbered versions 1, 2');
SELECT is((SELECT jsonb_array_length(content) FROM isms.signoff WHERE org_id = 1 AND soa_version = 2), 3, 'the SoA version covers its three entries');
SELECT matches((SELECT figures FROM isms.clause_4_4_readiness(1) WHERE check_no = 2), 'SoA version 2 signed [0-9-]+ by rep_editor \(signed\)$',
    'readiness (2): the signed SoA version is cited');
UPDATE isms.soa_entry SET justification = 'Backups and restores' WHERE org_id = 1 AND control = 'A.8.13';
SELECT matches((SELECT figures FROM isms.clause_4_4_readiness(1) WHERE check_no = 2), '\(signed version superseded\)$',
    'readiness (2): an SoA changed since its signature is superseded');

------------------------------------------------------------------------------
-- Risk acceptance and treatment plan

SET LOCAL ROLE rep_editor;
SELECT throws_ok(format($$SELECT isms.sign_off(1, 'risk_acceptance', %s, 'risk owner')$$, :r2), 'IS140',
    format('cannot sign off the acceptance of risk %s: only the risk owner accepts a risk', :r2),
    'a risk acceptance signed by someone other than the risk owner (IT lead) is refused (IS140)');
SET LOCAL isms.actor = 'Rita';
SELECT throws_ok(format($$SELECT isms.sign_off(1, 'risk_acceptance', %s, 'risk owner')$$, :r2), 'IS140', NULL,
    '... also by the person who recorded the acceptance, when she is not the owner');
-- the application login asserts the risk owner, spelt as the intranet spells it
SET LOCAL isms.actor = 'it Lead ';
SELECT lives_ok(format($$SELECT isms.sign_off(1, 'risk_acceptance', %s, 'risk owner')$$, :r2), 'the owner signs the acceptance of R2');
SELECT is((SELECT signer FROM isms.signoff WHERE subject = 'risk_acceptance' AND record_id = :r2), 'it Lead ',
    'the signer is the person asserted, matched to the owner without case or surrounding spaces');
SET LOCAL isms.actor = '';
SELECT lives_ok(format($$SELECT isms.sign_off(1, 'treatment_plan', %s, 'risk owner')$$, :tp1), 'the owner signs treatment plan TP1');
RESET ROLE;
SELECT is((SELECT content->>'accepted_by' FROM isms.signoff WHERE subject = 'risk_acceptance' AND record_id = :r2), 'Rita',
    'the acceptance signed names who accepted');

------------------------------------------------------------------------------
-- Refusals

SET LOCAL ROLE rep_editor;
SELECT throws_ok(format($$SELECT isms.sign_off(1, 'management_review', %s, 'CEO')$$, :mr3), 'IS030',
    format('cannot sign off management review %s: it is planned for 2025-03-01 and not held', :mr3), 'minutes of a review not held (IS030)');
SELECT throws_ok(format($$SELECT isms.sign_off(1, 'risk_acceptance', %s, 'risk owner')$$, :r3), 'IS030', NULL,
    'a risk without a recorded acceptance (IS030)');
SELECT throws_ok($$SELECT isms.sign_off(1, 'treatment_plan', 999999, 'risk owner')$$, 'IS030',
    'cannot sign off treatment plan 999999: it does not exist in organisation 1', 'a record that does not exist (IS030)');
RESET ROLE;
SELECT throws_ok($$SELECT isms.sign_off(2, 'statement_of_applicability', NULL, 'CISO')$$, 'IS030', NULL, 'an empty SoA (IS030)');
SET LOCAL ROLE rep_editor;
SELECT throws_ok($$SELECT isms.sign_off(1, 'policy', 1, 'CEO')$$, '22023', NULL, 'an unknown subject (22023)');
SELECT throws_ok($$SELECT isms.sign_off(1, 'management_review', NULL, 'CEO')$$, '22023', NULL, 'minutes without a record id (22023)');
SELECT throws_ok($$SELECT isms.sign_off(1, 'management_review', 1, ' ')$$, '22023', NULL, 'without the signer''s role (22023)');
SELECT throws_ok($$SELECT isms.sign_off(3, 'statement_of_applicability', NULL, 'CISO')$$, '22023', NULL,
    'an organisation the signer is not a member of (22023, as unknown)');
-- a direct INSERT cannot forge who, when or what
INSERT INTO isms.signoff (org_id, subject, record_id, signer_role, signer, login_role, signed_at, content, sha256)
VALUES (1, 'treatment_plan', :tp1, 'risk owner', 'Somebody else', 'nobody', '2020-01-01', '{"forged": true}',
        '\x0000000000000000000000000000000000000000000000000000000000000000');
SELECT is((SELECT (signer, login_role, signed_at = now(), content ? 'forged')::text FROM isms.signoff ORDER BY id DESC LIMIT 1),
    format('(rep_editor,%s,t,f)', session_user), 'a direct INSERT gets the database''s signer, login role, time and content');
SELECT throws_ok($$UPDATE isms.signoff SET statement = 'changed'$$, '42501', NULL, 'a member cannot update a sign-off');
RESET ROLE;
SELECT throws_ok($$UPDATE isms.signoff SET statement = 'changed'$$, 'IS031', NULL, 'nobody changes a sign-off (IS031)');
SELECT throws_ok($$DELETE FROM isms.signoff$$, 'IS031', NULL, 'nobody removes one (IS031)');
SET LOCAL ROLE rep_reader;
SELECT throws_ok(format($$SELECT isms.sign_off(1, 'risk_acceptance', %s, 'risk owner')$$, :r2), '42501', NULL, 'a reader cannot sign');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
