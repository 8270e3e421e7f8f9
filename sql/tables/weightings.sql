-- weightings: one row per run x weighting, the weighting's key and options; weight_rows and
-- weight_groups refer to it by weighting_id. Built by sql/weightings.sql. beta_spec is how beta was
-- asked for ('auto' or the number as text; 'none' for schemes without a beta); beta is the value used.
-- gamma and repeat_penalty_lambda name the returns the weighting was computed from.
-- key: weighting_id
-- unique: run_id, scheme, beta_spec, gamma, repeat_penalty_lambda
-- depends: returns
-- scope: run_id in $run_ids, scheme = $scheme, beta_spec = $beta_spec, gamma = $gamma, repeat_penalty_lambda = $repeat_penalty_lambda
create table if not exists weightings (
    weighting_id   integer not null,
    run_id         varchar not null,
    scheme         varchar not null,  -- drift | uniform | rft | drift-ext
    beta           double,            -- temperature used (NULL for uniform / rft)
    beta_spec      varchar not null,
    gamma          double not null,
    repeat_penalty_lambda double not null,
    all_fail_zero  boolean not null,  -- drift-ext option in effect
    weight_cap     double,            -- drift-ext option in effect (NULL: none)
    computed_at    timestamp with time zone not null
);
