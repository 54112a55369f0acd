/*-------------------------------------------------------------------------
 *
 * workflow.c
 *	  The PDCA workflow engine: one row trigger that enforces a table's
 *	  workflow on INSERT and UPDATE, and logs every accepted transition.
 *
 * A workflow's states, transitions and guards are rows in isms.workflow_*;
 * each backend caches them per bound table, keyed by relation OID, with
 * the attribute numbers it reads and the guard plans it has prepared.  A
 * change to the definitions sends a relcache invalidation for
 * isms.workflow, which every backend sees at its next transaction and
 * which empties the cache (as pg_cron does for its job table); ALTER of a
 * bound table invalidates its own entry.
 *
 * The row trigger does the checks and queues the log row; queued rows are
 * written in batches of LOG_BATCH (tableinsert.c), the last batch by a
 * statement trigger.  A failed statement rolls back its written batches
 * with it, and a subtransaction abort drops its queued rows.  Rows
 * whose status does not change cost a hash lookup and two attribute reads.
 * At commit, a transaction that logged transitions takes the outbox lock
 * and records its commit sequence, so that a poller reading the outbox in
 * sequence order never skips a transaction that commits late.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/index.h"
#include "utils/snapmgr.h"
#include "utils/fmgroids.h"
#include "access/skey.h"
#include "access/genam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/async.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "citus.h"
#include "isms.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "tableinsert.h"
#include "trail.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"
#include "nodes/bitmapset.h"
#include "pgstat.h"
#include "access/table.h"

PG_FUNCTION_INFO_V1(workflow_enforce);
PG_FUNCTION_INFO_V1(workflow_flush);
PG_FUNCTION_INFO_V1(workflow_definition_changed);
PG_FUNCTION_INFO_V1(workflow_next_states);
PG_FUNCTION_INFO_V1(workflow_log_created);
PG_FUNCTION_INFO_V1(workflow_refuse_delete);

/*
 * At commit, a transaction that moved records notifies this channel with
 * its outbox number alone: anyone may LISTEN on any channel, so the
 * payload says nothing about any organisation.  Listeners read the moves
 * through isms.events_after(), under row-level security.
 */
#define EVENT_CHANNEL			"isms_events"
/* advisory lock key serialising outbox sequence numbers: "isms" "outb" */
#define OUTBOX_LOCK_KEY1		0x69736d73
#define OUTBOX_LOCK_KEY2		0x6f757462

typedef enum Phase
{
	PHASE_PLAN = 0,
	PHASE_DO,
	PHASE_CHECK,
	PHASE_ACT
} Phase;

static const char *const phase_names[] = {"plan", "do", "check", "act"};

typedef struct WfState
{
	char	   *name;
	int			namelen;
	Datum		name_text;		/* the name as text, for log rows */
	Phase		phase;
	bool		initial;
	bool		terminal;
} WfState;

typedef struct WfGuard
{
	char	   *name;
	char	   *sql;
	SPIPlanPtr	plan;			/* prepared on first use */
} WfGuard;

typedef struct WfTransition
{
	int			from;			/* index into states */
	int			to;
	int			guard;			/* index into guards, or -1 */
	bool		reason_required;
} WfTransition;

/* an organisation's tightening of one transition */
typedef struct WfRestriction
{
	int64		org_id;
	int			transition;
	bool		disabled;
	int			guard;			/* extra guard, or -1 */
} WfRestriction;

typedef struct WfTable
{
	Oid			relid;			/* hash key: the table, or its Citus shard */
	bool		valid;
	Oid			table;			/* the table (relid unless a shard) */
	Oid			log_target;		/* the log, or its shard colocated with relid */
	MemoryContext cxt;
	char	   *workflow;
	char	   *label;			/* "corrective action" */
	char	   *qualname;		/* "isms.corrective_action" */
	Datum		qualname_text;	/* the same as text, for log rows */
	Oid			rowtype;
	AttrNumber	att_status;
	AttrNumber	att_org;
	AttrNumber	att_id;
	AttrNumber	att_cycle;		/* 0 when the table has none */
	int			nstates;
	WfState    *states;
	int			ntransitions;
	WfTransition *transitions;
	int			nguards;
	WfGuard    *guards;
	int			nrestrictions;
	WfRestriction *restrictions;
} WfTable;

#define LOG_NATTS 13
/* columns of isms.transition_log added in 0.2.0 */
#define LOG_ATT_TABLE_NAME 12
#define LOG_ATT_LOGIN_ROLE 13
/* log rows are written in batches of this many */
#define LOG_BATCH 1000

/* a log row waiting to be written */
typedef struct PendingLog
{
	SubTransactionId subid;
	Oid			target;			/* the log, or its shard on this node */
	Datum		values[LOG_NATTS];
	bool		nulls[LOG_NATTS];
} PendingLog;

static HTAB *wf_tables = NULL;
static bool callbacks_registered = false;
static Oid	workflow_relid = InvalidOid;

/*
 * Per-transaction state.  Pending log rows live in a fixed array and their
 * text values in a context reset after each batch, so a bulk statement
 * reuses the same memory instead of touching new pages for every row.
 * Rows queued by an enclosing subtransaction are held back when a flush
 * runs inside a subtransaction (they must survive its abort); the array
 * then grows beyond LOG_BATCH, which only nested statements need.
 */
static PendingLog pending_fixed[LOG_BATCH];
static PendingLog *pending = pending_fixed;
static int	pending_size = LOG_BATCH;
static int	npending = 0;
/* flush when this many rows are queued: LOG_BATCH beyond the held ones */
static int	pending_limit = LOG_BATCH;
static MemoryContext pending_cxt = NULL;
/* the actor and login as text, kept while isms.actor and the user are unchanged */
static Datum actor_text = (Datum) 0;
static Datum login_text = (Datum) 0;
static const char *actor_source = NULL;
static Oid	actor_user = InvalidOid;
static int64 xact_first_log = 0;
static int64 xact_last_log = 0;
static int	xact_events = 0;
/* the moves were logged into Citus shards (this node is a worker) */
static bool xact_on_shards = false;

/*
 * The log batches written in this transaction, sealed into the trail at
 * commit: each batch is digested from the values written as it is written
 * (reading 100,000 rows back at commit cost a sixth of a bulk move), and
 * read back at commit only when the transaction changed the log otherwise;
 * a batch of an aborted subtransaction is dropped, so the seal covers what
 * commits, and appending keeps the organisation's trail lock for the
 * commit alone, not for the whole transaction.
 */
typedef struct SealBatch
{
	SubTransactionId subid;
	Oid			target;			/* where the batch was written */
	int64		org_id;
	int64		first_log_id;
	int64		last_log_id;
	int			count;
	char		sha256[PG_SHA256_DIGEST_LENGTH * 2 + 1];
} SealBatch;
static SealBatch *seal_batches = NULL;
static int	nseal_batches = 0;
static int	seal_batches_size = 0;

/* moves counted per subtransaction, so an aborted one can be subtracted */
typedef struct SubxactEvents
{
	SubTransactionId subid;
	int			count;
} SubxactEvents;
static SubxactEvents *subxact_events = NULL;
static int	nsubxact_events = 0;
static int	subxact_events_size = 0;
static Oid	log_relid = InvalidOid;
static Oid	log_seqid = InvalidOid;
static Oid	outbox_relid = InvalidOid;
static Oid	outbox_seqid = InvalidOid;

static void flush_pending(void);
static void append_seals(void);
static void wf_init(void);
static void refuse_prepare(void);
static bool status_in_set_list(WfTable *t, TriggerData *td);
static void refuse_same_state(WfTable *t, HeapTuple oldtuple, TupleDesc desc,
							  int from);

static Oid
isms_relid(const char *name)
{
	Oid			nsp = get_namespace_oid("isms", false);
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		elog(ERROR, "isms relation \"%s\" is missing", name);
	return relid;
}

/* The owner of the extension's tables: who the definitions are read as. */
static Oid
isms_owner(void)
{
	HeapTuple	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(workflow_relid));
	Oid			owner;

	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for relation %u", workflow_relid);
	owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
	return owner;
}

static void
wf_invalidate_all(void)
{
	HASH_SEQ_STATUS status;
	WfTable    *t;

	if (wf_tables == NULL)
		return;
	hash_seq_init(&status, wf_tables);
	while ((t = hash_seq_search(&status)) != NULL)
		t->valid = false;
	workflow_relid = InvalidOid;
	log_relid = InvalidOid;
	log_seqid = InvalidOid;
	outbox_relid = InvalidOid;
	outbox_seqid = InvalidOid;
}

/* Drops cached workflows of relid (all of them for InvalidOid); see isms.c. */
void
workflow_relcache_invalidate(Oid relid)
{
	WfTable    *t;

	if (wf_tables == NULL)
		return;
	if (relid == InvalidOid || relid == workflow_relid)
	{
		wf_invalidate_all();
		return;
	}
	t = hash_search(wf_tables, &relid, HASH_FIND, NULL);
	if (t != NULL)
		t->valid = false;
}

static void
wf_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:

			/*
			 * On a Citus worker, the moves of a distributed transaction that
			 * wrote several nodes are committed by Citus's two-phase commit:
			 * write their log and seals before the PREPARE, as at COMMIT.
			 * The outbox is not written on shards (see below).
			 */
			if (xact_on_shards)
			{
				wf_init();
				if (npending > 0)
					flush_pending();
				append_seals();
				break;
			}
			refuse_prepare();
			break;
		case XACT_EVENT_PRE_COMMIT:
			/* rows a statement trigger did not write (it was dropped) */
			if (npending > 0 || nseal_batches > 0 || xact_last_log > 0)
				wf_init();		/* relation OIDs may have been invalidated */
			if (npending > 0)
				flush_pending();
			append_seals();

			/*
			 * The outbox numbers commits in one order for the whole
			 * database; moves logged into Citus shards commit on the
			 * workers, whose order no node sees: they are read from the
			 * log (README, Citus).
			 */
			if (xact_last_log > 0 && !xact_on_shards)
			{
				/*
				 * Serialise the commits of transactions that logged
				 * transitions, and give this one the next outbox number
				 * while holding the lock until commit.
				 */
				Datum		values[6];
				bool		nulls[6] = {false, false, false, false, false, false};
				TableInserter *ti;
				int64		seq;
				char		payload[MAXINT8LEN + 1];

				DirectFunctionCall2(pg_advisory_xact_lock_int4,
									Int32GetDatum(OUTBOX_LOCK_KEY1),
									Int32GetDatum(OUTBOX_LOCK_KEY2));
				seq = nextval_internal(outbox_seqid, false);
				values[0] = Int64GetDatum(seq);
				values[1] = FullTransactionIdGetDatum(GetTopFullTransactionId());
				values[2] = Int64GetDatum(xact_first_log);
				values[3] = Int64GetDatum(xact_last_log);
				values[4] = Int32GetDatum(xact_events);
				values[5] = TimestampTzGetDatum(GetCurrentTimestamp());
				ti = table_inserter_begin(outbox_relid);
				table_inserter_add(ti, values, nulls);
				table_inserter_end(ti);
				/* PreCommit_Notify() runs after this callback */
				pg_lltoa(seq, payload);
				Async_Notify(EVENT_CHANNEL, payload);
			}
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			npending = 0;
			pending_limit = LOG_BATCH;
			pending_cxt = NULL; /* freed with TopTransactionContext */
			actor_text = (Datum) 0;
			login_text = (Datum) 0;
			xact_first_log = xact_last_log = 0;
			xact_events = 0;
			xact_on_shards = false;
			nsubxact_events = 0;
			nseal_batches = 0;
			break;
		default:
			break;
	}
}

/* Drop the buffered log rows of an aborted subtransaction and its children. */
static void
wf_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					SubTransactionId parentSubid, void *arg)
{
	int			i;
	int			kept = 0;

	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	for (i = 0; i < npending; i++)
		if (pending[i].subid < mySubid)
			pending[kept++] = pending[i];
	npending = kept;

	/* and so are the batches it wrote */
	kept = 0;
	for (i = 0; i < nseal_batches; i++)
		if (seal_batches[i].subid < mySubid)
			seal_batches[kept++] = seal_batches[i];
	nseal_batches = kept;

	/* the aborted subtransaction's moves, written or not, are undone */
	kept = 0;
	for (i = 0; i < nsubxact_events; i++)
	{
		if (subxact_events[i].subid >= mySubid)
			xact_events -= subxact_events[i].count;
		else
			subxact_events[kept++] = subxact_events[i];
	}
	nsubxact_events = kept;
}

static void
wf_init(void)
{
	HASHCTL		ctl;

	if (!callbacks_registered)
	{
		RegisterXactCallback(wf_xact_callback, NULL);
		RegisterSubXactCallback(wf_subxact_callback, NULL);
		callbacks_registered = true;
	}
	if (wf_tables == NULL)
	{
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(WfTable);
		ctl.hcxt = CacheMemoryContext;
		wf_tables = hash_create("isms workflow tables", 32, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	if (!OidIsValid(workflow_relid))
	{
		workflow_relid = isms_relid("workflow");
		log_relid = isms_relid("transition_log");
		log_seqid = isms_relid("transition_log_log_id_seq");
		outbox_relid = isms_relid("outbox");
		outbox_seqid = isms_relid("outbox_seq_seq");
	}
}

static Phase
parse_phase(const char *s)
{
	int			i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, phase_names[i]) == 0)
			return (Phase) i;
	elog(ERROR, "unknown PDCA phase \"%s\"", s);
	return PHASE_PLAN;
}

static int
find_state(WfTable *t, const char *name, int len)
{
	int			i;

	for (i = 0; i < t->nstates; i++)
		if (t->states[i].namelen == len &&
			memcmp(t->states[i].name, name, len) == 0)
			return i;
	return -1;
}

static int
find_guard(WfTable *t, const char *name)
{
	int			i;

	for (i = 0; i < t->nguards; i++)
		if (strcmp(t->guards[i].name, name) == 0)
			return i;
	return -1;
}

static AttrNumber
required_attnum(Relation rel, const char *name, Oid type, bool required)
{
	AttrNumber	att = get_attnum(RelationGetRelid(rel), name);

	if (att == InvalidAttrNumber)
	{
		if (!required)
			return 0;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("workflow table %s has no column \"%s\"",
						RelationGetRelationName(rel), name),
				 errhint("A workflow table has columns org_id bigint, id bigint, status text and cycle integer.")));
	}
	if (TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid != type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of workflow table %s has the wrong type",
						name, RelationGetRelationName(rel)),
				 errhint("A workflow table has columns org_id bigint, id bigint, status text and cycle integer.")));
	return att;
}

static char *
spi_text(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

static bool
spi_bool(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
								  col, &isnull);

	return !isnull && DatumGetBool(d);
}

/* Runs one read-only query of a workflow's definition, keyed by the table. */
static void
wf_select(const char *sql, Datum *arg, const char *table)
{
	Oid			argtypes[1] = {OIDOID};

	if (SPI_execute_with_args(sql, 1, argtypes, arg, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read %s", table);
}

/* Loads a table's workflow into its cache entry. */
static void
wf_load(WfTable *t, Relation rel)
{
	MemoryContext old;
	Datum		arg[1];
	int			i;
	uint64		n;
	IsmsRestrict safe;

	if (t->cxt)
	{
		for (i = 0; i < t->nguards; i++)
			if (t->guards[i].plan)
				SPI_freeplan(t->guards[i].plan);

		/*
		 * Queued log rows point at state names in the old entry, and a
		 * reload can happen mid-statement (an invalidation is processed at
		 * any lock acquisition): free the old memory with the transaction.
		 */
		MemoryContextSetParent(t->cxt, TopTransactionContext);
	}
	t->cxt = AllocSetContextCreate(CacheMemoryContext, "isms workflow",
								   ALLOCSET_SMALL_SIZES);
	t->valid = false;
	t->nstates = t->ntransitions = t->nguards = t->nrestrictions = 0;

	/*
	 * On a Citus shard (the trigger fires on the worker that holds it) the
	 * definitions are those of its table, and the log rows go into the
	 * log's shard colocated with it.
	 */
	t->table = isms_citus_table_of(t->relid);
	t->log_target = isms_citus_colocated(t->relid, log_relid);
	arg[0] = ObjectIdGetDatum(t->table);

	/*
	 * Read the definitions as the extension owner: the cache serves every
	 * role this backend acts as, so it must not be filtered by the row-level
	 * security of the role that happened to load it; and with search_path
	 * pinned, so that no caller's operator or table takes part.
	 */
	isms_restrict_begin(&safe, isms_owner());
	SPI_connect();

	wf_select("SELECT w.workflow, w.record_label FROM isms.workflow w "
			  "WHERE w.relid OPERATOR(pg_catalog.=) $1",
			  arg, "isms.workflow");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table %s has the workflow trigger but no workflow",
						get_rel_name(t->table)),
				 errhint("Bind a workflow with isms.attach_workflow(), or drop the trigger.")));
	old = MemoryContextSwitchTo(t->cxt);
	t->workflow = pstrdup(spi_text(0, 1));
	t->label = pstrdup(spi_text(0, 2));
	/*
	 * Always schema-qualified: relid::text would depend on the search_path
	 * of whichever statement happened to load the cache.
	 */
	t->qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(t->table)),
											 get_rel_name(t->table));
	t->qualname_text = CStringGetTextDatum(t->qualname);
	MemoryContextSwitchTo(old);

	wf_select("SELECT s.state, s.phase, s.is_initial, s.is_terminal "
			  "FROM isms.workflow_state s JOIN isms.workflow w "
			  "ON w.workflow OPERATOR(pg_catalog.=) s.workflow "
			  "WHERE w.relid OPERATOR(pg_catalog.=) $1 ORDER BY s.ordinal, s.state",
			  arg, "isms.workflow_state");
	n = SPI_processed;
	t->states = MemoryContextAllocZero(t->cxt, sizeof(WfState) * Max(n, 1));
	for (i = 0; i < (int) n; i++)
	{
		WfState    *s = &t->states[i];

		s->name = MemoryContextStrdup(t->cxt, spi_text(i, 1));
		s->namelen = strlen(s->name);
		old = MemoryContextSwitchTo(t->cxt);
		s->name_text = CStringGetTextDatum(s->name);
		MemoryContextSwitchTo(old);
		s->phase = parse_phase(spi_text(i, 2));
		s->initial = spi_bool(i, 3);
		s->terminal = spi_bool(i, 4);
	}
	t->nstates = n;

	/* every guard any transition or restriction of this workflow uses */
	/* uncorrelated, which Citus plans when the restrictions are distributed */
	wf_select("SELECT g.guard, g.check_sql FROM isms.workflow_guard g "
			  "WHERE g.guard IN (SELECT tr.guard FROM isms.workflow_transition tr "
			  "  JOIN isms.workflow w ON w.workflow OPERATOR(pg_catalog.=) tr.workflow "
			  "  WHERE w.relid OPERATOR(pg_catalog.=) $1 "
			  "  UNION SELECT r.extra_guard FROM isms.workflow_restriction r "
			  "  JOIN isms.workflow w ON w.workflow OPERATOR(pg_catalog.=) r.workflow "
			  "  WHERE w.relid OPERATOR(pg_catalog.=) $1) "
			  "ORDER BY g.guard",
			  arg, "isms.workflow_guard");
	n = SPI_processed;
	t->guards = MemoryContextAllocZero(t->cxt, sizeof(WfGuard) * Max(n, 1));
	for (i = 0; i < (int) n; i++)
	{
		t->guards[i].name = MemoryContextStrdup(t->cxt, spi_text(i, 1));
		t->guards[i].sql = MemoryContextStrdup(t->cxt, spi_text(i, 2));
	}
	t->nguards = n;

	wf_select("SELECT tr.from_state, tr.to_state, tr.guard, tr.reason_required "
			  "FROM isms.workflow_transition tr JOIN isms.workflow w "
			  "ON w.workflow OPERATOR(pg_catalog.=) tr.workflow "
			  "WHERE w.relid OPERATOR(pg_catalog.=) $1 ORDER BY tr.from_state, tr.to_state",
			  arg, "isms.workflow_transition");
	n = SPI_processed;
	t->transitions = MemoryContextAllocZero(t->cxt,
											sizeof(WfTransition) * Max(n, 1));
	for (i = 0; i < (int) n; i++)
	{
		WfTransition *tr = &t->transitions[i];
		char	   *from = spi_text(i, 1);
		char	   *to = spi_text(i, 2);
		char	   *guard = spi_text(i, 3);

		tr->from = find_state(t, from, strlen(from));
		tr->to = find_state(t, to, strlen(to));
		tr->guard = guard ? find_guard(t, guard) : -1;
		tr->reason_required = spi_bool(i, 4);
	}
	t->ntransitions = n;

	wf_select("SELECT r.org_id, r.from_state, r.to_state, r.disabled, r.extra_guard "
			  "FROM isms.workflow_restriction r JOIN isms.workflow w "
			  "ON w.workflow OPERATOR(pg_catalog.=) r.workflow "
			  "WHERE w.relid OPERATOR(pg_catalog.=) $1",
			  arg, "isms.workflow_restriction");
	n = SPI_processed;
	t->restrictions = MemoryContextAllocZero(t->cxt,
											 sizeof(WfRestriction) * Max(n, 1));
	for (i = 0; i < (int) n; i++)
	{
		WfRestriction *r = &t->restrictions[i];
		char	   *from = spi_text(i, 2);
		char	   *to = spi_text(i, 3);
		char	   *guard = spi_text(i, 5);
		int			fi = find_state(t, from, strlen(from));
		int			ti = find_state(t, to, strlen(to));
		int			k;

		r->org_id = pg_strtoint64(spi_text(i, 1));
		r->disabled = spi_bool(i, 4);
		r->guard = guard ? find_guard(t, guard) : -1;
		r->transition = -1;
		for (k = 0; k < t->ntransitions; k++)
			if (t->transitions[k].from == fi && t->transitions[k].to == ti)
				r->transition = k;
	}
	t->nrestrictions = n;
	SPI_finish();
	isms_restrict_end(&safe);

	t->rowtype = rel->rd_rel->reltype;
	t->att_status = required_attnum(rel, "status", TEXTOID, true);
	t->att_org = required_attnum(rel, "org_id", INT8OID, true);
	t->att_id = required_attnum(rel, "id", INT8OID, true);
	t->att_cycle = required_attnum(rel, "cycle", INT4OID, false);
	t->valid = true;
}

static WfTable *
wf_get(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	WfTable    *t;
	bool		found;

	wf_init();
	t = hash_search(wf_tables, &relid, HASH_ENTER, &found);
	if (!found)
	{
		memset(((char *) t) + sizeof(Oid), 0, sizeof(WfTable) - sizeof(Oid));
	}
	if (!t->valid)
		wf_load(t, rel);
	return t;
}

/* The state names allowed after "from" for this organisation, for errdetail. */
static char *
allowed_next(WfTable *t, int from, int64 org_id)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < t->ntransitions; i++)
	{
		int			k;
		bool		disabled = false;

		if (t->transitions[i].from != from)
			continue;
		for (k = 0; k < t->nrestrictions; k++)
			if (t->restrictions[k].org_id == org_id &&
				t->restrictions[k].transition == i &&
				t->restrictions[k].disabled)
				disabled = true;
		if (disabled)
			continue;
		appendStringInfo(&buf, "%s\"%s\"", buf.len ? ", " : "",
						 t->states[t->transitions[i].to].name);
	}
	if (buf.len == 0)
		appendStringInfoString(&buf, "none");
	return buf.data;
}

static char *
initial_states(WfTable *t)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < t->nstates; i++)
		if (t->states[i].initial)
			appendStringInfo(&buf, "%s\"%s\"", buf.len ? ", " : "",
							 t->states[i].name);
	return buf.data;
}

/*
 * Runs a guard against the new row; returns NULL when it holds, else the
 * reason it does not.  The plan is prepared once per table and guard.
 */
static char *
run_guard(WfTable *t, int g, Datum row)
{
	WfGuard    *guard = &t->guards[g];
	Datum		args[2];
	Oid			argtypes[2];
	bool		isnull;
	char	   *result = NULL;
	IsmsRestrict safe;

	/* as the caller (guards see what the caller may see), path pinned */
	isms_restrict_begin(&safe, InvalidOid);
	SPI_connect();
	if (guard->plan == NULL)
	{
		SPIPlanPtr	plan;

		argtypes[0] = t->rowtype;
		argtypes[1] = TEXTOID;
		plan = SPI_prepare(guard->sql, 2, argtypes);
		if (plan == NULL)
			elog(ERROR, "could not prepare workflow guard \"%s\": %s",
				 guard->name, SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		guard->plan = plan;
	}
	args[0] = row;
	args[1] = CStringGetTextDatum(isms_current_actor());
	if (SPI_execute_plan(guard->plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow guard \"%s\" is not a SELECT", guard->name);
	if (SPI_processed > 0)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			char	   *reason = TextDatumGetCString(d);

			result = SPI_palloc(strlen(reason) + 1);
			strcpy(result, reason);
		}
	}
	SPI_finish();
	isms_restrict_end(&safe);
	return result;
}

static void
encode_text_datum(StringInfo buf, Datum d, bool isnull)
{
	if (isnull)
		isms_trail_encode_field(buf, "", 0);
	else
	{
		text	   *t = DatumGetTextPP(d);

		isms_trail_encode_field(buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
}

/*
 * The SHA-256 (hex, into hex) of one organisation's rows of a written
 * batch, in log_id order: the netstrings of log_id, the table's qualified
 * name as recorded at the move (record_table_name, so that a table renamed
 * or dropped since changes nothing), record_id, cycle, from_state,
 * to_state, actor, reason and time (UTC), then the login role when it is
 * not NULL, as isms.transition_log_encoding() gives them.
 */
static void
digest_rows(PendingLog **rows, int n, char *hex)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	StringInfoData buf;
	char		ts[TRAIL_TS_LEN];
	TimestampTz ts_value = DT_NOBEGIN;
	int			i;

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not start SHA-256: %s", pg_cryptohash_error(ctx));
	initStringInfo(&buf);
	for (i = 0; i < n; i++)
	{
		PendingLog *p = rows[i];
		TimestampTz at = DatumGetTimestampTz(p->values[9]);

		resetStringInfo(&buf);
		isms_trail_encode_int8(&buf, DatumGetInt64(p->values[0]));
		encode_text_datum(&buf, p->values[LOG_ATT_TABLE_NAME - 1],
						  p->nulls[LOG_ATT_TABLE_NAME - 1]);
		isms_trail_encode_int8(&buf, DatumGetInt64(p->values[3]));
		isms_trail_encode_int8(&buf, DatumGetInt32(p->values[4]));
		encode_text_datum(&buf, p->values[5], p->nulls[5]);
		encode_text_datum(&buf, p->values[6], p->nulls[6]);
		encode_text_datum(&buf, p->values[7], p->nulls[7]);
		encode_text_datum(&buf, p->values[8], p->nulls[8]);
		/* rows of one statement share their time: format it once */
		if (at != ts_value)
		{
			ts_value = at;
			if (!isms_trail_format_timestamp(at, ts))
				elog(ERROR, "transition time out of range");
		}
		isms_trail_encode_field(&buf, ts, strlen(ts));
		if (!p->nulls[LOG_ATT_LOGIN_ROLE - 1])
			encode_text_datum(&buf, p->values[LOG_ATT_LOGIN_ROLE - 1], false);
		if (pg_cryptohash_update(ctx, (uint8 *) buf.data, buf.len) < 0)
			elog(ERROR, "could not hash: %s", pg_cryptohash_error(ctx));
	}
	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not hash: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	hex_encode((char *) digest, sizeof(digest), hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	pfree(buf.data);
}

/*
 * Notes one organisation's rows of a written batch (in log_id order), with
 * their digest, to be sealed at commit.
 */
static void
record_batch(PendingLog **rows, int n)
{
	SealBatch  *b;

	if (nseal_batches == seal_batches_size)
	{
		seal_batches_size = Max(16, seal_batches_size * 2);
		seal_batches = seal_batches ?
			repalloc(seal_batches, sizeof(SealBatch) * seal_batches_size) :
			MemoryContextAlloc(TopMemoryContext, sizeof(SealBatch) * seal_batches_size);
	}
	b = &seal_batches[nseal_batches++];
	b->subid = GetCurrentSubTransactionId();
	b->target = rows[0]->target;
	b->org_id = DatumGetInt64(rows[0]->values[1]);
	b->first_log_id = DatumGetInt64(rows[0]->values[0]);
	b->last_log_id = DatumGetInt64(rows[n - 1]->values[0]);
	b->count = n;
	digest_rows(rows, n, b->sha256);
}

static void
encode_text_att(StringInfo buf, HeapTuple tuple, TupleDesc desc, int att)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, att, desc, &isnull);

	encode_text_datum(buf, d, isnull);
}

/*
 * The digest of a batch's rows as they are now, read back through the
 * primary key (org_id, log_id) in log_id order, in the encoding of
 * digest_rows(): for a transaction that changed log rows after writing
 * them (a superuser's import of history, which dates them).  Returns how
 * many rows it found.
 */
static int
digest_batch(SealBatch *b, Relation logrel, Oid pkey, FullTransactionId xid,
			 char *hex)
{
	TupleDesc	desc = RelationGetDescr(logrel);
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	ScanKeyData keys[3];
	SysScanDesc scan;
	HeapTuple	tuple;
	StringInfoData buf;
	char		ts[TRAIL_TS_LEN];
	TimestampTz ts_value = DT_NOBEGIN;
	int			found = 0;

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not start SHA-256: %s", pg_cryptohash_error(ctx));
	/* the primary key is (org_id, log_id): heap attributes 2 and 1 */
	ScanKeyInit(&keys[0], 2, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(b->org_id));
	ScanKeyInit(&keys[1], 1, BTGreaterEqualStrategyNumber, F_INT8GE,
				Int64GetDatum(b->first_log_id));
	ScanKeyInit(&keys[2], 1, BTLessEqualStrategyNumber, F_INT8LE,
				Int64GetDatum(b->last_log_id));
	scan = systable_beginscan(logrel, pkey, true, SnapshotSelf, 3, keys);
	initStringInfo(&buf);
	while ((tuple = systable_getnext(scan)) != NULL)
	{
		bool		isnull;
		TimestampTz at;

		if (DatumGetInt64(heap_getattr(tuple, 2, desc, &isnull)) != b->org_id ||
			!FullTransactionIdEquals(DatumGetFullTransactionId(heap_getattr(tuple, 11, desc, &isnull)),
									 xid))
			continue;
		resetStringInfo(&buf);
		isms_trail_encode_int8(&buf, DatumGetInt64(heap_getattr(tuple, 1, desc, &isnull)));
		encode_text_att(&buf, tuple, desc, LOG_ATT_TABLE_NAME);
		isms_trail_encode_int8(&buf, DatumGetInt64(heap_getattr(tuple, 4, desc, &isnull)));
		isms_trail_encode_int8(&buf, DatumGetInt32(heap_getattr(tuple, 5, desc, &isnull)));
		encode_text_att(&buf, tuple, desc, 6);
		encode_text_att(&buf, tuple, desc, 7);
		encode_text_att(&buf, tuple, desc, 8);
		encode_text_att(&buf, tuple, desc, 9);
		at = DatumGetTimestampTz(heap_getattr(tuple, 10, desc, &isnull));
		if (at != ts_value)
		{
			ts_value = at;
			if (!isms_trail_format_timestamp(at, ts))
				elog(ERROR, "transition time out of range");
		}
		isms_trail_encode_field(&buf, ts, strlen(ts));
		(void) heap_getattr(tuple, LOG_ATT_LOGIN_ROLE, desc, &isnull);
		if (!isnull)
			encode_text_att(&buf, tuple, desc, LOG_ATT_LOGIN_ROLE);
		if (pg_cryptohash_update(ctx, (uint8 *) buf.data, buf.len) < 0)
			elog(ERROR, "could not hash: %s", pg_cryptohash_error(ctx));
		found++;
	}
	systable_endscan(scan);
	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not hash: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	hex_encode((char *) digest, sizeof(digest), hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	pfree(buf.data);
	return found;
}

/*
 * Whether the log holds exactly the rows this transaction's batches wrote,
 * as written: the transaction's own table statistics show no UPDATE,
 * DELETE or TRUNCATE of the log, and no INSERT beside the engine's.  Then
 * the digests taken as the batches were written are the rows that commit;
 * otherwise (or without track_counts) the batches are read back.
 */
static bool
log_as_written(void)
{
	PgStat_TableStatus *tab;
	PgStat_TableXactStatus *trans;
	int64		written = 0;
	int			i;

	if (!pgstat_track_counts || nseal_batches == 0)
		return false;
	for (i = 1; i < nseal_batches; i++)
		if (seal_batches[i].target != seal_batches[0].target)
			return false;
	tab = find_tabstat_entry(seal_batches[0].target);
	if (tab == NULL)
		return false;
	trans = tab->trans;
	if (trans == NULL || trans->upper != NULL || trans->nest_level != 1 ||
		trans->truncdropped || trans->tuples_updated != 0 ||
		trans->tuples_deleted != 0)
		return false;
	for (i = 0; i < nseal_batches; i++)
		written += seal_batches[i].count;
	return trans->tuples_inserted == written;
}

static int
seal_batch_cmp(const void *a, const void *b)
{
	const SealBatch *sa = a;
	const SealBatch *sb = b;

	if (sa->org_id != sb->org_id)
		return sa->org_id < sb->org_id ? -1 : 1;
	return sa->first_log_id < sb->first_log_id ? -1 :
		(sa->first_log_id > sb->first_log_id ? 1 : 0);
}

/*
 * At commit: one trail entry per organisation, listing the transaction's
 * batches as [first_log_id, last_log_id, count, sha256].
 */
static void
append_seals(void)
{
	StringInfoData json;
	FullTransactionId xid;
	Relation	logrel = NULL;
	bool		read_back;
	Oid			pkey = InvalidOid;
	int			start = 0;
	int			i;

	/*
	 * Every commit passes here, read-only ones too: take the transaction id
	 * only when there is something to seal, or a read-only transaction
	 * would be given one (an extra commit record on a primary, and "cannot
	 * assign TransactionIds during recovery" on a hot standby).
	 */
	if (nseal_batches == 0)
		return;
	xid = GetTopFullTransactionId();
	qsort(seal_batches, nseal_batches, sizeof(SealBatch), seal_batch_cmp);
	read_back = !log_as_written();
	initStringInfo(&json);
	for (i = 1; i <= nseal_batches; i++)
	{
		int			k;

		if (i < nseal_batches && seal_batches[i].org_id == seal_batches[start].org_id)
			continue;
		resetStringInfo(&json);
		appendStringInfo(&json, "{\"xact_id\": \"" UINT64_FORMAT "\", \"batches\": [",
						 U64FromFullTransactionId(xid));
		for (k = start; k < i; k++)
		{
			SealBatch  *b = &seal_batches[k];

			if (read_back)
			{
				/* the log, or (on a Citus worker) the shard it went to */
				if (logrel != NULL && RelationGetRelid(logrel) != b->target)
				{
					table_close(logrel, AccessShareLock);
					logrel = NULL;
				}
				if (logrel == NULL)
				{
					logrel = table_open(b->target, AccessShareLock);
					pkey = RelationGetPrimaryKeyIndex(logrel);
				}
				b->count = digest_batch(b, logrel, pkey, xid, b->sha256);
			}
			appendStringInfo(&json, "%s[" INT64_FORMAT ", " INT64_FORMAT ", %d, \"%s\"]",
							 k > start ? ", " : "",
							 b->first_log_id, b->last_log_id, b->count, b->sha256);
		}
		appendStringInfoString(&json, "]}");
		isms_trail_append(seal_batches[start].org_id, log_relid,
						  seal_batches[start].first_log_id, "transitions",
						  DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															 CStringGetDatum(json.data))));
		start = i;
	}
	if (logrel != NULL)
		table_close(logrel, AccessShareLock);
	pfree(json.data);
	nseal_batches = 0;
}

static int
pending_cmp(const void *a, const void *b)
{
	const PendingLog *pa = *(PendingLog *const *) a;
	const PendingLog *pb = *(PendingLog *const *) b;
	int64		oa = DatumGetInt64(pa->values[1]);
	int64		ob = DatumGetInt64(pb->values[1]);
	int64		la = DatumGetInt64(pa->values[0]);
	int64		lb = DatumGetInt64(pb->values[0]);

	if (oa != ob)
		return oa < ob ? -1 : 1;
	return la < lb ? -1 : (la > lb ? 1 : 0);
}

/* organisations a batch is grouped by without sorting it */
#define GROUP_ORGS 32

/*
 * Orders rows (queued in log_id order) by organisation, keeping log_id
 * order within each: a stable counting pass over the few organisations a
 * batch usually has, a sort otherwise.
 */
static void
group_by_org(PendingLog **rows, int n)
{
	int64		orgs[GROUP_ORGS];
	int			counts[GROUP_ORGS];
	int			norgs = 0;
	int			last = 0;
	int			i;
	PendingLog **grouped;

	for (i = 0; i < n; i++)
	{
		int64		org = DatumGetInt64(rows[i]->values[1]);

		if (i > 0 && DatumGetInt64(rows[i]->values[0]) <
			DatumGetInt64(rows[i - 1]->values[0]))
			break;
		if (norgs > 0 && orgs[last] == org)
		{
			counts[last]++;
			continue;
		}
		for (last = 0; last < norgs && orgs[last] != org; last++)
			;
		if (last == norgs)
		{
			if (norgs == GROUP_ORGS)
				break;
			orgs[norgs] = org;
			counts[norgs++] = 0;
		}
		counts[last]++;
	}
	if (i < n)
	{
		qsort(rows, n, sizeof(PendingLog *), pending_cmp);
		return;
	}
	if (norgs <= 1)
		return;

	/* organisations in ascending order, as the seal lists them */
	for (i = 1; i < norgs; i++)
	{
		int64		o = orgs[i];
		int			c = counts[i];
		int			k = i - 1;

		for (; k >= 0 && orgs[k] > o; k--)
		{
			orgs[k + 1] = orgs[k];
			counts[k + 1] = counts[k];
		}
		orgs[k + 1] = o;
		counts[k + 1] = c;
	}
	/* counts become each organisation's next position */
	for (i = 0, last = 0; i < norgs; i++)
	{
		int			c = counts[i];

		counts[i] = last;
		last += c;
	}
	grouped = palloc(sizeof(PendingLog *) * n);
	for (i = 0; i < n; i++)
	{
		int64		org = DatumGetInt64(rows[i]->values[1]);
		int			k;

		for (k = 0; orgs[k] != org; k++)
			;
		grouped[counts[k]++] = rows[i];
	}
	memcpy(rows, grouped, sizeof(PendingLog *) * n);
	pfree(grouped);
}

/*
 * Writes the pending log rows of the current subtransaction (and of its
 * committed children) in one batch.  Rows queued by an enclosing
 * subtransaction stay pending: written here, they would vanish with this
 * subtransaction if it aborted, while their moves stand.  The statement
 * that queued them writes them when it ends.
 *
 * The rows are written grouped by organisation, as they are sealed: each
 * organisation's entries then go into the primary key (org_id, log_id)
 * one after the other, on the same leaf page.
 */
static void
flush_pending(void)
{
	TableInserter *ti;
	SubTransactionId current = GetCurrentSubTransactionId();
	int			i;
	int			kept = 0;
	PendingLog **written;
	int			nwritten = 0;
	int			start = 0;

	if (npending == 0)
		return;
	written = palloc(sizeof(PendingLog *) * npending);
	for (i = 0; i < npending; i++)
		if (pending[i].subid >= current)
			written[nwritten++] = &pending[i];

	if (nwritten > 0)
	{
		group_by_org(written, nwritten);

		/*
		 * The log is append-only, and a bulk move's batches follow each
		 * other: no free space to look for, and no bulk-insert ring whose
		 * pages this backend would have to write out itself.
		 */
		ti = NULL;
		for (i = 0; i < nwritten; i++)
		{
			/* one target but on a Citus worker, whose shards differ by org */
			if (i == 0 || written[i]->target != written[i - 1]->target)
			{
				if (ti != NULL)
					table_inserter_end(ti);
				ti = table_inserter_begin_ext(written[i]->target,
											  TABLE_INSERTER_APPEND_ONLY |
											  TABLE_INSERTER_SHARED_BUFFERS);
			}
			table_inserter_add(ti, written[i]->values, written[i]->nulls);
		}
		table_inserter_end(ti);

		/* one seal per organisation in the batch */
		for (i = 1; i <= nwritten; i++)
			if (i == nwritten ||
				DatumGetInt64(written[i]->values[1]) != DatumGetInt64(written[start]->values[1]))
			{
				record_batch(written + start, i - start);
				start = i;
			}
	}
	pfree(written);
	for (i = 0; i < npending; i++)
		if (pending[i].subid < current)
			pending[kept++] = pending[i];
	npending = kept;
	pending_limit = kept + LOG_BATCH;
	if (kept == 0)
	{
		MemoryContextReset(pending_cxt);
		actor_text = (Datum) 0;
		login_text = (Datum) 0;
	}
}

static void
count_subxact_event(void)
{
	SubTransactionId subid = GetCurrentSubTransactionId();

	if (nsubxact_events > 0 &&
		subxact_events[nsubxact_events - 1].subid == subid)
	{
		subxact_events[nsubxact_events - 1].count++;
		return;
	}
	if (nsubxact_events == subxact_events_size)
	{
		subxact_events_size = Max(16, subxact_events_size * 2);
		subxact_events = subxact_events ?
			repalloc(subxact_events, sizeof(SubxactEvents) * subxact_events_size) :
			MemoryContextAlloc(TopMemoryContext,
							   sizeof(SubxactEvents) * subxact_events_size);
	}
	subxact_events[nsubxact_events].subid = subid;
	subxact_events[nsubxact_events].count = 1;
	nsubxact_events++;
}

static Datum
current_actor_text(void)
{
	/* the actor depends on the outer role, never on a security definer */
	if (actor_text == (Datum) 0 || actor_source != isms_actor ||
		actor_user != GetOuterUserId())
	{
		MemoryContext old = MemoryContextSwitchTo(pending_cxt);

		actor_text = CStringGetTextDatum(isms_current_actor());
		login_text = CStringGetTextDatum(isms_current_login());
		actor_source = isms_actor;
		actor_user = GetOuterUserId();
		MemoryContextSwitchTo(old);
	}
	return actor_text;
}

/* Queues the log row of an accepted move. */
static void
log_transition(WfTable *t, int64 org_id, int64 id, int from, int to,
			   int32 cycle)
{
	PendingLog *p;
	int64		log_id = nextval_internal(log_seqid, false);
	bool		have_reason = isms_reason != NULL && isms_reason[0] != '\0';

	if (pending_cxt == NULL)
		pending_cxt = AllocSetContextCreate(TopTransactionContext,
											"isms pending transitions",
											ALLOCSET_DEFAULT_SIZES);
	if (npending >= pending_limit)
		flush_pending();
	if (npending == pending_size)
	{
		/* rows held for enclosing subtransactions fill the array */
		PendingLog *larger = MemoryContextAlloc(TopMemoryContext,
												sizeof(PendingLog) * pending_size * 2);

		memcpy(larger, pending, sizeof(PendingLog) * npending);
		if (pending != pending_fixed)
			pfree(pending);
		pending = larger;
		pending_size *= 2;
	}
	p = &pending[npending++];
	p->subid = GetCurrentSubTransactionId();
	p->target = t->log_target;
	if (t->log_target != log_relid)
		xact_on_shards = true;
	memset(p->nulls, 0, sizeof(p->nulls));
	p->values[0] = Int64GetDatum(log_id);
	p->values[1] = Int64GetDatum(org_id);
	p->values[2] = ObjectIdGetDatum(t->table);
	p->values[3] = Int64GetDatum(id);
	p->values[4] = Int32GetDatum(cycle);
	if (from >= 0)
		p->values[5] = t->states[from].name_text;
	else
		p->nulls[5] = true;
	p->values[6] = t->states[to].name_text;
	p->values[7] = current_actor_text();
	if (have_reason)
	{
		MemoryContext old = MemoryContextSwitchTo(pending_cxt);

		p->values[8] = CStringGetTextDatum(isms_reason);
		MemoryContextSwitchTo(old);
	}
	else
		p->nulls[8] = true;
	/* the statement's start, as statement_timestamp(): one per bulk move */
	p->values[9] = TimestampTzGetDatum(GetCurrentStatementStartTimestamp());
	p->values[10] = FullTransactionIdGetDatum(GetTopFullTransactionId());
	/* the name sealed is the one of the move, whatever becomes of the table */
	p->values[LOG_ATT_TABLE_NAME - 1] = t->qualname_text;
	p->values[LOG_ATT_LOGIN_ROLE - 1] = login_text;

	if (xact_first_log == 0)
		xact_first_log = log_id;
	xact_last_log = Max(xact_last_log, log_id);
	xact_events++;
	count_subxact_event();

}

static int64
tuple_int8(HeapTuple tuple, TupleDesc desc, AttrNumber att)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, att, desc, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

static int32
tuple_cycle(WfTable *t, HeapTuple tuple, TupleDesc desc)
{
	bool		isnull;
	Datum		d;

	if (t->att_cycle == 0)
		return 1;
	d = heap_getattr(tuple, t->att_cycle, desc, &isnull);
	return isnull ? 1 : DatumGetInt32(d);
}

/* The status of a row as a pointer into its (detoasted) text, or NULL. */
static const char *
tuple_status(WfTable *t, HeapTuple tuple, TupleDesc desc, int *len)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, t->att_status, desc, &isnull);
	text	   *txt;

	if (isnull)
		return NULL;
	txt = DatumGetTextPP(d);
	*len = VARSIZE_ANY_EXHDR(txt);
	return VARDATA_ANY(txt);
}

static void
refuse_move(WfTable *t, int64 id, int64 org_id, const char *from,
			const char *to, int from_idx, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_ISMS_TRANSITION_REFUSED),
			 errmsg("cannot move %s " INT64_FORMAT " from \"%s\" to \"%s\"",
					t->label, id, from, to),
			 why ? errdetail("%s Allowed next states from \"%s\": %s.", why, from,
							 from_idx >= 0 ? allowed_next(t, from_idx, org_id) : "none")
			 : errdetail("Allowed next states from \"%s\": %s.", from,
						 from_idx >= 0 ? allowed_next(t, from_idx, org_id) : "none"),
			 errhint("Move the record one allowed step at a time; isms.next_states('%s', " INT64_FORMAT ") lists them.",
					 t->qualname, id)));
}

static void
check_guard(WfTable *t, int g, Datum *row, HeapTuple tuple, TupleDesc desc,
			int64 id, const char *from, const char *to)
{
	char	   *failure;

	if (g < 0)
		return;
	if (*row == (Datum) 0)
		*row = heap_copy_tuple_as_datum(tuple, desc);
	failure = run_guard(t, g, *row);
	if (failure != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_GUARD_FAILED),
				 errmsg("cannot move %s " INT64_FORMAT " from \"%s\" to \"%s\"",
						t->label, id, from, to),
				 errdetail("Guard \"%s\" does not hold: %s.", t->guards[g].name,
						   failure),
				 errhint("Record what the guard asks for, then move the record again.")));
}

/*
 * BEFORE INSERT OR UPDATE FOR EACH ROW on every workflow table.
 */
Datum
workflow_enforce(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	WfTable    *t;
	HeapTuple	newtuple;
	const char *to_name;
	int			to_len;
	int			to;
	int64		org_id;
	int64		id;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(td->tg_event))
		elog(ERROR, "isms.workflow_enforce() must be a BEFORE INSERT OR UPDATE row trigger");

	rel = td->tg_relation;
	desc = RelationGetDescr(rel);
	t = wf_get(rel);
	newtuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	to_name = tuple_status(t, newtuple, desc, &to_len);

	/* a NULL status is the NOT NULL constraint's to report */
	if (to_name == NULL)
		return PointerGetDatum(newtuple);

	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		/*
		 * A superuser's INSERT is a restore or a migration: rows arrive in
		 * whatever state they had, with their log restored beside them.
		 */
		if (superuser())
			return PointerGetDatum(newtuple);
		to = find_state(t, to_name, to_len);
		if (to < 0 || !t->states[to].initial)
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_BAD_INITIAL_STATE),
					 errmsg("cannot create %s with status \"%s\"", t->label,
							pnstrdup(to_name, to_len)),
					 errdetail("A new %s starts in %s.", t->label, initial_states(t)),
					 errhint("Insert it in an initial status, then move it with isms.transition().")));
		id = tuple_int8(newtuple, desc, t->att_id);
		/* cycles below 1 are the CHECK constraint's to report */
		if (tuple_cycle(t, newtuple, desc) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_TRANSITION_REFUSED),
					 errmsg("cannot create %s " INT64_FORMAT " in cycle %d",
							t->label, id, tuple_cycle(t, newtuple, desc)),
					 errdetail("A new record starts in PDCA cycle 1."),
					 errhint("Leave the cycle column to its default; the workflow engine counts cycles.")));
		/* logged by isms.workflow_log_created() once the row is inserted */
		return PointerGetDatum(newtuple);
	}
	else
	{
		HeapTuple	oldtuple = td->tg_trigtuple;
		const char *from_name;
		int			from_len;
		int			from;
		int32		old_cycle;
		int32		new_cycle;
		int			i;
		int			tr = -1;
		Datum		row = (Datum) 0;
		char	   *from_str;
		char	   *to_str;

		from_name = tuple_status(t, oldtuple, desc, &from_len);
		from = from_name ? find_state(t, from_name, from_len) : -1;
		old_cycle = tuple_cycle(t, oldtuple, desc);
		new_cycle = tuple_cycle(t, newtuple, desc);

		/* the common case: the status does not change */
		if (to_name && from_name && to_len == from_len &&
			memcmp(to_name, from_name, to_len) == 0)
		{
			if (status_in_set_list(t, td))
				refuse_same_state(t, oldtuple, desc, from);
			if (from >= 0 && t->states[from].terminal)
				ereport(ERROR,
						(errcode(ERRCODE_ISMS_RECORD_CLOSED),
						 errmsg("cannot change %s " INT64_FORMAT " in its final status \"%s\"",
								t->label, tuple_int8(oldtuple, desc, t->att_id),
								t->states[from].name),
						 errdetail("A record in a final status is kept as it was closed."),
						 errhint("Reopen it with a transition (isms.next_states lists them), then change it.")));
			if (new_cycle != old_cycle)
				ereport(ERROR,
						(errcode(ERRCODE_ISMS_TRANSITION_REFUSED),
						 errmsg("cannot change the cycle of %s " INT64_FORMAT " directly",
								t->label, tuple_int8(oldtuple, desc, t->att_id)),
						 errdetail("The cycle is %d; the workflow engine counts it.", old_cycle),
						 errhint("A new cycle starts when the record moves from an act state back to a plan state.")));
			return PointerGetDatum(newtuple);
		}

		org_id = tuple_int8(newtuple, desc, t->att_org);
		id = tuple_int8(newtuple, desc, t->att_id);
		from_str = from_name ? pnstrdup(from_name, from_len) : "(null)";
		to_str = to_name ? pnstrdup(to_name, to_len) : "(null)";
		to = to_name ? find_state(t, to_name, to_len) : -1;

		if (org_id != tuple_int8(oldtuple, desc, t->att_org) ||
			id != tuple_int8(oldtuple, desc, t->att_id))
			refuse_move(t, id, org_id, from_str, to_str, from,
						"A transition cannot also change the record's organisation or id.");
		if (from < 0)
			refuse_move(t, id, org_id, from_str, to_str, from,
						"The current status is not a state of the workflow.");
		if (to < 0)
			refuse_move(t, id, org_id, from_str, to_str, from,
						psprintf("\"%s\" is not a state of the %s workflow.",
								 to_str, t->workflow));
		for (i = 0; i < t->ntransitions; i++)
			if (t->transitions[i].from == from && t->transitions[i].to == to)
				tr = i;
		if (tr < 0)
			refuse_move(t, id, org_id, from_str, to_str, from, NULL);
		for (i = 0; i < t->nrestrictions; i++)
			if (t->restrictions[i].transition == tr &&
				t->restrictions[i].org_id == org_id &&
				t->restrictions[i].disabled)
				refuse_move(t, id, org_id, from_str, to_str, from,
							"The organisation has removed this transition from its workflow.");
		if (t->transitions[tr].reason_required &&
			(isms_reason == NULL || isms_reason[0] == '\0'))
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_GUARD_FAILED),
					 errmsg("cannot move %s " INT64_FORMAT " from \"%s\" to \"%s\"",
							t->label, id, from_str, to_str),
					 errdetail("This transition requires a reason."),
					 errhint("Pass the reason to isms.transition(), or SET LOCAL isms.reason before the UPDATE.")));
		if (new_cycle != old_cycle)
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_TRANSITION_REFUSED),
					 errmsg("cannot change the cycle of %s " INT64_FORMAT " directly",
							t->label, id),
					 errdetail("The cycle is %d; the workflow engine counts it.", old_cycle),
					 errhint("Leave the cycle column out of the UPDATE.")));

		check_guard(t, t->transitions[tr].guard, &row, newtuple, desc, id,
					from_str, to_str);
		for (i = 0; i < t->nrestrictions; i++)
			if (t->restrictions[i].transition == tr &&
				t->restrictions[i].org_id == org_id)
				check_guard(t, t->restrictions[i].guard, &row, newtuple, desc,
							id, from_str, to_str);

		/* act -> plan starts a new PDCA cycle */
		if (t->att_cycle != 0 && t->states[from].phase == PHASE_ACT &&
			t->states[to].phase == PHASE_PLAN)
		{
			int			col = t->att_cycle;
			Datum		value = Int32GetDatum(old_cycle + 1);
			bool		isnull = false;

			new_cycle = old_cycle + 1;
			newtuple = heap_modify_tuple_by_cols(newtuple, desc, 1, &col,
												 &value, &isnull);
		}
		log_transition(t, org_id, id, from, to, new_cycle);
		return PointerGetDatum(newtuple);
	}
}

/* AFTER INSERT OR UPDATE FOR EACH STATEMENT: writes the last batch. */
Datum
workflow_flush(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "isms.workflow_flush() must be a statement trigger");
	if (npending > 0)
	{
		wf_init();
		flush_pending();
	}
	return PointerGetDatum(NULL);
}

/* Statement trigger on the definition tables: every backend reloads. */
Datum
workflow_definition_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "isms.workflow_definition_changed() must be a trigger");
	CacheInvalidateRelcacheByRelid(isms_relid("workflow"));
	return PointerGetDatum(NULL);
}

/*
 * isms.next_states(regclass, bigint): the moves open to a record now, with
 * whether each guard holds, for applications to build their buttons.
 */
Datum
workflow_next_states(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = PG_GETARG_OID(0);
	int64		id = PG_GETARG_INT64(1);
	Relation	rel;
	WfTable    *t;
	TupleDesc	desc;
	HeapTupleData tuple;
	Datum		row;
	Datum		arg[1];
	Oid			argtypes[1] = {INT8OID};
	const char *status;
	int			status_len;
	int			from;
	int64		org_id;
	int			i;
	IsmsRestrict safe;

	InitMaterializedSRF(fcinfo, 0);
	rel = table_open(relid, AccessShareLock);
	t = wf_get(rel);
	desc = RelationGetDescr(rel);

	arg[0] = Int64GetDatum(id);
	isms_restrict_begin(&safe, InvalidOid);
	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT t FROM %s t WHERE t.id OPERATOR(pg_catalog.=) $1",
									   t->qualname),
							  1, argtypes, arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read %s", t->qualname);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("%s " INT64_FORMAT " does not exist", t->label, id),
				 errdetail("No row of %s with id " INT64_FORMAT " is visible to you.",
						   t->qualname, id),
				 errhint("Check the id and your organisation membership.")));
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									  1, &isnull);

		row = SPI_datumTransfer(d, false, -1);
	}
	SPI_finish();
	isms_restrict_end(&safe);

	tuple.t_data = DatumGetHeapTupleHeader(row);
	tuple.t_len = HeapTupleHeaderGetDatumLength(tuple.t_data);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = relid;
	status = tuple_status(t, &tuple, desc, &status_len);
	from = status ? find_state(t, status, status_len) : -1;
	org_id = tuple_int8(&tuple, desc, t->att_org);

	for (i = 0; from >= 0 && i < t->ntransitions; i++)
	{
		WfTransition *tr = &t->transitions[i];
		Datum		values[7];
		bool		nulls[7] = {false, false, false, true, false, true, false};
		char	   *failure = NULL;
		bool		disabled = false;
		int			k;

		if (tr->from != from)
			continue;
		for (k = 0; k < t->nrestrictions; k++)
			if (t->restrictions[k].transition == i &&
				t->restrictions[k].org_id == org_id)
			{
				if (t->restrictions[k].disabled)
					disabled = true;
				else if (failure == NULL && t->restrictions[k].guard >= 0)
					failure = run_guard(t, t->restrictions[k].guard, row);
			}
		if (disabled)
			continue;
		if (failure == NULL && tr->guard >= 0)
			failure = run_guard(t, tr->guard, row);

		values[0] = CStringGetTextDatum(t->states[tr->to].name);
		values[1] = CStringGetTextDatum(phase_names[t->states[tr->to].phase]);
		values[2] = BoolGetDatum(t->states[from].phase == PHASE_ACT &&
								 t->states[tr->to].phase == PHASE_PLAN);
		if (tr->guard >= 0)
		{
			values[3] = CStringGetTextDatum(t->guards[tr->guard].name);
			nulls[3] = false;
		}
		values[4] = BoolGetDatum(failure == NULL);
		if (failure)
		{
			values[5] = CStringGetTextDatum(failure);
			nulls[5] = false;
		}
		values[6] = BoolGetDatum(tr->reason_required);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

/*
 * Records stay attached to their log.  What follows keeps the log telling
 * what happened to each record: a creation is logged once the row is
 * really inserted (not for a row an ON CONFLICT clause skipped), an UPDATE
 * that names the status and leaves it is refused as isms.transition()
 * refuses it, a record that has moved is never deleted, and a transaction
 * that moved records is never prepared (its seal and outbox row are
 * written at COMMIT, which PREPARE TRANSACTION leaves to another session).
 */

/* The final states of a workflow, quoted, for messages. */
static char *
final_states(WfTable *t)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < t->nstates; i++)
		if (t->states[i].terminal)
			appendStringInfo(&buf, "%s\"%s\"", buf.len ? ", " : "",
							 t->states[i].name);
	if (buf.len == 0)
		appendStringInfoString(&buf, "none");
	return buf.data;
}

/* Whether the UPDATE's SET list names the status column. */
static bool
status_in_set_list(WfTable *t, TriggerData *td)
{
	return bms_is_member(t->att_status - FirstLowInvalidHeapAttributeNumber,
						 td->tg_updatedcols);
}

/* An UPDATE that sets the status a record already has: IS001, as isms.transition(). */
static void
refuse_same_state(WfTable *t, HeapTuple oldtuple, TupleDesc desc, int from)
{
	int			len;
	const char *name = tuple_status(t, oldtuple, desc, &len);
	char	   *state = pnstrdup(name, len);
	int64		id = tuple_int8(oldtuple, desc, t->att_id);

	ereport(ERROR,
			(errcode(ERRCODE_ISMS_TRANSITION_REFUSED),
			 errmsg("cannot move %s " INT64_FORMAT " from \"%s\" to \"%s\"",
					t->label, id, state, state),
			 errdetail("The %s is already \"%s\"; another session may have moved it. Allowed next states from \"%s\": %s.",
					   t->label, state, state,
					   from >= 0 ? allowed_next(t, from, tuple_int8(oldtuple, desc, t->att_org)) : "none"),
			 errhint("Leave status out of the SET list to change other columns; to move the record only from the state you read, add AND status = '<that state>' to the WHERE clause.")));
}

/*
 * AFTER INSERT FOR EACH ROW on every workflow table: logs the creation of
 * a row that was really inserted.  isms.workflow_enforce() has checked it.
 */
Datum
workflow_log_created(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	WfTable    *t;
	HeapTuple	tuple;
	const char *name;
	int			len;
	int			to;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(td->tg_event))
		elog(ERROR, "isms.workflow_log_created() must be an AFTER INSERT row trigger");

	/* a superuser's INSERT is a restore: its log is restored beside it */
	if (superuser())
		return PointerGetDatum(NULL);
	rel = td->tg_relation;
	desc = RelationGetDescr(rel);
	t = wf_get(rel);
	tuple = td->tg_trigtuple;
	name = tuple_status(t, tuple, desc, &len);
	to = name ? find_state(t, name, len) : -1;
	if (to < 0)
		elog(ERROR, "%s has no state \"%s\"", t->qualname,
			 name ? pnstrdup(name, len) : "(null)");
	log_transition(t, tuple_int8(tuple, desc, t->att_org),
				   tuple_int8(tuple, desc, t->att_id), -1, to, 1);
	return PointerGetDatum(NULL);
}

/* Whether the log holds a move (not the creation) of the record. */
static bool
record_has_moves(WfTable *t, int64 org_id, int64 id)
{
	Oid			nsp;
	Oid			idx;
	Relation	logrel;
	Relation	idxrel;
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;
	int			i;

	/* queued by this transaction and not yet written */
	for (i = 0; i < npending; i++)
		if (DatumGetObjectId(pending[i].values[2]) == t->table &&
			DatumGetInt64(pending[i].values[3]) == id &&
			DatumGetInt64(pending[i].values[1]) == org_id &&
			!pending[i].nulls[5])
			return true;

	nsp = get_namespace_oid("isms", false);
	idx = get_relname_relid("transition_log_record", nsp);
	if (!OidIsValid(idx))
		elog(ERROR, "isms index \"transition_log_record\" is missing");
	/* on a Citus worker, the log's shard colocated with the record's */
	idx = isms_citus_colocated_index(t->log_target, idx);
	logrel = table_open(t->log_target, AccessShareLock);
	idxrel = index_open(idx, AccessShareLock);
	/* heap attribute numbers: record_table, record_id */
	ScanKeyInit(&keys[0], 3, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(t->table));
	ScanKeyInit(&keys[1], 4, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(id));
	/* committed moves of any transaction, and this one's */
	scan = systable_beginscan(logrel, idx, true, SnapshotSelf, 2, keys);
	while ((tuple = systable_getnext(scan)) != NULL)
	{
		bool		isnull;

		if (DatumGetInt64(heap_getattr(tuple, 2, RelationGetDescr(logrel), &isnull)) == org_id)
		{
			found = true;
			break;
		}
	}
	systable_endscan(scan);
	index_close(idxrel, AccessShareLock);
	table_close(logrel, AccessShareLock);
	return found;
}

/*
 * BEFORE DELETE FOR EACH ROW on every workflow table: a record in a final
 * state, or that has moved, is kept with its log (IS090), whoever deletes.
 * A record still in its initial state that never moved may be deleted: a
 * record entered by mistake; its creation stays in the log and the trail.
 */
Datum
workflow_refuse_delete(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	WfTable    *t;
	HeapTuple	tuple;
	const char *name;
	int			len;
	int			state;
	int64		org_id;
	int64		id;
	int32		cycle;
	char	   *why = NULL;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!TRIGGER_FIRED_BY_DELETE(td->tg_event))
		elog(ERROR, "isms.workflow_refuse_delete() must be a BEFORE DELETE row trigger");

	rel = td->tg_relation;
	desc = RelationGetDescr(rel);
	t = wf_get(rel);
	tuple = td->tg_trigtuple;
	name = tuple_status(t, tuple, desc, &len);
	if (name == NULL)
		return PointerGetDatum(tuple);
	state = find_state(t, name, len);
	org_id = tuple_int8(tuple, desc, t->att_org);
	id = tuple_int8(tuple, desc, t->att_id);
	cycle = tuple_cycle(t, tuple, desc);

	if (state >= 0 && t->states[state].terminal)
		why = psprintf("It is in the final status \"%s\" of the %s workflow.",
					   t->states[state].name, t->workflow);
	else if (state < 0 || !t->states[state].initial || cycle > 1)
		why = psprintf("It is \"%s\" in PDCA cycle %d: it has moved since it was created, and its moves are in isms.transition_log.",
					   pnstrdup(name, len), cycle);
	else if (record_has_moves(t, org_id, id))
		why = psprintf("It is \"%s\" again, but it has moved since it was created, and its moves are in isms.transition_log.",
					   pnstrdup(name, len));
	if (why == NULL)
		return PointerGetDatum(tuple);

	ereport(ERROR,
			(errcode(ERRCODE_ISMS_RECORD_ATTACHED),
			 errmsg("cannot delete %s " INT64_FORMAT " of organisation " INT64_FORMAT ": a record that has moved is kept with its log",
					t->label, id, org_id),
			 errdetail("%s", why),
			 state >= 0 && t->states[state].terminal ?
			 errhint("A record in a final status is kept as it was closed; the %s workflow ends its records in %s.",
					 t->workflow, final_states(t)) :
			 errhint("End the record with a move to a final status of the %s workflow (%s): isms.next_states('%s', " INT64_FORMAT ") lists the moves open to it.",
					 t->workflow, final_states(t), t->qualname, id)));
	return PointerGetDatum(NULL);
}

/* PREPARE TRANSACTION of a transaction that moved records (0A000). */
static void
refuse_prepare(void)
{
	if (xact_events == 0 && npending == 0 && nseal_batches == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot PREPARE a transaction that moved workflow records"),
			 errdetail_plural("The transaction logged %d workflow move (creations included); its seal in the trail, its outbox row and the isms_events notification are written at COMMIT, which a prepared transaction leaves to another session.",
							  "The transaction logged %d workflow moves (creations included); their seal in the trail, their outbox row and the isms_events notification are written at COMMIT, which a prepared transaction leaves to another session.",
							  xact_events, xact_events),
			 errhint("COMMIT the transaction instead, or make the moves in a transaction of their own that is not prepared.")));
}
