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

#endif							/* ISMS_CITUS_H */
