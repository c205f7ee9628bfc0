-- One schema per tenant plus a shared schema (run as superuser before up.sql).
CREATE SCHEMA shared;
CREATE TABLE shared.countries (code char(2) PRIMARY KEY, name text NOT NULL);
CREATE TABLE shared.plans (id int PRIMARY KEY, name text NOT NULL, monthly_price numeric(10, 2));

CREATE SCHEMA tenant_acme;
CREATE TABLE tenant_acme.customers (id bigserial PRIMARY KEY, name text NOT NULL, country char(2));
CREATE TABLE tenant_acme.invoices (id bigserial PRIMARY KEY, customer_id bigint, amount numeric(12, 2));

CREATE SCHEMA tenant_globex;
CREATE TABLE tenant_globex.customers (id bigserial PRIMARY KEY, name text NOT NULL, country char(2));
CREATE TABLE tenant_globex.invoices (id bigserial PRIMARY KEY, customer_id bigint, amount numeric(12, 2));

CREATE SCHEMA tenant_initech;
CREATE TABLE tenant_initech.customers (id bigserial PRIMARY KEY, name text NOT NULL, country char(2));
CREATE TABLE tenant_initech.invoices (id bigserial PRIMARY KEY, customer_id bigint, amount numeric(12, 2));
