pytest_plugins = ["tideover_runtime.testing.fixtures"]
