-- Framework libraries: the import of CISO Assistant's library format
-- (frameworks with their requirement nodes, and requirement mapping sets)
-- and the mappings between frameworks.
--
-- A library file is YAML; tools/library2json turns it into JSON, and
-- isms.import_library(jsonb) loads it in one statement: a file that breaks a
-- rule raises IS060 naming the node and changes nothing.  A newer version of
-- a library already imported updates it in place: nodes are matched by URN,
-- a node the new version lacks is kept as withdrawn (the registers may refer
-- to it), and the mappings of a set are replaced; the result lists every
-- change.  The catalog stays read-only to every role: isms_admin imports
-- through the function, which runs as the extension owner.

CREATE TABLE isms.library (
    urn         text PRIMARY KEY CONSTRAINT library_urn_format CHECK (urn ~ '^urn:[A-Za-z0-9]'),
    ref_id      text,
    name        text NOT NULL CONSTRAINT library_name_given CHECK (btrim(name) <> ''),
    version     integer NOT NULL CONSTRAINT library_version_range CHECK (version >= 0),
    content     text NOT NULL CONSTRAINT library_content_values CHECK (content IN ('framework', 'mapping')),
    provider    text,
    packager    text,
    publication_date text,
    copyright   text,
    description text,
    sha256      text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    imported_by text NOT NULL DEFAULT isms.current_actor()
);
COMMENT ON TABLE isms.library IS
    'Catalog (4.2, 6.1.3): the framework and mapping libraries imported by isms.import_library, one row per library at its latest imported version';
COMMENT ON COLUMN isms.library.urn IS 'URN of the library, such as urn:intuitem:risk:library:nist-csf-2.0';
COMMENT ON COLUMN isms.library.ref_id IS 'Short identifier the library gives itself';
COMMENT ON COLUMN isms.library.name IS 'Name of the library';
COMMENT ON COLUMN isms.library.version IS 'Version of the library last imported; an older one is refused (IS061)';
COMMENT ON COLUMN isms.library.content IS 'framework (a framework and its requirement nodes) or mapping (requirement mapping sets)';
COMMENT ON COLUMN isms.library.provider IS 'Who wrote the content, such as NIST or ISO/IEC';
COMMENT ON COLUMN isms.library.packager IS 'Who packaged it as a library, such as intuitem';
COMMENT ON COLUMN isms.library.publication_date IS 'Publication date the library states, as written';
COMMENT ON COLUMN isms.library.copyright IS 'Copyright notice of the library';
COMMENT ON COLUMN isms.library.description IS 'Description of the library';
COMMENT ON COLUMN isms.library.sha256 IS 'SHA-256 of the imported JSON (jsonb text form): an unchanged file re-imported changes nothing';
COMMENT ON COLUMN isms.library.imported_at IS 'When the library was last imported';
COMMENT ON COLUMN isms.library.imported_by IS 'Who imported it: isms.actor, else the database user';

ALTER TABLE isms.framework
    ADD CONSTRAINT framework_library_fkey FOREIGN KEY (library) REFERENCES isms.library (urn);

CREATE TABLE isms.mapping_set (
    code        text PRIMARY KEY CONSTRAINT mapping_set_code_format CHECK (code ~ '^[a-z0-9][a-z0-9._-]*$'),
    urn         text NOT NULL CONSTRAINT mapping_set_urn_key UNIQUE,
    title       text NOT NULL CONSTRAINT mapping_set_title_given CHECK (btrim(title) <> ''),
    description text,
    source_framework text NOT NULL REFERENCES isms.framework (code),
    target_framework text NOT NULL REFERENCES isms.framework (code),
    library     text NOT NULL REFERENCES isms.library (urn),
    CONSTRAINT mapping_set_two_frameworks CHECK (source_framework <> target_framework),
    CONSTRAINT mapping_set_frameworks_key UNIQUE (code, source_framework, target_framework)
);
COMMENT ON TABLE isms.mapping_set IS
    'Catalog (4.2, 6.1.3 c): sets of requirement mappings from one framework to another, such as NIST CSF 2.0 to ISO/IEC 27001:2022';
COMMENT ON COLUMN isms.mapping_set.code IS 'Short lower-case key of the set, from its URN, such as nist-csf-2.0-to-iso27001-2022';
COMMENT ON COLUMN isms.mapping_set.urn IS 'URN of the set, such as urn:intuitem:risk:req_mapping_set:nist-csf-2.0-to-iso27001-2022';
COMMENT ON COLUMN isms.mapping_set.title IS 'Name of the set';
COMMENT ON COLUMN isms.mapping_set.description IS 'Description of the set';
COMMENT ON COLUMN isms.mapping_set.source_framework IS 'Framework the mappings start from';
COMMENT ON COLUMN isms.mapping_set.target_framework IS 'Framework the mappings point to';
COMMENT ON COLUMN isms.mapping_set.library IS 'Library the set was imported from';

CREATE TABLE isms.requirement_mapping (
    mapping_set text NOT NULL,
    source_framework text NOT NULL,
    source_code text NOT NULL,
    target_framework text NOT NULL,
    target_code text NOT NULL,
    relationship text NOT NULL CONSTRAINT requirement_mapping_relationship_values
                CHECK (relationship IN ('equal', 'subset', 'superset', 'intersect', 'not_related')),
    strength    integer CONSTRAINT requirement_mapping_strength_range CHECK (strength >= 0),
    rationale   text,
    PRIMARY KEY (mapping_set, source_code, target_code),
    FOREIGN KEY (mapping_set, source_framework, target_framework)
        REFERENCES isms.mapping_set (code, source_framework, target_framework) ON DELETE CASCADE,
    FOREIGN KEY (source_framework, source_code) REFERENCES isms.requirement (framework, code),
    FOREIGN KEY (target_framework, target_code) REFERENCES isms.requirement (framework, code)
);
CREATE INDEX requirement_mapping_source_idx ON isms.requirement_mapping (source_framework, source_code);
CREATE INDEX requirement_mapping_target_idx ON isms.requirement_mapping (target_framework, target_code);
COMMENT ON TABLE isms.requirement_mapping IS
    'Catalog (4.2, 6.1.3 c): how a requirement of one framework relates to one of another (CISO Assistant''s requirement mappings)';
COMMENT ON COLUMN isms.requirement_mapping.mapping_set IS 'Set the mapping belongs to';
COMMENT ON COLUMN isms.requirement_mapping.source_framework IS 'Framework of the source requirement (the set''s source framework)';
COMMENT ON COLUMN isms.requirement_mapping.source_code IS 'Source requirement, such as GV.OC-01';
COMMENT ON COLUMN isms.requirement_mapping.target_framework IS 'Framework of the target requirement (the set''s target framework)';
COMMENT ON COLUMN isms.requirement_mapping.target_code IS 'Target requirement, such as A.5.1';
COMMENT ON COLUMN isms.requirement_mapping.relationship IS 'The source is equal to, a subset of, a superset of, intersects or is not related to the target';
COMMENT ON COLUMN isms.requirement_mapping.strength IS 'Strength of the relationship as the library grades it (strength_of_relationship); NULL when not given';
COMMENT ON COLUMN isms.requirement_mapping.rationale IS 'Why the requirements are related, as the library says';

-- The shipped ISO/IEC 27001:2022 catalog under the URNs CISO Assistant's
-- libraries use for it, so that their mappings resolve to it.
UPDATE isms.framework SET urn = 'urn:intuitem:risk:framework:iso27001-2022'
 WHERE code = 'iso27001-2022' AND shipped;
UPDATE isms.requirement
   SET urn = 'urn:intuitem:risk:req_node:iso27001-2022:' || lower(code),
       assessable = NOT (kind = 'theme' OR (kind = 'clause' AND parent IS NULL))
 WHERE framework = 'iso27001-2022' AND shipped;

------------------------------------------------------------------------------
-- The import.

CREATE FUNCTION isms.library_code(urn text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT nullif(regexp_replace(regexp_replace(lower(substring($1 FROM '[^:]*$')), '[^a-z0-9._-]+', '-', 'g'),
                                 '^[^a-z0-9]+', ''), '')
$$;
COMMENT ON FUNCTION isms.library_code(text) IS
    'The catalog key made from a library URN: its last segment, lower-case, other characters than a-z 0-9 . _ - replaced by -, such as nist-csf-2.0 from urn:intuitem:risk:framework:nist-csf-2.0';

CREATE FUNCTION isms.library_refused(lib text, problem text, detail text, hint text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'library %: %', coalesce(lib, '(no urn)'), problem
        USING ERRCODE = 'IS060', DETAIL = detail,
              HINT = coalesce(hint, 'Fix the library file (CISO Assistant''s library format) and import it again; nothing was imported.');
END
$$;
COMMENT ON FUNCTION isms.library_refused(text, text, text, text) IS
    'Raises IS060 for a library that breaks a rule of the format: the message names the library and the node, the detail gives the facts';

-- The import proper runs as the extension owner; isms.import_library (below)
-- calls it with the acting person, whom a SECURITY DEFINER function cannot
-- see.
CREATE FUNCTION isms.library_import(library jsonb, actor text)
RETURNS TABLE (object text, code text, change text, detail text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    lib constant jsonb := $1;
    who constant text := coalesce($2, session_user::text);
    lib_urn text;
    lib_version integer;
    old isms.library;
    fw jsonb;
    fw_code text;
    fw_row isms.framework;
    nodes jsonb;
    sets jsonb;
    ms jsonb;
    ms_i integer;
    ms_code text;
    src_fw isms.framework;
    tgt_fw isms.framework;
    maps jsonb;
    bad record;
    n integer;
    digest text;
    kind_of text;
BEGIN
    ------------------------------------------------------------------
    -- the library itself
    IF lib IS NULL OR jsonb_typeof(lib) <> 'object' THEN
        PERFORM isms.library_refused(NULL, 'not a library: the document is not an object',
            format('The JSON value is of type %s.', coalesce(jsonb_typeof(lib), 'NULL')),
            'Convert the YAML file with tools/library2json and pass its output.');
    END IF;
    lib_urn := lib->>'urn';
    IF jsonb_typeof(lib->'urn') IS DISTINCT FROM 'string' OR lib_urn !~ '^urn:[A-Za-z0-9]' THEN
        PERFORM isms.library_refused(NULL, 'the library has no urn',
            format('urn = %s.', coalesce((lib->'urn')::text, 'missing')), NULL);
    END IF;
    IF jsonb_typeof(lib->'name') IS DISTINCT FROM 'string' OR btrim(lib->>'name') = '' THEN
        PERFORM isms.library_refused(lib_urn, 'the library has no name',
            format('name = %s.', coalesce((lib->'name')::text, 'missing')), NULL);
    END IF;
    IF jsonb_typeof(lib->'version') IS DISTINCT FROM 'number' OR (lib->>'version') !~ '^[0-9]{1,9}$' THEN
        PERFORM isms.library_refused(lib_urn, 'the library has no version (a whole number)',
            format('version = %s.', coalesce((lib->'version')::text, 'missing')), NULL);
    END IF;
    lib_version := (lib->>'version')::integer;
    IF jsonb_typeof(lib->'objects') IS DISTINCT FROM 'object' THEN
        PERFORM isms.library_refused(lib_urn, 'the library has no objects',
            format('objects = %s.', coalesce(left((lib->'objects')::text, 80), 'missing')), NULL);
    END IF;
    fw := lib->'objects'->'framework';
    sets := coalesce(lib->'objects'->'requirement_mapping_sets',
                     CASE WHEN lib->'objects' ? 'requirement_mapping_set'
                          THEN jsonb_build_array(lib->'objects'->'requirement_mapping_set') END);
    IF fw IS NULL AND sets IS NULL THEN
        PERFORM isms.library_refused(lib_urn, 'the library holds neither a framework nor requirement mapping sets',
            format('objects has: %s.', (SELECT coalesce(string_agg(k, ', ' ORDER BY k), 'nothing')
                                          FROM jsonb_object_keys(lib->'objects') k)),
            'Only framework and mapping libraries are imported; reference controls, threats and risk matrices are not.');
    END IF;
    IF fw IS NOT NULL AND sets IS NOT NULL THEN
        PERFORM isms.library_refused(lib_urn, 'the library holds both a framework and requirement mapping sets',
            'A library is either a framework library or a mapping library.', NULL);
    END IF;
    kind_of := CASE WHEN fw IS NOT NULL THEN 'framework' ELSE 'mapping' END;
    digest := encode(sha256(convert_to(lib::text, 'UTF8')), 'hex');

    SELECT * INTO old FROM isms.library l WHERE l.urn = lib_urn;
    IF FOUND THEN
        IF old.version > lib_version THEN
            RAISE EXCEPTION 'library %: version % is older than version %, imported on %',
                    lib_urn, lib_version, old.version, old.imported_at::date
                USING ERRCODE = 'IS061',
                      DETAIL = format('isms.library holds version %s, imported by %s.', old.version, old.imported_by),
                      HINT = 'Import the same or a newer version of the library; nothing was imported.';
        END IF;
        IF old.content <> kind_of THEN
            PERFORM isms.library_refused(lib_urn, format('the library held a %s, this file a %s', old.content, kind_of),
                'A library keeps its kind from one version to the next.', NULL);
        END IF;
        IF old.sha256 = digest THEN
            object := 'library'; code := lib_urn; change := 'unchanged';
            detail := format('version %s, the same file as imported on %s', lib_version, old.imported_at::date);
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;

    INSERT INTO isms.library AS l (urn, ref_id, name, version, content, provider, packager, publication_date,
                                   copyright, description, sha256, imported_by)
    VALUES (lib_urn, lib->>'ref_id', btrim(lib->>'name'), lib_version, kind_of, lib->>'provider', lib->>'packager',
            lib->>'publication_date', lib->>'copyright', lib->>'description', digest, who)
    ON CONFLICT (urn) DO UPDATE
       SET ref_id = EXCLUDED.ref_id, name = EXCLUDED.name, version = EXCLUDED.version,
           provider = EXCLUDED.provider, packager = EXCLUDED.packager,
           publication_date = EXCLUDED.publication_date, copyright = EXCLUDED.copyright,
           description = EXCLUDED.description, sha256 = EXCLUDED.sha256,
           imported_at = now(), imported_by = EXCLUDED.imported_by;
    object := 'library'; code := lib_urn;
    change := CASE WHEN old.urn IS NULL THEN 'added' ELSE 'updated' END;
    detail := CASE WHEN old.urn IS NULL THEN format('version %s', lib_version)
                   ELSE format('version %s -> %s', old.version, lib_version) END;
    RETURN NEXT;

    ------------------------------------------------------------------
    -- a framework and its requirement nodes
    IF fw IS NOT NULL THEN
        IF jsonb_typeof(fw) <> 'object' OR jsonb_typeof(fw->'urn') IS DISTINCT FROM 'string'
           OR isms.library_code(fw->>'urn') IS NULL THEN
            PERFORM isms.library_refused(lib_urn, 'the framework has no urn',
                format('framework.urn = %s.', coalesce((fw->'urn')::text, 'missing')), NULL);
        END IF;
        IF coalesce(btrim(fw->>'name'), '') = '' THEN
            PERFORM isms.library_refused(lib_urn, format('framework %s has no name', fw->>'urn'), 'framework.name is missing.', NULL);
        END IF;
        SELECT * INTO fw_row FROM isms.framework f WHERE f.urn = fw->>'urn';
        IF FOUND AND fw_row.shipped THEN
            RAISE EXCEPTION 'library %: framework % is shipped with the extension', lib_urn, fw_row.code
                USING ERRCODE = 'IS062',
                      DETAIL = format('Framework %s (%s) is part of isms; its rows are not replaced by a library.', fw_row.code, fw->>'urn'),
                      HINT = 'Import only the mapping libraries that refer to it: their URNs resolve to the shipped requirements.';
        END IF;
        fw_code := coalesce(fw_row.code, isms.library_code(fw->>'urn'));
        IF fw_row.code IS NULL AND EXISTS (SELECT 1 FROM isms.framework f WHERE f.code = fw_code) THEN
            PERFORM isms.library_refused(lib_urn, format('framework code %s is taken', fw_code),
                format('isms.framework has %s with urn %s; this framework is %s.', fw_code,
                       coalesce((SELECT f.urn FROM isms.framework f WHERE f.code = fw_code), 'NULL'), fw->>'urn'),
                'Rename the existing framework or give this one another urn.');
        END IF;

        nodes := fw->'requirement_nodes';
        IF jsonb_typeof(nodes) IS DISTINCT FROM 'array' OR jsonb_array_length(nodes) = 0 THEN
            PERFORM isms.library_refused(lib_urn, format('framework %s has no requirement nodes', fw->>'urn'),
                'framework.requirement_nodes is missing or empty.', NULL);
        END IF;
        -- each rule: the first node that breaks it
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE jsonb_typeof(t.n) <> 'object' OR jsonb_typeof(t.n->'urn') IS DISTINCT FROM 'string'
            OR btrim(t.n->>'urn') = ''
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s has no urn', bad.i),
                format('Node %s: %s.', bad.i, left(bad.n::text, 200)), NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                        WHERE u.i < t.i AND u.n->>'urn' = t.n->>'urn')
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) repeats an urn', bad.i, bad.n->>'urn'),
                'Every requirement node has its own urn.', NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE t.n ? 'parent_urn' AND jsonb_typeof(t.n->'parent_urn') <> 'null'
           AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                            WHERE u.i < t.i AND u.n->>'urn' = t.n->>'parent_urn')
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s): parent %s is not a node listed before it',
                                                         bad.i, bad.n->>'urn', bad.n->>'parent_urn'),
                format('parent_urn = %s.', bad.n->'parent_urn'), NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE (t.n ? 'assessable' AND jsonb_typeof(t.n->'assessable') NOT IN ('boolean', 'null'))
            OR (t.n ? 'ref_id' AND jsonb_typeof(t.n->'ref_id') NOT IN ('string', 'number', 'null'))
            OR (t.n ? 'name' AND jsonb_typeof(t.n->'name') NOT IN ('string', 'null'))
            OR (t.n ? 'description' AND jsonb_typeof(t.n->'description') NOT IN ('string', 'null'))
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) has a field of the wrong type', bad.i, bad.n->>'urn'),
                format('assessable is a boolean, ref_id a string, name and description text: %s.', left(bad.n::text, 200)), NULL);
        END IF;
        SELECT t.i, t.n INTO bad FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)
         WHERE coalesce(btrim(t.n->>'ref_id'), '') = '' AND coalesce(btrim(t.n->>'name'), '') = ''
           AND coalesce(btrim(t.n->>'description'), '') = ''
         ORDER BY t.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) has neither ref_id, name nor description', bad.i, bad.n->>'urn'),
                'A node needs a title: its name, else its description, else its ref_id.', NULL);
        END IF;

        -- the framework row
        INSERT INTO isms.framework AS f (code, title, publisher, edition, urn, library, description)
        VALUES (fw_code, btrim(fw->>'name'), lib->>'provider', coalesce(fw->>'ref_id', lib->>'ref_id'),
                fw->>'urn', lib_urn, fw->>'description')
        ON CONFLICT (code) DO UPDATE
           SET title = EXCLUDED.title, publisher = EXCLUDED.publisher, edition = EXCLUDED.edition,
               library = EXCLUDED.library, description = EXCLUDED.description
         WHERE (f.title, f.publisher, f.edition, f.library, f.description)
               IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.publisher, EXCLUDED.edition, EXCLUDED.library, EXCLUDED.description);
        GET DIAGNOSTICS n = ROW_COUNT;
        object := 'framework'; code := fw_code;
        change := CASE WHEN fw_row.code IS NULL THEN 'added' WHEN n > 0 THEN 'updated' ELSE 'unchanged' END;
        detail := btrim(fw->>'name');
        RETURN NEXT;

        -- the nodes, normalised: code is the ref_id as written (an
        -- isms.ref-shaped one in canonical form), else the URN's last
        -- segment when the ref_id is missing or taken by an earlier node
        -- (a plain CREATE: a table of that name the caller made first is an
        -- error, never used)
        CREATE TEMP TABLE isms_import_node (
            i integer, urn text, code text, ref isms.ref, parent_urn text, parent_code text, parent isms.ref,
            title text, description text, assessable boolean, attributes jsonb,
            moved boolean NOT NULL DEFAULT false) ON COMMIT DROP;
        INSERT INTO pg_temp.isms_import_node (i, urn, code, ref, parent_urn, title, description, assessable, attributes)
        SELECT x.i, x.urn,
               CASE WHEN x.isref THEN x.rid::isms.ref::text ELSE coalesce(x.rid, x.tail) END,
               CASE WHEN x.isref THEN x.rid::isms.ref END,
               x.parent_urn,
               left(coalesce(nullif(btrim(x.n->>'name'), ''), nullif(btrim(x.n->>'description'), ''), x.rid, x.tail), 500),
               nullif(btrim(x.n->>'description'), ''),
               coalesce((x.n->>'assessable')::boolean, false),
               x.n - ARRAY['urn', 'ref_id', 'name', 'description', 'assessable', 'parent_urn', 'depth', 'translations']
          FROM (SELECT t.i, t.n, btrim(t.n->>'urn') AS urn, nullif(t.n->>'parent_urn', '') AS parent_urn,
                       substring(btrim(t.n->>'urn') FROM '[^:]*$') AS tail,
                       CASE WHEN NOT EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                                              WHERE u.i < t.i AND btrim(u.n->>'ref_id') = btrim(t.n->>'ref_id'))
                            THEN nullif(btrim(t.n->>'ref_id'), '') END AS rid,
                       coalesce(btrim(t.n->>'ref_id') ~ '^([A-Za-z]\.)?(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){0,4}$', false)
                       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(nodes) WITH ORDINALITY u(n, i)
                                        WHERE u.i < t.i AND upper(btrim(u.n->>'ref_id')) = upper(btrim(t.n->>'ref_id'))) AS isref
                  FROM jsonb_array_elements(nodes) WITH ORDINALITY t(n, i)) x;
        UPDATE pg_temp.isms_import_node c
           SET parent_code = p.code,
               parent = CASE WHEN p.ref OPERATOR(isms.@>) c.ref AND p.ref OPERATOR(isms.<>) c.ref THEN p.ref END
          FROM pg_temp.isms_import_node p
         WHERE p.urn = c.parent_urn;
        -- a node has moved when its rank among the nodes both versions hold
        -- differs: a node added or dropped shifts the positions after it,
        -- which is no change of the others
        UPDATE pg_temp.isms_import_node c SET moved = true
          FROM (SELECT k.urn, row_number() OVER (ORDER BY r.ordinal, k.i) AS old_rank,
                       row_number() OVER (ORDER BY k.i) AS new_rank
                  FROM pg_temp.isms_import_node k
                  JOIN isms.requirement r ON r.framework = fw_code AND r.urn = k.urn) x
         WHERE x.urn = c.urn AND x.old_rank <> x.new_rank;
        SELECT a.i, a.urn, a.code, b.urn AS other INTO bad
          FROM pg_temp.isms_import_node a JOIN pg_temp.isms_import_node b ON b.code = a.code AND b.i < a.i
         ORDER BY a.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s): code %s is also the code of %s', bad.i, bad.urn, bad.code, bad.other),
                'A node''s code is its ref_id, else the last segment of its urn; two nodes came to the same one.', NULL);
        END IF;
        SELECT c.i, c.urn, c.code INTO bad FROM pg_temp.isms_import_node c
         WHERE c.code IS NULL OR btrim(c.code) = '' OR c.code <> btrim(c.code)
         ORDER BY c.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) has no usable identifier', bad.i, bad.urn),
                'Its ref_id and the last segment of its urn are both empty.', NULL);
        END IF;
        SELECT c.i, c.urn, r.framework INTO bad FROM pg_temp.isms_import_node c
          JOIN isms.requirement r ON r.urn = c.urn AND r.framework <> fw_code
         ORDER BY c.i LIMIT 1;
        IF FOUND THEN
            PERFORM isms.library_refused(lib_urn, format('requirement node %s (%s) belongs to framework %s', bad.i, bad.urn, bad.framework),
                'A requirement urn names one node of one framework.', NULL);
        END IF;

        -- what changes, node by node (matched by urn)
        RETURN QUERY
        SELECT 'requirement', c.code,
               CASE WHEN r.urn IS NULL THEN 'added' WHEN r.withdrawn THEN 'reinstated' ELSE 'updated' END,
               CASE WHEN r.urn IS NULL THEN c.title
                    ELSE concat_ws('; ',
                        CASE WHEN r.code IS DISTINCT FROM c.code THEN format('code %s -> %s', r.code, c.code) END,
                        CASE WHEN r.title IS DISTINCT FROM c.title THEN 'title' END,
                        CASE WHEN r.description IS DISTINCT FROM c.description THEN 'description' END,
                        CASE WHEN r.parent_code IS DISTINCT FROM c.parent_code THEN format('parent %s -> %s', r.parent_code, c.parent_code) END,
                        CASE WHEN c.moved THEN 'order' END,
                        CASE WHEN r.assessable IS DISTINCT FROM c.assessable THEN 'assessable' END,
                        CASE WHEN r.attributes IS DISTINCT FROM c.attributes THEN 'attributes' END) END
          FROM pg_temp.isms_import_node c
          LEFT JOIN isms.requirement r ON r.framework = fw_code AND r.urn = c.urn
         WHERE r.urn IS NULL OR r.withdrawn OR c.moved
            OR (r.code, r.title, r.description, r.parent_code, r.assessable, r.attributes)
               IS DISTINCT FROM (c.code, c.title, c.description, c.parent_code, c.assessable, c.attributes)
         ORDER BY c.i;
        RETURN QUERY
        SELECT 'requirement', r.code, 'withdrawn', 'not in version ' || lib_version || '; kept for the records that refer to it'
          FROM isms.requirement r
         WHERE r.framework = fw_code AND NOT r.withdrawn
           AND NOT EXISTS (SELECT 1 FROM pg_temp.isms_import_node c WHERE c.urn = r.urn)
         ORDER BY r.ordinal, r.ref, r.code;
        SELECT count(*) INTO n FROM pg_temp.isms_import_node c
          JOIN isms.requirement r ON r.framework = fw_code AND r.urn = c.urn AND NOT r.withdrawn
         WHERE NOT c.moved
           AND (r.code, r.title, r.description, r.parent_code, r.assessable, r.attributes)
               IS NOT DISTINCT FROM (c.code, c.title, c.description, c.parent_code, c.assessable, c.attributes);
        IF n > 0 THEN
            object := 'requirement'; code := NULL; change := 'unchanged'; detail := n || ' requirements';
            RETURN NEXT;
        END IF;

        -- apply: withdraw, insert, update
        UPDATE isms.requirement r SET withdrawn = true
         WHERE r.framework = fw_code AND NOT r.withdrawn
           AND NOT EXISTS (SELECT 1 FROM pg_temp.isms_import_node c WHERE c.urn = r.urn);
        INSERT INTO isms.requirement (framework, ref, kind, title, parent, code, parent_code, ordinal,
                                      assessable, urn, description, attributes)
        SELECT fw_code, c.ref, 'node', c.title, c.parent, c.code, c.parent_code, c.i, c.assessable, c.urn,
               c.description, c.attributes
          FROM pg_temp.isms_import_node c
         WHERE NOT EXISTS (SELECT 1 FROM isms.requirement r WHERE r.framework = fw_code AND r.urn = c.urn);
        UPDATE isms.requirement r
           SET code = c.code, ref = c.ref, title = c.title, parent = c.parent, parent_code = c.parent_code,
               ordinal = c.i, assessable = c.assessable, description = c.description,
               attributes = c.attributes, withdrawn = false
          FROM pg_temp.isms_import_node c
         WHERE r.framework = fw_code AND r.urn = c.urn
           AND (r.withdrawn
                OR (r.code, r.ref IS NULL, r.title, r.description, r.parent IS NULL, r.parent_code, r.ordinal,
                    r.assessable, r.attributes)
                   IS DISTINCT FROM (c.code, c.ref IS NULL, c.title, c.description, c.parent IS NULL, c.parent_code,
                                     c.i::integer, c.assessable, c.attributes));
        DROP TABLE pg_temp.isms_import_node;
    END IF;

    ------------------------------------------------------------------
    -- requirement mapping sets
    IF sets IS NOT NULL THEN
        IF jsonb_typeof(sets) <> 'array' OR jsonb_array_length(sets) = 0 THEN
            PERFORM isms.library_refused(lib_urn, 'requirement_mapping_sets is not a list of sets',
                format('requirement_mapping_sets = %s.', left(sets::text, 80)), NULL);
        END IF;
        FOR ms, ms_i IN SELECT t.s, t.i FROM jsonb_array_elements(sets) WITH ORDINALITY t(s, i) ORDER BY t.i
        LOOP
            IF jsonb_typeof(ms) <> 'object' OR jsonb_typeof(ms->'urn') IS DISTINCT FROM 'string'
               OR isms.library_code(ms->>'urn') IS NULL THEN
                PERFORM isms.library_refused(lib_urn, format('requirement mapping set %s has no urn', ms_i),
                    format('Set %s: %s.', ms_i, left(ms::text, 200)), NULL);
            END IF;
            SELECT * INTO src_fw FROM isms.framework f WHERE f.urn = ms->>'source_framework_urn';
            IF NOT FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s: source framework %s is not in the catalog',
                                                             ms->>'urn', coalesce(ms->>'source_framework_urn', '(missing)')),
                    format('source_framework_urn = %s.', coalesce((ms->'source_framework_urn')::text, 'missing')),
                    'Import the library of the source framework first (SELECT code, urn FROM isms.framework lists those present).');
            END IF;
            SELECT * INTO tgt_fw FROM isms.framework f WHERE f.urn = ms->>'target_framework_urn';
            IF NOT FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s: target framework %s is not in the catalog',
                                                             ms->>'urn', coalesce(ms->>'target_framework_urn', '(missing)')),
                    format('target_framework_urn = %s.', coalesce((ms->'target_framework_urn')::text, 'missing')),
                    'Import the library of the target framework first (SELECT code, urn FROM isms.framework lists those present).');
            END IF;
            IF src_fw.code = tgt_fw.code THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s maps framework %s to itself', ms->>'urn', src_fw.code),
                    'source_framework_urn and target_framework_urn are the same.', NULL);
            END IF;
            ms_code := isms.library_code(ms->>'urn');
            IF EXISTS (SELECT 1 FROM isms.mapping_set s WHERE s.code = ms_code
                        AND (s.urn <> ms->>'urn' OR s.source_framework <> src_fw.code OR s.target_framework <> tgt_fw.code)) THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set code %s is taken by another set', ms_code),
                    format('isms.mapping_set %s maps %s to %s; this set %s maps %s to %s.', ms_code,
                           (SELECT s.source_framework FROM isms.mapping_set s WHERE s.code = ms_code),
                           (SELECT s.target_framework FROM isms.mapping_set s WHERE s.code = ms_code),
                           ms->>'urn', src_fw.code, tgt_fw.code), NULL);
            END IF;
            maps := ms->'requirement_mappings';
            IF jsonb_typeof(maps) IS DISTINCT FROM 'array' THEN
                PERFORM isms.library_refused(lib_urn, format('mapping set %s has no requirement_mappings list', ms->>'urn'),
                    format('requirement_mappings = %s.', coalesce(left(maps::text, 80), 'missing')), NULL);
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE jsonb_typeof(t.m) <> 'object'
                OR NOT EXISTS (SELECT 1 FROM isms.requirement r WHERE r.framework = src_fw.code AND r.urn = t.m->>'source_requirement_urn')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s: source requirement %s is not a node of framework %s',
                                                             bad.i, ms->>'urn', coalesce(bad.m->>'source_requirement_urn', '(missing)'), src_fw.code),
                    format('Mapping %s: %s.', bad.i, left(bad.m::text, 300)),
                    'Import the version of the source framework''s library the mapping was made for.');
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE NOT EXISTS (SELECT 1 FROM isms.requirement r WHERE r.framework = tgt_fw.code AND r.urn = t.m->>'target_requirement_urn')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s: target requirement %s is not a node of framework %s',
                                                             bad.i, ms->>'urn', coalesce(bad.m->>'target_requirement_urn', '(missing)'), tgt_fw.code),
                    format('Mapping %s: %s.', bad.i, left(bad.m::text, 300)),
                    'Import the version of the target framework''s library the mapping was made for.');
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE (t.m->>'relationship') IS NULL
                OR (t.m->>'relationship') NOT IN ('equal', 'subset', 'superset', 'intersect', 'not_related')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s (%s -> %s): relationship %s is not one of equal, subset, superset, intersect, not_related',
                                                             bad.i, ms->>'urn', bad.m->>'source_requirement_urn', bad.m->>'target_requirement_urn',
                                                             coalesce(bad.m->>'relationship', '(missing)')),
                    format('Mapping %s: %s.', bad.i, left(bad.m::text, 300)), NULL);
            END IF;
            SELECT t.i, t.m INTO bad FROM jsonb_array_elements(maps) WITH ORDINALITY t(m, i)
             WHERE t.m ? 'strength_of_relationship' AND jsonb_typeof(t.m->'strength_of_relationship') <> 'null'
               AND (jsonb_typeof(t.m->'strength_of_relationship') <> 'number'
                    OR (t.m->>'strength_of_relationship') !~ '^[0-9]{1,9}$')
             ORDER BY t.i LIMIT 1;
            IF FOUND THEN
                PERFORM isms.library_refused(lib_urn, format('mapping %s of set %s (%s -> %s): strength_of_relationship is not a whole number',
                                                             bad.i, ms->>'urn', bad.m->>'source_requirement_urn', bad.m->>'target_requirement_urn'),
                    format('strength_of_relationship = %s.', bad.m->'strength_of_relationship'), NULL);
            END IF;

            n := (SELECT count(*) FROM isms.mapping_set s WHERE s.code = ms_code);
            INSERT INTO isms.mapping_set AS s (code, urn, title, description, source_framework, target_framework, library)
            VALUES (ms_code, ms->>'urn', coalesce(nullif(btrim(ms->>'name'), ''), btrim(lib->>'name')), ms->>'description',
                    src_fw.code, tgt_fw.code, lib_urn)
            ON CONFLICT (code) DO UPDATE
               SET title = EXCLUDED.title, description = EXCLUDED.description, library = EXCLUDED.library;
            object := 'mapping_set'; code := ms_code;
            change := CASE WHEN n = 0 THEN 'added' ELSE 'updated' END;
            detail := format('%s -> %s', src_fw.code, tgt_fw.code);
            RETURN NEXT;

            -- the mappings; a pair listed twice counts once (the first)
            RETURN QUERY
            WITH new AS (
                SELECT DISTINCT ON (s.code, t.code) s.code AS source_code, t.code AS target_code,
                       m.m->>'relationship' AS relationship, (m.m->>'strength_of_relationship')::integer AS strength,
                       nullif(btrim(coalesce(m.m->>'rationale', m.m->>'annotation')), '') AS rationale, m.i
                  FROM jsonb_array_elements(maps) WITH ORDINALITY m(m, i)
                  JOIN isms.requirement s ON s.framework = src_fw.code AND s.urn = m.m->>'source_requirement_urn'
                  JOIN isms.requirement t ON t.framework = tgt_fw.code AND t.urn = m.m->>'target_requirement_urn'
                 ORDER BY s.code, t.code, m.i),
            cur AS (SELECT * FROM isms.requirement_mapping x WHERE x.mapping_set = ms_code)
            SELECT 'mapping', coalesce(new.source_code, cur.source_code) || ' -> ' || coalesce(new.target_code, cur.target_code),
                   CASE WHEN cur.source_code IS NULL THEN 'added' WHEN new.source_code IS NULL THEN 'removed' ELSE 'updated' END,
                   CASE WHEN cur.source_code IS NULL THEN new.relationship
                        WHEN new.source_code IS NULL THEN cur.relationship
                        ELSE concat_ws('; ',
                            CASE WHEN cur.relationship <> new.relationship THEN format('relationship %s -> %s', cur.relationship, new.relationship) END,
                            CASE WHEN cur.strength IS DISTINCT FROM new.strength THEN format('strength %s -> %s', cur.strength, new.strength) END,
                            CASE WHEN cur.rationale IS DISTINCT FROM new.rationale THEN 'rationale' END) END
              FROM new FULL JOIN cur ON cur.source_code = new.source_code AND cur.target_code = new.target_code
             WHERE cur.source_code IS NULL OR new.source_code IS NULL
                OR (cur.relationship, cur.strength, cur.rationale) IS DISTINCT FROM (new.relationship, new.strength, new.rationale)
             ORDER BY coalesce(new.i, 0), 2;
            SELECT count(*) INTO n FROM jsonb_array_elements(maps);
            SELECT n - count(*) INTO n FROM (
                SELECT DISTINCT s.code, t.code FROM jsonb_array_elements(maps) m(m)
                  JOIN isms.requirement s ON s.framework = src_fw.code AND s.urn = m.m->>'source_requirement_urn'
                  JOIN isms.requirement t ON t.framework = tgt_fw.code AND t.urn = m.m->>'target_requirement_urn') d;
            IF n > 0 THEN
                object := 'mapping'; code := NULL; change := 'skipped';
                detail := n || ' repeated pairs (the first of each kept)';
                RETURN NEXT;
            END IF;
            DELETE FROM isms.requirement_mapping x WHERE x.mapping_set = ms_code;
            INSERT INTO isms.requirement_mapping (mapping_set, source_framework, source_code, target_framework, target_code,
                                                  relationship, strength, rationale)
            SELECT DISTINCT ON (s.code, t.code) ms_code, src_fw.code, s.code, tgt_fw.code, t.code,
                   m.m->>'relationship', (m.m->>'strength_of_relationship')::integer,
                   nullif(btrim(coalesce(m.m->>'rationale', m.m->>'annotation')), '')
              FROM jsonb_array_elements(maps) WITH ORDINALITY m(m, i)
              JOIN isms.requirement s ON s.framework = src_fw.code AND s.urn = m.m->>'source_requirement_urn'
              JOIN isms.requirement t ON t.framework = tgt_fw.code AND t.urn = m.m->>'target_requirement_urn'
             ORDER BY s.code, t.code, m.i;
            GET DIAGNOSTICS n = ROW_COUNT;
            object := 'mapping'; code := NULL; change := 'total'; detail := n || ' mappings in ' || ms_code;
            RETURN NEXT;
        END LOOP;
    END IF;
END
$$;
COMMENT ON FUNCTION isms.library_import(jsonb, text) IS
    'The import of isms.import_library, run as the extension owner with the acting person recorded as imported_by; granted to isms_admin only, who is trusted with the catalog';

CREATE FUNCTION isms.import_library(library jsonb)
RETURNS TABLE (object text, code text, change text, detail text)
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT i.object, i.code, i.change, i.detail FROM isms.library_import($1, isms.current_actor()) i
$$;
COMMENT ON FUNCTION isms.import_library(jsonb) IS
    'Imports a library in CISO Assistant''s format (as JSON: tools/library2json converts the YAML): a framework with its requirement nodes, or requirement mapping sets between frameworks in the catalog. A newer version updates the library in place (nodes matched by urn; nodes it lacks are kept as withdrawn; mappings replaced). Returns one row per change (object, code, change, detail). A file that breaks a rule raises IS060 naming the node and changes nothing; an older version raises IS061; a library of a shipped framework IS062. The import runs as the extension owner (isms.library_import); granted to isms_admin';

------------------------------------------------------------------------------
-- Privileges and pg_dump.  The catalog is read-only to every role; the
-- import runs as the extension owner and only isms_admin may call it.

REVOKE ALL ON isms.library, isms.mapping_set, isms.requirement_mapping FROM PUBLIC;
GRANT SELECT ON isms.library, isms.mapping_set, isms.requirement_mapping TO isms_reader;
REVOKE ALL ON FUNCTION isms.library_code(text), isms.library_refused(text, text, text, text),
    isms.library_import(jsonb, text), isms.import_library(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.library_code(text) TO isms_reader;
GRANT EXECUTE ON FUNCTION isms.library_import(jsonb, text), isms.import_library(jsonb) TO isms_admin;
SELECT pg_catalog.pg_extension_config_dump('isms.library', '');
SELECT pg_catalog.pg_extension_config_dump('isms.mapping_set', '');
SELECT pg_catalog.pg_extension_config_dump('isms.requirement_mapping', '');
