-- Warehouses written before target_ess, all_fail_zero, weight_cap and beta_pool were part of a
-- weighting's key (see sql/lookups/old_options_layout.sql), run by drift_core/weights.py in one
-- transaction. Their weightings kept at most one row per (run, scheme, beta_spec, gamma, lambda).
-- What can be labelled truthfully is kept: all_fail_zero and weight_cap were stored in weightings
-- (a NULL cap, no cap, becomes the canonical 'infinity'), and weight_diagnostics takes them from its
-- weighting; a weighting with a numeric beta (or none) used no ESS target and no pool (0 and []).
-- A beta 'auto' weighting cannot be: the target_ess and the runs that chose its beta were not
-- recorded. Those are dropped, with their weight_rows, weight_groups and weight_diagnostics, and
-- recomputed from the shards by the next `drift weights` that asks for them.
-- One transaction; then sql/migrations/weighting_options_not_null.sql in a second one (DuckDB adds a NOT
-- NULL constraint only to a table without updates outstanding in the transaction). Both are idempotent.

alter table weightings add column if not exists target_ess double default 0.0;
alter table weightings add column if not exists beta_pool varchar[] default []::varchar[];
update weightings
set all_fail_zero = scheme = 'drift-ext' and all_fail_zero,
    weight_cap = case when scheme = 'drift-ext' and weight_cap is not null then weight_cap else 'infinity' end;

alter table weight_diagnostics add column if not exists target_ess double default 0.0;
alter table weight_diagnostics add column if not exists all_fail_zero boolean;
alter table weight_diagnostics add column if not exists weight_cap double;
alter table weight_diagnostics add column if not exists beta_pool varchar[] default []::varchar[];
update weight_diagnostics d
set all_fail_zero = w.all_fail_zero, weight_cap = w.weight_cap
from weightings w
where w.run_id = d.run_id and w.scheme = d.scheme and w.beta_spec = d.beta_spec and w.gamma = d.gamma
    and w.repeat_penalty_lambda = d.repeat_penalty_lambda and d.weight_cap is null;

-- beta 'auto' without a target (0 is never one): not labelled, so recomputed
delete from weight_diagnostics where (beta_spec = 'auto' and target_ess = 0.0) or weight_cap is null;
delete from weight_rows where weighting_id in (
    select weighting_id from weightings where beta_spec = 'auto' and target_ess = 0.0);
delete from weight_groups where weighting_id in (
    select weighting_id from weightings where beta_spec = 'auto' and target_ess = 0.0);
delete from weightings where beta_spec = 'auto' and target_ess = 0.0;
