"""Settings modules: base (shared, env-driven), dev, demo, test, production."""
