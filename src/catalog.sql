-- The catalog: frameworks and their requirements (clauses, Annex A themes and
-- controls) and the documented information each framework makes mandatory.
-- Generic over frameworks; ISO/IEC 27001:2022 is shipped (src/catalog_data.sql).
-- Rows shipped with the extension have shipped = true; pg_dump saves only the
-- rows a user added (see src/security.sql), so a restore never duplicates them.
-- Other frameworks (NIST CSF, SOC 2, ISO/IEC 27001:2013...) are imported from
-- CISO Assistant's library format by isms.import_library (src/library.sql):
-- a requirement is keyed by code, its id as the framework writes it
-- (GV.OC-01, CC6.1); ref holds the same id as an isms.ref when it has that
-- shape (6.1.2, A.5.24), which every register's foreign key uses.

CREATE TABLE isms.framework (
    code        text PRIMARY KEY
                CHECK (code ~ '^[a-z0-9][a-z0-9._-]*$'),
    title       text NOT NULL CHECK (btrim(title) <> ''),
    publisher   text,
    edition     text,
    shipped     boolean NOT NULL DEFAULT false,
    urn         text CONSTRAINT framework_urn_key UNIQUE,
    library     text,
    description text
);
COMMENT ON TABLE isms.framework IS
    'Catalog (4.4, 6.1.3): standards and frameworks whose requirements the registers refer to; ISO/IEC 27001:2022 is shipped as iso27001-2022';
COMMENT ON COLUMN isms.framework.code IS 'Short lower-case key of the framework, such as iso27001-2022';
COMMENT ON COLUMN isms.framework.title IS 'Title of the framework';
COMMENT ON COLUMN isms.framework.publisher IS 'Body that publishes the framework, such as ISO/IEC';
COMMENT ON COLUMN isms.framework.edition IS 'Designation and edition, such as ISO/IEC 27001:2022';
COMMENT ON COLUMN isms.framework.shipped IS 'True for rows installed by the extension (not dumped by pg_dump); false for rows a user added';
COMMENT ON COLUMN isms.framework.urn IS 'URN of the framework in CISO Assistant''s library format (urn:intuitem:risk:framework:...), by which libraries and mappings refer to it';
COMMENT ON COLUMN isms.framework.library IS 'URN of the library the framework was imported from (isms.library); NULL for shipped and hand-made frameworks';
COMMENT ON COLUMN isms.framework.description IS 'Description of the framework, as its library gives it';

CREATE TABLE isms.requirement (
    framework   text NOT NULL REFERENCES isms.framework (code),
    ref         isms.ref,
    kind        text NOT NULL CHECK (kind IN ('clause', 'theme', 'control', 'node')),
    title       text NOT NULL CHECK (btrim(title) <> ''),
    parent      isms.ref,
    pdca_phase  text CHECK (pdca_phase IN ('plan', 'do', 'check', 'act')),
    theme       text,
    control_type text[],
    security_properties text[],
    cybersecurity_concepts text[],
    shipped     boolean NOT NULL DEFAULT false,
    code        text NOT NULL,
    parent_code text,
    ordinal     integer,
    assessable  boolean NOT NULL DEFAULT true,
    urn         text,
    description text,
    attributes  jsonb NOT NULL DEFAULT '{}'::jsonb,
    withdrawn   boolean NOT NULL DEFAULT false,
    CONSTRAINT requirement_pkey PRIMARY KEY (framework, code),
    CONSTRAINT requirement_framework_ref_key UNIQUE (framework, ref),
    CONSTRAINT requirement_urn_key UNIQUE (urn),
    CONSTRAINT requirement_code_given CHECK (btrim(code) <> '' AND code = btrim(code)),
    CONSTRAINT requirement_code_is_ref CHECK (ref IS NULL OR code = ref::text),
    CONSTRAINT requirement_parent_code_is_parent CHECK (parent IS NULL OR parent_code = parent::text),
    CONSTRAINT requirement_parent_is_ancestor
        CHECK (parent IS NULL OR (parent OPERATOR(isms.@>) ref AND parent OPERATOR(isms.<>) ref)),
    CONSTRAINT requirement_not_own_parent CHECK (parent_code <> code),
    CONSTRAINT requirement_clause_has_phase
        CHECK (kind <> 'clause' OR pdca_phase IS NOT NULL),
    CONSTRAINT requirement_control_has_theme
        CHECK (kind IN ('clause', 'node') OR theme IS NOT NULL),
    CONSTRAINT requirement_iso_kinds_have_ref
        CHECK (kind = 'node' OR ref IS NOT NULL),
    CONSTRAINT requirement_attributes_of_controls
        CHECK (kind = 'control'
               OR (control_type IS NULL AND security_properties IS NULL
                   AND cybersecurity_concepts IS NULL)),
    CONSTRAINT requirement_control_type_values
        CHECK (control_type <@ ARRAY['preventive', 'detective', 'corrective']),
    CONSTRAINT requirement_security_property_values
        CHECK (security_properties <@ ARRAY['confidentiality', 'integrity', 'availability']),
    CONSTRAINT requirement_concept_values
        CHECK (cybersecurity_concepts <@ ARRAY['identify', 'protect', 'detect', 'respond', 'recover']),
    CONSTRAINT requirement_attributes_object CHECK (jsonb_typeof(attributes) = 'object'),
    CONSTRAINT requirement_positive_ordinal CHECK (ordinal > 0)
);
CREATE INDEX requirement_kind_idx ON isms.requirement (framework, kind);

-- An ISO-shaped requirement written with ref alone (as in 0.1.0) gets its
-- code and parent_code from ref and parent.
CREATE FUNCTION isms.requirement_defaults() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.ref IS NOT NULL THEN
        NEW.code := NEW.ref::text;
    END IF;
    IF NEW.parent IS NOT NULL THEN
        NEW.parent_code := NEW.parent::text;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION isms.requirement_defaults() IS
    'Trigger: a requirement with a ref has that ref (as text) as its code, and a parent given as an isms.ref is its parent_code';
REVOKE ALL ON FUNCTION isms.requirement_defaults() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.requirement_defaults() TO isms_reader;
CREATE TRIGGER requirement_defaults
    BEFORE INSERT OR UPDATE OF ref, parent, code, parent_code ON isms.requirement
    FOR EACH ROW EXECUTE FUNCTION isms.requirement_defaults();

-- The parent of a requirement exists in its framework.  A constraint trigger
-- rather than a self-referencing foreign key, because pg_dump warns about
-- every extension table with one ("circular foreign-key constraints"); like
-- a foreign key it is checked at the end of the statement, so a COPY or a
-- multi-row INSERT may list children before their parents.
CREATE FUNCTION isms.requirement_parent_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF NEW.parent_code IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM isms.requirement r
                        WHERE r.framework OPERATOR(pg_catalog.=) NEW.framework
                          AND r.code OPERATOR(pg_catalog.=) NEW.parent_code) THEN
        RAISE EXCEPTION 'parent % of requirement % does not exist in framework %', NEW.parent_code, NEW.code, NEW.framework
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'requirement_parent_exists',
                  TABLE = 'requirement', SCHEMA = 'isms',
                  HINT = 'Insert the parent clause or theme first, or in the same statement.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION isms.requirement_parent_check() IS
    'Constraint trigger: the parent of a requirement exists in its framework (23503)';
REVOKE ALL ON FUNCTION isms.requirement_parent_check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.requirement_parent_check() TO isms_reader;
CREATE CONSTRAINT TRIGGER requirement_parent_exists
    AFTER INSERT OR UPDATE OF framework, ref, parent, code, parent_code ON isms.requirement
    FOR EACH ROW EXECUTE FUNCTION isms.requirement_parent_check();
COMMENT ON TABLE isms.requirement IS
    'Catalog (4.4, 6.1.3, Annex A): the clauses, Annex A themes and controls of each framework, and the requirement nodes of imported frameworks, in a hierarchy by parent_code';
COMMENT ON COLUMN isms.requirement.framework IS 'Framework the requirement belongs to';
COMMENT ON COLUMN isms.requirement.ref IS 'Clause or control reference, such as 6.1.2 or A.5.24: the code as an isms.ref when it has that shape (registers refer to it); NULL for ids such as GV.OC-01';
COMMENT ON COLUMN isms.requirement.kind IS 'clause (ISO/IEC 27001 clauses 4-10), theme (Annex A sections A.5-A.8), control (Annex A control) or node (a requirement node of an imported framework)';
COMMENT ON COLUMN isms.requirement.title IS 'Short title of the clause, theme or control';
COMMENT ON COLUMN isms.requirement.parent IS 'Enclosing clause or theme (6.1 for 6.1.2, A.5 for A.5.24) as an isms.ref; NULL for top-level rows and where parent_code is not ref-shaped';
COMMENT ON COLUMN isms.requirement.pdca_phase IS 'Plan-Do-Check-Act phase of a clause: plan (4-7), do (8), check (9), act (10); NULL for Annex A';
COMMENT ON COLUMN isms.requirement.theme IS 'Annex A theme of a theme or control: organizational, people, physical or technological';
COMMENT ON COLUMN isms.requirement.control_type IS 'ISO/IEC 27002:2022 attribute: preventive, detective, corrective (controls only)';
COMMENT ON COLUMN isms.requirement.security_properties IS 'ISO/IEC 27002:2022 attribute: confidentiality, integrity, availability (controls only)';
COMMENT ON COLUMN isms.requirement.cybersecurity_concepts IS 'ISO/IEC 27002:2022 attribute: identify, protect, detect, respond, recover (controls only)';
COMMENT ON COLUMN isms.requirement.shipped IS 'True for rows installed by the extension (not dumped by pg_dump); false for rows a user added';
COMMENT ON COLUMN isms.requirement.code IS 'Identifier of the requirement as its framework writes it (6.1.2, A.5.24, GV.OC-01, CC6.1); unique in the framework; equals ref when ref is set';
COMMENT ON COLUMN isms.requirement.parent_code IS 'Code of the enclosing requirement node; NULL for top-level rows';
COMMENT ON COLUMN isms.requirement.ordinal IS 'Position in the framework''s own order (the library''s order for imported frameworks); NULL where the natural order of ref applies: sort by ordinal, ref, code';
COMMENT ON COLUMN isms.requirement.assessable IS 'True for requirements assessed on their own (controls, subclauses, CSF subcategories); false for grouping nodes (themes, CSF functions and categories)';
COMMENT ON COLUMN isms.requirement.urn IS 'URN of the requirement node in CISO Assistant''s library format (urn:intuitem:risk:req_node:...), by which mappings refer to it';
COMMENT ON COLUMN isms.requirement.description IS 'Text of the requirement as its library gives it; NULL for the shipped ISO/IEC 27001:2022 rows';
COMMENT ON COLUMN isms.requirement.attributes IS 'Framework-specific attributes of an imported node (annotation, typical evidence, implementation groups...) as a JSON object; the ISO/IEC 27002 ones have typed columns';
COMMENT ON COLUMN isms.requirement.withdrawn IS 'True when the latest imported version of the library no longer has the node: it is kept for the records that refer to it';

CREATE TABLE isms.mandatory_information (
    framework   text NOT NULL,
    clause      isms.ref NOT NULL,
    item        text NOT NULL CHECK (btrim(item) <> ''),
    kind        text NOT NULL CHECK (kind IN ('document', 'record')),
    shipped     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (framework, clause, item),
    FOREIGN KEY (framework, clause) REFERENCES isms.requirement (framework, ref)
);
COMMENT ON TABLE isms.mandatory_information IS
    'Catalog (7.5.1 a): the documented information a framework requires to be available (document) or retained (record), by clause';
COMMENT ON COLUMN isms.mandatory_information.framework IS 'Framework that requires it';
COMMENT ON COLUMN isms.mandatory_information.clause IS 'Clause that requires the documented information';
COMMENT ON COLUMN isms.mandatory_information.item IS 'What must be documented or retained';
COMMENT ON COLUMN isms.mandatory_information.kind IS 'document (maintained: kept up to date) or record (retained: evidence of what happened)';
COMMENT ON COLUMN isms.mandatory_information.shipped IS 'True for rows installed by the extension (not dumped by pg_dump); false for rows a user added';
