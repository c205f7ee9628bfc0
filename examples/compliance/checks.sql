-- PCI: masked card columns only.
SELECT has_column_privilege('pci_compliant', 'payments.cards', 'last4', 'SELECT');
SELECT has_column_privilege('pci_compliant', 'payments.cards', 'expiry', 'SELECT');
SELECT NOT has_column_privilege('pci_compliant', 'payments.cards', 'pan', 'SELECT');
SELECT NOT has_column_privilege('pci_compliant', 'payments.cards', 'cvv_hash', 'SELECT');
SELECT NOT has_table_privilege('pci_compliant', 'payments.cards', 'SELECT');
SELECT has_table_privilege('pci_compliant', 'payments.transactions', 'SELECT');
SELECT has_table_privilege('pci_compliant', 'payments.audit_log', 'INSERT');
SELECT NOT has_table_privilege('pci_compliant', 'payments.audit_log', 'SELECT');
SELECT has_sequence_privilege('pci_compliant', 'payments.audit_log_id_seq', 'USAGE');
SELECT NOT has_sequence_privilege('pci_compliant', 'payments.transactions_id_seq', 'USAGE');

-- GDPR: a few profile columns, erasure requests, the erasure function.
SELECT has_column_privilege('gdpr_compliant', 'customers.profiles', 'country', 'SELECT');
SELECT has_column_privilege('gdpr_compliant', 'customers.profiles', 'marketing_consent', 'UPDATE');
SELECT NOT has_column_privilege('gdpr_compliant', 'customers.profiles', 'email', 'SELECT');
SELECT NOT has_column_privilege('gdpr_compliant', 'customers.profiles', 'country', 'UPDATE');
SELECT has_table_privilege('gdpr_compliant', 'customers.erasure_requests', 'UPDATE');
SELECT NOT has_table_privilege('gdpr_compliant', 'customers.erasure_requests', 'DELETE');
SELECT has_function_privilege('gdpr_compliant', 'customers.erase_customer(bigint)', 'EXECUTE');

-- The `public` block took EXECUTE on the erasure function away from PUBLIC.
SELECT NOT has_function_privilege('payment_processor', 'customers.erase_customer(bigint)', 'EXECUTE');
SELECT NOT has_function_privilege('auditor', 'customers.erase_customer(bigint)', 'EXECUTE');

-- HIPAA: clinical data without identity.
SELECT has_column_privilege('hipaa_compliant', 'clinical.patients', 'diagnosis', 'SELECT');
SELECT NOT has_column_privilege('hipaa_compliant', 'clinical.patients', 'full_name', 'SELECT');
SELECT NOT has_column_privilege('hipaa_compliant', 'clinical.patients', 'insurance_number', 'SELECT');
SELECT has_table_privilege('hipaa_compliant', 'clinical.access_log', 'INSERT');

-- Application roles = standard access + one regime.
SELECT pg_has_role('payment_processor', 'pci_compliant', 'MEMBER');
SELECT pg_has_role('payment_processor', 'app_service_standard', 'MEMBER');
SELECT has_table_privilege('payments_svc', 'app.orders', 'UPDATE');
SELECT NOT has_table_privilege('payments_svc', 'app.orders', 'DELETE');
SELECT has_table_privilege('payments_svc', 'payments.transactions', 'INSERT');
SELECT has_sequence_privilege('payments_svc', 'payments.transactions_id_seq', 'USAGE');
SELECT has_column_privilege('payments_svc', 'payments.transactions', 'status', 'UPDATE');
SELECT NOT has_column_privilege('payments_svc', 'payments.transactions', 'amount', 'UPDATE');
SELECT NOT has_column_privilege('payments_svc', 'payments.cards', 'pan', 'SELECT');
SELECT NOT has_schema_privilege('payments_svc', 'clinical', 'USAGE');
SELECT NOT has_column_privilege('payments_svc', 'customers.profiles', 'country', 'SELECT');
SELECT has_column_privilege('clinic_svc', 'clinical.patients', 'diagnosis', 'SELECT');
SELECT NOT has_schema_privilege('clinic_svc', 'payments', 'USAGE');
SELECT has_function_privilege('eu_svc', 'customers.erase_customer(bigint)', 'EXECUTE');
SELECT NOT has_schema_privilege('eu_svc', 'clinical', 'USAGE');

-- The compliance officer combines the three regimes but still never sees a card number.
SELECT pg_has_role('olga.petrova', 'pci_compliant', 'MEMBER');
SELECT pg_has_role('olga.petrova', 'gdpr_compliant', 'MEMBER');
SELECT pg_has_role('olga.petrova', 'hipaa_compliant', 'MEMBER');
SELECT has_column_privilege('olga.petrova', 'clinical.patients', 'diagnosis', 'SELECT');
SELECT NOT has_column_privilege('olga.petrova', 'payments.cards', 'pan', 'SELECT');
SELECT NOT has_table_privilege('olga.petrova', 'app.orders', 'SELECT');

-- Auditors read everything through pg_read_all_data and write nothing.
SELECT pg_has_role('audit.firm', 'pg_read_all_data', 'MEMBER');
SELECT has_table_privilege('audit.firm', 'payments.cards', 'SELECT');
SELECT NOT has_table_privilege('audit.firm', 'payments.cards', 'UPDATE');
SELECT NOT pg_has_role('audit.firm', 'payment_processor', 'MEMBER');

-- Separation of duties holds in the catalog as well.
SELECT NOT pg_has_role('payments_svc', 'auditor', 'MEMBER');
SELECT NOT pg_has_role('olga.petrova', 'auditor', 'MEMBER');
SELECT NOT pg_has_role('payment_processor', 'healthcare_app', 'MEMBER');
