-- The real CISO Assistant library files (test/libraries/run.sh converts them
-- into $ISMS_LIBRARY_JSON and imports them with import.psql as a login of
-- isms_admin on the sample ISMS): what was imported against what the files
-- hold, coverage, a 2013 SoA carried over to 2022, and a newer version of a
-- library and of a mapping re-imported.  The figures the README quotes are
-- checked when the files are the versions it names; otherwise skipped.
\set ON_ERROR_STOP 1
\set nist `cat "$ISMS_LIBRARY_JSON/nist-csf-2.0.json"`
\set nistmap `cat "$ISMS_LIBRARY_JSON/mapping-nist-csf-2.0-to-iso27001-2022.json"`
\set soc2 `cat "$ISMS_LIBRARY_JSON/soc2_2017_with_rev_2022.json"`
\set soc2map `cat "$ISMS_LIBRARY_JSON/mapping-soc2-2017-rev-2022-to-iso27001-2022.json"`
\set iso13 `cat "$ISMS_LIBRARY_JSON/iso27001-2013.json"`
\set iso13map `cat "$ISMS_LIBRARY_JSON/mapping-iso27001-2013-to-iso27001-2022.json"`
\set iso22 `cat "$ISMS_LIBRARY_JSON/iso27001-2022.json"`
BEGIN;
SELECT plan(33);
CREATE TABLE pg_temp.lib (name text PRIMARY KEY, doc jsonb);
INSERT INTO pg_temp.lib VALUES ('nist', :'nist'), ('nistmap', :'nistmap'), ('soc2', :'soc2'), ('soc2map', :'soc2map'),
    ('iso13', :'iso13'), ('iso13map', :'iso13map');
-- the versions the README quotes (CISO Assistant at commit f990d7b)
SELECT (SELECT string_agg(l.urn || ' ' || l.version, ', ' ORDER BY l.urn) FROM isms.library l)
     = 'urn:intuitem:risk:library:iso27001-2013 1, urn:intuitem:risk:library:mapping-iso27001-2013-to-iso27001-2022 2, '
       'urn:intuitem:risk:library:mapping-nist-csf-2.0-to-iso27001-2022 1, urn:intuitem:risk:library:mapping-soc2-2017-rev-2022-to-iso27001-2022 1, '
       'urn:intuitem:risk:library:nist-csf-2.0 6, urn:intuitem:risk:library:soc2-2017-rev-2022 2' AS quoted \gset

------------------------------------------------------------------------------
-- What was imported, against the files

SELECT results_eq($$SELECT l.urn, l.version, l.imported_by FROM isms.library l ORDER BY l.urn$$,
    $$SELECT doc->>'urn', (doc->>'version')::integer, 'grc_admin'::text FROM pg_temp.lib ORDER BY 1$$,
    'the six libraries, at the versions of the files, imported by the login of isms_admin');
SELECT results_eq($$SELECT q.framework, count(*)::int, (count(*) FILTER (WHERE q.assessable))::int,
                           (count(*) FILTER (WHERE q.withdrawn))::int
                      FROM isms.requirement q WHERE q.framework <> 'iso27001-2022' GROUP BY 1 ORDER BY 1$$,
    $$SELECT isms.library_code(doc->'objects'->'framework'->>'urn'),
             jsonb_array_length(doc->'objects'->'framework'->'requirement_nodes'),
             (SELECT count(*)::int FROM jsonb_array_elements(doc->'objects'->'framework'->'requirement_nodes') n
               WHERE (n->>'assessable')::boolean),
             0
        FROM pg_temp.lib WHERE doc->'objects' ? 'framework' ORDER BY 1$$,
    'every node of each framework file is a requirement, assessable as the file says');
SELECT results_eq($$SELECT m.mapping_set, count(*)::int FROM isms.requirement_mapping m GROUP BY 1 ORDER BY 1$$,
    $$SELECT isms.library_code(s->>'urn'),
             (SELECT count(DISTINCT (p->>'source_requirement_urn', p->>'target_requirement_urn'))::int
                FROM jsonb_array_elements(s->'requirement_mappings') p)
        FROM pg_temp.lib, jsonb_array_elements(coalesce(doc->'objects'->'requirement_mapping_sets',
                                                       jsonb_build_array(doc->'objects'->'requirement_mapping_set'))) s
       WHERE name LIKE '%map' ORDER BY 1$$,
    'every distinct pair of each mapping set is a mapping');
SELECT is((SELECT count(*)::int FROM isms.requirement_mapping m
            WHERE NOT EXISTS (SELECT 1 FROM isms.requirement q WHERE q.framework = m.source_framework AND q.code = m.source_code)
               OR NOT EXISTS (SELECT 1 FROM isms.requirement q WHERE q.framework = m.target_framework AND q.code = m.target_code)),
    0, 'every mapping joins two requirements, the ISO/IEC 27001:2022 ends resolved to the shipped catalog');
SELECT is((SELECT format('%s controls, %s with a ref, %s to %s', count(*), count(q.ref), isms.min(q.ref), isms.max(q.ref))
            FROM isms.requirement q WHERE q.framework = 'iso27001-2013' AND q.assessable AND q.code LIKE 'A.%'),
    '114 controls, 114 with a ref, A.5.1.1 to A.18.2.3',
    'ISO/IEC 27001:2013 Annex A: 114 controls, each an isms.ref');
SELECT is((SELECT string_agg(q.code, ' ' ORDER BY q.ordinal) FROM isms.requirement q
            WHERE q.framework = 'iso27001-2013' AND q.assessable AND q.code NOT LIKE 'A.%'),
    '4.1 4.2 4.3 4.4 5.1 5.2 5.3 6.1.1 6.1.2 6.1.3 6.2 7.1 7.2 7.3 7.4 7.5.1 7.5.2 7.5.3 8.1 8.2 8.3 9.1 9.2 9.3 10.1 10.2',
    'and the 26 assessable clauses, in the library''s order');
SELECT is((SELECT count(*)::int FROM isms.soa_transition(1) WHERE is_new), 15,
    'the 2013 mapping leaves 15 controls of 2022 without a 2013 control');
CREATE TABLE pg_temp.lib22 AS SELECT :'iso22'::jsonb AS doc;
SELECT throws_ok($$SELECT * FROM isms.import_library((SELECT doc FROM pg_temp.lib22))$$, 'IS062', NULL,
    'CISO Assistant''s iso27001-2022.yaml is refused: the framework ships with isms (IS062)');
SELECT is((SELECT string_agg(DISTINCT c.change, ',') FROM pg_temp.lib, isms.import_library(doc) c), 'unchanged',
    'importing the six files again changes nothing');

------------------------------------------------------------------------------
-- Coverage

SELECT results_eq($$SELECT c.framework, count(*)::int FROM isms_report.framework_coverage c WHERE c.org_code = 'NORTHWIND' GROUP BY 1 ORDER BY 1$$,
    $$SELECT q.framework, count(*)::int FROM isms.requirement q
       WHERE q.framework <> 'iso27001-2022' AND q.assessable AND NOT q.withdrawn GROUP BY 1 ORDER BY 1$$,
    'the BI view has one row per assessable requirement of each mapped framework');
SELECT results_eq($$SELECT f, sum(s.requirements)::int, sum(s.covered)::int, sum(s.partial)::int, sum(s.gap)::int
                      FROM unnest(ARRAY['iso27001-2013', 'nist-csf-2.0', 'soc2-2017-rev-2022']) f,
                           isms.framework_coverage_summary(1, f) s GROUP BY 1 ORDER BY 1$$,
    $$SELECT c.framework, count(*)::int, (count(*) FILTER (WHERE c.verdict = 'covered'))::int,
             (count(*) FILTER (WHERE c.verdict = 'partial'))::int, (count(*) FILTER (WHERE c.verdict = 'gap'))::int
        FROM isms_report.framework_coverage c WHERE c.org_code = 'NORTHWIND' GROUP BY 1 ORDER BY 1$$,
    'the summaries per top-level node add up to the coverage');
SELECT is((SELECT count(*)::int FROM isms_report.framework_coverage WHERE verdict = 'covered' AND implemented = 0), 0,
    'no requirement is covered without an implemented control');

\if :quoted
SELECT results_eq($$SELECT framework, verdict, count(*)::int FROM isms_report.framework_coverage
                     WHERE org_code = 'NORTHWIND' GROUP BY 1, 2 ORDER BY 1, 2$$,
    $$VALUES ('iso27001-2013', 'covered', 80), ('iso27001-2013', 'gap', 17), ('iso27001-2013', 'partial', 43),
             ('nist-csf-2.0', 'covered', 41), ('nist-csf-2.0', 'gap', 12), ('nist-csf-2.0', 'partial', 53),
             ('soc2-2017-rev-2022', 'covered', 111), ('soc2-2017-rev-2022', 'gap', 66), ('soc2-2017-rev-2022', 'partial', 124)$$,
    'the README''s table: covered, partial and gap per framework on the sample');
SELECT is((SELECT count(*)::int FROM isms.framework_coverage(1, 'nist-csf-2.0') WHERE implemented > 0), 74,
    '74 of the 106 CSF subcategories are backed by an implemented ISO control');
SELECT results_eq($$SELECT node, requirements, covered, partial, gap FROM isms.framework_coverage_summary(1, 'nist-csf-2.0')$$,
    $$VALUES ('GV', 31, 3, 21, 7), ('ID', 21, 13, 6, 2), ('PR', 22, 13, 9, 0), ('DE', 11, 3, 5, 3), ('RS', 13, 6, 7, 0), ('RC', 8, 3, 5, 0)$$,
    'the README''s figures per CSF function');
SELECT results_eq($$SELECT node, requirements, covered, partial, gap FROM isms.framework_coverage_summary(1, 'iso27001-2013')$$,
    $$VALUES ('core', 26, 0, 26, 0), ('annex-a', 114, 80, 17, 17)$$,
    'ISO/IEC 27001:2013: the clauses are partial (met by operating the ISMS), 80 of the 114 controls covered');
SELECT is((SELECT string_agg(control, ' ' ORDER BY control::isms.ref) FROM isms.soa_transition(1) WHERE is_new),
    'A.5.5 A.5.6 A.5.7 A.5.14 A.5.23 A.5.30 A.7.4 A.8.9 A.8.10 A.8.11 A.8.12 A.8.16 A.8.23 A.8.28 A.8.34',
    'the README''s 15 controls shown as new: the 11 new in 2022 and 4 the mapping maps nothing to');
SELECT is((SELECT string_agg(DISTINCT controls, '; ') FROM isms.framework_coverage(1, 'nist-csf-2.0')
            WHERE verdict = 'gap' AND requirement LIKE 'GV.%'),
    'A.5.1 not implemented (intersect)', 'the 7 GOVERN gaps all come from A.5.1, not implemented in the sample');
\else
SELECT skip('the files are not the versions the README quotes', 7);
\endif

------------------------------------------------------------------------------
-- A 2013 SoA carried over: Fabrikam decided the 114 controls of 2013,
-- excluding A.11.1.6 (no delivery and loading areas) and A.14.2.7 (no
-- outsourced development), and has no 2022 SoA yet.

INSERT INTO isms.organization (code, name) VALUES ('FABRIKAM', 'Fabrikam (2013 SoA)');
CREATE FUNCTION pg_temp.fab() RETURNS bigint LANGUAGE sql STABLE AS $$SELECT org_id FROM isms.organization WHERE code = 'FABRIKAM'$$;
SELECT lives_ok($$INSERT INTO isms.soa_entry (org_id, framework, control, applicable, justification, implementation_status, owner)
    SELECT (SELECT org_id FROM isms.organization WHERE code = 'FABRIKAM'), 'iso27001-2013', q.ref,
           q.code NOT IN ('A.11.1.6', 'A.14.2.7'),
           CASE q.code WHEN 'A.11.1.6' THEN 'No delivery or loading areas: offices only'
                       WHEN 'A.14.2.7' THEN 'No software development is outsourced' END,
           CASE WHEN q.code IN ('A.11.1.6', 'A.14.2.7') THEN 'not_implemented' ELSE 'implemented' END, 'ciso'
      FROM isms.requirement q WHERE q.framework = 'iso27001-2013' AND q.assessable AND q.code LIKE 'A.%'$$,
    'a 2013 SoA of 114 entries refers to the imported 2013 controls');
SELECT results_eq($$SELECT count(*)::int, (count(*) FILTER (WHERE action IS NOT NULL))::int, (count(*) FILTER (WHERE decision = 'not decided'))::int
                      FROM isms.soa_transition(pg_temp.fab())$$,
    $$VALUES (93, 93, 93)$$, 'every 2022 control is listed, and each needs a 2022 decision');
SELECT is((SELECT count(*)::int FROM isms.soa_transition(pg_temp.fab()) WHERE is_new AND carried_over IS NULL AND control IN (
            'A.5.7', 'A.5.23', 'A.5.30', 'A.7.4', 'A.8.9', 'A.8.10', 'A.8.11', 'A.8.12', 'A.8.16', 'A.8.23', 'A.8.28')), 11,
    'the 11 controls new in ISO/IEC 27001:2022 are new, with nothing carried over');
SELECT results_eq($$SELECT control, from_decisions, carried_over FROM isms.soa_transition(pg_temp.fab()) WHERE control IN ('A.7.2', 'A.8.30')$$,
    $$VALUES ('A.7.2', 'A.11.1.2 included, A.11.1.6 excluded', 'included'), ('A.8.30', 'A.14.2.7 excluded', 'excluded')$$,
    'an exclusion carries over only when every 2013 control mapped is excluded');
\if :quoted
SELECT results_eq($$SELECT coalesce(carried_over, 'new'), count(*)::int FROM isms.soa_transition(pg_temp.fab()) GROUP BY 1 ORDER BY 1$$,
    $$VALUES ('excluded', 1), ('included', 77), ('new', 15)$$,
    'the README''s transition figures: 77 included carried over, 1 excluded, 15 new');
\else
SELECT skip('the files are not the versions the README quotes', 1);
\endif

------------------------------------------------------------------------------
-- A newer version of the 2013 library: A.11.1.6 dropped, A.12.4.1 renamed,
-- a node added

CREATE TABLE pg_temp.v2 AS
SELECT jsonb_set(jsonb_set(doc, '{version}', to_jsonb((doc->>'version')::integer + 1)),
                 '{objects,framework,requirement_nodes}',
                 (SELECT jsonb_agg(CASE WHEN n->>'ref_id' = 'A.12.4.1' THEN jsonb_set(n, '{name}', '"Event logging and review"') ELSE n END
                                   ORDER BY o)
                    FROM jsonb_array_elements(doc->'objects'->'framework'->'requirement_nodes') WITH ORDINALITY x (n, o)
                   WHERE n->>'ref_id' IS DISTINCT FROM 'A.11.1.6')
                 || jsonb_build_array(jsonb_build_object('urn', 'urn:intuitem:risk:req_node:iso27001-2013:a.12.4.5',
                        'assessable', true, 'depth', 3, 'parent_urn', 'urn:intuitem:risk:req_node:iso27001-2013:a.12.4',
                        'ref_id', 'A.12.4.5', 'name', 'Log retention'))) AS doc
  FROM pg_temp.lib WHERE name = 'iso13';
SELECT results_eq($$SELECT object, code, change, detail FROM isms.import_library((SELECT doc FROM pg_temp.v2))
                     ORDER BY 1, 2$$,
    $$SELECT * FROM (VALUES ('framework', 'iso27001-2013', 'unchanged', 'International standard ISO/IEC 27001:2013'),
                            ('library', 'urn:intuitem:risk:library:iso27001-2013', 'updated',
                             format('version %s -> %s', (SELECT doc->>'version' FROM pg_temp.lib WHERE name = 'iso13'),
                                    (SELECT doc->>'version' FROM pg_temp.v2))),
                            ('requirement', 'A.11.1.6', 'withdrawn', format('not in version %s; kept for the records that refer to it',
                                    (SELECT doc->>'version' FROM pg_temp.v2))),
                            ('requirement', 'A.12.4.1', 'updated', 'title'),
                            ('requirement', 'A.12.4.5', 'added', 'Log retention'),
                            ('requirement', NULL, 'unchanged', '198 requirements')) v (object, code, change, detail) ORDER BY 1, 2$$,
    'the change report of the newer version: the library, a node withdrawn, one updated, one added, the 198 others unchanged');
SELECT results_eq($$SELECT e.applicable, e.justification, q.withdrawn FROM isms.soa_entry e
                      JOIN isms.requirement q ON q.framework = e.framework AND q.ref OPERATOR(isms.=) e.control
                     WHERE e.org_id = pg_temp.fab() AND e.control::text = 'A.11.1.6'$$,
    $$VALUES (false, 'No delivery or loading areas: offices only', true)$$,
    'the SoA entry of the withdrawn A.11.1.6 survives, still referring to its requirement');
SELECT is((SELECT count(*)::int FROM isms.soa_entry WHERE org_id = pg_temp.fab()), 114, 'the 2013 SoA keeps its 114 entries');
SELECT is((SELECT count(*)::int FROM isms.framework_coverage(1, 'iso27001-2013')), 140,
    'coverage lists the requirements in force: 139 of version 1 and the added one');
SELECT is((SELECT title FROM isms.requirement WHERE framework = 'iso27001-2013' AND code = 'A.12.4.1'), 'Event logging and review',
    'the renamed node has its new title');
SELECT throws_ok($$SELECT * FROM isms.import_library((SELECT doc FROM pg_temp.lib WHERE name = 'iso13'))$$, 'IS061', NULL,
    'the earlier version is refused once the newer one is imported (IS061)');

-- and a newer version of the mapping: the pair of A.11.1.6 dropped, A.12.4.1 -> A.8.15 made equal
CREATE TABLE pg_temp.map3 AS
SELECT jsonb_set(jsonb_set(doc, '{version}', to_jsonb((doc->>'version')::integer + 1)),
                 '{objects,requirement_mapping_set,requirement_mappings}',
                 (SELECT jsonb_agg(CASE WHEN p->>'source_requirement_urn' LIKE '%:a.12.4.1' AND p->>'target_requirement_urn' LIKE '%:a.8.15'
                                        THEN jsonb_set(p, '{relationship}', '"equal"') ELSE p END ORDER BY o)
                    FROM jsonb_array_elements(doc->'objects'->'requirement_mapping_set'->'requirement_mappings') WITH ORDINALITY x (p, o)
                   WHERE p->>'source_requirement_urn' NOT LIKE '%:a.11.1.6')) AS doc
  FROM pg_temp.lib WHERE name = 'iso13map';
SELECT results_eq($$SELECT code, change FROM isms.import_library((SELECT doc FROM pg_temp.map3))
                     WHERE object = 'mapping' AND code IS NOT NULL ORDER BY 1$$,
    $$VALUES ('A.11.1.6 -> A.7.2', 'removed'), ('A.12.4.1 -> A.8.15', 'updated')$$,
    'the change report of the newer mapping: one pair removed, one updated');
SELECT results_eq($$SELECT control, from_decisions, carried_over FROM isms.soa_transition(pg_temp.fab()) WHERE control = 'A.7.2'$$,
    $$VALUES ('A.7.2', 'A.11.1.2 included', 'included')$$,
    'the transition follows the newer mapping');
SELECT is((SELECT relationship FROM isms.requirement_mapping WHERE mapping_set = 'iso27001-2013' AND source_code = 'A.12.4.1' AND target_code = 'A.8.15'),
    'equal', 'the updated pair has its new relationship');

-- A.11.1.6 back in a third version: reinstated
SELECT results_eq($$SELECT change FROM isms.import_library((SELECT jsonb_set(doc, '{version}', to_jsonb((doc->>'version')::integer + 2))
                                                           FROM pg_temp.lib WHERE name = 'iso13'))
                     WHERE object = 'requirement' AND code IN ('A.11.1.6', 'A.12.4.1', 'A.12.4.5') ORDER BY code$$,
    $$VALUES ('reinstated'), ('updated'), ('withdrawn')$$,
    'a third version with the original nodes: A.11.1.6 reinstated, A.12.4.1 renamed back, A.12.4.5 withdrawn');

SELECT * FROM finish();
ROLLBACK;
