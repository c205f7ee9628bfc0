-- One group role and one login per tenant.
SELECT count(*) = 3 FROM pg_roles WHERE rolname IN ('tenant_acme', 'tenant_globex', 'tenant_initech') AND NOT rolcanlogin;
SELECT count(*) = 3 FROM pg_roles WHERE rolname IN ('app_acme', 'app_globex', 'app_initech') AND rolcanlogin AND rolconnlimit = 20;
SELECT pg_has_role('tenant_acme', 'tenant_base', 'MEMBER');
SELECT pg_has_role('app_globex', 'tenant_globex', 'MEMBER');

-- A tenant has everything on its own schema and nothing on the others.
SELECT has_schema_privilege('tenant_acme', 'tenant_acme', 'USAGE');
SELECT has_schema_privilege('tenant_acme', 'tenant_acme', 'CREATE');
SELECT has_table_privilege('app_acme', 'tenant_acme.invoices', 'INSERT');
SELECT has_table_privilege('app_acme', 'tenant_acme.invoices', 'DELETE');
SELECT has_sequence_privilege('app_acme', 'tenant_acme.invoices_id_seq', 'USAGE');
SELECT NOT has_table_privilege('app_acme', 'tenant_acme.invoices', 'TRUNCATE');
SELECT NOT has_schema_privilege('app_acme', 'tenant_globex', 'USAGE');
SELECT NOT has_table_privilege('app_acme', 'tenant_globex.invoices', 'SELECT');
SELECT NOT has_table_privilege('app_initech', 'tenant_acme.customers', 'SELECT');
SELECT NOT pg_has_role('tenant_acme', 'tenant_globex', 'MEMBER');

-- Everyone reads the shared reference data; nobody but its owner writes it.
SELECT has_table_privilege('app_initech', 'shared.countries', 'SELECT');
SELECT NOT has_table_privilege('app_initech', 'shared.countries', 'INSERT');
SELECT NOT has_table_privilege('migrator', 'shared.plans', 'UPDATE');
SELECT has_schema_privilege('migrator', 'shared', 'CREATE');

-- The glob `tenant_*`: support reaches every tenant (and tenant_base).
SELECT pg_has_role('support', 'tenant_acme', 'MEMBER');
SELECT pg_has_role('support', 'tenant_globex', 'MEMBER');
SELECT pg_has_role('support', 'tenant_initech', 'MEMBER');
SELECT pg_has_role('support', 'tenant_base', 'MEMBER');
SELECT NOT pg_has_role('support', 'app_acme', 'MEMBER');
SELECT NOT pg_has_role('support', 'migrator', 'MEMBER');
SELECT has_table_privilege('sam.support', 'tenant_initech.customers', 'UPDATE');
SELECT NOT has_schema_privilege('sam.support', 'shared', 'CREATE');
SELECT has_schema_privilege('migrator', 'tenant_globex', 'CREATE');

-- Tables the migrator creates later (after.sql) carry the tenant's privileges.
SELECT has_table_privilege('app_acme', 'tenant_acme.payments', 'INSERT');
SELECT has_sequence_privilege('app_acme', 'tenant_acme.payments_id_seq', 'USAGE');
SELECT has_table_privilege('sam.support', 'tenant_acme.payments', 'SELECT');
SELECT NOT has_table_privilege('app_globex', 'tenant_acme.payments', 'SELECT');
SELECT has_table_privilege('app_globex', 'shared.currencies', 'SELECT');
SELECT NOT has_table_privilege('app_globex', 'shared.currencies', 'UPDATE');
