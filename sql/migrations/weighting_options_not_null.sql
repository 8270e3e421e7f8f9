-- Second step of sql/migrations/add_weighting_options.sql (its own transaction): the option columns
-- NOT NULL and without defaults, as in sql/tables/weightings.sql and weight_diagnostics.sql.
alter table weightings alter column target_ess drop default;
alter table weightings alter column target_ess set not null;
alter table weightings alter column beta_pool drop default;
alter table weightings alter column beta_pool set not null;
alter table weightings alter column weight_cap set not null;
alter table weight_diagnostics alter column target_ess drop default;
alter table weight_diagnostics alter column target_ess set not null;
alter table weight_diagnostics alter column all_fail_zero set not null;
alter table weight_diagnostics alter column weight_cap set not null;
alter table weight_diagnostics alter column beta_pool drop default;
alter table weight_diagnostics alter column beta_pool set not null;
