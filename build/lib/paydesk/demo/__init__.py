"""The offline demo's data: `seed_demo()` and its logins. Only `paydesk demo` and tests use it."""
