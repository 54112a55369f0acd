-- Mappings at work: how far an ISO/IEC 27001:2022 ISMS covers another
-- framework (NIST CSF, SOC 2, ISO/IEC 27001:2013...), through the mappings
-- imported with isms.import_library, and how a 2013 Statement of
-- Applicability carries over to 2022.  The SoA and the readiness checks
-- stay ISO 27001's; other frameworks get coverage and gap reports.
--
-- The verdict of one requirement of the other framework, from the mapped
-- Annex A controls and their SoA entries (mappings not_related ignored; a
-- mapping from ISO to the framework counts with subset and superset swapped):
--   covered  at least one mapped control is implemented, and either one of
--            them is equal to or contains the requirement (equal, subset), or
--            every mapped control the SoA does not exclude is implemented;
--   partial  otherwise, at least one mapped control is implemented or
--            partially implemented; or no control but clauses of 4-10 are
--            mapped (met by operating the ISMS, not by an SoA decision);
--   gap      otherwise: nothing mapped, or no mapped control implemented
--            (excluded, not implemented, planned or not decided).

CREATE FUNCTION isms.framework_coverage(org_id bigint, framework text)
RETURNS TABLE (requirement text, title text, top_level text, ancestors text[], mapped_controls integer,
               implemented integer, partially_implemented integer, not_implemented integer, excluded integer,
               not_decided integer, controls text, clauses text, evidence_items integer,
               latest_evidence_at timestamptz, verdict text, basis text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    fw constant text := $2;
    iso_fw constant text := 'iso27001-2022';
BEGIN
    IF fw IS NULL OR NOT EXISTS (SELECT 1 FROM isms.framework f WHERE f.code = fw) THEN
        PERFORM isms.report_bad_argument('framework', fw, 'no such framework',
            'SELECT code, title FROM isms.framework lists them; import others with isms.import_library.');
    END IF;
    IF fw = iso_fw THEN
        PERFORM isms.report_bad_argument('framework', fw, 'coverage is of another framework by ISO/IEC 27001:2022',
            'For ISO/IEC 27001:2022 itself see isms.statement_of_applicability and isms.clause_4_4_readiness.');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM isms.mapping_set s
                    WHERE (s.source_framework = fw AND s.target_framework = iso_fw)
                       OR (s.source_framework = iso_fw AND s.target_framework = fw)) THEN
        PERFORM isms.report_bad_argument('framework', fw, 'no mapping set links it to iso27001-2022',
            'Import a mapping library between it and ISO/IEC 27001:2022 with isms.import_library (SELECT * FROM isms.mapping_set lists the sets).');
    END IF;
    RETURN QUERY
    WITH RECURSIVE tree AS (
        SELECT r.code, ARRAY[]::text[] AS anc
          FROM isms.requirement r WHERE r.framework = fw AND r.parent_code IS NULL
        UNION ALL
        SELECT r.code, t.anc || t.code
          FROM tree t JOIN isms.requirement r ON r.framework = fw AND r.parent_code = t.code
    ),
    m AS MATERIALIZED (
        SELECT DISTINCT ON (x.req, x.iso) x.req, x.iso, x.rel
          FROM (SELECT rm.source_code AS req, rm.target_code AS iso, rm.relationship AS rel
                  FROM isms.requirement_mapping rm
                 WHERE rm.source_framework = fw AND rm.target_framework = iso_fw
                UNION ALL
                SELECT rm.target_code, rm.source_code,
                       CASE rm.relationship WHEN 'subset' THEN 'superset' WHEN 'superset' THEN 'subset'
                            ELSE rm.relationship END
                  FROM isms.requirement_mapping rm
                 WHERE rm.source_framework = iso_fw AND rm.target_framework = fw) x
         WHERE x.rel <> 'not_related'
         ORDER BY x.req, x.iso, CASE x.rel WHEN 'equal' THEN 1 WHEN 'subset' THEN 2 WHEN 'superset' THEN 3 ELSE 4 END
    ),
    st AS MATERIALIZED (
        SELECT m.req, m.iso, m.rel, q.kind, q.ref, e.id AS entry_id,
               CASE WHEN q.kind = 'clause' THEN 'clause'
                    WHEN e.id IS NULL THEN 'not decided'
                    WHEN NOT e.applicable THEN 'excluded'
                    ELSE e.implementation_status END AS state
          FROM m
          JOIN isms.requirement q ON q.framework = iso_fw AND q.code = m.iso AND q.kind IN ('clause', 'control')
          LEFT JOIN isms.soa_entry e ON q.kind = 'control' AND e.org_id = o AND e.framework = iso_fw
                                    AND e.control OPERATOR(isms.=) q.ref
    ),
    agg AS MATERIALIZED (
        SELECT st.req,
               count(*) FILTER (WHERE st.kind = 'control')::integer AS n_ctl,
               count(*) FILTER (WHERE st.state = 'implemented')::integer AS n_impl,
               count(*) FILTER (WHERE st.state = 'partially_implemented')::integer AS n_part,
               count(*) FILTER (WHERE st.state IN ('not_implemented', 'planned'))::integer AS n_not,
               count(*) FILTER (WHERE st.state = 'excluded')::integer AS n_excl,
               count(*) FILTER (WHERE st.state = 'not decided')::integer AS n_undec,
               count(*) FILTER (WHERE st.kind = 'clause')::integer AS n_clause,
               string_agg(st.iso || CASE st.rel WHEN 'equal' THEN ' (equal)' ELSE ' (contains it)' END, ', ' ORDER BY st.ref)
                   FILTER (WHERE st.state = 'implemented' AND st.rel IN ('equal', 'subset')) AS full_ctl,
               string_agg(st.iso || ' ' || replace(st.state, '_', ' ') || ' (' || st.rel || ')', ', ' ORDER BY st.ref)
                   FILTER (WHERE st.kind = 'control') AS controls,
               string_agg(st.iso, ', ' ORDER BY st.ref) FILTER (WHERE st.kind = 'clause') AS clauses
          FROM st GROUP BY st.req
    ),
    -- (each step computed once: materialized, whatever the statistics of a
    -- just-imported library say); evidence counted once per SoA entry
    ent AS MATERIALIZED (
        SELECT s.entry_id AS record_id, x.n, x.latest
          FROM (SELECT DISTINCT st.entry_id FROM st WHERE st.entry_id IS NOT NULL) s
         CROSS JOIN LATERAL (
               SELECT count(*) AS n, max(v.collected_at) AS latest
                 FROM isms.evidence v
                WHERE v.org_id = o AND v.record_table = 'isms.soa_entry'::regclass AND v.record_id = s.entry_id) x
         WHERE x.n > 0
    ),
    ev AS MATERIALIZED (
        SELECT st.req, sum(ent.n)::integer AS n, max(ent.latest) AS latest
          FROM st JOIN ent ON ent.record_id = st.entry_id
         GROUP BY st.req
    ),
    out AS (
        SELECT r.code, r.title, r.ordinal, r.ref, t.anc,
               coalesce(a.n_ctl, 0) AS n_ctl, coalesce(a.n_impl, 0) AS n_impl, coalesce(a.n_part, 0) AS n_part,
               coalesce(a.n_not, 0) AS n_not, coalesce(a.n_excl, 0) AS n_excl, coalesce(a.n_undec, 0) AS n_undec,
               coalesce(a.n_clause, 0) AS n_clause, a.full_ctl, a.controls, a.clauses,
               coalesce(ev.n, 0) AS n_ev, ev.latest
          FROM isms.requirement r
          JOIN tree t ON t.code = r.code
          LEFT JOIN agg a ON a.req = r.code
          LEFT JOIN ev ON ev.req = r.code
         WHERE r.framework = fw AND r.assessable AND NOT r.withdrawn
    )
    SELECT x.code, x.title, coalesce(x.anc[1], x.code), x.anc, x.n_ctl, x.n_impl, x.n_part, x.n_not, x.n_excl,
           x.n_undec, x.controls, x.clauses, x.n_ev, x.latest,
           CASE WHEN x.n_impl > 0 AND (x.full_ctl IS NOT NULL OR x.n_impl = x.n_ctl - x.n_excl) THEN 'covered'
                WHEN x.n_impl + x.n_part > 0 OR (x.n_ctl = 0 AND x.n_clause > 0) THEN 'partial'
                ELSE 'gap' END,
           CASE WHEN x.n_impl > 0 AND x.full_ctl IS NOT NULL
                    THEN format('implemented and equal to or containing the requirement: %s', x.full_ctl)
                WHEN x.n_impl > 0 AND x.n_impl = x.n_ctl - x.n_excl
                    THEN format('every mapped control the SoA does not exclude is implemented (%s of %s)', x.n_impl, x.n_ctl)
                WHEN x.n_impl + x.n_part > 0
                    THEN format('%s of %s mapped controls implemented, %s partially; %s not implemented or planned, %s not decided, %s excluded',
                                x.n_impl, x.n_ctl, x.n_part, x.n_not, x.n_undec, x.n_excl)
                WHEN x.n_ctl = 0 AND x.n_clause > 0
                    THEN format('mapped to clauses only (%s): met by operating the ISMS, not by an SoA decision', x.clauses)
                WHEN x.n_ctl = 0
                    THEN 'no ISO/IEC 27001:2022 control or clause is mapped to it'
                ELSE format('none of the %s mapped controls is implemented: %s not implemented or planned, %s not decided, %s excluded',
                            x.n_ctl, x.n_not, x.n_undec, x.n_excl) END
      FROM out x
     ORDER BY x.ordinal, x.ref, x.code;
END
$$;
COMMENT ON FUNCTION isms.framework_coverage(bigint, text) IS
    'How far the organisation''s ISO/IEC 27001:2022 ISMS covers another framework: each assessable requirement of it with the mapped Annex A controls (their SoA decision and implementation), mapped clauses, evidence on those SoA entries, and a verdict: covered (a mapped control is implemented and equal to or contains the requirement, or every mapped control the SoA does not exclude is implemented), partial (some mapped control implemented or partially; or clauses only), gap (otherwise); basis states the rule applied';

CREATE FUNCTION isms.framework_coverage_summary(org_id bigint, framework text, level integer DEFAULT 1)
RETURNS TABLE (node text, title text, requirements integer, covered integer, partial integer, gap integer,
               covered_share numeric)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    lvl constant integer := $3;
BEGIN
    IF lvl IS NULL OR lvl < 1 OR lvl > 10 THEN
        PERFORM isms.report_bad_argument('level', lvl::text, 'a depth from 1 (top level) to 10 is required',
            'Pass 1 for the top level (CSF functions), 2 for the next (CSF categories).');
    END IF;
    RETURN QUERY
    SELECT g.node, r.title, count(*)::integer, count(*) FILTER (WHERE c.verdict = 'covered')::integer,
           count(*) FILTER (WHERE c.verdict = 'partial')::integer, count(*) FILTER (WHERE c.verdict = 'gap')::integer,
           round(count(*) FILTER (WHERE c.verdict = 'covered')::numeric / count(*), 3)
      FROM isms.framework_coverage($1, $2) c
     CROSS JOIN LATERAL (SELECT coalesce((c.ancestors || c.requirement)[lvl], c.requirement) AS node) g
      LEFT JOIN isms.requirement r ON r.framework = $2 AND r.code = g.node
     GROUP BY g.node, r.title, r.ordinal, r.ref
     ORDER BY r.ordinal, r.ref, g.node;
END
$$;
COMMENT ON FUNCTION isms.framework_coverage_summary(bigint, text, integer) IS
    'isms.framework_coverage summed per node at a depth of the other framework (1: top level, such as the NIST CSF functions; 2: categories): requirements, covered, partial, gap and the covered share';

-- The 2013 -> 2022 transition: every 2022 Annex A control with the 2013
-- controls mapped to it (either direction) and their 2013 SoA decisions,
-- beside the 2022 decision.
CREATE FUNCTION isms.soa_transition(org_id bigint, from_framework text DEFAULT 'iso27001-2013')
RETURNS TABLE (control text, title text, from_controls text, from_decisions text, carried_over text,
               decision text, implementation_status text, is_new boolean, action text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    o constant bigint := isms.report_org($1);
    fw constant text := $2;
    iso_fw constant text := 'iso27001-2022';
BEGIN
    IF fw IS NULL OR fw = iso_fw OR NOT EXISTS (SELECT 1 FROM isms.mapping_set s
                    WHERE (s.source_framework = fw AND s.target_framework = iso_fw)
                       OR (s.source_framework = iso_fw AND s.target_framework = fw)) THEN
        PERFORM isms.report_bad_argument('from_framework', fw, 'no mapping set links it to iso27001-2022',
            'Import the earlier edition''s library and its mapping to ISO/IEC 27001:2022 with isms.import_library.');
    END IF;
    RETURN QUERY
    WITH m AS (
        SELECT DISTINCT x.old_code, x.new_code
          FROM (SELECT rm.source_code AS old_code, rm.target_code AS new_code, rm.relationship
                  FROM isms.requirement_mapping rm WHERE rm.source_framework = fw AND rm.target_framework = iso_fw
                UNION ALL
                SELECT rm.target_code, rm.source_code, rm.relationship
                  FROM isms.requirement_mapping rm WHERE rm.source_framework = iso_fw AND rm.target_framework = fw) x
         WHERE x.relationship <> 'not_related'
    ),
    old AS (
        SELECT m.new_code, q.ref, m.old_code,
               CASE WHEN e.id IS NULL THEN 'not decided' WHEN e.applicable THEN 'included' ELSE 'excluded' END AS dec
          FROM m
          JOIN isms.requirement q ON q.framework = fw AND q.code = m.old_code
          LEFT JOIN isms.soa_entry e ON e.org_id = o AND e.framework = fw AND e.control OPERATOR(isms.=) q.ref
    ),
    agg AS (
        SELECT old.new_code,
               string_agg(old.old_code, ', ' ORDER BY old.ref, old.old_code) AS codes,
               string_agg(old.old_code || ' ' || old.dec, ', ' ORDER BY old.ref, old.old_code) AS decs,
               CASE WHEN bool_or(old.dec = 'included') THEN 'included'
                    WHEN bool_and(old.dec = 'excluded') THEN 'excluded'
                    WHEN bool_or(old.dec = 'excluded') THEN 'excluded' ELSE 'not decided' END AS carried
          FROM old GROUP BY old.new_code
    )
    SELECT c.code, c.title, a.codes, a.decs, a.carried,
           CASE WHEN e.id IS NULL THEN 'not decided' WHEN e.applicable THEN 'included' ELSE 'excluded' END,
           e.implementation_status,
           a.new_code IS NULL,
           CASE WHEN e.id IS NOT NULL THEN NULL
                WHEN a.new_code IS NULL THEN 'New in 2022: decide it in the SoA (isms.soa_entry)'
                WHEN a.carried = 'not decided' THEN 'Decide it in the SoA: the 2013 controls it comes from were not decided either'
                ELSE format('Record the 2022 decision: the 2013 decisions (%s) carry over as %s', a.decs, a.carried) END
      FROM isms.requirement c
      LEFT JOIN agg a ON a.new_code = c.code
      LEFT JOIN isms.soa_entry e ON e.org_id = o AND e.framework = iso_fw AND e.control OPERATOR(isms.=) c.ref
     WHERE c.framework = iso_fw AND c.kind = 'control'
     ORDER BY c.ref;
END
$$;
COMMENT ON FUNCTION isms.soa_transition(bigint, text) IS
    'ISO/IEC 27001:2013 -> 2022 transition: every 2022 Annex A control with the earlier edition''s controls mapped to it, their SoA decisions in the organisation (soa_entry rows of that framework), the decision they carry over (included if any is included), the 2022 decision, whether the control is new (nothing maps to it) and what to do';

CREATE VIEW isms_report.framework_coverage WITH (security_invoker = true) AS
SELECT o.org_id, o.code AS org_code, f.code AS framework, f.title AS framework_title,
       c.requirement COLLATE isms.natural AS requirement, c.title, c.top_level COLLATE isms.natural AS top_level,
       c.ancestors[cardinality(c.ancestors)] COLLATE isms.natural AS parent_requirement,
       c.mapped_controls, c.implemented, c.partially_implemented, c.not_implemented, c.excluded, c.not_decided,
       c.controls, c.clauses, c.evidence_items, c.latest_evidence_at, c.verdict, c.basis
  FROM isms.organization o
 CROSS JOIN isms.framework f
 CROSS JOIN LATERAL isms.framework_coverage(o.org_id, f.code) c
 WHERE f.code <> 'iso27001-2022'
   AND EXISTS (SELECT 1 FROM isms.mapping_set s
                WHERE (s.source_framework = f.code AND s.target_framework = 'iso27001-2022')
                   OR (s.source_framework = 'iso27001-2022' AND s.target_framework = f.code));
COMMENT ON VIEW isms_report.framework_coverage IS
    'Coverage of other frameworks (NIST CSF, SOC 2, ISO/IEC 27001:2013...) by each organisation''s ISO/IEC 27001:2022 ISMS through the imported mappings: one row per organisation and assessable requirement, with a verdict (see isms.framework_coverage)';
COMMENT ON COLUMN isms_report.framework_coverage.org_id IS 'Organisation';
COMMENT ON COLUMN isms_report.framework_coverage.org_code IS 'Short code of the organisation';
COMMENT ON COLUMN isms_report.framework_coverage.framework IS 'The other framework, such as nist-csf-2.0';
COMMENT ON COLUMN isms_report.framework_coverage.framework_title IS 'Title of the other framework';
COMMENT ON COLUMN isms_report.framework_coverage.requirement IS 'Requirement of the other framework as it writes it, such as GV.OC-01';
COMMENT ON COLUMN isms_report.framework_coverage.title IS 'Title (or text) of the requirement';
COMMENT ON COLUMN isms_report.framework_coverage.top_level IS 'Top-level node the requirement is under, such as the CSF function GV';
COMMENT ON COLUMN isms_report.framework_coverage.parent_requirement IS 'Node directly above the requirement, such as the CSF category GV.OC';
COMMENT ON COLUMN isms_report.framework_coverage.mapped_controls IS 'Annex A controls mapped to the requirement';
COMMENT ON COLUMN isms_report.framework_coverage.implemented IS 'Of those, included in the SoA and implemented';
COMMENT ON COLUMN isms_report.framework_coverage.partially_implemented IS 'Of those, included and partially implemented';
COMMENT ON COLUMN isms_report.framework_coverage.not_implemented IS 'Of those, included and not implemented or only planned';
COMMENT ON COLUMN isms_report.framework_coverage.excluded IS 'Of those, excluded in the SoA';
COMMENT ON COLUMN isms_report.framework_coverage.not_decided IS 'Of those, without an SoA entry';
COMMENT ON COLUMN isms_report.framework_coverage.controls IS 'The mapped controls with their state and relationship, such as A.5.1 implemented (intersect)';
COMMENT ON COLUMN isms_report.framework_coverage.clauses IS 'ISO/IEC 27001 clauses (4-10) mapped to the requirement';
COMMENT ON COLUMN isms_report.framework_coverage.evidence_items IS 'Evidence items attached to the SoA entries of the mapped controls';
COMMENT ON COLUMN isms_report.framework_coverage.latest_evidence_at IS 'When the latest of that evidence was collected';
COMMENT ON COLUMN isms_report.framework_coverage.verdict IS 'covered, partial or gap';
COMMENT ON COLUMN isms_report.framework_coverage.basis IS 'The rule that gave the verdict, with the figures';

REVOKE ALL ON isms_report.framework_coverage FROM PUBLIC;
GRANT SELECT ON isms_report.framework_coverage TO isms_reader;
REVOKE ALL ON FUNCTION isms.framework_coverage(bigint, text), isms.framework_coverage_summary(bigint, text, integer),
    isms.soa_transition(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.framework_coverage(bigint, text), isms.framework_coverage_summary(bigint, text, integer),
    isms.soa_transition(bigint, text) TO isms_reader;
