-- The schemas of the `main` database (run as superuser before up.sql).
CREATE SCHEMA lookup;
CREATE TABLE lookup.pipe_materials (code text PRIMARY KEY, label text NOT NULL);
CREATE TABLE lookup.status_codes (code int PRIMARY KEY, label text NOT NULL);

CREATE SCHEMA data;
CREATE TABLE data.manholes (id bigserial PRIMARY KEY, identifier text NOT NULL, depth_m numeric(6, 2));
CREATE TABLE data.pipes (id bigserial PRIMARY KEY, from_manhole bigint, to_manhole bigint, material text);
