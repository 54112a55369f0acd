#!/usr/bin/env bash
# Debian package: builds postgresql-15-isms from a copy of this tree with
# dpkg-buildpackage (debian/, pg_buildext), checks what it holds, and
# creates both extensions from the package's files in a fresh database
# (the server reads them through extension_destdir, so the system stays as
# it was).  Also checks that every place naming the version agrees.
# Runs inside the cluster of tools/dev test; prints "... ok" or "... FAILED".
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${RUN_DIR:?RUN_DIR: run from tools/dev test}"
work=$RUN_DIR/package
db=isms_package
status=0
trap 'dropdb --if-exists "$db" 2>/dev/null' EXIT

check() {
	if [ "$2" = "$3" ]; then
		echo "$1 ... ok"
	else
		echo "$1 ... FAILED (got '$2', want '$3')"
		status=1
	fi
}

version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" isms.control)
check "package: META.json has version $version" \
	"$(python3 -c 'import json,sys; m=json.load(open("META.json")); print(m["version"], m["provides"]["isms"]["version"], m["provides"]["isms_sample"]["version"])')" \
	"$version $version $version"
check "package: debian/changelog has version $version" "$(dpkg-parsechangelog -S Version)" "$version"

rm -rf "$work"; mkdir -p "$work/src"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -C "$work/src" -xf -
if (cd "$work/src" && dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1; then
	echo "package: dpkg-buildpackage builds postgresql-15-isms ... ok"
else
	tail -n 40 "$work/build.log" >&2
	echo "package: dpkg-buildpackage builds postgresql-15-isms ... FAILED"
	exit 1
fi
deb=$(ls "$work"/postgresql-15-isms_"$version"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "package: the .deb is there ... FAILED"; exit 1; }
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|')
want="/usr/lib/postgresql/15/lib/isms.so
/usr/share/postgresql/15/extension/isms.control
/usr/share/postgresql/15/extension/isms--$version.sql
/usr/share/postgresql/15/extension/isms--0.1.0--$version.sql
/usr/share/postgresql/15/extension/isms_sample.control
/usr/share/postgresql/15/extension/isms_sample--$version.sql"
missing=$(comm -23 <(echo "$want" | sort) <(echo "$contents" | sort) | tr '\n' ' ')
check "package: $(basename "$deb") holds the library, both control files and every script" "$missing" ""

dpkg-deb -x "$deb" "$work/root"
chmod -R a+rX "$work"
dropdb --if-exists "$db" 2>/dev/null; createdb "$db"
got=$(PGOPTIONS="-c extension_destdir=$work/root" psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" 2>&1 <<'SQL'
CREATE EXTENSION isms;
CREATE EXTENSION isms_sample;
SELECT isms.version() || ' ' || (SELECT string_agg(extname || '=' || extversion, ',' ORDER BY extname)
                                   FROM pg_extension WHERE extname LIKE 'isms%')
       || ' ' || (SELECT count(*) FROM isms.requirement WHERE framework = 'iso27001-2022');
SQL
)
check "package: CREATE EXTENSION isms and isms_sample from the package's files" "$got" \
	"$version isms=$version,isms_sample=$version 138"
exit $status
