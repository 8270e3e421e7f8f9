-- weight_diagnostics: one row per run x weighting (same key as weights minus the trajectory);
-- built by sql/weight_diagnostics.sql. Ratios are NULL when undefined (no weight at all).
-- key: run_id, scheme, beta_spec, gamma, repeat_penalty_lambda
-- depends: weightings, weight_groups
-- scope: run_id in $run_ids, scheme = $scheme, beta_spec = $beta_spec, gamma = $gamma, repeat_penalty_lambda = $repeat_penalty_lambda
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
    zero_weight_share     double not null   -- share of trajectories with w = 0
);
