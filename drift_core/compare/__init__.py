"""`drift compare` and `drift sweep` without orchestration (docs/design.md §7: a fair comparison).

One module per part, imported by name (this package re-exports nothing):
    arms       the arm registry (one entry per arm) and an arm x seed's train / evaluation configs
    gold       the gold-answer SFT data, stored as a run beside the rollouts
    summary    per-seed figures -> mean ± std per arm and decoding
    selection  the learning rate chosen per arm on the validation split
    markdown   the results page's text
    output     the results page, plot and JSON as files
    sweep      the beta x gamma grid: its points, Markdown and files
    runtime    what a comparison reads from its workspace and sets in its process
    online     the online-grpo arm's token budget, step cap, checkpoints and learning-rate grid
    answer     DRIFT against online GRPO: the noise rule, each variant's verdict and cost shares, the section
    estimate   a comparison's wall time at another size from a run's measured rates
The flows (flows/compare.py, flows/sweep.py) run the stages and hand their metrics here.
"""
