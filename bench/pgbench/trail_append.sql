\set org random(1, :orgs)
\set rec random(1, 100000)
SELECT isms.trail_append(:org, 'bench.reg_plain'::regclass, :rec, 'review', jsonb_build_object('note', 'periodic review', 'rec', :rec));
