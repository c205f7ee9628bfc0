-- Objects created after up.sql by the roles that own and create in the schemas.
SET ROLE schema_designer;
CREATE TABLE app.invoices (id bigserial PRIMARY KEY, order_id bigint, amount numeric(12, 2));
RESET ROLE;
SET ROLE report_writer;
CREATE TABLE reports.sales_targets (month date PRIMARY KEY, target numeric(12, 2));
RESET ROLE;
