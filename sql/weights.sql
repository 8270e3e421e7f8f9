-- weights: importance weights of the selected runs' trajectories for one weighting (DESIGN §1).
-- Scheme drift (the reference), per prompt group G of a run:
--     s_i = R_i / beta ;  m = max_{j in G} s_j
--     w_i = exp(s_i - m) / (mean_{j in G} exp(s_j - m) + 1e-12)      (so mean_G w = 1; no overflow)
-- uniform: w = 1.  rft: w = 1 if solved else 0.
-- drift-ext: drift, then (opt-in) w = 0 in prompts with no solved trajectory, then w = min(w, cap).
-- Diagnostics per group: group_size, group_ess = (sum w)^2 / sum w^2 (0 when all w = 0), success rate.
-- Params: $run_ids varchar[], $gamma, $scheme, $beta (NULL for uniform/rft), $beta_spec,
--         $all_fail_zero boolean, $weight_cap (NULL: none). Reads the returns table at $gamma.
-- Refresh = replace this weighting's rows for those runs, so several weightings coexist.
delete from weights
where list_contains($run_ids, run_id) and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma;

insert into weights by name
with returns_in as (
    select run_id, prompt_id, sample_idx, "return", solved
    from returns
    where gamma = $gamma and list_contains($run_ids, run_id)
),

-- one pass of group aggregates, joined back (hash aggregate + hash join, no sort).
groups as (
    select
        run_id,
        prompt_id,
        count(*) as group_size,
        avg(solved::double) as group_success_rate,
        max("return" / $beta) as m
    from returns_in
    group by run_id, prompt_id
),

shifted as (
    select r.*, g.group_size, g.group_success_rate, exp(r."return" / $beta - g.m) as e
    from returns_in r
    join groups g using (run_id, prompt_id)
),

group_means as (
    select run_id, prompt_id, avg(e) as mean_e
    from shifted
    group by run_id, prompt_id
),

drift_weighted as (
    select s.*, s.e / (gm.mean_e + 1e-12) as w_drift
    from shifted s
    join group_means gm using (run_id, prompt_id)
),

schemed as (
    select
        *,
        case $scheme
            when 'uniform' then 1.0
            when 'rft' then solved::double
            when 'drift' then w_drift
            when 'drift-ext' then least(
                case when $all_fail_zero and group_success_rate = 0 then 0.0 else w_drift end,
                coalesce($weight_cap::double, 'infinity'::double)
            )
        end as weight
    from drift_weighted
),

group_ess as (
    select
        run_id,
        prompt_id,
        case when sum(weight * weight) > 0 then sum(weight) * sum(weight) / sum(weight * weight) else 0.0 end
            as group_ess
    from schemed
    group by run_id, prompt_id
),

final as (
    select
        s.run_id,
        s.prompt_id,
        s.sample_idx,
        $scheme::varchar as scheme,
        $beta::double as beta,
        $beta_spec::varchar as beta_spec,
        $gamma::double as gamma,
        s."return",
        s.solved,
        s.weight,
        s.group_size::integer as group_size,
        ge.group_ess,
        s.group_success_rate,
        ($scheme = 'drift-ext' and $all_fail_zero) as all_fail_zero,
        case when $scheme = 'drift-ext' then $weight_cap::double end as weight_cap
    from schemed s
    join group_ess ge using (run_id, prompt_id)
)

select * from final;
