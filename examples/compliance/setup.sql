-- Tables holding regulated data (run as superuser before up.sql).
CREATE SCHEMA app;
CREATE TABLE app.orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, total numeric(12, 2));
CREATE TABLE app.order_items (order_id bigint NOT NULL, sku text NOT NULL, quantity int NOT NULL);

CREATE SCHEMA payments;
CREATE TABLE payments.cards (
  card_id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL,
  pan text NOT NULL,          -- full primary account number
  cvv_hash text,
  last4 char(4) NOT NULL,
  expiry date NOT NULL
);
CREATE TABLE payments.transactions (id bigserial PRIMARY KEY, card_id bigint NOT NULL, amount numeric(12, 2), status text NOT NULL);
CREATE TABLE payments.audit_log (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), actor text, action text);

CREATE SCHEMA customers;
CREATE TABLE customers.profiles (
  customer_id bigserial PRIMARY KEY,
  email text NOT NULL,
  full_name text NOT NULL,
  birth_date date,
  country char(2) NOT NULL,
  marketing_consent boolean NOT NULL DEFAULT false
);
CREATE TABLE customers.erasure_requests (id bigserial PRIMARY KEY, customer_id bigint NOT NULL, requested_at timestamptz NOT NULL DEFAULT now(), done boolean NOT NULL DEFAULT false);
CREATE FUNCTION customers.erase_customer(customer bigint) RETURNS void
  LANGUAGE sql AS $$ UPDATE customers.profiles SET email = '', full_name = '', birth_date = NULL WHERE customer_id = customer $$;

CREATE SCHEMA clinical;
CREATE TABLE clinical.patients (patient_id bigserial PRIMARY KEY, full_name text NOT NULL, insurance_number text, diagnosis text, treating_physician text);
CREATE TABLE clinical.access_log (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), patient_id bigint, accessed_by text);
