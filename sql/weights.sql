-- weights: importance weights of the selected runs' trajectories for one weighting (DESIGN §1).
-- Scheme drift (the reference), per prompt group G of a run:
--     s_i = R_i / beta ;  m = max_{j in G} s_j
--     w_i = exp(s_i - m) / (mean_{j in G} exp(s_j - m) + 1e-12)      (so mean_G w = 1; no overflow)
-- uniform: w = 1.  rft: w = 1 if solved else 0.
-- drift-ext: drift, then (opt-in) w = 0 in prompts with no solved trajectory, then w = min(w, cap).
-- Per group: group_size, group_ess = (sum w)^2 / sum w^2 (0 when all w = 0), solved count, sums.
-- Params: $run_ids varchar[], $gamma, $scheme, $beta (NULL for uniform/rft), $beta_spec,
--         $all_fail_zero boolean, $weight_cap (NULL: none). Reads the returns table at $gamma.
-- Writes weightings (one row per run), weight_groups and weight_rows (read them through the
-- `weights` view). Refresh = replace this weighting's rows for those runs; others stay.
create or replace temp table weighting_replaced as
select weighting_id
from weightings
where list_contains($run_ids, run_id) and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma;

delete from weight_rows where weighting_id in (select weighting_id from weighting_replaced);

delete from weight_groups where weighting_id in (select weighting_id from weighting_replaced);

delete from weightings where weighting_id in (select weighting_id from weighting_replaced);

insert into weightings by name
with runs_in as (
    select unnest($run_ids) as run_id
),

final as (
    select
        ((select coalesce(max(weighting_id), 0) from weightings) + row_number() over (order by run_id))::integer
            as weighting_id,
        run_id,
        $scheme::varchar as scheme,
        $beta::double as beta,
        $beta_spec::varchar as beta_spec,
        $gamma::double as gamma,
        ($scheme = 'drift-ext' and $all_fail_zero) as all_fail_zero,
        case when $scheme = 'drift-ext' then $weight_cap::double end as weight_cap,
        now() as computed_at
    from runs_in
)

select * from final;

-- the new weights, row by row (integers and doubles only), before they are split into groups and rows
create or replace temp table weighting_computed as
with weighting_in as (
    select weighting_id, run_id
    from weightings
    where list_contains($run_ids, run_id) and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma
),

returns_in as (
    select w.weighting_id, r.group_key, r.sample_idx, r."return", r.solved
    from returns r
    join weighting_in w using (run_id)
    where r.gamma = $gamma
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
        solved,
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
)

select * from final;

insert into weight_groups by name
with computed_in as (
    select * from weighting_computed
),

final as (
    select
        weighting_id,
        group_key,
        count(*)::integer as group_size,
        case when sum(weight * weight) > 0 then sum(weight) * sum(weight) / sum(weight * weight) else 0.0 end
            as group_ess,
        count(*) filter (where solved)::integer as solved_trajectories,
        sum(weight) as weight_sum,
        coalesce(sum(weight) filter (where solved), 0.0) as solved_weight_sum,
        max(weight) as max_weight,
        count(*) filter (where weight = 0)::integer as zero_weights
    from computed_in
    group by weighting_id, group_key
)

select * from final;

-- last, so that its row count is what running this file returns
insert into weight_rows by name
select weighting_id, group_key, sample_idx, weight
from weighting_computed;
