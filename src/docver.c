/*-------------------------------------------------------------------------
 *
 * docver.c
 *	  isms.docver: a document version major.minor, ordered numerically.
 *
 * Stored as a pass-by-value int32, major << 16 | minor; major is at most
 * 32767 so the value is never negative and signed order is version order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "codec.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/sortsupport.h"

#define PG_GETARG_DOCVER(n)	PG_GETARG_INT32(n)
#define PG_RETURN_DOCVER(v)	PG_RETURN_INT32(v)

#define DOCVER_BINARY_VERSION	1

PG_FUNCTION_INFO_V1(docver_in);
PG_FUNCTION_INFO_V1(docver_out);
PG_FUNCTION_INFO_V1(docver_recv);
PG_FUNCTION_INFO_V1(docver_send);
PG_FUNCTION_INFO_V1(docver_eq);
PG_FUNCTION_INFO_V1(docver_ne);
PG_FUNCTION_INFO_V1(docver_lt);
PG_FUNCTION_INFO_V1(docver_le);
PG_FUNCTION_INFO_V1(docver_gt);
PG_FUNCTION_INFO_V1(docver_ge);
PG_FUNCTION_INFO_V1(docver_cmp);
PG_FUNCTION_INFO_V1(docver_larger);
PG_FUNCTION_INFO_V1(docver_smaller);
PG_FUNCTION_INFO_V1(docver_sortsupport);
PG_FUNCTION_INFO_V1(docver_hash);
PG_FUNCTION_INFO_V1(docver_hash_extended);
PG_FUNCTION_INFO_V1(docver_make);
PG_FUNCTION_INFO_V1(docver_major);
PG_FUNCTION_INFO_V1(docver_minor);
PG_FUNCTION_INFO_V1(docver_next_minor);
PG_FUNCTION_INFO_V1(docver_next_major);

static void
docver_check_range(int major, int minor)
{
	if (major < 0 || major > DOCVER_MAX_MAJOR || minor < 0 ||
		minor > DOCVER_MAX_MINOR)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("document version %d.%d is out of range for type isms.docver",
						major, minor),
				 errhint("The major version is between 0 and %d, the minor between 0 and %d.",
						 DOCVER_MAX_MAJOR, DOCVER_MAX_MINOR)));
}

Datum
docver_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int32		result;
	CodecResult r = docver_parse(str, &result);

	if (r.error == CODEC_NUMBER_TOO_LARGE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range for type isms.docver: \"%s\"", str),
				 errdetail("The number at byte %d exceeds its limit.",
						   r.position + 1),
				 errhint("The major version is between 0 and %d, the minor between 0 and %d.",
						 DOCVER_MAX_MAJOR, DOCVER_MAX_MINOR)));
	if (r.error != CODEC_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type isms.docver: \"%s\"", str),
				 r.error == CODEC_EMPTY ?
				 errdetail("%s", codec_error_detail(r.error)) :
				 errdetail("%s (at byte %d)", codec_error_detail(r.error),
						   r.position + 1),
				 errhint("Write a version as major.minor, such as \"1.0\" or \"2.13\".")));
	PG_RETURN_DOCVER(result);
}

Datum
docver_out(PG_FUNCTION_ARGS)
{
	char	   *buf = palloc(DOCVER_MAX_TEXT);

	docver_format(PG_GETARG_DOCVER(0), buf);
	PG_RETURN_CSTRING(buf);
}

/* Binary format: version byte, then major and minor as 16-bit integers. */
Datum
docver_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			major;
	int			minor;

	if (version != DOCVER_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary format version %d for type isms.docver",
						version),
				 errhint("This server reads version %d.", DOCVER_BINARY_VERSION)));
	major = pq_getmsgint(buf, 2);
	minor = pq_getmsgint(buf, 2);
	docver_check_range(major, minor);
	PG_RETURN_DOCVER(DOCVER_MAKE(major, minor));
}

Datum
docver_send(PG_FUNCTION_ARGS)
{
	int32		v = PG_GETARG_DOCVER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, DOCVER_BINARY_VERSION);
	pq_sendint16(&buf, DOCVER_MAJOR(v));
	pq_sendint16(&buf, DOCVER_MINOR(v));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

#define DOCVER_COMPARISON(name, op) \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(PG_GETARG_DOCVER(0) op PG_GETARG_DOCVER(1)); \
}

DOCVER_COMPARISON(docver_eq, ==)
DOCVER_COMPARISON(docver_ne, !=)
DOCVER_COMPARISON(docver_lt, <)
DOCVER_COMPARISON(docver_le, <=)
DOCVER_COMPARISON(docver_gt, >)
DOCVER_COMPARISON(docver_ge, >=)

Datum
docver_cmp(PG_FUNCTION_ARGS)
{
	int32		a = PG_GETARG_DOCVER(0);
	int32		b = PG_GETARG_DOCVER(1);

	PG_RETURN_INT32(a < b ? -1 : (a > b ? 1 : 0));
}

/* state functions of max() and min() */
Datum
docver_larger(PG_FUNCTION_ARGS)
{
	PG_RETURN_DOCVER(Max(PG_GETARG_DOCVER(0), PG_GETARG_DOCVER(1)));
}

Datum
docver_smaller(PG_FUNCTION_ARGS)
{
	PG_RETURN_DOCVER(Min(PG_GETARG_DOCVER(0), PG_GETARG_DOCVER(1)));
}

Datum
docver_sortsupport(PG_FUNCTION_ARGS)
{
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0);

	ssup->comparator = ssup_datum_int32_cmp;
	PG_RETURN_VOID();
}

Datum
docver_hash(PG_FUNCTION_ARGS)
{
	return hash_uint32((uint32) PG_GETARG_DOCVER(0));
}

Datum
docver_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_uint32_extended((uint32) PG_GETARG_DOCVER(0),
								PG_GETARG_INT64(1));
}

Datum
docver_make(PG_FUNCTION_ARGS)
{
	int32		major = PG_GETARG_INT32(0);
	int32		minor = PG_GETARG_INT32(1);

	docver_check_range(major, minor);
	PG_RETURN_DOCVER(DOCVER_MAKE(major, minor));
}

Datum
docver_major(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(DOCVER_MAJOR(PG_GETARG_DOCVER(0)));
}

Datum
docver_minor(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(DOCVER_MINOR(PG_GETARG_DOCVER(0)));
}

Datum
docver_next_minor(PG_FUNCTION_ARGS)
{
	int32		v = PG_GETARG_DOCVER(0);

	docver_check_range(DOCVER_MAJOR(v), DOCVER_MINOR(v) + 1);
	PG_RETURN_DOCVER(DOCVER_MAKE(DOCVER_MAJOR(v), DOCVER_MINOR(v) + 1));
}

/* 1.4 -> 2.0 */
Datum
docver_next_major(PG_FUNCTION_ARGS)
{
	int32		v = PG_GETARG_DOCVER(0);

	docver_check_range(DOCVER_MAJOR(v) + 1, 0);
	PG_RETURN_DOCVER(DOCVER_MAKE(DOCVER_MAJOR(v) + 1, 0));
}
