-- Objects created after up.sql: by the owner in both schemas, by etl in app.
SET ROLE app_owner;
CREATE TABLE app.invoices (id bigserial PRIMARY KEY, order_id bigint, amount numeric(12, 2));
CREATE FUNCTION app.invoice_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM app.invoices $$;
CREATE TABLE reporting.monthly_revenue (month date PRIMARY KEY, revenue numeric(14, 2));
CREATE FUNCTION reporting.revenue_between(d1 date, d2 date) RETURNS numeric LANGUAGE sql STABLE
  AS $$ SELECT sum(revenue) FROM reporting.daily_revenue WHERE day BETWEEN d1 AND d2 $$;
RESET ROLE;
SET ROLE etl;
CREATE TABLE app.staging_orders (customer text, total numeric(12, 2));
RESET ROLE;
