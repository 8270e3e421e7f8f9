-- Trajectories of the selected runs that cannot be weighted: no prompt_id, or a reward / format
-- penalty that is NaN or infinite. Run before any weights are written, so bad input writes nothing.
-- Params: $run_ids varchar[].
with trajectories_in as (
    select run_id, prompt_id, sample_idx, turn_rewards, format_penalty
    from trajectories
    where list_contains($run_ids, run_id)
),

problems as (
    select
        run_id,
        prompt_id,
        sample_idx,
        case
            when prompt_id is null or prompt_id = '' then 'missing prompt_id'
            -- NaN and +-inf propagate into the sum (NULL rewards count as 0, as in the reference)
            when not isfinite(coalesce(list_sum(turn_rewards), 0.0))
                then 'turn_rewards has a NaN or infinite value: ' || turn_rewards::varchar
            when not isfinite(format_penalty)
                then 'format_penalty is NaN or infinite: ' || format_penalty::varchar
        end as problem
    from trajectories_in
),

final as (
    select * from problems where problem is not null order by run_id, prompt_id, sample_idx limit 5
)

select * from final;
