\set org random(1, :orgs)
\set rec random(1, 100000)
SELECT isms.trail_append(:org, 'isms.risk'::regclass, :rec, 'note', jsonb_build_object('note', 'periodic review', 'rec', :rec));
