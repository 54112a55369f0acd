/*-------------------------------------------------------------------------
 *
 * ref.c
 *	  isms.ref: a hierarchical reference to a clause or control.
 *
 * The value is a pass-by-value uint64 laid out by codec.h so that unsigned
 * integer order is the natural order; comparisons, hashing and sorting are
 * integer operations, and sorts take tuplesort's unsigned-datum fast path.
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

StaticAssertDecl(SIZEOF_DATUM == 8, "isms.ref needs 8-byte Datums");

#define DatumGetRef(d)		((uint64) DatumGetUInt64(d))
#define RefGetDatum(r)		UInt64GetDatum(r)
#define PG_GETARG_REF(n)	DatumGetRef(PG_GETARG_DATUM(n))
#define PG_RETURN_REF(r)	return RefGetDatum(r)

/* version byte of the binary format */
#define REF_BINARY_VERSION	1

PG_FUNCTION_INFO_V1(ref_in);
PG_FUNCTION_INFO_V1(ref_out);
PG_FUNCTION_INFO_V1(ref_recv);
PG_FUNCTION_INFO_V1(ref_send);
PG_FUNCTION_INFO_V1(ref_eq);
PG_FUNCTION_INFO_V1(ref_ne);
PG_FUNCTION_INFO_V1(ref_lt);
PG_FUNCTION_INFO_V1(ref_le);
PG_FUNCTION_INFO_V1(ref_gt);
PG_FUNCTION_INFO_V1(ref_ge);
PG_FUNCTION_INFO_V1(ref_cmp);
PG_FUNCTION_INFO_V1(ref_larger);
PG_FUNCTION_INFO_V1(ref_smaller);
PG_FUNCTION_INFO_V1(ref_sortsupport);
PG_FUNCTION_INFO_V1(ref_hash);
PG_FUNCTION_INFO_V1(ref_hash_extended);
PG_FUNCTION_INFO_V1(ref_contains);
PG_FUNCTION_INFO_V1(ref_contained);
PG_FUNCTION_INFO_V1(ref_parent);
PG_FUNCTION_INFO_V1(ref_depth);
PG_FUNCTION_INFO_V1(ref_subpath);
PG_FUNCTION_INFO_V1(ref_subpath_to_end);

Datum
ref_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	uint64		result;
	CodecResult r = ref_parse(str, &result);

	if (r.error == CODEC_NUMBER_TOO_LARGE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range for type isms.ref: \"%s\"", str),
				 errdetail("A number at byte %d exceeds %d.",
						   r.position + 1, REF_MAX_NUMBER),
				 errhint("Each number of a reference is between 0 and %d.",
						 REF_MAX_NUMBER)));
	if (r.error != CODEC_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type isms.ref: \"%s\"", str),
				 r.error == CODEC_EMPTY ?
				 errdetail("%s", codec_error_detail(r.error)) :
				 errdetail("%s (at byte %d)", codec_error_detail(r.error),
						   r.position + 1),
				 errhint("Write a clause or control reference such as \"6.1.2\" or \"A.5.24\".")));
	PG_RETURN_REF(result);
}

Datum
ref_out(PG_FUNCTION_ARGS)
{
	uint64		ref = PG_GETARG_REF(0);
	char	   *buf = palloc(REF_MAX_TEXT);

	ref_format(ref, buf);
	PG_RETURN_CSTRING(buf);
}

/*
 * Binary format: version byte, letter byte (0 or 'A'..'Z'), count byte, then
 * count 16-bit numbers.  It does not expose the in-memory layout, so that
 * layout can change without breaking clients.
 */
Datum
ref_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			letter;
	int			count;
	int			numbers[REF_MAX_NUMBERS];
	int			i;

	if (version != REF_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary format version %d for type isms.ref",
						version),
				 errhint("This server reads version %d.", REF_BINARY_VERSION)));
	letter = pq_getmsgbyte(buf);
	count = pq_getmsgbyte(buf);
	if (letter != 0 && (letter < 'A' || letter > 'Z'))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid letter byte %d in binary isms.ref", letter),
				 errhint("The letter byte is 0 or an upper-case ASCII letter.")));
	if (count < 1 || count > REF_MAX_NUMBERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number count %d in binary isms.ref", count),
				 errhint("A reference has 1 to %d numbers.", REF_MAX_NUMBERS)));
	for (i = 0; i < count; i++)
	{
		numbers[i] = pq_getmsgint(buf, 2);
		if (numbers[i] > REF_MAX_NUMBER)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("number %d out of range in binary isms.ref",
							numbers[i]),
					 errhint("Each number of a reference is between 0 and %d.",
							 REF_MAX_NUMBER)));
	}
	PG_RETURN_REF(ref_build(letter ? letter - 'A' + 1 : 0, count, numbers));
}

Datum
ref_send(PG_FUNCTION_ARGS)
{
	uint64		ref = PG_GETARG_REF(0);
	int			letter = ref_letter_of(ref);
	int			depth = ref_depth_of(ref);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, REF_BINARY_VERSION);
	pq_sendbyte(&buf, letter ? 'A' + letter - 1 : 0);
	pq_sendbyte(&buf, depth);
	for (i = 0; i < depth; i++)
		pq_sendint16(&buf, ref_number_at(ref, i));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

#define REF_COMPARISON(name, op) \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(PG_GETARG_REF(0) op PG_GETARG_REF(1)); \
}

REF_COMPARISON(ref_eq, ==)
REF_COMPARISON(ref_ne, !=)
REF_COMPARISON(ref_lt, <)
REF_COMPARISON(ref_le, <=)
REF_COMPARISON(ref_gt, >)
REF_COMPARISON(ref_ge, >=)

Datum
ref_cmp(PG_FUNCTION_ARGS)
{
	uint64		a = PG_GETARG_REF(0);
	uint64		b = PG_GETARG_REF(1);

	PG_RETURN_INT32(a < b ? -1 : (a > b ? 1 : 0));
}

/* state functions of max() and min() */
Datum
ref_larger(PG_FUNCTION_ARGS)
{
	PG_RETURN_REF(Max(PG_GETARG_REF(0), PG_GETARG_REF(1)));
}

Datum
ref_smaller(PG_FUNCTION_ARGS)
{
	PG_RETURN_REF(Min(PG_GETARG_REF(0), PG_GETARG_REF(1)));
}

Datum
ref_sortsupport(PG_FUNCTION_ARGS)
{
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0);

	ssup->comparator = ssup_datum_unsigned_cmp;
	PG_RETURN_VOID();
}

/* Fold the halves as hashint8 does, so the hash is byte-order independent. */
static inline uint32
ref_fold(uint64 ref)
{
	return (uint32) ref ^ (uint32) (ref >> 32);
}

Datum
ref_hash(PG_FUNCTION_ARGS)
{
	return hash_uint32(ref_fold(PG_GETARG_REF(0)));
}

Datum
ref_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_uint32_extended(ref_fold(PG_GETARG_REF(0)), PG_GETARG_INT64(1));
}

/* Mask keeping the letter and the first "depth" numbers. */
static inline uint64
ref_prefix_mask(int depth)
{
	int			keep_from = REF_FIELD_SHIFT(depth - 1);

	return ~(uint64) 0 << keep_from;
}

/* a is b or an ancestor of b */
static inline bool
ref_is_ancestor_or_self(uint64 a, uint64 b)
{
	return (b & ref_prefix_mask(ref_depth_of(a))) == a;
}

Datum
ref_contains(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(ref_is_ancestor_or_self(PG_GETARG_REF(0), PG_GETARG_REF(1)));
}

Datum
ref_contained(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(ref_is_ancestor_or_self(PG_GETARG_REF(1), PG_GETARG_REF(0)));
}

/* The parent reference, or NULL for a top-level one ("4", "A.5"). */
Datum
ref_parent(PG_FUNCTION_ARGS)
{
	uint64		ref = PG_GETARG_REF(0);
	int			depth = ref_depth_of(ref);

	if (depth <= 1)
		PG_RETURN_NULL();
	PG_RETURN_REF(ref & ref_prefix_mask(depth - 1));
}

Datum
ref_depth(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(ref_depth_of(PG_GETARG_REF(0)));
}

/*
 * The numbers offset..offset+len-1 (0-based, as ltree's subpath), with the
 * letter only when the result starts at the first number.  A negative
 * offset counts from the end; a negative len leaves that many off the end.
 */
static uint64
ref_subpath_internal(uint64 ref, int offset, int len)
{
	int			depth = ref_depth_of(ref);
	int			numbers[REF_MAX_NUMBERS];
	int			end;
	int			i;

	if (offset < 0)
		offset += depth;
	end = (len < 0) ? depth + len : offset + len;
	if (end > depth)
		end = depth;
	if (offset < 0 || offset >= depth || end <= offset)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid positions for subpath of isms.ref \"%s\"",
						DatumGetCString(DirectFunctionCall1(ref_out,
															RefGetDatum(ref)))),
				 errdetail("The reference has %d numbers; the requested range is empty or outside it.",
						   depth),
				 errhint("Offsets count numbers from 0; the result must keep at least one number.")));
	for (i = offset; i < end; i++)
		numbers[i - offset] = ref_number_at(ref, i);
	return ref_build(offset == 0 ? ref_letter_of(ref) : 0, end - offset, numbers);
}

Datum
ref_subpath(PG_FUNCTION_ARGS)
{
	PG_RETURN_REF(ref_subpath_internal(PG_GETARG_REF(0), PG_GETARG_INT32(1),
									   PG_GETARG_INT32(2)));
}

Datum
ref_subpath_to_end(PG_FUNCTION_ARGS)
{
	PG_RETURN_REF(ref_subpath_internal(PG_GETARG_REF(0), PG_GETARG_INT32(1),
									   REF_MAX_NUMBERS));
}
