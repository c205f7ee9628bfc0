-- Base roles are group roles; people log in.
SELECT NOT rolcanlogin FROM pg_roles WHERE rolname = 'read_only';
SELECT NOT rolcanlogin FROM pg_roles WHERE rolname = 'super_admin';
SELECT rolcanlogin FROM pg_roles WHERE rolname = 'alice.ng';
SELECT rolcanlogin FROM pg_roles WHERE rolname = 'oncall.dev';

-- Base roles.
SELECT has_schema_privilege('read_only', 'app', 'USAGE');
SELECT has_table_privilege('read_only', 'app.orders', 'SELECT');
SELECT has_table_privilege('read_only', 'reports.monthly_sales', 'SELECT');
SELECT NOT has_table_privilege('read_only', 'app.orders', 'INSERT');
SELECT has_table_privilege('data_entry', 'app.orders', 'INSERT');
SELECT has_table_privilege('data_entry', 'app.orders', 'UPDATE');
SELECT NOT has_table_privilege('data_entry', 'app.orders', 'DELETE');
SELECT NOT has_table_privilege('data_entry', 'app.orders', 'SELECT');
SELECT has_sequence_privilege('data_entry', 'app.orders_id_seq', 'USAGE');
SELECT has_schema_privilege('report_writer', 'reports', 'CREATE');
SELECT NOT has_schema_privilege('report_writer', 'app', 'CREATE');
SELECT has_schema_privilege('schema_designer', 'app', 'CREATE');
SELECT rolcreaterole FROM pg_roles WHERE rolname = 'security_admin';
SELECT has_table_privilege('security_admin', 'audit.events', 'SELECT');
SELECT NOT has_table_privilege('read_only', 'audit.events', 'SELECT');

-- Composite roles.
SELECT pg_has_role('analyst', 'read_only', 'MEMBER');
SELECT pg_has_role('analyst', 'report_writer', 'MEMBER');
SELECT has_table_privilege('analyst', 'app.customers', 'SELECT');
SELECT NOT has_table_privilege('analyst', 'app.customers', 'INSERT');
SELECT has_table_privilege('developer', 'app.orders', 'INSERT');
SELECT has_schema_privilege('developer', 'app', 'CREATE');
SELECT NOT has_table_privilege('developer', 'audit.events', 'SELECT');
SELECT pg_has_role('admin', 'developer', 'MEMBER');
SELECT pg_has_role('admin', 'security_admin', 'MEMBER');
SELECT has_table_privilege('admin', 'audit.events', 'SELECT');
SELECT rolbypassrls FROM pg_roles WHERE rolname = 'admin';
-- Attributes are not inherited: admin reaches security_admin but has no CREATEROLE itself.
SELECT NOT rolcreaterole FROM pg_roles WHERE rolname = 'admin';
SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'admin' AND s.setdatabase = 0 AND 'statement_timeout=10min' = ANY (s.setconfig));
SELECT pg_has_role('super_admin', 'admin', 'MEMBER');
SELECT pg_has_role('super_admin', 'company', 'MEMBER');
SELECT pg_has_role('super_admin', 'sales_emea', 'MEMBER');
SELECT pg_has_role('super_admin', 'team_lead', 'MEMBER');
SELECT NOT pg_has_role('super_admin', 'alice.ng', 'MEMBER');
SELECT NOT pg_has_role('admin', 'super_admin', 'MEMBER');

-- extends: team_lead has developer's memberships except schema_designer, plus report_writer.
SELECT pg_has_role('team_lead', 'read_only', 'MEMBER');
SELECT pg_has_role('team_lead', 'data_entry', 'MEMBER');
SELECT pg_has_role('team_lead', 'report_writer', 'MEMBER');
SELECT NOT pg_has_role('team_lead', 'schema_designer', 'MEMBER');
SELECT NOT has_schema_privilege('team_lead', 'app', 'CREATE');
SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'team_lead' AND 'statement_timeout=10min' = ANY (s.setconfig));

-- Departments and teams (template `team`).
SELECT pg_has_role('engineering', 'company', 'MEMBER');
SELECT pg_has_role('backend', 'engineering', 'MEMBER');
SELECT pg_has_role('backend', 'developer', 'MEMBER');
SELECT pg_has_role('sales_emea', 'sales', 'MEMBER');
SELECT pg_has_role('sales_emea', 'analyst', 'MEMBER');
SELECT NOT pg_has_role('sales_emea', 'engineering', 'MEMBER');
SELECT has_table_privilege('controlling', 'app.orders', 'SELECT');
SELECT NOT has_table_privilege('sales', 'app.orders', 'SELECT');
SELECT has_table_privilege('sales', 'app.products', 'SELECT');

-- People (template `employee`).
SELECT pg_has_role('alice.ng', 'developer', 'MEMBER');
SELECT has_table_privilege('alice.ng', 'app.orders', 'INSERT');
SELECT has_table_privilege('alice.ng', 'app.products', 'SELECT');
SELECT NOT has_table_privilege('dana.kowalski', 'app.orders', 'INSERT');
SELECT has_table_privilege('dana.kowalski', 'app.orders', 'SELECT');
SELECT has_table_privilege('bruno.costa', 'app.orders', 'INSERT');
SELECT NOT has_table_privilege('bruno.costa', 'app.orders', 'SELECT');
SELECT NOT has_schema_privilege('bruno.costa', 'app', 'CREATE');
SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'alice.ng' AND 'statement_timeout=5min' = ANY (s.setconfig));
SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'alice.ng' AND 'work_mem=64MB' = ANY (s.setconfig));
SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'chen.wei' AND 'statement_timeout=30min' = ANY (s.setconfig));
SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'dana.kowalski' AND 'statement_timeout=30min' = ANY (s.setconfig));
SELECT pg_has_role('gus.moreau', 'team_lead', 'MEMBER');
SELECT pg_has_role('gus.moreau', 'report_writer', 'MEMBER');
SELECT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = 'admin' AND u.rolname = 'hana.sato' AND m.admin_option);
SELECT NOT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = 'admin' AND u.rolname = 'oncall.dev' AND m.admin_option);
-- The four-hour window is open at build time, so the membership is granted.
SELECT pg_has_role('oncall.dev', 'admin', 'MEMBER');
SELECT has_table_privilege('oncall.dev', 'audit.events', 'SELECT');

-- Doc comments become role comments.
SELECT shobj_description(oid, 'pg_authid') = 'Reads every table and view of the application and the reports, now and later.' FROM pg_roles WHERE rolname = 'read_only';
SELECT shobj_description(oid, 'pg_authid') = 'All employees' FROM pg_roles WHERE rolname = 'company';

-- Default privileges: objects created after up.sql by the owner and a creator (after.sql).
SELECT has_table_privilege('read_only', 'app.invoices', 'SELECT');
SELECT has_table_privilege('data_entry', 'app.invoices', 'INSERT');
SELECT NOT has_table_privilege('data_entry', 'app.invoices', 'DELETE');
SELECT has_sequence_privilege('data_entry', 'app.invoices_id_seq', 'USAGE');
SELECT has_table_privilege('alice.ng', 'app.invoices', 'UPDATE');
SELECT has_table_privilege('read_only', 'reports.sales_targets', 'SELECT');
SELECT has_table_privilege('dana.kowalski', 'reports.sales_targets', 'SELECT');
SELECT NOT has_table_privilege('bruno.costa', 'reports.sales_targets', 'SELECT');
