-- isms.ref: hierarchical reference to a clause or control (src/ref.c).

CREATE TYPE isms.ref;

CREATE FUNCTION isms.ref_in(cstring) RETURNS isms.ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.ref_out(isms.ref) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.ref_recv(internal) RETURNS isms.ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.ref_send(isms.ref) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE isms.ref (
    INPUT = isms.ref_in,
    OUTPUT = isms.ref_out,
    RECEIVE = isms.ref_recv,
    SEND = isms.ref_send,
    INTERNALLENGTH = 8,
    PASSEDBYVALUE,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE isms.ref IS
    'Reference to a clause or control, such as 6.1.2 or A.5.24: an optional letter and 1 to 5 numbers (0-999), in natural order';

CREATE FUNCTION isms.ref_eq(isms.ref, isms.ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.ref_ne(isms.ref, isms.ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.ref_lt(isms.ref, isms.ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.ref_le(isms.ref, isms.ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.ref_gt(isms.ref, isms.ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.ref_ge(isms.ref, isms.ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.ref_cmp(isms.ref, isms.ref) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.ref_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.ref_hash(isms.ref) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.ref_hash_extended(isms.ref, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.ref_contains(isms.ref, isms.ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE FUNCTION isms.ref_contained(isms.ref, isms.ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;

COMMENT ON FUNCTION isms.ref_in(cstring) IS 'Text input of isms.ref';
REVOKE ALL ON FUNCTION isms.ref_in(cstring) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_in(cstring) TO isms_reader;
COMMENT ON FUNCTION isms.ref_out(isms.ref) IS 'Text output of isms.ref';
REVOKE ALL ON FUNCTION isms.ref_out(isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_out(isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_recv(internal) IS 'Binary input of isms.ref';
REVOKE ALL ON FUNCTION isms.ref_recv(internal) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_recv(internal) TO isms_reader;
COMMENT ON FUNCTION isms.ref_send(isms.ref) IS 'Binary output of isms.ref';
REVOKE ALL ON FUNCTION isms.ref_send(isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_send(isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_eq(isms.ref, isms.ref) IS 'Implements = for isms.ref';
REVOKE ALL ON FUNCTION isms.ref_eq(isms.ref, isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_eq(isms.ref, isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_ne(isms.ref, isms.ref) IS 'Implements <> for isms.ref';
REVOKE ALL ON FUNCTION isms.ref_ne(isms.ref, isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_ne(isms.ref, isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_lt(isms.ref, isms.ref) IS 'Implements < for isms.ref';
REVOKE ALL ON FUNCTION isms.ref_lt(isms.ref, isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_lt(isms.ref, isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_le(isms.ref, isms.ref) IS 'Implements <= for isms.ref';
REVOKE ALL ON FUNCTION isms.ref_le(isms.ref, isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_le(isms.ref, isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_gt(isms.ref, isms.ref) IS 'Implements > for isms.ref';
REVOKE ALL ON FUNCTION isms.ref_gt(isms.ref, isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_gt(isms.ref, isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_ge(isms.ref, isms.ref) IS 'Implements >= for isms.ref';
REVOKE ALL ON FUNCTION isms.ref_ge(isms.ref, isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_ge(isms.ref, isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_cmp(isms.ref, isms.ref) IS 'B-tree comparison of isms.ref: -1, 0 or 1';
REVOKE ALL ON FUNCTION isms.ref_cmp(isms.ref, isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_cmp(isms.ref, isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_sortsupport(internal) IS 'B-tree sort support of isms.ref';
REVOKE ALL ON FUNCTION isms.ref_sortsupport(internal) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_sortsupport(internal) TO isms_reader;
COMMENT ON FUNCTION isms.ref_hash(isms.ref) IS 'Hash of isms.ref';
REVOKE ALL ON FUNCTION isms.ref_hash(isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_hash(isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_hash_extended(isms.ref, bigint) IS 'Seeded 64-bit hash of isms.ref';
REVOKE ALL ON FUNCTION isms.ref_hash_extended(isms.ref, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_hash_extended(isms.ref, bigint) TO isms_reader;
COMMENT ON FUNCTION isms.ref_contains(isms.ref, isms.ref) IS 'Implements @>: the first reference is the second or one of its ancestors';
REVOKE ALL ON FUNCTION isms.ref_contains(isms.ref, isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_contains(isms.ref, isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_contained(isms.ref, isms.ref) IS 'Implements <@: the first reference is the second or one of its descendants';
REVOKE ALL ON FUNCTION isms.ref_contained(isms.ref, isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_contained(isms.ref, isms.ref) TO isms_reader;

CREATE OPERATOR isms.= (
    LEFTARG = isms.ref, RIGHTARG = isms.ref, PROCEDURE = isms.ref_eq,
    COMMUTATOR = OPERATOR(isms.=), NEGATOR = OPERATOR(isms.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR isms.<> (
    LEFTARG = isms.ref, RIGHTARG = isms.ref, PROCEDURE = isms.ref_ne,
    COMMUTATOR = OPERATOR(isms.<>), NEGATOR = OPERATOR(isms.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR isms.< (
    LEFTARG = isms.ref, RIGHTARG = isms.ref, PROCEDURE = isms.ref_lt,
    COMMUTATOR = OPERATOR(isms.>), NEGATOR = OPERATOR(isms.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR isms.<= (
    LEFTARG = isms.ref, RIGHTARG = isms.ref, PROCEDURE = isms.ref_le,
    COMMUTATOR = OPERATOR(isms.>=), NEGATOR = OPERATOR(isms.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR isms.> (
    LEFTARG = isms.ref, RIGHTARG = isms.ref, PROCEDURE = isms.ref_gt,
    COMMUTATOR = OPERATOR(isms.<), NEGATOR = OPERATOR(isms.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR isms.>= (
    LEFTARG = isms.ref, RIGHTARG = isms.ref, PROCEDURE = isms.ref_ge,
    COMMUTATOR = OPERATOR(isms.<=), NEGATOR = OPERATOR(isms.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR isms.@> (
    LEFTARG = isms.ref, RIGHTARG = isms.ref, PROCEDURE = isms.ref_contains,
    COMMUTATOR = OPERATOR(isms.<@),
    RESTRICT = contsel, JOIN = contjoinsel
);
CREATE OPERATOR isms.<@ (
    LEFTARG = isms.ref, RIGHTARG = isms.ref, PROCEDURE = isms.ref_contained,
    COMMUTATOR = OPERATOR(isms.@>),
    RESTRICT = contsel, JOIN = contjoinsel
);

CREATE OPERATOR CLASS isms.ref_ops
    DEFAULT FOR TYPE isms.ref USING btree AS
        OPERATOR 1 isms.<,
        OPERATOR 2 isms.<=,
        OPERATOR 3 isms.=,
        OPERATOR 4 isms.>=,
        OPERATOR 5 isms.>,
        FUNCTION 1 isms.ref_cmp(isms.ref, isms.ref),
        FUNCTION 2 isms.ref_sortsupport(internal);

CREATE OPERATOR CLASS isms.ref_hash_ops
    DEFAULT FOR TYPE isms.ref USING hash AS
        OPERATOR 1 isms.=,
        FUNCTION 1 isms.ref_hash(isms.ref),
        FUNCTION 2 isms.ref_hash_extended(isms.ref, bigint);

CREATE FUNCTION isms.ref_larger(isms.ref, isms.ref) RETURNS isms.ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.ref_smaller(isms.ref, isms.ref) RETURNS isms.ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION isms.ref_larger(isms.ref, isms.ref) IS 'The larger of two isms.ref values (state function of max)';
REVOKE ALL ON FUNCTION isms.ref_larger(isms.ref, isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_larger(isms.ref, isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.ref_smaller(isms.ref, isms.ref) IS 'The smaller of two isms.ref values (state function of min)';
REVOKE ALL ON FUNCTION isms.ref_smaller(isms.ref, isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.ref_smaller(isms.ref, isms.ref) TO isms_reader;
CREATE AGGREGATE isms.max(isms.ref) (
    SFUNC = isms.ref_larger, STYPE = isms.ref, SORTOP = OPERATOR(isms.>),
    COMBINEFUNC = isms.ref_larger, PARALLEL = SAFE
);
REVOKE ALL ON FUNCTION isms.max(isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.max(isms.ref) TO isms_reader;
CREATE AGGREGATE isms.min(isms.ref) (
    SFUNC = isms.ref_smaller, STYPE = isms.ref, SORTOP = OPERATOR(isms.<),
    COMBINEFUNC = isms.ref_smaller, PARALLEL = SAFE
);
COMMENT ON AGGREGATE isms.max(isms.ref) IS 'Largest isms.ref in a group';
COMMENT ON AGGREGATE isms.min(isms.ref) IS 'Smallest isms.ref in a group';
REVOKE ALL ON FUNCTION isms.min(isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.min(isms.ref) TO isms_reader;
-- Text in, implicitly: drivers send strings as text or varchar (pgJDBC's
-- setString), so that a parameter compares with a reference (ref = $1,
-- resolved as ref = ref, indexable) and a text column joins one.  Out to
-- text only on assignment, so ref = text never silently compares as text.
CREATE CAST (text AS isms.ref) WITH INOUT AS IMPLICIT;
CREATE CAST (varchar AS isms.ref) WITH INOUT AS IMPLICIT;
CREATE CAST (isms.ref AS text) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (text AS isms.ref) IS 'Text to isms.ref, implicit: a string parameter compares with a reference';
COMMENT ON CAST (varchar AS isms.ref) IS 'varchar (pgJDBC setString) to isms.ref, implicit: a string parameter compares with a reference';

-- The natural order of references for text columns (the BI views): digits
-- compare as numbers (A.5.9 < A.5.10, 4.1 < 10.1), the order of isms.ref.
-- ICU supports every server encoding but SQL_ASCII; there the collation is
-- the byte order of "C", so that the views exist all the same.
DO $$
BEGIN
    CREATE COLLATION isms.natural (provider = icu, locale = 'und-u-kn-true');
EXCEPTION WHEN feature_not_supported THEN
    CREATE COLLATION isms.natural FROM pg_catalog."C";
END
$$;
COMMENT ON COLLATION isms.natural IS
    'Natural order of clause and control references as text: numbers compare numerically (A.5.9 < A.5.10, 4.1 < 10.1), as isms.ref sorts (ICU und-u-kn-true; byte order in a SQL_ASCII database, which ICU does not support)';

CREATE FUNCTION isms.parent(isms.ref) RETURNS isms.ref
    AS 'MODULE_PATHNAME', 'ref_parent' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.depth(isms.ref) RETURNS integer
    AS 'MODULE_PATHNAME', 'ref_depth' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.subpath(isms.ref, integer, integer) RETURNS isms.ref
    AS 'MODULE_PATHNAME', 'ref_subpath' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION isms.subpath(isms.ref, integer) RETURNS isms.ref
    AS 'MODULE_PATHNAME', 'ref_subpath_to_end' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION isms.parent(isms.ref) IS
    'Parent of a reference (6.1.2 -> 6.1, A.5.24 -> A.5), NULL at the top level';
REVOKE ALL ON FUNCTION isms.parent(isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.parent(isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.depth(isms.ref) IS
    'Number of numbers in a reference: 1 for 4 and A.5, 3 for 6.1.2';
REVOKE ALL ON FUNCTION isms.depth(isms.ref) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.depth(isms.ref) TO isms_reader;
COMMENT ON FUNCTION isms.subpath(isms.ref, integer, integer) IS
    'The numbers from offset (0-based) for len numbers, as ltree subpath; the letter is kept when offset is 0';
REVOKE ALL ON FUNCTION isms.subpath(isms.ref, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.subpath(isms.ref, integer, integer) TO isms_reader;
COMMENT ON FUNCTION isms.subpath(isms.ref, integer) IS
    'The numbers from offset (0-based) to the end; the letter is kept when offset is 0';
REVOKE ALL ON FUNCTION isms.subpath(isms.ref, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.subpath(isms.ref, integer) TO isms_reader;
