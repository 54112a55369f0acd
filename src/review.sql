-- Periodic reviews of register rows (Clause 9.1, 9.3, 7.5.2): a review sets
-- the row's last_reviewed_at, without a new version of its content, and its
-- conclusion goes into the hash-chained trail as evidence.

-- The trail entry of a review.  The action review is the engine's, so it
-- is appended as the extension's owner, and only for a review this very
-- transaction made: the row's last_reviewed_at is now() and no review
-- entry of it has that time yet.
CREATE FUNCTION isms.review_trail_entry(tbl regclass, record_id bigint, note text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    org bigint;
    at constant timestamptz := pg_catalog.now();
BEGIN
    IF NOT EXISTS (SELECT 1 FROM isms.register r WHERE r.relid OPERATOR(pg_catalog.=) tbl AND r.reviewable) THEN
        RAISE EXCEPTION 'table % is not a register under periodic review', tbl
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'It is not listed in isms.register as reviewable.',
                  HINT = 'Record reviews with isms.mark_reviewed().';
    END IF;
    EXECUTE pg_catalog.format('SELECT t.org_id FROM %s t WHERE t.id OPERATOR(pg_catalog.=) $1 AND t.last_reviewed_at OPERATOR(pg_catalog.=) $2', tbl)
        INTO org USING record_id, at;
    IF org IS NULL OR EXISTS (
        SELECT 1 FROM isms.trail t
         WHERE t.org_id OPERATOR(pg_catalog.=) org AND t.record_table OPERATOR(pg_catalog.=) tbl::pg_catalog.text
           AND t.record_id OPERATOR(pg_catalog.=) review_trail_entry.record_id AND t.action OPERATOR(pg_catalog.=) 'review'
           AND (t.payload OPERATOR(pg_catalog.->>) 'reviewed_at')::pg_catalog.timestamptz OPERATOR(pg_catalog.=) at) THEN
        RAISE EXCEPTION 'no review of % % to record in the trail', tbl, record_id
            USING ERRCODE = 'IS082',
                  DETAIL = 'A review entry is the engine''s: it is written once, for a review made in the same transaction.',
                  HINT = 'Record reviews with isms.mark_reviewed().';
    END IF;
    RETURN isms.trail_append_engine(org, tbl, record_id, 'review',
                                    pg_catalog.jsonb_build_object('note', note, 'reviewed_at', at));
END $$;
COMMENT ON FUNCTION isms.review_trail_entry(regclass, bigint, text) IS
    'Appends the trail entry (action review) of a review this transaction made (last_reviewed_at = now(), no such entry yet), as the engine; called by isms.mark_reviewed(); refuses anything else (IS082)';
REVOKE ALL ON FUNCTION isms.review_trail_entry(regclass, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.review_trail_entry(regclass, bigint, text) TO isms_editor;

CREATE FUNCTION isms.mark_reviewed(tbl regclass, record_id bigint, note text)
RETURNS timestamptz
LANGUAGE plpgsql SET search_path = pg_catalog, isms, pg_temp AS $$
DECLARE
    reg isms.register;
    org bigint;
    at timestamptz := now();
BEGIN
    SELECT * INTO reg FROM isms.register WHERE relid = tbl;
    IF NOT FOUND OR NOT reg.reviewable THEN
        RAISE EXCEPTION 'table % is not a register under periodic review', tbl
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN reg.relid IS NULL THEN 'It is not listed in isms.register.'
                                ELSE format('Register %s has no review interval.', reg.name) END,
                  HINT = 'SELECT relid FROM isms.register WHERE reviewable lists the registers that are reviewed.';
    END IF;
    IF coalesce(btrim(note), '') = '' THEN
        RAISE EXCEPTION 'a review of % % needs a note', reg.name, record_id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The note is empty.',
                  HINT = 'Say what the review concluded, for example "Still accurate; owner confirmed".';
    END IF;
    -- the row must be visible to the reviewer; RLS decides
    EXECUTE format('UPDATE %s SET last_reviewed_at = $1 WHERE id = $2 RETURNING org_id', tbl)
        INTO org USING at, record_id;
    IF org IS NULL THEN
        RAISE EXCEPTION '% % does not exist', reg.name, record_id
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('No row of %s with id %s is visible to you.', tbl, record_id),
                  HINT = 'Check the id and your organisation membership.';
    END IF;
    PERFORM isms.review_trail_entry(tbl, record_id, note);
    RETURN at;
END $$;
COMMENT ON FUNCTION isms.mark_reviewed(regclass, bigint, text) IS
    'Records a periodic review of a register row: sets last_reviewed_at, without a new version of the row, and appends the review with its note to the trail';
REVOKE ALL ON FUNCTION isms.mark_reviewed(regclass, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION isms.mark_reviewed(regclass, bigint, text) TO isms_editor;

-- Evidence records and risk acceptances go into the trail as they are made.
CREATE FUNCTION isms.trail_row() RETURNS trigger
    AS 'MODULE_PATHNAME', 'trail_row' LANGUAGE C;
COMMENT ON FUNCTION isms.trail_row() IS
    'AFTER row trigger appending a trail entry per row: arguments action, record table column (- for the row''s own table), record id column, then the payload columns; a superuser''s INSERT (a restore) appends nothing';
REVOKE ALL ON FUNCTION isms.trail_row() FROM PUBLIC;

CREATE TRIGGER trail AFTER INSERT ON isms.evidence
    FOR EACH ROW EXECUTE FUNCTION isms.trail_row('evidence', 'record_table', 'record_id',
        'id', 'url', 'media_type', 'sha256', 'description', 'collected_at', 'collected_by');
CREATE TRIGGER trail_acceptance AFTER INSERT OR UPDATE OF accepted_by, accepted_at, accepted_until ON isms.risk
    FOR EACH ROW WHEN (NEW.accepted_by IS NOT NULL)
    EXECUTE FUNCTION isms.trail_row('risk_acceptance', '-', 'id',
        'accepted_by', 'accepted_at', 'accepted_until', 'residual_likelihood', 'residual_impact', 'residual_rating');
