-- One reference-format JSON line per trajectory of run $run_id (docs/design.md §1), in storage order (shard
-- by shard, rows in order), so an imported file comes back in its own order. Keys in the reference's
-- order, then the unknown fields kept in `extra`; "__drift__" entries in `extra` restore what the
-- typed columns cannot (absent keys, verbatim values: a verifier or a turn_rewards object with gaps or
-- keys other than t1..tK). Otherwise the verifier is derived as the reference writes it: 1 at t_star,
-- else 0, for t1..tK, and turn_rewards is t1..tK from the list.
-- Params: $glob (the run's trajectories shard files).
with trajectories_in as (
    select *
    from read_parquet($glob, union_by_name = true, filename = true, file_row_number = true)
),

meta as (
    select
        *,
        coalesce(json_transform(extra -> '$.__drift__.absent', '["VARCHAR"]'), []) as absent,
        extra -> '$.__drift__.override' as override,
        case when extra is not null then json_merge_patch(extra, '{"__drift__": null}')::varchar end as unknown
    from trajectories_in
),

pieces as (
    select
        filename,
        file_row_number,
        -- each piece is '"key":value', or NULL when the record did not have the key
        '"prompt_id":' || to_json(prompt_id) as p_prompt_id,
        case when not list_contains(absent, 'gold')
            then '"gold":' || coalesce(override -> '$.gold', to_json(gold), 'null') end as p_gold,
        '"messages":' || coalesce(override -> '$.messages', to_json(messages)) as p_messages,
        case when not list_contains(absent, 'verifier') then '"verifier":' || coalesce(
            override -> '$.verifier',
            to_json(map_from_entries(list_transform(
                range(1, max_turns + 1), lambda t: {'k': 't' || t, 'v': coalesce(t = t_star, false)::integer}
            )))
        ) end as p_verifier,
        '"turn_rewards":' || coalesce(override -> '$.turn_rewards', to_json(map_from_entries(list_transform(
            range(1, len(turn_rewards) + 1), lambda t: {'k': 't' || t, 'v': turn_rewards[t]}
        )))) as p_turn_rewards,
        case when not list_contains(absent, 'reward_details')
            then '"reward_details":' || coalesce(reward_details::varchar, 'null') end as p_reward_details,
        case when not list_contains(absent, 't_star')
            then '"t_star":' || coalesce(to_json(t_star)::varchar, 'null') end as p_t_star,
        case when not list_contains(absent, 'answer_norms')
            then '"answer_norms":' || coalesce(override -> '$.answer_norms', to_json(answer_norms)) end
            as p_answer_norms,
        case when not list_contains(absent, 'format_penalty')
            then '"format_penalty":' || coalesce(override -> '$.format_penalty', to_json(format_penalty)) end
            as p_format_penalty,
        case when unknown is not null and unknown <> '{}' then substr(unknown, 2, len(unknown) - 2) end
            as p_unknown
    from meta
),

final as (
    select
        '{' || concat_ws(',', p_prompt_id, p_gold, p_messages, p_verifier, p_turn_rewards, p_reward_details,
            p_t_star, p_answer_norms, p_format_penalty, p_unknown) || '}' as line
    from pieces
    order by filename, file_row_number
)

select * from final;
