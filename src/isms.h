/*-------------------------------------------------------------------------
 *
 * isms.h
 *	  Declarations shared by the isms C sources: the project's SQLSTATEs
 *	  and the settings it reads.
 *
 * SQLSTATE class "IS" is implementation-defined (classes I-Z are left to
 * implementations by the SQL standard), so it never collides with a code
 * PostgreSQL may add.  Every code is listed in the README.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ISMS_H
#define ISMS_H

/* IS001: a workflow move that is not an allowed transition */
#define ERRCODE_ISMS_TRANSITION_REFUSED		MAKE_SQLSTATE('I','S','0','0','1')
/* IS002: an allowed transition whose guard does not hold */
#define ERRCODE_ISMS_GUARD_FAILED			MAKE_SQLSTATE('I','S','0','0','2')
/* IS003: a change to a record in a terminal state */
#define ERRCODE_ISMS_RECORD_CLOSED			MAKE_SQLSTATE('I','S','0','0','3')
/* IS004: a new record that does not start in an initial state */
#define ERRCODE_ISMS_BAD_INITIAL_STATE		MAKE_SQLSTATE('I','S','0','0','4')
/* IS010: an edit of a published (immutable) document version */
#define ERRCODE_ISMS_DOCUMENT_IMMUTABLE		MAKE_SQLSTATE('I','S','0','1','0')
/* IS011: segregation of duties, e.g. an author approving their own version */
#define ERRCODE_ISMS_SEGREGATION_OF_DUTIES	MAKE_SQLSTATE('I','S','0','1','1')
/* IS012: a DELETE of a record the ISMS keeps (retire it instead) */
#define ERRCODE_ISMS_DELETE_REFUSED			MAKE_SQLSTATE('I','S','0','1','2')
/* IS013: approval or publication of a version its latest decision does not approve */
#define ERRCODE_ISMS_DOCUMENT_NOT_APPROVED	MAKE_SQLSTATE('I','S','0','1','3')
/* IS014: a new document version not numbered above the latest one */
#define ERRCODE_ISMS_DOCUMENT_VERSION_ORDER	MAKE_SQLSTATE('I','S','0','1','4')
/* IS020: an UPDATE, DELETE or TRUNCATE of the append-only trail */
#define ERRCODE_ISMS_TRAIL_APPEND_ONLY		MAKE_SQLSTATE('I','S','0','2','0')
/* IS021: an UPDATE, DELETE or TRUNCATE of a register's history table */
#define ERRCODE_ISMS_HISTORY_APPEND_ONLY	MAKE_SQLSTATE('I','S','0','2','1')
/* IS022: a register whose history table no longer matches its columns */
#define ERRCODE_ISMS_HISTORY_MISMATCH		MAKE_SQLSTATE('I','S','0','2','2')
/* IS030: a sign-off of a record that does not exist or is not ready (SQL) */
#define ERRCODE_ISMS_SIGNOFF_REFUSED		MAKE_SQLSTATE('I','S','0','3','0')
/* IS031: an UPDATE, DELETE or TRUNCATE of a sign-off or an import record (SQL) */
#define ERRCODE_ISMS_SIGNOFF_KEPT			MAKE_SQLSTATE('I','S','0','3','1')
/* IS040: an import batch applied twice, or with no staged rows (SQL) */
#define ERRCODE_ISMS_IMPORT_REFUSED			MAKE_SQLSTATE('I','S','0','4','0')
/* IS041: an import batch with bad rows: nothing applied (SQL) */
#define ERRCODE_ISMS_IMPORT_BAD_ROWS		MAKE_SQLSTATE('I','S','0','4','1')
/* IS060: a framework or mapping library that breaks a rule of the format
 * (raised in SQL by isms.import_library) */
#define ERRCODE_ISMS_LIBRARY_INVALID		MAKE_SQLSTATE('I','S','0','6','0')
/* IS061: a library older than the version already imported */
#define ERRCODE_ISMS_LIBRARY_OLDER			MAKE_SQLSTATE('I','S','0','6','1')
/* IS062: a library of a framework shipped with the extension */
#define ERRCODE_ISMS_LIBRARY_SHIPPED		MAKE_SQLSTATE('I','S','0','6','2')

/* IS080: isms.actor set (or used) by a role not trusted to assert the person */
#define ERRCODE_ISMS_ACTOR_UNTRUSTED		MAKE_SQLSTATE('I','S','0','8','0')
/* IS081: isms.actor of a trusted non-superuser not set in this transaction */
#define ERRCODE_ISMS_ACTOR_STALE			MAKE_SQLSTATE('I','S','0','8','1')
/* IS082: isms.trail_append() of an action only the engine writes */
#define ERRCODE_ISMS_TRAIL_RESERVED			MAKE_SQLSTATE('I','S','0','8','2')

/* the role trusted to assert the acting person (a pooled application) */
#define ISMS_APP_ROLE "isms_app"
/* the length limit of person columns (constraints *_max_128_chars) */
#define ISMS_PERSON_MAX_CHARS 128
/* IS090: a DELETE of a workflow record that has moved or is in a final state */
#define ERRCODE_ISMS_RECORD_ATTACHED		MAKE_SQLSTATE('I','S','0','9','0')
/* IS091: an UPDATE that renumbers a record or moves it to another organisation */
#define ERRCODE_ISMS_RECORD_IDENTITY		MAKE_SQLSTATE('I','S','0','9','1')

/* IS050: CREATE EXTENSION into a schema a non-superuser created */
#define ERRCODE_ISMS_UNSAFE_SCHEMA			MAKE_SQLSTATE('I','S','0','5','0')

/* IS160: a direct heap write or read of a table distributed by Citus (citus.c) */
#define ERRCODE_ISMS_CITUS_TABLE			MAKE_SQLSTATE('I','S','1','6','0')

/*
 * The context of SQL run from C (restrict.c): search_path pinned to
 * ISMS_SAFE_SEARCH_PATH, and, when owner is valid, the extension owner's
 * rights in a security-restricted operation.
 */
#define ISMS_SAFE_SEARCH_PATH "pg_catalog, pg_temp"

typedef struct IsmsRestrict
{
	int			nestlevel;
	Oid			save_userid;
	int			save_sec_context;
	bool		as_owner;
} IsmsRestrict;

extern void isms_restrict_begin(IsmsRestrict *r, Oid owner);
extern void isms_restrict_end(IsmsRestrict *r);

/*
 * Refuses (42501) a caller that is not a superuser and not a member of the
 * organisation under row-level security (trail.c); what names the act.
 */
extern void isms_require_member(int64 org_id, const char *what);

/* settings, defined in isms.c */
extern char *isms_actor;
extern char *isms_reason;
extern char *isms_org;

/*
 * The acting person: isms.actor when set by a trusted role (checked on
 * every call), else the role the session acts as (GetOuterUserId(), never
 * a security definer).  The login: session_user's name.
 */
extern const char *isms_current_actor(void);
extern const char *isms_current_login(void);
extern const char *isms_current_org(void);
extern const int64 *isms_member_org_ids(Oid fn_oid, const char *who, int *n);	/* membership.c */
/* whether the outer role may assert the acting person (superuser, isms_app) */
extern bool isms_actor_trusted(void);
extern bool isms_role_trusted(Oid roleid);
/* whether a recorded login is trusted (NULL, recorded before 0.2.0: true) */
extern bool isms_login_trusted(const char *login);

/*
 * What each concept does when a relation's cache entry is invalidated
 * (InvalidOid: every relation, also after a change of a schema).  The
 * module registers one relcache callback for all of them, and one syscache
 * callback on pg_namespace (isms.c): PostgreSQL has a few such slots per
 * backend, and other preloaded extensions need theirs.  Each is safe to
 * call before its concept has cached anything.
 */
extern void workflow_relcache_invalidate(Oid relid);	/* workflow.c */
extern void document_relcache_invalidate(Oid relid);	/* document.c */
extern void history_relcache_invalidate(Oid relid);	/* history.c */
extern void stamp_relcache_invalidate(Oid relid);	/* stamp.c */
extern void trail_relcache_invalidate(Oid relid);	/* trail.c */

#include "datatype/timestamp.h"
#include "utils/relcache.h"

/*
 * isms.stamp() hands capture the start of each new version it stamps
 * (history.c): only for a register whose capture takes no new rows.
 */
extern bool history_takes_stamps(Relation reg);
extern void history_stamp_log(Oid relid, int64 org_id, int64 id, bool old_null,
							  TimestampTz old_start, TimestampTz new_start);

#endif							/* ISMS_H */
