/*-------------------------------------------------------------------------
 *
 * stamp.c
 *	  The audit-column trigger of the registers: isms.stamp().
 *
 * A BEFORE INSERT OR UPDATE row trigger that keeps created_at, created_by,
 * updated_at and updated_by right:
 *
 *	INSERT	created_at = updated_at = transaction start time,
 *			created_by = updated_by = isms.current_actor();
 *	UPDATE	created_at and created_by are kept from the old row (they cannot
 *			be edited), updated_at = transaction start time,
 *			updated_by = isms.current_actor().
 *
 * A superuser's INSERT keeps the values it supplies (NULLs are filled as
 * above): that is how pg_dump's restore keeps the history of every row, and a
 * superuser can bypass any trigger anyway.
 *
 * The attribute numbers of the four columns are looked up once per relation
 * and cached for the life of the backend; a relcache invalidation (ALTER
 * TABLE, DROP) forgets the entry.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "isms.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "write_check.h"

#define STAMP_NCOLS 4

static const char *const stamp_colnames[STAMP_NCOLS] = {
	"created_at", "created_by", "updated_at", "updated_by"
};
static const Oid stamp_coltypes[STAMP_NCOLS] = {
	TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID, TEXTOID
};

enum
{
	CREATED_AT, CREATED_BY, UPDATED_AT, UPDATED_BY
};

typedef struct StampEntry
{
	Oid			relid;			/* hash key */
	int			attnum[STAMP_NCOLS];
	WriteCheckInfo check;		/* write_check.c */
} StampEntry;

static HTAB *stamp_cache = NULL;

/* Forgets the audit columns of relid (all for InvalidOid); see isms.c. */
void
stamp_relcache_invalidate(Oid relid)
{
	HASH_SEQ_STATUS status;
	StampEntry *entry;

	if (stamp_cache == NULL)
		return;
	if (OidIsValid(relid))
	{
		(void) hash_search(stamp_cache, &relid, HASH_REMOVE, NULL);
		return;
	}
	hash_seq_init(&status, stamp_cache);
	while ((entry = (StampEntry *) hash_seq_search(&status)) != NULL)
		(void) hash_search(stamp_cache, &entry->relid, HASH_REMOVE, NULL);
}

/* The cached attribute numbers of the audit columns of rel. */
static const StampEntry *
stamp_lookup(Relation rel, Oid stamp_fn)
{
	Oid			relid = RelationGetRelid(rel);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	StampEntry *entry;
	bool		found;
	int			attnum[STAMP_NCOLS];
	WriteCheckInfo check;

	if (stamp_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(StampEntry);
		stamp_cache = hash_create("isms stamp columns", 64, &ctl,
								  HASH_ELEM | HASH_BLOBS);
	}

	entry = (StampEntry *) hash_search(stamp_cache, &relid, HASH_FIND, NULL);
	if (entry != NULL)
		return entry;

	/* look the columns up, and check them, before entering anything */
	for (int c = 0; c < STAMP_NCOLS; c++)
	{
		attnum[c] = 0;
		for (int i = 0; i < tupdesc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, i);

			if (!att->attisdropped &&
				strcmp(NameStr(att->attname), stamp_colnames[c]) == 0)
			{
				if (att->atttypid != stamp_coltypes[c])
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("column \"%s\" of table \"%s\" has type %s, isms.stamp() needs %s",
									stamp_colnames[c],
									RelationGetRelationName(rel),
									format_type_be(att->atttypid),
									format_type_be(stamp_coltypes[c]))));
				attnum[c] = att->attnum;
				break;
			}
		}
		if (attnum[c] == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table \"%s\" has no column \"%s\"",
							RelationGetRelationName(rel), stamp_colnames[c]),
					 errhint("isms.stamp() maintains created_at, created_by, updated_at and updated_by.")));
	}

	write_check_lookup(rel, stamp_fn, &check);

	entry = (StampEntry *) hash_search(stamp_cache, &relid, HASH_ENTER, &found);
	memcpy(entry->attnum, attnum, sizeof(attnum));
	entry->check = check;
	return entry;
}

PG_FUNCTION_INFO_V1(isms_stamp);

Datum
isms_stamp(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TriggerEvent event;
	Relation	rel;
	TupleDesc	tupdesc;
	const StampEntry *cols;
	HeapTuple	newtuple;
	HeapTuple	result;
	int			repl_cols[STAMP_NCOLS];
	Datum		repl_values[STAMP_NCOLS];
	bool		repl_nulls[STAMP_NCOLS];
	int			n = 0;
	Datum		now;
	Datum		actor;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("isms.stamp() must be called as a trigger")));
	event = trigdata->tg_event;
	if (!TRIGGER_FIRED_BEFORE(event) || !TRIGGER_FIRED_FOR_ROW(event) ||
		!(TRIGGER_FIRED_BY_INSERT(event) || TRIGGER_FIRED_BY_UPDATE(event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("isms.stamp() must be a BEFORE INSERT OR UPDATE row trigger")));

	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	cols = stamp_lookup(rel, fcinfo->flinfo->fn_oid);

	now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	actor = CStringGetTextDatum(isms_current_actor());

	if (TRIGGER_FIRED_BY_INSERT(event))
	{
		newtuple = trigdata->tg_trigtuple;
		write_check_row(rel, &cols->check, newtuple, NULL);
		if (superuser())
		{
			/* keep what a superuser supplies (restores); fill the gaps */
			bool		isnull;
			Datum		cat = heap_getattr(newtuple, cols->attnum[CREATED_AT], tupdesc, &isnull);
			bool		cat_null = isnull;
			Datum		cby = heap_getattr(newtuple, cols->attnum[CREATED_BY], tupdesc, &isnull);
			bool		cby_null = isnull;

			if (cat_null)
				cat = now;
			if (cby_null)
				cby = actor;
			repl_cols[n] = cols->attnum[CREATED_AT];
			repl_values[n] = cat;
			repl_nulls[n++] = false;
			repl_cols[n] = cols->attnum[CREATED_BY];
			repl_values[n] = cby;
			repl_nulls[n++] = false;
			(void) heap_getattr(newtuple, cols->attnum[UPDATED_AT], tupdesc, &isnull);
			if (isnull)
			{
				repl_cols[n] = cols->attnum[UPDATED_AT];
				repl_values[n] = cat;
				repl_nulls[n++] = false;
			}
			(void) heap_getattr(newtuple, cols->attnum[UPDATED_BY], tupdesc, &isnull);
			if (isnull)
			{
				repl_cols[n] = cols->attnum[UPDATED_BY];
				repl_values[n] = cby;
				repl_nulls[n++] = false;
			}
		}
		else
		{
			repl_cols[n] = cols->attnum[CREATED_AT];
			repl_values[n] = now;
			repl_nulls[n++] = false;
			repl_cols[n] = cols->attnum[CREATED_BY];
			repl_values[n] = actor;
			repl_nulls[n++] = false;
			repl_cols[n] = cols->attnum[UPDATED_AT];
			repl_values[n] = now;
			repl_nulls[n++] = false;
			repl_cols[n] = cols->attnum[UPDATED_BY];
			repl_values[n] = actor;
			repl_nulls[n++] = false;
		}
	}
	else
	{
		HeapTuple	oldtuple = trigdata->tg_trigtuple;
		bool		isnull;

		newtuple = trigdata->tg_newtuple;
		write_check_row(rel, &cols->check, newtuple, oldtuple);
		for (int c = CREATED_AT; c <= CREATED_BY; c++)
		{
			repl_cols[n] = cols->attnum[c];
			repl_values[n] = heap_getattr(oldtuple, cols->attnum[c], tupdesc, &isnull);
			repl_nulls[n++] = isnull;
		}
		repl_cols[n] = cols->attnum[UPDATED_AT];
		repl_values[n] = now;
		repl_nulls[n++] = false;
		repl_cols[n] = cols->attnum[UPDATED_BY];
		repl_values[n] = actor;
		repl_nulls[n++] = false;
	}

	if (n == 0)
		return PointerGetDatum(newtuple);
	result = heap_modify_tuple_by_cols(newtuple, tupdesc, n,
									   repl_cols, repl_values, repl_nulls);
	return PointerGetDatum(result);
}
