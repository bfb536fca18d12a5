"""The guest level (QEMU): `make test-guest`."""
