-- The external role is referenced, not created: it is the role setup.sql made.
SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_owner' AND NOT rolcanlogin);
SELECT rolcanlogin FROM pg_roles WHERE rolname = 'etl';

-- Default-ACL entries as PostgreSQL stores them.
SELECT EXISTS (SELECT 1 FROM pg_default_acl d JOIN pg_roles r ON r.oid = d.defaclrole WHERE r.rolname = 'app_owner' AND d.defaclnamespace = 0 AND d.defaclobjtype = 'f');
SELECT EXISTS (SELECT 1 FROM pg_default_acl d JOIN pg_roles r ON r.oid = d.defaclrole WHERE r.rolname = 'app_owner' AND d.defaclnamespace = 'app'::regnamespace AND d.defaclobjtype = 'r');
SELECT EXISTS (SELECT 1 FROM pg_default_acl d JOIN pg_roles r ON r.oid = d.defaclrole WHERE r.rolname = 'etl' AND d.defaclnamespace = 'app'::regnamespace AND d.defaclobjtype = 'r');
SELECT NOT EXISTS (SELECT 1 FROM pg_default_acl d JOIN pg_roles r ON r.oid = d.defaclrole WHERE r.rolname = 'etl' AND d.defaclnamespace = 'reporting'::regnamespace);

-- Bulk grants on the objects that existed before up.sql.
SELECT has_table_privilege('app_reader', 'app.orders', 'SELECT');
SELECT NOT has_table_privilege('app_reader', 'app.orders', 'INSERT');
SELECT has_table_privilege('app_writer', 'app.orders', 'DELETE');
SELECT has_sequence_privilege('app_writer', 'app.orders_id_seq', 'USAGE');
SELECT has_function_privilege('app_executor', 'app.order_total(bigint)', 'EXECUTE');
SELECT has_table_privilege('etl', 'app.orders', 'INSERT');
SELECT NOT has_table_privilege('etl', 'app.orders', 'SELECT');
-- Defaults never touch existing objects: PUBLIC still executes the old function,
-- and report_viewer does not read the old report table.
SELECT has_function_privilege('report_viewer', 'app.order_total(bigint)', 'EXECUTE');
SELECT NOT has_table_privilege('report_viewer', 'reporting.daily_revenue', 'SELECT');

-- Objects app_owner created after up.sql (after.sql).
SELECT has_table_privilege('app_reader', 'app.invoices', 'SELECT');
SELECT has_table_privilege('app_writer', 'app.invoices', 'UPDATE');
SELECT NOT has_table_privilege('app_reader', 'app.invoices', 'UPDATE');
SELECT has_sequence_privilege('app_writer', 'app.invoices_id_seq', 'USAGE');
SELECT has_function_privilege('app_executor', 'app.invoice_count()', 'EXECUTE');
-- The global revoke: PUBLIC has no EXECUTE on new functions, in any schema.
SELECT NOT has_function_privilege('app_reader', 'app.invoice_count()', 'EXECUTE');
SELECT NOT has_function_privilege('app_executor', 'reporting.revenue_between(date, date)', 'EXECUTE');
-- Schema-scoped additions in reporting.
SELECT has_table_privilege('report_viewer', 'reporting.monthly_revenue', 'SELECT');
SELECT has_function_privilege('report_viewer', 'reporting.revenue_between(date, date)', 'EXECUTE');
SELECT NOT has_table_privilege('app_reader', 'reporting.monthly_revenue', 'SELECT');

-- Objects the creator etl made (after.sql): the bulk grants cover them too.
SELECT has_table_privilege('app_reader', 'app.staging_orders', 'SELECT');
SELECT has_table_privilege('app_writer', 'app.staging_orders', 'DELETE');
SELECT has_table_privilege('report_viewer', 'app.staging_orders', 'SELECT');
SELECT NOT has_table_privilege('report_viewer', 'app.invoices', 'SELECT');
