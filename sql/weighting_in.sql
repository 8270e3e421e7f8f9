-- weighting_in (a temp table, drift_core/sqlfiles.py temp_table): the weighting being written, one row
-- per selected run, made once by drift_core/weights.py write_weighting right after sql/weightings.sql
-- gave it its ids, and read by weight_rows.sql, weight_groups.sql and weight_diagnostics.sql.
-- Params: $run_ids varchar[] and the weighting's key (sql/weightings.sql): $scheme, $beta_spec, $gamma,
-- $repeat_penalty_lambda, $target_ess, $all_fail_zero, $weight_cap, $beta_pool.
with weightings_in as (
    select weighting_id, run_id, beta
    from weightings
    where list_contains($run_ids, run_id) and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma
        and repeat_penalty_lambda = $repeat_penalty_lambda and target_ess = $target_ess
        and all_fail_zero = $all_fail_zero and weight_cap = $weight_cap and beta_pool = $beta_pool
),

final as (
    select * from weightings_in
)

select * from final;
