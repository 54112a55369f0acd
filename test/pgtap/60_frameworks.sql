-- Frameworks beyond ISO/IEC 27001:2022: requirements of any framework, the
-- import of CISO Assistant libraries (test/libraries/*.yaml, converted by
-- tools/library2json), mappings, coverage and the 2013 -> 2022 transition.
\set ON_ERROR_STOP 1
\set csf `tools/library2json test/libraries/demo-csf.yaml`
\set csfmap `tools/library2json test/libraries/mapping-demo-csf-to-iso27001-2022.yaml`
\set iso13 `tools/library2json test/libraries/iso27001-2013-excerpt.yaml`
\set iso13map `tools/library2json test/libraries/mapping-iso27001-2013-to-iso27001-2022-excerpt.yaml`
-- the converter on a file that is not YAML, one that is not a library, and dates
\set conv_broken `printf 'urn: x\nobjects: [1,\n' | tools/library2json - 2>&1; echo "exit $?"`
\set conv_list `printf -- '- urn: x\n' | tools/library2json - 2>&1; echo "exit $?"`
\set conv_date `printf 'urn: x\npublication_date: 2024-02-26\nversion: 3\n' | tools/library2json - 2>&1; echo "exit $?"`
BEGIN;
CREATE EXTENSION isms;
SELECT plan(120);

CREATE ROLE tap_fw_admin;  GRANT isms_admin TO tap_fw_admin;
CREATE ROLE tap_fw_editor; GRANT isms_editor TO tap_fw_editor;
CREATE ROLE tap_fw_reader; GRANT isms_reader TO tap_fw_reader;
CREATE TABLE pg_temp.lib (name text PRIMARY KEY, doc jsonb);
INSERT INTO pg_temp.lib VALUES ('csf', :'csf'), ('csfmap', :'csfmap'), ('iso13', :'iso13'), ('iso13map', :'iso13map');
GRANT SELECT ON pg_temp.lib TO PUBLIC;
-- a refused import: the SQLSTATE and message, and nothing changed
CREATE FUNCTION pg_temp.refused(doc jsonb, state text, msg text, what text) RETURNS SETOF text
    LANGUAGE plpgsql AS $$
DECLARE
    before text := (SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM (
                       SELECT 'l' || l.urn || l.version AS x FROM isms.library l
                       UNION ALL SELECT 'r' || r.framework || r.code || r.title || r.withdrawn FROM isms.requirement r
                       UNION ALL SELECT 'm' || m.mapping_set || m.source_code || m.target_code FROM isms.requirement_mapping m) s);
BEGIN
    RETURN NEXT throws_like(format('SELECT * FROM isms.import_library(%L::jsonb)', doc), msg, what);
    BEGIN
        PERFORM * FROM isms.import_library(doc);
        RETURN NEXT fail(what || ': SQLSTATE ' || state);
    EXCEPTION WHEN OTHERS THEN
        RETURN NEXT is(SQLSTATE, state, what || ': SQLSTATE ' || state);
    END;
    RETURN NEXT is((SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM (
                       SELECT 'l' || l.urn || l.version AS x FROM isms.library l
                       UNION ALL SELECT 'r' || r.framework || r.code || r.title || r.withdrawn FROM isms.requirement r
                       UNION ALL SELECT 'm' || m.mapping_set || m.source_code || m.target_code FROM isms.requirement_mapping m) s),
                   before, what || ': nothing changed');
END
$$;

------------------------------------------------------------------------------
-- The converter (tools/library2json)

SELECT matches(:'conv_broken'::text, '^library2json: -: .*line 3.*exit 1$', 'a file that is not YAML: exit status 1, the reason and where');
SELECT is(:'conv_list'::text, E'library2json: -: not a library (the top level is not a mapping)\nexit 1',
    'a YAML list is not a library: exit status 1');
SELECT is(:'conv_date'::text, E'{"urn":"x","publication_date":"2024-02-26","version":3}\nexit 0', 'dates become ISO text, numbers stay numbers');

------------------------------------------------------------------------------
-- Requirements of any framework

SELECT is((SELECT count(*)::int FROM isms.requirement WHERE framework = 'iso27001-2022' AND code <> ref::text), 0,
    'the shipped requirements have their ref as code');
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE framework = 'iso27001-2022'
            AND urn = 'urn:intuitem:risk:req_node:iso27001-2022:' || lower(code)), 138,
    'the shipped requirements carry the URNs of CISO Assistant''s ISO/IEC 27001:2022 library');
SELECT results_eq($$SELECT assessable, count(*)::int FROM isms.requirement WHERE framework = 'iso27001-2022' GROUP BY 1 ORDER BY 1$$,
    $$VALUES (false, 11), (true, 127)$$, 'themes and the top-level clauses 4-10 are not assessable on their own');
SELECT lives_ok($$
    INSERT INTO isms.framework (code, title) VALUES ('hand-made', 'Hand-made catalogue');
    INSERT INTO isms.requirement (framework, ref, kind, title, theme) VALUES ('hand-made', 'P.1', 'theme', 'Access', 'access');
    INSERT INTO isms.requirement (framework, ref, kind, title, parent, theme) VALUES ('hand-made', 'P.1.1', 'control', 'Least privilege', 'P.1', 'access');
    INSERT INTO isms.requirement (framework, code, kind, title, parent_code) VALUES ('hand-made', 'P.1-X', 'node', 'Free-form id', 'P.1')$$,
    'the owner still writes requirements by ref alone, and nodes by code');
SELECT results_eq($$SELECT code, parent_code FROM isms.requirement WHERE framework = 'hand-made' ORDER BY ordinal, ref, code$$,
    $$VALUES ('P.1', NULL), ('P.1.1', 'P.1'), ('P.1-X', 'P.1')$$,
    'a requirement given by ref takes its code and parent_code from ref and parent');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, code, kind, title, theme) VALUES ('hand-made', 'X-1', 'control', 'X', 'x')$$,
    '23514', NULL, 'a clause, theme or control has a ref (23514)');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, code, kind, title, parent_code) VALUES ('hand-made', 'X-2', 'node', 'X', 'NOPE')$$,
    '23503', 'parent NOPE of requirement X-2 does not exist in framework hand-made', 'a parent code must exist (23503)');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, code, kind, title) VALUES ('hand-made', ' X-3', 'node', 'X')$$,
    '23514', NULL, 'a code has no surrounding white space (23514)');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, code, kind, title, attributes) VALUES ('hand-made', 'X-4', 'node', 'X', '[1]')$$,
    '23514', NULL, 'attributes are a JSON object (23514)');
SELECT throws_ok($$INSERT INTO isms.requirement (framework, code, kind, title) VALUES ('hand-made', 'P.1.1', 'node', 'X')$$,
    '23505', NULL, 'a code is unique in its framework (23505)');

------------------------------------------------------------------------------
-- Who may import

SET LOCAL ROLE tap_fw_reader;
SELECT throws_ok($$SELECT * FROM isms.import_library((SELECT doc FROM pg_temp.lib WHERE name = 'csf'))$$,
    '42501', 'permission denied for function import_library', 'a reader cannot import (42501)');
RESET ROLE;
SET LOCAL ROLE tap_fw_editor;
SELECT throws_ok($$SELECT * FROM isms.import_library((SELECT doc FROM pg_temp.lib WHERE name = 'csf'))$$,
    '42501', 'permission denied for function import_library', 'an editor cannot import (42501)');
RESET ROLE;

------------------------------------------------------------------------------
-- Import of a framework library and of a mapping library, as an admin

SET LOCAL ROLE tap_fw_admin;
CREATE TEMP TABLE r_csf AS SELECT * FROM isms.import_library((SELECT doc FROM pg_temp.lib WHERE name = 'csf'));
SELECT results_eq($$SELECT object, change, count(*)::int FROM r_csf GROUP BY 1, 2 ORDER BY 1, 2$$,
    $$VALUES ('framework', 'added', 1), ('library', 'added', 1), ('requirement', 'added', 12)$$,
    'an admin imports a framework library: the library, the framework and its 12 nodes are reported added');
SELECT throws_ok($$INSERT INTO isms.framework (code, title) VALUES ('x', 'X')$$,
    '42501', 'permission denied for table framework', 'the catalog tables stay read-only to the admin (42501)');
CREATE TEMP TABLE r_map AS SELECT * FROM isms.import_library((SELECT doc FROM pg_temp.lib WHERE name = 'csfmap'));
SELECT results_eq($$SELECT object, change, count(*)::int FROM r_map GROUP BY 1, 2 ORDER BY 1, 2$$,
    $$VALUES ('library', 'added', 1), ('mapping', 'added', 12), ('mapping', 'skipped', 1), ('mapping', 'total', 1), ('mapping_set', 'added', 1)$$,
    'then a mapping library: 12 mappings added, a pair listed twice skipped');
SELECT is((SELECT detail FROM r_map WHERE change = 'total'), '12 mappings in demo-csf-to-iso27001-2022', 'the total of the set');
RESET ROLE;

SELECT results_eq($$SELECT code, title, urn, library, edition, publisher FROM isms.framework WHERE code = 'demo-csf'$$,
    $$VALUES ('demo-csf', 'Demo CSF', 'urn:isms-test:risk:framework:demo-csf', 'urn:isms-test:risk:library:demo-csf', 'DEMO-CSF', 'isms tests')$$,
    'the framework is keyed by the last segment of its URN');
SELECT results_eq($$SELECT version, content, name, provider, publication_date, imported_by FROM isms.library WHERE urn = 'urn:isms-test:risk:library:demo-csf'$$,
    $$VALUES (1, 'framework', 'Demo cybersecurity framework', 'isms tests', '2026-01-15', 'tap_fw_admin')$$,
    'the library is recorded with its version and who imported it');
SELECT results_eq($$SELECT code, parent_code, ordinal, assessable FROM isms.requirement WHERE framework = 'demo-csf' ORDER BY ordinal LIMIT 4$$,
    $$VALUES ('GV', NULL, 1, false), ('GV.PO', 'GV', 2, false), ('GV.PO-01', 'GV.PO', 3, true), ('GV.PO-02', 'GV.PO', 4, true)$$,
    'ids are kept as written, with the hierarchy, the library''s order and which nodes are assessable');
SELECT is((SELECT count(*)::int FROM isms.requirement WHERE framework = 'demo-csf' AND ref IS NULL AND kind = 'node'), 12,
    'CSF-style ids are not isms.ref: ref is NULL, kind node');
SELECT results_eq($$SELECT title, description FROM isms.requirement WHERE framework = 'demo-csf' AND code IN ('GV', 'GV.PO-01') ORDER BY ordinal$$,
    $$VALUES ('GOVERN', NULL), ('A policy for managing security risks is set and communicated', 'A policy for managing security risks is set and communicated')$$,
    'the title is the name, else the description');
SELECT results_eq($$SELECT code, attributes FROM isms.requirement WHERE framework = 'demo-csf' AND attributes <> '{}' ORDER BY ordinal$$,
    $$VALUES ('GV.PO-01', '{"annotation": "Ex1: publish the policy"}'::jsonb), ('PR.AA-01', '{"implementation_groups": ["IG1", "IG2"]}'::jsonb)$$,
    'framework-specific fields are kept as attributes');
SELECT results_eq($$SELECT source_code, target_code, relationship, strength FROM isms.requirement_mapping
                     WHERE mapping_set = 'demo-csf-to-iso27001-2022' AND source_code = 'GV.PO-01' ORDER BY target_code$$,
    $$VALUES ('GV.PO-01', '5.2', 'intersect', NULL::int), ('GV.PO-01', 'A.5.1', 'subset', 8)$$,
    'mappings resolve to the shipped ISO requirements by URN, with relationship and strength');
SELECT results_eq($$SELECT source_framework, target_framework, title FROM isms.mapping_set$$,
    $$VALUES ('demo-csf', 'iso27001-2022', 'Demo CSF -> ISO/IEC 27001:2022')$$, 'the mapping set');

-- ISO-shaped ids keep their natural order and their ref
SET LOCAL ROLE tap_fw_admin;
SELECT lives_ok($$SELECT * FROM isms.import_library((SELECT doc FROM pg_temp.lib WHERE name = 'iso13'))$$, 'the 2013 excerpt imports');
SELECT lives_ok($$SELECT * FROM isms.import_library((SELECT doc FROM pg_temp.lib WHERE name = 'iso13map'))$$,
    'its mapping imports (the singular requirement_mapping_set form)');
RESET ROLE;
SELECT results_eq($$SELECT code, ref::text AS r, parent::text AS p FROM isms.requirement WHERE framework = 'iso27001-2013' ORDER BY ref$$,
    $$VALUES ('A.5', 'A.5', NULL), ('A.5.1', 'A.5.1', 'A.5'), ('A.5.1.1', 'A.5.1.1', 'A.5.1'), ('A.5.1.2', 'A.5.1.2', 'A.5.1'),
             ('A.12', 'A.12', NULL), ('A.12.4', 'A.12.4', 'A.12'), ('A.12.4.1', 'A.12.4.1', 'A.12.4'), ('A.12.4.3', 'A.12.4.3', 'A.12.4')$$,
    'ISO-shaped ids are also an isms.ref, in natural order (A.5 < A.12)');

------------------------------------------------------------------------------
-- Re-import

SET LOCAL ROLE tap_fw_admin;
SELECT results_eq($$SELECT object, change, detail FROM isms.import_library((SELECT doc FROM pg_temp.lib WHERE name = 'csf'))$$,
    $$SELECT 'library', 'unchanged', 'version 1, the same file as imported on ' || current_date$$,
    'the same file again changes nothing');
-- version 2: one title changed, PR.AA-04 gone, PR.AA-05 new
CREATE TEMP TABLE r_v2 AS SELECT * FROM isms.import_library((
    SELECT jsonb_set(jsonb_set(doc, '{version}', '2'), '{objects,framework,requirement_nodes}',
                     (SELECT jsonb_agg(CASE WHEN n->>'ref_id' = 'GV.RR-01' THEN jsonb_set(n, '{description}', '"Leaders are accountable"')
                                            WHEN n->>'ref_id' = 'PR.AA-04'
                                            THEN jsonb_build_object('urn', 'urn:isms-test:risk:req_node:demo-csf:pr.aa-05', 'assessable', true,
                                                                    'parent_urn', 'urn:isms-test:risk:req_node:demo-csf:pr.aa',
                                                                    'ref_id', 'PR.AA-05', 'description', 'Network access is controlled')
                                            ELSE n END ORDER BY i)
                        FROM jsonb_array_elements(doc->'objects'->'framework'->'requirement_nodes') WITH ORDINALITY t(n, i)))
      FROM pg_temp.lib WHERE name = 'csf'));
RESET ROLE;
SELECT results_eq($$SELECT object, code, change, detail FROM r_v2 ORDER BY object, change, code$$,
    $$VALUES ('framework', 'demo-csf', 'unchanged', 'Demo CSF'),
             ('library', 'urn:isms-test:risk:library:demo-csf', 'updated', 'version 1 -> 2'),
             ('requirement', 'PR.AA-05', 'added', 'Network access is controlled'),
             ('requirement', NULL, 'unchanged', '10 requirements'),
             ('requirement', 'GV.RR-01', 'updated', 'title; description'),
             ('requirement', 'PR.AA-04', 'withdrawn', 'not in version 2; kept for the records that refer to it')$$,
    'a newer version reports what changed: added, updated, withdrawn, and how many unchanged');
SELECT results_eq($$SELECT code, withdrawn FROM isms.requirement WHERE framework = 'demo-csf' AND code LIKE 'PR.AA-0%' ORDER BY ordinal, code$$,
    $$VALUES ('PR.AA-01', false), ('PR.AA-02', false), ('PR.AA-03', false), ('PR.AA-04', true), ('PR.AA-05', false)$$,
    'a node the new version lacks is kept, marked withdrawn');
SELECT is((SELECT version FROM isms.library WHERE urn = 'urn:isms-test:risk:library:demo-csf'), 2, 'the library is at version 2');
SELECT is((SELECT count(*)::int FROM isms.requirement_mapping WHERE mapping_set = 'demo-csf-to-iso27001-2022'), 12,
    'the mappings of the set survive the new version of its framework');

-- a 2013 SoA entry on a control the next version withdraws stays valid
INSERT INTO isms.organization (code, name) VALUES ('FW', 'Frameworks Ltd');
INSERT INTO isms.soa_entry (org_id, framework, control, applicable, implementation_status, owner) VALUES
    (1, 'iso27001-2013', 'A.5.1.1', true, 'implemented', 'ciso'),
    (1, 'iso27001-2013', 'A.12.4.3', true, 'implemented', 'ciso');
SET LOCAL ROLE tap_fw_admin;
CREATE TEMP TABLE r_13v2 AS SELECT * FROM isms.import_library((
    SELECT jsonb_set(jsonb_set(doc, '{version}', '2'), '{objects,framework,requirement_nodes}',
                     (SELECT jsonb_agg(n ORDER BY i) FROM jsonb_array_elements(doc->'objects'->'framework'->'requirement_nodes') WITH ORDINALITY t(n, i)
                       WHERE n->>'ref_id' <> 'A.12.4.3'))
      FROM pg_temp.lib WHERE name = 'iso13'));
RESET ROLE;
SELECT is((SELECT change FROM r_13v2 WHERE code = 'A.12.4.3'), 'withdrawn', 'the node a newer 2013 library lacks is withdrawn');
SELECT is((SELECT count(*)::int FROM isms.soa_entry WHERE framework = 'iso27001-2013'), 2, 'the SoA entry that refers to it is kept');
-- the order of a newer version: nodes matched by urn keep their rank
CREATE FUNCTION pg_temp.iso13_nodes(version integer, codes text[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_set(jsonb_set(doc, '{version}', to_jsonb(version)), '{objects,framework,requirement_nodes}',
                     (SELECT jsonb_agg(n ORDER BY array_position(codes, n->>'ref_id'))
                        FROM jsonb_array_elements(doc->'objects'->'framework'->'requirement_nodes') n
                       WHERE n->>'ref_id' = ANY (codes)))
      FROM pg_temp.lib WHERE name = 'iso13'$$;
SET LOCAL ROLE tap_fw_admin;
SELECT results_eq($$SELECT code, change FROM isms.import_library(pg_temp.iso13_nodes(3, '{A.5,A.5.1,A.5.1.2,A.12,A.12.4,A.12.4.1}'))
                     WHERE object = 'requirement' ORDER BY 1$$,
    $$VALUES ('A.5.1.1', 'withdrawn'), (NULL, 'unchanged')$$,
    'a node dropped shifts the positions after it, which is no change of theirs');
SELECT results_eq($$SELECT code, change, detail FROM isms.import_library(pg_temp.iso13_nodes(4, '{A.5,A.5.1,A.5.1.2,A.5.1.1,A.12,A.12.4,A.12.4.1}'))
                     WHERE object = 'requirement' ORDER BY 1$$,
    $$VALUES ('A.5.1.1', 'reinstated', ''), (NULL, 'unchanged', '6 requirements')$$,
    'a node reinstated after the others moves none of them');
SELECT results_eq($$SELECT code, change, detail FROM isms.import_library(pg_temp.iso13_nodes(5, '{A.5,A.5.1,A.5.1.1,A.5.1.2,A.12,A.12.4,A.12.4.1}'))
                     WHERE object = 'requirement' ORDER BY 1$$,
    $$VALUES ('A.5.1.1', 'updated', 'order'), ('A.5.1.2', 'updated', 'order'), (NULL, 'unchanged', '5 requirements')$$,
    'two nodes swapped are reported moved, and only they');
RESET ROLE;
SELECT is((SELECT string_agg(code, ' ' ORDER BY ordinal) FROM isms.requirement WHERE framework = 'iso27001-2013' AND NOT withdrawn),
    'A.5 A.5.1 A.5.1.1 A.5.1.2 A.12 A.12.4 A.12.4.1', 'the library''s latest order is kept');

-- a mapping set re-imported reports added, removed and changed pairs
SET LOCAL ROLE tap_fw_admin;
SELECT results_eq($$SELECT code, change, detail FROM isms.import_library((
    SELECT jsonb_set(jsonb_set(doc, '{version}', '2'), '{objects,requirement_mapping_sets,0,requirement_mappings}',
                     (SELECT jsonb_agg(CASE WHEN m->>'target_requirement_urn' LIKE '%:a.5.36' THEN jsonb_set(m, '{relationship}', '"subset"')
                                            ELSE m END ORDER BY i)
                        FROM jsonb_array_elements(doc->'objects'->'requirement_mapping_sets'->0->'requirement_mappings') WITH ORDINALITY t(m, i)
                       WHERE m->>'target_requirement_urn' NOT LIKE '%:a.7.4')
                     || '[{"source_requirement_urn": "urn:isms-test:risk:req_node:demo-csf:pr.aa-05", "target_requirement_urn": "urn:intuitem:risk:req_node:iso27001-2022:a.8.20", "relationship": "equal"}]')
      FROM pg_temp.lib WHERE name = 'csfmap')) WHERE object = 'mapping' AND code IS NOT NULL ORDER BY 1$$,
    $$VALUES ('GV.PO-02 -> A.5.36', 'updated', 'relationship intersect -> subset'),
             ('PR.AA-03 -> A.7.4', 'removed', 'not_related'),
             ('PR.AA-05 -> A.8.20', 'added', 'equal')$$,
    'a newer mapping library reports the pairs added, removed and changed');
RESET ROLE;

------------------------------------------------------------------------------
-- Refusals: IS060 names the node, IS061 an older version, IS062 a shipped
-- framework; nothing is imported

SET LOCAL ROLE tap_fw_admin;
SELECT pg_temp.refused('[1]', 'IS060', 'library (no urn): not a library: the document is not an object', 'not an object');
SELECT pg_temp.refused('{"name": "x", "version": 1, "objects": {}}', 'IS060', 'library (no urn): the library has no urn', 'no urn');
SELECT pg_temp.refused('{"urn": "urn:t:lib:x", "name": "x", "version": "one", "objects": {}}', 'IS060',
    'library urn:t:lib:x: the library has no version (a whole number)', 'a version that is not a number');
SELECT pg_temp.refused('{"urn": "urn:t:lib:x", "name": "x", "version": 1, "objects": {"threats": []}}', 'IS060',
    'library urn:t:lib:x: the library holds neither a framework nor requirement mapping sets', 'nothing to import');
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{version}', '9'), '{objects,framework,requirement_nodes,3}', '{"ref_id": "GV.PO-02", "assessable": true}'),
    'IS060', 'library urn:isms-test:risk:library:demo-csf: requirement node 4 has no urn', 'a node without urn')
  FROM pg_temp.lib WHERE name = 'csf';
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{version}', '9'), '{objects,framework,requirement_nodes,3,urn}', '"urn:isms-test:risk:req_node:demo-csf:gv.po-01"'),
    'IS060', 'library urn:isms-test:risk:library:demo-csf: requirement node 4 (urn:isms-test:risk:req_node:demo-csf:gv.po-01) repeats an urn', 'a repeated urn')
  FROM pg_temp.lib WHERE name = 'csf';
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{version}', '9'), '{objects,framework,requirement_nodes,2,parent_urn}', '"urn:isms-test:risk:req_node:demo-csf:nowhere"'),
    'IS060', 'library urn:isms-test:risk:library:demo-csf: requirement node 3 (urn:isms-test:risk:req_node:demo-csf:gv.po-01): parent urn:isms-test:risk:req_node:demo-csf:nowhere is not a node listed before it',
    'a parent that is not in the file')
  FROM pg_temp.lib WHERE name = 'csf';
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{version}', '9'), '{objects,framework,requirement_nodes,2,assessable}', '"yes"'),
    'IS060', 'library urn:isms-test:risk:library:demo-csf: requirement node 3 (urn:isms-test:risk:req_node:demo-csf:gv.po-01) has a field of the wrong type',
    'assessable that is not a boolean')
  FROM pg_temp.lib WHERE name = 'csf';
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{version}', '9'), '{objects,framework,requirement_nodes,2}', '{"urn": "urn:isms-test:risk:req_node:demo-csf:x"}'),
    'IS060', 'library urn:isms-test:risk:library:demo-csf: requirement node 3 (urn:isms-test:risk:req_node:demo-csf:x) has neither ref_id, name nor description',
    'a node without a title')
  FROM pg_temp.lib WHERE name = 'csf';
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{version}', '9'), '{objects,requirement_mapping_sets,0,requirement_mappings,1,relationship}', '"overlaps"'),
    'IS060', 'library urn:isms-test:risk:library:mapping-demo-csf-to-iso27001-2022: mapping 2 of set urn:isms-test:risk:req_mapping_set:demo-csf-to-iso27001-2022 (urn:isms-test:risk:req_node:demo-csf:gv.po-01 -> urn:intuitem:risk:req_node:iso27001-2022:a.5.1): relationship overlaps is not one of equal, subset, superset, intersect, not_related',
    'an unknown relationship')
  FROM pg_temp.lib WHERE name = 'csfmap';
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{version}', '9'), '{objects,requirement_mapping_sets,0,requirement_mappings,1,target_requirement_urn}', '"urn:intuitem:risk:req_node:iso27001-2022:a.9.9"'),
    'IS060', 'library urn:isms-test:risk:library:mapping-demo-csf-to-iso27001-2022: mapping 2 of set urn:isms-test:risk:req_mapping_set:demo-csf-to-iso27001-2022: target requirement urn:intuitem:risk:req_node:iso27001-2022:a.9.9 is not a node of framework iso27001-2022',
    'a target that is not in the catalog')
  FROM pg_temp.lib WHERE name = 'csfmap';
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{version}', '9'), '{objects,requirement_mapping_sets,0,requirement_mappings,0,source_requirement_urn}', '"urn:isms-test:risk:req_node:demo-csf:zz"'),
    'IS060', 'library urn:isms-test:risk:library:mapping-demo-csf-to-iso27001-2022: mapping 1 of set urn:isms-test:risk:req_mapping_set:demo-csf-to-iso27001-2022: source requirement urn:isms-test:risk:req_node:demo-csf:zz is not a node of framework demo-csf',
    'a source that is not in the catalog')
  FROM pg_temp.lib WHERE name = 'csfmap';
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{version}', '9'), '{objects,requirement_mapping_sets,0,source_framework_urn}', '"urn:x:risk:framework:soc2"'),
    'IS060', 'library urn:isms-test:risk:library:mapping-demo-csf-to-iso27001-2022: mapping set urn:isms-test:risk:req_mapping_set:demo-csf-to-iso27001-2022: source framework urn:x:risk:framework:soc2 is not in the catalog',
    'a mapping from a framework not imported')
  FROM pg_temp.lib WHERE name = 'csfmap';
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{version}', '9'), '{objects,requirement_mapping_sets,0,requirement_mappings,0,strength_of_relationship}', '"strong"'),
    'IS060', 'library urn:isms-test:risk:library:mapping-demo-csf-to-iso27001-2022: mapping 1 of set urn:isms-test:risk:req_mapping_set:demo-csf-to-iso27001-2022 (urn:isms-test:risk:req_node:demo-csf:gv.po-01 -> urn:intuitem:risk:req_node:iso27001-2022:5.2): strength_of_relationship is not a whole number',
    'a strength that is not a number')
  FROM pg_temp.lib WHERE name = 'csfmap';
SELECT pg_temp.refused(jsonb_set(doc, '{version}', '1'), 'IS061',
    'library urn:isms-test:risk:library:demo-csf: version 1 is older than version 2, imported on ' || current_date, 'an older version')
  FROM pg_temp.lib WHERE name = 'csf';
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{urn}', '"urn:t:lib:iso"'), '{objects,framework,urn}', '"urn:intuitem:risk:framework:iso27001-2022"'),
    'IS062', 'library urn:t:lib:iso: framework iso27001-2022 is shipped with the extension', 'the library of a shipped framework')
  FROM pg_temp.lib WHERE name = 'csf';
SELECT pg_temp.refused(jsonb_set(jsonb_set(doc, '{urn}', '"urn:t:lib:other"'), '{objects,framework,urn}', '"urn:t:risk:framework:hand-made"'),
    'IS060', 'library urn:t:lib:other: framework code hand-made is taken', 'a framework code taken by a hand-made framework')
  FROM pg_temp.lib WHERE name = 'csf';
RESET ROLE;

-- the import's scratch table is its own: one the caller made first is refused
SET LOCAL ROLE tap_fw_admin;
CREATE TEMP TABLE isms_import_node (i integer);
SELECT throws_ok($$SELECT * FROM isms.import_library((SELECT jsonb_set(doc, '{version}', '3') FROM pg_temp.lib WHERE name = 'csf'))$$,
    '42P07', NULL, 'a temporary table the caller made under the import''s scratch name is never used (42P07)');
DROP TABLE pg_temp.isms_import_node;
RESET ROLE;
SELECT ok((SELECT prosecdef AND proconfig = '{"search_path=pg_catalog, pg_temp"}' FROM pg_proc WHERE oid = 'isms.library_import(jsonb, text)'::regprocedure),
    'the import proper is SECURITY DEFINER with search_path = pg_catalog, pg_temp');
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                 WHERE p.oid IN ('isms.library_code(text)'::regprocedure, 'isms.library_refused(text, text, text, text)'::regprocedure,
                                 'isms.library_import(jsonb, text)'::regprocedure, 'isms.import_library(jsonb)'::regprocedure,
                                 'isms.framework_coverage(bigint, text)'::regprocedure,
                                 'isms.framework_coverage_summary(bigint, text, integer)'::regprocedure,
                                 'isms.soa_transition(bigint, text)'::regprocedure,
                                 'isms.requirement_defaults()'::regprocedure)
                   AND p.proconfig IS DISTINCT FROM '{"search_path=pg_catalog, pg_temp"}'
                 ORDER BY 1),
    '{}'::text[], 'the new functions and triggers pin search_path = pg_catalog, pg_temp (pg_temp last)');
SELECT is(ARRAY(SELECT r FROM unnest(ARRAY['isms_reader', 'isms_auditor', 'isms_editor', 'isms_admin']) r
                 WHERE has_function_privilege(r, 'isms.import_library(jsonb)', 'EXECUTE')
                    OR has_function_privilege(r, 'isms.library_import(jsonb, text)', 'EXECUTE')),
    '{isms_admin}', 'only isms_admin may import');
SELECT ok(NOT has_function_privilege('public', 'isms.import_library(jsonb)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'isms.library_import(jsonb, text)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'isms.framework_coverage(bigint, text)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'isms.soa_transition(bigint, text)', 'EXECUTE')
          AND NOT has_table_privilege('public', 'isms.requirement_mapping', 'SELECT'),
    'nothing new is granted to PUBLIC');
SELECT is(ARRAY(SELECT c FROM unnest(ARRAY['isms.library', 'isms.mapping_set', 'isms.requirement_mapping']) c
                 WHERE has_table_privilege('isms_admin', c, 'INSERT') OR has_table_privilege('isms_admin', c, 'UPDATE')
                    OR has_table_privilege('isms_admin', c, 'DELETE') OR has_table_privilege('isms_admin', c, 'TRUNCATE')),
    '{}'::text[], 'the library and mapping tables are read-only to every isms role');

------------------------------------------------------------------------------
-- Coverage: organisation 1 (Frameworks Ltd), hand-computed

INSERT INTO isms.soa_entry (org_id, control, applicable, implementation_status, owner, justification) VALUES
    (1, 'A.5.1', true, 'implemented', 'ciso', NULL),
    (1, 'A.5.16', true, 'implemented', 'ciso', NULL),
    (1, 'A.5.17', true, 'partially_implemented', 'ciso', NULL),
    (1, 'A.5.15', true, 'implemented', 'ciso', NULL),
    (1, 'A.8.2', false, 'not_implemented', 'ciso', 'no privileged accounts'),
    (1, 'A.7.2', true, 'planned', 'ciso', NULL),
    (1, 'A.8.15', true, 'implemented', 'ciso', NULL),
    (1, 'A.8.20', true, 'not_implemented', 'ciso', NULL);
INSERT INTO isms.evidence (org_id, record_table, record_id, url, collected_at)
SELECT 1, 'isms.soa_entry', e.id, 'https://intranet/evidence/' || e.control, t
  FROM isms.soa_entry e, (VALUES (timestamptz '2026-01-10 10:00+00'), ('2026-03-01 10:00+00')) v(t)
 WHERE e.framework = 'iso27001-2022' AND e.control::text IN ('A.5.1', 'A.5.16');

SELECT results_eq($$SELECT requirement, top_level, mapped_controls, implemented, partially_implemented, not_implemented,
                            excluded, not_decided, evidence_items, verdict
                       FROM isms.framework_coverage(1, 'demo-csf')$$,
    $$VALUES ('GV.PO-01', 'GV', 1, 1, 0, 0, 0, 0, 2, 'covered'),
             ('GV.PO-02', 'GV', 2, 1, 0, 0, 0, 1, 2, 'partial'),
             ('GV.RR-01', 'GV', 0, 0, 0, 0, 0, 0, 0, 'partial'),
             ('PR.AA-01', 'PR', 2, 1, 1, 0, 0, 0, 2, 'partial'),
             ('PR.AA-02', 'PR', 2, 1, 0, 0, 1, 0, 0, 'covered'),
             ('PR.AA-03', 'PR', 1, 0, 0, 1, 0, 0, 0, 'gap'),
             ('PR.AA-05', 'PR', 1, 0, 0, 1, 0, 0, 0, 'gap')$$,
    'coverage of the demo framework, requirement by requirement, in the library''s order (PR.AA-04 withdrawn)');
SELECT results_eq($$SELECT requirement, basis FROM isms.framework_coverage(1, 'demo-csf')$$,
    $$VALUES ('GV.PO-01', 'implemented and equal to or containing the requirement: A.5.1 (contains it)'),
             ('GV.PO-02', '1 of 2 mapped controls implemented, 0 partially; 0 not implemented or planned, 1 not decided, 0 excluded'),
             ('GV.RR-01', 'mapped to clauses only (5.1, 5.3): met by operating the ISMS, not by an SoA decision'),
             ('PR.AA-01', '1 of 2 mapped controls implemented, 1 partially; 0 not implemented or planned, 0 not decided, 0 excluded'),
             ('PR.AA-02', 'every mapped control the SoA does not exclude is implemented (1 of 2)'),
             ('PR.AA-03', 'none of the 1 mapped controls is implemented: 1 not implemented or planned, 0 not decided, 0 excluded'),
             ('PR.AA-05', 'none of the 1 mapped controls is implemented: 1 not implemented or planned, 0 not decided, 0 excluded')$$,
    'each verdict states the rule that gave it');
SELECT results_eq($$SELECT controls, clauses, latest_evidence_at FROM isms.framework_coverage(1, 'demo-csf') WHERE requirement IN ('GV.PO-02', 'PR.AA-02', 'GV.RR-01')$$,
    $$VALUES ('A.5.1 implemented (intersect), A.5.36 not decided (subset)', NULL, timestamptz '2026-03-01 10:00+00'),
             (NULL, '5.1, 5.3', NULL),
             ('A.5.15 implemented (intersect), A.8.2 excluded (intersect)', NULL, NULL)$$,
    'the mapped controls with their state and relationship, the mapped clauses and the latest evidence');
SELECT results_eq($$SELECT * FROM isms.framework_coverage_summary(1, 'demo-csf')$$,
    $$VALUES ('GV', 'GOVERN', 3, 1, 2, 0, 0.333), ('PR', 'PROTECT', 4, 1, 1, 2, 0.250)$$,
    'the summary per top-level node (function)');
SELECT results_eq($$SELECT node, requirements, covered, partial, gap FROM isms.framework_coverage_summary(1, 'demo-csf', 2)$$,
    $$VALUES ('GV.PO', 2, 1, 1, 0), ('GV.RR', 1, 0, 1, 0), ('PR.AA', 4, 1, 1, 2)$$,
    'the summary per category');
-- a mapping from ISO to the framework counts too, subset and superset swapped
INSERT INTO isms.library (urn, name, version, content, sha256) VALUES ('urn:t:lib:rev', 'Reverse', 1, 'mapping', 'x');
INSERT INTO isms.mapping_set (code, urn, title, source_framework, target_framework, library)
VALUES ('rev', 'urn:t:set:rev', 'ISO -> demo', 'iso27001-2022', 'demo-csf', 'urn:t:lib:rev');
INSERT INTO isms.requirement_mapping VALUES ('rev', 'iso27001-2022', 'A.8.15', 'demo-csf', 'PR.AA-03', 'superset', NULL, NULL);
SELECT results_eq($$SELECT verdict, controls FROM isms.framework_coverage(1, 'demo-csf') WHERE requirement = 'PR.AA-03'$$,
    $$VALUES ('covered', 'A.7.2 planned (intersect), A.8.15 implemented (subset)')$$,
    'a mapping from ISO/IEC 27001:2022 to the framework counts, its superset read as the requirement being a subset');
DELETE FROM isms.mapping_set WHERE code = 'rev';
DELETE FROM isms.library WHERE urn = 'urn:t:lib:rev';

SELECT throws_ok($$SELECT * FROM isms.framework_coverage(1, 'nist-csf-9')$$, '22023', 'invalid argument framework: no such framework',
    'an unknown framework (22023)');
SELECT throws_ok($$SELECT * FROM isms.framework_coverage(1, 'iso27001-2022')$$, '22023',
    'invalid argument framework: coverage is of another framework by ISO/IEC 27001:2022', 'ISO/IEC 27001:2022 itself (22023)');
SELECT throws_ok($$SELECT * FROM isms.framework_coverage(1, 'hand-made')$$, '22023',
    'invalid argument framework: no mapping set links it to iso27001-2022', 'a framework without a mapping (22023)');
SELECT throws_ok($$SELECT * FROM isms.framework_coverage(99, 'demo-csf')$$, '22023', NULL, 'an unknown organisation (22023)');
SELECT throws_ok($$SELECT * FROM isms.framework_coverage_summary(1, 'demo-csf', 0)$$, '22023',
    'invalid argument level: a depth from 1 (top level) to 10 is required', 'a level below 1 (22023)');

-- the BI view, through row-level security
INSERT INTO isms.organization (code, name) VALUES ('OTHER', 'Other Ltd');
INSERT INTO isms.membership (org_id, role_name) VALUES (1, 'tap_fw_reader');
SET LOCAL ROLE tap_fw_reader;
SELECT results_eq($$SELECT framework, verdict, count(*)::int FROM isms_report.framework_coverage GROUP BY 1, 2 ORDER BY 1, 2$$,
    $$VALUES ('demo-csf', 'covered', 2), ('demo-csf', 'gap', 2), ('demo-csf', 'partial', 3),
             ('iso27001-2013', 'covered', 3)$$,
    'the BI view: a reader sees the coverage of its organisation only, for every mapped framework');
SELECT is((SELECT count(DISTINCT org_id)::int FROM isms_report.framework_coverage), 1, 'one organisation visible');
SELECT throws_ok($$SELECT * FROM isms.framework_coverage(2, 'demo-csf')$$, '22023', NULL,
    'a reader gets no coverage of an organisation it is not a member of (22023)');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM isms_report.framework_coverage WHERE org_id = 2 AND verdict = 'gap'), 9,
    'an organisation without an SoA has gaps only, but for the clause-only requirement (6 demo and 3 2013 requirements)');

------------------------------------------------------------------------------
-- 2013 -> 2022 transition

SELECT results_eq($$SELECT control, from_controls, from_decisions, carried_over, decision, is_new
                       FROM isms.soa_transition(1) WHERE control IN ('A.5.1', 'A.8.15', 'A.5.7')$$,
    $$VALUES ('A.5.1', 'A.5.1.1, A.5.1.2', 'A.5.1.1 included, A.5.1.2 not decided', 'included', 'included', false),
             ('A.5.7', NULL, NULL, NULL, 'not decided', true),
             ('A.8.15', 'A.12.4.1, A.12.4.3', 'A.12.4.1 not decided, A.12.4.3 included', 'included', 'included', false)$$,
    'each 2022 control with the 2013 controls mapped to it and their decisions');
SELECT is((SELECT count(*)::int FROM isms.soa_transition(1)), 93, 'every 2022 control is listed');
SELECT is((SELECT action FROM isms.soa_transition(1) WHERE control = 'A.5.7'), 'New in 2022: decide it in the SoA (isms.soa_entry)',
    'a control nothing maps to is new and undecided: the action says so');
SELECT is((SELECT action FROM isms.soa_transition(2) WHERE control = 'A.5.1'),
    'Decide it in the SoA: the 2013 controls it comes from were not decided either', 'without a 2013 SoA either');
SELECT throws_ok($$SELECT * FROM isms.soa_transition(1, 'demo-nothing')$$, '22023',
    'invalid argument from_framework: no mapping set links it to iso27001-2022', 'a framework without a mapping (22023)');

-- pg_dump registration
SELECT is(ARRAY(SELECT c.relname::text FROM pg_extension e, unnest(e.extconfig) x(oid) JOIN pg_class c ON c.oid = x.oid
                 WHERE e.extname = 'isms' AND c.relname IN ('library', 'mapping_set', 'requirement_mapping') ORDER BY 1),
    '{library,mapping_set,requirement_mapping}', 'imported libraries and mappings are saved by pg_dump');

SELECT * FROM finish();
ROLLBACK;
