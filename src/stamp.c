/*-------------------------------------------------------------------------
 *
 * stamp.c
 *	  The audit-column trigger of the registers: isms.stamp().
 *
 * A BEFORE INSERT OR UPDATE row trigger that keeps created_at, created_by,
 * updated_at and updated_by right:
 *
 *	INSERT	created_at = updated_at = the clock time of the write,
 *			created_by = updated_by = isms.current_actor();
 *	UPDATE	created_at and created_by are kept from the old row (they cannot
 *			be edited), updated_at = the clock time of the write, and always
 *			after the old row's updated_at, updated_by = isms.current_actor().
 *
 * updated_at is where a version's validity begins (src/history.c).  The
 * clock is read here, in a BEFORE ROW trigger, which fires after the
 * executor has locked the old row: a writer that waited for another's
 * commit stamps after that commit, so the versions of one row begin in the
 * order they became visible, and a transaction held open cannot date a
 * change back to its start.  The old row's updated_at + 1 microsecond is
 * the floor, so that a version never begins at or before the one it
 * supersedes (clock steps, two writes in one microsecond).
 *
 * A superuser's INSERT keeps the values it supplies (NULLs are filled as
 * above): that is how pg_dump's restore keeps the history of every row, and a
 * superuser can bypass any trigger anyway.
 *
 * A register's record stays attached to its log and history: on a table
 * with org_id and an identity column id, an UPDATE that changes either is
 * refused (IS091), for every role, and an INSERT with an id the caller
 * chose (OVERRIDING SYSTEM VALUE, COPY with the id column) is refused for
 * every role but a superuser (428C9).  A generated id is the value the
 * identity sequence has just handed this session for this very row (the
 * executor draws it right before the row's BEFORE triggers, row by row in
 * a multi-row INSERT, INSERT ... SELECT and COPY); an id that is not, or
 * that an earlier row of this session already took, was chosen.
 *
 * The attribute numbers of the columns are looked up once per relation
 * and cached for the life of the backend; a relcache invalidation (ALTER
 * TABLE, DROP) forgets the entry.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/dependency.h"
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
	bool		log;			/* hand history capture each new start */
	AttrNumber	att_org;		/* org_id, or 0 */
	AttrNumber	att_id;			/* id, or 0 */
	Oid			id_seqid;		/* identity sequence of id, or InvalidOid */
	Oid			owner;			/* the table's owner, who reads the sequence */
	WriteCheckInfo check;		/* write_check.c */
} StampEntry;

static HTAB *stamp_cache = NULL;

/*
 * The id last given to a new row, per identity sequence, for the life of
 * the backend: kept apart from the column cache, which an invalidation
 * empties, so that an id once taken stays taken.
 */
typedef struct TakenId
{
	Oid			seqid;			/* hash key */
	int64		last_id;
} TakenId;

static HTAB *taken_ids = NULL;

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
	entry->att_org = 0;
	entry->att_id = 0;
	entry->id_seqid = InvalidOid;
	entry->owner = rel->rd_rel->relowner;
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped || att->atttypid != INT8OID)
			continue;
		if (strcmp(NameStr(att->attname), "org_id") == 0)
			entry->att_org = att->attnum;
		else if (strcmp(NameStr(att->attname), "id") == 0)
		{
			entry->att_id = att->attnum;
			if (att->attidentity)
				entry->id_seqid = getIdentitySequence(relid, att->attnum, true);
		}
	}
	/* only a register's (org_id, id) is kept */
	if (entry->att_org == 0 || entry->att_id == 0)
		entry->att_org = entry->att_id = 0;
	entry->log = entry->att_org != 0 && history_takes_stamps(rel);
	entry->check = check;
	return entry;
}

/* the new version's start: the clock, but strictly after the old start */
static Datum
stamp_after(Datum clock, Datum old_start, bool old_null)
{
	TimestampTz floor;

	if (old_null || TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(old_start)))
		return clock;
	floor = DatumGetTimestampTz(old_start) + 1;
	if (DatumGetTimestampTz(clock) < floor)
		return TimestampTzGetDatum(floor);
	return clock;
}

/* hands history capture the new start of an old row; see history.c */
static void
stamp_log_row(Relation rel, const StampEntry *cols, HeapTuple oldtuple,
			  bool old_null, Datum old_start, Datum new_start)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	bool		org_null;
	bool		id_null;
	Datum		org_id = heap_getattr(oldtuple, cols->att_org, tupdesc, &org_null);
	Datum		id = heap_getattr(oldtuple, cols->att_id, tupdesc, &id_null);

	/* capture matches no entry with a NULL key and asks the primary key */
	if (org_null || id_null)
		return;
	history_stamp_log(RelationGetRelid(rel), DatumGetInt64(org_id),
					  DatumGetInt64(id), old_null,
					  old_null ? 0 : DatumGetTimestampTz(old_start),
					  DatumGetTimestampTz(new_start));
}

/*
 * The value the sequence last handed this session, read as the table's
 * owner (members have no right on the sequence; the identity default draws
 * from it without one).  Returns false when it has handed none.
 */
static bool
stamp_session_currval(const StampEntry *cols, int64 *value)
{
	Oid			save_userid;
	int			save_sec_context;
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool defined = true;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(cols->owner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		*value = DatumGetInt64(DirectFunctionCall1(currval_oid,
												   ObjectIdGetDatum(cols->id_seqid)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		SetUserIdAndSecContext(save_userid, save_sec_context);
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		/* "currval is not yet defined in this session": anything else stands */
		if (edata->sqlerrcode != ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE)
			PG_RE_THROW();
		/* the caller raises an error at once, and the abort cleans up */
		FlushErrorState();
		defined = false;
	}
	PG_END_TRY();
	SetUserIdAndSecContext(save_userid, save_sec_context);
	return defined;
}

/*
 * Refuses an id the caller chose for a new row.  A superuser's is kept (a
 * restore), but noted as taken like every other: a member acting later in
 * the same session cannot take it again because the sequence last handed
 * it out.
 */
static void
stamp_check_new_id(Relation rel, const StampEntry *cols, HeapTuple newtuple,
				   bool trusted)
{
	bool		isnull;
	int64		id;
	int64		drawn = 0;
	bool		generated;
	bool		found;
	TakenId    *taken;

	id = DatumGetInt64(heap_getattr(newtuple, cols->att_id,
									RelationGetDescr(rel), &isnull));
	if (isnull)
		return;					/* the NOT NULL constraint's to report */
	if (taken_ids == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(TakenId);
		taken_ids = hash_create("isms taken ids", 64, &ctl,
								HASH_ELEM | HASH_BLOBS);
	}
	taken = (TakenId *) hash_search(taken_ids, &cols->id_seqid, HASH_ENTER, &found);
	if (!found)
		taken->last_id = PG_INT64_MIN;
	generated = trusted ||
		(stamp_session_currval(cols, &drawn) && drawn == id &&
		 taken->last_id != id);
	if (!generated)
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("cannot insert %s with the id " INT64_FORMAT " chosen by the caller",
						RelationGetRelationName(rel), id),
				 errdetail("The id of a record is generated by its identity sequence; only a superuser restoring records supplies it (OVERRIDING SYSTEM VALUE, or COPY with the id column)."),
				 errhint("Leave the id column out of the INSERT or COPY and read the new id with RETURNING id.")));
	taken->last_id = id;
}

/* Refuses an UPDATE that renumbers a record or moves it to another organisation. */
static void
stamp_check_identity(Relation rel, const StampEntry *cols, HeapTuple oldtuple,
					 HeapTuple newtuple)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	bool		old_null;
	bool		new_null;
	int64		old_org = DatumGetInt64(heap_getattr(oldtuple, cols->att_org, tupdesc, &old_null));
	int64		old_id = DatumGetInt64(heap_getattr(oldtuple, cols->att_id, tupdesc, &old_null));
	int64		new_org = DatumGetInt64(heap_getattr(newtuple, cols->att_org, tupdesc, &new_null));
	int64		new_id = DatumGetInt64(heap_getattr(newtuple, cols->att_id, tupdesc, &new_null));

	if (new_null)
		return;					/* the NOT NULL constraint's to report */
	if (old_id != new_id)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_RECORD_IDENTITY),
				 errmsg("cannot renumber %s " INT64_FORMAT " of organisation " INT64_FORMAT,
						RelationGetRelationName(rel), old_id, old_org),
				 errdetail("The UPDATE would give it the id " INT64_FORMAT "; its log, trail and history name it by its id.",
						   new_id),
				 errhint("Leave the id column out of the UPDATE.")));
	if (old_org != new_org)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_RECORD_IDENTITY),
				 errmsg("cannot move %s " INT64_FORMAT " from organisation " INT64_FORMAT " to organisation " INT64_FORMAT,
						RelationGetRelationName(rel), old_id, old_org, new_org),
				 errdetail("A record belongs to the organisation that created it; its log, trail and history stay there."),
				 errhint("Create the record in the other organisation instead.")));
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

	now = TimestampTzGetDatum(GetCurrentTimestamp());
	actor = CStringGetTextDatum(isms_current_actor());

	if (TRIGGER_FIRED_BY_INSERT(event))
	{
		/* a superuser's INSERT is a restore: its ids and stamps are kept */
		bool		restoring = superuser();

		newtuple = trigdata->tg_trigtuple;
		if (OidIsValid(cols->id_seqid))
			stamp_check_new_id(rel, cols, newtuple, restoring);
		write_check_row(rel, &cols->check, newtuple, NULL);
		if (restoring)
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
		if (cols->att_id != 0)
			stamp_check_identity(rel, cols, oldtuple, newtuple);
		write_check_row(rel, &cols->check, newtuple, oldtuple);
		for (int c = CREATED_AT; c <= CREATED_BY; c++)
		{
			repl_cols[n] = cols->attnum[c];
			repl_values[n] = heap_getattr(oldtuple, cols->attnum[c], tupdesc, &isnull);
			repl_nulls[n++] = isnull;
		}
		{
			Datum		old_start = heap_getattr(oldtuple, cols->attnum[UPDATED_AT],
												 tupdesc, &isnull);

			now = stamp_after(now, old_start, isnull);
			if (cols->log)
				stamp_log_row(rel, cols, oldtuple, isnull, old_start, now);
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
