DROP TABLE api.comments;
DROP TABLE api.articles;
