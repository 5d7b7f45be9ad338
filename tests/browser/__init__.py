"""Real-browser tests: a package, so that its conftest's one server and one chromium serve all of them."""
