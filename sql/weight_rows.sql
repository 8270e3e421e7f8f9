-- weight_rows: importance weights of the selected runs' trajectories for one weighting (docs/design.md §1),
-- under the ids sql/weightings.sql just gave it (the temp table weighting_in, sql/weighting_in.sql).
-- The weight is the weighting's scheme's expression (sql/schemes/<scheme>.sql, put in place of the
-- placeholder in `final` by drift_core/weights.py from the registry drift_core/weight_schemes.py), over
-- the columns of drift_weighted: "return", solved, group_key, group_success_rate and, per prompt group G,
--     s_i = R_i / beta ;  m = max over j in G of s_j
--     w_drift_i = exp(s_i - m) / (mean over j in G of exp(s_j - m) + 1e-12)   (mean_G w = 1; no overflow)
-- (No braces in this file but the placeholder: it is filled with str.format, drift_core/sqlfiles.py render.)
-- Params: $beta (NULL for schemes without one), $gamma, $repeat_penalty_lambda, and what the scheme's
--         expression names ($all_fail_zero boolean, $weight_cap 'infinity': none). Reads the returns
--         table at $gamma and $repeat_penalty_lambda.
-- Integers, doubles and `solved` only (fast to write); read them through the `weights` view.
with returns_in as (
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
        (
{weight}
        )::double as weight,
        solved
    from drift_weighted
)

select * from final;
