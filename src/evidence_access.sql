-- Access to the evidence trail and register history, and history for every
-- register (after src/security.sql, whose blanket EXECUTE grant to readers
-- is narrowed here).

-- The trail is read by members of its organisation only.
ALTER TABLE isms.trail ENABLE ROW LEVEL SECURITY;
CREATE POLICY member ON isms.trail FOR SELECT
    USING (org_id = ANY (isms.visible_orgs()));


-- every register keeps its history
SELECT isms.enable_history(relid) FROM isms.register ORDER BY name;
