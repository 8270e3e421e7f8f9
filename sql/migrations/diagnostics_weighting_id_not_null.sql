-- Second step of sql/migrations/add_diagnostics_weighting_id.sql (its own transaction): weighting_id NOT
-- NULL, as in sql/tables/weight_diagnostics.sql.
alter table weight_diagnostics alter column weighting_id set not null;
