/*-------------------------------------------------------------------------
 *
 * write_check.h
 *	  Clear refusals of register writes, checked by isms.stamp() before
 *	  row-level security and the foreign keys refuse them in their own words.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WRITE_CHECK_H
#define WRITE_CHECK_H

#include "access/htup.h"
#include "utils/relcache.h"

#define WRITE_CHECK_MAX_REFS 2

/* what isms.stamp() checks of one relation, looked up once per relation */
typedef struct WriteCheckInfo
{
	AttrNumber	org_attnum;		/* org_id under the member policy; 0: none */
	Oid			member_orgs_fn; /* isms.member_orgs, when org_attnum is set */
	int			nrefs;			/* foreign keys to isms.requirement (framework, ref) */
	Oid			ref_conoid[WRITE_CHECK_MAX_REFS];
	AttrNumber	ref_framework[WRITE_CHECK_MAX_REFS];
	AttrNumber	ref_attnum[WRITE_CHECK_MAX_REFS];
} WriteCheckInfo;

extern void write_check_lookup(Relation rel, Oid stamp_fn, WriteCheckInfo *info);
extern void write_check_row(Relation rel, const WriteCheckInfo *info,
							HeapTuple newtuple, HeapTuple oldtuple);

#endif							/* WRITE_CHECK_H */
