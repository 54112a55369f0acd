-- The audit pack: one self-contained HTML document an auditor takes away
-- (Clause 4.4, 7.5, 9.1): the organisation's readiness with its actions, the
-- Statement of Applicability with its sign-offs, staleness, the improvement
-- trend and the process map as inline SVG, open nonconformities, the
-- suppliers, open tasks, policy acknowledgement and the trail head to
-- quote, all as of one instant.  Inline
-- CSS, no script, no external resource: it opens from a file, offline, and
-- prints to PDF from a browser.
--
-- Read-only and SECURITY INVOKER like every report: row-level security
-- decides what the caller sees, and it runs on a hot standby.  Every value
-- from a register passes through isms.html_escape(), so a record titled
-- <script> is shown, never run.  The figures carry data-figure attributes,
-- so a test (test/auditpack) can read them back from the rendered page.

CREATE FUNCTION isms.html_escape(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
               coalesce($1, ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$$;
COMMENT ON FUNCTION isms.html_escape(text) IS
    'The text with the five HTML-significant characters escaped (& < > " and the apostrophe), safe as HTML text and as a quoted attribute value; NULL gives the empty string';
REVOKE ALL ON FUNCTION isms.html_escape(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.html_escape(text) TO isms_reader;

------------------------------------------------------------------------------
-- The improvement trend as an SVG chart: per quarter over the two years up
-- to as_of (isms.improvement_metrics), the total current risk rating as a
-- line (left) and the PDCA cycles completed and nonconformities closed as
-- bars (right).

CREATE FUNCTION isms.audit_pack_trend_svg(org_id bigint, as_of timestamptz DEFAULT now()) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o constant bigint := isms.report_org($1);
    t constant timestamptz := isms.report_time('as_of', $2);
    p_end timestamptz[];
    p_risk bigint[];
    p_cycles integer[];
    p_closed integer[];
    n integer;
    i integer := 0;
    risk_max numeric;
    bar_max numeric;
    pw constant integer := 430;          -- plot width of each chart
    ph constant integer := 170;          -- plot height
    x0 constant integer := 50;           -- left chart origin
    x1 constant integer := 560;          -- right chart origin
    y0 constant integer := 210;          -- baseline
    step numeric;
    k integer;
    pe timestamptz;
    rv bigint;
    cy integer;
    cl integer;
    x numeric;
    y numeric;
    pts text := '';
    dots text := '';
    bars text := '';
    labels text := '';
    svg text;
BEGIN
    SELECT array_agg(mm.period_end ORDER BY mm.period_start), array_agg(mm.residual_risk_total ORDER BY mm.period_start),
           array_agg(mm.pdca_cycles_completed ORDER BY mm.period_start), array_agg(mm.nonconformities_closed ORDER BY mm.period_start)
      INTO p_end, p_risk, p_cycles, p_closed
      FROM isms.improvement_metrics(o, t - interval '2 years', t, interval '3 months') mm;
    n := coalesce(cardinality(p_end), 0);
    IF n = 0 THEN
        RETURN '<p class="none">No period to show.</p>';
    END IF;
    SELECT greatest(max(v), 1) INTO risk_max FROM unnest(p_risk) v;
    SELECT greatest(max(v), 1) INTO bar_max FROM unnest(p_cycles || p_closed) v;
    step := pw::numeric / n;
    FOR k IN 1 .. n LOOP
        pe := p_end[k]; rv := coalesce(p_risk[k], 0); cy := coalesce(p_cycles[k], 0); cl := coalesce(p_closed[k], 0);
        x := x0 + step * (i + 0.5);
        y := y0 - ph * rv / risk_max;
        pts := pts || format('%s,%s ', round(x, 1), round(y, 1));
        dots := dots || format('<circle cx="%s" cy="%s" r="3.5" class="pt"><title>%s: %s</title></circle>'
                               '<text x="%s" y="%s" class="val">%s</text>',
                               round(x, 1), round(y, 1), to_char(pe, 'YYYY-MM-DD'), rv,
                               round(x, 1), round(y - 8, 1), rv);
        labels := labels || format('<text x="%s" y="%s" class="axis">%s</text>',
                                   round(x, 1), y0 + 16, to_char(pe - interval '1 day', 'YY"Q"Q'));
        x := x1 + step * i;
        bars := bars || format('<rect x="%s" y="%s" width="%s" height="%s" class="bar1"><title>%s: %s PDCA cycles completed</title></rect>'
                               '<rect x="%s" y="%s" width="%s" height="%s" class="bar2"><title>%s: %s nonconformities closed</title></rect>'
                               '<text x="%s" y="%s" class="axis">%s</text>',
                               round(x + step * 0.12, 1), round(y0 - ph * cy / bar_max, 1), round(step * 0.36, 1),
                               round(ph * cy / bar_max, 1), to_char(pe, 'YYYY-MM-DD'), cy,
                               round(x + step * 0.52, 1), round(y0 - ph * cl / bar_max, 1), round(step * 0.36, 1),
                               round(ph * cl / bar_max, 1), to_char(pe, 'YYYY-MM-DD'), cl,
                               round(x + step * 0.5, 1), y0 + 16, to_char(pe - interval '1 day', 'YY"Q"Q'));
        i := i + 1;
    END LOOP;
    svg := format('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1010 260" width="100%%" role="img" '
                  'aria-label="Improvement trend: residual risk and PDCA cycles per quarter">'
                  '<style>.axis{font:11px sans-serif;fill:#555;text-anchor:middle}.ttl{font:bold 13px sans-serif;fill:#222}'
                  '.val{font:10px sans-serif;fill:#1f4e79;text-anchor:middle}.pt{fill:#1f4e79}'
                  '.bar1{fill:#2e7d32}.bar2{fill:#90a4ae}.grid{stroke:#ddd;stroke-width:1}.lg{font:11px sans-serif;fill:#333}</style>'
                  '<text x="%s" y="18" class="ttl">Total current risk rating (lower is better)</text>'
                  '<text x="%s" y="18" class="ttl">Completed per quarter</text>'
                  '<line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/><line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/>'
                  '<line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/><line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/>'
                  '<polyline points="%s" fill="none" stroke="#1f4e79" stroke-width="2.5"/>%s%s%s'
                  '<rect x="%s" y="30" width="10" height="10" class="bar1"/><text x="%s" y="39" class="lg">PDCA cycles completed</text>'
                  '<rect x="%s" y="30" width="10" height="10" class="bar2"/><text x="%s" y="39" class="lg">nonconformities closed</text>'
                  '<text x="%s" y="%s" class="axis" style="text-anchor:end">%s</text>'
                  '</svg>',
                  x0, x1,
                  x0, y0, x0 + pw, y0, x0, y0 - ph, x0 + pw, y0 - ph,
                  x1, y0, x1 + pw, y0, x1, y0 - ph, x1 + pw, y0 - ph,
                  btrim(pts), dots, labels, bars,
                  x1 + 200, x1 + 214, x1 + 360, x1 + 374,
                  x1 - 6, y0 - ph + 4, round(bar_max));
    RETURN svg;
END
$$;
COMMENT ON FUNCTION isms.audit_pack_trend_svg(bigint, timestamptz) IS
    'The improvement trend of the audit pack as an inline SVG chart: per quarter over the two years up to as_of (isms.improvement_metrics), the total current risk rating and the PDCA cycles completed and nonconformities closed';
REVOKE ALL ON FUNCTION isms.audit_pack_trend_svg(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.audit_pack_trend_svg(bigint, timestamptz) TO isms_reader;

------------------------------------------------------------------------------
-- The process map as an SVG image, drawn in the database (no Graphviz):
-- one column per PDCA phase, a box per process, a curve per interaction
-- (isms.process_interactions at as_of; near misses dashed), siloed
-- processes outlined in red.

CREATE FUNCTION isms.audit_pack_process_svg(org_id bigint, as_of timestamptz DEFAULT now()) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o constant bigint := isms.report_org($1);
    t constant timestamptz := isms.report_time('as_of', $2);
    bw constant integer := 210;          -- box width
    bh constant integer := 40;           -- box height
    cw constant integer := 260;          -- column pitch
    rh constant integer := 62;           -- row pitch
    top constant integer := 64;
    rows integer;
    boxes text;
    edges text;
    heads text;
BEGIN
    WITH b AS MATERIALIZED (
        SELECT p.process_id AS id, p.name, p.pdca_phase AS phase, p.siloed,
               20 + cw * (array_position(ARRAY['plan', 'do', 'check', 'act'], p.pdca_phase) - 1) AS x,
               top + rh * (row_number() OVER (PARTITION BY p.pdca_phase ORDER BY p.name, p.process_id) - 1)::integer AS y
          FROM isms.process_links(o, t) p),
    e AS (
        SELECT x.from_process_id AS src, x.to_process_id AS dst, bool_or(x.match = 'exact') AS exact,
               string_agg(DISTINCT x.artifact, ', ') AS artifacts
          FROM isms.process_interactions(o, t) x
         WHERE x.match IN ('exact', 'near_miss')
         GROUP BY 1, 2)
    SELECT (SELECT max(b.y) FROM b),
           (SELECT string_agg(format('<g><title>%s (%s)%s</title><rect x="%s" y="%s" width="%s" height="%s" rx="6" class="%s"/>'
                                     '<text x="%s" y="%s" class="bx">%s</text></g>',
                                     isms.html_escape(b.name), b.phase, CASE WHEN b.siloed THEN ': siloed' ELSE '' END,
                                     b.x, b.y, bw, bh, CASE WHEN b.siloed THEN 'box silo' ELSE 'box ' || b.phase END,
                                     b.x + bw / 2, b.y + bh / 2 + 4,
                                     isms.html_escape(CASE WHEN char_length(b.name) > 30 THEN left(b.name, 29) || '…' ELSE b.name END)),
                              '' ORDER BY b.x, b.y) FROM b),
           -- one curve per pair of processes: forward from the right side
           -- of the source to the left side of the target; within a column
           -- round the left; back to an earlier phase over the top
           (SELECT string_agg(format('<path d="M%s,%s C%s,%s %s,%s %s,%s" class="%s"><title>%s</title></path>',
                                     VARIADIC CASE
                                     WHEN c.x > a.x THEN ARRAY[a.x + bw, a.y + bh / 2, a.x + bw + 50, a.y + bh / 2,
                                                               c.x - 50, c.y + bh / 2, c.x, c.y + bh / 2]
                                     WHEN c.x = a.x THEN ARRAY[a.x, a.y + bh / 2, a.x - 18, a.y + bh / 2,
                                                               c.x - 18, c.y + bh / 2, c.x, c.y + bh / 2]
                                     ELSE ARRAY[a.x + bw / 2 + 20, a.y, a.x + bw / 2 + 20, 34,
                                                c.x + bw / 2 - 20, 34, c.x + bw / 2 - 20, c.y] END::text[]
                                     || ARRAY[
                                     CASE WHEN e.exact THEN 'edge' ELSE 'edge near' END,
                                     isms.html_escape(format('%s → %s: %s', a.name, c.name, e.artifacts))]),
                              '' ORDER BY a.x, a.y, c.x, c.y)
              FROM e JOIN b a ON a.id = e.src JOIN b c ON c.id = e.dst)
      INTO rows, boxes, edges;
    IF rows IS NULL THEN
        RETURN '<p class="none">No process recorded.</p>';
    END IF;
    SELECT string_agg(format('<text x="%s" y="20" class="ph">%s</text>', 20 + cw * (k - 1) + bw / 2, initcap(ph)), '' ORDER BY k)
      INTO heads
      FROM unnest(ARRAY['plan', 'do', 'check', 'act']) WITH ORDINALITY AS u(ph, k);
    RETURN format('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="100%%" role="img" '
                  'aria-label="Process map: ISMS processes by PDCA phase and their interactions">'
                  '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
                  '<path d="M0,0 L10,5 L0,10 z" fill="#5c6b7a"/></marker></defs>'
                  '<style>.ph{font:bold 14px sans-serif;fill:#222;text-anchor:middle;text-transform:uppercase;letter-spacing:1px}'
                  '.bx{font:12px sans-serif;fill:#111;text-anchor:middle}.box{stroke:#5c6b7a;stroke-width:1.2}'
                  '.plan{fill:#e3f2fd}.do{fill:#e8f5e9}.check{fill:#fff8e1}.act{fill:#fce4ec}'
                  '.silo{fill:#ffebee;stroke:#c62828;stroke-width:2.5}'
                  '.edge{fill:none;stroke:#5c6b7a;stroke-width:1.1;opacity:.75;marker-end:url(#arrow)}'
                  '.near{stroke:#ef6c00;stroke-dasharray:5 4}</style>%s%s%s</svg>',
                  20 + cw * 4 - (cw - bw) + 20, rows + bh + 20, heads, coalesce(edges, ''), boxes);
END
$$;
COMMENT ON FUNCTION isms.audit_pack_process_svg(bigint, timestamptz) IS
    'The process map of the audit pack as an inline SVG image drawn in the database: one column per PDCA phase, a box per process, a curve per interaction at as_of (isms.process_interactions; near misses dashed), siloed processes in red';
REVOKE ALL ON FUNCTION isms.audit_pack_process_svg(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.audit_pack_process_svg(bigint, timestamptz) TO isms_reader;

------------------------------------------------------------------------------
-- The pack.

CREATE FUNCTION isms.audit_pack(org_code text, as_of timestamptz DEFAULT now()) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o bigint;
    org isms.organization;
    t constant timestamptz := isms.report_time('as_of', $2);
    n_pass integer; n_warn integer; n_fail integer;
    n_controls integer; n_app integer; n_excl integer; n_undecided integer; n_impl integer;
    n_nc integer; n_stale bigint; n_sup_flag integer;
    n_task integer; n_task_1 integer; n_task_2 integer; n_ack bigint; n_ack_pairs bigint;
    head_seq bigint; head_hash text;
    verdict text;
    css text;
    html text;
    part text;
BEGIN
    IF org_code IS NULL OR btrim(org_code) = '' THEN
        PERFORM isms.report_bad_argument('org_code', org_code, 'an organisation code is required',
            'SELECT code FROM isms.organization lists the organisations you may see.');
    END IF;
    SELECT x.* INTO org FROM isms.organization x WHERE x.code = org_code;
    IF NOT FOUND THEN
        PERFORM isms.report_bad_argument('org_code', org_code, 'no such organisation, or not one you are a member of',
            'SELECT code FROM isms.organization lists the organisations you may see.');
    END IF;
    o := org.org_id;

    -- the figures of the summary, each from the report function itself
    SELECT count(*) FILTER (WHERE r.status = 'pass'), count(*) FILTER (WHERE r.status = 'warn'),
           count(*) FILTER (WHERE r.status = 'fail')
      INTO n_pass, n_warn, n_fail FROM isms.clause_4_4_readiness(o, t) r;
    verdict := CASE WHEN n_fail > 0 THEN 'not ready: fix the failing checks first'
                    WHEN n_warn > 0 THEN 'ready with observations' ELSE 'ready' END;
    SELECT count(*), count(*) FILTER (WHERE s.decision = 'included'), count(*) FILTER (WHERE s.decision = 'excluded'),
           count(*) FILTER (WHERE s.decision NOT IN ('included', 'excluded')),
           count(*) FILTER (WHERE s.decision = 'included' AND s.implementation_status = 'implemented')
      INTO n_controls, n_app, n_excl, n_undecided, n_impl
      FROM isms.statement_of_applicability(o, 'iso27001-2022', t) s;
    SELECT count(*) INTO n_nc
      FROM isms.known_as_of(NULL::isms.nonconformity, t) n
      JOIN isms.workflow_state ws ON ws.workflow = 'nonconformity' AND ws.state = n.status
     WHERE n.org_id = o AND n.created_at <= t AND NOT ws.is_terminal;
    SELECT coalesce(sum(z.overdue), 0) INTO n_stale FROM isms.staleness_summary(o, t) z;
    PERFORM isms.require_member(o, 'read the trail head of');
    -- now: the head itself (entries of this transaction are recorded at
    -- clock time, after now()); a past instant: the last entry by then
    SELECT x.seq, encode(x.hash, 'hex') INTO head_seq, head_hash
      FROM isms.trail x WHERE x.org_id = o AND (t >= now() OR x.recorded_at <= t) ORDER BY x.seq DESC LIMIT 1;

    css := '@page{size:A4;margin:14mm 12mm}'
        || 'body{font:13px/1.45 "DejaVu Sans",Helvetica,Arial,sans-serif;color:#1d2430;margin:0;background:#f4f6f8}'
        || 'main{max-width:1180px;margin:0 auto;background:#fff;padding:28px 36px 40px}'
        || 'header{border-bottom:3px solid #1f4e79;padding-bottom:14px;margin-bottom:18px}'
        || 'h1{font-size:26px;margin:0 0 4px;color:#1f4e79}h2{font-size:18px;color:#1f4e79;border-bottom:1px solid #d5dde5;padding-bottom:4px;margin:28px 0 10px}'
        || 'h3{font-size:14px;margin:14px 0 6px}.meta{color:#555}.meta b{color:#1d2430}'
        || '.tiles{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin:16px 0}'
        || '.tile{border:1px solid #d5dde5;border-radius:8px;padding:10px 12px;background:#fafbfc}'
        || '.tile .k{font-size:11px;text-transform:uppercase;letter-spacing:.5px;color:#5c6b7a}'
        || '.tile .v{font-size:22px;font-weight:bold;margin-top:2px}.tile .s{font-size:11px;color:#5c6b7a}'
        || '.hash{font-family:"DejaVu Sans Mono",monospace;font-size:11px;word-break:break-all}'
        || 'table{border-collapse:collapse;width:100%;margin:6px 0 8px;font-size:12px}'
        || 'th,td{border:1px solid #d5dde5;padding:4px 6px;text-align:left;vertical-align:top}'
        || 'th{background:#eef2f6;font-weight:600}tr:nth-child(even) td{background:#fafbfc}td.n{text-align:right;white-space:nowrap}'
        || '.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:11px;font-weight:bold;color:#fff}'
        || '.pass{background:#2e7d32}.warn{background:#ef8f00}.fail{background:#c62828}.info{background:#5c6b7a}'
        || '.v.pass,.v.warn,.v.fail{background:none}.v.pass{color:#2e7d32}.v.warn{color:#ef8f00}.v.fail{color:#c62828}'
        || '.none{color:#5c6b7a;font-style:italic}.small{font-size:11px;color:#5c6b7a}'
        || 'figure{margin:8px 0;border:1px solid #d5dde5;border-radius:8px;padding:8px}figcaption{font-size:11px;color:#5c6b7a}'
        || 'footer{margin-top:30px;border-top:1px solid #d5dde5;padding-top:8px;font-size:11px;color:#5c6b7a}'
        || '@media print{body{background:#fff}main{max-width:none;padding:0}section{break-inside:auto}'
        || 'h2{break-after:avoid}tr,figure,.tile{break-inside:avoid}.tiles{grid-template-columns:repeat(5,1fr)}'
        || 'th{background:#eef2f6 !important;-webkit-print-color-adjust:exact;print-color-adjust:exact}'
        || '.badge,.bar1,.bar2{-webkit-print-color-adjust:exact;print-color-adjust:exact}}';

    html := '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        || '<meta name="viewport" content="width=device-width, initial-scale=1">'
        || format('<title>ISMS audit pack: %s, as of %s</title>', isms.html_escape(org.name), to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
        || '<style>' || css || '</style></head><body><main>'
        || '<header><h1>ISMS audit pack</h1>'
        || format('<div class="meta"><b data-figure="org-name">%s</b> (%s) &middot; ISO/IEC 27001:2022 &middot; as of <b data-figure="as-of">%s</b></div>',
                  isms.html_escape(org.name), isms.html_escape(org.code), to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'))
        || format('<div class="meta small">Generated %s by isms %s from the records as they stood at that instant (register history and transition log).</div>',
                  to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), isms.html_escape(isms.version()))
        || CASE WHEN coalesce(btrim(org.scope_statement), '') <> ''
                THEN format('<p><b>Scope (4.3):</b> %s</p>', isms.html_escape(org.scope_statement)) ELSE '' END
        || '</header>';

    -- summary tiles
    html := html || '<section id="summary"><div class="tiles">'
        || format('<div class="tile"><div class="k">Clause 4.4 readiness</div><div class="v %s">'
                  '<span data-figure="readiness-pass">%s</span> / <span data-figure="readiness-warn">%s</span> / <span data-figure="readiness-fail">%s</span></div>'
                  '<div class="s">pass / warn / fail: %s</div></div>',
                  CASE WHEN n_fail > 0 THEN 'fail' WHEN n_warn > 0 THEN 'warn' ELSE 'pass' END, n_pass, n_warn, n_fail, verdict)
        || format('<div class="tile"><div class="k">Statement of Applicability</div><div class="v"><span data-figure="soa-applicable">%s</span> of <span data-figure="soa-controls">%s</span></div>'
                  '<div class="s">controls applicable; %s excluded, %s not decided, %s implemented</div></div>',
                  n_app, n_controls, n_excl, n_undecided, n_impl)
        || format('<div class="tile"><div class="k">Open nonconformities</div><div class="v"><span data-figure="open-nonconformities">%s</span></div>'
                  '<div class="s">clause 10.2, not closed or rejected</div></div>', n_nc)
        || format('<div class="tile"><div class="k">Overdue reviews</div><div class="v"><span data-figure="overdue-reviews">%s</span></div>'
                  '<div class="s">register rows past their review interval</div></div>', n_stale)
        || format('<div class="tile"><div class="k">Trail head</div><div class="v">#<span data-figure="trail-seq">%s</span></div>'
                  '<div class="s hash" data-figure="trail-hash">%s</div></div>',
                  coalesce(head_seq::text, '-'), coalesce(head_hash, 'no entry yet'))
        || '</div></section>';

    -- readiness
    SELECT string_agg(format('<tr><td class="n">%s</td><td>%s</td><td>%s</td><td><span class="badge %s">%s</span></td>'
                             '<td class="n">%s</td><td>%s</td><td>%s</td></tr>',
                             r.check_no, isms.html_escape(r.checkpoint), isms.html_escape(r.clauses), r.status, r.status,
                             r.score, isms.html_escape(r.figures), isms.html_escape(r.action)), '' ORDER BY r.check_no)
      INTO part FROM isms.clause_4_4_readiness(o, t) r;
    html := html || '<section id="readiness"><h2>1. Clause 4.4 audit readiness</h2>'
        || format('<p>Verdict: <b>%s</b> (%s pass, %s warn, %s fail).</p>', verdict, n_pass, n_warn, n_fail)
        || '<table><thead><tr><th>#</th><th>Checkpoint</th><th>Clauses</th><th>Status</th><th>Score</th><th>Figures</th><th>Action</th></tr></thead><tbody>'
        || coalesce(part, '') || '</tbody></table></section>';

    -- Statement of Applicability and its sign-offs
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s%s</td><td>%s</td><td class="small hash">%s</td><td><span class="badge %s">%s</span></td></tr>',
                             to_char(s.signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), isms.html_escape(s.subject),
                             isms.html_escape(s.signer), coalesce(' (' || isms.html_escape(s.signer_role) || ')', ''),
                             coalesce('version ' || s.soa_version, 'record ' || s.record_id, ''),
                             isms.html_escape(left(s.sha256, 16)) || '…',
                             CASE s.status WHEN 'signed' THEN 'pass' ELSE 'warn' END, isms.html_escape(s.status)),
                      '' ORDER BY s.signed_at, s.signoff_id)
      INTO part FROM isms.signoff_status(o, t) s;
    html := html || '<section id="soa"><h2>2. Statement of Applicability (6.1.3 d)</h2>'
        || format('<p>%s of %s Annex A controls applicable, %s excluded, %s not decided; %s of the applicable implemented.</p>',
                  n_app, n_controls, n_excl, n_undecided, n_impl)
        || '<h3>Sign-offs</h3>'
        || CASE WHEN part IS NULL THEN '<p class="none">No sign-off recorded by this date.</p>'
                ELSE '<table><thead><tr><th>Signed</th><th>Subject</th><th>Signer</th><th>Of</th><th>SHA-256</th><th>Status</th></tr></thead><tbody>'
                     || part || '</tbody></table>' END;
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td><span class="badge %s">%s</span></td><td>%s</td><td>%s</td><td class="n">%s</td></tr>',
                             isms.html_escape(s.control), isms.html_escape(s.title),
                             CASE s.decision WHEN 'included' THEN 'pass' WHEN 'excluded' THEN 'info' ELSE 'warn' END,
                             isms.html_escape(s.decision), isms.html_escape(replace(coalesce(s.implementation_status, ''), '_', ' ')),
                             isms.html_escape(s.justification), s.linked_risks), '' ORDER BY ord)
      INTO part
      FROM (SELECT x.*, row_number() OVER () AS ord FROM isms.statement_of_applicability(o, 'iso27001-2022', t) x) s;
    html := html || '<h3>Controls</h3><table><thead><tr><th>Control</th><th>Title</th><th>Decision</th><th>Implementation</th>'
        || '<th>Justification</th><th>Risks</th></tr></thead><tbody>' || coalesce(part, '') || '</tbody></table></section>';

    -- staleness
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td>%s</td></tr>',
                             isms.html_escape(z.title), isms.html_escape(z.clause), z.rows,
                             coalesce(z.overdue::text, ''), coalesce(z.never_reviewed::text, ''),
                             coalesce(z.days_since_change::text, ''),
                             CASE WHEN z.untouched THEN '<span class="badge fail">untouched</span>'
                                  WHEN z.overdue > 0 THEN '<span class="badge warn">overdue</span>' ELSE '' END),
                      '' ORDER BY z.untouched DESC, z.overdue DESC NULLS LAST, z.clause, z.register)
      INTO part FROM isms.staleness_summary(o, t) z WHERE z.reviewable OR z.untouched;
    html := html || '<section id="staleness"><h2>3. Staleness: periodic reviews (9.1)</h2>'
        || format('<p><b>%s</b> register rows overdue for review; registers untouched for a year are shelf-ware.</p>', n_stale)
        || '<table><thead><tr><th>Register</th><th>Clause</th><th>Rows</th><th>Overdue</th><th>Never reviewed</th><th>Days since change</th><th></th></tr></thead><tbody>'
        || coalesce(part, '') || '</tbody></table></section>';

    -- trend and process map
    html := html || '<section id="trend"><h2>4. Continual improvement (10.1)</h2><figure>'
        || isms.audit_pack_trend_svg(o, t)
        || '<figcaption>Per quarter over the two years up to the report date (isms.improvement_metrics).</figcaption></figure></section>';
    html := html || '<section id="process-map"><h2>5. Processes and their interactions (4.4)</h2><figure>'
        || isms.audit_pack_process_svg(o, t)
        || '<figcaption>Processes by PDCA phase; an arrow is an output of one process taken as input by another (isms.process_interactions); '
        || 'dashed: names that differ only in spelling; red: a siloed process.</figcaption></figure></section>';

    -- open nonconformities
    SELECT string_agg(format('<tr><td class="n">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
                             n.id, isms.html_escape(n.title), isms.html_escape(n.requirement::text), isms.html_escape(n.severity),
                             isms.html_escape(n.status), to_char(n.detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), isms.html_escape(n.owner)),
                      '' ORDER BY n.detected_at, n.id)
      INTO part
      FROM isms.known_as_of(NULL::isms.nonconformity, t) n
      JOIN isms.workflow_state ws ON ws.workflow = 'nonconformity' AND ws.state = n.status
     WHERE n.org_id = o AND n.created_at <= t AND NOT ws.is_terminal;
    html := html || '<section id="nonconformities"><h2>6. Open nonconformities (10.2)</h2>'
        || CASE WHEN part IS NULL THEN '<p class="none">None open.</p>'
                ELSE '<table><thead><tr><th>#</th><th>Nonconformity</th><th>Requirement</th><th>Severity</th><th>Status</th><th>Detected</th><th>Owner</th></tr></thead><tbody>'
                     || part || '</tbody></table>' END
        || '</section>';

    -- suppliers
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
                             isms.html_escape(s.name), isms.html_escape(s.services), isms.html_escape(s.criticality),
                             isms.html_escape(s.classification),
                             CASE WHEN s.secured THEN 'yes' ELSE '<span class="badge ' || CASE WHEN s.criticality IN ('high', 'critical') THEN 'fail' ELSE 'info' END || '">no</span>' END,
                             CASE WHEN s.late THEN '<span class="badge warn">overdue</span>' ELSE coalesce(to_char(s.last_done, 'YYYY-MM-DD'), '') END),
                      '' ORDER BY array_position(ARRAY['critical', 'high', 'medium', 'low'], s.criticality), s.name),
           count(*) FILTER (WHERE (s.criticality IN ('high', 'critical') AND NOT s.secured) OR s.late)
      INTO part, n_sup_flag
      FROM (SELECT p.name, p.services, p.criticality, p.classification,
                   EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.supplier_contract, t) c
                            WHERE c.org_id = o AND c.supplier_id = p.id AND c.created_at <= t
                              AND c.starts_on <= t::date AND (c.ends_on IS NULL OR c.ends_on >= t::date)
                              AND c.security_requirements IS NOT NULL) AS secured,
                   EXISTS (SELECT 1 FROM isms.known_as_of(NULL::isms.supplier_assessment, t) a
                            WHERE a.org_id = o AND a.supplier_id = p.id AND a.created_at <= t
                              AND a.due_on < t::date AND (a.performed_on IS NULL OR a.performed_on > t::date)) AS late,
                   (SELECT max(a.performed_on) FROM isms.known_as_of(NULL::isms.supplier_assessment, t) a
                     WHERE a.org_id = o AND a.supplier_id = p.id AND a.performed_on <= t::date) AS last_done
              FROM isms.known_as_of(NULL::isms.supplier, t) p
             WHERE p.org_id = o AND p.created_at <= t AND p.status <> 'retired') s;
    html := html || '<section id="suppliers"><h2>7. Suppliers (A.5.19-A.5.22)</h2>'
        || CASE WHEN part IS NULL THEN '<p class="none">No supplier recorded.</p>'
                ELSE format('<p>%s needing attention.</p>', CASE n_sup_flag WHEN 0 THEN 'None' WHEN 1 THEN '1 supplier' ELSE n_sup_flag || ' suppliers' END)
                     || '<table><thead><tr><th>Supplier</th><th>Services</th><th>Criticality</th><th>Information</th>'
                     || '<th>Security requirements agreed</th><th>Last assessed</th></tr></thead><tbody>' || part || '</tbody></table>' END
        || '</section>';

    -- open tasks: the sweep's reminders as they stood at t (history of isms.task)
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s</td><td class="n">%s</td><td><span class="badge %s">%s</span></td><td>%s</td></tr>',
                             isms.html_escape(k.title), isms.html_escape(k.owner), to_char(k.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                             greatest(floor(date_part('epoch', t - k.due_at) / 86400), 0)::integer,
                             CASE k.escalation_level WHEN 2 THEN 'fail' WHEN 1 THEN 'warn' ELSE 'info' END, k.escalation_level,
                             isms.html_escape(concat_ws(' to ', k.status, k.escalated_to))),
                      '' ORDER BY k.escalation_level DESC, k.due_at, k.id) FILTER (WHERE k.rn <= 50),
           count(*), count(*) FILTER (WHERE k.escalation_level = 1), count(*) FILTER (WHERE k.escalation_level = 2)
      INTO part, n_task, n_task_1, n_task_2
      FROM (SELECT x.*, row_number() OVER (ORDER BY x.escalation_level DESC, x.due_at, x.id) AS rn
              FROM isms.known_as_of(NULL::isms.task, t) x
             WHERE x.org_id = o AND x.created_at <= t AND x.status NOT IN ('done', 'cancelled')) k;
    html := html || '<section id="tasks"><h2>8. Reminders: open tasks (9.1)</h2>'
        || format('<p><b data-figure="open-tasks">%s</b> open tasks for their owners: <span data-figure="tasks-reminded">%s</span> at level 1 (owner reminded), '
                  '<span data-figure="tasks-escalated">%s</span> at level 2 (escalated)%s.</p>',
                  n_task, n_task_1, n_task_2, CASE WHEN n_task > 50 THEN '; below, the 50 most escalated and oldest' ELSE '' END)
        || CASE WHEN n_task = 0 THEN '<p class="none">No open task (isms.sweep() turns what is overdue into tasks for their owners).</p>'
                ELSE '<table><thead><tr><th>Task</th><th>Owner</th><th>Due</th><th>Days overdue</th><th>Level</th><th>State</th></tr></thead><tbody>'
                     || part || '</tbody></table>' END
        || '</section>';

    -- policy acknowledgement: per policy in force, its audience and who acknowledged
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="n">%s of %s</td><td class="n">%s</td></tr>',
                             isms.html_escape(a.document_code), isms.html_escape(a.title), isms.html_escape(a.version),
                             to_char(a.since AT TIME ZONE 'UTC', 'YYYY-MM-DD'), a.acked, a.audience,
                             CASE WHEN a.acked < a.audience THEN '<span class="badge warn">' || (a.audience - a.acked) || '</span>' ELSE '0' END),
                      '' ORDER BY a.document_code, a.document_id),
           coalesce(sum(a.acked), 0), coalesce(sum(a.audience), 0)
      INTO part, n_ack, n_ack_pairs
      FROM (SELECT x.document_id, x.document_code, x.title, x.version, min(x.in_force_since) AS since,
                   count(*) FILTER (WHERE x.in_audience AND x.acknowledged) AS acked, count(*) FILTER (WHERE x.in_audience) AS audience
              FROM isms.policy_acknowledgement_status(o, t) x
             GROUP BY x.document_id, x.document_code, x.title, x.version) a;
    html := html || '<section id="policies"><h2>9. Policy acknowledgement (A.5.1, A.6.3)</h2>'
        || format('<p><b data-figure="policy-acknowledged">%s</b> of <b data-figure="policy-audience">%s</b> acknowledgements of the versions in force (audience &times; policies; readiness check 14).</p>',
                  n_ack, n_ack_pairs)
        || CASE WHEN part IS NULL THEN '<p class="none">No policy under document control in force with an audience or an acknowledgement by this date.</p>'
                ELSE '<table><thead><tr><th>Policy</th><th>Title</th><th>Version</th><th>In force since</th><th>Acknowledged</th><th>Outstanding</th></tr></thead><tbody>'
                     || part || '</tbody></table>' END
        || '</section>';

    -- the trail head
    html := html || '<section id="trail"><h2>10. Evidence trail (7.5.3)</h2>'
        || CASE WHEN head_seq IS NULL THEN '<p class="none">The trail has no entry by this date.</p>'
                ELSE format('<p>The organisation''s hash-chained trail stood at entry <b>#%s</b> with SHA-256</p><p class="hash"><b>%s</b></p>'
                            '<p class="small">Quote this head in the audit report. Anyone can later check that no entry up to it was altered, removed or reordered with '
                            '<code>SELECT * FROM isms.verify_trail(%s, %s, ''%s'')</code> (no row: intact).</p>',
                            head_seq, head_hash, o, head_seq, head_hash) END
        || '</section>'
        || format('<footer>ISMS audit pack of %s as of %s &middot; isms %s &middot; generated read-only from the database; '
                  'figures recomputed by isms.clause_4_4_readiness, isms.statement_of_applicability, isms.signoff_status, '
                  'isms.staleness_summary, isms.improvement_metrics, isms.process_interactions and isms.policy_acknowledgement_status.</footer>',
                  isms.html_escape(org.name), to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), isms.html_escape(isms.version()))
        || '</main></body></html>';
    RETURN html;
END
$$;
COMMENT ON FUNCTION isms.audit_pack(text, timestamptz) IS
    'The audit pack of an organisation (by code) as of an instant: one self-contained HTML document (inline CSS and SVG, no script, no external resource, printable to PDF) with Clause 4.4 readiness and its actions, the Statement of Applicability with its sign-offs, staleness, the improvement trend and the process map as charts, open nonconformities, suppliers, open tasks with their escalation, policy acknowledgement and the trail head to quote; every value HTML-escaped; read-only, also on a standby';
REVOKE ALL ON FUNCTION isms.audit_pack(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.audit_pack(text, timestamptz) TO isms_reader;
