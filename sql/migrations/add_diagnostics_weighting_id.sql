-- Warehouses written before weight_diagnostics had a weighting_id (see sql/lookups/old_diagnostics_layout.sql),
-- run by drift_core/weights.py in one transaction after sql/migrations/add_weighting_options.sql (so every
-- row has all of the key). Each row takes the id of the weightings row with its run and key (both hold one
-- row per run x weighting); a row without one (nothing it could describe) is dropped. Nothing is
-- recomputed. Then sql/migrations/diagnostics_weighting_id_not_null.sql in a second transaction (DuckDB
-- adds a NOT NULL constraint only to a table without updates outstanding in the transaction). Both are
-- idempotent.
alter table weight_diagnostics add column if not exists weighting_id integer;
update weight_diagnostics d
set weighting_id = w.weighting_id
from weightings w
where d.weighting_id is null and w.run_id = d.run_id and w.scheme = d.scheme and w.beta_spec = d.beta_spec
    and w.gamma = d.gamma and w.repeat_penalty_lambda = d.repeat_penalty_lambda and w.target_ess = d.target_ess
    and w.all_fail_zero = d.all_fail_zero and w.weight_cap = d.weight_cap and w.beta_pool = d.beta_pool;
delete from weight_diagnostics where weighting_id is null;
