/*-------------------------------------------------------------------------
 *
 * trail.c
 *	  The evidence trail: an append-only, per-organisation, SHA-256
 *	  hash-chained log in isms.trail.
 *
 * Each entry's hash is SHA-256 over the previous entry's hash and a
 * canonical encoding of the entry (see trail_hash() and the README), so a
 * changed, removed or reordered entry breaks the chain at that entry.
 *
 * Appends to one organisation are serialised by a transaction-level
 * advisory lock on (TRAIL_LOCK_CLASS, org_id), taken before the head is
 * read and held until commit: the next appender reads the head only once
 * the previous one has committed or rolled back, so the chain can neither
 * fork nor keep a gap.  The head is read through the primary key index
 * (org_id, seq), newest first; there is no separate head table to update,
 * protect or keep consistent across a restore.  Within a transaction that
 * already holds the lock the head is kept in memory.
 *
 * Rows are written directly (heap insert plus index insert), without SPI,
 * because the workflow engine and document control call this on their hot
 * path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "citus.h"
#include "commands/trigger.h"
#include "common/cryptohash.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "isms.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/utility.h"
#include "trail.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#ifdef USE_OPENSSL
#include <openssl/evp.h>
#endif

/* columns of isms.trail, in table order */
#define ATT_ORG_ID			1
#define ATT_SEQ				2
#define ATT_RECORDED_AT		3
#define ATT_ACTOR			4
#define ATT_RECORD_TABLE	5
#define ATT_RECORD_ID		6
#define ATT_ACTION			7
#define ATT_PAYLOAD			8
#define ATT_PREV_HASH		9
#define ATT_HASH			10
#define ATT_LOGIN_ROLE		11
#define ATT_SOURCE			12
#define TRAIL_NATTS			12

/*
 * The actions the engine writes (the workflow's seals, document control,
 * the evidence and acceptance triggers, imports, reviews, sign-offs,
 * policy acknowledgements):
 * isms.trail_append() refuses them, so that an entry under one of these
 * names is always the engine's.
 */
static const char *const reserved_actions[] = {
	"transitions", "import", "approve", "reject", "publish", "retire",
	"withdraw", "evidence", "risk_acceptance", "review", "sign-off",
	"acknowledge", NULL
};

/*
 * Advisory lock tag of an organisation's trail: (database, org_id high
 * word, org_id low word, TRAIL_LOCK_CLASS).  pg_advisory_lock() uses 1 and
 * 2 in the last field, so no user advisory lock can collide with it; in
 * pg_locks it shows as an advisory lock with objsubid 18771 ("IS").
 */
#define TRAIL_LOCK_CLASS	0x4953

/* longest canonical timestamp: "YYYY-MM-DDTHH:MM:SS.ffffffZ" */

/* OID of isms.trail, looked up once per backend */
static Oid	trail_table_relid = InvalidOid;

/*
 * The relation the cache below describes, and its primary key: isms.trail,
 * or on a Citus worker the shard of isms.trail that holds the organisation
 * of the last append (every organisation's trail is on the node that holds
 * its registers' shards, so its chain is serialised there).
 */
static Oid	trail_relid = InvalidOid;
static Oid	trail_pkey_relid = InvalidOid;

/*
 * The trail's indexes and their IndexInfo, built with the OIDs above in
 * trail_cache_cxt.  An invalidation only clears trail_relid; the context is
 * reset at the next lookup, never under a caller still using it.
 */
static MemoryContext trail_cache_cxt = NULL;
static int	trail_nindexes = 0;
static Oid *trail_index_oids = NULL;
static IndexInfo **trail_index_info = NULL;

/* the qualified name of the last record table seen, and its OID */
static Oid	name_cache_relid = InvalidOid;
static char *name_cache_name = NULL;

/*
 * The head of the one organisation this transaction appended to last.
 * Valid only while this transaction holds that organisation's lock:
 * cleared at transaction end and on any subtransaction abort (which may
 * have removed entries or released the lock).
 */
typedef struct TrailHead
{
	bool		valid;
	int64		org_id;
	int64		seq;
	uint8		hash[TRAIL_HASH_LEN];
} TrailHead;

static TrailHead head_cache;
static bool callbacks_registered = false;

/*
 * Whether this transaction holds RowExclusiveLock on isms.trail and on the
 * indexes of the cache above.  Appends close the relations with NoLock and
 * keep the locks until the transaction ends, as the executor does; the
 * next appends then take them from the relcache without going through the
 * lock manager (opening and closing them was a fifth of a bulk append).
 * While the locks are held no other transaction can change the table's
 * columns or indexes (CREATE INDEX CONCURRENTLY waits for this transaction
 * before its index takes inserts); this transaction's own DDL invalidates
 * the cache, which clears the flag.  Cleared at transaction end and at a
 * subtransaction abort, which releases the locks it took.
 */
static bool trail_locked = false;

/* the relations an append writes, open for one entry */
typedef struct TrailRels
{
	Relation	rel;
	Oid			pkey_relid;
	int			nindexes;
	Relation   *indexes;
	IndexInfo **info;
} TrailRels;

static const uint8 genesis_hash[TRAIL_HASH_LEN] = {0};

PG_FUNCTION_INFO_V1(trail_append_sql);
PG_FUNCTION_INFO_V1(verify_trail);
PG_FUNCTION_INFO_V1(append_only);

/* Forgets the trail's relations and head (all for InvalidOid); see isms.c. */
void
trail_relcache_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == trail_relid ||
		relid == trail_pkey_relid || relid == trail_table_relid)
	{
		trail_table_relid = InvalidOid;
		trail_relid = InvalidOid;
		trail_pkey_relid = InvalidOid;
		head_cache.valid = false;
		trail_locked = false;
	}
	if (relid == InvalidOid || relid == name_cache_relid)
		name_cache_relid = InvalidOid;
}

static void
trail_xact_cb(XactEvent event, void *arg)
{
	head_cache.valid = false;
	trail_locked = false;
}

static void
trail_subxact_cb(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		head_cache.valid = false;
		trail_locked = false;
	}
}

static void
trail_register_callbacks(void)
{
	if (callbacks_registered)
		return;
	RegisterXactCallback(trail_xact_cb, NULL);
	RegisterSubXactCallback(trail_subxact_cb, NULL);
	callbacks_registered = true;
}

/* isms.trail, looked up once per backend */
static Oid
trail_table(void)
{
	Oid			nsp;
	Oid			relid;
	Oid			pkey;

	if (OidIsValid(trail_table_relid))
		return trail_table_relid;
	nsp = get_namespace_oid("isms", true);
	relid = OidIsValid(nsp) ? get_relname_relid("trail", nsp) : InvalidOid;
	pkey = OidIsValid(nsp) ? get_relname_relid("trail_pkey", nsp) : InvalidOid;
	if (!OidIsValid(relid) || !OidIsValid(pkey))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the evidence trail table isms.trail does not exist"),
				 errhint("Install the extension with CREATE EXTENSION isms.")));
	trail_table_relid = relid;
	trail_relid = InvalidOid;
	return relid;
}

/*
 * Looks up isms.trail (or its shard holding org_id) and its primary key,
 * and checks the table still has the shape this file writes (an ALTER
 * TABLE would otherwise corrupt it).
 */
static void
trail_lookup_relations(int64 org_id)
{
	static const Oid types[TRAIL_NATTS] = {
		INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID, TEXTOID,
		INT8OID, TEXTOID, JSONBOID, BYTEAOID, BYTEAOID, TEXTOID, TEXTOID
	};
	Oid			relid;
	Oid			pkey;
	Relation	rel;
	TupleDesc	desc;
	int			i;

	trail_register_callbacks();
	(void) trail_table();

	/* isms.trail, or its shard holding the organisation on this node */
	relid = isms_citus_org_shard(trail_table_relid, org_id);
	if (OidIsValid(trail_relid) && trail_relid == relid)
		return;
	/* the locks this transaction holds are on the relations of the cache */
	trail_locked = false;
	trail_relid = InvalidOid;
	pkey = relid == trail_table_relid ?
		get_relname_relid("trail_pkey", get_rel_namespace(relid)) :
		isms_citus_colocated_index(relid,
								   get_relname_relid("trail_pkey",
													 get_rel_namespace(trail_table_relid)));

	rel = table_open(relid, AccessShareLock);
	isms_refuse_citus_table(rel);
	desc = RelationGetDescr(rel);
	if (desc->natts != TRAIL_NATTS || rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("table isms.trail does not have the shape of the evidence trail"),
				 errdetail("It has %d columns; the trail has %d.",
						   desc->natts, TRAIL_NATTS),
				 errhint("Reinstall the extension; isms.trail must not be altered.")));
	for (i = 0; i < TRAIL_NATTS; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->atttypid != types[i])
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("table isms.trail does not have the shape of the evidence trail"),
					 errdetail("Column %d has type %s where %s is expected.",
							   i + 1, format_type_be(att->atttypid),
							   format_type_be(types[i])),
					 errhint("Reinstall the extension; isms.trail must not be altered.")));
	}

	/* the indexes appends maintain */
	if (trail_cache_cxt == NULL)
		trail_cache_cxt = AllocSetContextCreate(CacheMemoryContext,
												"isms trail cache",
												ALLOCSET_SMALL_SIZES);
	MemoryContextReset(trail_cache_cxt);
	trail_nindexes = 0;
	{
		List	   *indexes = RelationGetIndexList(rel);
		ListCell   *lc;
		MemoryContext oldcxt = MemoryContextSwitchTo(trail_cache_cxt);

		trail_index_oids = palloc(sizeof(Oid) * Max(list_length(indexes), 1));
		trail_index_info = palloc(sizeof(IndexInfo *) * Max(list_length(indexes), 1));
		foreach(lc, indexes)
		{
			Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
			IndexInfo  *info = BuildIndexInfo(index);

			/* without an EState we can evaluate plain columns only */
			if (info->ii_Expressions != NIL || info->ii_Predicate != NIL ||
				info->ii_ExclusionOps != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("index \"%s\" on isms.trail is not supported",
								RelationGetRelationName(index)),
						 errdetail("Trail appends maintain plain column indexes only."),
						 errhint("Drop the index, or replace it by one on plain columns.")));
			trail_index_oids[trail_nindexes] = lfirst_oid(lc);
			trail_index_info[trail_nindexes] = info;
			trail_nindexes++;
			index_close(index, AccessShareLock);
		}
		MemoryContextSwitchTo(oldcxt);
		list_free(indexes);
	}
	table_close(rel, AccessShareLock);

	trail_relid = relid;
	trail_pkey_relid = pkey;
}

/*
 * Opens isms.trail with the cache of its relations up to date.  Taking the
 * lock processes pending invalidations, which may clear the cache (an index
 * created or the table altered by a transaction that committed while we
 * waited): then the relations are looked up again under the lock, so that
 * an append maintains every index and a verification never opens a
 * relation from a cleared cache.
 */
static Relation
trail_open(LOCKMODE mode, Oid *pkey, int64 org_id)
{
	for (;;)
	{
		Oid			relid;
		Relation	rel;

		trail_lookup_relations(org_id);
		relid = trail_relid;
		rel = table_open(relid, mode);
		if (trail_relid == relid)
		{
			*pkey = trail_pkey_relid;
			return rel;
		}
		table_close(rel, mode);
	}
}

/* The qualified, quoted name of a relation, cached for the last one. */
static const char *
trail_record_table_name(Oid relid)
{
	char	   *relname;
	char	   *nspname;

	if (relid == name_cache_relid && name_cache_name != NULL)
		return name_cache_name;

	relname = get_rel_name(relid);
	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errhint("Name the table of the record the trail entry is about.")));
	nspname = get_namespace_name(get_rel_namespace(relid));

	if (name_cache_name != NULL)
		pfree(name_cache_name);
	name_cache_name = MemoryContextStrdup(TopMemoryContext,
										  quote_qualified_identifier(nspname, relname));
	name_cache_relid = relid;
	return name_cache_name;
}

/* n as exactly width decimal digits, zero-padded, at p; returns the end */
static inline char *
trail_put_digits(char *p, int n, int width)
{
	char	   *end = p + width;

	while (width-- > 0)
	{
		p[width] = '0' + n % 10;
		n /= 10;
	}
	return end;
}

/*
 * The canonical text of a timestamp: UTC, ISO 8601, always six fractional
 * digits ("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", written out by hand: the
 * trail formats one per entry).  Returns false for a value outside years
 * 1-9999 (or infinite), which the trail never records.
 */
bool
isms_trail_format_timestamp(TimestampTz ts, char *buf)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char	   *p = buf;

	if (TIMESTAMP_NOT_FINITE(ts) ||
		timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0 ||
		tm.tm_year < 1 || tm.tm_year > 9999)
		return false;
	p = trail_put_digits(p, tm.tm_year, 4);
	*p++ = '-';
	p = trail_put_digits(p, tm.tm_mon, 2);
	*p++ = '-';
	p = trail_put_digits(p, tm.tm_mday, 2);
	*p++ = 'T';
	p = trail_put_digits(p, tm.tm_hour, 2);
	*p++ = ':';
	p = trail_put_digits(p, tm.tm_min, 2);
	*p++ = ':';
	p = trail_put_digits(p, tm.tm_sec, 2);
	*p++ = '.';
	p = trail_put_digits(p, (int) fsec, 6);
	*p++ = 'Z';
	*p = '\0';
	Assert(p - buf == TRAIL_TS_LEN - 1);
	return true;
}

/*
 * Appends one field of the canonical encoding: "<length>:<bytes>,", the
 * bytes and their length in UTF-8 whatever the database encoding, so that
 * a hash survives a restore into a database of another encoding.  In a
 * UTF-8 database the text is taken as it is; in SQL_ASCII, where no
 * conversion exists, it must already be UTF-8 (else 22021, refused).
 */
void
isms_trail_encode_field(StringInfo buf, const char *data, int len)
{
	char		num[12];
	int			numlen;
	char	   *utf8 = (char *) data;

	if (len > 0 && GetDatabaseEncoding() != PG_UTF8)
	{
		utf8 = pg_server_to_any(data, len, PG_UTF8);
		if (utf8 != data)
			len = strlen(utf8);
	}
	numlen = pg_ltoa(len, num);
	appendBinaryStringInfo(buf, num, numlen);
	appendStringInfoChar(buf, ':');
	appendBinaryStringInfo(buf, utf8, len);
	appendStringInfoChar(buf, ',');
	if (utf8 != data)
		pfree(utf8);
}

void
isms_trail_encode_int8(StringInfo buf, int64 value)
{
	char		num[MAXINT8LEN + 1];
	int			len = pg_lltoa(value, num);

	isms_trail_encode_field(buf, num, len);
}

/*
 * A field of the canonical encoding whose bytes are already UTF-8 (digits,
 * the timestamp, any text in a UTF-8 database), written in place.
 */
static inline void
trail_encode_utf8(StringInfo buf, const char *data, int len)
{
	char	   *p;

	enlargeStringInfo(buf, len + 12);
	p = buf->data + buf->len;
	p += pg_ultoa_n((uint32) len, p);
	*p++ = ':';
	memcpy(p, data, len);
	p += len;
	*p++ = ',';
	*p = '\0';
	buf->len = p - buf->data;
}

static inline void
trail_encode_text(StringInfo buf, const char *data, bool utf8db)
{
	if (utf8db)
		trail_encode_utf8(buf, data, strlen(data));
	else
		isms_trail_encode_field(buf, data, strlen(data));
}

static inline void
trail_encode_int8(StringInfo buf, int64 value)
{
	char		num[MAXINT8LEN + 1];

	trail_encode_utf8(buf, num, pg_lltoa(value, num));
}

/*
 * SHA-256 of one buffer.  With OpenSSL, one digest context serves the
 * backend: a pg_cryptohash context per entry, whose initialisation makes
 * OpenSSL 3 look the digest up by name each time, cost about as much as the
 * hashing itself.  The context holds no memory of PostgreSQL's and nothing
 * between two calls, so an error half-way leaves nothing to release.
 */
#ifdef USE_OPENSSL
static EVP_MD_CTX *sha256_ctx = NULL;
static const EVP_MD *sha256_md = NULL;
#endif

static void
trail_sha256(const uint8 *data, size_t len, uint8 *result)
{
#ifdef USE_OPENSSL
	unsigned int outlen = 0;

	if (sha256_ctx == NULL)
	{
		EVP_MD_CTX *ctx;
		const EVP_MD *md;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
#else
		md = EVP_sha256();
#endif
		if (md == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("could not find the SHA-256 digest of OpenSSL for the evidence trail"),
					 errdetail("OpenSSL returned no implementation of SHA-256."),
					 errhint("Check the OpenSSL configuration of the server (its providers, or FIPS mode) offers SHA-256.")));
#if OPENSSL_VERSION_NUMBER < 0x10100000L
		ctx = EVP_MD_CTX_create();
#else
		ctx = EVP_MD_CTX_new();
#endif
		if (ctx == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		sha256_md = md;
		sha256_ctx = ctx;
	}
	if (EVP_DigestInit_ex(sha256_ctx, sha256_md, NULL) != 1 ||
		EVP_DigestUpdate(sha256_ctx, data, len) != 1 ||
		EVP_DigestFinal_ex(sha256_ctx, result, &outlen) != 1 ||
		outlen != TRAIL_HASH_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not compute the SHA-256 hash of an evidence trail entry"),
				 errdetail("OpenSSL failed to compute the digest of %zu bytes (%u bytes of output).",
						   len, outlen),
				 errhint("Check the OpenSSL configuration of the server (its providers, or FIPS mode) allows SHA-256.")));
#else
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, data, len) < 0 ||
		pg_cryptohash_final(ctx, result, TRAIL_HASH_LEN) < 0)
		elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
#endif
}

/*
 * The buffers of the encoding and of the payload's text, kept across
 * entries (one per entry cost an allocation and its growth each time); a
 * buffer that an unusually large payload grew is given back.
 */
#define TRAIL_BUFFER_KEEP	(64 * 1024)
static StringInfoData enc_buf;
static StringInfoData payload_buf;

static void
trail_buffer_reset(StringInfo buf)
{
	if (buf->data != NULL && buf->maxlen > TRAIL_BUFFER_KEEP)
	{
		pfree(buf->data);
		buf->data = NULL;
	}
	if (buf->data == NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(buf);
		MemoryContextSwitchTo(oldcxt);
	}
	resetStringInfo(buf);
}

/*
 * hash = SHA-256(prev_hash || encoding), where encoding is the netstrings
 * of org_id, seq, recorded_at, actor, record_table, record_id, action and
 * payload (jsonb's own text output), in that order, then login_role and
 * source when login_role is not NULL (entries written before 0.2.0 have
 * neither and keep their hash).  The README documents it for auditors.
 */
static void
trail_hash(const uint8 *prev_hash, int64 org_id, int64 seq,
		   const char *recorded_at, const char *actor,
		   const char *record_table, int64 record_id, const char *action,
		   Jsonb *payload, const char *login_role,
		   const char *source, uint8 *result)
{
	StringInfo	buf = &enc_buf;
	bool		utf8db = GetDatabaseEncoding() == PG_UTF8;

	trail_buffer_reset(&enc_buf);
	trail_buffer_reset(&payload_buf);
	JsonbToCString(&payload_buf, &payload->root, VARSIZE(payload));

	appendBinaryStringInfo(buf, (const char *) prev_hash, TRAIL_HASH_LEN);
	trail_encode_int8(buf, org_id);
	trail_encode_int8(buf, seq);
	trail_encode_utf8(buf, recorded_at, strlen(recorded_at));
	trail_encode_text(buf, actor, utf8db);
	trail_encode_text(buf, record_table, utf8db);
	trail_encode_int8(buf, record_id);
	trail_encode_text(buf, action, utf8db);
	if (utf8db)
		trail_encode_utf8(buf, payload_buf.data, payload_buf.len);
	else
		isms_trail_encode_field(buf, payload_buf.data, payload_buf.len);
	if (login_role != NULL)
	{
		trail_encode_text(buf, login_role, utf8db);
		trail_encode_text(buf, source, utf8db);
	}

	trail_sha256((const uint8 *) buf->data, buf->len, result);
}

static bytea *
hash_to_bytea(const uint8 *hash)
{
	bytea	   *b = palloc(VARHDRSZ + TRAIL_HASH_LEN);

	SET_VARSIZE(b, VARHDRSZ + TRAIL_HASH_LEN);
	memcpy(VARDATA(b), hash, TRAIL_HASH_LEN);
	return b;
}

/*
 * Reads the newest entry of an organisation through the primary key.
 * SnapshotSelf sees everything committed before we got the lock plus this
 * transaction's own entries, including those of the current command.
 */
static bool
trail_read_head(Relation rel, Relation pkey, int64 org_id,
				int64 *seq, uint8 *hash)
{
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		found = false;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(org_id));
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, pkey, SnapshotSelf, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	if (index_getnext_slot(scan, BackwardScanDirection, slot))
	{
		bool		isnull;
		bytea	   *h;

		*seq = DatumGetInt64(slot_getattr(slot, ATT_SEQ, &isnull));
		h = DatumGetByteaPP(slot_getattr(slot, ATT_HASH, &isnull));
		if (isnull || VARSIZE_ANY_EXHDR(h) != TRAIL_HASH_LEN)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("trail entry %lld of organisation %lld has no valid hash",
							(long long) *seq, (long long) org_id),
					 errhint("Run isms.verify_trail(%lld) to find where the chain breaks.",
							 (long long) org_id)));
		memcpy(hash, VARDATA_ANY(h), TRAIL_HASH_LEN);
		found = true;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	return found;
}

/*
 * Opens isms.trail and its indexes for an append: the first append of a
 * transaction (or the first after an invalidation) locks them, the next
 * ones rely on the locks this transaction holds (see trail_locked).
 */
static void
trail_open_append(TrailRels *r, int64 org_id)
{
	for (;;)
	{
		bool		locked;
		LOCKMODE	mode;
		int			i;

		/* on a Citus worker the cache follows the organisation's shard */
		if (OidIsValid(trail_relid))
			trail_lookup_relations(org_id);
		locked = trail_locked && OidIsValid(trail_relid);
		mode = locked ? NoLock : RowExclusiveLock;
		if (locked)
		{
			r->rel = relation_open(trail_relid, NoLock);
			r->pkey_relid = trail_pkey_relid;
		}
		else
			r->rel = trail_open(RowExclusiveLock, &r->pkey_relid, org_id);
		r->nindexes = trail_nindexes;
		r->info = trail_index_info;
		r->indexes = palloc(sizeof(Relation) * Max(r->nindexes, 1));

		/*
		 * An index that does not take inserts is neither locked nor opened
		 * (a NULL entry): it may be one DROP INDEX CONCURRENTLY is dropping,
		 * whose lock would make the append wait for the drop and then fail
		 * to open a relation that no longer exists.
		 */
		for (i = 0; i < r->nindexes; i++)
			r->indexes[i] = r->info[i]->ii_ReadyForInserts ?
				index_open(trail_index_oids[i], mode) : NULL;

		/* opening may have processed an invalidation of the cache */
		if (OidIsValid(trail_relid) && RelationGetRelid(r->rel) == trail_relid)
		{
			trail_locked = true;
			return;
		}
		for (i = 0; i < r->nindexes; i++)
			if (r->indexes[i] != NULL)
				index_close(r->indexes[i], NoLock);
		relation_close(r->rel, NoLock);
		pfree(r->indexes);
		trail_locked = false;
	}
}

/* Closes what trail_open_append() opened; the locks stay until commit. */
static void
trail_close_append(TrailRels *r)
{
	int			i;

	for (i = 0; i < r->nindexes; i++)
		if (r->indexes[i] != NULL)
			index_close(r->indexes[i], NoLock);
	relation_close(r->rel, NoLock);
	pfree(r->indexes);
}

/*
 * Inserts a formed tuple into the heap and every index of the trail that
 * takes inserts, as CatalogTupleInsert() does: the index keys are plain
 * columns, taken from the values the tuple was formed from.
 */
static void
trail_insert_tuple(TrailRels *r, HeapTuple tuple, Datum *values, bool *nulls)
{
	int			i;

	simple_heap_insert(r->rel, tuple);

	for (i = 0; i < r->nindexes; i++)
	{
		IndexInfo  *info = r->info[i];
		Relation	index = r->indexes[i];
		Datum		ivalues[INDEX_MAX_KEYS];
		bool		inulls[INDEX_MAX_KEYS];
		int			k;

		/*
		 * an index CREATE INDEX CONCURRENTLY has not made ready yet, or one
		 * being dropped: not opened (trail_open_append)
		 */
		if (index == NULL || !info->ii_ReadyForInserts)
			continue;
		for (k = 0; k < info->ii_NumIndexAttrs; k++)
		{
			AttrNumber	attno = info->ii_IndexAttrNumbers[k];

			ivalues[k] = values[attno - 1];
			inulls[k] = nulls[attno - 1];
		}
		index_insert(index, ivalues, inulls, &tuple->t_self, r->rel,
					 index->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
					 false, info);
	}
}

static int64 trail_append_entry(int64 org_id, Oid relid, int64 record_id,
								const char *action, Jsonb *payload,
								bool by_hand);

int64
isms_trail_append(int64 org_id, Oid relid, int64 record_id,
				  const char *action, Jsonb *payload)
{
	return trail_append_entry(org_id, relid, record_id, action, payload, false);
}

static int64
trail_append_entry(int64 org_id, Oid relid, int64 record_id,
				   const char *action, Jsonb *payload, bool by_hand)
{
	Relation	rel;
	LOCKTAG		tag;
	int64		seq;
	uint8		prev_hash[TRAIL_HASH_LEN];
	uint8		hash[TRAIL_HASH_LEN];
	TimestampTz now;
	char		ts[TRAIL_TS_LEN];
	const char *actor;
	const char *login_role;
	const char *source = by_hand ? "hand" : "engine";
	const char *record_table;
	Datum		values[TRAIL_NATTS];
	bool		nulls[TRAIL_NATTS] = {0};
	HeapTuple	tuple;
	TrailRels	rels;

	PreventCommandIfReadOnly("isms.trail_append()");
	PreventCommandIfParallelMode("isms.trail_append()");
	if (action == NULL || action[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a trail entry needs an action"),
				 errhint("Name what happened, such as \"transition\" or \"approval\".")));

	record_table = trail_record_table_name(relid);
	actor = isms_current_actor();
	login_role = isms_current_login();

	trail_open_append(&rels, org_id);
	rel = rels.rel;

	/* serialise appends to this organisation until commit */
	if (!(head_cache.valid && head_cache.org_id == org_id))
	{
		Relation	pkey;

		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId,
							 (uint32) ((uint64) org_id >> 32),
							 (uint32) org_id, TRAIL_LOCK_CLASS);
		(void) LockAcquire(&tag, ExclusiveLock, false, false);

		pkey = index_open(rels.pkey_relid, AccessShareLock);
		head_cache.valid = false;
		head_cache.org_id = org_id;
		if (!trail_read_head(rel, pkey, org_id, &head_cache.seq,
							 head_cache.hash))
		{
			head_cache.seq = 0;
			memcpy(head_cache.hash, genesis_hash, TRAIL_HASH_LEN);
		}
		index_close(pkey, AccessShareLock);
		head_cache.valid = true;
	}
	seq = head_cache.seq + 1;
	memcpy(prev_hash, head_cache.hash, TRAIL_HASH_LEN);

	/* clock time under the lock, so it never decreases along the chain */
	now = GetCurrentTimestamp();
	if (!isms_trail_format_timestamp(now, ts))
		elog(ERROR, "system clock out of the range of the trail");

	if (payload == NULL)
		payload = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													 CStringGetDatum("{}")));
	trail_hash(prev_hash, org_id, seq, ts, actor, record_table, record_id,
			   action, payload, login_role, source, hash);

	values[ATT_ORG_ID - 1] = Int64GetDatum(org_id);
	values[ATT_SEQ - 1] = Int64GetDatum(seq);
	values[ATT_RECORDED_AT - 1] = TimestampTzGetDatum(now);
	values[ATT_ACTOR - 1] = PointerGetDatum(cstring_to_text(actor));
	values[ATT_RECORD_TABLE - 1] = PointerGetDatum(cstring_to_text(record_table));
	values[ATT_RECORD_ID - 1] = Int64GetDatum(record_id);
	values[ATT_ACTION - 1] = PointerGetDatum(cstring_to_text(action));
	values[ATT_PAYLOAD - 1] = JsonbPGetDatum(payload);
	values[ATT_PREV_HASH - 1] = PointerGetDatum(hash_to_bytea(prev_hash));
	values[ATT_HASH - 1] = PointerGetDatum(hash_to_bytea(hash));
	values[ATT_LOGIN_ROLE - 1] = PointerGetDatum(cstring_to_text(login_role));
	values[ATT_SOURCE - 1] = PointerGetDatum(cstring_to_text(source));

	tuple = heap_form_tuple(RelationGetDescr(rel), values, nulls);
	trail_insert_tuple(&rels, tuple, values, nulls);
	heap_freetuple(tuple);

	trail_close_append(&rels);

	/* the new entry is the head from now on */
	head_cache.seq = seq;
	memcpy(head_cache.hash, hash, TRAIL_HASH_LEN);

	return seq;
}

/*
 * The checks of an append from SQL run once per entry: their plans are
 * prepared once per backend and kept (the plan cache replans them after a
 * change of what they read), not parsed and planned at every call, which
 * was most of a bulk append's time.  Prepared under the pinned search_path.
 */
static SPIPlanPtr member_plan = NULL;
static SPIPlanPtr register_plan = NULL;

/*
 * And an answer holds for the rest of the statement that got it: a bulk
 * append of one organisation's entries about one table asks once.  Keyed
 * by the transaction and command, so the next statement asks again.
 */
typedef struct CheckedOnce
{
	LocalTransactionId lxid;
	CommandId	cid;
	int64		key;
	Oid			userid;
	char	   *org_setting;	/* isms.org when asked, malloc'd */
} CheckedOnce;
static CheckedOnce member_checked = {InvalidLocalTransactionId};
static CheckedOnce register_checked = {InvalidLocalTransactionId};

static bool
checked_once(CheckedOnce *c, int64 key)
{
	const char *org = isms_org ? isms_org : "";

	return c->lxid == MyProc->lxid && c->lxid != InvalidLocalTransactionId &&
		c->cid == GetCurrentCommandId(false) && c->key == key &&
		c->userid == GetUserId() && c->org_setting != NULL &&
		strcmp(c->org_setting, org) == 0;
}

static void
remember_checked(CheckedOnce *c, int64 key)
{
	char	   *org = strdup(isms_org ? isms_org : "");

	if (org == NULL)
		return;					/* not remembered: asked again next time */
	if (c->org_setting)
		free(c->org_setting);
	c->org_setting = org;
	c->lxid = MyProc->lxid;
	c->cid = GetCurrentCommandId(false);
	c->key = key;
	c->userid = GetUserId();
}

static SPIPlanPtr
trail_plan(SPIPlanPtr *plan, const char *sql, Oid *argtypes)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql, 1, argtypes);

		if (p == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "could not keep the plan of \"%s\"", sql);
		*plan = p;
	}
	return *plan;
}

/*
 * Refuses a caller who is neither a superuser nor, under row-level
 * security, a member of the organisation: the verification functions read
 * the trail past row-level security, so they ask the same question the
 * policies ask.  The query runs with search_path pinned and its operator
 * qualified; isms.member_orgs() pins its own.
 */
void
isms_require_member(int64 org_id, const char *what)
{
	Datum		arg[1] = {Int64GetDatum(org_id)};
	Oid			argtypes[1] = {INT8OID};
	bool		member = false;
	bool		isnull;
	IsmsRestrict safe;

	if (superuser() || checked_once(&member_checked, org_id))
		return;
	isms_restrict_begin(&safe, InvalidOid);
	SPI_connect();
	if (SPI_execute_plan(trail_plan(&member_plan,
									"SELECT $1 OPERATOR(pg_catalog.=) ANY (isms.member_orgs())",
									argtypes),
						 arg, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
		member = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1,
											&isnull)) && !isnull;
	SPI_finish();
	isms_restrict_end(&safe);
	if (member)
		remember_checked(&member_checked, org_id);
	else
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot %s organisation " INT64_FORMAT, what, org_id),
				 errdetail("Role \"%s\" is not a member of that organisation%s.",
						   GetUserNameFromId(GetUserId(), false),
						   (isms_org != NULL && isms_org[0] != '\0') ?
						   " as narrowed by the setting isms.org" : ""),
				 errhint("Ask an admin for a membership (isms.membership), or reset isms.org.")));
}

/*
 * isms.require_member(org_id, what): the same check for SQL functions.
 */
PG_FUNCTION_INFO_V1(require_member_sql);
Datum
require_member_sql(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("isms.require_member() needs an organisation"),
				 errhint("Pass the org_id of the organisation.")));
	isms_require_member(PG_GETARG_INT64(0),
						PG_ARGISNULL(1) ? "read" :
						text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}

/*
 * isms.trail_append(org_id, record_table, record_id, action, payload)
 * RETURNS bigint
 */
/*
 * Refuses (23503) a record table that is none of the ISMS's: a register
 * (isms.register, shared by every organisation), a workflow table or a
 * table of document control.  Read as the caller, search_path pinned.
 */
static void
trail_require_register(Oid relid)
{
	Datum		arg[1] = {ObjectIdGetDatum(relid)};
	Oid			argtypes[1] = {OIDOID};
	bool		known = false;
	bool		isnull;
	IsmsRestrict safe;

	if (checked_once(&register_checked, (int64) relid))
		return;
	isms_restrict_begin(&safe, InvalidOid);
	SPI_connect();
	if (SPI_execute_plan(trail_plan(&register_plan,
									"SELECT EXISTS (SELECT FROM isms.register r WHERE r.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1)"
									" OR EXISTS (SELECT FROM isms.workflow w WHERE w.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1)"
									" OR $1 OPERATOR(pg_catalog.=) ANY (ARRAY['isms.document'::pg_catalog.regclass, 'isms.document_version'::pg_catalog.regclass]::pg_catalog.oid[])",
									argtypes),
						 arg, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
		known = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1,
										   &isnull)) && !isnull;
	SPI_finish();
	isms_restrict_end(&safe);
	if (known)
	{
		remember_checked(&register_checked, (int64) relid);
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("table %s is not a register of the ISMS: the trail records only its records",
					trail_record_table_name(relid)),
			 errdetail("A trail entry is about a record of a register listed in isms.register, of a workflow table or of document control."),
			 errhint("SELECT relid FROM isms.register lists the registers.")));
}

Datum
trail_append_sql(PG_FUNCTION_ARGS)
{
	char	   *action;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) ||
		PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("isms.trail_append() needs an organisation, a table, a record and an action"),
				 errhint("Only the payload may be NULL.")));
	action = text_to_cstring(PG_GETARG_TEXT_PP(3));

	/*
	 * From SQL, only into the chains of the caller's organisations (the C
	 * API serves triggers that have already passed row-level security).
	 */
	isms_require_member(PG_GETARG_INT64(0), "append to the trail of");
	for (i = 0; reserved_actions[i] != NULL; i++)
		if (strcmp(action, reserved_actions[i]) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_ISMS_TRAIL_RESERVED),
					 errmsg("action \"%s\" is reserved to the engine: isms.trail_append() cannot write it", action),
					 errdetail("Entries named transitions, import, approve, reject, publish, retire, withdraw, evidence, risk_acceptance, review and sign-off are written only by the workflow engine, document control and the functions that record them, so that they can be trusted."),
					 errhint("Use the function that records the fact (isms.transition, isms.approve_document, isms.mark_reviewed, isms.sign_off ...), or name the action of your own entry differently.")));
	trail_require_register(PG_GETARG_OID(1));
	PG_RETURN_INT64(trail_append_entry(PG_GETARG_INT64(0), PG_GETARG_OID(1),
									   PG_GETARG_INT64(2), action,
									   PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4),
									   true));
}

/*
 * isms.trail_append_engine(org_id, record_table, record_id, action,
 * payload) RETURNS bigint: granted to no role; the extension's
 * security-definer functions call it after checking what they record.
 */
PG_FUNCTION_INFO_V1(trail_append_engine_sql);
Datum
trail_append_engine_sql(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) ||
		PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("isms.trail_append_engine() needs an organisation, a table, a record and an action"),
				 errhint("Only the payload may be NULL.")));
	PG_RETURN_INT64(trail_append_entry(PG_GETARG_INT64(0), PG_GETARG_OID(1),
									   PG_GETARG_INT64(2),
									   text_to_cstring(PG_GETARG_TEXT_PP(3)),
									   PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4),
									   false));
}

/* one row of verify_trail()'s result */
static void
verify_report(ReturnSetInfo *rsinfo, int64 seq, const uint8 *expected,
			  const uint8 *found, const char *problem)
{
	Datum		values[4];
	bool		nulls[4] = {0};

	values[0] = Int64GetDatum(seq);
	if (expected)
		values[1] = PointerGetDatum(hash_to_bytea(expected));
	else
		nulls[1] = true;
	if (found)
		values[2] = PointerGetDatum(hash_to_bytea(found));
	else
		nulls[2] = true;
	values[3] = PointerGetDatum(cstring_to_text(problem));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* copies a stored hash; false when it is not 32 bytes */
static bool
get_hash(TupleTableSlot *slot, int attnum, uint8 *hash)
{
	bool		isnull;
	bytea	   *b;

	b = DatumGetByteaPP(slot_getattr(slot, attnum, &isnull));
	if (isnull || VARSIZE_ANY_EXHDR(b) != TRAIL_HASH_LEN)
		return false;
	memcpy(hash, VARDATA_ANY(b), TRAIL_HASH_LEN);
	return true;
}

static char *
get_text(TupleTableSlot *slot, int attnum)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, attnum, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * isms.verify_trail(org_id bigint [, head_seq bigint, head_hash text])
 * RETURNS TABLE (seq bigint, expected_hash bytea, found_hash bytea,
 *				  problem text)
 *
 * Walks the organisation's entries in seq order, recomputing each hash
 * from the previous entry's, and reports the first broken link:
 *	- a missing entry (a gap in seq): seq is the missing number, found_hash
 *	  the hash its successor recorded for it;
 *	- a broken link: prev_hash differs from the previous entry's hash
 *	  (entries removed, inserted or reordered);
 *	- an altered entry: the stored hash differs from the recomputed one;
 *	- with a recorded head: that entry is missing or has another hash.
 */
Datum
verify_trail(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		org_id = PG_GETARG_INT64(0);
	bool		check_head = PG_NARGS() >= 3;
	int64		head_seq = 0;
	uint8		head_hash[TRAIL_HASH_LEN];
	bool		head_seen = false;
	Relation	rel = NULL;
	Relation	pkey = NULL;
	ScanKeyData key;
	IndexScanDesc scan = NULL;
	TupleTableSlot *slot;
	uint8		prev[TRAIL_HASH_LEN];
	int64		expected_seq = 1;
	bool		broken = false;
	MemoryContext rowcxt;
	MemoryContext oldcxt;
	Oid			pkey_relid;
	Snapshot	snapshot = NULL;
	bool		remote;
	IsmsRestrict safe;
	Portal		portal = NULL;
	uint64		fetched = 0;

	isms_require_member(org_id, "verify the trail of");
	InitMaterializedSRF(fcinfo, 0);

	if (check_head)
	{
		char	   *hex = text_to_cstring(PG_GETARG_TEXT_PP(2));
		bytea	   *b;

		head_seq = PG_GETARG_INT64(1);
		b = DatumGetByteaPP(DirectFunctionCall2(binary_decode,
												CStringGetTextDatum(hex),
												CStringGetTextDatum("hex")));
		if (VARSIZE_ANY_EXHDR(b) != TRAIL_HASH_LEN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("recorded trail head hash \"%s\" is not a SHA-256 hash", hex),
					 errhint("Pass the 64 hexadecimal digits isms.trail_head() returned.")));
		memcpy(head_hash, VARDATA_ANY(b), TRAIL_HASH_LEN);
	}

	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "verify_trail row",
								   ALLOCSET_DEFAULT_SIZES);
	memcpy(prev, genesis_hash, TRAIL_HASH_LEN);

	/*
	 * On a Citus coordinator the organisation's trail is a shard on a
	 * worker: its entries are read through Citus, in seq order, as the
	 * transaction sees them, and checked here as they would be there.
	 */
	remote = !OidIsValid(isms_citus_org_shard_here(trail_table(), org_id));
	if (remote)
	{
		Oid			argtypes[1] = {INT8OID};
		Datum		args[1] = {Int64GetDatum(org_id)};
		SPIPlanPtr	plan;

		isms_restrict_begin(&safe, InvalidOid);
		SPI_connect();
		plan = SPI_prepare("SELECT t.* FROM isms.trail t "
						   "WHERE t.org_id OPERATOR(pg_catalog.=) $1 ORDER BY t.seq",
						   1, argtypes);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		portal = SPI_cursor_open(NULL, plan, args, NULL, true);
		slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(portal->tupDesc),
										&TTSOpsHeapTuple);
		if (slot->tts_tupleDescriptor->natts != TRAIL_NATTS)
			elog(ERROR, "isms.trail does not have the shape of the evidence trail");
	}
	else
	{
		rel = trail_open(AccessShareLock, &pkey_relid, org_id);
		pkey = index_open(pkey_relid, AccessShareLock);
		ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ,
					Int64GetDatum(org_id));
		slot = table_slot_create(rel, NULL);

		/*
		 * The trail as committed when verification runs, and this
		 * transaction's own changes: a fresh snapshot, not the
		 * transaction's, so that a REPEATABLE READ transaction (a BI
		 * tool's, a long audit session) does not report intact a trail
		 * altered since it began.
		 */
		snapshot = RegisterSnapshot(GetLatestSnapshot());
		scan = index_beginscan(rel, pkey, snapshot, 1, 0);
		index_rescan(scan, &key, 1, NULL, 0);
	}

	while (!broken)
	{
		bool		isnull;
		int64		seq;
		uint8		stored_prev[TRAIL_HASH_LEN];
		uint8		stored[TRAIL_HASH_LEN];
		uint8		computed[TRAIL_HASH_LEN];
		char		ts[TRAIL_TS_LEN];
		char	   *actor;
		char	   *record_table;
		char	   *action;
		char	   *login_role;
		char	   *source;
		Datum		d;
		bool		has_prev;
		bool		has_hash;
		bool		complete;

		CHECK_FOR_INTERRUPTS();
		if (remote)
		{
			if (fetched == SPI_processed)
			{
				if (SPI_tuptable != NULL)
					SPI_freetuptable(SPI_tuptable);
				SPI_cursor_fetch(portal, true, 1000);
				fetched = 0;
				if (SPI_processed == 0)
					break;
			}
			ExecStoreHeapTuple(SPI_tuptable->vals[fetched++], slot, false);
		}
		else if (!index_getnext_slot(scan, ForwardScanDirection, slot))
			break;
		oldcxt = MemoryContextSwitchTo(rowcxt);

		seq = DatumGetInt64(slot_getattr(slot, ATT_SEQ, &isnull));
		has_prev = get_hash(slot, ATT_PREV_HASH, stored_prev);
		has_hash = get_hash(slot, ATT_HASH, stored);

		if (seq != expected_seq)
		{
			MemoryContextSwitchTo(oldcxt);
			verify_report(rsinfo, expected_seq, NULL,
						  has_prev ? stored_prev : NULL,
						  psprintf("entry %lld is missing: the next entry is %lld",
								   (long long) expected_seq, (long long) seq));
			broken = true;
			break;
		}
		if (!has_prev || memcmp(stored_prev, prev, TRAIL_HASH_LEN) != 0)
		{
			MemoryContextSwitchTo(oldcxt);
			verify_report(rsinfo, seq, prev, has_prev ? stored_prev : NULL,
						  "broken link: prev_hash is not the hash of the previous entry (entries removed, inserted or reordered)");
			broken = true;
			break;
		}

		d = slot_getattr(slot, ATT_RECORDED_AT, &isnull);
		complete = !isnull && isms_trail_format_timestamp(DatumGetTimestampTz(d), ts);
		actor = get_text(slot, ATT_ACTOR);
		record_table = get_text(slot, ATT_RECORD_TABLE);
		action = get_text(slot, ATT_ACTION);
		login_role = get_text(slot, ATT_LOGIN_ROLE);
		source = get_text(slot, ATT_SOURCE);
		complete = complete && has_hash && actor && record_table && action;
		/* both or neither: neither for an entry written before 0.2.0 */
		complete = complete && ((login_role == NULL) == (source == NULL));
		(void) slot_getattr(slot, ATT_RECORD_ID, &isnull);
		complete = complete && !isnull;
		(void) slot_getattr(slot, ATT_PAYLOAD, &isnull);
		complete = complete && !isnull;

		if (complete)
		{
			bool		isnull2;

			trail_hash(prev, org_id, seq, ts, actor, record_table,
					   DatumGetInt64(slot_getattr(slot, ATT_RECORD_ID, &isnull2)),
					   action,
					   DatumGetJsonbP(slot_getattr(slot, ATT_PAYLOAD, &isnull2)),
					   login_role, source, computed);
		}
		if (!complete || memcmp(computed, stored, TRAIL_HASH_LEN) != 0)
		{
			MemoryContextSwitchTo(oldcxt);
			verify_report(rsinfo, seq, complete ? computed : NULL,
						  has_hash ? stored : NULL,
						  complete ?
						  "altered entry: its hash does not match its content" :
						  "altered entry: a field is missing or out of range");
			broken = true;
			break;
		}
		if (check_head && seq == head_seq)
		{
			head_seen = true;
			if (memcmp(stored, head_hash, TRAIL_HASH_LEN) != 0)
			{
				MemoryContextSwitchTo(oldcxt);
				verify_report(rsinfo, seq, head_hash, stored,
							  "recorded head differs: the chain up to this entry was rewritten");
				broken = true;
				break;
			}
		}

		memcpy(prev, stored, TRAIL_HASH_LEN);
		expected_seq = seq + 1;
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(rowcxt);
	}

	if (!broken && check_head && !head_seen)
		verify_report(rsinfo, head_seq, head_hash, NULL,
					  psprintf("recorded head is missing: the trail ends at entry %lld",
							   (long long) (expected_seq - 1)));

	ExecDropSingleTupleTableSlot(slot);
	MemoryContextDelete(rowcxt);
	if (remote)
	{
		SPI_cursor_close(portal);
		SPI_finish();
		isms_restrict_end(&safe);
	}
	else
	{
		index_endscan(scan);
		UnregisterSnapshot(snapshot);
		index_close(pkey, AccessShareLock);
		table_close(rel, AccessShareLock);
	}

	return (Datum) 0;
}

/*
 * isms.append_only(): BEFORE UPDATE OR DELETE OR TRUNCATE statement
 * trigger of the trail and of the history tables.  Refuses for every role:
 * only a superuser disabling or dropping the trigger gets past it, and that
 * shows in the catalog.  The argument 'history' selects IS021.
 */
Datum
append_only(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	const char *op;
	char	   *name;
	bool		history;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("isms.append_only() must be called as a trigger")));

	rel = trigdata->tg_relation;
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		op = "UPDATE";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		op = "DELETE";
	else if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		op = "TRUNCATE";
	else
		PG_RETURN_POINTER(NULL);	/* inserts are the point */

	name = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									  RelationGetRelationName(rel));
	history = trigdata->tg_trigger->tgnargs > 0 &&
		strcmp(trigdata->tg_trigger->tgargs[0], "history") == 0;

	if (history)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_HISTORY_APPEND_ONLY),
				 errmsg("%s of history table %s is not allowed", op, name),
				 errdetail("%s keeps superseded versions of register rows as evidence; they are never changed or removed, by any role.",
						   name),
				 errhint("Change the register row instead: its previous version is kept here.")));
	if (trigdata->tg_trigger->tgnargs > 0 &&
		strcmp(trigdata->tg_trigger->tgargs[0], "log") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ISMS_TRAIL_APPEND_ONLY),
				 errmsg("%s of %s is not allowed", op, name),
				 errdetail("%s records the workflow's accepted moves, sealed in the evidence trail; its rows are never changed or removed, by any role.",
						   name),
				 errhint("Move the record again to correct it; the new move is logged in turn.")));
	ereport(ERROR,
			(errcode(ERRCODE_ISMS_TRAIL_APPEND_ONLY),
			 errmsg("%s of the evidence trail %s is not allowed", op, name),
			 errdetail("The trail is append-only and hash-chained; its entries are never changed or removed, by any role."),
			 errhint("Record a correction as a new entry with isms.trail_append().")));
	PG_RETURN_POINTER(NULL);
}

/*
 * isms.trail_row(action, table_column, id_column, payload_column...):
 * AFTER INSERT OR UPDATE row trigger appending one entry per row, about
 * the record named by table_column ('-' for the row's own table) and
 * id_column, with the payload columns as a JSON object.  It calls the C
 * API, so the roles that write such rows (auditors recording evidence)
 * need no right to append by hand.  A superuser's INSERT is a restore: the
 * trail is restored beside it, so nothing is appended.
 */
PG_FUNCTION_INFO_V1(trail_row);

Datum
trail_row(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Trigger    *tg;
	TupleDesc	desc;
	HeapTuple	row;
	StringInfoData json;
	Oid			record_table;
	int64		record_id;
	int64		org_id;
	bool		isnull;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		td->tg_trigger->tgnargs < 3)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("isms.trail_row() must be an AFTER row trigger with arguments action, table column, id column")));
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event) && superuser())
		return PointerGetDatum(NULL);

	tg = td->tg_trigger;
	desc = RelationGetDescr(td->tg_relation);
	row = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;

	org_id = DatumGetInt64(SPI_getbinval(row, desc, SPI_fnumber(desc, "org_id"), &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a row of %s without an organisation cannot go into the trail",
						RelationGetRelationName(td->tg_relation)),
				 errdetail("Trigger %s appends each row to its organisation's chain; org_id is NULL.",
						   tg->tgname),
				 errhint("Give the row the org_id of its organisation.")));
	if (strcmp(tg->tgargs[1], "-") == 0)
		record_table = RelationGetRelid(td->tg_relation);
	else
		record_table = DatumGetObjectId(SPI_getbinval(row, desc,
													  SPI_fnumber(desc, tg->tgargs[1]),
													  &isnull));
	record_id = DatumGetInt64(SPI_getbinval(row, desc, SPI_fnumber(desc, tg->tgargs[2]),
											&isnull));

	initStringInfo(&json);
	appendStringInfoChar(&json, '{');
	for (i = 3; i < tg->tgnargs; i++)
	{
		int			att = SPI_fnumber(desc, tg->tgargs[i]);
		char	   *value;
		Oid			type;

		if (att <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" named by trigger %s does not exist",
							tg->tgargs[i], tg->tgname)));
		if (i > 3)
			appendStringInfoString(&json, ", ");
		escape_json(&json, tg->tgargs[i]);
		appendStringInfoString(&json, ": ");
		value = SPI_getvalue(row, desc, att);
		type = SPI_gettypeid(desc, att);
		if (value == NULL)
			appendStringInfoString(&json, "null");
		else if (type == INT2OID || type == INT4OID || type == INT8OID ||
				 type == NUMERICOID)
			appendStringInfoString(&json, value);
		else if (type == BOOLOID)
			appendStringInfoString(&json, value[0] == 't' ? "true" : "false");
		else if (type == BYTEAOID)
		{
			/* hex, without the \x of bytea's output */
			escape_json(&json, value + 2);
		}
		else
			escape_json(&json, value);
	}
	appendStringInfoChar(&json, '}');

	isms_trail_append(org_id, record_table, record_id, tg->tgargs[0],
					  DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
														 CStringGetDatum(json.data))));
	return PointerGetDatum(NULL);
}
