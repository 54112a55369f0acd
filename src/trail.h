/*-------------------------------------------------------------------------
 *
 * trail.h
 *	  C API of the evidence trail, for the triggers of the workflow engine
 *	  and document control that append on their hot path.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ISMS_TRAIL_H
#define ISMS_TRAIL_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

/* length of a trail hash: SHA-256 */
#define TRAIL_HASH_LEN	32

/*
 * Appends one entry to the trail of organisation org_id and returns its
 * sequence number.  relid names the table of the record the entry is about
 * (stored as its qualified name); payload may be NULL, meaning '{}'.
 *
 * Takes the organisation's trail lock until the end of the transaction, so
 * call it as late as possible in a transaction that appends.  Writes the
 * row directly (no SPI, no privilege check on isms.trail): callers check
 * their own permissions.
 */
extern int64 isms_trail_append(int64 org_id, Oid relid, int64 record_id,
							   const char *action, Jsonb *payload);

/*
 * The canonical encoding, for other sealed records (the transition log):
 * a field is "<length>:<bytes>,"; a timestamp is UTC ISO 8601 with six
 * fractional digits, in a buffer of TRAIL_TS_LEN bytes (false when it is
 * not finite or out of range).
 */
#define TRAIL_TS_LEN	28
extern void isms_trail_encode_field(StringInfo buf, const char *data, int len);
extern void isms_trail_encode_int8(StringInfo buf, int64 value);
extern bool isms_trail_format_timestamp(TimestampTz ts, char *buf);

#endif							/* ISMS_TRAIL_H */
