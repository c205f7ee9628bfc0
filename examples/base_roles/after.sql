-- The application's migrations create the API's tables as api_owner.
SET ROLE api_owner;
CREATE TABLE api.articles (id bigserial PRIMARY KEY, title text NOT NULL, body text);
CREATE TABLE api.comments (id bigserial PRIMARY KEY, article_id bigint REFERENCES api.articles, body text);
RESET ROLE;
