"""What runs inside a worker process: the CLI's train/evaluate/worker commands, the warm worker, the Ray actor."""
