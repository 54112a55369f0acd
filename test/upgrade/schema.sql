-- Every object of the extension isms, described with what makes it what it
-- is: definition, owner-independent privileges and comment.  Two databases
-- whose output is the same have the same isms.  One line per fact, sorted.
\pset format unaligned
\pset tuples_only on
WITH ext AS (
    SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'isms'
), member AS (
    SELECT d.classid, d.objid
      FROM pg_catalog.pg_depend d, ext
     WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), rel AS (
    -- member relations and the relations in the extension's schemas (history
    -- tables made at install time belong there too)
    SELECT c.oid FROM pg_catalog.pg_class c
     WHERE c.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_class'::regclass)
        OR c.relnamespace IN (SELECT n.oid FROM pg_catalog.pg_namespace n
                               WHERE n.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_namespace'::regclass)
                                  OR n.nspname IN ('isms', 'isms_report', 'isms_history'))
), facts AS (
    SELECT 'member ' || pg_catalog.pg_describe_object(classid, objid, 0) AS f FROM member
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure::text || E'\n' || pg_catalog.pg_get_functiondef(p.oid)
           || ' acl=' || coalesce(p.proacl::text, '-') || ' comment=' || coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '-')
      FROM pg_catalog.pg_proc p WHERE p.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_proc'::regclass)
       AND p.prokind <> 'a'
    UNION ALL
    SELECT 'aggregate ' || p.oid::regprocedure::text || ' acl=' || coalesce(p.proacl::text, '-')
           || ' comment=' || coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '-')
           || ' ' || (SELECT pg_catalog.concat_ws(' ', a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggtranstype::regtype, a.agginitval)
                       FROM pg_catalog.pg_aggregate a WHERE a.aggfnoid = p.oid)
      FROM pg_catalog.pg_proc p WHERE p.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_proc'::regclass)
       AND p.prokind = 'a'
    UNION ALL
    SELECT pg_catalog.format('relation %s kind=%s persistence=%s rls=%s/%s acl=%s options=%s comment=%s',
                             c.oid::regclass, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,
                             coalesce(c.relacl::text, '-'), coalesce(c.reloptions::text, '-'),
                             coalesce(pg_catalog.obj_description(c.oid, 'pg_class'), '-'))
      FROM pg_catalog.pg_class c WHERE c.oid IN (SELECT oid FROM rel)
    UNION ALL
    -- columns by name: a column an upgrade adds comes last in its table
    SELECT pg_catalog.format('column %s.%I %s notnull=%s default=%s identity=%s generated=%s collation=%s acl=%s comment=%s',
                             a.attrelid::regclass, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
                             coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '-'), a.attidentity, a.attgenerated,
                             a.attcollation::pg_catalog.regcollation, coalesce(a.attacl::text, '-'),
                             coalesce(pg_catalog.col_description(a.attrelid, a.attnum), '-'))
      FROM pg_catalog.pg_attribute a
      LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE a.attrelid IN (SELECT oid FROM rel) AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT pg_catalog.format('view %s %s', c.oid::regclass, pg_catalog.pg_get_viewdef(c.oid))
      FROM pg_catalog.pg_class c WHERE c.oid IN (SELECT oid FROM rel) AND c.relkind IN ('v', 'm')
    UNION ALL
    SELECT pg_catalog.format('constraint %s %s %s deferrable=%s/%s comment=%s', co.conrelid::regclass, co.conname,
                             pg_catalog.pg_get_constraintdef(co.oid), co.condeferrable, co.condeferred,
                             coalesce(pg_catalog.obj_description(co.oid, 'pg_constraint'), '-'))
      FROM pg_catalog.pg_constraint co WHERE co.conrelid IN (SELECT oid FROM rel)
    UNION ALL
    SELECT pg_catalog.format('domain-or-type constraint %s %s %s', co.contypid::regtype, co.conname, pg_catalog.pg_get_constraintdef(co.oid))
      FROM pg_catalog.pg_constraint co WHERE co.contypid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_type'::regclass)
    UNION ALL
    SELECT pg_catalog.format('index %s', pg_catalog.pg_get_indexdef(i.indexrelid))
      FROM pg_catalog.pg_index i WHERE i.indrelid IN (SELECT oid FROM rel)
    UNION ALL
    SELECT pg_catalog.format('trigger %s enabled=%s comment=%s', pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled,
                             coalesce(pg_catalog.obj_description(t.oid, 'pg_trigger'), '-'))
      FROM pg_catalog.pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM rel) AND NOT t.tgisinternal
    UNION ALL
    SELECT pg_catalog.format('policy %s %s cmd=%s permissive=%s roles=%s using=%s check=%s', po.polrelid::regclass, po.polname,
                             po.polcmd, po.polpermissive,
                             (SELECT pg_catalog.string_agg(CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END, ',' ORDER BY 1)
                                FROM pg_catalog.unnest(po.polroles) r),
                             coalesce(pg_catalog.pg_get_expr(po.polqual, po.polrelid), '-'),
                             coalesce(pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid), '-'))
      FROM pg_catalog.pg_policy po WHERE po.polrelid IN (SELECT oid FROM rel)
    UNION ALL
    SELECT pg_catalog.format('type %s %s acl=%s comment=%s', t.oid::regtype, t.typtype, coalesce(t.typacl::text, '-'),
                             coalesce(pg_catalog.obj_description(t.oid, 'pg_type'), '-'))
      FROM pg_catalog.pg_type t WHERE t.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_type'::regclass)
    UNION ALL
    SELECT pg_catalog.format('enum %s %s', e.enumtypid::regtype,
                             pg_catalog.string_agg(e.enumlabel::text, ',' ORDER BY e.enumsortorder))
      FROM pg_catalog.pg_enum e WHERE e.enumtypid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_type'::regclass)
     GROUP BY e.enumtypid
    UNION ALL
    SELECT pg_catalog.format('operator %s %s commutator=%s negator=%s restrict=%s join=%s comment=%s', o.oid::regoperator, o.oprcode,
                             o.oprcom::regoperator, o.oprnegate::regoperator, o.oprrest, o.oprjoin,
                             coalesce(pg_catalog.obj_description(o.oid, 'pg_operator'), '-'))
      FROM pg_catalog.pg_operator o WHERE o.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_operator'::regclass)
    UNION ALL
    SELECT pg_catalog.format('opclass %s.%s default=%s members=%s', am.amname, oc.opcname, oc.opcdefault,
             (SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object('pg_catalog.pg_amop'::regclass, ao.oid, 0), '; ' ORDER BY 1)
                FROM pg_catalog.pg_amop ao WHERE ao.amopfamily = oc.opcfamily)
             || ' ' ||
             coalesce((SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object('pg_catalog.pg_amproc'::regclass, ap.oid, 0), '; ' ORDER BY 1)
                FROM pg_catalog.pg_amproc ap WHERE ap.amprocfamily = oc.opcfamily), ''))
      FROM pg_catalog.pg_opclass oc JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod
     WHERE oc.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_opclass'::regclass)
    UNION ALL
    SELECT pg_catalog.format('cast %s context=%s method=%s', pg_catalog.pg_describe_object('pg_catalog.pg_cast'::regclass, ca.oid, 0),
                             ca.castcontext, ca.castmethod)
      FROM pg_catalog.pg_cast ca WHERE ca.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_cast'::regclass)
    UNION ALL
    SELECT pg_catalog.format('schema %s acl=%s comment=%s', n.nspname, coalesce(n.nspacl::text, '-'),
                             coalesce(pg_catalog.obj_description(n.oid, 'pg_namespace'), '-'))
      FROM pg_catalog.pg_namespace n WHERE n.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_namespace'::regclass)
    UNION ALL
    SELECT pg_catalog.format('event trigger %s %s %s enabled=%s', e.evtname, e.evtevent, e.evtfoid::regproc, e.evtenabled)
      FROM pg_catalog.pg_event_trigger e WHERE e.oid IN (SELECT objid FROM member WHERE classid = 'pg_catalog.pg_event_trigger'::regclass)
    UNION ALL
    SELECT pg_catalog.format('extension config %s filter=%s', c::regclass, coalesce(cond, '-'))
      FROM pg_catalog.pg_extension x, ext, LATERAL ROWS FROM (pg_catalog.unnest(x.extconfig), pg_catalog.unnest(x.extcondition)) AS u(c, cond)
     WHERE x.oid = ext.oid
    UNION ALL
    SELECT pg_catalog.format('default acl %s %s %s', d.defaclrole::regrole, d.defaclnamespace::regnamespace, d.defaclacl)
      FROM pg_catalog.pg_default_acl d WHERE d.defaclnamespace::regnamespace::text IN ('isms', 'isms_report', 'isms_history')
)
SELECT f FROM facts ORDER BY f COLLATE "C";
