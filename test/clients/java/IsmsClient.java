// The README's application and BI examples from pgJDBC.
//
//   java -cp postgresql.jar:. IsmsClient
//
// Connects as the suite's logins (test/clients/setup.sql) to the cluster of
// PGHOST/PGPORT and, for the pgbouncer checks, to BOUNCER_PORT.  Prints one
// "client pgjdbc <check> ... ok" or "... FAILED (why)" line per check and
// exits non-zero on any failure.
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

public class IsmsClient {
	static final String HOST = env("PGHOST", "localhost");
	static final String PORT = env("PGPORT", "5432");
	static final String BOUNCER = System.getenv("BOUNCER_PORT");
	static final String DB = env("CLIENTS_DB", "isms_clients");
	static final String ACTOR = "sam.sales@northwind.example";
	static int failed = 0;

	interface Check {
		String run() throws Exception;	// null when the check holds, else why not
	}

	static String env(String name, String dflt) {
		String v = System.getenv(name);
		return v == null || v.isEmpty() ? dflt : v;
	}

	static Connection connect(String user, String port) throws SQLException {
		// through pgbouncer before 1.21 in transaction mode, no named
		// server-side statements: prepareThreshold=0
		String url = "jdbc:postgresql://" + HOST + ":" + port + "/" + DB
			+ (port.equals(PORT) ? "" : "?prepareThreshold=0");
		return DriverManager.getConnection(url, user, user);
	}

	static Connection connect(String user) throws SQLException {
		return connect(user, PORT);
	}

	static Connection admin() throws SQLException {
		return DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + PORT + "/" + DB,
				env("PGUSER", "postgres"), env("PGPASSWORD", ""));
	}

	static void run(String check, Check c) {
		String why;
		try {
			why = c.run();
		} catch (Exception e) {
			why = e.getClass().getName() + ": " + e.getMessage();
		}
		if (why == null)
			System.out.println("client pgjdbc " + check + " ... ok");
		else {
			failed++;
			System.out.println("client pgjdbc " + check + " ... FAILED (" + why.replace('\n', ' ') + ")");
		}
	}

	static List<Object> row(Connection c, String sql, Object... params) throws SQLException {
		try (PreparedStatement ps = c.prepareStatement(sql)) {
			for (int i = 0; i < params.length; i++)
				ps.setObject(i + 1, params[i]);
			try (ResultSet rs = ps.executeQuery()) {
				if (!rs.next())
					return null;
				List<Object> r = new ArrayList<>();
				for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++)
					r.add(rs.getObject(i));
				return r;
			}
		}
	}

	static List<Object> list(Object... values) {
		List<Object> r = new ArrayList<>();
		for (Object v : values)
			r.add(v);
		return r;
	}

	// the error a statement raises, or null
	static PSQLException refused(Connection c, String sql, Object... params) {
		try {
			row(c, sql, params);
			return null;
		} catch (PSQLException e) {
			return e;
		} catch (SQLException e) {
			throw new RuntimeException(e);
		}
	}

	static String freshContext() throws SQLException {
		try (Connection c = connect("clients_app")) {
			List<Object> r = row(c, "SELECT org, org_id, actor, role_name FROM isms.context()");
			return r.equals(list(null, null, "clients_app", "clients_app")) ? null : "got " + r;
		}
	}

	static Check setContext(String port) {
		return () -> {
			String title = "Phishing mail reported by a driver (pgjdbc " + UUID.randomUUID() + ")";
			List<Object> ctx, created, after;
			long orgId, others;
			try (Connection c = connect("clients_app", port)) {
				// the pooled-session pattern: a transaction, its context
				// from bound parameters, the statements, COMMIT
				c.setAutoCommit(false);
				orgId = (Long) row(c, "SELECT isms.set_context(?, ?)", "NORTHWIND", ACTOR).get(0);
				ctx = row(c, "SELECT org, org_id, actor FROM isms.context()");
				created = row(c, "INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)"
						+ " VALUES (?, ?, 'low', now() - interval '2 hours', 'Priya (IT)')"
						+ " RETURNING created_by, reported_by", orgId, title);
				others = (Long) row(c, "SELECT count(*) FROM isms.incident WHERE org_id <> ?", orgId).get(0);
				c.commit();
				after = row(c, "SELECT org, org_id, actor FROM isms.context()");
				c.commit();
			}
			if (!ctx.equals(list("NORTHWIND", orgId, ACTOR)))
				return "context in the transaction " + ctx;
			if (!created.equals(list(ACTOR, ACTOR)))
				return "created_by, reported_by " + created;
			if (others != 0)
				return others + " rows of another organisation visible";
			if (!after.equals(list(null, null, "clients_app")))
				return "context after COMMIT " + after;
			return null;
		};
	}

	static String setContextRefused() throws SQLException {
		try (Connection c = connect("clients_bi")) {
			c.setAutoCommit(false);
			PSQLException e = refused(c, "SELECT isms.set_context(?, ?)", "CONTOSO", "someone");
			c.rollback();
			if (e == null)
				return "a non-member organisation was accepted";
			ServerErrorMessage m = e.getServerErrorMessage();
			if (!"42501".equals(m.getSQLState()) || !m.getMessage().contains("CONTOSO")
					|| m.getDetail() == null || m.getHint() == null)
				return "non-member: " + m.getSQLState() + " " + m.getMessage();
			c.setAutoCommit(true);
			e = refused(c, "SELECT isms.set_context(?)", "NORTHWIND");
			if (e == null || !"25P01".equals(e.getSQLState()))
				return "autocommit: " + (e == null ? "accepted" : e.getSQLState());
			return null;
		}
	}

	static long count(Connection c, String sql, Object... params) throws SQLException {
		return ((Number) row(c, sql, params).get(0)).longValue();
	}

	static String refusal() throws SQLException {
		// a skipped workflow step (reported -> resolved) arrives with
		// SQLSTATE, message, detail and hint, and leaves nothing behind
		String title = "Lost laptop (pgjdbc " + UUID.randomUUID() + ")";
		try (Connection su = admin()) {
			long logsBefore = count(su, "SELECT count(*) FROM isms.transition_log");
			PSQLException e;
			try (Connection c = connect("clients_app")) {
				c.setAutoCommit(false);
				long orgId = (Long) row(c, "SELECT isms.set_context(?, ?)", "NORTHWIND", ACTOR).get(0);
				long id = (Long) row(c, "INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)"
						+ " VALUES (?, ?, 'medium', now(), 'Priya (IT)') RETURNING id", orgId, title).get(0);
				e = refused(c, "SELECT isms.transition(?::regclass, ?, ?, ?)",
						"isms.incident", id, "resolved", "skipping triage");
				c.rollback();
			}
			if (e == null)
				return "the skipped step was accepted";
			ServerErrorMessage m = e.getServerErrorMessage();
			if (!"IS001".equals(e.getSQLState()) || !m.getMessage().contains("resolved")
					|| m.getDetail() == null || m.getHint() == null)
				return e.getSQLState() + " " + m.getMessage() + " detail=" + m.getDetail() + " hint=" + m.getHint();
			long left = count(su, "SELECT count(*) FROM isms.incident WHERE title = ?", title);
			long logsAfter = count(su, "SELECT count(*) FROM isms.transition_log");
			if (left != 0 || logsAfter != logsBefore)
				return "left behind: " + left + " incidents, " + (logsAfter - logsBefore) + " log rows";
			return null;
		}
	}

	static String refusalClass() throws SQLException {
		try (Connection c = connect("clients_app")) {
			c.setAutoCommit(false);
			long orgId = (Long) row(c, "SELECT isms.set_context(?)", "NORTHWIND").get(0);
			PSQLException e = refused(c, "INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)"
					+ " VALUES (?, 'x', 'urgent', now(), 'x') RETURNING id", orgId);
			c.rollback();
			if (e == null || !"23514".equals(e.getSQLState())
					|| !"incident_severity_values".equals(e.getServerErrorMessage().getConstraint()))
				return e == null ? "accepted" : e.getSQLState() + " " + e.getServerErrorMessage().getConstraint();
			return null;
		}
	}

	// what getObject() returns for each PostgreSQL type
	static String expectedType(String typname, String category) {
		if (category.equals("A"))
			return "java.sql.Array";
		Map<String, String> m = new HashMap<>();
		m.put("int2", "java.lang.Integer");
		m.put("int4", "java.lang.Integer");
		m.put("int8", "java.lang.Long");
		m.put("numeric", "java.math.BigDecimal");
		m.put("float8", "java.lang.Double");
		m.put("text", "java.lang.String");
		m.put("varchar", "java.lang.String");
		m.put("name", "java.lang.String");
		m.put("bool", "java.lang.Boolean");
		m.put("date", "java.sql.Date");
		m.put("timestamptz", "java.sql.Timestamp");
		m.put("interval", "org.postgresql.util.PGInterval");
		// a type the driver does not know arrives as a PGobject holding its text
		m.put("ref", "org.postgresql.util.PGobject");
		m.put("docver", "org.postgresql.util.PGobject");
		return m.get(typname);
	}

	static String biTypes() throws SQLException {
		List<String> bad = new ArrayList<>();
		Set<String> seen = new HashSet<>();
		try (Connection c = connect("clients_bi")) {
			Map<String, String> category = new HashMap<>();
			List<String> views = new ArrayList<>();
			try (Statement st = c.createStatement()) {
				try (ResultSet rs = st.executeQuery("SELECT typname, typcategory FROM pg_type")) {
					while (rs.next())
						category.put(rs.getString(1), rs.getString(2));
				}
				try (ResultSet rs = st.executeQuery("SELECT c.relname FROM pg_class c"
						+ " WHERE c.relnamespace = 'isms_report'::regnamespace AND c.relkind = 'v' ORDER BY 1")) {
					while (rs.next())
						views.add(rs.getString(1));
				}
				for (String v : views) {
					try (ResultSet rs = st.executeQuery("SELECT * FROM isms_report.\"" + v + "\" LIMIT 50")) {
						ResultSetMetaData md = rs.getMetaData();
						int n = md.getColumnCount();
						Object[] first = new Object[n + 1];
						while (rs.next())
							for (int i = 1; i <= n; i++)
								if (first[i] == null)
									first[i] = rs.getObject(i);
						for (int i = 1; i <= n; i++) {
							if (first[i] == null)
								continue;
							String typname = md.getColumnTypeName(i).replace("\"", "");
							if (typname.startsWith("_") || typname.contains("."))
								typname = typname.substring(typname.lastIndexOf('.') + 1);
							String cat = category.getOrDefault(typname, "");
							String want = expectedType(typname, cat);
							seen.add(typname);
							boolean ok = want != null && (want.equals("java.sql.Array")
									? first[i] instanceof Array
									: first[i].getClass().getName().equals(want));
							if (!ok)
								bad.add(v + "." + md.getColumnName(i) + " " + typname + " as " + first[i].getClass().getName());
						}
					}
				}
			}
		}
		for (String t : new String[] {"text", "timestamptz", "int8", "bool"})
			if (!seen.contains(t))
				bad.add("no " + t + " column seen");
		return bad.isEmpty() ? null : String.join("; ", bad);
	}

	static String refParam() throws SQLException {
		// WHERE ref = ? with setString, the driver's default (varchar)
		try (Connection c = connect("clients_bi")) {
			List<String> kinds = new ArrayList<>();
			try (PreparedStatement ps = c.prepareStatement(
					"SELECT kind FROM isms.requirement WHERE framework = 'iso27001-2022' AND ref = ?")) {
				ps.setString(1, "A.5.24");
				try (ResultSet rs = ps.executeQuery()) {
					while (rs.next())
						kinds.add(rs.getString(1));
				}
			}
			long soa;
			try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM isms_report.statement_of_applicability"
					+ " WHERE org_code = ? AND control = ?")) {
				ps.setString(1, "NORTHWIND");
				ps.setString(2, "A.5.24");
				try (ResultSet rs = ps.executeQuery()) {
					rs.next();
					soa = rs.getLong(1);
				}
			}
			return kinds.equals(list("control")) && soa == 1 ? null : "requirement " + kinds + ", SoA " + soa;
		}
	}

	static String refWrite() throws SQLException {
		// a reference written from setString (varchar), rolled back
		try (Connection c = connect("clients_app")) {
			c.setAutoCommit(false);
			long orgId = (Long) row(c, "SELECT isms.set_context(?, ?)", "CONTOSO", ACTOR).get(0);
			String got;
			try (PreparedStatement ps = c.prepareStatement("INSERT INTO isms.soa_entry"
					+ " (org_id, control, applicable, justification, implementation_status, owner)"
					+ " VALUES (?, ?, true, ?, 'planned', 'CISO') RETURNING control::text")) {
				ps.setLong(1, orgId);
				ps.setString(2, "A.5.2");
				ps.setString(3, "Roles and responsibilities are assigned");
				try (ResultSet rs = ps.executeQuery()) {
					rs.next();
					got = rs.getString(1);
				}
			} finally {
				c.rollback();
			}
			return "A.5.2".equals(got) ? null : "got " + got;
		}
	}

	static String biNaturalOrder() throws SQLException {
		// BETWEEN and ORDER BY on a view's reference column, with setString
		try (Connection c = connect("clients_bi")) {
			List<Object> got = new ArrayList<>();
			try (PreparedStatement ps = c.prepareStatement("SELECT control FROM isms_report.statement_of_applicability"
					+ " WHERE org_code = ? AND control BETWEEN ? AND ? ORDER BY control")) {
				ps.setString(1, "NORTHWIND");
				ps.setString(2, "A.5.1");
				ps.setString(3, "A.5.9");
				try (ResultSet rs = ps.executeQuery()) {
					while (rs.next())
						got.add(rs.getString(1));
				}
			}
			List<Object> want = new ArrayList<>();
			for (int i = 1; i <= 9; i++)
				want.add("A.5." + i);
			return got.equals(want) ? null : "got " + got;
		}
	}

	static String noLeak() throws SQLException {
		// two clients through one server connection (pool_size = 1)
		String title = "Tailgating at the depot (pgjdbc " + UUID.randomUUID() + ")";
		try (Connection x = connect("clients_app", BOUNCER); Connection y = connect("clients_app", BOUNCER);
				Connection su = admin()) {
			try {
				return noLeak(x, y, su, title);
			} finally {
				// the server connection is shared: leave it as it was
				x.setAutoCommit(true);
				try (Statement st = x.createStatement()) {
					st.execute("RESET isms.org");
					st.execute("RESET isms.actor");
				}
			}
		}
	}

	// What a borrower that sets no context sees and writes after another
	// client's session-level SETs on the same server connection: the
	// context, a read and a write of the next transaction are refused
	// (IS081), but for a read when only isms.actor was left (the login's own
	// organisations).
	static String sessionLeak(Connection x, Connection y) throws SQLException {
		Map<String, String> values = new LinkedHashMap<>();
		values.put("isms.org", "CONTOSO");
		values.put("isms.actor", "mallory@contoso.example");
		String[][] steps = {
			{"context", "SELECT org, actor FROM isms.context()"},
			{"read", "SELECT count(*) FROM isms.incident"},
			{"write", "INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)"
					+ " SELECT org_id, 'Left behind', 'low', now(), 'x' FROM isms.organization"
					+ " WHERE code = 'NORTHWIND' RETURNING created_by"}};
		List<String> bad = new ArrayList<>();
		x.setAutoCommit(true);
		y.setAutoCommit(false);
		for (String[] names : new String[][] {{"isms.org"}, {"isms.actor"}, {"isms.org", "isms.actor"}}) {
			List<String> left = Arrays.asList(names);
			for (String name : names)
				row(x, "SELECT set_config(?, ?, false)", name, values.get(name));
			for (String[] step : steps) {
				Object got;
				try {
					got = row(y, step[1]);
				} catch (PSQLException e) {
					got = e.getSQLState();
				}
				y.rollback();
				boolean ok;
				if (step[0].equals("read") && !left.contains("isms.org"))
					ok = got instanceof List && Collections.disjoint((List<?>) got, values.values());
				else
					ok = "IS081".equals(got);
				if (!ok)
					bad.add(String.join("+", names) + " left, " + step[0] + ": " + got);
			}
			try (Statement st = x.createStatement()) {
				st.execute("RESET isms.org");
				st.execute("RESET isms.actor");
			}
		}
		List<Object> ctx = row(y, "SELECT org, org_id, actor FROM isms.context()");
		y.rollback();
		if (!list(null, null, "clients_app").equals(ctx))
			bad.add("after RESET: " + ctx);
		return bad.isEmpty() ? null : String.join("; ", bad);
	}

	static String noLeak(Connection x, Connection y, Connection su, String title) throws SQLException {
		{
			x.setAutoCommit(false);
			y.setAutoCommit(false);
			Object px = row(x, "SELECT isms.set_context(?, ?), pg_backend_pid()", "CONTOSO", "mallory@contoso.example").get(1);
			x.commit();
			Object py = row(y, "SELECT pg_backend_pid()").get(0);
			List<Object> ctx = row(y, "SELECT org, org_id, actor FROM isms.context()");
			y.commit();
			if (!Objects.equals(px, py))
				return "the two clients did not share a server connection";
			if (!ctx.equals(list(null, null, "clients_app")))
				return "the next borrower saw " + ctx;
			// the unsafe pattern: session-level settings outside a transaction
			run("pgbouncer-session-leak", () -> sessionLeak(x, y));
			x.setAutoCommit(true);
			List<String> sessionSet = new ArrayList<>();
			for (String[] s : new String[][] {{"isms.org", "CONTOSO"}, {"isms.actor", "mallory@contoso.example"}})
				if (refused(x, "SELECT set_config(?, ?, false)", s[0], s[1]) == null)
					sessionSet.add(s[0]);
			long north = (Long) row(y, "SELECT isms.set_context(?, ?)", "NORTHWIND", ACTOR).get(0);
			ctx = row(y, "SELECT org, actor FROM isms.context()");
			long others = count(y, "SELECT count(*) FROM isms.incident WHERE org_id <> ?", north);
			List<Object> written = row(y, "INSERT INTO isms.incident (org_id, title, severity, detected_at, owner)"
					+ " VALUES (?, ?, 'low', now(), 'Depot lead') RETURNING org_id, created_by", north, title);
			row(y, "SELECT isms.set_context(?)", "NORTHWIND");
			Object own = row(y, "SELECT actor FROM isms.context()").get(0);
			y.commit();
			if (!ctx.equals(list("NORTHWIND", ACTOR)) || others != 0)
				return "with " + sessionSet + " left behind: context " + ctx + ", " + others + " rows of another tenant";
			if (!written.equals(list(north, ACTOR)) || !"clients_app".equals(own))
				return "with " + sessionSet + " left behind: wrote " + written + ", actor without one " + own;
			List<Object> stored = row(su, "SELECT org_id, created_by, updated_by FROM isms.incident WHERE title = ?", title);
			if (!list(north, ACTOR, ACTOR).equals(stored))
				return "stored " + stored;
			return null;
		}
	}

	public static void main(String[] args) {
		run("fresh-context", IsmsClient::freshContext);
		run("set-context", setContext(PORT));
		run("set-context-refused", IsmsClient::setContextRefused);
		run("refusal-IS001", IsmsClient::refusal);
		run("refusal-class", IsmsClient::refusalClass);
		run("bi-types", IsmsClient::biTypes);
		run("ref-param", IsmsClient::refParam);
		run("ref-write", IsmsClient::refWrite);
		run("bi-natural-order", IsmsClient::biNaturalOrder);
		if (BOUNCER != null && !BOUNCER.isEmpty()) {
			run("pgbouncer-set-context", setContext(BOUNCER));
			run("pgbouncer-no-leak", IsmsClient::noLeak);
		}
		System.exit(failed == 0 ? 0 : 1);
	}
}
