-- isms 0.1.0 -> 0.2.0.  Run by ALTER EXTENSION isms UPDATE.  Every schema
-- change of 0.2.0 is here too: test/upgrade proves that an upgraded 0.1.0
-- and a fresh 0.2.0 have the same schema, privileges and comments.

\echo Use "ALTER EXTENSION isms UPDATE TO '0.2.0'" to load this file. \quit

--------------------------------------------------------------------------
-- The sample ISMS leaves the core: it is the extension isms_sample now.
-- Rows a 0.1.0 sample loaded stay; only the loader goes.
DROP FUNCTION isms.load_sample(integer, date);
DROP FUNCTION isms.sample_u(integer, integer, integer);
