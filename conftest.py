pytest_plugins = ["tideover_testkit.fixtures"]
