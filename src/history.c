/*-------------------------------------------------------------------------
 *
 * history.c
 *	  isms.capture_history(): keeps every superseded version of every
 *	  register row in the register's history table, isms_history.<name>,
 *	  with its validity period.
 *
 * The trigger is an AFTER ... FOR EACH STATEMENT trigger with transition
 * tables (one for UPDATE, one for DELETE; isms.enable_history() creates
 * them).  A statement trigger pays the trigger call once per statement and
 * lets the history rows go in with table_multi_insert(), as COPY does, in
 * batches; a row trigger would queue an after-trigger event and refetch
 * the row for each updated row.  Each statement builds one EState and
 * ResultRelInfo for the history table, so ExecInsertIndexTuples() keeps
 * every index (and any exclusion constraint) right without SPI.
 *
 * A superseded version is valid from its own valid-from column (the
 * register's updated_at) until the next version's valid-from (UPDATE) or
 * the clock time of the deletion (DELETE), so a register's versions tile
 * time without gaps or overlaps and the current row starts where its last
 * history row ends.  isms.stamp() reads the clock after the row is locked
 * and keeps each row's starts strictly increasing, so the versions of a
 * row tile time in the order they became visible (README, "As of").  An
 * UPDATE that leaves a row byte-for-byte unchanged adds no version.
 *
 * Per-register metadata (the history table's OID and the column map) is
 * cached per backend, keyed by the register's OID, and dropped by a
 * relcache callback when either table is altered.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "citus.h"
#include "isms.h"
#include "tableinsert.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "access/stratnum.h"
#include "storage/proc.h"
#include "utils/snapmgr.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

/* history columns that are not register columns (map values) */
#define MAP_NULL			0	/* a column since dropped from the register */
#define MAP_VALID			(-1)
#define MAP_CHANGED_BY		(-2)
#define MAP_CHANGE			(-3)

typedef struct HistoryEntry
{
	Oid			relid;			/* hash key: the register */
	bool		valid;
	Oid			hist_relid;
	int			hist_natts;
	AttrNumber *map;			/* per history column: register attnum or
								 * MAP_* */
	AttrNumber	vf_attno;		/* the register's valid-from column */
	AttrNumber	org_attno;		/* its bigint org_id and id, if any */
	AttrNumber	id_attno;
	bool		copyable;		/* history columns are the register's, in
								 * order, then valid, changed_by, change */
} HistoryEntry;

static HTAB *history_cache = NULL;

PG_FUNCTION_INFO_V1(capture_history);

/* Marks the cached column maps of relid stale (all for InvalidOid); see isms.c. */
void
history_relcache_invalidate(Oid relid)
{
	HASH_SEQ_STATUS status;
	HistoryEntry *entry;

	if (history_cache == NULL)
		return;
	hash_seq_init(&status, history_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (relid == InvalidOid || entry->relid == relid ||
			entry->hist_relid == relid)
			entry->valid = false;
	}
}

static void
history_init_cache(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(HistoryEntry);
	ctl.hcxt = CacheMemoryContext;
	history_cache = hash_create("isms history cache", 32, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
history_mismatch(Relation reg, const char *detail_fmt, const char *column)
{
	char	   *regname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(reg)),
													 RelationGetRelationName(reg));

	ereport(ERROR,
			(errcode(ERRCODE_ISMS_HISTORY_MISMATCH),
			 errmsg("history of register %s no longer matches the register", regname),
			 errdetail(detail_fmt, column),
			 errhint("Bring the history table up to date with SELECT isms.enable_history('%s').",
					 regname)));
}

/*
 * Builds the column map: each history column takes the register column of
 * the same name and type, or one of the three history columns.  Matching by
 * name survives dropped columns, which shift attribute numbers.
 */
static void
history_build_entry(HistoryEntry *entry, Relation reg, Trigger *trigger)
{
	TupleDesc	regdesc = RelationGetDescr(reg);
	Oid			hist_relid;
	Relation	hist;
	TupleDesc	histdesc;
	AttrNumber *map;
	bool	   *used;
	int			i;
	int			j;

	if (trigger->tgnargs != 2)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" must pass isms.capture_history() the history table and the valid-from column",
						trigger->tgname),
				 errhint("Create the trigger with isms.enable_history().")));

	hist_relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(trigger->tgargs[0])),
								  NoLock, false);

	/*
	 * On a register's Citus shard the trigger names the history table, and
	 * writes its shard colocated with this one (on this node).
	 */
	hist_relid = isms_citus_colocated(RelationGetRelid(reg), hist_relid);

	entry->vf_attno = InvalidAttrNumber;
	entry->org_attno = InvalidAttrNumber;
	entry->id_attno = InvalidAttrNumber;
	for (i = 0; i < regdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(regdesc, i);

		if (!att->attisdropped && att->atttypid == INT8OID)
		{
			if (strcmp(NameStr(att->attname), "org_id") == 0)
				entry->org_attno = att->attnum;
			else if (strcmp(NameStr(att->attname), "id") == 0)
				entry->id_attno = att->attnum;
		}

		if (!att->attisdropped &&
			strcmp(NameStr(att->attname), trigger->tgargs[1]) == 0)
		{
			if (att->atttypid != TIMESTAMPTZOID)
				history_mismatch(reg, "Valid-from column \"%s\" is not of type timestamptz.",
								 trigger->tgargs[1]);
			entry->vf_attno = att->attnum;
		}
	}
	if (entry->vf_attno == InvalidAttrNumber)
		history_mismatch(reg, "The register has no valid-from column \"%s\".",
						 trigger->tgargs[1]);

	hist = table_open(hist_relid, AccessShareLock);
	histdesc = RelationGetDescr(hist);
	map = MemoryContextAllocZero(CacheMemoryContext,
								 sizeof(AttrNumber) * histdesc->natts);
	used = palloc0(sizeof(bool) * regdesc->natts);

	for (i = 0; i < histdesc->natts; i++)
	{
		Form_pg_attribute hatt = TupleDescAttr(histdesc, i);
		const char *name = NameStr(hatt->attname);

		map[i] = MAP_NULL;
		if (hatt->attisdropped)
			continue;
		if (strcmp(name, "valid") == 0)
			map[i] = MAP_VALID;
		else if (strcmp(name, "changed_by") == 0)
			map[i] = MAP_CHANGED_BY;
		else if (strcmp(name, "change") == 0)
			map[i] = MAP_CHANGE;
		else
		{
			for (j = 0; j < regdesc->natts; j++)
			{
				Form_pg_attribute ratt = TupleDescAttr(regdesc, j);

				if (ratt->attisdropped ||
					strcmp(NameStr(ratt->attname), name) != 0)
					continue;
				if (ratt->atttypid != hatt->atttypid ||
					ratt->atttypmod != hatt->atttypmod)
					history_mismatch(reg, "Column \"%s\" has another type in the register than in its history table.",
									 name);
				map[i] = ratt->attnum;
				used[j] = true;
				break;
			}
		}
	}
	for (j = 0; j < regdesc->natts; j++)
	{
		Form_pg_attribute ratt = TupleDescAttr(regdesc, j);

		if (!ratt->attisdropped && !used[j])
			history_mismatch(reg, "Register column \"%s\" has no column in the history table.",
							 NameStr(ratt->attname));
	}

	entry->copyable = histdesc->natts == regdesc->natts + 3 &&
		map[histdesc->natts - 3] == MAP_VALID &&
		map[histdesc->natts - 2] == MAP_CHANGED_BY &&
		map[histdesc->natts - 1] == MAP_CHANGE;
	for (i = 0; i < regdesc->natts && entry->copyable; i++)
		entry->copyable = map[i] == i + 1;

	entry->hist_relid = hist_relid;
	entry->hist_natts = histdesc->natts;
	entry->map = map;
	pfree(used);
	table_close(hist, AccessShareLock);
}

static HistoryEntry *
history_get_entry(Relation reg, Trigger *trigger)
{
	Oid			relid = RelationGetRelid(reg);
	HistoryEntry *entry;
	bool		found;

	if (history_cache == NULL)
		history_init_cache();

	entry = hash_search(history_cache, &relid, HASH_ENTER, &found);
	if (!found)
	{
		entry->valid = false;
		entry->map = NULL;
	}
	if (!entry->valid)
	{
		if (entry->map)
			pfree(entry->map);
		entry->map = NULL;
		history_build_entry(entry, reg, trigger);
		entry->valid = true;
	}
	return entry;
}

/* true when two transition tuples hold the same bytes: nothing changed */
static bool
rows_identical(TupleTableSlot *a, TupleTableSlot *b)
{
	MinimalTuple ta = ((MinimalTupleTableSlot *) a)->mintuple;
	MinimalTuple tb = ((MinimalTupleTableSlot *) b)->mintuple;
	Size		off = offsetof(MinimalTupleData, t_bits);

	if (ta == NULL || tb == NULL)
		return false;
	return ta->t_len == tb->t_len &&
		(ta->t_infomask2 & HEAP_NATTS_MASK) == (tb->t_infomask2 & HEAP_NATTS_MASK) &&
		(ta->t_infomask & HEAP_HASNULL) == (tb->t_infomask & HEAP_HASNULL) &&
		ta->t_hoff == tb->t_hoff &&
		memcmp((char *) ta + off, (char *) tb + off, ta->t_len - off) == 0;
}

/* the tuplestore's own read pointer, rewound, as NamedTuplestoreScan does */
static void
history_rewind(Tuplestorestate *ts)
{
	int			ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);

	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
}

/*
 * The history columns added to each superseded row, in the form
 * heap_fill_tuple() would store them: the short (1-byte header) varlena
 * where the column's storage allows it.
 */
typedef struct HistoryTail
{
	char		align;			/* typalign, for a 4-byte header */
	bool		shortable;		/* storage allows a short varlena */
} HistoryTail;

/* bytes the varlena "v" takes at offset "off" of a tuple's data */
static Size
tail_size(const HistoryTail *t, Size off, struct varlena *v)
{
	if (t->shortable && VARATT_CAN_MAKE_SHORT(v))
		return off + VARATT_CONVERTED_SHORT_SIZE(v);
	return att_align_nominal(off, t->align) + VARSIZE(v);
}

static Size
tail_store(const HistoryTail *t, char *data, Size off, struct varlena *v)
{
	if (t->shortable && VARATT_CAN_MAKE_SHORT(v))
	{
		Size		len = VARATT_CONVERTED_SHORT_SIZE(v);

		SET_VARSIZE_SHORT(data + off, len);
		memcpy(data + off + 1, VARDATA(v), len - 1);
		return off + len;
	}
	off = att_align_nominal(off, t->align);
	memcpy(data + off, v, VARSIZE(v));
	return off + VARSIZE(v);
}

/*
 * The history row of an old row, formed from the old row's own bytes when
 * the history table is the register's columns in the same order followed
 * by valid, changed_by and change (as isms.enable_history() makes it): the
 * data of the old row is copied as it is and the three values appended, as
 * heap_form_tuple() would lay them out, with no deforming and re-forming.
 * Returns NULL when the row cannot be copied that way (it predates a
 * column added since, so it has fewer attributes than the register).
 */
static HeapTuple
history_copy_row(MinimalTuple old, int reg_natts, TupleDesc histdesc,
				 const HistoryTail *tail, struct varlena **extra)
{
	int			natts = histdesc->natts;
	bool		hasnull = (old->t_infomask & HEAP_HASNULL) != 0;
	char	   *olddata = (char *) old + old->t_hoff - MINIMAL_TUPLE_OFFSET;
	Size		olddatalen = old->t_len + MINIMAL_TUPLE_OFFSET - old->t_hoff;
	Size		hoff;
	Size		datalen;
	Size		off;
	HeapTuple	tuple;
	HeapTupleHeader td;
	int			k;

	if ((old->t_infomask2 & HEAP_NATTS_MASK) != reg_natts)
		return NULL;

	hoff = SizeofHeapTupleHeader;
	if (hasnull)
		hoff += BITMAPLEN(natts);
	hoff = MAXALIGN(hoff);

	datalen = olddatalen;
	for (k = 0; k < 3; k++)
		datalen = tail_size(&tail[k], datalen, extra[k]);

	tuple = (HeapTuple) palloc0(HEAPTUPLESIZE + hoff + datalen);
	tuple->t_len = hoff + datalen;
	ItemPointerSetInvalid(&tuple->t_self);
	tuple->t_tableOid = InvalidOid;
	tuple->t_data = td = (HeapTupleHeader) ((char *) tuple + HEAPTUPLESIZE);
	HeapTupleHeaderSetDatumLength(td, hoff + datalen);
	HeapTupleHeaderSetTypeId(td, histdesc->tdtypeid);
	HeapTupleHeaderSetTypMod(td, histdesc->tdtypmod);
	ItemPointerSetInvalid(&td->t_ctid);
	HeapTupleHeaderSetNatts(td, natts);
	td->t_hoff = hoff;
	td->t_infomask = HEAP_HASVARWIDTH |
		(old->t_infomask & (HEAP_HASNULL | HEAP_HASEXTERNAL));
	if (hasnull)
	{
		/* the old row's null bits, then three set bits: not null */
		memcpy(td->t_bits, old->t_bits, BITMAPLEN(reg_natts));
		for (k = reg_natts; k < natts; k++)
			td->t_bits[k >> 3] |= (bits8) (1 << (k & 7));
	}

	memcpy((char *) td + hoff, olddata, olddatalen);
	off = olddatalen;
	for (k = 0; k < 3; k++)
		off = tail_store(&tail[k], (char *) td + hoff, off, extra[k]);
	Assert(off == datalen);
	return tuple;
}

/*
 * True when isms.stamp() is the last BEFORE UPDATE row trigger that fires
 * on the register, for every row: then the new version of every row this
 * UPDATE changed begins where isms.stamp() said (history_stamp_log), and
 * capture needs no table of the new rows.  Triggers fire in name order,
 * which is the order of trigdesc.
 */
static bool
history_stamped(Relation reg)
{
	static Oid	stamp_oid = InvalidOid;
	TriggerDesc *td = reg->trigdesc;
	bool		last = false;
	int			i;

	if (!OidIsValid(stamp_oid))
		stamp_oid = LookupFuncName(list_make2(makeString("isms"), makeString("stamp")),
								   0, NULL, false);
	if (td == NULL)
		return false;
	for (i = 0; i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];

		if (!TRIGGER_FOR_ROW(t->tgtype) || !TRIGGER_FOR_BEFORE(t->tgtype) ||
			!TRIGGER_FOR_UPDATE(t->tgtype) || t->tgenabled == TRIGGER_DISABLED)
			continue;
		if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA ?
			t->tgenabled == TRIGGER_FIRES_ON_ORIGIN :
			t->tgenabled == TRIGGER_FIRES_ON_REPLICA)
			continue;
		last = t->tgfoid == stamp_oid && t->tgnattr == 0 && t->tgqual == NULL;
	}
	return last;
}

/*
 * True when the UPDATE capture of reg takes the starts isms.stamp() gives
 * (no table of new rows, isms.stamp() last); isms.stamp() caches it per
 * register until the relcache entry is invalidated (CREATE, ALTER or DROP
 * TRIGGER).
 */
bool
history_takes_stamps(Relation reg)
{
	static Oid	capture_oid = InvalidOid;
	TriggerDesc *td = reg->trigdesc;
	int			i;

	if (td == NULL || !history_stamped(reg))
		return false;
	if (!OidIsValid(capture_oid))
		capture_oid = LookupFuncName(list_make2(makeString("isms"), makeString("capture_history")),
									 0, NULL, false);
	for (i = 0; i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];

		if (t->tgfoid == capture_oid && TRIGGER_FOR_UPDATE(t->tgtype) &&
			!TRIGGER_FOR_ROW(t->tgtype) && t->tgenabled != TRIGGER_DISABLED &&
			t->tgoldtable != NULL && t->tgnewtable == NULL)
			return true;
	}
	return false;
}

/*
 * The starts isms.stamp() gave the rows of the UPDATEs of this transaction
 * whose capture takes no table of new rows, in the order it stamped them.
 * A statement's rows are stamped and captured in the same order, and the
 * statements nested in it (a trigger's, a function's) are captured before
 * it ends, so at its capture a statement's entries are the last of the
 * log.  Capture checks each entry against its old row (register, org_id,
 * id, old start) and, at the first that does not match (a row stamped and
 * then not updated, a subtransaction rolled back in between), finds the
 * starts through the primary key instead.
 */
typedef struct StampLogEntry
{
	Oid			relid;
	bool		old_null;
	int64		org_id;
	int64		id;
	TimestampTz old_start;
	TimestampTz new_start;
} StampLogEntry;

static StampLogEntry *stamp_log = NULL;
static int	stamp_log_len = 0;
static int	stamp_log_size = 0;
static LocalTransactionId stamp_log_lxid = InvalidLocalTransactionId;

/* the log, emptied when a new transaction uses it (its memory is gone) */
static void
stamp_log_check_xact(void)
{
	if (stamp_log_lxid != MyProc->lxid)
	{
		stamp_log = NULL;
		stamp_log_len = stamp_log_size = 0;
		stamp_log_lxid = MyProc->lxid;
	}
}

/* Called by isms.stamp() for each row of such an UPDATE; see stamp.c. */
void
history_stamp_log(Oid relid, int64 org_id, int64 id, bool old_null,
				  TimestampTz old_start, TimestampTz new_start)
{
	StampLogEntry *e;

	stamp_log_check_xact();
	if (stamp_log_len == stamp_log_size)
	{
		if (stamp_log == NULL)
		{
			stamp_log_size = 1024;
			stamp_log = MemoryContextAlloc(TopTransactionContext,
										   sizeof(StampLogEntry) * stamp_log_size);
		}
		else
		{
			stamp_log_size *= 2;
			stamp_log = repalloc_huge(stamp_log,
									  sizeof(StampLogEntry) * stamp_log_size);
		}
	}
	e = &stamp_log[stamp_log_len++];
	e->relid = relid;
	e->org_id = org_id;
	e->id = id;
	e->old_null = old_null;
	e->old_start = old_null ? 0 : old_start;
	e->new_start = new_start;
}

/* true when e was stamped on the row "old" of this register */
static bool
stamp_log_matches(const StampLogEntry *e, Relation reg,
				  const HistoryEntry *entry, TupleTableSlot *old)
{
	bool		isnull;
	Datum		d;

	if (e->relid != RelationGetRelid(reg))
		return false;
	d = slot_getattr(old, entry->org_attno, &isnull);
	if (isnull || DatumGetInt64(d) != e->org_id)
		return false;
	d = slot_getattr(old, entry->id_attno, &isnull);
	if (isnull || DatumGetInt64(d) != e->id)
		return false;
	d = slot_getattr(old, entry->vf_attno, &isnull);
	if (isnull != e->old_null)
		return false;
	return isnull || DatumGetTimestampTz(d) == e->old_start;
}

/*
 * Finding a new version's valid-from without a table of new rows (an
 * UPDATE trigger made by an older isms.enable_history(), before every
 * register's capture took the new rows): the current version of each
 * row, through the register's primary key.  SnapshotSelf sees this
 * statement's new versions and not the versions it superseded.
 */
typedef struct HistoryLookup
{
	Relation	pk;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	int			nkeys;
	ScanKeyData keys[INDEX_MAX_KEYS];
} HistoryLookup;

static void
history_lookup_begin(HistoryLookup *hl, Relation reg)
{
	Oid			pkoid = RelationGetPrimaryKeyIndex(reg);
	int			k;

	if (!OidIsValid(pkoid))
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_HISTORY_MISMATCH),
				 errmsg("history of register %s cannot tell when the new versions began",
						RelationGetRelationName(reg)),
				 errdetail("Its UPDATE trigger passes no table of the new rows, and the register has no primary key."),
				 errhint("Choose the capture again with SELECT isms.enable_history('%s').",
						 RelationGetRelationName(reg))));
	hl->pk = index_open(pkoid, AccessShareLock);
	hl->nkeys = IndexRelationGetNumberOfKeyAttributes(hl->pk);
	for (k = 0; k < hl->nkeys; k++)
	{
		Oid			opno = get_opfamily_member(hl->pk->rd_opfamily[k],
											   hl->pk->rd_opcintype[k],
											   hl->pk->rd_opcintype[k],
											   BTEqualStrategyNumber);

		ScanKeyEntryInitialize(&hl->keys[k], 0, k + 1, BTEqualStrategyNumber,
							   hl->pk->rd_opcintype[k], hl->pk->rd_indcollation[k],
							   get_opcode(opno), (Datum) 0);
	}
	hl->slot = table_slot_create(reg, NULL);
	hl->scan = index_beginscan(reg, hl->pk, SnapshotSelf, hl->nkeys, 0);
}

/* the current version's valid-from of the row "old"; false if none */
static bool
history_lookup(HistoryLookup *hl, TupleTableSlot *old, AttrNumber vf_attno,
			   Datum *vf)
{
	bool		isnull;
	bool		found = false;
	int			k;

	for (k = 0; k < hl->nkeys; k++)
	{
		hl->keys[k].sk_argument =
			slot_getattr(old, hl->pk->rd_index->indkey.values[k], &isnull);
		if (isnull)
			return false;
	}
	index_rescan(hl->scan, hl->keys, hl->nkeys, NULL, 0);
	if (index_getnext_slot(hl->scan, ForwardScanDirection, hl->slot))
	{
		*vf = slot_getattr(hl->slot, vf_attno, &isnull);
		found = !isnull;
	}
	ExecClearTuple(hl->slot);
	return found;
}

static void
history_lookup_end(HistoryLookup *hl)
{
	index_endscan(hl->scan);
	ExecDropSingleTupleTableSlot(hl->slot);
	index_close(hl->pk, AccessShareLock);
}

/*
 * isms.capture_history(history_table text, valid_from_column text):
 * AFTER UPDATE or AFTER DELETE, FOR EACH STATEMENT, with REFERENCING OLD
 * TABLE, and NEW TABLE for UPDATE: each superseded version ends where its
 * new version begins, which isms.stamp() sets per row (the clock after the
 * row lock), so only the new rows can say it.
 */
Datum
capture_history(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	reg;
	HistoryEntry *entry;
	bool		is_update;
	Tuplestorestate *old_ts;
	Tuplestorestate *new_ts;
	TableInserter *ti;
	TupleDesc	histdesc;
	TypeCacheEntry *rangetyp;
	TupleTableSlot *oldslot;
	TupleTableSlot *newslot = NULL;
	MemoryContext tuplecxt;
	MemoryContext oldcxt;
	TimestampTz clock = GetCurrentTimestamp();
	Datum		changed_by;
	Datum		change;
	Datum	   *values;
	bool	   *nulls;
	HistoryTail tail[3];
	struct varlena *extra[3];
	HistoryLookup lookup_data;
	HistoryLookup *lookup = NULL;
	bool		use_log = false;
	int			log_base = 0;
	int			nrow = 0;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("isms.capture_history() must be called as a trigger")));
	is_update = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event);
	old_ts = trigdata->tg_oldtable;
	new_ts = trigdata->tg_newtable;
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		!(is_update || TRIGGER_FIRED_BY_DELETE(trigdata->tg_event)) ||
		trigdata->tg_trigger->tgoldtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" does not call isms.capture_history() as an AFTER UPDATE or DELETE statement trigger with transition tables",
						trigdata->tg_trigger->tgname),
				 errhint("Create the triggers with isms.enable_history().")));

	reg = trigdata->tg_relation;
	entry = history_get_entry(reg, trigdata->tg_trigger);

	if (old_ts == NULL || tuplestore_tuple_count(old_ts) == 0)
		PG_RETURN_POINTER(NULL);
	if (is_update && trigdata->tg_trigger->tgnewtable != NULL && new_ts == NULL)
		elog(ERROR, "transition table of new rows of \"%s\" is missing",
			 RelationGetRelationName(reg));
	if (is_update && new_ts == NULL)
	{
		int64		nold = tuplestore_tuple_count(old_ts);

		if (history_stamped(reg) && entry->org_attno != InvalidAttrNumber &&
			entry->id_attno != InvalidAttrNumber)
		{
			stamp_log_check_xact();
			if (stamp_log_len >= nold)
			{
				use_log = true;
				log_base = stamp_log_len - nold;
			}
		}
		if (!use_log)
		{
			lookup = &lookup_data;
			history_lookup_begin(lookup, reg);
		}
	}

	/* history is append-only, and a statement's worth goes in at once */
	ti = table_inserter_begin_ext(entry->hist_relid,
								  TABLE_INSERTER_APPEND_ONLY |
								  TABLE_INSERTER_SHARED_BUFFERS);
	histdesc = table_inserter_desc(ti);
	if (histdesc->natts != entry->hist_natts)
		elog(ERROR, "history table of \"%s\" changed while in use",
			 RelationGetRelationName(reg));
	tuplecxt = table_inserter_tuple_context(ti);

	rangetyp = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	changed_by = PointerGetDatum(cstring_to_text(isms_current_actor()));
	change = PointerGetDatum(cstring_to_text(is_update ? "UPDATE" : "DELETE"));
	if (entry->copyable)
	{
		for (int k = 0; k < 3; k++)
		{
			Form_pg_attribute att = TupleDescAttr(histdesc, histdesc->natts - 3 + k);

			tail[k].align = att->attalign;
			tail[k].shortable = att->attstorage != TYPSTORAGE_PLAIN;
		}
		extra[1] = (struct varlena *) DatumGetPointer(changed_by);
		extra[2] = (struct varlena *) DatumGetPointer(change);
	}
	values = palloc(sizeof(Datum) * histdesc->natts);
	nulls = palloc(sizeof(bool) * histdesc->natts);

	oldslot = MakeSingleTupleTableSlot(RelationGetDescr(reg),
									   &TTSOpsMinimalTuple);
	if (new_ts != NULL)
	{
		newslot = MakeSingleTupleTableSlot(RelationGetDescr(reg),
										   &TTSOpsMinimalTuple);
		history_rewind(new_ts);
	}
	history_rewind(old_ts);

	/*
	 * The tuples the tuplestores return live until the next read, in this
	 * context; what is formed from them goes into tuplecxt and belongs to
	 * the inserter, which resets it after each batch.
	 */
	while (tuplestore_gettupleslot(old_ts, true, false, oldslot))
	{
		MinimalTuple oldtup = ((MinimalTupleTableSlot *) oldslot)->mintuple;
		RangeBound	lower;
		RangeBound	upper;
		bool		isnull;
		Datum		vf;
		Datum		valid;
		HeapTuple	tuple = NULL;

		/*
		 * A deletion ends the version at the clock time of the statement's
		 * end, after every row of it was locked; the old and new transition
		 * tables are filled in step.
		 */
		upper.val = TimestampTzGetDatum(clock);
		upper.infinite = false;
		if (use_log)
		{
			StampLogEntry *e = &stamp_log[log_base + nrow];

			if (stamp_log_matches(e, reg, entry, oldslot))
				upper.val = TimestampTzGetDatum(e->new_start);
			else
			{
				/* not this statement's entries: the primary key says */
				use_log = false;
				stamp_log_len = 0;
				lookup = &lookup_data;
				history_lookup_begin(lookup, reg);
			}
		}
		nrow++;
		if (lookup != NULL)
		{
			if (history_lookup(lookup, oldslot, entry->vf_attno, &vf))
				upper.val = vf;
		}
		else if (newslot != NULL)
		{
			if (!tuplestore_gettupleslot(new_ts, true, false, newslot))
				elog(ERROR, "transition tables of \"%s\" differ in length",
					 RelationGetRelationName(reg));
			if (rows_identical(oldslot, newslot))
				continue;
			vf = slot_getattr(newslot, entry->vf_attno, &isnull);
			if (!isnull)
				upper.val = vf;
		}

		vf = slot_getattr(oldslot, entry->vf_attno, &isnull);
		lower.val = vf;
		lower.infinite = isnull;
		lower.inclusive = true;
		lower.lower = true;
		upper.inclusive = false;
		upper.lower = false;
		if (!lower.infinite &&
			timestamptz_cmp_internal(DatumGetTimestampTz(upper.val),
									 DatumGetTimestampTz(lower.val)) <= 0)
		{
			/*
			 * A deleted version was visible: it ends after it began, even
			 * when the clock stepped back.  A valid-from moved backwards by
			 * an UPDATE (a register not stamped by isms.stamp()): the version
			 * was never in force.
			 */
			if (!is_update && !TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(lower.val)))
				upper.val = TimestampTzGetDatum(DatumGetTimestampTz(lower.val) + 1);
			else
				upper.val = lower.val;
		}
		oldcxt = MemoryContextSwitchTo(tuplecxt);
		valid = RangeTypePGetDatum(make_range(rangetyp, &lower, &upper, false));

		if (entry->copyable)
		{
			extra[0] = (struct varlena *) DatumGetPointer(valid);
			tuple = history_copy_row(oldtup, RelationGetDescr(reg)->natts,
									 histdesc, tail, extra);
		}
		if (tuple == NULL)
		{
			slot_getallattrs(oldslot);
			for (int k = 0; k < entry->hist_natts; k++)
			{
				AttrNumber	src = entry->map[k];

				nulls[k] = false;
				if (src > 0)
				{
					values[k] = oldslot->tts_values[src - 1];
					nulls[k] = oldslot->tts_isnull[src - 1];
				}
				else if (src == MAP_VALID)
					values[k] = valid;
				else if (src == MAP_CHANGED_BY)
					values[k] = changed_by;
				else if (src == MAP_CHANGE)
					values[k] = change;
				else
				{
					values[k] = (Datum) 0;
					nulls[k] = true;
				}
			}
			tuple = heap_form_tuple(histdesc, values, nulls);
		}
		MemoryContextSwitchTo(oldcxt);
		table_inserter_add_tuple(ti, tuple);
	}

	/* this statement's entries are used up */
	if (use_log)
		stamp_log_len = log_base;
	ExecDropSingleTupleTableSlot(oldslot);
	if (newslot)
		ExecDropSingleTupleTableSlot(newslot);
	if (lookup)
		history_lookup_end(lookup);
	table_inserter_end(ti);

	PG_RETURN_POINTER(NULL);
}
