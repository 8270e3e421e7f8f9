"""One function per pipeline stage, the one path both callers take (docs/design.md §2).

The `drift` commands call these and print; the Prefect tasks in tasks/ call the same functions,
cache them and log them. Everything a stage decides (the default model, which run, where a model
goes, a benchmark's instruction) is decided here, never in cli/ or tasks/:

    model      reference_model, base_model          which model a stage starts from
    prompts    prompts_stage                        prompts -> prompts table, a PromptSet
    rollout    rollout_stage, gold_stage            trajectories + turns of a run
    weights    weights_stage, pick_run, ...         returns + weights (SQL), the training set
    train      train_inputs, train_stage            weighted SFT -> a model directory
    evaluate   evaluate_stage                       multi-turn evaluation -> eval_* tables
"""
