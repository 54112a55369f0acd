#!/usr/bin/python3
"""The README's application and BI examples through psqlODBC (Debian
odbc-postgresql, driver "PostgreSQL Unicode") from pyodbc (python3-pyodbc).

Connects as the suite's logins (test/clients/setup.sql) to the cluster of
PGHOST/PGPORT and, for the pgbouncer checks, to BOUNCER_PORT.  Prints one
"client psqlodbc <check> ... ok" or "... FAILED (why)" line per check and
exits non-zero on any failure.
"""
import datetime
import decimal
import os
import sys
import uuid

import pyodbc

HOST = os.environ.get("PGHOST", "localhost")
if HOST.startswith("/"):
    HOST = "localhost"          # psqlODBC connects over TCP
PORT = int(os.environ["PGPORT"])
BOUNCER = int(os.environ["BOUNCER_PORT"]) if os.environ.get("BOUNCER_PORT") else None
DBNAME = os.environ.get("CLIENTS_DB", "isms_clients")
ACTOR = "sam.sales@northwind.example"
failed = 0


# BoolsAsChar=0: booleans as SQL_BIT (pyodbc bool), not the driver default "1"/"0"
def connect(user, port=PORT, autocommit=False):
    host = "127.0.0.1" if port != PORT else HOST
    return pyodbc.connect(f"DRIVER={{PostgreSQL Unicode}};SERVER={host};PORT={port};DATABASE={DBNAME};"
                          f"UID={user};PWD={user};BoolsAsChar=0", autocommit=autocommit)


def report(check, ok, why=""):
    global failed
    if ok:
        print(f"client psqlodbc {check} ... ok")
    else:
        failed += 1
        print(f"client psqlodbc {check} ... FAILED ({why})")
    sys.stdout.flush()


def run(check, fn):
    try:
        ok, why = fn()
    except Exception as e:  # a check that raised is a failed check
        ok, why = False, f"{type(e).__name__}: {e}".replace("\n", " ")
    report(check, ok, why)


def sqlstate(e):
    return e.args[0] if e.args else None


def one(conn, sql, *params):
    cur = conn.cursor()
    cur.execute(sql, *params)
    row = cur.fetchone()
    return tuple(row) if row is not None else None


def rows(conn, sql, *params):
    cur = conn.cursor()
    cur.execute(sql, *params)
    return [tuple(r) for r in cur.fetchall()]


def admin():
    """The superuser of the cluster, to look behind row-level security."""
    user = os.environ.get("PGUSER", "postgres")
    pw = os.environ.get("PGPASSWORD", "")
    return pyodbc.connect(f"DRIVER={{PostgreSQL Unicode}};SERVER={HOST};PORT={PORT};DATABASE={DBNAME};"
                          f"UID={user};PWD={pw};BoolsAsChar=0", autocommit=True)


# -- the checks ---------------------------------------------------------------

def fresh_context():
    conn = connect("clients_app", autocommit=True)
    try:
        row = one(conn, "SELECT org, org_id, actor, role_name FROM isms.context()")
    finally:
        conn.close()
    return row == (None, None, "clients_app", "clients_app"), f"got {row}"


def set_context(port=PORT):
    def check():
        title = f"Phishing mail reported by a driver (psqlodbc {uuid.uuid4().hex[:8]})"
        # autocommit off: the driver opens the transaction at the first statement
        conn = connect("clients_app", port)
        try:
            org_id = one(conn, "SELECT isms.set_context(?, ?)", "NORTHWIND", ACTOR)[0]
            ctx = one(conn, "SELECT org, org_id, actor FROM isms.context()")
            created = one(conn, """INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                                   VALUES (?, ?, 'low', now() - interval '2 hours', 'Priya (IT)')
                                   RETURNING id, created_by, reported_by""", org_id, title)
            others = one(conn, "SELECT count(*) FROM isms.incident WHERE org_id <> ?", org_id)[0]
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
            one(conn, "SELECT isms.set_context(?, ?)", "CONTOSO", "someone")
            return False, "a non-member organisation was accepted"
        except pyodbc.Error as e:
            conn.rollback()
            if sqlstate(e) != "42501" or not isinstance(e, pyodbc.ProgrammingError):
                return False, f"non-member: {sqlstate(e)} {type(e).__name__}"
            if "CONTOSO" not in str(e):
                return False, f"non-member message {e}"
    finally:
        conn.close()
    conn = connect("clients_bi", autocommit=True)
    try:
        try:
            one(conn, "SELECT isms.set_context(?)", "NORTHWIND")
            return False, "accepted outside a transaction block"
        except pyodbc.Error as e:
            if sqlstate(e) != "25P01":
                return False, f"autocommit: {sqlstate(e)}"
    finally:
        conn.close()
    return True, ""


def refusal():
    # a skipped workflow step arrives with its SQLSTATE and message and
    # leaves nothing behind
    title = f"Lost laptop (psqlodbc {uuid.uuid4().hex[:8]})"
    su = admin()
    logs_before = one(su, "SELECT count(*) FROM isms.transition_log")[0]
    conn = connect("clients_app")
    err = None
    try:
        org_id = one(conn, "SELECT isms.set_context(?, ?)", "NORTHWIND", ACTOR)[0]
        rid = one(conn, """INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                           VALUES (?, ?, 'medium', now(), 'Priya (IT)') RETURNING id""", org_id, title)[0]
        try:
            one(conn, "SELECT isms.transition(?, ?, ?, ?)", "isms.incident", rid, "resolved", "skipping triage")
            return False, "the skipped step was accepted"
        except pyodbc.Error as e:
            err = e
        conn.rollback()
    finally:
        conn.close()
    # an isms code is in no standard class: pyodbc raises its base class
    if sqlstate(err) != "IS001" or type(err) is not pyodbc.Error:
        return False, f"{sqlstate(err)} {type(err).__name__}"
    # psqlODBC passes the message and the detail in the error's text; it
    # drops the hint
    if "resolved" not in str(err) or "DETAIL: " not in str(err):
        return False, f"message {err}"
    left = one(su, "SELECT count(*) FROM isms.incident WHERE title = ?", title)[0]
    logs_after = one(su, "SELECT count(*) FROM isms.transition_log")[0]
    su.close()
    if left != 0 or logs_after != logs_before:
        return False, f"left behind: {left} incidents, {logs_after - logs_before} log rows"
    return True, ""


def refusal_class():
    # standard SQLSTATEs arrive as pyodbc's classes for their class
    conn = connect("clients_app")
    try:
        org_id = one(conn, "SELECT isms.set_context(?)", "NORTHWIND")[0]
        try:
            one(conn, """INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                         VALUES (?, 'x', 'urgent', now(), 'x') RETURNING id""", org_id)
            return False, "a severity off the list was accepted"
        except pyodbc.Error as e:
            err = e
        conn.rollback()
    finally:
        conn.close()
    if sqlstate(err) != "23514" or not isinstance(err, pyodbc.IntegrityError):
        return False, f"{sqlstate(err)} {type(err).__name__}"
    return True, ""


def expected_type(typname, category):
    # ODBC has no array type, no interval pyodbc converts, and no time zone:
    # those arrive as their text, timestamptz as a naive datetime in the
    # session's time zone
    if category == "A":
        return str
    return {
        "int2": int, "int4": int, "int8": int, "numeric": decimal.Decimal,
        "text": str, "varchar": str, "name": str, "bool": bool,
        "date": datetime.date, "timestamptz": datetime.datetime,
        "interval": str, "float8": float, "ref": str, "docver": str,
    }.get(typname)


def bi_types():
    conn = connect("clients_bi", autocommit=True)
    seen = {}
    bad = []
    try:
        views = [r[0] for r in rows(conn, "SELECT c.relname FROM pg_class c"
                                          " WHERE c.relnamespace = 'isms_report'::regnamespace"
                                          " AND c.relkind = 'v' ORDER BY 1")]
        for v in views:
            cols = rows(conn, "SELECT a.attname, t.typname, t.typcategory FROM pg_attribute a"
                              " JOIN pg_type t ON t.oid = a.atttypid"
                              " WHERE a.attrelid = ?::regclass AND a.attnum > 0 ORDER BY a.attnum",
                        f'isms_report."{v}"')
            data = rows(conn, f'SELECT * FROM isms_report."{v}" LIMIT 50')
            for i, (name, typname, category) in enumerate(cols):
                want = expected_type(typname, category)
                value = next((r[i] for r in data if r[i] is not None), None)
                if value is None:
                    continue
                seen[typname] = seen.get(typname, 0) + 1
                if want is None or type(value) is not want:
                    bad.append(f"{v}.{name} {typname} as {type(value).__name__}")
    finally:
        conn.close()
    for t in ("text", "timestamptz", "int8", "bool", "interval"):
        if t not in seen:
            bad.append(f"no {t} column seen")
    return not bad, "; ".join(bad)


def ref_param():
    conn = connect("clients_bi", autocommit=True)
    try:
        kind = rows(conn, "SELECT kind FROM isms.requirement WHERE framework = 'iso27001-2022' AND ref = ?", "A.5.24")
        soa = rows(conn, "SELECT title FROM isms_report.statement_of_applicability"
                         " WHERE org_code = ? AND control = ?", "NORTHWIND", "A.5.24")
    finally:
        conn.close()
    return kind == [("control",)] and len(soa) == 1, f"requirement {kind}, SoA {soa}"


def ref_write():
    conn = connect("clients_app")
    try:
        org_id = one(conn, "SELECT isms.set_context(?, ?)", "CONTOSO", ACTOR)[0]
        got = one(conn, """INSERT INTO isms.soa_entry (org_id, control, applicable, justification, implementation_status, owner)
                           VALUES (?, ?, true, ?, 'planned', 'CISO') RETURNING control::text""",
                  org_id, "A.5.2", "Roles and responsibilities are assigned")[0]
        conn.rollback()
    finally:
        conn.close()
    return got == "A.5.2", f"got {got}"


def bi_natural_order():
    conn = connect("clients_bi", autocommit=True)
    try:
        got = [r[0] for r in rows(conn, "SELECT control FROM isms_report.statement_of_applicability"
                                        " WHERE org_code = ? AND control BETWEEN ? AND ? ORDER BY control",
                                  "NORTHWIND", "A.5.1", "A.5.9")]
    finally:
        conn.close()
    want = [f"A.5.{i}" for i in range(1, 10)]
    return got == want, f"got {got}"


def session_leak():
    """Through one pgbouncer server connection: after another client's
    session-level SETs, a borrower that sets no context is refused its
    context, reads and writes (IS081), but for a read when only isms.actor
    was left."""
    x = connect("clients_app", BOUNCER, autocommit=True)
    y = connect("clients_app", BOUNCER)
    values = {"isms.org": "CONTOSO", "isms.actor": "mallory@contoso.example"}
    steps = (("context", "SELECT org, actor FROM isms.context()"),
             ("read", "SELECT count(*) FROM isms.incident"),
             ("write", """INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)
                          SELECT org_id, 'Left behind', 'low', now(), 'x' FROM isms.organization
                           WHERE code = 'NORTHWIND' RETURNING created_by"""))
    bad = []
    try:
        px = one(x, "SELECT pg_backend_pid()")[0]
        py = one(y, "SELECT pg_backend_pid()")[0]
        y.rollback()
        if px != py:
            return False, "the two clients did not share a server connection"
        for names in (("isms.org",), ("isms.actor",), ("isms.org", "isms.actor")):
            for name in names:
                one(x, "SELECT set_config(?, ?, false)", name, values[name])
            for step, sql in steps:
                try:
                    got = one(y, sql)
                except pyodbc.Error as e:
                    got = sqlstate(e)
                y.rollback()
                if step == "read" and "isms.org" not in names:
                    ok = not isinstance(got, str) and not any(v in values.values() for v in got)
                else:
                    ok = got == "IS081"
                if not ok:
                    bad.append(f"{'+'.join(names)} left, {step}: {got}")
            x.cursor().execute("RESET isms.org")
            x.cursor().execute("RESET isms.actor")
        ctx = one(y, "SELECT org, org_id, actor FROM isms.context()")
        y.rollback()
        if ctx != (None, None, "clients_app"):
            bad.append(f"after RESET: {ctx}")
    finally:
        x.close()
        y.close()
    return not bad, "; ".join(bad)


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
    run("pgbouncer-session-leak", session_leak)
sys.exit(1 if failed else 0)
