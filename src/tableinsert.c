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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "parser/parsetree.h"
#include "tableinsert.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#define TABLE_INSERTER_BATCH	1000

struct TableInserter
{
	Relation	rel;
	TupleDesc	desc;			/* unpinned copy shared by the slots */
	bool		has_checks;		/* CHECK constraints to evaluate */
	EState	   *estate;
	ResultRelInfo *rri;
	BulkInsertState bistate;
	CommandId	cid;
	int			nslots;
	TupleTableSlot *slots[TABLE_INSERTER_BATCH];
};

TableInserter *
table_inserter_begin(Oid relid)
{
	TableInserter *ti = palloc0(sizeof(TableInserter));
	RangeTblEntry *rte;

	ti->rel = table_open(relid, RowExclusiveLock);
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
	ti->bistate = GetBulkInsertState();

	/*
	 * Slots made from the relation's own descriptor would each pin it, and
	 * releasing a thousand pins searches the resource owner every time.
	 */
	ti->desc = CreateTupleDescCopy(RelationGetDescr(ti->rel));
	ti->has_checks = ti->rel->rd_att->constr != NULL &&
		ti->rel->rd_att->constr->num_check > 0;
	return ti;
}

TupleDesc
table_inserter_desc(TableInserter *ti)
{
	return ti->desc;
}

static void
table_inserter_flush(TableInserter *ti)
{
	int			i;

	if (ti->nslots == 0)
		return;
	table_multi_insert(ti->rel, ti->slots, ti->nslots, ti->cid, 0,
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
}

/* Copies the values; the caller may reuse its arrays. */
void
table_inserter_add(TableInserter *ti, Datum *values, bool *nulls)
{
	TupleDesc	desc = ti->desc;
	TupleTableSlot *slot;
	int			i;

	/* NOT NULL from the caller's arrays, without deforming the tuple */
	for (i = 0; i < desc->natts; i++)
		if (nulls[i] && TupleDescAttr(desc, i)->attnotnull)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("null value in column \"%s\" of relation \"%s\" violates not-null constraint",
							NameStr(TupleDescAttr(desc, i)->attname),
							RelationGetRelationName(ti->rel))));

	if (ti->slots[ti->nslots] == NULL)
		ti->slots[ti->nslots] = MakeSingleTupleTableSlot(desc,
														 table_slot_callbacks(ti->rel));
	slot = ti->slots[ti->nslots];
	ExecClearTuple(slot);
	memcpy(slot->tts_values, values, desc->natts * sizeof(Datum));
	memcpy(slot->tts_isnull, nulls, desc->natts * sizeof(bool));
	ExecStoreVirtualTuple(slot);
	/* materialise so by-reference values outlive the caller's memory */
	ExecMaterializeSlot(slot);
	if (ti->has_checks)
		ExecConstraints(ti->rri, slot, ti->estate);
	ti->nslots++;
	if (ti->nslots == TABLE_INSERTER_BATCH)
		table_inserter_flush(ti);
}

void
table_inserter_end(TableInserter *ti)
{
	int			i;

	table_inserter_flush(ti);
	for (i = 0; i < TABLE_INSERTER_BATCH && ti->slots[i] != NULL; i++)
		ExecDropSingleTupleTableSlot(ti->slots[i]);
	FreeBulkInsertState(ti->bistate);
	ExecCloseIndices(ti->rri);
	ExecResetTupleTable(ti->estate->es_tupleTable, false);
	FreeExecutorState(ti->estate);
	table_close(ti->rel, NoLock);
	pfree(ti);
}
