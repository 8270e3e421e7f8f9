-- weights: one row per trajectory x weighting (docs/design.md §5), a view over the weighting storage
-- (weightings, weight_rows, weight_groups) joined to returns for the keys and the return.
-- Key: (run_id, prompt_id, sample_idx) and the weighting's key (sql/tables/weightings.sql: beta_pool,
-- scheme, beta_spec, gamma, target_ess, all_fail_zero, weight_cap, repeat_penalty_lambda); a view, so
-- nothing to check. Columns:
--     weight              >= 0; per-prompt mean 1 for drift
--     group_size          trajectories of this prompt in the run
--     group_ess           (sum w)^2 / sum w^2 over the prompt's group; 0 if all w = 0
--     group_success_rate  share of the group's trajectories that were solved
--     beta / beta_spec    the temperature used / how it was asked for (see weightings)
--     repeat_penalty_lambda  the repeat penalty's scale in the returns weighted (the reference's: 0.5)
--     target_ess, all_fail_zero, weight_cap, beta_pool  the options in the key ('infinity' cap: none)
-- depends: weightings, weight_rows, weight_groups, returns
create or replace view weights as
select
    r.run_id,
    r.prompt_id,
    r.sample_idx,
    w.scheme,
    w.beta,
    w.beta_spec,
    w.gamma,
    w.repeat_penalty_lambda,
    r."return",
    r.solved,
    wr.weight,
    g.group_size,
    g.group_ess,
    g.solved_trajectories / g.group_size as group_success_rate,
    w.all_fail_zero,
    w.weight_cap,
    w.target_ess,
    w.beta_pool
from weight_rows wr
join weightings w using (weighting_id)
join weight_groups g using (weighting_id, group_key)
join returns r on r.group_key = wr.group_key and r.sample_idx = wr.sample_idx and r.gamma = w.gamma
    and r.repeat_penalty_lambda = w.repeat_penalty_lambda;
