-- weight_diagnostics: one row per run x weighting, by the weighting's weighting_id (sql/tables/weightings.sql,
-- which holds the key, as for weight_rows and weight_groups); built by sql/weight_diagnostics.sql. The
-- key's columns are copied here too, for SQL that picks rows by them. Ratios are NULL when undefined (no
-- weight at all). Warehouses from before weighting_id: sql/migrations/add_diagnostics_weighting_id.sql.
-- key: weighting_id
-- depends: weightings, weight_groups
-- scope: weighting_id from weightings
create table if not exists weight_diagnostics (
    weighting_id          integer not null,
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
