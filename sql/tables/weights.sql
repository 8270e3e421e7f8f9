-- weights: one row per trajectory x weighting (DESIGN §5); built by sql/weights.sql.
-- Key: (run_id, prompt_id, sample_idx, scheme, beta_spec, gamma). beta_spec is how beta was asked
-- for ('auto' or the number as text; 'none' for schemes without a beta); beta is the value used.
create table if not exists weights (
    run_id              varchar not null,
    prompt_id           varchar not null,
    sample_idx          integer not null,
    scheme              varchar not null,  -- drift | uniform | rft | drift-ext
    beta                double,            -- temperature used (NULL for uniform / rft)
    beta_spec           varchar not null,
    gamma               double not null,
    "return"            double not null,
    solved              boolean not null,
    weight              double not null,   -- >= 0; per-prompt mean 1 for drift
    group_size          integer not null,  -- trajectories of this prompt in the run
    group_ess           double not null,   -- (sum w)^2 / sum w^2 over the prompt's group; 0 if all w = 0
    group_success_rate  double not null,   -- share of the group's trajectories that were solved
    all_fail_zero       boolean not null,  -- drift-ext option in effect
    weight_cap          double             -- drift-ext option in effect (NULL: none)
);
