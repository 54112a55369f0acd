/*-------------------------------------------------------------------------
 *
 * write_check.c
 *	  Clear refusals of register writes, made by isms.stamp() (a BEFORE
 *	  INSERT OR UPDATE row trigger of every register) before PostgreSQL
 *	  refuses the same row in words an application cannot act on:
 *
 *	- a row of an organisation the role may not write: row-level security
 *	  says only "new row violates row-level security policy"; here 42501
 *	  names the table, the organisation and the role, lists the
 *	  organisations the role may write and says what to do;
 *	- a clause or control the catalog does not have (A.8.99): the foreign
 *	  key's message hides the value under row-level security; here 23503
 *	  names the column, the value and the framework.
 *
 * The organisation check asks what the member policy asks,
 * isms.member_orgs() for the current user, and reads the answer
 * membership.c keeps for the snapshot (isms_member_org_ids), so the check
 * and the policy agree.  Superusers and roles with
 * BYPASSRLS are not checked, as row-level security does not check them.
 * The reference check is one probe of the unique index the foreign key
 * uses; superusers are left to the foreign key itself, as a restore
 * loads rows before the catalog rows of imported frameworks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "isms.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "rewrite/rowsecurity.h"
#include "storage/lockdefs.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/inval.h"
#include "utils/syscache.h"
#include "write_check.h"

static AttrNumber
attnum_of(Relation rel, const char *name, Oid type)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);

	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && att->atttypid == type &&
			strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
	return InvalidAttrNumber;
}

/*
 * What to check of rel: org_id when its only policy is the member policy of
 * isms.setup_register() (a table with other policies, such as
 * isms.organization, is left to them), and each foreign key to the
 * catalog's (framework, ref).  stamp_fn locates the extension's schema.
 */
void
write_check_lookup(Relation rel, Oid stamp_fn, WriteCheckInfo *info)
{
	Oid			nsp = get_func_namespace(stamp_fn);
	List	   *fkeys;
	ListCell   *lc;

	memset(info, 0, sizeof(*info));

	if (rel->rd_rel->relrowsecurity && rel->rd_rsdesc != NULL &&
		list_length(rel->rd_rsdesc->policies) == 1)
	{
		RowSecurityPolicy *p = linitial(rel->rd_rsdesc->policies);

		if (p->permissive && p->polcmd == '*' &&
			strcmp(p->policy_name, "member") == 0)
			info->org_attnum = attnum_of(rel, "org_id", INT8OID);
	}
	if (info->org_attnum != InvalidAttrNumber)
	{
		Oid			argtypes[1] = {NAMEOID};

		info->member_orgs_fn =
			LookupFuncName(list_make2(makeString(get_namespace_name(nsp)),
									  makeString("member_orgs")),
						   1, argtypes, false);
	}

	fkeys = RelationGetFKeyList(rel);
	foreach(lc, fkeys)
	{
		ForeignKeyCacheInfo *fk = lfirst_node(ForeignKeyCacheInfo, lc);
		char	   *confname;
		AttrNumber	fw = InvalidAttrNumber;
		AttrNumber	ref = InvalidAttrNumber;

		if (fk->nkeys != 2 || info->nrefs >= WRITE_CHECK_MAX_REFS ||
			get_rel_namespace(fk->confrelid) != nsp)
			continue;
		confname = get_rel_name(fk->confrelid);
		if (confname == NULL || strcmp(confname, "requirement") != 0)
			continue;
		for (int k = 0; k < 2; k++)
		{
			char	   *col = get_attname(fk->confrelid, fk->confkey[k], false);

			if (strcmp(col, "framework") == 0)
				fw = fk->conkey[k];
			else if (strcmp(col, "ref") == 0)
				ref = fk->conkey[k];
		}
		if (fw == InvalidAttrNumber || ref == InvalidAttrNumber)
			continue;
		info->ref_conoid[info->nrefs] = fk->conoid;
		info->ref_framework[info->nrefs] = fw;
		info->ref_attnum[info->nrefs] = ref;
		info->nrefs++;
	}
}

static void
check_org(Relation rel, const WriteCheckInfo *info, int64 org_id)
{
	const char *setting = isms_org ? isms_org : "";
	int			norgs;
	const int64 *orgs_of;
	StringInfoData orgs;

	orgs_of = isms_member_org_ids(info->member_orgs_fn,
								  GetUserNameFromId(GetUserId(), false), &norgs);
	for (int i = 0; i < norgs; i++)
		if (orgs_of[i] == org_id)
			return;

	initStringInfo(&orgs);
	for (int i = 0; i < norgs && i < 20; i++)
		appendStringInfo(&orgs, "%s" INT64_FORMAT, i ? ", " : "", orgs_of[i]);
	if (norgs > 20)
		appendStringInfo(&orgs, " and %d more", norgs - 20);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" may not write a row of organisation " INT64_FORMAT " into %s.%s",
					GetUserNameFromId(GetUserId(), false), org_id,
					get_namespace_name(RelationGetNamespace(rel)),
					RelationGetRelationName(rel)),
			 norgs == 0 ?
			 errdetail("Row-level security lets a role write the rows of its own organisations only, and the role has none%s.",
					   setting[0] ? " matching the setting isms.org" : "") :
			 errdetail("Row-level security lets a role write the rows of its own organisations only: org_id %s%s.",
					   orgs.data,
					   setting[0] ? ", as narrowed by the setting isms.org" : ""),
			 setting[0] ?
			 errhint("Write org_id of the organisation isms.org names (SELECT org_id FROM isms_report.organizations), or set isms.org to the code of the organisation the row belongs to.") :
			 errhint("Write org_id of one of the role's organisations (SELECT org_id, org_code FROM isms_report.organizations), or ask an isms_admin for a membership in isms.membership.")));
}

/* one probe of the catalog's unique (framework, ref) index */
static void
check_ref(Relation rel, const WriteCheckInfo *info, int k, Datum framework, Datum ref)
{
	HeapTuple	contup;
	Oid			indexoid;
	Oid			confrelid;
	Relation	catalog;
	Relation	index;
	ScanKeyData skey[2];
	SysScanDesc scan;
	Snapshot	snapshot;
	bool		found;
	int2vector *indkey;
	bool		has_framework = false;

	contup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(info->ref_conoid[k]));
	if (!HeapTupleIsValid(contup))
		return;					/* constraint gone: nothing to explain */
	indexoid = ((Form_pg_constraint) GETSTRUCT(contup))->conindid;
	confrelid = ((Form_pg_constraint) GETSTRUCT(contup))->confrelid;
	ReleaseSysCache(contup);

	catalog = table_open(confrelid, AccessShareLock);
	index = index_open(indexoid, AccessShareLock);
	indkey = &index->rd_index->indkey;
	if (index->rd_index->indnkeyatts != 2)
	{
		index_close(index, AccessShareLock);
		table_close(catalog, AccessShareLock);
		return;
	}
	for (int j = 0; j < 2; j++)
	{
		char	   *col = get_attname(confrelid, indkey->values[j], false);
		Oid			eqop;

		if (strcmp(col, "framework") == 0)
			has_framework = true;
		eqop = get_opfamily_member(index->rd_opfamily[j], index->rd_opcintype[j],
								   index->rd_opcintype[j], BTEqualStrategyNumber);
		ScanKeyEntryInitialize(&skey[j], 0, j + 1, BTEqualStrategyNumber,
							   InvalidOid, index->rd_indcollation[j],
							   get_opcode(eqop),
							   strcmp(col, "framework") == 0 ? framework : ref);
	}
	if (!has_framework)
	{
		index_close(index, AccessShareLock);
		table_close(catalog, AccessShareLock);
		return;
	}

	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = systable_beginscan(catalog, indexoid, true, snapshot, 2, skey);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	index_close(index, AccessShareLock);
	table_close(catalog, AccessShareLock);

	if (!found)
	{
		const char *colname = get_attname(RelationGetRelid(rel), info->ref_attnum[k], false);
		Oid			typoutput;
		bool		typvarlena;
		char	   *refstr;
		char	   *fwstr;

		getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), info->ref_attnum[k] - 1)->atttypid,
						  &typoutput, &typvarlena);
		refstr = OidOutputFunctionCall(typoutput, ref);
		fwstr = TextDatumGetCString(framework);
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("%s %s of %s.%s is not a requirement of framework %s",
						colname, refstr,
						get_namespace_name(RelationGetNamespace(rel)),
						RelationGetRelationName(rel), fwstr),
				 errdetail("The catalog (isms.requirement) of framework %s has no clause or control %s.",
						   fwstr, refstr),
				 errhint("Use a reference the catalog lists: SELECT ref, title FROM isms.requirement WHERE framework = '%s' ORDER BY ref.",
						 fwstr)));
	}
}

void
write_check_row(Relation rel, const WriteCheckInfo *info,
				HeapTuple newtuple, HeapTuple oldtuple)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	bool		isnull;

	if (info->org_attnum == InvalidAttrNumber && info->nrefs == 0)
		return;
	if (superuser())
		return;

	if (info->org_attnum != InvalidAttrNumber &&
		!has_bypassrls_privilege(GetUserId()))
	{
		Datum		org = heap_getattr(newtuple, info->org_attnum, tupdesc, &isnull);

		if (!isnull)
			check_org(rel, info, DatumGetInt64(org));
	}

	for (int k = 0; k < info->nrefs; k++)
	{
		bool		fw_null;
		Datum		fw = heap_getattr(newtuple, info->ref_framework[k], tupdesc, &fw_null);
		Datum		ref = heap_getattr(newtuple, info->ref_attnum[k], tupdesc, &isnull);

		if (isnull || fw_null)
			continue;
		if (oldtuple != NULL)
		{
			bool		ofw_null;
			bool		oref_null;
			Datum		ofw = heap_getattr(oldtuple, info->ref_framework[k], tupdesc, &ofw_null);
			Datum		oref = heap_getattr(oldtuple, info->ref_attnum[k], tupdesc, &oref_null);

			/* unchanged keys are not checked again, as by the foreign key */
			if (!ofw_null && !oref_null &&
				datumIsEqual(ref, oref, TupleDescAttr(tupdesc, info->ref_attnum[k] - 1)->attbyval,
							 TupleDescAttr(tupdesc, info->ref_attnum[k] - 1)->attlen) &&
				DatumGetBool(DirectFunctionCall2Coll(texteq, DEFAULT_COLLATION_OID, fw, ofw)))
				continue;
		}
		check_ref(rel, info, k, fw, ref);
	}
}
