# isms: PGXS build.  The version lives in isms.control only.

EXTENSION  = isms isms_sample
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" isms.control)

MODULE_big = isms
OBJS = \
	src/isms.o \
	src/codec.o \
	src/ref.o \
	src/docver.o \
	src/stamp.o \
	src/write_check.o \
	src/tableinsert.o \
	src/workflow.o \
	src/trail.o \
	src/history.o \
	src/document.o \
	src/restrict.o \
	src/citus.o \
	src/context.o \
	src/membership.o

# Install-script parts, in dependency order.
SQL_PARTS = \
	src/head.sql \
	src/ref.sql \
	src/docver.sql \
	src/catalog.sql \
	src/catalog_data.sql \
	src/organization.sql \
	src/registers.sql \
	src/supplier.sql \
	src/trail.sql \
	src/history.sql \
	src/workflow.sql \
	src/workflow_builtin.sql \
	src/workflow_bind.sql \
	src/security.sql \
	src/workflow_access.sql \
	src/evidence_access.sql \
	src/review.sql \
	src/document.sql \
	src/library.sql \
	src/metrics.sql \
	src/reports.sql \
	src/signoff.sql \
	src/import.sql \
	src/coverage.sql \
	src/supplier_report.sql \
	src/auditpack.sql \
	src/living.sql \
	src/context.sql \
	src/citus.sql

# sql/ holds the scripts: the full install script of this version (built
# from src/*.sql), the upgrade scripts from every released version (written
# by hand, committed), and the sample ISMS, a separate extension.
DATA_built = sql/isms--$(EXTVERSION).sql sql/isms_sample--$(EXTVERSION).sql
DATA = $(wildcard sql/isms--*--*.sql)
EXTRA_CLEAN = results/ output_iso/ regression.diffs regression.out \
	test/security/output_iso/ \
	test/fuzz/fuzz_codec

PG_CPPFLAGS = -I$(srcdir)/src -DISMS_VERSION='"$(EXTVERSION)"'
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror

# pg_regress suites: test/sql/NAME.sql against test/expected/NAME.out
REGRESS = ref docver reports sample workflow_prepare
# tools/dev points the outputs into the run's own directory
REGRESS_OUTDIR ?= .
ISOLATION_OUTDIR ?= output_iso
REGRESS_OPTS = --inputdir=test --outputdir=$(REGRESS_OUTDIR) --load-extension=isms

# isolation specs: test/isolation/specs/NAME.spec
ISOLATION = ref_unique workflow_move workflow_events trail_concurrent history_concurrent history_visibility trail_verify trail_cic trail_dic \
	workflow_seal workflow_seal_orgs document_concurrent workflow_race sweep_concurrent write_check_members import_concurrent member_orgs_concurrent
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=$(ISOLATION_OUTDIR) --load-extension=isms

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# the trail's SHA-256 through OpenSSL, as the server's own (see trail.c)
ifeq ($(with_ssl),openssl)
SHLIB_LINK += -lcrypto
endif

# the library reports the version it is built for
src/isms.o: isms.control

sql/isms--$(EXTVERSION).sql: $(SQL_PARTS) isms.control
	cat $(SQL_PARTS) > $@

SAMPLE_PARTS = src/sample_head.sql src/sample.sql src/sample_suppliers.sql src/sample_staff.sql

sql/isms_sample--$(EXTVERSION).sql: $(SAMPLE_PARTS) isms_sample.control
	cat $(SAMPLE_PARTS) > $@

# isms_sample is released with isms, at the same version.
ifneq ($(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" isms_sample.control),$(EXTVERSION))
$(error isms_sample.control must have the default_version of isms.control, $(EXTVERSION))
endif

# pgTAP suites, run by pg_prove against a database holding pgtap.
PGTAP_DB ?= isms_tap
.PHONY: installcheck-pgtap installcheck-security installcheck-dump installcheck-docs installcheck-upgrade installcheck-package installcheck-standby installcheck-coexist installcheck-auditpack installcheck-libraries installcheck-clients installcheck-citus installcheck-all fuzz fuzz-sql bench demo demo-map
installcheck-pgtap:
	dropdb --if-exists $(PGTAP_DB)
	createdb $(PGTAP_DB)
	psql -X -q -v ON_ERROR_STOP=1 -d $(PGTAP_DB) -c 'CREATE EXTENSION pgtap'
	pg_prove -d $(PGTAP_DB) --ext .sql -r test/pgtap/

# The security suite: each attack as a pgTAP file (test/security/*.sql),
# then the isolation specs of test/security/specs (LISTEN, pollers).
SECURITY_DB ?= isms_security
SECURITY_ISOLATION = listen
SECURITY_OUTDIR ?= test/security/output_iso
installcheck-security:
	dropdb --if-exists $(SECURITY_DB)
	createdb $(SECURITY_DB)
	psql -X -q -v ON_ERROR_STOP=1 -d $(SECURITY_DB) -c 'CREATE EXTENSION pgtap'
	pg_prove -d $(SECURITY_DB) --ext .sql test/security/*.sql
	$(pg_isolation_regress_installcheck) --inputdir=test/security \
		--outputdir=$(SECURITY_OUTDIR) --dbname=$(SECURITY_DB)_iso $(SECURITY_ISOLATION)

# pg_dump | psql round trip of a database holding an ISMS.
installcheck-dump:
	test/dump/roundtrip.sh
	test/dump/run.sh
	test/dump/encoding.sh

# ALTER EXTENSION isms UPDATE from 0.1.0 (built from its tag) gives a fresh
# install's schema and keeps every row; run from tools/dev test.
installcheck-upgrade:
	test/upgrade/run.sh

# The Debian package builds, holds every script and installs; run from
# tools/dev test.
installcheck-package:
	test/package/run.sh

# A streaming hot standby of the current cluster (pg_basebackup, pg_ctl on
# loopback) runs every read-only function and BI view; run from tools/dev test.
installcheck-standby:
	test/standby/run.sh

# A cluster of its own with pg_cron and pgaudit preloaded runs isms beside
# them; run from tools/dev test.
installcheck-coexist:
	test/coexist/run.sh

# A Citus coordinator and two workers on loopback run isms (test/citus);
# prints one line and passes where citus.so is not installed.  Not part of
# installcheck-all: Citus is not in Debian's archive.
installcheck-citus:
	test/citus/run.sh

# The audit pack of the sample rendered in headless Chromium, its figures
# checked against the report functions; needs RUN_DIR, set by tools/dev.
installcheck-auditpack:
	OUT_DIR=$${OUT_DIR:-out} test/auditpack/run.sh

# CISO Assistant's real library files, imported as the README shows; skipped
# unless ISMS_CISO_LIBRARIES names a directory holding them (never shipped).
installcheck-libraries:
	test/libraries/run.sh

# The README's application and BI examples from psycopg2, psycopg 3,
# node-postgres and pgJDBC, directly and through pgbouncer in transaction
# mode; run from tools/dev test.
installcheck-clients:
	test/clients/run.sh

# The README names every public function, view and SQLSTATE.
installcheck-docs:
	test/docs/readme_check.sh

# libFuzzer over the codec, with address and undefined-behaviour sanitizers.
FUZZ_RUNS ?= 1000000
FUZZ_CC ?= clang
test/fuzz/fuzz_codec: test/fuzz/fuzz_codec.c src/codec.c src/codec.h
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Wno-ignored-attributes -DFRONTEND -I$(srcdir)/src \
		-I$(shell $(PG_CONFIG) --includedir-server) \
		test/fuzz/fuzz_codec.c src/codec.c -o $@
fuzz: test/fuzz/fuzz_codec
	test/fuzz/run.sh $(FUZZ_RUNS)

installcheck-all: installcheck installcheck-pgtap installcheck-security installcheck-dump installcheck-upgrade installcheck-package installcheck-standby installcheck-coexist installcheck-auditpack installcheck-libraries installcheck-clients installcheck-docs fuzz

bench:
	bench/run.sh

# The sample ISMS and its reports; then the process map rendered by Graphviz.
demo:
	psql -X -v ON_ERROR_STOP=1 -f examples/demo.sql

demo-map:
	examples/process-map.sh out
