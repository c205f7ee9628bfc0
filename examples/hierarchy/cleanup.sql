DROP TABLE reports.sales_targets;
DROP TABLE app.invoices;
