DROP TABLE app.staging_orders;
DROP FUNCTION reporting.revenue_between(date, date);
DROP TABLE reporting.monthly_revenue;
DROP FUNCTION app.invoice_count();
DROP TABLE app.invoices;
