/*-------------------------------------------------------------------------
 *
 * isms.c
 *	  Module entry points of the isms extension.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(isms_version);

/* The version of the loaded library, which may lag the installed SQL. */
Datum
isms_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(ISMS_VERSION));
}
