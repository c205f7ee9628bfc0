-- app_owner is the migration role, created and managed outside this policy
-- (`external role app_owner`); it owns the two schemas. Run as superuser.
-- Roles are cluster-wide: tolerate a cluster where an earlier run created it.
DO $$ BEGIN CREATE ROLE app_owner NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE SCHEMA app AUTHORIZATION app_owner;
CREATE SCHEMA reporting AUTHORIZATION app_owner;

-- Objects that exist before the policy is applied (owned by postgres).
CREATE TABLE app.orders (id bigserial PRIMARY KEY, customer text NOT NULL, total numeric(12, 2));
CREATE FUNCTION app.order_total(order_id bigint) RETURNS numeric
  LANGUAGE sql STABLE AS $$ SELECT total FROM app.orders WHERE id = order_id $$;
CREATE TABLE reporting.daily_revenue (day date PRIMARY KEY, revenue numeric(14, 2));
