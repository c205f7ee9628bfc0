-- `--set anonymous=web_anon` renamed the base role.
SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'web_anon');
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anonymous');
SELECT count(*) = 3 FROM pg_roles WHERE rolname IN ('web_anon', 'authenticated', 'administrator') AND NOT rolcanlogin;
SELECT rolbypassrls FROM pg_roles WHERE rolname = 'administrator';
SELECT NOT rolbypassrls FROM pg_roles WHERE rolname = 'authenticated';
SELECT shobj_description(oid, 'pg_authid') = 'Unauthenticated access; subject to row-level security.' FROM pg_roles WHERE rolname = 'web_anon';

-- authenticator: login, secret password (stored as a SCRAM verifier), limits, NOINHERIT.
SELECT rolcanlogin AND NOT rolinherit AND rolconnlimit = 20 FROM pg_roles WHERE rolname = 'authenticator';
SELECT rolvaliduntil = '2030-01-01 00:00:00+00' FROM pg_roles WHERE rolname = 'authenticator';
SELECT rolpassword LIKE 'SCRAM-SHA-256$4096:%' FROM pg_authid WHERE rolname = 'authenticator';
SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'authenticator' AND 'statement_timeout=15s' = ANY (s.setconfig));
SELECT pg_has_role('authenticator', 'web_anon', 'MEMBER');
SELECT pg_has_role('authenticator', 'authenticated', 'MEMBER');
SELECT NOT pg_has_role('authenticator', 'web_anon', 'USAGE');
SELECT NOT pg_has_role('authenticator', 'administrator', 'MEMBER');

-- app_admin: the verifier is stored as written.
SELECT rolpassword = 'SCRAM-SHA-256$4096:cm9sZWMtZXhhbXBsZS1zYQ==$xU6Z0a6Ek6y95rVzuNDs/D8tca7FttA6YpGgvqmbsfg=:vQ7+QIsl95bdhpXj9a4rqmcT5E5hPhYVmHUcs3zqglg=' FROM pg_authid WHERE rolname = 'app_admin';
SELECT rolconnlimit = 3 AND (rolvaliduntil IS NULL OR rolvaliduntil = 'infinity') FROM pg_roles WHERE rolname = 'app_admin';
SELECT pg_has_role('app_admin', 'administrator', 'USAGE');

-- The public block.
SELECT has_schema_privilege('web_anon', 'api', 'USAGE');
SELECT NOT has_schema_privilege('authenticated', 'api', 'CREATE');
SELECT NOT has_schema_privilege('web_anon', 'public', 'CREATE');
SELECT has_schema_privilege('api_owner', 'api', 'CREATE');

-- Tables created by api_owner after up.sql (after.sql) get the defaults.
SELECT has_table_privilege('web_anon', 'api.articles', 'SELECT');
SELECT NOT has_table_privilege('web_anon', 'api.articles', 'INSERT');
SELECT has_table_privilege('authenticated', 'api.comments', 'INSERT');
SELECT NOT has_table_privilege('authenticated', 'api.comments', 'TRUNCATE');
SELECT has_sequence_privilege('authenticated', 'api.comments_id_seq', 'USAGE');
SELECT NOT has_sequence_privilege('web_anon', 'api.comments_id_seq', 'USAGE');
SELECT has_table_privilege('administrator', 'api.articles', 'TRUNCATE');
SELECT has_table_privilege('app_admin', 'api.articles', 'DELETE');
-- NOINHERIT: the authenticator itself reads nothing until it switches role.
SELECT NOT has_table_privilege('authenticator', 'api.articles', 'SELECT');
