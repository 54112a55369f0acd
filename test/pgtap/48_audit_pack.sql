-- The audit pack: isms.html_escape, the document's shape (self-contained:
-- no script, no external resource), its figures against the report
-- functions, escaping of hostile record text, refusals, as-of, read-only
-- operation and row-level security.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION isms;
\ir reports_fixture.psql
SELECT plan(41);
SET LOCAL TimeZone = 'UTC';

SELECT is(isms.html_escape('<script>alert("x")</script> & Tom''s'),
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Tom&#39;s', 'html_escape: the five characters');
SELECT is(isms.html_escape(NULL), '', 'html_escape: NULL is the empty string');
SELECT is(isms.html_escape('&amp;'), '&amp;amp;', 'html_escape: an entity is escaped again, not trusted');

-- hostile text in records of organisation A
INSERT INTO isms.nonconformity (org_id, title, description, requirement, source, detected_at, owner)
VALUES (1, '<script>alert(1)</script>', 'Planted "markup" & <img src=x onerror=alert(2)>', '9.2', 'internal_audit',
        '2025-06-01 12:00+00', '<b>Owner</b>');
INSERT INTO isms.supplier (org_id, name, services, criticality, owner, created_at, updated_at)
VALUES (1, '</td><script>alert(3)</script>', 'Hosting', 'critical', 'IT lead', '2025-01-01 12:00+00', '2025-01-01 12:00+00');
SELECT isms.trail_append(1, 'isms.risk', 1, 'note', '{}') IS NOT NULL AS appended \gset

CREATE TEMP TABLE pack AS SELECT isms.audit_pack('A') AS html;
-- a figure of the pack: the text of the element with data-figure="name"
CREATE FUNCTION pg_temp.fig(name text) RETURNS text LANGUAGE sql AS $$
    SELECT (regexp_match(p.html, 'data-figure="' || name || '"[^>]*>([^<]*)<'))[1] FROM pack p
$$;

SELECT matches((SELECT html FROM pack), '^<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">', 'an HTML5 document');
SELECT matches((SELECT html FROM pack), '</main></body></html>$', 'complete to its end');
SELECT doesnt_match((SELECT html FROM pack), '<script', 'no script element: the planted ones are escaped');
SELECT doesnt_match((SELECT html FROM pack), '<img', 'no image element: the planted one is escaped');
SELECT matches((SELECT html FROM pack), '&lt;script&gt;alert\(1\)&lt;/script&gt;', 'the hostile title is shown as text');
SELECT matches((SELECT html FROM pack), '&lt;/td&gt;&lt;script&gt;alert\(3\)&lt;/script&gt;', 'the hostile supplier name is shown as text');
SELECT doesnt_match((SELECT html FROM pack), '(src|href)\s*=|<link|@import|url\((?!#)', 'no external resource: no src, href, link, @import or url() but the SVG''s own marker');
SELECT is((SELECT array_agg(DISTINCT m[1]) FROM pack, regexp_matches(html, '(https?://[^"'' <]*)', 'g') AS m),
    '{http://www.w3.org/2000/svg}', 'the only URL is the SVG namespace');
SELECT matches((SELECT html FROM pack), '<style>@page\{size:A4', 'inline CSS with a page size for printing');
SELECT matches((SELECT html FROM pack), '@media print\{', 'and print rules');
SELECT is((SELECT count(*)::integer FROM pack, regexp_matches(html, '<svg xmlns', 'g')), 2, 'two inline SVG images: the trend and the process map');
SELECT is((SELECT array_agg(m[1] ORDER BY m[1]) FROM pack, regexp_matches(html, '<section id="([a-z-]+)"', 'g') AS m),
    '{nonconformities,policies,process-map,readiness,soa,staleness,summary,suppliers,tasks,trail,trend}', 'every section');

-- the figures, against the report functions
SELECT is(pg_temp.fig('readiness-pass') || '/' || pg_temp.fig('readiness-warn') || '/' || pg_temp.fig('readiness-fail'),
    (SELECT count(*) FILTER (WHERE status = 'pass') || '/' || count(*) FILTER (WHERE status = 'warn') || '/'
            || count(*) FILTER (WHERE status = 'fail') FROM isms.clause_4_4_readiness(1)),
    'readiness pass/warn/fail as isms.clause_4_4_readiness counts them');
SELECT is((SELECT count(*)::integer FROM pack, regexp_matches(html, '<tr><td class="n">[0-9]+</td><td>[^<]*</td><td>[^<]*</td><td><span class="badge (pass|warn|fail)">', 'g')),
    14, 'a row per readiness check');
SELECT is(pg_temp.fig('soa-applicable'),
    (SELECT count(*)::text FROM isms.statement_of_applicability(1) WHERE decision = 'included'), 'SoA controls applicable');
SELECT is(pg_temp.fig('soa-controls'), '93', 'of the 93 Annex A controls');
SELECT is(pg_temp.fig('open-nonconformities'),
    (SELECT count(*)::text FROM isms_report.nonconformities WHERE org_id = 1 AND NOT closed), 'open nonconformities as isms_report.nonconformities counts them');
SELECT is(pg_temp.fig('overdue-reviews'), (SELECT sum(overdue)::text FROM isms.staleness_summary(1)), 'overdue reviews as staleness_summary sums them');
SELECT is(pg_temp.fig('trail-seq') || ' ' || pg_temp.fig('trail-hash'), (SELECT seq || ' ' || hash FROM isms.trail_head(1)),
    'the trail head as isms.trail_head gives it');
SELECT matches((SELECT html FROM pack), format('isms.verify_trail\(1, %s, ''%s''\)', (SELECT seq FROM isms.trail_head(1)), (SELECT hash FROM isms.trail_head(1))),
    'and the call that checks it later');
SELECT is(pg_temp.fig('org-name'), 'Org A', 'the organisation');

-- as of an instant
CREATE TEMP TABLE pack_then AS SELECT isms.audit_pack('A', '2025-06-30 12:00+00') AS html;
SELECT is((SELECT (regexp_match(html, 'data-figure="readiness-fail"[^>]*>([^<]*)<'))[1] FROM pack_then),
    (SELECT count(*)::text FROM isms.clause_4_4_readiness(1, '2025-06-30 12:00+00') WHERE status = 'fail'),
    'as of 2025-06-30: the failing checks of that day');
SELECT is((SELECT (regexp_match(html, 'data-figure="as-of"[^>]*>([^<]*)<'))[1] FROM pack_then), '2025-06-30 12:00 UTC', 'and says so');
SELECT doesnt_match((SELECT html FROM pack_then), 'alert\(1\)', 'the nonconformity detected and recorded later is not in it');

-- open tasks and policy acknowledgement: after a sweep of A and a policy
-- published and acknowledged by one of its two staff logins (the pack as
-- of the clock: the writes of this transaction are recorded at clock time)
CREATE ROLE ap_staff LOGIN; CREATE ROLE ap_staff2 LOGIN; GRANT isms_reader TO ap_staff, ap_staff2;
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'ap_staff'), (1, 'ap_staff2');
SET LOCAL ROLE rep_editor;
SET LOCAL isms.actor = 'Author';
SELECT created AS swept FROM isms.sweep('A') \gset
INSERT INTO isms.document (org_id, code, kind, title, owner) VALUES (1, 'POL-AP', 'policy', 'Clean desk <policy>', 'CISO')
    RETURNING id AS pol \gset
SELECT isms.draft_document(:pol, content_text => 'Clear your desk.') AS ver \gset
SELECT isms.submit_document(:ver);
SET LOCAL isms.actor = 'Approver';
SELECT isms.approve_document(:ver, 'approved', 'Fine');
SELECT isms.publish_document(:ver);
RESET isms.actor;
RESET ROLE;
SET LOCAL ROLE ap_staff;
SELECT isms.acknowledge_policy(:pol);
RESET ROLE;
CREATE TEMP TABLE pack_live AS SELECT x.at, isms.audit_pack('A', x.at) AS html FROM (SELECT clock_timestamp() AS at) x;
CREATE FUNCTION pg_temp.fig_live(name text) RETURNS text LANGUAGE sql AS $$
    SELECT (regexp_match(p.html, 'data-figure="' || name || '"[^>]*>([^<]*)<'))[1] FROM pack_live p
$$;
SELECT cmp_ok(:swept, '>', 0, 'the sweep made tasks for A');
SELECT is(pg_temp.fig_live('open-tasks'), (SELECT count(*)::text FROM isms.task WHERE org_id = 1 AND closed_at IS NULL),
    'open tasks as isms.task holds them');
SELECT is(pg_temp.fig_live('tasks-reminded') || '/' || pg_temp.fig_live('tasks-escalated'),
    (SELECT count(*) FILTER (WHERE escalation_level = 1) || '/' || count(*) FILTER (WHERE escalation_level = 2)
       FROM isms.task WHERE org_id = 1 AND closed_at IS NULL), '... by escalation level');
SELECT is(pg_temp.fig_live('policy-acknowledged') || ' of ' || pg_temp.fig_live('policy-audience'),
    (SELECT count(*) FILTER (WHERE in_audience AND acknowledged) || ' of ' || count(*) FILTER (WHERE in_audience)
       FROM isms.policy_acknowledgement_status(1, (SELECT at FROM pack_live))), 'policy acknowledgements as isms.policy_acknowledgement_status counts them');
SELECT is(pg_temp.fig_live('policy-acknowledged') || ' of ' || pg_temp.fig_live('policy-audience'), '1 of 2', '... one of the two staff');
SELECT matches((SELECT html FROM pack_live), '<td>POL-AP</td><td>Clean desk &lt;policy&gt;</td><td>0\.1</td>', 'the policy listed, its title escaped');
SELECT is((SELECT (regexp_match(isms.audit_pack('A', '2025-06-30 12:00+00'), 'data-figure="open-tasks"[^>]*>([^<]*)<'))[1]), '0',
    'as of 2025-06-30 there was no task yet');

-- refusals
SELECT throws_ok($$SELECT isms.audit_pack('NOPE')$$, '22023', 'invalid argument org_code: no such organisation, or not one you are a member of',
    'an unknown organisation is refused (22023)');
SELECT throws_ok($$SELECT isms.audit_pack(NULL)$$, '22023', NULL, 'a NULL organisation is refused');
SELECT throws_ok($$SELECT isms.audit_pack('A', 'infinity')$$, '22023', NULL, 'an infinite instant is refused');

-- read-only, and row-level security
SET LOCAL ROLE rep_reader;
SELECT throws_ok($$SELECT isms.audit_pack('B')$$, '22023', NULL, 'a reader of A asking for B''s pack is told it does not exist');
SELECT lives_ok($$SELECT isms.audit_pack('A')$$, 'a reader of A gets A''s pack');
SELECT is(isms.audit_pack_process_svg(1) LIKE '<svg%</svg>', true, 'the process map alone is an SVG image');
RESET ROLE;
SET LOCAL transaction_read_only = on;
SELECT lives_ok($$SELECT isms.audit_pack('A', '2025-06-30 12:00+00')$$, 'it runs in a read-only transaction');
SELECT * FROM finish();
ROLLBACK;
