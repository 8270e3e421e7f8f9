-- weight_diagnostics: one row per run for one weighting, summed from its weight_groups (docs/design.md §1
-- "known properties to surface"): how concentrated the weights are and where the weight mass sits.
--     mean_ess_fraction     = mean over prompts with any weight of group_ess / group_size
--     success_weight_share  = sum(w | solved) / sum(w)
--     all_fail_weight_share = sum(w | prompt has no solved trajectory) / sum(w)
-- Reads the weighting being written from the temp table weighting_in (sql/weighting_in.sql), one row per
-- run under its weighting_id. Params: the weighting's key (sql/weightings.sql), copied into the rows:
-- $scheme, $beta_spec, $gamma, $repeat_penalty_lambda, $target_ess, $all_fail_zero, $weight_cap, $beta_pool.
with groups_in as (
    select w.run_id, w.beta, g.*
    from weight_groups g
    join weighting_in w using (weighting_id)
),

per_run as (
    select
        weighting_id,
        run_id,
        any_value(beta) as beta,
        count(*) as prompts,
        sum(group_size) as trajectories,
        sum(solved_trajectories) as solved_trajectories,
        count(*) filter (where solved_trajectories = 0) as all_fail_prompts,
        avg(group_ess / group_size) filter (where weight_sum > 0) as mean_ess_fraction,
        sum(weight_sum) as weight_total,
        sum(solved_weight_sum) as solved_weight,
        sum(weight_sum) filter (where solved_trajectories = 0) as all_fail_weight,
        max(max_weight) as max_weight,
        sum(zero_weights) as zero_weights
    from groups_in
    group by weighting_id, run_id
),

final as (
    select
        weighting_id,
        run_id,
        $scheme::varchar as scheme,
        beta,
        $beta_spec::varchar as beta_spec,
        $gamma::double as gamma,
        $repeat_penalty_lambda::double as repeat_penalty_lambda,
        prompts,
        trajectories,
        solved_trajectories / trajectories as solved_share,
        all_fail_prompts,
        mean_ess_fraction,
        case when weight_total > 0 then solved_weight / weight_total end as success_weight_share,
        case when weight_total > 0 then coalesce(all_fail_weight, 0.0) / weight_total end as all_fail_weight_share,
        weight_total / trajectories as mean_weight,
        max_weight,
        zero_weights / trajectories as zero_weight_share,
        $target_ess::double as target_ess,
        $all_fail_zero::boolean as all_fail_zero,
        $weight_cap::double as weight_cap,
        $beta_pool::varchar[] as beta_pool
    from per_run
)

select * from final;
