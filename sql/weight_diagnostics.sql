-- weight_diagnostics: one row per run for one weighting, from the weights table (DESIGN §1 "known
-- properties to surface"): how concentrated the weights are and where the weight mass sits.
--     mean_ess_fraction     = mean over prompts with any weight of group_ess / group_size
--     success_weight_share  = sum(w | solved) / sum(w)
--     all_fail_weight_share = sum(w | prompt has no solved trajectory) / sum(w)
-- Params: $run_ids varchar[], $scheme, $beta_spec, $gamma.
delete from weight_diagnostics
where list_contains($run_ids, run_id) and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma;

insert into weight_diagnostics by name
with weights_in as (
    select *
    from weights
    where list_contains($run_ids, run_id) and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma
),

per_prompt as (
    select
        run_id,
        prompt_id,
        any_value(beta) as beta,
        any_value(group_size) as group_size,
        any_value(group_ess) as group_ess,
        any_value(group_success_rate) as group_success_rate,
        sum(weight) as weight_sum
    from weights_in
    group by run_id, prompt_id
),

per_run_prompts as (
    select
        run_id,
        any_value(beta) as beta,
        count(*) as prompts,
        count(*) filter (where group_success_rate = 0) as all_fail_prompts,
        avg(group_ess / group_size) filter (where weight_sum > 0) as mean_ess_fraction,
        sum(weight_sum) filter (where group_success_rate = 0) as all_fail_weight
    from per_prompt
    group by run_id
),

per_run_rows as (
    select
        run_id,
        count(*) as trajectories,
        avg(solved::double) as solved_share,
        sum(weight) as weight_total,
        sum(weight) filter (where solved) as solved_weight,
        avg(weight) as mean_weight,
        max(weight) as max_weight,
        avg((weight = 0)::double) as zero_weight_share
    from weights_in
    group by run_id
),

final as (
    select
        p.run_id,
        $scheme::varchar as scheme,
        p.beta,
        $beta_spec::varchar as beta_spec,
        $gamma::double as gamma,
        p.prompts,
        r.trajectories,
        r.solved_share,
        p.all_fail_prompts,
        p.mean_ess_fraction,
        case when r.weight_total > 0 then coalesce(r.solved_weight, 0.0) / r.weight_total end
            as success_weight_share,
        case when r.weight_total > 0 then coalesce(p.all_fail_weight, 0.0) / r.weight_total end
            as all_fail_weight_share,
        r.mean_weight,
        r.max_weight,
        r.zero_weight_share
    from per_run_prompts p
    join per_run_rows r using (run_id)
)

select * from final;
