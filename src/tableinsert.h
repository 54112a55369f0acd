/*-------------------------------------------------------------------------
 *
 * tableinsert.h
 *	  Appending rows to an isms table from C without SPI.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ISMS_TABLEINSERT_H
#define ISMS_TABLEINSERT_H

#include "nodes/execnodes.h"
#include "utils/relcache.h"

typedef struct TableInserter TableInserter;

extern TableInserter *table_inserter_begin(Oid relid);
extern void table_inserter_add(TableInserter *ti, Datum *values, bool *nulls);
extern void table_inserter_end(TableInserter *ti);
extern TupleDesc table_inserter_desc(TableInserter *ti);

#endif							/* ISMS_TABLEINSERT_H */
