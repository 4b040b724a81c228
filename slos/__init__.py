"""Services catalog, SLOs, SLI sources, error budgets, policies and the deployment gate."""
