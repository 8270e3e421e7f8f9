-- The trajectories rows of one shard of import_staged (records $first..$last, file order), in the
-- columns of sql/tables/trajectories.sql. Params: $first, $last (record numbers, 1-based, inclusive).
with staged_in as (
    select * from import_staged where record_no between $first and $last
),

final as (
    select
        run_id, prompt_id, sample_idx, policy, gold, messages, num_turns, max_turns, t_star,
        format_penalty, answer_norms, turn_rewards, reward_details, extra
    from staged_in
    order by record_no
)

select * from final;
