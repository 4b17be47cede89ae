"""The AWS training pipeline's Python side: its config, the two steps ASL cannot express
(choosing the best solution, loading the catalog), reading the state machine definitions,
and starting or tearing down from the CLI.

The state machines themselves live in ``data_pipeline/*.asl.yaml``.
"""
