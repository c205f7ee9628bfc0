-- Per-database roles carry the privileges; generic roles are members of them.
SELECT count(*) = 5 FROM pg_roles WHERE rolname IN ('app_admin_main', 'app_read_main', 'app_write_main', 'app_read', 'app_write') AND NOT rolcanlogin;
SELECT pg_has_role('app_read', 'app_read_main', 'MEMBER');
SELECT pg_has_role('app_write', 'app_write_main', 'MEMBER');
SELECT NOT pg_has_role('app_read', 'app_write_main', 'MEMBER');
SELECT NOT pg_has_role('app_read_main', 'app_read', 'MEMBER');

-- reader(lookup), reader(data)
SELECT has_schema_privilege('app_read_main', 'lookup', 'USAGE');
SELECT has_schema_privilege('app_read_main', 'data', 'USAGE');
SELECT has_table_privilege('app_read_main', 'lookup.pipe_materials', 'SELECT');
SELECT has_table_privilege('app_read_main', 'data.pipes', 'SELECT');
SELECT NOT has_table_privilege('app_read_main', 'data.pipes', 'INSERT');
SELECT NOT has_schema_privilege('app_read_main', 'data', 'CREATE');

-- writer(data): reader plus insert, update, delete and sequence usage; lookup stays read-only.
SELECT has_table_privilege('app_write_main', 'data.pipes', 'SELECT');
SELECT has_table_privilege('app_write_main', 'data.pipes', 'INSERT');
SELECT has_table_privilege('app_write_main', 'data.manholes', 'UPDATE');
SELECT has_table_privilege('app_write_main', 'data.manholes', 'DELETE');
SELECT NOT has_table_privilege('app_write_main', 'data.manholes', 'TRUNCATE');
SELECT has_sequence_privilege('app_write_main', 'data.manholes_id_seq', 'USAGE');
SELECT has_table_privilege('app_write_main', 'lookup.status_codes', 'SELECT');
SELECT NOT has_table_privilege('app_write_main', 'lookup.status_codes', 'INSERT');

-- People get the generic roles.
SELECT rolcanlogin FROM pg_roles WHERE rolname = 'gis.viewer';
SELECT has_table_privilege('gis.viewer', 'data.manholes', 'SELECT');
SELECT NOT has_table_privilege('gis.viewer', 'data.manholes', 'UPDATE');
SELECT has_table_privilege('field.editor', 'data.manholes', 'UPDATE');
SELECT NOT has_table_privilege('field.editor', 'lookup.pipe_materials', 'UPDATE');

-- The admin role migrates; the table it adds later (after.sql) is covered.
SELECT has_schema_privilege('app_admin_main', 'data', 'CREATE');
SELECT has_table_privilege('app_read_main', 'data.valves', 'SELECT');
SELECT has_table_privilege('gis.viewer', 'data.valves', 'SELECT');
SELECT has_table_privilege('field.editor', 'data.valves', 'INSERT');
SELECT NOT has_table_privilege('gis.viewer', 'data.valves', 'INSERT');
SELECT has_sequence_privilege('field.editor', 'data.valves_id_seq', 'USAGE');
