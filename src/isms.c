/*-------------------------------------------------------------------------
 *
 * isms.c
 *	  Module entry points of the isms extension and its settings.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "isms.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

/*
 * isms.actor names the person acting, for pooled applications that connect
 * with one login role; isms.reason gives the reason of a plain UPDATE of a
 * workflow status; isms.org narrows the organisations row-level security
 * lets the session see to one.  All are usually SET LOCAL per transaction.
 */
char	   *isms_actor = NULL;
char	   *isms_reason = NULL;
char	   *isms_org = NULL;

void		_PG_init(void);

/*
 * The module's one relcache callback.  A backend has MAX_RELCACHE_CALLBACKS
 * (10) slots for all of PostgreSQL and every loaded library; PostgreSQL
 * itself takes two or three, and Citus, pg_cron and others take theirs, so
 * isms takes exactly one, registered when the library is loaded, and hands
 * every invalidation to each concept.
 */
static void
isms_relcache_callback(Datum arg, Oid relid)
{
	workflow_relcache_invalidate(relid);
	document_relcache_invalidate(relid);
	history_relcache_invalidate(relid);
	stamp_relcache_invalidate(relid);
	trail_relcache_invalidate(relid);
}

/*
 * The one syscache callback, on pg_namespace.  The workflow engine and the
 * trail cache schema-qualified table names, and ALTER SCHEMA ... RENAME
 * invalidates no relcache entry of the tables in the schema: a change of
 * any schema drops every cache, as a relcache reset does.  Schemas change
 * rarely; nothing else cached depends on another catalog.
 */
static void
isms_namespace_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	isms_relcache_callback(arg, InvalidOid);
}

void
_PG_init(void)
{
	CacheRegisterRelcacheCallback(isms_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, isms_namespace_callback, (Datum) 0);

	DefineCustomStringVariable("isms.actor",
							   "The person acting in this session or transaction.",
							   "Recorded as created_by, updated_by, and in the transition log and trail. Empty means the current user.",
							   &isms_actor,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("isms.reason",
							   "The reason recorded for workflow transitions made by a plain UPDATE.",
							   NULL,
							   &isms_reason,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("isms.org",
							   "Narrows row-level security to one organisation, by its code.",
							   "Empty means every organisation the current user is a member of.",
							   &isms_org,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
	MarkGUCPrefixReserved("isms");
}

const char *
isms_current_actor(void)
{
	if (isms_actor != NULL && isms_actor[0] != '\0')
		return isms_actor;
	return GetUserNameFromId(GetUserId(), false);
}

PG_FUNCTION_INFO_V1(isms_version);
PG_FUNCTION_INFO_V1(isms_actor_fn);

/* The version of the loaded library, which may lag the installed SQL. */
Datum
isms_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(ISMS_VERSION));
}

Datum
isms_actor_fn(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(isms_current_actor()));
}
