-- The trajectories rows of one shard of import_staged (records $first..$last, file order), cast to
-- the column types of sql/tables/trajectories.sql (written to Parquet directly, so the casts matter).
-- Params: $first, $last (record numbers, 1-based, inclusive).
with staged_in as (
    select *
    from import_staged
    join import_sample_idx using (record_no)
    where record_no between $first and $last
),

final as (
    select
        run_id::varchar as run_id,
        prompt_id::varchar as prompt_id,
        sample_idx::integer as sample_idx,
        policy::varchar as policy,
        gold::varchar as gold,
        messages::struct(role varchar, content varchar)[] as messages,
        num_turns::integer as num_turns,
        max_turns::integer as max_turns,
        t_star::integer as t_star,
        format_penalty::double as format_penalty,
        answer_norms::varchar[] as answer_norms,
        turn_rewards::double[] as turn_rewards,
        reward_details::json as reward_details,
        extra::json as extra
    from staged_in
    order by record_no
)

select * from final;
