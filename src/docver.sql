-- isms.docver: document version major.minor (src/docver.c).

CREATE TYPE isms.docver;

CREATE FUNCTION isms.docver_in(cstring) RETURNS isms.docver
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.docver_out(isms.docver) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.docver_recv(internal) RETURNS isms.docver
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.docver_send(isms.docver) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE isms.docver (
    INPUT = isms.docver_in,
    OUTPUT = isms.docver_out,
    RECEIVE = isms.docver_recv,
    SEND = isms.docver_send,
    INTERNALLENGTH = 4,
    PASSEDBYVALUE,
    ALIGNMENT = int4,
    STORAGE = plain
);
COMMENT ON TYPE isms.docver IS
    'Document version major.minor (major 0-32767, minor 0-65535), ordered numerically: 2.10 > 2.9';

CREATE FUNCTION isms.docver_eq(isms.docver, isms.docver) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.docver_ne(isms.docver, isms.docver) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.docver_lt(isms.docver, isms.docver) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.docver_le(isms.docver, isms.docver) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.docver_gt(isms.docver, isms.docver) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.docver_ge(isms.docver, isms.docver) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.docver_cmp(isms.docver, isms.docver) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.docver_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.docver_hash(isms.docver) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.docver_hash_extended(isms.docver, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;

COMMENT ON FUNCTION isms.docver_in(cstring) IS 'Text input of isms.docver';
REVOKE ALL ON FUNCTION isms.docver_in(cstring) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_in(cstring) TO isms_reader;
COMMENT ON FUNCTION isms.docver_out(isms.docver) IS 'Text output of isms.docver';
REVOKE ALL ON FUNCTION isms.docver_out(isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_out(isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.docver_recv(internal) IS 'Binary input of isms.docver';
REVOKE ALL ON FUNCTION isms.docver_recv(internal) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_recv(internal) TO isms_reader;
COMMENT ON FUNCTION isms.docver_send(isms.docver) IS 'Binary output of isms.docver';
REVOKE ALL ON FUNCTION isms.docver_send(isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_send(isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.docver_eq(isms.docver, isms.docver) IS 'Implements = for isms.docver';
REVOKE ALL ON FUNCTION isms.docver_eq(isms.docver, isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_eq(isms.docver, isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.docver_ne(isms.docver, isms.docver) IS 'Implements <> for isms.docver';
REVOKE ALL ON FUNCTION isms.docver_ne(isms.docver, isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_ne(isms.docver, isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.docver_lt(isms.docver, isms.docver) IS 'Implements < for isms.docver';
REVOKE ALL ON FUNCTION isms.docver_lt(isms.docver, isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_lt(isms.docver, isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.docver_le(isms.docver, isms.docver) IS 'Implements <= for isms.docver';
REVOKE ALL ON FUNCTION isms.docver_le(isms.docver, isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_le(isms.docver, isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.docver_gt(isms.docver, isms.docver) IS 'Implements > for isms.docver';
REVOKE ALL ON FUNCTION isms.docver_gt(isms.docver, isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_gt(isms.docver, isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.docver_ge(isms.docver, isms.docver) IS 'Implements >= for isms.docver';
REVOKE ALL ON FUNCTION isms.docver_ge(isms.docver, isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_ge(isms.docver, isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.docver_cmp(isms.docver, isms.docver) IS 'B-tree comparison of isms.docver: -1, 0 or 1';
REVOKE ALL ON FUNCTION isms.docver_cmp(isms.docver, isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_cmp(isms.docver, isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.docver_sortsupport(internal) IS 'B-tree sort support of isms.docver';
REVOKE ALL ON FUNCTION isms.docver_sortsupport(internal) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_sortsupport(internal) TO isms_reader;
COMMENT ON FUNCTION isms.docver_hash(isms.docver) IS 'Hash of isms.docver';
REVOKE ALL ON FUNCTION isms.docver_hash(isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_hash(isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.docver_hash_extended(isms.docver, bigint) IS 'Seeded 64-bit hash of isms.docver';
REVOKE ALL ON FUNCTION isms.docver_hash_extended(isms.docver, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_hash_extended(isms.docver, bigint) TO isms_reader;

CREATE OPERATOR isms.= (
    LEFTARG = isms.docver, RIGHTARG = isms.docver, PROCEDURE = isms.docver_eq,
    COMMUTATOR = OPERATOR(isms.=), NEGATOR = OPERATOR(isms.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR isms.<> (
    LEFTARG = isms.docver, RIGHTARG = isms.docver, PROCEDURE = isms.docver_ne,
    COMMUTATOR = OPERATOR(isms.<>), NEGATOR = OPERATOR(isms.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR isms.< (
    LEFTARG = isms.docver, RIGHTARG = isms.docver, PROCEDURE = isms.docver_lt,
    COMMUTATOR = OPERATOR(isms.>), NEGATOR = OPERATOR(isms.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR isms.<= (
    LEFTARG = isms.docver, RIGHTARG = isms.docver, PROCEDURE = isms.docver_le,
    COMMUTATOR = OPERATOR(isms.>=), NEGATOR = OPERATOR(isms.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR isms.> (
    LEFTARG = isms.docver, RIGHTARG = isms.docver, PROCEDURE = isms.docver_gt,
    COMMUTATOR = OPERATOR(isms.<), NEGATOR = OPERATOR(isms.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR isms.>= (
    LEFTARG = isms.docver, RIGHTARG = isms.docver, PROCEDURE = isms.docver_ge,
    COMMUTATOR = OPERATOR(isms.<=), NEGATOR = OPERATOR(isms.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);

CREATE OPERATOR CLASS isms.docver_ops
    DEFAULT FOR TYPE isms.docver USING btree AS
        OPERATOR 1 isms.<,
        OPERATOR 2 isms.<=,
        OPERATOR 3 isms.=,
        OPERATOR 4 isms.>=,
        OPERATOR 5 isms.>,
        FUNCTION 1 isms.docver_cmp(isms.docver, isms.docver),
        FUNCTION 2 isms.docver_sortsupport(internal);

CREATE OPERATOR CLASS isms.docver_hash_ops
    DEFAULT FOR TYPE isms.docver USING hash AS
        OPERATOR 1 isms.=,
        FUNCTION 1 isms.docver_hash(isms.docver),
        FUNCTION 2 isms.docver_hash_extended(isms.docver, bigint);

CREATE FUNCTION isms.docver_larger(isms.docver, isms.docver) RETURNS isms.docver
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.docver_smaller(isms.docver, isms.docver) RETURNS isms.docver
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION isms.docver_larger(isms.docver, isms.docver) IS 'The larger of two isms.docver values (state function of max)';
REVOKE ALL ON FUNCTION isms.docver_larger(isms.docver, isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_larger(isms.docver, isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.docver_smaller(isms.docver, isms.docver) IS 'The smaller of two isms.docver values (state function of min)';
REVOKE ALL ON FUNCTION isms.docver_smaller(isms.docver, isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver_smaller(isms.docver, isms.docver) TO isms_reader;
CREATE AGGREGATE isms.max(isms.docver) (
    SFUNC = isms.docver_larger, STYPE = isms.docver, SORTOP = OPERATOR(isms.>),
    COMBINEFUNC = isms.docver_larger, PARALLEL = SAFE
);
REVOKE ALL ON FUNCTION isms.max(isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.max(isms.docver) TO isms_reader;
CREATE AGGREGATE isms.min(isms.docver) (
    SFUNC = isms.docver_smaller, STYPE = isms.docver, SORTOP = OPERATOR(isms.<),
    COMBINEFUNC = isms.docver_smaller, PARALLEL = SAFE
);
COMMENT ON AGGREGATE isms.max(isms.docver) IS 'Largest isms.docver in a group';
COMMENT ON AGGREGATE isms.min(isms.docver) IS 'Smallest isms.docver in a group';
REVOKE ALL ON FUNCTION isms.min(isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.min(isms.docver) TO isms_reader;
-- Implicit from text and varchar, as isms.ref (src/ref.sql).
CREATE CAST (text AS isms.docver) WITH INOUT AS IMPLICIT;
CREATE CAST (varchar AS isms.docver) WITH INOUT AS IMPLICIT;
COMMENT ON CAST (text AS isms.docver) IS 'Text to isms.docver, implicit: a string parameter compares with a version';
COMMENT ON CAST (varchar AS isms.docver) IS 'varchar (pgJDBC setString) to isms.docver, implicit: a string parameter compares with a version';
CREATE CAST (isms.docver AS text) WITH INOUT AS ASSIGNMENT;

CREATE FUNCTION isms.docver(major integer, minor integer) RETURNS isms.docver
    AS 'MODULE_PATHNAME', 'docver_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.major(isms.docver) RETURNS integer
    AS 'MODULE_PATHNAME', 'docver_major' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.minor(isms.docver) RETURNS integer
    AS 'MODULE_PATHNAME', 'docver_minor' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.next_minor(isms.docver) RETURNS isms.docver
    AS 'MODULE_PATHNAME', 'docver_next_minor' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.next_major(isms.docver) RETURNS isms.docver
    AS 'MODULE_PATHNAME', 'docver_next_major' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION isms.docver(integer, integer) IS
    'Builds a document version from its major and minor numbers';
REVOKE ALL ON FUNCTION isms.docver(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.docver(integer, integer) TO isms_reader;
COMMENT ON FUNCTION isms.major(isms.docver) IS 'Major number of a document version';
REVOKE ALL ON FUNCTION isms.major(isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.major(isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.minor(isms.docver) IS 'Minor number of a document version';
REVOKE ALL ON FUNCTION isms.minor(isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.minor(isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.next_minor(isms.docver) IS
    'The next minor version: 1.4 -> 1.5';
REVOKE ALL ON FUNCTION isms.next_minor(isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.next_minor(isms.docver) TO isms_reader;
COMMENT ON FUNCTION isms.next_major(isms.docver) IS
    'The next major version: 1.4 -> 2.0';
REVOKE ALL ON FUNCTION isms.next_major(isms.docver) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.next_major(isms.docver) TO isms_reader;
