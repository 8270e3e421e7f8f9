-- weightings: one row per selected run for one weighting (its key and the options in effect), with the
-- next free weighting_id (the replaced rows are deleted first, so a recomputed weighting gets its id
-- back when it was the last). weight_rows and weight_groups are written next, under these ids.
-- Params: $run_ids varchar[], $beta (NULL for uniform/rft), and the key in canonical form
--         (drift_core/weights.py weighting_key): $scheme, $beta_spec, $gamma, $repeat_penalty_lambda,
--         $target_ess, $all_fail_zero boolean, $weight_cap ('infinity': none), $beta_pool varchar[].
with runs_in as (
    select unnest($run_ids) as run_id
),

final as (
    select
        ((select coalesce(max(weighting_id), 0) from weightings) + row_number() over (order by run_id))::integer
            as weighting_id,
        run_id,
        $scheme::varchar as scheme,
        $beta::double as beta,
        $beta_spec::varchar as beta_spec,
        $gamma::double as gamma,
        $repeat_penalty_lambda::double as repeat_penalty_lambda,
        $all_fail_zero::boolean as all_fail_zero,
        $weight_cap::double as weight_cap,
        now() as computed_at,
        $target_ess::double as target_ess,
        $beta_pool::varchar[] as beta_pool
    from runs_in
)

select * from final;
