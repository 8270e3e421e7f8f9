"""The shipped tiny worlds (data only; docs/tiny-world.md): worlds/<task>, default size, seed 0."""
