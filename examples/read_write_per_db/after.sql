-- A later migration of this database adds a table.
SET ROLE app_admin_main;
CREATE TABLE data.valves (id bigserial PRIMARY KEY, pipe_id bigint, kind text);
RESET ROLE;
