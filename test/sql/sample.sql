-- The sample ISMS is deterministic: the same arguments give the same rows
-- (fingerprints without identifiers, which depend on the sequences).
BEGIN;
CREATE EXTENSION isms_sample;
SELECT isms.load_sample(1, '2025-06-30') AS rows_loaded;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';
SELECT register, count(*) AS rows FROM isms.register_row GROUP BY register ORDER BY register;
SELECT count(*) AS transitions,
       md5(string_agg(concat_ws('|', record_table, cycle, from_state, to_state, at, actor, reason), E'\n'
                      ORDER BY record_table::text, at, cycle, from_state, to_state, actor)) AS log_fingerprint
  FROM isms.transition_log;
SELECT md5(string_agg(concat_ws('|', title, asset_id IS NOT NULL, inherent_rating, residual_rating, treatment,
                                identified_on, last_reviewed_at), E'\n' ORDER BY title, identified_on, inherent_rating))
       AS risk_fingerprint
  FROM isms.risk;
SELECT r.check_no, r.status, r.score, r.evidence
  FROM isms.organization o, isms.clause_4_4_readiness(o.org_id, '2025-06-30 17:00+00') r
 WHERE o.code = 'NORTHWIND';
ROLLBACK;
