-- weight_rows: importance weights of the selected runs' trajectories for one weighting (docs/design.md §1),
-- under the ids sql/weightings.sql just gave it. Scheme drift (the reference), per prompt group G:
--     s_i = R_i / beta ;  m = max_{j in G} s_j
--     w_i = exp(s_i - m) / (mean_{j in G} exp(s_j - m) + 1e-12)      (so mean_G w = 1; no overflow)
-- uniform: w = 1.  rft: w = 1 if solved else 0.
-- drift-ext: drift, then (opt-in) w = 0 in prompts with no solved trajectory, then w = min(w, cap).
-- Params: $run_ids varchar[], $beta (NULL for uniform/rft) and the weighting's key (sql/weightings.sql):
--         $scheme, $beta_spec, $gamma, $repeat_penalty_lambda, $target_ess, $all_fail_zero boolean,
--         $weight_cap ('infinity': none), $beta_pool. Reads the returns table at $gamma and
--         $repeat_penalty_lambda.
-- Integers, doubles and `solved` only (fast to write); read them through the `weights` view.
with weighting_in as (
    select weighting_id, run_id
    from weightings
    where list_contains($run_ids, run_id) and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma
        and repeat_penalty_lambda = $repeat_penalty_lambda and target_ess = $target_ess
        and all_fail_zero = $all_fail_zero and weight_cap = $weight_cap and beta_pool = $beta_pool
),

returns_in as (
    select w.weighting_id, r.group_key, r.sample_idx, r."return", r.solved
    from returns r
    join weighting_in w using (run_id)
    where r.gamma = $gamma and r.repeat_penalty_lambda = $repeat_penalty_lambda
),

-- one pass of group aggregates, joined back (hash aggregate + hash join on an integer key, no sort)
groups as (
    select
        group_key,
        avg(solved::double) as group_success_rate,
        max("return" / $beta) as m
    from returns_in
    group by group_key
),

shifted as (
    select r.*, g.group_success_rate, exp(r."return" / $beta - g.m) as e
    from returns_in r
    join groups g using (group_key)
),

group_means as (
    select group_key, avg(e) as mean_e
    from shifted
    group by group_key
),

drift_weighted as (
    select s.*, s.e / (gm.mean_e + 1e-12) as w_drift
    from shifted s
    join group_means gm using (group_key)
),

final as (
    select
        weighting_id,
        group_key,
        sample_idx,
        case $scheme
            when 'uniform' then 1.0
            when 'rft' then solved::double
            when 'drift' then w_drift
            when 'drift-ext' then least(
                case when $all_fail_zero and group_success_rate = 0 then 0.0 else w_drift end,
                coalesce($weight_cap::double, 'infinity'::double)
            )
        end as weight,
        solved
    from drift_weighted
)

select * from final;
