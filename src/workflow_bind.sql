-- Bind the built-in workflows to their registers (names match).
SELECT isms.attach_workflow(r.relid, r.name)
  FROM isms.register r
 WHERE r.has_workflow
 ORDER BY r.name;
