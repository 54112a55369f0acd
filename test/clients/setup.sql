-- The client suite's database: the sample ISMS (organisation NORTHWIND), a
-- second tenant CONTOSO, and the logins of the README's examples:
--   clients_app  the intranet application's pooled login: isms_editor and
--                isms_app (it asserts the person), a member of both
--   clients_bi   a BI tool's login: isms_reader, a member of NORTHWIND only
-- Passwords are the role names: the cluster is thrown away after the run.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION isms;
CREATE EXTENSION isms_sample;
SELECT isms.load_sample(1, '2025-06-30');
INSERT INTO isms.organization (code, name) VALUES ('CONTOSO', 'Contoso Ltd');
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'clients_app') THEN
        CREATE ROLE clients_app LOGIN PASSWORD 'clients_app';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'clients_bi') THEN
        CREATE ROLE clients_bi LOGIN PASSWORD 'clients_bi';
    END IF;
END $$;
GRANT isms_editor, isms_app TO clients_app;
GRANT isms_reader TO clients_bi;
INSERT INTO isms.membership (org_id, role_name, note)
SELECT org_id, 'clients_app', 'Intranet ISMS portal' FROM isms.organization WHERE code IN ('NORTHWIND', 'CONTOSO');
INSERT INTO isms.membership (org_id, role_name, note)
SELECT org_id, 'clients_bi', 'Dashboards' FROM isms.organization WHERE code = 'NORTHWIND';
-- the one set-up step a DBA runs per database (README, "Types"): the
-- operators of isms.ref for the natural queries on references
SELECT format('ALTER DATABASE %I SET search_path = "$user", public, isms', current_database()) \gexec
