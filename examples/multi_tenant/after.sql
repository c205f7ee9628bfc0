-- A migration adds a table to one tenant schema and to the shared schema.
SET ROLE migrator;
CREATE TABLE tenant_acme.payments (id bigserial PRIMARY KEY, invoice_id bigint, amount numeric(12, 2));
CREATE TABLE shared.currencies (code char(3) PRIMARY KEY, name text NOT NULL);
RESET ROLE;
