-- isms.as_of() at scale: one organisation's risk register as of an
-- instant, when the register's history holds 10,000,000 versions across
-- 100 organisations (1,000 risks each, every one in its 101st version).
-- Opt-in (about a minute to generate on a quiet 2-core machine, several
-- under load): tools/dev bench 50.
--
-- The history is generated as it would have been written: version k of
-- every risk of every organisation, then version k + 1, so one
-- organisation's versions are spread over the whole table, as capture
-- appends them over time.  It is inserted set-based by the bench (a
-- superuser) straight into isms_history.risk: capture itself is measured
-- by 30_trail_history.sql.
SET client_min_messages = warning;
\o /dev/null

INSERT INTO isms.organization (code, name)
SELECT 'ASOF-' || lpad(g::text, 3, '0'), 'As-of organisation ' || g FROM generate_series(1, 100) g;
INSERT INTO isms.risk_scale (org_id, acceptance_threshold, owner)
SELECT org_id, 6, 'Risk manager' FROM isms.organization WHERE code LIKE 'ASOF-%';
ALTER TABLE isms.risk DISABLE TRIGGER USER;
INSERT INTO isms.risk (org_id, title, threat, vulnerability, inherent_likelihood, inherent_impact, owner,
                       identified_on, created_at, created_by, updated_at, updated_by)
SELECT o.org_id, 'Risk ' || g, 'Threat ' || g % 37, 'Vulnerability ' || g % 41, 1 + g % 5, 1 + g % 4,
       'owner' || g % 20, '2024-01-01', '2024-01-01', 'alice',
       '2024-01-01'::timestamptz + 100 * (interval '1 day' + (g % 24) * interval '1 hour'), 'alice'
  FROM isms.organization o, generate_series(1, 1000) g
 WHERE o.code LIKE 'ASOF-%';
ALTER TABLE isms.risk ENABLE TRIGGER USER;
SELECT clock_timestamp() AS t0 \gset
-- version k of a risk: valid for its 100th share of [created_at, updated_at)
INSERT INTO isms_history.risk
SELECT r.org_id, r.id, r.title, r.description, r.asset_id, r.threat, r.vulnerability, r.consequence,
       1 + (r.id + k) % 5, r.inherent_impact, r.inherent_rating, r.residual_likelihood, r.residual_impact,
       r.residual_rating, r.treatment, r.identified_on, r.accepted_by, r.accepted_at, r.accepted_until, r.owner,
       r.review_interval, r.last_reviewed_at, r.created_at, r.created_by, r.created_at + k * s.step, 'bob',
       tstzrange(r.created_at + k * s.step, r.created_at + (k + 1) * s.step), 'bob', 'UPDATE'
  FROM generate_series(0, 99) k
       CROSS JOIN LATERAL (SELECT * FROM isms.risk
                            WHERE k >= 0 AND org_id IN (SELECT org_id FROM isms.organization WHERE code LIKE 'ASOF-%')
                           OFFSET 0) r
       CROSS JOIN LATERAL (SELECT (r.updated_at - r.created_at) / 100 AS step) s;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1) AS gen_s \gset
VACUUM ANALYZE isms.risk;
VACUUM ANALYZE isms_history.risk;
SELECT count(*) AS versions FROM isms_history.risk \gset

-- a reader of one organisation, as an auditor's session would be
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_asof_reader') THEN
        CREATE ROLE bench_asof_reader NOLOGIN;
    END IF;
END $$;
GRANT isms_reader TO bench_asof_reader;
GRANT USAGE ON SCHEMA bench TO bench_asof_reader;
INSERT INTO isms.membership (org_id, role_name)
SELECT org_id, 'bench_asof_reader' FROM isms.organization WHERE code = 'ASOF-050';

-- three instants: early (version 5 of 100), the middle, late (version 95)
CREATE TEMP TABLE asof_at (k int, label text, at timestamptz);
INSERT INTO asof_at VALUES (1, 'early', '2024-01-01'::timestamptz + 5 * interval '1 day'),
                           (2, 'middle', '2024-01-01'::timestamptz + 55 * interval '1 day'),
                           (3, 'late', '2024-01-01'::timestamptz + 95 * interval '1 day');
GRANT SELECT ON asof_at TO bench_asof_reader;
CREATE TEMP TABLE asof_ms (label text, indexed boolean, ms numeric, nrows bigint);
GRANT INSERT ON asof_ms TO bench_asof_reader;

-- without the indexes: as_of reads the history whole (one run each)
SET ROLE bench_asof_reader;
INSERT INTO asof_ms
SELECT a.label, false,
       bench.time_ms(format('SELECT count(*) FROM isms.as_of(NULL::isms.risk, %L)', a.at), 1),
       (SELECT count(*) FROM isms.as_of(NULL::isms.risk, a.at))
  FROM asof_at a ORDER BY a.k;
RESET ROLE;

SELECT clock_timestamp() AS t0 \gset
SELECT isms.index_history('isms.risk');
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1) AS index_s \gset

-- with them: median of 15 runs, as a dashboard's session would repeat it
SET ROLE bench_asof_reader;
INSERT INTO asof_ms
SELECT a.label, true,
       bench.time_ms(format('SELECT count(*) FROM isms.as_of(NULL::isms.risk, %L)', a.at), 15),
       (SELECT count(*) FROM isms.as_of(NULL::isms.risk, a.at))
  FROM asof_at a ORDER BY a.k;
RESET ROLE;

SELECT bench.report(format('as_of: 1 of 100 organisations, %s instant, %s versions (ms, %s rows)',
                           i.label, :versions, i.nrows),
                    i.ms, 'the same without isms.index_history()', f.ms, '< 50 ms', i.ms < 50)
  FROM asof_ms i JOIN asof_ms f USING (label) JOIN asof_at a USING (label)
 WHERE i.indexed AND NOT f.indexed ORDER BY a.k;
SELECT bench.report('as_of: generating the 10,000,000 versions (s, set-based INSERT)', :gen_s,
                    NULL, NULL, 'information', NULL);
SELECT bench.report('as_of: isms.index_history(''isms.risk'') on them (s)', :index_s,
                    NULL, NULL, 'information', NULL);
\o
DELETE FROM isms.membership WHERE role_name = 'bench_asof_reader';
