-- auto_beta_groups (a temp table, drift_core/sqlfiles.py temp_table): the returns of the selected runs collapsed to (prompt group, distinct
-- return, count), so the beta='auto' search evaluates the ESS at many betas without rescanning every
-- row. Params: $run_ids varchar[], $gamma, $repeat_penalty_lambda, $exclude_all_fail boolean (drift-ext all_fail_zero:
-- those prompts get weight 0 and do not count towards the ESS target).
with returns_in as (
    select group_key, "return", solved
    from returns
    where gamma = $gamma and repeat_penalty_lambda = $repeat_penalty_lambda and list_contains($run_ids, run_id)
),

solved_prompts as (
    select group_key, bool_or(solved) as any_solved
    from returns_in
    group by group_key
),

final as (
    select r.group_key, r."return", count(*) as c
    from returns_in r
    join solved_prompts s using (group_key)
    where s.any_solved or not $exclude_all_fail
    group by r.group_key, r."return"
)

select * from final;
