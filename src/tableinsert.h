/*-------------------------------------------------------------------------
 *
 * tableinsert.h
 *	  Appending rows to an isms table from C without SPI: the one
 *	  multi-insert path of the transition log, the outbox and history.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ISMS_TABLEINSERT_H
#define ISMS_TABLEINSERT_H

#include "access/htup.h"
#include "nodes/execnodes.h"
#include "utils/relcache.h"

typedef struct TableInserter TableInserter;

/* flags of table_inserter_begin_ext() */
#define TABLE_INSERTER_APPEND_ONLY	0x01	/* never look for free space in
											 * older pages (history) */
#define TABLE_INSERTER_SHARED_BUFFERS 0x02	/* no bulk-insert ring: let
											 * shared buffers absorb the
											 * pages and the checkpointer
											 * write them */

extern TableInserter *table_inserter_begin(Oid relid);
extern TableInserter *table_inserter_begin_ext(Oid relid, int flags);
extern void table_inserter_add(TableInserter *ti, Datum *values, bool *nulls);
extern void table_inserter_add_tuple(TableInserter *ti, HeapTuple tuple);
extern MemoryContext table_inserter_tuple_context(TableInserter *ti);
extern void table_inserter_end(TableInserter *ti);
extern TupleDesc table_inserter_desc(TableInserter *ti);
extern Relation table_inserter_rel(TableInserter *ti);

#endif							/* ISMS_TABLEINSERT_H */
