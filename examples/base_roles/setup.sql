-- The schema the API is served from; its tables come from the application's
-- migrations (after.sql), which run once the roles exist. Run as superuser.
CREATE SCHEMA api;
