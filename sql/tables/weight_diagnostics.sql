-- weight_diagnostics: one row per run x weighting (the key of weightings, sql/tables/weightings.sql);
-- built by sql/weight_diagnostics.sql. Ratios are NULL when undefined (no weight at all).
-- key: run_id, beta_pool, scheme, beta_spec, gamma, target_ess, all_fail_zero, weight_cap, repeat_penalty_lambda
-- depends: weightings, weight_groups
-- scope: run_id in $run_ids, scheme = $scheme, beta_spec = $beta_spec, gamma = $gamma, repeat_penalty_lambda = $repeat_penalty_lambda, target_ess = $target_ess, all_fail_zero = $all_fail_zero, weight_cap = $weight_cap, beta_pool = $beta_pool
create table if not exists weight_diagnostics (
    run_id                varchar not null,
    scheme                varchar not null,
    beta                  double,
    beta_spec             varchar not null,
    gamma                 double not null,
    repeat_penalty_lambda double not null,
    prompts               bigint not null,
    trajectories          bigint not null,
    solved_share          double not null,  -- share of trajectories with a correct turn
    all_fail_prompts      bigint not null,  -- prompts whose trajectories all failed
    mean_ess_fraction     double,           -- mean over weighted prompts of group_ess / group_size
    success_weight_share  double,           -- sum of w on solved trajectories / sum of all w
    all_fail_weight_share double,           -- sum of w in all-fail prompts / sum of all w
    mean_weight           double not null,
    max_weight            double not null,
    zero_weight_share     double not null,  -- share of trajectories with w = 0
    target_ess            double not null,  -- the rest of the weighting's key (see weightings)
    all_fail_zero         boolean not null,
    weight_cap            double not null,
    beta_pool             varchar[] not null
);
