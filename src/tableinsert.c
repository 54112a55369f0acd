/*-------------------------------------------------------------------------
 *
 * tableinsert.c
 *	  Appending rows to an isms table from C without SPI.
 *
 * Log-like tables (the transition log, the trail, history) receive a row
 * for every change of a register row, so their inserts sit on the hot path
 * of every write.  This follows COPY FROM: rows are collected in slots and
 * written with table_multi_insert(), then their index entries are added
 * with ExecInsertIndexTuples(), with an executor state built once per
 * batch rather than a plan executed per row.  NOT NULL is checked on the
 * caller's arrays and CHECK constraints as in ExecSimpleRelationInsert();
 * the tables written this way have no triggers, and the caller supplies
 * every value, defaults included.
 *
 * Two ways in: table_inserter_add() copies a row given as values and nulls
 * (the log, the outbox); table_inserter_add_tuple() takes a heap tuple the
 * caller formed in table_inserter_tuple_context() (history, which builds
 * its rows from the old row's bytes) and hands it to the heap without a
 * copy.  Either way the rows go in batches through table_multi_insert().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "citus.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "parser/parsetree.h"
#include "tableinsert.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#define TABLE_INSERTER_BATCH	1000
/* memory kept for a batch's formed tuples: 1000 rows of about 500 bytes */
#define TABLE_INSERTER_TUPLE_MEMORY	(512 * 1024)

struct TableInserter
{
	Relation	rel;
	TupleDesc	desc;			/* unpinned copy shared by the slots */
	bool		has_checks;		/* CHECK constraints to evaluate */
	int			nnotnull;		/* NOT NULL columns, for formed tuples */
	AttrNumber *notnull;
	EState	   *estate;
	ResultRelInfo *rri;
	BulkInsertState bistate;
	int			options;		/* of table_multi_insert() */
	CommandId	cid;
	MemoryContext tuplecxt;		/* formed tuples, reset after each batch */
	int			nslots;
	TupleTableSlot *slots[TABLE_INSERTER_BATCH];
};

TableInserter *
table_inserter_begin(Oid relid)
{
	return table_inserter_begin_ext(relid, 0);
}

TableInserter *
table_inserter_begin_ext(Oid relid, int flags)
{
	TableInserter *ti = palloc0(sizeof(TableInserter));
	RangeTblEntry *rte;
	int			i;

	ti->rel = table_open(relid, RowExclusiveLock);
	isms_refuse_citus_table(ti->rel);
	ti->estate = CreateExecutorState();

	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = ti->rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(ti->estate, list_make1(rte));

	ti->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(ti->rri, ti->rel, 1, NULL, 0);
	ExecOpenIndices(ti->rri, false);
	ti->estate->es_result_relations = palloc0(sizeof(ResultRelInfo *));
	ti->estate->es_result_relations[0] = ti->rri;
	ti->estate->es_output_cid = ti->cid = GetCurrentCommandId(true);

	/*
	 * A bulk-insert ring is small: a long statement's pages would be
	 * written out (and their WAL flushed) by this backend in its own time.
	 * Tables that take a statement's worth of rows at once go through
	 * shared buffers instead.
	 */
	if (!(flags & TABLE_INSERTER_SHARED_BUFFERS))
		ti->bistate = GetBulkInsertState();

	/*
	 * An append-only table never has room in an older page: when the last
	 * page is full, extend at once instead of asking the free space map
	 * (and recording each full page in it).
	 */
	if (flags & TABLE_INSERTER_APPEND_ONLY)
		ti->options |= HEAP_INSERT_SKIP_FSM;

	/*
	 * Slots made from the relation's own descriptor would each pin it, and
	 * releasing a thousand pins searches the resource owner every time.
	 */
	ti->desc = CreateTupleDescCopy(RelationGetDescr(ti->rel));
	ti->has_checks = ti->rel->rd_att->constr != NULL &&
		ti->rel->rd_att->constr->num_check > 0;
	/* from the relation's own descriptor: a copy does not keep NOT NULL */
	ti->notnull = palloc(sizeof(AttrNumber) * ti->desc->natts);
	for (i = 0; i < ti->desc->natts; i++)
		if (TupleDescAttr(RelationGetDescr(ti->rel), i)->attnotnull)
			ti->notnull[ti->nnotnull++] = i + 1;
	return ti;
}

TupleDesc
table_inserter_desc(TableInserter *ti)
{
	return ti->desc;
}

Relation
table_inserter_rel(TableInserter *ti)
{
	return ti->rel;
}

/*
 * Where table_inserter_add_tuple() tuples are formed: reset after each
 * batch is written, so a statement's rows never pile up in memory.
 */
MemoryContext
table_inserter_tuple_context(TableInserter *ti)
{
	/*
	 * A batch of rows fits in the context's first block, which a reset
	 * keeps: freeing and reallocating it for every batch would return the
	 * memory to the C library and fault it in again each time.
	 */
	if (ti->tuplecxt == NULL)
		ti->tuplecxt = AllocSetContextCreate(CurrentMemoryContext,
											 "isms table inserter tuples",
											 TABLE_INSERTER_TUPLE_MEMORY,
											 TABLE_INSERTER_TUPLE_MEMORY,
											 ALLOCSET_DEFAULT_MAXSIZE);
	return ti->tuplecxt;
}

static void
table_inserter_flush(TableInserter *ti)
{
	int			i;

	if (ti->nslots == 0)
		return;
	table_multi_insert(ti->rel, ti->slots, ti->nslots, ti->cid, ti->options,
					   ti->bistate);
	for (i = 0; i < ti->nslots; i++)
	{
		List	   *conflicts;

		if (ti->rri->ri_NumIndices > 0)
		{
			conflicts = ExecInsertIndexTuples(ti->rri, ti->slots[i],
											  ti->estate, false, false,
											  NULL, NIL);
			list_free(conflicts);
		}
		ExecClearTuple(ti->slots[i]);
	}
	ti->nslots = 0;
	ResetPerTupleExprContext(ti->estate);
	if (ti->tuplecxt)
		MemoryContextReset(ti->tuplecxt);
}

static void
table_inserter_null(TableInserter *ti, AttrNumber attnum)
{
	ereport(ERROR,
			(errcode(ERRCODE_NOT_NULL_VIOLATION),
			 errmsg("null value in column \"%s\" of relation \"%s\" violates not-null constraint",
					NameStr(TupleDescAttr(ti->desc, attnum - 1)->attname),
					RelationGetRelationName(ti->rel))));
}

static TupleTableSlot *
table_inserter_slot(TableInserter *ti, const TupleTableSlotOps *ops)
{
	TupleTableSlot *slot = ti->slots[ti->nslots];

	if (slot != NULL && slot->tts_ops != ops)
	{
		ExecDropSingleTupleTableSlot(slot);
		slot = NULL;
	}
	if (slot == NULL)
		slot = ti->slots[ti->nslots] = MakeSingleTupleTableSlot(ti->desc, ops);
	ExecClearTuple(slot);
	return slot;
}

static void
table_inserter_added(TableInserter *ti, TupleTableSlot *slot)
{
	if (ti->has_checks)
		ExecConstraints(ti->rri, slot, ti->estate);
	ti->nslots++;
	if (ti->nslots == TABLE_INSERTER_BATCH)
		table_inserter_flush(ti);
}

/*
 * Adds a tuple of the table's row type, formed in
 * table_inserter_tuple_context(); the inserter owns it from here on.
 */
void
table_inserter_add_tuple(TableInserter *ti, HeapTuple tuple)
{
	TupleTableSlot *slot;
	int			i;

	if (HeapTupleHasNulls(tuple))
		for (i = 0; i < ti->nnotnull; i++)
			if (heap_attisnull(tuple, ti->notnull[i], ti->desc))
				table_inserter_null(ti, ti->notnull[i]);

	slot = table_inserter_slot(ti, &TTSOpsHeapTuple);
	/* owned by the slot: the heap takes it as it is, no copy */
	ExecStoreHeapTuple(tuple, slot, true);
	table_inserter_added(ti, slot);
}

/* Copies the values; the caller may reuse its arrays. */
void
table_inserter_add(TableInserter *ti, Datum *values, bool *nulls)
{
	TupleDesc	desc = ti->desc;
	TupleTableSlot *slot;
	int			i;

	/* NOT NULL from the caller's arrays, without deforming the tuple */
	for (i = 0; i < ti->nnotnull; i++)
		if (nulls[ti->notnull[i] - 1])
			table_inserter_null(ti, ti->notnull[i]);

	slot = table_inserter_slot(ti, table_slot_callbacks(ti->rel));
	memcpy(slot->tts_values, values, desc->natts * sizeof(Datum));
	memcpy(slot->tts_isnull, nulls, desc->natts * sizeof(bool));
	ExecStoreVirtualTuple(slot);
	/* materialise so by-reference values outlive the caller's memory */
	ExecMaterializeSlot(slot);
	table_inserter_added(ti, slot);
}

void
table_inserter_end(TableInserter *ti)
{
	int			i;

	table_inserter_flush(ti);
	for (i = 0; i < TABLE_INSERTER_BATCH && ti->slots[i] != NULL; i++)
		ExecDropSingleTupleTableSlot(ti->slots[i]);
	if (ti->bistate)
		FreeBulkInsertState(ti->bistate);
	if (ti->tuplecxt)
		MemoryContextDelete(ti->tuplecxt);
	ExecCloseIndices(ti->rri);
	ExecResetTupleTable(ti->estate->es_tupleTable, false);
	FreeExecutorState(ti->estate);
	table_close(ti->rel, NoLock);
	pfree(ti);
}
