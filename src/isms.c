/*-------------------------------------------------------------------------
 *
 * isms.c
 *	  Module entry points of the isms extension and its settings.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "fmgr.h"
#include "citus.h"
#include "isms.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
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

/*
 * The top-level transaction (MyProc->lxid) in which the current value of
 * isms.actor was set.  The check hook stamps each new value with it (in
 * the value's "extra"), and the assign hook copies the stamp of whatever
 * value becomes current, also when a value is restored at the end of a
 * transaction or subtransaction: a value restored from an earlier
 * transaction keeps that transaction's stamp.
 */
static LocalTransactionId actor_lxid = InvalidLocalTransactionId;

/*
 * The same stamp for isms.org, and whether the value comes from a SET of
 * the session (SET, SET LOCAL, set_config) rather than from the role's or
 * database's settings or the connection: only a session's value can be
 * left behind on a pooled server connection by an earlier client.
 */
typedef struct OrgStamp
{
	LocalTransactionId lxid;
	bool		from_session;
} OrgStamp;

static LocalTransactionId org_lxid = InvalidLocalTransactionId;
static bool org_from_session = false;

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
	citus_relcache_invalidate(relid);
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

/*
 * Whether the role the session acts as outside security-definer functions
 * (the login, or what it SET ROLE to) may assert the acting person: a
 * superuser or a role with the privileges of isms_app.  Inside a
 * SECURITY DEFINER function GetUserId() is the definer, which must not
 * count.  Needs catalog access, so only within a transaction.
 */
bool
isms_actor_trusted(void)
{
	return isms_role_trusted(GetOuterUserId());
}

bool
isms_role_trusted(Oid roleid)
{
	Oid			app;

	if (superuser_arg(roleid))
		return true;
	app = get_role_oid(ISMS_APP_ROLE, true);
	return OidIsValid(app) && has_privs_of_role(roleid, app);
}

/*
 * Whether a recorded login names a shared, trusted login (a pooled
 * application or a superuser), whose sessions may act for many persons:
 * segregation of duties then compares the persons alone.  A login that no
 * longer exists counts as personal.
 */
bool
isms_login_trusted(const char *login)
{
	Oid			roleid;

	if (login == NULL)
		return true;			/* recorded before 0.2.0: nothing to compare */
	roleid = get_role_oid(login, true);
	return OidIsValid(roleid) && isms_role_trusted(roleid);
}

static bool
check_isms_actor(char **newval, void **extra, GucSource source)
{
	LocalTransactionId *stamp;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;

	/*
	 * Refuse at the SET only where the catalogs can be read and the setting
	 * comes from the session itself; values from ALTER ROLE ... SET,
	 * PGOPTIONS or a parallel leader are checked where they are used.
	 */
	if (source == PGC_S_SESSION && IsTransactionState() && !IsParallelWorker())
	{
		int			len = pg_mbstrlen(*newval);

		if (len > ISMS_PERSON_MAX_CHARS)
		{
			GUC_check_errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION);
			GUC_check_errmsg("isms.actor is limited to %d characters", ISMS_PERSON_MAX_CHARS);
			GUC_check_errdetail("The value has %d characters; person columns hold at most %d.",
								len, ISMS_PERSON_MAX_CHARS);
			GUC_check_errhint("Name the person by a shorter identifier, such as a user name or an e-mail address.");
			return false;
		}
		if (!isms_actor_trusted())
		{
			GUC_check_errcode(ERRCODE_ISMS_ACTOR_UNTRUSTED);
			GUC_check_errmsg("role \"%s\" may not set isms.actor",
							 GetUserNameFromId(GetOuterUserId(), false));
			GUC_check_errdetail("Only a superuser or a member of %s may assert who is acting; for any other role the acting person is the role itself.",
								ISMS_APP_ROLE);
			GUC_check_errhint("Leave isms.actor empty: you are recorded as \"%s\". A pooled application's login needs GRANT %s.",
							  GetUserNameFromId(GetOuterUserId(), false), ISMS_APP_ROLE);
			return false;
		}
	}

	stamp = (LocalTransactionId *) malloc(sizeof(LocalTransactionId));
	if (stamp == NULL)
		return false;
	*stamp = (MyProc != NULL && IsTransactionState()) ?
		MyProc->lxid : InvalidLocalTransactionId;
	*extra = stamp;
	return true;
}

static void
assign_isms_actor(const char *newval, void *extra)
{
	actor_lxid = extra ? *(LocalTransactionId *) extra : InvalidLocalTransactionId;
}

static bool
check_isms_org(char **newval, void **extra, GucSource source)
{
	OrgStamp   *stamp = (OrgStamp *) malloc(sizeof(OrgStamp));

	if (stamp == NULL)
		return false;
	stamp->lxid = (MyProc != NULL && IsTransactionState()) ?
		MyProc->lxid : InvalidLocalTransactionId;
	stamp->from_session = source >= PGC_S_SESSION;
	*extra = stamp;
	return true;
}

static void
assign_isms_org(const char *newval, void *extra)
{
	org_lxid = extra ? ((OrgStamp *) extra)->lxid : InvalidLocalTransactionId;
	org_from_session = extra ? ((OrgStamp *) extra)->from_session : false;
}

/*
 * A value of isms.actor or isms.org set before the library was loaded (a
 * placeholder) went through the check hook as the library defined the
 * variable, so it carries the loading transaction's stamp.  It was set in
 * this transaction only if the variable has stacked prior values; otherwise
 * it comes from an earlier transaction (or the role's settings) and must
 * not count as this transaction's.
 */
static void
restamp_loaded_value(const char *name)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();
	int			i;

	for (i = 0; i < n; i++)
	{
		if (strcmp(vars[i]->name, name) != 0)
			continue;
		if (vars[i]->stack == NULL)
		{
			if (strcmp(name, "isms.actor") == 0)
			{
				if (vars[i]->extra != NULL)
					*(LocalTransactionId *) vars[i]->extra = InvalidLocalTransactionId;
				actor_lxid = InvalidLocalTransactionId;
			}
			else
			{
				if (vars[i]->extra != NULL)
					((OrgStamp *) vars[i]->extra)->lxid = InvalidLocalTransactionId;
				org_lxid = InvalidLocalTransactionId;
			}
		}
		break;
	}
}

void
_PG_init(void)
{
	CacheRegisterRelcacheCallback(isms_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, isms_namespace_callback, (Datum) 0);

	DefineCustomStringVariable("isms.actor",
							   "The person acting in this session or transaction.",
							   "Recorded as created_by, updated_by, and in the transition log and trail. Only a superuser or a member of isms_app may set it, isms_app members in each transaction (SET LOCAL). Empty means the role the session acts as.",
							   &isms_actor,
							   "",
							   PGC_USERSET,
							   0,
							   check_isms_actor, assign_isms_actor, NULL);
	restamp_loaded_value("isms.actor");
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
							   check_isms_org, assign_isms_org, NULL);
	restamp_loaded_value("isms.org");
	MarkGUCPrefixReserved("isms");
}

/*
 * The acting person.  An asserted isms.actor is checked again here, since
 * it may have been set where the check hook could not refuse it (ALTER
 * ROLE ... SET, PGOPTIONS, a SET made before a SET ROLE).  A trusted role
 * that is not a superuser, in a session whose login is not one either,
 * must have set it in this very transaction: a session-level SET on a
 * pooled server connection would otherwise name the person of an earlier
 * borrower.
 */
const char *
isms_current_actor(void)
{
	if (isms_actor != NULL && isms_actor[0] != '\0')
	{
		Oid			outer = GetOuterUserId();
		int			len;

		if (!isms_actor_trusted())
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_ACTOR_UNTRUSTED),
					 errmsg("role \"%s\" may not act as \"%s\": isms.actor is set but the role is not trusted to assert the acting person",
							GetUserNameFromId(outer, false), isms_actor),
					 errdetail("Only a superuser or a member of %s may set isms.actor; it was set by ALTER ROLE ... SET, in the connection options, or before a SET ROLE.",
							   ISMS_APP_ROLE),
					 errhint("RESET isms.actor (and ALTER ROLE ... RESET isms.actor) to act as \"%s\".",
							 GetUserNameFromId(outer, false))));
		len = pg_mbstrlen(isms_actor);
		if (len > ISMS_PERSON_MAX_CHARS)
			ereport(ERROR,
					(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
					 errmsg("isms.actor is limited to %d characters", ISMS_PERSON_MAX_CHARS),
					 errdetail("The value has %d characters; person columns hold at most %d.",
							   len, ISMS_PERSON_MAX_CHARS),
					 errhint("Name the person by a shorter identifier, such as a user name or an e-mail address.")));
		/* a superuser's session (tests, a DBA's psql) is exempt */
		if (!superuser_arg(outer) && !superuser_arg(GetSessionUserId()) &&
			!IsParallelWorker() &&
			(MyProc == NULL || actor_lxid != MyProc->lxid))
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_ACTOR_STALE),
					 errmsg("isms.actor \"%s\" was not set in the current transaction", isms_actor),
					 errdetail("Role \"%s\" asserts the acting person; the assertion holds only for the transaction that makes it, so that a pooled connection never passes one person on to the next.",
							   GetUserNameFromId(outer, false)),
					 errhint("Set the person in each transaction with SET LOCAL isms.actor or isms.set_context(), and do not SET it at session level.")));
		return isms_actor;
	}
	return GetUserNameFromId(GetOuterUserId(), false);
}

/*
 * The organisation code isms.org narrows row-level security to, "" for
 * none.  Like isms.actor, a value a trusted role that is not a superuser
 * SET for the session in an earlier transaction is refused: on a pooled
 * server connection it would be the previous borrower's tenant.  Values
 * from the role's or database's settings are configuration, not left
 * behind, and stand.
 */
const char *
isms_current_org(void)
{
	Oid			outer;

	if (isms_org == NULL || isms_org[0] == '\0')
		return "";
	if (!org_from_session || IsParallelWorker() ||
		(MyProc != NULL && org_lxid == MyProc->lxid))
		return isms_org;
	outer = GetOuterUserId();
	if (superuser_arg(outer) || superuser_arg(GetSessionUserId()) ||
		!isms_actor_trusted())
		return isms_org;
	ereport(ERROR,
			(errcode(ERRCODE_ISMS_ACTOR_STALE),
			 errmsg("isms.org \"%s\" was not set in the current transaction", isms_org),
			 errdetail("Role \"%s\" serves many persons and organisations (%s); the organisation set for the session holds only for the transaction that sets it, so that a pooled connection never passes one tenant on to the next.",
					   GetUserNameFromId(outer, false), ISMS_APP_ROLE),
			 errhint("Set the organisation in each transaction with isms.set_context() or SET LOCAL isms.org, and RESET isms.org.")));
	return NULL;				/* keep the compiler quiet */
}

/*
 * The login role: the role that authenticated (session_user), whatever
 * SET ROLE or a security-definer function has made the current user since.
 */
const char *
isms_current_login(void)
{
	return GetUserNameFromId(GetSessionUserId(), false);
}

PG_FUNCTION_INFO_V1(isms_version);
PG_FUNCTION_INFO_V1(isms_actor_fn);
PG_FUNCTION_INFO_V1(isms_login_fn);
PG_FUNCTION_INFO_V1(isms_org_fn);

/* isms.current_org(): the organisation code in force, "" for none */
Datum
isms_org_fn(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(isms_current_org()));
}

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

Datum
isms_login_fn(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(isms_current_login()));
}
