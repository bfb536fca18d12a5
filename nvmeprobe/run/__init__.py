"""The run stage: safety checks, fio processes, manifests and resumable runs."""
