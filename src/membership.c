/*-------------------------------------------------------------------------
 *
 * membership.c
 *	  isms.member_orgs(): the organisations a role may see under row-level
 *	  security, computed once per snapshot.
 *
 * Every policy calls it, as isms.visible_orgs(), for each row it checks:
 * a scan of 10,000 rows asks 10,000 times, a report view joining five
 * registers for every row of each.  The answer depends only on the rows of isms.organization and isms.membership and
 * the role catalogs the snapshot sees, the role asked about, the session
 * user and isms.org, so it is kept for as long as all of those are the
 * same: the same transaction and subtransaction, a snapshot that sees the
 * same (its bounds, the transactions in progress it lists and its command
 * id all equal), the same arguments.  Any write of the transaction moves
 * the command id; another transaction's commit drops it from the list of a
 * later snapshot; the end of the transaction drops the answer, and a
 * subtransaction abort one made in that subtransaction.  A snapshot taken
 * during recovery (a hot standby's) is kept the same way: it lists every
 * transaction in progress in subxip, its xmax moves with each commit
 * replayed, and its command id stays put, so the same comparison holds.
 *
 * Policies call the function per row (Citus refuses a policy with a
 * subquery, so there is no InitPlan to compute it once), so a call that
 * finds its answer kept returns the kept array itself, not a copy.  A
 * caller may hold that datum while a later call computes a new answer (a
 * volatile function of the same query writing moves the command id), so an
 * answer replaced within the transaction is retired, not freed: an equal
 * new answer reuses it (the one replaced, or an equal one retired before,
 * so the list holds each distinct answer once), a different one is added
 * to the list freed when the transaction ends.
 *
 * The query runs as the function's owner (it was SECURITY DEFINER in SQL)
 * in the restricted context of restrict.c.  isms.stamp()'s write check
 * (write_check.c) reads the same kept answer through isms_member_org_ids(),
 * so a register write and the policy that checks it agree.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "isms.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(isms_member_orgs);
PG_FUNCTION_INFO_V1(isms_visible_orgs);

static SPIPlanPtr member_plan = NULL;
static bool callbacks_registered = false;

/* the one answer kept, and what it was computed for */
static struct
{
	bool		valid;
	LocalTransactionId lxid;
	SubTransactionId subid;
	TransactionId xmin;
	TransactionId xmax;
	CommandId	curcid;
	uint32		xcnt;
	int32		subxcnt;
	bool		suboverflowed;
	TransactionId *xip;			/* TopMemoryContext, xcnt + subxcnt */
	Oid			session_user;
	NameData	who;
	Oid			who_oid;		/* who's OID when asked by isms.visible_orgs() */
	char	   *org;			/* TopMemoryContext */
	ArrayType  *orgs;			/* TopMemoryContext */
	int64	   *ids;			/* the same, deconstructed; TopMemoryContext */
	int			nids;
}			cached;

/* answers returned during the transaction and since replaced: freed at its end */
static List *retired = NIL;

/*
 * Drops the kept answer.  Its array may still be held by a caller, so it
 * is retired unless the transaction is ending.
 */
static void
member_cache_clear(bool xact_end)
{
	cached.valid = false;
	if (cached.org)
		pfree(cached.org);
	if (cached.orgs)
	{
		if (xact_end)
			pfree(cached.orgs);
		else
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			retired = lappend(retired, cached.orgs);
			MemoryContextSwitchTo(old);
		}
	}
	if (cached.xip)
		pfree(cached.xip);
	if (cached.ids)
		pfree(cached.ids);
	cached.xip = NULL;
	cached.ids = NULL;
	cached.nids = 0;
	cached.org = NULL;
	cached.orgs = NULL;
}

static void
member_xact_cb(XactEvent event, void *arg)
{
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PARALLEL_ABORT &&
		event != XACT_EVENT_PREPARE)
		return;
	if (cached.valid || cached.orgs)
		member_cache_clear(true);
	if (retired != NIL)
	{
		list_free_deep(retired);
		retired = NIL;
	}
}

/*
 * A subtransaction abort drops only an answer made in that subtransaction
 * or in one of its children (whose ids are all greater, as ids only grow):
 * an answer of the parent stays, so a loop with an exception block per row
 * does not retire one array per failed row.
 */
static void
member_subxact_cb(SubXactEvent event, SubTransactionId mySubid,
				  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && cached.valid &&
		cached.subid >= mySubid)
		member_cache_clear(false);
}

/*
 * A retired array equal to a, taken off the list, or NULL: a transaction
 * switching between a few answers (a batch setting isms.org to each
 * organisation in turn) reuses them instead of retiring a copy per change.
 */
static ArrayType *
member_retired_take(ArrayType *a)
{
	ListCell   *lc;

	foreach(lc, retired)
	{
		ArrayType  *r = (ArrayType *) lfirst(lc);

		if (VARSIZE(r) == VARSIZE(a) && memcmp(r, a, VARSIZE(a)) == 0)
		{
			retired = foreach_delete_current(retired, lc);
			return r;
		}
	}
	return NULL;
}

static const char member_sql[] =
"SELECT coalesce(pg_catalog.array_agg(o.org_id ORDER BY o.org_id), '{}')"
"  FROM isms.organization o"
" WHERE pg_catalog.pg_has_role(pg_catalog.\"session_user\"(), $1, 'MEMBER')"
"   AND ($2 OPERATOR(pg_catalog.=) '' OR o.code OPERATOR(pg_catalog.=) $2)"
"   AND (pg_catalog.pg_has_role($1, 'isms_admin', 'USAGE')"
"        OR EXISTS (SELECT 1"
"                     FROM isms.membership m"
"                     JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) m.role_name"
"                    WHERE m.org_id OPERATOR(pg_catalog.=) o.org_id"
"                      AND pg_catalog.pg_has_role($1, r.oid, 'MEMBER')))";

static Oid
function_owner(Oid fn_oid)
{
	HeapTuple	tup;
	Oid			owner;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn_oid);
	owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	return owner;
}

/* the org ids of an isms.member_orgs() answer, in the current context */
static int64 *
member_ids(ArrayType *a, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int			count;
	int64	   *ids;

	deconstruct_array(a, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &count);
	ids = palloc(sizeof(int64) * Max(count, 1));
	*n = 0;
	for (int i = 0; i < count; i++)
		if (!nulls[i])
			ids[(*n)++] = DatumGetInt64(elems[i]);
	return ids;
}

/*
 * The answer for who under the active snapshot: the one kept (valid until
 * the next call), or, where the snapshot cannot be kept, one computed in
 * the caller's memory context.  fn_oid is isms.member_orgs itself, whose
 * owner runs the query.
 */
static ArrayType *
member_orgs_answer(Oid fn_oid, const char *who, Oid who_oid)
{
	const char *org = isms_current_org();
	Snapshot	snap;
	bool		cacheable;
	IsmsRestrict r;
	NameData	whoname;
	Datum		values[2];
	bool		isnull;
	ArrayType  *result;
	MemoryContext caller = CurrentMemoryContext;

	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;

	/*
	 * A parallel worker keeps its answer too: it runs one query under the
	 * leader's snapshot, and its transaction ends with the query.  So does a
	 * standby: its snapshots keep all their xids in subxip (xcnt is 0) with
	 * suboverflowed set from the known-assigned xids, all compared below, so
	 * policies calling isms.visible_orgs() per row query once there too.
	 */
	cacheable = snap != NULL && snap->snapshot_type == SNAPSHOT_MVCC &&
		MyProc != NULL;

	if (cacheable && cached.valid &&
		cached.lxid == MyProc->lxid &&
		cached.subid == GetCurrentSubTransactionId() &&
		cached.xmin == snap->xmin &&
		cached.xmax == snap->xmax &&
		cached.curcid == snap->curcid &&
		cached.xcnt == snap->xcnt &&
		cached.subxcnt == snap->subxcnt &&
		cached.suboverflowed == snap->suboverflowed &&
		(snap->xcnt == 0 ||
		 memcmp(cached.xip, snap->xip, snap->xcnt * sizeof(TransactionId)) == 0) &&
		(snap->subxcnt == 0 ||
		 memcmp(cached.xip + snap->xcnt, snap->subxip,
				snap->subxcnt * sizeof(TransactionId)) == 0) &&
		cached.session_user == GetSessionUserId() &&
		(OidIsValid(who_oid) ? cached.who_oid == who_oid :
		 strcmp(NameStr(cached.who), who) == 0) &&
		strcmp(cached.org, org) == 0)
		return cached.orgs;

	/* a miss: key the answer by both the role's name and its OID */
	if (who == NULL)
		who = GetUserNameFromId(who_oid, false);
	else if (!OidIsValid(who_oid))
		who_oid = get_role_oid(who, true);

	if (!callbacks_registered)
	{
		RegisterXactCallback(member_xact_cb, NULL);
		RegisterSubXactCallback(member_subxact_cb, NULL);
		callbacks_registered = true;
	}

	isms_restrict_begin(&r, function_owner(fn_oid));

	/*
	 * On a Citus worker the policy of a shard runs this query inside the
	 * shard's task, and Citus refuses a query of a Citus table there.  It
	 * reads only organization and membership, reference tables of which
	 * every node holds the whole copy, so the nested read is exact.
	 */
	if (GetConfigOption("citus.allow_nested_distributed_execution", true, false) != NULL)
		(void) set_config_option("citus.allow_nested_distributed_execution", "on",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (member_plan == NULL)
	{
		Oid			argtypes[2] = {NAMEOID, TEXTOID};
		SPIPlanPtr	plan;

		/* generic: a custom plan per call would cost more than the query */
		plan = SPI_prepare_cursor(member_sql, 2, argtypes, CURSOR_OPT_GENERIC_PLAN);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		member_plan = plan;
	}
	namestrcpy(&whoname, who);
	values[0] = NameGetDatum(&whoname);
	values[1] = CStringGetTextDatum(org);
	if (SPI_execute_plan(member_plan, values, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "isms.member_orgs: membership query failed");
	result = DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull));
	Assert(!isnull);

	if (cacheable)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		ArrayType  *copy = DatumGetArrayTypePCopy(PointerGetDatum(result));
		char	   *org_copy = pstrdup(org);
		TransactionId *xip = palloc((snap->xcnt + snap->subxcnt + 1) *
									sizeof(TransactionId));
		int64	   *ids;
		int			nids;

		if (snap->xcnt > 0)
			memcpy(xip, snap->xip, snap->xcnt * sizeof(TransactionId));
		if (snap->subxcnt > 0)
			memcpy(xip + snap->xcnt, snap->subxip,
				   snap->subxcnt * sizeof(TransactionId));

		MemoryContextSwitchTo(old);
		{
			/* deconstructed in SPI's context, kept in TopMemoryContext */
			int64	   *tmp = member_ids(copy, &nids);

			ids = MemoryContextAlloc(TopMemoryContext, sizeof(int64) * Max(nids, 1));
			memcpy(ids, tmp, sizeof(int64) * nids);
		}
		/*
		 * The same answer as the one replaced (the usual case): keep that
		 * one; else one retired earlier in the transaction, if equal.
		 */
		if (cached.orgs != NULL &&
			VARSIZE(cached.orgs) == VARSIZE(copy) &&
			memcmp(cached.orgs, copy, VARSIZE(copy)) == 0)
		{
			pfree(copy);
			copy = cached.orgs;
			cached.orgs = NULL;
		}
		else
		{
			ArrayType  *reuse = member_retired_take(copy);

			if (reuse != NULL)
			{
				pfree(copy);
				copy = reuse;
			}
		}
		member_cache_clear(false);
		cached.orgs = copy;
		cached.ids = ids;
		cached.nids = nids;
		cached.org = org_copy;
		cached.lxid = MyProc->lxid;
		cached.subid = GetCurrentSubTransactionId();
		cached.xmin = snap->xmin;
		cached.xmax = snap->xmax;
		cached.curcid = snap->curcid;
		cached.xcnt = snap->xcnt;
		cached.subxcnt = snap->subxcnt;
		cached.suboverflowed = snap->suboverflowed;
		cached.xip = xip;
		cached.session_user = GetSessionUserId();
		namestrcpy(&cached.who, who);
		cached.who_oid = who_oid;
		cached.valid = true;
		result = cached.orgs;
	}
	else
	{
		/* the answer outlives SPI: copy it into the caller's context */
		MemoryContext old = MemoryContextSwitchTo(caller);

		result = DatumGetArrayTypePCopy(PointerGetDatum(result));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	isms_restrict_end(&r);
	return result;
}

/*
 * The organisations of isms.member_orgs(who) for C callers, without a copy:
 * the ids stay valid until the next call.  fn_oid is isms.member_orgs.
 */
const int64 *
isms_member_org_ids(Oid fn_oid, const char *who, int *n)
{
	ArrayType  *a = member_orgs_answer(fn_oid, who, InvalidOid);

	if (cached.valid && a == cached.orgs)
	{
		*n = cached.nids;
		return cached.ids;
	}
	return member_ids(a, n);
}

/* isms.member_orgs(who name DEFAULT CURRENT_USER) RETURNS bigint[] */
Datum
isms_member_orgs(PG_FUNCTION_ARGS)
{
	ArrayType  *a;

	/* no role is a member of nothing (as pg_has_role(NULL) is not true) */
	if (PG_ARGISNULL(0))
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(INT8OID));
	a = member_orgs_answer(fcinfo->flinfo->fn_oid, NameStr(*PG_GETARG_NAME(0)),
						   InvalidOid);
	/* the kept answer lives until the end of the transaction: no copy */
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * isms.visible_orgs() RETURNS bigint[]: isms.member_orgs(current_user)
 * for row-level security policies, which call it per row.  The current
 * user is compared by OID, so a kept answer is found without looking up
 * or copying a role name.  The query runs as the owner of
 * isms.member_orgs (the same function owner; fn_oid is this function).
 */
Datum
isms_visible_orgs(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(member_orgs_answer(fcinfo->flinfo->fn_oid, NULL,
											 GetUserId()));
}
