\set org random(1, :orgs)
\set rec random(1, 100000)
INSERT INTO bench.trail_plain VALUES (:org, nextval('bench.trail_plain_seq'), clock_timestamp(), current_user, 'isms.risk', :rec, 'note', jsonb_build_object('note', 'periodic review', 'rec', :rec), '\x0000000000000000000000000000000000000000000000000000000000000000', '\x0000000000000000000000000000000000000000000000000000000000000000');
