/*-------------------------------------------------------------------------
 *
 * document.c
 *	  Document control (Clause 7.5): one trigger, isms.document_control(),
 *	  on isms.document, isms.document_version and isms.document_approval.
 *
 * BEFORE INSERT OR UPDATE FOR EACH ROW:
 *
 *	document_version INSERT: a new version is a draft (IS004) by the person
 *		acting (IS011), numbered above every version of its document
 *		(IS014; a NULL number becomes 0.1, else the next minor above the
 *		latest), with a change reason unless it is the first (IS002), and
 *		the only version of its document in preparation (23505).
 *	document_version UPDATE: the number, document, author and validity of a
 *		version are fixed; its content changes only while it is a draft;
 *		its status moves draft -> in_review -> approved -> published, back
 *		to draft from in_review or approved, and to retired from any of
 *		those (with a reason, IS002).  Approval and publication need the
 *		latest decision on the version to approve its current content, by
 *		someone other than its author (IS013, IS011).  Publication sets
 *		validity = [now, infinity) and supersedes the version in force,
 *		closing its validity at the same instant; retirement closes it.  A
 *		published, superseded or retired version accepts nothing else
 *		(IS010): that is the immutability of what was in force.
 *	document_approval INSERT: a decision on a version in review, in the
 *		name of the person acting, never its author (IS011); decided_at and
 *		sha256 are set from the transaction and the version.  UPDATE of an
 *		approval is refused (IS010).
 *	document INSERT: a new document is a draft (IS004).  UPDATE: its status
 *		follows its versions and cannot be set directly (IS001).
 *
 * BEFORE DELETE FOR EACH ROW and BEFORE TRUNCATE: refused (IS012).
 *
 * A superuser's INSERT is taken as it is, unchecked and without side
 * effects (that is how pg_dump's restore reloads versions, approvals and
 * their trail); every UPDATE is checked, whoever runs it.
 *
 * After a version's status changes, the trigger sets isms.document.status
 * (draft, in_review, approved, published, under_revision, retired), and it
 * appends the approval decisions, publications and retirements to the
 * evidence trail.  Every change to a version locks its document row first,
 * so changes to one document's versions are serialised.
 *
 * Lookups and writes go through SPI with plans prepared once per backend,
 * as the calling user: row-level security applies, so a row of an
 * organisation the user is not a member of is simply not found and the
 * statement is left to row-level security to refuse.  The attribute
 * numbers of the three tables are cached per relation and forgotten on a
 * relcache invalidation (ALTER TABLE, DROP).
 *
 * Distributed by Citus (isms.citus_distribute()), the trigger fires on a
 * worker's shard of the three tables.  It serves the shard as its table
 * (isms_citus_table_of()), with the shard's own attribute numbers; each of
 * its statements names the row's org_id, so Citus routes it to the
 * colocated shard on the same node, run by local execution in the same
 * transaction, and the trail entries name the table, never the shard.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "citus.h"
#include "codec.h"
#include "commands/trigger.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "isms.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "trail.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

/* successors of isms.docver (docver.c) */
extern Datum docver_next_minor(PG_FUNCTION_ARGS);
extern Datum docver_next_major(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(document_control);
PG_FUNCTION_INFO_V1(document_content_sha256);

/* the tables of document control */
typedef enum DocTable
{
	DOC_DOCUMENT = 0,
	DOC_VERSION,
	DOC_APPROVAL,
	DOC_NTABLES
} DocTable;

static const char *const doc_table_names[DOC_NTABLES] = {
	"document", "document_version", "document_approval"
};

/* the columns the trigger reads, per table */
enum
{
	/* document */
	D_ORG = 0, D_ID, D_CODE, D_STATUS, D_NCOLS
};
enum
{
	/* document_version */
	V_ORG = 0, V_ID, V_DOCUMENT, V_VERSION, V_STATUS, V_AUTHOR,
	V_CHANGE_REASON, V_SHA256, V_VALIDITY,
	V_CREATED_AT, V_CREATED_BY, V_UPDATED_AT, V_UPDATED_BY, V_AUTHOR_LOGIN,
	V_NCOLS
};
enum
{
	/* document_approval */
	A_ORG = 0, A_ID, A_VERSION, A_DECISION, A_COMMENT, A_APPROVER,
	A_DECIDED_AT, A_SHA256, A_APPROVER_LOGIN, A_NCOLS
};

#define DOC_MAX_COLS V_NCOLS

typedef struct DocColumn
{
	const char *name;
	Oid			type;			/* InvalidOid: isms.docver */
} DocColumn;

static const DocColumn doc_columns[DOC_NTABLES][DOC_MAX_COLS] = {
	{{"org_id", INT8OID}, {"id", INT8OID}, {"code", TEXTOID}, {"status", TEXTOID}},
	{{"org_id", INT8OID}, {"id", INT8OID}, {"document_id", INT8OID},
	 {"version", InvalidOid}, {"status", TEXTOID}, {"author", TEXTOID},
	 {"change_reason", TEXTOID}, {"sha256", BYTEAOID},
	 {"validity", TSTZRANGEOID}, {"created_at", TIMESTAMPTZOID},
	 {"created_by", TEXTOID}, {"updated_at", TIMESTAMPTZOID},
	 {"updated_by", TEXTOID}, {"author_login", TEXTOID}},
	{{"org_id", INT8OID}, {"id", INT8OID}, {"version_id", INT8OID},
	 {"decision", TEXTOID}, {"comment", TEXTOID}, {"approver", TEXTOID},
	 {"decided_at", TIMESTAMPTZOID}, {"sha256", BYTEAOID},
	 {"approver_login", TEXTOID}}
};
static const int doc_ncols[DOC_NTABLES] = {D_NCOLS, V_NCOLS, A_NCOLS};

/* cached per relation: its OID and the attribute numbers of its columns */
typedef struct DocRel
{
	Oid			relid;
	bool		valid;
	AttrNumber	att[DOC_MAX_COLS];
} DocRel;

static DocRel doc_rels[DOC_NTABLES];

/* cached per Citus shard of the three tables on this node */
typedef struct DocShard
{
	DocTable	table;
	DocRel		rel;
} DocShard;

static DocShard *doc_shards;
static int	doc_nshards;
static int	doc_maxshards;

/*
 * Set by each call of the trigger: it fires on a shard, so its statements
 * query Citus tables inside the shard's task (see doc_exec()).
 */
static bool doc_on_shard = false;

/* plans, prepared on first use and kept for the life of the backend */
typedef enum DocPlan
{
	P_LOCK_DOCUMENT = 0,
	P_OTHER_VERSIONS,
	P_SET_STATUS,
	P_LATEST_DECISION,
	P_SUPERSEDE,
	P_VERSION_FOR_DECISION,
	P_NPLANS
} DocPlan;

typedef struct DocPlanDef
{
	const char *sql;
	int			nargs;
	Oid			argtypes[3];
} DocPlanDef;

static const DocPlanDef doc_plan_defs[P_NPLANS] = {
	{"SELECT d.code, d.status FROM isms.document d "
		"WHERE d.org_id OPERATOR(pg_catalog.=) $1 AND d.id OPERATOR(pg_catalog.=) $2 "
		"FOR NO KEY UPDATE",
	2, {INT8OID, INT8OID}},
	{"SELECT v.version, v.status FROM isms.document_version v "
		"WHERE v.org_id OPERATOR(pg_catalog.=) $1 "
		"AND v.document_id OPERATOR(pg_catalog.=) $2 "
		"AND v.id OPERATOR(pg_catalog.<>) $3 "
		"ORDER BY v.version DESC",
	3, {INT8OID, INT8OID, INT8OID}},
	{"UPDATE isms.document d SET status = $3 "
		"WHERE d.org_id OPERATOR(pg_catalog.=) $1 AND d.id OPERATOR(pg_catalog.=) $2",
	3, {INT8OID, INT8OID, TEXTOID}},
	{"SELECT a.id, a.decision, a.approver, a.sha256, a.decided_at, a.approver_login "
		"FROM isms.document_approval a WHERE a.org_id OPERATOR(pg_catalog.=) $1 "
		"AND a.version_id OPERATOR(pg_catalog.=) $2 "
		"ORDER BY a.decided_at DESC, a.id DESC LIMIT 1",
	2, {INT8OID, INT8OID}},
	{"UPDATE isms.document_version v SET status = 'superseded' "
		"WHERE v.org_id OPERATOR(pg_catalog.=) $1 AND v.document_id OPERATOR(pg_catalog.=) $2 "
		"AND v.status OPERATOR(pg_catalog.=) 'published'::pg_catalog.text "
		"RETURNING v.version",
	2, {INT8OID, INT8OID}},
	{"SELECT v.status, v.author, v.sha256, v.version, v.document_id, d.code, v.author_login "
		"FROM isms.document_version v JOIN isms.document d "
		"ON d.org_id OPERATOR(pg_catalog.=) v.org_id AND d.id OPERATOR(pg_catalog.=) v.document_id "
		"WHERE v.org_id OPERATOR(pg_catalog.=) $1 AND v.id OPERATOR(pg_catalog.=) $2 "
		"FOR SHARE OF v",
	2, {INT8OID, INT8OID}}
};

static SPIPlanPtr doc_plans[P_NPLANS];

/*
 * Set while this backend's own statements run: the status update of a
 * document, and the supersession of the version in force of a document.
 */
static bool syncing_status = false;
static int64 superseding_document = 0;
static TimestampTz superseding_at = 0;	/* the publication's instant */

/* version states */
typedef enum VState
{
	VS_DRAFT = 0,
	VS_IN_REVIEW,
	VS_APPROVED,
	VS_PUBLISHED,
	VS_SUPERSEDED,
	VS_RETIRED,
	VS_UNKNOWN
} VState;

static const char *const vstate_names[] = {
	"draft", "in_review", "approved", "published", "superseded", "retired"
};

/* the moves a user may make, from each state; NULL-terminated */
static const char *const allowed_moves[][4] = {
	{"in_review", "retired", NULL},
	{"draft", "approved", "retired", NULL},
	{"published", "draft", "retired", NULL},
	{"retired", NULL},
	{NULL},
	{NULL}
};

/* ------------------------------------------------------------------------
 * Metadata
 */

/* Forgets the metadata of relid (all for InvalidOid); see isms.c. */
void
document_relcache_invalidate(Oid relid)
{
	int			i;

	for (i = 0; i < DOC_NTABLES; i++)
		if (relid == InvalidOid || relid == doc_rels[i].relid)
			doc_rels[i].valid = false;
	for (i = 0; i < doc_nshards; i++)
		if (relid == InvalidOid || relid == doc_shards[i].rel.relid)
			doc_shards[i].rel.valid = false;
}

static Oid
docver_type_oid(Oid nsp)
{
	Oid			typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										CStringGetDatum("docver"),
										ObjectIdGetDatum(nsp));

	if (!OidIsValid(typid))
		elog(ERROR, "type isms.docver is missing");
	return typid;
}

/*
 * Loads the columns of relation relid, table t of document control or a
 * shard of it, into r.
 */
static void
doc_load_rel(DocTable t, Oid relid, DocRel *r)
{
	Oid			nsp = get_namespace_oid("isms", false);
	int			c;

	for (c = 0; c < doc_ncols[t]; c++)
	{
		const DocColumn *col = &doc_columns[t][c];
		AttrNumber	att = get_attnum(relid, col->name);
		Oid			want = OidIsValid(col->type) ? col->type : docver_type_oid(nsp);

		if (att == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table isms.%s has no column \"%s\"",
							doc_table_names[t], col->name),
					 errhint("isms.document_control() needs the columns of document control as CREATE EXTENSION made them.")));
		if (get_atttype(relid, att) != want)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of table isms.%s has type %s, isms.document_control() needs %s",
							col->name, doc_table_names[t],
							format_type_be(get_atttype(relid, att)),
							format_type_be(want))));
		r->att[c] = att;
	}
	r->relid = relid;
	r->valid = true;
}

/* Loads the OID and columns of table t. */
static void
doc_load(DocTable t)
{
	Oid			relid = get_relname_relid(doc_table_names[t],
										  get_namespace_oid("isms", false));

	if (!OidIsValid(relid))
		elog(ERROR, "isms relation \"%s\" is missing", doc_table_names[t]);
	doc_load_rel(t, relid, &doc_rels[t]);
}

/*
 * The columns of shard relid of table t, cached.  A shard created after a
 * column of its table was dropped numbers its columns apart from the
 * table, so each shard has its own.
 */
static const DocRel *
doc_shard_rel(DocTable t, Oid relid)
{
	DocShard   *s = NULL;
	int			i;

	for (i = 0; i < doc_nshards; i++)
		if (doc_shards[i].rel.relid == relid)
		{
			s = &doc_shards[i];
			break;
		}
	if (s == NULL)
	{
		/* reuse an entry forgotten on invalidation, else add one */
		for (i = 0; i < doc_nshards; i++)
			if (!doc_shards[i].rel.valid)
			{
				s = &doc_shards[i];
				break;
			}
		if (s == NULL)
		{
			if (doc_nshards == doc_maxshards)
			{
				int			size = doc_maxshards ? doc_maxshards * 2 : 16;

				doc_shards = doc_shards ?
					repalloc(doc_shards, sizeof(DocShard) * size) :
					MemoryContextAlloc(TopMemoryContext, sizeof(DocShard) * size);
				doc_maxshards = size;
			}
			s = &doc_shards[doc_nshards++];
		}
		s->rel.relid = relid;
		s->rel.valid = false;
	}
	if (!s->rel.valid || s->table != t)
	{
		s->rel.valid = false;
		s->table = t;
		doc_load_rel(t, relid, &s->rel);
	}
	return &s->rel;
}

/*
 * Which table of document control rel is, or which table's shard; sets *r
 * to its columns.  Refuses any other table.
 */
static DocTable
doc_table_of(Relation rel, const DocRel **r)
{
	Oid			relid = RelationGetRelid(rel);
	Oid			table;
	int			t;

	for (t = 0; t < DOC_NTABLES; t++)
		if (!doc_rels[t].valid)
			doc_load((DocTable) t);
	doc_on_shard = false;
	for (t = 0; t < DOC_NTABLES; t++)
		if (doc_rels[t].relid == relid)
		{
			*r = &doc_rels[t];
			return (DocTable) t;
		}
	/* a Citus shard of one of them, on a worker */
	table = isms_citus_table_of(relid);
	for (t = 0; table != relid && t < DOC_NTABLES; t++)
		if (doc_rels[t].relid == table)
		{
			*r = doc_shard_rel((DocTable) t, relid);
			doc_on_shard = true;
			return (DocTable) t;
		}
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("isms.document_control() is not a trigger of table \"%s\"",
					RelationGetRelationName(rel)),
			 errhint("It serves isms.document, isms.document_version and isms.document_approval only.")));
	return DOC_DOCUMENT;		/* keep the compiler quiet */
}

static SPIPlanPtr
doc_plan(DocPlan p)
{
	if (doc_plans[p] == NULL)
	{
		const DocPlanDef *def = &doc_plan_defs[p];
		SPIPlanPtr	plan = SPI_prepare(def->sql, def->nargs,
									   (Oid *) def->argtypes);

		if (plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", def->sql,
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		doc_plans[p] = plan;
	}
	return doc_plans[p];
}

/*
 * Runs a plan as the caller (row-level security applies), with search_path
 * pinned for its preparation and execution.
 *
 * On a shard, the statement queries a Citus table inside the shard's task,
 * which Citus refuses unless citus.allow_nested_distributed_execution is
 * on: it is, for this statement only.  Every plan names the row's org_id,
 * so Citus routes it to the shard colocated with the trigger's, on this
 * node, and runs it locally in the same transaction.
 */
static int
doc_exec(DocPlan p, Datum *args, const char *nulls, bool read_only, long count)
{
	IsmsRestrict safe;
	int			rc;

	isms_restrict_begin(&safe, InvalidOid);
	if (doc_on_shard &&
		GetConfigOption("citus.allow_nested_distributed_execution", true, false) != NULL)
		(void) set_config_option("citus.allow_nested_distributed_execution", "on",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_plan(doc_plan(p), args, nulls, read_only, count);
	isms_restrict_end(&safe);
	if (rc < 0)
		elog(ERROR, "document control: \"%s\" failed: %s",
			 doc_plan_defs[p].sql, SPI_result_code_string(rc));
	return rc;
}

/* ------------------------------------------------------------------------
 * Helpers
 */

static int64
get_int8(HeapTuple tuple, TupleDesc desc, AttrNumber att)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, att, desc, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/* A text column as a C string, or NULL. */
static char *
get_cstring(HeapTuple tuple, TupleDesc desc, AttrNumber att)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, att, desc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static char *
spi_cstring(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
								  col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static Datum
spi_datum(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col,
						 isnull);
}

static VState
vstate_of(const char *s)
{
	int			i;

	if (s == NULL)
		return VS_UNKNOWN;
	for (i = 0; i < VS_UNKNOWN; i++)
		if (strcmp(s, vstate_names[i]) == 0)
			return (VState) i;
	return VS_UNKNOWN;
}

static bool
vstate_open(VState s)
{
	return s == VS_DRAFT || s == VS_IN_REVIEW || s == VS_APPROVED;
}

static char *
docver_text(int32 v)
{
	char	   *buf = palloc(DOCVER_MAX_TEXT);

	docver_format(v, buf);
	return buf;
}

static char *
allowed_list(VState from)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; from < VS_UNKNOWN && allowed_moves[from][i] != NULL; i++)
		appendStringInfo(&buf, "%s\"%s\"", i ? ", " : "", allowed_moves[from][i]);
	if (buf.len == 0)
		appendStringInfoString(&buf, "none");
	return buf.data;
}

/* UTC, as the trail encodes times: 2025-03-01T09:30:00.000000Z */
static char *
utc_text(TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range");
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
					tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
}

static char *
hex_of(bytea *b)
{
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(b);
	int			len = VARSIZE_ANY_EXHDR(b);
	char	   *out = palloc(len * 2 + 1);
	int			i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[len * 2] = '\0';
	return out;
}

/* JSON payload builder: "key": value pairs */
static void
json_key(StringInfo buf, const char *key)
{
	appendStringInfoString(buf, buf->len > 1 ? ", " : "");
	escape_json(buf, key);
	appendStringInfoString(buf, ": ");
}

static void
json_str(StringInfo buf, const char *key, const char *value)
{
	json_key(buf, key);
	if (value)
		escape_json(buf, value);
	else
		appendStringInfoString(buf, "null");
}

static void
json_int8(StringInfo buf, const char *key, int64 value)
{
	json_key(buf, key);
	appendStringInfo(buf, INT64_FORMAT, value);
}

static Jsonb *
json_finish(StringInfo buf)
{
	appendStringInfoChar(buf, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf->data)));
}

/*
 * The first column, other than those named in skip, whose value differs
 * between the two tuples; NULL when none does.  Generated columns follow
 * the others and are not compared.
 */
static const char *
changed_column(Relation rel, HeapTuple oldtuple, HeapTuple newtuple,
			   const AttrNumber *skip, int nskip)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		oldnull;
		bool		newnull;
		Datum		oldval;
		Datum		newval;
		int			k;
		bool		skipped = false;

		if (att->attisdropped || att->attgenerated)
			continue;
		for (k = 0; k < nskip; k++)
			if (skip[k] == att->attnum)
				skipped = true;
		if (skipped)
			continue;
		oldval = heap_getattr(oldtuple, att->attnum, desc, &oldnull);
		newval = heap_getattr(newtuple, att->attnum, desc, &newnull);
		if (oldnull != newnull ||
			(!oldnull && !datum_image_eq(oldval, newval, att->attbyval, att->attlen)))
			return NameStr(att->attname);
	}
	return NULL;
}

static bool
column_changed(Relation rel, HeapTuple oldtuple, HeapTuple newtuple,
			   AttrNumber attnum)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
	bool		oldnull;
	bool		newnull;
	Datum		oldval = heap_getattr(oldtuple, attnum, desc, &oldnull);
	Datum		newval = heap_getattr(newtuple, attnum, desc, &newnull);

	return oldnull != newnull ||
		(!oldnull && !datum_image_eq(oldval, newval, att->attbyval, att->attlen));
}

static TypeCacheEntry *
tstzrange_typcache(void)
{
	return lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
}

/* [from, infinity) */
static Datum
range_from(TimestampTz from)
{
	RangeBound	lower;
	RangeBound	upper;

	lower.val = TimestampTzGetDatum(from);
	lower.infinite = false;
	lower.inclusive = true;
	lower.lower = true;
	upper.val = (Datum) 0;
	upper.infinite = true;
	upper.inclusive = false;
	upper.lower = false;
	return RangeTypePGetDatum(make_range(tstzrange_typcache(), &lower, &upper, false));
}

/*
 * validity closed at "until": [lower, until).  A version published at a
 * later clock time than "until" (the clock stepped back) cannot be closed
 * before it began: serialization_failure, retry.
 */
static Datum
range_close(Datum range, TimestampTz until, const char *what)
{
	TypeCacheEntry *typcache = tstzrange_typcache();
	RangeBound	lower;
	RangeBound	upper;
	bool		empty;

	range_deserialize(typcache, DatumGetRangeTypeP(range), &lower, &upper, &empty);
	if (empty)
		return range;
	if (!lower.infinite &&
		DatumGetTimestampTz(lower.val) > until)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not end the validity of %s: it began after this change takes effect", what),
				 errdetail("It is in force from %s; this change takes effect at %s.",
						   utc_text(DatumGetTimestampTz(lower.val)), utc_text(until)),
				 errhint("Retry the transaction.")));
	upper.val = TimestampTzGetDatum(until);
	upper.infinite = false;
	upper.inclusive = false;
	return RangeTypePGetDatum(make_range(typcache, &lower, &upper, false));
}

/* ------------------------------------------------------------------------
 * Documents
 */

typedef struct DocInfo
{
	bool		found;
	char	   *code;
	char	   *status;
} DocInfo;

/* Locks the document row (as the caller: not found when not visible). */
static DocInfo
lock_document(int64 org_id, int64 document_id)
{
	DocInfo		info = {false, NULL, NULL};
	Datum		args[2] = {Int64GetDatum(org_id), Int64GetDatum(document_id)};

	doc_exec(P_LOCK_DOCUMENT, args, NULL, false, 1);
	if (SPI_processed == 0)
		return info;
	info.found = true;
	info.code = spi_cstring(0, 1);
	info.status = spi_cstring(0, 2);
	if (info.code == NULL)
		info.code = psprintf(INT64_FORMAT, document_id);
	return info;
}

/* What the other versions of a document are. */
typedef struct OtherVersions
{
	int			count;
	bool		latest_found;
	int32		latest;			/* highest version number */
	bool		published;		/* one of them is in force */
	VState		open;			/* the one in preparation, or VS_UNKNOWN */
	int32		open_version;
} OtherVersions;

static OtherVersions
other_versions(int64 org_id, int64 document_id, int64 version_id)
{
	OtherVersions o = {0, false, 0, false, VS_UNKNOWN, 0};
	Datum		args[3] = {Int64GetDatum(org_id), Int64GetDatum(document_id),
	Int64GetDatum(version_id)};
	uint64		i;

	doc_exec(P_OTHER_VERSIONS, args, NULL, false, 0);
	o.count = (int) SPI_processed;
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int32		v = DatumGetInt32(spi_datum(i, 1, &isnull));
		VState		s = vstate_of(spi_cstring(i, 2));

		if (i == 0)
		{
			o.latest_found = true;
			o.latest = v;
		}
		if (s == VS_PUBLISHED)
			o.published = true;
		if (vstate_open(s))
		{
			o.open = s;
			o.open_version = v;
		}
	}
	return o;
}

/*
 * Sets the document's status from its versions: the other ones, and this
 * one in state "self".
 */
static void
sync_document_status(int64 org_id, int64 document_id, int64 version_id,
					 VState self, const DocInfo *doc)
{
	OtherVersions o = other_versions(org_id, document_id, version_id);
	bool		published = o.published || self == VS_PUBLISHED;
	VState		open = vstate_open(self) ? self : o.open;
	const char *status;

	if (published)
		status = open != VS_UNKNOWN ? "under_revision" : "published";
	else if (open != VS_UNKNOWN)
		status = vstate_names[open];
	else
		status = "retired";

	if (doc->status == NULL || strcmp(doc->status, status) != 0)
	{
		Datum		args[3] = {Int64GetDatum(org_id), Int64GetDatum(document_id),
		CStringGetTextDatum(status)};

		syncing_status = true;
		PG_TRY();
		{
			doc_exec(P_SET_STATUS, args, NULL, false, 0);
		}
		PG_FINALLY();
		{
			syncing_status = false;
		}
		PG_END_TRY();
	}
}

static HeapTuple
document_row(TriggerData *td, const DocRel *r)
{
	Relation	rel = td->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);

	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		HeapTuple	tuple = td->tg_trigtuple;
		char	   *status = get_cstring(tuple, desc, r->att[D_STATUS]);

		/* a NULL status is the NOT NULL constraint's to report */
		if (!superuser() && status != NULL && strcmp(status, "draft") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_BAD_INITIAL_STATE),
					 errmsg("cannot create document %s with status \"%s\"",
							get_cstring(tuple, desc, r->att[D_CODE]) ?
							get_cstring(tuple, desc, r->att[D_CODE]) : "(no code)",
							status),
					 errdetail("A new document is a draft; its status then follows its versions."),
					 errhint("Leave status to its default, and write the first version with isms.draft_document().")));
		return tuple;
	}

	if (!syncing_status &&
		column_changed(rel, td->tg_trigtuple, td->tg_newtuple, r->att[D_STATUS]))
	{
		char	   *code = get_cstring(td->tg_trigtuple, desc, r->att[D_CODE]);

		ereport(ERROR,
				(errcode(ERRCODE_ISMS_TRANSITION_REFUSED),
				 errmsg("cannot set the status of document %s directly",
						code ? code : psprintf(INT64_FORMAT,
											   get_int8(td->tg_trigtuple, desc, r->att[D_ID]))),
				 errdetail("The status of a document follows its versions (isms.document_version)."),
				 errhint("Submit, approve, publish or retire a version: isms.submit_document(), isms.approve_document(), isms.publish_document(), isms.retire_document().")));
	}
	return td->tg_newtuple;
}

/* ------------------------------------------------------------------------
 * Approvals of versions
 */

typedef struct Decision
{
	bool		found;
	int64		id;
	char	   *decision;
	char	   *approver;
	bytea	   *sha256;
	TimestampTz decided_at;
	char	   *approver_login;	/* NULL: decided before 0.2.0 */
} Decision;

static Decision
latest_decision(int64 org_id, int64 version_id)
{
	Decision	d = {false, 0, NULL, NULL, NULL, 0};
	Datum		args[2] = {Int64GetDatum(org_id), Int64GetDatum(version_id)};
	bool		isnull;
	Datum		v;

	doc_exec(P_LATEST_DECISION, args, NULL, false, 1);
	if (SPI_processed == 0)
		return d;
	d.found = true;
	d.id = DatumGetInt64(spi_datum(0, 1, &isnull));
	d.decision = spi_cstring(0, 2);
	d.approver = spi_cstring(0, 3);
	v = spi_datum(0, 4, &isnull);
	d.sha256 = isnull ? NULL : DatumGetByteaPP(v);
	d.decided_at = DatumGetTimestampTz(spi_datum(0, 5, &isnull));
	d.approver_login = spi_cstring(0, 6);
	return d;
}

static bool
bytea_equal(bytea *a, bytea *b)
{
	return a != NULL && b != NULL &&
		VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/*
 * Approval and publication need the latest decision on the version to
 * approve its current content, by someone other than its author.
 */
static Decision
require_approval(int64 org_id, int64 version_id, const char *label,
				 VState to, const char *author, const char *author_login,
				 bytea *sha256)
{
	Decision	d = latest_decision(org_id, version_id);
	const char *verb = to == VS_PUBLISHED ? "publish" : "approve";

	if (!d.found)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_DOCUMENT_NOT_APPROVED),
				 errmsg("cannot %s %s: no approval is recorded on it", verb, label),
				 errdetail("A version is approved, and published, only after someone other than its author approves it."),
				 errhint("Have it approved with isms.approve_document(" INT64_FORMAT ", 'approved', comment).",
						 version_id)));
	if (strcmp(d.decision, "approved") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_DOCUMENT_NOT_APPROVED),
				 errmsg("cannot %s %s: its latest review rejected it", verb, label),
				 errdetail("%s rejected it at %s.", d.approver, utc_text(d.decided_at)),
				 errhint("Rework the draft, submit it again, and have it approved.")));
	if (author != NULL && strcmp(d.approver, author) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_SEGREGATION_OF_DUTIES),
				 errmsg("cannot %s %s: it was approved by its author, %s", verb, label, author),
				 errdetail("The approver of a version cannot be its author (segregation of duties, Annex A 5.3)."),
				 errhint("Have someone other than %s approve it.", author)));
	if (author_login != NULL && d.approver_login != NULL &&
		strcmp(d.approver_login, author_login) == 0 &&
		!isms_login_trusted(author_login))
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_SEGREGATION_OF_DUTIES),
				 errmsg("cannot %s %s: its author and its approver used the same personal login, %s",
						verb, label, author_login),
				 errdetail("%s wrote it and %s approved it, both through login role \"%s\", which is not a shared application login (%s): one person could have acted as both (segregation of duties, Annex A 5.3).",
						   author ? author : "?", d.approver, author_login, ISMS_APP_ROLE),
				 errhint("Have it approved by someone logged in with their own role.")));
	if (!bytea_equal(d.sha256, sha256))
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_DOCUMENT_NOT_APPROVED),
				 errmsg("cannot %s %s: its content is not the content approved", verb, label),
				 errdetail("The approval by %s at %s covers content with SHA-256 %s.",
						   d.approver, utc_text(d.decided_at),
						   d.sha256 ? hex_of(d.sha256) : "(none)"),
				 errhint("Submit the version again and have its current content approved.")));
	return d;
}

static HeapTuple
approval_insert(TriggerData *td, const DocRel *r)
{
	Relation	rel = td->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	tuple = td->tg_trigtuple;
	int64		org_id = get_int8(tuple, desc, r->att[A_ORG]);
	int64		version_id = get_int8(tuple, desc, r->att[A_VERSION]);
	char	   *decision = get_cstring(tuple, desc, r->att[A_DECISION]);
	char	   *comment = get_cstring(tuple, desc, r->att[A_COMMENT]);
	char	   *approver = get_cstring(tuple, desc, r->att[A_APPROVER]);
	const char *actor = isms_current_actor();
	const char *login = isms_current_login();
	MemoryContext caller = CurrentMemoryContext;
	char	   *status;
	char	   *author;
	char	   *author_login;
	bytea	   *sha256;
	int32		version;
	int64		document_id;
	char	   *code;
	char	   *label;
	bool		isnull;
	Datum		d;
	StringInfoData buf;
	int			cols[4];
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	HeapTuple	result;

	SPI_connect();
	{
		Datum		args[2] = {Int64GetDatum(org_id), Int64GetDatum(version_id)};

		doc_exec(P_VERSION_FOR_DECISION, args, NULL, false, 1);
	}
	if (SPI_processed == 0)
	{
		/* not visible: row-level security or the foreign key refuses it */
		SPI_finish();
		return tuple;
	}
	status = spi_cstring(0, 1);
	author = spi_cstring(0, 2);
	d = spi_datum(0, 3, &isnull);
	sha256 = isnull ? NULL : DatumGetByteaPP(d);
	version = DatumGetInt32(spi_datum(0, 4, &isnull));
	document_id = DatumGetInt64(spi_datum(0, 5, &isnull));
	code = spi_cstring(0, 6);
	author_login = spi_cstring(0, 7);
	if (code == NULL)
		code = psprintf(INT64_FORMAT, document_id);
	label = psprintf("version %s of document %s", docver_text(version), code);

	if (vstate_of(status) != VS_IN_REVIEW)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_TRANSITION_REFUSED),
				 errmsg("cannot decide on %s: it is %s, not in review", label, status),
				 errdetail("Approval decisions are taken on versions in review."),
				 errhint("%s",
						 vstate_of(status) == VS_DRAFT ?
						 psprintf("Its author submits it first: isms.submit_document(" INT64_FORMAT ").", version_id) :
						 "A decision on it has been taken already.")));
	if (approver != NULL && strcmp(approver, actor) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_SEGREGATION_OF_DUTIES),
				 errmsg("cannot record a decision on %s in the name of %s", label, approver),
				 errdetail("An approval is recorded in the name of the person acting, %s.", actor),
				 errhint("Leave approver to its default; a pooled application sets isms.actor per transaction.")));
	if (author != NULL && strcmp(author, actor) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_SEGREGATION_OF_DUTIES),
				 errmsg("%s cannot decide on %s: they are its author", actor, label),
				 errdetail("The approver of a version cannot be its author (segregation of duties, Annex A 5.3)."),
				 errhint("Ask someone other than %s to review it.", author)));
	/* one personal login is one person, whatever names it asserts */
	if (author_login != NULL && strcmp(author_login, login) == 0 &&
		!isms_login_trusted(login))
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_SEGREGATION_OF_DUTIES),
				 errmsg("login role %s cannot decide on %s: it created the version", login, label),
				 errdetail("%s wrote the version through login role \"%s\", which is not a shared application login (%s); the approver must log in as someone else (segregation of duties, Annex A 5.3).",
						   author ? author : "?", login, ISMS_APP_ROLE),
				 errhint("Ask someone other than the author to review it, with their own login.")));

	/* the trail entry: the decision and what it covers */
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	json_int8(&buf, "approval_id", get_int8(tuple, desc, r->att[A_ID]));
	json_str(&buf, "document", code);
	json_int8(&buf, "document_id", document_id);
	json_str(&buf, "version", docver_text(version));
	json_str(&buf, "decision", decision);
	json_str(&buf, "comment", comment);
	json_str(&buf, "sha256", sha256 ? hex_of(sha256) : NULL);
	(void) isms_trail_append(org_id, doc_rels[DOC_VERSION].relid, version_id,
							 decision && strcmp(decision, "approved") == 0 ? "approve" : "reject",
							 json_finish(&buf));

	MemoryContextSwitchTo(caller);
	cols[0] = r->att[A_APPROVER];
	values[0] = CStringGetTextDatum(actor);
	cols[1] = r->att[A_DECIDED_AT];
	values[1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	cols[2] = r->att[A_SHA256];
	if (sha256)
		values[2] = PointerGetDatum(sha256);
	else
		nulls[2] = true;
	cols[3] = r->att[A_APPROVER_LOGIN];
	values[3] = CStringGetTextDatum(login);
	result = heap_modify_tuple_by_cols(tuple, desc, 4, cols, values, nulls);
	SPI_finish();
	return result;
}

/* ------------------------------------------------------------------------
 * Versions
 */

static HeapTuple
version_insert(TriggerData *td, const DocRel *r)
{
	Relation	rel = td->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	tuple = td->tg_trigtuple;
	int64		org_id = get_int8(tuple, desc, r->att[V_ORG]);
	int64		id = get_int8(tuple, desc, r->att[V_ID]);
	int64		document_id = get_int8(tuple, desc, r->att[V_DOCUMENT]);
	char	   *status = get_cstring(tuple, desc, r->att[V_STATUS]);
	char	   *author = get_cstring(tuple, desc, r->att[V_AUTHOR]);
	char	   *reason = get_cstring(tuple, desc, r->att[V_CHANGE_REASON]);
	const char *actor = isms_current_actor();
	MemoryContext caller = CurrentMemoryContext;
	bool		version_null;
	Datum		version_datum = heap_getattr(tuple, r->att[V_VERSION], desc, &version_null);
	int32		version;
	DocInfo		doc;
	OtherVersions o;
	int			cols[3];
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	HeapTuple	result;

	SPI_connect();
	doc = lock_document(org_id, document_id);
	if (!doc.found)
	{
		/* not visible: row-level security or the foreign key refuses it */
		SPI_finish();
		return tuple;
	}
	if (status != NULL && vstate_of(status) != VS_DRAFT)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_BAD_INITIAL_STATE),
				 errmsg("cannot create a version of document %s with status \"%s\"",
						doc.code, status),
				 errdetail("A new version is a draft."),
				 errhint("Insert it as a draft, then submit, approve and publish it.")));
	if (author != NULL && strcmp(author, actor) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_SEGREGATION_OF_DUTIES),
				 errmsg("cannot create a version of document %s in the name of %s",
						doc.code, author),
				 errdetail("The author of a version is the person acting when it is created, %s.", actor),
				 errhint("Leave author to its default; a pooled application sets isms.actor per transaction.")));

	o = other_versions(org_id, document_id, id);
	if (version_null)
	{
		if (o.latest_found)
			version = DatumGetInt32(DirectFunctionCall1(docver_next_minor,
														Int32GetDatum(o.latest)));
		else
			version = DOCVER_MAKE(0, 1);
	}
	else
	{
		version = DatumGetInt32(version_datum);
		if (o.latest_found && version <= o.latest)
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_DOCUMENT_VERSION_ORDER),
					 errmsg("version %s of document %s is not above its latest version %s",
							docver_text(version), doc.code, docver_text(o.latest)),
					 errdetail("Version numbers of a document only grow: a number, once used, always means the same content."),
					 errhint("Leave version NULL for %s, or use isms.revise_document(" INT64_FORMAT ", reason, major => true) for %s.",
							 docver_text(DatumGetInt32(DirectFunctionCall1(docver_next_minor, Int32GetDatum(o.latest)))),
							 document_id,
							 docver_text(DatumGetInt32(DirectFunctionCall1(docver_next_major, Int32GetDatum(o.latest)))))));
	}
	if (o.open != VS_UNKNOWN)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("document %s already has a version in preparation: %s (%s)",
						doc.code, docver_text(o.open_version), vstate_names[o.open]),
				 errdetail("A document has at most one version in draft, in review or approved at a time."),
				 errhint("Work on version %s, or withdraw it (status retired) first.",
						 docver_text(o.open_version)),
				 errtableconstraint(rel, "document_version_one_open")));
	if (o.count > 0 && reason == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_GUARD_FAILED),
				 errmsg("version %s of document %s needs a change reason",
						docver_text(version), doc.code),
				 errdetail("Every version after the first says why it was made."),
				 errhint("Give change_reason, for example \"Annual review: new remote-work rules\".")));

	sync_document_status(org_id, document_id, id, VS_DRAFT, &doc);

	MemoryContextSwitchTo(caller);
	cols[0] = r->att[V_VERSION];
	values[0] = Int32GetDatum(version);
	cols[1] = r->att[V_AUTHOR];
	values[1] = CStringGetTextDatum(actor);
	cols[2] = r->att[V_AUTHOR_LOGIN];
	values[2] = CStringGetTextDatum(isms_current_login());
	result = heap_modify_tuple_by_cols(tuple, desc, 3, cols, values, nulls);
	SPI_finish();
	return result;
}

/*
 * Supersedes the version of a document in force, if any, and returns its
 * number.
 */
static char *
supersede_in_force(int64 org_id, int64 document_id, TimestampTz at)
{
	Datum		args[2] = {Int64GetDatum(org_id), Int64GetDatum(document_id)};
	bool		isnull;

	superseding_document = document_id;
	superseding_at = at;
	PG_TRY();
	{
		doc_exec(P_SUPERSEDE, args, NULL, false, 0);
	}
	PG_FINALLY();
	{
		superseding_document = 0;
	}
	PG_END_TRY();
	if (SPI_processed == 0)
		return NULL;
	return docver_text(DatumGetInt32(spi_datum(0, 1, &isnull)));
}

static void
refuse_immutable(const char *label, VState from, int64 document_id,
				 const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_ISMS_DOCUMENT_IMMUTABLE),
			 errmsg("cannot change %s: it is %s", label, vstate_names[from]),
			 errdetail("%s", detail),
			 errhint("A version that has been in force is kept as it was; open a new version with isms.revise_document(" INT64_FORMAT ", change_reason).",
					 document_id)));
}

static HeapTuple
version_update(TriggerData *td, const DocRel *r)
{
	Relation	rel = td->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	oldtuple = td->tg_trigtuple;
	HeapTuple	newtuple = td->tg_newtuple;
	int64		org_id = get_int8(oldtuple, desc, r->att[V_ORG]);
	int64		id = get_int8(oldtuple, desc, r->att[V_ID]);
	int64		document_id = get_int8(oldtuple, desc, r->att[V_DOCUMENT]);
	bool		version_null;
	int32		version = DatumGetInt32(heap_getattr(oldtuple, r->att[V_VERSION], desc, &version_null));
	char	   *from_name = get_cstring(oldtuple, desc, r->att[V_STATUS]);
	char	   *to_name = get_cstring(newtuple, desc, r->att[V_STATUS]);
	VState		from = vstate_of(from_name);
	VState		to = vstate_of(to_name);
	char	   *author = get_cstring(oldtuple, desc, r->att[V_AUTHOR]);
	MemoryContext caller = CurrentMemoryContext;
	TimestampTz now;
	const AttrNumber skip[] = {
		r->att[V_STATUS], r->att[V_VALIDITY], r->att[V_CREATED_AT],
		r->att[V_CREATED_BY], r->att[V_UPDATED_AT], r->att[V_UPDATED_BY]
	};
	const char *changed;
	bool		validity_null;
	Datum		validity = heap_getattr(oldtuple, r->att[V_VALIDITY], desc, &validity_null);
	bool		set_validity = false;
	int			validity_col = r->att[V_VALIDITY];
	Datum		new_validity = (Datum) 0;
	bool		new_validity_null = false;
	DocInfo		doc = {false, NULL, NULL};
	Decision	approval = {false, 0, NULL, NULL, NULL, 0};
	char	   *label;
	HeapTuple	result;

	/* a NULL status is the NOT NULL constraint's to report */
	if (to_name == NULL)
		return newtuple;

	SPI_connect();

	/* the supersession of the version in force, by our own publication */
	if (superseding_document != 0 && superseding_document == document_id &&
		from == VS_PUBLISHED && to == VS_SUPERSEDED)
	{
		label = psprintf("version %s of document " INT64_FORMAT,
						 docver_text(version), document_id);
		if ((changed = changed_column(rel, oldtuple, newtuple, skip, lengthof(skip))) != NULL ||
			column_changed(rel, oldtuple, newtuple, r->att[V_VALIDITY]))
			refuse_immutable(label, from, document_id,
							 "A superseded version keeps its content.");
		now = superseding_at;
		new_validity = range_close(validity, now, label);
		MemoryContextSwitchTo(caller);
		result = heap_modify_tuple_by_cols(newtuple, desc, 1, &validity_col,
										   &new_validity, &new_validity_null);
		SPI_finish();
		return result;
	}

	doc = lock_document(org_id, document_id);
	if (!doc.found)
		doc.code = psprintf(INT64_FORMAT, document_id);
	label = psprintf("version %s of document %s", docver_text(version), doc.code);

	/*
	 * A publication or retirement takes effect at the clock time, read once
	 * the document is locked: after the commit of any publication it waited
	 * for, and never back at the start of a transaction held open.
	 */
	now = GetCurrentTimestamp();

	/* what is fixed for every version */
	if (column_changed(rel, oldtuple, newtuple, r->att[V_ORG]) ||
		column_changed(rel, oldtuple, newtuple, r->att[V_ID]) ||
		column_changed(rel, oldtuple, newtuple, r->att[V_DOCUMENT]) ||
		column_changed(rel, oldtuple, newtuple, r->att[V_VERSION]))
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_DOCUMENT_IMMUTABLE),
				 errmsg("cannot change the number or document of %s", label),
				 errdetail("A version keeps its organisation, document and number for good."),
				 errhint("Open a new version with isms.revise_document(" INT64_FORMAT ", change_reason).",
						 document_id)));
	if (column_changed(rel, oldtuple, newtuple, r->att[V_AUTHOR]) ||
		column_changed(rel, oldtuple, newtuple, r->att[V_AUTHOR_LOGIN]))
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_SEGREGATION_OF_DUTIES),
				 errmsg("cannot change the author of %s", label),
				 errdetail("The author is recorded when the version is created, so that nobody approves their own text."),
				 errhint("Open a new version in the name of its author.")));
	if (column_changed(rel, oldtuple, newtuple, r->att[V_VALIDITY]))
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_DOCUMENT_IMMUTABLE),
				 errmsg("cannot set the validity of %s", label),
				 errdetail("Validity is set by publication, supersession and retirement."),
				 errhint("Publish the version with isms.publish_document(" INT64_FORMAT "), or retire the document with isms.retire_document().",
						 id)));
	changed = changed_column(rel, oldtuple, newtuple, skip, lengthof(skip));

	if (from == VS_PUBLISHED || from == VS_SUPERSEDED || from == VS_RETIRED ||
		from == VS_UNKNOWN)
	{
		if (from != VS_PUBLISHED || to != VS_RETIRED || changed != NULL)
			refuse_immutable(label, from, document_id,
							 changed ? psprintf("Column \"%s\" would change; a version that has been in force never changes.", changed) :
							 from == VS_PUBLISHED && to == VS_SUPERSEDED ?
							 "A version is superseded by the publication of a newer one." :
							 from == VS_PUBLISHED ?
							 psprintf("A published version only moves to \"retired\" (with a reason), or to \"superseded\" when a newer version is published; not to \"%s\".", to_name) :
							 "A superseded or retired version never changes.");
	}
	else if (changed != NULL && from != VS_DRAFT)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_DOCUMENT_IMMUTABLE),
				 errmsg("cannot change %s: it is %s", label, from_name),
				 errdetail("Column \"%s\" would change; only a draft's content changes.", changed),
				 errhint("Send it back to draft first: UPDATE isms.document_version SET status = 'draft' WHERE id = " INT64_FORMAT ".",
						 id)));

	if (from == to)
	{
		/* a draft edited: its change reason stays if it needs one */
		if (from == VS_DRAFT &&
			column_changed(rel, oldtuple, newtuple, r->att[V_CHANGE_REASON]) &&
			get_cstring(newtuple, desc, r->att[V_CHANGE_REASON]) == NULL &&
			other_versions(org_id, document_id, id).count > 0)
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_GUARD_FAILED),
					 errmsg("%s needs a change reason", label),
					 errdetail("Every version after the first says why it was made."),
					 errhint("Keep change_reason, or give another one.")));
		SPI_finish();
		return newtuple;
	}

	/* a move: is it one of the lifecycle's? */
	{
		bool		allowed = false;
		int			i;

		for (i = 0; from < VS_UNKNOWN && allowed_moves[from][i] != NULL; i++)
			if (strcmp(allowed_moves[from][i], to_name) == 0)
				allowed = true;
		if (!allowed)
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_TRANSITION_REFUSED),
					 errmsg("cannot move %s from \"%s\" to \"%s\"", label, from_name, to_name),
					 errdetail("Allowed next states from \"%s\": %s.", from_name, allowed_list(from)),
					 errhint("%s", to == VS_PUBLISHED ?
							 "A version is submitted (in_review), approved by someone other than its author, then published." :
							 to == VS_SUPERSEDED ?
							 "A version is superseded by the publication of a newer one." :
							 "Move the version one allowed step at a time.")));
	}

	if (to == VS_APPROVED || to == VS_PUBLISHED)
	{
		bool		isnull;
		Datum		d = heap_getattr(oldtuple, r->att[V_SHA256], desc, &isnull);

		approval = require_approval(org_id, id, label, to, author,
									get_cstring(oldtuple, desc, r->att[V_AUTHOR_LOGIN]),
									isnull ? NULL : DatumGetByteaPP(d));
	}

	if (to == VS_PUBLISHED)
	{
		char	   *superseded = supersede_in_force(org_id, document_id, now);
		StringInfoData buf;
		bool		isnull;
		Datum		d;

		new_validity = range_from(now);
		set_validity = true;

		d = heap_getattr(oldtuple, r->att[V_SHA256], desc, &isnull);
		initStringInfo(&buf);
		appendStringInfoChar(&buf, '{');
		json_str(&buf, "document", doc.code);
		json_int8(&buf, "document_id", document_id);
		json_str(&buf, "version", docver_text(version));
		json_str(&buf, "sha256", isnull ? NULL : hex_of(DatumGetByteaPP(d)));
		json_str(&buf, "author", author);
		json_str(&buf, "change_reason", get_cstring(oldtuple, desc, r->att[V_CHANGE_REASON]));
		json_str(&buf, "approved_by", approval.approver);
		json_str(&buf, "approved_at", utc_text(approval.decided_at));
		json_str(&buf, "valid_from", utc_text(now));
		json_str(&buf, "supersedes", superseded);
		(void) isms_trail_append(org_id, doc_rels[DOC_VERSION].relid, id, "publish",
								 json_finish(&buf));
	}
	else if (to == VS_RETIRED)
	{
		StringInfoData buf;

		if (isms_reason == NULL || isms_reason[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_GUARD_FAILED),
					 errmsg("cannot move %s from \"%s\" to \"retired\"", label, from_name),
					 errdetail("Retiring a version needs a reason."),
					 errhint("Use isms.retire_document(" INT64_FORMAT ", reason), or SET LOCAL isms.reason before the UPDATE.",
							 document_id)));
		if (from == VS_PUBLISHED)
		{
			new_validity = range_close(validity, now, label);
			set_validity = true;
		}
		initStringInfo(&buf);
		appendStringInfoChar(&buf, '{');
		json_str(&buf, "document", doc.code);
		json_int8(&buf, "document_id", document_id);
		json_str(&buf, "version", docver_text(version));
		json_str(&buf, "was", from_name);
		json_str(&buf, "reason", isms_reason);
		if (from == VS_PUBLISHED)
			json_str(&buf, "valid_until", utc_text(now));
		(void) isms_trail_append(org_id, doc_rels[DOC_VERSION].relid, id,
								 from == VS_PUBLISHED ? "retire" : "withdraw",
								 json_finish(&buf));
	}

	if (doc.found)
		sync_document_status(org_id, document_id, id, to, &doc);

	MemoryContextSwitchTo(caller);
	if (set_validity)
		result = heap_modify_tuple_by_cols(newtuple, desc, 1, &validity_col,
										   &new_validity, &new_validity_null);
	else
		result = newtuple;
	SPI_finish();
	return result;
}

/* ------------------------------------------------------------------------
 * Deletion
 */

static void
refuse_delete(TriggerData *td, DocTable t, const DocRel *r)
{
	Relation	rel = td->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	tuple = td->tg_trigtuple;
	const char *hint = t == DOC_APPROVAL ?
		"An approval decision stays; record a new decision with isms.approve_document()." :
		"Retire the document instead: isms.retire_document(document_id, reason); withdraw a draft by setting its status to retired.";

	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_DELETE_REFUSED),
				 errmsg("cannot truncate isms.%s", doc_table_names[t]),
				 errdetail("Controlled documents, their versions and approvals are kept (Clause 7.5.3)."),
				 errhint("%s", hint)));
	switch (t)
	{
		case DOC_DOCUMENT:
			{
				char	   *code = get_cstring(tuple, desc, r->att[D_CODE]);

				ereport(ERROR,
						(errcode(ERRCODE_ISMS_DELETE_REFUSED),
						 errmsg("cannot delete document %s",
								code ? code : psprintf(INT64_FORMAT, get_int8(tuple, desc, r->att[D_ID]))),
						 errdetail("Controlled documents are kept with every version (Clause 7.5.3)."),
						 errhint("Retire it instead: SELECT isms.retire_document(" INT64_FORMAT ", reason).",
								 get_int8(tuple, desc, r->att[D_ID]))));
				break;
			}
		case DOC_VERSION:
			{
				bool		isnull;
				Datum		v = heap_getattr(tuple, r->att[V_VERSION], desc, &isnull);

				ereport(ERROR,
						(errcode(ERRCODE_ISMS_DELETE_REFUSED),
						 errmsg("cannot delete version %s of document " INT64_FORMAT,
								isnull ? "?" : docver_text(DatumGetInt32(v)),
								get_int8(tuple, desc, r->att[V_DOCUMENT])),
						 errdetail("Every version of a controlled document is kept (Clause 7.5.3)."),
						 errhint("%s", hint)));
				break;
			}
		default:
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_DELETE_REFUSED),
					 errmsg("cannot delete approval " INT64_FORMAT " of document version " INT64_FORMAT,
							get_int8(tuple, desc, r->att[A_ID]),
							get_int8(tuple, desc, r->att[A_VERSION])),
					 errdetail("Approval decisions are records of document control (Clause 7.5.3, Annex A 5.3)."),
					 errhint("%s", hint)));
	}
}

/* ------------------------------------------------------------------------
 * Entry points
 */

Datum
document_control(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TriggerEvent event;
	DocTable	t;
	const DocRel *r;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("isms.document_control() must be called as a trigger")));
	event = td->tg_event;
	if (!TRIGGER_FIRED_BEFORE(event) ||
		(TRIGGER_FIRED_FOR_STATEMENT(event) && !TRIGGER_FIRED_BY_TRUNCATE(event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("isms.document_control() must be a BEFORE row trigger, or a BEFORE TRUNCATE trigger")));

	t = doc_table_of(td->tg_relation, &r);

	if (TRIGGER_FIRED_BY_DELETE(event) || TRIGGER_FIRED_BY_TRUNCATE(event))
		refuse_delete(td, t, r);

	if (t == DOC_DOCUMENT)
		return PointerGetDatum(document_row(td, r));

	if (TRIGGER_FIRED_BY_INSERT(event))
	{
		/* a superuser's INSERT is a restore or a migration: as it is */
		if (superuser())
			return PointerGetDatum(td->tg_trigtuple);
		if (t == DOC_VERSION)
			return PointerGetDatum(version_insert(td, r));
		return PointerGetDatum(approval_insert(td, r));
	}

	if (t == DOC_VERSION)
		return PointerGetDatum(version_update(td, r));

	ereport(ERROR,
			(errcode(ERRCODE_ISMS_DOCUMENT_IMMUTABLE),
			 errmsg("cannot change approval " INT64_FORMAT " of document version " INT64_FORMAT,
					get_int8(td->tg_trigtuple, RelationGetDescr(td->tg_relation), r->att[A_ID]),
					get_int8(td->tg_trigtuple, RelationGetDescr(td->tg_relation), r->att[A_VERSION])),
			 errdetail("An approval decision is a record: who decided what, when, on which content."),
			 errhint("Record a new decision with isms.approve_document(); the latest decision on a version counts.")));
	PG_RETURN_NULL();
}

/*
 * isms.content_sha256(content_text, content_bytes, url): SHA-256 of the
 * bytes, else of the text in UTF-8, else of the URL in UTF-8.
 */
Datum
document_content_sha256(PG_FUNCTION_ARGS)
{
	const char *data;
	int			len;
	pg_cryptohash_ctx *ctx;
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
	bytea	   *result;

	if (!PG_ARGISNULL(1))
	{
		bytea	   *b = PG_GETARG_BYTEA_PP(1);

		data = VARDATA_ANY(b);
		len = VARSIZE_ANY_EXHDR(b);
	}
	else if (!PG_ARGISNULL(0) || !PG_ARGISNULL(2))
	{
		text	   *t = PG_ARGISNULL(0) ? PG_GETARG_TEXT_PP(2) : PG_GETARG_TEXT_PP(0);
		const char *s = VARDATA_ANY(t);

		len = VARSIZE_ANY_EXHDR(t);
		data = pg_server_to_any(s, len, PG_UTF8);
		if (data != s)
			len = strlen(data);
	}
	else
		PG_RETURN_NULL();

	ctx = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, hash, sizeof(hash)) < 0)
		elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);

	result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	memcpy(VARDATA(result), hash, PG_SHA256_DIGEST_LENGTH);
	PG_RETURN_BYTEA_P(result);
}
