/*-------------------------------------------------------------------------
 *
 * context.c
 *	  The context of a pooled application's transaction: the organisation
 *	  and the person acting, set from bound parameters.
 *
 * SET LOCAL takes no parameter ($1 is a syntax error there), so drivers
 * that bind parameters on the server (psycopg 3, node-postgres, pgJDBC)
 * cannot use it without building SQL text.  isms.set_context(org, actor)
 * sets both settings transaction-locally, as set_config(..., true) does,
 * and checks the organisation under the caller's own row-level security.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "citus.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "isms.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"

PG_FUNCTION_INFO_V1(isms_set_context);

/* the organisation of a code, as the caller sees isms.organization */
static SPIPlanPtr org_plan = NULL;

/* set_config(name, value, true), with the same rights and source */
static void
set_local(const char *name, const char *value)
{
	(void) set_config_option(name, value,
							 superuser() ? PGC_SUSET : PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
}

/*
 * The organisation, transaction-locally.  On a Citus coordinator that
 * sends SET LOCAL to its workers (citus.propagate_set_commands = 'local',
 * which isms.citus_distribute() sets for the database), it is set by a SET
 * LOCAL statement, which Citus propagates, so that a shard's policy on a
 * worker narrows as the coordinator does; Citus sends no value set by
 * set_config().
 */
static void
set_local_org(const char *code)
{
	const char *propagate = GetConfigOption("citus.propagate_set_commands", true, false);
	StringInfoData sql;

	if (propagate == NULL)
	{
		set_local("isms.org", code);
		return;
	}
	if (strcmp(propagate, "local") != 0)
	{
		/*
		 * Citus would not send the organisation to the workers, whose shards'
		 * policies would then show the role every organisation it is a member
		 * of: refuse rather than narrow on the coordinator alone.
		 */
		if (isms_citus_distributed())
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("isms.set_context() cannot narrow organisation \"%s\" on the Citus workers", code),
					 errdetail("isms is distributed by Citus and citus.propagate_set_commands is \"%s\": the workers would not receive isms.org, and the shards would show every organisation the role is a member of.",
							   propagate),
					 errhint("SET citus.propagate_set_commands = 'local' in the session (isms.citus_distribute() sets it for the database, for sessions that start after it).")));
		set_local("isms.org", code);
		return;
	}
	initStringInfo(&sql);
	appendStringInfo(&sql, "SET LOCAL isms.org = %s", quote_literal_cstr(code));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		int			rc = SPI_execute(sql.data, false, 0);

		if (rc != SPI_OK_UTILITY)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("isms.set_context: could not set isms.org for the transaction"),
					 errdetail("SET LOCAL isms.org = %s returned %s.",
							   quote_literal_cstr(code), SPI_result_code_string(rc)),
					 errhint("Report this as a bug; the context was not changed.")));
	}
	SPI_finish();
	pfree(sql.data);
}

/*
 * isms.set_context(org_code text, actor text DEFAULT NULL) RETURNS bigint
 *
 * Returns the organisation's org_id.  Runs as the caller (SECURITY
 * INVOKER): an organisation that does not exist and one the caller is not
 * a member of look the same, so the function tells nobody which codes
 * exist.
 */
Datum
isms_set_context(PG_FUNCTION_ARGS)
{
	char	   *code;
	IsmsRestrict r;
	Datum		arg;
	int			ret;
	bool		found = false;
	int64		org_id = 0;

	/*
	 * Outside a transaction block the settings would end with this very
	 * statement, and the statements that follow would run without them.
	 */
	if (!IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("isms.set_context() must be called inside a transaction block"),
				 errdetail("The organisation and the person are set for the current transaction only, and this statement is a transaction of its own: they would end with it."),
				 errhint("Call it right after BEGIN (with the driver's autocommit off), then run the transaction's statements and COMMIT.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("isms.set_context() needs an organisation"),
				 errdetail("The organisation code is NULL."),
				 errhint("Pass the code of an organisation the role is a member of (SELECT code FROM isms.organization).")));
	code = text_to_cstring(PG_GETARG_TEXT_PP(0));

	/* narrow first: the check below then sees what the transaction will */
	set_local_org(code);

	isms_restrict_begin(&r, InvalidOid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (org_plan == NULL)
	{
		Oid			argtypes[1] = {TEXTOID};
		SPIPlanPtr	plan;

		plan = SPI_prepare("SELECT o.org_id FROM isms.organization o"
						   " WHERE o.code OPERATOR(pg_catalog.=) $1",
						   1, argtypes);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		org_plan = plan;
	}
	arg = CStringGetTextDatum(code);
	ret = SPI_execute_plan(org_plan, &arg, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		bool		isnull;
		Datum		d;

		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
		{
			org_id = DatumGetInt64(d);
			found = true;
		}
	}
	SPI_finish();
	isms_restrict_end(&r);

	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" may not act for organisation \"%s\"",
						GetUserNameFromId(GetUserId(), false), code),
				 errdetail("No organisation with code \"%s\" exists of which role \"%s\" is a member (isms.membership).",
						   code, GetUserNameFromId(GetUserId(), false)),
				 errhint("Check the code (SELECT code FROM isms.organization lists the organisations the role may see), or ask an admin for a membership.")));

	/* NULL or empty: the login role acts */
	set_local("isms.actor", PG_ARGISNULL(1) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(1)));

	PG_RETURN_INT64(org_id);
}
