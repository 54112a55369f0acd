/*-------------------------------------------------------------------------
 *
 * citus.c
 *	  Refusing direct heap writes to tables that Citus has distributed.
 *
 * The trail, the transition log, the outbox and register history are
 * written (and the trail verified) with direct heap and index calls, not
 * through the executor.  Citus keeps an empty "shell" table on the
 * coordinator for every distributed or reference table and sends queries
 * to its shards: rows written to the shell are invisible to every query,
 * and a verification reading the shell checks rows no query returns.  So
 * these paths refuse a table listed in Citus's pg_catalog.pg_dist_partition
 * rather than record evidence nobody can read.
 *
 * Without Citus this costs one syscache lookup (pg_dist_partition is not
 * there); with Citus, one index probe of pg_dist_partition.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "citus.h"
#include "isms.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/* true when Citus lists the relation in pg_catalog.pg_dist_partition */
static bool
citus_lists_relation(Oid relid)
{
	Oid			partid;
	Oid			indexid;
	Relation	part;
	TupleDesc	desc;
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	partid = get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE);
	if (!OidIsValid(partid))
		return false;

	part = table_open(partid, AccessShareLock);
	desc = RelationGetDescr(part);

	/* logicalrelid regclass comes first; any other shape is not Citus's */
	if (desc->natts < 1 || TupleDescAttr(desc, 0)->attisdropped ||
		(TupleDescAttr(desc, 0)->atttypid != REGCLASSOID &&
		 TupleDescAttr(desc, 0)->atttypid != OIDOID))
	{
		table_close(part, AccessShareLock);
		return false;
	}

	indexid = get_relname_relid("pg_dist_partition_logical_relid_index",
								PG_CATALOG_NAMESPACE);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(part, indexid, OidIsValid(indexid), NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(part, AccessShareLock);
	return found;
}

/*
 * True when Citus has taken isms over (isms.citus_distribute() made
 * isms.organization a reference table): a shard's policy then runs on a
 * worker, which knows only the settings Citus sends it.
 */
bool
isms_citus_distributed(void)
{
	Oid			nsp = get_namespace_oid("isms", true);
	Oid			relid;

	if (!OidIsValid(nsp))
		return false;
	relid = get_relname_relid("organization", nsp);
	return OidIsValid(relid) && citus_lists_relation(relid);
}

/*
 * Errors out when Citus has distributed the relation (a distributed,
 * reference or Citus local table) that the caller is about to write or
 * read directly.
 */
void
isms_refuse_citus_table(Relation rel)
{
	char	   *name;

	if (!citus_lists_relation(RelationGetRelid(rel)))
		return;

	name = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									  RelationGetRelationName(rel));
	ereport(ERROR,
			(errcode(ERRCODE_ISMS_CITUS_TABLE),
			 errmsg("table %s is distributed by Citus: isms writes it directly and cannot use it",
					name),
			 errdetail("isms appends to the trail, the transition log, the outbox and register history with direct heap and index inserts, which on a Citus table would go to the coordinator's shell table that no query reads."),
			 errhint("Make it a local table again with SELECT undistribute_table(%s); the README section on Citus says what can be distributed.",
					 quote_literal_cstr(name))));
}
