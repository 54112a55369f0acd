// The README's application and BI examples from node-postgres.
//
//   node client.js
//
// Connects as the suite's logins (test/clients/setup.sql) to the cluster of
// PGHOST/PGPORT and, for the pgbouncer checks, to BOUNCER_PORT.  Prints one
// "client node-postgres <check> ... ok" or "... FAILED (why)" line per check
// and exits non-zero on any failure.
'use strict';
const crypto = require('crypto');
const { Client, DatabaseError } = require('pg');

const HOST = process.env.PGHOST || 'localhost';
const PORT = Number(process.env.PGPORT);
const BOUNCER = process.env.BOUNCER_PORT ? Number(process.env.BOUNCER_PORT) : null;
const DB = process.env.CLIENTS_DB || 'isms_clients';
const ACTOR = 'sam.sales@northwind.example';
let failed = 0;

async function connect(user, port = PORT) {
  const c = new Client({ host: HOST, port, database: DB, user, password: user });
  await c.connect();
  return c;
}

async function admin() {
  const c = new Client({ host: HOST, port: PORT, database: DB,
    user: process.env.PGUSER || 'postgres', password: process.env.PGPASSWORD });
  await c.connect();
  return c;
}

function tag() { return crypto.randomBytes(4).toString('hex'); }

async function run(check, fn) {
  let ok, why;
  try {
    [ok, why] = await fn();
  } catch (e) {
    ok = false;
    why = `${e.constructor.name}: ${e.message} ${e.code || ''}`;
  }
  if (ok) {
    console.log(`client node-postgres ${check} ... ok`);
  } else {
    failed++;
    console.log(`client node-postgres ${check} ... FAILED (${String(why).replace(/\n/g, ' ')})`);
  }
}

// the error a statement raises, or null
async function refused(c, text, values) {
  try {
    await c.query(text, values);
    return null;
  } catch (e) {
    return e;
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function freshContext() {
  const c = await connect('clients_app');
  try {
    const r = await c.query('SELECT org, org_id, actor, role_name FROM isms.context()');
    const row = r.rows[0];
    return [same(row, { org: null, org_id: null, actor: 'clients_app', role_name: 'clients_app' }), JSON.stringify(row)];
  } finally {
    await c.end();
  }
}

function setContext(port = PORT) {
  return async () => {
    const title = `Phishing mail reported by a driver (node-postgres ${tag()})`;
    const c = await connect('clients_app', port);
    let ctx, created, others, after, orgId;
    try {
      // the pooled-session pattern: a transaction, its context from bound
      // parameters, the statements, COMMIT
      await c.query('BEGIN');
      orgId = (await c.query('SELECT isms.set_context($1, $2) AS org_id', ['NORTHWIND', ACTOR])).rows[0].org_id;
      ctx = (await c.query('SELECT org, org_id, actor FROM isms.context()')).rows[0];
      created = (await c.query(
        `INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
         VALUES ($1, $2, 'low', now() - interval '2 hours', 'Priya (IT)')
         RETURNING id, created_by, reported_by`, [orgId, title])).rows[0];
      others = (await c.query('SELECT count(*)::int AS n FROM isms.incident WHERE org_id <> $1', [orgId])).rows[0].n;
      await c.query('COMMIT');
      after = (await c.query('SELECT org, org_id, actor FROM isms.context()')).rows[0];
    } finally {
      await c.end();
    }
    // bigint arrives as a string in node-postgres
    if (!same(ctx, { org: 'NORTHWIND', org_id: orgId, actor: ACTOR }) || typeof orgId !== 'string')
      return [false, `context in the transaction ${JSON.stringify(ctx)}, org_id ${typeof orgId}`];
    if (created.created_by !== ACTOR || created.reported_by !== ACTOR)
      return [false, `created ${JSON.stringify(created)}`];
    if (others !== 0) return [false, `${others} rows of another organisation visible`];
    if (!same(after, { org: null, org_id: null, actor: 'clients_app' }))
      return [false, `context after COMMIT ${JSON.stringify(after)}`];
    return [true, ''];
  };
}

async function setContextRefused() {
  const c = await connect('clients_bi');
  try {
    await c.query('BEGIN');
    let e = await refused(c, 'SELECT isms.set_context($1, $2)', ['CONTOSO', 'someone']);
    await c.query('ROLLBACK');
    if (!(e instanceof DatabaseError) || e.code !== '42501' || !e.message.includes('CONTOSO') || !e.detail || !e.hint)
      return [false, `non-member: ${e && e.code} ${e && e.message}`];
    e = await refused(c, 'SELECT isms.set_context($1)', ['NORTHWIND']);
    if (!e || e.code !== '25P01') return [false, `autocommit: ${e && e.code}`];
    return [true, ''];
  } finally {
    await c.end();
  }
}

async function refusal() {
  // a skipped workflow step (reported -> resolved) arrives with SQLSTATE,
  // message, detail and hint, and leaves nothing behind
  const title = `Lost laptop (node-postgres ${tag()})`;
  const su = await admin();
  const logsBefore = (await su.query('SELECT count(*)::int AS n FROM isms.transition_log')).rows[0].n;
  const c = await connect('clients_app');
  let e;
  try {
    await c.query('BEGIN');
    const orgId = (await c.query('SELECT isms.set_context($1, $2) AS o', ['NORTHWIND', ACTOR])).rows[0].o;
    const id = (await c.query(
      `INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
       VALUES ($1, $2, 'medium', now(), 'Priya (IT)') RETURNING id`, [orgId, title])).rows[0].id;
    e = await refused(c, 'SELECT isms.transition($1, $2, $3, $4)', ['isms.incident', id, 'resolved', 'skipping triage']);
    await c.query('ROLLBACK');
  } finally {
    await c.end();
  }
  if (!e) return [false, 'the skipped step was accepted'];
  if (!(e instanceof DatabaseError) || e.code !== 'IS001' || !e.message.includes('resolved') || !e.detail || !e.hint)
    return [false, `${e.code} ${e.message} detail=${e.detail} hint=${e.hint}`];
  const left = (await su.query('SELECT count(*)::int AS n FROM isms.incident WHERE title = $1', [title])).rows[0].n;
  const logsAfter = (await su.query('SELECT count(*)::int AS n FROM isms.transition_log')).rows[0].n;
  await su.end();
  if (left !== 0 || logsAfter !== logsBefore) return [false, `left behind: ${left} incidents, ${logsAfter - logsBefore} log rows`];
  return [true, ''];
}

async function refusalClass() {
  const c = await connect('clients_app');
  try {
    await c.query('BEGIN');
    const orgId = (await c.query('SELECT isms.set_context($1) AS o', ['NORTHWIND'])).rows[0].o;
    const e = await refused(c, `INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                                VALUES ($1, 'x', 'urgent', now(), 'x')`, [orgId]);
    await c.query('ROLLBACK');
    return [e && e.code === '23514' && e.constraint === 'incident_severity_values',
      `${e && e.code} ${e && e.constraint}`];
  } finally {
    await c.end();
  }
}

// what node-postgres returns for each PostgreSQL type, by default
function expectedType(typname, category) {
  if (category === 'A') return 'Array';
  return {
    int2: 'number', int4: 'number', int8: 'string', numeric: 'string', float8: 'number',
    text: 'string', varchar: 'string', name: 'string', bool: 'boolean',
    date: 'Date', timestamptz: 'Date', interval: 'PostgresInterval',
    // a type the driver does not know arrives as its text
    ref: 'string', docver: 'string',
  }[typname];
}

function typeOf(v) {
  return typeof v === 'object' ? v.constructor.name : typeof v;
}

async function biTypes() {
  const c = await connect('clients_bi');
  const bad = [];
  const seen = {};
  try {
    const views = (await c.query(`SELECT c.relname FROM pg_class c
      WHERE c.relnamespace = 'isms_report'::regnamespace AND c.relkind = 'v' ORDER BY 1`)).rows.map((r) => r.relname);
    const types = {};
    for (const r of (await c.query('SELECT oid::int AS oid, typname, typcategory FROM pg_type')).rows) types[r.oid] = r;
    for (const v of views) {
      const r = await c.query(`SELECT * FROM isms_report."${v}" LIMIT 50`);
      for (const f of r.fields) {
        const t = types[f.dataTypeID];
        const value = r.rows.map((row) => row[f.name]).find((x) => x !== null);
        if (value === undefined) continue;
        seen[t.typname] = true;
        const want = expectedType(t.typname, t.typcategory);
        if (typeOf(value) !== want) bad.push(`${v}.${f.name} ${t.typname} as ${typeOf(value)}`);
      }
    }
  } finally {
    await c.end();
  }
  for (const t of ['text', 'timestamptz', 'int8', 'bool']) if (!seen[t]) bad.push(`no ${t} column seen`);
  return [bad.length === 0, bad.join('; ')];
}

async function refParam() {
  const c = await connect('clients_bi');
  try {
    const rows = (await c.query(`SELECT kind FROM isms.requirement WHERE framework = 'iso27001-2022' AND ref = $1`, ['A.5.24'])).rows;
    const soa = (await c.query(`SELECT title FROM isms_report.statement_of_applicability
                                 WHERE org_code = $1 AND control = $2`, ['NORTHWIND', 'A.5.24'])).rows;
    return [same(rows, [{ kind: 'control' }]) && soa.length === 1, `${JSON.stringify(rows)} ${soa.length}`];
  } finally {
    await c.end();
  }
}

async function refWrite() {
  // a reference written from a string parameter (rolled back)
  const c = await connect('clients_app');
  try {
    await c.query('BEGIN');
    const orgId = (await c.query('SELECT isms.set_context($1, $2) AS o', ['CONTOSO', ACTOR])).rows[0].o;
    const got = (await c.query(`INSERT INTO isms.soa_entry (org_id, control, applicable, justification, implementation_status, owner)
      VALUES ($1, $2, true, $3, 'planned', 'CISO') RETURNING control::text AS control`,
    [orgId, 'A.5.2', 'Roles and responsibilities are assigned'])).rows[0].control;
    await c.query('ROLLBACK');
    return [got === 'A.5.2', `got ${got}`];
  } finally {
    await c.end();
  }
}

async function biNaturalOrder() {
  // BETWEEN and ORDER BY on a view's reference column, with parameters
  const c = await connect('clients_bi');
  try {
    const got = (await c.query(`SELECT control FROM isms_report.statement_of_applicability
      WHERE org_code = $1 AND control BETWEEN $2 AND $3 ORDER BY control`, ['NORTHWIND', 'A.5.1', 'A.5.9'])).rows.map((r) => r.control);
    const want = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `A.5.${i}`);
    return [same(got, want), `got ${got}`];
  } finally {
    await c.end();
  }
}

async function noLeak() {
  // two clients through one server connection (pool_size = 1)
  const x = await connect('clients_app', BOUNCER);
  const y = await connect('clients_app', BOUNCER);
  const su = await admin();
  const title = `Tailgating at the depot (node-postgres ${tag()})`;
  try {
    await x.query('BEGIN');
    const px = (await x.query('SELECT isms.set_context($1, $2), pg_backend_pid() AS pid', ['CONTOSO', 'mallory@contoso.example'])).rows[0].pid;
    await x.query('COMMIT');
    await y.query('BEGIN');
    const py = (await y.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    let ctx = (await y.query('SELECT org, org_id, actor FROM isms.context()')).rows[0];
    await y.query('COMMIT');
    if (px !== py) return [false, 'the two clients did not share a server connection'];
    if (!same(ctx, { org: null, org_id: null, actor: 'clients_app' })) return [false, `the next borrower saw ${JSON.stringify(ctx)}`];
    // the unsafe pattern: session-level settings outside a transaction
    await sessionLeak(x, y);
    const sessionSet = [];
    for (const [name, value] of [['isms.org', 'CONTOSO'], ['isms.actor', 'mallory@contoso.example']]) {
      if (!(await refused(x, 'SELECT set_config($1, $2, false)', [name, value]))) sessionSet.push(name);
    }
    await y.query('BEGIN');
    const north = (await y.query('SELECT isms.set_context($1, $2) AS o', ['NORTHWIND', ACTOR])).rows[0].o;
    ctx = (await y.query('SELECT org, actor FROM isms.context()')).rows[0];
    const others = (await y.query('SELECT count(*)::int AS n FROM isms.incident WHERE org_id <> $1', [north])).rows[0].n;
    const written = (await y.query(`INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
      VALUES ($1, $2, 'low', now(), 'Depot lead') RETURNING org_id, created_by`, [north, title])).rows[0];
    await y.query('SELECT isms.set_context($1)', ['NORTHWIND']);
    const own = (await y.query('SELECT actor FROM isms.context()')).rows[0].actor;
    await y.query('COMMIT');
    if (!same(ctx, { org: 'NORTHWIND', actor: ACTOR }) || others !== 0)
      return [false, `with ${sessionSet} left behind: context ${JSON.stringify(ctx)}, ${others} rows of another tenant`];
    if (!same(written, { org_id: north, created_by: ACTOR }) || own !== 'clients_app')
      return [false, `with ${sessionSet} left behind: wrote ${JSON.stringify(written)}, actor without one ${own}`];
    const stored = (await su.query('SELECT org_id, created_by, updated_by FROM isms.incident WHERE title = $1', [title])).rows[0];
    if (!same(stored, { org_id: north, created_by: ACTOR, updated_by: ACTOR })) return [false, `stored ${JSON.stringify(stored)}`];
    return [true, ''];
  } finally {
    // the server connection is shared: leave it as it was
    await x.query('RESET isms.org; RESET isms.actor');
    await x.end();
    await y.end();
    await su.end();
  }
}

// What a borrower that sets no context sees and writes after another
// client's session-level SETs on the same server connection: the context,
// a read and a write of the next transaction are refused (IS081), but for
// a read when only isms.actor was left (the login's own organisations).
async function sessionLeak(x, y) {
  const values = { 'isms.org': 'CONTOSO', 'isms.actor': 'mallory@contoso.example' };
  const steps = [
    ['context', 'SELECT org, actor FROM isms.context()'],
    ['read', 'SELECT count(*)::int AS n FROM isms.incident'],
    ['write', `INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
      SELECT org_id, 'Left behind', 'low', now(), 'x' FROM isms.organization WHERE code = 'NORTHWIND'
      RETURNING created_by`],
  ];
  const bad = [];
  for (const names of [['isms.org'], ['isms.actor'], ['isms.org', 'isms.actor']]) {
    for (const name of names) await x.query('SELECT set_config($1, $2, false)', [name, values[name]]);
    for (const [step, text] of steps) {
      let got;
      await y.query('BEGIN');
      try {
        got = Object.values((await y.query(text)).rows[0]);
      } catch (e) {
        got = e.code;
      }
      await y.query('ROLLBACK');
      const ok = step === 'read' && !names.includes('isms.org')
        ? Array.isArray(got) && !got.some((v) => Object.values(values).includes(v))
        : got === 'IS081';
      if (!ok) bad.push(`${names.join('+')} left, ${step}: ${JSON.stringify(got)}`);
    }
    await x.query('RESET isms.org; RESET isms.actor');
  }
  const ctx = (await y.query('SELECT org, org_id, actor FROM isms.context()')).rows[0];
  if (!same(ctx, { org: null, org_id: null, actor: 'clients_app' })) bad.push(`after RESET: ${JSON.stringify(ctx)}`);
  const check = 'client node-postgres pgbouncer-session-leak';
  if (bad.length === 0) console.log(`${check} ... ok`);
  else {
    failed++;
    console.log(`${check} ... FAILED (${bad.join('; ')})`);
  }
}

(async () => {
  await run('fresh-context', freshContext);
  await run('set-context', setContext());
  await run('set-context-refused', setContextRefused);
  await run('refusal-IS001', refusal);
  await run('refusal-class', refusalClass);
  await run('bi-types', biTypes);
  await run('ref-param', refParam);
  await run('ref-write', refWrite);
  await run('bi-natural-order', biNaturalOrder);
  if (BOUNCER) {
    await run('pgbouncer-set-context', setContext(BOUNCER));
    await run('pgbouncer-no-leak', noLeak);
  }
  process.exit(failed ? 1 : 0);
})();
