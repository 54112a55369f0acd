-- isms_sample: the sample ISMS of isms, a separate extension so that the
-- core install never ships demo data code.  Assembled by the Makefile from
-- src/sample_head.sql and src/sample.sql.

\echo Use "CREATE EXTENSION isms_sample" to load this file. \quit
