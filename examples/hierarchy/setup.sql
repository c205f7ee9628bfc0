-- Objects the hierarchy policy grants on (run as superuser before up.sql).
CREATE SCHEMA app;
CREATE TABLE app.customers (id bigserial PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE app.orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES app.customers, total numeric(12, 2));
CREATE TABLE app.products (id bigserial PRIMARY KEY, name text NOT NULL, price numeric(12, 2));

CREATE SCHEMA reports;
CREATE VIEW reports.monthly_sales AS
  SELECT date_trunc('month', now()) AS month, sum(total) AS total FROM app.orders;

CREATE SCHEMA audit;
CREATE TABLE audit.events (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), actor text, action text);
