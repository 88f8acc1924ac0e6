"""The agents' HTTP API (v1), by resource: what every route shares (common.py), the reading
routes, the agents' work on an application, and the supervisors' and the borrower's routes."""
