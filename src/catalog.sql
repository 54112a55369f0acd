-- The catalog: frameworks and their requirements (clauses, Annex A themes and
-- controls) and the documented information each framework makes mandatory.
-- Generic over frameworks; ISO/IEC 27001:2022 is shipped (src/catalog_data.sql).
-- Rows shipped with the extension have shipped = true; pg_dump saves only the
-- rows a user added (see src/security.sql), so a restore never duplicates them.

CREATE TABLE isms.framework (
    code        text PRIMARY KEY
                CHECK (code ~ '^[a-z0-9][a-z0-9._-]*$'),
    title       text NOT NULL CHECK (btrim(title) <> ''),
    publisher   text,
    edition     text,
    shipped     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE isms.framework IS
    'Catalog (4.4, 6.1.3): standards and frameworks whose requirements the registers refer to; ISO/IEC 27001:2022 is shipped as iso27001-2022';
COMMENT ON COLUMN isms.framework.code IS 'Short lower-case key of the framework, such as iso27001-2022';
COMMENT ON COLUMN isms.framework.title IS 'Title of the framework';
COMMENT ON COLUMN isms.framework.publisher IS 'Body that publishes the framework, such as ISO/IEC';
COMMENT ON COLUMN isms.framework.edition IS 'Designation and edition, such as ISO/IEC 27001:2022';
COMMENT ON COLUMN isms.framework.shipped IS 'True for rows installed by the extension (not dumped by pg_dump); false for rows a user added';

CREATE TABLE isms.requirement (
    framework   text NOT NULL REFERENCES isms.framework (code),
    ref         isms.ref NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('clause', 'theme', 'control')),
    title       text NOT NULL CHECK (btrim(title) <> ''),
    parent      isms.ref,
    pdca_phase  text CHECK (pdca_phase IN ('plan', 'do', 'check', 'act')),
    theme       text,
    control_type text[],
    security_properties text[],
    cybersecurity_concepts text[],
    shipped     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (framework, ref),
    CONSTRAINT requirement_parent_is_ancestor
        CHECK (parent IS NULL OR (parent OPERATOR(isms.@>) ref AND parent OPERATOR(isms.<>) ref)),
    CONSTRAINT requirement_clause_has_phase
        CHECK (kind <> 'clause' OR pdca_phase IS NOT NULL),
    CONSTRAINT requirement_control_has_theme
        CHECK (kind = 'clause' OR theme IS NOT NULL),
    CONSTRAINT requirement_attributes_of_controls
        CHECK (kind = 'control'
               OR (control_type IS NULL AND security_properties IS NULL
                   AND cybersecurity_concepts IS NULL)),
    CONSTRAINT requirement_control_type_values
        CHECK (control_type <@ ARRAY['preventive', 'detective', 'corrective']),
    CONSTRAINT requirement_security_property_values
        CHECK (security_properties <@ ARRAY['confidentiality', 'integrity', 'availability']),
    CONSTRAINT requirement_concept_values
        CHECK (cybersecurity_concepts <@ ARRAY['identify', 'protect', 'detect', 'respond', 'recover'])
);
CREATE INDEX requirement_kind_idx ON isms.requirement (framework, kind);

-- The parent of a requirement exists in its framework.  A constraint trigger
-- rather than a self-referencing foreign key, because pg_dump warns about
-- every extension table with one ("circular foreign-key constraints"); like
-- a foreign key it is checked at the end of the statement, so a COPY or a
-- multi-row INSERT may list children before their parents.
CREATE FUNCTION isms.requirement_parent_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp
AS $$
BEGIN
    IF NEW.parent IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM isms.requirement r
                        WHERE r.framework = NEW.framework AND r.ref OPERATOR(isms.=) NEW.parent) THEN
        RAISE EXCEPTION 'parent % of requirement % does not exist in framework %', NEW.parent, NEW.ref, NEW.framework
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
    AFTER INSERT OR UPDATE OF framework, ref, parent ON isms.requirement
    FOR EACH ROW EXECUTE FUNCTION isms.requirement_parent_check();
COMMENT ON TABLE isms.requirement IS
    'Catalog (4.4, 6.1.3, Annex A): the clauses, Annex A themes and controls of each framework, in a hierarchy by parent';
COMMENT ON COLUMN isms.requirement.framework IS 'Framework the requirement belongs to';
COMMENT ON COLUMN isms.requirement.ref IS 'Clause or control reference, such as 6.1.2 or A.5.24';
COMMENT ON COLUMN isms.requirement.kind IS 'clause (ISO/IEC 27001 clauses 4-10), theme (Annex A sections A.5-A.8) or control (Annex A control)';
COMMENT ON COLUMN isms.requirement.title IS 'Short title of the clause, theme or control';
COMMENT ON COLUMN isms.requirement.parent IS 'Enclosing clause or theme (6.1 for 6.1.2, A.5 for A.5.24); NULL for top-level rows';
COMMENT ON COLUMN isms.requirement.pdca_phase IS 'Plan-Do-Check-Act phase of a clause: plan (4-7), do (8), check (9), act (10); NULL for Annex A';
COMMENT ON COLUMN isms.requirement.theme IS 'Annex A theme of a theme or control: organizational, people, physical or technological';
COMMENT ON COLUMN isms.requirement.control_type IS 'ISO/IEC 27002:2022 attribute: preventive, detective, corrective (controls only)';
COMMENT ON COLUMN isms.requirement.security_properties IS 'ISO/IEC 27002:2022 attribute: confidentiality, integrity, availability (controls only)';
COMMENT ON COLUMN isms.requirement.cybersecurity_concepts IS 'ISO/IEC 27002:2022 attribute: identify, protect, detect, respond, recover (controls only)';
COMMENT ON COLUMN isms.requirement.shipped IS 'True for rows installed by the extension (not dumped by pg_dump); false for rows a user added';

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
