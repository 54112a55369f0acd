-- Timing helpers shared by the benchmarks (loaded into a scratch schema).
CREATE SCHEMA IF NOT EXISTS bench;

-- Median wall time in ms of running "sql" "reps" times.
CREATE OR REPLACE FUNCTION bench.time_ms(sql text, reps int DEFAULT 5) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz; times numeric[] := '{}';
BEGIN
    FOR i IN 1..reps LOOP
        t0 := clock_timestamp();
        EXECUTE sql;
        times := times || (extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric;
    END LOOP;
    RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) FROM unnest(times) t)::numeric(12, 1);
END $$;

-- One result line: what, ms, baseline ms, ratio, target.
CREATE TABLE IF NOT EXISTS bench.result (
    n serial, measure text, ms numeric, baseline text, baseline_ms numeric,
    ratio numeric, target text, met boolean);

CREATE OR REPLACE FUNCTION bench.report(measure text, ms numeric, baseline text, baseline_ms numeric,
                                        target text, met boolean) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO bench.result (measure, ms, baseline, baseline_ms, ratio, target, met)
    VALUES (measure, ms, baseline, baseline_ms, round(ms / nullif(baseline_ms, 0), 2), target, met);
$$;

-- This backend's CPU time in ms (Linux schedstat: time on a CPU, in ns).
-- The machine the bench runs on is often shared, and another process's
-- load stretches wall time but not the CPU time a statement itself uses.
CREATE OR REPLACE FUNCTION bench.cpu_ms() RETURNS numeric
LANGUAGE sql AS $$
    SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::numeric / 1e6
$$;

-- Median CPU time in ms of running "sql" "reps" times.
CREATE OR REPLACE FUNCTION bench.cpu_time_ms(sql text, reps int DEFAULT 5) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
    c0 numeric; times numeric[] := '{}';
BEGIN
    FOR i IN 1..reps LOOP
        c0 := bench.cpu_ms();
        EXECUTE sql;
        times := times || (bench.cpu_ms() - c0);
    END LOOP;
    RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) FROM unnest(times) t)::numeric(12, 1);
END $$;
