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
 * On a distributed isms those writes happen on the node that holds the
 * organisation's shards, into the shards themselves: the triggers of a
 * register's shard write the history and the transition log into the
 * shards colocated with it, and the trail of an organisation is appended
 * to the trail's shard that holds the organisation.  The functions below
 * map a shard to its table and a table to the shard holding a given
 * organisation on this node, from pg_dist_shard (metadata every node of a
 * Citus 11+ cluster has), cached per backend until any relcache
 * invalidation.
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
#include "common/hashfn.h"
#include "isms.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* pg_dist_shard's columns (Citus's pg_dist_shard.h) */
#define DIST_SHARD_NATTS		6
#define DIST_SHARD_LOGICALRELID 1
#define DIST_SHARD_SHARDID		2
#define DIST_SHARD_MINVALUE		5
#define DIST_SHARD_MAXVALUE		6

/* one shard of a Citus table, and where it is on this node */
typedef struct CitusShard
{
	int64		shardid;
	bool		has_range;		/* hash-distributed; a reference table's has none */
	int32		min;
	int32		max;
	Oid			local_relid;	/* InvalidOid where this node does not hold it */
} CitusShard;

/* per relation: what Citus makes of it, as of the last invalidation */
typedef struct CitusRel
{
	Oid			relid;			/* hash key */
	bool		valid;
	bool		listed;			/* in pg_dist_partition: a Citus table */
	int			nshards;		/* of a listed table */
	CitusShard *shards;
	bool		is_shard;		/* a shard of a Citus table on this node */
	Oid			table;			/* ... of this table */
	CitusShard	shard;			/* ... this one */
} CitusRel;

static HTAB *citus_rels = NULL;
static MemoryContext citus_cxt = NULL;

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

/* Forgets every mapping (see isms.c): shards move, tables are distributed. */
void
citus_relcache_invalidate(Oid relid)
{
	HASH_SEQ_STATUS status;
	CitusRel   *r;

	if (citus_rels == NULL)
		return;
	hash_seq_init(&status, citus_rels);
	while ((r = hash_seq_search(&status)) != NULL)
		r->valid = false;
}

/* The name Citus gives a relation's shard: AppendShardIdToName(). */
static char *
citus_shard_name(const char *name, int64 shardid)
{
	char		suffix[NAMEDATALEN];
	int			len = strlen(name);
	int			slen;

	snprintf(suffix, sizeof(suffix), "_" INT64_FORMAT, shardid);
	slen = strlen(suffix);
	if (len < NAMEDATALEN - slen)
		return psprintf("%s%s", name, suffix);
	/* a long name is clipped and tagged with its hash */
	return psprintf("%.*s_%.8x%s",
					pg_mbcliplen(name, len, NAMEDATALEN - slen - 10), name,
					DatumGetUInt32(hash_any((const unsigned char *) name, len)),
					suffix);
}

static Oid
dist_shard_relid(void)
{
	return get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE);
}

/* Reads a pg_dist_shard row's shard id and range. */
static void
citus_read_shard(HeapTuple tuple, TupleDesc desc, CitusShard *shard)
{
	bool		minnull;
	bool		maxnull;
	Datum		min;
	Datum		max;

	shard->shardid = DatumGetInt64(heap_getattr(tuple, DIST_SHARD_SHARDID,
												desc, &minnull));
	min = heap_getattr(tuple, DIST_SHARD_MINVALUE, desc, &minnull);
	max = heap_getattr(tuple, DIST_SHARD_MAXVALUE, desc, &maxnull);
	shard->has_range = !minnull && !maxnull;
	if (shard->has_range)
	{
		shard->min = pg_strtoint32(TextDatumGetCString(min));
		shard->max = pg_strtoint32(TextDatumGetCString(max));
	}
}

/* pg_dist_shard as Citus 11 to 13 define it, or NULL */
static Relation
citus_open_dist_shard(void)
{
	Oid			relid = dist_shard_relid();
	Relation	rel;
	TupleDesc	desc;

	if (!OidIsValid(relid))
		return NULL;
	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	if (desc->natts != DIST_SHARD_NATTS ||
		TupleDescAttr(desc, DIST_SHARD_SHARDID - 1)->atttypid != INT8OID ||
		TupleDescAttr(desc, DIST_SHARD_MINVALUE - 1)->atttypid != TEXTOID ||
		TupleDescAttr(desc, DIST_SHARD_MAXVALUE - 1)->atttypid != TEXTOID)
	{
		table_close(rel, AccessShareLock);
		return NULL;
	}
	return rel;
}

/* A Citus table's shards, and which of them this node holds. */
static void
citus_load_shards(CitusRel *r)
{
	Relation	ds = citus_open_dist_shard();
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			nsp = get_rel_namespace(r->relid);
	char	   *name = get_rel_name(r->relid);
	int			size = 8;
	Oid			indexid;

	r->nshards = 0;
	r->shards = MemoryContextAlloc(citus_cxt, sizeof(CitusShard) * size);
	if (ds == NULL || name == NULL)
	{
		if (ds)
			table_close(ds, AccessShareLock);
		return;
	}
	ScanKeyInit(&key, DIST_SHARD_LOGICALRELID, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(r->relid));
	indexid = get_relname_relid("pg_dist_shard_logical_relid_index",
								PG_CATALOG_NAMESPACE);
	scan = systable_beginscan(ds, indexid, OidIsValid(indexid), NULL, 1, &key);
	while ((tuple = systable_getnext(scan)) != NULL)
	{
		CitusShard *shard;
		char	   *shardname;

		if (r->nshards == size)
		{
			size *= 2;
			r->shards = repalloc(r->shards, sizeof(CitusShard) * size);
		}
		shard = &r->shards[r->nshards++];
		citus_read_shard(tuple, RelationGetDescr(ds), shard);
		shardname = citus_shard_name(name, shard->shardid);
		shard->local_relid = get_relname_relid(shardname, nsp);
		pfree(shardname);
	}
	systable_endscan(scan);
	table_close(ds, AccessShareLock);
}

/*
 * Whether relid is a shard of a Citus table: its name is the table's name
 * and "_<shardid>", in the table's schema, for a shard id pg_dist_shard
 * lists.
 */
static void
citus_find_table_of_shard(CitusRel *r)
{
	char	   *name = get_rel_name(r->relid);
	char	   *p;
	char	   *end;
	int64		shardid;
	Relation	ds;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			indexid;

	r->is_shard = false;
	if (name == NULL || (p = strrchr(name, '_')) == NULL || p[1] == '\0')
		return;
	errno = 0;
	shardid = strtoi64(p + 1, &end, 10);
	if (*end != '\0' || errno != 0 || shardid <= 0)
		return;
	if ((ds = citus_open_dist_shard()) == NULL)
		return;
	ScanKeyInit(&key, DIST_SHARD_SHARDID, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(shardid));
	indexid = get_relname_relid("pg_dist_shard_shardid_index",
								PG_CATALOG_NAMESPACE);
	scan = systable_beginscan(ds, indexid, OidIsValid(indexid), NULL, 1, &key);
	if ((tuple = systable_getnext(scan)) != NULL)
	{
		bool		isnull;
		Oid			table = DatumGetObjectId(heap_getattr(tuple,
														  DIST_SHARD_LOGICALRELID,
														  RelationGetDescr(ds),
														  &isnull));
		char	   *tname = get_rel_name(table);

		if (tname != NULL &&
			get_rel_namespace(table) == get_rel_namespace(r->relid) &&
			strcmp(citus_shard_name(tname, shardid), name) == 0)
		{
			r->is_shard = true;
			r->table = table;
			citus_read_shard(tuple, RelationGetDescr(ds), &r->shard);
			r->shard.local_relid = r->relid;
		}
	}
	systable_endscan(scan);
	table_close(ds, AccessShareLock);
}

static CitusRel *
citus_rel(Oid relid)
{
	CitusRel   *r;
	bool		found;

	if (citus_rels == NULL)
	{
		HASHCTL		ctl;

		citus_cxt = AllocSetContextCreate(CacheMemoryContext, "isms citus map",
										  ALLOCSET_SMALL_SIZES);
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CitusRel);
		ctl.hcxt = citus_cxt;
		citus_rels = hash_create("isms citus relations", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	r = hash_search(citus_rels, &relid, HASH_ENTER, &found);
	if (!found)
	{
		r->shards = NULL;
		r->valid = false;
	}
	if (!r->valid)
	{
		/* a plain table without Citus: one syscache lookup, then cached */
		if (r->shards)
			pfree(r->shards);
		r->shards = NULL;
		r->nshards = 0;
		r->is_shard = false;
		r->listed = citus_lists_relation(relid);
		if (r->listed)
			citus_load_shards(r);
		else
			citus_find_table_of_shard(r);
		r->valid = true;
	}
	return r;
}

/*
 * When relid is a shard of a Citus table held on this node (a trigger of
 * a register fires on its shards, on the workers), its table; otherwise
 * relid itself.  The table is the shell every node keeps: its OID names
 * the register in the catalogs of isms on this node.
 */
Oid
isms_citus_table_of(Oid relid)
{
	CitusRel   *r = citus_rel(relid);

	return r->is_shard ? r->table : relid;
}

static void
citus_no_local_shard(Oid target, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_ISMS_CITUS_TABLE),
			 errmsg("table %s is distributed by Citus and this node does not hold %s",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(target)),
											   get_rel_name(target)),
					what),
			 errdetail("isms writes its trail, transition log and history directly into the shard of the organisation, on the node that holds it."),
			 errhint("%s", hint)));
}

/*
 * The relation a trigger of relid writes target through: target itself,
 * unless relid is a shard, then target's shard colocated with it (same
 * hash range), which Citus keeps on the same node.
 */
Oid
isms_citus_colocated(Oid relid, Oid target)
{
	CitusRel   *r = citus_rel(relid);
	CitusRel   *t;
	CitusShard	shard;
	int			i;

	if (!r->is_shard)
		return target;
	if (r->table == target)
		return relid;
	shard = r->shard;
	t = citus_rel(target);
	for (i = 0; t->listed && i < t->nshards; i++)
	{
		CitusShard *s = &t->shards[i];

		if (s->has_range == shard.has_range &&
			(!s->has_range || (s->min == shard.min && s->max == shard.max)) &&
			OidIsValid(s->local_relid))
			return s->local_relid;
	}
	citus_no_local_shard(target,
						 psprintf("a shard colocated with %s", get_rel_name(relid)),
						 "Distribute the table with isms.citus_distribute(), which colocates every table of isms by org_id.");
	return InvalidOid;			/* not reached */
}

/*
 * As isms_citus_org_shard(), but InvalidOid where another node holds the
 * organisation's shard.  A Citus table that is not distributed by hash (a
 * reference or Citus local table) is returned itself: the caller's direct
 * write then refuses it (isms_refuse_citus_table).
 */
Oid
isms_citus_org_shard_here(Oid target, int64 org_id)
{
	CitusRel   *t = citus_rel(target);
	int32		hash;
	bool		hashed = false;
	int			i;

	if (!t->listed)
		return target;
	hash = DatumGetInt32(DirectFunctionCall1(hashint8, Int64GetDatum(org_id)));
	for (i = 0; i < t->nshards; i++)
	{
		CitusShard *s = &t->shards[i];

		if (!s->has_range)
			continue;
		hashed = true;
		if (s->min <= hash && hash <= s->max)
			return s->local_relid;
	}
	return hashed ? InvalidOid : target;
}

/*
 * The relation holding organisation org_id's rows of target on this node:
 * target itself unless Citus distributes it; then its shard for the hash
 * of org_id, which must be on this node.
 */
Oid
isms_citus_org_shard(Oid target, int64 org_id)
{
	Oid			relid = isms_citus_org_shard_here(target, org_id);

	if (OidIsValid(relid))
		return relid;
	citus_no_local_shard(target,
						 psprintf("the shard of organisation " INT64_FORMAT, org_id),
						 "On the coordinator, call the function alone in a SELECT with the organisation as a constant: Citus sends the call to the node holding the organisation.");
	return InvalidOid;			/* not reached */
}

/*
 * The index of shard (a relation isms_citus_colocated() returned) that
 * Citus made of index, an index of its table; index itself when shard is
 * no shard.
 */
Oid
isms_citus_colocated_index(Oid shard, Oid index)
{
	CitusRel   *r = citus_rel(shard);
	char	   *name;
	Oid			idx;

	if (!r->is_shard)
		return index;
	name = citus_shard_name(get_rel_name(index), r->shard.shardid);
	idx = get_relname_relid(name, get_rel_namespace(shard));
	if (!OidIsValid(idx))
		citus_no_local_shard(shard, psprintf("index %s", name),
							 "Distribute the table with isms.citus_distribute().");
	pfree(name);
	return idx;
}
