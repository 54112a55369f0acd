-- PREPARE TRANSACTION of a transaction that moved workflow records is
-- refused (0A000) before anything is prepared: its seal, outbox row and
-- notification are written at COMMIT.  Nothing of it is applied.
INSERT INTO isms.organization (code, name) VALUES ('PREPARE-TEST', 'Two-phase Ltd') RETURNING org_id AS org \gset
INSERT INTO isms.improvement (org_id, title, description, owner)
    VALUES (:org, 'Prepared', 'A move in a two-phase transaction', 'IT lead') RETURNING id AS imp \gset
SELECT count(*) AS log_rows FROM isms.transition_log \gset
SELECT count(*) AS trail_rows FROM isms.trail \gset
BEGIN;
UPDATE isms.improvement SET status = 'approved' WHERE id = :imp;
UPDATE isms.improvement SET status = 'implementing' WHERE id = :imp;
PREPARE TRANSACTION 'isms_moves';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS prepared FROM pg_prepared_xacts WHERE gid = 'isms_moves';
SELECT status, cycle FROM isms.improvement WHERE id = :imp;
SELECT count(*) - :log_rows AS new_log_rows FROM isms.transition_log;
SELECT count(*) - :trail_rows AS new_trail_rows FROM isms.trail;
-- one move, in a transaction with a savepoint
BEGIN;
SAVEPOINT s;
UPDATE isms.improvement SET status = 'approved' WHERE id = :imp;
RELEASE SAVEPOINT s;
PREPARE TRANSACTION 'isms_one_move';
\echo :LAST_ERROR_SQLSTATE
-- the moves commit as usual
UPDATE isms.improvement SET status = 'approved' WHERE id = :imp;
SELECT status, cycle FROM isms.improvement WHERE id = :imp;
SELECT count(*) - :log_rows AS new_log_rows FROM isms.transition_log;
SELECT count(*) FROM isms.verify_transition_log(:org);
