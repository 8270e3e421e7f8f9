-- Warehouses written before protocol.repeat_penalty_lambda took effect (see
-- sql/lookups/old_lambda_layout.sql) computed every return with the hard-coded lambda 0.5, so their
-- derived rows are kept and labelled 0.5: the column is added with that value, then made NOT NULL
-- without a default, as in sql/tables/. (Recomputing from the shards would give the same rows.)
alter table if exists returns add column if not exists repeat_penalty_lambda double default 0.5;
alter table if exists returns alter column repeat_penalty_lambda drop default;
alter table if exists returns alter column repeat_penalty_lambda set not null;
alter table if exists returns_state add column if not exists repeat_penalty_lambda double default 0.5;
alter table if exists returns_state alter column repeat_penalty_lambda drop default;
alter table if exists returns_state alter column repeat_penalty_lambda set not null;
alter table if exists weightings add column if not exists repeat_penalty_lambda double default 0.5;
alter table if exists weightings alter column repeat_penalty_lambda drop default;
alter table if exists weightings alter column repeat_penalty_lambda set not null;
alter table if exists weight_diagnostics add column if not exists repeat_penalty_lambda double default 0.5;
alter table if exists weight_diagnostics alter column repeat_penalty_lambda drop default;
alter table if exists weight_diagnostics alter column repeat_penalty_lambda set not null;
