/*-------------------------------------------------------------------------
 *
 * restrict.c
 *	  The safe context every SQL statement run from C executes in.
 *
 * A statement the extension runs through SPI must mean the same for every
 * caller.  Its operators and objects are schema-qualified, and for the
 * statement's duration search_path is pinned to "pg_catalog, pg_temp", as
 * PostgreSQL 17's RestrictSearchPath() does for maintenance commands: a
 * caller's schemas (public included) and temporary tables never take part
 * in resolving a name, and pg_temp, last, is never searched for functions
 * or operators.  When a statement must read rows whatever the caller may
 * see (definitions cached for every role of the backend), it also runs as
 * the extension owner, always as a security-restricted operation, so that
 * nothing it calls can change the session's state.
 *
 * An error inside the window needs no cleanup here: the (sub)transaction
 * abort pops the GUC nest level and restores the user and security context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "isms.h"
#include "miscadmin.h"
#include "utils/guc.h"

void
isms_restrict_begin(IsmsRestrict *r, Oid owner)
{
	GetUserIdAndSecContext(&r->save_userid, &r->save_sec_context);
	r->as_owner = OidIsValid(owner);
	if (r->as_owner)
		SetUserIdAndSecContext(owner,
							   r->save_sec_context |
							   SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
	r->nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", ISMS_SAFE_SEARCH_PATH,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * On a Citus worker, a trigger of a shard runs inside the shard's task,
	 * where Citus refuses any query of a Citus table.  isms's own queries
	 * read reference tables (every node has the whole copy) or carry the
	 * organisation, whose colocated shards are on this node, where Citus
	 * runs them in this transaction: allow them, until isms_restrict_end().
	 */
	if (GetConfigOption("citus.allow_nested_distributed_execution", true, false) != NULL)
		(void) set_config_option("citus.allow_nested_distributed_execution", "on",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
}

void
isms_restrict_end(IsmsRestrict *r)
{
	AtEOXact_GUC(false, r->nestlevel);
	if (r->as_owner)
		SetUserIdAndSecContext(r->save_userid, r->save_sec_context);
}
