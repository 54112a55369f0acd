#!/usr/bin/python3
"""The README's application and BI examples from psycopg2 or psycopg 3.

    py_client.py psycopg2|psycopg

Connects as the suite's logins (test/clients/setup.sql) to the cluster of
PGHOST/PGPORT and, for the pgbouncer checks, to BOUNCER_PORT.  Prints one
"client <driver> <check> ... ok" or "... FAILED (why)" line per check and
exits non-zero on any failure.
"""
import datetime
import decimal
import os
import select
import sys
import time
import uuid

DRIVER = sys.argv[1]
if DRIVER == "psycopg2":
    import psycopg2 as db
    import psycopg2.errors as errors
else:
    import psycopg as db
    import psycopg.errors as errors

HOST = os.environ.get("PGHOST", "localhost")
PORT = int(os.environ["PGPORT"])
BOUNCER = int(os.environ["BOUNCER_PORT"]) if os.environ.get("BOUNCER_PORT") else None
DBNAME = os.environ.get("CLIENTS_DB", "isms_clients")
ACTOR = "sam.sales@northwind.example"
failed = 0


def connect(user, port=PORT):
    args = dict(host=HOST, port=port, dbname=DBNAME, user=user, password=user)
    if DRIVER == "psycopg2":
        return db.connect(**args)
    # psycopg 3 prepares a statement run 5 times by name; through pgbouncer
    # before 1.21 in transaction mode a name must never be prepared
    conn = db.connect(**args)
    if port != PORT:
        conn.prepare_threshold = None
    return conn


def report(check, ok, why=""):
    global failed
    if ok:
        print(f"client {DRIVER} {check} ... ok")
    else:
        failed += 1
        print(f"client {DRIVER} {check} ... FAILED ({why})")
    sys.stdout.flush()


def run(check, fn):
    try:
        ok, why = fn()
    except Exception as e:  # a check that raised is a failed check
        ok, why = False, f"{type(e).__name__}: {e}".replace("\n", " ")
    report(check, ok, why)


def sqlstate(e):
    return e.pgcode if DRIVER == "psycopg2" else e.sqlstate


def diag(e):
    d = e.diag
    return d.message_primary, d.message_detail, d.message_hint


def one(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def admin():
    """The superuser of the cluster, to look behind row-level security."""
    args = dict(host=HOST, port=PORT, dbname=DBNAME, user=os.environ.get("PGUSER", "postgres"))
    if os.environ.get("PGPASSWORD"):
        args["password"] = os.environ["PGPASSWORD"]
    conn = db.connect(**args)
    conn.autocommit = True
    return conn


# -- the checks ---------------------------------------------------------------

def fresh_context():
    # the first statement of a new connection: the settings may not exist
    # yet, isms.context() answers all the same
    conn = connect("clients_app")
    try:
        row = one(conn, "SELECT org, org_id, actor, role_name FROM isms.context()")
    finally:
        conn.close()
    return row == (None, None, "clients_app", "clients_app"), f"got {row}"


def set_context(port=PORT):
    def check():
        title = f"Phishing mail reported by a driver ({DRIVER} {uuid.uuid4().hex[:8]})"
        conn = connect("clients_app", port)
        try:
            # the pooled-session pattern: a transaction, its context from
            # bound parameters, the statements, COMMIT
            with conn.cursor() as cur:
                cur.execute("SELECT isms.set_context(%s, %s)", ("NORTHWIND", ACTOR))
                org_id = cur.fetchone()[0]
                cur.execute("SELECT org, org_id, actor FROM isms.context()")
                ctx = cur.fetchone()
                cur.execute("""INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                               VALUES (%s, %s, 'low', now() - interval '2 hours', 'Priya (IT)')
                               RETURNING id, created_by, reported_by""", (org_id, title))
                created = cur.fetchone()
                cur.execute("SELECT count(*) FROM isms.incident WHERE org_id <> %s", (org_id,))
                others = cur.fetchone()[0]
            conn.commit()
            after = one(conn, "SELECT org, org_id, actor FROM isms.context()")
            conn.commit()
        finally:
            conn.close()
        if ctx != ("NORTHWIND", org_id, ACTOR):
            return False, f"context in the transaction {ctx}"
        if created[1:] != (ACTOR, ACTOR):
            return False, f"created_by, reported_by {created[1:]}"
        if others != 0:
            return False, f"{others} rows of another organisation visible"
        if after != (None, None, "clients_app"):
            return False, f"context after COMMIT {after}"
        return True, ""
    return check


def set_context_refused():
    conn = connect("clients_bi")
    try:
        try:
            one(conn, "SELECT isms.set_context(%s, %s)", ("CONTOSO", "someone"))
            return False, "a non-member organisation was accepted"
        except db.Error as e:
            conn.rollback()
            if sqlstate(e) != "42501" or not isinstance(e, errors.InsufficientPrivilege):
                return False, f"non-member: {sqlstate(e)} {type(e).__name__}"
            msg, detail, hint = diag(e)
            if "CONTOSO" not in msg or not detail or not hint:
                return False, f"non-member diagnostics {diag(e)}"
        conn.autocommit = True
        try:
            one(conn, "SELECT isms.set_context(%s)", ("NORTHWIND",))
            return False, "accepted outside a transaction block"
        except db.Error as e:
            if sqlstate(e) != "25P01":
                return False, f"autocommit: {sqlstate(e)}"
    finally:
        conn.close()
    return True, ""


def refusal():
    # a skipped workflow step (reported -> resolved) arrives with SQLSTATE,
    # message, detail and hint, and leaves nothing behind
    title = f"Lost laptop ({DRIVER} {uuid.uuid4().hex[:8]})"
    su = admin()
    logs_before = one(su, "SELECT count(*) FROM isms.transition_log")[0]
    conn = connect("clients_app")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT isms.set_context(%s, %s)", ("NORTHWIND", ACTOR))
            org_id = cur.fetchone()[0]
            cur.execute("""INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                           VALUES (%s, %s, 'medium', now(), 'Priya (IT)') RETURNING id""", (org_id, title))
            rid = cur.fetchone()[0]
            try:
                cur.execute("SELECT isms.transition(%s, %s, %s, %s)",
                            ("isms.incident", rid, "resolved", "skipping triage"))
                return False, "the skipped step was accepted"
            except db.Error as e:
                err = e
        conn.rollback()
    finally:
        conn.close()
    # an isms code is in no standard class: the drivers raise their base class
    if sqlstate(err) != "IS001" or type(err) is not db.DatabaseError:
        return False, f"{sqlstate(err)} {type(err).__name__}"
    msg, detail, hint = diag(err)
    if not (msg and "resolved" in msg and detail and hint):
        return False, f"diagnostics {diag(err)}"
    left = one(su, "SELECT count(*) FROM isms.incident WHERE title = %s", (title,))[0]
    logs_after = one(su, "SELECT count(*) FROM isms.transition_log")[0]
    su.close()
    if left != 0 or logs_after != logs_before:
        return False, f"left behind: {left} incidents, {logs_after - logs_before} log rows"
    return True, ""


def refusal_class():
    # standard SQLSTATEs arrive as the driver's classes
    conn = connect("clients_app")
    try:
        with conn.cursor() as cur:
            org_id = one(conn, "SELECT isms.set_context(%s)", ("NORTHWIND",))[0]
            try:
                cur.execute("""INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                               VALUES (%s, 'x', 'urgent', now(), 'x')""", (org_id,))
                return False, "a severity off the list was accepted"
            except db.Error as e:
                err = e
        conn.rollback()
    finally:
        conn.close()
    if sqlstate(err) != "23514" or not isinstance(err, db.IntegrityError) \
            or not isinstance(err, errors.CheckViolation):
        return False, f"{sqlstate(err)} {type(err).__mro__}"
    return True, ""


def expected_type(typname, category):
    if category == "A":
        return list
    return {
        "int2": int, "int4": int, "int8": int, "numeric": decimal.Decimal,
        "text": str, "varchar": str, "name": str, "bool": bool,
        "date": datetime.date, "timestamptz": datetime.datetime,
        "interval": datetime.timedelta, "float8": float,
        # a type the driver does not know arrives as its text
        "ref": str, "docver": str,
    }.get(typname)


def bi_types():
    # every isms_report view as a BI login: each column's first non-NULL
    # value is of the driver's type for the column's PostgreSQL type
    conn = connect("clients_bi")
    conn.autocommit = True
    seen = {}
    bad = []
    try:
        views = [r[0] for r in _all(conn,
                 "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'isms_report'::regnamespace"
                 " AND c.relkind = 'v' ORDER BY 1")]
        types = {r[0]: (r[1], r[2]) for r in _all(conn, "SELECT oid, typname, typcategory FROM pg_type")}
        for v in views:
            with conn.cursor() as cur:
                cur.execute(f'SELECT * FROM isms_report."{v}" LIMIT 50')
                cols = [(d[0], d[1]) for d in cur.description]
                rows = cur.fetchall()
            for i, (name, oid) in enumerate(cols):
                typname, category = types[oid]
                want = expected_type(typname, category)
                value = next((r[i] for r in rows if r[i] is not None), None)
                if value is None:
                    continue
                seen[typname] = seen.get(typname, 0) + 1
                if want is None or type(value) is not want:
                    bad.append(f"{v}.{name} {typname} as {type(value).__name__}")
                elif typname == "timestamptz" and value.tzinfo is None:
                    bad.append(f"{v}.{name} without time zone")
    finally:
        conn.close()
    for t in ("text", "timestamptz", "int8", "bool"):
        if t not in seen:
            bad.append(f"no {t} column seen")
    return not bad, "; ".join(bad)


def _all(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def ref_param():
    # WHERE ref = <parameter> with the driver's default type for a str
    conn = connect("clients_bi")
    conn.autocommit = True
    try:
        rows = _all(conn, "SELECT kind FROM isms.requirement WHERE framework = 'iso27001-2022' AND ref = %s",
                    ("A.5.24",))
        soa = _all(conn, "SELECT title FROM isms_report.statement_of_applicability"
                         " WHERE org_code = %s AND control = %s", ("NORTHWIND", "A.5.24"))
    finally:
        conn.close()
    return rows == [("control",)] and len(soa) == 1, f"requirement {rows}, SoA {soa}"


def ref_write():
    # a reference written from a string parameter (rolled back)
    conn = connect("clients_app")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT isms.set_context(%s, %s)", ("CONTOSO", ACTOR))
            org_id = cur.fetchone()[0]
            cur.execute("""INSERT INTO isms.soa_entry (org_id, control, applicable, justification, implementation_status, owner)
                           VALUES (%s, %s, true, %s, 'planned', 'CISO') RETURNING control::text""",
                        (org_id, "A.5.2", "Roles and responsibilities are assigned"))
            got = cur.fetchone()[0]
        conn.rollback()
    finally:
        conn.close()
    return got == "A.5.2", f"got {got}"


def bi_natural_order():
    # BETWEEN and ORDER BY on a view's reference column, with parameters
    conn = connect("clients_bi")
    conn.autocommit = True
    try:
        rows = _all(conn, "SELECT control FROM isms_report.statement_of_applicability"
                          " WHERE org_code = %s AND control BETWEEN %s AND %s ORDER BY control",
                    ("NORTHWIND", "A.5.1", "A.5.9"))
    finally:
        conn.close()
    want = [(f"A.5.{i}",) for i in range(1, 10)]
    return rows == want, f"got {[r[0] for r in rows]}"


# -- through pgbouncer in transaction mode -------------------------------------

def no_leak():
    # two clients through one server connection (pool_size = 1): what the
    # first sets, in a transaction or for its session, is not what the next
    # borrower sees or writes once it sets its own context
    x = connect("clients_app", BOUNCER)
    y = connect("clients_app", BOUNCER)
    su = admin()
    title = f"Tailgating at the depot ({DRIVER} {uuid.uuid4().hex[:8]})"
    try:
        px = one(x, "SELECT isms.set_context(%s, %s), pg_backend_pid()", ("CONTOSO", "mallory@contoso.example"))[1]
        x.commit()
        py = one(y, "SELECT pg_backend_pid()")[0]
        ctx = one(y, "SELECT org, org_id, actor FROM isms.context()")
        y.commit()
        if px != py:
            return False, "the two clients did not share a server connection"
        if ctx != (None, None, "clients_app"):
            return False, f"the next borrower saw {ctx}"
        # the unsafe pattern: session-level settings outside a transaction
        session_leak(x, y)
        x.autocommit = True
        session_set = []
        for name, value in (("isms.org", "CONTOSO"), ("isms.actor", "mallory@contoso.example")):
            one(x, "SELECT set_config(%s, %s, false)", (name, value))
            session_set.append(name)
        with y.cursor() as cur:
            cur.execute("SELECT isms.set_context(%s, %s)", ("NORTHWIND", ACTOR))
            north = cur.fetchone()[0]
            cur.execute("SELECT org, actor FROM isms.context()")
            ctx = cur.fetchone()
            cur.execute("SELECT count(*) FROM isms.incident WHERE org_id <> %s", (north,))
            others = cur.fetchone()[0]
            cur.execute("""INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                           VALUES (%s, %s, 'low', now(), 'Depot lead') RETURNING org_id, created_by""",
                        (north, title))
            written = cur.fetchone()
            cur.execute("SELECT isms.set_context(%s)", ("NORTHWIND",))
            cur.execute("SELECT actor FROM isms.context()")
            own = cur.fetchone()[0]
        y.commit()
        if ctx != ("NORTHWIND", ACTOR) or others != 0:
            return False, f"with {session_set} left behind: context {ctx}, {others} rows of another tenant"
        if written != (north, ACTOR) or own != "clients_app":
            return False, f"with {session_set} left behind: wrote {written}, actor without one {own}"
        stored = one(su, "SELECT org_id, created_by, updated_by FROM isms.incident WHERE title = %s", (title,))
        if stored != (north, ACTOR, ACTOR):
            return False, f"stored {stored}"
        return True, ""
    finally:
        # the server connection is shared: leave it as it was
        if x.autocommit:
            with x.cursor() as cur:
                cur.execute("RESET isms.org; RESET isms.actor")
        for c in (x, y, su):
            c.close()


def session_leak(x, y):
    """What a borrower that sets no context sees and writes after another
    client's session-level SETs on the same server connection: the context,
    a read and a write of the next transaction are refused (IS081), but for
    a read when only isms.actor was left (the login's own organisations)."""
    values = {"isms.org": "CONTOSO", "isms.actor": "mallory@contoso.example"}
    steps = (("context", "SELECT org, actor FROM isms.context()"),
             ("read", "SELECT count(*) FROM isms.incident"),
             ("write", """INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                          SELECT org_id, 'Left behind', 'low', now(), 'x' FROM isms.organization
                           WHERE code = 'NORTHWIND' RETURNING created_by"""))
    bad = []
    x.autocommit = True
    for names in (("isms.org",), ("isms.actor",), ("isms.org", "isms.actor")):
        for name in names:
            one(x, "SELECT set_config(%s, %s, false)", (name, values[name]))
        for step, sql in steps:
            try:
                got = one(y, sql)
            except db.Error as e:
                got = sqlstate(e)
            y.rollback()
            if step == "read" and "isms.org" not in names:
                ok = not isinstance(got, str) and not any(v in values.values() for v in got)
            else:
                ok = got == "IS081"
            if not ok:
                bad.append(f"{'+'.join(names)} left, {step}: {got}")
        with x.cursor() as cur:
            cur.execute("RESET isms.org; RESET isms.actor")
    ctx = one(y, "SELECT org, org_id, actor FROM isms.context()")
    y.rollback()
    if ctx != (None, None, "clients_app"):
        bad.append(f"after RESET: {ctx}")
    report("pgbouncer-session-leak", not bad, "; ".join(bad))


def wait_notifies(conn, seconds):
    deadline = time.monotonic() + seconds
    while not conn.notifies:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        select.select([conn], [], [], left)
        conn.poll()
    return [n.payload for n in conn.notifies]


def listen_needs_direct():
    # a listener through pgbouncer in transaction mode hears nothing; on a
    # direct connection the payload is the outbox number to catch up from
    direct = connect("clients_app")
    pooled = connect("clients_app", BOUNCER)
    for c in (direct, pooled):
        c.autocommit = True
        c.cursor().execute("LISTEN isms_events")
    mover = connect("clients_app")
    with mover.cursor() as cur:
        cur.execute("SELECT isms.set_context(%s, %s)", ("NORTHWIND", ACTOR))
        org_id = cur.fetchone()[0]
        cur.execute("""INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                       VALUES (%s, %s, 'low', now(), 'Priya (IT)')""", (org_id, f"Notified {uuid.uuid4().hex[:8]}"))
    mover.commit()
    mover.close()
    got = {"direct": wait_notifies(direct, 5.0), "pooled": wait_notifies(pooled, 1.0)}
    seq = int(got["direct"][0]) if got["direct"] else None
    moves = []
    if seq is not None:
        moves = _all(direct, "SELECT seq, record_table, to_state FROM isms.events_after(%s)", (seq - 1,))
    direct.close()
    # the LISTEN stays on the pooled server connection, whose notifications
    # then reach pgbouncer between clients: take it back
    pooled.cursor().execute("UNLISTEN *")
    pooled.close()
    return (seq is not None and not got["pooled"] and moves[:1] == [(seq, "isms.incident", "reported")],
            f"direct {got['direct']}, pooled {got['pooled']}, events {moves}")


run("fresh-context", fresh_context)
run("set-context", set_context())
run("set-context-refused", set_context_refused)
run("refusal-IS001", refusal)
run("refusal-class", refusal_class)
run("bi-types", bi_types)
run("ref-param", ref_param)
run("ref-write", ref_write)
run("bi-natural-order", bi_natural_order)
if BOUNCER:
    run("pgbouncer-set-context", set_context(BOUNCER))
    run("pgbouncer-no-leak", no_leak)
    if DRIVER == "psycopg2":
        run("pgbouncer-listen-direct", listen_needs_direct)
sys.exit(1 if failed else 0)
