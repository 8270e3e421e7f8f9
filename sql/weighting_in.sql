-- weighting_in (a temp table, drift_core/sqlfiles.py temp_table): one weighting, one row per selected
-- run, made by drift_core/weights.py select_weighting. This is the one query that selects a weighting by
-- its whole key (a test in tests/drift_core/test_weights.py keeps it so): every other reader joins this
-- table on weighting_id. write_weighting makes it right after sql/weightings.sql gave the weighting its
-- ids, for weight_rows.sql, weight_groups.sql and weight_diagnostics.sql; the readers make it before
-- training_set.sql and lookups/diagnostics_of.sql. Temp tables work on read-only connections too.
-- Params: $run_ids varchar[] and the weighting's key (sql/weightings.sql): $scheme, $beta_spec, $gamma,
-- $repeat_penalty_lambda, $target_ess, $all_fail_zero, $weight_cap, $beta_pool.
with weightings_in as (
    select weighting_id, run_id, scheme, beta, gamma, repeat_penalty_lambda
    from weightings
    where list_contains($run_ids, run_id) and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma
        and repeat_penalty_lambda = $repeat_penalty_lambda and target_ess = $target_ess
        and all_fail_zero = $all_fail_zero and weight_cap = $weight_cap and beta_pool = $beta_pool
),

final as (
    select * from weightings_in
)

select * from final;
