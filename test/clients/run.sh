#!/usr/bin/env bash
# The client suite: the README's application and BI examples from the real
# drivers, psycopg2, psycopg 3, psqlODBC (from pyodbc), node-postgres (pinned
# in node/package-lock.json, installed with npm ci) and pgJDBC, directly and through a pgbouncer in
# transaction mode in front of the cluster; and the settings of a fresh
# connection before and after the library is preloaded.
#
# Runs inside the cluster of tools/dev (the PG* variables reach it).
# pgbouncer runs as an unprivileged user on a free port of 127.0.0.1, with
# its configuration and auth file in a directory of this run, and is
# stopped at the end.  Prints one "client <driver> <check> ... ok" or
# "... FAILED" line per check.
set -uo pipefail
cd "$(dirname "$0")/../.."
src=$PWD/test/clients
db=isms_clients
status=0
export CLIENTS_DB=$db

fail() {
	echo "client: $*" >&2
	echo "client suite set-up ... FAILED"
	exit 1
}
check() {
	local name=$1 got=$2 want=$3
	if [ "$got" = "$want" ]; then
		echo "client $name ... ok"
	else
		echo "client $name ... FAILED (got '$got', want '$want')"
		status=1
	fi
}
free_port() {
	local port i
	for i in $(seq 1 50); do
		port=$((30000 + RANDOM % 10000))
		ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && continue
		echo "$port"
		return 0
	done
	return 1
}

dir=$(mktemp -d -t isms-clients.XXXXXX)
chmod 755 "$dir"
bouncer_pid=
cleanup() {
	[ -n "$bouncer_pid" ] && kill "$bouncer_pid" 2>/dev/null
	rm -rf "$dir"
	dropdb --if-exists "$db" 2>/dev/null
}
trap cleanup EXIT

dropdb --if-exists "$db" 2>/dev/null
createdb "$db" || fail "createdb failed"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$db" -f "$src/setup.sql" || fail "loading the sample failed"

# -- settings on a fresh connection (psql, the clients' own checks below) ------
as() { PGPASSWORD=$1 psql -X -q -At -U "$1" -d "$db" -v VERBOSITY=sqlstate -c "$2" 2>&1; }
check "psql show-before-load" "$(as clients_bi 'SHOW isms.org')" \
	'ERROR:  42704'
check "psql context-before-load" "$(as clients_bi 'SELECT * FROM isms.context()')" \
	'||clients_bi|clients_bi'
# 'isms' on a system install; here the library of this run's install tree
lib=isms
[ -n "${ISMS_DESTDIR:-}" ] && lib=$ISMS_DESTDIR$("${PG_CONFIG:-pg_config}" --pkglibdir)/isms
psql -X -q -d "$db" -c "ALTER ROLE clients_bi IN DATABASE $db SET session_preload_libraries = '$lib'" ||
	fail "ALTER ROLE failed"
check "psql show-preloaded" "$(as clients_bi 'SHOW isms.org')" ''
check "psql current-setting-preloaded" "$(as clients_bi "SELECT current_setting('isms.org') = ''")" 't'
psql -X -q -d "$db" -c "ALTER ROLE clients_bi IN DATABASE $db RESET session_preload_libraries"

# -- pgbouncer in transaction mode, one server connection for all clients ------
bport=$(free_port) || fail "no free port"
host=127.0.0.1
cat > "$dir/pgbouncer.ini" <<EOF
[databases]
$db = host=$host port=$PGPORT dbname=$db

[pgbouncer]
listen_addr = $host
listen_port = $bport
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 1
max_client_conn = 50
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
printf '"clients_app" "clients_app"\n"clients_bi" "clients_bi"\n' > "$dir/userlist.txt"
if [ "$(id -u)" -eq 0 ]; then
	chown -R nobody: "$dir"
	runuser -u nobody -- pgbouncer -d "$dir/pgbouncer.ini" || fail "pgbouncer did not start"
else
	pgbouncer -d "$dir/pgbouncer.ini" || fail "pgbouncer did not start"
fi
for i in $(seq 1 50); do
	[ -s "$dir/pgbouncer.pid" ] && ss -Hltn "sport = :$bport" | grep -q . && break
	sleep 0.1
done
bouncer_pid=$(cat "$dir/pgbouncer.pid" 2>/dev/null) || fail "pgbouncer wrote no pid file"
export BOUNCER_PORT=$bport PGHOST=${PGHOST:-localhost}
check "pgbouncer transaction-mode" \
	"$(PGPASSWORD=clients_app psql -X -At -h $host -p "$bport" -U clients_app -d "$db" -c 'SELECT 1' 2>&1)" '1'

# -- the drivers ---------------------------------------------------------------
/usr/bin/python3 "$src/py_client.py" psycopg2 || status=1
/usr/bin/python3 "$src/py_client.py" psycopg || status=1
/usr/bin/python3 "$src/odbc_client.py" || status=1

mkdir -p "$dir/node"
cp "$src/node/package.json" "$src/node/package-lock.json" "$src/node/client.js" "$dir/node/"
[ "$(id -u)" -eq 0 ] && chown -R "$(id -u):$(id -g)" "$dir/node"
if (cd "$dir/node" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
	node "$dir/node/client.js" || status=1
else
	cat "$dir/node/npm.log" >&2
	echo "client node-postgres npm-ci ... FAILED"
	status=1
fi

jar=/usr/share/java/postgresql.jar
mkdir -p "$dir/java"
if javac -d "$dir/java" -cp "$jar" "$src/java/IsmsClient.java" 2>&1; then
	java -cp "$jar:$dir/java" IsmsClient || status=1
else
	echo "client pgjdbc javac ... FAILED"
	status=1
fi

if [ $status -ne 0 ] && [ -f "$dir/pgbouncer.log" ]; then
	echo "== pgbouncer.log (last lines)"
	tail -n 20 "$dir/pgbouncer.log"
fi
exit $status
