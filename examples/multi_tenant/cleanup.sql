DROP TABLE tenant_acme.payments;
DROP TABLE shared.currencies;
