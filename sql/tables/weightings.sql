-- weightings: one row per run x weighting, the weighting's key and options; weight_rows and
-- weight_groups refer to it by weighting_id. Built by sql/weightings.sql. The key is every option that
-- changes the rows (drift_core/config/weights.py KEY_FIELDS), each stored with one canonical non-NULL
-- value (drift_core/weights.py weighting_key), so weightings that differ in any of them coexist:
--     beta_spec              how beta was asked for ('auto' or the number as text; 'none' for schemes
--                            without a beta); beta is the value used
--     gamma, repeat_penalty_lambda  the returns the weighting was computed from
--     target_ess             beta 'auto' only: the ESS/n target that chose beta; 0 otherwise
--     all_fail_zero          drift-ext only; false for the other schemes
--     weight_cap             drift-ext only: the cap; +infinity for none and for the other schemes
--     beta_pool              beta 'auto' only: the runs weighted together, whose returns chose the one
--                            beta (sorted); [] otherwise
-- key: weighting_id
-- unique: run_id, beta_pool, scheme, beta_spec, gamma, target_ess, all_fail_zero, weight_cap, repeat_penalty_lambda
-- depends: returns
-- scope: run_id in $run_ids, scheme = $scheme, beta_spec = $beta_spec, gamma = $gamma, repeat_penalty_lambda = $repeat_penalty_lambda, target_ess = $target_ess, all_fail_zero = $all_fail_zero, weight_cap = $weight_cap, beta_pool = $beta_pool
create table if not exists weightings (
    weighting_id   integer not null,
    run_id         varchar not null,
    scheme         varchar not null,  -- drift | uniform | rft | drift-ext
    beta           double,            -- temperature used (NULL for uniform / rft)
    beta_spec      varchar not null,
    gamma          double not null,
    repeat_penalty_lambda double not null,
    all_fail_zero  boolean not null,  -- drift-ext option in effect (false for the other schemes)
    weight_cap     double not null,   -- drift-ext option in effect ('infinity': none)
    computed_at    timestamp with time zone not null,
    target_ess     double not null,   -- beta 'auto' only (0 otherwise)
    beta_pool      varchar[] not null -- beta 'auto' only: the runs that chose beta ([] otherwise)
);
