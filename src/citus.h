/*-------------------------------------------------------------------------
 *
 * citus.h
 *	  Refusing direct heap writes to tables that Citus has distributed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ISMS_CITUS_H
#define ISMS_CITUS_H

#include "utils/relcache.h"

extern void isms_refuse_citus_table(Relation rel);
extern bool isms_citus_distributed(void);
extern Oid	isms_citus_table_of(Oid relid);
extern Oid	isms_citus_colocated(Oid relid, Oid target);
extern Oid	isms_citus_org_shard(Oid target, int64 org_id);
extern Oid	isms_citus_org_shard_here(Oid target, int64 org_id);
extern Oid	isms_citus_colocated_index(Oid shard, Oid index);
extern void citus_relcache_invalidate(Oid relid);

#endif							/* ISMS_CITUS_H */
